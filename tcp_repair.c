// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_repair.c - dump and restore a TCP socket's kernel state (TCP_REPAIR)
 *
 * Freeze: repair mode on, then tcp_repair_mute(), so that nothing the peer
 * sends changes the socket any more.
 *
 * Repair mode alone does not keep a socket from sending new data: its loss
 * probe, pacing and small-queue timers still run its transmit path, which
 * puts data on the wire unless the send queue happens to be selected
 * (TCP_REPAIR_QUEUE), and then marks the whole queue sent without sending
 * it. A socket that sends new data after its SND.NXT was dumped is
 * restored behind what its peer has: the kernel then drops every segment
 * of the peer (its ACK covers data "not yet sent"), and the connection
 * stalls both ways for good. So the dump closes the send window
 * (TCP_REPAIR_WINDOW) before it reads the send queue: from then on, no new
 * data moves, on the wire or not; retransmissions of data already sent go
 * on, and are harmless. The window, as it was, is in the dump, and a socket
 * thawed on the source gets it back (tcp_repair_window_reopen()).
 *
 * Dump, on a socket already in repair mode: TCP_INFO (state, options,
 * window scales), TCP_MAXSEG (in repair mode: the MSS clamp), TCP_TIMESTAMP,
 * TCP_REPAIR_WINDOW, the queue lengths (SIOCOUTQ, SIOCOUTQNSD, SIOCINQ), the
 * sequence at the end of each queue (TCP_QUEUE_SEQ) and the addresses. The
 * queue bytes are peeked separately (tcp_repair_peek()), when the caller
 * has room for them.
 *
 * Sequence bookkeeping. The kernel gives the end of each queue: write_seq
 * for the send queue, rcv_nxt for the receive queue; a FIN takes one
 * sequence number there. In the record, @snd_seq and @rcv_seq are the first
 * data byte of each queue and @sndq, @rcvq count data bytes only: our FIN, if
 * queued, sits at @snd_seq + @sndq; the peer's, if received, at @rcv_seq +
 * @rcvq.
 *
 * Restore, in the order the kernel requires:
 *   tcp_repair_socket()	new socket, then the caller switches repair on
 *   tcp_repair_connect()	bind, TCP_MAXSEG, TCP_TIMESTAMP, TCP_QUEUE_SEQ,
 *				connect() (no SYN in repair mode)
 *   tcp_repair_write()		receive queue, and the sent part of the send
 *				queue: the kernel marks it sent, and
 *				retransmits what the peer did not get
 *   tcp_repair_settle()	TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW; then the
 *				caller switches repair off
 *   tcp_repair_resume()	send the bytes never sent, then our FIN
 *
 * FIN states. Our FIN, sent or not, acknowledged or not, is queued again
 * by shutdown(SHUT_WR) once repair mode is off and the send queue is
 * restored, at its original sequence: the peer takes a FIN it already has
 * as a duplicate and acknowledges it. The peer's FIN cannot be put back
 * into a socket: the restored receive queue ends before it, the peer does
 * not send it again (it was acknowledged), and the owner of the socket
 * keeps TCP_REPAIR_F_FIN_RCVD as its end-of-stream mark.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp_repair.h"
#include "util.h"

/* Most bytes one send() puts into a queue in repair mode: the kernel
 * allocates the receive queue's buffer at once, and fails big ones
 */
#define TCP_REPAIR_WRITE_CHUNK	(64U << 10)

/* Send buffer the kernel's tuning gives a busy socket (tcp_wmem default) */
#define TCP_REPAIR_SNDBUF_BUSY	(4U << 20)

/* A TTL or hop limit no segment from a host stack or a router carries */
#define TCP_REPAIR_TTL_MAX	255

/* Largest TCP_MAXSEG the kernel takes (MAX_TCP_WINDOW) */
#define TCP_REPAIR_USER_MSS_MAX	32767U

/* Smallest chunk tried before giving up on an allocation failure */
#define TCP_REPAIR_WRITE_CHUNK_MIN	4096U

/* Sequence comparisons, modulo 2^32 */
#define SEQ_AFTER(a, b)	((int32_t)((uint32_t)(b) - (uint32_t)(a)) < 0)

