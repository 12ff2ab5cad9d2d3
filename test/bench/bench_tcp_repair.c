// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_tcp_repair.c - per-connection cost of migrating TCP connections
 *
 * For 1, 1,000 and 10,000 idle loopback connections, and 100 with data
 * queued both ways, this process holds one end of each connection (the one
 * migrated) and a forked peer holds the other (the open-file limit is per
 * process). Each phase of a migration is timed over all connections:
 * freeze (TCP_REPAIR on), dump and serialise, write the records and queues
 * into a pipe, read them back, close the originals silently, restore, thaw
 * (TCP_REPAIR off), send what was never sent. Beside them, in the same
 * run: the raw TCP_REPAIR setsockopt() cost, and the same switch batched
 * through io_uring (IORING_OP_URING_CMD, SOCKET_URING_OP_SETSOCKOPT, Linux
 * 6.7 and later) when the kernel has it. Prints figures; never fails on
 * them. Needs CAP_NET_ADMIN.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inany.h"
#include "tcp_migrate.h"
#include "tcp_repair.h"
#include "util.h"

/* Connections made per round of the handshake with the peer */
#define CONNECT_BATCH	1000

/* Bytes queued each way per connection in the "full queues" case */
#define QUEUE_BYTES	(256 << 10)

/* Size of the io_uring submission queue */
#define URING_DEPTH	4096

/* kernel UAPI, Linux 6.7: not in every liburing's headers */
#ifndef SOCKET_URING_OP_SETSOCKOPT
#define SOCKET_URING_OP_SETSOCKOPT	3
#endif

/**
 * struct bench_case - one line of the benchmark
 * @name:	what it measures
 * @conns:	number of connections
 * @queued:	bytes each side writes, unread, per connection
 */
struct bench_case {
	const char *name;
	unsigned int conns;
	size_t queued;
};

/**
 * struct peer - the forked process holding the other ends
 * @pid:	its process id
 * @ctl:	control socket: one byte per round each way
 */
struct peer {
	pid_t pid;
	int ctl;
};

static struct io_uring ring;
static bool uring_ok;

/**
 * now_us() - monotonic time in microseconds
 *
 * Return: microseconds since an arbitrary, fixed point
 */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/**
 * report() - print one phase: total and per connection
 * @what:	phase
 * @us:		total microseconds
 * @n:		connections
 */
static void report(const char *what, double us, unsigned int n)
{
	printf("  %-44s %10.2f ms %9.3f us/conn\n", what, us / 1000, us / n);
}

/**
 * repair_plain() - switch TCP_REPAIR with one setsockopt() per socket
 * @fds:	sockets
 * @n:		their number
 * @v:		TCP_REPAIR_ON, TCP_REPAIR_OFF, TCP_REPAIR_OFF_NO_WP
 *
 * Return: 0, or -errno of the first failure
 */
static int repair_plain(const int *fds, unsigned int n, int v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (setsockopt(fds[i], IPPROTO_TCP, TCP_REPAIR, &v, sizeof(v)))
			return -errno;
	return 0;
}

/**
 * uring_setsockopt_prep() - an SQE for setsockopt() (URING_CMD)
 * @sqe:	entry
 * @fd:		socket
 * @level:	option level
 * @name:	option name
 * @val:	value, must live until completion
 * @len:	its size
 */
static void uring_setsockopt_prep(struct io_uring_sqe *sqe, int fd, int level,
				  int name, const void *val, uint32_t len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = SOCKET_URING_OP_SETSOCKOPT;
	/* level, optname, optlen and optval overlay these, in the UAPI */
	sqe->addr = (uint32_t)level | (uint64_t)(uint32_t)name << 32;
	sqe->splice_fd_in = (int32_t)len;
	sqe->addr3 = (uint64_t)(uintptr_t)val;
}

