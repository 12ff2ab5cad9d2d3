// SPDX-License-Identifier: GPL-2.0-or-later
/* test_frame.c - guest frames are checked once, then reach their protocol */

#include <arpa/inet.h>
#include <string.h>

#include "checksum.h"
#include "frame.h"
#include "harness.h"
#include "ip.h"
#include "passt.h"
#include "unit.h"

#define DHCP_LEN	244

/**
 * eth_put() - write an Ethernet header from the guest
 * @f:		frame
 * @type:	ethertype
 */
static void eth_put(uint8_t *f, uint16_t type)
{
	memcpy(f, h_our_mac, 6);
	memcpy(f + 6, h_guest_mac, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

/**
 * ip4_sum_set() - write the checksum of an IPv4 header, after changing it
 * @ip:		IPv4 header of 20 bytes
 */
static void ip4_sum_set(uint8_t *ip)
{
	uint16_t sum;

	ip[10] = ip[11] = 0;
	sum = csum_plain(ip, 20);
	memcpy(ip + 10, &sum, 2);
}

/**
 * dhcp_discover() - an IPv4 frame carrying a minimal DHCPDISCOVER
 * @f:		frame buffer, at least 14 + 20 + 8 + DHCP_LEN bytes
 *
 * Return: frame length
 */
static size_t dhcp_discover(uint8_t *f)
{
	uint8_t *ip = f + ETH_HDR_LEN, *udp = ip + 20, *d = udp + 8;
	struct in_addr any = { 0 }, bcast = { INADDR_BROADCAST };
	size_t l4len = 8 + DHCP_LEN;
	uint16_t sum;

	memset(f, 0, ETH_HDR_LEN + 20 + l4len);
	eth_put(f, 0x0800);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 16, &bcast, 4);
	ip4_sum_set(ip);

	udp[1] = 68;
	udp[3] = 67;
	udp[4] = (uint8_t)(l4len >> 8);
	udp[5] = (uint8_t)l4len;
	d[0] = 1;
	d[1] = 1;
	d[2] = 6;
	d[4] = 0x12;
	memcpy(d + 28, h_guest_mac, 6);
	memcpy(d + 236, "\x63\x82\x53\x63", 4);
	memcpy(d + 240, "\x35\x01\x01\xff", 4);
	sum = csum_l4_ip4(any, bcast, IPPROTO_UDP, udp, l4len);
	memcpy(udp + 6, &sum, 2);
	return ETH_HDR_LEN + 20 + l4len;
}

/**
 * icmp6_sum_set() - write the checksum of an 8-byte ICMPv6 message
 * @src:	IPv6 source address
 * @dst:	IPv6 destination address
 * @l4:		the message
 */
static void icmp6_sum_set(const struct in6_addr *src,
			  const struct in6_addr *dst, uint8_t *l4)
{
	uint16_t sum;

	l4[2] = l4[3] = 0;
	sum = csum_l4_ip6(src, dst, IPPROTO_ICMPV6, l4, 8);
	memcpy(l4 + 2, &sum, 2);
}

/**
 * router_solicit() - an IPv6 frame carrying a Router Solicitation
 * @f:		frame buffer, at least 14 + 48 + 8 bytes
 * @hbh:	put a hop-by-hop options header before the ICMPv6 message
 *
 * Return: frame length
 */
static size_t router_solicit(uint8_t *f, bool hbh)
{
	struct in6_addr src = h_ip6("fe80::5054:ff:fe12:3456");
	struct in6_addr dst = h_ip6("ff02::2");
	uint8_t *ip = f + ETH_HDR_LEN, *l4 = ip + 40;
	size_t plen = 8 + (hbh ? 8 : 0);

	memset(f, 0, ETH_HDR_LEN + 40 + plen);
	eth_put(f, 0x86dd);
	ip[0] = 0x60;
	ip[5] = (uint8_t)plen;
	ip[6] = hbh ? 0 : IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, &src, 16);
	memcpy(ip + 24, &dst, 16);
	if (hbh) {
		l4[0] = IPPROTO_ICMPV6;
		l4[2] = 1;	/* PadN */
		l4[3] = 4;
		l4 += 8;
	}
	l4[0] = 133;
	icmp6_sum_set(&src, &dst, l4);
	return ETH_HDR_LEN + 40 + plen;
}

/**
 * replies() - count the frames the daemon sent back, and drain them
 *
 * Return: number of frames
 */
static int replies(void)
{
	static uint8_t buf[FRAME_MAX];
	int n = 0;

	while (harness_recv(buf, sizeof(buf)) > 0)
		n++;
	return n;
}

/**
 * replies_to() - pass one frame to a fresh context, count the frames sent back
 * @f:		frame from the guest
 * @len:	its length
 *
 * Return: number of frames the daemon sent back
 */
static int replies_to(const uint8_t *f, size_t len)
{
	struct ctx c;
	int n;

	harness_ctx(&c);
	frame_input(&c, f, len);
	n = replies();
	harness_close(&c);
	return n;
}