/**
 * sockopt_get() - getsockopt() at IPPROTO_TCP of a value of known size
 * @s:		socket
 * @opt:	option
 * @val:	result
 * @len:	its size: the kernel must fill it exactly... or at least this
 *		much for TCP_INFO, which grows with kernel versions
 *
 * Return: 0, or -errno
 */
static int sockopt_get(int s, int opt, void *val, socklen_t len)
{
	socklen_t got = len;

	if (getsockopt(s, IPPROTO_TCP, opt, val, &got))
		return -errno;
	return got < len ? -EIO : 0;
}

/**
 * sockopt_set() - setsockopt() at IPPROTO_TCP
 * @s:		socket
 * @opt:	option
 * @val:	value
 * @len:	its size
 *
 * Return: 0, or -errno
 */
static int sockopt_set(int s, int opt, const void *val, socklen_t len)
{
	return setsockopt(s, IPPROTO_TCP, opt, val, len) ? -errno : 0;
}

/**
 * sockopt_set_int() - setsockopt() at IPPROTO_TCP of an int
 * @s:		socket
 * @opt:	option
 * @v:		value
 *
 * Return: 0, or -errno
 */
static int sockopt_set_int(int s, int opt, int v)
{
	return sockopt_set(s, opt, &v, sizeof(v));
}

/**
 * queue_seq_get() - select a queue and read the sequence at its end
 * @s:		socket, in repair mode
 * @q:		queue
 * @seq:	result: write_seq or rcv_nxt
 *
 * Return: 0, or -errno
 */
static int queue_seq_get(int s, enum tcp_repair_queue_id q, uint32_t *seq)
{
	int rc = sockopt_set_int(s, TCP_REPAIR_QUEUE, (int)q);

	return rc ? rc : sockopt_get(s, TCP_QUEUE_SEQ, seq, sizeof(*seq));
}

/**
 * queue_len_get() - one queue length ioctl
 * @s:		socket
 * @req:	SIOCOUTQ, SIOCOUTQNSD or SIOCINQ
 * @len:	result
 *
 * Return: 0, or -errno
 */
static int queue_len_get(int s, unsigned long req, uint32_t *len)
{
	int v;

	if (ioctl(s, req, &v))
		return -errno;
	if (v < 0)
		return -EIO;
	*len = (uint32_t)v;
	return 0;
}

/**
 * addrs_get() - bound and peer address of a connected socket
 * @s:		socket
 * @st:		state: @local, @lport, @remote, @rport are set
 *
 * Return: 0, or -errno
 */
static int addrs_get(int s, struct tcp_repair_state *st)
{
	union sockaddr_inany sa = { 0 };
	socklen_t sl = sizeof(sa);

	if (getsockname(s, &sa.sa, &sl))
		return -errno;
	if (inany_from_sockaddr(&st->local, &st->lport, &sa))
		return -EAFNOSUPPORT;
	sl = sizeof(sa);
	if (getpeername(s, &sa.sa, &sl))
		return -errno;
	if (inany_from_sockaddr(&st->remote, &st->rport, &sa))
		return -EAFNOSUPPORT;
	return 0;
}

/**
 * fin_flags() - FIN flags a TCP state implies
 * @state:	kernel TCP state
 *
 * Return: TCP_REPAIR_F_FIN_QUEUED and TCP_REPAIR_F_FIN_RCVD as they apply,
 *	   or -1 for a state that cannot be migrated
 */
static int fin_flags(int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
		return 0;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		return TCP_REPAIR_F_FIN_QUEUED;
	case TCP_CLOSE_WAIT:
		return TCP_REPAIR_F_FIN_RCVD;
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		return TCP_REPAIR_F_FIN_QUEUED | TCP_REPAIR_F_FIN_RCVD;
	default:
		return -1;
	}
}

