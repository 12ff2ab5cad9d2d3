// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcp.c - DHCPv4 server for the guest (RFC 2131, options RFC 2132)
 *
 * The guest gets one address, always the same, with an infinite lease: the
 * server keeps no state. The gateway address the guest sees stands for the
 * host and is the server identifier.
 */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/udp.h>

#include "passt.h"
#include "dhcp.h"
#include "domain.h"
#include "ip.h"
#include "log.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define BOOTREQUEST		1
#define BOOTREPLY		2
#define HTYPE_ETHER		1
#define DHCP_MAGIC		0x63825363
#define DHCP_FLAG_BROADCAST	0x8000
#define DHCP_LEASE_INFINITE	0xffffffff

/* Smallest message every client takes: 576-byte datagram (RFC 2131, 2) */
#define DHCP_MSG_MIN_MAX	(576 - IP4_HDR_LEN - sizeof(struct udphdr))
/* Option space in replies: up to a 1500-byte IP datagram */
#define DHCP_OPTS_MAX		(1500 - IP4_HDR_LEN - sizeof(struct udphdr) - \
				 sizeof(struct bootp))
/* BOOTP relays and old clients expect at least 300 bytes (RFC 1542, 2.1) */
#define BOOTP_MIN_LEN		300

/* Option codes (RFC 2132, RFC 3397, RFC 4702) */
enum {
	OPT_PAD		= 0,
	OPT_MASK	= 1,
	OPT_ROUTER	= 3,
	OPT_DNS		= 6,
	OPT_HOSTNAME	= 12,
	OPT_DOMAIN	= 15,
	OPT_MTU		= 26,
	OPT_REQ_ADDR	= 50,
	OPT_LEASE	= 51,
	OPT_TYPE	= 53,
	OPT_SERVER_ID	= 54,
	OPT_PRL		= 55,
	OPT_MESSAGE	= 56,
	OPT_MAX_SIZE	= 57,
	OPT_FQDN	= 81,
	OPT_SEARCH	= 119,
	OPT_END		= 255,
};

/* Message types, option 53 */
enum {
	DHCPDISCOVER = 1,
	DHCPOFFER,
	DHCPREQUEST,
	DHCPDECLINE,
	DHCPACK,
	DHCPNAK,
	DHCPRELEASE,
	DHCPINFORM,
};

/**
 * struct bootp - fixed part of a BOOTP/DHCP message (RFC 2131, 2)
 */
struct bootp {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	struct in_addr ciaddr;
	struct in_addr yiaddr;
	struct in_addr siaddr;
	struct in_addr giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t magic;
} __attribute__((packed));

/**
 * enum dhcp_reply_kind - what the daemon answers, a bit each for masks
 */
enum dhcp_reply_kind {
	REPLY_NONE	= 0,
	REPLY_OFFER	= BIT(0),
	REPLY_ACK	= BIT(1),	/* to a REQUEST: with the lease */
	REPLY_INFORM	= BIT(2),	/* ACK to an INFORM: no address */
	REPLY_NAK	= BIT(3),
};

#define REPLY_CONFIG	(REPLY_OFFER | REPLY_ACK | REPLY_INFORM)
#define REPLY_ALL	(REPLY_CONFIG | REPLY_NAK)
#define REPLY_LEASE	(REPLY_OFFER | REPLY_ACK)

/**
 * struct dhcp_request - what the daemon uses of a client message
 * @msg:	fixed part, copied out of the packet
 * @type:	option 53, 0 if absent
 * @req_addr:	option 50, requested address, INADDR_ANY if absent
 * @server_id:	option 54, INADDR_ANY if absent
 * @max_size:	option 57, largest message the client takes, 0 if absent
 * @has_prl:	whether option 55 was present
 * @wanted:	bitmap of option codes in option 55, and of options sent
 */
struct dhcp_request {
	struct bootp msg;
	uint8_t type;
	struct in_addr req_addr;
	struct in_addr server_id;
	uint16_t max_size;
	bool has_prl;
	uint8_t wanted[256 / 8];
};

/**
 * typedef dhcp_opt_parse_fn - store one option of a client message
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length, within the row's bounds
 */
typedef void (*dhcp_opt_parse_fn)(struct dhcp_request *req,
				  const uint8_t *data, size_t len);

