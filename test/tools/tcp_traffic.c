// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_traffic.c - many TCP connections carrying a checked byte pattern both
 *		   ways, for the migration tests (test/ns/test_migrate.sh)
 *
 * Usage: tcp_traffic listen|connect ADDR PORT [OPTIONS]
 *
 * One side listens, the other connects --conns connections; the connecting
 * side opens each with a 4-byte index, then both send, on every connection,
 * a deterministic pattern that depends on the seed, the connection and the
 * direction, and check every byte they receive against it. Connections come
 * in classes, by index:
 *
 *   bulk	the first --bulk: stream all the time, both ways, at most
 *		--rate bytes/s each way (0: as fast as they go)
 *   fill	the next --fill: write until the socket takes no more, read
 *		nothing until released, so both kernel queues stay full
 *   halfclose	the next --halfclose: the connecting side sends --small
 *		bytes and shuts down writing at once; the other side goes on
 *   idle	the rest: --small bytes each way, and --small more once
 *		released
 *
 * With --pulse MS, idle connections keep going once all are ready: each sends
 * --small bytes more every MS ms, the connections' turns spread evenly over
 * the period; every connection's largest gap between two receptions is kept
 * and reported at the end (the pause a migration caused it, plus at most one
 * period), as p50, p99 and maximum over the connections; with SIGUSR1, the
 * gaps that ended before it are reported apart, first:
 *
 *   tcp_traffic: gaps before: every MS ms, largest per connection: p50 A ms, ...
 *   tcp_traffic: gaps: every MS ms, largest per connection: p50 A ms, p99 B ms, max C ms
 *
 * Signals: SIGHUP prints "tcp_traffic: progress: sent S, received R".
 * SIGUSR1 marks the start of the migration (the rate window before
 * ends), SIGUSR2 its end: fill connections read again, idle ones send their
 * second part, the rate window after starts. SIGTERM finishes: every side
 * stops writing, shuts down, reads to the end, checks, and reports:
 *
 *   tcp_traffic: ready: N connections
 *   tcp_traffic: done: N connections, sent S bytes, received R bytes, all as expected
 *   tcp_traffic: rate: before B bytes/s, after A1 then A2 bytes/s
 *
 * Any unexpected byte, reset or error prints "tcp_traffic: FAIL: ..." and
 * exits 1; every wait is bounded by --timeout seconds.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_PERIOD	65521U		/* prime: no segment size divides it */
#define IO_MAX		65536U
#define CONNECT_BATCH	256		/* connections being set up at once */
#define TICK_MS		10
#define SAMPLES_MAX	8192		/* one every 100 ms */
#define SAMPLE_MS	100
#define FINISH_S	60

enum conn_class { CLASS_BULK, CLASS_FILL, CLASS_HALFCLOSE, CLASS_IDLE };

/**
 * struct conn - one connection
 * @fd:		socket, -1 once closed
 * @idx:	index, as the connecting side numbered it; -1 until known
 * @cls:	enum conn_class
 * @hdr_len:	bytes of the index header received (listening side)
 * @hdr:	the index header being received
 * @tx:		pattern bytes sent
 * @rx:		pattern bytes received
 * @tx_goal:	bytes to send in all, for the classes that have one
 * @tx_base:	pattern offset of what we send
 * @rx_base:	pattern offset of what we receive
 * @wr_shut:	we shut down writing
 * @rd_eof:	the other side shut down writing
 * @connected:	connect() completed (connecting side)
 * @last_rx:	when bytes last arrived, with --pulse
 * @gap_before:	largest time between two arrivals from all ready to SIGUSR1
 * @max_gap:	largest time between two arrivals that ended after SIGUSR1
 *		(all of them, without SIGUSR1)
 */
struct conn {
	int fd;
	int idx;
	int cls;
	int hdr_len;
	uint8_t hdr[4];
	uint64_t tx;
	uint64_t rx;
	uint64_t tx_goal;
	uint32_t tx_base;
	uint32_t rx_base;
	bool wr_shut;
	bool rd_eof;
	bool connected;
	double last_rx;
	double gap_before;
	double max_gap;
};

