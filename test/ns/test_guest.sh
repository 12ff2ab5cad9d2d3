#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/ns/test_guest.sh - a real kernel as the guest
#
# For each transport, the daemon runs in namespace "host", the transport's
# QEMU stand-in creates a TAP device in namespace "guest", and that
# namespace's kernel, with busybox's udhcpc, configures itself from the
# daemon's DHCP, router advertisements and ARP/NDP answers, then pings.
#
# Usage: test/ns/test_guest.sh [TRANSPORT...]	(default: stream vhost-user vhost-user-plain)
# Run as root, from anywhere; see test/ns/README.md.

# The dhcp_* and dhcp6_* variables come from the lease files
# shellcheck disable=SC2154

# shellcheck source=test/ns/lib.sh
. "$(dirname "$0")/lib.sh"

NS_DAEMON_MAC=${NS_DAEMON_MAC:-9a:55:9a:55:9a:55}

# guest_lladdr() - MAC address the guest's kernel resolved a neighbour to
# $1:	neighbour address
# Prints the address, nothing if unresolved
guest_lladdr() {
	ns_exec guest ip neigh show "$1" dev "$NS_TAP" |
		awk '!/FAILED|INCOMPLETE/ {
			for (i = 1; i < NF; i++)
				if ($i == "lladdr")
					print $(i + 1)
		}'
}

# guest_resolved() - the guest's kernel has a link-layer address for a neighbour
# $1:	neighbour address
guest_resolved() {
	[ -n "$(guest_lladdr "$1")" ]
}

# guest_router_ll() - link-local router of the guest's IPv6 default route
guest_router_ll() {
	ns_exec guest ip -6 route show default dev "$NS_TAP" |
		awk '$2 == "via" && $3 ~ /^fe80:/ { print $3; exit }'
}

# guest_ping() - ping from the guest, a few echoes, bounded
# $1:	4 or 6
# $@:	further options and the destination
# Return: 0 if any echo was answered
guest_ping() {
	local cmd=ping

	[ "$1" = 6 ] && cmd=ping6
	shift
	ns_exec guest "$NS_BUSYBOX" "$cmd" -c 3 -i 0.2 -W 3 -w 10 "$@"
}

# ping_reaches() - ping from the guest and check where the echoes arrived
# $1:	4 or 6
# $2:	destination
# $3:	role of the namespace whose kernel must have answered
ping_reaches() {
	local before after

	before=$(ns_icmp_echo_requests "$3" "$1")
	guest_ping "$1" "$2" || return 1
	after=$(ns_icmp_echo_requests "$3" "$1")
	echo "echo requests received in $3: $before before, $after after"
	[ "$after" -gt "$before" ]
}

# expect_equal() - compare a value with the expected one, saying what differs
# $1:	what the value is
# $2:	value
# $3:	expected value
expect_equal() {
	[ "$2" = "$3" ] && return 0
	echo "$1: got '$2', expected '$3'"
	return 1
}

# load_lease() - read the lease that udhcpc's script recorded: sets dhcp_ip,
# dhcp_mask, dhcp_router, dhcp_dns, dhcp_domain, dhcp_search, dhcp_mtu,
# dhcp_lease, dhcp_serverid
load_lease() {
	[ -s "$NS_LOGDIR/dhcp4.env" ] || {
		echo "no DHCP lease was recorded"
		return 1
	}
	. "$NS_LOGDIR/dhcp4.env"
}

# case_start() - daemon, link and a capture of the first router advertisement
# $1:	transport
case_start() {
	ns_start_guest "$1" hold-ipv6 || return 1
	ns_capture guest "$NS_TAP" "$NS_LOGDIR/ra.pcap" 1 \
		'icmp6 and ip6[40] == 134' || return 1
	ns_guest_ipv6_start
}

case_dhcp4_address() {
	ns_guest_dhcp4 || return 1
	load_lease || return 1
	expect_equal "leased address" "$dhcp_ip/$dhcp_mask" "$NS_HOST4/24" ||
		return 1
	ns_exec guest ip -4 addr show dev "$NS_TAP" |
		grep -q "inet $NS_HOST4/24 "
}

case_dhcp4_router() {
	load_lease || return 1
	expect_equal "router" "$dhcp_router" "$NS_GW4" || return 1
	ns_exec guest ip -4 route show default |
		grep -q "via $NS_GW4 dev $NS_TAP"
}

case_dhcp4_dns() {
	load_lease || return 1
	expect_equal "DNS servers" "$dhcp_dns" "$NS_DNS4" || return 1
	case " $dhcp_search $dhcp_domain " in
	*" $NS_SEARCH "* | *" $NS_SEARCH. "*) ;;
	*)
		echo "search domains: got '$dhcp_search', domain" \
			"'$dhcp_domain', expected $NS_SEARCH"
		return 1
		;;
	esac
}

