// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ip.c - Ethernet, IPv4 and IPv6 framing of packets to the guest */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "checksum.h"
#include "harness.h"
#include "ip.h"
#include "unit.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * frame_ip4() - receive one frame and check its Ethernet and IPv4 headers
 * @f:		frame buffer, FRAME_MAX bytes
 * @mac:	expected destination MAC address
 * @proto:	expected protocol
 * @l4len:	expected transport length
 *
 * Return: true if all matches and the header checksum is correct
 */
static bool frame_ip4(uint8_t *f, const uint8_t *mac, uint8_t proto,
		      size_t l4len)
{
	int len = harness_recv(f, FRAME_MAX);
	struct iphdr h, *ip = &h;

	memcpy(&h, f + ETH_HDR_LEN, sizeof(h));
	return len == (int)(ETH_HDR_LEN + IP4_HDR_LEN + l4len) &&
	       !memcmp(f, mac, 6) && !memcmp(f + 6, h_our_mac, 6) &&
	       f[12] == 0x08 && f[13] == 0x00 &&
	       ip->version == 4 && ip->ihl == 5 &&
	       ntohs(ip->tot_len) == IP4_HDR_LEN + l4len &&
	       ntohs(ip->frag_off) == IP_DF && ip->ttl == 64 &&
	       ip->protocol == proto &&
	       csum_plain(f + ETH_HDR_LEN, IP4_HDR_LEN) == 0;
}

TEST(ip4_send_udp_frame_with_checksums)
{
	static uint8_t f[FRAME_MAX];
	uint8_t udp[8 + 5] = { 0x12, 0x34, 0x00, 0x35, 0, 13, 0xaa, 0xbb,
			       'h', 'e', 'l', 'l', 'o' };
	struct in_addr src = h_ip4(H_GW4), dst = h_ip4(H_GUEST4);
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip4_send(&c, src, dst, IPPROTO_UDP, udp, sizeof(udp)) == 0);
	CHECK(frame_ip4(f, h_guest_mac, IPPROTO_UDP, sizeof(udp)));
	CHECK(!memcmp(f + 26, &src, 4) && !memcmp(f + 30, &dst, 4));
	CHECK(!memcmp(f + 34, udp, 6) && !memcmp(f + 42, udp + 8, 5));
	CHECK(csum_l4_ip4(src, dst, IPPROTO_UDP, f + 34, sizeof(udp)) == 0);
	/* The caller's buffer is left as it was */
	CHECK(udp[6] == 0xaa && udp[7] == 0xbb);
	CHECK(harness_recv(f, FRAME_MAX) == -1);
	harness_close(&c);
}

TEST(ip4_send_tcp_checksum_at_offset_16)
{
	static uint8_t f[FRAME_MAX], tcp[20 + 1000];
	struct in_addr src = h_ip4("198.51.100.7"), dst = h_ip4(H_GUEST4);
	struct ctx c;
	size_t i;

	for (i = 0; i < sizeof(tcp); i++)
		tcp[i] = (uint8_t)(i * 7);
	harness_ctx(&c);
	CHECK(ip4_send(&c, src, dst, IPPROTO_TCP, tcp, sizeof(tcp)) == 0);
	CHECK(frame_ip4(f, h_guest_mac, IPPROTO_TCP, sizeof(tcp)));
	CHECK(csum_l4_ip4(src, dst, IPPROTO_TCP, f + 34, sizeof(tcp)) == 0);
	CHECK(!memcmp(f + 34, tcp, 16));
	CHECK(!memcmp(f + 34 + 18, tcp + 18, sizeof(tcp) - 18));
	harness_close(&c);
}

TEST(ip4_send_icmp_checksum_without_pseudo_header)
{
	static uint8_t f[FRAME_MAX];
	uint8_t icmp[8 + 3] = { 0, 0, 0x55, 0x55, 0, 1, 0, 2, 'x', 'y', 'z' };
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4(H_GUEST4), IPPROTO_ICMP,
		       icmp, sizeof(icmp)) == 0);
	CHECK(frame_ip4(f, h_guest_mac, IPPROTO_ICMP, sizeof(icmp)));
	CHECK(csum_plain(f + 34, sizeof(icmp)) == 0);
	harness_close(&c);
}

