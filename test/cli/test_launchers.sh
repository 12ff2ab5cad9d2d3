#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/cli/test_launchers.sh - the daemon as libvirt and QEMU's launcher
# start it
#
# libvirt 11: the exact argument vector libvirt builds for an interface of
# type 'vhostuser' with the passt back-end, run as an unprivileged user with
# every capability dropped, in the "host" namespace of the standard layout
# (test/ns/lib.sh). build/vu_frontend plays QEMU over vhost-user from the
# "guest" namespace and bridges the rings to tap0 there; the guest's
# configuration is what DHCP told it.
#
# QEMU 10.1 "-netdev passt": build/fd_launch starts the daemon with one end
# of a socketpair as --fd 3, waits for the parent to exit 0, then probes the
# link (ARP, DHCP, router solicitation, ICMP echo) and prints what came back.
#
# Usage: test/cli/test_launchers.sh
# Run as root (namespaces, TAP devices, setpriv); ends with
# "launchers: N passed, N failed, N skipped".

# The dhcp_* and lv_* variables come from lease files
# shellcheck disable=SC2154

# shellcheck source=test/ns/lib.sh
. "$(dirname "$0")/../ns/lib.sh"

FD_LAUNCH="$NS_BUILD/fd_launch"
RUN_USER=nobody
RUN_GROUP=nogroup

# Addresses the libvirt-style daemon gives the guest
LV_ADDR4=192.0.2.50
LV_PREFIX=24
LV_HOSTNAME=vm1
LV_FQDN=vm1.example.org
LV_MAC=02:00:5e:00:53:01	# --mac-addr of the older libvirt form

# What the QEMU-style vector sets
QM_GW4=192.0.2.254
QM_DNS4=198.51.100.53
QM_DNS6=2001:db8::53
QM_SEARCH=example.net
QM_MAC=02:00:5e:00:53:02

# --- libvirt -----------------------------------------------------------------

# lv_dir() - a directory the unprivileged user can write, as libvirt's
# per-domain run directory; prints its path
# $1:	name
lv_dir() {
	local dir="$NS_TMP/run/$1"

	mkdir -p "$dir" && chown "$RUN_USER:$RUN_GROUP" "$dir" && echo "$dir"
}

# lv_argv() - print, one a line, the arguments libvirt 11 gives passt for a
# vhost-user interface (the order of qemuPasstBuildCommand)
# $1:	run directory
# $2:	"one-off" or "no-one-off" (the second is not libvirt's: for QEMU's
#	reconnection to the same daemon)
# $3:	"mac" for the older form with --mac-addr, else "new"
lv_argv() {
	local dir=$1

	echo --vhost-user
	[ "$2" = one-off ] && echo --one-off
	printf '%s\n' --socket "$dir/passt.sock" --pid "$dir/passt.pid"
	[ "$3" = mac ] && printf '%s\n' --mac-addr "$LV_MAC"
	printf '%s\n' --mtu 65520 --interface "$NS_VETH" \
		--log-file "$dir/passt.log" --hostname "$LV_HOSTNAME" \
		--fqdn "$LV_FQDN" --address "$LV_ADDR4" --netmask "$LV_PREFIX" \
		--tcp-ports 2222:22 --udp-ports 5353:53
}

# lv_start() - start the daemon as libvirt does: unprivileged, no
# capability at all, in the "host" namespace; returns the parent's status
# $1:	run directory
# $@:	further lv_argv arguments
lv_start() {
	local dir=$1 argv=()

	mapfile -t argv < <(lv_argv "$@")
	echo "passt ${argv[*]}"
	ns_exec host setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" \
		--clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$NS_PASST" "${argv[@]}"
}

# lv_pid() - the PID in a run directory's PID file
# $1:	run directory
lv_pid() {
	cat "$1/passt.pid" 2>/dev/null
}

