// SPDX-License-Identifier: GPL-2.0-or-later
/* migrate.c - migration: the versions this daemon knows, their headers and
 * first sections, and the transfer on the device-state fd inside the epoll
 * loop
 *
 * The stream itself (framing, checksums, negotiation, limits) is read and
 * written by migrate_stream.c; this file feeds it from and to the fd as the
 * fd becomes ready, enforces the deadline, keeps the result for
 * VHOST_USER_CHECK_DEVICE_STATE, saves copies for operators and decodes them
 * (--migrate-inspect). The format is in doc/migration.md.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "passt.h"
#include "util.h"
#include "log.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "tcp_migrate.h"

/* Section ids: never reuse one for a different meaning */
#define MIGRATE_SEC_ADDRS	1	/* observed guest addresses and MAC */
#define MIGRATE_SEC_LINK	2	/* the daemon's own MAC and MTU */

/* Feature bits of the per-version header */
#define MIGRATE_FEAT_LINK	1U	/* the stream carries the link section */

/* Per-version header lengths, length field included */
#define VHDR_V1_LEN	(4 + 4 + MIGRATE_WRITER_LEN + MIGRATE_WRITER_VER_LEN)
#define VHDR_V2_LEN	(VHDR_V1_LEN + 8)

#define WRITER_NAME	"passt"

/* Payload of the guest addresses section */
#define ADDRS_LEN		48
#define ADDRS_F_MAC_SEEN	1U	/* the guest's MAC was seen */

/* Payload of the link section */
#define LINK_LEN	12
#define LINK_MTU_MIN	68
#define LINK_MTU_MAX	65520

/* Rounds of I/O one readiness event may do before returning to the loop */
#define MIGRATE_BURST	64

/* Per-version headers */

/**
 * header_string_read() - copy and check a NUL-padded text field
 * @r:		reader, for errors
 * @dst:	destination, @len + 1 bytes
 * @p:		the field
 * @len:	its length
 * @off:	its stream offset
 * @what:	its name, for errors
 *
 * Return: 0, or the negative error code of the refusal
 */
