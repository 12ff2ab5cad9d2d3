// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcpv6.c - DHCPv6 server for the guest (RFC 8415, DNS options RFC 3646)
 *
 * Stateless towards the guest: it always gets the one configured address,
 * with infinite lifetimes, and the resolvers and search domains. The server
 * identifier is a DUID-LL made of the daemon's MAC address.
 */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/udp.h>

#include "passt.h"
#include "dhcpv6.h"
#include "domain.h"
#include "ip.h"
#include "log.h"

#define DHCPV6_CLIENT_PORT	546
#define DHCPV6_SERVER_PORT	547
#define DHCPV6_HDR_LEN		4	/* message type, transaction id */
#define DHCPV6_OPT_HDR_LEN	4	/* option code, length */
#define DHCPV6_LIFETIME_INFINITE 0xffffffff
#define DUID_LL			3
#define DUID_MAX_LEN		130	/* type and up to 128 bytes (11.1) */
#define HWTYPE_ETHER		1
#define PREFERENCE_MAX		255
#define IP6_MIN_MTU		1280

/* Message types (RFC 8415, 7.3) */
enum {
	SOLICIT = 1,
	ADVERTISE,
	REQUEST,
	CONFIRM,
	RENEW,
	REBIND,
	REPLY,
	RELEASE,
	DECLINE,
	RECONFIGURE,
	INFORMATION_REQUEST,
};

/* Option codes (RFC 8415, 21; RFC 3646) */
enum {
	OPT_CLIENTID		= 1,
	OPT_SERVERID		= 2,
	OPT_IA_NA		= 3,
	OPT_IA_TA		= 4,
	OPT_IAADDR		= 5,
	OPT_PREFERENCE		= 7,
	OPT_STATUS_CODE		= 13,
	OPT_RAPID_COMMIT	= 14,
	OPT_DNS_SERVERS		= 23,
	OPT_DOMAIN_LIST		= 24,
	OPT_IA_PD		= 25,
};

/* Status codes (RFC 8415, 21.13) */
enum {
	STATUS_SUCCESS		= 0,
	STATUS_NOT_ON_LINK	= 4,
};

static const struct in6_addr all_servers = {
	.s6_addr = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 }
};

/**
 * struct dhcpv6_request - what the server uses of a client message
 * @type:	message type
 * @xid:	transaction id
 * @client_id:	client identifier option data, NULL if absent
 * @client_id_len: its length
 * @server_id:	server identifier option data, NULL if absent
 * @server_id_len: its length
 * @ia_na:	first IA_NA option data, NULL if absent
 * @ia_na_len:	its length
 * @has_ia:	any IA_NA, IA_TA or IA_PD option present
 * @rapid_commit: rapid commit option present
 */
struct dhcpv6_request {
	uint8_t type;
	uint8_t xid[3];
	const uint8_t *client_id;
	size_t client_id_len;
	const uint8_t *server_id;
	size_t server_id_len;
	const uint8_t *ia_na;
	size_t ia_na_len;
	bool has_ia;
	bool rapid_commit;
};

/**
 * typedef dhcpv6_opt_fn - called for each option found by opts_walk()
 * @arg:	caller's data
 * @code:	option code
 * @data:	option data
 * @len:	option length
 *
 * Return: 0 to go on, -1 to stop the walk with an error
 */
typedef int (*dhcpv6_opt_fn)(void *arg, uint16_t code, const uint8_t *data,
			     size_t len);

/**
 * opts_walk() - walk a sequence of options, checking each length
 * @buf:	first option
 * @len:	bytes of options
 * @fn:		called for each option
 * @arg:	passed to @fn
 *
 * Return: 0 on success, -1 if an option overruns @buf or @fn failed
 */
static int opts_walk(const uint8_t *buf, size_t len, dhcpv6_opt_fn fn,
		     void *arg)
{
	size_t off = 0;

	while (off < len) {
		uint16_t code, olen;

		if (len - off < DHCPV6_OPT_HDR_LEN) {
			debug("dhcpv6: truncated option header at %zu", off);
			return -1;
		}
		code = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		olen = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		off += DHCPV6_OPT_HDR_LEN;
		if (olen > len - off) {
			debug("dhcpv6: option %u of %u bytes overruns message",
			      code, olen);
			return -1;
		}
		if (fn(arg, code, buf + off, olen))
			return -1;
		off += olen;
	}
	return 0;
}