/**
 * repair_uring() - switch TCP_REPAIR on many sockets in few system calls
 * @fds:	sockets
 * @n:		their number
 * @v:		TCP_REPAIR_ON, TCP_REPAIR_OFF, TCP_REPAIR_OFF_NO_WP
 *
 * Return: 0, or the first error a completion reports
 */
static int repair_uring(const int *fds, unsigned int n, int v)
{
	static int val;
	unsigned int i = 0, done = 0;
	int rc = 0;

	val = v;
	while (done < n) {
		struct io_uring_cqe *cqe;
		unsigned int queued = 0;

		while (i < n && queued < URING_DEPTH) {
			uring_setsockopt_prep(io_uring_get_sqe(&ring), fds[i++],
					      IPPROTO_TCP, TCP_REPAIR, &val,
					      sizeof(val));
			queued++;
		}
		if (io_uring_submit_and_wait(&ring, queued) < 0)
			return -EIO;
		while (queued && !io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->res < 0 && !rc)
				rc = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			queued--;
			done++;
		}
		if (queued)
			return -EIO;
	}
	return rc;
}

/**
 * uring_probe() - set up the ring, and find out if it switches TCP_REPAIR
 *
 * Return: true if it does
 */
static bool uring_probe(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0 || io_uring_queue_init(URING_DEPTH, &ring, 0)) {
		if (s >= 0)
			close(s);
		return false;
	}
	ok = !repair_uring(&s, 1, TCP_REPAIR_ON);
	close(s);
	if (!ok)
		io_uring_queue_exit(&ring);
	return ok;
}

/**
 * repair_switch() - switch TCP_REPAIR the fastest way this kernel allows
 * @fds:	sockets
 * @n:		their number
 * @v:		TCP_REPAIR_ON, TCP_REPAIR_OFF, TCP_REPAIR_OFF_NO_WP
 *
 * Return: 0, or -errno
 */
static int repair_switch(const int *fds, unsigned int n, int v)
{
	return uring_ok ? repair_uring(fds, n, v) : repair_plain(fds, n, v);
}

/**
 * peer_run() - the peer process: connect, fill queues, wait to be killed
 * @sa:		listening address
 * @sl:		its length
 * @c:		case
 * @ctl:	control socket
 */
static void peer_run(const union sockaddr_inany *sa, socklen_t sl,
		     const struct bench_case *c, int ctl)
{
	static uint8_t buf[QUEUE_BYTES];
	unsigned int i;
	char b = 0;

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < c->conns; i++) {
		int s = socket(sa->sa.sa_family, SOCK_STREAM, 0);

		if (s < 0 || connect(s, &sa->sa, sl))
			_exit(1);
		if (c->queued && send(s, buf, c->queued, MSG_DONTWAIT) < 0)
			_exit(1);
		if ((i + 1) % CONNECT_BATCH == 0 || i + 1 == c->conns)
			if (write(ctl, &b, 1) != 1)
				_exit(1);
	}
	/* Hold the ends open until killed */
	while (read(ctl, &b, 1) > 0)
		;
	_exit(0);
}

/**
 * conns_open() - make the connections, the peer's ends in a child
 * @c:		case
 * @fds:	set to the accepted ends, @c->conns of them
 * @p:		set to the peer process
 *
 * Return: 0, or -1 on failure
 */
static int conns_open(const struct bench_case *c, int *fds, struct peer *p)
{
	union sockaddr_inany sa;
	union inany_addr lo;
	unsigned int i = 0;
	int l, sv[2];
	socklen_t sl;
	char b;

	inany_loopback(&lo, AF_INET);
	sl = inany_to_sockaddr(&sa, &lo, 0);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, &sa.sa, sl) || listen(l, CONNECT_BATCH + 16) ||
	    getsockname(l, &sa.sa, &sl) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	p->pid = fork();
	if (!p->pid) {
		close(sv[0]);
		peer_run(&sa, sl, c, sv[1]);
	}
	close(sv[1]);
	p->ctl = sv[0];
	while (i < c->conns && read(p->ctl, &b, 1) == 1) {
		unsigned int end = MIN(i + CONNECT_BATCH, c->conns);

		for (; i < end; i++)
			if ((fds[i] = accept4(l, NULL, NULL, SOCK_NONBLOCK |
						SOCK_CLOEXEC)) < 0)
				break;
	}
	close(l);
	return i == c->conns ? 0 : -1;
}

