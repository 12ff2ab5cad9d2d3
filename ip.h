/* SPDX-License-Identifier: GPL-2.0-or-later
 * ip.h - parsed guest packets, and Ethernet/IP framing of packets to the guest
 */
#ifndef IP_H
#define IP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;

#define ETH_HDR_LEN	14
#define IP4_HDR_LEN	20
#define IP6_HDR_LEN	40
#define FRAME_MAX	(65535 + ETH_HDR_LEN)

/**
 * struct pkt4 - an IPv4 packet from the guest, validated by frame_input()
 * @src_mac:	Ethernet source address
 * @src:	IPv4 source address
 * @dst:	IPv4 destination address
 * @proto:	IP protocol number
 * @ttl:	time to live
 * @l4:		transport header and payload (checksum already verified)
 * @l4len:	length of @l4, from the IP header's total length
 */
struct pkt4 {
	const uint8_t *src_mac;
	struct in_addr src;
	struct in_addr dst;
	uint8_t proto;
	uint8_t ttl;
	const uint8_t *l4;
	size_t l4len;
};

/**
 * struct pkt6 - an IPv6 packet from the guest, validated by frame_input()
 * @src_mac:	Ethernet source address
 * @src:	IPv6 source address
 * @dst:	IPv6 destination address
 * @proto:	upper-layer protocol after any extension headers
 * @hop_limit:	hop limit
 * @l4:		upper-layer header and payload (checksum already verified)
 * @l4len:	length of @l4
 */
struct pkt6 {
	const uint8_t *src_mac;
	struct in6_addr src;
	struct in6_addr dst;
	uint8_t proto;
	uint8_t hop_limit;
	const uint8_t *l4;
	size_t l4len;
};

int eth_send(const struct ctx *c, const uint8_t *dst_mac, uint16_t ethertype,
	     const void *payload, size_t len);
int ip4_send(const struct ctx *c, struct in_addr src, struct in_addr dst,
	     uint8_t proto, const void *l4, size_t len);
int ip6_send(const struct ctx *c, const struct in6_addr *src,
	     const struct in6_addr *dst, uint8_t proto,
	     const void *l4, size_t len);

#endif /* IP_H */
