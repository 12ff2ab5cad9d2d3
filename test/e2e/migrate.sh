#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/migrate.sh: live-migrate the e2e guest between two QEMUs
#
# Sourced by run.sh, after lib.sh. Each case boots the guest under QEMU A on
# daemon A, then starts daemon B and QEMU B (same command line, plus
# -incoming defer) and migrates with QMP over a UNIX socket. Both daemons
# run as nobody without any capability; passt-repair (root) does their
# TCP_REPAIR work: started on A's repair socket before the migration, and
# on B's directory before daemon B starts. While it migrates, the guest has
# TCP streams open, and each must go on, byte-exact, at its earlier rate
# (unless the stream version A writes carries no TCP connection).
# README.md lists the cases and what each checks.

MIG_CASES="${E2E_MIGRATE_CASES-same-ns own-ns older cancel refuse}"
MIG_TCP="${E2E_MIGRATE_TCP:-1}"
MIG_RATE="${E2E_MIGRATE_RATE:-1048576}"	# bytes/s, each way of each stream
# The "older" case writes this version, the one before the newest. Versions
# before MIG_TCP_VERSION carry no TCP connection: the case then checks that
# the source says so, and that new connections work on the target
MIG_OLDER_VERSION="${E2E_MIGRATE_OLDER_VERSION:-3}"
MIG_TCP_VERSION=3
# Margins, from what runs on this 2-core machine measured (TCG guest): a
# migration takes 0.9 to 1.2 s (QEMU's total-time), 60 s is 50 times that;
# a channel command answers in 20 to 40 ms, and each limit of a guest_run
# below is 10 s or more; the streams end within 1 s of the senders' stop,
# and streams_finish() gives them 20 s
MIG_WAIT_S=60		# the migration completes, fails or is cancelled
MIG_WARMUP_S=2		# streams settle before measuring
MIG_BEFORE_S=5		# measuring window before the migration
MIG_AFTER_S=10		# and after it, in two halves
MIG_MIN_PERCENT=25	# rate after, as a share of the rate before
MIG_CANCEL_AFTER_S=3	# migrate_cancel this long into a throttled migration
MIG_CANCEL_BANDWIDTH=1048576
MIG_FUTURE_VERSION=2147483647	# the relay announces this stream version
PATTERN_TIMEOUT_S=240
# The streams: guest -> peer, peer -> guest, and both ways on a connection
# from the peer to the forwarded port; the flows are their directions
FLOWS="out in fwd-up fwd-down"
SEED_OUT=11
SEED_IN=12
SEED_FWD_UP=13
SEED_FWD_DOWN=14
VM_CURRENT=
# Whom daemon B runs as: nobody, with passt-repair doing its TCP_REPAIR
# work, or root (bench_migrate.sh measures both)
MIG_USER=nobody

# vm_use() - make a QEMU saved by vm_save() current, saving the current one
# $1:	name
vm_use() {
	[ -n "${VM_CURRENT}" ] && vm_save "${VM_CURRENT}"
	vm_load "$1"
	VM_CURRENT="$1"
}

# vm_qmp() - send a QMP command to a QEMU by name; the current one stays
# $1:	name
# $@:	as qmp_cmd() (after a shift)
# Return: as qmp_cmd()
vm_qmp() {
	local cur="${VM_CURRENT}" rc

	vm_use "$1"
	shift
	qmp_cmd "$@"
	rc=$?
	vm_use "${cur}"
	return "${rc}"
}

# vm_quit() - quit a QEMU by name, close its channels, forget it
# $1:	name
vm_quit() {
	local cur="${VM_CURRENT}" pid="VM_$1_QEMU_PID"

	[ -n "${!pid:-}" ] || return 0
	vm_use "$1"
	qemu_stop
	VM_CURRENT=
	unset "${pid}"
	[ -n "${cur}" ] && [ "${cur}" != "$1" ] && vm_use "${cur}"
	return 0
}

