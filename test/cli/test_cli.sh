#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/cli/test_cli.sh - the command line and the daemon's life cycle
#
# Runs ./passt as a user or launcher would: bad options, --help against the
# manual, daemonising (the parent exits only once the socket is ready), the
# PID file, a clean exit on SIGTERM, the default socket name, --fd.

cd "$(dirname "$0")/../.." || exit 1
CLI_SUITE=cli
. test/cli/lib.sh
PASST=./passt

# gone() - whether a process has exited
# $1: PID
gone() {
	! kill -0 "$1" 2>/dev/null
}

case_unknown_option() {
	local out
	out=$($PASST --no-such-option 2>&1)
	[ $? -eq 1 ] || return 1
	[ "$(echo "$out" | wc -l)" -eq 1 ] || return 1
	echo "$out" | grep -q "unknown option --no-such-option"
}

case_bad_values() {
	local args
	for args in "-m 20" "-m 70000" "-a 300.1.1.1" "-n 33" \
		    "-n 255.0.255.0" "-M 01:00:00:00:00:01" "-t 80-70" \
		    "-u 0" "--migrate-version 999" "--migrate-timeout -1" \
		    "-i no-such-if0" "-F x"; do
		# shellcheck disable=SC2086
		$PASST $args -f -s "$TMP/x.sock" >"$TMP/out" 2>&1
		[ $? -eq 1 ] || { echo "accepted: $args"; return 1; }
		grep -q "invalid" "$TMP/out" || { cat "$TMP/out"; return 1; }
	done
}

case_missing_argument() {
	$PASST -f -s 2>"$TMP/out"
	[ $? -eq 1 ] && grep -q "needs an argument" "$TMP/out"
}

case_help_documents_every_option() {
	local opt
	$PASST --help >"$TMP/help" || return 1
	for opt in $(grep -Eo -- '--[a-z0-9-]+' "$TMP/help" | sort -u); do
		grep -qF -- "\\-\\-${opt#--}" doc/passt.1 || {
			echo "$opt is not in doc/passt.1"
			return 1
		}
	done
	# What the issue asks for, at least
	for opt in foreground debug trace quiet log-file pid socket fd one-off \
		   address netmask gateway mac-addr interface outbound dns \
		   search mtu tcp-ports udp-ports ipv4-only ipv6-only no-dhcp \
		   no-ndp no-dhcpv6 no-ra no-icmp vhost-user \
		   print-capabilities repair-path version help; do
		grep -q -- "--$opt\b" "$TMP/help" || { echo "no --$opt"; return 1; }
	done
}

case_daemon_ready_when_parent_exits() {
	local pid
	$PASST -q -s "$TMP/d.sock" -P "$TMP/d.pid" -l "$TMP/d.log" || return 1
	# The parent exited 0: socket and PID file must exist already
	[ -S "$TMP/d.sock" ] || { echo "socket missing"; return 1; }
	pid=$(cat "$TMP/d.pid") || return 1
	PIDS+=("$pid")
	kill -0 "$pid" || return 1
	[ "$(readlink /proc/"$pid"/exe)" = "$(readlink -f $PASST)" ] || return 1
	kill -TERM "$pid"
	wait_for gone "$pid" || { echo "still running after SIGTERM"; return 1; }
	[ ! -e "$TMP/d.sock" ] || { echo "socket left behind"; return 1; }
	[ ! -e "$TMP/d.pid" ] || { echo "PID file left behind"; return 1; }
}

case_foreground_sigint_cleans_up() {
	local pid i
	$PASST -f -q -s "$TMP/f.sock" -P "$TMP/f.pid" &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		[ -S "$TMP/f.sock" ] && break
		sleep 0.1
	done
	[ "$(cat "$TMP/f.pid")" = "$pid" ] || return 1
	kill -INT "$pid"
	wait "$pid" || return 1
	[ ! -e "$TMP/f.sock" ] && [ ! -e "$TMP/f.pid" ]
}

case_default_socket_prints_qemu_options() {
	local pid i path
	$PASST -f >"$TMP/q.out" 2>"$TMP/q.err" &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		grep -q "addr.path=" "$TMP/q.out" && break
		sleep 0.1
	done
	path=$(grep -o 'addr.path=[^ ]*' "$TMP/q.out" | cut -d= -f2)
	kill "$pid"
	wait "$pid"
	echo "$path" | grep -Eq '^/tmp/passt_[0-9]+\.socket$' || return 1
	[ ! -e "$path" ]
}

case_second_daemon_refuses_busy_socket() {
	local pid i
	$PASST -f -q -s "$TMP/b.sock" &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		[ -S "$TMP/b.sock" ] && break
		sleep 0.1
	done
	$PASST -f -q -s "$TMP/b.sock" 2>"$TMP/b.err"
	local rc=$?
	kill "$pid"
	wait "$pid"
	[ $rc -eq 1 ] && grep -q "Address already in use" "$TMP/b.err"
}