/**
 * opt_wanted_set() - note that the client asked for an option
 * @req:	parsed request
 * @code:	option code
 */
static void opt_wanted_set(struct dhcp_request *req, uint8_t code)
{
	req->wanted[code / 8] |= (uint8_t)BIT(code % 8);
}

/**
 * opt_wanted() - whether the client asked for an option
 * @req:	parsed request
 * @code:	option code
 *
 * Return: true if @code was listed in option 55 or sent by the client
 */
static bool opt_wanted(const struct dhcp_request *req, uint8_t code)
{
	return req->wanted[code / 8] & BIT(code % 8);
}

/**
 * parse_type() - option 53, message type
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_type(struct dhcp_request *req, const uint8_t *data,
		       size_t len)
{
	(void)len;
	req->type = data[0];
}

/**
 * parse_req_addr() - option 50, requested address
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_req_addr(struct dhcp_request *req, const uint8_t *data,
			   size_t len)
{
	memcpy(&req->req_addr, data, len);
}

/**
 * parse_server_id() - option 54, server identifier
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_server_id(struct dhcp_request *req, const uint8_t *data,
			    size_t len)
{
	memcpy(&req->server_id, data, len);
}

/**
 * parse_prl() - option 55, parameter request list
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_prl(struct dhcp_request *req, const uint8_t *data,
		      size_t len)
{
	size_t i;

	req->has_prl = true;
	for (i = 0; i < len; i++)
		opt_wanted_set(req, data[i]);
}

/**
 * parse_max_size() - option 57, maximum DHCP message size
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_max_size(struct dhcp_request *req, const uint8_t *data,
			   size_t len)
{
	(void)len;
	req->max_size = (uint16_t)(data[0] << 8 | data[1]);
}

/**
 * parse_fqdn() - option 81, client FQDN: the client wants one back
 * @req:	request being parsed
 * @data:	option data
 * @len:	option length
 */
static void parse_fqdn(struct dhcp_request *req, const uint8_t *data,
		       size_t len)
{
	(void)data;
	(void)len;
	opt_wanted_set(req, OPT_FQDN);
}

/**
 * struct dhcp_opt_in - an option the daemon reads, and its valid lengths
 */
static const struct dhcp_opt_in {
	uint8_t code;
	uint8_t min_len;
	uint8_t max_len;
	dhcp_opt_parse_fn parse;
} opts_in[] = {
	{ OPT_TYPE,	1,	1,	parse_type },
	{ OPT_REQ_ADDR,	4,	4,	parse_req_addr },
	{ OPT_SERVER_ID, 4,	4,	parse_server_id },
	{ OPT_PRL,	1,	255,	parse_prl },
	{ OPT_MAX_SIZE,	2,	2,	parse_max_size },
	{ OPT_FQDN,	3,	255,	parse_fqdn },
};

/**
 * opt_in_store() - validate and store one option of a client message
 * @req:	request being parsed
 * @code:	option code
 * @data:	option data
 * @len:	option length
 *
 * Return: 0 on success (unknown options are skipped), -1 on a bad length
 */
static int opt_in_store(struct dhcp_request *req, uint8_t code,
			const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts_in); i++) {
		const struct dhcp_opt_in *o = &opts_in[i];

		if (o->code != code)
			continue;
		if (len < o->min_len || len > o->max_len) {
			debug("dhcp: option %u has invalid length %zu",
			      code, len);
			return -1;
		}
		o->parse(req, data, len);
		return 0;
	}
	return 0;
}

/**
 * dhcp_parse_options() - walk the option area of a client message
 * @req:	request to fill
 * @opts:	options, after the magic cookie
 * @len:	length of @opts
 *
 * Return: 0 on success, -1 if an option overruns the message or the end
 *	   option is missing
 */
static int dhcp_parse_options(struct dhcp_request *req, const uint8_t *opts,
			      size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t code = opts[off], olen;

		if (code == OPT_END)
			return 0;
		if (code == OPT_PAD) {
			off++;
			continue;
		}
		if (off + 2 > len || off + 2 + opts[off + 1] > len) {
			debug("dhcp: option %u at offset %zu overruns message",
			      code, sizeof(struct bootp) + off);
			return -1;
		}
		olen = opts[off + 1];
		if (opt_in_store(req, code, opts + off + 2, olen))
			return -1;
		off += 2 + (size_t)olen;
	}

	debug("dhcp: no end option");
	return -1;
}

