# SPDX-License-Identifier: GPL-2.0-or-later
# test/cli/lib.sh - shared by the command-line tests (bash)
#
# A test sets CLI_SUITE (first word of each case line and of the summary)
# and sources this file from the top of the repository. It gets a temporary
# directory in $TMP, the PIDS array (every process a case starts goes in
# it, and is stopped by PID on exit), run_case, wait_for and cli_summary.

set -u
# shellcheck source=test/evidence.sh
. "$(dirname "${BASH_SOURCE[0]}")/../evidence.sh"
TMP=$(mktemp -d /tmp/passt-cli.XXXXXX)
PIDS=()
passed=0
failed=0
skipped=0

# cleanup() - stop every process a case started, by PID, and remove files
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# run_case() - run one case function and print its line
# $1: description, $2: function, rest: its arguments
run_case() {
	local what=$1
	shift
	touch "$TMP/case.start"
	if "$@" >"$TMP/case.log" 2>&1; then
		printf '%s: %s .......... ok\n' "$CLI_SUITE" "$what"
		passed=$((passed + 1))
	else
		printf '%s: %s .......... FAIL\n' "$CLI_SUITE" "$what"
		# The daemons' logs are the ones the case wrote to
		# shellcheck disable=SC2046 # one log a word: no spaces in them
		evidence_keep "$CLI_SUITE: $what" "$TMP" \
			$(find "$TMP" -name '*.log' ! -name case.log \
			  -newer "$TMP/case.start") "$TMP/case.log"
		sed 's/^/    /' "$TMP/case.log" | tail -n 20
		failed=$((failed + 1))
	fi
}

# wait_for() - wait, bounded (10 s), until a command succeeds
# $@: command
wait_for() {
	local _
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*"
	return 1
}

# cli_summary() - print the closing line; exit status says if all passed
cli_summary() {
	echo "$CLI_SUITE: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