/**
 * queues_derive() - data lengths and first sequences from the kernel's view
 * @st:		state, with @state and the FIN flags set
 * @outq:	SIOCOUTQ: write_seq - snd_una, our FIN included if unacked
 * @nsd:	SIOCOUTQNSD: write_seq - snd_nxt, our FIN included if unsent
 * @inq:	SIOCINQ: data in the receive queue
 * @write_seq:	end of the send queue
 * @rcv_nxt:	end of the receive queue
 *
 * Return: 0, or -EPROTO if the figures do not add up
 */
static int queues_derive(struct tcp_repair_state *st, uint32_t outq,
			 uint32_t nsd, uint32_t inq, uint32_t write_seq,
			 uint32_t rcv_nxt)
{
	bool fin_q = st->flags & TCP_REPAIR_F_FIN_QUEUED;
	bool fin_acked = st->state == TCP_FIN_WAIT2;

	if (nsd > outq)
		return -EPROTO;
	st->sndq = outq;
	st->notsent = nsd;
	if (fin_q && !fin_acked) {
		if (!outq)
			return -EPROTO;
		st->sndq--;
		if (nsd)
			st->notsent--;
	}
	if (fin_q && !nsd)
		st->flags |= TCP_REPAIR_F_FIN_SENT;
	if (fin_acked && outq)
		return -EPROTO;
	st->snd_seq = write_seq - st->sndq - (fin_q ? 1 : 0);

	st->rcvq = inq;
	st->rcv_seq = rcv_nxt - inq -
		      ((st->flags & TCP_REPAIR_F_FIN_RCVD) ? 1 : 0);
	return 0;
}

/**
 * dump_conn() - read a socket's state but its queues
 * @s:		socket, in repair mode
 * @st:		result: state, options, MSS, clock and window
 * @wnd:	result: the window as the kernel gives it
 *
 * Return: 0, -ENOTCONN for a state that cannot be migrated, or -errno
 */
static int dump_conn(int s, struct tcp_repair_state *st,
		     struct tcp_repair_window *wnd)
{
	struct tcp_info ti;
	int rc, fin;

	memset(st, 0, sizeof(*st));
	if ((rc = sockopt_get(s, TCP_INFO, &ti, sizeof(ti))))
		return rc;
	if ((fin = fin_flags(ti.tcpi_state)) < 0)
		return -ENOTCONN;
	st->state = ti.tcpi_state;
	st->flags = (uint8_t)fin;
	if (ti.tcpi_options & TCPI_OPT_SACK)
		st->flags |= TCP_REPAIR_F_SACK;
	if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS)
		st->flags |= TCP_REPAIR_F_TS;
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		st->flags |= TCP_REPAIR_F_WS;
		st->snd_wscale = ti.tcpi_snd_wscale;
		st->rcv_wscale = ti.tcpi_rcv_wscale;
	}

	if ((rc = sockopt_get(s, TCP_MAXSEG, &st->mss, sizeof(st->mss))))
		return rc;
	if ((st->flags & TCP_REPAIR_F_TS) &&
	    (rc = sockopt_get(s, TCP_TIMESTAMP, &st->timestamp,
			      sizeof(st->timestamp))))
		return rc;
	if ((rc = sockopt_get(s, TCP_REPAIR_WINDOW, wnd, sizeof(*wnd))))
		return rc;
	st->snd_wl1 = wnd->snd_wl1;
	st->snd_wnd = wnd->snd_wnd;
	st->max_window = wnd->max_window;
	st->rcv_wnd = wnd->rcv_wnd;
	st->rcv_wup = wnd->rcv_wup;
	return 0;
}

/**
 * dump_queues() - read a socket's queue figures and addresses
 * @s:		socket, in repair mode
 * @st:		state, with @state and the FIN flags set: queues and
 *		addresses are added
 *
 * Leaves the receive queue selected.
 *
 * Return: 0, -EPROTO for figures that do not add up, or -errno
 */
