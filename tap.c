// SPDX-License-Identifier: GPL-2.0-or-later
/* tap.c - frames to and from the guest, independent of the transport
 *
 * The guest connects to the daemon's UNIX socket. With the stream transport
 * (QEMU's -netdev stream), each Ethernet frame travels prefixed by its length
 * as a 32-bit big-endian integer; with vhost-user, frames move through the
 * virtqueues and this module only hands the connection over. Protocol code
 * above never sees the difference: frames come up through the input callback
 * given to tap_init(), and go down through tap_send().
 *
 * A frame the guest has no room for (its receive ring or the stream's output
 * queue is full) is refused, not queued: the sender keeps what it could not
 * send, and the room callback given to tap_init() tells it when the guest
 * has taken some in.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ip.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"
#include "vhost_user.h"

/* Bytes of partially written frames kept for a slow stream reader */
#define TAP_PENDING_MAX		(4UL << 20)
/* The stream reader's buffer: two frames of the largest size, and prefixes */
#define TAP_RBUF_SIZE		(2 * (FRAME_MAX + sizeof(uint32_t)))
#define TAP_SOCK_FIRST		1
#define TAP_SOCK_LAST		64

/**
 * struct tap_transport - one way of moving frames to and from the guest
 * @name:	for log messages
 * @accept:	take over a new connection from the listening socket
 * @send:	queue one frame made of @cnt buffers, return 0 or -errno
 * @ready:	whether a guest is connected and can take frames
 */
struct tap_transport {
	const char *name;
	void (*accept)(struct ctx *c, int fd);
	int (*send)(const struct ctx *c, const struct iovec *iov, size_t cnt);
	bool (*ready)(const struct ctx *c);
};

static tap_input_fn tap_input_handler;
static tap_room_fn tap_room_handler;
static bool tap_full;		/* a frame was refused for lack of room */

static struct {
	uint8_t buf[TAP_RBUF_SIZE];
	size_t len;		/* valid bytes in @buf */
	size_t discard;		/* bytes of an oversized frame still to skip */
} rx;

static struct {
	uint8_t buf[TAP_PENDING_MAX];
	size_t start;
	size_t len;
} tx;

/**
 * stream_ref() - epoll reference of the connected stream socket
 * @fd:		socket
 *
 * Return: reference
 */
static union epoll_ref stream_ref(int fd)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_STREAM, .fd = fd };

	return ref;
}

/**
 * stream_ready() - whether a guest is connected over the stream transport
 * @c:		execution context
 *
 * Return: true if frames can be sent
 */
static bool stream_ready(const struct ctx *c)
{
	return c->fd_tap >= 0;
}

/**
 * stream_flush() - write out as much of the pending output as the socket takes
 * @c:		execution context
 *
 * Return: 0 if all was written, -EAGAIN if some is left, -errno on failure
 */
static int stream_flush(const struct ctx *c)
{
	while (tx.len) {
		ssize_t n = send(c->fd_tap, tx.buf + tx.start, tx.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		tx.start += (size_t)n;
		tx.len -= (size_t)n;
	}
	tx.start = 0;
	return 0;
}

/**
 * stream_want_write() - ask epoll for EPOLLOUT while output is pending
 * @c:		execution context
 * @on:		whether output is pending
 */
static void stream_want_write(const struct ctx *c, bool on)
{
	uint32_t events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);

	epoll_mod_ref(c, c->fd_tap, events, stream_ref(c->fd_tap));
}

/**
 * stream_pending_add() - keep the unwritten tail of a frame for later
 * @iov:	frame buffers, with the length prefix first
 * @cnt:	number of buffers
 * @skip:	bytes of the frame already written
 * @total:	bytes of the whole frame, prefix included
 *
 * Return: 0 if queued, -ENOBUFS if it does not fit: then nothing was queued
 */
static int stream_pending_add(const struct iovec *iov, size_t cnt,
			      size_t skip, size_t total)
{
	size_t i;

	if (tx.len + total - skip > TAP_PENDING_MAX)
		return -ENOBUFS;
	if (tx.start + tx.len + total - skip > TAP_PENDING_MAX) {
		memmove(tx.buf, tx.buf + tx.start, tx.len);
		tx.start = 0;
	}
	for (i = 0; i < cnt; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		memcpy(tx.buf + tx.start + tx.len,
		       (const uint8_t *)iov[i].iov_base + skip, l - skip);
		tx.len += l - skip;
		skip = 0;
	}
	return 0;
}

/**
 * stream_send() - send one frame with its length prefix on the stream socket
 * @c:		execution context
 * @iov:	frame buffers
 * @cnt:	number of buffers, at most 16
 *
 * A frame is never cut: what the socket does not take now is queued whole.
 *
 * Return: 0 on success, -ENOBUFS if the frame was dropped, -errno on error
 */
