/* SPDX-License-Identifier: GPL-2.0-or-later
 * migrate_internal.h - migration stream internals: versions, reader, writer
 *
 * For migrate.c, migrate_stream.c, and the tests, fuzz target and benchmark
 * of the stream. Nothing else in the daemon includes this header.
 */
#ifndef MIGRATE_INTERNAL_H
#define MIGRATE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "migrate.h"

#define MIGRATE_MAGIC		0x50415353544d4947ULL	/* "PASSTMIG" */
#define MIGRATE_FIXED_LEN	16
#define MIGRATE_VHDR_MAX	4096	/* limit of a per-version header */
#define MIGRATE_SECTIONS_MAX	64	/* distinct sections in one stream */
#define MIGRATE_SEC_END		0	/* section id of the end marker */
#define MIGRATE_SEC_HDR_LEN	8	/* id, flags */
#define MIGRATE_CHUNK_HDR_LEN	8	/* length, checksum */
#define MIGRATE_WRITER_LEN	16	/* writer name field, NUL-padded */
#define MIGRATE_WRITER_VER_LEN	32	/* writer version field, NUL-padded */

/**
 * struct migrate_header - the headers of a stream, as parsed and checked
 * @version:		fixed header: version the stream is written in
 * @compat:		fixed header: oldest version that can read it
 * @length:		per-version header: its length, length field included
 * @features:		per-version header: MIGRATE_SEC feature bits announced
 * @writer:		per-version header: name of the writing program
 * @writer_version:	per-version header: its version string
 * @written_at_ms:	per-version header, version 2 on: writer's wall clock
 *			in ms since the epoch, 0 if absent
 */
struct migrate_header {
	uint32_t version;
	uint32_t compat;
	uint32_t length;
	uint32_t features;
	char writer[MIGRATE_WRITER_LEN + 1];
	char writer_version[MIGRATE_WRITER_VER_LEN + 1];
	uint64_t written_at_ms;
};

/**
 * migrate_get_be32() - read a 32-bit big-endian value
 * @p:		first byte
 *
 * Return: the value
 */
static inline uint32_t migrate_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * migrate_get_be64() - read a 64-bit big-endian value
 * @p:		first byte
 *
 * Return: the value
 */
static inline uint64_t migrate_get_be64(const uint8_t *p)
{
	return (uint64_t)migrate_get_be32(p) << 32 | migrate_get_be32(p + 4);
}

/**
 * migrate_put_be32() - write a 32-bit value big-endian
 * @p:		first byte
 * @v:		value
 */
static inline void migrate_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * migrate_put_be64() - write a 64-bit value big-endian
 * @p:		first byte
 * @v:		value
 */
static inline void migrate_put_be64(uint8_t *p, uint64_t v)
{
	migrate_put_be32(p, (uint32_t)(v >> 32));
	migrate_put_be32(p + 4, (uint32_t)v);
}

struct migrate_reader;

/**
 * struct migrate_version - one supported version of the stream format
 * @id:			version number
 * @compat:		compat_version written with it: oldest compatible reader
 * @header_min:		least per-version header length this version reads
 * @read_header:	parse and check the per-version header body (after its
 *			length field) at @buf, @len bytes, @base its offset in
 *			the stream, into @r->hdr; 0 or migrate_reader_fail()
 * @write_header:	write the body of the per-version header announcing
 *			@features into @buf (@size bytes); return its length
 * @sections:		section handlers, in stream order
 * @section_count:	number of entries in @sections
 */
struct migrate_version {
	uint32_t id;
	uint32_t compat;
	uint32_t header_min;
	int (*read_header)(struct migrate_reader *r, const uint8_t *buf,
			   size_t len, uint64_t base);
	size_t (*write_header)(const struct ctx *c, uint32_t features,
			       uint8_t *buf, size_t size);
	const struct migrate_section *sections;
	size_t section_count;
};

/**
 * struct migrate_table - the versions a daemon knows, oldest first
 * @versions:	entries, by increasing id
 * @count:	number of entries
 */
struct migrate_table {
	const struct migrate_version *versions;
	size_t count;
};

/**
 * enum migrate_rstate - what the reader expects next
 */
enum migrate_rstate {
	MIGRATE_R_FIXED,	/* fixed header */
	MIGRATE_R_VHDR_LEN,	/* length of the per-version header */
	MIGRATE_R_VHDR,		/* per-version header body and checksum */
	MIGRATE_R_SEC_HDR,	/* section header or end marker */
	MIGRATE_R_CHUNK_HDR,	/* chunk header, length 0 ends the section */
	MIGRATE_R_CHUNK,	/* chunk payload */
	MIGRATE_R_DONE,		/* end marker read: only end of file may follow */
	MIGRATE_R_FAILED,	/* refused: see @error */
};