# json_field() - print the value of a key in one line of JSON, unquoted
# $1:	text
# $2:	key (its last occurrence counts)
json_field() {
	echo "$1" | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# st_field() - print a field of an e2e-pattern status line
# $1:	status line, "state=... sent=N received=N ..."
# $2:	field name
st_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# streams_start() - open the three streams, wait until they all move
# $1:	check name
# $2:	run directory of the case
# $3:	peer address of the stream towards the guest (IPv6 if the guest has
#	an address)
# Sets G_PIDS (the guest's ends), P_PID_OUT, P_PID_IN, P_PID_FWD.
# Return: 0 when all are connected
streams_start() {
	local p=(ip netns exec "${NS_PEER}" "${E2E_CACHE}/e2e-pattern"
		 -t "${PATTERN_TIMEOUT_S}") g="e2e-pattern -t ${PATTERN_TIMEOUT_S}"
	local listening="netstat -ltn | grep -q \":${PORT_FORWARDED} \""

	proc_start "$2/out.log" "${p[@]}" -r "${SEED_OUT}" -f "$2/out.st" \
		listen "${PEER_ADDR4}" "${PORT_TO_PEER}"
	P_PID_OUT="${STARTED_PID}"
	proc_start "$2/in.log" "${p[@]}" -s "${SEED_IN}" -b "${MIG_RATE}" \
		-f "$2/in.st" listen "$3" "${PORT_FROM_PEER}"
	P_PID_IN="${STARTED_PID}"
	if ! wait_for 5 "${P_PID_OUT}" port_listening "${NS_PEER}" "${PORT_TO_PEER}" ||
	   ! wait_for 5 "${P_PID_IN}" port_listening "${NS_PEER}" "${PORT_FROM_PEER}"; then
		result FAIL "$1: TCP streams start" "the peer's servers did not start"
		return 1
	fi
	if ! guest_run 20 "${g} -s ${SEED_OUT} -b ${MIG_RATE} -f /tmp/out.st connect ${PEER_ADDR4} ${PORT_TO_PEER} >/tmp/out.log 2>&1 & echo \$!; ${g} -r ${SEED_IN} -f /tmp/in.st connect ${3} ${PORT_FROM_PEER} >/tmp/in.log 2>&1 & echo \$!; ${g} -s ${SEED_FWD_UP} -r ${SEED_FWD_DOWN} -b ${MIG_RATE} -f /tmp/fwd.st listen 0.0.0.0 ${PORT_FORWARDED} >/tmp/fwd.log 2>&1 & echo \$!; timeout 10 sh -c 'until ${listening}; do sleep 0.2; done'"; then
		result FAIL "$1: TCP streams start" "guest: ${GUEST_OUT}"
		return 1
	fi
	G_PIDS="$(echo "${GUEST_OUT}" | tr '\n' ' ')"
	proc_start "$2/fwd.log" "${p[@]}" -s "${SEED_FWD_DOWN}" \
		-r "${SEED_FWD_UP}" -b "${MIG_RATE}" -f "$2/fwd.st" \
		connect "${HOST_ADDR4}" "${PORT_FORWARDED}"
	P_PID_FWD="${STARTED_PID}"
	sleep "${MIG_WARMUP_S}"
	if ! streams_sample "$2" warm || ! streams_moving warm; then
		result FAIL "$1: TCP streams start" "$(streams_describe warm)"
		return 1
	fi
	result ok "$1: TCP streams start" "$(streams_describe warm)"
}

# streams_sample() - record what each flow's receiver has checked, now
# $1:	run directory of the case
# $2:	sample name
# Sets SAMPLE[name:FLOW] (bytes), SAMPLE[name:ms] and SAMPLE[name:state]
# (every status line). Return: 1 if the guest did not answer
streams_sample() {
	local in fwd p_out p_fwd

	# shellcheck disable=SC2016 # the guest's shell expands it
	guest_run 10 'echo "in: $(cat /tmp/in.st)"; echo "fwd: $(cat /tmp/fwd.st)"' ||
		return 1
	SAMPLE[$2:ms]="$(now_ms)"
	in="$(echo "${GUEST_OUT}" | sed -n 's/^in: //p')"
	fwd="$(echo "${GUEST_OUT}" | sed -n 's/^fwd: //p')"
	p_out="$(cat "$1/out.st" 2>/dev/null)"
	p_fwd="$(cat "$1/fwd.st" 2>/dev/null)"
	SAMPLE[$2:in]="$(st_field "${in}" received)"
	SAMPLE[$2:fwd-down]="$(st_field "${fwd}" received)"
	SAMPLE[$2:out]="$(st_field "${p_out}" received)"
	SAMPLE[$2:fwd-up]="$(st_field "${p_fwd}" received)"
	SAMPLE[$2:state]="guest in: ${in}; guest fwd: ${fwd}; peer out: ${p_out}; peer fwd: ${p_fwd}"
}

# streams_moving() - true if every flow has received something by a sample
# $1:	sample name
streams_moving() {
	local flow

	for flow in ${FLOWS}; do
		[ "${SAMPLE[$1:${flow}]:-0}" -gt 0 ] || return 1
	done
}

# streams_describe() - print each flow's byte count in a sample
# $1:	sample name
streams_describe() {
	local flow text=

	for flow in ${FLOWS}; do
		text+="${flow} ${SAMPLE[$1:${flow}]:-none}, "
	done
	echo "${text%, } bytes"
}

# flow_rate() - print a flow's rate between two samples, bytes/s
# $1:	flow
# $2:	first sample
# $3:	second sample
flow_rate() {
	local t0="${SAMPLE[$2:ms]:-0}" t1="${SAMPLE[$3:ms]:-0}"
	local b0="${SAMPLE[$2:$1]:-0}" b1="${SAMPLE[$3:$1]:-0}" ms bytes

	ms=$((t1 - t0))
	bytes=$((b1 - b0))
	[ "${ms}" -gt 0 ] || ms=1
	echo $((bytes * 1000 / ms))
}

# streams_check_rates() - every flow moves after as it did before
# $1:	check name
#
# Samples "before0" and "before1" frame the rate before; "after0",
# "after1", "after2" frame two halves of the window after. A flow passes if
# over the whole window after, and over its second half alone, it moved at
# MIG_MIN_PERCENT % of its rate before or more: a stream that stalls, even
# late, fails, and no fixed figure is assumed. TCG makes rates vary with
# the machine's load, hence the margin.
streams_check_rates() {
	local flow before after late

	for flow in ${FLOWS}; do
		before="$(flow_rate "${flow}" before0 before1)"
		after="$(flow_rate "${flow}" after0 after2)"
		late="$(flow_rate "${flow}" after1 after2)"
		if [ "${before}" -gt 0 ] &&
		   [ $((after * 100)) -ge $((before * MIG_MIN_PERCENT)) ] &&
		   [ $((late * 100)) -ge $((before * MIG_MIN_PERCENT)) ]; then
			result ok "$1: TCP ${flow} keeps its rate" \
				"$((before / 1024)) KiB/s before, $((after / 1024)) KiB/s after ($((late / 1024)) KiB/s in the last $((MIG_AFTER_S / 2)) s)"
		else
			result FAIL "$1: TCP ${flow} keeps its rate" \
				"$((before / 1024)) KiB/s before, $((after / 1024)) KiB/s after ($((late / 1024)) KiB/s in the last $((MIG_AFTER_S / 2)) s), less than ${MIG_MIN_PERCENT} %; ${SAMPLE[after2:state]}"
		fi
	done
}

# streams_measure() - take the samples around a window
# $1:	run directory
# $2:	"before" or "after"
# Return: 1 if the guest did not answer
streams_measure() {
	if [ "$2" = before ]; then
		streams_sample "$1" before0 || return 1
		sleep "${MIG_BEFORE_S}"
		streams_sample "$1" before1
		return
	fi
	streams_sample "$1" after0 || return 1
	sleep $((MIG_AFTER_S / 2))
	streams_sample "$1" after1 || return 1
	sleep $((MIG_AFTER_S / 2))
	streams_sample "$1" after2
}

# flow_check() - one flow's bytes all arrived, each as sent
# $1:	check name
# $2:	flow
# $3:	sender's final status line
# $4:	receiver's final status line
flow_check() {
	local sent received

	sent="$(st_field "$3" sent)"
	received="$(st_field "$4" received)"
	if [ "$(st_field "$3" state)" = "done" ] &&
	   [ "$(st_field "$4" state)" = "done" ] &&
	   [ -n "${sent}" ] && [ "${sent}" = "${received}" ]; then
		result ok "$1: TCP ${2} byte-exact" \
			"${sent} bytes sent, each received and checked"
	else
		result FAIL "$1: TCP ${2} byte-exact" "sender: $3; receiver: $4"
	fi
}

# streams_finish() - stop the senders, wait for the ends, check every byte
# $1:	check name
# $2:	run directory of the case
#
# Every end has 20 s in all to see its peer's end of stream.
streams_finish() {
	local deadline=$(($(now_ms) + 20000)) g p_out p_in p_fwd pid

	guest_run 10 "kill -USR1 ${G_PIDS}"
	kill -USR1 "${P_PID_IN}" "${P_PID_FWD}" 2>/dev/null
	for pid in "${P_PID_OUT}" "${P_PID_IN}" "${P_PID_FWD}"; do
		proc_wait_exit "${pid}" $(((deadline - $(now_ms)) / 1000 + 1))
	done
	guest_run 25 "timeout $(((deadline - $(now_ms)) / 1000 + 1)) sh -c 'while grep -q state=running /tmp/out.st /tmp/in.st /tmp/fwd.st; do sleep 0.2; done' >/dev/null 2>&1; for f in out in fwd; do echo \"\${f}: \$(cat /tmp/\${f}.st)\"; done"
	g="${GUEST_OUT}"
	p_out="$(cat "$2/out.st" 2>/dev/null)"
	p_in="$(cat "$2/in.st" 2>/dev/null)"
	p_fwd="$(cat "$2/fwd.st" 2>/dev/null)"
	flow_check "$1" out "$(echo "${g}" | sed -n 's/^out: //p')" "${p_out}"
	flow_check "$1" in "${p_in}" "$(echo "${g}" | sed -n 's/^in: //p')"
	flow_check "$1" fwd-up "$(echo "${g}" | sed -n 's/^fwd: //p')" "${p_fwd}"
	flow_check "$1" fwd-down "${p_fwd}" "$(echo "${g}" | sed -n 's/^fwd: //p')"
}

# mig_wait() - follow the migration on A until it ends
# $1:	mode: success, cancel (migrate_cancel half-way) or refuse
# $2:	network namespace to switch the peer's link to once it completes
# Sets MIG_STATUS, MIG_REPLY (the last query-migrate answer) and
# MIG_CANCELLED_AT (what was transferred when cancelled). Return: 1 if it
# did not end in time
mig_wait() {
	local deadline=$(($(now_ms) + MIG_WAIT_S * 1000)) start cancelled=0

	start="$(now_ms)"
	MIG_CANCELLED_AT=
	while [ "$(now_ms)" -lt "${deadline}" ]; do
		vm_qmp A 5 query-migrate || { sleep 0.1; continue; }
		MIG_REPLY="${QMP_REPLY}"
		MIG_STATUS="$(json_field "${QMP_REPLY}" status)"
		case "${MIG_STATUS}" in
		completed)
			peer_attach "$2"
			return 0 ;;
		failed|cancelled)
			return 0 ;;
		active)
			if [ "$1" = cancel ] && [ "${cancelled}" = 0 ] &&
			   [ $(($(now_ms) - start)) -ge $((MIG_CANCEL_AFTER_S * 1000)) ]; then
				MIG_CANCELLED_AT="$(json_field "${QMP_REPLY}" transferred) bytes transferred, $(json_field "${QMP_REPLY}" remaining) remaining"
				vm_qmp A 5 migrate_cancel
				cancelled=1
			fi ;;
		esac
		sleep 0.1
	done
	return 1
}

