// SPDX-License-Identifier: GPL-2.0-or-later
/* frame.c - check each frame from the guest and hand it to its protocol
 *
 * Every field that later code relies on is checked here once: Ethernet
 * header, IP version, header and total lengths, the IPv4 header checksum,
 * fragments (dropped), IPv6 extension headers, and the transport checksum.
 * What passes is described by a struct pkt4 or pkt6 for the protocol code.
 */

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include "arp.h"
#include "checksum.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "frame.h"
#include "icmp.h"
#include "inany.h"
#include "ip.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "tcp.h"
#include "udp.h"

#define ETH_P_IP_	0x0800
#define ETH_P_ARP_	0x0806
#define ETH_P_IPV6_	0x86dd

#define UDP_HDR_LEN	8
#define TCP_HDR_LEN	20
#define ICMP_HDR_LEN	8

/**
 * l4_min_len() - smallest valid transport header for a protocol
 * @proto:	IP protocol number
 *
 * Return: minimum length, 0 for protocols the daemon does not handle
 */
static size_t l4_min_len(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return UDP_HDR_LEN;
	case IPPROTO_TCP:
		return TCP_HDR_LEN;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return ICMP_HDR_LEN;
	default:
		return 0;
	}
}

/**
 * ip4_unicast_source() - whether a source address can be the guest's own
 * @a:		source address of a guest packet
 *
 * Return: false for unspecified, loopback, multicast and broadcast
 */
static bool ip4_unicast_source(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h && !ip4_is_loopback(a) && !IN_MULTICAST(h) &&
	       h != INADDR_BROADCAST;
}

/**
 * ip6_unicast_source() - whether a source address can be the guest's global
 * @a:		source address of a guest packet
 *
 * Return: false for unspecified, loopback, multicast and IPv4-mapped
 */
static bool ip6_unicast_source(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

/**
 * udp_dport() - destination port of a UDP header
 * @l4:		UDP header
 *
 * Return: port, host order
 */
static uint16_t udp_dport(const uint8_t *l4)
{
	return (uint16_t)(l4[2] << 8 | l4[3]);
}

/**
 * frame_l4_deliver() - hand a checked packet to its transport protocol
 * @c:		execution context
 * @src:	source address
 * @dst:	destination address
 * @af:		AF_INET or AF_INET6
 * @proto:	transport protocol
 * @l4:		transport header and payload, checksum verified
 * @l4len:	length of @l4
 */
static void frame_l4_deliver(struct ctx *c, const union inany_addr *src,
			     const union inany_addr *dst, int af,
			     uint8_t proto, const uint8_t *l4, size_t l4len)
{
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		icmp_input(c, af, src, dst, l4, l4len);
		return;
	}
	if (proto == IPPROTO_TCP && tcp_input(c, af, src, dst, l4, l4len))
		return;
	if (proto == IPPROTO_UDP && udp_input(c, af, src, dst, l4, l4len))
		return;
	trace("frame: no handler for protocol %u", proto);
}

/**
 * frame_ip4() - check an IPv4 packet and dispatch it
 * @c:		execution context
 * @eth:	Ethernet frame
 * @len:	frame length
 */
static void frame_ip4(struct ctx *c, const uint8_t *eth, size_t len)
{
	const uint8_t *h = eth + ETH_HDR_LEN;
	union inany_addr src, dst;
	size_t hlen, tot, min;
	struct pkt4 p;

	len -= ETH_HDR_LEN;
	if (len < IP4_HDR_LEN || (h[0] >> 4) != 4) {
		debug("frame: IPv4: bad version or short header (%zu bytes)",
		      len);
		return;
	}
	hlen = (size_t)(h[0] & 0xf) * 4;
	tot = (size_t)(h[2] << 8 | h[3]);
	if (hlen < IP4_HDR_LEN || tot < hlen || tot > len) {
		debug("frame: IPv4: bad lengths: header %zu, total %zu, "
		      "frame %zu", hlen, tot, len);
		return;
	}
	if (csum_plain(h, hlen)) {
		debug("frame: IPv4: bad header checksum");
		return;
	}
	if ((h[6] & 0x3f) || h[7]) {
		debug("frame: IPv4: fragment dropped");
		return;
	}

	p.src_mac = eth + 6;
	memcpy(&p.src, h + 12, 4);
	memcpy(&p.dst, h + 16, 4);
	p.proto = h[9];
	p.ttl = h[8];
	p.l4 = h + hlen;
	p.l4len = tot - hlen;
	min = l4_min_len(p.proto);
	if (!min || p.l4len < min) {
		trace("frame: IPv4: protocol %u, %zu bytes: dropped", p.proto,
		      p.l4len);
		return;
	}
	if (p.proto == IPPROTO_ICMP ? csum_plain(p.l4, p.l4len) :
	    (p.proto != IPPROTO_UDP || p.l4[6] || p.l4[7]) &&
	    csum_l4_ip4(p.src, p.dst, p.proto, p.l4, p.l4len)) {
		debug("frame: IPv4: bad protocol %u checksum", p.proto);
		return;
	}
	if (ip4_unicast_source(p.src))
		c->ip4.addr_seen = p.src;
	if (p.proto == IPPROTO_UDP && udp_dport(p.l4) == 67 &&
	    dhcp_input(c, &p))
		return;
	inany_from_v4(&src, p.src);
	inany_from_v4(&dst, p.dst);
	frame_l4_deliver(c, &src, &dst, AF_INET, p.proto, p.l4, p.l4len);
}

