// SPDX-License-Identifier: GPL-2.0-or-later
/* migrate_stream.c - the migration stream: writer and reader, without I/O
 *
 * The writer produces a stream piece by piece into a bounded buffer; the
 * reader is a push parser fed whatever bytes arrived, in pieces of any size.
 * Neither knows about file descriptors or epoll: migrate.c drives them from
 * the epoll loop, and the inspector, the fuzz target and the tests drive them
 * over memory. The format is in doc/migration.md.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crc32c.h"
#include "migrate.h"
#include "migrate_internal.h"

/**
 * migrate_table_find() - look a version up in a table
 * @t:		versions table
 * @id:		version number
 *
 * Return: the entry, or NULL if @t does not know @id
 */
const struct migrate_version *migrate_table_find(const struct migrate_table *t,
						 uint32_t id)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (t->versions[i].id == id)
			return &t->versions[i];
	return NULL;
}

/**
 * migrate_table_newest() - the newest version of a table
 * @t:		versions table
 *
 * Return: the entry with the highest id, NULL if @t is empty
 */
const struct migrate_version *migrate_table_newest(const struct migrate_table *t)
{
	const struct migrate_version *newest = NULL;
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!newest || t->versions[i].id > newest->id)
			newest = &t->versions[i];
	return newest;
}

/**
 * migrate_table_negotiate() - pick the version to read a stream with
 * @t:		versions this reader knows
 * @version:	version the stream is written in
 * @compat:	oldest version that can read it
 *
 * Return: the newest known version v with @compat <= v <= @version, or NULL
 */
static const struct migrate_version *
migrate_table_negotiate(const struct migrate_table *t, uint32_t version,
			uint32_t compat)
{
	const struct migrate_version *best = NULL;
	size_t i;

	for (i = 0; i < t->count; i++) {
		const struct migrate_version *v = &t->versions[i];

		if (v->id >= compat && v->id <= version &&
		    (!best || v->id > best->id))
			best = v;
	}
	return best;
}

/**
 * migrate_table_list() - write the version numbers of a table as text
 * @t:		versions table
 * @buf:	destination, cut short if too small
 * @size:	size of @buf
 */