# case_lv_ready() - the parent exits 0 with the socket already there, and
# the PID file names the running daemon: unprivileged, no capabilities
# $1:	run directory
# $@:	further lv_argv arguments
case_lv_ready() {
	local dir=$1 pid

	lv_start "$@" || { cat "$dir/passt.log"; return 1; }
	# The parent exited 0: the socket and the PID file exist already
	[ -S "$dir/passt.sock" ] || { echo "no socket when the parent exited"; return 1; }
	pid=$(lv_pid "$dir")
	echo "PID file: $pid"
	[ -n "$pid" ] || { echo "the PID file is empty"; return 1; }
	ns_alive "$pid" || { echo "no process $pid"; return 1; }
	NS_PIDS+=("$pid")
	same_file "/proc/$pid/exe" "$NS_PASST" ||
		{ echo "process $pid runs $(readlink "/proc/$pid/exe"), not $NS_PASST"; return 1; }
	grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb):' \
		"/proc/$pid/status" | tee "$NS_TMP/status"
	awk -v u="$(id -u "$RUN_USER")" '
		/^Uid:/ && ($2 != u || $3 != u) { print "runs as user " $2 ", not " u; bad = 1 }
		/^Cap/ && $2 != "0000000000000000" { print "keeps " $0; bad = 1 }
		END { exit bad }' "$NS_TMP/status"
}

# same_file() - true if two paths name one file: same device and inode, as
# a link may read differently (in a chroot, say) where the file is the same
# $1, $2:	paths, links followed
same_file() {
	[ "$(stat -L -c %d:%i "$1" 2>/dev/null)" = "$(stat -L -c %d:%i "$2")" ]
}

# lv_link() - connect the vhost-user stand-in from the "guest" namespace and
# bring tap0 up
# $1:	run directory
lv_link() {
	NS_SOCK="$1/passt.sock"
	NS_LOGDIR="$1"
	ns_start_link vhost-user || return 1
	ns_sysctl guest "net.ipv6.conf.$NS_TAP.disable_ipv6" 1
	ip -n "$(ns_name guest)" link set "$NS_TAP" up
}

# lv_link_stop() - the stand-in (QEMU) goes away; its TAP device with it
lv_link_stop() {
	ns_stop "$NS_LINK_PID"
	wait_for 10 "$NS_TAP to disappear" eval \
		"! ip -n $(ns_name guest) link show $NS_TAP >/dev/null 2>&1"
}

# case_lv_dhcp() - the guest gets --address/--netmask, the gateway and the
# MTU by DHCP
case_lv_dhcp() {
	ns_guest_dhcp4 || return 1
	cat "$NS_LOGDIR/dhcp4.env"
	# shellcheck source=/dev/null
	. "$NS_LOGDIR/dhcp4.env"
	[ "$dhcp_ip" = "$LV_ADDR4" ] && [ "$dhcp_mask" = "$LV_PREFIX" ] &&
		[ "$dhcp_router" = "$NS_GW4" ] && [ "$dhcp_mtu" = 65520 ]
}