# daemon_share() - print a daemon's own timing line of the transfer
# $1:	daemon log
# $2:	side: source or target
daemon_share() {
	local line

	line="$(grep -o "migrate: $2: complete, .*" "$1" | tail -1)"
	echo "${line:-no timing line in its log}"
}

# mig_target_start() - start B: helper (unless MIG_USER is root), daemon,
#		      QEMU waiting for the state
# $1:	check name
# $2:	run directory of the case
# $3:	network namespace of B
# $4:	URI QEMU B listens on
# $@:	more options for daemon B (after four shifts)
# Return: 0 once QEMU B listens for the migration
mig_target_start() {
	local seq="${CHAN_SEQ}"

	[ "${MIG_USER}" != root ] &&
		proc_start "$2/b/repair.log" ip netns exec "$3" ./passt-repair "$2/b"
	if ! daemon_start vhost-user "$2/b" "$3" "${MIG_USER}" "${@:5}"; then
		result FAIL "$1: daemon B listens" "no socket at ${SOCK}"
		show_log "$2/b/passt.log"
		return 1
	fi
	DAEMON_B_PID="${DAEMON_PID}"
	vm_save "${VM_CURRENT}"
	qemu_start vhost-user "$2/b" "$3" -incoming defer
	CHAN_SEQ="${seq}"
	vm_save B
	vm_load "${VM_CURRENT}"
	vm_qmp B 10 migrate-set-capabilities \
		'{"capabilities": [{"capability": "return-path", "state": true}]}' &&
	vm_qmp B 10 migrate-incoming "{\"uri\": \"$4\"}"
	if ! wait_for 10 "${VM_B_QEMU_PID}" test -S "${4#unix:}"; then
		result FAIL "$1: QEMU B waits for the migration" "${QMP_REPLY}"
		show_log "$2/b/qemu.log"
		return 1
	fi
}

