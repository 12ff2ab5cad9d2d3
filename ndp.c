// SPDX-License-Identifier: GPL-2.0-or-later
/* ndp.c - NDP: router and neighbour advertisements to the guest
 *
 * RFC 4861 (Neighbor Discovery), RFC 4862 (address autoconfiguration) and
 * RFC 8106 (DNS options). The daemon is the guest's router and every other
 * node on its link: it answers neighbour solicitations for any address but
 * the guest's own, and advertises the guest's prefix, resolvers and search
 * domains, on solicitation and periodically.
 */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>

#include "passt.h"
#include "domain.h"
#include "ip.h"
#include "log.h"
#include "ndp.h"
#include "tap.h"

#define ND_HOP_LIMIT		255	/* RFC 4861, 6.1: from the link only */
#define ND_OPT_RDNSS		25	/* RFC 8106, 5.1 */
#define ND_OPT_DNSSL		31	/* RFC 8106, 5.2 */
#define ND_LIFETIME_INFINITE	0xffffffff
#define RA_ROUTER_LIFETIME_S	65535	/* RFC 8319 */
#define RA_CUR_HOP_LIMIT	64
#define IP6_MIN_MTU		1280

/* Unsolicited advertisements (RFC 4861, 6.2.4 and 10) */
#define RA_FIRST_DELAY_MS	1000
#define RA_INITIAL_COUNT	3
#define RA_INITIAL_INTERVAL_MS	16000
#define RA_INTERVAL_MIN_MS	450000
#define RA_INTERVAL_MAX_MS	600000

/* Router advertisement: header, link-layer, MTU, prefix, DNS options */
#define RA_MAX_LEN	(16 + 8 + 8 + 32 + 8 + MAX_DNS * 16 + \
			 8 + MAX_SEARCH * DOMAIN_MAXLEN + 8)

static const struct in6_addr all_nodes = {
	.s6_addr = { 0xff, 0x02, [15] = 0x01 }
};

/* Schedule of unsolicited router advertisements */
static struct {
	uint64_t next;		/* 0: not scheduled, guest not there */
	int initial_left;	/* initial advertisements still to send */
} ra_sched;

/**
 * nd_opts_valid() - check the options following an NDP message
 * @opts:	first option
 * @len:	bytes of options
 *
 * Return: true if every option has a non-zero length within the packet
 */
static bool nd_opts_valid(const uint8_t *opts, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t olen;

		if (len - off < 2 || !opts[off + 1]) {
			debug("ndp: option at offset %zu has length 0", off);
			return false;
		}
		olen = (size_t)opts[off + 1] * 8;
		if (olen > len - off) {
			debug("ndp: option type %u at offset %zu overruns "
			      "the packet", opts[off], off);
			return false;
		}
		off += olen;
	}
	return true;
}

/**
 * nd_opt_has() - whether the options include one of a given type
 * @opts:	first option, already validated
 * @len:	bytes of options
 * @type:	option type
 *
 * Return: true if present
 */
static bool nd_opt_has(const uint8_t *opts, size_t len, uint8_t type)
{
	size_t off;

	for (off = 0; off < len; off += (size_t)opts[off + 1] * 8)
		if (opts[off] == type)
			return true;
	return false;
}

/**
 * nd_opt_lladdr() - write a source or target link-layer address option
 * @buf:	8 bytes
 * @type:	ND_OPT_SOURCE_LINKADDR or ND_OPT_TARGET_LINKADDR
 * @mac:	the address
 *
 * Return: 8
 */
static size_t nd_opt_lladdr(uint8_t *buf, uint8_t type, const uint8_t *mac)
{
	buf[0] = type;
	buf[1] = 1;
	memcpy(buf + 2, mac, ETH_ALEN_);
	return 8;
}

/**
 * ra_opt_mtu() - MTU option, if an MTU is configured and valid for IPv6
 * @c:		execution context
 * @buf:	8 bytes
 *
 * Return: option length, 0 if left out
 */
static size_t ra_opt_mtu(const struct ctx *c, uint8_t *buf)
{
	struct nd_opt_mtu *o = (struct nd_opt_mtu *)buf;

	if (c->mtu < IP6_MIN_MTU)
		return 0;
	o->nd_opt_mtu_type = ND_OPT_MTU;
	o->nd_opt_mtu_len = 1;
	o->nd_opt_mtu_reserved = 0;
	o->nd_opt_mtu_mtu = htonl((uint32_t)c->mtu);
	return sizeof(*o);
}

