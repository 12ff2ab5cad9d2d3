#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/cli/test_repair.sh - passt-repair with the real daemon
#
# Runs ./passt-repair as an operator would, against ./passt --vhost-user:
# the default repair socket, connecting, refusal of a second helper, exit
# when the daemon goes, waiting in a directory for the daemon to start,
# retrying a path not there yet, an unprivileged daemon that needs the
# helper. Switching TCP_REPAIR on real sockets is in test/unit/test_repair.c.
# Needs root: the helper needs CAP_NET_ADMIN, the daemon runs as nobody once.

cd "$(dirname "$0")/../.." || exit 1
CLI_SUITE=repair
. test/cli/lib.sh
PASST=./passt
HELPER=./passt-repair

# exited_with() - wait, bounded, for a child to exit; check its status
# $1: PID, $2: expected exit status
exited_with() {
	local rc
	wait_for eval "! kill -0 $1 2>/dev/null" || { kill -9 "$1"; return 1; }
	wait "$1"
	rc=$?
	[ "$rc" -eq "$2" ] || { echo "PID $1 exited $rc, expected $2"; return 1; }
}

# watching() - whether a process has an inotify instance open
# $1: PID
watching() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:inotify" ] && return 0
	done
	return 1
}

# daemon_start() - start ./passt -f --vhost-user in the background
# $1: socket path, $2: log file, rest: more options
# Sets DAEMON to its PID.
daemon_start() {
	local sock=$1 log=$2
	shift 2
	$PASST -f --vhost-user -s "$sock" "$@" >"$log" 2>&1 &
	DAEMON=$!
	PIDS+=("$DAEMON")
}

# helper_start() - start ./passt-repair in the background
# $1: its argument, $2: its log file
# Sets HELPER_PID.
helper_start() {
	$HELPER "$1" >"$2" 2>&1 &
	HELPER_PID=$!
	PIDS+=("$HELPER_PID")
}

case_help_version_usage() {
	$HELPER --help | grep -q "^Usage: .* PATH$" || return 1
	$HELPER --version | grep -Eq '^passt-repair [0-9.]+$' || return 1
	$HELPER 2>"$TMP/u.err"
	[ $? -eq 1 ] && grep -q "^Usage:" "$TMP/u.err" || return 1
	$HELPER --bogus 2>"$TMP/u.err"
	[ $? -eq 1 ] && grep -q "unknown option --bogus" "$TMP/u.err" || return 1
	$HELPER a b 2>/dev/null
	[ $? -eq 1 ]
}

case_manual_documents_every_option() {
	local opt
	for opt in $($HELPER --help | grep -Eo -- '--[a-z0-9-]+' | sort -u); do
		grep -qF -- "\\-\\-${opt#--}" doc/passt-repair.1 || {
			echo "$opt is not in doc/passt-repair.1"
			return 1
		}
	done
	grep -q "^\.SH EXAMPLES" doc/passt-repair.1
}

case_default_socket_connect_refuse_exit() {
	local first second
	daemon_start "$TMP/a.sock" "$TMP/a.log"
	wait_for test -S "$TMP/a.sock.repair" || return 1
	grep -q "repair: CAP_NET_ADMIN: TCP_REPAIR set directly" "$TMP/a.log" ||
		return 1

	helper_start "$TMP/a.sock.repair" "$TMP/h1.log"
	first=$HELPER_PID
	wait_for grep -q "repair: passt-repair helper connected (pid $first," \
		"$TMP/a.log" || return 1

	# Refused: the daemon closes, the second helper exits 0 and says so
	helper_start "$TMP/a.sock.repair" "$TMP/h2.log"
	second=$HELPER_PID
	exited_with "$second" 0 || return 1
	grep -q "refusing a second passt-repair helper" "$TMP/a.log" ||
		return 1
	grep -q "after 0 messages" "$TMP/h2.log" || return 1
	kill -0 "$first" || { echo "first helper gone"; return 1; }

	# The daemon exits: the first helper follows, status 0
	kill "$DAEMON"
	exited_with "$DAEMON" 0 || return 1
	exited_with "$first" 0 || return 1
	[ ! -e "$TMP/a.sock.repair" ] || { echo "repair socket left"; return 1; }
}

case_repair_path_option() {
	daemon_start "$TMP/b.sock" "$TMP/b.log" --repair-path "$TMP/b.rep"
	wait_for test -S "$TMP/b.rep" || return 1
	[ ! -e "$TMP/b.sock.repair" ] || return 1
	helper_start "$TMP/b.rep" "$TMP/hb.log"
	wait_for grep -q "helper connected" "$TMP/b.log" || return 1
	kill "$DAEMON"
	exited_with "$HELPER_PID" 0
}