static int stream_send(const struct ctx *c, const struct iovec *iov,
		       size_t cnt)
{
	struct iovec v[17];
	uint32_t prefix;
	size_t total = 0, i;
	ssize_t n = 0;

	if (cnt > 16)
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		v[i + 1] = iov[i];
		total += iov[i].iov_len;
	}
	prefix = htonl((uint32_t)total);
	v[0].iov_base = &prefix;
	v[0].iov_len = sizeof(prefix);
	total += sizeof(prefix);

	/* Older output first: a frame is sent directly only if none waits */
	if (tx.len)
		stream_flush(c);
	if (!tx.len) {
		struct msghdr mh = { .msg_iov = v, .msg_iovlen = cnt + 1 };

		do
			n = sendmsg(c->fd_tap, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n < 0)
			n = 0;
		if ((size_t)n == total)
			return 0;
	}

	if (stream_pending_add(v, cnt + 1, (size_t)n, total)) {
		trace("tap: output queue full, dropping %zu-byte frame", total);
		return -ENOBUFS;
	}
	stream_want_write(c, true);
	return 0;
}

/**
 * stream_frames_parse() - pass every complete frame in the buffer up
 * @c:		execution context
 */
static void stream_frames_parse(struct ctx *c)
{
	size_t off = 0;

	while (rx.len - off >= sizeof(uint32_t)) {
		uint32_t flen;

		memcpy(&flen, rx.buf + off, sizeof(flen));
		flen = ntohl(flen);
		if (flen > FRAME_MAX) {
			debug("tap: dropping oversized frame of %u bytes",
			      flen);
			off += sizeof(flen);
			rx.discard = flen;
			break;
		}
		if (rx.len - off - sizeof(flen) < flen)
			break;
		off += sizeof(flen);
		if (flen < ETH_HDR_LEN)
			debug("tap: dropping short frame of %u bytes", flen);
		else
			tap_input(c, rx.buf + off, flen);
		off += flen;
	}
	memmove(rx.buf, rx.buf + off, rx.len - off);
	rx.len -= off;
}

/**
 * stream_discard() - skip the rest of an oversized frame in the buffer
 */
static void stream_discard(void)
{
	size_t n = MIN(rx.discard, rx.len);

	memmove(rx.buf, rx.buf + n, rx.len - n);
	rx.len -= n;
	rx.discard -= n;
}

/**
 * stream_read() - read what the socket has and pass complete frames up
 * @c:		execution context
 *
 * Return: 0 if the connection goes on, -1 if it ended or failed
 */
