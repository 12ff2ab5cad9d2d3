#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/lib.sh: helpers for the QEMU end-to-end test
#
# Sourced by run.sh. Results, process tracking, the guest's command channel
# (a QEMU pipe chardev on the guest's ttyS1), QMP over another pipe chardev,
# and the test namespaces. Every wait here has a timeout.

# shellcheck source=test/rst_guard.sh
. "$(dirname "${BASH_SOURCE[0]}")/../rst_guard.sh"
# shellcheck source=test/evidence.sh
. "$(dirname "${BASH_SOURCE[0]}")/../evidence.sh"

E2E_PASSED=0
E2E_FAILED=0
E2E_SKIPPED=0
E2E_PIDS=()
E2E_CASE=		# the case under way: a transport or a migration case
E2E_CASE_DIR=		# its run directory, with every log of it
E2E_CASE_KEPT=		# where its logs go, once one of its checks failed
E2E_TRACE=/dev/null	# the case's trace: channel and QMP exchanges
E2E_CASE_START_MS=0
FAILED_CHECKS=()

# result() - print one check's result line and count it
# $1:	ok, FAIL or skip
# $2:	name of the check
# $3:	detail (optional): why it was skipped, what failed, a figure; its
#	line breaks are printed as "; "
result() {
	local detail="${3:-}"

	detail="${detail//$'\n'/; }"
	case "$1" in
	ok)	E2E_PASSED=$((E2E_PASSED + 1)) ;;
	FAIL)	E2E_FAILED=$((E2E_FAILED + 1)) ;;
	skip)	E2E_SKIPPED=$((E2E_SKIPPED + 1)) ;;
	esac
	if [ "$1" = skip ]; then
		echo "skip: $2${detail:+: ${detail}}"
	else
		echo "$1 $2${detail:+: ${detail}}"
	fi
	trace "result $1 $2"
	[ "$1" = FAIL ] && case_failed "$2"
	return 0
}

# trace() - add a line to the case's trace, with the time since it began
# $*:	what happened
trace() {
	echo "$(($(now_ms) - E2E_CASE_START_MS)) ms: $*" >>"${E2E_TRACE}"
}

# case_begin() - a case starts: its checks' logs go to one directory
# $1:	case name
# $2:	its run directory (made here)
case_begin() {
	E2E_CASE="$1"
	E2E_CASE_DIR="$2"
	E2E_CASE_KEPT=
	E2E_CASE_START_MS="$(now_ms)"
	mkdir -p "$2"
	E2E_TRACE="$2/trace.log"
	: >"${E2E_TRACE}"
}

# case_failed() - a check of the case failed: say where its logs will be
# $1:	the check's name
case_failed() {
	[ -n "${E2E_CASE_DIR}" ] || return 0
	[ -z "${E2E_CASE_KEPT}" ] &&
		E2E_CASE_KEPT="$(evidence_reserve "e2e ${E2E_CASE}")"
	[ -n "${E2E_CASE_KEPT}" ] &&
		echo "    logs kept in ${E2E_CASE_KEPT} (at the end of the case)"
	FAILED_CHECKS+=("$1")
}

# case_end() - the case is over, its processes stopped: if a check failed,
# keep its logs (daemons, QEMU, consoles, trace) where case_failed() said
case_end() {
	local check

	if [ -n "${E2E_CASE_KEPT}" ]; then
		for check in "${FAILED_CHECKS[@]}"; do
			# shellcheck disable=SC2046 # no spaces in these paths
			evidence_fill "${check}" "${E2E_CASE_KEPT}" \
				"${E2E_CASE_DIR}" \
				$(find "${E2E_CASE_DIR}" -name passt.log) \
				"${E2E_CASE_DIR}/trace.log"
		done
	fi
	FAILED_CHECKS=()
	E2E_CASE= E2E_CASE_DIR= E2E_CASE_KEPT= E2E_TRACE=/dev/null
}

# summary() - print the closing line of the run
# Return: 0 if nothing failed, 1 otherwise
summary() {
	echo "e2e: ${E2E_PASSED} passed, ${E2E_FAILED} failed, ${E2E_SKIPPED} skipped"
	[ "${E2E_FAILED}" -eq 0 ]
}

# now_ms() - print the wall-clock time in milliseconds
now_ms() {
	local t="${EPOCHREALTIME/./}"

	echo $((t / 1000))
}

# proc_start() - start a command in the background, remember its PID
# $1:	log file for its stdout and stderr
# $@:	the command (after shift)
# Sets STARTED_PID. An `ip netns exec` command keeps its PID when it execs.
proc_start() {
	local log="$1"

	shift
	"$@" </dev/null >"${log}" 2>&1 &
	STARTED_PID=$!
	E2E_PIDS+=("${STARTED_PID}")
}

