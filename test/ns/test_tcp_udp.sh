#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/ns/test_tcp_udp.sh - TCP and UDP through the daemon, real kernels on
# both ends
#
# For each transport, the namespace "guest" (its kernel's TCP stack is the
# guest's) talks through the daemon to servers in "peer" (the world), in
# "host" on its loopback (through the gateway address), and the world talks
# to servers in the guest through the daemon's -t and -u forwarding. Streams
# are checked byte for byte with SHA-256; the end points are build/flow_peer
# (test/tools/flow_peer.c). A last set of cases loses 5% of the frames
# between guest and daemon on purpose, in both directions.
#
# Usage: test/ns/test_tcp_udp.sh [TRANSPORT...]	(default: stream vhost-user vhost-user-plain)
# Environment: TCP_BULK_MB (default 100): size of the bulk transfers
# Run as root; see test/ns/README.md.

# shellcheck source=test/ns/lib.sh
. "$(dirname "$0")/lib.sh"

FP=$NS_BUILD/flow_peer
BULK_MB=${TCP_BULK_MB:-100}
LOSS_MB=${TCP_LOSS_MB:-20}
FWD_TCP_HOST=10080		# -t 10080:8080
FWD_TCP_GUEST=8080
FWD_UDP_HOST=10053		# -u 10053:8053
FWD_UDP_GUEST=8053
DNS_ANSWER=198.51.100.7
DNS_FORWARD=198.51.100.53	# --dns-forward: the guest's resolver address
export FLOW_PEER_TIMEOUT=${FLOW_PEER_TIMEOUT:-120}

# port_listening() - a server we started listens on a port in a namespace
# $1:	role
# $2:	t (TCP) or u (UDP)
# $3:	port
# $4:	the server's PID
port_listening() {
	ns_alive "$4" || return 125
	[ -n "$(ns_exec "$1" ss -Hn -l "-$2" "sport = :$3")" ]
}

# server_start() - start a flow_peer server, return once it listens
# $1:	role
# $2:	t or u
# $3:	port
# $4:	log name
# $@:	flow_peer arguments
# Sets SERVER_PID
server_start() {
	local role=$1 proto=$2 port=$3 log=$4

	shift 4
	ns_bg "$role" "$NS_LOGDIR/$log.log" "$FP" "$@"
	SERVER_PID=$NS_LAST_PID
	wait_for 10 "$log listening on port $port" \
		port_listening "$role" "$proto" "$port" "$SERVER_PID"
}

# server_wait() - wait for a server that ends by itself, give its status
# $1:	PID (flow_peer's own alarm bounds the wait)
# $2:	log name, printed on failure
server_wait() {
	wait "$1" && return 0
	echo "server failed; its log:"
	cat "$NS_LOGDIR/$2.log"
	return 1
}

# guest_run() - run flow_peer in the guest, bounded
# $@:	flow_peer arguments
guest_run() {
	ns_exec guest timeout "$((FLOW_PEER_TIMEOUT + 10))" "$FP" "$@"
}

# same_file() - compare two files by SHA-256
# $1:	sent
# $2:	received
same_file() {
	local a b

	a=$(sha256sum <"$1" | cut -d' ' -f1)
	b=$(sha256sum <"$2" | cut -d' ' -f1)
	echo "sent $a"
	echo "got  $b"
	[ "$a" = "$b" ]
}

# data_file() - a file of random bytes, made once per size
# $1:	size in MiB
# Prints its path
data_file() {
	local f="$NS_TMP/data.$1M"

	[ -s "$f" ] || head -c "$(($1 << 20))" /dev/urandom >"$f"
	echo "$f"
}

# send_to_sink() - a tcp-sink server receives a file: byte-exact, and the
# sink's reply, after the sender's FIN arrives, counts every byte
# $1:	role of the sink
# $2:	address it binds
# $3:	its port
# $4:	log name
# $5:	size of the file in MiB
# $@:	the sending command, without the file (appended); prints the reply
send_to_sink() {
	local role=$1 addr=$2 port=$3 log=$4 size=$5 in out reply

	shift 5
	in=$(data_file "$size")
	out="$NS_TMP/$log.out"
	server_start "$role" t "$port" "$log" tcp-sink "$addr" "$port" \
		"$out" || return 1
	reply=$("$@" "$in") || return 1
	server_wait "$SERVER_PID" "$log" || return 1
	echo "reply: $reply"
	[ "$reply" = "got $((size << 20))" ] && same_file "$in" "$out"
}

# with_server() - start a server, run a check against it, stop the server
# $1:	role of the server
# $2:	t or u
# $3:	its port
# $4:	log name
# $@:	the server's flow_peer arguments, "--", then the check command
# Return: the check's exit status, 1 if the server did not start
with_server() {
	local role=$1 proto=$2 port=$3 log=$4 rc
	local -a server=()

	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		server+=("$1")
		shift
	done
	shift
	server_start "$role" "$proto" "$port" "$log" "${server[@]}" || return 1
	"$@"
	rc=$?
	ns_stop "$SERVER_PID"
	return $rc
}