/**
 * request_store_opt() - keep what the server needs of one top-level option
 * @arg:	struct dhcpv6_request being filled
 * @code:	option code
 * @data:	option data
 * @len:	option length
 *
 * Return: 0, or -1 for an option of invalid length
 */
static int request_store_opt(void *arg, uint16_t code, const uint8_t *data,
			     size_t len)
{
	struct dhcpv6_request *req = arg;

	switch (code) {
	case OPT_CLIENTID:
		if (len < 2 || len > DUID_MAX_LEN)
			goto bad;
		req->client_id = data;
		req->client_id_len = len;
		break;
	case OPT_SERVERID:
		if (len < 2 || len > DUID_MAX_LEN)
			goto bad;
		req->server_id = data;
		req->server_id_len = len;
		break;
	case OPT_IA_NA:
		if (len < 12)
			goto bad;
		if (!req->ia_na) {
			req->ia_na = data;
			req->ia_na_len = len;
		}
		req->has_ia = true;
		break;
	case OPT_IA_TA:
	case OPT_IA_PD:
		req->has_ia = true;
		break;
	case OPT_RAPID_COMMIT:
		req->rapid_commit = true;
		break;
	}
	return 0;
bad:
	debug("dhcpv6: option %u has invalid length %zu", code, len);
	return -1;
}

/**
 * duid_ours() - the server's DUID: link-layer address type, our MAC
 * @c:		execution context
 * @duid:	10 bytes
 *
 * Return: its length
 */
static size_t duid_ours(const struct ctx *c, uint8_t *duid)
{
	duid[0] = 0;
	duid[1] = DUID_LL;
	duid[2] = 0;
	duid[3] = HWTYPE_ETHER;
	memcpy(duid + 4, c->our_mac, ETH_ALEN_);
	return 4 + ETH_ALEN_;
}

/**
 * server_id_is_ours() - whether the request's server identifier is ours
 * @c:		execution context
 * @req:	request with a server identifier
 *
 * Return: true if it matches
 */
static bool server_id_is_ours(const struct ctx *c,
			      const struct dhcpv6_request *req)
{
	uint8_t duid[4 + ETH_ALEN_];
	size_t len = duid_ours(c, duid);

	return req->server_id_len == len && !memcmp(req->server_id, duid, len);
}

/**
 * enum dhcpv6_server_id_rule - what a message type says about server IDs
 * @SID_FORBIDDEN:	message must not carry one (16.2, 16.5, 16.7, 16.9)
 * @SID_REQUIRED:	must carry ours (16.4, 16.6, 16.10, 16.11)
 * @SID_OPTIONAL:	if present, must be ours (16.12)
 */
enum dhcpv6_server_id_rule {
	SID_FORBIDDEN,
	SID_REQUIRED,
	SID_OPTIONAL,
};

/**
 * enum dhcpv6_content - what goes into the reply beyond the identifiers
 * @CONTENT_ADDRESS:	IA_NA with the guest's address, DNS options
 * @CONTENT_CONFIRM:	status: are the client's addresses on link?
 * @CONTENT_STATUS:	status Success
 * @CONTENT_INFO:	DNS options only
 */
enum dhcpv6_content {
	CONTENT_ADDRESS,
	CONTENT_CONFIRM,
	CONTENT_STATUS,
	CONTENT_INFO,
};

/**
 * struct dhcpv6_msg_rule - how the server treats a client message type
 */
static const struct dhcpv6_msg_rule {
	const char *name;
	enum dhcpv6_server_id_rule server_id;
	enum dhcpv6_content content;
	uint8_t type;
	bool client_id_required;
} rules[] = {
	{ "Solicit",	SID_FORBIDDEN,	CONTENT_ADDRESS, SOLICIT,	true },
	{ "Request",	SID_REQUIRED,	CONTENT_ADDRESS, REQUEST,	true },
	{ "Confirm",	SID_FORBIDDEN,	CONTENT_CONFIRM, CONFIRM,	true },
	{ "Renew",	SID_REQUIRED,	CONTENT_ADDRESS, RENEW,		true },
	{ "Rebind",	SID_FORBIDDEN,	CONTENT_ADDRESS, REBIND,	true },
	{ "Release",	SID_REQUIRED,	CONTENT_STATUS,	 RELEASE,	true },
	{ "Decline",	SID_REQUIRED,	CONTENT_STATUS,	 DECLINE,	true },
	{ "Information-request",
			SID_OPTIONAL,	CONTENT_INFO,	 INFORMATION_REQUEST,
								false },
};