# proc_alive() - true if process $1 is running
proc_alive() {
	kill -0 "$1" 2>/dev/null
}

# proc_wait_exit() - wait for a process to exit by itself
# $1:	PID
# $2:	timeout, seconds
# Return: 0 once it is gone, 1 on timeout
proc_wait_exit() {
	local deadline=$(($(now_ms) + $2 * 1000))

	while proc_alive "$1"; do
		[ "$(now_ms)" -ge "${deadline}" ] && return 1
		sleep 0.1
	done
}

# proc_stop() - stop process $1: SIGTERM, then SIGKILL after 5 s, reap it
proc_stop() {
	local pid="$1"

	proc_alive "${pid}" || { wait "${pid}" 2>/dev/null; return 0; }
	kill -TERM "${pid}" 2>/dev/null
	proc_wait_exit "${pid}" 5 || kill -KILL "${pid}" 2>/dev/null
	wait "${pid}" 2>/dev/null
	return 0
}

# proc_stop_all() - stop every process started by proc_start(), newest first
proc_stop_all() {
	local i

	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		proc_stop "${E2E_PIDS[i]}"
	done
	E2E_PIDS=()
}

# wait_for() - wait until a shell condition holds
# $1:	timeout, seconds
# $2:	PID that must stay alive meanwhile, or 0
# $@:	the condition, a command (after two shifts)
# Return: 0 once it holds, 1 on timeout or if the process died
wait_for() {
	local deadline=$(($(now_ms) + $1 * 1000)) pid="$2"

	shift 2
	while ! "$@"; do
		[ "${pid}" != 0 ] && ! proc_alive "${pid}" && return 1
		[ "$(now_ms)" -ge "${deadline}" ] && return 1
		sleep 0.1
	done
}

# pipe_open() - create the FIFOs of a QEMU pipe chardev and open them
# $1:	chardev path (QEMU opens PATH.in and PATH.out)
# Sets PIPE_IN (write to QEMU) and PIPE_OUT (read from QEMU). Both are opened
# read-write, so that neither open blocks whatever QEMU has done so far.
pipe_open() {
	mkfifo "$1.in" "$1.out"
	exec {PIPE_IN}<>"$1.in"
	exec {PIPE_OUT}<>"$1.out"
}

# read_line() - read one line from a file descriptor within a deadline
# $1:	file descriptor
# $2:	deadline, from now_ms()
# Sets LINE, without any carriage return. Return: 0 on a line, 1 on timeout
read_line() {
	local left_ms=$(($2 - $(now_ms)))

	[ "${left_ms}" -le 0 ] && return 1
	IFS= read -r -t "$((left_ms / 1000)).$(printf '%03d' $((left_ms % 1000)))" \
		LINE <&"$1" || return 1
	LINE="${LINE//$'\r'/}"
}

# chan_open() - set up the guest's command channel before QEMU starts
# $1:	chardev path, given to QEMU as -chardev pipe,path=...
chan_open() {
	pipe_open "$1"
	CHAN_IN="${PIPE_IN}"
	CHAN_OUT="${PIPE_OUT}"
	CHAN_SEQ=0
}

# chan_close() - close the command channel's descriptors
chan_close() {
	exec {CHAN_IN}>&- {CHAN_OUT}<&-
}

# chan_wait_boot() - wait for the guest's @@E2E-BOOT line
# $1:	timeout, seconds
# $2:	QEMU's PID: if it exits, stop waiting
# Sets BOOT_LINE. Return: 0 when it arrived, 1 otherwise
chan_wait_boot() {
	local deadline=$(($(now_ms) + $1 * 1000))

	BOOT_LINE=
	while [ "$(now_ms)" -lt "${deadline}" ] && proc_alive "$2"; do
		read_line "${CHAN_OUT}" $(($(now_ms) + 1000)) || continue
		case "${LINE}" in
		@@E2E-BOOT*)	BOOT_LINE="${LINE}"; return 0 ;;
		esac
	done
	return 1
}

