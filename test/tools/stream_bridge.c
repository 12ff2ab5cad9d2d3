// SPDX-License-Identifier: GPL-2.0-or-later
/* stream_bridge.c - QEMU's stream netdev in miniature, for namespace tests
 *
 * Connects to the daemon's UNIX socket the way QEMU's
 * "-netdev stream,addr.type=unix" does (every Ethernet frame preceded by its
 * length as a 32-bit big-endian integer), creates a TAP device in the network
 * namespace it runs in, and moves frames both ways, so that the kernel of
 * that namespace is the guest. Optionally drops a deterministic share of the
 * frames, for tests of loss recovery on kernels without netem.
 *
 * Runs until SIGTERM or SIGINT, or until the daemon closes the socket, then
 * prints its counters. Exit status: 0 after a signal or the daemon's close,
 * 1 on any error (including a malformed length from the daemon).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "link_common.h"

#define ETH_HEADER_LEN	14
#define VLAN_TAG_LEN	4
/* Largest TAP MTU, the Ethernet header and one VLAN tag */
#define FRAME_MAX	(65535 + ETH_HEADER_LEN + VLAN_TAG_LEN)
#define LEN_PREFIX	4
#define RECORD_MAX	(LEN_PREFIX + FRAME_MAX)
/* Stream buffers, each way: a few frames of the largest size */
#define STREAM_BUF_SIZE	(4 * RECORD_MAX)

/**
 * struct dir_stats - counters for one direction
 * @frames:	frames passed on
 * @bytes:	bytes of frames passed on, length prefixes not counted
 * @dropped:	frames dropped on purpose (--drop-percent)
 * @refused:	frames the TAP device refused (link down, too large)
 */
struct dir_stats {
	unsigned long long frames;
	unsigned long long bytes;
	unsigned long long dropped;
	unsigned long long refused;
};

/**
 * struct stream_buf - bounded byte queue between a reader and a writer
 * @data:	storage
 * @start:	offset of the first byte not yet consumed
 * @end:	offset one past the last byte stored
 */
struct stream_buf {
	uint8_t data[STREAM_BUF_SIZE];
	size_t start;
	size_t end;
};

/**
 * struct bridge - the whole state of the bridge
 * @fd_sock:	connected stream socket to the daemon
 * @fd_tap:	TAP device queue
 * @from_daemon: bytes read from the socket, not yet written to the TAP
 * @to_daemon:	length-prefixed frames read from the TAP, not yet sent
 * @tap_blocked: the frame at the head of @from_daemon waits for POLLOUT
 * @consumed:	bytes of the daemon's stream parsed so far, for messages
 * @drop:	deliberate loss configuration
 * @stats_guest: counters, daemon to guest
 * @stats_daemon: counters, guest to daemon
 */
struct bridge {
	int fd_sock;
	int fd_tap;
	struct stream_buf from_daemon;
	struct stream_buf to_daemon;
	bool tap_blocked;
	unsigned long long consumed;
	struct link_drop drop;
	struct dir_stats stats_guest;
	struct dir_stats stats_daemon;
};

static struct bridge bridge;

/**
 * usage() - print the command line summary and exit
 * @name:	program name
 * @status:	exit status
 */
static void usage(const char *name, int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: %s --socket PATH --tap NAME [OPTIONS]\n"
		"Bridge the daemon's stream socket to a new TAP device.\n\n"
		"  -s, --socket PATH       daemon's UNIX socket\n"
		LINK_USAGE
		"  -h, --help              this text\n", name);
	exit(status);
}

/**
 * parse_options() - read the command line, or exit with a message
 * @argc:	argument count
 * @argv:	arguments
 * @opt:	options to fill
 */
