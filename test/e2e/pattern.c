// SPDX-License-Identifier: GPL-2.0-or-later
/* test/e2e/pattern.c - send and check a deterministic byte stream over TCP
 *
 * Usage: e2e-pattern [-s SEED] [-r SEED] [-b RATE] [-f FILE] [-t SECONDS]
 *                    connect|listen ADDR PORT
 *
 *   -s SEED	send the pattern of SEED until SIGUSR1, then shut down the
 *		sending direction
 *   -r SEED	receive the pattern of SEED, checking every byte, until the
 *		peer shuts down its sending direction
 *   -b RATE	send at most RATE bytes a second (default 0: no limit)
 *   -f FILE	status file, replaced every 100 ms and at the end
 *   -t SECONDS	give up after this long (default 300)
 *
 * "listen" accepts one connection on ADDR PORT, "connect" makes one. Both
 * directions may run at once. Byte i of the pattern of SEED is byte i % 8
 * (least significant first) of splitmix64(SEED + i / 8): a byte lost,
 * duplicated or reordered anywhere shows up as a mismatch at its offset.
 *
 * The status file holds one line:
 *   state=running|done|mismatch|error sent=N received=N [what]
 * Exit status: 0 when both directions ended cleanly with every received
 * byte as expected, 1 on bad usage, 2 on a socket error or the deadline,
 * 3 on a mismatch.
 *
 * Built static, it runs both in the e2e guest (busybox has nothing like it)
 * and in the test's namespaces.
 */

#include <errno.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE		65536
#define STATUS_INTERVAL_MS	100
#define TIMEOUT_S_DEFAULT	300

/**
 * struct pattern_run - state of the connection's two directions
 * @sending:	the sending direction is on and not yet shut down
 * @receiving:	the receiving direction is on (-r)
 * @eof:	the peer shut down its sending direction
 * @send_seed:	seed of the pattern sent
 * @recv_seed:	seed of the pattern expected
 * @sent:	bytes sent so far
 * @received:	bytes received and checked so far
 * @rate:	sending limit, bytes a second, 0 for none
 * @credit:	bytes the limit allows now
 * @credit_ms:	when @credit was last topped up
 * @state:	status word
 * @what:	detail of a failure
 * @status:	status file, or NULL
 */
struct pattern_run {
	bool sending;
	bool receiving;
	bool eof;
	uint64_t send_seed;
	uint64_t recv_seed;
	uint64_t sent;
	uint64_t received;
	uint64_t rate;
	uint64_t credit;
	uint64_t credit_ms;
	const char *state;
	char what[128];
	const char *status;
};

static volatile sig_atomic_t stop_sending;

/**
 * on_usr1() - SIGUSR1 handler: stop sending, shut down that direction
 * @sig:	signal number, unused
 */
static void on_usr1(int sig)
{
	(void)sig;
	stop_sending = 1;
}

/**
 * now_ms() - monotonic clock in milliseconds
 *
 * Return: milliseconds
 */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * mix() - splitmix64 finaliser: one pseudo-random word per block index
 * @x:		seed plus block index
 *
 * Return: the word
 */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/**
 * pattern_fill() - write the pattern's bytes from an offset into a buffer
 * @seed:	pattern seed
 * @off:	offset of the first byte in the stream
 * @buf:	buffer
 * @len:	number of bytes
 */
static void pattern_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t block = UINT64_MAX, word = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t pos = off + i;

		if (pos / 8 != block) {
			block = pos / 8;
			word = mix(seed + block);
		}
		buf[i] = (uint8_t)(word >> (pos % 8 * 8));
	}
}

/**
 * status_write() - replace the status file with the current state
 * @run:	state
 */
static void status_write(const struct pattern_run *run)
{
	char tmp[4096];
	FILE *f;

	if (!run->status)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", run->status);
	if (!(f = fopen(tmp, "w")))
		return;
	fprintf(f, "state=%s sent=%" PRIu64 " received=%" PRIu64 "%s%s\n",
		run->state, run->sent, run->received, run->what[0] ? " " : "",
		run->what);
	if (fclose(f) == 0)
		rename(tmp, run->status);
}

