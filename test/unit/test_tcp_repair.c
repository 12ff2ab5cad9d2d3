// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp_repair.c - dump a real loopback TCP connection and restore it
 *
 * Each case connects two sockets over loopback: end "a" is migrated, end
 * "b" is its peer and stays. Both write a known byte stream; "a" is frozen
 * (TCP_REPAIR), dumped with its queues, closed in repair mode (nothing goes
 * out), and recreated from the dump in a new socket. The peer must then
 * see one continuous, byte-exact stream in both directions, and no error
 * (an RST would show as ECONNRESET). Needs CAP_NET_ADMIN: skipped without.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "inany.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "passt.h"
#include "repair.h"
#include "tcp_migrate.h"
#include "tcp_repair.h"
#include "unit.h"
#include "util.h"
#include "../repair_lib.h"

/* Rounds of a bounded wait, and the wait of each, for data to move */
#define PUMP_ROUNDS	2000
#define PUMP_WAIT_MS	10

/* Limit for streams to move: a restored socket resends its queue on its
 * first retransmission timeout (1 s, no RTT sample yet), and a lost resend
 * doubles it (2 s, 4 s, 8 s): four tries fit in 15 s, with margin */
#define PUMP_LIMIT_MS	30000

/* Bytes the peer writes before migration, left unread in a's queue */
#define PEER_QUEUED	50000

/* Bytes the peer sends to a frozen, muted socket: all go out at once, as
 * they fit in an initial congestion window (10 segments of PAIR_MSS),
 * whatever the window grew to before (it grows only while the sender is
 * limited by it, which depends on how the acknowledgements came) */
#define LATE_BYTES	10000

/* MSS the accepting end announces */
#define PAIR_MSS	1400

/* Bytes each side writes after migration */
#define AFTER_BYTES	300000

#define STREAM_A	0x5a	/* seed of what a sends */
#define STREAM_B	0xb5	/* seed of what b sends */

/**
 * struct side - one end of a test connection and its progress
 * @fd:		socket
 * @sent:	bytes of its stream written
 * @recvd:	bytes of the other stream read, all checked
 * @eof:	end of stream read
 * @seed:	seed of the stream it writes
 */
struct side {
	int fd;
	size_t sent;
	size_t recvd;
	bool eof;
	uint8_t seed;
};

/**
 * REQUIRE() - in a helper returning bool: fail the case and return false
 */
#define REQUIRE(cond)							\
	do {								\
		if (!(cond)) {						\
			unit_fail(__FILE__, __LINE__, #cond);		\
			return false;					\
		}							\
	} while (0)

/**
 * stream_byte() - byte at a position of a test stream
 * @seed:	stream
 * @pos:	position
 *
 * Return: the byte: positions differ within any 16 MiB, streams differ
 */
static uint8_t stream_byte(uint8_t seed, size_t pos)
{
	return (uint8_t)((pos * 2654435761U) >> 24) ^ (uint8_t)(pos >> 8) ^ seed;
}

/**
 * stream_fill() - fill a buffer with a test stream from a position
 * @seed:	stream
 * @pos:	first position
 * @buf:	buffer
 * @len:	its length
 */
static void stream_fill(uint8_t seed, size_t pos, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = stream_byte(seed, pos + i);
}

/**
 * stream_match() - whether a buffer holds a test stream from a position
 * @seed:	stream
 * @pos:	first position
 * @buf:	buffer
 * @len:	its length
 *
 * Return: true if every byte matches
 */
static bool stream_match(uint8_t seed, size_t pos, const uint8_t *buf,
			 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != stream_byte(seed, pos + i))
			return false;
	return true;
}

/**
 * side_write() - write a side's stream until @until bytes or a full socket
 * @s:		side
 * @until:	total bytes of its stream to reach
 *
 * Return: false on an error other than a full socket
 */
static bool side_write(struct side *s, size_t until)
{
	uint8_t buf[16384];

	while (s->sent < until) {
		size_t len = MIN(sizeof(buf), until - s->sent);
		ssize_t n;

		stream_fill(s->seed, s->sent, buf, len);
		n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN;
		s->sent += (size_t)n;
	}
	return true;
}

/**
 * side_read() - read what is there of the other side's stream, checking it
 * @s:		side
 * @seed:	seed of the other side's stream
 *
 * Return: false on a mismatch or an error (an RST gives ECONNRESET)
 */
static bool side_read(struct side *s, uint8_t seed)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN;
		if (!n) {
			s->eof = true;
			return true;
		}
		if (!stream_match(seed, s->recvd, buf, (size_t)n))
			return false;
		s->recvd += (size_t)n;
	}
}

/**
 * side_describe() - print a side's progress and its socket's TCP state
 * @name:	"a" or "b"
 * @s:		side
 * @want:	bytes of the other stream it should have read
 */
static void side_describe(const char *name, const struct side *s, size_t want)
{
	struct tcp_info ti = { 0 };
	socklen_t sl = sizeof(ti);
	int outq = -1, inq = -1;

	getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &sl);
	ioctl(s->fd, SIOCOUTQ, &outq);
	ioctl(s->fd, SIOCINQ, &inq);
	fprintf(stderr, "  %s: read %zu of %zu, wrote %zu, eof %d; state %u, "
		"retransmits %u, backoff %u, rto %u us, send queue %d, "
		"receive queue %d\n", name, s->recvd, want, s->sent, s->eof,
		ti.tcpi_state, ti.tcpi_retransmits, ti.tcpi_backoff,
		ti.tcpi_rto, outq, inq);
}

