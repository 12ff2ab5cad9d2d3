#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/run-all.sh - run every test stage of "make check" and add up the results
#
# Each stage prints its own cases and ends with "NAME: N passed, N failed,
# N skipped". A stage that ends without such a line counts as one failure.
# RUN_E2E=1 adds the QEMU end-to-end tests of test/e2e (test/check sets it).
#
# A failed case keeps its logs under one directory for the run (see
# test/evidence.sh); a failed stage whose cases kept nothing keeps its own
# output there. The run ends with the last lines of each failure's daemon
# log, then the counts.

set -u
cd "$(dirname "$0")/.."
. test/evidence.sh

total_pass=0
total_fail=0
total_skip=0
log_dir=$(mktemp -d /tmp/passt-check.XXXXXX)
export PASST_EVIDENCE="$log_dir/evidence"

# stage_evidence() - a stage with failures whose cases kept no logs of
# their own (unit tests, fuzzing, lint) keeps its output as evidence
# $1:	stage name
# $2:	number of its failures
stage_evidence() {
	[ "$2" -gt 0 ] || return 0
	grep -Fq "logs kept in $PASST_EVIDENCE/" "$log_dir/$1.log" && return 0
	mkdir -p "$log_dir/stage-$1"
	cp "$log_dir/$1.log" "$log_dir/stage-$1/output.log"
	evidence_keep "$1: stage" "$log_dir/stage-$1" "$log_dir/stage-$1/output.log"
}

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
		stage_evidence "$name" 1
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	stage_evidence "$name" "$f"
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

if [ "$total_fail" -gt 0 ]; then
	evidence_report
	echo "stage outputs kept in $log_dir"
else
	rm -rf "$log_dir"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