/**
 * struct options - command line
 */
static struct options {
	bool listen;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int conns;
	int bulk;
	int fill;
	int halfclose;
	uint64_t small;
	uint64_t rate;
	uint32_t seed;
	int timeout;
	int pulse_ms;
} opt = { .conns = 1, .small = 1000, .seed = 1, .timeout = 300 };

static struct conn *conns;
static int epfd, listen_fd = -1;
static uint8_t pattern[PATTERN_PERIOD + IO_MAX];
static uint8_t buf[IO_MAX];
static volatile sig_atomic_t got_usr1, got_usr2, got_term, got_hup;
static bool released, finishing;
static double t_start, t_ready, t_mark1, t_mark2, t_term;
static uint64_t total_rx, total_tx;
static double sample_t[SAMPLES_MAX];
static uint64_t sample_rx[SAMPLES_MAX];
static int samples;

/**
 * fail() - report a failure and exit 1
 * @fmt:	message, printf-style
 */
__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "tcp_traffic: FAIL: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

/**
 * now_s() - monotonic time
 *
 * Return: seconds
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * on_signal() - note a signal for the main loop
 * @sig:	signal number
 */
static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGUSR2)
		got_usr2 = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/**
 * pattern_init() - the pattern table, from the seed
 */
static void pattern_init(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ opt.seed;
	size_t i;

	for (i = 0; i < PATTERN_PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (uint8_t)(x >> 24);
	}
	/* The tail repeats the start: any offset has IO_MAX bytes after it */
	for (; i < sizeof(pattern); i++)
		pattern[i] = pattern[i - PATTERN_PERIOD];
}

/**
 * pattern_base() - where the pattern of one direction of a connection starts
 * @idx:	connection index
 * @dir:	0 from the connecting side, 1 towards it
 *
 * Return: offset in the pattern table
 */
static uint32_t pattern_base(int idx, int dir)
{
	uint64_t h = ((uint64_t)idx * 2 + (uint64_t)dir + 1) *
		     0x9e3779b97f4a7c15ULL;

	return (uint32_t)((h >> 32) % PATTERN_PERIOD);
}

/**
 * pattern_at() - the pattern of a direction from a stream offset
 * @base:	pattern_base() of the direction
 * @off:	stream offset
 *
 * Return: pointer to at least IO_MAX bytes of pattern
 */
static const uint8_t *pattern_at(uint32_t base, uint64_t off)
{
	return pattern + (base + off) % PATTERN_PERIOD;
}

/**
 * class_of() - class of a connection by its index
 * @idx:	index
 *
 * Return: enum conn_class
 */
static int class_of(int idx)
{
	if (idx < opt.bulk)
		return CLASS_BULK;
	if (idx < opt.bulk + opt.fill)
		return CLASS_FILL;
	if (idx < opt.bulk + opt.fill + opt.halfclose)
		return CLASS_HALFCLOSE;
	return CLASS_IDLE;
}

/**
 * conn_known() - the index of a connection is known: set up its streams
 * @cn:		connection
 * @idx:	index
 */
static void conn_known(struct conn *cn, int idx)
{
	cn->idx = idx;
	cn->cls = class_of(idx);
	cn->tx_base = pattern_base(idx, opt.listen);
	cn->rx_base = pattern_base(idx, !opt.listen);
	switch (cn->cls) {
	case CLASS_BULK:
	case CLASS_FILL:
		cn->tx_goal = UINT64_MAX;
		break;
	case CLASS_HALFCLOSE:
	case CLASS_IDLE:
		cn->tx_goal = opt.small;
		break;
	}
}

/**
 * tx_allowed() - bytes a connection may write now
 * @cn:		connection
 * @now:	current time
 *
 * Return: bytes
 */
