// SPDX-License-Identifier: GPL-2.0-or-later
/* test_migrate.c - the migration stream, driven through real fds and epoll
 *
 * Each case runs the real transfer (migrate_request(), migrate_handler(),
 * migrate_timer()) over a pipe or a socketpair, with a small epoll loop here
 * standing in for passt.c and the test playing QEMU on the other end. A
 * source's stream is captured to memory; a target is fed bytes from memory,
 * whole, altered, cut short or one at a time.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "passt.h"
#include "util.h"
#include "log.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "../migrate_records.h"

/* Bound on how long one transfer in a test may run: a hang guard only */
#define DRIVE_LIMIT_MS		10000
#define STREAM_MAX		(1 << 20)

/* Offsets in a version 2 stream from the built-in table */
#define V2_SECTIONS_AT		(MIGRATE_FIXED_LEN + 64 + 4)
#define V2_ADDRS_PAYLOAD_AT	(V2_SECTIONS_AT + 8 + 8)

enum chan {
	CHAN_PIPE,
	CHAN_SOCKETPAIR,
};

/**
 * struct peer - the test's end of the device-state channel (QEMU's part)
 * @fd:		our end, non-blocking, -1 once closed
 * @out:	bytes to send to a target
 * @out_len:	how many of @out to send
 * @out_pos:	how many were sent
 * @step:	most bytes per write, 0 for as many as the channel takes
 * @keep_open:	do not close after sending: a stalled peer
 * @in:		buffer for what a source sends
 * @in_size:	its size
 * @in_len:	bytes received
 * @read_limit:	close our end once this many were received, 0 never
 * @no_read:	receive nothing: a peer that stopped reading
 * @eof:	the source closed its end
 */
struct peer {
	int fd;
	const uint8_t *out;
	size_t out_len;
	size_t out_pos;
	size_t step;
	bool keep_open;
	uint8_t *in;
	size_t in_size;
	size_t in_len;
	size_t read_limit;
	bool no_read;
	bool eof;
};

static struct ctx src_ctx, dst_ctx;
static uint8_t stream[STREAM_MAX];
static size_t stream_len;
static uint8_t altered[STREAM_MAX];
static int done_calls;
static int done_result;
static char log_path[64];

/**
 * on_done() - the transfer's done callback: count calls, keep the result
 * @c:		execution context
 * @result:	result of the transfer
 */
static void on_done(struct ctx *c, int result)
{
	(void)c;
	done_calls++;
	done_result = result;
}

/**
 * ctx_setup() - a context with an epoll set and known guest addresses
 * @c:		context to fill
 * @last:	last byte of every address, to tell contexts apart
 */
static void ctx_setup(struct ctx *c, uint8_t last)
{
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, last };
	uint8_t ours[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, last };

	if (c->epollfd > 0)
		close(c->epollfd);
	memset(c, 0, sizeof(*c));
	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	c->migrate_timeout_ms = DRIVE_LIMIT_MS;
	memcpy(c->guest_mac, mac, sizeof(mac));
	c->guest_mac_seen = true;
	memcpy(c->our_mac, ours, sizeof(ours));
	c->mtu = 65000 + last;
	c->ip4.addr_seen.s_addr = htonl(0xc0000200 | last);	/* 192.0.2.x */
	inet_pton(AF_INET6, "2001:db8::1", &c->ip6.addr_seen);
	inet_pton(AF_INET6, "fe80::1", &c->ip6.addr_ll_seen);
	c->ip6.addr_seen.s6_addr[15] = last;
	c->ip6.addr_ll_seen.s6_addr[15] = last;
}

/**
 * log_file_remove() - remove the log file, even if a check ended a case early
 */
static void log_file_remove(void)
{
	if (log_path[0])
		unlink(log_path);
}

/**
 * setup() - fresh contexts, logs to a file, default table, no SIGPIPE
 */
static void setup(void)
{
	if (!log_path[0])
		atexit(log_file_remove);
	signal(SIGPIPE, SIG_IGN);
	ctx_setup(&src_ctx, 1);
	ctx_setup(&dst_ctx, 2);
	migrate_table_use(NULL);
	snprintf(log_path, sizeof(log_path), "/tmp/test_migrate.%d.log",
		 (int)getpid());
	unlink(log_path);
	log_init("unit", false, log_path, LOG_LEVEL_INFO);
}

/**
 * teardown() - logs back to stderr, default table
 */
static void teardown(void)
{
	log_close();
	log_init("unit", true, NULL, LOG_LEVEL_INFO);
	unlink(log_path);
	migrate_table_use(NULL);
}

/**
 * log_count() - how many logged lines contain a string
 * @needle:	string to look for
 *
 * Return: number of lines
 */
static int log_count(const char *needle)
{
	FILE *f = fopen(log_path, "r");
	char line[1400];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, needle);
	fclose(f);
	return n;
}

/**
 * channel() - make a pipe or socketpair, one end for migrate, one for the peer
 * @kind:	CHAN_PIPE or CHAN_SOCKETPAIR
 * @dir:	direction of the transfer
 * @ours:	set to the end given to migrate_request()
 * @theirs:	set to the peer's end, non-blocking
 *
 * Return: 0, or -1 on failure
 */