TEST(ip4_send_udp_zero_checksum_goes_out_as_ffff)
{
	static uint8_t f[FRAME_MAX];
	uint8_t udp[10] = { 0, 1, 0, 2, 0, 10, 0, 0, 0, 0 };
	struct in_addr src = h_ip4(H_GW4), dst = h_ip4(H_GUEST4);
	uint16_t fix, cs;
	struct ctx c;

	/* Put the would-be checksum in the payload: the sum becomes 0xffff */
	fix = csum_l4_ip4(src, dst, IPPROTO_UDP, udp, sizeof(udp));
	memcpy(udp + 8, &fix, 2);
	CHECK(csum_l4_ip4(src, dst, IPPROTO_UDP, udp, sizeof(udp)) == 0);

	harness_ctx(&c);
	CHECK(ip4_send(&c, src, dst, IPPROTO_UDP, udp, sizeof(udp)) == 0);
	CHECK(frame_ip4(f, h_guest_mac, IPPROTO_UDP, sizeof(udp)));
	memcpy(&cs, f + 34 + 6, 2);
	CHECK(cs == 0xffff);
	harness_close(&c);
}

TEST(ip4_send_broadcast_before_guest_mac_is_known)
{
	static uint8_t f[FRAME_MAX];
	uint8_t udp[8] = { 0, 67, 0, 68, 0, 8, 0, 0 };
	struct ctx c;

	harness_ctx(&c);
	c.guest_mac_seen = false;
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4(H_GUEST4), IPPROTO_UDP,
		       udp, sizeof(udp)) == 0);
	CHECK(frame_ip4(f, bcast, IPPROTO_UDP, sizeof(udp)));

	/* A broadcast destination is broadcast even once the MAC is known */
	c.guest_mac_seen = true;
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4("255.255.255.255"),
		       IPPROTO_UDP, udp, sizeof(udp)) == 0);
	CHECK(frame_ip4(f, bcast, IPPROTO_UDP, sizeof(udp)));
	harness_close(&c);
}

TEST(ip4_send_multicast_maps_group_mac)
{
	static uint8_t f[FRAME_MAX];
	const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x7f, 0x00, 0xfb };
	uint8_t udp[8] = { 0x14, 0xe9, 0x14, 0xe9, 0, 8, 0, 0 };
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4("239.255.0.251"), IPPROTO_UDP,
		       udp, sizeof(udp)) == 0);
	CHECK(frame_ip4(f, mac, IPPROTO_UDP, sizeof(udp)));
	harness_close(&c);
}

TEST(ip4_send_refuses_short_transport_header_and_oversize)
{
	static uint8_t big[65536];
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4(H_GUEST4), IPPROTO_TCP,
		       big, 17) == -EINVAL);
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4(H_GUEST4), IPPROTO_UDP,
		       big, 65535 - 19) == -EMSGSIZE);
	CHECK(harness_recv(big, sizeof(big)) == -1);
	harness_close(&c);
}

TEST(ip4_send_without_guest_is_not_connected)
{
	uint8_t udp[8] = { 0 };
	struct ctx c;

	harness_ctx(&c);
	harness_close(&c);
	CHECK(ip4_send(&c, h_ip4(H_GW4), h_ip4(H_GUEST4), IPPROTO_UDP,
		       udp, sizeof(udp)) == -ENOTCONN);
}

/**
 * frame_ip6() - receive one frame and check its Ethernet and IPv6 headers
 * @f:		frame buffer, FRAME_MAX bytes
 * @mac:	expected destination MAC address
 * @proto:	expected next header
 * @l4len:	expected payload length
 *
 * Return: true if all matches
 */
static bool frame_ip6(uint8_t *f, const uint8_t *mac, uint8_t proto,
		      size_t l4len)
{
	int len = harness_recv(f, FRAME_MAX);
	struct ip6_hdr h, *ip6 = &h;

	memcpy(&h, f + ETH_HDR_LEN, sizeof(h));
	return len == (int)(ETH_HDR_LEN + IP6_HDR_LEN + l4len) &&
	       !memcmp(f, mac, 6) && !memcmp(f + 6, h_our_mac, 6) &&
	       f[12] == 0x86 && f[13] == 0xdd && (f[14] >> 4) == 6 &&
	       ntohs(ip6->ip6_plen) == l4len && ip6->ip6_nxt == proto &&
	       ip6->ip6_hlim == 255;
}