/**
 * finish() - record the final state, print it, exit
 * @run:	state
 * @state:	final status word
 * @code:	exit status
 */
static void finish(struct pattern_run *run, const char *state, int code)
{
	run->state = state;
	status_write(run);
	fprintf(stderr, "e2e-pattern: state=%s sent=%" PRIu64 " received=%" PRIu64 " %s\n",
		state, run->sent, run->received, run->what);
	exit(code);
}

/**
 * fail_errno() - end on a failed system call, naming it
 * @run:	state
 * @call:	what failed
 */
static void fail_errno(struct pattern_run *run, const char *call)
{
	snprintf(run->what, sizeof(run->what), "%s:%s", call, strerror(errno));
	finish(run, "error", 2);
}

/**
 * sockaddr_parse() - make a socket address of a numeric address and a port
 * @sa:		result
 * @addr:	IPv4 or IPv6 address, numeric
 * @port:	port
 *
 * Return: its length, 0 if @addr or @port is not valid
 */
static socklen_t sockaddr_parse(struct sockaddr_storage *sa, const char *addr,
				const char *port)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	char *end;
	unsigned long p = strtoul(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	if (*end || !p || p > 65535)
		return 0;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		return sizeof(*a6);
	}
	return 0;
}

/**
 * sock_open() - connect to, or accept one connection on, ADDR PORT
 * @run:	state, for failures
 * @listen_mode:	accept instead of connecting
 * @addr:	numeric address
 * @port:	port
 * @deadline:	when to give up waiting for a connection, now_ms() clock
 *
 * Return: connected socket
 */
static int sock_open(struct pattern_run *run, bool listen_mode,
		     const char *addr, const char *port, uint64_t deadline)
{
	struct sockaddr_storage sa;
	socklen_t sl = sockaddr_parse(&sa, addr, port);
	int s, c, one = 1;

	if (!sl) {
		snprintf(run->what, sizeof(run->what), "bad address %s %s",
			 addr, port);
		finish(run, "error", 1);
	}
	s = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail_errno(run, "socket");
	if (!listen_mode) {
		if (connect(s, (struct sockaddr *)&sa, sl))
			fail_errno(run, "connect");
		return s;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sl) || listen(s, 1))
		fail_errno(run, "bind/listen");
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		uint64_t now = now_ms();

		if (now >= deadline) {
			snprintf(run->what, sizeof(run->what), "no connection");
			finish(run, "error", 2);
		}
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			fail_errno(run, "poll");
		if (p.revents & POLLIN)
			break;
	}
	c = accept(s, NULL, NULL);
	if (c < 0)
		fail_errno(run, "accept");
	close(s);
	return c;
}

/**
 * send_some() - send the next bytes of the pattern that the limit allows
 * @run:	state
 * @s:		socket, non-blocking
 */
static void send_some(struct pattern_run *run, int s)
{
	uint8_t buf[BUF_SIZE];
	size_t len = sizeof(buf);
	ssize_t n;

	if (run->rate && run->credit < len)
		len = run->credit;
	if (!len)
		return;
	pattern_fill(run->send_seed, run->sent, buf, len);
	n = send(s, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fail_errno(run, "send");
	}
	run->sent += (uint64_t)n;
	if (run->rate)
		run->credit -= (uint64_t)n;
}

/**
 * recv_some() - receive available bytes and check them against the pattern
 * @run:	state
 * @s:		socket
 */
static void recv_some(struct pattern_run *run, int s)
{
	uint8_t buf[BUF_SIZE], want[BUF_SIZE];
	ssize_t n, i;

	n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fail_errno(run, "recv");
	}
	if (n == 0) {
		run->eof = true;
		return;
	}
	if (!run->receiving) {
		snprintf(run->what, sizeof(run->what), "unexpected data");
		finish(run, "error", 2);
	}
	pattern_fill(run->recv_seed, run->received, want, (size_t)n);
	for (i = 0; i < n; i++) {
		if (buf[i] == want[i])
			continue;
		run->received += (uint64_t)i;
		snprintf(run->what, sizeof(run->what),
			 "at=%" PRIu64 " expected=0x%02x got=0x%02x",
			 run->received, want[i], buf[i]);
		finish(run, "mismatch", 3);
	}
	run->received += (uint64_t)n;
}