static uint64_t tx_allowed(const struct conn *cn, double now)
{
	uint64_t n;

	if (cn->wr_shut || cn->idx < 0 || finishing)
		return 0;
	if (cn->cls == CLASS_FILL && released)
		return 0;
	n = cn->tx_goal - cn->tx;
	if (cn->cls == CLASS_BULK && opt.rate) {
		double budget = (now - t_start) * (double)opt.rate;

		n = budget > (double)cn->tx ? (uint64_t)budget - cn->tx : 0;
	}
	return n < IO_MAX ? n : IO_MAX;
}

/**
 * conn_shut() - shut down writing, once
 * @cn:		connection
 */
static void conn_shut(struct conn *cn)
{
	if (cn->wr_shut)
		return;
	if (shutdown(cn->fd, SHUT_WR))
		fail("connection %d: shutdown: %s", cn->idx, strerror(errno));
	cn->wr_shut = true;
}

/**
 * conn_write() - write what a connection may, until the socket is full
 * @cn:		connection
 * @now:	current time
 */
static void conn_write(struct conn *cn, double now)
{
	uint64_t n;

	if (!opt.listen && cn->connected && cn->hdr_len < 4) {
		uint32_t idx = htonl((uint32_t)cn->idx);
		ssize_t w = send(cn->fd, (uint8_t *)&idx + cn->hdr_len,
				 (size_t)(4 - cn->hdr_len), MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0)
			fail("connection %d: send: %s", cn->idx,
			     strerror(errno));
		cn->hdr_len += (int)w;
		if (cn->hdr_len < 4)
			return;
	}
	while ((n = tx_allowed(cn, now))) {
		ssize_t w = send(cn->fd, pattern_at(cn->tx_base, cn->tx), n,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w < 0)
			fail("connection %d: send after %llu bytes: %s",
			     cn->idx, (unsigned long long)cn->tx,
			     strerror(errno));
		cn->tx += (uint64_t)w;
		total_tx += (uint64_t)w;
	}
	if (cn->cls == CLASS_HALFCLOSE && !opt.listen && cn->tx == cn->tx_goal)
		conn_shut(cn);
}

/**
 * conn_check() - check received bytes against the pattern
 * @cn:		connection
 * @p:		bytes
 * @n:		their number
 */
static void conn_check(struct conn *cn, const uint8_t *p, size_t n)
{
	const uint8_t *want = pattern_at(cn->rx_base, cn->rx);
	size_t i;

	if (!memcmp(p, want, n))
		return;
	for (i = 0; i < n && p[i] == want[i]; i++)
		;
	fail("connection %d: byte %llu is 0x%02x, expected 0x%02x",
	     cn->idx, (unsigned long long)(cn->rx + i), p[i], want[i]);
}

/**
 * conn_header() - read the index header of an accepted connection, and
 *		   move the connection to its place in the table once known
 * @cn:		connection, parked after the table
 *
 * Return: its index once known, else -1
 */
