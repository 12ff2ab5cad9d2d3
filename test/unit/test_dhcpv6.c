// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcpv6.c - DHCPv6 server: each message type, options, bad input */

#include <arpa/inet.h>
#include <string.h>

#include "dhcpv6.h"
#include "harness.h"
#include "unit.h"

#define UDP_LEN		8

static const uint8_t xid[3] = { 0x12, 0x34, 0x56 };
/* DUID-LL of the guest's MAC, as a client would send it */
static const uint8_t client_duid[10] = { 0, 3, 0, 1,
					 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* The daemon's server identifier: DUID-LL of its MAC */
static const uint8_t server_duid[10] = { 0, 3, 0, 1,
					 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
static const uint8_t iaid[4] = { 0xca, 0xfe, 0xf0, 0x0d };

/**
 * struct v6_msg - a client message being built
 * @buf:	UDP header, then the DHCPv6 message
 * @len:	bytes used
 */
struct v6_msg {
	uint8_t buf[1024];
	size_t len;
};

/**
 * msg_start() - start a client message
 * @m:		message
 * @type:	message type
 */
static void msg_start(struct v6_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->buf[1] = (uint8_t)546 & 0xff;
	m->buf[0] = 546 >> 8;
	m->buf[2] = 547 >> 8;
	m->buf[3] = 547 & 0xff;
	m->buf[UDP_LEN] = type;
	memcpy(m->buf + UDP_LEN + 1, xid, 3);
	m->len = UDP_LEN + 4;
}

/**
 * msg_opt() - append an option
 * @m:		message
 * @code:	option code
 * @data:	option data
 * @len:	data length
 */
static void msg_opt(struct v6_msg *m, uint16_t code, const void *data,
		    size_t len)
{
	m->buf[m->len++] = (uint8_t)(code >> 8);
	m->buf[m->len++] = (uint8_t)code;
	m->buf[m->len++] = (uint8_t)(len >> 8);
	m->buf[m->len++] = (uint8_t)len;
	if (len)
		memcpy(m->buf + m->len, data, len);
	m->len += len;
}

/**
 * msg_ia_na() - append an IA_NA, optionally holding one address
 * @m:		message
 * @addr:	address for an IA Address option, or NULL
 */
static void msg_ia_na(struct v6_msg *m, const char *addr)
{
	uint8_t ia[12 + 4 + 24] = { 0 };
	size_t len = 12;

	memcpy(ia, iaid, 4);
	if (addr) {
		struct in6_addr a = h_ip6(addr);

		ia[13] = 5;
		ia[15] = 24;
		memcpy(ia + 16, &a, 16);
		len += 4 + 24;
	}
	msg_opt(m, 3, ia, len);
}

/**
 * msg_send_to() - hand a client message to the server
 * @c:		execution context
 * @m:		message
 * @dst:	destination address
 *
 * Return: what dhcpv6_input() returned
 */
static bool msg_send_to(struct ctx *c, struct v6_msg *m, const char *dst)
{
	struct pkt6 p = {
		.src_mac = h_guest_mac,
		.src = h_ip6("fe80::5054:ff:fe12:3456"),
		.dst = h_ip6(dst),
		.proto = IPPROTO_UDP,
		.hop_limit = 1,
		.l4 = m->buf,
		.l4len = m->len,
	};

	m->buf[4] = (uint8_t)(m->len >> 8);
	m->buf[5] = (uint8_t)m->len;
	return dhcpv6_input(c, &p);
}

/**
 * msg_send() - hand a client message to the server's multicast address
 * @c:		execution context
 * @m:		message
 *
 * Return: what dhcpv6_input() returned
 */
static bool msg_send(struct ctx *c, struct v6_msg *m)
{
	return msg_send_to(c, m, "ff02::1:2");
}

/**
 * struct v6_reply - a reply taken apart
 * @f:		frame
 * @p:		IPv6 view of it
 * @msg:	DHCPv6 message
 * @len:	its length
 */
struct v6_reply {
	uint8_t f[FRAME_MAX];
	struct pkt6 p;
	const uint8_t *msg;
	size_t len;
};

static struct v6_reply r;

/**
 * reply_recv() - receive a reply and check its framing and header
 * @type:	expected message type
 *
 * Return: true if a reply of @type from our_ll:547 to the client's
 *	   address, port 546, echoing the transaction id, arrived
 */
static bool reply_recv(uint8_t type)
{
	struct in6_addr ll = h_ip6(H_OUR_LL);
	struct in6_addr cl = h_ip6("fe80::5054:ff:fe12:3456");
	int len = harness_recv(r.f, sizeof(r.f));

	if (len < 0 || harness_parse6(r.f, (size_t)len, &r.p) ||
	    r.p.proto != IPPROTO_UDP || r.p.l4len < UDP_LEN + 4)
		return false;
	r.msg = r.p.l4 + UDP_LEN;
	r.len = r.p.l4len - UDP_LEN;
	return IN6_ARE_ADDR_EQUAL(&r.p.src, &ll) &&
	       IN6_ARE_ADDR_EQUAL(&r.p.dst, &cl) &&
	       !memcmp(r.f, h_guest_mac, 6) &&
	       r.p.l4[0] == 547 >> 8 && r.p.l4[1] == (547 & 0xff) &&
	       r.p.l4[2] == 546 >> 8 && r.p.l4[3] == (546 & 0xff) &&
	       (size_t)(r.p.l4[4] << 8 | r.p.l4[5]) == r.p.l4len &&
	       r.msg[0] == type && !memcmp(r.msg + 1, xid, 3);
}

/**
 * opt_find() - find an option among options
 * @buf:	first option
 * @len:	bytes of options
 * @code:	option code
 * @olen:	filled with the option's data length
 *
 * Return: the option's data, NULL if absent or malformed
 */
static const uint8_t *opt_find(const uint8_t *buf, size_t len, uint16_t code,
			       size_t *olen)
{
	size_t off = 0;

	while (off + 4 <= len) {
		uint16_t c = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		size_t l = (size_t)(buf[off + 2] << 8 | buf[off + 3]);

		if (off + 4 + l > len)
			return NULL;
		if (c == code) {
			*olen = l;
			return buf + off + 4;
		}
		off += 4 + l;
	}
	return NULL;
}

/**
 * reply_opt() - find a top-level option of the reply
 * @code:	option code
 * @olen:	filled with the option's data length
 *
 * Return: the option's data, NULL if absent
 */
static const uint8_t *reply_opt(uint16_t code, size_t *olen)
{
	return opt_find(r.msg + 4, r.len - 4, code, olen);
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

/**
 * reply_has_ids() - whether the reply carries both identifiers
 *
 * Return: true if server and client identifiers are there and right
 */
static bool reply_has_ids(void)
{
	const uint8_t *o;
	size_t l;

	return (o = reply_opt(2, &l)) && l == sizeof(server_duid) &&
	       !memcmp(o, server_duid, l) &&
	       (o = reply_opt(1, &l)) && l == sizeof(client_duid) &&
	       !memcmp(o, client_duid, l);
}

/**
 * reply_has_address() - whether the reply assigns the guest's address
 *
 * Return: true if the IA_NA echoes the IAID, has infinite T1 and T2, and
 *	   holds the address with infinite lifetimes
 */
static bool reply_has_address(void)
{
	struct in6_addr guest = h_ip6(H_GUEST6);
	const uint8_t *ia, *a;
	size_t l, al;

	if (!(ia = reply_opt(3, &l)) || l < 12 || memcmp(ia, iaid, 4) ||
	    be32_at(ia + 4) != 0xffffffff || be32_at(ia + 8) != 0xffffffff)
		return false;
	if (!(a = opt_find(ia + 12, l - 12, 5, &al)) || al != 24)
		return false;
	return !memcmp(a, &guest, 16) &&
	       be32_at(a + 16) == 0xffffffff && be32_at(a + 20) == 0xffffffff;
}

/**
 * reply_has_dns() - whether the reply carries the resolvers and domains
 *
 * Return: true if both options hold the configured values
 */
static bool reply_has_dns(void)
{
	const uint8_t list[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				 3, 'o', 'r', 'g', 0 };
	struct in6_addr dns = h_ip6(H_DNS6);
	const uint8_t *o;
	size_t l;

	return (o = reply_opt(23, &l)) && l == 16 && !memcmp(o, &dns, 16) &&
	       (o = reply_opt(24, &l)) && l == sizeof(list) &&
	       !memcmp(o, list, l);
}

/**
 * reply_status() - status code of the reply
 *
 * Return: the status code, -1 without a status option
 */
static int reply_status(void)
{
	const uint8_t *o;
	size_t l;

	if (!(o = reply_opt(13, &l)) || l < 2)
		return -1;
	return o[0] << 8 | o[1];
}

TEST(dhcpv6_solicit_gets_advertise_with_address_and_dns)
{
	static struct v6_msg m;
	const uint8_t *o;
	size_t l;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 1);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(2));
	CHECK(reply_has_ids());
	CHECK(reply_has_address());
	CHECK(reply_has_dns());
	CHECK((o = reply_opt(7, &l)) && l == 1 && o[0] == 255);
	CHECK(!reply_opt(14, &l));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcpv6_solicit_with_rapid_commit_gets_reply)
{
	static struct v6_msg m;
	size_t l;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 1);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_opt(&m, 14, NULL, 0);
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(7));
	CHECK(reply_has_ids() && reply_has_address());
	CHECK(reply_opt(14, &l) && l == 0);
	harness_close(&c);
}

