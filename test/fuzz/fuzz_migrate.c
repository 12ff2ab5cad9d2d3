// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_migrate.c - libFuzzer target: the migration stream reader (target)
 *
 * Each input is read as a whole migration stream by the target-side reader
 * with the daemon's own versions table, restoring into a scratch context, in
 * two pieces split at an input-dependent point so that both the in-place and
 * the reassembly paths run.
 *
 * Random bytes almost never carry valid CRC-32C checksums, so the custom
 * mutator usually rewrites every checksum field it can find after mutating,
 * and now and then starts over from a freshly written valid stream: the
 * fuzzer then reaches the section handlers, not only the framing.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "log.h"
#include "passt.h"
#include "migrate.h"
#include "migrate_internal.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/**
 * LLVMFuzzerInitialize() - keep the log quiet: only errors
 * @argc:	unused
 * @argv:	unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	return 0;
}

/**
 * valid_stream() - write a valid stream of the newest version into @data
 * @data:	destination
 * @max_size:	its size
 * @seed:	varies the context the stream is written from
 *
 * Return: length of the stream, 0 if it does not fit
 */
static size_t valid_stream(uint8_t *data, size_t max_size, unsigned int seed)
{
	static struct migrate_writer w;
	static struct ctx c;
	const uint8_t *buf;
	size_t len, total = 0;

	memset(&c, 0, sizeof(c));
	c.guest_mac_seen = seed & 1;
	c.guest_mac[0] = 0x02;
	c.guest_mac[5] = (uint8_t)seed;
	c.our_mac[0] = 0x02;
	c.our_mac[1] = (uint8_t)(seed >> 8);
	c.mtu = 1500 + (int)(seed % 64000);
	c.ip4.addr_seen.s_addr = htonl(0xc0000200 | (seed & 0xff));
	c.ip6.addr_ll_seen.s6_addr[0] = 0xfe;
	c.ip6.addr_ll_seen.s6_addr[1] = 0x80;
	c.ip6.addr_ll_seen.s6_addr[15] = (uint8_t)seed;
	if (migrate_writer_init(&w, &c, &migrate_builtin, 0))
		return 0;
	while (!migrate_writer_next(&w, &buf, &len)) {
		if (len > max_size - total)
			return 0;
		memcpy(data + total, buf, len);
		total += len;
		migrate_writer_consumed(&w, len);
	}
	return total;
}

/**
 * fix_checksums() - rewrite every checksum field to match the bytes
 * @data:	stream, as far as it can be walked
 * @size:	its length
 */
static void fix_checksums(uint8_t *data, size_t size)
{
	size_t pos, hlen;
	uint32_t crc;

	if (size < MIGRATE_FIXED_LEN + 4)
		return;
	hlen = migrate_get_be32(data + MIGRATE_FIXED_LEN);
	if (hlen > MIGRATE_VHDR_MAX || MIGRATE_FIXED_LEN + hlen + 4 > size)
		return;
	pos = MIGRATE_FIXED_LEN + hlen;
	migrate_put_be32(data + pos, crc32c(0, data, pos));
	pos += 4;

	while (pos + MIGRATE_SEC_HDR_LEN <= size) {
		if (migrate_get_be32(data + pos) == MIGRATE_SEC_END)
			return;
		crc = crc32c(0, data + pos, MIGRATE_SEC_HDR_LEN);
		pos += MIGRATE_SEC_HDR_LEN;
		while (pos + MIGRATE_CHUNK_HDR_LEN <= size) {
			size_t len = migrate_get_be32(data + pos);

			if (len > size - pos - MIGRATE_CHUNK_HDR_LEN)
				return;
			crc = crc32c(crc, data + pos + MIGRATE_CHUNK_HDR_LEN,
				     len);
			migrate_put_be32(data + pos + 4, crc);
			pos += MIGRATE_CHUNK_HDR_LEN + len;
			if (!len)
				break;
		}
	}
}

/**
 * LLVMFuzzerCustomMutator() - mutate, then usually repair the checksums
 * @data:	input to mutate in place
 * @size:	its length
 * @max_size:	room in @data
 * @seed:	randomness from libFuzzer
 *
 * Return: new length
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	if (seed % 32 == 0 || size < MIGRATE_FIXED_LEN) {
		size_t fresh = valid_stream(data, max_size, seed);

		if (fresh)
			size = fresh;
	}
	size = LLVMFuzzerMutate(data, size, max_size);
	if (seed % 8)
		fix_checksums(data, size);
	return size;
}

/**
 * LLVMFuzzerTestOneInput() - read one input as a stream
 * @data:	stream bytes
 * @size:	their length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct migrate_reader r;
	static struct ctx c;
	size_t split = size ? (size_t)data[size - 1] * size / 256 : 0;

	memset(&c, 0, sizeof(c));
	migrate_reader_init(&r, &c, &migrate_builtin, false, NULL);
	if (!migrate_reader_feed(&r, data, split) &&
	    !migrate_reader_feed(&r, data + split, size - split))
		migrate_reader_finish(&r);
	return 0;
}
