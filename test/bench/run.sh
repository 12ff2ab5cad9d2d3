#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test/bench/run.sh - run every benchmark: figures and ratios, never pass/fail
set -u
for b in "$@" test/bench/bench_*.sh; do
	[ -x "$b" ] || continue
	echo "=== $(basename "$b")"
	"$b" || echo "$(basename "$b"): benchmark did not complete"
done
