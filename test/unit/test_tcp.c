// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp.c - TCP: sequence arithmetic, segment parsing, and connections
 * between a simulated guest and real loopback sockets
 *
 * The guest's segments go into tcp_input() as frame.c would pass them; the
 * daemon's answers come out of the harness's guest end of the tap socket,
 * and socket events are fetched from a real epoll set and handed to
 * tcp_sock_handler() as the main loop would.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "harness.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "unit.h"

#define GUEST_PORT	40000
#define GUEST_ISN	1000
#define GUEST_TSVAL	0x11223344

static uint8_t frame[FRAME_MAX];

/* Window field of the guest's segments, scaled by 7 after the SYN */
static uint16_t guest_window = 65535;

/**
 * put_be() - store a big-endian value
 * @p:		destination
 * @v:		value
 * @n:		bytes, 2 or 4
 */
static void put_be(uint8_t *p, uint32_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/**
 * seg_build() - a segment as the guest would send it
 * @buf:	output, at least 64 bytes plus @len
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	TCP flags; a SYN carries MSS 1460, WS 7, SACK-OK, timestamps
 * @data:	payload
 * @len:	payload length
 *
 * Return: segment length
 */
static size_t seg_build(uint8_t *buf, uint16_t dport, uint32_t seq,
			uint32_t ack, uint8_t flags, const void *data,
			size_t len)
{
	static const uint8_t syn_opts[20] = {
		2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
		8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
	};
	size_t hlen = TCP_HDR_LEN + ((flags & TCP_SYN) ? sizeof(syn_opts) : 0);

	memset(buf, 0, hlen);
	put_be(buf, GUEST_PORT, 2);
	put_be(buf + 2, dport, 2);
	put_be(buf + 4, seq, 4);
	put_be(buf + 8, ack, 4);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = flags;
	put_be(buf + 14, guest_window, 2);
	if (flags & TCP_SYN)
		memcpy(buf + TCP_HDR_LEN, syn_opts, sizeof(syn_opts));
	if (len)
		memcpy(buf + hlen, data, len);
	return hlen + len;
}

/**
 * guest_send() - feed one guest segment to 192.0.2.1 (the gateway) port
 * @c:		execution context
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	TCP flags
 * @data:	payload, may be NULL with @len 0
 * @len:	payload length
 *
 * Return: tcp_input()'s result
 */
static bool guest_send(struct ctx *c, uint16_t dport, uint32_t seq,
		       uint32_t ack, uint8_t flags, const void *data,
		       size_t len)
{
	union inany_addr src, dst;
	uint8_t buf[128 + 64];
	size_t n = seg_build(buf, dport, seq, ack, flags, data, len);

	inany_from_v4(&src, h_ip4(H_GUEST4));
	inany_from_v4(&dst, h_ip4(H_GW4));
	return tcp_input(c, AF_INET, &src, &dst, buf, n);
}

/**
 * daemon_seg() - take the next segment the daemon sent to the guest
 * @seg:	parsed segment (payload points into a static buffer)
 *
 * Return: 0 on success, -1 if there was none or it was malformed
 */
static int daemon_seg(struct tcp_seg *seg)
{
	struct pkt4 p;
	int len = harness_recv(frame, sizeof(frame));

	if (len <= 0 || harness_parse4(frame, (size_t)len, &p) ||
	    p.proto != IPPROTO_TCP || p.dst.s_addr != h_ip4(H_GUEST4).s_addr ||
	    p.src.s_addr != h_ip4(H_GW4).s_addr)
		return -1;
	return tcp_seg_parse(p.l4, p.l4len, seg);
}

/**
 * pump() - wait (bounded) for socket events and dispatch them, once
 * @c:		execution context
 *
 * Return: number of events dispatched
 */
static int pump(struct ctx *c)
{
	struct epoll_event ev[8];
	int n = epoll_wait(c->epollfd, ev, 8, 2000), i;

	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_TCP)
			tcp_sock_handler(c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_TAP_STREAM)
			tap_stream_handler(c, ref, ev[i].events);
	}
	return n;
}