void migrate_table_list(const struct migrate_table *t, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < t->count; i++) {
		int n = snprintf(buf + used, size - used, "%s%" PRIu32,
				 i ? ", " : "", t->versions[i].id);

		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

/**
 * vformat_error() - write "WHERE at offset N: REASON" into an error buffer
 * @dst:	destination
 * @size:	size of @dst
 * @where:	what was being read or written
 * @offset:	stream offset the reason is about
 * @fmt:	reason, printf-style
 * @ap:		arguments for @fmt
 */
static void vformat_error(char *dst, size_t size, const char *where,
			  uint64_t offset, const char *fmt, va_list ap)
{
	int n = snprintf(dst, size, "%s at offset %" PRIu64 ": ", where, offset);

	if (n >= 0 && (size_t)n < size)
		vsnprintf(dst + n, size - (size_t)n, fmt, ap);
}

/* Reader */

/**
 * migrate_reader_fail() - refuse the stream, recording what, where and why
 * @r:		reader
 * @offset:	stream offset of the offending bytes
 * @rc:		negative error code to return
 * @fmt:	reason, printf-style
 *
 * Return: @rc
 */
int migrate_reader_fail(struct migrate_reader *r, uint64_t offset, int rc,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat_error(r->error, sizeof(r->error), r->where, offset, fmt, ap);
	va_end(ap);
	r->state = MIGRATE_R_FAILED;
	r->result = rc;
	return rc;
}

/**
 * reader_expect() - set what the reader assembles next
 * @r:		reader
 * @state:	next state
 * @need:	bytes of the next element, at least one
 */
static void reader_expect(struct migrate_reader *r, enum migrate_rstate state,
			  size_t need)
{
	r->state = state;
	r->need = need;
	r->have = 0;
}

/**
 * migrate_reader_init() - prepare a reader for a new stream
 * @r:		reader
 * @c:		context to restore into
 * @table:	versions the reader knows
 * @dry_run:	validate only, restore nothing
 * @listing:	where to print a readable account of the stream, or NULL
 */
void migrate_reader_init(struct migrate_reader *r, struct ctx *c,
			 const struct migrate_table *table, bool dry_run,
			 FILE *listing)
{
	memset(r, 0, offsetof(struct migrate_reader, stage));
	r->c = c;
	r->table = table;
	r->dry_run = dry_run;
	r->listing = listing;
	r->last_index = -1;
	snprintf(r->where, sizeof(r->where), "fixed header");
	reader_expect(r, MIGRATE_R_FIXED, MIGRATE_FIXED_LEN);
}

/**
 * reader_fixed() - check the fixed header and negotiate the version
 * @r:		reader
 * @p:		the 16 bytes of the fixed header
 * @start:	their stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_fixed(struct migrate_reader *r, const uint8_t *p,
			uint64_t start)
{
	uint64_t magic = migrate_get_be64(p);
	uint32_t version = migrate_get_be32(p + 8);
	uint32_t compat = migrate_get_be32(p + 12);
	char known[128];

	if (magic != MIGRATE_MAGIC)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "bad magic 0x%016" PRIx64 ", expected 0x%016llx: not a migration stream",
					   magic, MIGRATE_MAGIC);
	if (!version)
		return migrate_reader_fail(r, start + 8, -EBADMSG,
					   "version 0 is invalid");
	if (!compat)
		return migrate_reader_fail(r, start + 12, -EBADMSG,
					   "compat_version 0 is invalid");
	if (compat > version)
		return migrate_reader_fail(r, start + 12, -EBADMSG,
					   "compat_version %" PRIu32 " is above version %" PRIu32,
					   compat, version);
	r->hdr.version = version;
	r->hdr.compat = compat;
	if (r->listing)
		fprintf(r->listing, "offset 0: fixed header: magic 0x%016" PRIx64 " (passt), version %" PRIu32 ", compat_version %" PRIu32 "\n",
			magic, version, compat);

	migrate_table_list(r->table, known, sizeof(known));
	r->v = migrate_table_negotiate(r->table, version, compat);
	if (!r->v)
		return migrate_reader_fail(r, start + 8, -EPROTONOSUPPORT,
					   "no common version: stream is readable as versions %" PRIu32 " to %" PRIu32 ", this daemon knows %s",
					   compat, version, known);
	if (r->listing)
		fprintf(r->listing, "  reading as version %" PRIu32 " (this daemon knows %s)\n",
			r->v->id, known);

	r->crc = crc32c(0, p, MIGRATE_FIXED_LEN);
	snprintf(r->where, sizeof(r->where), "version %" PRIu32 " header",
		 r->v->id);
	reader_expect(r, MIGRATE_R_VHDR_LEN, 4);
	return 0;
}

/**
 * reader_vhdr_len() - check the length of the per-version header
 * @r:		reader
 * @p:		the 4 bytes of the length field
 * @start:	their stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_vhdr_len(struct migrate_reader *r, const uint8_t *p,
			   uint64_t start)
{
	uint32_t len = migrate_get_be32(p);

	if (len < r->v->header_min)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "length %" PRIu32 " is shorter than the %" PRIu32 " bytes version %" PRIu32 " needs",
					   len, r->v->header_min, r->v->id);
	if (len > MIGRATE_VHDR_MAX)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "length %" PRIu32 " exceeds limit %d",
					   len, MIGRATE_VHDR_MAX);
	r->hdr.length = len;
	r->crc = crc32c(r->crc, p, 4);
	/* The body after the length field, then the headers' checksum */
	reader_expect(r, MIGRATE_R_VHDR, len - 4 + 4);
	return 0;
}

/**
 * reader_list_header() - print the per-version header fields to the listing
 * @r:		reader, with @r->listing set and @r->hdr complete
 */
static void reader_list_header(const struct migrate_reader *r)
{
	const struct migrate_header *h = &r->hdr;

	fprintf(r->listing, "offset %d: version header: length %" PRIu32 ", features 0x%08" PRIx32 ", writer \"%s\" version \"%s\"",
		MIGRATE_FIXED_LEN, h->length, h->features, h->writer,
		h->writer_version);
	if (h->written_at_ms) {
		time_t t = (time_t)(h->written_at_ms / 1000);
		struct tm tm;
		char date[32];

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(r->listing, ", written at %s.%03u UTC", date,
			(unsigned int)(h->written_at_ms % 1000));
	}
	fprintf(r->listing, "\n  header checksum ok\n");
}

