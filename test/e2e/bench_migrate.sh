#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/bench_migrate.sh: what a live migration costs the guest
# and its connections, through real QEMU
#
# Usage: test/e2e/bench_migrate.sh	(from `make bench-migrate`, as root)
#
# For each daemon user and each number of connections, boots the e2e guest
# under QEMU A on daemon A, opens the connections from the guest to a peer
# namespace, each of them sending a few bytes every BENCH_PULSE_MS both ways
# (test/tools/tcp_traffic.c --pulse), and migrates the guest to QEMU B on
# daemon B, in a namespace of its own. Each row says:
#
#   pause	what the guest waits for: QEMU A's STOP event to QEMU B's
#		RESUME, from their QMP timestamps
#   downtime	QEMU's own figure (query-migrate)
#   x base	the pause against the run without connections, same user, same
#		invocation (the baseline); QEMU's own share of it varies from
#		run to run by tens of milliseconds
#   us/conn	both daemons' time inside the pause (A's and B's "complete"
#		figures), per connection, in µs
#   A, B	each daemon's own lines: A froze the sockets, read their
#		states and queues, completed (own work: the rest waited for
#		the channel); B made the sockets, wrote their queues, resumed
#		them, completed
#   stream	bytes of the device state
#   gaps	each connection's largest time between two receptions, at the
#		peer and in the guest, p50/p99/max: the pause it saw, plus at
#		most one pulse period; the same before the migration follows
#		the table (what the traffic itself does, for comparison)
#
# Users: root (TCP_REPAIR set directly) and nobody (passt-repair does it,
# the production path). Figures only: nothing here passes or fails on them.
#
# Environment:
#   BENCH_CONNS		connection counts (default "0 1000 10000")
#   BENCH_USERS		daemon users (default "root nobody")
#   BENCH_PULSE_MS	period of each connection's pulses (default: 5 s per
#			10,000 connections, at least 100 ms: 2,000 pulses a
#			second each way; at 10,000 a second the TCG guest
#			falls behind, and its gaps before the migration
#			already reach seconds)
#   E2E_KEEP		if set, keep the run directory with every log

set -u

cd "$(dirname "$0")/../.." || exit 1
. test/e2e/run.sh

BENCH_CONNS="${BENCH_CONNS:-0 1000 10000}"
BENCH_USERS="${BENCH_USERS:-root nobody}"
BENCH_PORT=10010
BENCH_SMALL=16		# bytes of each pulse
# Margins, from this 2-core machine (TCG guest): a whole 10,000-connection
# row (boot, connect, migrate, finish) takes under 90 s, so the guest's
# connections are ready well within BENCH_READY_S; the ends finish within
# a few seconds of SIGTERM, BENCH_END_S is ten times that
BENCH_READY_S=300
BENCH_WARMUP_S=3
BENCH_AFTER_S=5
BENCH_END_S=60
declare -A BASE_PAUSE=()
ROWS=()
BEFORE=()

# pulse_ms() - the pulse period for a number of connections
# $1:	connections
pulse_ms() {
	local period=$(($1 / 2))

	[ -n "${BENCH_PULSE_MS:-}" ] && period="${BENCH_PULSE_MS}"
	[ "${period}" -lt 100 ] && period=100
	echo "${period}"
}