/**
 * dhcp_parse() - check a client message and extract what the daemon uses
 * @req:	request to fill
 * @msg:	DHCP message (UDP payload)
 * @len:	length of @msg
 *
 * Return: 0 on success, -1 on a malformed message (logged at debug level)
 */
static int dhcp_parse(struct dhcp_request *req, const uint8_t *msg,
		      size_t len)
{
	const struct bootp *b = &req->msg;

	memset(req, 0, sizeof(*req));
	if (len < sizeof(struct bootp)) {
		debug("dhcp: message of %zu bytes, shorter than %zu", len,
		      sizeof(struct bootp));
		return -1;
	}
	memcpy(&req->msg, msg, sizeof(req->msg));

	if (b->op != BOOTREQUEST || b->htype != HTYPE_ETHER ||
	    b->hlen != ETH_ALEN_) {
		debug("dhcp: op %u, hardware type %u, length %u: not a request"
		      " from an Ethernet client", b->op, b->htype, b->hlen);
		return -1;
	}
	if (ntohl(b->magic) != DHCP_MAGIC) {
		debug("dhcp: bad magic cookie 0x%08x", ntohl(b->magic));
		return -1;
	}
	if (dhcp_parse_options(req, msg + sizeof(struct bootp),
			       len - sizeof(struct bootp)))
		return -1;
	if (!req->type) {
		debug("dhcp: no message type: plain BOOTP is not served");
		return -1;
	}
	return 0;
}

/**
 * struct dhcp_reply - a reply being built: UDP header, message, options
 * @uh:		UDP header
 * @msg:	fixed part
 * @opts:	options
 */
struct dhcp_reply {
	struct udphdr uh;
	struct bootp msg;
	uint8_t opts[DHCP_OPTS_MAX];
} __attribute__((packed));

/**
 * struct dhcp_opts_out - the option area of a reply, as it fills up
 * @buf:	option area
 * @len:	bytes used
 * @max:	bytes usable, room for the end option included
 */
struct dhcp_opts_out {
	uint8_t *buf;
	size_t len;
	size_t max;
};

/**
 * opt_put() - append an option, split in 255-byte pieces (RFC 3396)
 * @out:	option area
 * @code:	option code
 * @data:	option data
 * @len:	length of @data, not 0
 *
 * Return: true if it was added, false if it does not fit (area unchanged)
 */
static bool opt_put(struct dhcp_opts_out *out, uint8_t code,
		    const uint8_t *data, size_t len)
{
	size_t need = len + 2 * DIV_ROUND_UP(len, 255);

	/* One byte stays free for the end option */
	if (out->len + need + 1 > out->max)
		return false;

	while (len) {
		size_t piece = MIN(len, 255);

		out->buf[out->len++] = code;
		out->buf[out->len++] = (uint8_t)piece;
		memcpy(out->buf + out->len, data, piece);
		out->len += piece;
		data += piece;
		len -= piece;
	}
	return true;
}

/**
 * typedef dhcp_opt_build_fn - write the data of one reply option
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 to leave the option out
 */
typedef size_t (*dhcp_opt_build_fn)(const struct ctx *c,
				    enum dhcp_reply_kind kind,
				    uint8_t *buf, size_t size);

/**
 * put_addr() - write an IPv4 address as option data
 * @buf:	destination
 * @a:		address
 *
 * Return: 4
 */
static size_t put_addr(uint8_t *buf, struct in_addr a)
{
	memcpy(buf, &a, sizeof(a));
	return sizeof(a);
}

/**
 * put_be32() - write a 32-bit number in network order as option data
 * @buf:	destination
 * @v:		value
 *
 * Return: 4
 */
