// SPDX-License-Identifier: GPL-2.0-or-later
/* nat.c - which host address a guest destination stands for, and back
 *
 * As in passt, the gateway address the guest sees stands for the host
 * itself: traffic to it goes to the host's loopback, and traffic from the
 * host's loopback appears to come from it. --map-guest-addr names an address
 * that stands for the host's own address (which the guest also uses).
 */

#include <arpa/inet.h>
#include <string.h>

#include "nat.h"

/**
 * nat_outbound() - host address to use for a destination the guest chose
 * @c:		execution context
 * @dst:	destination in the guest's packet
 * @host:	set to the destination for the host socket
 *
 * Return: false if the destination must not be reached (link-local that is
 *	   not the daemon, unspecified, multicast), true otherwise
 */
bool nat_outbound(const struct ctx *c, const union inany_addr *dst,
		  union inany_addr *host)
{
	const struct in_addr *v4 = inany_v4(dst);

	*host = *dst;
	if (v4) {
		if (!v4->s_addr || IN_MULTICAST(ntohl(v4->s_addr)) ||
		    v4->s_addr == INADDR_BROADCAST)
			return false;
		if (c->ip4.map_host_loopback.s_addr &&
		    v4->s_addr == c->ip4.map_host_loopback.s_addr)
			inany_from_v4(host, (struct in_addr){
				htonl(INADDR_LOOPBACK) });
		else if (c->ip4.map_guest_addr.s_addr &&
			 v4->s_addr == c->ip4.map_guest_addr.s_addr)
			inany_from_v4(host, c->ip4.addr);
		return true;
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&dst->a6) ||
	    IN6_IS_ADDR_MULTICAST(&dst->a6))
		return false;
	/* The daemon's link-local address is the guest's IPv6 gateway too:
	 * with --no-map-gw, it stands for the host no more than the other
	 */
	if ((!c->no_map_gw && IN6_ARE_ADDR_EQUAL(&dst->a6, &c->ip6.our_ll)) ||
	    (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback) &&
	     IN6_ARE_ADDR_EQUAL(&dst->a6, &c->ip6.map_host_loopback))) {
		host->a6 = in6addr_loopback;
		return true;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_guest_addr) &&
	    IN6_ARE_ADDR_EQUAL(&dst->a6, &c->ip6.map_guest_addr)) {
		host->a6 = c->ip6.addr;
		return true;
	}
	return !IN6_IS_ADDR_LINKLOCAL(&dst->a6);
}

/**
 * nat_inbound() - address the guest sees for a host-side peer
 * @c:		execution context
 * @host:	peer address on the host side
 * @guest:	set to the address to use towards the guest
 */
void nat_inbound(const struct ctx *c, const union inany_addr *host,
		 union inany_addr *guest)
{
	const struct in_addr *v4 = inany_v4(host);

	*guest = *host;
	if (v4) {
		if (ip4_is_loopback(*v4) &&
		    c->ip4.map_host_loopback.s_addr)
			inany_from_v4(guest, c->ip4.map_host_loopback);
		else if (v4->s_addr == c->ip4.addr.s_addr &&
			 c->ip4.map_guest_addr.s_addr)
			inany_from_v4(guest, c->ip4.map_guest_addr);
		return;
	}
	if (IN6_IS_ADDR_LOOPBACK(&host->a6) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
		guest->a6 = c->ip6.map_host_loopback;
	else if (IN6_ARE_ADDR_EQUAL(&host->a6, &c->ip6.addr) &&
		 !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_guest_addr))
		guest->a6 = c->ip6.map_guest_addr;
}
