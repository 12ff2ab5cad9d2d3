# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2016
# test/ns/lib.sh - shared helpers for the namespace tests (bash)
#
# A test script sources this file, calls ns_init once, builds namespaces
# (usually with ns_layout_standard), starts the daemon and a guest link, runs
# its cases with run_case, and ends with ns_summary. See test/ns/README.md for
# the layout and an example. Everything a test creates is removed on exit,
# whatever the exit path: processes are stopped by PID, namespaces deleted,
# temporary files removed.
#
# Conventions:
#   - Namespaces are named by role ("peer", "host", "guest"); the real name
#     has the shell's PID appended, so parallel runs never collide.
#   - Every wait is bounded: NS_WAIT seconds (default 20) unless told.
#   - Only documentation addresses are used: 192.0.2.0/24, 198.51.100.0/24,
#     2001:db8::/32, and loopback.
#
# Variables a test may set before ns_init:
#   NS_WAIT	bound of each wait, seconds (default 20)
#   NS_KEEP	if 1, keep the temporary directory (logs) after the run
#   NS_DAEMON_ARGS	extra daemon options (default: -d, for useful logs)
#   NS_LINK_ARGS	extra options of the link tool that ns_start_guest starts,
#		e.g. "--drop-percent 5 --seed 7"

NS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/rst_guard.sh
. "$NS_ROOT/test/rst_guard.sh"
# shellcheck source=test/evidence.sh
. "$NS_ROOT/test/evidence.sh"
NS_PASST=${NS_PASST:-$NS_ROOT/passt}
NS_BUILD=${NS_BUILD:-$NS_ROOT/build}
NS_BUSYBOX=${NS_BUSYBOX:-/bin/busybox}
NS_WAIT=${NS_WAIT:-20}
NS_DAEMON_ARGS=${NS_DAEMON_ARGS:--d}
NS_LINK_ARGS=${NS_LINK_ARGS:-}

# The standard layout: names of things inside the namespaces
NS_TAP=tap0			# guest's interface, made by the link tool
NS_VETH=veth0			# uplink between "host" and "peer"
NS_HOST4=192.0.2.10		# the host's (and so, by default, the guest's)
NS_GW4=192.0.2.1		# the host's default gateway, in "peer"
NS_PEER4=192.0.2.2		# a second address in "peer"
NS_HOST6=2001:db8::10
NS_GW6=2001:db8::1
NS_PEER6=2001:db8::2
NS_DNS4=192.0.2.1		# resolver listed in the host's resolv.conf
NS_DNS6=2001:db8::1
NS_SEARCH=example.org

NS_SUITE=
NS_PREFIX=			# first word of each case line (transport)
NS_TMP=
NS_PASSED=0
NS_FAILED=0
NS_SKIPPED=0
NS_DAEMON_PID=
NS_LINK_PID=
NS_LINK_TOOL=
NS_GROUP_FAILED=		# why the current group's cases cannot run
NS_PIDS=()
NS_CREATED=()			# real names of the namespaces we made
declare -A NS_REAL		# role -> real namespace name

# --- Set-up and clean-up -----------------------------------------------------

# ns_init() - check that the tests can run here, make the temporary directory
# and arrange the clean-up
# $1:	suite name, the word before the colon of the summary line
ns_init() {
	NS_SUITE=$1
	NS_PREFIX=$1

	[ "$(id -u)" = 0 ] || ns_skip_all "needs root (network namespaces, TAP)"
	[ -c /dev/net/tun ] || ns_skip_all "no /dev/net/tun on this machine"
	command -v ip >/dev/null || ns_fatal "iproute2's ip is missing: run test/deps"
	[ -x "$NS_BUSYBOX" ] || ns_fatal "$NS_BUSYBOX is missing: run test/deps (busybox-static)"

	NS_TMP=$(mktemp -d /tmp/passt-ns.XXXXXX) || ns_fatal "cannot make a temporary directory"
	trap ns_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	if ! ip netns add "passt-probe-$$" 2>"$NS_TMP/probe.err"; then
		ns_skip_all "cannot create network namespaces: $(cat "$NS_TMP/probe.err")"
	fi
	ip netns del "passt-probe-$$"
}