static int channel(enum chan kind, enum migrate_dir dir, int *ours,
		   int *theirs)
{
	int fds[2];

	if (kind == CHAN_SOCKETPAIR) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
			return -1;
	} else if (pipe2(fds, O_CLOEXEC)) {
		return -1;
	}
	/* A pipe's read end is fds[0] */
	*ours = dir == MIGRATE_SAVE ? fds[1] : fds[0];
	*theirs = dir == MIGRATE_SAVE ? fds[0] : fds[1];
	return fd_set_nonblock(*theirs);
}

/**
 * peer_close() - close the peer's end once
 * @p:		peer
 */
static void peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/**
 * peer_step() - move what the channel takes, without blocking
 * @p:		peer
 */
static void peer_step(struct peer *p)
{
	if (p->fd < 0)
		return;
	if (p->out) {
		size_t len = p->out_len - p->out_pos;
		ssize_t n;

		if (p->step && len > p->step)
			len = p->step;
		n = len ? write(p->fd, p->out + p->out_pos, len) : 0;
		if (n > 0)
			p->out_pos += (size_t)n;
		if (p->out_pos == p->out_len && !p->keep_open)
			peer_close(p);
		return;
	}
	while (!p->no_read) {
		uint8_t sink[4096];
		uint8_t *dst = p->in_len < p->in_size ? p->in + p->in_len : sink;
		size_t room = p->in_len < p->in_size ?
			      MIN(p->in_size - p->in_len, sizeof(sink)) :
			      sizeof(sink);
		ssize_t n = read(p->fd, dst, room);

		if (n <= 0) {
			p->eof = !n;
			return;
		}
		if (dst != sink)
			p->in_len += (size_t)n;
		if (p->read_limit && p->in_len >= p->read_limit) {
			peer_close(p);
			return;
		}
	}
}

/**
 * loop_once() - one round of the test's epoll loop, as passt.c does it
 * @c:		execution context
 * @p:		peer, moved before waiting
 */
static void loop_once(struct ctx *c, struct peer *p)
{
	struct epoll_event ev[4];
	int n, i;

	peer_step(p);
	n = epoll_wait(c->epollfd, ev, 4, 2);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_MIGRATE)
			migrate_handler(c, ref, ev[i].events);
	}
	migrate_timer(c, now_ms());
}

/**
 * drive() - run the loop until the transfer is done, then drain a source
 * @c:		execution context
 * @p:		peer
 */
static void drive(struct ctx *c, struct peer *p)
{
	uint64_t start = now_ms();

	while (!done_calls && now_ms() - start < DRIVE_LIMIT_MS)
		loop_once(c, p);
	while (!p->out && p->fd >= 0 && !p->eof && !p->no_read &&
	       now_ms() - start < DRIVE_LIMIT_MS)
		peer_step(p);
	peer_close(p);
}

/**
 * start_transfer() - open a channel and start a transfer on it
 * @c:		execution context
 * @t:		versions table, NULL for the built-in one
 * @kind:	channel kind
 * @dir:	direction of the transfer
 * @p:		peer, its fd set to the test's end, -1 without a channel
 *
 * Return: what migrate_request() returned, -EIO if there is no channel
 */
static int start_transfer(struct ctx *c, const struct migrate_table *t,
			  enum chan kind, enum migrate_dir dir, struct peer *p)
{
	int ours;

	migrate_table_use(t);
	done_calls = 0;
	p->fd = -1;
	if (channel(kind, dir, &ours, &p->fd))
		return -EIO;
	return migrate_request(c, ours, dir, on_done);
}

/**
 * run_transfer() - run a whole transfer against a prepared peer
 * @c:		execution context
 * @t:		versions table, NULL for the built-in one
 * @kind:	channel kind
 * @dir:	direction of the transfer
 * @p:		peer: bytes to send to a target, or room for a source's
 *
 * Return: result of the transfer, or of migrate_request() if it refused
 */
static int run_transfer(struct ctx *c, const struct migrate_table *t,
			enum chan kind, enum migrate_dir dir, struct peer *p)
{
	int rc = start_transfer(c, t, kind, dir, p);

	if (rc) {
		peer_close(p);
		return rc;
	}
	drive(c, p);
	migrate_table_use(NULL);
	return done_calls == 1 ? done_result : -EDEADLK;
}

/**
 * run_source() - run a source transfer, capturing its stream
 * @c:		context to migrate from
 * @t:		versions table, NULL for the built-in one
 * @kind:	channel kind
 * @buf:	where the stream goes
 * @size:	size of @buf
 * @len:	set to the stream's length
 *
 * Return: result of the transfer, or of migrate_request() if it refused
 */
static int run_source(struct ctx *c, const struct migrate_table *t,
		      enum chan kind, uint8_t *buf, size_t size, size_t *len)
{
	struct peer p = { .in = buf, .in_size = size };
	int rc = run_transfer(c, t, kind, MIGRATE_SAVE, &p);

	*len = p.in_len;
	return rc;
}

/**
 * capture() - the built-in table's stream of @version from the source context
 * @version:	version to write, 0 for the newest
 *
 * Return: result of the transfer; the stream is in stream[], stream_len
 */
static int capture(unsigned int version)
{
	src_ctx.migrate_version = version;
	return run_source(&src_ctx, NULL, CHAN_PIPE, stream, sizeof(stream),
			  &stream_len);
}

/**
 * run_target() - feed bytes to a target transfer, then close
 * @c:		context to migrate into
 * @t:		versions table, NULL for the built-in one
 * @buf:	stream
 * @len:	its length
 *
 * Return: result of the transfer
 */
