#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/run.sh: boot a real Linux guest under QEMU on the daemon
#
# Usage: test/e2e/run.sh	(from `make e2e`, as root)
#
# Installs what it needs (setup.sh), builds the guest's initramfs, creates two
# network namespaces, and for each transport boots the guest under QEMU (TCG)
# in the "host" namespace with the daemon as its NIC, then checks from inside
# the guest: DHCP, ping to the gateway, IPv6 address, ping6 to the gateway,
# TCP streams to and from a server in the "peer" namespace and through a port
# the daemon forwards. Then it live-migrates the guest between two QEMU and
# daemon pairs (migrate.sh).
#
# Environment:
#   E2E_TRANSPORTS	transports to run (default "none stream vhost-user");
#			"none" boots without a NIC and checks the guest alone
#   E2E_MIGRATE_CASES	migration cases (default "same-ns own-ns older
#			cancel refuse"), see README.md
#   E2E_MIGRATE_TCP	if 1 (default), TCP streams across every migration case
#   E2E_MIGRATE_RATE	bytes/s of each direction of those streams (1 MiB)
#   E2E_BOOT_TIMEOUT	seconds allowed from QEMU's start to DHCP done (120)
#   E2E_KEEP		if set, keep the run directory with every log
#   E2E_DAEMON_OPTS	more options for the daemon (default -d: a failed
#			case keeps debug-level logs)

set -u

cd "$(dirname "$0")/../.." || exit 1
. test/e2e/lib.sh
. test/e2e/migrate.sh

E2E_CACHE="${E2E_CACHE:-${PWD}/build/e2e}"
KERNEL="${E2E_CACHE}/kernel/vmlinuz"
INITRAMFS="${E2E_CACHE}/initramfs.gz"
TRANSPORTS="${E2E_TRANSPORTS-none stream vhost-user}"
# The guest boots in 4.6 to 4.7 s here (TCG, idle or with one core busy):
# 120 s leaves room for a much slower machine
BOOT_TIMEOUT="${E2E_BOOT_TIMEOUT:-120}"
GUEST_MEM=256M
GUEST_MAC=52:54:00:e2:e2:01
HOST_LINK_MAC=02:e2:e2:00:00:01
HOST_ADDR4=192.0.2.1
PEER_ADDR4=198.51.100.1
PEER_ADDR6=2001:db8:1::1
TCP_BYTES=1048576
CHANNEL_ORPHAN_MS=300
PORT_TO_PEER=10001
PORT_FROM_PEER=10002
PORT_FORWARDED=10003
RUN_DIR=

# cleanup() - stop every process, delete the namespaces and the run directory
cleanup() {
	proc_stop_all
	ns_cleanup
	if [ -n "${RUN_DIR}" ]; then
		if [ -n "${E2E_KEEP:-}" ]; then
			echo "e2e: logs kept in ${RUN_DIR}"
		else
			rm -rf "${RUN_DIR}"
		fi
	fi
}

# show_log() - print the last lines of a log file, indented, for a failure
# $1:	log file
# $2:	number of lines (default 15)
show_log() {
	[ -s "$1" ] || return 0
	echo "    --- last lines of $(basename "$1") ---"
	tail -n "${2:-15}" "$1" | sed 's/^/    /'
}

# daemon_start() - start the daemon, wait for its socket
# $1:	transport: stream or vhost-user
# $2:	run directory of this daemon
# $3:	network namespace
# $4:	user to run it as: root, or nobody (no capabilities, no groups)
# $@:	more options (after four shifts), such as -t
# Sets DAEMON_PID and SOCK. Return: 0 once it listens, 1 otherwise
daemon_start() {
	local opts=() run=(ip netns exec "$3")

	[ "$1" = vhost-user ] && opts+=(--vhost-user)
	# shellcheck disable=SC2206
	opts+=(${E2E_DAEMON_OPTS:--d})
	[ "$4" != root ] && run+=(setpriv --reuid="$4" --regid=nogroup
				  --clear-groups --inh-caps=-all)
	SOCK="$2/passt.sock"
	proc_start "$2/passt.log" "${run[@]}" ./passt -f "${opts[@]}" \
		"${@:5}" -s "${SOCK}"
	DAEMON_PID="${STARTED_PID}"
	wait_for 10 "${DAEMON_PID}" test -S "${SOCK}"
}