TEST(dhcpv6_request_renew_rebind_get_reply_with_address)
{
	static const struct { uint8_t type; bool sid; } cases[] = {
		{ 3, true }, { 5, true }, { 6, false },
	};
	static struct v6_msg m;
	struct ctx c;
	size_t i;

	harness_ctx(&c);
	for (i = 0; i < 3; i++) {
		msg_start(&m, cases[i].type);
		msg_opt(&m, 1, client_duid, sizeof(client_duid));
		if (cases[i].sid)
			msg_opt(&m, 2, server_duid, sizeof(server_duid));
		msg_ia_na(&m, H_GUEST6);
		CHECK(msg_send(&c, &m));
		CHECK(reply_recv(7));
		CHECK(reply_has_ids() && reply_has_address() &&
		      reply_has_dns());
	}
	harness_close(&c);
}

TEST(dhcpv6_information_request_gets_dns_only)
{
	static struct v6_msg m;
	size_t l;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 11);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(7));
	CHECK(reply_has_dns());
	CHECK(!reply_opt(3, &l) && !reply_opt(1, &l) && reply_opt(2, &l));

	/* With a client identifier: echoed */
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(7));
	CHECK(reply_has_ids());
	harness_close(&c);
}

TEST(dhcpv6_confirm_checks_prefix)
{
	static struct v6_msg m;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 4);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, "2001:db8::1234");
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(7));
	CHECK(reply_status() == 0);

	msg_start(&m, 4);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, "2001:db8:1::10");
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(7));
	CHECK(reply_status() == 4);

	/* Nothing to confirm: no reply */
	msg_start(&m, 4);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcpv6_release_and_decline_get_success)
{
	static struct v6_msg m;
	struct ctx c;
	uint8_t t;

	harness_ctx(&c);
	for (t = 8; t <= 9; t++) {
		msg_start(&m, t);
		msg_opt(&m, 1, client_duid, sizeof(client_duid));
		msg_opt(&m, 2, server_duid, sizeof(server_duid));
		msg_ia_na(&m, H_GUEST6);
		CHECK(msg_send(&c, &m));
		CHECK(reply_recv(7));
		CHECK(reply_has_ids() && reply_status() == 0);
	}
	harness_close(&c);
}

