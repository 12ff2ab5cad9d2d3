#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/ns/test_vhost_user.sh - the vhost-user back-end with its front-end
# stand-in: a guest over vhost-user, dirty-page logging, a device-state
# transfer between two daemons, malformed messages, lifecycle
#
# Daemon A runs in namespace "host"; build/vu_frontend, in namespace "guest",
# plays QEMU: it bridges the rings to tap0 there, with dirty logging on from
# the start (--log-check). On SIGUSR1 it migrates the guest to daemon B, in
# the same namespace: rings stopped on A, the log checked (every page A wrote
# is marked, and no other), the device state moved through pipes, the rings
# resumed on B. Then every malformed-message class goes to daemon A, whose
# front-end has left.
#
# Usage: test/ns/test_vhost_user.sh
# Run as root, from anywhere; see test/ns/README.md.

# The dhcp_* variables come from the lease file
# shellcheck disable=SC2154

# shellcheck source=test/ns/lib.sh
. "$(dirname "$0")/lib.sh"

VU_FRONTEND="$NS_BUILD/vu_frontend"

# guest_ping() - ping from the guest, a few echoes, bounded
# $1:	4 or 6
# $2:	destination
guest_ping() {
	local cmd=ping

	[ "$1" = 6 ] && cmd=ping6
	ns_exec guest "$NS_BUSYBOX" "$cmd" -c 3 -i 0.2 -W 3 -w 10 "$2"
}

