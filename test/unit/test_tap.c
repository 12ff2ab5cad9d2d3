// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tap.c - the stream transport: framing, partial reads, bad lengths */

#include <arpa/inet.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ip.h"
#include "passt.h"
#include "tap.h"
#include "unit.h"

#define FRAMES_MAX	8

static struct {
	size_t len[FRAMES_MAX];
	uint8_t first[FRAMES_MAX];
	int count;
} got;

/**
 * record_frame() - input handler: remember each frame that came up
 * @c:		execution context
 * @frame:	frame
 * @len:	frame length
 */
static void record_frame(struct ctx *c, const uint8_t *frame, size_t len)
{
	(void)c;
	if (got.count < FRAMES_MAX) {
		got.len[got.count] = len;
		got.first[got.count] = frame[0];
	}
	got.count++;
}

/**
 * stream_setup() - a context whose guest link is one end of a socketpair
 * @c:		context to set up
 * @peer:	set to the other end, the "guest"
 */
static void stream_setup(struct ctx *c, int *peer)
{
	int sv[2];

	memset(c, 0, sizeof(*c));
	memset(&got, 0, sizeof(got));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	c->epollfd = epoll_create1(0);
	c->fd_tap_given = sv[0];
	tap_init(c, record_frame, NULL);
	*peer = sv[1];
}

/**
 * stream_teardown() - close what stream_setup() opened
 * @c:		context
 * @peer:	guest end
 */
static void stream_teardown(struct ctx *c, int peer)
{
	tap_stream_close(c);
	close(peer);
	close(c->epollfd);
}

/**
 * feed() - write bytes as the guest and let the daemon read them
 * @c:		context
 * @peer:	guest end
 * @buf:	bytes
 * @len:	length
 */
static void feed(struct ctx *c, int peer, const void *buf, size_t len)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_STREAM };

	if (write(peer, buf, len) != (ssize_t)len)
		return;
	ref.fd = c->fd_tap;
	tap_stream_handler(c, ref, EPOLLIN);
}

/**
 * put_frame() - build a length-prefixed frame filled with one byte value
 * @buf:	destination
 * @len:	frame length
 * @fill:	byte value
 *
 * Return: bytes written to @buf
 */
static size_t put_frame(uint8_t *buf, uint32_t len, uint8_t fill)
{
	uint32_t be = htonl(len);

	memcpy(buf, &be, 4);
	memset(buf + 4, fill, len);
	return len + 4;
}

TEST(tap_stream_frames_split_at_every_byte_arrive_whole)
{
	static uint8_t buf[256];
	struct ctx c;
	size_t n, i;
	int peer;

	stream_setup(&c, &peer);
	n = put_frame(buf, 60, 0xaa);
	n += put_frame(buf + n, 100, 0xbb);
	for (i = 0; i < n; i++)
		feed(&c, peer, buf + i, 1);
	CHECK(got.count == 2);
	CHECK(got.len[0] == 60 && got.first[0] == 0xaa);
	CHECK(got.len[1] == 100 && got.first[1] == 0xbb);
	stream_teardown(&c, peer);
}

TEST(tap_stream_short_frame_is_dropped_and_stream_goes_on)
{
	static uint8_t buf[256];
	struct ctx c;
	size_t n;
	int peer;

	stream_setup(&c, &peer);
	n = put_frame(buf, 10, 0x11);
	n += put_frame(buf + n, 64, 0x22);
	feed(&c, peer, buf, n);
	CHECK(got.count == 1);
	CHECK(got.len[0] == 64 && got.first[0] == 0x22);
	CHECK(c.fd_tap >= 0);
	stream_teardown(&c, peer);
}

TEST(tap_stream_oversized_frame_is_skipped_and_stream_goes_on)
{
	static uint8_t buf[FRAME_MAX + 200];
	struct ctx c;
	size_t n, off;
	int peer;

	stream_setup(&c, &peer);
	n = put_frame(buf, FRAME_MAX + 100, 0x33);
	n += put_frame(buf + n, 64, 0x44);
	for (off = 0; off < n; off += 4096)
		feed(&c, peer, buf + off, MIN(4096, n - off));
	CHECK(got.count == 1);
	CHECK(got.len[0] == 64 && got.first[0] == 0x44);
	stream_teardown(&c, peer);
}

TEST(tap_stream_send_prefixes_length)
{
	uint8_t frame[80], back[100];
	struct iovec iov[2] = {
		{ frame, 30 }, { frame + 30, 50 },
	};
	uint32_t be;
	struct ctx c;
	int peer;

	stream_setup(&c, &peer);
	memset(frame, 0x5a, sizeof(frame));
	CHECK(tap_send(&c, iov, 2) == 0);
	CHECK(read(peer, back, sizeof(back)) == 84);
	memcpy(&be, back, 4);
	CHECK(ntohl(be) == 80);
	CHECK(!memcmp(back + 4, frame, 80));
	stream_teardown(&c, peer);
}

TEST(tap_stream_peer_close_ends_the_session)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_STREAM };
	struct ctx c;
	int peer;

	stream_setup(&c, &peer);
	close(peer);
	ref.fd = c.fd_tap;
	tap_stream_handler(&c, ref, EPOLLIN);
	CHECK(c.fd_tap < 0);
	CHECK(!tap_ready(&c));
	close(c.epollfd);
}
