// SPDX-License-Identifier: GPL-2.0-or-later
/* test_udp.c - UDP flows between a simulated guest and loopback sockets */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "harness.h"
#include "passt.h"
#include "udp.h"
#include "unit.h"

#define GUEST_PORT	40001

static uint8_t frame[FRAME_MAX];

/**
 * setup() - harness context with an epoll set, fresh flow table, UDP ready
 * @c:		context to set up; the gateway stands for the host's loopback
 */
static void setup(struct ctx *c)
{
	harness_ctx(c);
	c->ip4.map_host_loopback = c->ip4.gw;
	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	flow_init();
	udp_init(c);
}

/**
 * loopback_udp() - a UDP socket bound on 127.0.0.1
 * @port:	set to its port
 *
 * Return: socket, with a receive timeout of two seconds
 */
static int loopback_udp(uint16_t *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 2 };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	*port = 0;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl))
		return s;	/* port 0: nothing reaches it, the test fails */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*port = ntohs(sa.sin_port);
	return s;
}

/**
 * guest_udp() - feed a datagram from the guest to the gateway
 * @c:		execution context
 * @dport:	destination port
 * @data:	payload
 * @len:	payload length
 * @ulen:	value of the UDP length field
 *
 * Return: udp_input()'s result
 */
static bool guest_udp(struct ctx *c, uint16_t dport, const char *data,
		      size_t len, size_t ulen)
{
	union inany_addr src, dst;
	uint8_t buf[256];

	buf[0] = GUEST_PORT >> 8;
	buf[1] = GUEST_PORT & 0xff;
	buf[2] = (uint8_t)(dport >> 8);
	buf[3] = (uint8_t)dport;
	buf[4] = (uint8_t)(ulen >> 8);
	buf[5] = (uint8_t)ulen;
	buf[6] = buf[7] = 0;
	memcpy(buf + UDP_HDR_LEN, data, len);
	inany_from_v4(&src, h_ip4(H_GUEST4));
	inany_from_v4(&dst, h_ip4(H_GW4));
	return udp_input(c, AF_INET, &src, &dst, buf, UDP_HDR_LEN + len);
}

/**
 * guest_to_peer() - the guest sends to the peer's port, the peer receives
 * @c:		execution context
 * @s:		the peer's socket
 * @port:	its port
 * @msg:	payload
 * @from:	filled with the flow's socket address, as the peer sees it
 *
 * Return: true if the peer received @msg
 */
static bool guest_to_peer(struct ctx *c, int s, uint16_t port, const char *msg,
			  struct sockaddr_in *from)
{
	size_t len = strlen(msg);
	socklen_t fl = sizeof(*from);
	char buf[32];

	return guest_udp(c, port, msg, len, UDP_HDR_LEN + len) &&
	       recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)from,
			&fl) == (ssize_t)len && !memcmp(buf, msg, len);
}

/**
 * reply_to_guest() - the peer answers a flow, the daemon forwards it
 * @c:		execution context
 * @s:		the peer's socket
 * @to:		the flow's socket address, as the peer saw it
 * @msg:	payload
 * @p:		filled with the frame the guest receives
 *
 * Return: true if a UDP frame to GUEST_PORT carrying @msg reached the guest
 */
static bool reply_to_guest(struct ctx *c, int s, const struct sockaddr_in *to,
			   const char *msg, struct pkt4 *p)
{
	size_t len = strlen(msg);
	struct epoll_event ev;
	union epoll_ref ref;
	int n;

	if (sendto(s, msg, len, 0, (const struct sockaddr *)to,
		   sizeof(*to)) != (ssize_t)len ||
	    epoll_wait(c->epollfd, &ev, 1, 2000) != 1)
		return false;
	ref.u64 = ev.data.u64;
	if (ref.type != EPOLL_TYPE_UDP_REPLY)
		return false;
	udp_reply_handler(c, ref, ev.events);
	n = harness_recv(frame, sizeof(frame));
	return n > 0 && !harness_parse4(frame, (size_t)n, p) &&
	       p->proto == IPPROTO_UDP && p->l4len == UDP_HDR_LEN + len &&
	       (p->l4[2] << 8 | p->l4[3]) == GUEST_PORT &&
	       !memcmp(p->l4 + UDP_HDR_LEN, msg, len);
}

TEST(udp_datagram_to_gateway_reaches_loopback_and_reply_returns)
{
	struct sockaddr_in from;
	struct pkt4 p;
	struct ctx c;
	uint16_t port;
	int s = loopback_udp(&port);

	setup(&c);
	CHECK(guest_to_peer(&c, s, port, "ping", &from));
	CHECK(reply_to_guest(&c, s, &from, "pong!", &p));
	CHECK(p.src.s_addr == h_ip4(H_GW4).s_addr);
	CHECK(p.dst.s_addr == h_ip4(H_GUEST4).s_addr);
	CHECK((p.l4[0] << 8 | p.l4[1]) == port);
	close(s);
	close(c.epollfd);
	harness_close(&c);
}