# qemu_start() - start QEMU with the guest and the given NIC
# $1:	transport: none, stream or vhost-user
# $2:	run directory of this QEMU (console log, channel, QMP)
# $3:	network namespace
# $@:	more QEMU arguments (after three shifts), such as -incoming
# Sets QEMU_PID and QEMU_START_MS
qemu_start() {
	local append="console=ttyS0 panic=-1 loglevel=6" args nic=()

	case "$1" in
	none)
		append+=" e2e.dhcp=0"
		;;
	stream)
		nic=(-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=${SOCK}")
		;;
	vhost-user)
		nic=(-chardev "socket,id=c0,path=${SOCK}"
		     -netdev vhost-user,id=n0,chardev=c0
		     -object "memory-backend-memfd,id=mem,size=${GUEST_MEM},share=on"
		     -numa node,memdev=mem)
		;;
	esac
	[ "$1" != none ] &&
		nic+=(-device "virtio-net-pci,netdev=n0,romfile=,mac=${GUEST_MAC}")

	args=(-machine q35,accel=tcg -m "${GUEST_MEM}" -smp 1
	      -nodefaults -no-user-config -display none -no-reboot
	      -kernel "${KERNEL}" -initrd "${INITRAMFS}" -append "${append}"
	      -chardev "file,id=console,path=$2/console.log"
	      -serial chardev:console
	      -chardev "pipe,id=channel,path=$2/channel"
	      -serial chardev:channel
	      -chardev "pipe,id=qmp,path=$2/qmp" -mon chardev=qmp,mode=control
	      "${nic[@]}" "${@:4}")

	chan_open "$2/channel"
	qmp_open "$2/qmp"
	QEMU_START_MS="$(now_ms)"
	proc_start "$2/qemu.log" ip netns exec "$3" \
		qemu-system-x86_64 "${args[@]}"
	QEMU_PID="${STARTED_PID}"
}

# qemu_stop() - ask QEMU to quit over QMP, then make sure it is gone
qemu_stop() {
	qmp_cmd 5 quit >/dev/null
	proc_wait_exit "${QEMU_PID}" 5
	proc_stop "${QEMU_PID}"
	chan_close
	qmp_close
}

# check_boot() - wait for the guest to come up and report its boot
# $1:	transport
# $2:	run directory
# Return: 0 if the guest is up and its channel answers
check_boot() {
	local boot_ms what

	if ! chan_wait_boot "${BOOT_TIMEOUT}" "${QEMU_PID}"; then
		result FAIL "$1: guest boots" \
			"no @@E2E-BOOT line within ${BOOT_TIMEOUT} s"
		show_log "$2/console.log"
		show_log "$2/qemu.log"
		show_log "$2/passt.log"
		return 1
	fi
	boot_ms=$(($(now_ms) - QEMU_START_MS))
	if [[ "${BOOT_LINE}" != *"modules=0"* ]]; then
		result FAIL "$1: guest boots" "${BOOT_LINE}"
		show_log "$2/console.log"
		return 1
	fi
	if ! guest_run 10 'echo channel-$((6 * 7))' ||
	   [ "${GUEST_OUT}" != channel-42 ]; then
		result FAIL "$1: command channel" "answer: '${GUEST_OUT}'"
		return 1
	fi
	if [ "$1" = none ]; then
		what="the guest's /init"
	else
		what="DHCP done"
	fi
	result ok "$1: guest boots" "$((boot_ms / 1000)).$(printf '%03d' \
		$((boot_ms % 1000))) s from QEMU start to ${what} (${BOOT_LINE#@@E2E-BOOT })"
}