static int header_string_read(struct migrate_reader *r, char *dst,
			      const uint8_t *p, size_t len, uint64_t off,
			      const char *what)
{
	size_t i, end = strnlen((const char *)p, len);

	if (end == len)
		return migrate_reader_fail(r, off, -EBADMSG,
					   "%s is not NUL-terminated", what);
	for (i = 0; i < end; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return migrate_reader_fail(r, off + i, -EBADMSG,
						   "%s: byte 0x%02x is not printable",
						   what, p[i]);
	for (i = end; i < len; i++)
		if (p[i])
			return migrate_reader_fail(r, off + i, -EBADMSG,
						   "%s: padding is not zero",
						   what);
	memcpy(dst, p, end + 1);
	return 0;
}

/**
 * read_header_v1() - parse and check the version 1 per-version header
 * @r:		reader; the fields go to @r->hdr
 * @buf:	header body, after the length field
 * @len:	length of @buf, at least VHDR_V1_LEN - 4: newer writers may
 *		append fields, which this version ignores
 * @base:	stream offset of @buf
 *
 * Return: 0, or the negative error code of the refusal
 */
static int read_header_v1(struct migrate_reader *r, const uint8_t *buf,
			  size_t len, uint64_t base)
{
	const uint8_t *name = buf + 4, *ver = name + MIGRATE_WRITER_LEN;

	(void)len;
	/* Unknown feature bits are fine: they announce optional sections,
	 * which are skipped if unknown
	 */
	r->hdr.features = migrate_get_be32(buf);
	if (header_string_read(r, r->hdr.writer, name, MIGRATE_WRITER_LEN,
			       base + 4, "writer name"))
		return r->result;
	return header_string_read(r, r->hdr.writer_version, ver,
				  MIGRATE_WRITER_VER_LEN,
				  base + 4 + MIGRATE_WRITER_LEN,
				  "writer version");
}

/**
 * read_header_v2() - parse and check the version 2 per-version header
 * @r:		reader; the fields go to @r->hdr
 * @buf:	header body, after the length field
 * @len:	length of @buf, at least VHDR_V2_LEN - 4
 * @base:	stream offset of @buf
 *
 * Version 2 is version 1 followed by the writer's wall-clock time.
 *
 * Return: 0, or the negative error code of the refusal
 */
static int read_header_v2(struct migrate_reader *r, const uint8_t *buf,
			  size_t len, uint64_t base)
{
	int rc = read_header_v1(r, buf, len, base);

	if (!rc)
		r->hdr.written_at_ms = migrate_get_be64(buf + VHDR_V1_LEN - 4);
	return rc;
}

/**
 * write_header_v1() - write the version 1 per-version header body
 * @c:		execution context
 * @features:	feature bits to announce
 * @buf:	destination, after the length field
 * @size:	room in @buf, at least MIGRATE_VHDR_MAX - 4
 *
 * Return: bytes written
 */
static size_t write_header_v1(const struct ctx *c, uint32_t features,
			      uint8_t *buf, size_t size)
{
	(void)c;
	(void)size;
	migrate_put_be32(buf, features);
	memset(buf + 4, 0, MIGRATE_WRITER_LEN + MIGRATE_WRITER_VER_LEN);
	strncpy((char *)buf + 4, WRITER_NAME, MIGRATE_WRITER_LEN - 1);
	strncpy((char *)buf + 4 + MIGRATE_WRITER_LEN, PASST_VERSION,
		MIGRATE_WRITER_VER_LEN - 1);
	return VHDR_V1_LEN - 4;
}

/**
 * write_header_v2() - write the version 2 per-version header body
 * @c:		execution context
 * @features:	feature bits to announce
 * @buf:	destination, after the length field
 * @size:	room in @buf, at least MIGRATE_VHDR_MAX - 4
 *
 * Return: bytes written
 */
static size_t write_header_v2(const struct ctx *c, uint32_t features,
			      uint8_t *buf, size_t size)
{
	size_t len = write_header_v1(c, features, buf, size);
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	migrate_put_be64(buf + len, (uint64_t)ts.tv_sec * 1000 +
				    (uint64_t)ts.tv_nsec / 1000000);
	return len + 8;
}

/* Sections carrying one fixed-size record */

/**
 * record_source() - emit a single record as the whole section
 * @cur:	section cursor: @item counts records emitted
 * @buf:	chunk buffer
 * @rec:	the record
 * @len:	its length, at most MIGRATE_CHUNK_MAX
 *
 * Return: @len the first time, then 0: the section is complete
 */
static ssize_t record_source(struct migrate_cursor *cur, uint8_t *buf,
			     const uint8_t *rec, size_t len)
{
	if (cur->item)
		return 0;
	memcpy(buf, rec, len);
	cur->item = 1;
	return (ssize_t)len;
}

/**
 * record_target() - check that a section is exactly one record, in one chunk
 * @cur:	section cursor: @item counts records received
 * @buf:	chunk, NULL at the end of the section
 * @len:	length of the chunk
 * @want:	length of the record
 *
 * Return: 1 if @buf holds the record, 0 at a valid end of the section,
 *	   -EBADMSG with @cur->why set otherwise
 */
static int record_target(struct migrate_cursor *cur, const uint8_t *buf,
			 size_t len, size_t want)
{
	if (!buf) {
		if (cur->item)
			return 0;
		snprintf(cur->why, sizeof(cur->why),
			 "section is empty, expected %zu bytes", want);
		return -EBADMSG;
	}
	if (cur->item || len != want) {
		snprintf(cur->why, sizeof(cur->why),
			 "chunk of %zu bytes at payload offset %" PRIu64 ", expected a single record of %zu",
			 len, cur->offset, want);
		return -EBADMSG;
	}
	cur->item = 1;
	return 1;
}

/**
 * mac_check() - refuse a MAC address that no NIC can have
 * @cur:	section cursor, for the reason
 * @mac:	address
 * @what:	whose address it is, for the reason
 *
 * Return: 0 if @mac is a unicast, non-zero address, else -EBADMSG
 */
static int mac_check(struct migrate_cursor *cur, const uint8_t *mac,
		     const char *what)
{
	static const uint8_t zero[ETH_ALEN_];
	char text[MAC_STRLEN];

	if (!(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN_))
		return 0;
	snprintf(cur->why, sizeof(cur->why), "%s %s is %s", what,
		 mac_ntop(mac, text, sizeof(text)),
		 (mac[0] & 1) ? "multicast" : "all zeros");
	return -EBADMSG;
}

/* Guest addresses section */

/**
 * addrs_source() - write what was seen of the guest's addresses
 * @c:		execution context
 * @cur:	section cursor
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once the section is complete
 */
static ssize_t addrs_source(struct ctx *c, struct migrate_cursor *cur,
			    uint8_t *buf, size_t size)
{
	uint8_t rec[ADDRS_LEN] = { 0 };

	(void)size;
	migrate_put_be32(rec, c->guest_mac_seen ? ADDRS_F_MAC_SEEN : 0);
	if (c->guest_mac_seen)
		memcpy(rec + 4, c->guest_mac, ETH_ALEN_);
	memcpy(rec + 12, &c->ip4.addr_seen, 4);
	memcpy(rec + 16, &c->ip6.addr_seen, 16);
	memcpy(rec + 32, &c->ip6.addr_ll_seen, 16);
	return record_source(cur, buf, rec, sizeof(rec));
}

/**
 * addrs_check_ip() - refuse guest addresses that a guest cannot have
 * @cur:	section cursor, for the reason
 * @a4:		IPv4 address, network order
 * @a6:		global IPv6 address
 * @ll:		link-local IPv6 address
 *
 * Unspecified addresses are fine: nothing was seen.
 *
 * Return: 0 if acceptable, else -EBADMSG with @cur->why set
 */
static int addrs_check_ip(struct migrate_cursor *cur, struct in_addr a4,
			  const struct in6_addr *a6, const struct in6_addr *ll)
{
	uint32_t h4 = ntohl(a4.s_addr);
	const char *bad = NULL;

	if (IN_MULTICAST(h4) || h4 == INADDR_BROADCAST || h4 >> 24 == 127)
		bad = "IPv4 address is multicast, broadcast or loopback";
	else if (IN6_IS_ADDR_MULTICAST(a6) || IN6_IS_ADDR_LOOPBACK(a6) ||
		 IN6_IS_ADDR_V4MAPPED(a6))
		bad = "IPv6 address is multicast, loopback or IPv4-mapped";
	else if (!IN6_IS_ADDR_UNSPECIFIED(ll) && !IN6_IS_ADDR_LINKLOCAL(ll))
		bad = "link-local IPv6 address is not link-local";
	if (!bad)
		return 0;
	snprintf(cur->why, sizeof(cur->why), "guest %s", bad);
	return -EBADMSG;
}

/**
 * addrs_target() - check and adopt what the source saw of the guest
 * @c:		execution context
 * @cur:	section cursor
 * @buf:	chunk, NULL at the end of the section
 * @len:	length of the chunk
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static int addrs_target(struct ctx *c, struct migrate_cursor *cur,
			const uint8_t *buf, size_t len)
{
	struct in6_addr a6, ll;
	struct in_addr a4;
	uint32_t flags;
	int rc = record_target(cur, buf, len, ADDRS_LEN);

	if (rc <= 0)
		return rc;

	flags = migrate_get_be32(buf);
	if (flags & ~ADDRS_F_MAC_SEEN) {
		snprintf(cur->why, sizeof(cur->why),
			 "unknown flags 0x%08" PRIx32, flags);
		return -EBADMSG;
	}
	if (buf[10] || buf[11]) {
		snprintf(cur->why, sizeof(cur->why), "reserved bytes not zero");
		return -EBADMSG;
	}
	if (flags & ADDRS_F_MAC_SEEN) {
		if (mac_check(cur, buf + 4, "guest MAC"))
			return -EBADMSG;
	} else if (memcmp(buf + 4, (uint8_t [ETH_ALEN_]){ 0 }, ETH_ALEN_)) {
		snprintf(cur->why, sizeof(cur->why),
			 "guest MAC given but flagged as not seen");
		return -EBADMSG;
	}
	memcpy(&a4, buf + 12, 4);
	memcpy(&a6, buf + 16, 16);
	memcpy(&ll, buf + 32, 16);
	if (addrs_check_ip(cur, a4, &a6, &ll))
		return -EBADMSG;

	if (cur->dry_run)
		return 0;
	if (flags & ADDRS_F_MAC_SEEN) {
		memcpy(c->guest_mac, buf + 4, ETH_ALEN_);
		c->guest_mac_seen = true;
	}
	/* An address the source never saw leaves ours as configured */
	if (a4.s_addr)
		c->ip4.addr_seen = a4;
	if (!IN6_IS_ADDR_UNSPECIFIED(&a6))
		c->ip6.addr_seen = a6;
	if (!IN6_IS_ADDR_UNSPECIFIED(&ll))
		c->ip6.addr_ll_seen = ll;
	return 0;
}