/**
 * wait_seg() - take the next segment the daemon sends to the guest,
 *		dispatching socket events until it comes (five rounds at most)
 * @c:		execution context
 * @seg:	parsed segment, unchanged if none came
 */
static void wait_seg(struct ctx *c, struct tcp_seg *seg)
{
	int i;

	for (i = 0; i < 5 && daemon_seg(seg); i++)
		pump(c);
}

/**
 * loopback_listener() - a listening TCP socket on 127.0.0.1
 * @port:	set to its port
 *
 * Return: socket
 */
static int loopback_listener(uint16_t *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	*port = 0;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 4) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl))
		return s;	/* port 0: the test fails at its handshake */
	*port = ntohs(sa.sin_port);
	return s;
}

/**
 * setup() - harness context with an epoll set, fresh flow table, TCP ready;
 *	     the gateway address stands for the host's loopback
 * @c:		context to set up
 */
static void setup(struct ctx *c)
{
	harness_ctx(c);
	c->ip4.map_host_loopback = c->ip4.gw;	/* conf.c's default */
	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	flow_init();
	tcp_init(c);
}

/**
 * teardown() - close what setup() opened
 * @c:		context
 */
static void teardown(struct ctx *c)
{
	close(c->epollfd);
	harness_close(c);
}

/**
 * handshake() - guest SYN to the gateway port, connect, SYN-ACK, guest ACK
 * @c:		execution context
 * @port:	loopback listener's port
 * @isn:	set to the daemon's initial sequence number
 *
 * Return: 0 on success
 */
static int handshake(struct ctx *c, uint16_t port, uint32_t *isn)
{
	struct tcp_seg s;

	if (!guest_send(c, port, GUEST_ISN, 0, TCP_SYN, NULL, 0))
		return -1;
	wait_seg(c, &s);
	if (s.flags != (TCP_SYN | TCP_ACK) || s.ack != GUEST_ISN + 1 ||
	    !s.mss || s.ws < 0 || !s.ts || s.tsecr != GUEST_TSVAL)
		return -1;
	*isn = s.seq;
	guest_send(c, port, GUEST_ISN + 1, *isn + 1, TCP_ACK, NULL, 0);
	return 0;
}

/**
 * established() - set up, and connect the guest to a loopback listener
 * @c:		context to set up
 * @l:		loopback listener
 * @port:	its port
 * @isn:	set to the daemon's initial sequence number
 *
 * Return: the host's end of the connection, -1 if the handshake failed
 */
static int established(struct ctx *c, int l, uint16_t port, uint32_t *isn)
{
	setup(c);
	if (handshake(c, port, isn))
		return -1;
	return accept(l, NULL, NULL);
}

TEST(tcp_sequence_comparisons_wrap_around)
{
	CHECK(SEQ_LT(1, 2));
	CHECK(SEQ_LT(0xfffffff0U, 0x10));
	CHECK(SEQ_GT(0x10, 0xfffffff0U));
	CHECK(SEQ_LE(5, 5) && SEQ_GE(5, 5));
	CHECK(!SEQ_LT(5, 5) && !SEQ_GT(5, 5));
	CHECK(SEQ_LT(0x7fffffffU, 0x80000000U));
}

TEST(tcp_parse_reads_syn_options)
{
	uint8_t buf[64];
	struct tcp_seg s;
	size_t n = seg_build(buf, 80, 7, 0, TCP_SYN, NULL, 0);

	CHECK(!tcp_seg_parse(buf, n, &s));
	CHECK(s.sport == GUEST_PORT && s.dport == 80 && s.seq == 7);
	CHECK(s.flags == TCP_SYN && s.mss == 1460 && s.ws == 7);
	CHECK(s.sack_ok && s.ts && s.tsval == GUEST_TSVAL && !s.tsecr);
	CHECK(s.len == 0);
}