/**
 * reader_vhdr() - check the headers' checksum, parse the per-version header
 * @r:		reader
 * @p:		per-version header body (after its length field), then checksum
 * @start:	stream offset of @p
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_vhdr(struct migrate_reader *r, const uint8_t *p,
		       uint64_t start)
{
	size_t body = r->need - 4;
	uint32_t crc = crc32c(r->crc, p, body);
	uint32_t stored = migrate_get_be32(p + body);
	int rc;

	if (crc != stored)
		return migrate_reader_fail(r, start + body, -EBADMSG,
					   "header checksum 0x%08" PRIx32 " in stream, 0x%08" PRIx32 " computed",
					   stored, crc);
	rc = r->v->read_header(r, p, body, start);
	if (rc)
		return rc;
	r->header_read = true;
	if (r->listing)
		reader_list_header(r);
	snprintf(r->where, sizeof(r->where), "section header");
	reader_expect(r, MIGRATE_R_SEC_HDR, MIGRATE_SEC_HDR_LEN);
	return 0;
}

/**
 * reader_end_marker() - check the end marker and that nothing is missing
 * @r:		reader
 * @flags:	flags field of the end marker
 * @start:	stream offset of the end marker
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_end_marker(struct migrate_reader *r, uint32_t flags,
			     uint64_t start)
{
	size_t i;

	snprintf(r->where, sizeof(r->where), "end marker");
	if (flags)
		return migrate_reader_fail(r, start + 4, -EBADMSG,
					   "flags 0x%08" PRIx32 " must be 0",
					   flags);
	for (i = 0; i < r->v->section_count; i++) {
		const struct migrate_section *s = &r->v->sections[i];
		bool seen = false;
		unsigned int j;

		for (j = 0; j < r->seen_count; j++)
			seen |= r->seen[j] == s->id;
		if (seen)
			continue;
		if (!(s->flags & MIGRATE_SEC_OPTIONAL))
			return migrate_reader_fail(r, start, -EBADMSG,
						   "mandatory section \"%s\" (id %" PRIu32 ") is missing",
						   s->name, s->id);
		if (s->feature & r->hdr.features)
			return migrate_reader_fail(r, start, -EBADMSG,
						   "section \"%s\" (id %" PRIu32 ") is announced in the header features but missing",
						   s->name, s->id);
	}
	if (r->listing)
		fprintf(r->listing, "offset %" PRIu64 ": end marker\n", start);
	reader_expect(r, MIGRATE_R_DONE, 1);
	return 0;
}

/**
 * reader_section_lookup() - find a section of the chosen version by id
 * @r:		reader
 * @id:		section id
 *
 * Return: index in @r->v->sections, or -1 if unknown
 */
static int reader_section_lookup(const struct migrate_reader *r, uint32_t id)
{
	size_t i;

	for (i = 0; i < r->v->section_count; i++)
		if (r->v->sections[i].id == id)
			return (int)i;
	return -1;
}