# mig_migrate() - migrate A to B, follow it, report its figures
# $1:	check name
# $2:	run directory of the case
# $3:	mode: success, cancel or refuse
# $4:	URI QEMU A migrates to
# $5:	network namespace of B (the peer's link moves there on success)
# Return: 0 if the migration ended as the mode wants
mig_migrate() {
	local params='{"capabilities": [{"capability": "return-path", "state": true}]}'
	local figures want=completed

	vm_qmp A 10 migrate-set-capabilities "${params}"
	[ "$3" = cancel ] && want=cancelled &&
		vm_qmp A 10 migrate-set-parameters \
			"{\"max-bandwidth\": ${MIG_CANCEL_BANDWIDTH}}"
	[ "$3" = refuse ] && want=failed
	if ! vm_qmp A 10 migrate "{\"uri\": \"$4\"}"; then
		result FAIL "$1: migrate" "${QMP_REPLY}"
		return 1
	fi
	if ! mig_wait "$3" "$5"; then
		result FAIL "$1: migration ends" "still ${MIG_STATUS:-unknown} after ${MIG_WAIT_S} s: ${MIG_REPLY}"
		return 1
	fi
	if [ "${MIG_STATUS}" != "${want}" ]; then
		result FAIL "$1: migration ${want}" "${MIG_STATUS}: ${MIG_REPLY}"
		show_log "$2/a/qemu.log" 5
		show_log "$2/b/qemu.log" 5
		show_log "$2/a/passt.log" 10
		show_log "$2/b/passt.log" 10
		return 1
	fi
	case "$3" in
	success)
		figures="QEMU downtime $(json_field "${MIG_REPLY}" downtime) ms, total $(json_field "${MIG_REPLY}" total-time) ms; daemon A: $(daemon_share "$2/a/passt.log" source); daemon B: $(daemon_share "$2/b/passt.log" target)"
		;;
	cancel)
		figures="cancelled at ${MIG_CANCELLED_AT}"
		;;
	refuse)
		figures="$(grep -o 'migrate: target: .*no common version.*' \
			   "$2/b/passt.log" | tail -1)"
		if [ -z "${figures}" ]; then
			result FAIL "$1: daemon B refuses the stream" "it did not; daemon A: $(grep -o 'migrate: source: .*' "$2/a/passt.log" | tail -1)"
			return 1
		fi
		;;
	esac
	result ok "$1: migration ${want}" "${figures}"
}