/* Link section */

/**
 * link_source() - write the daemon's own MAC address and MTU
 * @c:		execution context
 * @cur:	section cursor
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once the section is complete
 */
static ssize_t link_source(struct ctx *c, struct migrate_cursor *cur,
			   uint8_t *buf, size_t size)
{
	uint8_t rec[LINK_LEN] = { 0 };

	(void)size;
	memcpy(rec, c->our_mac, ETH_ALEN_);
	migrate_put_be32(rec + 8, c->mtu > 0 ? (uint32_t)c->mtu : 0);
	return record_source(cur, buf, rec, sizeof(rec));
}

/**
 * link_target() - adopt the source's MAC address and MTU
 * @c:		execution context
 * @cur:	section cursor
 * @buf:	chunk, NULL at the end of the section
 * @len:	length of the chunk
 *
 * The guest's neighbour caches hold the source's MAC address for the
 * gateway, and the guest was told its MTU: keep both valid even if this
 * daemon was started with other values.
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static int link_target(struct ctx *c, struct migrate_cursor *cur,
		       const uint8_t *buf, size_t len)
{
	char was[MAC_STRLEN], now[MAC_STRLEN];
	uint32_t mtu;
	int rc = record_target(cur, buf, len, LINK_LEN);

	if (rc <= 0)
		return rc;
	if (mac_check(cur, buf, "MAC address"))
		return -EBADMSG;
	if (buf[6] || buf[7]) {
		snprintf(cur->why, sizeof(cur->why), "reserved bytes not zero");
		return -EBADMSG;
	}
	mtu = migrate_get_be32(buf + 8);
	if (mtu && (mtu < LINK_MTU_MIN || mtu > LINK_MTU_MAX)) {
		snprintf(cur->why, sizeof(cur->why),
			 "MTU %" PRIu32 " is outside %d to %d", mtu,
			 LINK_MTU_MIN, LINK_MTU_MAX);
		return -EBADMSG;
	}

	if (cur->dry_run)
		return 0;
	if (memcmp(c->our_mac, buf, ETH_ALEN_)) {
		info("migrate: target: adopting the source's MAC address %s (was %s)",
		     mac_ntop(buf, now, sizeof(now)),
		     mac_ntop(c->our_mac, was, sizeof(was)));
		memcpy(c->our_mac, buf, ETH_ALEN_);
	}
	/* MTU 0: the source had none set, keep ours */
	if (mtu && (uint32_t)c->mtu != mtu) {
		info("migrate: target: adopting the source's MTU %" PRIu32 " (was %d)",
		     mtu, c->mtu);
		c->mtu = (int)mtu;
	}
	return 0;
}

