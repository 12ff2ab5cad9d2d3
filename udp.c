// SPDX-License-Identifier: GPL-2.0-or-later
/* udp.c - UDP flows between the guest and host sockets
 *
 * A flow is the datagrams between one guest address and port and one remote
 * address and port. Outbound (the guest sent first), the flow owns a socket
 * connected to the host target: replies arrive on it and go back to the
 * guest. Inbound (a -u listener received first), the flow borrows the
 * listener and answers the peer with sendto(). Flows end after
 * UDP_IDLE_TIMEOUT_MS without traffic.
 */

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "flow.h"
#include "fwd.h"
#include "ip.h"
#include "log.h"
#include "passt.h"
#include "udp.h"
#include "util.h"

#define UDP_IDLE_TIMEOUT_MS	180000
#define UDP_PAYLOAD_MAX		(65535 - IP4_HDR_LEN - UDP_HDR_LEN)
#define UDP_RECV_BATCH		32	/* datagrams taken per wake-up */
#define UDP_REFUSE_QUOTE	512	/* bytes of a refused datagram quoted */

/* Received datagrams, with room for the UDP header in front */
static uint8_t udp_buf[UDP_HDR_LEN + UDP_PAYLOAD_MAX];

/**
 * udp_flow_close() - end a flow, closing its socket if it owns one
 * @c:		execution context
 * @uflow:	flow
 */
static void udp_flow_close(const struct ctx *c, struct udp_flow *uflow)
{
	if (uflow->sock >= 0 && !uflow->shared) {
		epoll_del_fd(c, uflow->sock);
		close(uflow->sock);
	}
	uflow->sock = -1;
	flow_close((union flow *)uflow);
}

/**
 * udp_flow_new() - allocate a flow with the given tap side
 * @tap:	tap side
 *
 * Return: flow in FLOW_STATE_NEW, or NULL if the table is full
 */
static struct udp_flow *udp_flow_new(const struct flowside *tap)
{
	union flow *flow = flow_alloc();
	char a[INANY_ADDRSTRLEN];

	if (!flow) {
		err_ratelimit("udp: flow table full, dropping datagrams "
			      "for %s:%u",
			      inany_ntop(&tap->remote, a, sizeof(a)),
			      tap->rport);
		return NULL;
	}
	flow->udp.f.type = FLOW_TYPE_UDP;
	flow->udp.f.tap = *tap;
	flow->udp.sock = -1;
	flow->udp.active_at = now_ms();
	return &flow->udp;
}

/**
 * udp_refuse() - tell the guest a datagram was refused: ICMP "administratively
 *		  prohibited", quoting the datagram as RFC 792 and RFC 4443 ask
 * @c:		execution context
 * @tap:	tap side of the datagram
 * @l4:		the datagram: UDP header and payload
 * @l4len:	length of @l4
 */
static void udp_refuse(const struct ctx *c, const struct flowside *tap,
		       const uint8_t *l4, size_t l4len)
{
	uint8_t msg[8 + IP6_HDR_LEN + UDP_REFUSE_QUOTE] = { 0 };
	const struct in_addr *g4 = inany_v4(&tap->local);
	size_t quote = MIN(l4len, (size_t)UDP_REFUSE_QUOTE);
	uint8_t *ip = msg + 8;

	if (g4) {
		size_t tot = IP4_HDR_LEN + l4len;
		uint16_t sum;

		msg[0] = 3;		/* destination unreachable */
		msg[1] = 13;		/* administratively prohibited */
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, g4, 4);
		memcpy(ip + 16, inany_v4(&tap->remote), 4);
		sum = csum_plain(ip, IP4_HDR_LEN);
		memcpy(ip + 10, &sum, sizeof(sum));
		quote = MIN(quote, (size_t)8);	/* RFC 792: 64 bits of data */
		memcpy(ip + IP4_HDR_LEN, l4, quote);
		ip4_send(c, *inany_v4(&tap->remote), *g4, IPPROTO_ICMP, msg,
			 8 + IP4_HDR_LEN + quote);
		return;
	}

	msg[0] = 1;			/* destination unreachable */
	msg[1] = 1;			/* administratively prohibited */
	ip[0] = 0x60;
	ip[4] = (uint8_t)(l4len >> 8);
	ip[5] = (uint8_t)l4len;
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	memcpy(ip + 8, &tap->local.a6, 16);
	memcpy(ip + 24, &tap->remote.a6, 16);
	memcpy(ip + IP6_HDR_LEN, l4, quote);
	ip6_send(c, &tap->remote.a6, &tap->local.a6, IPPROTO_ICMPV6, msg,
		 8 + IP6_HDR_LEN + quote);
}