# guest_run() - run a shell command in the guest through the channel
# $1:	timeout, seconds, for the whole exchange
# $2:	the command, one line of busybox sh
# $3:	if given, the line goes in two halves, this many seconds apart
# Sets GUEST_OUT to its output. Return: its exit status, 255 on timeout
guest_run() {
	local deadline=$(($(now_ms) + $1 * 1000)) id cpu_qemu cpu_daemon line

	CHAN_SEQ=$((CHAN_SEQ + 1))
	id="${CHAN_SEQ}"
	GUEST_OUT=
	line="${id} $2"
	if [ -n "${3:-}" ]; then
		printf '%s' "${line:0:${#line} / 2}" >&"${CHAN_IN}"
		sleep "$3"
		line="${line:${#line} / 2}"
	fi
	printf '%s\n' "${line}" >&"${CHAN_IN}"
	trace "guest ${VM_CURRENT:-} > ${id} $2"
	cpu_qemu="$(proc_cpu "${QEMU_PID:-}")"
	cpu_daemon="$(proc_cpu "${DAEMON_PID:-}")"
	while read_line "${CHAN_OUT}" "${deadline}"; do
		trace "guest ${VM_CURRENT:-} < ${LINE}"
		case "${LINE}" in
		"@@E2E-END ${id} "*)	return "${LINE##* }" ;;
		@@E2E-END*)		;;	# a late answer to an older command
		*)	GUEST_OUT+="${GUEST_OUT:+$'\n'}${LINE}" ;;
		esac
	done
	trace "guest ${VM_CURRENT:-}: no answer to ${id} within $1 s; CPU ticks meanwhile: QEMU $(($(proc_cpu "${QEMU_PID:-}") - cpu_qemu)), daemon $(($(proc_cpu "${DAEMON_PID:-}") - cpu_daemon))"
	guest_diag
	return 255
}

# proc_cpu() - print the CPU time a process used so far, in clock ticks
# $1:	PID (0 if it is gone or not given)
proc_cpu() {
	local stat

	{ [ -n "$1" ] && read -r stat <"/proc/$1/stat"; } 2>/dev/null ||
		{ echo 0; return; }
	# shellcheck disable=SC2086 # the fields after "PID (name) "
	set -- ${stat##*) }
	echo $((${12} + ${13}))
}

# guest_diag() - after a command went unanswered: what the guest does now,
# into the trace (its load, its network counters, its processes); the
# answer also shows whether the unanswered command ended late
guest_diag() {
	local out="${GUEST_OUT}"

	[ "${GUEST_DIAG:-0}" = 1 ] && return
	GUEST_DIAG=1
	guest_run 20 'cat /proc/loadavg /proc/net/dev; ps; cat /proc/interrupts'
	GUEST_DIAG=0
	GUEST_OUT="${out}"
}

# qmp_open() - set up the QMP channel before QEMU starts
# $1:	chardev path, given to QEMU as -chardev pipe + -mon mode=control
qmp_open() {
	pipe_open "$1"
	QMP_IN="${PIPE_IN}"
	QMP_OUT="${PIPE_OUT}"
	QMP_READY=0
}

# qmp_close() - close the QMP channel's descriptors
qmp_close() {
	exec {QMP_IN}>&- {QMP_OUT}<&-
}

# qmp_cmd() - send one QMP command, wait for its answer
# $1:	timeout, seconds
# $2:	command name
# $3:	arguments, a JSON object (optional)
# Sets QMP_REPLY to the answer's line. Events met on the way are appended to
# QMP_EVENTS. Return: 0 on a "return" answer, 1 on "error" or timeout
qmp_cmd() {
	local deadline=$(($(now_ms) + $1 * 1000)) name="$2" args="${3:-}"

	if [ "${QMP_READY}" = 0 ] && [ "${name}" != qmp_capabilities ]; then
		qmp_cmd "$1" qmp_capabilities || return 1
		QMP_READY=1
	fi
	QMP_REPLY=
	printf '{"execute": "%s"%s}\n' "${name}" "${args:+, \"arguments\": ${args}}" \
		>&"${QMP_IN}"
	[ "${name}" != query-migrate ] && [ "${name}" != query-status ] &&
		trace "qmp ${VM_CURRENT:-} > ${name} ${args}"
	while read_line "${QMP_OUT}" "${deadline}"; do
		[ "${name}" != query-migrate ] && [ "${name}" != query-status ] &&
			trace "qmp ${VM_CURRENT:-} < ${LINE}"
		case "${LINE}" in
		'{"QMP"'*)	;;	# the greeting
		'{"return"'*)	QMP_REPLY="${LINE}"; return 0 ;;
		'{"error"'*)	QMP_REPLY="${LINE}"; return 1 ;;
		*'"event"'*)	QMP_EVENTS+="${LINE}"$'\n' ;;
		esac
	done
	return 1
}