/**
 * request_acceptable() - check a request against its message type's rules
 * @c:		execution context
 * @req:	parsed request
 * @rule:	rule of its message type
 *
 * Return: true if the server answers it
 */
static bool request_acceptable(const struct ctx *c,
			       const struct dhcpv6_request *req,
			       const struct dhcpv6_msg_rule *rule)
{
	if (rule->client_id_required && !req->client_id) {
		debug("dhcpv6: %s without client identifier", rule->name);
		return false;
	}
	if (rule->server_id == SID_FORBIDDEN && req->server_id) {
		debug("dhcpv6: %s with a server identifier", rule->name);
		return false;
	}
	if (rule->server_id == SID_REQUIRED && !req->server_id) {
		debug("dhcpv6: %s without server identifier", rule->name);
		return false;
	}
	if (req->server_id && !server_id_is_ours(c, req)) {
		debug("dhcpv6: %s for another server", rule->name);
		return false;
	}
	if (rule->content == CONTENT_INFO && req->has_ia) {
		debug("dhcpv6: %s with an IA option", rule->name);
		return false;
	}
	return true;
}

/**
 * struct dhcpv6_out - a reply being built
 * @buf:	UDP header, message header, options
 * @len:	bytes used
 * @max:	bytes usable
 */
struct dhcpv6_out {
	uint8_t buf[2048];
	size_t len;
	size_t max;
};

/**
 * out_opt() - append an option to the reply
 * @out:	reply
 * @code:	option code
 * @data:	option data
 * @len:	data length
 *
 * Return: true if added, false if it does not fit (reply unchanged)
 */
static bool out_opt(struct dhcpv6_out *out, uint16_t code, const void *data,
		    size_t len)
{
	uint8_t *p = out->buf + out->len;

	if (out->len + DHCPV6_OPT_HDR_LEN + len > out->max) {
		debug("dhcpv6: no room for option %u (%zu bytes)", code, len);
		return false;
	}
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len)
		memcpy(p + DHCPV6_OPT_HDR_LEN, data, len);
	out->len += DHCPV6_OPT_HDR_LEN + len;
	return true;
}

/**
 * put_be32() - write a 32-bit number in network order
 * @p:		destination
 * @v:		value
 */
static void put_be32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

/**
 * out_status() - append a status code option, without a message
 * @out:	reply
 * @status:	status code
 */
static void out_status(struct dhcpv6_out *out, uint16_t status)
{
	const uint8_t data[2] = { (uint8_t)(status >> 8), (uint8_t)status };

	out_opt(out, OPT_STATUS_CODE, data, sizeof(data));
}

/**
 * out_ia_na() - append the IA_NA with the guest's address
 * @c:		execution context
 * @req:	request, with the client's IA_NA
 * @out:	reply
 */
static void out_ia_na(const struct ctx *c, const struct dhcpv6_request *req,
		      struct dhcpv6_out *out)
{
	uint8_t ia[12 + DHCPV6_OPT_HDR_LEN + 24] = { 0 };
	uint8_t *addr = ia + 12;

	/* IAID from the client; T1, T2 infinite: nothing to renew (21.4) */
	memcpy(ia, req->ia_na, 4);
	put_be32(ia + 4, DHCPV6_LIFETIME_INFINITE);
	put_be32(ia + 8, DHCPV6_LIFETIME_INFINITE);

	addr[1] = OPT_IAADDR;
	addr[3] = 24;
	memcpy(addr + 4, &c->ip6.addr, 16);
	put_be32(addr + 20, DHCPV6_LIFETIME_INFINITE);
	put_be32(addr + 24, DHCPV6_LIFETIME_INFINITE);

	out_opt(out, OPT_IA_NA, ia, sizeof(ia));
}

/**
 * out_dns() - append resolvers and search domains, if configured
 * @c:		execution context
 * @out:	reply
 */