/**
 * reader_known_section() - check a known section may start here
 * @r:		reader
 * @index:	index of the section in @r->v->sections
 * @start:	stream offset of the section header
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_known_section(struct migrate_reader *r, int index,
				uint64_t start)
{
	const struct migrate_section *s = &r->v->sections[index];

	snprintf(r->where, sizeof(r->where), "section \"%s\"", s->name);
	if (index < r->last_index)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "out of order: it comes before section \"%s\"",
					   r->v->sections[r->last_index].name);
	if (s->feature && !(s->feature & r->hdr.features))
		return migrate_reader_fail(r, start, -EBADMSG,
					   "not announced in the header features 0x%08" PRIx32,
					   r->hdr.features);
	r->last_index = index;
	r->sec = s;
	return 0;
}

/**
 * reader_sec_hdr() - start a section, or end the stream at the end marker
 * @r:		reader
 * @p:		the 8 bytes of the section header
 * @start:	their stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_sec_hdr(struct migrate_reader *r, const uint8_t *p,
			  uint64_t start)
{
	uint32_t id = migrate_get_be32(p), flags = migrate_get_be32(p + 4);
	unsigned int i;
	int index, rc;

	if (id == MIGRATE_SEC_END)
		return reader_end_marker(r, flags, start);

	index = reader_section_lookup(r, id);
	r->sec = NULL;
	if (index >= 0) {
		rc = reader_known_section(r, index, start);
		if (rc)
			return rc;
	} else {
		snprintf(r->where, sizeof(r->where),
			 "section id %" PRIu32 " (unknown)", id);
	}
	if (flags & ~MIGRATE_SEC_OPTIONAL)
		return migrate_reader_fail(r, start + 4, -EBADMSG,
					   "unknown section flags 0x%08" PRIx32,
					   flags);
	if (index < 0 && !(flags & MIGRATE_SEC_OPTIONAL))
		return migrate_reader_fail(r, start, -EBADMSG,
					   "unknown mandatory section, refused");
	for (i = 0; i < r->seen_count; i++)
		if (r->seen[i] == id)
			return migrate_reader_fail(r, start, -EBADMSG,
						   "duplicate section");
	if (r->seen_count == MIGRATE_SECTIONS_MAX)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "more than %d sections",
					   MIGRATE_SECTIONS_MAX);
	r->seen[r->seen_count++] = id;

	r->sec_id = id;
	r->sec_flags = flags;
	r->sec_offset = start;
	r->sec_len = 0;
	r->sec_chunks = 0;
	r->crc = crc32c(0, p, MIGRATE_SEC_HDR_LEN);
	memset(&r->cur, 0, sizeof(r->cur));
	r->cur.dry_run = r->dry_run;
	r->cur.version = r->v->id;
	reader_expect(r, MIGRATE_R_CHUNK_HDR, MIGRATE_CHUNK_HDR_LEN);
	return 0;
}

/**
 * reader_target() - hand a chunk, or the end of the section, to its handler
 * @r:		reader
 * @buf:	verified payload, NULL at the end of the section
 * @len:	length of @buf, 0 at the end of the section
 * @start:	stream offset the handler's verdict is about
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_target(struct migrate_reader *r, const uint8_t *buf,
			 size_t len, uint64_t start)
{
	int rc;

	if (!r->sec || !r->sec->target)
		return 0;
	r->cur.offset = r->sec_len;
	r->cur.why[0] = '\0';
	rc = r->sec->target(r->c, &r->cur, buf, len);
	if (!rc)
		return 0;
	if (rc > 0)
		rc = -EINVAL;
	return migrate_reader_fail(r, start, rc, "%s",
				   r->cur.why[0] ? r->cur.why : strerror(-rc));
}

/**
 * reader_section_end() - verify and close the current section
 * @r:		reader
 * @crc:	checksum given by the terminating chunk
 * @start:	stream offset of the terminating chunk
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_section_end(struct migrate_reader *r, uint32_t crc,
			      uint64_t start)
{
	int rc;

	if (crc != r->crc)
		return migrate_reader_fail(r, start + 4, -EBADMSG,
					   "section checksum 0x%08" PRIx32 " in stream, 0x%08" PRIx32 " computed",
					   crc, r->crc);
	rc = reader_target(r, NULL, 0, start);
	if (rc)
		return rc;
	if (r->listing)
		fprintf(r->listing, "offset %" PRIu64 ": %s, id %" PRIu32 ", %s: %" PRIu64 " bytes in %" PRIu64 " chunks, checksums ok%s\n",
			r->sec_offset, r->where, r->sec_id,
			r->sec_flags & MIGRATE_SEC_OPTIONAL ?
			"optional" : "mandatory",
			r->sec_len, r->sec_chunks,
			r->sec ? "" : ", skipped");
	snprintf(r->where, sizeof(r->where), "section header");
	reader_expect(r, MIGRATE_R_SEC_HDR, MIGRATE_SEC_HDR_LEN);
	return 0;
}

/**
 * reader_chunk_hdr() - check a chunk header, or end the section
 * @r:		reader
 * @p:		the 8 bytes of the chunk header
 * @start:	their stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_chunk_hdr(struct migrate_reader *r, const uint8_t *p,
			    uint64_t start)
{
	uint32_t len = migrate_get_be32(p), crc = migrate_get_be32(p + 4);
	uint64_t limit = r->sec ? r->sec->max_len : UINT64_MAX;

	if (!len)
		return reader_section_end(r, crc, start);
	if (len > MIGRATE_CHUNK_MAX)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "chunk length %" PRIu32 " exceeds limit %d",
					   len, MIGRATE_CHUNK_MAX);
	if (len > limit - r->sec_len)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "length %" PRIu64 " exceeds limit %" PRIu64,
					   r->sec_len + len, limit);
	r->chunk_len = len;
	r->chunk_crc = crc;
	reader_expect(r, MIGRATE_R_CHUNK, len);
	return 0;
}

/**
 * reader_chunk() - verify a chunk's payload and hand it to the section
 * @r:		reader
 * @p:		payload
 * @start:	its stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_chunk(struct migrate_reader *r, const uint8_t *p,
			uint64_t start)
{
	uint32_t crc = crc32c(r->crc, p, r->chunk_len);
	int rc;

	if (crc != r->chunk_crc)
		return migrate_reader_fail(r, start, -EBADMSG,
					   "chunk of %" PRIu32 " bytes: checksum 0x%08" PRIx32 " in stream, 0x%08" PRIx32 " computed",
					   r->chunk_len, r->chunk_crc, crc);
	r->crc = crc;
	rc = reader_target(r, p, r->chunk_len, start);
	if (rc)
		return rc;
	r->sec_len += r->chunk_len;
	r->sec_chunks++;
	reader_expect(r, MIGRATE_R_CHUNK_HDR, MIGRATE_CHUNK_HDR_LEN);
	return 0;
}

/**
 * reader_step() - process one complete element
 * @r:		reader
 * @p:		the element's @r->need bytes
 * @start:	its stream offset
 *
 * Return: 0 or the negative error code of the refusal
 */
