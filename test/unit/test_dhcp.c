// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcp.c - DHCPv4 server: each message type, each option, bad input */

#include <arpa/inet.h>
#include <string.h>

#include "dhcp.h"
#include "domain.h"
#include "harness.h"
#include "unit.h"

#define UDP_LEN		8
#define BOOTP_LEN	240	/* fixed part with the magic cookie */
#define OFF_FLAGS	10
#define OFF_CIADDR	12
#define OFF_YIADDR	16
#define OFF_CHADDR	28

static const uint8_t xid[4] = { 0xde, 0xad, 0xbe, 0xef };

/**
 * struct dhcp_msg - a client message being built
 * @buf:	UDP header, then the DHCP message
 * @len:	bytes used
 */
struct dhcp_msg {
	uint8_t buf[1500];
	size_t len;
};

/**
 * msg_start() - start a client message of the given type
 * @m:		message
 * @type:	option 53 value
 */
static void msg_start(struct dhcp_msg *m, uint8_t type)
{
	uint8_t *d = m->buf + UDP_LEN;

	memset(m, 0, sizeof(*m));
	m->buf[1] = 68;
	m->buf[3] = 67;
	d[0] = 1;		/* BOOTREQUEST */
	d[1] = 1;		/* Ethernet */
	d[2] = 6;
	memcpy(d + 4, xid, 4);
	memcpy(d + OFF_CHADDR, h_guest_mac, 6);
	d[236] = 0x63;
	d[237] = 0x82;
	d[238] = 0x53;
	d[239] = 0x63;
	m->len = UDP_LEN + BOOTP_LEN;
	d[240] = 53;
	d[241] = 1;
	d[242] = type;
	m->len += 3;
}

/**
 * msg_opt() - append an option to a client message
 * @m:		message
 * @code:	option code
 * @data:	option data
 * @len:	data length
 */