/**
 * pump() - move both streams until each side read @a_want and @b_want
 * @a:		migrated side
 * @b:		peer side
 * @a_want:	bytes of b's stream a must have read
 * @b_want:	bytes of a's stream b must have read
 *
 * Writes stop at what the other side wants. Bounded by PUMP_LIMIT_MS of
 * wall-clock time, not by a count of rounds: a restored socket resends its
 * queue only when its retransmission timer fires, however busy the machine.
 * A stop short of what is wanted (end of stream, error, limit) prints both
 * sides' progress and TCP state.
 *
 * Return: true when both have read what they want, no error seen
 */
static bool pump(struct side *a, struct side *b, size_t a_want,
		 size_t b_want)
{
	uint64_t start = now_ms();

	while (a->recvd < a_want || b->recvd < b_want) {
		/* A side at its end of stream is always readable */
		struct pollfd p[2] = { { a->eof ? -1 : a->fd, POLLIN, 0 },
				       { b->eof ? -1 : b->fd, POLLIN, 0 } };

		if ((a->eof && a->recvd < a_want) ||
		    (b->eof && b->recvd < b_want) ||
		    now_ms() - start > PUMP_LIMIT_MS)
			break;
		if (!side_write(a, b_want) || !side_write(b, a_want) ||
		    !side_read(a, b->seed) || !side_read(b, a->seed)) {
			fprintf(stderr, "  pump: %s\n", strerror(errno));
			break;
		}
		poll(p, 2, PUMP_WAIT_MS);
	}
	if (a->recvd == a_want && b->recvd == b_want)
		return true;
	fprintf(stderr, "  pump: stopped after %llu ms\n",
		(unsigned long long)(now_ms() - start));
	side_describe("a", a, a_want);
	side_describe("b", b, b_want);
	REQUIRE(a->recvd == a_want && b->recvd == b_want);
	return true;
}

/**
 * pair_open() - a connected pair of TCP sockets over loopback
 * @af:		AF_INET or AF_INET6
 * @a:		set up: the client end, to be migrated
 * @b:		set up: the accepted end, its peer
 *
 * Return: true on success
 */
static bool pair_open(int af, struct side *a, struct side *b)
{
	union sockaddr_inany sa;
	union inany_addr lo;
	socklen_t sl;
	int l;

	a->fd = b->fd = -1;
	inany_loopback(&lo, af);
	sl = inany_to_sockaddr(&sa, &lo, 0);
	l = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(l >= 0);
	/* An MSS as on an Ethernet link, below what a user MSS may be: the
	 * restored socket must size its segments as the original did
	 */
	if (setsockopt(l, IPPROTO_TCP, TCP_MAXSEG, &(int){ PAIR_MSS },
		       sizeof(int)) ||
	    bind(l, &sa.sa, sl) || listen(l, 1) ||
	    getsockname(l, &sa.sa, &sl)) {
		close(l);
		REQUIRE(false);
	}
	*a = (struct side){ .fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0),
			    .seed = STREAM_A };
	*b = (struct side){ .fd = -1, .seed = STREAM_B };
	if (a->fd >= 0 && !connect(a->fd, &sa.sa, sl))
		b->fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	REQUIRE(a->fd >= 0 && b->fd >= 0);
	return true;
}

/**
 * pair_close() - close both ends, whatever happened
 * @a:		one side
 * @b:		the other
 */
static void pair_close(struct side *a, struct side *b)
{
	if (a->fd >= 0)
		close(a->fd);
	if (b->fd >= 0)
		close(b->fd);
	a->fd = b->fd = -1;
}

/**
 * repair() - switch repair mode on a socket
 * @fd:		socket
 * @on:		TCP_REPAIR_ON, TCP_REPAIR_OFF or TCP_REPAIR_OFF_NO_WP
 *
 * Return: 0, or -errno
 */
static int repair(int fd, int on)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ?
	       -errno : 0;
}

/**
 * fill_queues() - leave data queued both ways: b's stream unread in a's
 *		   receive queue, a's stream in a's send queue with a part
 *		   never sent, because b's receive buffer is full
 * @a:		migrated side
 * @b:		peer
 *
 * Return: true on success
 */
static bool fill_queues(struct side *a, struct side *b)
{
	int i, unsent = 0;

	REQUIRE(side_write(b, PEER_QUEUED));
	REQUIRE(b->sent == PEER_QUEUED);
	for (i = 0; i < PUMP_ROUNDS && !unsent; i++) {
		REQUIRE(side_write(a, a->sent + (1 << 20)));
		REQUIRE(!ioctl(a->fd, SIOCOUTQNSD, &unsent));
		if (!unsent)
			poll(NULL, 0, PUMP_WAIT_MS);
	}
	REQUIRE(unsent > 0);
	return true;
}

/**
 * struct dump - what migration carries of a: state and queue bytes
 * @st:		kernel state
 * @rq:		receive queue bytes
 * @sq:		send queue bytes
 */
struct dump {
	struct tcp_repair_state st;
	uint8_t *rq;
	uint8_t *sq;
};

/**
 * freeze_dump_close() - freeze a, dump it, close it silently
 * @a:		migrated side: its fd is closed
 * @d:		dump, queue buffers allocated (caller frees)
 *
 * Return: true on success
 */
static bool freeze_dump_close(struct side *a, struct dump *d)
{
	REQUIRE(!repair(a->fd, TCP_REPAIR_ON));
	REQUIRE(!tcp_repair_freeze_dump(a->fd, &d->st));
	REQUIRE(!tcp_repair_state_check(&d->st));
	d->rq = malloc(d->st.rcvq + 1);
	d->sq = malloc(d->st.sndq + 1);
	REQUIRE(d->rq && d->sq);
	REQUIRE(tcp_repair_peek(a->fd, TCP_REPAIR_RECV_QUEUE, d->rq,
				d->st.rcvq) == (ssize_t)d->st.rcvq);
	REQUIRE(tcp_repair_peek(a->fd, TCP_REPAIR_SEND_QUEUE, d->sq,
				d->st.sndq) == (ssize_t)d->st.sndq);
	/* In repair mode, close sends neither FIN nor RST */
	close(a->fd);
	a->fd = -1;
	return true;
}

