#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test/fuzz/run.sh - run each libFuzzer target for a bounded effort
#
# Usage: run.sh RUNS|time:SECONDS FUZZER...
# Each target starts from its corpus in test/fuzz/corpus/NAME if present;
# a crash, leak or sanitizer report fails that target.

set -u
# Inside a network namespace of their own, with nothing but a loopback that
# is down, whatever the targets try to send reaches nothing outside
ISOLATE=""
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
	ISOLATE="unshare -n"
fi
limit=$1
shift
pass=0
fail=0
for f in "$@"; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus="test/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d /tmp/passt-fuzz.XXXXXX)
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
	case "$limit" in
	time:*) opt="-max_total_time=${limit#time:}" ;;
	*) opt="-runs=$limit" ;;
	esac
	if $ISOLATE "$f" "$opt" -max_len=4096 -rss_limit_mb=1024 -seed=1 \
	   -artifact_prefix="$work/" "$work" >"$work/out" 2>&1; then
		echo "fuzz: $name, $(grep -Eo 'Done [0-9]+ runs' "$work/out" | tail -n 1 || echo done) .......... ok"
		pass=$((pass + 1))
	else
		tail -n 30 "$work/out"
		echo "fuzz: $name .......... FAIL (artifacts in $work)"
		fail=$((fail + 1))
		continue
	fi
	rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
