// SPDX-License-Identifier: GPL-2.0-or-later
/* repair.c - switch TCP_REPAIR on sockets, directly or through passt-repair
 *
 * Migrating a TCP connection needs its socket in repair mode, and repair
 * mode needs CAP_NET_ADMIN. A daemon that has it (checked once, at start, on
 * a probe socket) calls setsockopt() itself. One that has not hands the
 * sockets to the passt-repair helper: the daemon listens on a UNIX socket
 * (--repair-path), one helper at a time connects, and each request is a
 * series of messages of one signed command byte with 1 to REPAIR_BATCH_MAX
 * socket fds attached (SCM_RIGHTS). The helper applies the command to each
 * fd and echoes the byte once per message; anything else it sends, and any
 * reply missing, fails the request and drops the helper. Between requests
 * the daemon reads nothing from the helper: it only watches for hang-ups.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "passt.h"
#include "repair.h"
#include "util.h"

/* Longest wait for the helper to take every message of a request and
 * answer: see repair_set_helper() for why a request may wait at all.
 */
#define REPAIR_TIMEOUT_MS	1000

/* Reply bytes read in one go: any number works, this bounds the stack */
#define REPAIR_REPLY_CHUNK	64

/**
 * enum repair_mode - how this daemon switches TCP_REPAIR
 * @REPAIR_MODE_UNKNOWN:	not probed yet
 * @REPAIR_MODE_DIRECT:		setsockopt() itself, with CAP_NET_ADMIN
 * @REPAIR_MODE_HELPER:		through the passt-repair helper
 */
enum repair_mode {
	REPAIR_MODE_UNKNOWN = 0,
	REPAIR_MODE_DIRECT,
	REPAIR_MODE_HELPER,
};

/**
 * struct repair_state - the module's state
 * @mode:	how TCP_REPAIR is switched
 * @fd_listen:	listening socket for the helper, or -1
 * @fd_helper:	connected helper, or -1
 */
static struct repair_state {
	enum repair_mode mode;
	int fd_listen;
	int fd_helper;
} repair = { REPAIR_MODE_UNKNOWN, -1, -1 };

/**
 * repair_probe() - find out whether this process may set TCP_REPAIR itself
 *
 * An unconnected TCP socket accepts TCP_REPAIR exactly when the caller has
 * CAP_NET_ADMIN in the socket's network namespace, the one of the
 * connections to be migrated.
 *
 * Return: REPAIR_MODE_DIRECT or REPAIR_MODE_HELPER
 */
static enum repair_mode repair_probe(void)
{
	int on = REPAIR_ON, fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return REPAIR_MODE_HELPER;
	ret = setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));
	close(fd);
	return ret ? REPAIR_MODE_HELPER : REPAIR_MODE_DIRECT;
}

/**
 * repair_mode_get() - how TCP_REPAIR is switched, probing on first use
 *
 * Return: REPAIR_MODE_DIRECT or REPAIR_MODE_HELPER
 */
static enum repair_mode repair_mode_get(void)
{
	if (repair.mode == REPAIR_MODE_UNKNOWN)
		repair.mode = repair_probe();
	return repair.mode;
}

/**
 * repair_init() - probe for privilege, listen for the helper if needed
 * @c:		execution context
 *
 * The socket exists with vhost-user only (migration needs it) and whenever
 * a path is configured, even with CAP_NET_ADMIN: an operator may start the
 * helper regardless, and it should find a daemon to talk to.
 */
void repair_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_REPAIR_LISTEN };
	int fd;

	repair.mode = repair_probe();
	if (repair.mode == REPAIR_MODE_DIRECT)
		info("repair: CAP_NET_ADMIN: TCP_REPAIR set directly");
	if (!c->vhost_user || !c->repair_path[0])
		return;

	fd = sock_unix_listen(c->repair_path);
	if (fd < 0) {
		err("repair: cannot listen on %s: %s", c->repair_path,
		    strerror(-fd));
		return;
	}
	ref.fd = fd;
	if (epoll_add_ref(c, fd, EPOLLIN, ref)) {
		err("repair: cannot watch %s", c->repair_path);
		close(fd);
		unlink(c->repair_path);
		return;
	}
	repair.fd_listen = fd;
	if (repair.mode == REPAIR_MODE_HELPER)
		info("repair: no CAP_NET_ADMIN: waiting for passt-repair on %s",
		     c->repair_path);
}

/**
 * repair_helper_drop() - close the helper connection
 * @c:		execution context
 */
static void repair_helper_drop(const struct ctx *c)
{
	if (repair.fd_helper < 0)
		return;
	epoll_del_fd(c, repair.fd_helper);
	close(repair.fd_helper);
	repair.fd_helper = -1;
}

/**
 * repair_cleanup() - close the helper and listening sockets, remove the path
 * @c:		execution context
 *
 * Also forgets the probe, so that a later repair_init() probes again.
 */