# check_channel_orphans() - a command line is kept whole while a process
#			    that an earlier command left behind ends
# $1:	transport
#
# Such a process is an orphan, adopted by the guest's PID 1, and its end
# signals PID 1. The guest leaves one that ends after CHANNEL_ORPHAN_MS;
# the next line arrives in two halves, 1 s apart, so that the guest has
# read the first one when that signal comes.
check_channel_orphans() {
	local ms=$((CHANNEL_ORPHAN_MS % 1000))

	guest_run 10 "(sleep $((CHANNEL_ORPHAN_MS / 1000)).$(printf '%03d' "${ms}") &)"
	if guest_run 10 "echo whole-line" 1 && [ "${GUEST_OUT}" = whole-line ]; then
		result ok "$1: a command line is kept whole while an orphan ends"
	else
		result FAIL "$1: a command line is kept whole while an orphan ends" \
			"no answer, the guest's console says: $(grep 'e2e-guest' \
			"${E2E_CASE_DIR}/console.log" | tail -n 2)"
	fi
}

# check_dhcp() - the guest got an IPv4 address by DHCP, the host's one
# $1:	transport
check_dhcp() {
	local addr

	guest_run 10 "ip -4 -o addr show dev eth0; ip -o link show dev eth0"
	addr="$(echo "${GUEST_OUT}" | sed -n 's/.* inet \([0-9.]*\/[0-9]*\).*/\1/p')"
	if [[ "${BOOT_LINE}" != *"dhcp=0"* ]] || [ -z "${addr}" ]; then
		result FAIL "$1: DHCP" "${BOOT_LINE}; eth0: ${GUEST_OUT}"
		return 1
	fi
	if [ "${addr%/*}" != "${HOST_ADDR4}" ]; then
		result FAIL "$1: DHCP" "got ${addr}, expected ${HOST_ADDR4}"
		return 1
	fi
	result ok "$1: DHCP" "${addr}, mtu $(echo "${GUEST_OUT}" |
		sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -1)"
}

# check_ping() - ping the default gateway from the guest, IPv4 or IPv6
# $1:	transport
# $2:	4 or 6
check_ping() {
	local gw

	guest_run 10 "ip -$2 route show default"
	gw="$(echo "${GUEST_OUT}" | sed -n 's/^default via \([^ ]*\).*/\1/p' | head -1)"
	if [ -z "${gw}" ]; then
		result FAIL "$1: ping$2 gateway" "no default route: ${GUEST_OUT}"
		return 1
	fi
	if guest_run 20 "ping -$2 -c 1 -W 5 -I eth0 ${gw}"; then
		result ok "$1: ping$2 gateway" "${gw}"
	else
		result FAIL "$1: ping$2 gateway" \
			"${gw}: $(echo "${GUEST_OUT}" | tail -2 | tr '\n' ' ')"
	fi
}

# check_ipv6() - a global IPv6 address appears on eth0 (SLAAC or DHCPv6)
# $1:	transport
check_ipv6() {
	local addrs

	guest_run 40 "timeout 30 sh -c 'until ip -6 -o addr show dev eth0 scope global | grep -v tentative | grep -q inet6; do sleep 0.5; done'; ip -6 -o addr show dev eth0 scope global"
	addrs="$(echo "${GUEST_OUT}" | grep -v tentative |
		 sed -n 's/.* inet6 \([0-9a-f:]*\/[0-9]*\).*/\1/p' | tr '\n' ' ')"
	if [ -z "${addrs}" ]; then
		result FAIL "$1: IPv6 address" "eth0: ${GUEST_OUT:-none}"
		return 1
	fi
	result ok "$1: IPv6 address" "${addrs% }"
}

# md5() - print the MD5 sum of a file, or of standard input without $1
md5() {
	md5sum "$@" | cut -d' ' -f1
}

# peer_server() - start a one-connection TCP server in NS_PEER, wait for it
# $1:	log file
# $2:	port
# $@:	program and arguments run on the connection, as busybox nc -e does
# Sets PEER_PID. Return: 0 once it listens, 1 otherwise
peer_server() {
	local log="$1" port="$2"

	shift 2
	proc_start "${log}" timeout 30 ip netns exec "${NS_PEER}" \
		busybox nc -l -p "${port}" -e "$@"
	PEER_PID="${STARTED_PID}"
	wait_for 5 "${PEER_PID}" port_listening "${NS_PEER}" "${port}"
}