# bulk_to_host() - guest sends a file to a sink in "peer": byte-exact, and
# the sink's reply after the guest's FIN arrives (half-close from the guest)
# $1:	peer address
# $2:	size in MiB
bulk_to_host() {
	send_to_sink peer "$1" 5001 sink "$2" guest_run tcp-send "$1" 5001
}

# bulk_to_guest() - a source in "peer" sends a file to the guest: byte-exact,
# and the guest's reply after the source's FIN arrives (half-close from the
# host side)
# $1:	peer address
# $2:	size in MiB
bulk_to_guest() {
	local in out="$NS_TMP/recv.out" reply

	in=$(data_file "$2")
	server_start peer t 5002 source tcp-source "$1" 5002 "$in" || return 1
	guest_run tcp-recv "$1" 5002 "$out" || return 1
	server_wait "$SERVER_PID" source || return 1
	reply=$(cat "$NS_LOGDIR/source.log")
	echo "reply: $reply"
	[ "$reply" = "got $(($2 << 20))" ] && same_file "$in" "$out"
}

# many_connections() - concurrent connections from the guest to an echo
# server in "peer", each echo checked
# $1:	peer address
# $2:	number of connections
many_connections() {
	with_server peer t 5003 echo tcp-echo "$1" 5003 -- \
		guest_run tcp-echo-check "$1" 5003 "$2" 20000
}

# rst_from_guest() - the guest aborts: the host peer sees a reset
# $1:	peer address
rst_from_guest() {
	server_start peer t 5004 rst tcp-expect-rst-accept "$1" 5004 ||
		return 1
	guest_run tcp-rst-connect "$1" 5004 || return 1
	server_wait "$SERVER_PID" rst && cat "$NS_LOGDIR/rst.log"
}

# rst_to_guest() - the host peer aborts: the guest sees a reset
# $1:	peer address
rst_to_guest() {
	server_start peer t 5005 rst tcp-rst-accept "$1" 5005 || return 1
	guest_run tcp-expect-rst-connect "$1" 5005 || return 1
	server_wait "$SERVER_PID" rst
}

# rst_both_ways() - resets cross the daemon in each direction
# $1:	peer address
rst_both_ways() {
	rst_from_guest "$1" && rst_to_guest "$1"
}

# refused() - nothing listens in "peer": the guest's connect() is refused
# $1:	peer address
refused() {
	guest_run tcp-expect-refused "$1" 5999
}

# gateway_is_host() - the gateway address reaches the host's loopback
# $1:	4 or 6
gateway_is_host() {
	local lo=127.0.0.1 gw=$NS_GW4

	if [ "$1" = 6 ]; then
		lo=::1
		gw=$NS_GW6
	fi
	send_to_sink host "$lo" 5006 losink 1 guest_run tcp-send "$gw" 5006
}

# inbound_tcp() - a peer connects to the host's forwarded port, reaches the
# guest's remapped port, byte-exact
# $1:	guest bind address (0.0.0.0 or ::)
# $2:	host address the peer connects to
inbound_tcp() {
	send_to_sink guest "$1" "$FWD_TCP_GUEST" gsink 4 \
		ns_exec peer timeout 60 "$FP" tcp-send "$2" "$FWD_TCP_HOST"
}

# udp_echo() - a datagram from the guest to an echo server in "peer"
# $1:	peer address
udp_echo() {
	with_server peer u 5007 uecho udp-echo "$1" 5007 -- \
		guest_run udp-check "$1" 5007
}

# inbound_udp() - a datagram to the host's forwarded UDP port reaches the
# guest's echo server on the remapped port, and the echo comes back
# $1:	guest bind address
# $2:	host address the peer sends to
inbound_udp() {
	with_server guest u "$FWD_UDP_GUEST" gecho udp-echo "$1" \
		"$FWD_UDP_GUEST" -- \
		ns_exec peer timeout 30 "$FP" udp-check "$2" "$FWD_UDP_HOST"
}

# dns_query() - the guest asks the forwarded resolver address (--dns-forward),
# the daemon sends the query to the host's resolver (--dns-host) in "peer",
# the answer comes back
dns_query() {
	local out rc

	server_start peer u 53 dns dns-serve "$NS_DNS4" 53 "$DNS_ANSWER" ||
		return 1
	out=$(ns_exec guest timeout 20 "$NS_BUSYBOX" nslookup \
	      test.example.org "$DNS_FORWARD" 2>&1)
	rc=$?
	ns_stop "$SERVER_PID"
	echo "$out"
	[ $rc = 0 ] && echo "$out" | grep -q "$DNS_ANSWER"
}

# guest_ipv6_ready() - the guest has a global IPv6 address, not tentative
guest_ipv6_ready() {
	ns_exec guest ip -6 addr show dev "$NS_TAP" scope global |
		grep -v tentative | grep -q inet6
}