void repair_cleanup(const struct ctx *c)
{
	repair_helper_drop(c);
	if (repair.fd_listen >= 0) {
		epoll_del_fd(c, repair.fd_listen);
		close(repair.fd_listen);
		unlink(c->repair_path);
		repair.fd_listen = -1;
	}
	repair.mode = REPAIR_MODE_UNKNOWN;
}

/**
 * repair_helper_idle() - check the helper is connected and has sent nothing
 *
 * Between requests the helper has nothing to say: a byte waiting here
 * would later pass for a reply.
 *
 * Return: 0 if idle, -ENOTCONN if none, -EPIPE if it has hung up, -EPROTO
 *	   if it sent data unasked
 */
static int repair_helper_idle(void)
{
	char b;
	ssize_t n;

	if (repair.fd_helper < 0)
		return -ENOTCONN;
	n = recv(repair.fd_helper, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return -EPROTO;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		return -EPIPE;
	return 0;
}

/**
 * repair_listen_handler() - a helper connects: take it, or refuse a second
 * @c:		execution context
 * @ref:	epoll reference of the listening socket
 * @events:	epoll events
 */
void repair_listen_handler(struct ctx *c, union epoll_ref ref,
			   uint32_t events)
{
	union epoll_ref helper_ref = { .type = EPOLL_TYPE_REPAIR };
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(cred);
	int fd;

	(void)events;
	fd = accept4(ref.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		debug("repair: accept failed: %s", strerror(errno));
		return;
	}
	if (repair_helper_idle() == 0) {
		warn("repair: refusing a second passt-repair helper on %s: "
		     "one is connected", c->repair_path);
		close(fd);
		return;
	}
	/* The previous helper, if any, is gone or misbehaved */
	repair_helper_drop(c);

	helper_ref.fd = fd;
	if (epoll_add_ref(c, fd, EPOLLRDHUP, helper_ref)) {
		err("repair: cannot watch passt-repair connection");
		close(fd);
		return;
	}
	repair.fd_helper = fd;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	info("repair: passt-repair helper connected (pid %d, uid %u)",
	     (int)cred.pid, (unsigned int)cred.uid);
}

/**
 * repair_handler() - the helper connection hung up or failed
 * @c:		execution context
 * @ref:	epoll reference of the helper connection
 * @events:	epoll events
 */
void repair_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	if (ref.fd != repair.fd_helper)
		return;
	if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		info("repair: passt-repair helper disconnected");
		repair_helper_drop(c);
	}
}

/**
 * repair_available() - whether repair_set() can work right now
 * @c:		execution context
 *
 * Return: true with CAP_NET_ADMIN, or with a helper connected
 */
bool repair_available(const struct ctx *c)
{
	(void)c;
	return repair_mode_get() == REPAIR_MODE_DIRECT ||
	       repair.fd_helper >= 0;
}

/**
 * repair_set_direct() - set TCP_REPAIR on each socket with setsockopt()
 * @fds:	sockets
 * @n:		number of sockets
 * @cmd:	enum repair_cmd
 *
 * Return: 0 on success, -errno of the first failure
 */
static int repair_set_direct(const int *fds, size_t n, int cmd)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ret;

		if (!setsockopt(fds[i], IPPROTO_TCP, TCP_REPAIR,
				&cmd, sizeof(cmd)))
			continue;
		ret = -errno;
		err("repair: TCP_REPAIR %d on socket %d: %s", cmd, fds[i],
		    strerror(-ret));
		return ret;
	}
	return 0;
}

/**
 * repair_send_batches() - send as many request messages as the socket takes
 * @fds:	all sockets of the request
 * @n:		number of sockets
 * @cmd:	command byte
 * @sent:	messages sent so far, updated
 *
 * Message k carries sockets k * REPAIR_BATCH_MAX onwards.
 *
 * Return: 0 when all are sent or the socket is full, -errno on failure
 */