TEST(tcp_parse_refuses_malformed_segments)
{
	uint8_t buf[64];
	struct tcp_seg s;
	size_t n = seg_build(buf, 80, 7, 0, TCP_SYN, NULL, 0);

	CHECK(tcp_seg_parse(buf, TCP_HDR_LEN - 1, &s));	/* truncated */
	buf[12] = 0x40;					/* offset 16 */
	CHECK(tcp_seg_parse(buf, n, &s));
	buf[12] = 0xf0;					/* beyond the end */
	CHECK(tcp_seg_parse(buf, n, &s));
	buf[12] = 0x50 + 0x50;
	buf[TCP_HDR_LEN + 1] = 40;			/* MSS length 40 */
	CHECK(tcp_seg_parse(buf, n, &s));
	n = seg_build(buf, 80, 7, 0, TCP_SYN | TCP_FIN, NULL, 0);
	CHECK(tcp_seg_parse(buf, n, &s));		/* SYN with FIN */
	n = seg_build(buf, 0, 7, 0, TCP_ACK, NULL, 0);
	CHECK(tcp_seg_parse(buf, n, &s));		/* port 0 */
}

TEST(tcp_segment_without_connection_gets_rst)
{
	struct tcp_seg s;
	struct ctx c;

	setup(&c);
	CHECK(guest_send(&c, 9, 500, 12345, TCP_ACK, "x", 1));
	CHECK(!daemon_seg(&s));
	CHECK(s.flags == TCP_RST && s.seq == 12345);
	teardown(&c);
}

TEST(tcp_refused_port_resets_the_guest)
{
	struct tcp_seg s;
	struct ctx c;
	uint16_t port;
	int l = loopback_listener(&port);

	close(l);		/* nothing listens there any more */
	setup(&c);
	CHECK(guest_send(&c, port, GUEST_ISN, 0, TCP_SYN, NULL, 0));
	wait_seg(&c, &s);
	CHECK((s.flags & TCP_RST) && (s.flags & TCP_ACK));
	CHECK(s.ack == GUEST_ISN + 1);
	teardown(&c);
}

TEST(tcp_connection_carries_data_and_fin_both_ways)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;
	char buf[16];

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);

	/* Guest to host: acknowledged as far as the socket took it */
	guest_send(&c, port, GUEST_ISN + 1, isn + 1, TCP_ACK, "hello", 5);
	CHECK(!daemon_seg(&s));
	CHECK(s.flags == TCP_ACK && s.ack == GUEST_ISN + 6 && s.wnd);
	CHECK(recv(srv, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5));

	/* Host to guest */
	CHECK(send(srv, "world", 5, 0) == 5);
	wait_seg(&c, &s);
	CHECK(s.seq == isn + 1 && s.len == 5 && !memcmp(s.data, "world", 5));
	guest_send(&c, port, GUEST_ISN + 6, isn + 6, TCP_ACK, NULL, 0);

	/* Guest closes first: the host reads EOF, can still send */
	guest_send(&c, port, GUEST_ISN + 6, isn + 6, TCP_ACK | TCP_FIN,
		   NULL, 0);
	CHECK(!daemon_seg(&s));
	CHECK(s.ack == GUEST_ISN + 7);
	CHECK(recv(srv, buf, sizeof(buf), 0) == 0);
	CHECK(send(srv, "late", 4, 0) == 4);
	close(srv);
	wait_seg(&c, &s);
	CHECK(s.len == 4 && !memcmp(s.data, "late", 4));
	if (!(s.flags & TCP_FIN)) {
		wait_seg(&c, &s);
	}
	CHECK(s.flags & TCP_FIN);

	/* The guest acknowledges our FIN: the flow ends */
	guest_send(&c, port, GUEST_ISN + 7, isn + 11, TCP_ACK, NULL, 0);
	flow_timer(&c, 0);
	CHECK(flow_count() == 0);
	close(l);
	teardown(&c);
}