# mig_running() - the guest runs on a QEMU and answers its channel
# $1:	check name
# $2:	QEMU's name, A or B
mig_running() {
	local deadline=$(($(now_ms) + 20000)) status=

	while [ "$(now_ms)" -lt "${deadline}" ]; do
		vm_qmp "$2" 5 query-status &&
			status="$(json_field "${QMP_REPLY}" status)"
		[ "${status}" = running ] && break
		sleep 0.1
	done
	vm_use "$2"
	if [ "${status}" = running ] &&
	   guest_run 10 "echo channel-\$((6 * 7))" &&
	   [ "${GUEST_OUT}" = channel-42 ]; then
		result ok "$1: guest runs on $2"
		return 0
	fi
	result FAIL "$1: guest runs on $2" "status ${status:-unknown}, channel: '${GUEST_OUT}'"
	return 1
}

# mig_guest_net() - the guest's network works: DHCP again, pings
# $1:	check name
mig_guest_net() {
	local addr

	guest_run 30 "udhcpc -i eth0 -s /etc/udhcpc.script -O mtu -f -q -n -t 5 -T 2 >/dev/null 2>&1; echo dhcp=\$?; ip -4 -o addr show dev eth0"
	addr="$(echo "${GUEST_OUT}" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p')"
	if [[ "${GUEST_OUT}" == *dhcp=0* ]] && [ "${addr}" = "${HOST_ADDR4}" ]; then
		result ok "$1: DHCP" "${addr}"
	else
		result FAIL "$1: DHCP" "${GUEST_OUT}"
	fi
	check_ping "$1" 4
	check_ping "$1" 6
}