/**
 * dump_check_queues() - the dumped queues are exactly the unread streams
 * @d:		dump
 * @a:		migrated side, as it was
 * @b:		peer
 *
 * Return: true if a's receive queue is what b sent and a did not read,
 *	   and a's send queue is the tail of what a sent, the part b did not
 *	   receive never sent
 */
static bool dump_check_queues(const struct dump *d, const struct side *a,
			      const struct side *b)
{
	int b_unread = 0;

	REQUIRE(!ioctl(b->fd, SIOCINQ, &b_unread));
	REQUIRE(d->st.rcvq == b->sent - a->recvd);
	REQUIRE(stream_match(b->seed, a->recvd, d->rq, d->st.rcvq));
	/* Every byte sent reached b; b may not have acknowledged them all */
	REQUIRE(a->sent - d->st.notsent == b->recvd + (size_t)b_unread);
	REQUIRE(d->st.sndq >= d->st.notsent);
	REQUIRE(stream_match(a->seed, a->sent - d->st.sndq, d->sq,
			     d->st.sndq));
	return true;
}

/**
 * restore_redump() - while still in repair mode, dump the restored socket:
 *		      it must be the same connection
 * @s:		restored socket, in repair mode, settled
 * @d:		original dump
 * @written:	send queue bytes written in repair mode
 *
 * This also dumps a send queue holding sent, unacknowledged data: what the
 * restored socket believes of the bytes written in repair mode.
 *
 * Return: true if sequences, queues, options and windows match
 */
static bool restore_redump(int s, const struct dump *d, size_t written)
{
	const struct tcp_repair_state *o = &d->st;
	struct tcp_repair_state r;

	REQUIRE(!tcp_repair_dump(s, &r));
	REQUIRE(inany_equal(&r.local, &o->local) && r.lport == o->lport);
	REQUIRE(inany_equal(&r.remote, &o->remote) && r.rport == o->rport);
	REQUIRE(r.snd_seq == o->snd_seq && r.sndq == written && !r.notsent);
	REQUIRE(r.rcv_seq == o->rcv_seq && r.rcvq == o->rcvq);
	REQUIRE(r.mss == o->mss && r.snd_wscale == o->snd_wscale &&
		r.rcv_wscale == o->rcv_wscale);
	REQUIRE((r.flags & (TCP_REPAIR_F_SACK | TCP_REPAIR_F_TS |
			    TCP_REPAIR_F_WS)) ==
		(o->flags & (TCP_REPAIR_F_SACK | TCP_REPAIR_F_TS |
			     TCP_REPAIR_F_WS)));
	REQUIRE(r.snd_wnd == o->snd_wnd && r.rcv_wnd == o->rcv_wnd);
	/* The clock went on between dump and restore, never back */
	REQUIRE(!(o->flags & TCP_REPAIR_F_TS) ||
		r.timestamp - o->timestamp < 60000);
	return true;
}

/**
 * mss_restored() - the restored socket sizes its segments as the original
 * @s:		restored socket, repair mode off
 * @d:		dump of the original
 *
 * Return: true if its segment size is the MSS less the timestamp option
 */
static bool mss_restored(int s, const struct dump *d)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);

	REQUIRE(d->st.mss == PAIR_MSS);
	REQUIRE(!getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &sl));
	REQUIRE(ti.tcpi_snd_mss == PAIR_MSS -
		((d->st.flags & TCP_REPAIR_F_TS) ? 12U : 0U));
	return true;
}

/**
 * restore_resume() - recreate a from a dump: a new socket takes its place
 * @a:		migrated side: gets the new socket
 * @b:		peer: read while the unsent bytes go out
 * @d:		dump
 *
 * Return: true on success
 */
static bool restore_resume(struct side *a, struct side *b,
			   const struct dump *d)
{
	const struct tcp_repair_state *st = &d->st;
	size_t sent = st->sndq - st->notsent, done;
	ssize_t n;
	int s, i;

	s = tcp_repair_socket(st);
	REQUIRE(s >= 0);
	a->fd = s;
	REQUIRE(!repair(s, TCP_REPAIR_ON));
	REQUIRE(!tcp_repair_connect(s, st));
	REQUIRE(tcp_repair_write(s, TCP_REPAIR_RECV_QUEUE, d->rq, st->rcvq) ==
		(ssize_t)st->rcvq);
	n = tcp_repair_write(s, TCP_REPAIR_SEND_QUEUE, d->sq, sent);
	REQUIRE(n >= 0);
	done = (size_t)n;
	REQUIRE(!tcp_repair_settle(s, st));
	REQUIRE(restore_redump(s, d, done));
	REQUIRE(!repair(s, TCP_REPAIR_OFF));

	for (i = 0; i < PUMP_ROUNDS && done < st->sndq; i++) {
		n = tcp_repair_resume(s, d->sq + done, st->sndq - done);
		REQUIRE(n >= 0);
		done += (size_t)n;
		REQUIRE(side_read(b, a->seed));
		poll(NULL, 0, done < st->sndq ? 1 : 0);
	}
	REQUIRE(done == st->sndq);
	REQUIRE(!tcp_repair_shutdown(s, st));
	REQUIRE(mss_restored(s, d));
	return true;
}