# peer_done() - wait up to 10 s for the peer's server or client to finish
peer_done() {
	proc_wait_exit "${PEER_PID}" 10
	proc_stop "${PEER_PID}"
}

# check_tcp_to_peer() - the guest sends a stream to a server in NS_PEER
# $1:	transport
# $2:	run directory
# $3:	address of the peer
check_tcp_to_peer() {
	local name="$1: TCP guest -> ${3}" data="$2/tcp-to-peer.data" sum

	if ! peer_server "$2/tcp-to-peer.log" "${PORT_TO_PEER}" \
		sh -c "cat > ${data}"; then
		result FAIL "${name}" "the peer's server did not start"
		return 1
	fi
	guest_run 30 "head -c ${TCP_BYTES} /dev/urandom > /tmp/out && timeout 20 nc ${3} ${PORT_TO_PEER} -e cat /tmp/out && md5sum < /tmp/out"
	sum="${GUEST_OUT%% *}"
	peer_done
	if [ ! -e "${data}" ]; then
		result FAIL "${name}" "no connection; guest: ${GUEST_OUT}"
	elif [ "$(md5 "${data}")" = "${sum}" ]; then
		result ok "${name}" "${TCP_BYTES} bytes"
	else
		result FAIL "${name}" "received $(stat -c %s "${data}") of ${TCP_BYTES} bytes, or different ones; guest: ${GUEST_OUT}"
	fi
	rm -f "${data}"
}

# check_tcp_from_peer() - a server in NS_PEER sends a stream to the guest
# $1:	transport
# $2:	run directory
# $3:	address of the peer
check_tcp_from_peer() {
	local name="$1: TCP ${3} -> guest" data="$2/tcp-from-peer.data"

	head -c "${TCP_BYTES}" /dev/urandom > "${data}"
	if ! peer_server "$2/tcp-from-peer.log" "${PORT_FROM_PEER}" \
		cat "${data}"; then
		result FAIL "${name}" "the peer's server did not start"
		return 1
	fi
	guest_run 30 "rm -f /tmp/in.md5; timeout 20 nc ${3} ${PORT_FROM_PEER} -e sh -c 'md5sum > /tmp/in.md5'; cat /tmp/in.md5 2>&1"
	peer_done
	if [ "${GUEST_OUT%% *}" = "$(md5 "${data}")" ]; then
		result ok "${name}" "${TCP_BYTES} bytes"
	else
		result FAIL "${name}" "guest's sum: ${GUEST_OUT}"
	fi
	rm -f "${data}"
}

# check_tcp_forwarded() - a peer connects to a port the daemon forwards
# $1:	transport
# $2:	run directory
check_tcp_forwarded() {
	local name="$1: TCP forwarded port ${PORT_FORWARDED} -> guest"
	local data="$2/tcp-forwarded.data" listening

	head -c "${TCP_BYTES}" /dev/urandom > "${data}"
	listening="netstat -ltn | grep -q \":${PORT_FORWARDED} \""
	if ! guest_run 20 "rm -f /tmp/fwd.md5; (nc -l -p ${PORT_FORWARDED} -e sh -c 'md5sum > /tmp/fwd.tmp && mv /tmp/fwd.tmp /tmp/fwd.md5' >/dev/null 2>&1 &); timeout 10 sh -c 'until ${listening}; do sleep 0.2; done'"; then
		result FAIL "${name}" "the guest's server did not start"
		return 1
	fi
	proc_start "$2/tcp-forwarded.log" timeout 20 \
		ip netns exec "${NS_PEER}" busybox nc "${HOST_ADDR4}" \
		"${PORT_FORWARDED}" -e cat "${data}"
	PEER_PID="${STARTED_PID}"
	peer_done
	guest_run 20 "timeout 10 sh -c 'until [ -s /tmp/fwd.md5 ]; do sleep 0.2; done'; cat /tmp/fwd.md5 2>&1"
	if [ "${GUEST_OUT%% *}" = "$(md5 "${data}")" ]; then
		result ok "${name}" "${TCP_BYTES} bytes"
	else
		result FAIL "${name}" "guest's sum: ${GUEST_OUT}"
		show_log "$2/tcp-forwarded.log" 3
	fi
	rm -f "${data}"
}

