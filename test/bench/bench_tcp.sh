#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test/bench/bench_tcp.sh - TCP throughput and connection rate through the
# daemon, beside the host's own loopback measured in the same run
#
# For each transport: iperf3 from the namespace guest to a server in "peer"
# (guest to host), the same reversed (host to guest), and connections opened
# and closed one after another from the guest (build/flow_peer
# tcp-connect-rate). The baseline is the same measurement over the loopback
# of one namespace. Figures only: a benchmark never passes or fails.
#
# Usage: test/bench/bench_tcp.sh [TRANSPORT...]	(default: stream vhost-user)
# Environment: BENCH_SECONDS (default 5) per measurement

# shellcheck source=test/ns/lib.sh
. "$(dirname "$0")/../ns/lib.sh"

FP=$NS_BUILD/flow_peer
SECS=${BENCH_SECONDS:-5}

command -v iperf3 >/dev/null || ns_skip_all "iperf3 is missing: run test/deps"

# iperf_mbits() - run an iperf3 client in a namespace, print Mbit/s received
# $1:	role
# $2:	server address
# $@:	more iperf3 options
iperf_mbits() {
	local role=$1 addr=$2

	shift 2
	ns_exec "$role" timeout $((SECS + 20)) iperf3 -c "$addr" -t "$SECS" \
		-f m "$@" 2>/dev/null |
		awk '/receiver/ { print $(NF - 2) }'
}

# iperf_server() - start an iperf3 server, wait until it listens
# $1:	role
# $2:	address
iperf_server() {
	ns_bg "$1" "$NS_LOGDIR/iperf3-$1.log" iperf3 -s -B "$2" -p 5201
	wait_for 10 "iperf3 in $1" eval \
		"[ -n \"\$(ns_exec $1 ss -Hltn 'sport = :5201')\" ]"
}

# rate_server() - start the echo server connections go to
# $1:	role
# $2:	address
rate_server() {
	ns_bg "$1" "$NS_LOGDIR/echo-$1.log" "$FP" tcp-echo "$2" 5003
	wait_for 10 "echo server in $1" eval \
		"[ -n \"\$(ns_exec $1 ss -Hltn 'sport = :5003')\" ]"
}

# ratio() - a figure as a fraction of the baseline
# $1:	figure
# $2:	baseline
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || b == 0) print "n/a"
		else printf "%.3f", a / b }'
}

ns_init bench-tcp
[ -x "$FP" ] || ns_fatal "$FP is missing: run make tools"
[ $# = 0 ] && set -- stream vhost-user

# Baseline: one namespace's loopback, the same tools
NS_LOGDIR="$NS_TMP/loopback"
mkdir -p "$NS_LOGDIR"
ns_create base
ns_sysctl base net.ipv4.tcp_tw_reuse 1
iperf_server base 127.0.0.1 || ns_fatal "iperf3 server did not start"
lo_up=$(iperf_mbits base 127.0.0.1)
rate_server base 127.0.0.1 || ns_fatal "echo server did not start"
lo_rate=$(ns_exec base timeout $((SECS + 20)) "$FP" tcp-connect-rate \
	  127.0.0.1 5003 "$SECS")
ns_teardown

printf "%-34s %12s %10s\n" "measurement ($SECS s each)" "figure" "ratio"
printf "%-34s %7s Mbit/s %10s\n" "host loopback throughput" "$lo_up" "1"
printf "%-34s %8s conn/s %10s\n" "host loopback connections" "$lo_rate" "1"

for transport in "$@"; do
	if reason=$(ns_transport_missing "$transport"); then
		echo "$transport: skipped: $reason"
		continue
	fi
	if ! ns_start_guest "$transport" >/dev/null 2>&1 ||
	   ! ns_guest_dhcp4 >/dev/null 2>&1; then
		echo "$transport: the guest link did not start"
		ns_teardown
		continue
	fi
	ns_sysctl guest net.ipv4.tcp_tw_reuse 1
	iperf_server peer "$NS_PEER4" || { ns_teardown; continue; }
	up=$(iperf_mbits guest "$NS_PEER4")
	down=$(iperf_mbits guest "$NS_PEER4" -R)
	rate_server peer "$NS_PEER4"
	rate=$(ns_exec guest timeout $((SECS + 20)) "$FP" tcp-connect-rate \
	       "$NS_PEER4" 5003 "$SECS")
	printf "%-34s %7s Mbit/s %10s\n" "$transport guest to host" "$up" \
		"$(ratio "$up" "$lo_up")"
	printf "%-34s %7s Mbit/s %10s\n" "$transport host to guest" "$down" \
		"$(ratio "$down" "$lo_up")"
	printf "%-34s %8s conn/s %10s\n" "$transport guest connections" \
		"$rate" "$(ratio "$rate" "$lo_rate")"
	ns_teardown
done