/**
 * udp_flow_connect() - connect a flow's own socket to the host peer and
 *			watch it for replies
 * @c:		execution context
 * @uflow:	flow, its host side's remote address and port set
 * @s:		socket, owned by the flow from now on (closed on failure)
 *
 * Return: 0 on success, -errno on failure
 */
static int udp_flow_connect(const struct ctx *c, struct udp_flow *uflow,
			    int s)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_UDP_REPLY };
	union sockaddr_inany sa;
	socklen_t sl;

	sl = inany_to_sockaddr(&sa, &uflow->f.sock.remote, uflow->f.sock.rport);
	ref.fd = s;
	ref.index = flow_idx((union flow *)uflow);
	if (connect(s, &sa.sa, sl) || epoll_add_ref(c, s, EPOLLIN, ref)) {
		int rc = -errno;

		close(s);
		return rc;
	}
	uflow->sock = s;
	return 0;
}

/**
 * udp_flow_open() - a guest datagram starts an outbound flow
 * @c:		execution context
 * @tap:	tap side of the datagram
 *
 * Return: the new active flow, or NULL on failure (logged)
 */
static struct udp_flow *udp_flow_open(const struct ctx *c,
				      const struct flowside *tap)
{
	struct udp_flow *uflow = udp_flow_new(tap);
	union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
	socklen_t sl;
	int s, rc;

	if (!uflow)
		return NULL;

	if (!fwd_nat_outbound(c, &tap->remote, tap->rport,
			      &uflow->f.sock.remote)) {
		trace("udp: datagram to an address not reachable from here");
		flow_close((union flow *)uflow);
		return NULL;
	}
	uflow->f.sock.rport = tap->rport;
	s = fwd_sock_outbound(c, SOCK_DGRAM, 0, &uflow->f.sock.remote);
	if (s < 0) {
		err_ratelimit("udp: can't open socket: %s", strerror(-s));
		flow_close((union flow *)uflow);
		return NULL;
	}
	if ((rc = udp_flow_connect(c, uflow, s))) {
		debug("udp: can't connect flow: %s", strerror(-rc));
		flow_close((union flow *)uflow);
		return NULL;
	}
	sl = sizeof(sa);
	if (!getsockname(s, &sa.sa, &sl))
		inany_from_sockaddr(&uflow->f.sock.local,
				    &uflow->f.sock.lport, &sa);
	flow_hash_insert((union flow *)uflow);
	return uflow;
}

/**
 * udp_flow_restore() - make again a flow that migrated here, from the same
 *			local address and port, so that its peer sees nothing
 *			change
 * @c:		execution context
 * @tap:	guest side
 * @sock:	host side, as on the source
 *
 * A flow that came in through a -u listener gets a socket of its own on
 * the listener's address and port (both allow SO_REUSEADDR): connected, it
 * takes the peer's datagrams before the listener does.
 *
 * Return: 0 on success, -errno if the socket cannot be made (the address is
 *	   not here, or the port is taken): the guest's next datagram then
 *	   starts a new flow
 */
int udp_flow_restore(const struct ctx *c, const struct flowside *tap,
		     const struct flowside *sock)
{
	int af = inany_af(&sock->remote), one = 1, s, rc;
	struct udp_flow *uflow;
	union sockaddr_inany sa;
	socklen_t sl;

	if (inany_af(&sock->local) != af)
		return -EAFNOSUPPORT;
	if (flow_lookup(FLOW_TYPE_UDP, tap))
		return -EEXIST;
	s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (af == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sl = inany_to_sockaddr(&sa, &sock->local, sock->lport);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, &sa.sa, sl)) {
		rc = -errno;
		close(s);
		return rc;
	}
	if (!(uflow = udp_flow_new(tap))) {
		close(s);
		return -ENOSPC;
	}
	uflow->f.sock = *sock;
	if ((rc = udp_flow_connect(c, uflow, s))) {
		flow_close((union flow *)uflow);
		return rc;
	}
	flow_hash_insert((union flow *)uflow);
	return 0;
}

