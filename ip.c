// SPDX-License-Identifier: GPL-2.0-or-later
/* ip.c - Ethernet, IPv4 and IPv6 framing of packets sent to the guest
 *
 * The headers are built in a small buffer on the stack, and the caller's
 * payload goes out as a second buffer of the frame, so it is never copied
 * here. Only the first bytes of the transport header, up to and including
 * its checksum field, are copied into the header buffer, because the
 * checksum must be written and the payload is the caller's read-only data.
 */

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "passt.h"
#include "checksum.h"
#include "ip.h"
#include "tap.h"

#define IP4_TTL		64
#define IP6_HOP_LIMIT	255

/* Longest transport header prefix copied: TCP, up to its checksum */
#define L4_PREFIX_MAX	18
/* Header buffers start this far into an aligned array: IP headers aligned */
#define ETH_PAD		2

/**
 * struct l4_csum - where a transport protocol keeps its checksum
 * @proto:	IP protocol number
 * @offset:	offset of the 16-bit checksum field in the transport header
 * @pseudo:	whether the sum covers a pseudo-header (ICMPv4 does not)
 * @zero_is_none: a computed 0 must be sent as 0xffff (UDP, RFC 768)
 */
struct l4_csum {
	uint8_t proto;
	uint8_t offset;
	bool pseudo;
	bool zero_is_none;
};

static const struct l4_csum l4_csums[] = {
	{ IPPROTO_TCP,		16,	true,	false },
	{ IPPROTO_UDP,		6,	true,	true },
	{ IPPROTO_ICMP,		2,	false,	false },
	{ IPPROTO_ICMPV6,	2,	true,	false },
};

static const uint8_t mac_broadcast[ETH_ALEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

/**
 * l4_csum_find() - look up the checksum layout of a transport protocol
 * @proto:	IP protocol number
 *
 * Return: table row, or NULL if the daemon fills no checksum for @proto
 */
static const struct l4_csum *l4_csum_find(uint8_t proto)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(l4_csums); i++)
		if (l4_csums[i].proto == proto)
			return &l4_csums[i];
	return NULL;
}

/**
 * frame_send() - prepend the Ethernet header and send headers plus payload
 * @c:		execution context
 * @hdr:	buffer starting with ETH_HDR_LEN bytes to fill, then headers
 * @hdr_len:	length of @hdr, Ethernet header included
 * @dst_mac:	destination MAC address
 * @ethertype:	EtherType, host order
 * @payload:	rest of the frame, not copied
 * @len:	length of @payload
 *
 * Return: 0 on success, negative error code from the transport
 */
static int frame_send(const struct ctx *c, uint8_t *hdr, size_t hdr_len,
		      const uint8_t *dst_mac, uint16_t ethertype,
		      const void *payload, size_t len)
{
	struct ether_header *eh = (struct ether_header *)hdr;
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = hdr_len },
		{ .iov_base = (void *)payload, .iov_len = len },
	};

	memcpy(eh->ether_dhost, dst_mac, ETH_ALEN);
	memcpy(eh->ether_shost, c->our_mac, ETH_ALEN);
	eh->ether_type = htons(ethertype);

	return tap_send(c, iov, len ? 2 : 1);
}

/**
 * eth_send() - send a payload to the guest in an Ethernet frame
 * @c:		execution context
 * @dst_mac:	destination MAC address
 * @ethertype:	EtherType, host order (ETH_P_ARP, ...)
 * @payload:	frame payload
 * @len:	length of @payload
 *
 * Return: 0 on success, negative error code from the transport
 */
int eth_send(const struct ctx *c, const uint8_t *dst_mac, uint16_t ethertype,
	     const void *payload, size_t len)
{
	uint8_t hdr[ETH_HDR_LEN] __attribute__((aligned(2)));

	return frame_send(c, hdr, sizeof(hdr), dst_mac, ethertype,
			  payload, len);
}

/**
 * l4_prefix_checksum() - copy the transport header up to its checksum, fill it
 * @cs:		checksum layout of the protocol
 * @prefix:	where the copy goes, at least @cs->offset + 2 bytes
 * @sum:	partial sum of the pseudo-header, or 0 for none
 * @l4:		transport header and payload
 * @len:	length of @l4, at least @cs->offset + 2
 *
 * Return: number of bytes of @l4 copied to @prefix
 */
static size_t l4_prefix_checksum(const struct l4_csum *cs, uint8_t *prefix,
				 uint32_t sum, const uint8_t *l4, size_t len)
{
	size_t n = cs->offset + 2;
	uint16_t csum;

	memcpy(prefix, l4, n);
	memset(prefix + cs->offset, 0, 2);

	sum = csum_add(prefix, n, sum);
	csum = csum_fold(csum_add(l4 + n, len - n, sum));
	if (!csum && cs->zero_is_none)
		csum = 0xffff;
	memcpy(prefix + cs->offset, &csum, sizeof(csum));

	return n;
}

/**
 * ip4_dst_mac() - destination MAC address for an IPv4 packet to the guest
 * @c:		execution context
 * @dst:	IPv4 destination address
 * @buf:	storage for a computed address
 *
 * Return: the guest's MAC address once known, broadcast otherwise, the
 *	   mapped group address for multicast (RFC 1112, 6.4)
 */
static const uint8_t *ip4_dst_mac(const struct ctx *c, struct in_addr dst,
				  uint8_t *buf)
{
	uint32_t a = ntohl(dst.s_addr);

	if (IN_MULTICAST(a)) {
		buf[0] = 0x01;
		buf[1] = 0x00;
		buf[2] = 0x5e;
		buf[3] = (a >> 16) & 0x7f;
		buf[4] = (a >> 8) & 0xff;
		buf[5] = a & 0xff;
		return buf;
	}
	if (a == INADDR_BROADCAST || !c->guest_mac_seen)
		return mac_broadcast;
	return c->guest_mac;
}