TEST(udp_flow_is_reused_then_ends_when_idle)
{
	struct ctx c;
	uint16_t port;
	int s = loopback_udp(&port);
	char buf[8];

	setup(&c);
	CHECK(guest_udp(&c, port, "a", 1, UDP_HDR_LEN + 1));
	CHECK(guest_udp(&c, port, "b", 1, UDP_HDR_LEN + 1));
	CHECK(flow_count() == 1);
	CHECK(recv(s, buf, sizeof(buf), 0) == 1 && buf[0] == 'a');
	CHECK(recv(s, buf, sizeof(buf), 0) == 1 && buf[0] == 'b');

	flow_timer(&c, now_ms() + 1000);
	CHECK(flow_count() == 1);		/* not idle yet */
	flow_timer(&c, now_ms() + 3600000ULL);
	flow_timer(&c, now_ms() + 3600000ULL);
	CHECK(flow_count() == 0);
	close(s);
	close(c.epollfd);
	harness_close(&c);
}

/**
 * only_udp_flow() - the one active UDP flow of the table
 *
 * Return: the flow, NULL if there is none
 */
static union flow *only_udp_flow(void)
{
	uint32_t i;

	for (i = 0; i < FLOW_MAX; i++) {
		union flow *f = flow_at(i, FLOW_TYPE_UDP);

		if (f && f->f.state == FLOW_STATE_ACTIVE)
			return f;
	}
	return NULL;
}

TEST(udp_flow_restored_after_migration_keeps_its_port)
{
	struct flowside tap, sock;
	struct sockaddr_in from;
	union flow *f;
	struct pkt4 p;
	struct ctx c;
	uint16_t port;
	int s = loopback_udp(&port);

	setup(&c);
	CHECK(guest_to_peer(&c, s, port, "a", &from));
	f = only_udp_flow();
	CHECK(f && f->f.sock.lport == ntohs(from.sin_port));
	tap = f->f.tap;
	sock = f->f.sock;

	/* The source's socket is gone (on another host), the table is new */
	close(f->udp.sock);
	close(c.epollfd);
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	flow_init();
	CHECK(!udp_flow_restore(&c, &tap, &sock));
	CHECK(udp_flow_restore(&c, &tap, &sock) == -EEXIST);
	CHECK(flow_count() == 1);

	/* The guest's next datagram leaves from the same port... */
	CHECK(guest_to_peer(&c, s, port, "b", &from));
	CHECK(flow_count() == 1 && ntohs(from.sin_port) == sock.lport);

	/* ...and the peer's answer reaches the guest */
	CHECK(reply_to_guest(&c, s, &from, "c", &p));

	/* A port taken here: that flow is not made again */
	tap.lport++;
	sock.lport = port;
	CHECK(udp_flow_restore(&c, &tap, &sock) == -EADDRINUSE);
	CHECK(flow_count() == 1);
	close(s);
	close(c.epollfd);
	harness_close(&c);
}

TEST(udp_length_beyond_packet_is_dropped)
{
	struct ctx c;

	setup(&c);
	CHECK(guest_udp(&c, 9, "abc", 3, UDP_HDR_LEN + 4));
	CHECK(guest_udp(&c, 9, "abc", 3, UDP_HDR_LEN - 1));
	CHECK(flow_count() == 0);
	close(c.epollfd);
	harness_close(&c);
}

TEST(udp_full_flow_table_refuses_with_icmp_then_recovers)
{
	union flow *last = NULL;
	struct pkt4 p;
	struct ctx c;
	uint16_t port;
	int s = loopback_udp(&port), len;
	unsigned int i;
	char buf[8];

	setup(&c);
	for (i = 0; i < FLOW_MAX; i++)
		last = flow_alloc();
	CHECK(last && !flow_alloc());

	CHECK(guest_udp(&c, port, "full", 4, UDP_HDR_LEN + 4));
	len = harness_recv(frame, sizeof(frame));
	CHECK(len > 0 && !harness_parse4(frame, (size_t)len, &p));
	CHECK(p.proto == IPPROTO_ICMP && p.l4[0] == 3 && p.l4[1] == 13);
	CHECK(p.l4len == 8 + 20 + 8);
	CHECK(!memcmp(p.l4 + 8 + 12, &p.dst, 4));	/* quoted: guest */
	CHECK((p.l4[8 + 20 + 2] << 8 | p.l4[8 + 20 + 3]) == port);

	flow_close(last);
	flow_timer(&c, now_ms());
	CHECK(guest_udp(&c, port, "room", 4, UDP_HDR_LEN + 4));
	CHECK(recv(s, buf, sizeof(buf), 0) == 4 && !memcmp(buf, "room", 4));
	close(s);
	close(c.epollfd);
	harness_close(&c);
}