# ns_fatal() - the test itself cannot go on: say why and exit 1
# $*:	reason
ns_fatal() {
	echo "${NS_SUITE:-ns}: error: $*" >&2
	exit 1
}

# ns_skip_all() - nothing can run on this machine: say why, count one skip
# $*:	reason
ns_skip_all() {
	echo "${NS_SUITE:-ns}: skip: $*"
	echo "${NS_SUITE:-ns}: 0 passed, 0 failed, 1 skipped"
	exit 0
}

# ns_stop() - stop a process we started: SIGTERM, then SIGKILL if it lingers
# $1:	PID
# Return: the process's exit status (143 if SIGTERM ended it)
ns_stop() {
	local pid=$1 i

	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# ns_teardown() - stop every process we started, delete every namespace
ns_teardown() {
	local i ns pid

	for ((i = ${#NS_PIDS[@]} - 1; i >= 0; i--)); do
		ns_stop "${NS_PIDS[i]}"
	done
	NS_PIDS=()
	NS_DAEMON_PID=
	NS_LINK_PID=

	for ns in "${NS_CREATED[@]}"; do
		# Anything still inside was started by this test (a child of
		# a tool we ran): stop it by its PID before deleting
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	NS_CREATED=()
	NS_REAL=()
	NS_GROUP_FAILED=
	rmdir /etc/netns 2>/dev/null
}

# ns_cleanup() - EXIT trap: tear everything down, remove temporary files
ns_cleanup() {
	ns_teardown
	[ -n "$NS_TMP" ] || return
	if [ "${NS_KEEP:-0}" = 1 ]; then
		echo "${NS_SUITE}: logs kept in $NS_TMP" >&2
	else
		rm -rf "$NS_TMP"
	fi
}

# --- Namespaces ----------------------------------------------------------------

# ns_create() - create a network namespace with its loopback up
# $1:	role name ("peer", "host", "guest", ...)
ns_create() {
	local real="passt-$1-$$"

	ip netns add "$real" || ns_fatal "cannot create namespace $real"
	NS_CREATED+=("$real")
	NS_REAL[$1]=$real
	ip -n "$real" link set lo up
}

# ns_name() - print the real name of a namespace
# $1:	role name
ns_name() {
	echo "${NS_REAL[$1]}"
}

# ns_exec() - run a command inside a namespace
# $1:	role name
# $@:	command
ns_exec() {
	local role=$1

	shift
	ip netns exec "${NS_REAL[$role]}" "$@"
}

# ns_sysctl() - set a sysctl inside a namespace
# $1:	role name
# $2:	key, e.g. net.ipv4.ping_group_range
# $3:	value
ns_sysctl() {
	ns_exec "$1" "$NS_BUSYBOX" sysctl -q -w "$2=$3" >/dev/null
}

# ns_resolv_conf() - give a namespace its own /etc/resolv.conf: "ip netns
# exec" bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf
# $1:	role name
# stdin: file contents
ns_resolv_conf() {
	local dir="/etc/netns/${NS_REAL[$1]}"

	mkdir -p "$dir" && cat >"$dir/resolv.conf"
}

# ns_layout_standard() - build the three namespaces every guest test uses:
#   peer:  $NS_VETH with 192.0.2.1/24, 192.0.2.2/24, 2001:db8::1/64, ::2/64
#   host:  where the daemon runs: $NS_VETH with 192.0.2.10/24,
#          2001:db8::10/64, default routes via peer, ping sockets allowed,
#          resolv.conf with nameserver 192.0.2.1 and 2001:db8::1, search
#          example.org
#   guest: nothing but loopback, until the link tool creates $NS_TAP
ns_layout_standard() {
	local role

	ns_create peer
	ns_create host
	ns_create guest

	for role in peer host; do
		# Static addresses only: no duplicate detection delay, no RAs
		ns_sysctl $role net.ipv6.conf.default.accept_dad 0
		ns_sysctl $role net.ipv6.conf.default.accept_ra 0
	done

	ip -n "$(ns_name host)" link add "$NS_VETH" type veth \
		peer name "$NS_VETH" netns "$(ns_name peer)" ||
		ns_fatal "cannot create the veth pair"

	ip -n "$(ns_name peer)" addr add "$NS_GW4/24" dev "$NS_VETH"
	ip -n "$(ns_name peer)" addr add "$NS_PEER4/24" dev "$NS_VETH"
	ip -n "$(ns_name peer)" addr add "$NS_GW6/64" dev "$NS_VETH" nodad
	ip -n "$(ns_name peer)" addr add "$NS_PEER6/64" dev "$NS_VETH" nodad
	ip -n "$(ns_name peer)" link set "$NS_VETH" up

	ip -n "$(ns_name host)" addr add "$NS_HOST4/24" dev "$NS_VETH"
	ip -n "$(ns_name host)" addr add "$NS_HOST6/64" dev "$NS_VETH" nodad
	ip -n "$(ns_name host)" link set "$NS_VETH" up
	ip -n "$(ns_name host)" route add default via "$NS_GW4"
	ip -n "$(ns_name host)" -6 route add default via "$NS_GW6"
	ns_ping_sockets host on

	ns_resolv_conf host <<-EOF
	nameserver $NS_DNS4
	nameserver $NS_DNS6
	search $NS_SEARCH
	EOF
}

# ns_ping_sockets() - allow or forbid unprivileged ping sockets in a namespace
# $1:	role name
# $2:	"on" (every group) or "off" (no group: the kernel's default)
ns_ping_sockets() {
	if [ "$2" = on ]; then
		ns_sysctl "$1" net.ipv4.ping_group_range "0 2147483647"
	else
		ns_sysctl "$1" net.ipv4.ping_group_range "1 0"
	fi
}

# --- Processes ---------------------------------------------------------------

# ns_bg() - start a command in the background inside a namespace; its PID is
# recorded (stopped at teardown) and left in NS_LAST_PID
# $1:	role name
# $2:	log file (stdout and stderr)
# $@:	command
ns_bg() {
	local role=$1 log=$2

	shift 2
	# "ip netns exec" execs the command: $! is the command's own PID
	ip netns exec "${NS_REAL[$role]}" "$@" >"$log" 2>&1 </dev/null &
	NS_LAST_PID=$!
	NS_PIDS+=("$NS_LAST_PID")
}

# ns_alive() - whether a process we started is still running
# $1:	PID
ns_alive() {
	kill -0 "$1" 2>/dev/null
}

# wait_for() - poll a command until it succeeds, at most a number of seconds
# $1:	timeout in seconds
# $2:	what we wait for, for the message on timeout
# $@:	command, run every 0.2 s; its exit status 125 gives up at once
# Return: 0 once the command succeeded, 1 on timeout or giving up
wait_for() {
	local timeout=$1 what=$2 deadline rc

	shift 2
	deadline=$((SECONDS + timeout))
	while :; do
		"$@"
		rc=$?
		[ $rc = 0 ] && return 0
		if [ $rc = 125 ]; then
			echo "gave up waiting for $what" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			echo "timed out after ${timeout} s waiting for $what" >&2
			return 1
		fi
		sleep 0.2
	done
}

# The transports: "vhost-user-plain" is vhost-user with a front-end that
# withholds VIRTIO_RING_F_EVENT_IDX and VIRTIO_RING_F_INDIRECT_DESC (as QEMU's
# virtio-net-pci,event_idx=off,indirect_desc=off does), so that the daemon's
# rings run with and without them
NS_TRANSPORTS_DEFAULT="stream vhost-user vhost-user-plain"

# ns_daemon_args() - daemon options that a transport needs
# $1:	transport: stream, vhost-user or vhost-user-plain
ns_daemon_args() {
	case $1 in
	stream) ;;
	vhost-user|vhost-user-plain) echo --vhost-user ;;
	*) ns_fatal "unknown transport '$1'" ;;
	esac
}

# ns_link_tool() - path of the tool that plays QEMU for a transport
# $1:	transport: stream, vhost-user or vhost-user-plain
ns_link_tool() {
	case $1 in
	stream) echo "$NS_BUILD/stream_bridge" ;;
	vhost-user|vhost-user-plain) echo "$NS_BUILD/vu_frontend" ;;
	*) ns_fatal "unknown transport '$1'" ;;
	esac
}