# guest_global6() - the guest's global IPv6 address, once autoconfigured and
# usable (duplicate detection over: before, the guest's kernel may send from
# any source, even ::1)
guest_global6() {
	ns_exec guest ip -6 -o addr show dev "$NS_TAP" scope global -tentative |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

# guest_ll6() - the guest's link-local IPv6 address
guest_ll6() {
	ns_exec guest ip -6 -o addr show dev "$NS_TAP" scope link |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

# has_global6() - the guest has a global IPv6 address
has_global6() {
	[ -n "$(guest_global6)" ]
}

# case_capabilities() - --print-capabilities prints the back-end JSON, exits 0
case_capabilities() {
	local out

	out=$("$NS_PASST" --print-capabilities) || return 1
	echo "$out"
	echo "$out" | tr -d ' \n' | grep -qx '{"type":"net"}'
}

# case_dhcp() - the guest gets its IPv4 address by DHCP over vhost-user
case_dhcp() {
	ns_guest_dhcp4 || return 1
	# shellcheck source=/dev/null
	. "$NS_LOGDIR/dhcp4.env"
	echo "lease: $dhcp_ip/$dhcp_mask via $dhcp_router"
	[ "$dhcp_ip" = "$NS_HOST4" ] && [ "$dhcp_router" = "$NS_GW4" ]
}

# case_ipv6() - the guest autoconfigures IPv6 from the router advertisement
case_ipv6() {
	wait_for "$NS_WAIT" "a global IPv6 address on the guest" has_global6
}

# link_says() - the stand-in's log has a line
# $1:	extended regular expression
link_says() {
	grep -Eq "$1" "$NS_LINK_LOG"
}

# case_migrate() - the stand-in moves the guest from daemon A to daemon B
case_migrate() {
	kill -USR1 "$NS_LINK_PID" || return 1
	wait_for "$NS_WAIT" "the stand-in to migrate" link_says \
		"migrated to|FAILED|failed|refused" || return 1
	cat "$NS_LINK_LOG"
	link_says "migrated to $SOCK_B: [1-9][0-9]* bytes of device state"
}

# case_log() - after logging was enabled, every page daemon A wrote is
# marked in the dirty log, and no other (checked by the stand-in with the
# rings stopped)
case_log() {
	grep "log check" "$NS_LINK_LOG"
	link_says "log check: [1-9][0-9]* pages marked, every page written is marked and no other"
}

# ip6_hex() - an IPv6 address as 32 hexadecimal digits, network order
# $1:	address
ip6_hex() {
	echo "$1" | awk -F: '{
		n = 0
		for (i = 1; i <= NF; i++)
			if ($i != "")
				n++
		out = ""
		for (i = 1; i <= NF; i++) {
			if ($i == "" && !done) {
				for (j = n; j < 8; j++)
					out = out "0000"
				done = 1
			} else if ($i != "") {
				out = out substr("0000" $i, length($i) + 1)
			}
		}
		print tolower(out)
	}'
}

# case_state_addresses() - the device state carried the guest addresses
# daemon A observed: the stream daemon B read (its --migrate-save copy)
# checks out, and holds the guest's link-local address, which only traffic
# from the guest can have taught, and the guest's IPv4 address
case_state_addresses() {
	local ll stream hex

	ll=$(guest_ll6)
	stream=$(ls "$NS_LOGDIR"/state-b/*target*.bin 2>/dev/null | head -n 1)
	echo "guest link-local address: $ll, stream copy: $stream"
	[ -n "$ll" ] && [ -n "$stream" ] || return 1
	"$NS_PASST" --migrate-inspect "$stream" || return 1
	grep "migrate: target: complete" "$NS_LOGDIR/passt-b.log" || return 1
	hex=$(od -An -v -tx1 "$stream" | tr -d ' \n')
	echo "$hex" | grep -q "$(ip6_hex "$ll")" &&
		echo "$hex" | grep -q "$(printf '%02x' ${NS_HOST4//./ })"
}

# case_after_migration() - the guest pings through daemon B, and daemon A
# saw its front-end leave
case_after_migration() {
	guest_ping 4 "$NS_GW4" && guest_ping 6 "$NS_GW6" &&
		grep "front-end disconnected" "$NS_DAEMON_LOG"
}

# malformed_request() - request named in the daemon's error for a class
# $1:	class
malformed_request() {
	case $1 in
	short-payload|fd-extra|ring-too-large|ring-not-power-of-two|queue-out-of-range)
		echo SET_VRING_NUM ;;
	long-payload|oversized-payload) echo SET_FEATURES ;;
	bad-version) echo GET_FEATURES ;;
	fd-missing|too-many-regions|region-beyond-file) echo SET_MEM_TABLE ;;
	kick-fd-missing) echo SET_VRING_KICK ;;
	address-outside-memory) echo SET_VRING_ADDR ;;
	log-beyond-file) echo SET_LOG_BASE ;;
	unknown-request) echo "unknown request 200" ;;
	unsupported-get) echo GET_CONFIG ;;
	state-direction|state-phase) echo SET_DEVICE_STATE_FD ;;
	check-without-transfer) echo "" ;;
	esac
}

# case_malformed() - one malformed-message class: refused (the connection
# closed, or the message answered as the protocol says), one log line naming
# the request, then a fresh connection served
# $1:	class
case_malformed() {
	local class=$1 before req

	before=$(wc -l <"$NS_DAEMON_LOG")
	ns_exec host "$VU_FRONTEND" --socket "$NS_SOCK" --malformed "$class" ||
		return 1
	req=$(malformed_request "$class")
	tail -n +"$((before + 1))" "$NS_DAEMON_LOG" >"$NS_TMP/malformed.log"
	cat "$NS_TMP/malformed.log"
	ns_alive "$NS_DAEMON_PID" || return 1
	[ -z "$req" ] || grep -q "vhost-user: .*$req" "$NS_TMP/malformed.log"
}

# case_one_off() - with --one-off, the daemon exits 0 when its front-end
# leaves
case_one_off() {
	local sock="$NS_LOGDIR/oneoff.sock" log="$NS_LOGDIR/oneoff.log" pid

	ns_bg host "$log" "$NS_PASST" -f -d --vhost-user --one-off -s "$sock"
	pid=$NS_LAST_PID
	wait_for 10 "the --one-off daemon's socket" test -S "$sock" || return 1
	# The first connection is served and closed; no second one is served
	ns_exec host "$VU_FRONTEND" --socket "$sock" --malformed bad-version
	wait_for 10 "the --one-off daemon to exit" eval "! ns_alive $pid" ||
		return 1
	wait "$pid"
	local rc=$?
	cat "$log"
	[ $rc = 0 ] && grep -q "front-end disconnected" "$log"
}

ns_init ns-vhost-user
NS_PREFIX=vhost-user
missing=$(ns_transport_missing vhost-user) && {
	ns_skip_all "$missing"
}

run_case "daemon prints its vhost-user capabilities as JSON" case_capabilities

NS_LOGDIR="$NS_TMP/vhost-user"
mkdir -p "$NS_LOGDIR/state-b"
ns_layout_standard
SOCK_B="$NS_LOGDIR/passt-b.sock"
if ! ns_start_daemon vhost-user ||
   ! ns_start_link vhost-user --log-check --migrate-to "$SOCK_B" \
	--mac 02:00:00:00:00:01; then
	cat "$NS_LOGDIR"/*.log
	ns_fatal "daemon A or the stand-in did not start"
fi
ns_bg host "$NS_LOGDIR/passt-b.log" "$NS_PASST" -f -d --vhost-user \
	-s "$SOCK_B" --migrate-save "$NS_LOGDIR/state-b"
wait_for 10 "daemon B's socket" test -S "$SOCK_B" || ns_fatal "daemon B did not start"
ip -n "$(ns_name guest)" link set "$NS_TAP" up

run_case "guest gets IPv4 address by DHCP over vhost-user" case_dhcp
run_case "guest pings the gateway over vhost-user" guest_ping 4 "$NS_GW4"
run_case "guest autoconfigures IPv6 over vhost-user" case_ipv6
run_case "guest pings the IPv6 gateway over vhost-user" guest_ping 6 "$NS_GW6"
run_case "stand-in moves the guest from daemon A to daemon B" case_migrate
run_case "dirty log: every page written is marked, and no other" case_log
run_case "device state carries the observed guest addresses" case_state_addresses
run_case "guest pings through daemon B; A saw its front-end leave" case_after_migration

for class in $("$VU_FRONTEND" --list-malformed); do
	run_case "malformed: $class, refused, next connection served" \
		case_malformed "$class"
done

run_case "with --one-off, daemon exits when the front-end leaves" case_one_off
run_case "stand-in ends cleanly on SIGTERM" ns_stop "$NS_LINK_PID"

ns_summary
