// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd.c - address translation between guest and host, forwarding listeners
 *
 * The guest uses the host's own address, and the gateway address it sees
 * stands for the host itself: a guest flow to the gateway goes to the host's
 * loopback, and a host connection from the loopback (or from the host's own
 * address, which the guest owns) appears to come from the gateway. DNS
 * queries to the advertised resolver go to the host's resolver. Inbound
 * forwarding (-t, -u) listens on host ports and maps them to guest ports.
 */

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "fwd_spec.h"
#include "ip.h"
#include "log.h"
#include "nat.h"
#include "util.h"

#define DNS_PORT	53

/**
 * fwd_nat_outbound() - host address a guest flow to @dst really goes to
 * @c:		execution context
 * @dst:	destination the guest used
 * @port:	destination port
 * @target:	result: the address to connect or send to
 *
 * DNS queries to the advertised resolver go to the host's resolver; the rest
 * is nat_outbound()'s mapping.
 *
 * Return: false if the destination must not be reached
 */
bool fwd_nat_outbound(const struct ctx *c, const union inany_addr *dst,
		      uint16_t port, union inany_addr *target)
{
	const struct in_addr *v4 = inany_v4(dst);

	if (port == DNS_PORT && v4 && c->ip4.dns_match.s_addr &&
	    v4->s_addr == c->ip4.dns_match.s_addr && c->ip4.dns_host.s_addr) {
		inany_from_v4(target, c->ip4.dns_host);
		return true;
	}
	if (port == DNS_PORT && !v4 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_match) &&
	    IN6_ARE_ADDR_EQUAL(&dst->a6, &c->ip6.dns_match) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host)) {
		target->a6 = c->ip6.dns_host;
		return true;
	}
	return nat_outbound(c, dst, target);
}

/**
 * fwd_nat_inbound() - tap side addresses of a flow from a host peer
 * @c:		execution context
 * @peer:	host peer address
 * @tap:	result: local is the guest's address, remote what the guest
 *		sees as the peer (ports are left to the caller)
 *
 * Return: 0 on success, -1 if the guest has no address of that family
 */
int fwd_nat_inbound(const struct ctx *c, const union inany_addr *peer,
		    struct flowside *tap)
{
	if (inany_v4(peer)) {
		struct in_addr guest = c->ip4.addr_seen.s_addr ?
				       c->ip4.addr_seen : c->ip4.addr;

		if (!guest.s_addr)
			return -1;
		inany_from_v4(&tap->local, guest);
	} else {
		tap->local.a6 = IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_seen) ?
				c->ip6.addr : c->ip6.addr_seen;
		if (IN6_IS_ADDR_UNSPECIFIED(&tap->local.a6))
			return -1;
	}
	nat_inbound(c, peer, &tap->remote);
	return 0;
}

/**
 * fwd_sock_bind_if() - bind a socket to an interface, if one is given
 * @s:		socket
 * @ifname:	interface name, or empty
 *
 * Return: 0 on success (or nothing to do), -errno on failure
 */
static int fwd_sock_bind_if(int s, const char *ifname)
{
	if (*ifname && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				  (socklen_t)strlen(ifname) + 1))
		return -errno;
	return 0;
}

/**
 * fwd_sock_outbound() - a non-blocking socket towards a host target
 * @c:		execution context
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @proto:	protocol: 0 for the type's default, or IPPROTO_ICMP(V6) for
 *		a ping socket
 * @target:	where the socket will send
 *
 * Bound to the configured outbound address (-o) and interface
 * (--outbound-if4, --outbound-if6) of the family, if any, unless the target
 * is the host's loopback.
 *
 * Return: socket, or negative error code
 */
int fwd_sock_outbound(const struct ctx *c, int type, int proto,
		      const union inany_addr *target)
{
	int af = inany_af(target), s, rc;
	union sockaddr_inany sa;
	union inany_addr out;
	socklen_t sl;

	s = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s < 0)
		return -errno;
	if (inany_is_loopback(target))
		return s;

	rc = fwd_sock_bind_if(s, af == AF_INET ? c->ip4.outbound_if :
						 c->ip6.outbound_if);
	if (af == AF_INET)
		inany_from_v4(&out, c->ip4.outbound);
	else
		out.a6 = c->ip6.outbound;
	if (!rc && !inany_is_unspecified(&out)) {
		sl = inany_to_sockaddr(&sa, &out, 0);
		if (bind(s, &sa.sa, sl))
			rc = -errno;
	}
	if (rc) {
		close(s);
		return rc;
	}
	return s;
}

