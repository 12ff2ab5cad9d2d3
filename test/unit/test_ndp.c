// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ndp.c - NDP: router and neighbour advertisements, the RA schedule */

#include <arpa/inet.h>
#include <string.h>

#include "harness.h"
#include "ndp.h"
#include "unit.h"

/**
 * struct nd_reply - a message from the daemon, taken apart
 * @f:		frame
 * @p:		IPv6 view of it
 */
struct nd_reply {
	uint8_t f[FRAME_MAX];
	struct pkt6 p;
};

static struct nd_reply r;

/**
 * nd_input() - hand an NDP message to the daemon as the guest sends it
 * @c:		execution context
 * @src:	source address
 * @dst:	destination address
 * @msg:	ICMPv6 message
 * @len:	message length
 *
 * Return: what ndp_input() returned
 */
static bool nd_input(struct ctx *c, const char *src, const char *dst,
		     const uint8_t *msg, size_t len)
{
	struct pkt6 p = {
		.src_mac = h_guest_mac,
		.src = h_ip6(src),
		.dst = h_ip6(dst),
		.proto = IPPROTO_ICMPV6,
		.hop_limit = 255,
		.l4 = msg,
		.l4len = len,
	};

	return ndp_input(c, &p);
}

/**
 * nd_recv() - receive an ICMPv6 message from the daemon
 * @type:	expected ICMPv6 type
 *
 * Return: true if one arrived, well formed, with hop limit 255 and code 0
 */
static bool nd_recv(uint8_t type)
{
	int len = harness_recv(r.f, sizeof(r.f));

	return len > 0 && !harness_parse6(r.f, (size_t)len, &r.p) &&
	       r.p.proto == IPPROTO_ICMPV6 && r.p.hop_limit == 255 &&
	       r.p.l4len >= 8 && r.p.l4[0] == type && r.p.l4[1] == 0;
}

/**
 * nd_opt() - find an option in a received NDP message
 * @fixed:	length of the message's fixed part
 * @type:	option type
 * @len:	filled with the option length in bytes
 *
 * Return: pointer to the option, NULL if absent or options are malformed
 */
static const uint8_t *nd_opt(size_t fixed, uint8_t type, size_t *len)
{
	size_t off = fixed;

	while (off + 2 <= r.p.l4len) {
		size_t olen = (size_t)r.p.l4[off + 1] * 8;

		if (!olen || off + olen > r.p.l4len)
			return NULL;
		if (r.p.l4[off] == type) {
			*len = olen;
			return r.p.l4 + off;
		}
		off += olen;
	}
	return NULL;
}

/**
 * addr_is() - whether 16 bytes hold an IPv6 address
 * @p:		bytes
 * @s:		address text
 *
 * Return: true if equal
 */
static bool addr_is(const void *p, const char *s)
{
	struct in6_addr a = h_ip6(s);

	return !memcmp(p, &a, 16);
}

/**
 * be32_at() - read a 32-bit big-endian number
 * @p:		bytes
 *
 * Return: the number
 */
static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static const uint8_t rs[8] = { 133, 0, 0, 0, 0, 0, 0, 0 };