case_dhcp4_lease_mtu() {
	load_lease || return 1
	[ "${dhcp_lease:-0}" -gt 0 ] || {
		echo "lease time: got '$dhcp_lease'"
		return 1
	}
	if [ "${dhcp_mtu:-0}" -lt 576 ] || [ "$dhcp_mtu" -gt 65535 ]; then
		echo "MTU: got '$dhcp_mtu', expected 576 to 65535"
		return 1
	fi
}

# guest_has_slaac() - the guest has a usable autoconfigured global address
guest_has_slaac() {
	ns_exec guest ip -6 addr show dev "$NS_TAP" scope global -tentative |
		grep -q "inet6 2001:db8::[0-9a-f:]*/64 .*dynamic"
}

case_ra_address() {
	wait_for "$NS_WAIT" "an autoconfigured address in 2001:db8::/64" \
		guest_has_slaac || {
		ns_exec guest ip -6 addr show dev "$NS_TAP"
		return 1
	}
	ns_exec guest ip -6 addr show dev "$NS_TAP" scope global
}

case_ra_route() {
	wait_for "$NS_WAIT" "a default route via a link-local router" \
		guest_router_ll_known || {
		ns_exec guest ip -6 route show
		return 1
	}
	ns_exec guest ip -6 route show default
}

# guest_router_ll_known() - the guest has a default route from an RA
guest_router_ll_known() {
	[ -n "$(guest_router_ll)" ]
}

case_ra_options() {
	local ra="$NS_LOGDIR/ra.txt"

	wait_for "$NS_WAIT" "the router advertisement capture" \
		test -s "$NS_LOGDIR/ra.pcap" || return 1
	tcpdump -n -vv -r "$NS_LOGDIR/ra.pcap" >"$ra" 2>&1
	cat "$ra"
	grep -q "prefix info option .*: 2001:db8::/64" "$ra" || {
		echo "no prefix 2001:db8::/64 in the router advertisement"
		return 1
	}
	grep -q "rdnss option .*addr: $NS_DNS6\$" "$ra" || {
		echo "no RDNSS $NS_DNS6 in the router advertisement"
		return 1
	}
}

case_dhcpv6() {
	command -v dhclient >/dev/null || {
		skip_case "no DHCPv6 client: busybox has no udhcpc6, and" \
			"dhclient (isc-dhcp-client) is not installed"
		return
	}
	ns_guest_dhcp6 || return 1
	. "$NS_LOGDIR/dhcp6.env"
	cat "$NS_LOGDIR/dhcp6.env"
	expect_equal "leased address" "$dhcp6_address" "$NS_HOST6" || return 1
	expect_equal "DNS servers" "$dhcp6_dns" "$NS_DNS6" || return 1
	ns_exec guest ip -6 addr show dev "$NS_TAP" | grep -q "$NS_HOST6/"
}

# case_arp() - the guest's kernel resolves the gateway by ARP, from scratch
case_arp() {
	local mac

	ns_exec guest ip neigh flush dev "$NS_TAP"
	# Any packet to the gateway makes the kernel resolve it; whether the
	# echo is answered is another case
	ns_exec guest "$NS_BUSYBOX" ping -c 1 -W 2 "$NS_GW4"
	wait_for 5 "the gateway's ARP entry" guest_resolved "$NS_GW4"
	mac=$(guest_lladdr "$NS_GW4")
	ns_exec guest ip neigh show dev "$NS_TAP"
	expect_equal "gateway's MAC address" "$mac" "$NS_DAEMON_MAC"
}

# case_ndp() - the guest's kernel resolves the IPv6 router by NDP, from scratch
case_ndp() {
	local router mac

	router=$(guest_router_ll)
	[ -n "$router" ] || {
		echo "no IPv6 default route: no router to resolve"
		return 1
	}
	ns_exec guest ip -6 neigh flush dev "$NS_TAP"
	ns_exec guest "$NS_BUSYBOX" ping6 -c 1 -W 2 -I "$NS_TAP" "$router"
	wait_for 5 "the router's NDP entry" guest_resolved "$router"
	mac=$(guest_lladdr "$router")
	ns_exec guest ip -6 neigh show dev "$NS_TAP"
	expect_equal "router's MAC address" "$mac" "$NS_DAEMON_MAC"
}

case_ping4_gateway() {
	ping_reaches 4 "$NS_GW4" host
}