/**
 * migrate_a() - freeze, dump, close, restore a; check the dump on the way
 * @a:		migrated side
 * @b:		peer
 * @d:		dump, queue buffers allocated (caller frees)
 *
 * Return: true on success
 */
static bool migrate_a(struct side *a, struct side *b, struct dump *d)
{
	struct side before = *a;

	REQUIRE(freeze_dump_close(a, d));
	REQUIRE(dump_check_queues(d, &before, b));
	return restore_resume(a, b, d);
}

/**
 * no_error() - neither socket has a pending error (an RST leaves one)
 * @a:		one side
 * @b:		the other
 *
 * Return: true if both have none
 */
static bool no_error(const struct side *a, const struct side *b)
{
	socklen_t sl = sizeof(int);
	int ea = -1, eb = -1;

	REQUIRE(!getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &ea, &sl));
	sl = sizeof(int);
	REQUIRE(!getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &eb, &sl));
	REQUIRE(!ea && !eb);
	return true;
}

/**
 * scenario_run() - run one migration scenario on a fresh connected pair
 * @af:		AF_INET or AF_INET6
 * @fn:		the scenario: a migrates, b is its peer, d receives a's dump
 *
 * Return: what the scenario returns; false if the pair cannot be made
 */
static bool scenario_run(int af, bool (*fn)(struct side *a, struct side *b,
					   struct dump *d))
{
	struct dump d = { 0 };
	struct side a, b;
	bool ok;

	if (!pair_open(af, &a, &b))
		return false;
	ok = fn(&a, &b, &d);
	free(d.rq);
	free(d.sq);
	pair_close(&a, &b);
	return ok;
}

/**
 * both_queues() - queued data both ways, part never sent, survives
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * Return: true if both streams continue byte-exact after migration
 */
static bool both_queues(struct side *a, struct side *b, struct dump *d)
{
	bool ok;

	ok = fill_queues(a, b) && migrate_a(a, b, d);
	ok = ok && !(d->st.flags & (TCP_REPAIR_F_FIN_QUEUED |
				    TCP_REPAIR_F_FIN_RCVD));
	ok = ok && d->st.notsent > 0 && d->st.rcvq == PEER_QUEUED;
	ok = ok && pump(a, b, PEER_QUEUED + AFTER_BYTES,
			a->sent + AFTER_BYTES);
	ok = ok && no_error(a, b) && !a->eof && !b->eof;
	return ok;
}

/**
 * repair_privileged() - whether this process may use TCP_REPAIR
 *
 * Return: true if it may
 */
static bool repair_privileged(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (s < 0)
		return false;
	rc = repair(s, TCP_REPAIR_ON);
	close(s);
	return !rc;
}

/**
 * REPAIR_TEST() - a case that needs CAP_NET_ADMIN, skipped (saying so) without
 * @name:	case name
 * @check:	true if the behaviour holds
 */
#define REPAIR_TEST(name, check)					\
	TEST(name)							\
	{								\
		if (!repair_privileged()) {				\
			unit_skip("TCP_REPAIR needs CAP_NET_ADMIN");	\
			return;						\
		}							\
		CHECK(check);						\
	}

REPAIR_TEST(tcp_repair_ipv4_both_queues_and_unsent_data_continue_byte_exact,
	    scenario_run(AF_INET, both_queues))

REPAIR_TEST(tcp_repair_ipv6_both_queues_and_unsent_data_continue_byte_exact,
	    scenario_run(AF_INET6, both_queues))

/**
 * wait_state() - wait, bounded, for a socket to reach a TCP state
 * @fd:		socket
 * @state:	TCP_FIN_WAIT2, TCP_CLOSE_WAIT, ...
 *
 * Return: true once it is there
 */
static bool wait_state(int fd, int state)
{
	int i;

	for (i = 0; i < PUMP_ROUNDS; i++) {
		struct tcp_info ti;
		socklen_t sl = sizeof(ti);

		REQUIRE(!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl));
		if (ti.tcpi_state == state)
			return true;
		poll(NULL, 0, PUMP_WAIT_MS);
	}
	REQUIRE(false);
}

/**
 * our_fin_unsent() - a shut its side with data it could not send yet
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * Return: true if b gets every byte, then the end of the stream, and a
 *	   still receives
 */
static bool our_fin_unsent(struct side *a, struct side *b, struct dump *d)
{
	bool ok;

	ok = fill_queues(a, b) && !shutdown(a->fd, SHUT_WR) &&
	     migrate_a(a, b, d);
	ok = ok && d->st.state == TCP_FIN_WAIT1 && d->st.notsent > 0 &&
	     (d->st.flags & TCP_REPAIR_F_FIN_QUEUED) &&
	     !(d->st.flags & TCP_REPAIR_F_FIN_SENT);
	ok = ok && pump(a, b, PEER_QUEUED + AFTER_BYTES, a->sent);
	ok = ok && side_read(b, a->seed) && b->eof && no_error(a, b);
	return ok;
}

/**
 * our_fin_acked() - a shut its side, b acknowledged the FIN but did not
 *		     read the data before it
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * Return: true if b reads the data and one end of stream, and a still
 *	   receives
 */
static bool our_fin_acked(struct side *a, struct side *b, struct dump *d)
{
	bool ok;

	ok = side_write(a, 1000) && side_write(b, PEER_QUEUED) &&
	     !shutdown(a->fd, SHUT_WR) && wait_state(a->fd, TCP_FIN_WAIT2);
	ok = ok && migrate_a(a, b, d);
	ok = ok && d->st.state == TCP_FIN_WAIT2 && !d->st.sndq &&
	     (d->st.flags & TCP_REPAIR_F_FIN_SENT);
	ok = ok && pump(a, b, PEER_QUEUED + AFTER_BYTES, 1000);
	ok = ok && side_read(b, a->seed) && b->eof && no_error(a, b);
	return ok;
}