/**
 * tap_watched() - hand the harness's socket to tap.c as the connected stream
 *		   transport, watched in the epoll set, with TCP's room handler
 * @c:		execution context from setup()
 */
static void tap_watched(struct ctx *c)
{
	c->fd_tap_given = c->fd_tap;
	tap_init(c, NULL, tcp_tap_room);
}

/**
 * tap_fill() - other traffic fills the guest link: frames of another
 *		protocol, large then small, until tap_send() refuses one
 * @c:		execution context, with tap_watched()
 *
 * Return: true if a frame was refused for lack of room
 */
static bool tap_fill(const struct ctx *c)
{
	static uint8_t junk[FRAME_MAX - 1000];
	struct iovec iov = { .iov_base = junk };
	int i, ret = 0;

	junk[12] = 0x88;		/* EtherType 0x88b5: local experimental */
	junk[13] = 0xb5;
	for (iov.iov_len = sizeof(junk); iov.iov_len >= ETHER_HDR_LEN;
	     iov.iov_len /= 8) {
		for (i = 0; i < 100000 && !(ret = tap_send(c, &iov, 1)); i++)
			;
	}
	return ret == -ENOBUFS;
}

/**
 * fin_after_drain() - read what the guest link holds, dispatching events,
 *		       until the daemon's FIN comes or nothing more does
 * @c:		execution context
 * @seq:	sequence number the FIN must have
 *
 * Return: true if it came
 */
static bool fin_after_drain(struct ctx *c, uint32_t seq)
{
	int round, len, fins = 0;
	bool got = true;

	for (round = 0; round < 10000 && got && !fins; round++) {
		struct tcp_seg s;
		struct pkt4 p;

		got = false;
		while ((len = harness_recv(frame, sizeof(frame))) > 0) {
			got = true;
			if (harness_parse4(frame, (size_t)len, &p) ||
			    p.proto != IPPROTO_TCP ||
			    tcp_seg_parse(p.l4, p.l4len, &s))
				continue;
			fins += (s.flags & TCP_FIN) && s.seq == seq;
		}
		if (!fins)
			got = pump(c) > 0 || got;
	}
	return fins;
}

/**
 * fin_waits_for_room() - the host closes while the guest link is full: no
 *			  timer runs here, so the FIN comes only if the room
 *			  coming back sends it; then the connection ends
 * @c:		execution context, with tap_watched()
 * @srv:	the host's end, closed here
 * @port:	its port
 * @isn:	the daemon's initial sequence number
 *
 * Return: NULL on success, else the step that failed
 */
static const char *fin_waits_for_room(struct ctx *c, int srv, uint16_t port,
				      uint32_t isn)
{
	if (!tap_fill(c))
		return "fill the guest link";
	close(srv);
	if (pump(c) < 1)
		return "the host's FIN";
	if (!fin_after_drain(c, isn + 1))
		return "our FIN once the guest link has room";
	guest_send(c, port, GUEST_ISN + 1, isn + 2, TCP_ACK | TCP_FIN, NULL, 0);
	flow_timer(c, 0);
	return flow_count() ? "the connection ends" : NULL;
}

TEST(tcp_fin_refused_by_a_full_guest_link_goes_once_there_is_room)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	const char *failed;
	struct ctx c;
	uint32_t isn;

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);
	tap_watched(&c);
	failed = fin_waits_for_room(&c, srv, port, isn);
	if (failed)
		fprintf(stderr, "  failed step: %s\n", failed);
	tap_stream_close(&c);	/* the guest link's queue is tap.c's own */
	close(l);
	teardown(&c);
	CHECK(!failed);
}

/**
 * ten_bytes_sent() - connect the guest, the host sends ten bytes, the daemon
 *		      forwards them in one segment
 * @c:		context to set up
 * @l:		loopback listener
 * @port:	its port
 * @isn:	set to the daemon's initial sequence number
 *
 * Return: the host's end of the connection, -1 on failure
 */