static int dump_queues(int s, struct tcp_repair_state *st)
{
	uint32_t outq = 0, nsd = 0, inq = 0, write_seq = 0, rcv_nxt = 0;
	int rc;

	if ((rc = queue_len_get(s, SIOCOUTQ, &outq)) ||
	    (rc = queue_len_get(s, SIOCOUTQNSD, &nsd)) ||
	    (rc = queue_len_get(s, SIOCINQ, &inq)) ||
	    (rc = queue_seq_get(s, TCP_REPAIR_SEND_QUEUE, &write_seq)) ||
	    (rc = queue_seq_get(s, TCP_REPAIR_RECV_QUEUE, &rcv_nxt)))
		return rc;
	if ((rc = queues_derive(st, outq, nsd, inq, write_seq, rcv_nxt)))
		return rc;
	return addrs_get(s, st);
}

/**
 * send_window_set() - set the send window of a socket in repair mode
 * @s:		socket
 * @wnd:	its window, as the kernel gives it
 * @snd_wnd:	send window to set, the rest of @wnd unchanged
 *
 * Return: 0, or -errno
 */
static int send_window_set(int s, struct tcp_repair_window wnd,
			   uint32_t snd_wnd)
{
	wnd.snd_wnd = snd_wnd;
	return sockopt_set(s, TCP_REPAIR_WINDOW, &wnd, sizeof(wnd));
}

/**
 * repair_dump() - read the kernel state of a socket in repair mode
 * @s:		socket, in repair mode
 * @st:		result: the window as it was before any closing
 * @close_wnd:	close the send window, so that the socket sends no new data
 *		from the dump on (see the top of this file); on failure, it
 *		is as it was
 *
 * Leaves the receive queue selected.
 *
 * Return: 0, -ENOTCONN for a state that cannot be migrated (not
 *	   connected, closing down), -EPROTO for figures that do not add up,
 *	   other -errno from the kernel
 */
static int repair_dump(int s, struct tcp_repair_state *st, bool close_wnd)
{
	struct tcp_repair_window wnd;
	int rc;

	if ((rc = dump_conn(s, st, &wnd)))
		return rc;
	/* No new data from here on, before the send queue is read */
	if (close_wnd && (rc = send_window_set(s, wnd, 0)))
		return rc;
	if ((rc = dump_queues(s, st)) && close_wnd)
		send_window_set(s, wnd, st->snd_wnd);
	return rc;
}

/**
 * tcp_repair_dump() - read the kernel state of a socket in repair mode
 * @s:		socket, in repair mode
 * @st:		result
 *
 * Leaves the receive queue selected.
 *
 * Return: as repair_dump()
 */
int tcp_repair_dump(int s, struct tcp_repair_state *st)
{
	return repair_dump(s, st, false);
}

/**
 * tcp_repair_freeze_dump() - read the state of a frozen socket, and stop it
 *			      from sending new data for good
 * @s:		socket, in repair mode, muted
 * @st:		result, with the send window as it was
 *
 * Its state then stays as dumped: closing the send window before the send
 * queue is read keeps the kernel's timers from sending more of it (see the
 * top of this file). A socket that is thawed after this gets its window
 * back from tcp_repair_window_reopen().
 *
 * Return: as repair_dump()
 */
int tcp_repair_freeze_dump(int s, struct tcp_repair_state *st)
{
	return repair_dump(s, st, true);
}

/**
 * tcp_repair_window_reopen() - give a frozen socket its send window back
 * @s:		socket, in repair mode, dumped by tcp_repair_freeze_dump()
 * @snd_wnd:	its send window, as dumped
 *
 * For a socket that stays here (the migration failed): without it, only a
 * segment of the peer would open the window again, which an established
 * socket draws with its repair-off window probe, and one closing down only
 * with a zero-window probe, after a retransmission timeout.
 *
 * Return: 0, or -errno
 */
int tcp_repair_window_reopen(int s, uint32_t snd_wnd)
{
	struct tcp_repair_window wnd;
	int rc;

	if ((rc = sockopt_get(s, TCP_REPAIR_WINDOW, &wnd, sizeof(wnd))))
		return rc;
	return send_window_set(s, wnd, snd_wnd);
}

/**
 * min_ttl_set() - drop, or stop dropping, segments below a TTL (hop limit)
 * @s:		socket
 * @ttl:	smallest TTL taken, 0 for any
 *
 * IPv4 segments reach an IPv6 socket too (v4-mapped), so both limits are
 * set on those.
 *
 * Return: 0, or -errno
 */