static int conn_header(struct conn *cn)
{
	ssize_t r;
	uint32_t idx;

	while (cn->hdr_len < 4) {
		r = recv(cn->fd, cn->hdr + cn->hdr_len,
			 (size_t)(4 - cn->hdr_len), MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			return -1;
		if (r <= 0)
			fail("accepted connection: header: %s",
			     r ? strerror(errno) : "end of stream");
		cn->hdr_len += (int)r;
	}
	memcpy(&idx, cn->hdr, 4);
	idx = ntohl(idx);
	if (idx >= (uint32_t)opt.conns || conns[idx].fd >= 0)
		fail("accepted connection: bad or repeated index %u", idx);
	conns[idx] = *cn;
	conn_known(&conns[idx], (int)idx);
	cn->fd = -1;
	return (int)idx;
}

/**
 * gap_note() - bytes arrived: the time since the last arrival may be the
 *		connection's largest gap
 * @cn:		connection
 */
static void gap_note(struct conn *cn)
{
	double now = now_s(), *max = t_mark1 > 0 ? &cn->max_gap :
						       &cn->gap_before;

	if (t_ready && cn->last_rx > 0 && now - cn->last_rx > *max)
		*max = now - cn->last_rx;
	cn->last_rx = now;
}

/**
 * conn_read() - read and check what a connection has, unless held
 * @cn:		connection
 */
static void conn_read(struct conn *cn)
{
	if (cn->cls == CLASS_FILL && !released && !finishing)
		return;
	while (!cn->rd_eof) {
		ssize_t r = recv(cn->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0)
			fail("connection %d: recv after %llu bytes: %s",
			     cn->idx, (unsigned long long)cn->rx,
			     strerror(errno));
		if (!r) {
			cn->rd_eof = true;
			return;
		}
		if (opt.pulse_ms)
			gap_note(cn);
		conn_check(cn, buf, (size_t)r);
		cn->rx += (uint64_t)r;
		total_rx += (uint64_t)r;
	}
}

/**
 * sock_new() - a non-blocking socket of the address's family, watched
 * @slot:	epoll data: index in conns, or -1 for the listener
 *
 * Return: socket
 */
static int sock_new(int slot)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u32 = (uint32_t)slot,
	};
	int s = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (s < 0)
		fail("socket: %s", strerror(errno));
	if (slot < 0)
		ev.events = EPOLLIN;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev))
		fail("epoll_ctl: %s", strerror(errno));
	return s;
}

/**
 * connect_more() - start connections, a batch in flight at most
 * @started:	connections started so far, updated
 * @pending:	connections started and not yet connected, updated
 */
static void connect_more(int *started, int *pending)
{
	while (*started < opt.conns && *pending < CONNECT_BATCH) {
		struct conn *cn = &conns[*started];

		cn->fd = sock_new(*started);
		conn_known(cn, *started);
		if (connect(cn->fd, (struct sockaddr *)&opt.addr,
			    opt.addr_len) && errno != EINPROGRESS)
			fail("connection %d: connect: %s", *started,
			     strerror(errno));
		(*started)++;
		(*pending)++;
	}
}

/**
 * accept_all() - accept what the listener has
 * @accepted:	connections accepted so far, updated
 */
static void accept_all(int *accepted)
{
	for (;;) {
		int s = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
		struct conn *cn;
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		};

		if (s < 0 && errno == EAGAIN)
			return;
		if (s < 0)
			fail("accept: %s", strerror(errno));
		if (*accepted >= opt.conns)
			fail("more connections than expected");
		/* Parked after the table until its index arrives */
		cn = &conns[opt.conns + *accepted];
		memset(cn, 0, sizeof(*cn));
		cn->fd = s;
		cn->idx = -1;
		ev.data.u32 = (uint32_t)(opt.conns + *accepted);
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev))
			fail("epoll_ctl: %s", strerror(errno));
		(*accepted)++;
	}
}

/**
 * conn_event() - events on a connection
 * @slot:	index in conns
 * @events:	epoll events
 * @now:	current time
 * @pending:	connecting side: connections not connected yet, updated
 */
static void conn_event(uint32_t slot, uint32_t events, double now,
		       int *pending)
{
	struct conn *cn = &conns[slot];

	if (cn->fd < 0)
		return;
	if (slot >= (uint32_t)opt.conns) {
		/* Accepted, index not known yet */
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		};
		int idx = conn_header(cn);

		if (idx < 0)
			return;
		cn = &conns[idx];
		ev.data.u32 = (uint32_t)idx;
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, cn->fd, &ev))
			fail("epoll_ctl: %s", strerror(errno));
		events = EPOLLIN | EPOLLOUT;
	}
	if (!opt.listen && !cn->connected) {
		int e = 0;
		socklen_t sl = sizeof(e);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
		if (e)
			fail("connection %d: connect: %s", cn->idx,
			     strerror(e));
		cn->connected = true;
		(*pending)--;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(cn);
	if (events & (EPOLLOUT | EPOLLERR))
		conn_write(cn, now);
}

/**
 * all_ready() - every connection is up, and the first bytes arrived
 *
 * Return: true if so
 */
