// SPDX-License-Identifier: GPL-2.0-or-later
/* test_checksum.c - Internet checksums: known vectors and a reference sum */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "harness.h"
#include "unit.h"

/**
 * ref_csum() - bytewise reference checksum, big-endian 16-bit words
 * @buf:	data
 * @len:	length
 * @sum:	starting sum
 *
 * Return: checksum in host order
 */
static uint16_t ref_csum(const uint8_t *buf, size_t len, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * fill_pattern() - deterministic pseudo-random bytes
 * @buf:	destination
 * @len:	length
 * @seed:	pattern seed
 */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

TEST(checksum_rfc1071_example_sums_to_0x220d)
{
	/* RFC 1071, 3: the sum of these words is 0xddf2 */
	const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK(ntohs(csum_plain(b, sizeof(b))) == 0x220d);
}

TEST(checksum_ipv4_header_known_value_and_verifies_to_zero)
{
	uint8_t h[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7,
	};
	uint16_t cs = csum_plain(h, sizeof(h));

	CHECK(ntohs(cs) == 0xb861);
	memcpy(h + 10, &cs, 2);
	CHECK(csum_plain(h, sizeof(h)) == 0);
}

TEST(checksum_odd_length_pads_with_zero)
{
	const uint8_t b[] = { 0x12, 0x34, 0x56 };

	/* 0x1234 + 0x5600 = 0x6834 */
	CHECK(ntohs(csum_plain(b, sizeof(b))) == (uint16_t)~0x6834);
}

TEST(checksum_matches_reference_for_every_length_and_alignment)
{
	static uint8_t buf[300 + 8];
	size_t len, align;

	fill_pattern(buf, sizeof(buf), 1);
	for (align = 0; align < 8; align++)
		for (len = 0; len <= 300; len++)
			CHECK(ntohs(csum_plain(buf + align, len)) ==
			      ref_csum(buf + align, len, 0));
}

TEST(checksum_64k_of_0xff_folds_carries)
{
	static uint8_t buf[65536];

	memset(buf, 0xff, sizeof(buf));
	CHECK(ntohs(csum_plain(buf, sizeof(buf))) ==
	      ref_csum(buf, sizeof(buf), 0));
	CHECK(csum_plain(buf, sizeof(buf)) == 0);
	fill_pattern(buf, sizeof(buf), 7);
	CHECK(ntohs(csum_plain(buf, 65535)) == ref_csum(buf, 65535, 0));
}

TEST(checksum_chained_even_pieces_equal_whole)
{
	uint8_t buf[1000];
	uint32_t sum;

	fill_pattern(buf, sizeof(buf), 3);
	sum = csum_add(buf, 2, 0);
	sum = csum_add(buf + 2, 126, sum);
	sum = csum_add(buf + 128, 6, sum);
	sum = csum_add(buf + 134, 865, sum);
	CHECK(csum_fold(sum) == csum_plain(buf, 999));
}

TEST(checksum_udp_ipv4_known_vector)
{
	/* 192.0.2.1:67 -> 192.0.2.10:68 "hello", computed independently */
	uint8_t udp[] = { 0, 67, 0, 68, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o' };
	uint16_t cs = csum_l4_ip4(h_ip4("192.0.2.1"), h_ip4("192.0.2.10"),
				  IPPROTO_UDP, udp, sizeof(udp));

	CHECK(ntohs(cs) == 0x376f);
	memcpy(udp + 6, &cs, 2);
	CHECK(csum_l4_ip4(h_ip4("192.0.2.1"), h_ip4("192.0.2.10"),
			  IPPROTO_UDP, udp, sizeof(udp)) == 0);
}

TEST(checksum_icmpv6_known_vector)
{
	/* Echo request fe80::1 -> ff02::1, id 0x1234 seq 1 "abc" */
	uint8_t icmp[] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1, 'a', 'b', 'c' };
	struct in6_addr src = h_ip6("fe80::1"), dst = h_ip6("ff02::1");
	uint16_t cs = csum_l4_ip6(&src, &dst, IPPROTO_ICMPV6, icmp,
				  sizeof(icmp));

	CHECK(ntohs(cs) == 0xab9c);
	memcpy(icmp + 2, &cs, 2);
	CHECK(csum_l4_ip6(&src, &dst, IPPROTO_ICMPV6, icmp, sizeof(icmp)) == 0);
}

TEST(checksum_pseudo_header_changes_with_each_field)
{
	uint8_t udp[] = { 0, 1, 0, 2, 0, 8, 0, 0 };
	struct in_addr a = h_ip4("192.0.2.1"), b = h_ip4("192.0.2.2");
	uint16_t base = csum_l4_ip4(a, b, IPPROTO_UDP, udp, sizeof(udp));

	CHECK(csum_l4_ip4(b, b, IPPROTO_UDP, udp, sizeof(udp)) != base);
	CHECK(csum_l4_ip4(a, a, IPPROTO_UDP, udp, sizeof(udp)) != base);
	CHECK(csum_l4_ip4(a, b, IPPROTO_TCP, udp, sizeof(udp)) != base);
	/* Swapping source and destination leaves the sum alone */
	CHECK(csum_l4_ip4(b, a, IPPROTO_UDP, udp, sizeof(udp)) == base);
}