/**
 * peer_fin() - b shut its side, a did not read the data before the FIN
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * Return: true if the dump says so, a reads every byte b sent, and b
 *	   still receives from a
 */
static bool peer_fin(struct side *a, struct side *b, struct dump *d)
{
	bool ok;

	ok = side_write(b, PEER_QUEUED) && !shutdown(b->fd, SHUT_WR) &&
	     wait_state(a->fd, TCP_CLOSE_WAIT) && migrate_a(a, b, d);
	ok = ok && d->st.state == TCP_CLOSE_WAIT && d->st.rcvq == PEER_QUEUED &&
	     (d->st.flags & TCP_REPAIR_F_FIN_RCVD);
	ok = ok && pump(a, b, PEER_QUEUED, AFTER_BYTES) &&
	     no_error(a, b);
	return ok;
}

REPAIR_TEST(tcp_repair_ipv4_our_fin_queued_behind_unsent_data_follows_it,
	    scenario_run(AF_INET, our_fin_unsent))

REPAIR_TEST(tcp_repair_ipv6_our_fin_acked_is_not_duplicated,
	    scenario_run(AF_INET6, our_fin_acked))

REPAIR_TEST(tcp_repair_ipv4_peer_fin_keeps_data_before_it_and_our_direction,
	    scenario_run(AF_INET, peer_fin))

/**
 * wait_queue() - wait, bounded, for a queue length ioctl to give a value
 * @fd:		socket
 * @req:	SIOCOUTQ, SIOCOUTQNSD or SIOCINQ
 * @want:	value
 *
 * Return: true once it gives it
 */
static bool wait_queue(int fd, unsigned long req, int want)
{
	int i, v = -1;

	for (i = 0; i < PUMP_ROUNDS; i++) {
		REQUIRE(!ioctl(fd, req, &v));
		if (v == want)
			return true;
		poll(NULL, 0, PUMP_WAIT_MS);
	}
	REQUIRE(v == want);
	return false;
}

/**
 * muted_peer_data_waits() - b sends to a frozen, muted a: a takes nothing
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * Without tcp_repair_mute(), a socket in repair mode queues and
 * acknowledges in-order data (header prediction): b would never send those
 * bytes again, and they would be lost to the restored socket.
 *
 * Return: true if b's late bytes stay unacknowledged, out of the dump, and
 *	   reach the restored a byte-exact
 */
static bool muted_peer_data_waits(struct side *a, struct side *b, struct dump *d)
{
	int outq = -1;
	bool ok;

	ok = side_write(b, PEER_QUEUED) && wait_queue(b->fd, SIOCOUTQ, 0) &&
	     !repair(a->fd, TCP_REPAIR_ON) && !tcp_repair_mute(a->fd);
	ok = ok && side_write(b, PEER_QUEUED + LATE_BYTES) &&
	     b->sent == PEER_QUEUED + LATE_BYTES &&
	     wait_queue(b->fd, SIOCOUTQNSD, 0);
	ok = ok && !ioctl(b->fd, SIOCOUTQ, &outq) && outq == LATE_BYTES;
	ok = ok && freeze_dump_close(a, d) && d->st.rcvq == PEER_QUEUED &&
	     restore_resume(a, b, d);
	ok = ok && pump(a, b, PEER_QUEUED + LATE_BYTES, AFTER_BYTES) &&
	     no_error(a, b);
	return ok;
}

REPAIR_TEST(tcp_repair_ipv4_muted_frozen_socket_leaves_peer_data_unacknowledged,
	    scenario_run(AF_INET, muted_peer_data_waits))

REPAIR_TEST(tcp_repair_ipv6_muted_frozen_socket_leaves_peer_data_unacknowledged,
	    scenario_run(AF_INET6, muted_peer_data_waits))

/**
 * peer_fin_window_full() - b shut its side, then acknowledged data from a
 *			    (its segments after the FIN updated a's send
 *			    window), and a's receive window was closed
 * @a:		side that migrates
 * @b:		its peer
 * @d:		dump of a
 *
 * The restored receive queue ends before b's FIN: b's latest sequence is
 * one beyond it, which the kernel refuses as the window update sequence
 * with a zero receive window.
 *
 * Return: true if a is restored and both directions behave
 */
static bool peer_fin_window_full(struct side *a, struct side *b, struct dump *d)
{
	bool ok;

	ok = side_write(b, PEER_QUEUED) && !shutdown(b->fd, SHUT_WR) &&
	     wait_state(a->fd, TCP_CLOSE_WAIT) && side_write(a, 1000) &&
	     wait_queue(a->fd, SIOCOUTQ, 0);
	ok = ok && freeze_dump_close(a, d);
	ok = ok && d->st.snd_wl1 == d->st.rcv_seq + d->st.rcvq + 1;
	d->st.rcv_wnd = 0;
	ok = ok && !tcp_repair_state_check(&d->st) && restore_resume(a, b, d);
	ok = ok && pump(a, b, PEER_QUEUED, 1000 + AFTER_BYTES) &&
	     no_error(a, b);
	return ok;
}

REPAIR_TEST(tcp_repair_ipv6_peer_fin_then_zero_window_is_restored,
	    scenario_run(AF_INET6, peer_fin_window_full))

/* How long a frozen socket is watched: its loss probe fires after twice
 * the smoothed RTT (tens of microseconds over loopback), at least 10 ms,
 * and the retransmission timeout after 200 ms at the least */
#define FROZEN_WATCH_MS	500