static size_t put_be32(uint8_t *buf, uint32_t v)
{
	v = htonl(v);
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

/**
 * put_string() - write a string, without its terminator, as option data
 * @buf:	destination
 * @size:	space in @buf
 * @s:		string
 *
 * Return: its length, 0 if empty or too long
 */
static size_t put_string(uint8_t *buf, size_t size, const char *s)
{
	size_t len = strnlen(s, DOMAIN_MAXLEN);

	if (len > size || len == DOMAIN_MAXLEN)
		return 0;
	memcpy(buf, s, len);
	return len;
}

/**
 * build_type() - option 53, message type
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length
 */
static size_t build_type(const struct ctx *c, enum dhcp_reply_kind kind,
			 uint8_t *buf, size_t size)
{
	(void)c;
	(void)size;
	if (kind == REPLY_OFFER)
		buf[0] = DHCPOFFER;
	else if (kind == REPLY_NAK)
		buf[0] = DHCPNAK;
	else
		buf[0] = DHCPACK;
	return 1;
}

/**
 * build_server_id() - option 54, server identifier: the gateway address
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length
 */
static size_t build_server_id(const struct ctx *c, enum dhcp_reply_kind kind,
			      uint8_t *buf, size_t size)
{
	(void)kind;
	(void)size;
	return put_addr(buf, c->ip4.gw);
}

/**
 * build_lease() - option 51, lease time: infinite, the address never changes
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length
 */
static size_t build_lease(const struct ctx *c, enum dhcp_reply_kind kind,
			  uint8_t *buf, size_t size)
{
	(void)c;
	(void)kind;
	(void)size;
	return put_be32(buf, DHCP_LEASE_INFINITE);
}

/**
 * build_mask() - option 1, subnet mask
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length
 */
static size_t build_mask(const struct ctx *c, enum dhcp_reply_kind kind,
			 uint8_t *buf, size_t size)
{
	int plen = MIN(c->ip4.prefix_len, 32);

	(void)kind;
	(void)size;
	return put_be32(buf, plen <= 0 ? 0 : 0xffffffffU << (32 - plen));
}

/**
 * build_router() - option 3, router: the gateway, if any
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without a gateway
 */
static size_t build_router(const struct ctx *c, enum dhcp_reply_kind kind,
			   uint8_t *buf, size_t size)
{
	(void)kind;
	(void)size;
	if (c->ip4.gw.s_addr == INADDR_ANY)
		return 0;
	return put_addr(buf, c->ip4.gw);
}

/**
 * build_dns() - option 6, domain name servers
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without resolvers
 */
static size_t build_dns(const struct ctx *c, enum dhcp_reply_kind kind,
			uint8_t *buf, size_t size)
{
	size_t len = 0;
	int i;

	(void)kind;
	for (i = 0; i < c->ip4.dns_count && i < MAX_DNS; i++)
		if (len + 4 <= size)
			len += put_addr(buf + len, c->ip4.dns[i]);
	return len;
}

/**
 * build_mtu() - option 26, interface MTU, if configured
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without a usable MTU
 */
static size_t build_mtu(const struct ctx *c, enum dhcp_reply_kind kind,
			uint8_t *buf, size_t size)
{
	/* RFC 2132, 5.1: at least 68 */
	uint16_t mtu = (uint16_t)MIN(c->mtu, 65535);

	(void)kind;
	(void)size;
	if (c->mtu < 68)
		return 0;
	buf[0] = (uint8_t)(mtu >> 8);
	buf[1] = (uint8_t)mtu;
	return 2;
}

/**
 * build_hostname() - option 12, host name, if configured
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without a host name
 */
static size_t build_hostname(const struct ctx *c, enum dhcp_reply_kind kind,
			     uint8_t *buf, size_t size)
{
	(void)kind;
	return put_string(buf, size, c->hostname);
}

/**
 * build_domain() - option 15, domain name: the first search domain
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Clients that ignore option 119 still get a search domain from this one.
 *
 * Return: data length, 0 without search domains
 */
static size_t build_domain(const struct ctx *c, enum dhcp_reply_kind kind,
			   uint8_t *buf, size_t size)
{
	size_t len;

	(void)kind;
	if (c->search_count < 1)
		return 0;
	len = put_string(buf, size, c->search[0]);
	if (len > 1 && buf[len - 1] == '.')
		len--;
	return len;
}

/**
 * build_search() - option 119, domain search list (RFC 3397)
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without search domains or if they do not fit
 */
static size_t build_search(const struct ctx *c, enum dhcp_reply_kind kind,
			   uint8_t *buf, size_t size)
{
	ssize_t len = domain_list_encode(buf, size, c->search,
					 MIN(c->search_count, MAX_SEARCH));

	(void)kind;
	return len > 0 ? (size_t)len : 0;
}

/**
 * build_fqdn() - option 81, client FQDN (RFC 4702), if configured
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length, 0 without a configured FQDN
 */
static size_t build_fqdn(const struct ctx *c, enum dhcp_reply_kind kind,
			 uint8_t *buf, size_t size)
{
	/* Flags: N (the server updates no DNS record), E (wire format) */
	const uint8_t flags = 0x08 | 0x04;
	ssize_t len;

	(void)kind;
	if (!*c->fqdn || size < 3)
		return 0;
	len = domain_encode(buf + 3, size - 3, c->fqdn);
	if (len < 0)
		return 0;
	buf[0] = flags;
	buf[1] = buf[2] = 0;	/* RCODE1, RCODE2: deprecated, 0 */
	return 3 + (size_t)len;
}

/**
 * build_message() - option 56, why the request was refused
 * @c:		execution context
 * @kind:	reply being built
 * @buf:	where the data goes
 * @size:	space in @buf
 *
 * Return: data length
 */
static size_t build_message(const struct ctx *c, enum dhcp_reply_kind kind,
			    uint8_t *buf, size_t size)
{
	(void)c;
	(void)kind;
	return put_string(buf, size, "requested address not assigned");
}

/**
 * enum dhcp_opt_priority - when a reply option is sent
 * @ESSENTIAL:	always, first
 * @OPTIONAL:	requested ones with the essentials, others if room is left
 * @ON_REQUEST:	only if the client asked for it
 */
enum dhcp_opt_priority {
	ESSENTIAL,
	OPTIONAL,
	ON_REQUEST,
};

/**
 * struct dhcp_opt_out - an option the daemon sends, in reply order
 */
static const struct dhcp_opt_out {
	uint8_t code;
	unsigned int kinds;
	enum dhcp_opt_priority priority;
	dhcp_opt_build_fn build;
} opts_out[] = {
	{ OPT_TYPE,	  REPLY_ALL,	  ESSENTIAL,  build_type },
	{ OPT_SERVER_ID,  REPLY_ALL,	  ESSENTIAL,  build_server_id },
	{ OPT_MESSAGE,	  REPLY_NAK,	  ESSENTIAL,  build_message },
	{ OPT_LEASE,	  REPLY_LEASE,	  ESSENTIAL,  build_lease },
	{ OPT_MASK,	  REPLY_CONFIG,	  ESSENTIAL,  build_mask },
	{ OPT_ROUTER,	  REPLY_CONFIG,	  ESSENTIAL,  build_router },
	{ OPT_DNS,	  REPLY_CONFIG,	  ESSENTIAL,  build_dns },
	{ OPT_MTU,	  REPLY_CONFIG,	  OPTIONAL,   build_mtu },
	{ OPT_DOMAIN,	  REPLY_CONFIG,	  OPTIONAL,   build_domain },
	{ OPT_SEARCH,	  REPLY_CONFIG,	  OPTIONAL,   build_search },
	{ OPT_HOSTNAME,	  REPLY_CONFIG,	  OPTIONAL,   build_hostname },
	{ OPT_FQDN,	  REPLY_CONFIG,	  ON_REQUEST, build_fqdn },
};

/**
 * opt_in_pass() - whether a reply option goes out in a given pass
 * @o:		option row
 * @req:	client request
 * @first:	true for the first pass (essential and requested options)
 *
 * Return: true if the option is added in this pass
 */
static bool opt_in_pass(const struct dhcp_opt_out *o,
			const struct dhcp_request *req, bool first)
{
	bool wanted = opt_wanted(req, o->code);

	switch (o->priority) {
	case ESSENTIAL:
		return first;
	case OPTIONAL:
		return first == wanted;
	case ON_REQUEST:
		return first && wanted;
	}
	return false;
}

/**
 * dhcp_build_options() - fill the option area of a reply
 * @c:		execution context
 * @req:	client request
 * @kind:	reply being built
 * @out:	option area
 */
static void dhcp_build_options(const struct ctx *c,
			       const struct dhcp_request *req,
			       enum dhcp_reply_kind kind,
			       struct dhcp_opts_out *out)
{
	uint8_t data[MAX_SEARCH * DOMAIN_MAXLEN];
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ARRAY_SIZE(opts_out); i++) {
			const struct dhcp_opt_out *o = &opts_out[i];
			size_t len;

			if (!(o->kinds & kind) || !opt_in_pass(o, req, !pass))
				continue;
			len = o->build(c, kind, data, sizeof(data));
			if (len && !opt_put(out, o->code, data, len))
				debug("dhcp: no room for option %u (%zu bytes)",
				      o->code, len);
		}
	}
	out->buf[out->len++] = OPT_END;
}