/**
 * fwd_send_to_guest() - send a transport packet to the guest along a flow
 * @c:		execution context
 * @tap:	tap side: the packet goes from @tap->remote to @tap->local
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @l4:		transport header and payload, checksum filled in below
 * @len:	length of @l4
 *
 * Return: 0 on success, negative error code from the framing or transport
 */
int fwd_send_to_guest(const struct ctx *c, const struct flowside *tap,
		      uint8_t proto, const void *l4, size_t len)
{
	const struct in_addr *src4 = inany_v4(&tap->remote);
	const struct in_addr *dst4 = inany_v4(&tap->local);

	if (src4 && dst4)
		return ip4_send(c, *src4, *dst4, proto, l4, len);
	if (!src4 && !dst4)
		return ip6_send(c, &tap->remote.a6, &tap->local.a6, proto,
				l4, len);
	return -EAFNOSUPPORT;
}

/**
 * fwd_guest_port() - guest port a listener's host port is forwarded to
 * @fp:		forwarding configuration of the listener's protocol
 * @ref_index:	the listener's epoll reference index
 *
 * Return: guest port
 */
uint16_t fwd_guest_port(const struct fwd_ports *fp, uint32_t ref_index)
{
	unsigned int spec = ref_index >> FWD_REF_SPEC_SHIFT;
	uint16_t port = ref_index & 0xffff;
	const struct port_spec *ps;

	if (spec == FWD_REF_IDENTITY || spec >= (unsigned int)fp->count)
		return port;
	ps = &fp->specs[spec];
	return (uint16_t)(ps->to_first + (port - ps->first));
}

/**
 * fwd_listen_one() - bind one listening socket and add it to epoll
 * @c:		execution context
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @addr:	address to bind (v4-mapped for IPv4; unspecified for any)
 * @ifname:	interface to bind to, or empty
 * @port:	host port
 * @ref:	epoll reference, fd filled in here
 *
 * Return: 0 on success, negative error code
 */
static int fwd_listen_one(const struct ctx *c, int type,
			  const union inany_addr *addr, const char *ifname,
			  uint16_t port, union epoll_ref ref)
{
	int af = inany_af(addr), one = 1, s, rc;
	union sockaddr_inany sa;
	socklen_t sl = inany_to_sockaddr(&sa, addr, port);

	s = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* --freebind: the address may not (yet) be configured on the host */
	if (c->freebind &&
	    setsockopt(s, af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       af == AF_INET ? IP_FREEBIND : IPV6_FREEBIND, &one,
		       sizeof(one)))
		goto fail;
	if (fwd_sock_bind_if(s, ifname))
		goto fail;
	if (bind(s, &sa.sa, sl))
		goto fail;
	if (type == SOCK_STREAM && listen(s, SOMAXCONN))
		goto fail;

	ref.fd = s;
	if (epoll_add_ref(c, s, EPOLLIN, ref))
		goto fail;
	return 0;
fail:
	rc = -errno;
	close(s);
	return rc;
}

/**
 * fwd_listen_addr() - bind one listening socket, say why if it fails
 * @c:		execution context
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @addr:	address to bind (v4-mapped for IPv4; unspecified for any)
 * @ifname:	interface to bind to, or empty
 * @port:	host port
 * @ref:	epoll reference, fd filled in here
 *
 * A port the operator named is worth a warning; one of "all" (most of
 * which are busy on any host) only a debug line.
 *
 * Return: 1 if the socket is bound, 0 if not
 */
static int fwd_listen_addr(const struct ctx *c, int type,
			   const union inany_addr *addr, const char *ifname,
			   uint16_t port, union epoll_ref ref)
{
	int rc = fwd_listen_one(c, type, addr, ifname, port, ref);
	const char *proto = type == SOCK_STREAM ? "TCP" : "UDP";
	const char *af = inany_v4(addr) ? "IPv4" : "IPv6";

	if (!rc)
		return 1;
	if (ref.index >> FWD_REF_SPEC_SHIFT == FWD_REF_IDENTITY)
		debug("fwd: can't listen on %s port %u (%s): %s", proto, port,
		      af, strerror(-rc));
	else
		warn("fwd: can't listen on %s port %u (%s): %s", proto, port,
		     af, strerror(-rc));
	return 0;
}

