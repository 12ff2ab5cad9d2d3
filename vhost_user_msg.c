// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost_user_msg.c - reading vhost-user messages and sending replies
 *
 * A message is read without blocking, in as many pieces as the socket
 * gives: its header is checked as soon as it is complete, its fds are kept
 * (with a limit) from whichever piece carried them, and its payload is
 * copied out once whole. What each request must carry is checked by the
 * caller, against its table row.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vhost_user.h"
#include "vhost_user_msg.h"

/**
 * vu_msg_fds_close() - close the fds of a message that no handler took
 * @m:		message
 */
void vu_msg_fds_close(struct vu_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->nfds; i++)
		fd_close(&m->fds[i]);
	m->nfds = 0;
	m->fds_bad = false;
}

/**
 * vu_msg_fd_take() - take the only fd of a message
 * @m:		message, with exactly one fd
 *
 * Return: the fd, now owned by the caller
 */
int vu_msg_fd_take(struct vu_msg *m)
{
	int fd = m->fds[0];

	m->fds[0] = -1;
	return fd;
}

/**
 * vu_msg_reply_send() - send a reply to the current request
 * @fd:		connection to the front-end
 * @m:		request, with its reply payload
 *
 * Return: 0 on success, -1 (logged) if the front-end does not take it
 */
int vu_msg_reply_send(int fd, const struct vu_msg *m)
{
	struct vu_msg_hdr hdr = {
		.request = m->hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_F_REPLY,
		.size = m->reply_size,
	};
	struct iovec iov[2] = {
		{ &hdr, sizeof(hdr) },
		{ (void *)&m->reply, m->reply_size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(hdr) + m->reply_size)) {
		err("vhost-user: %s: cannot send reply: %s",
		    vu_request_name(m->hdr.request),
		    n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/**
 * vu_msg_hdr_check() - check a complete header
 * @m:		message with its header read
 *
 * Return: 0 if valid, -1 (logged) if not
 */
static int vu_msg_hdr_check(struct vu_msg *m)
{
	memcpy(&m->hdr, m->raw, sizeof(m->hdr));
	if ((m->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		err("vhost-user: %s: version %u in flags 0x%x, expected %u",
		    vu_request_name(m->hdr.request),
		    m->hdr.flags & VHOST_USER_VERSION_MASK, m->hdr.flags,
		    VHOST_USER_VERSION);
		return -1;
	}
	if (m->hdr.size > VHOST_USER_PAYLOAD_MAX) {
		err("vhost-user: %s: payload size %u exceeds %u",
		    vu_request_name(m->hdr.request), m->hdr.size,
		    VHOST_USER_PAYLOAD_MAX);
		return -1;
	}
	return 0;
}

/**
 * vu_msg_fds_collect() - keep the fds that came with part of a message
 * @m:		message being read
 * @mh:		what recvmsg() returned
 */
static void vu_msg_fds_collect(struct vu_msg *m, struct msghdr *mh)
{
	struct cmsghdr *cmsg;

	if (mh->msg_flags & MSG_CTRUNC)
		m->fds_bad = true;
	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t n, i;
		int fd;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(fd));
			if (m->nfds < VHOST_USER_FDS_MAX) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				m->fds_bad = true;
			}
		}
	}
}

/**
 * vu_msg_read() - read what is there of the current message
 * @fd:		connection to the front-end
 * @m:		message being read
 *
 * Return: 1 if complete, 0 if more is needed, -1 on end of connection or
 *	   error (logged when it is one)
 */
int vu_msg_read(int fd, struct vu_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * (VHOST_USER_FDS_MAX + 1))];

	for (;;) {
		size_t need = VHOST_USER_HDR_SIZE;
		struct iovec iov;
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t n;

		if (m->len >= VHOST_USER_HDR_SIZE)
			need += m->hdr.size;
		if (m->len == need)
			break;
		iov.iov_base = m->raw + m->len;
		iov.iov_len = need - m->len;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			err("vhost-user: read failed: %s", strerror(errno));
			return -1;
		}
		vu_msg_fds_collect(m, &mh);
		if (n == 0) {
			if (m->len)
				err("vhost-user: connection closed inside a "
				    "message");
			return -1;
		}
		m->len += (size_t)n;
		if (m->len == VHOST_USER_HDR_SIZE && vu_msg_hdr_check(m))
			return -1;
	}
	memset(&m->p, 0, sizeof(m->p));
	memcpy(&m->p, m->raw + VHOST_USER_HDR_SIZE, m->hdr.size);
	return 1;
}