static void msg_opt(struct dhcp_msg *m, uint8_t code, const void *data,
		    uint8_t len)
{
	m->buf[m->len++] = code;
	m->buf[m->len++] = len;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

/**
 * msg_input() - hand a client message to the server as it is
 * @c:		execution context
 * @m:		message
 *
 * Return: what dhcp_input() returned
 */
static bool msg_input(struct ctx *c, struct dhcp_msg *m)
{
	struct pkt4 p = {
		.src_mac = h_guest_mac,
		.src = { INADDR_ANY },
		.dst = { INADDR_BROADCAST },
		.proto = IPPROTO_UDP,
		.ttl = 64,
		.l4 = m->buf,
		.l4len = m->len,
	};

	m->buf[4] = (uint8_t)(m->len >> 8);
	m->buf[5] = (uint8_t)m->len;
	return dhcp_input(c, &p);
}

/**
 * msg_send() - end a client message and hand it to the server
 * @c:		execution context
 * @m:		message, without its end option yet
 *
 * Return: what dhcp_input() returned
 */
static bool msg_send(struct ctx *c, struct dhcp_msg *m)
{
	m->buf[m->len++] = 255;
	return msg_input(c, m);
}

/**
 * struct dhcp_reply - a reply taken apart
 * @f:		frame
 * @p:		IPv4 view of it
 * @msg:	DHCP message
 * @len:	DHCP message length
 */
struct dhcp_reply {
	uint8_t f[FRAME_MAX];
	struct pkt4 p;
	const uint8_t *msg;
	size_t len;
};

/**
 * reply_recv() - receive a server reply and check its framing
 * @r:		reply to fill
 *
 * Return: true if a well-formed reply from the gateway's port 67 to port
 *	   68 arrived, with the fixed fields matching the request
 */
static bool reply_recv(struct dhcp_reply *r)
{
	struct in_addr gw = h_ip4(H_GW4);
	int len = harness_recv(r->f, sizeof(r->f));

	if (len < 0 || harness_parse4(r->f, (size_t)len, &r->p) ||
	    r->p.proto != IPPROTO_UDP || r->p.src.s_addr != gw.s_addr)
		return false;
	r->msg = r->p.l4 + UDP_LEN;
	r->len = r->p.l4len - UDP_LEN;
	return r->p.l4[0] == 0 && r->p.l4[1] == 67 && r->p.l4[2] == 0 &&
	       r->p.l4[3] == 68 &&
	       (size_t)(r->p.l4[4] << 8 | r->p.l4[5]) == r->p.l4len &&
	       r->len >= 300 && r->msg[0] == 2 && r->msg[1] == 1 &&
	       r->msg[2] == 6 && !memcmp(r->msg + 4, xid, 4) &&
	       !memcmp(r->msg + OFF_CHADDR, h_guest_mac, 6) &&
	       r->msg[236] == 0x63 && r->msg[237] == 0x82 &&
	       r->msg[238] == 0x53 && r->msg[239] == 0x63;
}

/**
 * reply_opt() - find an option in a reply, joining split instances
 * @r:		reply
 * @code:	option code
 * @out:	joined option data
 * @size:	space in @out
 *
 * Return: data length, or -1 if absent (or if the end option is missing)
 */
static int reply_opt(const struct dhcp_reply *r, uint8_t code, uint8_t *out,
		     size_t size)
{
	size_t off = BOOTP_LEN, n = 0;
	bool found = false;

	while (off < r->len && r->msg[off] != 255) {
		if (!r->msg[off]) {
			off++;
			continue;
		}
		if (off + 2 > r->len || off + 2 + r->msg[off + 1] > r->len)
			return -1;
		if (r->msg[off] == code && n + r->msg[off + 1] <= size) {
			memcpy(out + n, r->msg + off + 2, r->msg[off + 1]);
			n += r->msg[off + 1];
			found = true;
		}
		off += 2 + (size_t)r->msg[off + 1];
	}
	if (off >= r->len)
		return -1;
	return found ? (int)n : -1;
}

/**
 * reply_opt_is() - whether a reply carries an option with the given data
 * @r:		reply
 * @code:	option code
 * @want:	expected data
 * @len:	expected length
 *
 * Return: true if present and equal
 */
static bool reply_opt_is(const struct dhcp_reply *r, uint8_t code,
			 const void *want, size_t len)
{
	uint8_t data[2048];

	return reply_opt(r, code, data, sizeof(data)) == (int)len &&
	       !memcmp(data, want, len);
}

/**
 * reply_addr_is() - whether a reply field holds an address
 * @r:		reply
 * @off:	field offset in the message
 * @addr:	expected address, dotted quad
 *
 * Return: true if equal
 */
static bool reply_addr_is(const struct dhcp_reply *r, size_t off,
			  const char *addr)
{
	struct in_addr a = h_ip4(addr);

	return !memcmp(r->msg + off, &a, 4);
}

static struct dhcp_reply r;

TEST(dhcp_discover_gets_offer_with_every_option)
{
	const uint8_t type[] = { 2 }, mask[] = { 255, 255, 255, 0 };
	const uint8_t lease[] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t mtu[] = { 0xff, 0xf0 };
	const uint8_t search[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				   3, 'o', 'r', 'g', 0 };
	struct in_addr gw = h_ip4(H_GW4), dns = h_ip4(H_DNS4);
	static struct dhcp_msg m;
	uint8_t any[256];
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == INADDR_BROADCAST);
	CHECK(!memcmp(r.f, "\xff\xff\xff\xff\xff\xff", 6));
	CHECK(reply_addr_is(&r, OFF_YIADDR, H_GUEST4));
	CHECK(reply_addr_is(&r, OFF_CIADDR, "0.0.0.0"));
	CHECK(reply_opt_is(&r, 53, type, 1));
	CHECK(reply_opt_is(&r, 54, &gw, 4));
	CHECK(reply_opt_is(&r, 51, lease, 4));
	CHECK(reply_opt_is(&r, 1, mask, 4));
	CHECK(reply_opt_is(&r, 3, &gw, 4));
	CHECK(reply_opt_is(&r, 6, &dns, 4));
	CHECK(reply_opt_is(&r, 26, mtu, 2));
	CHECK(reply_opt_is(&r, 15, H_SEARCH, strlen(H_SEARCH)));
	CHECK(reply_opt_is(&r, 119, search, sizeof(search)));
	CHECK(reply_opt(&r, 12, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 81, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 56, any, sizeof(any)) == -1);
	/* The message type comes first */
	CHECK(r.msg[BOOTP_LEN] == 53);
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcp_request_for_assigned_address_gets_ack)
{
	struct in_addr want = h_ip4(H_GUEST4), gw = h_ip4(H_GW4);
	const uint8_t type[] = { 5 };
	static struct dhcp_msg m;
	uint8_t any[8];
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 3);
	msg_opt(&m, 50, &want, 4);
	msg_opt(&m, 54, &gw, 4);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == INADDR_BROADCAST);
	CHECK(reply_addr_is(&r, OFF_YIADDR, H_GUEST4));
	CHECK(reply_opt_is(&r, 53, type, 1));
	CHECK(reply_opt(&r, 51, any, sizeof(any)) == 4);
	harness_close(&c);
}