/**
 * conns_fill() - write unread data from our side too
 * @fds:	our ends
 * @n:		their number
 * @bytes:	bytes to write to each, as far as they take
 */
static void conns_fill(const int *fds, unsigned int n, size_t bytes)
{
	static uint8_t buf[QUEUE_BYTES];
	unsigned int i;

	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < n; i++)
		if (send(fds[i], buf, MIN(bytes, sizeof(buf)),
			 MSG_DONTWAIT) < 0)
			perror("send");
}

/**
 * peer_stop() - kill the peer process by its id and reap it
 * @p:		peer
 */
static void peer_stop(struct peer *p)
{
	close(p->ctl);
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
}

/**
 * struct image - the migrated connections, as a stream would carry them
 * @rec:	serialised records, TCP_MIGRATE_REPAIR_LEN each
 * @st:		states read back from the records
 * @data:	queue bytes of all connections, back to back
 * @data_len:	bytes in @data
 * @data_size:	size of @data
 */
struct image {
	uint8_t *rec;
	struct tcp_repair_state *st;
	uint8_t *data;
	size_t data_len;
	size_t data_size;
};

/**
 * dump_all() - dump every frozen socket into records and queue bytes
 * @fds:	frozen sockets
 * @n:		their number
 * @im:		image to fill
 *
 * Return: 0, or -1 on failure
 */
static int dump_all(const int *fds, unsigned int n, struct image *im)
{
	unsigned int i;

	im->data_len = 0;
	for (i = 0; i < n; i++) {
		struct tcp_repair_state st;
		ssize_t r, s;

		if (tcp_repair_freeze_dump(fds[i], &st))
			return -1;
		if (im->data_len + st.rcvq + st.sndq > im->data_size)
			return -1;
		r = tcp_repair_peek(fds[i], TCP_REPAIR_RECV_QUEUE,
				    im->data + im->data_len, st.rcvq);
		s = tcp_repair_peek(fds[i], TCP_REPAIR_SEND_QUEUE,
				    im->data + im->data_len + st.rcvq, st.sndq);
		if (r != (ssize_t)st.rcvq || s != (ssize_t)st.sndq)
			return -1;
		im->data_len += st.rcvq + st.sndq;
		tcp_migrate_state_put(im->rec + (size_t)i *
				      TCP_MIGRATE_REPAIR_LEN, &st);
	}
	return 0;
}

/**
 * pipe_through() - write a buffer into a pipe and read it back, in chunks
 * @p:		pipe
 * @buf:	bytes, read back in place
 * @len:	their number
 * @w_us:	add the time spent writing
 * @r_us:	add the time spent reading
 *
 * Return: 0, or -1 on failure
 */
static int pipe_through(const int p[2], uint8_t *buf, size_t len,
			double *w_us, double *r_us)
{
	size_t off = 0;

	while (off < len) {
		size_t chunk = MIN(len - off, 65536);
		double t = now_us();

		if (write(p[1], buf + off, chunk) != (ssize_t)chunk)
			return -1;
		*w_us += now_us() - t;
		t = now_us();
		if (read_all(p[0], buf + off, chunk))
			return -1;
		*r_us += now_us() - t;
		off += chunk;
	}
	return 0;
}

/**
 * restore_all() - recreate every connection from the image, up to thawing
 * @im:		image
 * @fds:	set to the new sockets
 * @n:		number of connections
 * @check_us:	set to the time spent reading and checking the records
 * @conn_us:	set to the time spent up to connect(), and sizing buffers
 * @fill_us:	set to the time spent writing queues, options, windows
 *
 * Return: 0, or -1 on failure
 */