/**
 * ra_opt_prefix() - prefix information for the guest's address
 * @c:		execution context
 * @buf:	32 bytes
 *
 * Autoconfiguration (the A flag) needs a 64-bit prefix (RFC 4862, 5.5.3
 * with RFC 4291's interface identifiers); other lengths are only on-link.
 *
 * Return: option length, 0 without an IPv6 address
 */
static size_t ra_opt_prefix(const struct ctx *c, uint8_t *buf)
{
	struct nd_opt_prefix_info *o = (struct nd_opt_prefix_info *)buf;
	int plen = MIN(MAX(c->ip6.prefix_len, 0), 128), i;

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
		return 0;

	memset(o, 0, sizeof(*o));
	o->nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
	o->nd_opt_pi_len = sizeof(*o) / 8;
	o->nd_opt_pi_prefix_len = (uint8_t)plen;
	o->nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK;
	if (plen == 64)
		o->nd_opt_pi_flags_reserved |= ND_OPT_PI_FLAG_AUTO;
	o->nd_opt_pi_valid_time = htonl(ND_LIFETIME_INFINITE);
	o->nd_opt_pi_preferred_time = htonl(ND_LIFETIME_INFINITE);
	for (i = 0; i < 16; i++) {
		int bits = MIN(MAX(plen - i * 8, 0), 8);

		o->nd_opt_pi_prefix.s6_addr[i] = c->ip6.addr.s6_addr[i] &
						 (uint8_t)(0xff00 >> bits);
	}
	return sizeof(*o);
}

/**
 * ra_opt_rdnss() - recursive DNS server option (RFC 8106, 5.1)
 * @c:		execution context
 * @buf:	8 + MAX_DNS * 16 bytes
 *
 * Return: option length, 0 without resolvers
 */
static size_t ra_opt_rdnss(const struct ctx *c, uint8_t *buf)
{
	int n = MIN(c->ip6.dns_count, MAX_DNS), i;
	uint32_t lifetime = htonl(ND_LIFETIME_INFINITE);

	if (n <= 0)
		return 0;
	buf[0] = ND_OPT_RDNSS;
	buf[1] = (uint8_t)(1 + 2 * n);
	buf[2] = buf[3] = 0;
	memcpy(buf + 4, &lifetime, 4);
	for (i = 0; i < n; i++)
		memcpy(buf + 8 + (size_t)i * 16, &c->ip6.dns[i], 16);
	return 8 + (size_t)n * 16;
}

/**
 * ra_opt_dnssl() - DNS search list option (RFC 8106, 5.2)
 * @c:		execution context
 * @buf:	output
 * @size:	space in @buf
 *
 * Return: option length, 0 without (valid) search domains
 */
static size_t ra_opt_dnssl(const struct ctx *c, uint8_t *buf, size_t size)
{
	uint32_t lifetime = htonl(ND_LIFETIME_INFINITE);
	ssize_t n;
	size_t len;

	if (size < 8)
		return 0;
	n = domain_list_encode(buf + 8, size - 8, c->search,
			       MIN(c->search_count, MAX_SEARCH));
	if (n <= 0)
		return 0;

	len = 8 + ((size_t)n + 7) / 8 * 8;
	if (len > size || len / 8 > 255)
		return 0;
	memset(buf + 8 + n, 0, len - 8 - (size_t)n);
	buf[0] = ND_OPT_DNSSL;
	buf[1] = (uint8_t)(len / 8);
	buf[2] = buf[3] = 0;
	memcpy(buf + 4, &lifetime, 4);
	return len;
}

/**
 * ndp_ra_send() - send a router advertisement to the guest
 * @c:		execution context
 * @dst:	destination: the soliciting node, or all-nodes
 */
static void ndp_ra_send(const struct ctx *c, const struct in6_addr *dst)
{
	uint8_t buf[RA_MAX_LEN] __attribute__((aligned(8)));
	struct nd_router_advert *ra = (struct nd_router_advert *)buf;
	size_t len = sizeof(*ra);
	int rc;

	memset(ra, 0, sizeof(*ra));
	ra->nd_ra_type = ND_ROUTER_ADVERT;
	ra->nd_ra_curhoplimit = RA_CUR_HOP_LIMIT;
	if (!c->no_dhcpv6)
		ra->nd_ra_flags_reserved = ND_RA_FLAG_MANAGED |
					   ND_RA_FLAG_OTHER;
	ra->nd_ra_router_lifetime = htons(RA_ROUTER_LIFETIME_S);

	len += nd_opt_lladdr(buf + len, ND_OPT_SOURCE_LINKADDR, c->our_mac);
	len += ra_opt_mtu(c, buf + len);
	len += ra_opt_prefix(c, buf + len);
	len += ra_opt_rdnss(c, buf + len);
	len += ra_opt_dnssl(c, buf + len, sizeof(buf) - len);

	rc = ip6_send(c, &c->ip6.our_ll, dst, IPPROTO_ICMPV6, buf, len);
	if (rc < 0)
		debug("ndp: router advertisement failed: %s", strerror(-rc));
}

