// SPDX-License-Identifier: GPL-2.0-or-later
/* crc32c.c - CRC-32C (Castagnoli), table-driven, eight bytes a step
 *
 * The reflected polynomial 0x82F63B78, initial value and final XOR ~0, as in
 * iSCSI (RFC 3720) and ext4. Eight tables let the loop fold eight input bytes
 * per iteration ("slicing by 8"): table[k][b] is the CRC of byte b followed by
 * k zero bytes. They are computed once, on first use.
 */

#include <stdbool.h>

#include "crc32c.h"

#define CRC32C_POLY_REFLECTED	0x82f63b78U

static uint32_t crc32c_table[8][256];
static bool crc32c_table_ready;

/**
 * crc32c_table_init() - compute the eight lookup tables
 */
static void crc32c_table_init(void)
{
	unsigned int b, k, bit;

	for (b = 0; b < 256; b++) {
		uint32_t crc = b;

		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc32c_table[0][b] = crc;
	}
	for (b = 0; b < 256; b++)
		for (k = 1; k < 8; k++)
			crc32c_table[k][b] = (crc32c_table[k - 1][b] >> 8) ^
				crc32c_table[0][crc32c_table[k - 1][b] & 0xff];
	crc32c_table_ready = true;
}

/**
 * crc32c() - compute or continue a CRC-32C
 * @crc:	CRC of the data before @buf, or 0 to start
 * @buf:	data
 * @len:	length of @buf in bytes
 *
 * crc32c(crc32c(0, a, la), b, lb) equals the CRC of a followed by b.
 *
 * Return: CRC-32C of the data so far
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc32c_table_ready)
		crc32c_table_init();

	crc = ~crc;
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

		crc = crc32c_table[7][lo & 0xff] ^
		      crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^
		      crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][p[4]] ^ crc32c_table[2][p[5]] ^
		      crc32c_table[1][p[6]] ^ crc32c_table[0][p[7]];
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}