# ns_link_args() - options of the link tool that a transport needs
# $1:	transport
ns_link_args() {
	[ "$1" = vhost-user-plain ] && echo --no-event-idx --no-indirect-desc
	return 0
}

# ns_transport_missing() - why a transport cannot be tested here, if it cannot
# $1:	transport
# Prints the reason and returns 0 if missing, returns 1 if available
ns_transport_missing() {
	local tool

	tool=$(ns_link_tool "$1")
	if [ ! -x "$NS_PASST" ]; then
		echo "$NS_PASST is not built (run make)"
	elif [ ! -x "$tool" ]; then
		echo "$tool is not built (run make tools)"
	else
		return 1
	fi
}

# ns_start_daemon() - start the daemon in the "host" namespace, in the
# foreground, logging to $NS_LOGDIR/passt.log; wait for its socket
# $1:	transport: stream or vhost-user
# $@:	further daemon options
# Sets NS_DAEMON_PID and NS_SOCK. Return: 0 once the socket exists
ns_start_daemon() {
	local transport=$1

	shift
	NS_SOCK="$NS_LOGDIR/passt.sock"
	NS_DAEMON_LOG="$NS_LOGDIR/passt.log"
	# shellcheck disable=SC2046,SC2086 # word splitting wanted
	ns_bg host "$NS_DAEMON_LOG" "$NS_PASST" -f -s "$NS_SOCK" \
		$(ns_daemon_args "$transport") $NS_DAEMON_ARGS "$@"
	NS_DAEMON_PID=$NS_LAST_PID
	wait_for 10 "the daemon's socket $NS_SOCK" ns_daemon_ready
}

