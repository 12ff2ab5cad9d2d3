// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_vhost_user.c - frames per second through the vhost-user transport,
 *			beside the stream transport, measured in the same run
 *
 * The daemon side is the real tap.c with its transports (vhost_user.c and
 * virtio.c, or the stream socket), served by an epoll loop as in passt.c;
 * the guest side is a forked process: the vhost-user front-end stand-in's
 * code (test/tools/vu_fe.h) or a stream peer. For each transport, frame
 * size (64 and 1500 bytes) and direction, N frames cross; the figure is
 * frames per second and Gbit/s of frame bytes, from the start of the
 * connection to the last frame. Figures never decide pass or fail.
 */

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "log.h"
#include "passt.h"
#include "tap.h"
#include "../tools/vu_fe.h"

#define BENCH_FRAMES_64		200000UL
#define BENCH_FRAMES_1500	100000UL

static unsigned long bench_received;

/**
 * bench_input() - count frames the daemon side receives
 * @c:		execution context
 * @frame:	frame
 * @len:	length
 */
static void bench_input(struct ctx *c, const uint8_t *frame, size_t len)
{
	(void)c;
	(void)frame;
	(void)len;
	bench_received++;
}

/**
 * bench_serve() - one round of the daemon's loop
 * @c:		execution context
 * @ms:		longest wait
 */
static void bench_serve(struct ctx *c, int ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(c->epollfd, ev, 16, ms), i;

	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_TAP_STREAM)
			tap_stream_handler(c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_VHOST_CMD)
			vu_cmd_handler(c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_VHOST_KICK)
			vu_kick_handler(c, ref, ev[i].events);
	}
}

/**
 * guest_vu() - the guest side over vhost-user, in the child
 * @fd:		connection
 * @to_daemon:	send frames (true) or receive them
 * @n:		frames
 * @len:	frame length
 *
 * Return: 0 on success
 */
static int guest_vu(int fd, bool to_daemon, unsigned long n, size_t len)
{
	static uint8_t frame[FE_FRAME_MAX];
	static const uint16_t base[VU_QUEUES];
	struct fe fe = { .name = "bench", .sock = fd };
	unsigned long done = 0;

	if (fe_mem_init(&fe) || fe_handshake(&fe))
		return 1;
	fe_rings_init(&fe);
	if (fe_device_start(&fe, base))
		return 1;
	memset(frame, 0xff, len);
	while (done < n) {
		struct pollfd p = { .events = POLLIN };
		unsigned int queued = 0;

		if (to_daemon) {
			if (fe_tx_reap(&fe) < 0)
				return 1;
			while (done < n && !fe_tx_frame(&fe, frame, len, false)) {
				done++;
				queued++;
			}
			if (queued)
				fe_publish(&fe, &fe.q[VU_QUEUE_TX]);
			p.fd = fe.q[VU_QUEUE_TX].call_fd;
		} else {
			ssize_t r;

			while ((r = fe_rx_frame(&fe, frame, sizeof(frame))) > 0)
				done++;
			if (r < 0)
				return 1;
			p.fd = fe.q[VU_QUEUE_RX].call_fd;
		}
		if (done < n && !queued && poll(&p, 1, 1000) == 1)
			fe_calls_drain(&fe);
	}
	/* Wait until the daemon side took the last frames */
	while (to_daemon && fe_tx_reap(&fe) >= 0) {
		unsigned int i, busy = 0;

		for (i = 0; i < FE_TX_SLOTS; i++)
			busy += fe.tx_busy[i];
		if (!busy)
			break;
		usleep(100);
	}
	return 0;
}

/**
 * guest_stream() - the guest side over the stream transport, in the child
 * @fd:		connection
 * @to_daemon:	send frames (true) or receive them
 * @n:		frames
 * @len:	frame length
 *
 * Return: 0 on success
 */
static int guest_stream(int fd, bool to_daemon, unsigned long n, size_t len)
{
	static uint8_t buf[65536 + 4];
	uint32_t prefix = htonl((uint32_t)len);
	unsigned long i;

	memset(buf, 0xff, sizeof(buf));
	memcpy(buf, &prefix, 4);
	for (i = 0; i < n; i++) {
		if (to_daemon ? write_all(fd, buf, len + 4) :
				read_all(fd, buf, len + 4))
			return 1;
	}
	return 0;
}

/**
 * bench_one() - N frames of one size, one direction, one transport
 * @vhost_user:	transport
 * @to_daemon:	direction
 * @n:		frames
 * @len:	frame length
 *
 * Return: frames per second, or 0 on failure
 */
static double bench_one(bool vhost_user, bool to_daemon, unsigned long n,
			size_t len)
{
	static uint8_t frame[1500];
	struct iovec iov = { frame, len };
	struct ctx c = { .fd_tap_given = -1 };
	unsigned long sent = 0;
	uint64_t start;
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(vhost_user ? guest_vu(sv[1], to_daemon, n, len) :
				   guest_stream(sv[1], to_daemon, n, len));
	}
	close(sv[1]);
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.vhost_user = vhost_user;
	c.fd_tap_given = sv[0];
	vu_init(&c, NULL);
	start = now_ms();
	tap_init(&c, bench_input, NULL);
	bench_received = 0;
	memset(frame, 0xff, sizeof(frame));

	while (waitpid(pid, &status, WNOHANG) == 0) {
		while (!to_daemon && sent < n && !tap_send(&c, &iov, 1))
			sent++;
		bench_serve(&c, sent < n || to_daemon ? 1 : 10);
	}
	if (vhost_user)
		vu_disconnect(&c);
	else
		tap_stream_close(&c);
	close(c.epollfd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    (to_daemon && bench_received != n))
		return 0;
	return (double)n * 1000.0 / (double)MAX(now_ms() - start, 1);
}

int main(void)
{
	static const size_t sizes[] = { 64, 1500 };
	unsigned int s, d;

	log_init("bench", true, NULL, LOG_LEVEL_ERR);
	printf("%-22s %6s %14s %10s %14s %10s %7s\n", "direction", "bytes",
	       "vhost-user f/s", "Gbit/s", "stream f/s", "Gbit/s", "ratio");
	for (d = 0; d < 2; d++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			unsigned long n = sizes[s] == 64 ? BENCH_FRAMES_64 :
							   BENCH_FRAMES_1500;
			double vu = bench_one(true, d == 0, n, sizes[s]);
			double st = bench_one(false, d == 0, n, sizes[s]);

			printf("%-22s %6zu %14.0f %10.3f %14.0f %10.3f %7.2f\n",
			       d == 0 ? "guest to daemon" : "daemon to guest",
			       sizes[s], vu, vu * (double)sizes[s] * 8 / 1e9,
			       st, st * (double)sizes[s] * 8 / 1e9,
			       st > 0 ? vu / st : 0);
		}
	}
	return 0;
}