/**
 * credit_update() - top up the sending credit for the time gone by
 * @run:	state
 * @now:	now_ms()
 *
 * At most a tenth of a second's worth is kept: a stream held up does not
 * catch up in a burst afterwards.
 *
 * Return: milliseconds until some credit is there, 0 if there is some now
 */
static int credit_update(struct pattern_run *run, uint64_t now)
{
	uint64_t cap = run->rate / 10 ? run->rate / 10 : 1;

	if (!run->rate)
		return 0;
	run->credit += run->rate * (now - run->credit_ms) / 1000;
	if (run->credit > cap)
		run->credit = cap;
	run->credit_ms = now;
	return run->credit ? 0 : 10;
}

/**
 * run_loop() - move bytes both ways until both directions have ended
 * @run:	state
 * @s:		connected socket
 * @deadline:	when to give up, now_ms() clock
 */
static void run_loop(struct pattern_run *run, int s, uint64_t deadline)
{
	uint64_t next_status = 0;

	for (;;) {
		struct pollfd p = { .fd = s, .events = 0 };
		uint64_t now = now_ms();
		int wait_ms = STATUS_INTERVAL_MS;

		if (now >= deadline) {
			snprintf(run->what, sizeof(run->what), "deadline");
			finish(run, "error", 2);
		}
		if (now >= next_status) {
			status_write(run);
			next_status = now + STATUS_INTERVAL_MS;
		}
		if (run->sending && stop_sending) {
			if (shutdown(s, SHUT_WR))
				fail_errno(run, "shutdown");
			run->sending = false;
		}
		if (!run->sending && run->eof)
			return;

		if (!run->eof)
			p.events |= POLLIN;
		if (run->sending) {
			int credit_wait = credit_update(run, now);

			if (credit_wait)
				wait_ms = credit_wait;
			else
				p.events |= POLLOUT;
		}
		if (poll(&p, 1, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			fail_errno(run, "poll");
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP))
			recv_some(run, s);
		if (run->sending && (p.revents & POLLOUT))
			send_some(run, s);
	}
}

/**
 * usage() - print the usage line and exit
 * @name:	program name
 */
static void usage(const char *name)
{
	fprintf(stderr, "Usage: %s [-s SEED] [-r SEED] [-b RATE] [-f FILE] [-t SECONDS] connect|listen ADDR PORT\n",
		name);
	exit(1);
}

/**
 * main() - parse the options, connect, move and check bytes
 * @argc:	argument count
 * @argv:	options, mode, address, port
 *
 * Return: 0 when both directions ended cleanly (see the top of this file)
 */
int main(int argc, char **argv)
{
	struct pattern_run run = { .state = "running" };
	unsigned long timeout_s = TIMEOUT_S_DEFAULT;
	struct sigaction sa = { .sa_handler = on_usr1 };
	uint64_t deadline;
	int opt, s;

	while ((opt = getopt(argc, argv, "s:r:b:f:t:")) != -1) {
		switch (opt) {
		case 's':
			run.sending = true;
			run.send_seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			run.receiving = true;
			run.recv_seed = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			run.rate = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			run.status = optarg;
			break;
		case 't':
			timeout_s = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (argc - optind != 3 || (strcmp(argv[optind], "connect") &&
				   strcmp(argv[optind], "listen")))
		usage(argv[0]);

	sigaction(SIGUSR1, &sa, NULL);
	deadline = now_ms() + (uint64_t)timeout_s * 1000;
	status_write(&run);
	s = sock_open(&run, !strcmp(argv[optind], "listen"), argv[optind + 1],
		      argv[optind + 2], deadline);
	run.credit_ms = now_ms();
	run_loop(&run, s, deadline);
	close(s);
	finish(&run, "done", 0);
	return 0;
}