/**
 * dhcp_reply_max() - largest message the client takes
 * @c:		execution context
 * @req:	client request
 *
 * Return: message size limit in bytes, UDP and IP headers excluded
 */
static size_t dhcp_reply_max(const struct ctx *c,
			     const struct dhcp_request *req)
{
	size_t hdrs = IP4_HDR_LEN + sizeof(struct udphdr);
	size_t max = DHCP_MSG_MIN_MAX;

	if (req->max_size > DHCP_MSG_MIN_MAX + hdrs)
		max = req->max_size - hdrs;
	if (c->mtu > 0 && (size_t)c->mtu > hdrs)
		max = MIN(max, (size_t)c->mtu - hdrs);
	max = MAX(max, DHCP_MSG_MIN_MAX);
	return MIN(max, sizeof(struct bootp) + DHCP_OPTS_MAX);
}

/**
 * dhcp_send_reply() - build and send a reply to a client message
 * @c:		execution context
 * @req:	client request
 * @kind:	reply to send
 *
 * Return: 0 on success, negative error code from the transport
 */
static int dhcp_send_reply(const struct ctx *c, const struct dhcp_request *req,
			   enum dhcp_reply_kind kind)
{
	struct dhcp_reply r = { 0 };
	struct dhcp_opts_out out = {
		.buf = r.opts,
		.max = dhcp_reply_max(c, req) - sizeof(struct bootp),
	};
	struct in_addr dst = { .s_addr = INADDR_BROADCAST };
	size_t len;

