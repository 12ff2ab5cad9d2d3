// SPDX-License-Identifier: GPL-2.0-or-later
/* passt-repair.c - privileged helper: switch TCP_REPAIR for an unprivileged passt
 *
 * Usage: passt-repair PATH, where PATH is the daemon's repair socket, or a
 * directory in which to wait for one (any socket named *.repair).
 *
 * The helper connects to the daemon and serves its requests until the daemon
 * closes the connection. Each message is one signed command byte (1 repair
 * on, 0 off, -1 off without window probe) with 1 to REPAIR_BATCH_MAX socket
 * fds attached (SCM_RIGHTS): the helper sets TCP_REPAIR to the command on
 * each, closes its copies and echoes the byte. On any error it says why and
 * exits, which closes the connection: the daemon then knows the request
 * failed.
 *
 * It runs with CAP_NET_ADMIN, so it stays small enough to audit at a glance:
 * it links nothing of the daemon (repair.h only lends it the protocol's
 * constants), uses blocking calls in one loop, and holds the fds it is given
 * for no longer than one message.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "repair.h"

/* How long a socket that exists, or is about to, may refuse connections:
 * the daemon creates it with bind() a moment before it listen()s
 */
#define CONNECT_RETRY_MS	10000
#define CONNECT_INTERVAL_MS	100

#define REPAIR_SUFFIX		".repair"

/**
 * usage() - print how to call the helper and exit
 * @name:	program name
 * @status:	exit status: 0 prints the help to stdout, anything else only
 *		the usage line, to stderr
 */
static void usage(const char *name, int status)
{
	if (status) {
		fprintf(stderr, "Usage: %s [--help] [--version] PATH\n", name);
		exit(status);
	}
	printf("Usage: %s [--help] [--version] PATH\n"
	       "Switch TCP_REPAIR on the sockets that passt passes over its\n"
	       "repair socket. Needs CAP_NET_ADMIN.\n"
	       "\n"
	       "  PATH       passt's repair socket (--repair-path), or a\n"
	       "             directory: wait for a *.repair socket in it\n"
	       "  --help     show this help and exit\n"
	       "  --version  show the version and exit\n"
	       "\n"
	       "Exits 0 when passt closes the connection, 1 on errors.\n",
	       name);
	exit(status);
}

/**
 * msleep() - sleep for some milliseconds
 * @ms:		milliseconds
 */
static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/**
 * sock_connect() - connect to a UNIX socket path, once, and say so
 * @path:	socket path
 *
 * Return: connected socket, or -errno
 */
static int sock_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	fprintf(stderr, "passt-repair: connected to %s\n", path);
	return fd;
}

/**
 * sock_connect_retry() - connect, retrying while the socket is not ready
 * @path:	socket path
 *
 * A missing path (ENOENT) or a socket not yet listening (ECONNREFUSED) is
 * tried again every CONNECT_INTERVAL_MS, for up to CONNECT_RETRY_MS.
 *
 * Return: connected socket, or -errno of the last attempt
 */
static int sock_connect_retry(const char *path)
{
	int fd, waited;

	for (waited = 0; ; waited += CONNECT_INTERVAL_MS) {
		fd = sock_connect(path);
		if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED) ||
		    waited >= CONNECT_RETRY_MS)
			return fd;
		msleep(CONNECT_INTERVAL_MS);
	}
}

/**
 * repair_name() - build DIR/NAME if NAME looks like a repair socket
 * @dir:	directory
 * @name:	file name in it
 * @path:	result, PATH_MAX bytes
 *
 * Return: true if @name ends with ".repair" and the path fits
 */
static bool repair_name(const char *dir, const char *name, char *path)
{
	size_t len = strlen(name), suffix = strlen(REPAIR_SUFFIX);

	if (len <= suffix || strcmp(name + len - suffix, REPAIR_SUFFIX))
		return false;
	return snprintf(path, PATH_MAX, "%s/%s", dir, name) < PATH_MAX;
}

/**
 * dir_connect_existing() - try once each *.repair socket already in @dir
 * @dir:	directory
 *
 * Sockets left behind by a daemon that is gone refuse the connection: they
 * are skipped, not waited for.
 *
 * Return: connected socket, or -1 if none answered
 */
static int dir_connect_existing(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = -1;

	d = opendir(dir);
	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		if (!repair_name(dir, de->d_name, path) ||
		    stat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		fd = sock_connect(path);
	}
	closedir(d);
	return fd;
}

/**
 * dir_connect() - connect to a *.repair socket in @dir, waiting for one
 * @dir:	directory
 *
 * The watch starts before the directory is read, so that a socket created
 * in between is not missed. Waits for as long as it takes: on a migration
 * target the helper starts before the daemon.
 *
 * Return: connected socket, or -1 after printing why not
 */