TEST(dhcp_request_for_other_address_gets_nak)
{
	struct in_addr want = h_ip4("192.0.2.200"), gw = h_ip4(H_GW4);
	const uint8_t type[] = { 6 };
	static struct dhcp_msg m;
	uint8_t any[256];
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 3);
	msg_opt(&m, 50, &want, 4);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == INADDR_BROADCAST);
	CHECK(reply_addr_is(&r, OFF_YIADDR, "0.0.0.0"));
	CHECK(reply_opt_is(&r, 53, type, 1));
	CHECK(reply_opt_is(&r, 54, &gw, 4));
	CHECK(reply_opt(&r, 56, any, sizeof(any)) > 0);
	CHECK(reply_opt(&r, 51, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 1, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 3, any, sizeof(any)) == -1);
	harness_close(&c);
}

TEST(dhcp_request_to_another_server_is_ignored)
{
	struct in_addr want = h_ip4(H_GUEST4), other = h_ip4("192.0.2.254");
	static struct dhcp_msg m;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 3);
	msg_opt(&m, 50, &want, 4);
	msg_opt(&m, 54, &other, 4);
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcp_renewing_request_is_unicast_to_client)
{
	struct in_addr ci = h_ip4(H_GUEST4);
	static struct dhcp_msg m;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 3);
	memcpy(m.buf + UDP_LEN + OFF_CIADDR, &ci, 4);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == ci.s_addr);
	CHECK(!memcmp(r.f, h_guest_mac, 6));
	CHECK(reply_addr_is(&r, OFF_CIADDR, H_GUEST4));
	CHECK(reply_addr_is(&r, OFF_YIADDR, H_GUEST4));

	/* ... unless the client asks for broadcast */
	msg_start(&m, 3);
	memcpy(m.buf + UDP_LEN + OFF_CIADDR, &ci, 4);
	m.buf[UDP_LEN + OFF_FLAGS] = 0x80;
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == INADDR_BROADCAST);
	CHECK(r.msg[OFF_FLAGS] == 0x80);

	/* Renewing another address: refused */
	ci = h_ip4("192.0.2.11");
	msg_start(&m, 3);
	memcpy(m.buf + UDP_LEN + OFF_CIADDR, &ci, 4);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.msg[BOOTP_LEN] == 53 && r.msg[BOOTP_LEN + 2] == 6);
	harness_close(&c);
}