/**
 * udp_input() - a UDP datagram from the guest
 * @c:		execution context
 * @af:		AF_INET or AF_INET6
 * @src:	source address (the guest's)
 * @dst:	destination address
 * @l4:		UDP header and payload, checksum verified
 * @l4len:	length of @l4
 *
 * Return: true if consumed (including dropped as invalid), false if UDP is
 *	   disabled
 */
bool udp_input(struct ctx *c, int af, const union inany_addr *src,
	       const union inany_addr *dst, const uint8_t *l4, size_t l4len)
{
	struct udp_flow *uflow;
	union flow *flow;
	struct flowside tap;
	size_t ulen;
	ssize_t n;

	if (c->no_udp)
		return false;
	if (l4len < UDP_HDR_LEN ||
	    (ulen = (size_t)(l4[4] << 8 | l4[5])) < UDP_HDR_LEN ||
	    ulen > l4len) {
		trace("udp: malformed datagram from guest (%zu bytes), dropped",
		      l4len);
		return true;
	}
	if ((af == AF_INET) != !!inany_v4(dst) ||
	    inany_is_unspecified(dst) || IN6_IS_ADDR_MULTICAST(&dst->a6) ||
	    (inany_v4(dst) && inany_v4(dst)->s_addr == htonl(INADDR_BROADCAST))) {
		trace("udp: datagram to a non-unicast address, dropped");
		return true;
	}

	memset(&tap, 0, sizeof(tap));
	tap.local = *src;
	tap.remote = *dst;
	tap.lport = (uint16_t)(l4[0] << 8 | l4[1]);
	tap.rport = (uint16_t)(l4[2] << 8 | l4[3]);
	if (!tap.rport) {
		trace("udp: datagram to port 0, dropped");
		return true;
	}

	flow = flow_lookup(FLOW_TYPE_UDP, &tap);
	uflow = flow ? &flow->udp : udp_flow_open(c, &tap);
	if (!uflow) {
		udp_refuse(c, &tap, l4, ulen);
		return true;
	}

	if (uflow->shared) {
		union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
		socklen_t sl = inany_to_sockaddr(&sa, &uflow->f.sock.remote,
						 uflow->f.sock.rport);

		n = sendto(uflow->sock, l4 + UDP_HDR_LEN, ulen - UDP_HDR_LEN,
			   MSG_DONTWAIT | MSG_NOSIGNAL, &sa.sa, sl);
	} else {
		n = send(uflow->sock, l4 + UDP_HDR_LEN, ulen - UDP_HDR_LEN,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (n < 0)
		trace("udp: flow %u: send: %s",
		      flow_idx((union flow *)uflow), strerror(errno));
	uflow->active_at = now_ms();
	return true;
}

/**
 * udp_to_guest() - send one received datagram to the guest along a flow
 * @c:		execution context
 * @uflow:	flow
 * @len:	payload length, at udp_buf + UDP_HDR_LEN
 */
static void udp_to_guest(const struct ctx *c, struct udp_flow *uflow,
			 size_t len)
{
	size_t ulen = UDP_HDR_LEN + len;
	int ip_hdr = inany_v4(&uflow->f.tap.local) ? IP4_HDR_LEN :
						      IP6_HDR_LEN;

	if (c->mtu > 0 && ulen + (size_t)ip_hdr > (size_t)c->mtu) {
		trace("udp: flow %u: %zu-byte datagram exceeds the MTU, dropped",
		      flow_idx((union flow *)uflow), len);
		return;
	}
	udp_buf[0] = (uint8_t)(uflow->f.tap.rport >> 8);
	udp_buf[1] = (uint8_t)uflow->f.tap.rport;
	udp_buf[2] = (uint8_t)(uflow->f.tap.lport >> 8);
	udp_buf[3] = (uint8_t)uflow->f.tap.lport;
	udp_buf[4] = (uint8_t)(ulen >> 8);
	udp_buf[5] = (uint8_t)ulen;
	udp_buf[6] = udp_buf[7] = 0;
	fwd_send_to_guest(c, &uflow->f.tap, IPPROTO_UDP, udp_buf, ulen);
	uflow->active_at = now_ms();
}

/**
 * udp_reply_handler() - datagrams on an outbound flow's socket
 * @c:		execution context
 * @ref:	epoll reference: flow index and fd
 * @events:	epoll events
 */
void udp_reply_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	union flow *flow = flow_at(ref.index, FLOW_TYPE_UDP);
	int i;

	(void)events;
	if (!flow || flow->udp.sock != ref.fd || flow->udp.shared)
		return;

	for (i = 0; i < UDP_RECV_BATCH; i++) {
		ssize_t n = recv(ref.fd, udp_buf + UDP_HDR_LEN, UDP_PAYLOAD_MAX,
				 MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* An ICMP error from the peer, reported once */
			trace("udp: flow %u: %s", ref.index, strerror(errno));
			continue;
		}
		udp_to_guest(c, &flow->udp, (size_t)n);
	}
}

/**
 * udp_flow_inbound() - find or make the flow of a datagram from a host peer
 * @c:		execution context
 * @ref:	listener's epoll reference
 * @peer:	the peer's socket address
 *
 * Return: the flow, or NULL if the datagram can't be forwarded
 */
static struct udp_flow *udp_flow_inbound(const struct ctx *c,
					 union epoll_ref ref,
					 const union sockaddr_inany *peer)
{
	union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
	union inany_addr paddr;
	struct udp_flow *uflow;
	struct flowside tap;
	union flow *flow;
	socklen_t sl = sizeof(sa);
	uint16_t pport;

	memset(&tap, 0, sizeof(tap));
	if (inany_from_sockaddr(&paddr, &pport, peer) ||
	    fwd_nat_inbound(c, &paddr, &tap))
		return NULL;
	tap.lport = fwd_guest_port(&c->udp_fwd, ref.index);
	tap.rport = pport;

	flow = flow_lookup(FLOW_TYPE_UDP, &tap);
	if (flow)
		return &flow->udp;

	uflow = udp_flow_new(&tap);
	if (!uflow)
		return NULL;
	uflow->sock = ref.fd;
	uflow->shared = true;
	uflow->f.sock.remote = paddr;
	uflow->f.sock.rport = pport;
	if (!getsockname(ref.fd, &sa.sa, &sl))
		inany_from_sockaddr(&uflow->f.sock.local,
				    &uflow->f.sock.lport, &sa);
	flow_hash_insert((union flow *)uflow);
	return uflow;
}

/**
 * udp_listen_handler() - datagrams on a forwarding listener
 * @c:		execution context
 * @ref:	epoll reference: listener fd, spec and port (see fwd.h)
 * @events:	epoll events
 */
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	int i;

	(void)events;
	for (i = 0; i < UDP_RECV_BATCH; i++) {
		union sockaddr_inany peer = { .sa.sa_family = AF_UNSPEC };
		socklen_t sl = sizeof(peer);
		struct udp_flow *uflow;
		ssize_t n;

		n = recvfrom(ref.fd, udp_buf + UDP_HDR_LEN, UDP_PAYLOAD_MAX,
			     MSG_DONTWAIT, &peer.sa, &sl);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || c->no_udp)
			continue;
		uflow = udp_flow_inbound(c, ref, &peer);
		if (uflow)
			udp_to_guest(c, uflow, (size_t)n);
	}
}

/**
 * udp_flow_timer() - end a flow that has been idle too long
 * @c:		execution context
 * @flow:	active UDP flow
 * @now:	current time, milliseconds
 */
static void udp_flow_timer(struct ctx *c, union flow *flow, uint64_t now)
{
	if (now - flow->udp.active_at >= UDP_IDLE_TIMEOUT_MS) {
		debug("udp: flow %u: idle, closed", flow_idx(flow));
		udp_flow_close(c, &flow->udp);
	}
}

/**
 * udp_init() - hook the flow timer
 * @c:		execution context
 */
void udp_init(struct ctx *c)
{
	(void)c;
	flow_timer_handler_set(FLOW_TYPE_UDP, udp_flow_timer);
}