TEST(ndp_rs_gets_ra_with_every_option)
{
	const uint8_t search[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				   3, 'o', 'r', 'g', 0, 0, 0, 0 };
	const uint8_t *o;
	size_t olen;
	struct ctx c;

	harness_ctx(&c);
	CHECK(nd_input(&c, "fe80::5054:ff:fe12:3456", "ff02::2", rs, 8));
	CHECK(nd_recv(134));
	CHECK(addr_is(&r.p.src, H_OUR_LL));
	CHECK(addr_is(&r.p.dst, "fe80::5054:ff:fe12:3456"));
	CHECK(!memcmp(r.f, h_guest_mac, 6));
	CHECK(r.p.l4len >= 16);
	CHECK(r.p.l4[4] == 64);			/* current hop limit */
	CHECK(r.p.l4[5] == 0xc0);		/* M and O */
	CHECK(r.p.l4[6] == 0xff && r.p.l4[7] == 0xff);
	CHECK(be32_at(r.p.l4 + 8) == 0 && be32_at(r.p.l4 + 12) == 0);

	CHECK((o = nd_opt(16, 1, &olen)) && olen == 8);
	CHECK(!memcmp(o + 2, h_our_mac, 6));

	CHECK((o = nd_opt(16, 5, &olen)) && olen == 8);
	CHECK(be32_at(o + 4) == H_MTU);

	CHECK((o = nd_opt(16, 3, &olen)) && olen == 32);
	CHECK(o[2] == 64 && o[3] == 0xc0);	/* L and A */
	CHECK(be32_at(o + 4) == 0xffffffff && be32_at(o + 8) == 0xffffffff);
	CHECK(addr_is(o + 16, "2001:db8::"));

	CHECK((o = nd_opt(16, 25, &olen)) && olen == 24);
	CHECK(be32_at(o + 4) == 0xffffffff);
	CHECK(addr_is(o + 8, H_DNS6));

	CHECK((o = nd_opt(16, 31, &olen)) && olen == 8 + sizeof(search));
	CHECK(!memcmp(o + 8, search, sizeof(search)));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(ndp_rs_from_unspecified_gets_multicast_ra)
{
	const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct ctx c;

	harness_ctx(&c);
	CHECK(nd_input(&c, "::", "ff02::2", rs, 8));
	CHECK(nd_recv(134));
	CHECK(addr_is(&r.p.dst, "ff02::1"));
	CHECK(!memcmp(r.f, all_nodes_mac, 6));
	harness_close(&c);
}

TEST(ndp_ra_without_dhcpv6_or_dns_and_odd_prefix)
{
	const uint8_t *o;
	size_t olen;
	struct ctx c;

	harness_ctx(&c);
	c.no_dhcpv6 = true;
	c.ip6.dns_count = 0;
	c.search_count = 0;
	c.mtu = 1000;		/* below the IPv6 minimum: not advertised */
	c.ip6.prefix_len = 56;
	c.ip6.addr = h_ip6("2001:db8:0:12ff::10");
	CHECK(nd_input(&c, "fe80::1", "ff02::2", rs, 8));
	CHECK(nd_recv(134));
	CHECK(r.p.l4[5] == 0);
	CHECK(!nd_opt(16, 25, &olen) && !nd_opt(16, 31, &olen));
	CHECK(!nd_opt(16, 5, &olen));
	CHECK((o = nd_opt(16, 3, &olen)) && olen == 32);
	CHECK(o[2] == 56 && o[3] == 0x80);	/* on-link only */
	CHECK(addr_is(o + 16, "2001:db8:0:1200::"));
	harness_close(&c);
}

TEST(ndp_ra_several_resolvers)
{
	const uint8_t *o;
	size_t olen;
	struct ctx c;

	harness_ctx(&c);
	c.ip6.dns[1] = h_ip6("2001:db8::53");
	c.ip6.dns_count = 2;
	CHECK(nd_input(&c, "fe80::1", "ff02::2", rs, 8));
	CHECK(nd_recv(134));
	CHECK((o = nd_opt(16, 25, &olen)) && olen == 40 && o[1] == 5);
	CHECK(addr_is(o + 8, H_DNS6) && addr_is(o + 24, "2001:db8::53"));
	harness_close(&c);
}

/**
 * ns_msg() - build a neighbour solicitation with a source link-layer option
 * @buf:	32 bytes
 * @target:	target address
 */
static void ns_msg(uint8_t *buf, const char *target)
{
	struct in6_addr t = h_ip6(target);

	memset(buf, 0, 32);
	buf[0] = 135;
	memcpy(buf + 8, &t, 16);
	buf[24] = 1;
	buf[25] = 1;
	memcpy(buf + 26, h_guest_mac, 6);
}

TEST(ndp_ns_for_gateway_gets_na)
{
	uint8_t ns[32];
	const uint8_t *o;
	size_t olen;
	struct ctx c;

	harness_ctx(&c);
	ns_msg(ns, H_GW6);
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, sizeof(ns)));
	CHECK(nd_recv(136));
	CHECK(addr_is(&r.p.src, H_GW6) && addr_is(&r.p.dst, H_GUEST6));
	CHECK(r.p.l4len == 32);
	CHECK(r.p.l4[4] == 0xe0);	/* router, solicited, override */
	CHECK(addr_is(r.p.l4 + 8, H_GW6));
	CHECK((o = nd_opt(24, 2, &olen)) && olen == 8);
	CHECK(!memcmp(o + 2, h_our_mac, 6));
	harness_close(&c);
}

