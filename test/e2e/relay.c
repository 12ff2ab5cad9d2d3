// SPDX-License-Identifier: GPL-2.0-or-later
/* test/e2e/relay.c - relay a QEMU migration, announcing a newer passt stream
 *
 * Usage: e2e-relay [-v VERSION] [-t SECONDS] LISTEN_PATH TARGET_PATH
 *
 * Accepts one connection on the UNIX socket LISTEN_PATH (the source QEMU's
 * `migrate unix:LISTEN_PATH`), connects to TARGET_PATH (the target QEMU's
 * incoming socket) and copies bytes both ways (the return path too) until
 * both directions end, or after SECONDS (default 120).
 *
 * With -v, the first passt migration stream on the way to the target (its
 * fixed header: "PASSTMIG", then the big-endian version and compat_version)
 * gets VERSION in both fields: the target daemon sees a stream from a daemon
 * newer than itself, one that it cannot read, which is what an operator
 * meets when migrating to an older target that is too old. Nothing else is
 * changed: QEMU's own stream carries the device state as opaque bytes.
 */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE	65536
#define TIMEOUT_S	120

static const char magic[] = "PASSTMIG";

/**
 * struct rewrite - finding the stream header and replacing its versions
 * @on:		rewriting asked for
 * @matched:	bytes of the magic matched so far
 * @left:	bytes of the version fields still to replace
 * @fields:	the replacement version fields, big-endian
 * @done:	the header was rewritten
 */
struct rewrite {
	bool on;
	size_t matched;
	size_t left;
	uint8_t fields[8];
	bool done;
};

/**
 * die() - print a message with the errno text and exit with status 2
 * @what:	what failed
 */
static void die(const char *what)
{
	fprintf(stderr, "e2e-relay: %s: %s\n", what, strerror(errno));
	exit(2);
}

/**
 * unix_addr() - fill a UNIX socket address
 * @sa:		result
 * @path:	socket path
 */
static void unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "e2e-relay: path too long: %s\n", path);
		exit(1);
	}
	strcpy(sa->sun_path, path);
}

/**
 * rewrite_bytes() - replace the version fields following the magic
 * @rw:		rewriting state, carried from one buffer to the next
 * @buf:	bytes on their way to the target
 * @len:	their number
 */
static void rewrite_bytes(struct rewrite *rw, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && rw->on && !rw->done; i++) {
		if (rw->left) {
			buf[i] = rw->fields[8 - rw->left];
			if (!--rw->left)
				rw->done = true;
			continue;
		}
		/* No proper prefix of the magic is also its suffix */
		if (buf[i] == (uint8_t)magic[rw->matched])
			rw->matched++;
		else
			rw->matched = buf[i] == (uint8_t)magic[0];
		if (rw->matched == sizeof(magic) - 1) {
			rw->left = 8;
			rw->matched = 0;
		}
	}
}

/**
 * copy_some() - move what is readable from one socket to the other
 * @from:	socket to read
 * @to:		socket to write, blocking
 * @rw:		rewriting state, or NULL
 *
 * Return: false once @from has ended (the end is passed on to @to)
 */
static bool copy_some(int from, int to, struct rewrite *rw)
{
	uint8_t buf[BUF_SIZE];
	ssize_t n = recv(from, buf, sizeof(buf), 0), off = 0;

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		shutdown(to, SHUT_WR);
		return false;
	}
	if (rw)
		rewrite_bytes(rw, buf, (size_t)n);
	while (off < n) {
		ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		off += w;
	}
	return true;
}

/**
 * main() - accept the source, connect the target, relay until both end
 * @argc:	argument count
 * @argv:	options, listening path, target path
 *
 * Return: 0 when both directions ended, and the header was rewritten if
 * asked; 1 on bad usage; 2 on errors or the deadline
 */
int main(int argc, char **argv)
{
	struct rewrite rw = { 0 };
	struct pollfd p[2];
	struct sockaddr_un sa;
	unsigned long timeout_s = TIMEOUT_S, v;
	bool open_ab = true, open_ba = true;
	time_t deadline;
	int opt, l, a, b, i;

	while ((opt = getopt(argc, argv, "v:t:")) != -1) {
		switch (opt) {
		case 'v':
			v = strtoul(optarg, NULL, 0);
			rw.on = true;
			for (i = 0; i < 4; i++)
				rw.fields[i] = rw.fields[i + 4] =
					(uint8_t)(v >> (24 - 8 * i));
			break;
		case 't':
			timeout_s = strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	deadline = time(NULL) + (time_t)timeout_s;

	unix_addr(&sa, argv[optind]);
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
		die("listen");
	p[0] = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(p, 1, (int)timeout_s * 1000) != 1)
		die("no connection from the source");
	if ((a = accept(l, NULL, NULL)) < 0)
		die("accept");
	close(l);
	unix_addr(&sa, argv[optind + 1]);
	if ((b = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(b, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect to the target");

	while (open_ab || open_ba) {
		if (time(NULL) >= deadline) {
			errno = ETIMEDOUT;
			die("relaying");
		}
		p[0] = (struct pollfd){ .fd = open_ab ? a : -1, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = open_ba ? b : -1, .events = POLLIN };
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents)
			open_ab = copy_some(a, b, &rw);
		if (p[1].revents)
			open_ba = copy_some(b, a, NULL);
	}
	fprintf(stderr, "e2e-relay: done%s\n", rw.on ? (rw.done ?
		", stream header rewritten" : ", no stream header seen") : "");
	return rw.on && !rw.done ? 2 : 0;
usage:
	fprintf(stderr, "Usage: %s [-v VERSION] [-t SECONDS] LISTEN_PATH TARGET_PATH\n",
		argv[0]);
	return 1;
}