/**
 * struct migrate_reader - target side: a push parser of one stream
 * @c:		context the sections are restored into
 * @table:	versions this reader knows
 * @v:		version chosen by negotiation, NULL before
 * @listing:	if not NULL, a readable account of the stream is printed here
 * @dry_run:	validate sections only, restore nothing (inspect, fuzzing)
 * @state:	what is expected next
 * @offset:	bytes of the stream consumed so far
 * @need:	bytes of the element being assembled
 * @have:	bytes of it already in @stage
 * @hdr:	headers as parsed
 * @header_read: @hdr is complete and checked
 * @sec:	handler of the current section, NULL if it is skipped
 * @sec_id:	id of the current section
 * @sec_flags:	flags of the current section
 * @sec_offset:	stream offset of the current section's header
 * @sec_len:	payload bytes of the current section so far
 * @sec_chunks:	chunks of the current section so far
 * @chunk_len:	length of the chunk being read
 * @chunk_crc:	checksum the stream gives for it
 * @crc:	running CRC-32C: headers, then the current section
 * @cur:	cursor handed to the current section's target()
 * @last_index:	table index of the last known section read, -1 before
 * @seen:	ids of the sections read so far
 * @seen_count:	entries in @seen
 * @where:	what is being read, for messages
 * @error:	why the stream was refused: what, where (offset) and why
 * @result:	0, or the negative error code of the refusal
 * @stage:	assembly buffer for an element split across reads
 */
struct migrate_reader {
	struct ctx *c;
	const struct migrate_table *table;
	const struct migrate_version *v;
	FILE *listing;
	bool dry_run;
	enum migrate_rstate state;
	uint64_t offset;
	size_t need;
	size_t have;
	struct migrate_header hdr;
	bool header_read;
	const struct migrate_section *sec;
	uint32_t sec_id;
	uint32_t sec_flags;
	uint64_t sec_offset;
	uint64_t sec_len;
	uint64_t sec_chunks;
	uint32_t chunk_len;
	uint32_t chunk_crc;
	uint32_t crc;
	struct migrate_cursor cur;
	int last_index;
	uint32_t seen[MIGRATE_SECTIONS_MAX];
	unsigned int seen_count;
	char where[96];
	char error[384];
	int result;
	uint8_t stage[MIGRATE_CHUNK_MAX];
};

/* Output buffer of the writer: headers, then up to two whole chunks */
#define MIGRATE_OUT_SIZE	(MIGRATE_FIXED_LEN + 8 + MIGRATE_VHDR_MAX + \
				 2 * (MIGRATE_SEC_HDR_LEN + \
				      MIGRATE_CHUNK_HDR_LEN + MIGRATE_CHUNK_MAX))

/**
 * enum migrate_wstate - what the writer produces next
 */
enum migrate_wstate {
	MIGRATE_W_HEADERS,	/* fixed and per-version header */
	MIGRATE_W_SECTION,	/* next section header, or the end marker */
	MIGRATE_W_CHUNK,	/* next chunk of the current section */
	MIGRATE_W_DONE,		/* end marker produced */
	MIGRATE_W_FAILED,	/* see @error */
};

/**
 * struct migrate_writer - source side: produces one stream piece by piece
 * @c:		context the sections are taken from
 * @v:		version being written
 * @state:	what is produced next
 * @index:	index of the current section in @v->sections
 * @started:	sections, from the first, whose rollback() is due on failure
 * @crc:	running CRC-32C of the current section
 * @cur:	cursor handed to the current section's source()
 * @offset:	bytes of the stream produced before @out
 * @out_len:	bytes in @out
 * @out_pos:	bytes of @out already consumed
 * @where:	what is being written, for messages
 * @error:	why writing failed: what, where (offset) and why
 * @result:	0, or the negative error code of the failure
 * @out:	output buffer
 */
struct migrate_writer {
	struct ctx *c;
	const struct migrate_version *v;
	enum migrate_wstate state;
	size_t index;
	size_t started;
	uint32_t crc;
	struct migrate_cursor cur;
	uint64_t offset;
	size_t out_len;
	size_t out_pos;
	char where[96];
	char error[384];
	int result;
	uint8_t out[MIGRATE_OUT_SIZE];
};

/* migrate_stream.c: the stream itself, independent of fds and epoll */
void migrate_reader_init(struct migrate_reader *r, struct ctx *c,
			 const struct migrate_table *table, bool dry_run,
			 FILE *listing);
int migrate_reader_feed(struct migrate_reader *r, const uint8_t *buf,
			size_t len);
int migrate_reader_finish(struct migrate_reader *r);
int migrate_reader_fail(struct migrate_reader *r, uint64_t offset, int rc,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int migrate_writer_init(struct migrate_writer *w, struct ctx *c,
			const struct migrate_table *table, unsigned int version);
int migrate_writer_next(struct migrate_writer *w, const uint8_t **buf,
			size_t *len);
void migrate_writer_consumed(struct migrate_writer *w, size_t n);
void migrate_writer_rollback(struct migrate_writer *w);
const struct migrate_version *migrate_table_find(const struct migrate_table *t,
						 uint32_t id);
const struct migrate_version *migrate_table_newest(const struct migrate_table *t);
void migrate_table_list(const struct migrate_table *t, char *buf, size_t size);

/* migrate.c: the daemon's own versions, and the transfer */
extern const struct migrate_table migrate_builtin;
void migrate_table_use(const struct migrate_table *t);
const char *migrate_error(void);

#endif /* MIGRATE_INTERNAL_H */