static int min_ttl_set(int s, int ttl)
{
	socklen_t sl = sizeof(int);
	int domain;

	if (setsockopt(s, IPPROTO_IP, IP_MINTTL, &ttl, sizeof(ttl)))
		return -errno;
	if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &sl))
		return -errno;
	if (domain == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &ttl, sizeof(ttl)))
		return -errno;
	return 0;
}

/**
 * tcp_repair_mute() - make a frozen socket deaf: drop whatever the peer sends
 * @s:		socket, in repair mode
 *
 * Repair mode stops the kernel from sending data, not from taking and
 * acknowledging what the peer sends: header prediction queues in-order
 * data whatever the receive window, and bytes taken after the queues were
 * read would be acknowledged here and lost to the restored socket. With
 * the smallest TTL (hop limit) taken set to 255 (RFC 5082's check, no
 * privilege needed), the kernel drops every segment that crossed a router
 * or came from a host stack (which starts from 64) right after looking up
 * the socket, before TCP sees it: nothing is queued, acknowledged or
 * answered, and the peer sends it again to wherever the connection is
 * restored. The socket still exists, so no RST answers the peer either.
 *
 * Return: 0, or -errno
 */
int tcp_repair_mute(int s)
{
	return min_ttl_set(s, TCP_REPAIR_TTL_MAX);
}

/**
 * tcp_repair_unmute() - take tcp_repair_mute() back: any TTL again
 * @s:		socket
 *
 * Return: 0, or -errno
 */
int tcp_repair_unmute(int s)
{
	return min_ttl_set(s, 0);
}

/**
 * tcp_repair_thawed() - give back what leaving repair mode took away
 * @s:		socket, repair mode off
 *
 * The kernel forces SO_REUSEADDR on in repair mode and clears it when
 * repair mode ends, whatever it was before: without it, the socket (then
 * its TIME_WAIT) keeps a listener, such as the next daemon's, from its
 * local port.
 *
 * Return: 0, or -errno
 */
int tcp_repair_thawed(int s)
{
	int one = 1;

	return setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ?
	       -errno : 0;
}

/**
 * tcp_repair_peek() - copy the bytes of one queue, leaving them queued
 * @s:		socket, in repair mode
 * @q:		queue
 * @buf:	destination
 * @len:	its size: the kernel copies a send queue whole, so this must
 *		be at least the queue's length
 *
 * Return: bytes copied, or -errno
 */
ssize_t tcp_repair_peek(int s, enum tcp_repair_queue_id q, uint8_t *buf,
			size_t len)
{
	int off = -1, none = -1, rc;
	socklen_t sl = sizeof(off);
	ssize_t n;

	if (!len)
		return 0;
	if ((rc = sockopt_set_int(s, TCP_REPAIR_QUEUE, (int)q)))
		return rc;
	/* A peek offset (SO_PEEK_OFF) would skip the head of the queue, and
	 * move: switch it off for this peek, and put it back
	 */
	if (getsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, &sl))
		off = -1;
	if (off >= 0)
		setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none));
	do
		n = recv(s, buf, len, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? errno : 0;
	if (off >= 0)
		setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	if (n < 0)
		return rc == EAGAIN ? 0 : -rc;
	return n;
}

/**
 * tcp_repair_socket() - a new socket of the right family for a state
 * @st:		state
 *
 * Return: non-blocking socket, or -errno
 */
int tcp_repair_socket(const struct tcp_repair_state *st)
{
	int s = socket(inany_af(&st->local), SOCK_STREAM | SOCK_NONBLOCK |
					     SOCK_CLOEXEC, IPPROTO_TCP);

	return s < 0 ? -errno : s;
}

/**
 * tcp_repair_connect() - bind, set sequences and clock, connect silently
 * @s:		new socket from tcp_repair_socket(), in repair mode
 * @st:		state to restore
 *
 * Return: 0, or -errno (-EADDRINUSE, -EADDRNOTAVAIL: the local address is
 *	   taken or not on this host)
 */