case_fd_one_off_exits_when_peer_leaves() {
	# As QEMU's -netdev passt: socketpair end as fd 3, wait for exit 0
	build/fd_launch "$TMP/fd.pid" 192.0.2.1 -- $PASST --fd 3 -1 \
		--pid "$TMP/fd.pid" --quiet -a 192.0.2.10 -n 24 -g 192.0.2.1 \
		-l "$TMP/fd.log"
}

case_fd_standard_descriptor_moves_up() {
	# A launcher may hand the link over as fd 1: daemonising puts
	# /dev/null over 0 to 2, so the daemon must take it away first
	build/fd_launch --as-fd 1 "$TMP/fd1.pid" 192.0.2.1 -- $PASST --fd 1 \
		-1 --pid "$TMP/fd1.pid" -a 192.0.2.10 -n 24 -g 192.0.2.1 \
		-l "$TMP/fd1.log"
}

case_no_default_route_still_starts() {
	local pid i
	# A namespace of its own with only a loopback: no route at all
	unshare -n $PASST -f -s "$TMP/n.sock" >"$TMP/n.out" 2>"$TMP/n.err" &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		grep -q "ready" "$TMP/n.err" && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid"
	grep -q "IPv4: no default route on the host: guest gets 169.254.2.1/16" \
		"$TMP/n.err" && grep -q "IPv6: no default route" "$TMP/n.err"
}

case_install_puts_binary_and_manual() {
	make -s install PREFIX="$TMP/inst" >/dev/null || return 1
	[ -x "$TMP/inst/bin/passt" ] && [ -f "$TMP/inst/share/man/man1/passt.1" ]
}

case_freebind_allows_foreign_bind_address() {
	local pid i
	# 198.51.100.77 is on no interface: binding a forwarded port to it
	# fails, unless --freebind
	$PASST -f -q -s "$TMP/fb.sock" -t 198.51.100.77/18080 2>"$TMP/fb.err"
	[ $? -eq 1 ] || return 1
	$PASST -f -q -s "$TMP/fb.sock" -t 198.51.100.77/18080 --freebind &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		[ -S "$TMP/fb.sock" ] && break
		sleep 0.1
	done
	kill -0 "$pid" || return 1
	kill "$pid"
	wait "$pid"
}

# case_symlinked_files_refused() - a log or PID file that is a symbolic
# link is not followed: the daemon refuses it and says which
case_symlinked_files_refused() {
	local opt rc

	: >"$TMP/target"
	ln -sf "$TMP/target" "$TMP/link"
	for opt in -l -P; do
		timeout 5 $PASST -f "$opt" "$TMP/link" -s "$TMP/x.sock" \
			>"$TMP/out" 2>&1
		rc=$?
		[ "$rc" = 124 ] && { echo "$opt: followed the link"; return 1; }
		[ "$rc" = 1 ] || { echo "$opt: exit $rc"; return 1; }
		grep -q "$TMP/link" "$TMP/out" || { cat "$TMP/out"; return 1; }
		[ ! -s "$TMP/target" ] ||
			{ echo "$opt: wrote through the link"; return 1; }
	done
}

# case_long_socket_path_refused() - with --vhost-user, a socket path that
# fits a UNIX socket (107 characters) but leaves no room for ".repair" is
# refused, not cut
case_long_socket_path_refused() {
	local long="$TMP/"

	while [ ${#long} -lt 104 ]; do
		long+=a
	done

	timeout 5 $PASST -f --vhost-user -s "$long" >"$TMP/out" 2>&1
	[ $? -eq 1 ] || { echo "not refused"; return 1; }
	grep -q "repair-path" "$TMP/out" || { cat "$TMP/out"; return 1; }
	[ ! -e "$long" ]
}

run_case "unknown option: one line, exit 1" case_unknown_option
run_case "malformed values refused with exit 1" case_bad_values
run_case "missing argument refused" case_missing_argument
run_case "log or PID file through a symbolic link refused" \
	case_symlinked_files_refused
run_case "--vhost-user socket path too long for .repair refused" \
	case_long_socket_path_refused
run_case "--help documents every option, all in the manual" \
	case_help_documents_every_option
run_case "daemon: parent exits once socket and PID file exist; SIGTERM cleans up" \
	case_daemon_ready_when_parent_exits
run_case "foreground: SIGINT removes socket and PID file" \
	case_foreground_sigint_cleans_up
run_case "default socket is /tmp/passt_N.socket, QEMU options printed" \
	case_default_socket_prints_qemu_options
run_case "busy socket path refused" case_second_daemon_refuses_busy_socket
run_case "no default route: starts and says what it chose" \
	case_no_default_route_still_starts
run_case "make install PREFIX= installs binary and manual" \
	case_install_puts_binary_and_manual
run_case "--freebind: forwarded port on an address not on the host" \
	case_freebind_allows_foreign_bind_address
run_case "--fd with --one-off: exits when the link ends" \
	case_fd_one_off_exits_when_peer_leaves
run_case "--fd 1: the link survives daemonising" \
	case_fd_standard_descriptor_moves_up

cli_summary