case_stream_transport_has_no_repair_socket() {
	$PASST -f -s "$TMP/s.sock" >"$TMP/s.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_for grep -q "ready" "$TMP/s.log" || return 1
	kill "$pid"
	exited_with "$pid" 0 || return 1
	[ ! -e "$TMP/s.sock.repair" ]
}

case_directory_helper_waits_for_daemon() {
	mkdir "$TMP/dir"
	helper_start "$TMP/dir" "$TMP/hd.log"
	wait_for watching "$HELPER_PID" || return 1
	daemon_start "$TMP/dir/vm.sock" "$TMP/d.log"
	wait_for grep -q "helper connected (pid $HELPER_PID," "$TMP/d.log" ||
		return 1
	grep -q "connected to $TMP/dir/vm.sock.repair" "$TMP/hd.log" ||
		return 1
	kill "$DAEMON"
	exited_with "$HELPER_PID" 0
}

case_directory_removed_while_waiting() {
	mkdir "$TMP/gone"
	helper_start "$TMP/gone" "$TMP/hg.log"
	wait_for watching "$HELPER_PID" || return 1
	rmdir "$TMP/gone"
	exited_with "$HELPER_PID" 1 || return 1
	grep -q "went away" "$TMP/hg.log"
}

case_file_helper_retries_until_daemon_listens() {
	helper_start "$TMP/r.sock.repair" "$TMP/hr.log"
	sleep 0.5
	kill -0 "$HELPER_PID" || { echo "helper gave up"; return 1; }
	daemon_start "$TMP/r.sock" "$TMP/r.log"
	wait_for grep -q "helper connected (pid $HELPER_PID," "$TMP/r.log" ||
		return 1
	kill "$DAEMON"
	exited_with "$HELPER_PID" 0
}

case_path_too_long_fails_at_once() {
	local long
	long="$TMP/$(printf 'x%.0s' $(seq 120))"
	$HELPER "$long" 2>"$TMP/l.err"
	[ $? -eq 1 ] && grep -q "cannot connect to .*: File name too long" \
		"$TMP/l.err"
}

case_unprivileged_daemon_uses_helper() {
	# nobody must reach the directory through $TMP, made 0700
	chmod 755 "$TMP"
	mkdir -m 1777 "$TMP/nobody"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all \
		$PASST -f --vhost-user -s "$TMP/nobody/vm.sock" \
		>"$TMP/n.log" 2>&1 &
	DAEMON=$!
	PIDS+=("$DAEMON")
	wait_for grep -q "no CAP_NET_ADMIN: waiting for passt-repair on" \
		"$TMP/n.log" || return 1
	! grep -q "TCP_REPAIR set directly" "$TMP/n.log" || return 1
	helper_start "$TMP/nobody/vm.sock.repair" "$TMP/hn.log"
	wait_for grep -q "helper connected (pid $HELPER_PID, uid 0)" \
		"$TMP/n.log" || return 1
	kill "$DAEMON"
	exited_with "$DAEMON" 0 || return 1
	exited_with "$HELPER_PID" 0
}

case_install_puts_helper_and_manual() {
	make -s install PREFIX="$TMP/inst" >/dev/null || return 1
	[ -x "$TMP/inst/bin/passt-repair" ] &&
		[ -f "$TMP/inst/share/man/man1/passt-repair.1" ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "repair: every case .......... skip: needs root (CAP_NET_ADMIN)"
	echo "repair: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

run_case "helper: --help, --version, bad arguments exit 1" \
	case_help_version_usage
run_case "helper: manual documents every option, with examples" \
	case_manual_documents_every_option
run_case "default socket: helper connects, second refused, both leave with the daemon" \
	case_default_socket_connect_refuse_exit
run_case "--repair-path puts the socket there" case_repair_path_option
run_case "stream transport: no repair socket" \
	case_stream_transport_has_no_repair_socket
run_case "helper on a directory connects once the daemon starts" \
	case_directory_helper_waits_for_daemon
run_case "helper on a directory exits 1 when it is removed" \
	case_directory_removed_while_waiting
run_case "helper started first retries until the daemon listens" \
	case_file_helper_retries_until_daemon_listens
run_case "helper: path too long fails at once, exit 1" \
	case_path_too_long_fails_at_once
run_case "daemon as nobody: no CAP_NET_ADMIN, takes the helper" \
	case_unprivileged_daemon_uses_helper
run_case "make install PREFIX= installs helper and manual" \
	case_install_puts_helper_and_manual

cli_summary
