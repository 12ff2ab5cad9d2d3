// SPDX-License-Identifier: GPL-2.0-or-later
/* test_crc32c.c - CRC-32C against published check values */

#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "crc32c.h"

/* The check value of the CRC catalogue: CRC of the ASCII digits 1..9 */
TEST(crc32c_check_value_of_digits)
{
	CHECK(crc32c(0, "123456789", 9) == 0xe3069283);
}

/* RFC 3720 (iSCSI) appendix B.4 test vectors */
TEST(crc32c_rfc3720_vectors)
{
	uint8_t buf[32];
	unsigned int i;

	memset(buf, 0, sizeof(buf));
	CHECK(crc32c(0, buf, sizeof(buf)) == 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	CHECK(crc32c(0, buf, sizeof(buf)) == 0x62a8ab43);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	CHECK(crc32c(0, buf, sizeof(buf)) == 0x46dd794e);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(31 - i);
	CHECK(crc32c(0, buf, sizeof(buf)) == 0x113fdb5c);
}

/* Continuing a CRC over pieces gives the CRC of the whole, at any split */
TEST(crc32c_continues_across_any_split)
{
	const char *text = "The quick brown fox jumps over the lazy dog 0123";
	size_t len = strlen(text), split;
	uint32_t whole = crc32c(0, text, len);

	for (split = 0; split <= len; split++)
		CHECK(crc32c(crc32c(0, text, split), text + split,
			     len - split) == whole);
}

/* The empty buffer leaves a CRC unchanged */
TEST(crc32c_of_nothing_is_identity)
{
	CHECK(crc32c(0, "", 0) == 0);
	CHECK(crc32c(0x12345678, "", 0) == 0x12345678);
}