# case_ping4_large() - echoes of 60000 bytes: one frame each way, far above
# 1500 bytes, through the DHCP-given MTU and the transport's framing
case_ping4_large() {
	ns_exec guest ip link show "$NS_TAP"
	guest_ping 4 -s 60000 "$NS_GW4"
}

case_ping4_peer() {
	ping_reaches 4 "$NS_PEER4" peer
}

case_ping6_router_ll() {
	local router

	router=$(guest_router_ll)
	[ -n "$router" ] || {
		echo "no IPv6 default route: no router to ping"
		return 1
	}
	guest_ping 6 -I "$NS_TAP" "$router"
}

case_ping6_gateway() {
	guest_ping 6 "$NS_GW6"
}

case_ping6_peer() {
	ping_reaches 6 "$NS_PEER6" peer
}

# case_ping_forbidden() - with ping sockets forbidden in "host", the echo is
# not answered and the daemon says why, naming the sysctl
case_ping_forbidden() {
	local rc=0

	ns_ping_sockets host off
	if guest_ping 4 "$NS_GW4"; then
		echo "echo answered although ping sockets are forbidden"
		rc=1
	fi
	ns_ping_sockets host on
	grep -i "ping_group_range" "$NS_DAEMON_LOG" || {
		echo "the daemon's log does not mention ping_group_range"
		rc=1
	}
	return $rc
}

case_ping_allowed_again() {
	ns_alive "$NS_DAEMON_PID" || {
		echo "the daemon is gone"
		return 1
	}
	ping_reaches 4 "$NS_GW4" host && ping_reaches 6 "$NS_PEER6" peer
}

# case_link_clean() - the link tool ends cleanly on SIGTERM: in particular,
# the stream carried no malformed frame
case_link_clean() {
	local rc

	ns_stop "$NS_LINK_PID"
	rc=$?
	cat "$NS_LINK_LOG"
	expect_equal "$(basename "$NS_LINK_TOOL") exit status" "$rc" 0
}

# case_daemon_exit() - the daemon exits cleanly on SIGTERM, removing its socket
case_daemon_exit() {
	local rc

	ns_stop "$NS_DAEMON_PID"
	rc=$?
	tail -n 5 "$NS_DAEMON_LOG"
	expect_equal "daemon's exit status" "$rc" 0 || return 1
	[ ! -e "$NS_SOCK" ] || {
		echo "the daemon left its socket $NS_SOCK behind"
		return 1
	}
}

# One row per case, in order: function|the sentence it proves
CASES=(
	"case_dhcp4_address|guest gets IPv4 address by DHCP"
	"case_dhcp4_router|guest gets the IPv4 router by DHCP"
	"case_dhcp4_dns|guest gets DNS server and search domain by DHCP"
	"case_dhcp4_lease_mtu|guest gets lease time and MTU by DHCP"
	"case_ra_address|guest autoconfigures IPv6 address from RA"
	"case_ra_route|guest gets IPv6 default route from RA"
	"case_ra_options|RA carries prefix and DNS server"
	"case_dhcpv6|guest gets IPv6 address and DNS by DHCPv6"
	"case_arp|guest resolves the gateway by ARP"
	"case_ndp|guest resolves the IPv6 router by NDP"
	"case_ping4_gateway|ping gateway, answered by host"
	"case_ping4_large|ping gateway with 60000-byte echoes"
	"case_ping4_peer|ping peer through the host's uplink"
	"case_ping6_router_ll|ping6 link-local router"
	"case_ping6_gateway|ping6 gateway 2001:db8::1"
	"case_ping6_peer|ping6 peer through the host's uplink"
	"case_ping_forbidden|forbidden ping sockets: daemon says why"
	"case_ping_allowed_again|daemon serves pings once allowed again"
	"case_link_clean|link tool ends cleanly, no malformed frame"
	"case_daemon_exit|daemon exits on SIGTERM, removes socket"
)

# run_transport() - every case over one transport, on fresh namespaces
# $1:	transport
run_transport() {
	local row names=() reason

	NS_PREFIX=$1
	for row in "${CASES[@]}"; do
		names+=("${row#*|}")
	done

	if reason=$(ns_transport_missing "$1"); then
		skip_cases "$reason" "every guest case"
		return
	fi

	if ! run_case "daemon and guest link start" case_start "$1"; then
		skip_cases "the guest link did not start" "${names[@]}"
	else
		for row in "${CASES[@]}"; do
			run_case "${row#*|}" "${row%%|*}"
		done
	fi
	ns_teardown
}

ns_init ns-guest
command -v tcpdump >/dev/null || ns_fatal "tcpdump is missing: run test/deps"
ns_run_transports "$@"