# event_us() - when a QMP event was first seen, in µs of the host's clock
# $1:	event name
event_us() {
	local line

	line="$(grep -m1 "\"event\": *\"$1\"" <<<"${QMP_EVENTS}")" || return 1
	echo $(($(json_field "${line}" seconds) * 1000000 +
		10#$(json_field "${line}" microseconds)))
}

# traffic_start() - the peer listens, the guest connects, all are ready
# $1:	run directory
# $2:	connections
# Sets PEER_PID. Return: 0 once both ends say ready
traffic_start() {
	local tries=0 opts

	opts="--conns $2 --small ${BENCH_SMALL} --pulse $(pulse_ms "$2")"
	opts="${opts} --timeout $((BENCH_READY_S + 120))"
	# shellcheck disable=SC2086 # the options, one word each
	proc_start "$1/peer.log" ip netns exec "${NS_PEER}" build/tcp_traffic \
		listen "${PEER_ADDR4}" "${BENCH_PORT}" ${opts}
	PEER_PID="${STARTED_PID}"
	wait_for 10 "${PEER_PID}" grep -q listening "$1/peer.log" || return 1
	guest_run 10 "ulimit -n $(($2 + 1000)); e2e-traffic connect ${PEER_ADDR4} ${BENCH_PORT} ${opts} >/tmp/traffic.log 2>&1 & echo \$! >/tmp/traffic.pid" ||
		return 1
	while [ $((tries += 1)) -le "${BENCH_READY_S}" ]; do
		guest_run 10 "cat /tmp/traffic.log"
		[[ "${GUEST_OUT}" == *FAIL* ]] && break
		[[ "${GUEST_OUT}" == *ready* ]] &&
			grep -q ready "$1/peer.log" && return 0
		sleep 1
	done
	echo "bench: not ready: guest: ${GUEST_OUT}; peer: $(tail -n 2 "$1/peer.log")"
	return 1
}

# gaps_of() - print the p50/p99/max gaps from a tcp_traffic report
# $1:	its output
# $2:	"gaps" (across the migration) or "gaps before"
gaps_of() {
	sed -n "s/.*$2: .* p50 \([0-9]*\) ms, p99 \([0-9]*\) ms, max \([0-9]*\) ms/\1\/\2\/\3/p" <<<"$1"
}

# traffic_end() - both ends finish, check every byte and report their gaps
# $1:	run directory
# Sets GAPS_PEER and GAPS_GUEST. Return: 0 if both ended as expected
traffic_end() {
	local tries=0

	kill -TERM "${PEER_PID}"
	# shellcheck disable=SC2016 # expanded in the guest
	guest_run 10 'kill -TERM $(cat /tmp/traffic.pid)'
	while [ $((tries += 1)) -le "${BENCH_END_S}" ]; do
		guest_run 10 "cat /tmp/traffic.log"
		[[ "${GUEST_OUT}" == *"done: "* || "${GUEST_OUT}" == *FAIL* ]] &&
			break
		sleep 1
	done
	proc_wait_exit "${PEER_PID}" "${BENCH_END_S}"
	GAPS_GUEST="$(gaps_of "${GUEST_OUT}" gaps)"
	GAPS_PEER="$(gaps_of "$(cat "$1/peer.log")" gaps)"
	BEFORE_GUEST="$(gaps_of "${GUEST_OUT}" "gaps before")"
	BEFORE_PEER="$(gaps_of "$(cat "$1/peer.log")" "gaps before")"
	if [[ "${GUEST_OUT}" != *"all as expected"* ]] ||
	   ! grep -q "all as expected" "$1/peer.log"; then
		echo "bench: traffic: guest: ${GUEST_OUT}; peer: $(tail -n 3 "$1/peer.log")"
		return 1
	fi
}

# fig() - print one figure from a daemon's log, "-" if it has none
# $1:	log
# $2:	sed expression of the line, the figure as \1
fig() {
	local v

	v="$(sed -n "s/.*migrate: $2.*/\1/p" "$1" | tail -1)"
	echo "${v:--}"
}

# bench_row() - print and keep one row of results: see the top of the file
# $1:	user
# $2:	connections
# $3:	run directory
# $4:	pause, µs
bench_row() {
	local a="$3/a/passt.log" b="$3/b/passt.log" per=- ratio=- row
	local ms='\([0-9.]*\) ms' a_ms b_ms

	a_ms="$(fig "${a}" "source: complete, .* in ${ms} (own")"
	b_ms="$(fig "${b}" "target: complete, .* in ${ms} (own")"
	[ "$2" = 0 ] && BASE_PAUSE[$1]="$4"
	[ -n "${BASE_PAUSE[$1]:-}" ] && [ "${BASE_PAUSE[$1]}" -gt 0 ] &&
		ratio="$(awk "BEGIN { printf \"%.2f\", $4 / ${BASE_PAUSE[$1]} }")"
	[ "$2" != 0 ] && [ "${a_ms}" != - ] && [ "${b_ms}" != - ] &&
		per="$(awk "BEGIN { printf \"%.1f\", (${a_ms} + ${b_ms}) * 1000 / $2 }")"
	row="$(printf '%-6s %6s %6d %6s %6s %6s | %6s %6s %6s %6s %6s | %6s %6s %6s %6s %6s | %9s | %-12s %-12s' \
		"$1" "$2" $(($4 / 1000)) \
		"$(json_field "${MIG_REPLY}" downtime)" "${ratio}" "${per}" \
		"$(fig "${a}" "source: .* frozen in ${ms}")" \
		"$(fig "${a}" "source: .* kernel states read in ${ms}")" \
		"$(fig "${a}" "source: .* written: .*, queues in ${ms}")" \
		"${a_ms}" \
		"$(fig "${a}" "source: complete, .*(own work ${ms})")" \
		"$(fig "${b}" "target: .*(sockets made in ${ms},")" \
		"$(fig "${b}" "target: .*queues written in ${ms})")" \
		"$(fig "${b}" "target: .* restored, resumed in ${ms}")" \
		"${b_ms}" \
		"$(fig "${b}" "target: complete, .*(own work ${ms})")" \
		"$(fig "${a}" "source: complete, \([0-9]*\) bytes")" \
		"${GAPS_PEER:--}" "${GAPS_GUEST:--}")"
	echo "bench: ${row}"
	ROWS+=("${row}")
	[ "$2" = 0 ] && return 0
	BEFORE+=("$(printf '%-6s %6s | before the migration: gaps peer %s, guest %s' \
		"$1" "$2" "${BEFORE_PEER:--}" "${BEFORE_GUEST:--}")")
}

# bench_run() - boot, connect, migrate and measure one row
# $1:	user
# $2:	connections
# $3:	run directory
# Return: 0 if the row was measured
bench_run() {
	local name="bench $1 $2" dir="$3" uri="unix:$3/migrate.sock" stop resume

	GAPS_PEER=""
	GAPS_GUEST=""
	BEFORE_PEER=""
	BEFORE_GUEST=""
	if ! daemon_start vhost-user "${dir}/a" "${NS_HOST}" "$1" --one-off; then
		echo "bench: daemon A does not listen"
		return 1
	fi
	[ "$1" != root ] && proc_start "${dir}/a/repair.log" \
		ip netns exec "${NS_HOST}" ./passt-repair "${SOCK}.repair"
	qemu_start vhost-user "${dir}/a" "${NS_HOST}"
	VM_CURRENT=A
	vm_save A
	check_boot "${name}" "${dir}/a" || return 1
	if [ "$2" != 0 ]; then
		traffic_start "${dir}" "$2" || return 1
	fi
	sleep "${BENCH_WARMUP_S}"
	if [ "$2" != 0 ]; then
		# Gaps until now are the traffic's own, without a migration
		kill -USR1 "${PEER_PID}"
		# shellcheck disable=SC2016 # expanded in the guest
		guest_run 10 'kill -USR1 $(cat /tmp/traffic.pid)'
	fi

	MIG_USER="$1"
	mig_target_start "${name}" "${dir}" "${NS_HOST2}" "${uri}" || return 1
	QMP_EVENTS=
	mig_migrate "${name}" "${dir}" success "${uri}" "${NS_HOST2}" ||
		return 1
	vm_qmp A 5 query-status
	mig_running "${name}" B || return 1
	if ! stop="$(event_us STOP)" || ! resume="$(event_us RESUME)"; then
		echo "bench: no STOP or RESUME event: ${QMP_EVENTS}"
		return 1
	fi
	sleep "${BENCH_AFTER_S}"
	if [ "$2" != 0 ]; then
		traffic_end "${dir}" || return 1
	fi
	bench_row "$1" "$2" "${dir}" $((resume - stop))
}

# bench_one() - one row, from fresh daemons and QEMUs, then clean up
# $1:	user
# $2:	connections
bench_one() {
	local dir="${RUN_DIR}/$1-$2" vm

	mkdir -p "${dir}/a" "${dir}/b"
	# The daemons, as nobody, create their sockets there
	chmod 0711 "${RUN_DIR}" "${dir}"
	chmod 0777 "${dir}/a" "${dir}/b"
	VM_CURRENT=
	unset VM_A_QEMU_PID VM_B_QEMU_PID
	bench_run "$1" "$2" "${dir}" ||
		ROWS+=("$(printf '%-6s %6s  not measured: see %s' "$1" "$2" "${dir}")")
	for vm in A B; do
		vm_quit "${vm}"
	done
	VM_CURRENT=
	proc_stop_all
	peer_attach "${NS_HOST}"
}

# bench_main() - set up as the e2e tests do, run every row, print the table
bench_main() {
	local user n row

	trap cleanup EXIT
	trap 'exit 1' INT TERM
	E2E_KEEP="${E2E_KEEP:-}"
	if [ "$(id -u)" != 0 ]; then
		echo "bench-migrate: needs root (namespaces, QEMU, packages)"
		exit 1
	fi
	test/e2e/setup.sh "${E2E_CACHE}" &&
		test/e2e/initramfs.sh "${E2E_CACHE}/kernel" "${INITRAMFS}" ||
		exit 1
	RUN_DIR="$(mktemp -d /tmp/passt-bench.XXXXXX)"
	ns_setup && ns_host2_add || exit 1
	echo "bench-migrate: $(qemu-system-x86_64 --version | head -1), TCG guest, $(nproc) cores"
	for user in ${BENCH_USERS}; do
		for n in ${BENCH_CONNS}; do
			bench_one "${user}" "${n}"
		done
	done
	echo
	echo "bench-migrate: milliseconds, but x base, us/conn (µs) and the stream (bytes); gaps p50/p99/max ms"
	printf '%-6s %6s %6s %6s %6s %6s | %6s %6s %6s %6s %6s | %6s %6s %6s %6s %6s | %9s | %-12s %-12s\n' \
		user conns pause downtm "x base" us/conn \
		A:frz states queues total own \
		B:sock queues resume total own stream \
		"gaps peer" "gaps guest"
	for row in "${ROWS[@]}"; do
		echo "${row}"
	done
	for row in "${BEFORE[@]}"; do
		echo "${row}"
	done
	echo "pulses: one every BENCH_PULSE_MS ($(pulse_ms 1000) ms at 1000 connections, $(pulse_ms 10000) ms at 10000), so a gap is the pause a connection saw plus at most that"
}

bench_main