/**
 * frozen_stays_off_the_wire() - a frozen a with data in flight and more
 *				 queued behind it sends nothing new
 * @a:		side that migrates
 * @b:		its peer, reading nothing
 * @d:		dump of a
 *
 * b's acknowledgements are dropped at a from the start (a is deaf, as the
 * acknowledgements still in flight when a daemon freezes its sockets):
 * a's loss probe then sends one new segment, even in repair mode, unless
 * the send queue is selected. Bytes past the dumped SND.NXT at the peer
 * would stall the restored connection both ways.
 *
 * Return: true if b has no byte past what the dump says was sent
 */
static bool frozen_stays_off_the_wire(struct side *a, struct side *b,
				      struct dump *d)
{
	int ttl = 255, inq = -1;

	(void)d;
	REQUIRE(!setsockopt(a->fd, IPPROTO_IP, IP_MINTTL, &ttl, sizeof(ttl)));
	REQUIRE(side_write(a, 1 << 20));
	REQUIRE(!repair(a->fd, TCP_REPAIR_ON) && !tcp_repair_mute(a->fd));
	REQUIRE(!tcp_repair_freeze_dump(a->fd, &d->st));
	poll(NULL, 0, FROZEN_WATCH_MS);
	REQUIRE(!ioctl(b->fd, SIOCINQ, &inq));
	if ((size_t)inq > a->sent - d->st.notsent)
		fprintf(stderr, "  the peer has %d bytes, %zu were sent\n", inq,
			a->sent - d->st.notsent);
	REQUIRE((size_t)inq <= a->sent - d->st.notsent);
	return true;
}

REPAIR_TEST(tcp_repair_frozen_socket_puts_no_new_data_on_the_wire,
	    scenario_run(AF_INET, frozen_stays_off_the_wire))

/* The migration stream of the daemon's sections, end to end */

#define STREAM_MAX	(16 << 20)	/* queues of two connections fit */

/**
 * flow_of() - a flow table entry for a connected socket, as tcp.c makes
 * @a:		migrated side: its socket becomes the flow's
 * @guest:	guest address (tap side, local)
 * @seq:	base of the sequence numbers towards the guest
 *
 * Return: the flow, active, or NULL
 */
static union flow *flow_of(const struct side *a, const char *guest,
			   uint32_t seq)
{
	union sockaddr_inany sa = { 0 };
	socklen_t sl = sizeof(sa);
	union flow *f = flow_alloc();

	if (!f)
		return NULL;
	f->f.type = FLOW_TYPE_TCP;
	getsockname(a->fd, &sa.sa, &sl);
	inany_from_sockaddr(&f->f.sock.local, &f->f.sock.lport, &sa);
	sl = sizeof(sa);
	getpeername(a->fd, &sa.sa, &sl);
	inany_from_sockaddr(&f->f.sock.remote, &f->f.sock.rport, &sa);
	if (strchr(guest, ':'))
		inet_pton(AF_INET6, guest, &f->f.tap.local.a6);
	else
		inany_from_v4(&f->f.tap.local, (struct in_addr){
			      inet_addr(guest) });
	f->f.tap.remote = f->f.sock.remote;
	f->f.tap.lport = 40000;
	f->f.tap.rport = f->f.sock.rport;
	f->tcp.sock = a->fd;
	f->tcp.flags = TCP_F_ESTABLISHED | TCP_F_WS;
	f->tcp.mss = 1460;
	f->tcp.ws_from_tap = 7;
	f->tcp.ws_to_tap = 7;
	f->tcp.seq_to_tap = seq + 1000;
	f->tcp.seq_max_to_tap = seq + 1000;
	f->tcp.seq_ack_from_tap = seq;
	f->tcp.seq_from_tap = ~seq;
	f->tcp.seq_ack_to_tap = ~seq;
	f->tcp.wnd_from_tap = 65535 << 7;
	f->tcp.wnd_to_tap = 65535 << 7;
	flow_hash_insert(f);
	return f;
}

/**
 * stream_write() - run the source side of the built-in newest version
 * @c:		context
 * @buf:	stream destination, STREAM_MAX bytes
 * @len:	set to the stream length
 *
 * Return: true if the stream was written whole
 */
static bool stream_write(struct ctx *c, uint8_t *buf, size_t *len)
{
	static struct migrate_writer w;
	const uint8_t *p;
	size_t n;
	int rc;

	*len = 0;
	REQUIRE(!migrate_writer_init(&w, c, &migrate_builtin, 0));
	while (!(rc = migrate_writer_next(&w, &p, &n))) {
		REQUIRE(*len + n <= STREAM_MAX);
		memcpy(buf + *len, p, n);
		*len += n;
		migrate_writer_consumed(&w, n);
	}
	if (rc < 0)
		fprintf(stderr, "  stream_write: %s\n", w.error);
	REQUIRE(rc > 0);
	tcp_migrate_source_done(c);
	return true;
}

/**
 * stream_read() - run the target side on a whole stream, in pieces
 * @c:		context
 * @buf:	stream
 * @len:	its length
 *
 * Return: true if the target took it
 */
static bool stream_read(struct ctx *c, const uint8_t *buf, size_t len)
{
	static struct migrate_reader r;
	size_t off;

	int rc = 0;

	migrate_reader_init(&r, c, &migrate_builtin, false, NULL);
	for (off = 0; off < len && !rc; off += 40000)
		rc = migrate_reader_feed(&r, buf + off, MIN(len - off, 40000));
	if (!rc)
		rc = migrate_reader_finish(&r);
	if (rc)
		fprintf(stderr, "  target: %s\n", r.error);
	REQUIRE(!rc);
	return true;
}

/**
 * reuse_on() - whether a socket has SO_REUSEADDR, which leaving repair
 *		mode clears
 * @fd:		socket
 *
 * Return: true if set
 */