int tcp_repair_connect(int s, const struct tcp_repair_state *st)
{
	uint32_t snd = st->snd_seq, rcv = st->rcv_seq;
	union sockaddr_inany sa;
	socklen_t sl;
	int rc;

	sl = inany_to_sockaddr(&sa, &st->local, st->lport);
	if (bind(s, &sa.sa, sl))
		return -errno;
	/* Without the peer's clock base, its PAWS check drops our segments */
	if ((st->flags & TCP_REPAIR_F_TS) &&
	    (rc = sockopt_set(s, TCP_TIMESTAMP, &st->timestamp,
			      sizeof(st->timestamp))))
		return rc;
	/* connect() sizes segments from the MSS clamp it finds, and
	 * TCP_REPAIR_OPTIONS sets the clamp later without sizing them again:
	 * the default clamp (536) would stay. A user MSS is the clamp
	 * connect() starts from, if the kernel takes the value (up to
	 * TCP_REPAIR_USER_MSS_MAX)
	 */
	if (st->mss <= TCP_REPAIR_USER_MSS_MAX &&
	    (rc = sockopt_set_int(s, TCP_MAXSEG, (int)st->mss)))
		return rc;
	if ((rc = sockopt_set_int(s, TCP_REPAIR_QUEUE,
				  TCP_REPAIR_SEND_QUEUE)) ||
	    (rc = sockopt_set(s, TCP_QUEUE_SEQ, &snd, sizeof(snd))) ||
	    (rc = sockopt_set_int(s, TCP_REPAIR_QUEUE,
				  TCP_REPAIR_RECV_QUEUE)) ||
	    (rc = sockopt_set(s, TCP_QUEUE_SEQ, &rcv, sizeof(rcv))))
		return rc;
	sl = inany_to_sockaddr(&sa, &st->remote, st->rport);
	if (connect(s, &sa.sa, sl))
		return -errno;
	return 0;
}

/**
 * tcp_repair_write() - append bytes to one queue of a socket in repair mode
 * @s:		socket, connected by tcp_repair_connect(), in repair mode
 * @q:		queue: the receive queue, or the send queue for bytes that
 *		were sent (they are marked sent, not transmitted now)
 * @buf:	bytes
 * @len:	their number
 *
 * A large write is split, and split further when the kernel cannot
 * allocate a buffer for it.
 *
 * Return: bytes written, fewer than @len when the socket's buffer is full,
 *	   or -errno if nothing could be written
 */