static int run_target(struct ctx *c, const struct migrate_table *t,
		      const uint8_t *buf, size_t len)
{
	struct peer p = { .out = buf, .out_len = len };

	return run_transfer(c, t, CHAN_PIPE, MIGRATE_LOAD, &p);
}

/**
 * error_has() - whether the last transfer's error contains a string
 * @s:		string
 *
 * Return: true if it does
 */
static bool error_has(const char *s)
{
	return strstr(migrate_error(), s) != NULL;
}

/**
 * version_like() - a version made from a built-in one, with other numbers
 * @base:	index of the built-in version to copy hooks from
 * @id:		version number
 * @compat:	its compat_version
 * @sections:	section rows, or NULL to keep the built-in ones
 * @count:	number of @sections
 *
 * Return: the version entry
 */
static struct migrate_version version_like(size_t base, uint32_t id,
					   uint32_t compat,
					   const struct migrate_section *sections,
					   size_t count)
{
	struct migrate_version v = migrate_builtin.versions[base];

	v.id = id;
	v.compat = compat;
	if (sections) {
		v.sections = sections;
		v.section_count = count;
	}
	return v;
}

/**
 * relay() - the source context's stream, fed to the target context
 * @src:	versions table of the source, NULL for the built-in one
 * @dst:	versions table of the target, NULL for the built-in one
 *
 * Return: result of the source transfer if it failed, else of the target's
 */
static int relay(const struct migrate_table *src,
		 const struct migrate_table *dst)
{
	int rc = run_source(&src_ctx, src, CHAN_PIPE, stream, sizeof(stream),
			    &stream_len);

	return rc ? rc : run_target(&dst_ctx, dst, stream, stream_len);
}

/* The built-in rows of version 2 */
#define ROW_ADDRS	(migrate_builtin.versions[1].sections[0])
#define ROW_LINK	(migrate_builtin.versions[1].sections[1])

/**
 * same_addresses() - whether the target now has the source's guest addresses
 *
 * Return: true if every observed address and the MAC were adopted
 */
static bool same_addresses(void)
{
	return !memcmp(src_ctx.guest_mac, dst_ctx.guest_mac, 6) &&
	       dst_ctx.guest_mac_seen &&
	       src_ctx.ip4.addr_seen.s_addr == dst_ctx.ip4.addr_seen.s_addr &&
	       IN6_ARE_ADDR_EQUAL(&src_ctx.ip6.addr_seen,
				  &dst_ctx.ip6.addr_seen) &&
	       IN6_ARE_ADDR_EQUAL(&src_ctx.ip6.addr_ll_seen,
				  &dst_ctx.ip6.addr_ll_seen);
}

/**
 * same_link() - whether the target adopted the source's MAC and MTU
 *
 * Return: true if it did
 */
static bool same_link(void)
{
	return !memcmp(src_ctx.our_mac, dst_ctx.our_mac, 6) &&
	       src_ctx.mtu == dst_ctx.mtu;
}

/* Version matrix */

TEST(stream_newest_to_newest_restores_addresses_and_link)
{
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(migrate_result() == 0);
	CHECK(same_addresses());
	CHECK(same_link());
	CHECK(migrate_builtin.versions[3].id == 4);
	CHECK(stream[11] == 4 && stream[15] == 4);	/* version 4, compat 4 */
}