# ns_daemon_ready() - the daemon is running and its socket exists
ns_daemon_ready() {
	ns_alive "$NS_DAEMON_PID" || {
		echo "the daemon exited; its log:" >&2
		tail -n 20 "$NS_DAEMON_LOG" >&2
		return 125
	}
	[ -S "$NS_SOCK" ]
}

# ns_start_link() - start the transport's QEMU stand-in in the "guest"
# namespace: it connects to the daemon and creates $NS_TAP there
# $1:	transport: stream, vhost-user or vhost-user-plain
# $@:	further options of the tool (e.g. --drop-percent 5)
# Sets NS_LINK_PID. Return: 0 once the TAP device exists
ns_start_link() {
	local transport=$1

	shift
	NS_LINK_TOOL=$(ns_link_tool "$transport")
	NS_LINK_LOG="$NS_LOGDIR/link.log"
	rm -f "$NS_LOGDIR/link.pid"
	# shellcheck disable=SC2046 # word splitting wanted
	ns_bg guest "$NS_LINK_LOG" "$NS_LINK_TOOL" --socket "$NS_SOCK" \
		--tap "$NS_TAP" --pidfile "$NS_LOGDIR/link.pid" \
		$(ns_link_args "$transport") "$@"
	NS_LINK_PID=$NS_LAST_PID
	wait_for 10 "$NS_TAP from $(basename "$NS_LINK_TOOL")" ns_link_ready || {
		echo "$(basename "$NS_LINK_TOOL")'s log:" >&2
		tail -n 20 "$NS_LINK_LOG" >&2
		return 1
	}
}