/* The versions this daemon reads and writes */

#define SECTION_ADDRS {							\
	.name = "guest addresses", .id = MIGRATE_SEC_ADDRS, .flags = 0,	\
	.max_len = ADDRS_LEN, .source = addrs_source,			\
	.target = addrs_target,						\
}

#define SECTION_LINK {							\
	.name = "link", .id = MIGRATE_SEC_LINK,				\
	.flags = MIGRATE_SEC_OPTIONAL, .feature = MIGRATE_FEAT_LINK,	\
	.max_len = LINK_LEN, .source = link_source,			\
	.target = link_target,						\
}

/* One row per section, in stream order */
static const struct migrate_section sections_v1[] = {
	SECTION_ADDRS,
};

static const struct migrate_section sections_v2[] = {
	SECTION_ADDRS,
	SECTION_LINK,
};

/* Version 4 writes the same sections, with version 4 connection records */
static const struct migrate_section sections_v3[] = {
	SECTION_ADDRS,
	SECTION_LINK,
	TCP_MIGRATE_SECTIONS,
};

/* One row per version, oldest first. See doc/migration.md before adding. */
static const struct migrate_version versions[] = {
	{ 1, 1, VHDR_V1_LEN, read_header_v1, write_header_v1,
	  sections_v1, ARRAY_SIZE(sections_v1) },
	{ 2, 1, VHDR_V2_LEN, read_header_v2, write_header_v2,
	  sections_v2, ARRAY_SIZE(sections_v2) },
	/* Mandatory TCP sections: older readers cannot skip them */
	{ 3, 3, VHDR_V2_LEN, read_header_v2, write_header_v2,
	  sections_v3, ARRAY_SIZE(sections_v3) },
	/* Connection records: SND.MAX, and the FIN_SENT flag */
	{ 4, 4, VHDR_V2_LEN, read_header_v2, write_header_v2,
	  sections_v3, ARRAY_SIZE(sections_v3) },
};