TEST(ip6_send_icmpv6_with_checksum_to_guest_mac)
{
	static uint8_t f[FRAME_MAX];
	uint8_t icmp[8] = { 129, 0, 0x11, 0x11, 0, 1, 0, 1 };
	struct in6_addr src = h_ip6(H_GW6), dst = h_ip6(H_GUEST6);
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip6_send(&c, &src, &dst, IPPROTO_ICMPV6, icmp,
		       sizeof(icmp)) == 0);
	CHECK(frame_ip6(f, h_guest_mac, IPPROTO_ICMPV6, sizeof(icmp)));
	CHECK(!memcmp(f + 22, &src, 16) && !memcmp(f + 38, &dst, 16));
	CHECK(csum_l4_ip6(&src, &dst, IPPROTO_ICMPV6, f + 54,
			  sizeof(icmp)) == 0);
	harness_close(&c);
}

TEST(ip6_send_udp_and_tcp_checksums)
{
	static uint8_t f[FRAME_MAX], l4[1401];
	struct in6_addr src = h_ip6("2001:db8::99"), dst = h_ip6(H_GUEST6);
	struct ctx c;
	size_t i;

	for (i = 0; i < sizeof(l4); i++)
		l4[i] = (uint8_t)(i * 13 + 1);
	harness_ctx(&c);
	CHECK(ip6_send(&c, &src, &dst, IPPROTO_UDP, l4, sizeof(l4)) == 0);
	CHECK(frame_ip6(f, h_guest_mac, IPPROTO_UDP, sizeof(l4)));
	CHECK(csum_l4_ip6(&src, &dst, IPPROTO_UDP, f + 54, sizeof(l4)) == 0);
	CHECK(ip6_send(&c, &src, &dst, IPPROTO_TCP, l4, sizeof(l4)) == 0);
	CHECK(frame_ip6(f, h_guest_mac, IPPROTO_TCP, sizeof(l4)));
	CHECK(csum_l4_ip6(&src, &dst, IPPROTO_TCP, f + 54, sizeof(l4)) == 0);
	harness_close(&c);
}

TEST(ip6_send_multicast_and_unknown_guest_macs)
{
	static uint8_t f[FRAME_MAX];
	const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x10 };
	const uint8_t all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct in6_addr src = h_ip6(H_OUR_LL);
	struct in6_addr sol = h_ip6("ff02::1:ff00:10");
	struct in6_addr dst = h_ip6(H_GUEST6);
	uint8_t icmp[8] = { 0 };
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip6_send(&c, &src, &sol, IPPROTO_ICMPV6, icmp, 8) == 0);
	CHECK(frame_ip6(f, mc, IPPROTO_ICMPV6, 8));
	c.guest_mac_seen = false;
	CHECK(ip6_send(&c, &src, &dst, IPPROTO_ICMPV6, icmp, 8) == 0);
	CHECK(frame_ip6(f, all_nodes, IPPROTO_ICMPV6, 8));
	harness_close(&c);
}

TEST(ip6_send_refuses_icmpv4_and_oversize)
{
	static uint8_t big[65536];
	struct in6_addr a = h_ip6(H_GW6), b = h_ip6(H_GUEST6);
	struct ctx c;

	harness_ctx(&c);
	CHECK(ip6_send(&c, &a, &b, IPPROTO_ICMP, big, 8) == -EINVAL);
	CHECK(ip6_send(&c, &a, &b, IPPROTO_UDP, big, 65536) == -EMSGSIZE);
	CHECK(harness_recv(big, sizeof(big)) == -1);
	harness_close(&c);
}

TEST(eth_send_builds_ethernet_header)
{
	static uint8_t f[FRAME_MAX];
	const uint8_t payload[28] = { 0, 1, 8, 0, 6, 4, 0, 2 };
	struct ctx c;

	harness_ctx(&c);
	CHECK(eth_send(&c, h_guest_mac, ETH_P_ARP, payload,
		       sizeof(payload)) == 0);
	CHECK(harness_recv(f, sizeof(f)) == ETH_HDR_LEN + sizeof(payload));
	CHECK(!memcmp(f, h_guest_mac, 6) && !memcmp(f + 6, h_our_mac, 6));
	CHECK(f[12] == 0x08 && f[13] == 0x06);
	CHECK(!memcmp(f + 14, payload, sizeof(payload)));
	harness_close(&c);
}