# ns_link_ready() - the link tool is running, ready, and the TAP device exists
ns_link_ready() {
	ns_alive "$NS_LINK_PID" || {
		echo "$(basename "$NS_LINK_TOOL") exited" >&2
		return 125
	}
	[ -s "$NS_LOGDIR/link.pid" ] &&
		ip -n "$(ns_name guest)" link show "$NS_TAP" >/dev/null 2>&1
}

# ns_start_guest() - the usual start of a guest test: fresh namespaces, the
# daemon, the link (with NS_LINK_ARGS), and the guest's interface up
# $1:	transport: stream or vhost-user
# $2:	optional "hold-ipv6": keep IPv6 off on the guest's interface until
#	ns_guest_ipv6_start, e.g. to start a capture before the first router
#	solicitation
# Logs go to $NS_TMP/TRANSPORT/, left in NS_LOGDIR
# Return: 0 on success
ns_start_guest() {
	NS_LOGDIR="$NS_TMP/$1"
	mkdir -p "$NS_LOGDIR"
	ns_layout_standard
	# shellcheck disable=SC2086 # word splitting wanted
	ns_start_daemon "$1" && ns_start_link "$1" $NS_LINK_ARGS || return 1

	ns_sysctl guest "net.ipv6.conf.$NS_TAP.disable_ipv6" 1
	ip -n "$(ns_name guest)" link set "$NS_TAP" up || return 1
	[ "$2" = hold-ipv6 ] || ns_guest_ipv6_start
}

# ns_guest_ipv6_start() - turn IPv6 on for the guest's interface: the kernel
# makes its link-local address, then solicits router advertisements
ns_guest_ipv6_start() {
	ns_sysctl guest "net.ipv6.conf.$NS_TAP.disable_ipv6" 0
}

# ns_capture() - start tcpdump in a namespace, writing a pcap file; returns
# once it is capturing. Stopped at teardown if still running.
# $1:	role name
# $2:	interface (must be up)
# $3:	pcap file
# $4:	number of packets after which tcpdump exits
# $@:	capture filter
# Sets NS_LAST_PID. Return: 0 once capturing
ns_capture() {
	local role=$1 iface=$2 pcap=$3 count=$4

	shift 4
	ns_bg "$role" "$pcap.log" tcpdump -n -U -i "$iface" -c "$count" \
		-w "$pcap" "$*"
	wait_for 10 "tcpdump to capture on $iface" ns_capture_ready \
		"$NS_LAST_PID" "$pcap.log"
}

# ns_capture_ready() - tcpdump said it is listening, or gave up
# $1:	tcpdump's PID
# $2:	its log
ns_capture_ready() {
	grep -q "listening on" "$2" && return 0
	ns_alive "$1" || { cat "$2" >&2; return 125; }
	return 1
}

# --- Guest-side helpers ------------------------------------------------------

# ns_udhcpc_script() - write the udhcpc event script: it applies the lease
# with ip(8) and records it in $NS_LOGDIR/dhcp4.env as sourceable
# dhcp_ip=..., dhcp_mask=..., dhcp_router=..., dhcp_dns=..., dhcp_domain=...,
# dhcp_search=..., dhcp_mtu=..., dhcp_lease=..., dhcp_serverid=...; it never
# touches the machine's /etc/resolv.conf
# Prints the script's path
ns_udhcpc_script() {
	local script="$NS_LOGDIR/udhcpc.sh"

	cat >"$script" <<-EOF
	#!$NS_BUSYBOX sh
	# udhcpc event script of the namespace tests (see test/ns/lib.sh)
	IPCMD=$(command -v ip)
	OUT="$NS_LOGDIR/dhcp4.env"
	EOF
	cat >>"$script" <<-'EOF'
	case "$1" in
	deconfig)
		$IPCMD -4 addr flush dev "$interface"
		$IPCMD link set "$interface" up
		;;
	bound|renew)
		$IPCMD -4 addr flush dev "$interface"
		$IPCMD addr add "$ip/$mask" dev "$interface"
		[ -n "$mtu" ] && $IPCMD link set "$interface" mtu "$mtu"
		for r in $router; do
			$IPCMD route replace default via "$r" dev "$interface"
			break
		done
		for v in ip mask router dns domain search mtu lease serverid; do
			eval "value=\$$v"
			printf "dhcp_%s='%s'\n" "$v" "$value"
		done >"$OUT"
		;;
	esac
	exit 0
	EOF
	chmod +x "$script"
	echo "$script"
}