TEST(ndp_ns_for_link_local_and_other_addresses_is_answered)
{
	uint8_t ns[32];
	struct ctx c;

	harness_ctx(&c);
	ns_msg(ns, H_OUR_LL);
	CHECK(nd_input(&c, "fe80::5054:ff:fe12:3456", H_OUR_LL, ns, 32));
	CHECK(nd_recv(136));
	CHECK(addr_is(&r.p.src, H_OUR_LL));
	ns_msg(ns, "2001:db8::abcd");
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:abcd", ns, 32));
	CHECK(nd_recv(136));
	CHECK(addr_is(r.p.l4 + 8, "2001:db8::abcd"));
	harness_close(&c);
}

TEST(ndp_ns_for_guest_addresses_and_dad_are_not_answered)
{
	uint8_t ns[32];
	struct ctx c;

	harness_ctx(&c);
	/* Duplicate address detection, from :: and without link-layer option */
	ns_msg(ns, "2001:db8::abcd");
	CHECK(nd_input(&c, "::", "ff02::1:ff00:abcd", ns, 24));
	/* The guest's assigned, seen global and seen link-local addresses */
	ns_msg(ns, H_GUEST6);
	CHECK(nd_input(&c, "fe80::1", "ff02::1:ff00:10", ns, 32));
	c.ip6.addr_seen = h_ip6("2001:db8::77");
	ns_msg(ns, "2001:db8::77");
	CHECK(nd_input(&c, "fe80::1", "ff02::1:ff00:77", ns, 32));
	c.ip6.addr_ll_seen = h_ip6("fe80::5054:ff:fe12:3456");
	ns_msg(ns, "fe80::5054:ff:fe12:3456");
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff12:3456", ns, 32));
	/* A multicast target is invalid */
	ns_msg(ns, "ff02::1");
	CHECK(nd_input(&c, H_GUEST6, "ff02::1", ns, 32));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(ndp_dad_probe_names_the_guest_global_address)
{
	struct in6_addr before;
	uint8_t ns[32];
	struct ctx c;

	harness_ctx(&c);
	before = c.ip6.addr_seen;
	/* Not a probe: from a unicast source (answered), or to another group */
	ns_msg(ns, "2001:db8::5054:ff:fe12:3456");
	CHECK(nd_input(&c, "fe80::1", "ff02::1:ff12:3456", ns, 24));
	CHECK(nd_recv(136));
	CHECK(nd_input(&c, "::", "ff02::1:ff12:3457", ns, 24));
	CHECK(nd_input(&c, "::", "ff02::1", ns, 24));
	CHECK(IN6_ARE_ADDR_EQUAL(&c.ip6.addr_seen, &before));
	/* A link-local target is not the global address */
	ns_msg(ns, "fe80::5054:ff:fe12:3456");
	CHECK(nd_input(&c, "::", "ff02::1:ff12:3456", ns, 24));
	CHECK(IN6_ARE_ADDR_EQUAL(&c.ip6.addr_seen, &before));
	/* A probe for a global address: the guest's from now on */
	ns_msg(ns, "2001:db8::5054:ff:fe12:3456");
	CHECK(nd_input(&c, "::", "ff02::1:ff12:3456", ns, 24));
	CHECK(addr_is(&c.ip6.addr_seen, "2001:db8::5054:ff:fe12:3456"));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(ndp_advertisements_and_redirects_from_guest_are_consumed_silently)
{
	uint8_t msg[40] = { 0 };
	struct ctx c;
	int type;

	harness_ctx(&c);
	for (type = 134; type <= 137; type += (type == 134 ? 2 : 1)) {
		msg[0] = (uint8_t)type;
		CHECK(nd_input(&c, "fe80::1", "ff02::1", msg, sizeof(msg)));
	}
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(ndp_other_icmpv6_is_not_consumed)
{
	uint8_t echo[8] = { 128, 0, 0, 0, 0, 1, 0, 1 };
	struct ctx c;

	harness_ctx(&c);
	CHECK(!nd_input(&c, H_GUEST6, H_GW6, echo, sizeof(echo)));
	echo[0] = 138;
	CHECK(!nd_input(&c, H_GUEST6, H_GW6, echo, sizeof(echo)));
	harness_close(&c);
}

TEST(ndp_malformed_messages_get_no_reply)
{
	struct pkt6 p = {
		.src = h_ip6(H_GUEST6), .dst = h_ip6("ff02::2"),
		.proto = IPPROTO_ICMPV6, .hop_limit = 64, .l4len = 8,
	};
	uint8_t ns[40], rs_bad[8];
	struct ctx c;

	harness_ctx(&c);
	/* Hop limit not 255: may come from off-link */
	p.l4 = rs;
	CHECK(ndp_input(&c, &p));
	/* Code not 0 */
	memcpy(rs_bad, rs, 8);
	rs_bad[1] = 1;
	CHECK(nd_input(&c, H_GUEST6, "ff02::2", rs_bad, 8));
	/* Shorter than the fixed part */
	ns_msg(ns, H_GW6);
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 23));
	/* Option of length 0 */
	ns[25] = 0;
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 32));
	/* Option past the end */
	ns[25] = 2;
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 32));
	/* Truncated option header */
	ns_msg(ns, H_GW6);
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 25));
	/* Solicitation from :: with a link-layer address (RFC 4861, 6.1.1) */
	memcpy(ns, rs, 8);
	ns[8] = 1;
	ns[9] = 1;
	memcpy(ns + 10, h_guest_mac, 6);
	CHECK(nd_input(&c, "::", "ff02::2", ns, 16));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);

	/* The same solicitation from a link-local address is fine */
	CHECK(nd_input(&c, "fe80::1", "ff02::2", ns, 16));
	CHECK(nd_recv(134));
	harness_close(&c);
}