static int reader_step(struct migrate_reader *r, const uint8_t *p,
		       uint64_t start)
{
	switch (r->state) {
	case MIGRATE_R_FIXED:
		return reader_fixed(r, p, start);
	case MIGRATE_R_VHDR_LEN:
		return reader_vhdr_len(r, p, start);
	case MIGRATE_R_VHDR:
		return reader_vhdr(r, p, start);
	case MIGRATE_R_SEC_HDR:
		return reader_sec_hdr(r, p, start);
	case MIGRATE_R_CHUNK_HDR:
		return reader_chunk_hdr(r, p, start);
	case MIGRATE_R_CHUNK:
		return reader_chunk(r, p, start);
	default:
		return migrate_reader_fail(r, start, -EINVAL, "reader in state %d",
					   r->state);
	}
}

/**
 * migrate_reader_feed() - give the reader the next bytes of the stream
 * @r:		reader
 * @buf:	bytes, continuing where the previous call ended
 * @len:	length of @buf, any
 *
 * Return: 0, or the negative error code of the refusal (see @r->error)
 */
int migrate_reader_feed(struct migrate_reader *r, const uint8_t *buf,
			size_t len)
{
	while (len) {
		const uint8_t *p;
		uint64_t start;
		size_t take;
		int rc;

		if (r->state == MIGRATE_R_FAILED)
			return r->result;
		if (r->state == MIGRATE_R_DONE)
			return migrate_reader_fail(r, r->offset, -EBADMSG,
						   "trailing data after the end marker");

		if (!r->have && len >= r->need) {
			/* Whole element in the caller's buffer: no copy */
			p = buf;
			take = r->need;
		} else {
			take = MIN(r->need - r->have, len);
			memcpy(r->stage + r->have, buf, take);
			r->have += take;
			p = r->stage;
		}
		buf += take;
		len -= take;
		r->offset += take;
		if (p == r->stage && r->have < r->need)
			return 0;

		start = r->offset - r->need;
		rc = reader_step(r, p, start);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * migrate_reader_finish() - the stream ended: check it was complete
 * @r:		reader
 *
 * Return: 0 if the stream was complete and valid, else a negative error code
 */
int migrate_reader_finish(struct migrate_reader *r)
{
	static const char *const element[] = {
		[MIGRATE_R_FIXED]	= "the fixed header",
		[MIGRATE_R_VHDR_LEN]	= "the version header length",
		[MIGRATE_R_VHDR]	= "the version header",
		[MIGRATE_R_SEC_HDR]	= "a section header or the end marker",
		[MIGRATE_R_CHUNK_HDR]	= "a chunk header",
		[MIGRATE_R_CHUNK]	= "a chunk payload",
	};

	if (r->state == MIGRATE_R_FAILED)
		return r->result;
	if (r->state == MIGRATE_R_DONE)
		return 0;
	return migrate_reader_fail(r, r->offset, -EBADMSG,
				   "stream cut short: %zu of the %zu bytes of %s received",
				   r->have, r->need, element[r->state]);
}

/* Writer */

/**
 * writer_fail() - stop writing, recording what, where and why
 * @w:		writer
 * @rc:		negative error code to return
 * @fmt:	reason, printf-style
 *
 * Return: @rc
 */
__attribute__((format(printf, 3, 4)))
static int writer_fail(struct migrate_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat_error(w->error, sizeof(w->error), w->where,
		      w->offset + w->out_len, fmt, ap);
	va_end(ap);
	w->state = MIGRATE_W_FAILED;
	w->result = rc;
	return rc;
}

/**
 * migrate_writer_init() - prepare a writer for a new stream
 * @w:		writer
 * @c:		context to take the state from
 * @table:	versions this writer knows
 * @version:	version to write, 0 for the newest of @table
 *
 * Return: 0, or -ENOTSUP if @table has no such version
 */
int migrate_writer_init(struct migrate_writer *w, struct ctx *c,
			const struct migrate_table *table, unsigned int version)
{
	const struct migrate_version *v;

	v = version ? migrate_table_find(table, version) :
		      migrate_table_newest(table);
	if (!v)
		return -ENOTSUP;
	memset(w, 0, offsetof(struct migrate_writer, out));
	w->c = c;
	w->v = v;
	w->state = MIGRATE_W_HEADERS;
	snprintf(w->where, sizeof(w->where), "headers");
	return 0;
}

/**
 * writer_headers() - produce the fixed header, per-version header, checksum
 * @w:		writer, with an empty output buffer
 */
static void writer_headers(struct migrate_writer *w)
{
	const struct migrate_version *v = w->v;
	uint32_t features = 0, len;
	uint8_t *p = w->out;
	size_t i;

	for (i = 0; i < v->section_count; i++)
		features |= v->sections[i].feature;

	migrate_put_be64(p, MIGRATE_MAGIC);
	migrate_put_be32(p + 8, v->id);
	migrate_put_be32(p + 12, v->compat);
	len = 4 + (uint32_t)v->write_header(w->c, features,
					    p + MIGRATE_FIXED_LEN + 4,
					    MIGRATE_VHDR_MAX - 4);
	migrate_put_be32(p + MIGRATE_FIXED_LEN, len);
	migrate_put_be32(p + MIGRATE_FIXED_LEN + len,
			 crc32c(0, p, MIGRATE_FIXED_LEN + len));
	w->out_len = MIGRATE_FIXED_LEN + len + 4;
	w->state = MIGRATE_W_SECTION;
}

/**
 * writer_section() - produce the next section header, or the end marker
 * @w:		writer
 *
 * Return: 0, or the negative error code of a failed prepare()
 */
static int writer_section(struct migrate_writer *w)
{
	uint8_t *p = w->out + w->out_len;
	const struct migrate_section *s;
	int rc;

	if (w->index == w->v->section_count) {
		snprintf(w->where, sizeof(w->where), "end marker");
		migrate_put_be32(p, MIGRATE_SEC_END);
		migrate_put_be32(p + 4, 0);
		w->out_len += MIGRATE_SEC_HDR_LEN;
		w->state = MIGRATE_W_DONE;
		return 0;
	}

	s = &w->v->sections[w->index];
	snprintf(w->where, sizeof(w->where), "section \"%s\"", s->name);
	if (s->prepare && (rc = s->prepare(w->c)))
		return writer_fail(w, rc, "prepare failed: %s", strerror(-rc));
	w->started = w->index + 1;

	migrate_put_be32(p, s->id);
	migrate_put_be32(p + 4, s->flags);
	w->crc = crc32c(0, p, MIGRATE_SEC_HDR_LEN);
	w->out_len += MIGRATE_SEC_HDR_LEN;
	memset(&w->cur, 0, sizeof(w->cur));
	w->cur.version = w->v->id;
	w->state = MIGRATE_W_CHUNK;
	return 0;
}

/**
 * writer_chunk() - produce the next chunk of the current section
 * @w:		writer
 *
 * A source() returning 0 ends the section with a chunk of length 0 carrying
 * the section's checksum.
 *
 * Return: 0, or the negative error code of a failed source()
 */
static int writer_chunk(struct migrate_writer *w)
{
	const struct migrate_section *s = &w->v->sections[w->index];
	uint8_t *hdr = w->out + w->out_len;
	uint8_t *payload = hdr + MIGRATE_CHUNK_HDR_LEN;
	ssize_t n;

	w->cur.why[0] = '\0';
	n = s->source(w->c, &w->cur, payload, MIGRATE_CHUNK_MAX);
	if (n < 0)
		return writer_fail(w, (int)n, "source failed: %s",
				   w->cur.why[0] ? w->cur.why :
				   strerror((int)-n));
	if (n > MIGRATE_CHUNK_MAX)
		return writer_fail(w, -EINVAL,
				   "source returned %zd bytes for a buffer of %d",
				   n, MIGRATE_CHUNK_MAX);
	if ((uint64_t)n > s->max_len - w->cur.offset)
		return writer_fail(w, -EMSGSIZE,
				   "length %" PRIu64 " exceeds limit %" PRIu64,
				   w->cur.offset + (uint64_t)n, s->max_len);

	w->crc = crc32c(w->crc, payload, (size_t)n);
	migrate_put_be32(hdr, (uint32_t)n);
	migrate_put_be32(hdr + 4, w->crc);
	w->out_len += MIGRATE_CHUNK_HDR_LEN + (size_t)n;
	w->cur.offset += (uint64_t)n;
	if (!n) {
		w->index++;
		w->state = MIGRATE_W_SECTION;
	}
	return 0;
}

/**
 * writer_fill() - refill the consumed output buffer with the next pieces
 * @w:		writer, with all of its output consumed
 *
 * Return: 0, or the negative error code of a failure
 */
static int writer_fill(struct migrate_writer *w)
{
	const size_t room = MIGRATE_SEC_HDR_LEN + MIGRATE_CHUNK_HDR_LEN +
			    MIGRATE_CHUNK_MAX;
	int rc = 0;

	w->offset += w->out_len;
	w->out_len = w->out_pos = 0;
	while (!rc && sizeof(w->out) - w->out_len >= room) {
		switch (w->state) {
		case MIGRATE_W_HEADERS:
			writer_headers(w);
			break;
		case MIGRATE_W_SECTION:
			rc = writer_section(w);
			break;
		case MIGRATE_W_CHUNK:
			rc = writer_chunk(w);
			break;
		default:
			return 0;
		}
	}
	return rc;
}

/**
 * migrate_writer_next() - the next bytes of the stream to send
 * @w:		writer
 * @buf:	set to the bytes
 * @len:	set to their length
 *
 * Once sent, the bytes are acknowledged with migrate_writer_consumed().
 *
 * Return: 0 with @buf and @len set, 1 once the whole stream was consumed, or
 *	   the negative error code of a failure (see @w->error)
 */
int migrate_writer_next(struct migrate_writer *w, const uint8_t **buf,
			size_t *len)
{
	int rc;

	if (w->state == MIGRATE_W_FAILED)
		return w->result;
	if (w->out_pos == w->out_len) {
		if (w->state == MIGRATE_W_DONE)
			return 1;
		rc = writer_fill(w);
		if (rc)
			return rc;
	}
	*buf = w->out + w->out_pos;
	*len = w->out_len - w->out_pos;
	return 0;
}

/**
 * migrate_writer_consumed() - acknowledge bytes given by migrate_writer_next()
 * @w:		writer
 * @n:		bytes sent, at most the length given
 */
void migrate_writer_consumed(struct migrate_writer *w, size_t n)
{
	w->out_pos += n;
}

/**
 * migrate_writer_rollback() - undo the started sections, last first
 * @w:		writer of a failed or cancelled stream
 */
void migrate_writer_rollback(struct migrate_writer *w)
{
	while (w->started) {
		const struct migrate_section *s = &w->v->sections[--w->started];

		if (s->rollback)
			s->rollback(w->c);
	}
}