# ns_host_add() - create a "host" namespace, linked to NS_PEER's bridge port
# $1:	namespace
# $2:	name of its link's end in NS_PEER (not on the bridge yet)
#
# The namespace has 192.0.2.1/24 and 2001:db8::1/64 on veth0, whose MAC
# address is HOST_LINK_MAC in every host namespace: the peer's neighbour
# entries stay right whichever of them is on the bridge. Default routes go
# through NS_PEER's 192.0.2.2 and 2001:db8::2; ping sockets are allowed to
# every group.
ns_host_add() {
	ip netns add "$1" || return 1
	ip -n "$1" link add veth0 address "${HOST_LINK_MAC}" type veth \
		peer name "$2" netns "${NS_PEER}" || return 1
	ip -n "$1" addr add 192.0.2.1/24 dev veth0
	ip -n "$1" addr add 2001:db8::1/64 dev veth0 nodad
	ip -n "$1" link set lo up
	ip -n "$1" link set veth0 up
	ip -n "${NS_PEER}" link set "$2" up
	ip -n "$1" route add default via 192.0.2.2
	ip -n "$1" -6 route add default via 2001:db8::2
	ip netns exec "$1" sysctl -qw net.ipv4.ping_group_range='0 2147483647'
	# `ip netns exec` shows this file as /etc/resolv.conf in the namespace
	mkdir -p "/etc/netns/$1"
	printf 'nameserver 192.0.2.2\nnameserver 2001:db8::2\n' \
		> "/etc/netns/$1/resolv.conf"
}

# ns_setup() - create the namespaces: NS_HOST (daemon, QEMU) and NS_PEER
#
# NS_PEER has a bridge, br0, with 192.0.2.2/24 and 2001:db8::2/64, and
# 198.51.100.1 and 2001:db8:1::1 on its loopback: servers there are reached
# through a routed link, not at the gateway's own address (which the daemon
# may map to the host). NS_HOST's link (see ns_host_add()) is on the bridge.
# A second host namespace, NS_HOST2 with the same addresses, can be added
# for migration (ns_host2_add()); peer_attach() chooses which one the
# bridge reaches.
ns_setup() {
	NS_HOST="passt-e2e-host-$$"
	NS_PEER="passt-e2e-peer-$$"
	ip netns add "${NS_PEER}" || return 1
	ip -n "${NS_PEER}" link set lo up
	ip -n "${NS_PEER}" link add br0 type bridge stp_state 0 \
		mcast_snooping 0 || return 1
	ip -n "${NS_PEER}" addr add 192.0.2.2/24 dev br0
	ip -n "${NS_PEER}" addr add 2001:db8::2/64 dev br0 nodad
	ip -n "${NS_PEER}" link set br0 up
	ip -n "${NS_PEER}" addr add 198.51.100.1/32 dev lo
	ip -n "${NS_PEER}" addr add 2001:db8:1::1/128 dev lo
	ns_host_add "${NS_HOST}" vhost0 || return 1
	ip -n "${NS_PEER}" link set vhost0 master br0
}

# ns_host2_add() - add NS_HOST2, a second host namespace, off the bridge
ns_host2_add() {
	NS_HOST2="passt-e2e-host2-$$"
	ns_host_add "${NS_HOST2}" vhost1
}

# peer_attach() - put one host namespace's link on NS_PEER's bridge, alone
# $1:	NS_HOST or NS_HOST2's name
#
# Moving the link is the network's switch-over at the end of a migration:
# the port that leaves takes its forwarding entries along, so the peer's
# next frames reach the host namespace that joined.
peer_attach() {
	local on=vhost0 off=vhost1

	[ "$1" = "${NS_HOST2:-}" ] && on=vhost1 && off=vhost0
	ip -n "${NS_PEER}" link set "${off}" nomaster 2>/dev/null
	ip -n "${NS_PEER}" link set "${on}" master br0
}

# port_listening() - true if a TCP socket listens on a port in a namespace
# $1:	namespace
# $2:	port
port_listening() {
	[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]
}

# ns_cleanup() - delete the namespaces ns_setup() and ns_host2_add() created
ns_cleanup() {
	local ns

	for ns in "${NS_HOST:-}" "${NS_HOST2:-}"; do
		[ -n "${ns}" ] || continue
		rm -rf "/etc/netns/${ns}"
		ip netns del "${ns}" 2>/dev/null
	done
	[ -n "${NS_PEER:-}" ] && ip netns del "${NS_PEER}" 2>/dev/null
	return 0
}

# vm_save() - keep the current QEMU's PID and channels under a name
# $1:	name, such as A or B
#
# The helpers above work on one QEMU at a time (QEMU_PID, the command
# channel, QMP); a migration has two: vm_save() and vm_load() switch.
vm_save() {
	local var

	for var in QEMU_PID CHAN_IN CHAN_OUT QMP_IN QMP_OUT QMP_READY; do
		declare -g "VM_$1_${var}=${!var}"
	done
}

# vm_load() - make a QEMU saved by vm_save() the current one
# $1:	its name
vm_load() {
	local var saved

	for var in QEMU_PID CHAN_IN CHAN_OUT QMP_IN QMP_OUT QMP_READY; do
		saved="VM_$1_${var}"
		declare -g "${var}=${!saved}"
	done
}