const struct migrate_table migrate_builtin = {
	versions, ARRAY_SIZE(versions)
};

/* Table in use: the built-in one, or one the tests give */
static const struct migrate_table *migrate_table = &migrate_builtin;

/**
 * migrate_table_use() - use another versions table (tests, benchmark)
 * @t:		table, NULL for the built-in one
 */
void migrate_table_use(const struct migrate_table *t)
{
	migrate_table = t ? t : &migrate_builtin;
}

/**
 * migrate_version_check() - whether this daemon can write a version
 * @version:	version number, as given with --migrate-version
 *
 * Return: 0 if it can, -1 if not
 */
int migrate_version_check(unsigned int version)
{
	return migrate_table_find(migrate_table, version) ? 0 : -1;
}

/* The transfer */

/**
 * migrate_carries_tcp() - whether a version carries TCP connections
 * @v:		version
 *
 * Return: true if one of its sections freezes them
 */
static bool migrate_carries_tcp(const struct migrate_version *v)
{
	size_t i;

	for (i = 0; i < v->section_count; i++) {
		if (v->sections[i].prepare == tcp_migrate_flows_prepare)
			return true;
	}
	return false;
}

/**
 * struct migrate_transfer - the one device-state transfer, if any
 * @active:		a transfer is running
 * @dir:		its direction
 * @fd:			device-state fd, owned until the transfer ends
 * @save_fd:		copy of the stream (--migrate-save), or -1
 * @done:		called once when the transfer ends
 * @start_ms:		when it started
 * @start_us:		the same, in microseconds, for the timing line
 * @work_us:		time spent producing or taking the stream: the
 *			daemon's own share, sections included
 * @timeout_ms:		how long it may take
 * @header_logged:	target: the writer of the stream was logged
 * @result:		0, -EINPROGRESS while running, or a negative error code
 * @error:		why the last transfer failed, empty if it did not
 * @r:			target: stream reader
 * @w:			source: stream writer
 * @in:			target: read buffer
 */
static struct migrate_transfer {
	bool active;
	enum migrate_dir dir;
	int fd;
	int save_fd;
	migrate_done_fn done;
	uint64_t start_ms;
	uint64_t start_us;
	uint64_t work_us;
	uint64_t timeout_ms;
	bool header_logged;
	int result;
	char error[512];
	union {
		struct migrate_reader r;
		struct migrate_writer w;
	};
	uint8_t in[MIGRATE_CHUNK_MAX];
} xfer = { .fd = -1, .save_fd = -1, .result = -ENODATA };

/**
 * now_us() - monotonic clock in microseconds, for the timing lines
 *
 * Return: microseconds since an arbitrary, fixed point
 */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/**
 * migrate_side() - name of a side in messages
 * @dir:	direction
 *
 * Return: "source" or "target"
 */
static const char *migrate_side(enum migrate_dir dir)
{
	return dir == MIGRATE_SAVE ? "source" : "target";
}

/**
 * migrate_position() - what the transfer is at, and the stream offset
 * @offset:	set to the stream offset
 *
 * Return: description of the element being written or read
 */
static const char *migrate_position(uint64_t *offset)
{
	if (xfer.dir == MIGRATE_SAVE) {
		*offset = xfer.w.offset + xfer.w.out_pos;
		return xfer.w.where;
	}
	*offset = xfer.r.offset;
	return xfer.r.where;
}

/**
 * migrate_save_open() - open the file keeping a copy of this stream
 * @c:		execution context
 * @dir:	direction, part of the file name
 *
 * Return: file descriptor, or -1 if no copy is wanted or possible
 */