TEST(stream_v1_to_v1_only_target_restores_addresses)
{
	struct migrate_table v1_only = { migrate_builtin.versions, 1 };
	int rc;

	setup();
	rc = capture(1);
	if (!rc)
		rc = run_target(&dst_ctx, &v1_only, stream, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(stream[11] == 1);
	CHECK(same_addresses());
	CHECK(!same_link());
}

TEST(stream_old_source_v1_to_new_target_reads_as_v1)
{
	int rc;

	setup();
	rc = capture(1);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
	/* Version 1 has no link section: the target keeps its own */
	CHECK(!same_link());
}

TEST(stream_new_source_v2_to_old_target_skips_link_section)
{
	struct migrate_table v1_only = { migrate_builtin.versions, 1 };
	int rc;

	setup();
	rc = capture(2);
	if (!rc)
		rc = run_target(&dst_ctx, &v1_only, stream, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
	CHECK(!same_link());
}

TEST(stream_newer_incompatible_source_is_refused_by_old_target)
{
	struct migrate_version v5 = version_like(1, 5, 5, NULL, 0);
	struct migrate_table src_table = { &v5, 1 };
	int rc;

	setup();
	src_ctx.migrate_version = 0;
	rc = relay(&src_table, NULL);
	teardown();
	CHECK(rc == -EPROTONOSUPPORT);
	CHECK(error_has("no common version: stream is readable as versions 5 to 5, this daemon knows 1, 2, 3, 4"));
	CHECK(!same_addresses());
}

TEST(stream_old_source_is_refused_by_target_without_compatible_version)
{
	struct migrate_version v3 = version_like(1, 3, 3, NULL, 0);
	struct migrate_table dst_table = { &v3, 1 };
	int rc;

	setup();
	rc = capture(1);
	if (!rc)
		rc = run_target(&dst_ctx, &dst_table, stream, stream_len);
	teardown();
	CHECK(rc == -EPROTONOSUPPORT);
	CHECK(error_has("versions 1 to 1, this daemon knows 3"));
}

TEST(stream_target_picks_newest_common_version)
{
	struct migrate_version v[3] = {
		version_like(0, 1, 1, NULL, 0),
		version_like(1, 2, 1, NULL, 0),
		version_like(1, 4, 2, NULL, 0),
	};
	struct migrate_table src_table = { &v[2], 1 };
	struct migrate_table dst_table = { v, 2 };
	int rc;

	setup();
	rc = relay(&src_table, &dst_table);
	teardown();
	/* Offered 2..4, known 1 and 2: read as 2, which has the link */
	CHECK(rc == 0);
	CHECK(same_link());
}

TEST(stream_source_refuses_version_it_cannot_write)
{
	int ours, theirs, rc;
	char byte;

	setup();
	src_ctx.migrate_version = 9;
	done_calls = 0;
	CHECK(!channel(CHAN_PIPE, MIGRATE_SAVE, &ours, &theirs));
	rc = migrate_request(&src_ctx, ours, MIGRATE_SAVE, on_done);
	teardown();
	CHECK(rc == -ENOTSUP);
	CHECK(done_calls == 0);
	/* The fd was taken and closed: the reader sees end of file */
	CHECK(read(theirs, &byte, 1) == 0);
	close(theirs);
	CHECK(migrate_version_check(1) == 0);
	CHECK(migrate_version_check(2) == 0);
	CHECK(migrate_version_check(0) == -1);
	CHECK(migrate_version_check(9) == -1);
}

/* Malformed input */

/**
 * refused_altered() - feed the captured stream with one 32-bit field set
 * @off:	offset of the field
 * @value:	value to write there
 *
 * Return: result of the target transfer
 */
static int refused_altered(size_t off, uint32_t value)
{
	memcpy(altered, stream, stream_len);
	migrate_put_be32(altered + off, value);
	return run_target(&dst_ctx, NULL, altered, stream_len);
}

TEST(stream_bad_magic_is_refused)
{
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = refused_altered(0, 0x12345678);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("fixed header at offset 0: bad magic 0x12345678544d4947, expected 0x50415353544d4947"));
	CHECK(!same_addresses());
}

TEST(stream_each_bad_version_combination_is_refused)
{
	int rc[4] = { -1, -1, -1, -1 };

	setup();
	if (!capture(0)) {
		rc[0] = refused_altered(8, 0);
		CHECK(error_has("offset 8: version 0 is invalid"));
		rc[1] = refused_altered(12, 0);
		CHECK(error_has("offset 12: compat_version 0 is invalid"));
		rc[2] = refused_altered(12, 5);
		CHECK(error_has("offset 12: compat_version 5 is above version 4"));
		memcpy(altered, stream, stream_len);
		migrate_put_be32(altered + 8, 7);
		migrate_put_be32(altered + 12, 5);
		rc[3] = run_target(&dst_ctx, NULL, altered, stream_len);
		CHECK(error_has("versions 5 to 7, this daemon knows 1, 2, 3, 4"));
	}
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG && rc[2] == -EBADMSG);
	CHECK(rc[3] == -EPROTONOSUPPORT);
}

TEST(stream_truncated_at_every_byte_is_refused)
{
	size_t cut, refused = 0, cut_short = 0;
	int rc;

	setup();
	rc = capture(0);
	for (cut = 0; !rc && cut < stream_len; cut++) {
		refused += run_target(&dst_ctx, NULL, stream, cut) == -EBADMSG;
		cut_short += error_has("stream cut short");
	}
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(stream_len > 100);
	CHECK(refused == stream_len);
	CHECK(cut_short == stream_len);
}

TEST(stream_truncated_after_fixed_header_is_refused)
{
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, MIGRATE_FIXED_LEN);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("version 4 header at offset 16: stream cut short: 0 of the 4 bytes of the version header length received"));
}

TEST(stream_missing_end_marker_is_refused)
{
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len - 8);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("section header at offset"));
	CHECK(error_has("a section header or the end marker"));
}

TEST(stream_trailing_garbage_is_refused)
{
	int rc;

	setup();
	rc = capture(0);
	if (!rc) {
		memcpy(altered, stream, stream_len);
		altered[stream_len] = 'x';
		rc = run_target(&dst_ctx, NULL, altered, stream_len + 1);
	}
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("trailing data after the end marker"));
}

TEST(stream_overlong_header_length_is_refused)
{
	int rc[2] = { -1, -1 };

	setup();
	if (!capture(0)) {
		rc[0] = refused_altered(MIGRATE_FIXED_LEN, 0xffffffff);
		CHECK(error_has("version 4 header at offset 16: length 4294967295 exceeds limit 4096"));
		rc[1] = refused_altered(MIGRATE_FIXED_LEN, 8);
		CHECK(error_has("length 8 is shorter than the 64 bytes version 4 needs"));
	}
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG);
}

TEST(stream_overflowing_chunk_length_is_refused)
{
	int rc[2] = { -1, -1 };

	setup();
	if (!capture(0)) {
		rc[0] = refused_altered(V2_SECTIONS_AT + 8, 0xffffffff);
		CHECK(error_has("section \"guest addresses\" at offset 92: chunk length 4294967295 exceeds limit 65536"));
		rc[1] = refused_altered(V2_SECTIONS_AT + 8, 49);
		CHECK(error_has("section \"guest addresses\" at offset 92: length 49 exceeds limit 48"));
	}
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG);
}