	r.msg.op = BOOTREPLY;
	r.msg.htype = HTYPE_ETHER;
	r.msg.hlen = ETH_ALEN_;
	r.msg.xid = req->msg.xid;
	r.msg.flags = req->msg.flags;
	r.msg.giaddr = req->msg.giaddr;
	memcpy(r.msg.chaddr, req->msg.chaddr, sizeof(r.msg.chaddr));
	r.msg.magic = htonl(DHCP_MAGIC);
	if (kind == REPLY_OFFER || kind == REPLY_ACK)
		r.msg.yiaddr = c->ip4.addr;
	if (kind != REPLY_NAK)
		r.msg.ciaddr = req->msg.ciaddr;

	dhcp_build_options(c, req, kind, &out);
	len = MAX(sizeof(struct bootp) + out.len, BOOTP_MIN_LEN);

	/* RFC 2131, 4.1: unicast only to a client that has its address */
	if (kind != REPLY_NAK && req->msg.ciaddr.s_addr != INADDR_ANY &&
	    !(ntohs(req->msg.flags) & DHCP_FLAG_BROADCAST))
		dst = req->msg.ciaddr;

	r.uh.source = htons(DHCP_SERVER_PORT);
	r.uh.dest = htons(DHCP_CLIENT_PORT);
	r.uh.len = htons((uint16_t)(sizeof(r.uh) + len));

	return ip4_send(c, c->ip4.gw, dst, IPPROTO_UDP, &r,
			sizeof(r.uh) + len);
}

/**
 * dhcp_on_request() - REQUEST: acknowledge the guest's address, refuse others
 * @c:		execution context
 * @req:	client request
 *
 * Return: REPLY_ACK, REPLY_NAK, or REPLY_NONE if another server was chosen
 */