# mig_source_quit() - the guest left: QEMU A quits; daemon A exits if it
#		     has --migrate-exit, and stays if it has --one-off (its
#		     frozen sockets stay silent, it does not follow QEMU A)
# $1:	check name
# $2:	run directory of the case
mig_source_quit() {
	local opts=" ${MIG_OPTS_A[*]} " what
	local gone="vhost-user: front-end disconnected"

	vm_quit A
	if [[ "${opts}" == *" --migrate-exit "* ]]; then
		what="$1: daemon A exits (--migrate-exit)"
		if proc_wait_exit "${DAEMON_A_PID}" 10; then
			result ok "${what}"
		else
			result FAIL "${what}" "still running 10 s after QEMU A quit"
		fi
	fi
	[[ "${opts}" == *" --one-off "* ]] || return 0
	what="$1: daemon A stays when QEMU A quits (--one-off, migrated away)"
	# With --one-off, the exit follows the disconnection in the same turn
	# of the loop: a second after the line, the daemon ran far past it
	if wait_for 10 "${DAEMON_A_PID}" grep -q "${gone}" "$2/a/passt.log" &&
	   ! proc_wait_exit "${DAEMON_A_PID}" 1; then
		result ok "${what}"
	else
		result FAIL "${what}" "$(tail -n 3 "$2/a/passt.log")"
	fi
}

# mig_not_carried() - A wrote a stream version without TCP connections: it
#		      must say so; the streams open while it migrated end
# $1:	check name
# $2:	run directory of the case
mig_not_carried() {
	local what="$1: daemon A says its TCP connections are not carried"
	local line state pid

	line="$(grep -o 'migrate: source: .*TCP connections cannot be carried.*' \
		"$2/a/passt.log" | tail -1)"
	if [ -n "${line}" ]; then
		result ok "${what}" "${line}"
	else
		result FAIL "${what}" "no such line in its log"
	fi
	streams_sample "$2" gone
	state="${SAMPLE[gone:state]:-the guest does not answer}"
	guest_run 10 "kill ${G_PIDS}"
	for pid in "${P_PID_OUT}" "${P_PID_IN}" "${P_PID_FWD}"; do
		proc_stop "${pid}"
	done
	result skip "$1: TCP streams across the migration" "version ${MIG_OLDER_VERSION} carries no TCP connection (by design, doc/migration.md): the streams open while it migrated were not carried, and are stopped unchecked; their ends: ${state}"
}