static int migrate_save_open(const struct ctx *c, enum migrate_dir dir)
{
	char path[PATH_MAX], stamp[32];
	struct timespec ts;
	struct tm tm;
	int fd, n;

	if (!c->migrate_save_dir[0])
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	n = snprintf(path, sizeof(path), "%s/migrate-%s.%03ldZ-%d-%s.bin",
		     c->migrate_save_dir, stamp, ts.tv_nsec / 1000000,
		     (int)getpid(), migrate_side(dir));
	if (n < 0 || (size_t)n >= sizeof(path)) {
		warn("migrate: %s: save directory path too long, not saving a copy",
		     migrate_side(dir));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		warn("migrate: %s: cannot save a copy to %s: %s",
		     migrate_side(dir), path, strerror(errno));
	else
		info("migrate: %s: saving a copy of the stream to %s",
		     migrate_side(dir), path);
	return fd;
}

/**
 * migrate_save_write() - append transferred bytes to the saved copy
 * @buf:	bytes
 * @len:	their length
 *
 * A failure stops the copy with a warning; the migration goes on.
 */
static void migrate_save_write(const uint8_t *buf, size_t len)
{
	int rc;

	if (xfer.save_fd < 0)
		return;
	rc = write_all(xfer.save_fd, buf, len);
	if (!rc)
		return;
	warn("migrate: %s: saving a copy of the stream failed: %s",
	     migrate_side(xfer.dir), strerror(-rc));
	close(xfer.save_fd);
	xfer.save_fd = -1;
}

/**
 * migrate_finish() - end the transfer: close the fd, report the result once
 * @c:		execution context
 * @rc:		0 on success, negative error code on failure
 * @why:	on failure, what, where (offset) and why
 */
static void migrate_finish(struct ctx *c, int rc, const char *why)
{
	const char *side = migrate_side(xfer.dir);
	uint64_t offset;

	if (!xfer.active)
		return;
	migrate_position(&offset);
	epoll_del_fd(c, xfer.fd);
	/* Closing is what tells QEMU that the source side is complete */
	close(xfer.fd);
	xfer.fd = -1;
	if (xfer.save_fd >= 0)
		close(xfer.save_fd);
	xfer.save_fd = -1;

	if (rc) {
		snprintf(xfer.error, sizeof(xfer.error), "%s", why);
		err("migrate: %s: %s", side, why);
		if (xfer.dir == MIGRATE_SAVE)
			migrate_writer_rollback(&xfer.w);
		else
			tcp_migrate_target_abort(c);
	} else {
		xfer.error[0] = '\0';
		info("migrate: %s: complete, %" PRIu64 " bytes in %.1f ms (own work %.1f ms)",
		     side, offset, (double)(now_us() - xfer.start_us) / 1000,
		     (double)xfer.work_us / 1000);
		if (xfer.dir == MIGRATE_SAVE)
			tcp_migrate_source_done(c);
	}
	xfer.active = false;
	xfer.result = rc;
	if (xfer.done)
		xfer.done(c, rc);
}

/**
 * migrate_fail_here() - end the transfer with a failure at its position
 * @c:		execution context
 * @rc:		negative error code
 * @fmt:	reason, printf-style
 */
__attribute__((format(printf, 3, 4)))
static void migrate_fail_here(struct ctx *c, int rc, const char *fmt, ...)
{
	char reason[256], why[512];
	const char *where;
	uint64_t offset;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	where = migrate_position(&offset);
	snprintf(why, sizeof(why), "%s at offset %" PRIu64 ": %s",
		 where, offset, reason);
	migrate_finish(c, rc, why);
}

/**
 * migrate_source_advance() - write what the fd takes of the stream
 * @c:		execution context
 */
static void migrate_source_advance(struct ctx *c)
{
	int i;

	for (i = 0; i < MIGRATE_BURST; i++) {
		const uint8_t *buf;
		size_t len;
		ssize_t n;
		int rc;

		uint64_t t0 = now_us();

		rc = migrate_writer_next(&xfer.w, &buf, &len);
		xfer.work_us += now_us() - t0;
		if (rc) {
			migrate_finish(c, rc < 0 ? rc : 0, xfer.w.error);
			return;
		}
		n = write(xfer.fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			migrate_fail_here(c, -errno, "write: %s",
					  strerror(errno));
			return;
		}
		migrate_save_write(buf, (size_t)n);
		migrate_writer_consumed(&xfer.w, (size_t)n);
	}
}

/**
 * migrate_target_log_header() - log who wrote the stream, once
 */
static void migrate_target_log_header(void)
{
	const struct migrate_header *h = &xfer.r.hdr;

	if (xfer.header_logged || !xfer.r.header_read)
		return;
	xfer.header_logged = true;
	info("migrate: target: stream version %" PRIu32 " (readable from version %" PRIu32 ") written by %s %s, reading it as version %" PRIu32,
	     h->version, h->compat, h->writer, h->writer_version,
	     xfer.r.v->id);
}

/**
 * migrate_target_advance() - read and restore what the fd has of the stream
 * @c:		execution context
 */
static void migrate_target_advance(struct ctx *c)
{
	int i, rc;

	for (i = 0; i < MIGRATE_BURST; i++) {
		ssize_t n = read(xfer.fd, xfer.in, sizeof(xfer.in));
		uint64_t t0 = now_us();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			migrate_fail_here(c, -errno, "read: %s",
					  strerror(errno));
			return;
		}
		if (!n) {
			rc = migrate_reader_finish(&xfer.r);
			xfer.work_us += now_us() - t0;
			migrate_finish(c, rc, xfer.r.error);
			return;
		}
		migrate_save_write(xfer.in, (size_t)n);
		t0 = now_us();
		rc = migrate_reader_feed(&xfer.r, xfer.in, (size_t)n);
		xfer.work_us += now_us() - t0;
		migrate_target_log_header();
		if (rc) {
			migrate_finish(c, rc, xfer.r.error);
			return;
		}
	}
}