static bool reuse_on(int fd)
{
	int v = 0;

	return !getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v,
			   &(socklen_t){ sizeof(v) }) && v;
}

/**
 * restored_check() - a connection came through: same flow, same view
 * @tap:	its tap side
 * @seq:	base of its sequence numbers towards the guest
 * @a:		migrated side: takes the restored socket
 *
 * Return: true if the flow is there with the daemon's view carried, data
 *	   sent to the guest but not acknowledged rewound, and its timer due
 */
static bool restored_check(const struct flowside *tap, uint32_t seq,
			   struct side *a)
{
	union flow *f = flow_lookup(FLOW_TYPE_TCP, tap);

	REQUIRE(f && f->tcp.sock >= 0);
	/* Data may wait for the guest: its first ACK looks for it */
	REQUIRE(f->tcp.flags == (TCP_F_ESTABLISHED | TCP_F_WS |
				 TCP_F_WND_FULL));
	/* The first timer walk tells the guest the window at once */
	REQUIRE(f->tcp.timer_at <= now_ms());
	REQUIRE(f->tcp.seq_ack_from_tap == seq && f->tcp.seq_to_tap == seq &&
		f->tcp.seq_max_to_tap == seq + 1000);
	REQUIRE(f->tcp.seq_from_tap == ~seq && f->tcp.ws_from_tap == 7);
	REQUIRE(f->tcp.wnd_from_tap == 65535U << 7 && f->tcp.mss == 1460);
	REQUIRE(reuse_on(f->tcp.sock));
	a->fd = f->tcp.sock;
	return true;
}

/**
 * migrate_stream_both() - migrate an IPv4 and an IPv6 connection through
 *			   the daemon's migration stream, in one process
 * @c:		context, set up
 * @buf:	stream buffer, STREAM_MAX bytes
 * @a:		migrated sides, two
 * @b:		their peers
 * @held:	if not NULL, a copy of the first socket is kept open here:
 *		its addresses stay taken, it cannot be restored
 *
 * Return: true if both (or, with @held, the second) continue byte-exact
 *	   after the migration
 */
static bool migrate_stream_both(struct ctx *c, uint8_t *buf, struct side *a,
				struct side *b, int *held)
{
	struct flowside tap[2];
	size_t len, i;

	for (i = 0; i < 2; i++) {
		union flow *f;

		REQUIRE(fill_queues(&a[i], &b[i]));
		f = flow_of(&a[i], i ? "2001:db8::10" : "192.0.2.10",
			    (uint32_t)(0xfffff000U + i));
		REQUIRE(f);
		tap[i] = f->f.tap;
	}
	if (held)
		REQUIRE((*held = dup(a[0].fd)) >= 0);
	REQUIRE(stream_write(c, buf, &len));
	/* --migrate-no-linger: the frozen sockets are gone, silently */
	a[0].fd = a[1].fd = -1;
	REQUIRE(!flow_lookup(FLOW_TYPE_TCP, &tap[0]));
	REQUIRE(stream_read(c, buf, len));
	if (held)
		REQUIRE(!flow_lookup(FLOW_TYPE_TCP, &tap[0]));
	for (i = held ? 1 : 0; i < 2; i++) {
		REQUIRE(restored_check(&tap[i], (uint32_t)(0xfffff000U + i),
				       &a[i]));
		REQUIRE(pump(&a[i], &b[i], PEER_QUEUED + AFTER_BYTES,
			     a[i].sent + AFTER_BYTES));
		REQUIRE(no_error(&a[i], &b[i]));
	}
	return true;
}

/**
 * migrate_stream_case() - set up two connections, migrate them, clean up
 * @hold_first:	keep the first one's addresses taken on the "target"
 *
 * Return: true if the migration went as migrate_stream_both() expects
 */
static bool migrate_stream_case(bool hold_first)
{
	struct side a[2] = { { .fd = -1 }, { .fd = -1 } };
	struct side b[2] = { { .fd = -1 }, { .fd = -1 } };
	struct ctx c = { .our_mac = { 0x02, 0, 0, 0, 0, 1 } };
	uint8_t *buf = malloc(STREAM_MAX);
	int held = -1;
	bool ok;

	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.migrate_no_linger = true;
	flow_init();
	repair_init(&c);
	ok = buf && c.epollfd >= 0 && pair_open(AF_INET, &a[0], &b[0]) &&
	     pair_open(AF_INET6, &a[1], &b[1]) &&
	     migrate_stream_both(&c, buf, a, b, hold_first ? &held : NULL);
	if (held >= 0)
		close(held);
	pair_close(&a[0], &b[0]);
	pair_close(&a[1], &b[1]);
	flow_init();
	close(c.epollfd);
	free(buf);
	return ok;
}

REPAIR_TEST(tcp_migrate_stream_carries_connections_and_their_queues_byte_exact,
	    migrate_stream_case(false))

REPAIR_TEST(tcp_migrate_connection_that_cannot_be_restored_spares_the_others,
	    migrate_stream_case(true))

/**
 * pair_case() - run a case through the daemon's sections on an IPv4 pair of
 *		 its own, then close it and empty the flow table
 * @fn:		the case: a is the side the daemon holds, b its peer
 *
 * Return: what @fn returned; false if the pair cannot be made
 */
static bool pair_case(bool (*fn)(struct side *a, struct side *b))
{
	struct side a, b;
	bool ok = pair_open(AF_INET, &a, &b) && fn(&a, &b);

	pair_close(&a, &b);
	flow_init();
	return ok;
}

/**
 * rollback_case() - freeze through the stream writer, fail, check the thaw
 * @a:		migrated side
 * @b:		peer
 *
 * Return: true if the connection is out of repair mode and carries on
 *	   byte-exact, with its flow still in the table
 */
