#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test/lint.sh - static analysis of the daemon's sources: cppcheck, clang-tidy
#
# A finding that is wrong is suppressed in the code, next to a comment that
# says why.

set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
skip=0

# result() - print one case's line and count it
# $1: case name, $2: exit status of the check
result() {
	if [ "$2" -eq 0 ]; then
		echo "lint: $1 .......... ok"
		pass=$((pass + 1))
	else
		echo "lint: $1 .......... FAIL"
		fail=$((fail + 1))
	fi
}

srcs=$(ls ./*.c)

if command -v cppcheck >/dev/null; then
	cppcheck -q --std=c11 --enable=warning,portability,performance \
		--inline-suppr --error-exitcode=1 -D_GNU_SOURCE -I. \
		--suppress=missingIncludeSystem $srcs
	result "cppcheck finds nothing" $?
else
	echo "lint: cppcheck .......... skip: cppcheck not installed"
	skip=$((skip + 1))
fi

if command -v clang-tidy >/dev/null; then
	out=$(clang-tidy --quiet $srcs -- -std=gnu11 -D_GNU_SOURCE -I. 2>&1)
	echo "$out" | grep -E 'warning:|error:'
	! echo "$out" | grep -qE 'warning:|error:'
	result "clang-tidy finds nothing" $?
else
	echo "lint: clang-tidy .......... skip: clang-tidy not installed"
	skip=$((skip + 1))
fi

echo "lint: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