/**
 * migrate_request_fail() - refuse a transfer request, closing its fd
 * @fd:		device-state fd
 * @rc:		negative error code
 * @side:	"source" or "target"
 * @fmt:	what failed, printf-style
 *
 * Return: @rc
 */
__attribute__((format(printf, 4, 5)))
static int migrate_request_fail(int fd, int rc, const char *side,
				const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(xfer.error, sizeof(xfer.error), fmt, ap);
	va_end(ap);
	err("migrate: %s: request refused: %s", side, xfer.error);
	close(fd);
	xfer.result = rc;
	return rc;
}

/**
 * migrate_request() - start a device-state transfer on a file descriptor
 * @c:		execution context
 * @fd:		device-state fd: owned from now on, closed when this side is
 *		done, on success or failure (that is how QEMU sees the end)
 * @dir:	MIGRATE_SAVE (source, write) or MIGRATE_LOAD (target, read)
 * @done:	called once, from the epoll loop, when the transfer ends
 *
 * The transfer then advances in migrate_handler() as @fd becomes ready.
 *
 * Return: 0 if started, else a negative error code; @done is then never
 *	   called, and @fd is already closed
 */
int migrate_request(struct ctx *c, int fd, enum migrate_dir dir,
		    migrate_done_fn done)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_MIGRATE, .fd = fd };
	const char *side = migrate_side(dir);
	char known[128];
	int rc;

	if (xfer.active) {
		err("migrate: %s: a transfer is already running, refusing another",
		    side);
		close(fd);
		return -EBUSY;
	}
	if (dir != MIGRATE_SAVE && dir != MIGRATE_LOAD)
		return migrate_request_fail(fd, -EINVAL, side,
					    "unknown direction %d", dir);
	rc = fd_set_nonblock(fd);
	if (rc)
		return migrate_request_fail(fd, rc, side,
					    "cannot make fd %d non-blocking: %s",
					    fd, strerror(-rc));
	if (dir == MIGRATE_SAVE) {
		rc = migrate_writer_init(&xfer.w, c, migrate_table,
					 c->migrate_version);
		if (rc) {
			migrate_table_list(migrate_table, known, sizeof(known));
			return migrate_request_fail(fd, rc, side,
						    "cannot write version %u, this daemon writes %s",
						    c->migrate_version, known);
		}
	} else {
		migrate_reader_init(&xfer.r, c, migrate_table, false, NULL);
	}
	rc = epoll_add_ref(c, fd, dir == MIGRATE_SAVE ? EPOLLOUT : EPOLLIN,
			   ref);
	if (rc)
		return migrate_request_fail(fd, rc, side,
					    "cannot watch fd %d: %s",
					    fd, strerror(-rc));

	xfer.active = true;
	xfer.dir = dir;
	xfer.fd = fd;
	xfer.done = done;
	xfer.header_logged = false;
	xfer.result = -EINPROGRESS;
	xfer.error[0] = '\0';
	xfer.start_ms = now_ms();
	xfer.start_us = now_us();
	xfer.work_us = 0;
	xfer.timeout_ms = c->migrate_timeout_ms ? c->migrate_timeout_ms :
						  MIGRATE_TIMEOUT_MS_DEFAULT;
	xfer.save_fd = migrate_save_open(c, dir);
	if (dir == MIGRATE_LOAD) {
		info("migrate: target: reading");
		return 0;
	}
	info("migrate: source: writing version %" PRIu32 " (readable from version %" PRIu32 ")",
	     xfer.w.v->id, xfer.w.v->compat);
	if (!migrate_carries_tcp(xfer.w.v))
		tcp_migrate_not_carried(xfer.w.v->id);
	return 0;
}