/**
 * ip6_dst_mac() - destination MAC address for an IPv6 packet to the guest
 * @c:		execution context
 * @dst:	IPv6 destination address
 * @buf:	storage for a computed address
 *
 * Return: the mapped group address for multicast (RFC 2464, 7), else the
 *	   guest's MAC address once known, else the all-nodes group address
 */
static const uint8_t *ip6_dst_mac(const struct ctx *c,
				  const struct in6_addr *dst, uint8_t *buf)
{
	if (!IN6_IS_ADDR_MULTICAST(dst) && c->guest_mac_seen)
		return c->guest_mac;

	buf[0] = buf[1] = 0x33;
	if (IN6_IS_ADDR_MULTICAST(dst)) {
		memcpy(buf + 2, &dst->s6_addr[12], 4);
	} else {
		memset(buf + 2, 0, 3);
		buf[5] = 0x01;
	}
	return buf;
}

/**
 * ip4_send() - send a transport packet to the guest over IPv4
 * @c:		execution context
 * @src:	source address
 * @dst:	destination address
 * @proto:	IP protocol number; TCP, UDP and ICMP checksums are filled in
 * @l4:		transport header and payload, checksum field ignored
 * @len:	length of @l4
 *
 * Return: 0 on success, -EMSGSIZE or -EINVAL for a packet that cannot be
 *	   built, or the transport's negative error code
 */
int ip4_send(const struct ctx *c, struct in_addr src, struct in_addr dst,
	     uint8_t proto, const void *l4, size_t len)
{
	uint8_t buf[ETH_PAD + ETH_HDR_LEN + IP4_HDR_LEN + L4_PREFIX_MAX]
		__attribute__((aligned(8)));
	uint8_t *hdr = buf + ETH_PAD;
	struct iphdr *ip4 = (struct iphdr *)(hdr + ETH_HDR_LEN);
	const struct l4_csum *cs = l4_csum_find(proto);
	size_t hdr_len = ETH_HDR_LEN + IP4_HDR_LEN;
	uint8_t mac_buf[ETH_ALEN];
	size_t copied = 0;

	if (len > 65535 - IP4_HDR_LEN)
		return -EMSGSIZE;
	if (cs && len < (size_t)cs->offset + 2)
		return -EINVAL;

	memset(ip4, 0, IP4_HDR_LEN);
	ip4->version = 4;
	ip4->ihl = IP4_HDR_LEN / 4;
	ip4->tot_len = htons((uint16_t)(IP4_HDR_LEN + len));
	/* DF set: the identification may stay 0 (RFC 6864, 4.1) */
	ip4->frag_off = htons(IP_DF);
	ip4->ttl = IP4_TTL;
	ip4->protocol = proto;
	ip4->saddr = src.s_addr;
	ip4->daddr = dst.s_addr;
	ip4->check = csum_plain(ip4, IP4_HDR_LEN);

	if (cs) {
		uint32_t sum = cs->pseudo ? csum_pseudo_ip4(src, dst, proto,
							    len) : 0;

		copied = l4_prefix_checksum(cs, hdr + hdr_len, sum, l4, len);
		hdr_len += copied;
	}

	return frame_send(c, hdr, hdr_len, ip4_dst_mac(c, dst, mac_buf),
			  ETH_P_IP, (const uint8_t *)l4 + copied, len - copied);
}

/**
 * ip6_send() - send an upper-layer packet to the guest over IPv6
 * @c:		execution context
 * @src:	source address
 * @dst:	destination address
 * @proto:	next header; TCP, UDP and ICMPv6 checksums are filled in
 * @l4:		upper-layer header and payload, checksum field ignored
 * @len:	length of @l4
 *
 * Return: 0 on success, -EMSGSIZE or -EINVAL for a packet that cannot be
 *	   built, or the transport's negative error code
 */
int ip6_send(const struct ctx *c, const struct in6_addr *src,
	     const struct in6_addr *dst, uint8_t proto,
	     const void *l4, size_t len)
{
	uint8_t buf[ETH_PAD + ETH_HDR_LEN + IP6_HDR_LEN + L4_PREFIX_MAX]
		__attribute__((aligned(8)));
	uint8_t *hdr = buf + ETH_PAD;
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(hdr + ETH_HDR_LEN);
	const struct l4_csum *cs = l4_csum_find(proto);
	size_t hdr_len = ETH_HDR_LEN + IP6_HDR_LEN;
	uint8_t mac_buf[ETH_ALEN];
	size_t copied = 0;

	if (len > 65535)
		return -EMSGSIZE;
	if (cs && (!cs->pseudo || len < (size_t)cs->offset + 2))
		return -EINVAL;

	ip6->ip6_flow = htonl(6 << 28);
	ip6->ip6_plen = htons((uint16_t)len);
	ip6->ip6_nxt = proto;
	ip6->ip6_hlim = IP6_HOP_LIMIT;
	ip6->ip6_src = *src;
	ip6->ip6_dst = *dst;

	if (cs) {
		copied = l4_prefix_checksum(cs, hdr + hdr_len,
					    csum_pseudo_ip6(src, dst, proto,
							    len), l4, len);
		hdr_len += copied;
	}

	return frame_send(c, hdr, hdr_len, ip6_dst_mac(c, dst, mac_buf),
			  ETH_P_IPV6, (const uint8_t *)l4 + copied,
			  len - copied);
}
