// SPDX-License-Identifier: GPL-2.0-or-later
/* util.c - small helpers shared by every module: fds, epoll, time, MACs */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "passt.h"
#include "util.h"
#include "log.h"

/**
 * fd_set_nonblock() - set O_NONBLOCK on a file descriptor
 * @fd:		file descriptor
 *
 * Return: 0 on success, -errno on failure
 */
int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/**
 * fd_close() - close an fd if it is one, and mark it closed
 * @fd:		fd, set to -1
 */
void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/**
 * epoll_ctl_ref() - add or modify an fd in the daemon's epoll set
 * @c:		execution context
 * @op:		EPOLL_CTL_ADD or EPOLL_CTL_MOD
 * @fd:		file descriptor
 * @events:	epoll event mask
 * @ref:	reference handed back with each event
 *
 * Return: 0 on success, -errno on failure
 */
static int epoll_ctl_ref(const struct ctx *c, int op, int fd, uint32_t events,
			 union epoll_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(c->epollfd, op, fd, &ev) < 0)
		return -errno;
	return 0;
}

/**
 * epoll_add_ref() - register an fd with the daemon's epoll set
 * @c:		execution context
 * @fd:		file descriptor
 * @events:	epoll event mask
 * @ref:	reference handed back with each event (type, fd, index)
 *
 * Return: 0 on success, -errno on failure
 */
int epoll_add_ref(const struct ctx *c, int fd, uint32_t events,
		  union epoll_ref ref)
{
	return epoll_ctl_ref(c, EPOLL_CTL_ADD, fd, events, ref);
}

/**
 * epoll_mod_ref() - change the events or reference of a registered fd
 * @c:		execution context
 * @fd:		file descriptor
 * @events:	new epoll event mask
 * @ref:	new reference
 *
 * Return: 0 on success, -errno on failure
 */
int epoll_mod_ref(const struct ctx *c, int fd, uint32_t events,
		  union epoll_ref ref)
{
	return epoll_ctl_ref(c, EPOLL_CTL_MOD, fd, events, ref);
}

/**
 * epoll_del_fd() - remove an fd from the daemon's epoll set
 * @c:		execution context
 * @fd:		file descriptor
 */
void epoll_del_fd(const struct ctx *c, int fd)
{
	epoll_ctl(c->epollfd, EPOLL_CTL_DEL, fd, NULL);
}

/**
 * now_ms() - monotonic clock in milliseconds
 *
 * Return: milliseconds since an arbitrary, fixed point
 */
uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * write_all() - write a whole buffer to a blocking fd, retrying on EINTR
 * @fd:		file descriptor
 * @buf:	data
 * @len:	length of @buf
 *
 * Return: 0 on success, -errno on failure
 */
int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * read_all() - read exactly @len bytes from a blocking fd
 * @fd:		file descriptor
 * @buf:	destination
 * @len:	bytes to read
 *
 * Return: 0 on success, -EPIPE on end of file first, -errno on failure
 */
int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * mac_parse() - parse a MAC address written as six colon-separated hex bytes
 * @s:		text
 * @mac:	result
 *
 * Return: 0 on success, -1 if @s is not a MAC address
 */
int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/**
 * mac_ntop() - format a MAC address
 * @mac:	address
 * @buf:	destination, at least MAC_STRLEN bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
const char *mac_ntop(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/**
 * random_bytes() - fill a buffer from the kernel's random number generator
 * @buf:	destination
 * @len:	bytes wanted
 */
void random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("getrandom: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/**
 * sock_path_in_use() - whether some process serves a UNIX socket path
 * @path:	socket path
 *
 * Return: true if a connection to it succeeds
 */
static bool sock_path_in_use(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return ret == 0;
}

/**
 * sock_unix_listen() - bind and listen on a UNIX socket path, replacing a
 *			stale one
 * @path:	socket path
 *
 * Return: listening socket, or -errno
 */
int sock_unix_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	if (sock_path_in_use(path))
		return -EADDRINUSE;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strcpy(a.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