TEST(dhcp_inform_gets_ack_without_address_or_lease)
{
	struct in_addr ci = h_ip4(H_GUEST4), dns = h_ip4(H_DNS4);
	const uint8_t type[] = { 5 };
	static struct dhcp_msg m;
	uint8_t any[8];
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 8);
	memcpy(m.buf + UDP_LEN + OFF_CIADDR, &ci, 4);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.dst.s_addr == ci.s_addr);
	CHECK(reply_addr_is(&r, OFF_YIADDR, "0.0.0.0"));
	CHECK(reply_opt_is(&r, 53, type, 1));
	CHECK(reply_opt_is(&r, 6, &dns, 4));
	CHECK(reply_opt(&r, 51, any, sizeof(any)) == -1);
	harness_close(&c);
}

TEST(dhcp_release_and_decline_get_no_reply)
{
	static struct dhcp_msg m;
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 7);
	CHECK(msg_send(&c, &m));
	msg_start(&m, 4);
	CHECK(msg_send(&c, &m));
	/* Server messages sent by the guest */
	msg_start(&m, 2);
	CHECK(msg_send(&c, &m));
	msg_start(&m, 5);
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcp_hostname_and_fqdn_options)
{
	const uint8_t prl[] = { 1, 3, 6, 12, 81 };
	const uint8_t fqdn[] = { 0x0c, 0, 0, 5, 'g', 'u', 'e', 's', 't',
				 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				 3, 'o', 'r', 'g', 0 };
	static struct dhcp_msg m;
	uint8_t any[256];
	struct ctx c;

	harness_ctx(&c);
	strcpy(c.hostname, "guest");
	strcpy(c.fqdn, "guest.example.org");

	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(reply_opt_is(&r, 12, "guest", 5));
	/* FQDN only for clients that ask for it */
	CHECK(reply_opt(&r, 81, any, sizeof(any)) == -1);

	msg_start(&m, 1);
	msg_opt(&m, 55, prl, sizeof(prl));
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(reply_opt_is(&r, 12, "guest", 5));
	CHECK(reply_opt_is(&r, 81, fqdn, sizeof(fqdn)));
	harness_close(&c);
}

TEST(dhcp_options_left_out_when_not_configured)
{
	static struct dhcp_msg m;
	uint8_t any[256];
	struct ctx c;

	harness_ctx(&c);
	c.ip4.dns_count = 0;
	c.search_count = 0;
	c.mtu = 0;
	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(reply_opt(&r, 6, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 15, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 119, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 26, any, sizeof(any)) == -1);
	CHECK(reply_opt(&r, 1, any, sizeof(any)) == 4);
	harness_close(&c);
}

TEST(dhcp_several_resolvers_in_one_option)
{
	struct in_addr dns[3];
	static struct dhcp_msg m;
	struct ctx c;

	harness_ctx(&c);
	c.ip4.dns[0] = dns[0] = h_ip4("192.0.2.53");
	c.ip4.dns[1] = dns[1] = h_ip4("198.51.100.53");
	c.ip4.dns[2] = dns[2] = h_ip4("198.51.100.54");
	c.ip4.dns_count = 3;
	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(reply_opt_is(&r, 6, dns, sizeof(dns)));
	harness_close(&c);
}

/**
 * long_search_list() - fill the search list with six long names
 * @c:		execution context
 */
static void long_search_list(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_SEARCH; i++) {
		memset(c->search[i], 'a' + i, 60);
		strcpy(c->search[i] + 60, ".");
		memset(c->search[i] + 61, 'b', 60);
		strcpy(c->search[i] + 121, ".example.org");
	}
	c->search_count = MAX_SEARCH;
}