TEST(dhcpv6_identifier_rules_are_enforced)
{
	const uint8_t other_duid[10] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 1 };
	static struct v6_msg m;
	struct ctx c;

	harness_ctx(&c);
	/* Solicit without client identifier */
	msg_start(&m, 1);
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	/* Solicit with a server identifier */
	msg_start(&m, 1);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_opt(&m, 2, server_duid, sizeof(server_duid));
	CHECK(msg_send(&c, &m));
	/* Request without server identifier */
	msg_start(&m, 3);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	/* Request for another server */
	msg_start(&m, 3);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_opt(&m, 2, other_duid, sizeof(other_duid));
	CHECK(msg_send(&c, &m));
	/* Information-request for another server, or with an IA */
	msg_start(&m, 11);
	msg_opt(&m, 2, other_duid, sizeof(other_duid));
	CHECK(msg_send(&c, &m));
	msg_start(&m, 11);
	msg_ia_na(&m, NULL);
	CHECK(msg_send(&c, &m));
	/* Server and relay messages */
	msg_start(&m, 2);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	CHECK(msg_send(&c, &m));
	msg_start(&m, 12);
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcpv6_malformed_messages_get_no_reply)
{
	static struct v6_msg m;
	uint8_t long_duid[131] = { 0, 4 };
	struct ctx c;

	harness_ctx(&c);
	/* Option overruns the message */
	msg_start(&m, 11);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	m.buf[m.len - 11] = 20;
	CHECK(msg_send(&c, &m));
	/* Truncated option header */
	msg_start(&m, 11);
	m.buf[m.len++] = 0;
	m.buf[m.len++] = 23;
	CHECK(msg_send(&c, &m));
	/* Client identifier too long, too short */
	msg_start(&m, 1);
	msg_opt(&m, 1, long_duid, sizeof(long_duid));
	CHECK(msg_send(&c, &m));
	msg_start(&m, 1);
	msg_opt(&m, 1, long_duid, 1);
	CHECK(msg_send(&c, &m));
	/* IA_NA shorter than its fixed part */
	msg_start(&m, 1);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_opt(&m, 3, iaid, 4);
	CHECK(msg_send(&c, &m));
	/* Confirm with a short IA Address inside */
	msg_start(&m, 4);
	msg_opt(&m, 1, client_duid, sizeof(client_duid));
	msg_ia_na(&m, H_GUEST6);
	m.buf[m.len - 25] = 23;
	CHECK(msg_send(&c, &m));
	/* UDP length shorter than a header, or beyond the packet */
	msg_start(&m, 11);
	m.len = UDP_LEN + 3;
	CHECK(msg_send(&c, &m));
	msg_start(&m, 11);
	{
		struct pkt6 p = {
			.dst = h_ip6("ff02::1:2"), .proto = IPPROTO_UDP,
			.l4 = m.buf, .l4len = m.len,
		};

		m.buf[5] = (uint8_t)(m.len + 1);
		CHECK(dhcpv6_input(&c, &p));
	}
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcpv6_destinations_and_disabled)
{
	static struct v6_msg m;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 11);
	/* Our link-local address and the gateway are served too */
	CHECK(msg_send_to(&c, &m, H_OUR_LL));
	CHECK(reply_recv(7));
	CHECK(msg_send_to(&c, &m, H_GW6));
	CHECK(reply_recv(7));
	/* Other destinations are not for this server */
	CHECK(!msg_send_to(&c, &m, "2001:db8::5"));
	m.buf[3] = 53;
	CHECK(!msg_send(&c, &m));
	m.buf[3] = 547 & 0xff;

	c.no_dhcpv6 = true;
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}