static int restore_all(struct image *im, int *fds, unsigned int n,
		       double *check_us, double *conn_us, double *fill_us)
{
	char why[128];
	size_t off = 0;
	unsigned int i;
	double t;

	t = now_us();
	for (i = 0; i < n; i++)
		if (tcp_migrate_state_get(&im->st[i], im->rec + (size_t)i *
					  TCP_MIGRATE_REPAIR_LEN,
					  TCP_MIGRATE_REPAIR_LEN, why,
					  sizeof(why)))
			return -1;
	*check_us = now_us() - t;

	t = now_us();
	for (i = 0; i < n; i++)
		if ((fds[i] = tcp_repair_socket(&im->st[i])) < 0)
			return -1;
	if (repair_switch(fds, n, TCP_REPAIR_ON))
		return -1;
	for (i = 0; i < n; i++)
		if (tcp_repair_connect(fds[i], &im->st[i]) ||
		    tcp_repair_sndbuf_fit(fds[i], im->st[i].sndq))
			return -1;
	*conn_us = now_us() - t;

	t = now_us();
	for (i = 0; i < n; i++) {
		const struct tcp_repair_state *st = &im->st[i];
		size_t sent = st->sndq - st->notsent;

		if (tcp_repair_write(fds[i], TCP_REPAIR_RECV_QUEUE,
				     im->data + off, st->rcvq) !=
		    (ssize_t)st->rcvq ||
		    tcp_repair_write(fds[i], TCP_REPAIR_SEND_QUEUE,
				     im->data + off + st->rcvq, sent) !=
		    (ssize_t)sent ||
		    tcp_repair_settle(fds[i], st))
			return -1;
		off += st->rcvq + st->sndq;
	}
	*fill_us = now_us() - t;
	return 0;
}

/**
 * resume_all() - send the bytes never sent, after thawing
 * @im:		image
 * @fds:	restored sockets
 * @n:		number of connections
 *
 * Return: bytes the sockets did not take at once
 */
static size_t resume_all(const struct image *im, const int *fds,
			 unsigned int n)
{
	size_t off = 0, left = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct tcp_repair_state *st = &im->st[i];
		const uint8_t *tail = im->data + off + st->rcvq + st->sndq -
				      st->notsent;
		ssize_t k = tcp_repair_resume(fds[i], tail, st->notsent);

		left += st->notsent - (k > 0 ? (size_t)k : 0);
		off += st->rcvq + st->sndq;
	}
	return left;
}

/**
 * established() - count restored sockets in state ESTABLISHED
 * @fds:	sockets
 * @n:		their number
 *
 * Return: how many are
 */
static unsigned int established(const int *fds, unsigned int n)
{
	unsigned int i, count = 0;

	for (i = 0; i < n; i++) {
		struct tcp_info ti;
		socklen_t sl = sizeof(ti);

		if (!getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &sl) &&
		    ti.tcpi_state == TCP_ESTABLISHED)
			count++;
	}
	return count;
}

/**
 * raw_costs() - time TCP_REPAIR on and off, plain and through io_uring
 * @fds:	sockets, left with repair mode off
 * @n:		their number
 */
static void raw_costs(const int *fds, unsigned int n)
{
	double t = now_us();

	repair_plain(fds, n, TCP_REPAIR_ON);
	repair_plain(fds, n, TCP_REPAIR_OFF_NO_WP);
	report("raw TCP_REPAIR setsockopt(), on + off", now_us() - t, n);
	if (!uring_ok)
		return;
	t = now_us();
	repair_uring(fds, n, TCP_REPAIR_ON);
	repair_uring(fds, n, TCP_REPAIR_OFF_NO_WP);
	report("TCP_REPAIR through io_uring, on + off", now_us() - t, n);
}

/**
 * migrate_timed() - migrate every connection once, timing each phase
 * @fds:	our ends: replaced by the restored sockets
 * @n:		number of connections
 * @im:		image buffers
 *
 * Return: 0, or -1 on failure
 */
