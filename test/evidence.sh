# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# test/evidence.sh - a failed case keeps its logs; the run's end shows them
#
# Sourced by the stages' helpers (test/ns/lib.sh, test/cli/lib.sh,
# test/e2e/lib.sh). When a case fails, evidence_keep() copies the case's
# directory (daemon logs at debug level, QEMU logs, guest console, captures,
# the case's own output) to a directory of its own under PASST_EVIDENCE,
# prints its path on the line after the FAIL line, and adds a line to
# PASST_EVIDENCE/index:
#
#   CASE <tab> KEPT-DIRECTORY <tab> LOG [<tab> LOG ...]
#
# where each LOG is a daemon log (or, if the case has none, its own output)
# inside KEPT-DIRECTORY. test/run-all.sh sets PASST_EVIDENCE once for the
# whole run, and evidence_report() at its end prints the last lines of each
# of those logs, so that the run's output alone starts a diagnosis. A stage
# run alone keeps its evidence in /tmp/passt-evidence.PID.

# Lines of each log that the report at the end of the run prints
EVIDENCE_TAIL_LINES=${EVIDENCE_TAIL_LINES:-25}

# A stage run alone: one directory for the whole stage, made on first use
[ -n "${PASST_EVIDENCE:-}" ] ||
	PASST_EVIDENCE=/tmp/passt-evidence.$$
export PASST_EVIDENCE

# evidence_dir() - print the directory of kept evidence, made on first use
evidence_dir() {
	mkdir -p "$PASST_EVIDENCE" && echo "$PASST_EVIDENCE"
}

# evidence_slug() - print a case name as a short file name
# $1:	case name
evidence_slug() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_' | tr -s '_' | cut -c 1-80
}

# evidence_reserve() - make the directory a failed case's logs will go to
# $1:	case name
# Prints its path (nothing if it cannot be made)
evidence_reserve() {
	local top

	top=$(evidence_dir) || return 0
	mktemp -d "$top/$(evidence_slug "$1").XXXX"
}

# evidence_fill() - copy a case's logs into its reserved directory, index
# its daemon logs
# $1:	case name, as its FAIL line says it
# $2:	the reserved directory, from evidence_reserve()
# $3:	directory holding the case's logs (copied whole)
# $@:	its daemon logs, or its own output, inside $3 (after three shifts);
#	names that do not exist or are empty are left out of the index
evidence_fill() {
	local name=$1 kept=$2 src=$3 log rel entry

	shift 3
	[ -d "$kept" ] || return 0
	# tar leaves sockets out (they are no evidence) and says so: quiet
	tar -C "$src" -cf - . 2>/dev/null | tar -C "$kept" -xf - 2>/dev/null
	entry="$name"$'\t'"$kept"
	for log in "$@"; do
		rel=${log#"$src"/}
		[ -s "$kept/$rel" ] && entry+=$'\t'"$kept/$rel"
	done
	printf '%s\n' "$entry" >>"${kept%/*}/index"
}

# evidence_keep() - keep a failed case's logs now, and say where
# $1:	case name, as its FAIL line says it
# $2:	directory holding the case's logs (copied whole)
# $@:	its daemon logs, or its own output, inside $2 (after two shifts)
evidence_keep() {
	local kept

	kept=$(evidence_reserve "$1")
	[ -n "$kept" ] || return 0
	echo "    logs kept in $kept"
	evidence_fill "$1" "$kept" "$2" "${@:3}"
}

# evidence_report() - at the end of a run: each failure, where its logs are,
# and the last lines of its daemon logs
# Return: 0, also when nothing failed
evidence_report() {
	local name kept logs log

	[ -s "${PASST_EVIDENCE:-}/index" ] || return 0
	echo "=== evidence of the failed cases (kept in $PASST_EVIDENCE)"
	while IFS=$'\t' read -r name kept logs; do
		echo "--- FAIL $name"
		echo "    logs: $kept"
		IFS=$'\t' read -r -a logs <<<"$logs"
		for log in "${logs[@]}"; do
			echo "    last $EVIDENCE_TAIL_LINES lines of ${log#"$kept"/}:"
			tail -n "$EVIDENCE_TAIL_LINES" "$log" | sed 's/^/      /'
		done
	done <"$PASST_EVIDENCE/index"
}