static void out_dns(const struct ctx *c, struct dhcpv6_out *out)
{
	uint8_t list[MAX_SEARCH * DOMAIN_MAXLEN];
	int n = MIN(c->ip6.dns_count, MAX_DNS);
	ssize_t len;

	if (n > 0)
		out_opt(out, OPT_DNS_SERVERS, c->ip6.dns, (size_t)n * 16);

	len = domain_list_encode(list, sizeof(list), c->search,
				 MIN(c->search_count, MAX_SEARCH));
	if (len > 0)
		out_opt(out, OPT_DOMAIN_LIST, list, (size_t)len);
}

/**
 * struct confirm_check - state of the on-link check of a Confirm
 * @c:		execution context
 * @addrs:	addresses found
 * @off_link:	addresses not in the guest's prefix
 */
struct confirm_check {
	const struct ctx *c;
	int addrs;
	int off_link;
};

/**
 * prefix_match() - whether two addresses share the first @plen bits
 * @a:		first address
 * @b:		second address
 * @plen:	prefix length
 *
 * Return: true if they do
 */
static bool prefix_match(const struct in6_addr *a, const struct in6_addr *b,
			 int plen)
{
	int i;

	for (i = 0; i < 16 && plen > 0; i++, plen -= 8) {
		uint8_t mask = (uint8_t)(0xff00 >> MIN(plen, 8));

		if ((a->s6_addr[i] ^ b->s6_addr[i]) & mask)
			return false;
	}
	return true;
}

/**
 * confirm_check_addr() - check one IA Address option of a Confirm's IA_NA
 * @arg:	struct confirm_check
 * @code:	option code
 * @data:	option data
 * @len:	option length
 *
 * Return: 0, or -1 for an IA Address of invalid length
 */
static int confirm_check_addr(void *arg, uint16_t code, const uint8_t *data,
			      size_t len)
{
	struct confirm_check *cc = arg;
	struct in6_addr a;

	if (code != OPT_IAADDR)
		return 0;
	if (len < 24) {
		debug("dhcpv6: IA Address of %zu bytes", len);
		return -1;
	}
	memcpy(&a, data, sizeof(a));
	cc->addrs++;
	if (!prefix_match(&a, &cc->c->ip6.addr, cc->c->ip6.prefix_len))
		cc->off_link++;
	return 0;
}

/**
 * confirm_check_ia() - check the addresses of each IA_NA in a Confirm
 * @arg:	struct confirm_check
 * @code:	option code
 * @data:	option data
 * @len:	option length
 *
 * Return: 0, or -1 for a malformed IA_NA
 */
static int confirm_check_ia(void *arg, uint16_t code, const uint8_t *data,
			    size_t len)
{
	if (code != OPT_IA_NA)
		return 0;
	return opts_walk(data + 12, len - 12, confirm_check_addr, arg);
}

/**
 * dhcpv6_reply() - build and send the reply to an accepted request
 * @c:		execution context
 * @p:		request packet
 * @req:	parsed request
 * @rule:	rule of its message type
 * @opts:	request options
 * @olen:	bytes of options
 */
