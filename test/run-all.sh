#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test/run-all.sh - run every test stage of "make check" and add up the results
#
# Each stage prints its own cases and ends with "NAME: N passed, N failed,
# N skipped". A stage that ends without such a line counts as one failure.
# RUN_E2E=1 adds the QEMU end-to-end tests of test/e2e (test/check sets it).

set -u
cd "$(dirname "$0")/.."

total_pass=0
total_fail=0
total_skip=0
log_dir=$(mktemp -d /tmp/passt-check.XXXXXX)

# run_stage() - run one stage, show its output, add its counts
# $1: stage name, rest: command
run_stage() {
	name=$1
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$log_dir/$name.log"
	line=$(grep -E '^([A-Za-z0-9_-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' \
	       "$log_dir/$name.log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: stage ended without a result line: 1 failure"
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=0
	case "$line" in *skipped) s=$(echo "$line" | sed -E 's/.* ([0-9]+) skipped$/\1/');; esac
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_stage unit build/unit
run_stage fuzz test/fuzz/run.sh "${FUZZ_RUNS:-20000}" build/fuzz_*
run_stage lint test/lint.sh
for t in test/cli/test_*.sh test/ns/test_*.sh; do
	[ -x "$t" ] || continue
	run_stage "$(basename "$t" .sh)" "$t"
done

# Real QEMU guests (make e2e): slow under TCG, so only when asked, as CI does
if [ "${RUN_E2E:-0}" = 1 ]; then
	run_stage e2e test/e2e/run.sh
fi

rm -rf "$log_dir"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