/**
 * fwd_listen_port() - listen on one host port, on each enabled family
 * @c:		execution context
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @ps:		the spec the port comes from, NULL for "all"
 * @spec_idx:	index of @ps, or FWD_REF_IDENTITY
 * @port:	host port
 *
 * Return: number of sockets bound
 */
static int fwd_listen_port(const struct ctx *c, int type,
			   const struct port_spec *ps, unsigned int spec_idx,
			   uint16_t port)
{
	union epoll_ref ref = {
		.type = type == SOCK_STREAM ? EPOLL_TYPE_TCP_LISTEN :
					      EPOLL_TYPE_UDP_LISTEN,
		.index = (spec_idx << FWD_REF_SPEC_SHIFT) | port,
	};
	int family = ps ? ps->bind_addr.family : AF_UNSPEC;
	const char *ifname = ps ? ps->bind_if : "";
	union inany_addr addr;
	int bound = 0;

	if (family == AF_INET || (family == AF_UNSPEC && c->ifi4)) {
		struct in_addr a4 = { htonl(INADDR_ANY) };

		if (family == AF_INET)
			a4 = ps->bind_addr.a4;
		inany_from_v4(&addr, a4);
		bound += fwd_listen_addr(c, type, &addr, ifname, port, ref);
	}
	if (family == AF_INET6 || (family == AF_UNSPEC && c->ifi6)) {
		addr.a6 = family == AF_INET6 ? ps->bind_addr.a6 :
					       in6addr_any;
		bound += fwd_listen_addr(c, type, &addr, ifname, port, ref);
	}
	return bound;
}

/**
 * fwd_listen_proto() - listen on every forwarded port of one protocol
 * @c:		execution context
 * @fp:		forwarding configuration
 * @type:	SOCK_STREAM or SOCK_DGRAM
 *
 * Return: number of sockets bound
 */
static int fwd_listen_proto(const struct ctx *c, const struct fwd_ports *fp,
			    int type)
{
	int bound = 0, i;
	unsigned int p;
	uint16_t to;

	if (fp->mode == FWD_ALL) {
		for (p = 1; p <= 65535; p++)
			if (fwd_spec_port_fwd(fp, (uint16_t)p, &to))
				bound += fwd_listen_port(c, type, NULL,
							 FWD_REF_IDENTITY,
							 (uint16_t)p);
		return bound;
	}
	if (fp->mode != FWD_SPEC)
		return 0;

	for (i = 0; i < fp->count; i++) {
		const struct port_spec *ps = &fp->specs[i];

		if (ps->exclude)
			continue;
		for (p = ps->first; p <= ps->last; p++)
			if (fwd_spec_port_fwd(fp, (uint16_t)p, &to))
				bound += fwd_listen_port(c, type, ps,
							 (unsigned int)i,
							 (uint16_t)p);
	}
	return bound;
}

/**
 * fwd_listen() - open the listening sockets of the -t and -u specs
 * @c:		execution context
 *
 * Ports that cannot be bound (already in use, no such address) are skipped
 * with a debug line; a spec that binds nothing at all is an error.
 *
 * Return: 0 on success, -1 if some spec bound no socket
 */
int fwd_listen(struct ctx *c)
{
	int rc = 0;

	if (c->tcp_fwd.mode == FWD_AUTO || c->udp_fwd.mode == FWD_AUTO)
		warn("fwd: 'auto' port forwarding needs a namespace: ignored");

	if (!c->no_tcp && (c->tcp_fwd.mode == FWD_SPEC ||
			   c->tcp_fwd.mode == FWD_ALL) &&
	    !fwd_listen_proto(c, &c->tcp_fwd, SOCK_STREAM)) {
		err("fwd: no TCP port could be forwarded");
		rc = -1;
	}
	if (!c->no_udp && (c->udp_fwd.mode == FWD_SPEC ||
			   c->udp_fwd.mode == FWD_ALL) &&
	    !fwd_listen_proto(c, &c->udp_fwd, SOCK_DGRAM)) {
		err("fwd: no UDP port could be forwarded");
		rc = -1;
	}
	return rc;
}