static int repair_send_batches(const int *fds, size_t n, int8_t cmd,
			       size_t *sent)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * REPAIR_BATCH_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &cmd, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	};
	struct cmsghdr *cmsg;

	while (*sent * REPAIR_BATCH_MAX < n) {
		size_t first = *sent * REPAIR_BATCH_MAX;
		size_t count = MIN(n - first, (size_t)REPAIR_BATCH_MAX);

		mh.msg_controllen = CMSG_SPACE(sizeof(int) * count);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
		memcpy(CMSG_DATA(cmsg), fds + first, sizeof(int) * count);

		if (sendmsg(repair.fd_helper, &mh,
			    MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		(*sent)++;
	}
	return 0;
}

/**
 * repair_read_replies() - read the replies that have arrived, check each
 * @cmd:	command byte every reply must repeat
 * @expected:	replies still due for the messages sent so far
 * @acked:	replies received so far, updated
 *
 * Never reads more than @expected bytes: whatever else the helper sends
 * stays in the socket and fails the next request.
 *
 * Return: 0 on success or nothing to read yet, -EPIPE if the helper hung
 *	   up, -EPROTO on a wrong reply, -errno on failure
 */
static int repair_read_replies(int8_t cmd, size_t expected, size_t *acked)
{
	int8_t buf[REPAIR_REPLY_CHUNK];
	ssize_t n, i;

	while (expected) {
		n = recv(repair.fd_helper, buf,
			 MIN(expected, sizeof(buf)), MSG_DONTWAIT);
		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ?
			       0 : -errno;
		for (i = 0; i < n; i++)
			if (buf[i] != cmd)
				return -EPROTO;
		*acked += (size_t)n;
		expected -= (size_t)n;
	}
	return 0;
}

/**
 * repair_exchange() - send every message of a request, collect every reply
 * @fds:	sockets
 * @n:		number of sockets, at least one
 * @cmd:	command byte
 *
 * Return: 0 on success, -ETIMEDOUT past the deadline, other -errno on failure
 */
static int repair_exchange(const int *fds, size_t n, int8_t cmd)
{
	size_t batches = DIV_ROUND_UP(n, REPAIR_BATCH_MAX), sent = 0, acked = 0;
	uint64_t deadline = now_ms() + REPAIR_TIMEOUT_MS;
	struct pollfd pfd = { .fd = repair.fd_helper };
	int ret;

	for (;;) {
		uint64_t now;

		ret = repair_send_batches(fds, n, cmd, &sent);
		if (!ret)
			ret = repair_read_replies(cmd, sent - acked, &acked);
		if (ret)
			return ret;
		if (acked == batches)
			return 0;

		now = now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		pfd.events = POLLIN | (sent < batches ? POLLOUT : 0);
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
	}
}

/**
 * repair_set_helper() - set TCP_REPAIR on sockets through the helper
 * @c:		execution context
 * @fds:	sockets
 * @n:		number of sockets, at least one
 * @cmd:	enum repair_cmd
 *
 * All messages go out before the first reply is awaited, so that the helper
 * works through them while the daemon is still sending. Waiting for the
 * replies blocks the loop, up to REPAIR_TIMEOUT_MS: requests come from the
 * migration, which runs while QEMU has stopped the VM and itself waits for
 * the daemon, so there is no traffic to serve meanwhile, and the deadline
 * keeps a stuck helper from holding the daemon. After any failure the
 * helper's state is unknown, and it is dropped.
 *
 * Return: 0 on success, -ENOTCONN without a helper, other -errno on failure
 */
static int repair_set_helper(const struct ctx *c, const int *fds, size_t n,
			     int cmd)
{
	int ret = repair_helper_idle();

	if (ret == -ENOTCONN && repair.fd_listen < 0) {
		err("repair: no CAP_NET_ADMIN and no repair socket: "
		    "TCP connections cannot be migrated");
		return ret;
	}
	if (ret == -ENOTCONN) {
		err("repair: no passt-repair helper connected to %s: "
		    "TCP connections cannot be migrated", c->repair_path);
		return ret;
	}
	if (!ret)
		ret = repair_exchange(fds, n, (int8_t)cmd);
	if (!ret)
		return 0;

	if (ret == -ETIMEDOUT)
		err("repair: passt-repair helper on %s: TCP_REPAIR %d, %zu "
		    "sockets: no reply within %d ms, dropping the helper",
		    c->repair_path, cmd, n, REPAIR_TIMEOUT_MS);
	else
		err("repair: passt-repair helper on %s: TCP_REPAIR %d, %zu "
		    "sockets: %s, dropping the helper", c->repair_path, cmd, n,
		    ret == -EPIPE ? "helper closed the connection" :
		    ret == -EPROTO ? "unexpected data from the helper" :
		    strerror(-ret));
	repair_helper_drop(c);
	return ret;
}

/**
 * repair_set() - switch TCP_REPAIR on a set of TCP sockets
 * @c:		execution context
 * @fds:	sockets
 * @n:		number of sockets
 * @cmd:	REPAIR_ON, REPAIR_OFF or REPAIR_OFF_NO_WP
 *
 * On failure, some of the sockets may have switched and others not: the
 * caller sets them all back.
 *
 * Return: 0 on success, -EINVAL for a bad command, -ENOTCONN if neither
 *	   privilege nor helper is there, other -errno on failure
 */
int repair_set(struct ctx *c, const int *fds, size_t n, int cmd)
{
	if (cmd != REPAIR_ON && cmd != REPAIR_OFF && cmd != REPAIR_OFF_NO_WP)
		return -EINVAL;
	if (!n)
		return 0;
	if (repair_mode_get() == REPAIR_MODE_DIRECT)
		return repair_set_direct(fds, n, cmd);
	return repair_set_helper(c, fds, n, cmd);
}