static int dir_connect(const char *dir)
{
	union {
		char buf[sizeof(struct inotify_event) + NAME_MAX + 1];
		struct inotify_event align;
	} u;
	char path[PATH_MAX];
	ssize_t n = 0;
	int in, fd;

	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO |
					IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		fprintf(stderr, "passt-repair: cannot watch %s: %s\n", dir,
			strerror(errno));
		if (in >= 0)
			close(in);
		return -1;
	}
	fd = dir_connect_existing(dir);

	while (fd < 0 && (n = read(in, u.buf, sizeof(u.buf))) > 0) {
		const char *p;
		const struct inotify_event *ev;

		for (p = u.buf; fd < 0 && p < u.buf + n;
		     p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
					IN_IGNORED)) {
				fprintf(stderr, "passt-repair: %s went away\n",
					dir);
				close(in);
				return -1;
			}
			if (!ev->len || !repair_name(dir, ev->name, path))
				continue;
			fd = sock_connect_retry(path);
		}
	}
	if (fd < 0 && n < 0)
		fprintf(stderr, "passt-repair: inotify: %s\n", strerror(errno));
	close(in);
	return fd;
}

/**
 * fds_collect() - gather the fds of a received message's control data
 * @mh:		received message
 * @fds:	result, room for REPAIR_BATCH_MAX
 * @n:		number of fds found, set
 *
 * Every fd found is returned, even in a bad message, so that all are closed.
 *
 * Return: true if the control data held fds only, at least one, none cut off
 */
static bool fds_collect(struct msghdr *mh, int *fds, size_t *n)
{
	struct cmsghdr *cmsg;
	bool ok = !(mh->msg_flags & MSG_CTRUNC);

	*n = 0;
	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		/* The buffer holds REPAIR_BATCH_MAX fds at most: the bound
		 * is only there to make that obvious
		 */
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    *n + count > REPAIR_BATCH_MAX) {
			ok = false;
			continue;
		}
		memcpy(fds + *n, CMSG_DATA(cmsg), count * sizeof(int));
		*n += count;
	}
	return ok && *n;
}

/**
 * batch_apply() - set TCP_REPAIR to @cmd on each fd of a message, close all
 * @cmd:	command byte
 * @fds:	received fds, all closed on return
 * @n:		number of fds
 * @valid:	whether the message's control data was well-formed
 * @error:	errno of a failed setsockopt(), set, or left alone
 *
 * Return: NULL on success, or what went wrong
 */
static const char *batch_apply(int cmd, const int *fds, size_t n, bool valid,
			       int *error)
{
	const char *what = NULL;
	size_t i;

	if (!valid)
		what = "message without 1 to 253 socket fds";
	else if (cmd != REPAIR_ON && cmd != REPAIR_OFF &&
		 cmd != REPAIR_OFF_NO_WP)
		what = "unknown command";
	for (i = 0; i < n; i++) {
		if (!what && setsockopt(fds[i], IPPROTO_TCP, TCP_REPAIR,
					&cmd, sizeof(cmd))) {
			*error = errno;
			what = "setting TCP_REPAIR";
		}
		close(fds[i]);
	}
	return what;
}

/**
 * serve() - apply the daemon's commands until it closes the connection
 * @s:		connection to the daemon
 *
 * Return: 0 when the daemon closed the connection, 1 on any error
 */
static int serve(int s)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * REPAIR_BATCH_MAX)];
		struct cmsghdr align;
	} u;
	int fds[REPAIR_BATCH_MAX];
	int8_t cmd;
	struct iovec iov = { .iov_base = &cmd, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned long served = 0;

	for (;;) {
		const char *what;
		int error = 0;
		ssize_t len;
		bool valid;
		size_t n;

		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		len = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			perror("passt-repair: receive");
			return 1;
		}
		if (len == 0) {
			fprintf(stderr, "passt-repair: passt closed the "
				"connection after %lu messages\n", served);
			return 0;
		}

		valid = fds_collect(&mh, fds, &n);
		what = batch_apply(cmd, fds, n, valid, &error);
		if (what) {
			fprintf(stderr, "passt-repair: %s (command %d)%s%s\n",
				what, cmd, error ? ": " : "",
				error ? strerror(error) : "");
			return 1;
		}
		if (send(s, &cmd, 1, MSG_NOSIGNAL) != 1) {
			perror("passt-repair: reply");
			return 1;
		}
		served++;
	}
}

int main(int argc, char **argv)
{
	const char *path;
	struct stat st;
	int s;

	if (argc != 2)
		usage(argv[0], EXIT_FAILURE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		usage(argv[0], EXIT_SUCCESS);
	if (!strcmp(argv[1], "--version")) {
		printf("passt-repair " PASST_VERSION "\n");
		return EXIT_SUCCESS;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "passt-repair: unknown option %s\n", argv[1]);
		usage(argv[0], EXIT_FAILURE);
	}

	path = argv[1];
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		s = dir_connect(path);
	} else {
		s = sock_connect_retry(path);
		if (s < 0)
			fprintf(stderr, "passt-repair: cannot connect to %s: "
				"%s\n", path, strerror(-s));
	}
	if (s < 0)
		return EXIT_FAILURE;

	return serve(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