static bool rollback_case(struct side *a, struct side *b)
{
	static struct migrate_writer w;
	struct ctx c = { .our_mac = { 0x02, 0, 0, 0, 0, 1 } };
	const uint8_t *p;
	struct flowside tap;
	union flow *f;
	int i, on = -1;
	size_t n;

	flow_init();
	repair_init(&c);
	/* The thaw gives the socket back to the loop */
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(c.epollfd >= 0);
	REQUIRE(fill_queues(a, b));
	REQUIRE((f = flow_of(a, "192.0.2.10", 1)));
	tap = f->f.tap;
	REQUIRE(!migrate_writer_init(&w, &c, &migrate_builtin, 0));
	/* Past the flow table section's prepare(): frozen, then it fails */
	for (i = 0; i < 4 && !migrate_writer_next(&w, &p, &n); i++)
		migrate_writer_consumed(&w, n);
	REQUIRE(!getsockopt(a->fd, IPPROTO_TCP, TCP_REPAIR, &on,
			    &(socklen_t){ sizeof(on) }) && on == 1);
	migrate_writer_rollback(&w);
	REQUIRE(!getsockopt(a->fd, IPPROTO_TCP, TCP_REPAIR, &on,
			    &(socklen_t){ sizeof(on) }) && on == 0);
	REQUIRE(flow_lookup(FLOW_TYPE_TCP, &tap) == f && f->tcp.sock == a->fd);
	REQUIRE(reuse_on(a->fd));
	REQUIRE(pump(a, b, PEER_QUEUED + AFTER_BYTES, a->sent + AFTER_BYTES));
	REQUIRE(no_error(a, b));
	close(c.epollfd);
	return true;
}

/**
 * closing_rollback_case() - a connection the peer shut down is dumped, the
 *			     migration fails: it sends again at once
 * @a:		migrated side, in CLOSE_WAIT with data to send
 * @b:		peer, its side shut
 *
 * The dump closed a's send window; in CLOSE_WAIT no window probe ends
 * repair mode, and the peer sends nothing that would open it: only the
 * source can give it back.
 *
 * Return: true if a's send window is back as it was, and the rest of a's
 *	   stream reaches b byte-exact
 */
static bool closing_rollback_case(struct side *a, struct side *b)
{
	static struct migrate_writer w;
	struct ctx c = { .our_mac = { 0x02, 0, 0, 0, 0, 1 } };
	struct tcp_repair_window wnd;
	const uint8_t *p;
	int rc;
	size_t n;

	flow_init();
	repair_init(&c);
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(c.epollfd >= 0);
	REQUIRE(fill_queues(a, b) && !shutdown(b->fd, SHUT_WR) &&
		wait_state(a->fd, TCP_CLOSE_WAIT));
	REQUIRE(flow_of(a, "192.0.2.10", 1));
	REQUIRE(!migrate_writer_init(&w, &c, &migrate_builtin, 0));
	while (!(rc = migrate_writer_next(&w, &p, &n)))
		migrate_writer_consumed(&w, n);
	REQUIRE(rc > 0);
	/* The target failed its check: everything stays here */
	migrate_writer_rollback(&w);
	REQUIRE(!repair(a->fd, TCP_REPAIR_ON));
	REQUIRE(!getsockopt(a->fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &wnd,
			    &(socklen_t){ sizeof(wnd) }));
	REQUIRE(!repair(a->fd, TCP_REPAIR_OFF_NO_WP));
	if (!wnd.snd_wnd)
		fprintf(stderr, "  the send window is still closed\n");
	REQUIRE(wnd.snd_wnd);
	REQUIRE(pump(a, b, PEER_QUEUED, a->sent + AFTER_BYTES));
	REQUIRE(no_error(a, b));
	close(c.epollfd);
	return true;
}

REPAIR_TEST(tcp_migrate_failed_after_dump_gives_closing_connections_their_window,
	    pair_case(closing_rollback_case))

/**
 * unprivileged_case() - neither CAP_NET_ADMIN nor a helper: the migration
 *			 completes without the connection, which goes on here
 * @a:		connection's side
 * @b:		peer
 *
 * Return: true if the stream was written whole, the socket never left
 *	   normal mode, and the connection still carries data byte-exact
 */
static bool unprivileged_case(struct side *a, struct side *b)
{
	struct ctx c = { .our_mac = { 0x02, 0, 0, 0, 0, 1 } };
	uint8_t *buf = malloc(STREAM_MAX);
	struct flowside tap;
	union flow *f;
	bool written;
	size_t len;
	int on = -1;

	flow_init();
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(buf && c.epollfd >= 0);
	REQUIRE((f = flow_of(a, "192.0.2.10", 1)));
	tap = f->f.tap;
	REQUIRE(!net_admin_effective(false));
	repair_init(&c);
	written = stream_write(&c, buf, &len);
	net_admin_effective(true);
	free(buf);
	close(c.epollfd);
	REQUIRE(written);
	REQUIRE(!getsockopt(a->fd, IPPROTO_TCP, TCP_REPAIR, &on,
			    &(socklen_t){ sizeof(on) }) && on == 0);
	REQUIRE(flow_lookup(FLOW_TYPE_TCP, &tap) == f && f->tcp.sock == a->fd);
	REQUIRE(pump(a, b, AFTER_BYTES, AFTER_BYTES));
	return no_error(a, b);
}

REPAIR_TEST(tcp_migrate_without_privilege_or_helper_leaves_connections_here,
	    pair_case(unprivileged_case))

REPAIR_TEST(tcp_migrate_failed_migration_thaws_and_loses_nothing,
	    pair_case(rollback_case))