/**
 * ndp_on_rs() - router solicitation: advertise
 * @c:		execution context
 * @p:		packet
 * @opts:	options, validated
 * @olen:	bytes of options
 */
static void ndp_on_rs(const struct ctx *c, const struct pkt6 *p,
		      const uint8_t *opts, size_t olen)
{
	bool unspec = IN6_IS_ADDR_UNSPECIFIED(&p->src);

	/* RFC 4861, 6.1.1 */
	if (unspec && nd_opt_has(opts, olen, ND_OPT_SOURCE_LINKADDR)) {
		debug("ndp: solicitation from :: with a link-layer address");
		return;
	}
	if (c->no_ra)
		return;
	ndp_ra_send(c, unspec ? &all_nodes : &p->src);
}

/**
 * ndp_is_guest_addr() - whether an address is one the guest uses
 * @c:		execution context
 * @a:		address
 *
 * Return: true for the assigned address and those seen from the guest
 */
static bool ndp_is_guest_addr(const struct ctx *c, const struct in6_addr *a)
{
	return IN6_ARE_ADDR_EQUAL(a, &c->ip6.addr) ||
	       IN6_ARE_ADDR_EQUAL(a, &c->ip6.addr_seen) ||
	       IN6_ARE_ADDR_EQUAL(a, &c->ip6.addr_ll_seen);
}

/**
 * ndp_on_ns() - neighbour solicitation: the daemon is every other neighbour
 * @c:		execution context
 * @p:		packet
 * @opts:	options, validated
 * @olen:	bytes of options
 */
static void ndp_on_ns(const struct ctx *c, const struct pkt6 *p,
		      const uint8_t *opts, size_t olen)
{
	struct {
		struct nd_neighbor_advert na;
		uint8_t tlla[8];
	} __attribute__((packed, aligned(8))) reply;
	struct in6_addr target;
	int rc;

	(void)opts;
	(void)olen;
	memcpy(&target, p->l4 + 8, sizeof(target));
	if (IN6_IS_ADDR_MULTICAST(&target)) {
		debug("ndp: solicitation for a multicast address");
		return;
	}
	/* Duplicate address detection: the address may be the guest's */
	if (IN6_IS_ADDR_UNSPECIFIED(&p->src) ||
	    IN6_IS_ADDR_UNSPECIFIED(&target) || ndp_is_guest_addr(c, &target))
		return;

	memset(&reply, 0, sizeof(reply));
	reply.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	reply.na.nd_na_flags_reserved = ND_NA_FLAG_ROUTER |
					ND_NA_FLAG_SOLICITED |
					ND_NA_FLAG_OVERRIDE;
	reply.na.nd_na_target = target;
	nd_opt_lladdr(reply.tlla, ND_OPT_TARGET_LINKADDR, c->our_mac);

	rc = ip6_send(c, &target, &p->src, IPPROTO_ICMPV6, &reply,
		      sizeof(reply));
	if (rc < 0)
		debug("ndp: neighbour advertisement failed: %s",
		      strerror(-rc));
}

/**
 * ndp_on_ignored() - advertisements and redirects from the guest: no action
 * @c:		execution context
 * @p:		packet
 * @opts:	options, validated
 * @olen:	bytes of options
 */
static void ndp_on_ignored(const struct ctx *c, const struct pkt6 *p,
			   const uint8_t *opts, size_t olen)
{
	(void)c;
	(void)opts;
	(void)olen;
	trace("ndp: type %u from the guest ignored", p->l4[0]);
}

/**
 * struct ndp_msg_handler - a NDP message type, its fixed length, its handler
 */
static const struct ndp_msg_handler {
	uint8_t type;
	uint8_t min_len;
	void (*on)(const struct ctx *c, const struct pkt6 *p,
		   const uint8_t *opts, size_t olen);
} handlers[] = {
	{ ND_ROUTER_SOLICIT,	8,	ndp_on_rs },
	{ ND_ROUTER_ADVERT,	16,	ndp_on_ignored },
	{ ND_NEIGHBOR_SOLICIT,	24,	ndp_on_ns },
	{ ND_NEIGHBOR_ADVERT,	24,	ndp_on_ignored },
	{ ND_REDIRECT,		40,	ndp_on_ignored },
};