static void parse_options(int argc, char **argv, struct link_opts *opt)
{
	static const struct option longopts[] = { LINK_LONGOPTS, { 0 } };
	int o;

	link_opts_init(opt);
	while ((o = getopt_long(argc, argv, LINK_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (link_opt_parse(opt, o, optarg))
			continue;
		usage(argv[0], o == 'h' ? EXIT_SUCCESS : EXIT_FAILURE);
	}

	if (optind < argc) {
		fprintf(stderr, "stream_bridge: unexpected argument '%s'\n",
			argv[optind]);
		exit(EXIT_FAILURE);
	}
	if (!opt->socket || !opt->tap) {
		fprintf(stderr, "stream_bridge: --socket and --tap are "
			"required\n");
		exit(EXIT_FAILURE);
	}
}

/**
 * sock_connect() - connect to the daemon's UNIX socket
 * @path:	socket path
 *
 * Return: connected, non-blocking socket; exits on failure
 */
static int sock_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		die("socket path %s is too long", path);
	memcpy(addr.sun_path, path, strlen(path));

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cannot create a UNIX socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("cannot connect to %s: %s", path, strerror(errno));
	if (fd_set_nonblock(fd))
		die("cannot make the socket non-blocking");
	return fd;
}

/**
 * io_would_block() - whether the last failed read or write is to be retried
 *
 * Return: true if it would have blocked or a signal interrupted it
 */
static bool io_would_block(void)
{
	return errno == EAGAIN || errno == EINTR;
}

/**
 * io_failed() - log the last failed read or write, unless it is to be retried
 * @what:	what was done, after "cannot"
 *
 * Return: false if it would have blocked or was interrupted, true if it
 * failed (logged)
 */
static bool io_failed(const char *what)
{
	if (io_would_block())
		return false;
	err("cannot %s: %s", what, strerror(errno));
	return true;
}

/**
 * buf_compact() - move unconsumed bytes to the front of a stream buffer
 * @b:		buffer
 */
static void buf_compact(struct stream_buf *b)
{
	if (b->start == b->end) {
		b->start = b->end = 0;
		return;
	}
	memmove(b->data, b->data + b->start, b->end - b->start);
	b->end -= b->start;
	b->start = 0;
}

/**
 * buf_room() - free space after the stored bytes, compacting if it helps
 * @b:		buffer
 * @need:	space the caller wants
 *
 * Return: bytes free at @b->data + @b->end
 */
static size_t buf_room(struct stream_buf *b, size_t need)
{
	if (STREAM_BUF_SIZE - b->end < need)
		buf_compact(b);
	return STREAM_BUF_SIZE - b->end;
}

/**
 * tap_write_frame() - write one frame from the daemon to the TAP device
 * @br:		bridge
 * @frame:	Ethernet frame
 * @len:	frame length
 *
 * Return: 0 if the frame was handled (written, dropped or refused), -EAGAIN
 * if the TAP device cannot take it yet, -errno on failure
 */
static int tap_write_frame(struct bridge *br, const uint8_t *frame,
			   size_t len)
{
	ssize_t n;

	if (link_drop_next(&br->drop, LINK_TO_GUEST)) {
		br->stats_guest.dropped++;
		return 0;
	}

	n = write(br->fd_tap, frame, len);
	if (n == (ssize_t)len) {
		br->stats_guest.frames++;
		br->stats_guest.bytes += len;
		return 0;
	}
	if (n >= 0)
		return -EIO;
	if (io_would_block())
		return -EAGAIN;
	/* A link that is down (EIO) or a frame over the MTU is a guest's
	 * refusal, as on a real NIC: counted, not fatal.
	 */
	if (errno == EIO || errno == EINVAL || errno == EMSGSIZE) {
		if (!br->stats_guest.refused)
			warn("TAP device refused a frame of %zu bytes: %s "
			     "(counting further refusals silently)", len,
			     strerror(errno));
		br->stats_guest.refused++;
		return 0;
	}
	return -errno;
}

/**
 * from_daemon_deliver() - pass every complete frame received to the TAP
 * @br:		bridge
 *
 * Return: 0 on success (possibly blocked on the TAP), -1 on a malformed
 * length or a TAP error, already logged
 */
static int from_daemon_deliver(struct bridge *br)
{
	struct stream_buf *b = &br->from_daemon;

	br->tap_blocked = false;
	while (b->end - b->start >= LEN_PREFIX) {
		uint32_t len_be, len;
		int rc;

		memcpy(&len_be, b->data + b->start, LEN_PREFIX);
		len = ntohl(len_be);
		if (len < ETH_HEADER_LEN || len > FRAME_MAX) {
			err("malformed frame length %u at byte %llu of the "
			    "daemon's stream (valid: %d to %d)", len,
			    br->consumed, ETH_HEADER_LEN, FRAME_MAX);
			return -1;
		}
		if (b->end - b->start < LEN_PREFIX + len)
			break;

		rc = tap_write_frame(br, b->data + b->start + LEN_PREFIX, len);
		if (rc == -EAGAIN) {
			br->tap_blocked = true;
			return 0;
		}
		if (rc) {
			err("cannot write to the TAP device: %s",
			    strerror(-rc));
			return -1;
		}
		b->start += LEN_PREFIX + len;
		br->consumed += LEN_PREFIX + len;
	}
	buf_compact(b);
	return 0;
}

/**
 * from_daemon_read() - read what the daemon sent and deliver it
 * @br:		bridge
 *
 * Return: 1 to go on, 0 if the daemon closed the connection, -1 on error
 */
static int from_daemon_read(struct bridge *br)
{
	struct stream_buf *b = &br->from_daemon;
	ssize_t n;

	n = read(br->fd_sock, b->data + b->end, buf_room(b, RECORD_MAX));
	if (n == 0) {
		info("the daemon closed the connection");
		return 0;
	}
	if (n < 0)
		return io_failed("read from the daemon's socket") ? -1 : 1;
	b->end += (size_t)n;
	return from_daemon_deliver(br) ? -1 : 1;
}

/**
 * from_tap_read() - read frames from the TAP device into the outgoing queue
 * @br:		bridge
 *
 * Return: 0 on success, -1 on error
 */
static int from_tap_read(struct bridge *br)
{
	struct stream_buf *b = &br->to_daemon;

	while (buf_room(b, RECORD_MAX) >= RECORD_MAX) {
		uint8_t *record = b->data + b->end;
		uint32_t len_be;
		ssize_t n;

		n = read(br->fd_tap, record + LEN_PREFIX, FRAME_MAX);
		if (n < 0)
			return io_failed("read from the TAP device") ? -1 : 0;
		if (link_drop_next(&br->drop, LINK_TO_DAEMON)) {
			br->stats_daemon.dropped++;
			continue;
		}
		len_be = htonl((uint32_t)n);
		memcpy(record, &len_be, LEN_PREFIX);
		b->end += LEN_PREFIX + (size_t)n;
		br->stats_daemon.frames++;
		br->stats_daemon.bytes += (unsigned long long)n;
	}
	return 0;
}

/**
 * to_daemon_flush() - send as much of the outgoing queue as the socket takes
 * @br:		bridge
 *
 * Return: 0 on success, -1 on error
 */
static int to_daemon_flush(struct bridge *br)
{
	struct stream_buf *b = &br->to_daemon;

	while (b->start < b->end) {
		ssize_t n = send(br->fd_sock, b->data + b->start,
				 b->end - b->start, MSG_NOSIGNAL);

		if (n < 0) {
			if (io_failed("write to the daemon's socket"))
				return -1;
			break;
		}
		b->start += (size_t)n;
	}
	if (b->start == b->end)
		b->start = b->end = 0;
	return 0;
}

/**
 * bridge_poll_setup() - choose the events to wait for on both fds
 * @br:		bridge
 * @pfd:	poll array: socket first, TAP second
 */
static void bridge_poll_setup(struct bridge *br, struct pollfd pfd[2])
{
	struct stream_buf *out = &br->to_daemon;

	pfd[0].fd = br->fd_sock;
	pfd[0].events = 0;
	if (!br->tap_blocked)
		pfd[0].events |= POLLIN;
	if (out->start < out->end)
		pfd[0].events |= POLLOUT;

	pfd[1].fd = br->fd_tap;
	pfd[1].events = 0;
	if (buf_room(out, RECORD_MAX) >= RECORD_MAX)
		pfd[1].events |= POLLIN;
	if (br->tap_blocked)
		pfd[1].events |= POLLOUT;

	/* poll() reports POLLHUP even if not asked: a socket we are not
	 * reading from must not make it return at once, again and again
	 */
	if (!pfd[0].events)
		pfd[0].fd = -1;
}

/**
 * bridge_run() - move frames both ways until a signal, close or error
 * @br:		bridge
 * @waitmask:	signal mask to wait with (SIGTERM and SIGINT unblocked)
 *
 * Return: 0 after a signal or the daemon's close, -1 on error
 */
static int bridge_run(struct bridge *br, const sigset_t *waitmask)
{
	struct pollfd pfd[2];

	for (;;) {
		int rc;

		bridge_poll_setup(br, pfd);
		if (ppoll(pfd, 2, NULL, waitmask) < 0) {
			if (errno == EINTR)
				return 0;
			err("poll: %s", strerror(errno));
			return -1;
		}

		if (pfd[1].revents & POLLOUT && from_daemon_deliver(br))
			return -1;
		if (!br->tap_blocked &&
		    pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = from_daemon_read(br);
			if (rc <= 0)
				return rc;
		}
		if (pfd[1].revents & (POLLIN | POLLERR) && from_tap_read(br))
			return -1;
		if (to_daemon_flush(br))
			return -1;
	}
}

/**
 * stats_print() - log the counters of both directions
 * @br:		bridge
 */
static void stats_print(const struct bridge *br)
{
	const struct dir_stats *g = &br->stats_guest, *d = &br->stats_daemon;

	info("to guest: %llu frames, %llu bytes, %llu dropped on purpose, "
	     "%llu refused by the TAP device", g->frames, g->bytes,
	     g->dropped, g->refused);
	info("to daemon: %llu frames, %llu bytes, %llu dropped on purpose",
	     d->frames, d->bytes, d->dropped);
}

/**
 * main() - set up the TAP device and the connection, then bridge
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 after a signal or the daemon's close, 1 on error
 */
int main(int argc, char **argv)
{
	struct bridge *br = &bridge;
	struct link_opts opt;
	sigset_t waitmask;
	int rc;

	parse_options(argc, argv, &opt);
	br->drop = opt.drop;
	log_init("stream_bridge", true, NULL, LOG_LEVEL_INFO);
	link_signals_setup(&waitmask, false);

	br->fd_tap = link_tap_create(opt.tap, opt.mac_set ? opt.mac : NULL);
	if (br->fd_tap < 0)
		return EXIT_FAILURE;
	br->fd_sock = sock_connect(opt.socket);
	if (link_pidfile_write(opt.pidfile))
		return EXIT_FAILURE;
	info("bridging %s and TAP device %s%s", opt.socket, opt.tap,
	     br->drop.percent ? ", dropping frames on purpose" : "");

	rc = bridge_run(br, &waitmask);
	stats_print(br);
	close(br->fd_sock);
	close(br->fd_tap);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