# ns_guest_dhcp4() - run udhcpc once in the guest, bounded by NS_WAIT; on
# success the lease is applied and recorded in $NS_LOGDIR/dhcp4.env
# Return: udhcpc's exit status (0: lease obtained)
ns_guest_dhcp4() {
	local script

	script=$(ns_udhcpc_script)
	rm -f "$NS_LOGDIR/dhcp4.env"
	ns_exec guest timeout "$NS_WAIT" "$NS_BUSYBOX" udhcpc -f -q -n \
		-t 4 -T 2 -O mtu -O search -i "$NS_TAP" -s "$script"
}

# ns_dhclient_script() - write dhclient's event script for DHCPv6: it adds the
# leased address with ip(8) and records the lease in $NS_LOGDIR/dhcp6.env as
# sourceable dhcp6_address=..., dhcp6_prefixlen=..., dhcp6_dns=...,
# dhcp6_search=...; it never touches the machine's /etc/resolv.conf
# Prints the script's path
ns_dhclient_script() {
	local script="$NS_LOGDIR/dhclient.sh"

	cat >"$script" <<-EOF
	#!/bin/sh
	# dhclient event script of the namespace tests (see test/ns/lib.sh)
	IPCMD=$(command -v ip)
	OUT="$NS_LOGDIR/dhcp6.env"
	EOF
	cat >>"$script" <<-'EOF'
	case "$reason" in
	BOUND6|RENEW6|REBIND6|REBOOT6)
		$IPCMD -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" \
			dev "$interface" nodad
		{
			echo "dhcp6_address='$new_ip6_address'"
			echo "dhcp6_prefixlen='$new_ip6_prefixlen'"
			echo "dhcp6_dns='$new_dhcp6_name_servers'"
			echo "dhcp6_search='$new_dhcp6_domain_search'"
		} >"$OUT"
		;;
	esac
	exit 0
	EOF
	chmod +x "$script"
	echo "$script"
}

# ns_guest_dhcp6() - run dhclient (isc-dhcp-client) in the guest for DHCPv6
# until it has a lease, bounded by NS_WAIT, then stop it; the address is
# applied and the lease recorded in $NS_LOGDIR/dhcp6.env
# Return: 0 once a lease was obtained
ns_guest_dhcp6() {
	local script conf="$NS_LOGDIR/dhclient.conf" pid rc

	script=$(ns_dhclient_script)
	echo "request dhcp6.name-servers, dhcp6.domain-search;" >"$conf"
	rm -f "$NS_LOGDIR/dhcp6.env"
	ns_bg guest "$NS_LOGDIR/dhclient.log" dhclient -6 -d -v -cf "$conf" \
		-sf "$script" -lf "$NS_LOGDIR/dhclient.leases" \
		-pf "$NS_LOGDIR/dhclient.pid" "$NS_TAP"
	pid=$NS_LAST_PID
	wait_for "$NS_WAIT" "a DHCPv6 lease" test -s "$NS_LOGDIR/dhcp6.env"
	rc=$?
	ns_stop "$pid"
	[ $rc = 0 ] || cat "$NS_LOGDIR/dhclient.log"
	return $rc
}

