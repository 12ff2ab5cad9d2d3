// SPDX-License-Identifier: GPL-2.0-or-later
/* test_nat.c - which host address a guest's destination stands for */

#include <arpa/inet.h>
#include <string.h>

#include "inany.h"
#include "nat.h"
#include "passt.h"
#include "unit.h"

/**
 * nat_ctx() - a context as conf.c leaves it: gateways, the daemon's
 *	       link-local address, and the host-loopback mapping unless
 *	       --no-map-gw
 * @c:		context to fill
 * @no_map_gw:	as the option
 */
static void nat_ctx(struct ctx *c, bool no_map_gw)
{
	memset(c, 0, sizeof(*c));
	c->no_map_gw = no_map_gw;
	inet_pton(AF_INET, "192.0.2.1", &c->ip4.gw);
	inet_pton(AF_INET6, "2001:db8::1", &c->ip6.gw);
	inet_pton(AF_INET6, "fe80::1", &c->ip6.our_ll);
	if (!no_map_gw) {
		c->ip4.map_host_loopback = c->ip4.gw;
		c->ip6.map_host_loopback = c->ip6.gw;
	}
}

/**
 * outbound() - nat_outbound() for an address given as text
 * @c:		context
 * @dst:	destination the guest chose
 * @host:	set to the host-side destination, as text
 *
 * Return: what nat_outbound() returns
 */
static bool outbound(const struct ctx *c, const char *dst, char *host)
{
	union inany_addr d, h;
	struct in_addr v4;

	if (inet_pton(AF_INET, dst, &v4) == 1)
		inany_from_v4(&d, v4);
	else
		inet_pton(AF_INET6, dst, &d.a6);
	if (!nat_outbound(c, &d, &h))
		return false;
	if (inany_v4(&h))
		inet_ntop(AF_INET, inany_v4(&h), host, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6, &h.a6, host, INET6_ADDRSTRLEN);
	return true;
}

TEST(nat_gateway_and_link_local_address_stand_for_host_loopback)
{
	char host[INET6_ADDRSTRLEN];
	struct ctx c;

	nat_ctx(&c, false);
	CHECK(outbound(&c, "192.0.2.1", host) && !strcmp(host, "127.0.0.1"));
	CHECK(outbound(&c, "2001:db8::1", host) && !strcmp(host, "::1"));
	CHECK(outbound(&c, "fe80::1", host) && !strcmp(host, "::1"));
}

TEST(nat_no_map_gw_keeps_host_loopback_out_of_reach_on_both_families)
{
	char host[INET6_ADDRSTRLEN];
	struct ctx c;

	nat_ctx(&c, true);
	CHECK(outbound(&c, "192.0.2.1", host) && !strcmp(host, "192.0.2.1"));
	CHECK(outbound(&c, "2001:db8::1", host) &&
	      !strcmp(host, "2001:db8::1"));
	/* The daemon's link-local address is no host address either */
	CHECK(!outbound(&c, "fe80::1", host));
}