static int stream_read(struct ctx *c)
{
	for (;;) {
		ssize_t n = recv(c->fd_tap, rx.buf + rx.len,
				 sizeof(rx.buf) - rx.len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			err("tap: read from guest failed: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return -1;
		rx.len += (size_t)n;
		while (rx.discard && rx.len)
			stream_discard();
		stream_frames_parse(c);
		while (rx.discard && rx.len)
			stream_discard();
	}
}

/**
 * tap_stream_close() - end the stream connection, keep listening
 * @c:		execution context
 */
void tap_stream_close(struct ctx *c)
{
	if (c->fd_tap < 0)
		return;
	epoll_del_fd(c, c->fd_tap);
	close(c->fd_tap);
	c->fd_tap = -1;
	rx.len = rx.discard = 0;
	tx.start = tx.len = 0;
	info("tap: guest disconnected");
	if (c->one_off)
		c->exiting = true;
}

/**
 * tap_stream_adopt() - use a connected socket as the stream transport
 * @c:		execution context
 * @fd:		connected stream socket (accepted, or given with --fd)
 */
void tap_stream_adopt(struct ctx *c, int fd)
{
	int ret;

	fd_set_nonblock(fd);
	ret = epoll_add_ref(c, fd, EPOLLIN | EPOLLRDHUP, stream_ref(fd));
	if (ret) {
		err("tap: cannot watch guest socket: %s", strerror(-ret));
		close(fd);
		return;
	}
	c->fd_tap = fd;
	info("tap: guest connected (stream transport)");
}

/**
 * tap_stream_handler() - readiness on the connected stream socket
 * @c:		execution context
 * @ref:	epoll reference
 * @events:	epoll events
 */
void tap_stream_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	(void)ref;
	if (events & EPOLLOUT) {
		int ret = stream_flush(c);

		if (ret && ret != -EAGAIN) {
			tap_stream_close(c);
			return;
		}
		stream_want_write(c, !!tx.len);
		if (!tx.len)
			tap_room(c);
	}
	if ((events & EPOLLIN) && stream_read(c)) {
		tap_stream_close(c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		tap_stream_close(c);
}

/**
 * vhost_user_accept() - hand a new front-end connection to vhost_user.c
 * @c:		execution context
 * @fd:		connected socket
 */
static void vhost_user_accept(struct ctx *c, int fd)
{
	vu_connect(c, fd, tap_input, tap_room);
}

static const struct tap_transport transports[] = {
	{ "stream", tap_stream_adopt, stream_send, stream_ready },
	{ "vhost-user", vhost_user_accept, vu_send, vu_ready },
};

/**
 * tap_transport_get() - the transport in use
 * @c:		execution context
 *
 * Return: its table row
 */
static const struct tap_transport *tap_transport_get(const struct ctx *c)
{
	return &transports[c->vhost_user && ARRAY_SIZE(transports) > 1];
}

/**
 * tap_input() - hand one frame from the guest to the protocol code
 * @c:		execution context
 * @frame:	Ethernet frame
 * @len:	frame length
 */
void tap_input(struct ctx *c, const uint8_t *frame, size_t len)
{
	if (tap_input_handler)
		tap_input_handler(c, frame, len);
}

/**
 * tap_room() - the guest took frames in: wake the senders of refused ones
 * @c:		execution context
 */
void tap_room(struct ctx *c)
{
	if (!tap_full)
		return;
	tap_full = false;
	if (tap_room_handler)
		tap_room_handler(c);
}

/**
 * tap_send() - send one frame to the guest over the current transport
 * @c:		execution context
 * @iov:	frame buffers, starting with the Ethernet header
 * @cnt:	number of buffers
 *
 * Return: 0 on success (or queued), -errno if dropped: see tap_no_room()
 */
int tap_send(const struct ctx *c, const struct iovec *iov, size_t cnt)
{
	const struct tap_transport *t = tap_transport_get(c);
	int ret;

	if (!t->ready(c))
		return -ENOTCONN;
	ret = t->send(c, iov, cnt);
	if (tap_no_room(ret))
		tap_full = true;
	return ret;
}

/**
 * tap_ready() - whether a guest is connected
 * @c:		execution context
 *
 * Return: true if frames can be sent
 */
bool tap_ready(const struct ctx *c)
{
	return tap_transport_get(c)->ready(c);
}

/**
 * tap_listen_handler() - a front-end connects to the daemon's socket
 * @c:		execution context
 * @ref:	epoll reference
 * @events:	epoll events
 */
void tap_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	const struct tap_transport *t = tap_transport_get(c);
	int fd;

	(void)events;
	fd = accept4(ref.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		debug("tap: accept failed: %s", strerror(errno));
		return;
	}
	if (t->ready(c)) {
		warn("tap: refusing a second front-end while one is connected");
		close(fd);
		return;
	}
	t->accept(c, fd);
}

/**
 * sock_bind_default() - bind the first free /tmp/passt_N.socket
 * @c:		execution context, sock_path set on success
 *
 * Return: listening socket, or -errno
 */
static int sock_bind_default(struct ctx *c)
{
	int n, fd;

	for (n = TAP_SOCK_FIRST; n <= TAP_SOCK_LAST; n++) {
		snprintf(c->sock_path, sizeof(c->sock_path),
			 "/tmp/passt_%d.socket", n);
		fd = sock_unix_listen(c->sock_path);
		if (fd >= 0)
			return fd;
	}
	c->sock_path[0] = 0;
	return -EADDRINUSE;
}

/**
 * tap_init() - set up the guest side: listening socket or a given fd
 * @c:		execution context
 * @input:	handler for each frame the guest sends
 * @room:	handler for room again after a frame was refused, or NULL
 */
void tap_init(struct ctx *c, tap_input_fn input, tap_room_fn room)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_LISTEN };
	int fd;

	tap_input_handler = input;
	tap_room_handler = room;
	tap_full = false;
	c->fd_tap = -1;
	c->fd_tap_listen = -1;
	if (c->fd_tap_given >= 0) {
		tap_transport_get(c)->accept(c, c->fd_tap_given);
		return;
	}

	fd = c->sock_path[0] ? sock_unix_listen(c->sock_path) :
			       sock_bind_default(c);
	if (fd < 0)
		die("cannot listen on UNIX socket %s: %s",
		    c->sock_path[0] ? c->sock_path : "/tmp/passt_N.socket",
		    strerror(-fd));
	ref.fd = fd;
	if (epoll_add_ref(c, fd, EPOLLIN, ref))
		die("epoll: cannot watch listening socket");
	c->fd_tap_listen = fd;
}

/**
 * tap_cleanup() - remove the listening socket's path on exit
 * @c:		execution context
 */
void tap_cleanup(const struct ctx *c)
{
	if (c->fd_tap_listen >= 0 && c->sock_path[0])
		unlink(c->sock_path);
}