static int ten_bytes_sent(struct ctx *c, int l, uint16_t port, uint32_t *isn)
{
	int srv = established(c, l, port, isn);
	struct tcp_seg s = { 0 };

	if (srv < 0 || send(srv, "0123456789", 10, 0) != 10)
		return -1;
	wait_seg(c, &s);
	return s.seq == *isn + 1 && s.len == 10 ? srv : -1;
}

/**
 * next_data_follows() - the host sends two bytes more: the daemon sends
 *			 them to the guest, from @seq
 * @c:		execution context
 * @srv:	the host's end
 * @seq:	sequence number they must have
 *
 * Return: true if they came as expected
 */
static bool next_data_follows(struct ctx *c, int srv, uint32_t seq)
{
	struct tcp_seg s = { 0 };

	if (send(srv, "ab", 2, 0) != 2)
		return false;
	wait_seg(c, &s);
	return s.seq == seq && s.len == 2 && !memcmp(s.data, "ab", 2);
}

TEST(tcp_timeout_retransmits_unacknowledged_data)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;

	srv = ten_bytes_sent(&c, l, port, &isn);
	CHECK(srv >= 0);

	/* The guest acknowledges 4 bytes only, then goes quiet */
	guest_send(&c, port, GUEST_ISN + 1, isn + 5, TCP_ACK, NULL, 0);
	CHECK(daemon_seg(&s));		/* nothing new to send */
	flow_timer(&c, now_ms() + 60000);
	CHECK(!daemon_seg(&s));
	CHECK(s.seq == isn + 5 && s.len == 6 &&
	      !memcmp(s.data, "456789", 6));

	/* Acknowledged bytes left the socket; the rest is still there */
	guest_send(&c, port, GUEST_ISN + 1, isn + 11, TCP_ACK, NULL, 0);
	CHECK(next_data_follows(&c, srv, isn + 11));
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_ack_for_data_sent_before_a_rewind_is_taken)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;

	srv = ten_bytes_sent(&c, l, port, &isn);
	CHECK(srv >= 0);

	/* The guest's window closes: the timeout rewinds, sends nothing */
	guest_window = 0;
	guest_send(&c, port, GUEST_ISN + 1, isn + 1, TCP_ACK, NULL, 0);
	guest_window = 65535;
	flow_timer(&c, now_ms() + 60000);
	CHECK(daemon_seg(&s));

	/* It had all ten bytes: its ACK is for data sent before the rewind */
	guest_send(&c, port, GUEST_ISN + 1, isn + 11, TCP_ACK, NULL, 0);
	CHECK(next_data_follows(&c, srv, isn + 11));
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_timeouts_back_off_then_give_up)
{
	uint64_t wait_ms[2] = { 0, 0 };
	uint16_t port;
	int l = loopback_listener(&port), srv, i, j;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;
	char b;

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);
	CHECK(send(srv, "x", 1, 0) == 1);
	wait_seg(&c, &s);
	CHECK(s.len == 1);

	/* The guest never acknowledges: each timeout waits longer... */
	for (i = 0; i < 20 && flow_count(); i++) {
		const union flow *f = flow_at(0, FLOW_TYPE_TCP);

		if (f && i < 2)
			wait_ms[i] = f->tcp.timer_at - now_ms();
		flow_timer(&c, now_ms() + 3600000);
		for (j = 0; j < 8 && !daemon_seg(&s); j++)
			;
	}
	CHECK(wait_ms[1] > wait_ms[0]);
	/* ...and it ends: the host peer sees a reset */
	CHECK(flow_count() == 0);
	CHECK(recv(srv, &b, 1, 0) < 0 && errno == ECONNRESET);
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_three_duplicate_acks_resend_the_first_segment)
{
	uint16_t port;
	int l = loopback_listener(&port), srv, i;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);
	CHECK(send(srv, "abcdef", 6, 0) == 6);
	wait_seg(&c, &s);
	CHECK(s.len == 6);
	for (i = 0; i < 3; i++)
		guest_send(&c, port, GUEST_ISN + 1, isn + 1, TCP_ACK, NULL, 0);
	CHECK(!daemon_seg(&s));
	CHECK(s.seq == isn + 1 && s.len == 6 && !memcmp(s.data, "abcdef", 6));
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_guest_rst_resets_the_host_socket)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct ctx c;
	uint32_t isn;
	char b;

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);
	guest_send(&c, port, GUEST_ISN + 1, isn + 1, TCP_RST, NULL, 0);
	CHECK(recv(srv, &b, 1, 0) < 0 && errno == ECONNRESET);
	flow_timer(&c, 0);
	CHECK(flow_count() == 0);
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_full_flow_table_refuses_syn_with_rst)
{
	union flow *last = NULL;
	struct tcp_seg s;
	struct ctx c;
	unsigned int i;

	setup(&c);
	for (i = 0; i < FLOW_MAX; i++)
		last = flow_alloc();
	CHECK(last && !flow_alloc());
	CHECK(guest_send(&c, 80, GUEST_ISN, 0, TCP_SYN, NULL, 0));
	CHECK(!daemon_seg(&s));
	CHECK(s.flags == (TCP_RST | TCP_ACK) && s.ack == GUEST_ISN + 1);
	teardown(&c);
}