TEST(stream_section_over_its_limit_is_refused_before_reading_it)
{
	struct migrate_section big[2] = { ROW_ADDRS, records_section(0, 1 << 20) };
	struct migrate_section small[2] = { ROW_ADDRS, records_section(0, 64) };
	struct migrate_version vs = version_like(1, 2, 1, big, 2);
	struct migrate_version vt = version_like(1, 2, 1, small, 2);
	struct migrate_table ts = { &vs, 1 }, tt = { &vt, 1 };
	int rc;

	setup();
	records_to_send = 10;
	rc = relay(&ts, &tt);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(!strcmp(migrate_error(), "section \"test records\" at offset 164: length 320 exceeds limit 64"));
}

TEST(stream_bad_checksums_are_refused)
{
	int rc[3] = { -1, -1, -1 };

	setup();
	if (!capture(0)) {
		memcpy(altered, stream, stream_len);
		altered[V2_ADDRS_PAYLOAD_AT + 20] ^= 0x01;
		rc[0] = run_target(&dst_ctx, NULL, altered, stream_len);
		CHECK(error_has("section \"guest addresses\" at offset 100: chunk of 48 bytes: checksum"));
		CHECK(!same_addresses());
		memcpy(altered, stream, stream_len);
		altered[40] ^= 0x01;	/* writer name */
		rc[1] = run_target(&dst_ctx, NULL, altered, stream_len);
		CHECK(error_has("header checksum"));
		memcpy(altered, stream, stream_len);
		altered[V2_ADDRS_PAYLOAD_AT + 48 + 4] ^= 0x01;
		rc[2] = run_target(&dst_ctx, NULL, altered, stream_len);
		CHECK(error_has("section \"guest addresses\" at offset 152: section checksum"));
	}
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG && rc[2] == -EBADMSG);
}

/**
 * relay_with_rows() - write a version 2 stream with other rows, read it
 * @rows:	section rows of the source
 * @count:	number of @rows
 *
 * Return: result of the target transfer with the built-in table
 */
static int relay_with_rows(const struct migrate_section *rows, size_t count)
{
	struct migrate_version v = version_like(1, 2, 1, rows, count);
	struct migrate_table t = { &v, 1 };

	return relay(&t, NULL);
}

TEST(stream_unknown_mandatory_section_is_refused)
{
	struct migrate_section rows[2] = { ROW_ADDRS, records_section(0, 1 << 20) };
	int rc;

	setup();
	records_to_send = 3;
	rc = relay_with_rows(rows, 2);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("section id 100 (unknown) at offset 156: unknown mandatory section, refused"));
}

TEST(stream_unknown_optional_section_is_skipped)
{
	struct migrate_section rows[3] = {
		ROW_ADDRS, records_section(MIGRATE_SEC_OPTIONAL, 1 << 20),
		ROW_LINK,
	};
	int rc;

	setup();
	records_to_send = 5000;	/* several chunks, all skipped */
	rc = relay_with_rows(rows, 3);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
	CHECK(same_link());
}

TEST(stream_duplicate_section_is_refused)
{
	struct migrate_section rows[2] = { ROW_ADDRS, ROW_ADDRS };
	int rc;

	setup();
	rc = relay_with_rows(rows, 2);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("section \"guest addresses\" at offset 156: duplicate section"));
}

TEST(stream_missing_mandatory_section_is_refused)
{
	struct migrate_section rows[1] = { ROW_LINK };
	int rc;

	setup();
	rc = relay_with_rows(rows, 1);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("end marker at offset"));
	CHECK(error_has("mandatory section \"guest addresses\" (id 1) is missing"));
}

TEST(stream_sections_out_of_order_are_refused)
{
	struct migrate_section rows[2] = { ROW_LINK, ROW_ADDRS };
	int rc;

	setup();
	rc = relay_with_rows(rows, 2);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("section \"guest addresses\" at offset"));
	CHECK(error_has("out of order: it comes before section \"link\""));
}

TEST(stream_section_and_header_features_must_agree)
{
	struct migrate_section unannounced[2] = { ROW_ADDRS, ROW_LINK };
	struct migrate_section announced[2] = {
		ROW_ADDRS, records_section(MIGRATE_SEC_OPTIONAL, 1 << 20),
	};
	int rc[2];

	setup();
	records_to_send = 1;
	unannounced[1].feature = 0;
	rc[0] = relay_with_rows(unannounced, 2);
	CHECK(error_has("section \"link\" at offset 156: not announced in the header features 0x00000000"));
	/* An unknown optional section claiming the link's feature bit */
	announced[1].feature = ROW_LINK.feature;
	rc[1] = relay_with_rows(announced, 2);
	CHECK(error_has("section \"link\" (id 2) is announced in the header features but missing"));
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG);
}

TEST(stream_multicast_guest_mac_is_refused)
{
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	int rc;

	setup();
	memcpy(src_ctx.guest_mac, mcast, 6);
	rc = capture(0);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("section \"guest addresses\" at offset 100: guest MAC 01:00:5e:00:00:01 is multicast"));
	CHECK(dst_ctx.guest_mac[5] == 2);
}