# ns_icmp_echo_requests() - ICMP echo requests a namespace's kernel received
# $1:	role name
# $2:	4 or 6
ns_icmp_echo_requests() {
	if [ "$2" = 6 ]; then
		ns_exec "$1" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6
	else
		ns_exec "$1" awk '$1 == "Icmp:" && !col {
				for (i = 2; i <= NF; i++)
					if ($i == "InEchos")
						col = i
				next
			}
			$1 == "Icmp:" { print $col }' /proc/net/snmp
	fi
}

# --- Cases and the summary ---------------------------------------------------

# skip_case() - inside a case: report it skipped, with a reason; use as
# "skip_case REASON; return"
# $*:	reason
skip_case() {
	echo "$*" >"$NS_TMP/skip.reason"
	return 77
}

# run_case() - run one case and print its line: "PREFIX: NAME ..... ok",
# "FAIL" (followed by the end of the case's output, indented) or
# "skip: REASON". The command runs in this shell, so it may set variables
# for later cases; its output goes to $NS_TMP/cases.log.
# $1:	case name: the sentence it proves
# $@:	command; exit status 0 passes, 77 (skip_case) skips, others fail
# Return: the command's exit status
run_case() {
	local name=$1 line dots rc out="$NS_TMP/case.out"

	shift
	line="$NS_PREFIX: $name "
	dots=$((64 - ${#line}))
	((dots < 3)) && dots=3
	line+=$(printf '%*s' "$dots" '' | tr ' ' .)

	rm -f "$NS_TMP/skip.reason"
	touch "$NS_TMP/case.start"
	if [ -n "$NS_GROUP_FAILED" ]; then
		skip_case "$NS_GROUP_FAILED" >"$out" 2>&1
	else
		"$@" >"$out" 2>&1
	fi
	rc=$?
	{ echo "=== $NS_PREFIX: $name (exit status $rc)"; cat "$out"; } \
		>>"$NS_TMP/cases.log"

	if [ $rc = 0 ]; then
		echo "$line ok"
		NS_PASSED=$((NS_PASSED + 1))
	elif [ $rc = 77 ]; then
		echo "$line skip: $(cat "$NS_TMP/skip.reason" 2>/dev/null)"
		NS_SKIPPED=$((NS_SKIPPED + 1))
	else
		echo "$line FAIL"
		cp "$out" "$NS_TMP/failed-case.out"
		# shellcheck disable=SC2046 # one log a word: no spaces in them
		evidence_keep "$NS_PREFIX: $name" "$NS_TMP" \
			$(find "$NS_TMP" -name passt.log -newer "$NS_TMP/case.start") \
			"$NS_TMP/failed-case.out"
		tail -n 15 "$out" | sed 's/^/    /'
		NS_FAILED=$((NS_FAILED + 1))
	fi
	return $rc
}

# ns_group_fail() - a case the rest of its group needs has failed: the
# group's later cases are reported skipped, for that reason, until
# ns_teardown ends the group
# $*:	reason
ns_group_fail() {
	NS_GROUP_FAILED="$*"
}

# skip_cases() - report several cases skipped for one reason, without running
# $1:	reason
# $@:	case names
skip_cases() {
	local reason=$1

	shift
	for name in "$@"; do
		run_case "$name" skip_case "$reason"
	done
}

# ns_summary() - print the summary line; the script's exit status
# Return: 0 if no case failed
ns_summary() {
	echo "$NS_SUITE: $NS_PASSED passed, $NS_FAILED failed, $NS_SKIPPED skipped"
	[ "$NS_FAILED" = 0 ]
}

# ns_run_transports() - call the script's run_transport() for each transport,
# then print the summary
# $@:	transports, none for NS_TRANSPORTS_DEFAULT
# Return: 0 if no case failed
ns_run_transports() {
	local transport

	# shellcheck disable=SC2086 # word splitting wanted
	[ $# = 0 ] && set -- $NS_TRANSPORTS_DEFAULT
	for transport in "$@"; do
		run_transport "$transport"
	done
	ns_summary
}