static int migrate_timed(int *fds, unsigned int n, struct image *im)
{
	double t, w_us = 0, r_us = 0, check_us, conn_us, fill_us;
	size_t rec_len = (size_t)n * TCP_MIGRATE_REPAIR_LEN, left;
	unsigned int i;
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	t = now_us();
	if (repair_switch(fds, n, TCP_REPAIR_ON))
		return -1;
	report("source: freeze (TCP_REPAIR on)", now_us() - t, n);
	t = now_us();
	if (dump_all(fds, n, im))
		return -1;
	report("source: dump and serialise", now_us() - t, n);
	if (pipe_through(p, im->rec, rec_len, &w_us, &r_us) ||
	    pipe_through(p, im->data, im->data_len, &w_us, &r_us))
		return -1;
	close(p[0]);
	close(p[1]);
	report("source: write stream", w_us, n);
	report("target: read stream", r_us, n);
	t = now_us();
	for (i = 0; i < n; i++)
		close(fds[i]);
	report("source: close frozen sockets (no linger)", now_us() - t, n);

	if (restore_all(im, fds, n, &check_us, &conn_us, &fill_us))
		return -1;
	report("target: parse and check records", check_us, n);
	report("target: socket, repair on, connect, sndbuf", conn_us, n);
	report("target: queues, options, windows", fill_us, n);
	t = now_us();
	if (repair_switch(fds, n, TCP_REPAIR_OFF))
		return -1;
	report("target: thaw (TCP_REPAIR off)", now_us() - t, n);
	t = now_us();
	left = resume_all(im, fds, n);
	report("target: send bytes never sent", now_us() - t, n);
	printf("  stream: %zu bytes of records, %zu of queues; %u of %u restored connections established%s\n",
	       rec_len, im->data_len, established(fds, n), n,
	       left ? ", some unsent bytes not taken at once" : "");
	return 0;
}

/**
 * run_case() - one line of the benchmark
 * @c:		case
 * @im:		image buffers, big enough for the largest case
 * @fds:	room for @c->conns sockets
 */
static void run_case(const struct bench_case *c, struct image *im, int *fds)
{
	struct peer p;

	printf("%s\n", c->name);
	fflush(stdout);
	if (conns_open(c, fds, &p)) {
		printf("  could not open %u connections\n", c->conns);
		return;
	}
	if (c->queued)
		conns_fill(fds, c->conns, c->queued);
	raw_costs(fds, c->conns);
	if (migrate_timed(fds, c->conns, im))
		printf("  migration failed: %s\n", strerror(errno));
	for (unsigned int i = 0; i < c->conns; i++)
		close(fds[i]);
	peer_stop(&p);
}

/**
 * main() - run every case
 *
 * Return: 0, or 1 if the benchmark cannot run at all
 */
int main(void)
{
	static const struct bench_case cases[] = {
		{ "1 idle connection", 1, 0 },
		{ "1,000 idle connections", 1000, 0 },
		{ "10,000 idle connections", 10000, 0 },
		{ "100 connections, 256 KiB written unread each way", 100,
		  QUEUE_BYTES },
	};
	struct image im = { 0 };
	struct rlimit rl;
	unsigned int i;
	int *fds, rc = 1;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	uring_ok = uring_probe();
	printf("TCP connection migration, per phase (TCP_REPAIR switched %s)\n",
	       uring_ok ? "through io_uring" :
	       "with setsockopt(): this kernel has no io_uring setsockopt");
	fds = calloc(10000, sizeof(*fds));
	im.rec = calloc(10000, TCP_MIGRATE_REPAIR_LEN);
	im.st = calloc(10000, sizeof(*im.st));
	im.data_size = (size_t)100 * 4 * QUEUE_BYTES;
	im.data = malloc(im.data_size);
	if (fds && im.rec && im.st && im.data) {
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			run_case(&cases[i], &im, fds);
		rc = 0;
	}
	free(fds);
	free(im.rec);
	free(im.st);
	free(im.data);
	return rc;
}