# mig_case_opts() - set the options and the mode of a case
# $1:	case
# Sets MIG_MODE, MIG_NS_B, MIG_TCP_CASE, MIG_CARRIED (0 if the stream A
# writes carries no TCP connection), MIG_RST_GUARD, MIG_OPTS_A and
# MIG_OPTS_B. Return: 1 for an unknown case
#
# In one namespace (same-ns, older), A must close its frozen sockets before
# B can connect the same addresses (--migrate-no-linger): between the two,
# no socket owns them, and the kernel would answer a peer's segment with a
# reset; the case drops those (MIG_RST_GUARD, see rst_guard_add()).
mig_case_opts() {
	MIG_MODE=success
	MIG_NS_B="${NS_HOST}"
	MIG_TCP_CASE="${MIG_TCP}"
	MIG_CARRIED=1
	MIG_RST_GUARD=0
	MIG_OPTS_A=(-t "${PORT_FORWARDED}")
	# Sharing NS_HOST, B cannot listen on the port A forwards
	MIG_OPTS_B=()
	case "$1" in
	same-ns)	MIG_OPTS_A+=(--migrate-exit --migrate-no-linger)
			MIG_RST_GUARD=1 ;;
	own-ns)		MIG_NS_B="${NS_HOST2}"
			MIG_OPTS_A+=(--one-off)
			MIG_OPTS_B=(-t "${PORT_FORWARDED}") ;;
	older)		MIG_OPTS_A+=(--migrate-version "${MIG_OLDER_VERSION}"
				     --migrate-no-linger)
			MIG_RST_GUARD=1
			[ "${MIG_OLDER_VERSION}" -ge "${MIG_TCP_VERSION}" ] ||
				MIG_CARRIED=0 ;;
	cancel)		MIG_MODE=cancel ;;
	refuse)		MIG_MODE=refuse ;;
	*)		return 1 ;;
	esac
}