static bool all_ready(void)
{
	int i;

	for (i = 0; i < opt.conns; i++) {
		const struct conn *cn = &conns[i];

		if (cn->fd < 0 || cn->idx < 0)
			return false;
		if (!opt.listen && (!cn->connected || cn->hdr_len < 4))
			return false;
		if ((cn->cls == CLASS_IDLE ||
		     (cn->cls == CLASS_HALFCLOSE && !opt.listen)) &&
		    (cn->rx < opt.small || cn->tx < opt.small))
			return false;
		if (cn->cls == CLASS_HALFCLOSE && opt.listen && !cn->rd_eof)
			return false;
	}
	return true;
}

/**
 * release() - the migration is over: fill connections read, idle ones send
 *	       their second part
 * @now:	current time
 */
static void release(double now)
{
	int i;

	released = true;
	for (i = 0; i < opt.conns; i++) {
		struct conn *cn = &conns[i];

		if (cn->cls == CLASS_IDLE ||
		    (cn->cls == CLASS_HALFCLOSE && opt.listen))
			cn->tx_goal += opt.small;
		conn_read(cn);
		conn_write(cn, now);
	}
}

/**
 * finish() - stop writing, shut every connection down
 */
static void finish(void)
{
	int i;

	finishing = true;
	for (i = 0; i < opt.conns; i++) {
		if (conns[i].fd < 0)
			fail("connection %d not set up at the end", i);
		conn_shut(&conns[i]);
		conn_read(&conns[i]);
	}
}

/**
 * all_ended() - the other side ended every connection
 *
 * Return: true if so
 */
static bool all_ended(void)
{
	int i;

	for (i = 0; i < opt.conns; i++)
		if (!conns[i].rd_eof)
			return false;
	return true;
}

/**
 * rx_at() - bytes received at a time, from the samples
 * @t:		time
 *
 * Return: bytes received by the last sample at or before @t
 */
static uint64_t rx_at(double t)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < samples && sample_t[i] <= t; i++)
		v = sample_rx[i];
	return v;
}

/**
 * rate() - receive rate between two times
 * @a:		start
 * @b:		end
 *
 * Return: bytes per second
 */
static uint64_t rate(double a, double b)
{
	if (b <= a)
		return 0;
	return (uint64_t)((double)(rx_at(b) - rx_at(a)) / (b - a));
}

/**
 * gap_cmp() - qsort() comparison of two gaps
 * @a:		first
 * @b:		second
 *
 * Return: negative, zero or positive as @a is smaller, equal or larger
 */
static int gap_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/**
 * gaps_print() - p50, p99 and max of one kind of gap, over the idle
 *		  connections
 * @what:	label
 * @before:	the gaps before SIGUSR1, else those after
 */
static void gaps_print(const char *what, bool before)
{
	double *g = calloc((size_t)opt.conns, sizeof(*g));
	int i, n = 0;

	if (!g)
		fail("no memory for %d gaps", opt.conns);
	for (i = 0; i < opt.conns; i++)
		if (conns[i].cls == CLASS_IDLE)
			g[n++] = (before ? conns[i].gap_before :
					   conns[i].max_gap) * 1000;
	if (n) {
		qsort(g, (size_t)n, sizeof(*g), gap_cmp);
		printf("tcp_traffic: gaps%s: every %d ms, largest per connection: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		       what, opt.pulse_ms, g[(n - 1) / 2], g[(n - 1) * 99 / 100],
		       g[n - 1]);
	}
	free(g);
}

/**
 * gaps_report() - the idle connections' largest gaps: before SIGUSR1, if
 *		   it came, and after
 */
static void gaps_report(void)
{
	if (t_mark1 > 0)
		gaps_print(" before", true);
	gaps_print("", false);
}

/**
 * report() - totals, and the rates before and after the migration
 */