static enum dhcp_reply_kind dhcp_on_request(const struct ctx *c,
					    const struct dhcp_request *req)
{
	struct in_addr want = req->req_addr;

	if (req->server_id.s_addr != INADDR_ANY &&
	    req->server_id.s_addr != c->ip4.gw.s_addr) {
		debug("dhcp: REQUEST for another server, ignored");
		return REPLY_NONE;
	}
	if (want.s_addr == INADDR_ANY)
		want = req->msg.ciaddr;
	if (want.s_addr != INADDR_ANY && want.s_addr != c->ip4.addr.s_addr) {
		char buf[INET_ADDRSTRLEN];

		debug("dhcp: REQUEST for %s, not the assigned address: NAK",
		      inet_ntop(AF_INET, &want, buf, sizeof(buf)));
		return REPLY_NAK;
	}
	return REPLY_ACK;
}

/**
 * struct dhcp_msg_handler - what the server does with a message type
 * @name:	name of the message type, for logs
 * @on:		picks the reply from the request, NULL to send @reply
 * @reply:	the reply, for a type whose reply does not depend on the request
 * @type:	DHCP message type
 */
static const struct dhcp_msg_handler {
	const char *name;
	enum dhcp_reply_kind (*on)(const struct ctx *c,
				   const struct dhcp_request *req);
	enum dhcp_reply_kind reply;
	uint8_t type;
} handlers[] = {
	/* DISCOVER: offer the guest's address */
	{ "DISCOVER",	NULL,	REPLY_OFFER,	DHCPDISCOVER },
	{ "REQUEST",	dhcp_on_request,	REPLY_NONE,	DHCPREQUEST },
	/* DECLINE, RELEASE: nothing to undo, no reply */
	{ "DECLINE",	NULL,	REPLY_NONE,	DHCPDECLINE },
	{ "RELEASE",	NULL,	REPLY_NONE,	DHCPRELEASE },
	/* INFORM: configuration without an address */
	{ "INFORM",	NULL,	REPLY_INFORM,	DHCPINFORM },
};

/**
 * dhcp_handle() - answer one well-formed client message
 * @c:		execution context
 * @req:	parsed request
 */
static void dhcp_handle(const struct ctx *c, const struct dhcp_request *req)
{
	char mac[MAC_STRLEN];
	size_t i;

	mac_ntop(req->msg.chaddr, mac, sizeof(mac));
	for (i = 0; i < ARRAY_SIZE(handlers); i++) {
		enum dhcp_reply_kind kind;
		int rc;

		if (handlers[i].type != req->type)
			continue;
		debug("dhcp: %s from %s", handlers[i].name, mac);
		kind = handlers[i].on ? handlers[i].on(c, req) :
					handlers[i].reply;
		if (kind == REPLY_NONE)
			return;
		rc = dhcp_send_reply(c, req, kind);
		if (rc < 0) {
			debug("dhcp: reply to %s failed: %s", mac,
			      strerror(-rc));
		} else if (kind == REPLY_ACK) {
			char addr[INET_ADDRSTRLEN];

			info("dhcp: %s assigned to %s",
			     inet_ntop(AF_INET, &c->ip4.addr, addr,
				       sizeof(addr)), mac);
		}
		return;
	}
	debug("dhcp: message type %u from %s ignored", req->type, mac);
}

/**
 * dhcp_input() - take a UDP packet to the DHCP server port, answer it
 * @c:		execution context
 * @p:		IPv4 packet from the guest, UDP header at @p->l4
 *
 * Return: true if the packet was for the DHCP server (answered or not),
 *	   false if it is not a DHCP request and goes on to other handlers
 */
bool dhcp_input(const struct ctx *c, const struct pkt4 *p)
{
	struct dhcp_request req;
	struct udphdr uh;
	size_t ulen;

	if (p->proto != IPPROTO_UDP || p->l4len < sizeof(uh))
		return false;
	memcpy(&uh, p->l4, sizeof(uh));
	if (ntohs(uh.dest) != DHCP_SERVER_PORT)
		return false;

	if (c->no_dhcp)
		return true;
	ulen = ntohs(uh.len);
	if (ulen < sizeof(uh) || ulen > p->l4len) {
		debug("dhcp: UDP length %zu, packet has %zu bytes", ulen,
		      p->l4len);
		return true;
	}
	if (c->ip4.addr.s_addr == INADDR_ANY) {
		debug("dhcp: no IPv4 address to assign, request ignored");
		return true;
	}
	if (dhcp_parse(&req, p->l4 + sizeof(uh), ulen - sizeof(uh)))
		return true;

	dhcp_handle(c, &req);
	return true;
}
