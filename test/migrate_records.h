/* SPDX-License-Identifier: GPL-2.0-or-later
 * migrate_records.h - a synthetic migration section of numbered records
 *
 * Shared by the unit tests and the benchmark of the migration stream: the
 * source generates records_to_send records of RECORD_LEN bytes on the fly,
 * packed whole into chunks; the target checks each record's number and
 * contents and counts them in records_received. Neither side holds more than
 * one chunk, like a real section carrying socket queues.
 */
#ifndef MIGRATE_RECORDS_H
#define MIGRATE_RECORDS_H

#include <stdio.h>
#include <string.h>

#include "migrate.h"
#include "migrate_internal.h"

#define RECORD_LEN		32
#define RECORDS_SECTION_ID	100

static uint64_t records_to_send;
static uint64_t records_received;

/**
 * record_fill() - write record number @seq: its number, then a pattern
 * @p:		RECORD_LEN bytes
 * @seq:	record number
 */
static inline void record_fill(uint8_t *p, uint64_t seq)
{
	unsigned int i;

	migrate_put_be64(p, seq);
	for (i = 8; i < RECORD_LEN; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

/**
 * records_source() - source(): pack the next whole records into the chunk
 * @c:		execution context, unused
 * @cur:	cursor: @item is the next record number
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once every record was sent
 */
static inline ssize_t records_source(struct ctx *c, struct migrate_cursor *cur,
				     uint8_t *buf, size_t size)
{
	size_t n = 0;

	(void)c;
	for (; cur->item < records_to_send && size - n >= RECORD_LEN; n += RECORD_LEN)
		record_fill(buf + n, cur->item++);
	return (ssize_t)n;
}

/**
 * records_target() - target(): check each record arrives whole and in order
 * @c:		execution context, unused
 * @cur:	cursor: @item is the next record number expected
 * @buf:	chunk, NULL at the end of the section
 * @len:	its length
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static inline int records_target(struct ctx *c, struct migrate_cursor *cur,
				 const uint8_t *buf, size_t len)
{
	uint8_t want[RECORD_LEN];
	size_t off;

	(void)c;
	if (!buf) {
		records_received = cur->item;
		return 0;
	}
	if (len % RECORD_LEN) {
		snprintf(cur->why, sizeof(cur->why),
			 "chunk of %zu bytes is not whole records", len);
		return -EBADMSG;
	}
	for (off = 0; off < len; off += RECORD_LEN) {
		record_fill(want, cur->item);
		if (memcmp(want, buf + off, RECORD_LEN)) {
			snprintf(cur->why, sizeof(cur->why),
				 "record %llu is damaged",
				 (unsigned long long)cur->item);
			return -EBADMSG;
		}
		cur->item++;
	}
	return 0;
}

/**
 * records_section() - a row for the records section
 * @flags:	MIGRATE_SEC_OPTIONAL or 0
 * @max_len:	limit the target enforces
 *
 * Return: the row
 */
static inline struct migrate_section records_section(uint32_t flags,
						     uint64_t max_len)
{
	struct migrate_section s = {
		.name = "test records", .id = RECORDS_SECTION_ID,
		.flags = flags, .max_len = max_len,
		.source = records_source, .target = records_target,
	};

	return s;
}

#endif /* MIGRATE_RECORDS_H */
