// SPDX-License-Identifier: GPL-2.0-or-later
/* checksum.c - Internet checksums (RFC 1071), with IPv4/IPv6 pseudo-headers
 *
 * Sums are kept in the machine's byte order over the bytes as they lie in
 * memory: the one's complement sum is independent of byte order (RFC 1071,
 * section 2 B), so the folded result can be stored into a header as it is.
 */

#include <string.h>

#include "checksum.h"

/**
 * add_carry64() - one's complement addition of two 64-bit values
 * @a:		first addend
 * @b:		second addend
 *
 * Return: @a + @b with the end-around carry
 */
static inline uint64_t add_carry64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/**
 * load64() - read 8 bytes from a possibly unaligned address
 * @p:		source
 *
 * Return: the bytes as a native 64-bit value
 */
static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/**
 * csum_add() - add a buffer to a partial one's complement sum
 * @buf:	data; only the last buffer of a chain may have an odd length
 * @len:	length of @buf in bytes
 * @sum:	partial sum so far (0 to start)
 *
 * Return: new partial sum, not folded, not inverted
 */
uint32_t csum_add(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Four independent loads per round keep the adder busy */
	for (; len >= 32; p += 32, len -= 32) {
		acc = add_carry64(acc, load64(p));
		acc = add_carry64(acc, load64(p + 8));
		acc = add_carry64(acc, load64(p + 16));
		acc = add_carry64(acc, load64(p + 24));
	}
	for (; len >= 8; p += 8, len -= 8)
		acc = add_carry64(acc, load64(p));
	if (len) {
		uint8_t tail[8] = { 0 };

		/* Zero padding to a whole word is what RFC 1071 asks for */
		memcpy(tail, p, len);
		acc = add_carry64(acc, load64(tail));
	}

	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * csum_fold() - fold a partial sum to 16 bits and take its complement
 * @sum:	partial sum from csum_add()
 *
 * Return: checksum field value, in network order as stored in a header
 */
uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_plain() - checksum of one buffer, such as an IPv4 header
 * @buf:	data
 * @len:	length of @buf
 *
 * Return: checksum field value; 0 when @buf holds a correct checksum
 */
uint16_t csum_plain(const void *buf, size_t len)
{
	return csum_fold(csum_add(buf, len, 0));
}

/**
 * csum_pseudo_ip4() - partial sum of an IPv4 pseudo-header (RFC 768, 793)
 * @src:	source address
 * @dst:	destination address
 * @proto:	IP protocol number
 * @len:	transport header and payload length
 *
 * Return: partial sum, to continue with csum_add() over the L4 bytes
 */
uint32_t csum_pseudo_ip4(struct in_addr src, struct in_addr dst,
			 uint8_t proto, size_t len)
{
	struct {
		struct in_addr src;
		struct in_addr dst;
		uint8_t zero;
		uint8_t proto;
		uint16_t len;
	} __attribute__((packed)) ph = {
		src, dst, 0, proto, htons((uint16_t)len),
	};

	return csum_add(&ph, sizeof(ph), 0);
}

/**
 * csum_pseudo_ip6() - partial sum of an IPv6 pseudo-header (RFC 8200, 8.1)
 * @src:	source address
 * @dst:	destination address
 * @proto:	upper-layer protocol number
 * @len:	upper-layer packet length
 *
 * Return: partial sum, to continue with csum_add() over the L4 bytes
 */
uint32_t csum_pseudo_ip6(const struct in6_addr *src,
			 const struct in6_addr *dst, uint8_t proto, size_t len)
{
	struct {
		struct in6_addr src;
		struct in6_addr dst;
		uint32_t len;
		uint8_t zero[3];
		uint8_t proto;
	} __attribute__((packed)) ph = {
		*src, *dst, htonl((uint32_t)len), { 0 }, proto,
	};

	return csum_add(&ph, sizeof(ph), 0);
}

/**
 * csum_l4_ip4() - transport checksum over an IPv4 pseudo-header and data
 * @src:	source address
 * @dst:	destination address
 * @proto:	IP protocol number
 * @l4:		transport header and payload
 * @len:	length of @l4
 *
 * Return: checksum field value (with the field zeroed in @l4), or 0 if
 *	   @l4 carries a correct checksum
 */
uint16_t csum_l4_ip4(struct in_addr src, struct in_addr dst, uint8_t proto,
		     const void *l4, size_t len)
{
	return csum_fold(csum_add(l4, len,
				  csum_pseudo_ip4(src, dst, proto, len)));
}

/**
 * csum_l4_ip6() - upper-layer checksum over an IPv6 pseudo-header and data
 * @src:	source address
 * @dst:	destination address
 * @proto:	upper-layer protocol number
 * @l4:		upper-layer header and payload
 * @len:	length of @l4
 *
 * Return: checksum field value (with the field zeroed in @l4), or 0 if
 *	   @l4 carries a correct checksum
 */
uint16_t csum_l4_ip6(const struct in6_addr *src, const struct in6_addr *dst,
		     uint8_t proto, const void *l4, size_t len)
{
	return csum_fold(csum_add(l4, len,
				  csum_pseudo_ip6(src, dst, proto, len)));
}