/**
 * ndp_dad_learn() - take the address a duplicate address detection probe
 *		     claims as the guest's global address
 * @c:		execution context
 * @p:		neighbour solicitation, validated
 *
 * A guest that built its address by SLAAC sends nothing from it until it
 * uses it, while connections forwarded to the guest need it at once. A
 * probe (RFC 4862, 5.4.2) comes from :: to the target's solicited-node
 * group; only a global unicast target counts.
 */
static void ndp_dad_learn(struct ctx *c, const struct pkt6 *p)
{
	struct in6_addr target, group = all_nodes;

	memcpy(&target, p->l4 + 8, sizeof(target));
	group.s6_addr[11] = 1;
	group.s6_addr[12] = 0xff;
	memcpy(&group.s6_addr[13], &target.s6_addr[13], 3);
	if (!IN6_IS_ADDR_UNSPECIFIED(&p->src) ||
	    !IN6_ARE_ADDR_EQUAL(&p->dst, &group) ||
	    IN6_IS_ADDR_UNSPECIFIED(&target) || IN6_IS_ADDR_LOOPBACK(&target) ||
	    IN6_IS_ADDR_MULTICAST(&target) || IN6_IS_ADDR_LINKLOCAL(&target) ||
	    IN6_IS_ADDR_V4MAPPED(&target))
		return;
	if (!IN6_ARE_ADDR_EQUAL(&c->ip6.addr_seen, &target)) {
		char a[INET6_ADDRSTRLEN];

		debug("ndp: guest probes %s: its address from now on",
		      inet_ntop(AF_INET6, &target, a, sizeof(a)));
	}
	c->ip6.addr_seen = target;
}

/**
 * ndp_input() - take an NDP message from the guest, answer solicitations
 * @c:		execution context
 * @p:		IPv6 packet, ICMPv6 header at @p->l4 (checksum verified)
 *
 * Return: true if it was an NDP message (types 133 to 137), answered,
 *	   ignored or dropped as malformed; false for anything else
 */
bool ndp_input(struct ctx *c, const struct pkt6 *p)
{
	const struct ndp_msg_handler *h = NULL;
	size_t i;

	if (p->proto != IPPROTO_ICMPV6 || p->l4len < 4)
		return false;
	for (i = 0; i < ARRAY_SIZE(handlers); i++)
		if (handlers[i].type == p->l4[0])
			h = &handlers[i];
	if (!h)
		return false;

	if (c->no_ndp)
		return true;
	if (p->hop_limit != ND_HOP_LIMIT || p->l4[1] != 0 ||
	    p->l4len < h->min_len) {
		debug("ndp: type %u dropped: hop limit %u, code %u, length %zu",
		      h->type, p->hop_limit, p->l4[1], p->l4len);
		return true;
	}
	if (!nd_opts_valid(p->l4 + h->min_len, p->l4len - h->min_len))
		return true;

	if (h->type == ND_NEIGHBOR_SOLICIT)
		ndp_dad_learn(c, p);
	h->on(c, p, p->l4 + h->min_len, p->l4len - h->min_len);
	return true;
}

/**
 * ra_interval_ms() - time to the next periodic router advertisement
 *
 * Return: a random interval between RA_INTERVAL_MIN_MS and _MAX_MS
 */
static uint64_t ra_interval_ms(void)
{
	uint32_t r;

	random_bytes(&r, sizeof(r));
	return RA_INTERVAL_MIN_MS +
	       r % (RA_INTERVAL_MAX_MS - RA_INTERVAL_MIN_MS + 1);
}

/**
 * ndp_timer() - send unsolicited router advertisements when due
 * @c:		execution context
 * @now:	current time, milliseconds
 *
 * The first comes RA_FIRST_DELAY_MS after a guest is connected and seen,
 * then a few at a short interval, then one every 7.5 to 10 minutes.
 */
void ndp_timer(const struct ctx *c, uint64_t now)
{
	if (c->no_ndp || c->no_ra || !c->guest_mac_seen || !tap_ready(c)) {
		ra_sched.next = 0;
		return;
	}
	if (!ra_sched.next) {
		ra_sched.next = now + RA_FIRST_DELAY_MS;
		ra_sched.initial_left = RA_INITIAL_COUNT;
		return;
	}
	if (now < ra_sched.next)
		return;

	ndp_ra_send(c, &all_nodes);
	if (ra_sched.initial_left > 1) {
		ra_sched.initial_left--;
		ra_sched.next = now + RA_INITIAL_INTERVAL_MS;
	} else {
		ra_sched.initial_left = 0;
		ra_sched.next = now + ra_interval_ms();
	}
}