TEST(stream_bad_guest_addresses_and_link_are_refused)
{
	int rc[3];

	setup();
	src_ctx.ip4.addr_seen.s_addr = htonl(0xe0000001);	/* 224.0.0.1 */
	rc[0] = capture(0);
	rc[0] = rc[0] ? rc[0] : run_target(&dst_ctx, NULL, stream, stream_len);
	CHECK(error_has("guest IPv4 address is multicast"));
	ctx_setup(&src_ctx, 1);
	inet_pton(AF_INET6, "2001:db8::5", &src_ctx.ip6.addr_ll_seen);
	rc[1] = capture(0);
	rc[1] = rc[1] ? rc[1] : run_target(&dst_ctx, NULL, stream, stream_len);
	CHECK(error_has("link-local IPv6 address is not link-local"));
	ctx_setup(&src_ctx, 1);
	src_ctx.mtu = 40;
	rc[2] = capture(0);
	rc[2] = rc[2] ? rc[2] : run_target(&dst_ctx, NULL, stream, stream_len);
	CHECK(error_has("section \"link\" at offset"));
	CHECK(error_has("MTU 40 is outside 68 to 65520"));
	teardown();
	CHECK(rc[0] == -EBADMSG && rc[1] == -EBADMSG && rc[2] == -EBADMSG);
}

/* Peers */

/**
 * feed_peer() - feed the start of stream[] to a target through a peer
 * @p:		peer, with its pace and whether it closes after sending
 * @kind:	channel kind
 * @len:	how many bytes of stream[] to send
 *
 * Return: result of the target transfer
 */
static int feed_peer(struct peer *p, enum chan kind, size_t len)
{
	p->out = stream;
	p->out_len = len;
	return run_transfer(&dst_ctx, NULL, kind, MIGRATE_LOAD, p);
}