static void dhcpv6_reply(const struct ctx *c, const struct pkt6 *p,
			 const struct dhcpv6_request *req,
			 const struct dhcpv6_msg_rule *rule,
			 const uint8_t *opts, size_t olen)
{
	static struct dhcpv6_out out;
	bool advertise = req->type == SOLICIT && !req->rapid_commit;
	struct udphdr *uh = (struct udphdr *)out.buf;
	uint8_t duid[4 + ETH_ALEN_];
	int rc;

	out.len = sizeof(*uh) + DHCPV6_HDR_LEN;
	out.max = sizeof(out.buf);
	if (c->mtu >= IP6_MIN_MTU)
		out.max = MIN(out.max, (size_t)c->mtu - IP6_HDR_LEN);

	out.buf[sizeof(*uh)] = advertise ? ADVERTISE : REPLY;
	memcpy(out.buf + sizeof(*uh) + 1, req->xid, sizeof(req->xid));
	out_opt(&out, OPT_SERVERID, duid, duid_ours(c, duid));
	if (req->client_id)
		out_opt(&out, OPT_CLIENTID, req->client_id,
			req->client_id_len);
	if (req->type == SOLICIT && req->rapid_commit)
		out_opt(&out, OPT_RAPID_COMMIT, NULL, 0);
	if (advertise) {
		const uint8_t pref = PREFERENCE_MAX;

		out_opt(&out, OPT_PREFERENCE, &pref, 1);
	}

	if (rule->content == CONTENT_CONFIRM) {
		struct confirm_check cc = { .c = c };

		if (opts_walk(opts, olen, confirm_check_ia, &cc))
			return;
		/* No addresses: nothing to confirm, no reply (18.3.3) */
		if (!cc.addrs)
			return;
		if (cc.off_link)
			out_status(&out, STATUS_NOT_ON_LINK);
		else
			out_status(&out, STATUS_SUCCESS);
	} else if (rule->content == CONTENT_STATUS) {
		out_status(&out, STATUS_SUCCESS);
	} else {
		if (rule->content == CONTENT_ADDRESS && req->ia_na)
			out_ia_na(c, req, &out);
		out_dns(c, &out);
	}

	uh->source = htons(DHCPV6_SERVER_PORT);
	uh->dest = htons(DHCPV6_CLIENT_PORT);
	uh->len = htons((uint16_t)out.len);
	uh->check = 0;

	rc = ip6_send(c, &c->ip6.our_ll, &p->src, IPPROTO_UDP, out.buf,
		      out.len);
	if (rc < 0)
		debug("dhcpv6: reply failed: %s", strerror(-rc));
}

/**
 * dhcpv6_for_us() - whether a UDP packet goes to the DHCPv6 server
 * @c:		execution context
 * @p:		IPv6 packet
 *
 * Return: true for the server port at All_DHCP_Relay_Agents_and_Servers
 *	   or at one of the daemon's own addresses
 */
static bool dhcpv6_for_us(const struct ctx *c, const struct pkt6 *p)
{
	if (p->proto != IPPROTO_UDP || p->l4len < sizeof(struct udphdr))
		return false;
	if ((p->l4[2] << 8 | p->l4[3]) != DHCPV6_SERVER_PORT)
		return false;
	return IN6_ARE_ADDR_EQUAL(&p->dst, &all_servers) ||
	       IN6_ARE_ADDR_EQUAL(&p->dst, &c->ip6.our_ll) ||
	       IN6_ARE_ADDR_EQUAL(&p->dst, &c->ip6.gw);
}

/**
 * dhcpv6_input() - take a UDP packet to the DHCPv6 server, answer it
 * @c:		execution context
 * @p:		IPv6 packet from the guest, UDP header at @p->l4
 *
 * Return: true if the packet was for the server (answered or not), false
 *	   if it goes on to other handlers
 */
bool dhcpv6_input(const struct ctx *c, const struct pkt6 *p)
{
	const struct dhcpv6_msg_rule *rule = NULL;
	struct dhcpv6_request req = { 0 };
	const uint8_t *msg, *opts;
	size_t ulen, len, i;

	if (!dhcpv6_for_us(c, p))
		return false;
	if (c->no_dhcpv6)
		return true;

	ulen = (size_t)(p->l4[4] << 8 | p->l4[5]);
	if (ulen < sizeof(struct udphdr) + DHCPV6_HDR_LEN || ulen > p->l4len) {
		debug("dhcpv6: UDP length %zu, packet has %zu bytes", ulen,
		      p->l4len);
		return true;
	}
	msg = p->l4 + sizeof(struct udphdr);
	len = ulen - sizeof(struct udphdr);
	req.type = msg[0];
	memcpy(req.xid, msg + 1, sizeof(req.xid));
	opts = msg + DHCPV6_HDR_LEN;

	for (i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].type == req.type)
			rule = &rules[i];
	if (!rule) {
		debug("dhcpv6: message type %u ignored", req.type);
		return true;
	}
	if (opts_walk(opts, len - DHCPV6_HDR_LEN, request_store_opt, &req) ||
	    !request_acceptable(c, &req, rule))
		return true;

	debug("dhcpv6: %s", rule->name);
	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr) &&
	    rule->content == CONTENT_ADDRESS) {
		debug("dhcpv6: no IPv6 address to assign");
		return true;
	}
	dhcpv6_reply(c, p, &req, rule, opts, len - DHCPV6_HDR_LEN);
	return true;
}