TEST(frame_valid_dhcp_discover_is_answered)
{
	uint8_t f[400];
	size_t len = dhcp_discover(f);

	CHECK(replies_to(f, len) == 1);
}

TEST(frame_ipv4_bad_header_checksum_is_dropped)
{
	uint8_t f[400];
	size_t len = dhcp_discover(f);

	f[ETH_HDR_LEN + 10] ^= 0x01;
	CHECK(replies_to(f, len) == 0);
}

TEST(frame_ipv4_total_length_beyond_frame_is_dropped)
{
	uint8_t f[400];
	size_t len = dhcp_discover(f);

	CHECK(replies_to(f, len - 1) == 0);
}

TEST(frame_ipv4_fragment_is_dropped)
{
	uint8_t f[400], *ip = f + ETH_HDR_LEN;
	size_t len = dhcp_discover(f);

	ip[6] = 0x20;		/* more fragments */
	ip4_sum_set(ip);
	CHECK(replies_to(f, len) == 0);
}

TEST(frame_udp_bad_checksum_is_dropped_zero_checksum_accepted)
{
	uint8_t f[400], *udp = f + ETH_HDR_LEN + 20;
	struct ctx c;
	size_t len;

	harness_ctx(&c);
	len = dhcp_discover(f);
	udp[7] ^= 0x40;
	frame_input(&c, f, len);
	CHECK(replies() == 0);
	udp[6] = udp[7] = 0;	/* no checksum: allowed for UDP over IPv4 */
	frame_input(&c, f, len);
	CHECK(replies() == 1);
	harness_close(&c);
}

TEST(frame_router_solicitation_is_answered)
{
	uint8_t f[200];
	size_t len = router_solicit(f, false);

	CHECK(replies_to(f, len) == 1);
}

TEST(frame_ipv6_extension_header_is_walked)
{
	uint8_t f[200];
	size_t len = router_solicit(f, true);

	CHECK(replies_to(f, len) == 1);
}

TEST(frame_ipv6_bad_checksum_or_length_is_dropped)
{
	uint8_t f[200];
	struct ctx c;
	size_t len;

	harness_ctx(&c);
	len = router_solicit(f, false);
	f[len - 1] ^= 1;
	frame_input(&c, f, len);
	CHECK(replies() == 0);
	f[len - 1] ^= 1;
	frame_input(&c, f, len - 1);
	CHECK(replies() == 0);
	harness_close(&c);
}

TEST(frame_ipv6_fragment_is_dropped)
{
	uint8_t f[200];
	size_t len = router_solicit(f, true);

	f[ETH_HDR_LEN + 6] = 44;	/* fragment header */
	CHECK(replies_to(f, len) == 0);
}

TEST(frame_corrupted_packet_teaches_nothing)
{
	uint8_t f[400];
	struct ctx c;
	size_t len;

	harness_ctx(&c);
	memset(&c.ip4.addr_seen, 0, sizeof(c.ip4.addr_seen));
	len = dhcp_discover(f);
	memcpy(f + ETH_HDR_LEN + 12, "\xc0\x00\x02\x63", 4);
	ip4_sum_set(f + ETH_HDR_LEN);
	frame_input(&c, f, len);	/* UDP checksum now wrong */
	CHECK(!c.ip4.addr_seen.s_addr);
	replies();
	harness_close(&c);
}

TEST(frame_guest_mac_and_addresses_are_learned)
{
	uint8_t f[400];
	struct ctx c;

	harness_ctx(&c);
	memset(c.guest_mac, 0, 6);
	c.guest_mac_seen = false;
	frame_input(&c, f, router_solicit(f, false));
	CHECK(c.guest_mac_seen);
	CHECK(!memcmp(c.guest_mac, h_guest_mac, 6));
	CHECK(IN6_IS_ADDR_LINKLOCAL(&c.ip6.addr_ll_seen));
	replies();
	harness_close(&c);
}

TEST(frame_short_or_unknown_ethertype_is_dropped)
{
	uint8_t f[64] = { 0 };
	struct ctx c;

	harness_ctx(&c);
	frame_input(&c, f, 13);
	eth_put(f, 0x88cc);	/* LLDP */
	frame_input(&c, f, sizeof(f));
	eth_put(f, 0x0800);
	frame_input(&c, f, ETH_HDR_LEN + 19);
	CHECK(replies() == 0);
	harness_close(&c);
}

TEST(frame_loopback_sources_are_not_learned_as_guest_addresses)
{
	uint8_t f[200], *ip = f + ETH_HDR_LEN, *l4 = ip + 40;
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT, dst;
	struct ctx c;
	size_t len;

	harness_ctx(&c);
	memset(&c.ip6.addr_seen, 0, sizeof(c.ip6.addr_seen));
	len = router_solicit(f, false);
	memcpy(ip + 8, &lo, 16);
	memcpy(&dst, ip + 24, 16);
	icmp6_sum_set(&lo, &dst, l4);
	frame_input(&c, f, len);
	CHECK(IN6_IS_ADDR_UNSPECIFIED(&c.ip6.addr_seen));
	replies();
	harness_close(&c);
}
