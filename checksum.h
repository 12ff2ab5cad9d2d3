/* SPDX-License-Identifier: GPL-2.0-or-later
 * checksum.h - Internet checksums (RFC 1071)
 */
#ifndef CHECKSUM_H
#define CHECKSUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

uint32_t csum_add(const void *buf, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);
uint16_t csum_plain(const void *buf, size_t len);
uint32_t csum_pseudo_ip4(struct in_addr src, struct in_addr dst,
			 uint8_t proto, size_t len);
uint32_t csum_pseudo_ip6(const struct in6_addr *src,
			 const struct in6_addr *dst, uint8_t proto, size_t len);
uint16_t csum_l4_ip4(struct in_addr src, struct in_addr dst, uint8_t proto,
		     const void *l4, size_t len);
uint16_t csum_l4_ip6(const struct in6_addr *src, const struct in6_addr *dst,
		     uint8_t proto, const void *l4, size_t len);

#endif /* CHECKSUM_H */