/**
 * migrate_handler() - advance the transfer: its fd is ready
 * @c:		execution context
 * @ref:	epoll reference (EPOLL_TYPE_MIGRATE, the fd)
 * @events:	epoll events; errors and hang-ups show up as I/O results
 */
void migrate_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	(void)events;
	if (!xfer.active || ref.fd != xfer.fd)
		return;
	if (xfer.dir == MIGRATE_SAVE)
		migrate_source_advance(c);
	else
		migrate_target_advance(c);
}

/**
 * migrate_timer() - fail a transfer that outlived its deadline
 * @c:		execution context
 * @now:	current time, from now_ms()
 */
void migrate_timer(struct ctx *c, uint64_t now)
{
	if (!xfer.active || now - xfer.start_ms < xfer.timeout_ms)
		return;
	migrate_fail_here(c, -ETIMEDOUT, "timed out after %" PRIu64 " ms",
			  xfer.timeout_ms);
}

/**
 * migrate_cancel() - abort a running transfer: roll back, close, report
 * @c:		execution context
 */
void migrate_cancel(struct ctx *c)
{
	if (xfer.active)
		migrate_fail_here(c, -ECANCELED, "cancelled");
}

/**
 * migrate_source_resumed() - the front-end resumes the guest on this side
 *			      after this side saved its state: the migration
 *			      failed further on, connections go on here
 * @c:		execution context
 */
void migrate_source_resumed(struct ctx *c)
{
	if (xfer.active) {
		migrate_cancel(c);
		return;
	}
	if (xfer.dir != MIGRATE_SAVE || xfer.result)
		return;
	tcp_migrate_source_resume(c);
	xfer.result = -ECANCELED;
	snprintf(xfer.error, sizeof(xfer.error),
		 "the guest resumed on the source");
}

/**
 * migrate_result() - outcome of the last transfer
 *
 * Return: 0 on success, -EINPROGRESS while running, -ENODATA if there was
 *	   none, else the negative error code it failed with
 */
int migrate_result(void)
{
	return xfer.result;
}

/**
 * migrate_error() - why the last transfer failed
 *
 * Return: what, where (offset) and why, or "" if it did not fail
 */
const char *migrate_error(void)
{
	return xfer.error;
}

/**
 * migrate_inspect() - decode a saved stream into a listing on stdout
 * @path:	file holding the stream
 *
 * Sections are checked as a target would (dry run): nothing is restored.
 *
 * Return: 0 if the stream is good, 1 if it is bad or unreadable
 */
int migrate_inspect(const char *path)
{
	static struct migrate_reader r;
	static uint8_t buf[MIGRATE_CHUNK_MAX];
	static struct ctx scratch;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	printf("migration stream %s\n", path);
	migrate_reader_init(&r, &scratch, migrate_table, true, stdout);
	while (!rc) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("BAD: read at offset %" PRIu64 ": %s\n",
			       r.offset, strerror(errno));
			close(fd);
			return 1;
		}
		if (!n)
			break;
		rc = migrate_reader_feed(&r, buf, (size_t)n);
	}
	close(fd);
	if (!rc)
		rc = migrate_reader_finish(&r);
	if (rc) {
		printf("BAD: %s\n", r.error);
		return 1;
	}
	printf("good: %" PRIu64 " bytes, read as version %" PRIu32 "\n",
	       r.offset, r.v->id);
	return 0;
}