TEST(dhcp_search_list_over_255_bytes_is_split_when_client_takes_it)
{
	const uint8_t max_size[] = { 1500 >> 8, 1500 & 0xff };
	static uint8_t want[MAX_SEARCH * DOMAIN_MAXLEN];
	static struct dhcp_msg m;
	ssize_t wlen;
	struct ctx c;

	harness_ctx(&c);
	long_search_list(&c);
	wlen = domain_list_encode(want, sizeof(want), c.search, MAX_SEARCH);
	CHECK(wlen > 255 * 2);

	msg_start(&m, 1);
	msg_opt(&m, 57, max_size, 2);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.l4len + IP4_HDR_LEN <= 1500);
	CHECK(reply_opt_is(&r, 119, want, (size_t)wlen));
	harness_close(&c);
}

TEST(dhcp_reply_fits_576_bytes_keeping_essentials)
{
	struct in_addr gw = h_ip4(H_GW4), dns = h_ip4(H_DNS4);
	static struct dhcp_msg m;
	uint8_t any[2048];
	struct ctx c;

	harness_ctx(&c);
	long_search_list(&c);
	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(reply_recv(&r));
	CHECK(r.p.l4len + IP4_HDR_LEN <= 576);
	CHECK(reply_opt_is(&r, 3, &gw, 4));
	CHECK(reply_opt_is(&r, 6, &dns, 4));
	CHECK(reply_opt(&r, 51, any, sizeof(any)) == 4);
	CHECK(reply_opt(&r, 119, any, sizeof(any)) == -1);
	harness_close(&c);
}

TEST(dhcp_not_for_server_port_is_not_consumed)
{
	static struct dhcp_msg m;
	struct pkt4 p = { .proto = IPPROTO_UDP, .l4 = m.buf };
	struct ctx c;

	harness_ctx(&c);
	msg_start(&m, 1);
	m.buf[3] = 53;
	p.l4len = m.len;
	CHECK(!dhcp_input(&c, &p));
	m.buf[3] = 67;
	p.proto = IPPROTO_TCP;
	CHECK(!dhcp_input(&c, &p));
	p.proto = IPPROTO_UDP;
	p.l4len = 7;
	CHECK(!dhcp_input(&c, &p));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcp_disabled_consumes_without_reply)
{
	static struct dhcp_msg m;
	struct ctx c;

	harness_ctx(&c);
	c.no_dhcp = true;
	msg_start(&m, 1);
	CHECK(msg_send(&c, &m));
	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}

TEST(dhcp_malformed_messages_get_no_reply)
{
	static struct dhcp_msg m;
	struct ctx c;
	int i;

	harness_ctx(&c);
	/* Wrong op, hardware type, hardware length, magic cookie */
	for (i = 0; i < 4; i++) {
		static const size_t off[] = { 0, 1, 2, 236 };

		msg_start(&m, 1);
		m.buf[UDP_LEN + off[i]] ^= 0x10;
		CHECK(msg_send(&c, &m));
	}

	/* No message type: BOOTP */
	msg_start(&m, 1);
	m.len -= 3;
	CHECK(msg_send(&c, &m));

	/* Message type of the wrong length */
	msg_start(&m, 1);
	m.buf[m.len - 2] = 2;
	m.buf[m.len++] = 0;
	CHECK(msg_send(&c, &m));

	/* Option running past the end */
	msg_start(&m, 1);
	m.buf[m.len++] = 12;
	m.buf[m.len++] = 200;
	CHECK(msg_send(&c, &m));

	/* No end option, only padding */
	msg_start(&m, 1);
	m.buf[m.len++] = 0;
	CHECK(msg_input(&c, &m));

	/* Shorter than the fixed part */
	msg_start(&m, 1);
	m.len = UDP_LEN + 200;
	CHECK(msg_send(&c, &m));

	/* UDP length beyond the packet */
	msg_start(&m, 1);
	m.buf[m.len++] = 255;
	{
		struct pkt4 p = { .proto = IPPROTO_UDP, .l4 = m.buf,
				  .l4len = m.len };

		m.buf[4] = 0x05;
		CHECK(dhcp_input(&c, &p));
	}

	CHECK(harness_recv(r.f, sizeof(r.f)) == -1);
	harness_close(&c);
}