# start() - namespaces, daemon with forwarding, guest link, addresses
# $1:	transport
# $@:	options of the link tool
start() {
	local transport=$1

	shift
	NS_LOGDIR="$NS_TMP/$transport$*"
	NS_LOGDIR=${NS_LOGDIR// /_}
	mkdir -p "$NS_LOGDIR"
	ns_layout_standard
	NS_DAEMON_ARGS="-d" ns_start_daemon "$transport" \
		-t "$FWD_TCP_HOST:$FWD_TCP_GUEST" -u "$FWD_UDP_HOST:$FWD_UDP_GUEST" \
		--dns-forward "$DNS_FORWARD" --dns-host "$NS_DNS4" || return 1
	ns_start_link "$transport" "$@" || return 1
	ip -n "$(ns_name guest)" link set "$NS_TAP" up || return 1
	ns_guest_dhcp4 || return 1
	wait_for 20 "the guest's global IPv6 address" guest_ipv6_ready
}

# run_transport() - every case over one transport
# $1:	transport
run_transport() {
	local reason
	local -a names=(
		"TCP $BULK_MB MB guest to host, byte-exact, half-close"
		"TCP $BULK_MB MB host to guest, byte-exact, half-close"
		"TCP IPv6 $BULK_MB MB guest to host, byte-exact"
		"TCP IPv6 $BULK_MB MB host to guest, byte-exact"
		"TCP 1000 concurrent connections, echo checked"
		"TCP IPv6 100 concurrent connections, echo checked"
		"TCP RST from guest reaches host peer"
		"TCP RST from host peer reaches guest"
		"TCP IPv6 RST both ways"
		"TCP refused port refuses the guest"
		"TCP IPv6 refused port refuses the guest"
		"TCP gateway address reaches host loopback"
		"TCP IPv6 gateway address reaches host loopback"
		"TCP inbound -t 10080:8080 reaches guest port 8080"
		"TCP IPv6 inbound -t 10080:8080 reaches guest port 8080"
		"UDP echo through the daemon"
		"UDP IPv6 echo through the daemon"
		"UDP inbound -u 10053:8053, echo comes back"
		"UDP DNS query to --dns-forward reaches --dns-host"
		"loss: link with 5% frame loss both ways starts"
		"loss: TCP $LOSS_MB MB guest to host, byte-exact"
		"loss: TCP $LOSS_MB MB host to guest, byte-exact"
	)

	# shellcheck disable=SC2034 # read by run_case in lib.sh
	NS_PREFIX=$1
	if reason=$(ns_transport_missing "$1"); then
		skip_cases "$reason" "daemon and guest link start" \
			"${names[@]}"
		return
	fi
	if ! run_case "daemon and guest link start" start "$1"; then
		skip_cases "the guest link did not start" "${names[@]}"
		ns_teardown
		return
	fi

	run_case "${names[0]}" bulk_to_host "$NS_PEER4" "$BULK_MB"
	run_case "${names[1]}" bulk_to_guest "$NS_PEER4" "$BULK_MB"
	run_case "${names[2]}" bulk_to_host "$NS_PEER6" "$BULK_MB"
	run_case "${names[3]}" bulk_to_guest "$NS_PEER6" "$BULK_MB"
	run_case "${names[4]}" many_connections "$NS_PEER4" 1000
	run_case "${names[5]}" many_connections "$NS_PEER6" 100
	run_case "${names[6]}" rst_from_guest "$NS_PEER4"
	run_case "${names[7]}" rst_to_guest "$NS_PEER4"
	run_case "${names[8]}" rst_both_ways "$NS_PEER6"
	run_case "${names[9]}" refused "$NS_PEER4"
	run_case "${names[10]}" refused "$NS_PEER6"
	run_case "${names[11]}" gateway_is_host 4
	run_case "${names[12]}" gateway_is_host 6
	run_case "${names[13]}" inbound_tcp 0.0.0.0 "$NS_HOST4"
	run_case "${names[14]}" inbound_tcp :: "$NS_HOST6"
	run_case "${names[15]}" udp_echo "$NS_PEER4"
	run_case "${names[16]}" udp_echo "$NS_PEER6"
	run_case "${names[17]}" inbound_udp 0.0.0.0 "$NS_HOST4"
	run_case "${names[18]}" dns_query
	ns_teardown

	if ! run_case "${names[19]}" start "$1" --drop-percent 5 \
	     --drop-dir both --seed 7; then
		skip_cases "the lossy link did not start" "${names[@]:20}"
	else
		run_case "${names[20]}" bulk_to_host "$NS_PEER4" "$LOSS_MB"
		run_case "${names[21]}" bulk_to_guest "$NS_PEER4" "$LOSS_MB"
	fi
	ns_teardown
}

ns_init ns-tcp
[ -x "$FP" ] || ns_fatal "$FP is missing: run make tools"
ns_run_transports "$@"