/**
 * ip6_skip_ext() - skip IPv6 extension headers
 * @p:		packet; proto, l4 and l4len updated past the headers
 *
 * Return: 0 on success, -1 for a fragment or a malformed header
 */
static int ip6_skip_ext(struct pkt6 *p)
{
	int n;

	for (n = 0; n < 8; n++) {
		size_t elen;

		if (p->proto != IPPROTO_HOPOPTS && p->proto != IPPROTO_ROUTING &&
		    p->proto != IPPROTO_DSTOPTS)
			return p->proto == IPPROTO_FRAGMENT ? -1 : 0;
		if (p->l4len < 8)
			return -1;
		elen = ((size_t)p->l4[1] + 1) * 8;
		if (elen > p->l4len)
			return -1;
		p->proto = p->l4[0];
		p->l4 += elen;
		p->l4len -= elen;
	}
	return -1;
}

/**
 * frame_ip6() - check an IPv6 packet and dispatch it
 * @c:		execution context
 * @eth:	Ethernet frame
 * @len:	frame length
 */
static void frame_ip6(struct ctx *c, const uint8_t *eth, size_t len)
{
	const uint8_t *h = eth + ETH_HDR_LEN;
	union inany_addr src, dst;
	size_t plen, min;
	struct pkt6 p;

	len -= ETH_HDR_LEN;
	if (len < IP6_HDR_LEN || (h[0] >> 4) != 6) {
		debug("frame: IPv6: bad version or short header (%zu bytes)",
		      len);
		return;
	}
	plen = (size_t)(h[4] << 8 | h[5]);
	if (plen > len - IP6_HDR_LEN) {
		debug("frame: IPv6: payload length %zu exceeds frame", plen);
		return;
	}
	p.src_mac = eth + 6;
	memcpy(&p.src, h + 8, 16);
	memcpy(&p.dst, h + 24, 16);
	p.proto = h[6];
	p.hop_limit = h[7];
	p.l4 = h + IP6_HDR_LEN;
	p.l4len = plen;
	if (ip6_skip_ext(&p)) {
		debug("frame: IPv6: fragment or bad extension header dropped");
		return;
	}
	min = l4_min_len(p.proto);
	if (!min || p.proto == IPPROTO_ICMP || p.l4len < min) {
		trace("frame: IPv6: protocol %u, %zu bytes: dropped", p.proto,
		      p.l4len);
		return;
	}
	if (csum_l4_ip6(&p.src, &p.dst, p.proto, p.l4, p.l4len)) {
		debug("frame: IPv6: bad protocol %u checksum", p.proto);
		return;
	}
	if (IN6_IS_ADDR_LINKLOCAL(&p.src))
		c->ip6.addr_ll_seen = p.src;
	else if (ip6_unicast_source(&p.src))
		c->ip6.addr_seen = p.src;
	if (p.proto == IPPROTO_ICMPV6 && p.l4[0] >= ND_ROUTER_SOLICIT &&
	    p.l4[0] <= ND_REDIRECT) {
		ndp_input(c, &p);
		return;
	}
	if (p.proto == IPPROTO_UDP && udp_dport(p.l4) == 547 &&
	    dhcpv6_input(c, &p))
		return;
	src.a6 = p.src;
	dst.a6 = p.dst;
	frame_l4_deliver(c, &src, &dst, AF_INET6, p.proto, p.l4, p.l4len);
}

/**
 * frame_input() - take one Ethernet frame from the guest
 * @c:		execution context
 * @frame:	frame, starting with the destination MAC address
 * @len:	frame length
 */
void frame_input(struct ctx *c, const uint8_t *frame, size_t len)
{
	uint16_t type;

	if (len < ETH_HDR_LEN) {
		debug("frame: %zu bytes is shorter than an Ethernet header",
		      len);
		return;
	}
	if (!(frame[6] & 1) && memcmp(c->guest_mac, frame + 6, 6)) {
		memcpy(c->guest_mac, frame + 6, 6);
		c->guest_mac_seen = true;
	}
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type == ETH_P_ARP_ && c->ifi4)
		arp_input(c, frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
	else if (type == ETH_P_IP_ && c->ifi4)
		frame_ip4(c, frame, len);
	else if (type == ETH_P_IPV6_ && c->ifi6)
		frame_ip6(c, frame, len);
	else
		trace("frame: ethertype 0x%04x dropped", type);
}