ssize_t tcp_repair_write(int s, enum tcp_repair_queue_id q,
			 const uint8_t *buf, size_t len)
{
	size_t done = 0, chunk = TCP_REPAIR_WRITE_CHUNK;
	int rc;

	if (!len)
		return 0;
	if ((rc = sockopt_set_int(s, TCP_REPAIR_QUEUE, (int)q)))
		return rc;
	while (done < len) {
		ssize_t n = send(s, buf + done, MIN(chunk, len - done),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if ((errno == ENOMEM || errno == ENOBUFS) &&
		    chunk > TCP_REPAIR_WRITE_CHUNK_MIN) {
			chunk /= 2;
			continue;
		}
		if (errno == EAGAIN || done)
			break;
		return -errno;
	}
	return (ssize_t)done;
}

/**
 * tcp_repair_sndbuf_fit() - make a socket's send buffer take a whole queue
 * @s:		socket, connected by tcp_repair_connect()
 * @bytes:	send queue bytes it must take at once
 *
 * A new socket's buffer is sized for a few segments, while the original's
 * had grown with its traffic: without room, the send queue cannot go back
 * in one go. Setting the size fixes it for the life of the socket (the
 * kernel stops tuning it), so this is done only when needed, and then to
 * at least what the kernel's tuning gives a busy socket by default
 * (tcp_wmem: 4 MiB), or the connection would go on slower than before;
 * beyond net.core.wmem_max it takes CAP_NET_ADMIN (SO_SNDBUFFORCE).
 *
 * Return: 0 if the buffer has room for @bytes, else -ENOBUFS
 */
int tcp_repair_sndbuf_fit(int s, size_t bytes)
{
	/* Segment overhead: buffers are accounted with their metadata */
	int want = (int)MIN(MAX(bytes * 2, TCP_REPAIR_SNDBUF_BUSY),
			    (size_t)INT_MAX / 2), have;
	socklen_t sl = sizeof(have);

	if (getsockopt(s, SOL_SOCKET, SO_SNDBUF, &have, &sl))
		return -errno;
	if ((size_t)have / 2 >= bytes)
		return 0;
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	sl = sizeof(have);
	if (getsockopt(s, SOL_SOCKET, SO_SNDBUF, &have, &sl))
		return -errno;
	return (size_t)have / 2 >= bytes ? 0 : -ENOBUFS;
}

/**
 * tcp_repair_settle() - options and windows, once the queues are written
 * @s:		socket in repair mode, queues restored
 * @st:		state to restore
 *
 * Return: 0, or -errno
 */
int tcp_repair_settle(int s, const struct tcp_repair_state *st)
{
	uint32_t rcv_nxt = st->rcv_seq + st->rcvq;
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window wnd;
	unsigned int n = 0;
	int rc;

	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, st->mss };
	if (st->flags & TCP_REPAIR_F_WS)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
			st->snd_wscale | (uint32_t)st->rcv_wscale << 16 };
	if (st->flags & TCP_REPAIR_F_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (st->flags & TCP_REPAIR_F_TS)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if ((rc = sockopt_set(s, TCP_REPAIR_OPTIONS, opts,
			      (socklen_t)(n * sizeof(opts[0])))))
		return rc;

	/* The peer's FIN, if any, is not restored: rcv_nxt is one short of
	 * where the window was last advertised from, and of the sequence of
	 * the peer's segments after its FIN, which updated the send window
	 * last: the kernel refuses both beyond rcv_nxt (+ rcv_wnd, which is
	 * 0 when our receive buffer was full)
	 */
	wnd = (struct tcp_repair_window){
		SEQ_AFTER(st->snd_wl1, rcv_nxt + st->rcv_wnd) ? rcv_nxt :
							       st->snd_wl1,
		st->snd_wnd, st->max_window, st->rcv_wnd,
		SEQ_AFTER(st->rcv_wup, rcv_nxt) ? rcv_nxt : st->rcv_wup,
	};
	return sockopt_set(s, TCP_REPAIR_WINDOW, &wnd, sizeof(wnd));
}

/**
 * tcp_repair_resume() - after repair mode: send the bytes never sent
 * @s:		restored socket, repair mode off
 * @notsent:	bytes to send: the tail of the send queue that was never
 *		sent, and any earlier part tcp_repair_write() did not take
 * @len:	their number
 *
 * Return: bytes the socket took, or -errno if it took none. Once all are
 *	   taken, tcp_repair_shutdown() queues our FIN if there was one.
 */
ssize_t tcp_repair_resume(int s, const uint8_t *notsent, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(s, notsent + done, len - done,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || done))
			break;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/**
 * tcp_repair_shutdown() - queue our FIN again, if the state had one
 * @s:		restored socket, repair mode off, send queue complete
 * @st:		its state
 *
 * Return: 0, or -errno
 */
int tcp_repair_shutdown(int s, const struct tcp_repair_state *st)
{
	if (!(st->flags & TCP_REPAIR_F_FIN_QUEUED))
		return 0;
	return shutdown(s, SHUT_WR) ? -errno : 0;
}

/* Checks of a state read from elsewhere (a migration stream) */

/**
 * addr_check() - refuse an address no connection can have
 * @a:		address
 *
 * Return: NULL if acceptable, else what is wrong with it
 */
static const char *addr_check(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (inany_is_unspecified(a))
		return "unspecified";
	if (v4 && (IN_MULTICAST(ntohl(v4->s_addr)) ||
		   v4->s_addr == htonl(INADDR_BROADCAST)))
		return "multicast or broadcast";
	if (!v4 && IN6_IS_ADDR_MULTICAST(&a->a6))
		return "multicast";
	return NULL;
}

/**
 * state_check_addrs() - check the endpoints of a state
 * @st:		state
 *
 * Return: NULL if acceptable, else what is wrong
 */