# check_daemon_alive() - the daemon is still running after the checks
# $1:	transport
# $2:	run directory
check_daemon_alive() {
	if proc_alive "${DAEMON_PID}"; then
		result ok "$1: daemon still running"
	else
		result FAIL "$1: daemon still running" "it exited"
		show_log "$2/passt.log"
	fi
}

# run_transport() - one transport's case: its checks, then its evidence
# $1:	none, stream or vhost-user
run_transport() {
	case_begin "$1" "${RUN_DIR}/$1"
	transport_checks "$1" "${RUN_DIR}/$1"
	case_end
}

# transport_checks() - boot the guest on one transport and run its checks
# $1:	none, stream or vhost-user
# $2:	run directory of the case
transport_checks() {
	local dir="$2"

	if [ "$1" != none ] &&
	   ! daemon_start "$1" "${dir}" "${NS_HOST}" root \
		-t "${PORT_FORWARDED}"; then
		result FAIL "$1: daemon listens" "no socket at ${SOCK}"
		show_log "${dir}/passt.log"
		proc_stop "${DAEMON_PID}"
		return
	fi
	qemu_start "$1" "${dir}" "${NS_HOST}"
	if check_boot "$1" "${dir}" && [ "$1" = none ]; then
		check_channel_orphans "$1"
	elif [ "$1" != none ]; then
		if check_dhcp "$1"; then
			check_ping "$1" 4
		else
			result skip "$1: ping4 gateway" "no IPv4 address"
		fi
		if check_ipv6 "$1"; then
			check_ping "$1" 6
		else
			result skip "$1: ping6 gateway" "no IPv6 address"
		fi
		check_tcp_to_peer "$1" "${dir}" "${PEER_ADDR4}"
		check_tcp_to_peer "$1" "${dir}" "${PEER_ADDR6}"
		check_tcp_from_peer "$1" "${dir}" "${PEER_ADDR4}"
		check_tcp_forwarded "$1" "${dir}"
	fi
	qemu_stop
	if [ "$1" != none ]; then
		check_daemon_alive "$1" "${dir}"
		proc_stop "${DAEMON_PID}"
	fi
}

# main() - setup, the transports, then the migrations
main() {
	trap cleanup EXIT
	trap 'exit 1' INT TERM

	if [ "$(id -u)" != 0 ]; then
		result skip "e2e" "needs root (namespaces, packages)"
		summary
		exit 0
	fi
	if ! test/e2e/setup.sh "${E2E_CACHE}"; then
		result FAIL "setup" "installing QEMU, busybox-static, the kernel"
		summary
		exit 1
	fi
	if ! test/e2e/initramfs.sh "${E2E_CACHE}/kernel" "${INITRAMFS}"; then
		result FAIL "initramfs"
		summary
		exit 1
	fi
	if [ -n "${MIG_CASES}" ] &&
	   ! gcc -O2 -Wall -Wextra -Werror -o "${E2E_CACHE}/e2e-relay" test/e2e/relay.c; then
		result FAIL "building test/e2e/relay.c"
		summary
		exit 1
	fi
	echo "e2e: $(qemu-system-x86_64 --version | head -1), kernel $(cat "${E2E_CACHE}/kernel/package")"

	RUN_DIR="$(mktemp -d /tmp/passt-e2e.XXXXXX)"
	if ! ns_setup; then
		result FAIL "namespaces"
		summary
		exit 1
	fi
	for transport in ${TRANSPORTS}; do
		run_transport "${transport}"
	done
	run_migration
	summary
}

# Sourced (test/e2e/bench_migrate.sh), this file only defines its functions
[ "${BASH_SOURCE[0]}" = "$0" ] && main