static void report(void)
{
	double mid = (t_mark2 + t_term) / 2;

	printf("tcp_traffic: done: %d connections, sent %llu bytes, received %llu bytes, all as expected\n",
	       opt.conns, (unsigned long long)total_tx,
	       (unsigned long long)total_rx);
	if (t_mark1 > 0 && t_mark2 > 0)
		printf("tcp_traffic: rate: before %llu bytes/s over %.1f s, after %llu then %llu bytes/s over %.1f s\n",
		       (unsigned long long)rate(t_ready, t_mark1),
		       t_mark1 - t_ready,
		       (unsigned long long)rate(t_mark2, mid),
		       (unsigned long long)rate(mid, t_term),
		       t_term - t_mark2);
	if (opt.pulse_ms)
		gaps_report();
	fflush(stdout);
}

/**
 * signals_take() - act on the signals received
 * @now:	current time
 */
static void signals_take(double now)
{
	if (got_hup) {
		got_hup = 0;
		printf("tcp_traffic: progress: sent %llu, received %llu\n",
		       (unsigned long long)total_tx,
		       (unsigned long long)total_rx);
		fflush(stdout);
	}
	if (got_usr1) {
		got_usr1 = 0;
		t_mark1 = now;
	}
	if (got_usr2) {
		got_usr2 = 0;
		t_mark2 = now;
		release(now);
	}
	if (got_term && !finishing) {
		t_term = now;
		finish();
	}
}

/**
 * pulses_send() - with --pulse, the idle connections whose turn came send
 *		   --small bytes more; a loop that fell behind by more than a
 *		   period skips to the last one
 * @now:	current time
 */
static void pulses_send(double now)
{
	static uint64_t done;
	uint64_t due;

	if (!opt.pulse_ms || !t_ready || finishing)
		return;
	due = (uint64_t)((now - t_ready) * 1000 * opt.conns / opt.pulse_ms);
	if (due - done > (uint64_t)opt.conns)
		done = due - (uint64_t)opt.conns;
	for (; done < due; done++) {
		struct conn *cn = &conns[done % (uint64_t)opt.conns];

		if (cn->cls != CLASS_IDLE || cn->fd < 0)
			continue;
		cn->tx_goal += opt.small;
		conn_write(cn, now);
	}
}

/**
 * tick() - periodic work: rate-limited writers, pulses, samples, deadlines
 * @now:	current time
 */
static void tick(double now)
{
	static double last_sample;
	int i;

	pulses_send(now);
	for (i = 0; i < opt.bulk && i < opt.conns; i++)
		if (conns[i].fd >= 0 && conns[i].idx >= 0 &&
		    (opt.listen || conns[i].connected))
			conn_write(&conns[i], now);
	if (now - last_sample >= SAMPLE_MS / 1000.0 && samples < SAMPLES_MAX) {
		sample_t[samples] = now;
		sample_rx[samples++] = total_rx;
		last_sample = now;
	}
	if (now - t_start > opt.timeout)
		fail("not finished after %d s", opt.timeout);
	if (finishing && now - t_term > FINISH_S) {
		for (i = 0; i < opt.conns; i++)
			if (!conns[i].rd_eof)
				printf("tcp_traffic: connection %d (class %d) not ended: sent %llu, received %llu\n",
				       i, conns[i].cls,
				       (unsigned long long)conns[i].tx,
				       (unsigned long long)conns[i].rx);
		fail("connections not ended %d s after SIGTERM", FINISH_S);
	}
}

/**
 * run() - the event loop, until every connection has ended
 */
static void run(void)
{
	int started = 0, pending = 0, accepted = 0;
	struct epoll_event ev[256];

	for (;;) {
		double now = now_s();
		int n, i;

		if (!opt.listen)
			connect_more(&started, &pending);
		n = epoll_wait(epfd, ev, 256, TICK_MS);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		now = now_s();
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX)
				accept_all(&accepted);
			else
				conn_event(ev[i].data.u32, ev[i].events, now,
					   &pending);
		}
		tick(now);
		if (!t_ready && all_ready()) {
			t_ready = now;
			printf("tcp_traffic: ready: %d connections\n",
			       opt.conns);
			fflush(stdout);
		}
		signals_take(now);
		if (finishing && all_ended())
			return;
	}
}