TEST(tcp_host_data_before_guest_ack_is_sent_once_established)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;

	setup(&c);
	CHECK(guest_send(&c, port, GUEST_ISN, 0, TCP_SYN, NULL, 0));
	wait_seg(&c, &s);
	CHECK(s.flags == (TCP_SYN | TCP_ACK));
	isn = s.seq;

	/* The server speaks first, before the guest completes the handshake */
	srv = accept(l, NULL, NULL);
	CHECK(send(srv, "banner", 6, 0) == 6);
	CHECK(pump(&c) >= 1);
	CHECK(daemon_seg(&s));		/* nothing to the guest yet */

	guest_send(&c, port, GUEST_ISN + 1, isn + 1, TCP_ACK, NULL, 0);
	CHECK(!daemon_seg(&s));
	CHECK(s.seq == isn + 1 && s.len == 6 && !memcmp(s.data, "banner", 6));
	close(srv);
	close(l);
	teardown(&c);
}

TEST(tcp_connection_adopted_after_peer_fin_sends_window_data_then_fin)
{
	uint16_t port;
	int l = loopback_listener(&port), srv;
	struct tcp_conn *conn;
	struct tcp_seg s;
	struct ctx c;
	uint32_t isn;

	srv = established(&c, l, port, &isn);
	CHECK(srv >= 0);
	conn = &flow_at(0, FLOW_TYPE_TCP)->tcp;
	CHECK(conn->sock >= 0);

	/* As a migration leaves a connection whose peer closed before it:
	 * the restored socket cannot hold that FIN, and never reads EOF,
	 * tcp_migrate.c keeps it as TCP_F_SOCK_EOF
	 */
	tcp_conn_detach(&c, conn);
	CHECK(send(srv, "restored", 8, 0) == 8);
	conn->flags |= TCP_F_SOCK_EOF;
	CHECK(!tcp_conn_adopt(&c, conn, conn->sock));

	/* The first timer walk: our window at once, the data, then our FIN */
	flow_timer(&c, now_ms());
	CHECK(!daemon_seg(&s));
	CHECK(s.flags == TCP_ACK && !s.len && s.wnd &&
	      s.ack == GUEST_ISN + 1);
	CHECK(!daemon_seg(&s));
	CHECK(s.seq == isn + 1 && s.len == 8 && !memcmp(s.data, "restored", 8));
	if (!(s.flags & TCP_FIN))
		CHECK(!daemon_seg(&s));
	CHECK((s.flags & TCP_FIN) && s.seq + s.len == isn + 9);
	close(srv);
	close(l);
	teardown(&c);
}