TEST(stream_peer_delivering_one_byte_at_a_time_is_read)
{
	struct peer p = { .step = 1 };
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = feed_peer(&p, CHAN_SOCKETPAIR, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
	CHECK(same_link());
}

TEST(stream_source_over_socketpair_is_read_back)
{
	struct peer p = { 0 };
	int rc;

	setup();
	rc = run_source(&src_ctx, NULL, CHAN_SOCKETPAIR, stream,
			sizeof(stream), &stream_len);
	if (!rc)
		rc = feed_peer(&p, CHAN_SOCKETPAIR, stream_len);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
}

TEST(stream_big_section_is_streamed_in_chunks)
{
	struct migrate_section rows[2] = { ROW_ADDRS, records_section(0, 1 << 20) };
	struct migrate_version v = version_like(1, 2, 1, rows, 2);
	struct migrate_table t = { &v, 1 };
	int rc;

	setup();
	records_to_send = 20000;	/* 640000 bytes: ten chunks */
	records_received = 0;
	rc = relay(&t, &t);
	teardown();
	CHECK(rc == 0);
	CHECK(records_received == 20000);
	CHECK(stream_len > 20000 * RECORD_LEN + 10 * 8);
}

TEST(stream_target_peer_closing_early_fails_the_transfer)
{
	struct peer p = { 0 };
	int rc;

	setup();
	rc = capture(0);
	if (!rc)
		rc = feed_peer(&p, CHAN_SOCKETPAIR, stream_len / 2);
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(error_has("stream cut short"));
	CHECK(migrate_result() == -EBADMSG);
}

TEST(stream_target_peer_stalling_past_deadline_times_out)
{
	struct peer p = { .keep_open = true };
	int rc;

	setup();
	rc = capture(0);
	dst_ctx.migrate_timeout_ms = 200;
	if (!rc)
		rc = feed_peer(&p, CHAN_PIPE, stream_len / 2);
	teardown();
	CHECK(rc == -ETIMEDOUT);
	CHECK(error_has("timed out after 200 ms"));
	CHECK(!same_addresses());
}

TEST(stream_target_without_end_of_file_times_out)
{
	struct peer p = { .keep_open = true };
	int rc;

	setup();
	rc = capture(0);
	dst_ctx.migrate_timeout_ms = 200;
	if (!rc)
		rc = feed_peer(&p, CHAN_PIPE, stream_len);
	teardown();
	/* Trailing data could still come: only end of file completes */
	CHECK(rc == -ETIMEDOUT);
	CHECK(error_has("end marker at offset"));
}

/* Rollback */

static char rollback_log[16];

/**
 * note() - append an event to rollback_log
 * @ev:		event letter: capital for prepare, small for rollback
 */
static void note(char ev)
{
	size_t n = strlen(rollback_log);

	if (n + 1 < sizeof(rollback_log))
		rollback_log[n] = ev;
}

/* prepare_a(), _b(), _c() - prepare() hooks: log 'A', 'B', 'C'; succeed */
static int prepare_a(struct ctx *c) { (void)c; note('A'); return 0; }
static int prepare_b(struct ctx *c) { (void)c; note('B'); return 0; }
static int prepare_c(struct ctx *c) { (void)c; note('C'); return 0; }
/* prepare_fails() - a prepare() hook: log 'F', fail with -EPERM */
static int prepare_fails(struct ctx *c) { (void)c; note('F'); return -EPERM; }
/* rollback_a(), _b(), _c() - rollback() hooks: log 'a', 'b', 'c' */
static void rollback_a(struct ctx *c) { (void)c; note('a'); }
static void rollback_b(struct ctx *c) { (void)c; note('b'); }
static void rollback_c(struct ctx *c) { (void)c; note('c'); }

/**
 * source_fails() - a source() that fails with -EIO, saying why
 * @c:		execution context
 * @cur:	cursor
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: -EIO
 */
static ssize_t source_fails(struct ctx *c, struct migrate_cursor *cur,
			    uint8_t *buf, size_t size)
{
	(void)c;
	(void)buf;
	(void)size;
	snprintf(cur->why, sizeof(cur->why), "socket queue unreadable");
	return -EIO;
}

/**
 * rollback_rows() - three sections whose prepare and rollback are logged
 * @rows:	filled with the rows
 */
static void rollback_rows(struct migrate_section rows[3])
{
	rows[0] = records_section(0, 1 << 30);
	rows[0].prepare = prepare_a;
	rows[0].rollback = rollback_a;
	rows[1] = rows[0];
	rows[1].id++;
	rows[1].prepare = prepare_b;
	rows[1].rollback = rollback_b;
	rows[2] = rows[0];
	rows[2].id += 2;
	rows[2].prepare = prepare_c;
	rows[2].rollback = rollback_c;
}

static struct migrate_version rollback_version;
static const struct migrate_table rollback_table = { &rollback_version, 1 };

/**
 * rollback_setup() - set up a source case over three logged sections
 * @rows:	the sections, from rollback_rows() with the case's changes
 * @records:	records each section sends
 *
 * Return: the versions table to use, valid while @rows are
 */
static const struct migrate_table *rollback_setup(const struct migrate_section *rows,
						  unsigned int records)
{
	rollback_version = version_like(1, 2, 1, rows, 3);
	setup();
	records_to_send = records;
	memset(rollback_log, 0, sizeof(rollback_log));
	return &rollback_table;
}

/**
 * rollback_run() - run a source over three logged sections, 100 records each
 * @rows:	the sections, from rollback_rows() with the case's changes
 *
 * Return: result of the transfer; the events are in rollback_log
 */
static int rollback_run(const struct migrate_section *rows)
{
	int rc = run_source(&src_ctx, rollback_setup(rows, 100), CHAN_PIPE,
			    stream, sizeof(stream), &stream_len);

	teardown();
	return rc;
}

TEST(stream_source_failure_rolls_back_started_sections_in_reverse)
{
	struct migrate_section rows[3];
	int rc;

	rollback_rows(rows);
	rows[2].source = source_fails;
	rc = rollback_run(rows);
	CHECK(rc == -EIO);
	CHECK(!strcmp(rollback_log, "ABCcba"));
	CHECK(error_has("section \"test records\" at offset"));
	CHECK(error_has("source failed: socket queue unreadable"));
}

TEST(stream_failed_prepare_rolls_back_only_earlier_sections)
{
	struct migrate_section rows[3];
	int rc;

	rollback_rows(rows);
	rows[1].prepare = prepare_fails;
	rc = rollback_run(rows);
	CHECK(rc == -EPERM);
	CHECK(!strcmp(rollback_log, "AFa"));
	CHECK(error_has("prepare failed"));
}

TEST(stream_successful_source_rolls_nothing_back)
{
	struct migrate_section rows[3];
	int rc;

	rollback_rows(rows);
	rc = rollback_run(rows);
	CHECK(rc == 0);
	CHECK(!strcmp(rollback_log, "ABC"));
}

TEST(stream_source_peer_closing_early_rolls_back)
{
	struct migrate_section rows[3];
	struct peer p = { .in = stream, .in_size = sizeof(stream),
			  .read_limit = 1000 };
	int rc;

	rollback_rows(rows);
	/* 32 MB a section: more than a pipe holds */
	rc = start_transfer(&src_ctx, rollback_setup(rows, 1000000), CHAN_PIPE,
			    MIGRATE_SAVE, &p);
	if (!rc)
		drive(&src_ctx, &p);
	teardown();
	CHECK(rc == 0);
	CHECK(done_calls == 1);
	CHECK(done_result == -EPIPE);
	CHECK(error_has("write: Broken pipe"));
	CHECK(!strcmp(rollback_log, "Aa"));
}

TEST(stream_cancel_rolls_back_closes_and_reports_once)
{
	struct migrate_section rows[3];
	struct peer p = { .no_read = true };
	int rc, i, busy_fd[2], busy_rc;
	char byte;

	rollback_rows(rows);
	rc = start_transfer(&src_ctx, rollback_setup(rows, 1000000), CHAN_PIPE,
			    MIGRATE_SAVE, &p);
	/* The pipe fills up and the transfer waits for the reader */
	for (i = 0; i < 20; i++)
		loop_once(&src_ctx, &p);
	CHECK(migrate_result() == -EINPROGRESS);

	/* A second transfer is refused, and leaves the first alone */
	CHECK(!pipe2(busy_fd, O_CLOEXEC));
	busy_rc = migrate_request(&src_ctx, busy_fd[1], MIGRATE_SAVE, on_done);
	CHECK(read(busy_fd[0], &byte, 1) == 0);
	close(busy_fd[0]);
	CHECK(migrate_result() == -EINPROGRESS);

	migrate_cancel(&src_ctx);
	migrate_cancel(&src_ctx);
	teardown();
	CHECK(rc == 0);
	CHECK(busy_rc == -EBUSY);
	CHECK(done_calls == 1);
	CHECK(done_result == -ECANCELED);
	CHECK(migrate_result() == -ECANCELED);
	CHECK(error_has("cancelled"));
	CHECK(!strcmp(rollback_log, "Aa"));
	/* Our end was closed: the reader gets what was written, then EOF */
	CHECK(fcntl(p.fd, F_SETFL, 0) == 0);
	while ((rc = (int)read(p.fd, stream, sizeof(stream))) > 0)
		;
	CHECK(rc == 0);
	peer_close(&p);
}

/* Operators */

TEST(stream_failure_is_logged_once_with_section_offset_reason)
{
	int rc, lines;

	setup();
	rc = capture(0);
	if (!rc)
		rc = refused_altered(V2_SECTIONS_AT + 8, 0xffffffff);
	lines = log_count("migrate: target: section \"guest addresses\" at offset 92: chunk length 4294967295 exceeds limit 65536");
	teardown();
	CHECK(rc == -EBADMSG);
	CHECK(lines == 1);
}

/**
 * file_write() - write a buffer to a new file
 * @path:	file
 * @buf:	contents
 * @len:	their length
 *
 * Return: 0 on success
 */
static int file_write(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -1;
	rc = write_all(fd, buf, len);
	close(fd);
	return rc;
}

/**
 * inspect_to() - run migrate_inspect() with stdout going to a file
 * @path:	stream to inspect
 * @listing:	file receiving the listing
 *
 * Return: what migrate_inspect() returned
 */
static int inspect_to(const char *path, const char *listing)
{
	int fd = open(listing, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = migrate_inspect(path);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return rc;
}

/**
 * file_has() - whether a file contains a string
 * @path:	file
 * @s:		string
 *
 * Return: true if it does
 */
static bool file_has(const char *path, const char *s)
{
	static char text[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, s) != NULL;
}

TEST(stream_inspect_lists_good_stream_and_pinpoints_corruption)
{
	char path[] = "/tmp/test_migrate_stream.XXXXXX", listing[64];
	int fd, good = -1, bad = -1, missing;

	setup();
	fd = mkstemp(path);
	snprintf(listing, sizeof(listing), "%s.txt", path);
	if (fd >= 0 && !capture(0)) {
		close(fd);
		file_write(path, stream, stream_len);
		good = inspect_to(path, listing);
		CHECK(file_has(listing, "version 4, compat_version 4"));
		CHECK(file_has(listing, "reading as version 4 (this daemon knows 1, 2, 3, 4)"));
		CHECK(file_has(listing, "writer \"passt\" version \"" PASST_VERSION "\""));
		CHECK(file_has(listing, "offset 84: section \"guest addresses\", id 1, mandatory: 48 bytes in 1 chunks, checksums ok"));
		CHECK(file_has(listing, "section \"link\", id 2, optional: 12 bytes"));
		CHECK(file_has(listing, "end marker"));
		CHECK(file_has(listing, "good:"));

		memcpy(altered, stream, stream_len);
		altered[V2_ADDRS_PAYLOAD_AT] ^= 0x80;
		file_write(path, altered, stream_len);
		bad = inspect_to(path, listing);
		CHECK(file_has(listing, "BAD: section \"guest addresses\" at offset 100: chunk of 48 bytes: checksum"));
	}
	unlink(path);
	missing = inspect_to(path, listing);
	unlink(listing);
	teardown();
	CHECK(good == 0);
	CHECK(bad == 1);
	CHECK(missing == 1);
}

/**
 * saved_copy() - find and read the copy of a stream saved in a directory
 * @dir:	save directory
 * @suffix:	"-source.bin" or "-target.bin"
 * @buf:	where its contents go
 * @size:	size of @buf
 *
 * Return: length of the copy, -1 if there is none; the file is removed
 */
static ssize_t saved_copy(const char *dir, const char *suffix, uint8_t *buf,
			  size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	ssize_t len = -1;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX];
		size_t n = strlen(e->d_name);
		int fd;

		if (n < strlen(suffix) ||
		    strcmp(e->d_name + n - strlen(suffix), suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd < 0 ? -1 : read(fd, buf, size);
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	if (d)
		closedir(d);
	return len;
}

TEST(stream_save_dir_keeps_copies_of_both_sides)
{
	char dir[] = "/tmp/test_migrate_save.XXXXXX";
	ssize_t src_len = -1, dst_len = -1;
	int rc = -1;

	setup();
	if (mkdtemp(dir)) {
		snprintf(src_ctx.migrate_save_dir,
			 sizeof(src_ctx.migrate_save_dir), "%s", dir);
		snprintf(dst_ctx.migrate_save_dir,
			 sizeof(dst_ctx.migrate_save_dir), "%s", dir);
		rc = capture(0);
		if (!rc)
			rc = run_target(&dst_ctx, NULL, stream, stream_len);
		src_len = saved_copy(dir, "-source.bin", altered,
				     sizeof(altered));
		CHECK(src_len == (ssize_t)stream_len &&
		      !memcmp(altered, stream, stream_len));
		dst_len = saved_copy(dir, "-target.bin", altered,
				     sizeof(altered));
		CHECK(dst_len == (ssize_t)stream_len &&
		      !memcmp(altered, stream, stream_len));
		rmdir(dir);
	}
	teardown();
	CHECK(rc == 0);
}

TEST(stream_unusable_save_dir_only_warns)
{
	int rc;

	setup();
	snprintf(src_ctx.migrate_save_dir, sizeof(src_ctx.migrate_save_dir),
		 "/nonexistent/test_migrate");
	rc = capture(0);
	if (!rc)
		rc = run_target(&dst_ctx, NULL, stream, stream_len);
	CHECK(log_count("warning: migrate: source: cannot save a copy") == 1);
	teardown();
	CHECK(rc == 0);
	CHECK(same_addresses());
}