static const char *state_check_addrs(const struct tcp_repair_state *st)
{
	if (addr_check(&st->local))
		return "local address is unspecified, multicast or broadcast";
	if (addr_check(&st->remote))
		return "remote address is unspecified, multicast or broadcast";
	if (inany_af(&st->local) != inany_af(&st->remote))
		return "local and remote addresses of different families";
	if (!st->lport || !st->rport)
		return "port 0";
	return NULL;
}

/**
 * state_check_options() - check state, flags, scales, MSS
 * @st:		state
 *
 * Return: NULL if acceptable, else what is wrong
 */
static const char *state_check_options(const struct tcp_repair_state *st)
{
	int fin = fin_flags(st->state);

	if (fin < 0)
		return "TCP state cannot be migrated";
	if (st->flags & ~TCP_REPAIR_F_ALL)
		return "unknown flags";
	if ((st->flags & (TCP_REPAIR_F_FIN_QUEUED | TCP_REPAIR_F_FIN_RCVD)) !=
	    fin)
		return "FIN flags do not match the TCP state";
	if ((st->flags & TCP_REPAIR_F_FIN_SENT) &&
	    !(st->flags & TCP_REPAIR_F_FIN_QUEUED))
		return "FIN sent but not queued";
	if (st->snd_wscale > TCP_REPAIR_WSCALE_MAX ||
	    st->rcv_wscale > TCP_REPAIR_WSCALE_MAX)
		return "window scale above 14";
	if (!(st->flags & TCP_REPAIR_F_WS) &&
	    (st->snd_wscale || st->rcv_wscale))
		return "window scale without window scaling";
	if (!(st->flags & TCP_REPAIR_F_TS) && st->timestamp)
		return "timestamp clock without timestamps";
	if (st->mss < TCP_REPAIR_MSS_MIN || st->mss > TCP_REPAIR_MSS_MAX)
		return "MSS out of range";
	return NULL;
}

/**
 * state_check_queues() - check queue lengths, windows and sequences
 * @st:		state
 *
 * Return: NULL if acceptable, else what is wrong
 */
static const char *state_check_queues(const struct tcp_repair_state *st)
{
	bool fin_sent = st->flags & TCP_REPAIR_F_FIN_SENT;
	uint32_t rcv_nxt = st->rcv_seq + st->rcvq +
			   ((st->flags & TCP_REPAIR_F_FIN_RCVD) ? 1 : 0);

	if (st->sndq > TCP_REPAIR_QUEUE_MAX || st->rcvq > TCP_REPAIR_QUEUE_MAX)
		return "queue longer than the limit";
	if (st->notsent > st->sndq)
		return "more bytes unsent than queued";
	if (fin_sent && st->notsent)
		return "FIN sent before queued data";
	if (st->state == TCP_FIN_WAIT2 && st->sndq)
		return "data queued after the FIN was acknowledged";
	if (st->snd_wnd > TCP_REPAIR_WND_MAX ||
	    st->max_window > TCP_REPAIR_WND_MAX ||
	    st->rcv_wnd > TCP_REPAIR_WND_MAX)
		return "window above the largest a scale allows";
	if (st->snd_wnd > st->max_window)
		return "send window above its maximum";
	/* What the kernel checks when the window is set back */
	if (SEQ_AFTER(st->snd_wl1, rcv_nxt + st->rcv_wnd))
		return "window update sequence beyond the receive window";
	if (SEQ_AFTER(st->rcv_wup, rcv_nxt) ||
	    rcv_nxt - st->rcv_wup > TCP_REPAIR_WND_MAX)
		return "receive window base not just before the receive queue end";
	return NULL;
}

/**
 * tcp_repair_state_check() - check that a state can be restored as it is
 * @st:		state, from an untrusted source
 *
 * Return: NULL if it can, else what is wrong with it
 */
const char *tcp_repair_state_check(const struct tcp_repair_state *st)
{
	const char *bad;

	if ((bad = state_check_addrs(st)) || (bad = state_check_options(st)))
		return bad;
	return state_check_queues(st);
}