# dns_wire_hex() - a domain name in DNS wire format (RFC 1035 labels, the
# root's empty label last), as lower-case hexadecimal digits
# $1:	name
dns_wire_hex() {
	local label

	for label in ${1//./ }; do
		printf '%02x' "${#label}"
		printf '%s' "$label" | od -An -v -tx1 | tr -d ' \n'
	done
	echo 00
}

# case_lv_names() - the DHCP reply carries --hostname and --fqdn: udhcpc
# asks for the host name, and sends option 81 (-F), which the server
# answers with its own; the event script records both (busybox passes
# option 81 on as hexadecimal "opt81": flags, two result codes, the name)
case_lv_names() {
	local script="$NS_LOGDIR/names.sh" out="$NS_LOGDIR/names.env"

	cat >"$script" <<-EOF
	#!$NS_BUSYBOX sh
	[ "\$1" = bound ] || exit 0
	echo "lv_hostname='\$hostname'" >"$out"
	echo "lv_fqdn='\$opt81'" >>"$out"
	EOF
	chmod +x "$script"
	rm -f "$out"
	ns_exec guest timeout "$NS_WAIT" "$NS_BUSYBOX" udhcpc -f -q -n \
		-t 4 -T 2 -O hostname -F guest-asks -i "$NS_TAP" -s "$script" ||
		return 1
	cat "$out"
	# shellcheck source=/dev/null
	. "$out"
	[ "$lv_hostname" = "$LV_HOSTNAME" ] &&
		[ "${lv_fqdn:6}" = "$(dns_wire_hex "$LV_FQDN")" ]
}

# case_lv_ping() - the guest reaches the gateway through the daemon
case_lv_ping() {
	ns_exec guest "$NS_BUSYBOX" ping -c 2 -i 0.2 -W 3 -w 10 "$NS_GW4"
}

# case_lv_mac() - older libvirt's --mac-addr is the daemon's MAC: the
# guest's neighbour entry for the gateway, learnt by ARP, has it
case_lv_mac() {
	case_lv_ping || return 1
	ns_exec guest ip neigh show "$NS_GW4" dev "$NS_TAP" | tee "$NS_TMP/neigh"
	grep -q "lladdr $LV_MAC" "$NS_TMP/neigh"
}

# case_lv_tcp_port() - --tcp-ports 2222:22: a connection from the peer to
# the host's port 2222 reaches the guest's port 22
case_lv_tcp_port() {
	local pid reply

	ns_bg guest "$NS_LOGDIR/nc.log" "$NS_BUSYBOX" nc -l -p 22 -e \
		"$NS_BUSYBOX" echo guest-port-22
	pid=$NS_LAST_PID
	wait_for 10 "the guest's listener" eval \
		"ns_exec guest ss -Htln 'sport = :22' | grep -q LISTEN" ||
		return 1
	reply=$(ns_exec peer timeout 10 "$NS_BUSYBOX" nc "$NS_HOST4" 2222 \
		</dev/null)
	ns_stop "$pid"
	echo "reply: $reply"
	[ "$reply" = guest-port-22 ]
}

# lv_gone() - a daemon we did not fork has exited
# $1:	PID
lv_gone() {
	! ns_alive "$1"
}

# case_lv_one_off() - QEMU goes away: the --one-off daemon exits and
# removes its socket and PID file
# $1:	run directory
case_lv_one_off() {
	local dir=$1 pid

	pid=$(lv_pid "$dir")
	lv_link_stop || return 1
	wait_for 10 "the --one-off daemon to exit" lv_gone "$pid" || return 1
	tail -n 5 "$dir/passt.log"
	[ ! -e "$dir/passt.sock" ] && [ ! -e "$dir/passt.pid" ]
}

# case_lv_reconnect() - without --one-off, QEMU's reconnection is served:
# the stand-in goes away, comes back a second later, and the guest gets its
# lease again from the same daemon
# $1:	run directory
case_lv_reconnect() {
	local dir=$1 pid

	pid=$(lv_pid "$dir")
	lv_link_stop || return 1
	ns_alive "$pid" || { echo "daemon exited with its front-end"; return 1; }
	sleep 1		# QEMU waits 5 s (reconnect-ms=5000) before retrying
	lv_link "$dir" && case_lv_dhcp && ns_alive "$pid"
}

# case_lv_stop() - the daemon ends on SIGTERM, cleaning up after itself
# $1:	run directory
case_lv_stop() {
	local dir=$1 pid

	pid=$(lv_pid "$dir")
	lv_link_stop
	kill -TERM "$pid" || return 1
	wait_for 10 "the daemon to exit on SIGTERM" lv_gone "$pid" &&
		[ ! -e "$dir/passt.sock" ] && [ ! -e "$dir/passt.pid" ]
}

# libvirt_cases() - the libvirt cases for one form of the command line
# $1:	"new" (libvirt 11) or "mac" (older, with --mac-addr)
libvirt_cases() {
	local form=$1 dir what=libvirt

	[ "$form" = mac ] && what="older libvirt (--mac-addr)"
	dir=$(lv_dir "lv-$form") || ns_fatal "cannot make a run directory"
	ns_layout_standard

	run_case "$what: parent exits 0 once ready, PID file, no caps" \
		case_lv_ready "$dir" one-off "$form" ||
		ns_group_fail "the daemon did not start as libvirt starts it"
	run_case "$what: vhost-user guest starts" lv_link "$dir" ||
		ns_group_fail "the vhost-user guest did not start"
	run_case "$what: guest gets --address/--netmask, MTU by DHCP" \
		case_lv_dhcp
	run_case "$what: DHCP gives --hostname and --fqdn" case_lv_names
	if [ "$form" = mac ]; then
		run_case "$what: --mac-addr is the gateway's MAC" case_lv_mac
	else
		run_case "$what: guest pings the gateway" case_lv_ping
		run_case "$what: --tcp-ports 2222:22 reaches the guest" \
			case_lv_tcp_port
	fi
	run_case "$what: --one-off: exits when QEMU goes away" \
		case_lv_one_off "$dir"
	ns_teardown
}

# reconnect_cases() - the same daemon serves QEMU's reconnection
reconnect_cases() {
	local dir

	dir=$(lv_dir lv-reconnect) || ns_fatal "cannot make a run directory"
	ns_layout_standard
	run_case "no --one-off: daemon starts as libvirt's" \
		case_lv_ready "$dir" no-one-off new ||
		ns_group_fail "the daemon did not start as libvirt starts it"
	run_case "no --one-off: vhost-user guest starts" lv_link "$dir" ||
		ns_group_fail "the vhost-user guest did not start"
	run_case "no --one-off: guest gets its lease" case_lv_dhcp
	run_case "no --one-off: QEMU's reconnection is served" \
		case_lv_reconnect "$dir"
	run_case "no --one-off: daemon ends on SIGTERM, cleans up" \
		case_lv_stop "$dir"
	ns_teardown
}

# --- QEMU 10.1's launcher --------------------------------------------------------

# qm_run() - start the daemon as QEMU's "-netdev passt" does, probe the link
# with fd_launch, leave its output in $NS_TMP/qm.out
# $1:	fd_launch's probe options, e.g. "--dhcp --rs"
# $2:	address whose resolution ends the probes (answered by the daemon)
# $@:	the typed options QEMU adds
# Return: fd_launch's exit status
qm_run() {
	local probes=$1 gw=$2 pidfile="$NS_TMP/qm.pid"

	shift 2
	echo "passt --fd 3 --pid $pidfile --quiet --one-off $*"
	# shellcheck disable=SC2086 # word splitting wanted
	ns_exec host "$FD_LAUNCH" $probes "$pidfile" "$gw" -- "$NS_PASST" \
		--fd 3 --pid "$pidfile" --quiet --one-off "$@" >"$NS_TMP/qm.out"
	local rc=$?
	cat "$NS_TMP/qm.out"
	return $rc
}

# qm_says() - fd_launch printed a line matching a regular expression
# $1:	extended regular expression
qm_says() {
	grep -Eq "$1" "$NS_TMP/qm.out" || { echo "expected: $1"; return 1; }
}

# case_qm_all() - every typed option at once is accepted, and those the
# link shows take effect: the DHCP offer names --gateway as router, the
# --dns and --search given; ARP gives --mac-addr for the gateway; the RA
# lists the IPv6 --dns; an echo to the peer is answered and reaches it
case_qm_all() {
	local before after

	before=$(ns_icmp_echo_requests peer 4)
	qm_run "--dhcp --rs --echo $NS_GW4" "$QM_GW4" \
		--gateway "$QM_GW4" --outbound "$NS_HOST4" \
		--outbound-if4 "$NS_VETH" --outbound-if6 "$NS_VETH" \
		--dns "$QM_DNS4" --dns "$QM_DNS6" --search "$QM_SEARCH" \
		--map-host-loopback 192.0.2.253 --map-guest-addr 192.0.2.252 \
		--dns-forward 192.0.2.251 --dns-host "$NS_DNS4" --freebind \
		--mac-addr "$QM_MAC" || return 1
	after=$(ns_icmp_echo_requests peer 4)
	echo "echo requests at the peer: $before, then $after"
	qm_says "^dhcp: .* router $QM_GW4( |$)" &&
		qm_says "^dhcp: .* dns $QM_DNS4( |$)" &&
		qm_says "^dhcp: .* search $QM_SEARCH\\.( |$)" &&
		qm_says "^ARP reply: $QM_GW4 is at $QM_MAC$" &&
		qm_says "^ra: .* rdnss $QM_DNS6( |$)" &&
		qm_says "^echo: reply from $NS_GW4$" &&
		[ "$after" -gt "$before" ]
}

# case_qm_no_dhcp_lists() - --no-dhcp-dns, --no-dhcp-search: the offer
# carries neither the resolvers nor the search domains given
case_qm_no_dhcp_lists() {
	qm_run --dhcp "$NS_GW4" --dns "$QM_DNS4" --search "$QM_SEARCH" \
		--no-dhcp-dns --no-dhcp-search || return 1
	qm_says "^dhcp: .* dns none search none$"
}

# case_qm_silenced() - one option that silences a probe: the probe goes
# unanswered, while the resolution sent after it is answered
# $1:	fd_launch probe option
# $2:	what fd_launch prints for the silenced probe
# $3:	address resolved last
# $@:	daemon options
case_qm_silenced() {
	local probe=$1 line=$2 gw=$3

	shift 3
	qm_run "$probe" "$gw" "$@" && qm_says "^$line$"
}

# case_qm_dhcpv6_flags() - the RA announces DHCPv6 (managed and other
# flags) by default, and not with --no-dhcpv6
case_qm_dhcpv6_flags() {
	qm_run --rs "$NS_GW4" && qm_says "^ra: .* flags M O( |$)" &&
		qm_run --rs "$NS_GW4" --no-dhcpv6 && qm_says "^ra: .* flags( prefix|$)"
}

# case_qm_no_icmp() - --no-icmp: the guest's echo request is dropped: no
# reply, and nothing reaches the peer (whose counter a sent request raises,
# as case_qm_all shows)
case_qm_no_icmp() {
	local before after

	before=$(ns_icmp_echo_requests peer 4)
	qm_run "--echo $NS_GW4" "$NS_GW4" --no-icmp || return 1
	after=$(ns_icmp_echo_requests peer 4)
	echo "echo requests at the peer: $before, then $after"
	qm_says "^echo: no reply$" && [ "$after" = "$before" ]
}

# case_qm_echo() - an echo request to an address is answered, or not
# $1:	destination (nobody on the peer's link has it)
# $2:	"reply" or "no reply"
# $@:	daemon options
case_qm_echo() {
	local to=$1 expect=$2

	shift 2
	qm_run "--echo $to" "$NS_GW4" "$@" || return 1
	if [ "$expect" = reply ]; then
		qm_says "^echo: reply from $to$"
	else
		qm_says "^echo: no reply$"
	fi
}

# qemu_cases() - the daemon as QEMU 10.1's launcher starts it
qemu_cases() {
	ns_layout_standard
	run_case "QEMU: every typed option accepted, effects on the link" \
		case_qm_all
	run_case "QEMU: --no-dhcp-dns --no-dhcp-search: offer without them" \
		case_qm_no_dhcp_lists
	run_case "QEMU: --no-dhcp: no DHCP answer" case_qm_silenced \
		--dhcp "dhcp: no reply" "$NS_GW4" --no-dhcp
	run_case "QEMU: --ipv6-only: no DHCP answer" case_qm_silenced \
		--dhcp "dhcp: no reply" "$NS_GW6" --ipv6-only
	run_case "QEMU: --ipv4-only: no router advertisement" case_qm_silenced \
		--rs "ra: no reply" "$NS_GW4" --ipv4-only
	run_case "QEMU: --no-ra: no router advertisement" case_qm_silenced \
		--rs "ra: no reply" "$NS_GW4" --no-ra
	run_case "QEMU: --no-ndp: no router advertisement" case_qm_silenced \
		--rs "ra: no reply" "$NS_GW4" --no-ndp
	run_case "QEMU: --no-dhcpv6: RA stops announcing DHCPv6" \
		case_qm_dhcpv6_flags
	run_case "QEMU: --no-icmp: echo requests dropped" case_qm_no_icmp
	run_case "QEMU: no mapping: echo to 192.0.2.253 unanswered" \
		case_qm_echo 192.0.2.253 "no reply"
	run_case "QEMU: --map-host-loopback: echo reaches the host" \
		case_qm_echo 192.0.2.253 reply --map-host-loopback 192.0.2.253
	run_case "QEMU: --map-guest-addr: echo reaches the host's address" \
		case_qm_echo 192.0.2.252 reply --map-guest-addr 192.0.2.252
	run_case "QEMU: echo to the peer through the uplink" \
		case_qm_echo "$NS_PEER4" reply
	run_case "QEMU: --outbound-if4 lo: the peer is out of reach" \
		case_qm_echo "$NS_PEER4" "no reply" --outbound-if4 lo
	run_case "QEMU: --outbound 127.0.0.1: the peer is out of reach" \
		case_qm_echo "$NS_PEER4" "no reply" --outbound 127.0.0.1
	ns_teardown
}

ns_init launchers
NS_PREFIX=launchers
missing=$(ns_transport_missing vhost-user) && ns_skip_all "$missing"
[ -x "$FD_LAUNCH" ] || ns_skip_all "$FD_LAUNCH is not built (run make tools)"
command -v setpriv >/dev/null || ns_skip_all "no setpriv (util-linux)"
id "$RUN_USER" >/dev/null 2>&1 || ns_skip_all "no user $RUN_USER"

# The unprivileged daemon must reach its run directories
chmod 711 "$NS_TMP"
mkdir -p "$NS_TMP/run" && chmod 711 "$NS_TMP/run"

libvirt_cases new
libvirt_cases mac
reconnect_cases
qemu_cases

ns_summary