# mig_case_run() - run one migration case (see mig_case())
# $1:	check name
# $2:	case
# $3:	run directory of the case
mig_case_run() {
	local name="$1" dir="$3" uri="unix:$3/migrate.sock" v6 on=B
	local relay="unix:$3/relay.sock"

	if ! daemon_start vhost-user "${dir}/a" "${NS_HOST}" nobody \
		"${MIG_OPTS_A[@]}"; then
		result FAIL "${name}: daemon A listens" "no socket at ${SOCK}"
		show_log "${dir}/a/passt.log"
		return 1
	fi
	DAEMON_A_PID="${DAEMON_PID}"
	proc_start "${dir}/a/repair.log" ip netns exec "${NS_HOST}" \
		./passt-repair "${SOCK}.repair"
	qemu_start vhost-user "${dir}/a" "${NS_HOST}"
	VM_CURRENT=A
	vm_save A
	check_boot "${name}" "${dir}/a" || return 1
	if check_ipv6 "${name}"; then
		v6="${PEER_ADDR6}"
	else
		v6="${PEER_ADDR4}"
	fi

	if [ "${MIG_TCP_CASE}" = 1 ]; then
		streams_start "${name}" "${dir}" "${v6}" || return 1
		streams_measure "${dir}" before || return 1
	fi

	mig_target_start "${name}" "${dir}" "${MIG_NS_B}" "${uri}" \
		"${MIG_OPTS_B[@]}" || return 1
	if [ "${MIG_MODE}" = refuse ]; then
		proc_start "${dir}/relay.log" "${E2E_CACHE}/e2e-relay" \
			-v "${MIG_FUTURE_VERSION}" -t "${MIG_WAIT_S}" \
			"${relay#unix:}" "${uri#unix:}"
		wait_for 5 "${STARTED_PID}" test -S "${relay#unix:}"
		uri="${relay}"
	fi
	if [ "${MIG_RST_GUARD}" = 1 ] && ! rst_guard_add "${NS_HOST}"; then
		result FAIL "${name}: reset guard" "nft did not take its rule"
		return 1
	fi
	mig_migrate "${name}" "${dir}" "${MIG_MODE}" "${uri}" \
		"${MIG_NS_B}" || return 1
	[ "${MIG_MODE}" != success ] && on=A
	mig_running "${name}" "${on}" || return 1
	[ "${MIG_RST_GUARD}" = 1 ] &&
		echo "note ${name}: $(rst_guard_del "${NS_HOST}") resets of the host namespace's kernel dropped while no socket owned the moving connections"
	[ "${on}" = B ] && mig_source_quit "${name}" "${dir}"

	if [ "${MIG_TCP_CASE}" = 1 ] && [ "${MIG_CARRIED}" = 0 ]; then
		mig_not_carried "${name}" "${dir}"
	elif [ "${MIG_TCP_CASE}" = 1 ]; then
		if streams_measure "${dir}" after; then
			streams_check_rates "${name}"
		else
			result FAIL "${name}: TCP streams after" "the guest does not answer"
		fi
		streams_finish "${name}" "${dir}"
	fi
	mig_guest_net "${name}"
	if [ "${MIG_CARRIED}" = 0 ]; then
		check_tcp_to_peer "${name}" "${dir}" "${PEER_ADDR4}"
		check_tcp_from_peer "${name}" "${dir}" "${v6}"
	fi
	if [ "${on}" = B ]; then
		DAEMON_PID="${DAEMON_B_PID}"
		check_daemon_alive "${name} (B)" "${dir}/b"
	else
		DAEMON_PID="${DAEMON_A_PID}"
		check_daemon_alive "${name} (A)" "${dir}/a"
	fi
}

# mig_case() - one migration case, from fresh daemons and QEMUs
# $1:	case: same-ns (both daemons in NS_HOST; A with --migrate-exit),
#	own-ns (B in NS_HOST2, same addresses; A with --one-off), older (A
#	writes the previous version), cancel (migrate_cancel half-way),
#	refuse (B is offered a stream version newer than it knows)
mig_case() {
	local name="migrate $1" dir="${RUN_DIR}/migrate-$1" vm

	if ! mig_case_opts "$1"; then
		result FAIL "${name}" "unknown case"
		return
	fi
	case_begin "${name}" "${dir}"
	mkdir -p "${dir}/a" "${dir}/b"
	# The daemons, as nobody, create their sockets there
	chmod 0711 "${RUN_DIR}" "${dir}"
	chmod 0777 "${dir}/a" "${dir}/b"
	declare -gA SAMPLE=()
	VM_CURRENT=
	unset VM_A_QEMU_PID VM_B_QEMU_PID

	mig_case_run "${name}" "$1" "${dir}"
	[ "${MIG_TCP_CASE}" = 0 ] &&
		result skip "${name}: TCP streams" "E2E_MIGRATE_TCP=1 runs them"
	[ "${MIG_RST_GUARD}" = 1 ] && rst_guard_del "${NS_HOST}" >/dev/null

	for vm in A B; do
		vm_quit "${vm}"
	done
	VM_CURRENT=
	proc_stop_all
	[ "${MIG_NS_B}" != "${NS_HOST}" ] && peer_attach "${NS_HOST}"
	case_end
}

# run_migration() - every case of MIG_CASES
run_migration() {
	local c

	[ -z "${MIG_CASES}" ] && return
	if [[ " ${MIG_CASES} " == *" own-ns "* ]] && ! ns_host2_add; then
		result FAIL "migrate: second host namespace"
		return
	fi
	for c in ${MIG_CASES}; do
		mig_case "${c}"
	done
}