/**
 * addr_parse() - the address and port to listen on or connect to
 * @a:		IPv4 or IPv6 address
 * @p:		port
 */
static void addr_parse(const char *a, const char *p)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&opt.addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&opt.addr;
	uint16_t port = (uint16_t)atoi(p);

	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		opt.addr_len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		opt.addr_len = sizeof(*s6);
	} else {
		fail("bad address %s", a);
	}
}

/**
 * usage() - print how to call, exit 1
 */
__attribute__((noreturn))
static void usage(void)
{
	fprintf(stderr,
		"Usage: tcp_traffic listen|connect ADDR PORT [OPTIONS]\n"
		"  --conns N      connections (default 1)\n"
		"  --bulk N       first N stream all the time\n"
		"  --fill N       next N fill both queues until SIGUSR2\n"
		"  --halfclose N  next N: connecting side shuts down at once\n"
		"  --small BYTES  bytes of the other classes (default 1000)\n"
		"  --rate BPS     bulk bytes/s each way (default 0: no limit)\n"
		"  --seed S       pattern seed (default 1)\n"
		"  --timeout S    bound of the whole run (default 300)\n"
		"  --pulse MS     idle ones send --small more every MS ms\n");
	exit(1);
}

/**
 * options_parse() - read the command line
 * @argc:	argument count
 * @argv:	arguments
 */
static void options_parse(int argc, char **argv)
{
	int i;

	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "listen"))
		opt.listen = true;
	else if (strcmp(argv[1], "connect"))
		usage();
	addr_parse(argv[2], argv[3]);
	for (i = 4; i + 1 < argc; i += 2) {
		unsigned long long v = strtoull(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--conns"))
			opt.conns = (int)v;
		else if (!strcmp(argv[i], "--bulk"))
			opt.bulk = (int)v;
		else if (!strcmp(argv[i], "--fill"))
			opt.fill = (int)v;
		else if (!strcmp(argv[i], "--halfclose"))
			opt.halfclose = (int)v;
		else if (!strcmp(argv[i], "--small"))
			opt.small = v;
		else if (!strcmp(argv[i], "--rate"))
			opt.rate = v;
		else if (!strcmp(argv[i], "--seed"))
			opt.seed = (uint32_t)v;
		else if (!strcmp(argv[i], "--timeout"))
			opt.timeout = (int)v;
		else if (!strcmp(argv[i], "--pulse"))
			opt.pulse_ms = (int)v;
		else
			usage();
	}
	if (i != argc || opt.conns < 1 || opt.conns > 1000000 ||
	    opt.bulk + opt.fill + opt.halfclose > opt.conns ||
	    opt.pulse_ms < 0)
		usage();
}

/**
 * setup() - limits, signals, the table, the listener
 */
static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	int i, one = 1;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)opt.conns + 64)
			fail("%d connections need more files than the limit %llu",
			     opt.conns, (unsigned long long)rl.rlim_cur);
	}
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* Accepted connections wait after the table for their index */
	conns = calloc(2 * (size_t)opt.conns, sizeof(*conns));
	if (!conns)
		fail("no memory for %d connections", opt.conns);
	for (i = 0; i < 2 * opt.conns; i++) {
		conns[i].fd = -1;
		conns[i].idx = -1;
	}
	pattern_init();
	epfd = epoll_create1(0);
	if (epfd < 0)
		fail("epoll_create1: %s", strerror(errno));
	t_start = now_s();
	if (!opt.listen)
		return;
	listen_fd = sock_new(-1);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&opt.addr, opt.addr_len) ||
	    listen(listen_fd, 4096))
		fail("bind or listen: %s", strerror(errno));
	printf("tcp_traffic: listening\n");
	fflush(stdout);
}

/**
 * main() - see the top of the file
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 if every byte arrived as expected
 */
int main(int argc, char **argv)
{
	options_parse(argc, argv);
	setup();
	run();
	report();
	return 0;
}