TEST(ndp_disabled_options_give_no_answers)
{
	uint8_t ns[32];
	struct ctx c;

	harness_ctx(&c);
	c.no_ra = true;
	CHECK(nd_input(&c, "fe80::1", "ff02::2", rs, 8));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	ns_msg(ns, H_GW6);
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 32));
	CHECK(nd_recv(136));

	c.no_ra = false;
	c.no_ndp = true;
	CHECK(nd_input(&c, "fe80::1", "ff02::2", rs, 8));
	CHECK(nd_input(&c, H_GUEST6, "ff02::1:ff00:1", ns, 32));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

/**
 * ra_count() - count router advertisements waiting from the daemon
 *
 * Return: number of frames, all of which must be RAs to all-nodes
 */
static int ra_count(void)
{
	int n = 0;

	while (nd_recv(134)) {
		if (!addr_is(&r.p.dst, "ff02::1") ||
		    !addr_is(&r.p.src, H_OUR_LL))
			return -1;
		n++;
	}
	return n;
}

TEST(ndp_timer_sends_ra_soon_after_guest_then_periodically)
{
	const uint64_t t0 = 5000000;
	uint64_t t, last = 0;
	struct ctx c;
	int sent = 0;

	harness_ctx(&c);
	/* No guest yet: nothing, and the schedule starts afresh */
	c.guest_mac_seen = false;
	ndp_timer(&c, t0);
	c.guest_mac_seen = true;
	ndp_timer(&c, t0);
	CHECK(ra_count() == 0);
	ndp_timer(&c, t0 + 999);
	CHECK(ra_count() == 0);
	ndp_timer(&c, t0 + 1000);
	CHECK(ra_count() == 1);
	ndp_timer(&c, t0 + 1001);
	CHECK(ra_count() == 0);

	/* Over an hour, in 100 ms steps: initial ones, then 7.5 to 10 min */
	for (t = t0 + 1100; t < t0 + 3600 * 1000; t += 100) {
		ndp_timer(&c, t);
		if (ra_count() != 1)
			continue;
		if (sent >= 2)
			CHECK(t - last >= 450000 && t - last <= 600100);
		last = t;
		sent++;
	}
	CHECK(sent >= 2 + 5 && sent <= 2 + 8);
	harness_close(&c);
}

TEST(ndp_timer_silent_with_no_ra_or_no_guest)
{
	const uint64_t t0 = 1000;
	struct ctx c;
	uint64_t t;

	harness_ctx(&c);
	c.no_ra = true;
	for (t = t0; t < t0 + 60000; t += 100)
		ndp_timer(&c, t);
	CHECK(ra_count() == 0);
	c.no_ra = false;
	c.guest_mac_seen = false;
	for (t = t0; t < t0 + 60000; t += 100)
		ndp_timer(&c, t);
	CHECK(ra_count() == 0);
	harness_close(&c);
}
