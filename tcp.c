// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp.c - TCP translation between guest segments and host sockets
 *
 * Each guest connection is an ordinary host socket, and the daemon speaks
 * TCP to the guest on its behalf, keeping no stream data of its own:
 *
 * - host to guest: data is read with MSG_PEEK, at the socket's peek offset
 *   (SO_PEEK_OFF), which always stands at the first byte not yet sent to the
 *   guest. It leaves the socket (recv() with MSG_TRUNC) only when the guest
 *   acknowledges it, so a retransmission is a rewind of the peek offset;
 * - guest to host: a segment is acknowledged only as far as send() took it,
 *   and the window advertised to the guest is the socket's free send buffer.
 *
 * So every byte not yet acknowledged to either side is in a kernel queue.
 * Sequence numbers towards the guest are kept as SND.UNA (seq_ack_from_tap),
 * SND.NXT (seq_to_tap) and RCV.NXT (seq_from_tap), see tcp_conn.h.
 *
 * One timer per connection (struct tcp_conn.timer_at), checked by the flow
 * table's timer walk, covers the handshake, retransmission, zero-window
 * probes and the idle timeout.
 */

#include <errno.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include "flow.h"
#include "fwd.h"
#include "ip.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "util.h"

#define TCP_WS_TO_TAP		7	/* our shift: windows up to 8 MiB */
#define TCP_WND_MAX		((uint32_t)65535 << TCP_WS_TO_TAP)
#define TCP_TS_OPT_LEN		12	/* NOP, NOP, kind 8, length 10 */
#define TCP_HDR_MAX		(TCP_HDR_LEN + 40)
#define TCP_PAYLOAD_MAX		(65535 - IP4_HDR_LEN - TCP_HDR_LEN)
#define TCP_FRAMES		32	/* segments filled by one peek */
#define TCP_DUP_ACKS		3	/* duplicate ACKs that mean a loss */
#define TCP_RTO_MS		250	/* first retransmission timeout */
#define TCP_RTO_MAX_MS		8000
#define TCP_RTO_RETRIES		12	/* then the guest is gone: reset */
#define TCP_HANDSHAKE_RETRIES		6
#define TCP_PROBE_MAX_MS	30000	/* zero-window probe interval cap */
#define TCP_IDLE_TIMEOUT_MS	(2ULL * 3600 * 1000)
#define TCP_ACCEPT_BATCH	64
#define TCP_DISCARD_MAX		(1 << 20)	/* in flight without SO_PEEK_OFF */

/**
 * enum tcp_timer_kind - what a connection's timer stands for
 * @TCP_TIMER_HANDSHAKE:	connect() or the handshake with the guest
 * @TCP_TIMER_RTO:		data or FIN sent, not acknowledged
 * @TCP_TIMER_PENDING:		nothing in flight, data waiting: zero window
 *				probe, or retry after the guest link was full
 * @TCP_TIMER_IDLE:		nothing outstanding
 * @TCP_TIMER_ADOPTED:		restored by a migration: tell the guest our
 *				window, send what waits, once its rings run
 * @TCP_TIMER_REARM:		expired or just attached: the next update sets
 *				the deadline from the state, keeping the count
 *				of tries so that backoff and give-up work
 */
enum tcp_timer_kind {
	TCP_TIMER_HANDSHAKE = 0,
	TCP_TIMER_RTO,
	TCP_TIMER_PENDING,
	TCP_TIMER_IDLE,
	TCP_TIMER_ADOPTED,
	TCP_TIMER_REARM,
};

/* A segment buffer: room for the header right before the payload */
struct tcp_frame {
	uint8_t hdr[TCP_HDR_MAX];
	uint8_t data[TCP_PAYLOAD_MAX];
};

static struct tcp_frame tcp_frames[TCP_FRAMES];
static bool tcp_peek_off_ok;
static uint8_t tcp_discard[TCP_DISCARD_MAX];

/**
 * put16() - store a 16-bit value in network order at any alignment
 * @p:		destination
 * @v:		value, host order
 */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * put32() - store a 32-bit value in network order at any alignment
 * @p:		destination
 * @v:		value, host order
 */
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/**
 * tcp_ts_now() - our timestamp clock for a connection
 * @conn:	connection
 *
 * Return: timestamp value, milliseconds
 */
static uint32_t tcp_ts_now(const struct tcp_conn *conn)
{
	return (uint32_t)now_ms() + conn->ts_offset;
}

/**
 * tcp_payload_max() - largest payload of one segment to the guest
 * @conn:	connection
 *
 * Return: bytes, the MSS less the options every segment carries
 */
static size_t tcp_payload_max(const struct tcp_conn *conn)
{
	size_t mss = conn->mss;

	if (conn->flags & TCP_F_TS)
		mss -= TCP_TS_OPT_LEN;
	return MIN(mss, (size_t)TCP_PAYLOAD_MAX);
}

/**
 * tcp_mss_local() - the MSS we announce: what the link MTU allows
 * @c:		execution context
 * @conn:	connection, for its address family
 *
 * Return: MSS in bytes
 */
static uint16_t tcp_mss_local(const struct ctx *c, const struct tcp_conn *conn)
{
	int ip_hdr = inany_v4(&conn->f.tap.local) ? IP4_HDR_LEN : IP6_HDR_LEN;
	int mtu = c->mtu > 0 ? c->mtu : 65520;

	return (uint16_t)MIN(mtu - ip_hdr - TCP_HDR_LEN, TCP_PAYLOAD_MAX);
}

/**
 * tcp_sock_space() - free space of the socket's send buffer
 * @conn:	connection
 *
 * The kernel takes a write while the memory queued (payload and overhead)
 * is below the buffer size, and grows the buffer with the peer's congestion
 * window once writes hit that limit (autotuning).
 *
 * Return: bytes send() would take now, about
 */
static uint32_t tcp_sock_space(const struct tcp_conn *conn)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mem);
	uint32_t sndbuf, queued;

	if (getsockopt(conn->sock, SOL_SOCKET, SO_MEMINFO, mem, &sl) ||
	    sl < (SK_MEMINFO_WMEM_QUEUED + 1) * sizeof(uint32_t))
		return 0;
	sndbuf = mem[SK_MEMINFO_SNDBUF];
	queued = mem[SK_MEMINFO_WMEM_QUEUED];
	if (queued >= sndbuf)
		return 0;
	return MIN(sndbuf - queued, TCP_WND_MAX);
}

/**
 * tcp_wnd_field() - window field value for a segment, updating wnd_to_tap
 * @c:		execution context
 * @conn:	connection
 * @syn:	a SYN segment, whose window is never scaled
 *
 * Return: the 16-bit field
 */
static uint16_t tcp_wnd_field(const struct ctx *c, struct tcp_conn *conn,
			      bool syn)
{
	uint32_t wnd = conn->sock >= 0 && !(conn->flags & TCP_F_CONNECTING) ?
		       tcp_sock_space(conn) : 65535;
	unsigned int shift;
	uint32_t field;

	/* Avoid silly windows: a sliver of a window is no window at all */
	if (wnd < MIN((uint32_t)tcp_mss_local(c, conn), 4096U))
		wnd = 0;
	/* A SYN's window is never scaled */
	shift = !syn && (conn->flags & TCP_F_WS) ? conn->ws_to_tap : 0;
	field = MIN(wnd >> shift, 65535);
	conn->wnd_to_tap = field << shift;
	return (uint16_t)field;
}

/**
 * tcp_epoll_ref() - epoll reference of a connection's socket
 * @conn:	connection
 *
 * Return: reference
 */
static union epoll_ref tcp_epoll_ref(const struct tcp_conn *conn)
{
	union epoll_ref ref = {
		.type = EPOLL_TYPE_TCP,
		.fd = conn->sock,
		.index = flow_idx((const union flow *)conn),
	};

	return ref;
}

/**
 * tcp_epoll_events() - epoll events a connection's socket waits for
 * @conn:	connection
 *
 * Return: event mask, edge-triggered: a socket whose data waits for the
 *	   guest's window does not wake the loop again and again
 */
static uint32_t tcp_epoll_events(const struct tcp_conn *conn)
{
	if (conn->flags & TCP_F_CONNECTING)
		return EPOLLOUT | EPOLLET;
	return EPOLLIN | EPOLLRDHUP | EPOLLET |
	       ((conn->flags & TCP_F_WANT_OUT) ? EPOLLOUT : 0);
}

/**
 * tcp_want_out() - wait, or stop waiting, for room in the send buffer
 * @c:		execution context
 * @conn:	connection
 * @on:		whether to wait for EPOLLOUT
 */
static void tcp_want_out(const struct ctx *c, struct tcp_conn *conn, bool on)
{
	if (!!(conn->flags & TCP_F_WANT_OUT) == on)
		return;
	if (on)
		conn->flags |= TCP_F_WANT_OUT;
	else
		conn->flags &= ~TCP_F_WANT_OUT;
	epoll_mod_ref(c, conn->sock, tcp_epoll_events(conn),
		      tcp_epoll_ref(conn));
}

/**
 * tcp_opts_fill() - write the options of a segment to the guest
 * @c:		execution context
 * @conn:	connection
 * @flags:	segment flags: a SYN carries MSS, window scale and timestamps
 * @opt:	where the options go, up to 40 bytes
 *
 * Return: length of the options, a multiple of 4
 */
static size_t tcp_opts_fill(const struct ctx *c, const struct tcp_conn *conn,
			    uint8_t flags, uint8_t *opt)
{
	bool syn = flags & TCP_SYN, ack = flags & TCP_ACK;
	bool inbound_syn = syn && !ack;
	size_t n = 0;

	if (syn) {
		opt[n++] = 2;
		opt[n++] = 4;
		put16(opt + n, tcp_mss_local(c, conn));
		n += 2;
		if (inbound_syn || (conn->flags & TCP_F_WS)) {
			opt[n++] = 1;
			opt[n++] = 3;
			opt[n++] = 3;
			opt[n++] = TCP_WS_TO_TAP;
		}
	}
	if ((conn->flags & TCP_F_TS) || inbound_syn) {
		opt[n++] = 1;
		opt[n++] = 1;
		opt[n++] = 8;
		opt[n++] = 10;
		put32(opt + n, tcp_ts_now(conn));
		put32(opt + n + 4, inbound_syn ? 0 : conn->ts_recent);
		n += 8;
	}
	return n;
}

/**
 * tcp_segment_send() - build the header of a segment in place and send it
 * @c:		execution context
 * @conn:	connection
 * @flags:	TCP flags
 * @seq:	sequence number
 * @data:	payload, with at least TCP_HDR_MAX bytes of room before it
 * @len:	payload length
 *
 * Return: 0 on success, negative error code from the framing or transport
 */
static int tcp_segment_send(const struct ctx *c, struct tcp_conn *conn,
			    uint8_t flags, uint32_t seq, uint8_t *data,
			    size_t len)
{
	uint8_t opt[40];
	size_t optlen = tcp_opts_fill(c, conn, flags, opt);
	size_t hlen = TCP_HDR_LEN + optlen;
	uint8_t *th = data - hlen;

	put16(th, conn->f.tap.rport);
	put16(th + 2, conn->f.tap.lport);
	put32(th + 4, seq);
	put32(th + 8, (flags & TCP_ACK) ? conn->seq_from_tap : 0);
	th[12] = (uint8_t)((hlen / 4) << 4);
	th[13] = flags;
	put16(th + 14, tcp_wnd_field(c, conn, flags & TCP_SYN));
	memset(th + 16, 0, 4);
	memcpy(th + TCP_HDR_LEN, opt, optlen);

	if (flags & TCP_ACK)
		conn->seq_ack_to_tap = conn->seq_from_tap;
	if (!conn->wnd_to_tap && !(flags & TCP_RST) &&
	    !(conn->flags & TCP_F_CONNECTING))
		tcp_want_out(c, conn, true);	/* window update once room */
	return fwd_send_to_guest(c, &conn->f.tap, IPPROTO_TCP, th, hlen + len);
}

/**
 * tcp_send_flags() - send a segment without payload to the guest
 * @c:		execution context
 * @conn:	connection
 * @flags:	TCP flags; SYN and FIN take a sequence number
 * @seq:	sequence number
 *
 * Return: 0 on success, negative error code
 */
static int tcp_send_flags(const struct ctx *c, struct tcp_conn *conn,
			  uint8_t flags, uint32_t seq)
{
	uint8_t buf[TCP_HDR_MAX];

	return tcp_segment_send(c, conn, flags, seq, buf + sizeof(buf), 0);
}

/**
 * tcp_send_ack() - acknowledge the guest's data, with the current window
 * @c:		execution context
 * @conn:	connection
 */
static void tcp_send_ack(const struct ctx *c, struct tcp_conn *conn)
{
	tcp_send_flags(c, conn, TCP_ACK, conn->seq_to_tap);
}

/**
 * tcp_rst_reply() - answer a segment that has no connection with an RST
 * @c:		execution context
 * @tap:	tap side of the segment (local: guest)
 * @seg:	the segment (RFC 9293, 3.10.7.1)
 */
static void tcp_rst_reply(const struct ctx *c, const struct flowside *tap,
			  const struct tcp_seg *seg)
{
	uint8_t th[TCP_HDR_LEN] = { 0 };
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_RST;

	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		seq = seg->ack;
	} else {
		ack = seg->seq + (uint32_t)seg->len +
		      !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
		flags |= TCP_ACK;
	}

	put16(th, tap->rport);
	put16(th + 2, tap->lport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (TCP_HDR_LEN / 4) << 4;
	th[13] = flags;
	fwd_send_to_guest(c, tap, IPPROTO_TCP, th, sizeof(th));
}

/**
 * tcp_timer_kind_now() - what the connection's timer should stand for
 * @conn:	connection
 *
 * Return: enum tcp_timer_kind
 */
static enum tcp_timer_kind tcp_timer_kind_now(const struct tcp_conn *conn)
{
	if (!(conn->flags & TCP_F_ESTABLISHED))
		return TCP_TIMER_HANDSHAKE;
	if (conn->seq_to_tap != conn->seq_ack_from_tap)
		return TCP_TIMER_RTO;
	if (conn->flags & TCP_F_WND_FULL)
		return TCP_TIMER_PENDING;
	return TCP_TIMER_IDLE;
}

/**
 * tcp_backoff_ms() - timeout after a number of unanswered tries
 * @retries:	tries so far
 * @max_ms:	cap
 *
 * Return: milliseconds
 */
static uint64_t tcp_backoff_ms(unsigned int retries, uint64_t max_ms)
{
	return MIN((uint64_t)TCP_RTO_MS << MIN(retries, 16U), max_ms);
}

/**
 * tcp_timer_update() - set the connection's deadline after some event
 * @conn:	connection
 * @progress:	the guest acknowledged something, or the state changed
 *
 * A retransmission timer already running keeps its deadline unless there
 * was progress: new data sent must not postpone the retransmission of old.
 */
static void tcp_timer_update(struct tcp_conn *conn, bool progress)
{
	enum tcp_timer_kind kind = tcp_timer_kind_now(conn);
	uint64_t now = now_ms();

	if (kind == conn->timer_kind && !progress &&
	    (kind == TCP_TIMER_RTO || kind == TCP_TIMER_HANDSHAKE ||
	     kind == TCP_TIMER_PENDING))
		return;

	if (kind != conn->timer_kind && kind != TCP_TIMER_HANDSHAKE &&
	    conn->timer_kind != TCP_TIMER_REARM)
		conn->retries = 0;
	conn->timer_kind = (uint8_t)kind;
	if (kind == TCP_TIMER_IDLE)
		conn->timer_at = now + TCP_IDLE_TIMEOUT_MS;
	else
		conn->timer_at = now + tcp_backoff_ms(conn->retries,
					kind == TCP_TIMER_PENDING ?
					TCP_PROBE_MAX_MS : TCP_RTO_MAX_MS);
}

/**
 * tcp_conn_close() - close the socket and end the flow
 * @c:		execution context
 * @conn:	connection
 * @rst_sock:	abort the host side with an RST instead of closing it
 */
static void tcp_conn_close(const struct ctx *c, struct tcp_conn *conn,
			   bool rst_sock)
{
	if (conn->sock >= 0) {
		if (rst_sock) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(conn->sock, SOL_SOCKET, SO_LINGER,
				   &lg, sizeof(lg));
		}
		epoll_del_fd(c, conn->sock);
		close(conn->sock);
		conn->sock = -1;
	}
	flow_close((union flow *)conn);
}

/**
 * tcp_conn_reset() - abort a connection on both sides
 * @c:		execution context
 * @conn:	connection
 * @why:	reason, for the debug log
 */
static void tcp_conn_reset(const struct ctx *c, struct tcp_conn *conn,
			   const char *why)
{
	debug("tcp: flow %u: reset: %s", flow_idx((union flow *)conn), why);
	if (conn->flags & (TCP_F_CONNECTING | TCP_F_SYN_TO_TAP |
			   TCP_F_ESTABLISHED))
		tcp_send_flags(c, conn, TCP_RST | TCP_ACK, conn->seq_to_tap);
	tcp_conn_close(c, conn, true);
}

/**
 * tcp_peek_off_set() - move the socket's peek offset
 * @conn:	connection
 * @off:	bytes from the head of the receive queue
 *
 * Return: 0 on success, -1 on failure
 */
static int tcp_peek_off_set(const struct tcp_conn *conn, uint32_t off)
{
	int v = (int)off;

	if (!tcp_peek_off_ok)
		return 0;
	return setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v));
}

/**
 * tcp_peek() - peek socket data from an offset into segment buffers
 * @conn:	connection
 * @off:	offset from the head of the receive queue, where the socket's
 *		peek offset stands (ignored with SO_PEEK_OFF support)
 * @iov:	buffers, with one slot free before the first for a discard
 * @cnt:	number of buffers after the free slot
 *
 * Return: bytes peeked into the buffers, 0 at end of stream, -errno
 */
static ssize_t tcp_peek(const struct tcp_conn *conn, uint32_t off,
			struct iovec *iov, size_t cnt)
{
	struct msghdr mh = { .msg_iov = iov + 1, .msg_iovlen = cnt };
	ssize_t n;

	if (!tcp_peek_off_ok && off) {
		/* No peek offset in this kernel: read past what was sent */
		iov[0].iov_base = tcp_discard;
		iov[0].iov_len = off;
		mh.msg_iov = iov;
		mh.msg_iovlen = cnt + 1;
	}
	do
		n = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (mh.msg_iov == iov)
		n = n > (ssize_t)off ? n - (ssize_t)off : 0;
	return n;
}

/**
 * tcp_in_flight() - data bytes sent to the guest and not acknowledged
 * @conn:	connection
 *
 * Return: bytes, not counting a FIN
 */
static uint32_t tcp_in_flight(const struct tcp_conn *conn)
{
	uint32_t n = conn->seq_to_tap - conn->seq_ack_from_tap;

	if ((conn->flags & TCP_F_FIN_TO_TAP) && n)
		n--;
	return n;
}

/**
 * tcp_seq_sent() - move the next sequence number past what was just sent
 * @conn:	connection
 * @len:	sequence space used: payload bytes, or 1 for a SYN or FIN
 */
static void tcp_seq_sent(struct tcp_conn *conn, uint32_t len)
{
	conn->seq_to_tap += len;
	if (SEQ_GT(conn->seq_to_tap, conn->seq_max_to_tap))
		conn->seq_max_to_tap = conn->seq_to_tap;
}

/**
 * tcp_fin_to_tap() - send our FIN once the host peer's stream ended
 * @c:		execution context
 * @conn:	connection
 *
 * A FIN the guest link has no room for is not counted as sent: it waits for
 * tcp_tap_room(), not for a retransmission timeout that would move every
 * such connection in one burst, too large for the room there is.
 */
static void tcp_fin_to_tap(const struct ctx *c, struct tcp_conn *conn)
{
	int ret;

	conn->flags |= TCP_F_SOCK_EOF;
	ret = tcp_send_flags(c, conn, TCP_FIN | TCP_ACK, conn->seq_to_tap);
	if (tap_no_room(ret)) {
		conn->flags |= TCP_F_TAP_WAIT | TCP_F_WND_FULL;
		return;
	}
	conn->flags |= TCP_F_FIN_TO_TAP | TCP_F_FIN_SENT;
	tcp_seq_sent(conn, 1);
}

/**
 * tcp_frames_to_tap() - send peeked data as segments to the guest
 * @c:		execution context
 * @conn:	connection
 * @n:		bytes in tcp_frames[], filled segment by segment
 * @seg_max:	payload per frame
 *
 * Return: true if all went out; on a transport failure, the peek offset is
 *	   moved back to the first segment not sent, and false returned
 */
static bool tcp_frames_to_tap(const struct ctx *c, struct tcp_conn *conn,
			      size_t n, size_t seg_max)
{
	size_t i, off;

	for (i = 0, off = 0; off < n; i++, off += seg_max) {
		size_t len = MIN(seg_max, n - off);
		uint8_t flags = TCP_ACK | (off + len == n ? TCP_PSH : 0);

		int ret = tcp_segment_send(c, conn, flags, conn->seq_to_tap,
					   tcp_frames[i].data, len);

		if (ret) {
			tcp_peek_off_set(conn, tcp_in_flight(conn));
			conn->flags |= TCP_F_WND_FULL |
				       (tap_no_room(ret) ? TCP_F_TAP_WAIT : 0);
			return false;
		}
		tcp_seq_sent(conn, (uint32_t)len);
	}
	return true;
}

/**
 * tcp_data_from_sock() - send host data to the guest, as the window allows
 * @c:		execution context
 * @conn:	connection
 */
static void tcp_data_from_sock(const struct ctx *c, struct tcp_conn *conn)
{
	size_t seg_max = tcp_payload_max(conn);
	struct iovec iov[TCP_FRAMES + 1];

	if (!(conn->flags & TCP_F_ESTABLISHED)) {
		conn->flags |= TCP_F_WND_FULL;	/* sent once established */
		return;
	}
	if (conn->flags & TCP_F_FIN_TO_TAP)
		return;

	conn->flags &= ~TCP_F_WND_FULL;
	for (;;) {
		uint32_t in_flight = tcp_in_flight(conn), room;
		size_t cnt, left;
		ssize_t n;

		if (in_flight >= conn->wnd_from_tap ||
		    (!tcp_peek_off_ok && in_flight >= TCP_DISCARD_MAX)) {
			conn->flags |= TCP_F_WND_FULL;
			break;
		}
		room = MIN(conn->wnd_from_tap - in_flight,
			   (uint32_t)(TCP_FRAMES * seg_max));
		if (!tcp_peek_off_ok)
			room = MIN(room, TCP_DISCARD_MAX - in_flight);

		for (cnt = 0, left = room; left; cnt++) {
			iov[cnt + 1].iov_base = tcp_frames[cnt].data;
			iov[cnt + 1].iov_len = MIN(left, seg_max);
			left -= iov[cnt + 1].iov_len;
		}

		n = tcp_peek(conn, in_flight, iov, cnt);
		if (n == -EAGAIN && (conn->flags & TCP_F_SOCK_EOF)) {
			/* Restored after the peer's FIN, which the socket
			 * cannot hold: the end is where its data ends
			 */
			tcp_fin_to_tap(c, conn);
			break;
		}
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tcp_conn_reset(c, conn, strerror((int)-n));
			return;
		}
		if (!n) {
			tcp_fin_to_tap(c, conn);
			break;
		}
		if (!tcp_frames_to_tap(c, conn, (size_t)n, seg_max))
			break;
	}
	tcp_timer_update(conn, false);
}

/**
 * tcp_retransmit_first() - resend the oldest unacknowledged segment
 * @c:		execution context
 * @conn:	connection
 *
 * Fast retransmission on duplicate ACKs: only the segment the guest is
 * missing goes again; the peek offset returns where it was.
 */
static void tcp_retransmit_first(const struct ctx *c, struct tcp_conn *conn)
{
	uint32_t in_flight = tcp_in_flight(conn);
	size_t len = MIN(tcp_payload_max(conn), (size_t)in_flight);
	struct iovec iov[2];
	ssize_t n;

	if (!in_flight) {
		if (conn->flags & TCP_F_FIN_TO_TAP)
			tcp_send_flags(c, conn, TCP_FIN | TCP_ACK,
				       conn->seq_ack_from_tap);
		return;
	}

	if (tcp_peek_off_set(conn, 0))
		return;
	iov[1].iov_base = tcp_frames[0].data;
	iov[1].iov_len = len;
	n = tcp_peek(conn, 0, iov, 1);
	tcp_peek_off_set(conn, in_flight);
	if (n <= 0)
		return;
	trace("tcp: flow %u: fast retransmit of %zd bytes at %u",
	      flow_idx((union flow *)conn), n, conn->seq_ack_from_tap);
	tcp_segment_send(c, conn, TCP_ACK | TCP_PSH, conn->seq_ack_from_tap,
			 tcp_frames[0].data, (size_t)n);
}

/**
 * tcp_rewind() - go back to the oldest unacknowledged byte (go-back-N)
 * @conn:	connection
 *
 * Return: 0 on success, -1 if the peek offset can't be moved
 */
static int tcp_rewind(struct tcp_conn *conn)
{
	if (tcp_peek_off_set(conn, 0))
		return -1;
	conn->seq_to_tap = conn->seq_ack_from_tap;
	conn->flags &= ~TCP_F_FIN_TO_TAP;
	conn->dup_acks = 0;
	return 0;
}

/**
 * tcp_ack_from_tap() - take the guest's acknowledgement and window
 * @c:		execution context
 * @conn:	established connection
 * @seg:	segment with ACK set
 *
 * Acknowledged data leaves the socket's receive queue only now. After a
 * rewind, the guest may acknowledge data sent before it: anything up to
 * @seq_max_to_tap is valid.
 *
 * Return: 0 on success, -1 if the ACK is for data never sent (drop)
 */
static int tcp_ack_from_tap(const struct ctx *c, struct tcp_conn *conn,
			    const struct tcp_seg *seg)
{
	uint32_t wnd = (uint32_t)seg->wnd << conn->ws_from_tap;
	uint32_t acked, data;

	if (SEQ_GT(seg->ack, conn->seq_max_to_tap))
		return -1;
	if ((conn->flags & TCP_F_TS) && seg->ts &&
	    SEQ_LE(seg->seq, conn->seq_ack_to_tap))
		conn->ts_recent = seg->tsval;
	if (SEQ_LT(seg->ack, conn->seq_ack_from_tap))
		return 0;	/* an old ACK, overtaken */

	acked = seg->ack - conn->seq_ack_from_tap;
	if (!acked) {
		bool dup = !seg->len && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
			   wnd == conn->wnd_from_tap &&
			   conn->seq_to_tap != conn->seq_ack_from_tap;

		conn->wnd_from_tap = wnd;
		if (dup && conn->dup_acks < UINT8_MAX &&
		    ++conn->dup_acks == TCP_DUP_ACKS)
			tcp_retransmit_first(c, conn);
		return 0;
	}

	data = acked;
	if ((conn->flags & TCP_F_FIN_SENT) &&
	    seg->ack == conn->seq_max_to_tap) {
		conn->flags |= TCP_F_FIN_ACKED | TCP_F_FIN_TO_TAP;
		data--;
	}
	if (data) {
		ssize_t n = recv(conn->sock, NULL, data,
				 MSG_TRUNC | MSG_DONTWAIT);

		if (n != (ssize_t)data) {
			tcp_conn_reset(c, conn, "acknowledged data vanished");
			return -1;
		}
	}
	conn->seq_ack_from_tap = seg->ack;
	if (SEQ_GT(seg->ack, conn->seq_to_tap)) {
		/* Sent before a rewind, and received: go on from there */
		conn->seq_to_tap = seg->ack;
		tcp_peek_off_set(conn, 0);
	}
	conn->wnd_from_tap = wnd;
	conn->dup_acks = 0;
	conn->retries = 0;
	tcp_timer_update(conn, true);
	return 0;
}

/**
 * tcp_data_from_tap() - write the guest's data and FIN to the socket
 * @c:		execution context
 * @conn:	established connection
 * @seg:	segment
 *
 * Return: 0 on success, -1 if the connection was reset
 */
static int tcp_data_from_tap(const struct ctx *c, struct tcp_conn *conn,
			     const struct tcp_seg *seg)
{
	bool fin = seg->flags & TCP_FIN;
	uint32_t skip, end = seg->seq + (uint32_t)seg->len;
	size_t n;
	ssize_t sent = 0;

	if (!seg->len && !fin) {
		/* A window probe or keepalive: say where we are */
		if (SEQ_LT(seg->seq, conn->seq_from_tap))
			tcp_send_ack(c, conn);
		return 0;
	}

	if (SEQ_GT(seg->seq, conn->seq_from_tap)) {
		trace("tcp: flow %u: out of order segment %u, expected %u",
		      flow_idx((union flow *)conn), seg->seq,
		      conn->seq_from_tap);
		tcp_send_ack(c, conn);
		return 0;
	}
	skip = conn->seq_from_tap - seg->seq;
	if ((conn->flags & TCP_F_FIN_FROM_TAP) || SEQ_LT(end, conn->seq_from_tap) ||
	    (skip == seg->len && !fin) || skip > seg->len) {
		tcp_send_ack(c, conn);	/* all of it seen already */
		return 0;
	}

	n = seg->len - skip;
	if (n) {
		do
			sent = send(conn->sock, seg->data + skip, n,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			tcp_conn_reset(c, conn, strerror(errno));
			return -1;
		}
		if (sent < 0)
			sent = 0;
		conn->seq_from_tap += (uint32_t)sent;
	}

	if ((size_t)sent < n) {
		tcp_want_out(c, conn, true);	/* window update when room */
	} else if (fin) {
		shutdown(conn->sock, SHUT_WR);
		conn->seq_from_tap++;
		conn->flags |= TCP_F_FIN_FROM_TAP;
	}
	tcp_send_ack(c, conn);
	return 0;
}

/**
 * tcp_conn_check_close() - close the connection once both FINs are acked
 * @c:		execution context
 * @conn:	connection
 *
 * Return: true if it was closed
 */
static bool tcp_conn_check_close(const struct ctx *c, struct tcp_conn *conn)
{
	if ((conn->flags & TCP_F_FIN_ACKED) &&
	    (conn->flags & TCP_F_FIN_FROM_TAP)) {
		debug("tcp: flow %u: closed", flow_idx((union flow *)conn));
		tcp_conn_close(c, conn, false);
		return true;
	}
	return false;
}

/**
 * tcp_opts_agree() - take the guest's SYN options: MSS, scaling, timestamps
 * @c:		execution context
 * @conn:	connection
 * @seg:	the guest's SYN or SYN-ACK
 */
static void tcp_opts_agree(const struct ctx *c, struct tcp_conn *conn,
			   const struct tcp_seg *seg)
{
	uint16_t mss = seg->mss ? seg->mss : TCP_MSS_DEFAULT;

	conn->mss = MIN(mss, tcp_mss_local(c, conn));
	if (conn->mss < 64)
		conn->mss = 64;
	if (seg->ws >= 0) {
		conn->flags |= TCP_F_WS;
		conn->ws_from_tap = (uint8_t)seg->ws;
		conn->ws_to_tap = TCP_WS_TO_TAP;
	}
	if (seg->ts) {
		conn->flags |= TCP_F_TS;
		conn->ts_recent = seg->tsval;
	}
	conn->wnd_from_tap = seg->wnd;	/* never scaled in a SYN */
}

/**
 * tcp_sock_setup() - options of a connected socket: peek offset, no delay
 * @conn:	connection
 */
static void tcp_sock_setup(struct tcp_conn *conn)
{
	union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
	socklen_t sl = sizeof(sa);
	int one = 1;

	tcp_peek_off_set(conn, 0);
	setsockopt(conn->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!getsockname(conn->sock, &sa.sa, &sl))
		inany_from_sockaddr(&conn->f.sock.local, &conn->f.sock.lport,
				    &sa);
}

/**
 * tcp_isn() - initial sequence number towards the guest
 *
 * Return: random 32-bit number
 */
static uint32_t tcp_isn(void)
{
	uint32_t isn;

	random_bytes(&isn, sizeof(isn));
	return isn;
}

/**
 * tcp_connected() - the host connect() finished: answer the guest's SYN
 * @c:		execution context
 * @conn:	connection
 */
static void tcp_connected(const struct ctx *c, struct tcp_conn *conn)
{
	conn->flags &= ~TCP_F_CONNECTING;
	conn->flags |= TCP_F_SYN_TO_TAP;
	tcp_sock_setup(conn);
	epoll_mod_ref(c, conn->sock, tcp_epoll_events(conn),
		      tcp_epoll_ref(conn));
	tcp_send_flags(c, conn, TCP_SYN | TCP_ACK, conn->seq_ack_from_tap);
	conn->retries = 0;
	tcp_timer_update(conn, true);
}

/**
 * tcp_flow_new() - allocate and set up the common part of a connection
 * @tap:	tap side
 *
 * Return: connection in FLOW_STATE_NEW, or NULL if the table is full
 */
static struct tcp_conn *tcp_flow_new(const struct flowside *tap)
{
	union flow *flow = flow_alloc();
	struct tcp_conn *conn;
	char a[INANY_ADDRSTRLEN];

	if (!flow) {
		err_ratelimit("tcp: flow table full, refusing %s:%u",
			      inany_ntop(&tap->remote, a, sizeof(a)),
			      tap->rport);
		return NULL;
	}
	conn = &flow->tcp;
	conn->f.type = FLOW_TYPE_TCP;
	conn->f.tap = *tap;
	conn->sock = -1;
	conn->seq_to_tap = conn->seq_ack_from_tap = tcp_isn();
	conn->seq_max_to_tap = conn->seq_to_tap;
	random_bytes(&conn->ts_offset, sizeof(conn->ts_offset));
	return conn;
}

/**
 * tcp_conn_open() - a guest SYN: connect to the host target
 * @c:		execution context
 * @tap:	tap side of the SYN
 * @seg:	the SYN
 */
static void tcp_conn_open(struct ctx *c, const struct flowside *tap,
			  const struct tcp_seg *seg)
{
	struct tcp_conn *conn = tcp_flow_new(tap);
	union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
	socklen_t sl;
	int s;

	if (!conn) {
		tcp_rst_reply(c, tap, seg);
		return;
	}

	if (!fwd_nat_outbound(c, &tap->remote, tap->rport,
			      &conn->f.sock.remote)) {
		trace("tcp: SYN to an address not reachable from here");
		tcp_rst_reply(c, tap, seg);
		flow_close((union flow *)conn);
		return;
	}
	conn->f.sock.rport = tap->rport;
	s = fwd_sock_outbound(c, SOCK_STREAM, 0, &conn->f.sock.remote);
	if (s < 0) {
		err_ratelimit("tcp: can't open socket: %s", strerror(-s));
		tcp_rst_reply(c, tap, seg);
		flow_close((union flow *)conn);
		return;
	}
	conn->sock = s;
	conn->flags = TCP_F_CONNECTING;
	tcp_opts_agree(c, conn, seg);
	conn->seq_from_tap = seg->seq + 1;
	conn->seq_ack_to_tap = conn->seq_from_tap;
	tcp_seq_sent(conn, 1);	/* our SYN */

	if (epoll_add_ref(c, s, tcp_epoll_events(conn), tcp_epoll_ref(conn))) {
		tcp_rst_reply(c, tap, seg);
		tcp_conn_close(c, conn, false);
		return;
	}
	flow_hash_insert((union flow *)conn);

	sl = inany_to_sockaddr(&sa, &conn->f.sock.remote, conn->f.sock.rport);
	if (!connect(s, &sa.sa, sl))
		tcp_connected(c, conn);
	else if (errno != EINPROGRESS)
		tcp_conn_reset(c, conn, strerror(errno));
	else
		tcp_timer_update(conn, true);
}

/**
 * tcp_input_no_flow() - a guest segment that matches no connection
 * @c:		execution context
 * @tap:	its tap side
 * @seg:	the segment
 */
static void tcp_input_no_flow(struct ctx *c, const struct flowside *tap,
			      const struct tcp_seg *seg)
{
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		tcp_conn_open(c, tap, seg);
		return;
	}
	tcp_rst_reply(c, tap, seg);
}

/**
 * tcp_rst_from_tap() - the guest reset the connection
 * @c:		execution context
 * @conn:	connection
 * @seg:	the RST
 */
static void tcp_rst_from_tap(const struct ctx *c, struct tcp_conn *conn,
			     const struct tcp_seg *seg)
{
	bool ok;

	if (!(conn->flags & TCP_F_ESTABLISHED) &&
	    (conn->flags & TCP_F_INBOUND))
		ok = (seg->flags & TCP_ACK) && seg->ack == conn->seq_to_tap;
	else
		ok = SEQ_GE(seg->seq, conn->seq_from_tap) &&
		     SEQ_LE(seg->seq, conn->seq_from_tap +
				      MAX(conn->wnd_to_tap, 1U));
	if (!ok) {
		trace("tcp: flow %u: RST out of window, dropped",
		      flow_idx((union flow *)conn));
		return;
	}
	debug("tcp: flow %u: reset by guest", flow_idx((union flow *)conn));
	tcp_conn_close(c, conn, true);
}

/**
 * tcp_handshake_from_tap() - a segment before the connection is established
 * @c:		execution context
 * @conn:	connection
 * @seg:	segment, not RST
 *
 * Return: true if the segment was fully handled here
 */
static bool tcp_handshake_from_tap(const struct ctx *c, struct tcp_conn *conn,
				   const struct tcp_seg *seg)
{
	unsigned int idx = flow_idx((union flow *)conn);

	if (conn->flags & TCP_F_INBOUND) {
		/* We sent the SYN: this must be the guest's SYN-ACK */
		if ((seg->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) ||
		    seg->ack != conn->seq_to_tap) {
			trace("tcp: flow %u: not a SYN-ACK for our SYN", idx);
			return true;
		}
		tcp_opts_agree(c, conn, seg);
		conn->seq_from_tap = seg->seq + 1;
		conn->seq_ack_from_tap = seg->ack;
		conn->flags |= TCP_F_ESTABLISHED;
		tcp_send_ack(c, conn);
		tcp_timer_update(conn, true);
		tcp_data_from_sock(c, conn);
		return true;
	}

	if (seg->flags & TCP_SYN) {
		/* Our SYN-ACK was lost, or the connect() is under way */
		if (seg->seq + 1 == conn->seq_from_tap &&
		    (conn->flags & TCP_F_SYN_TO_TAP))
			tcp_send_flags(c, conn, TCP_SYN | TCP_ACK,
				       conn->seq_ack_from_tap);
		return true;
	}
	if (!(conn->flags & TCP_F_SYN_TO_TAP) || !(seg->flags & TCP_ACK) ||
	    seg->ack != conn->seq_to_tap) {
		trace("tcp: flow %u: unexpected segment in handshake", idx);
		return true;
	}
	conn->seq_ack_from_tap = seg->ack;
	conn->wnd_from_tap = (uint32_t)seg->wnd << conn->ws_from_tap;
	conn->flags |= TCP_F_ESTABLISHED;
	conn->retries = 0;
	tcp_timer_update(conn, true);
	return false;	/* the ACK may carry data */
}

/**
 * tcp_input_conn() - a guest segment for an existing connection
 * @c:		execution context
 * @conn:	connection
 * @seg:	the segment
 */
static void tcp_input_conn(struct ctx *c, struct tcp_conn *conn,
			   const struct tcp_seg *seg)
{
	unsigned int idx = flow_idx((union flow *)conn);

	if (seg->flags & TCP_RST) {
		tcp_rst_from_tap(c, conn, seg);
		return;
	}
	if (!(conn->flags & TCP_F_ESTABLISHED) &&
	    tcp_handshake_from_tap(c, conn, seg))
		return;
	if (seg->flags & TCP_SYN) {
		trace("tcp: flow %u: SYN on an established connection", idx);
		tcp_send_ack(c, conn);
		return;
	}
	if (!(seg->flags & TCP_ACK)) {
		trace("tcp: flow %u: segment without ACK dropped", idx);
		return;
	}
	if (tcp_ack_from_tap(c, conn, seg)) {
		if (flow_at(idx, FLOW_TYPE_TCP))
			trace("tcp: flow %u: ACK %u beyond data sent, dropped",
			      idx, seg->ack);
		return;
	}
	if (tcp_data_from_tap(c, conn, seg))
		return;
	if (tcp_conn_check_close(c, conn))
		return;
	/* Data waiting for the guest's window: it may have opened now */
	if (conn->flags & TCP_F_WND_FULL)
		tcp_data_from_sock(c, conn);
	if (flow_at(idx, FLOW_TYPE_TCP) && !tcp_conn_check_close(c, conn))
		tcp_timer_update(conn, false);
}

/**
 * tcp_input() - a TCP segment from the guest
 * @c:		execution context
 * @af:		AF_INET or AF_INET6
 * @src:	source address (the guest's)
 * @dst:	destination address
 * @l4:		TCP header and payload, checksum verified
 * @l4len:	length of @l4
 *
 * Return: true if consumed (including dropped as invalid), false if TCP is
 *	   disabled
 */
bool tcp_input(struct ctx *c, int af, const union inany_addr *src,
	       const union inany_addr *dst, const uint8_t *l4, size_t l4len)
{
	struct flowside tap;
	struct tcp_seg seg;
	union flow *flow;

	if (c->no_tcp)
		return false;
	if (tcp_seg_parse(l4, l4len, &seg)) {
		trace("tcp: malformed segment from guest (%zu bytes), dropped",
		      l4len);
		return true;
	}
	if ((af == AF_INET) != !!inany_v4(dst) ||
	    inany_is_unspecified(dst) || IN6_IS_ADDR_MULTICAST(&dst->a6) ||
	    (inany_v4(dst) && inany_v4(dst)->s_addr == htonl(INADDR_BROADCAST))) {
		trace("tcp: segment to a non-unicast address, dropped");
		return true;
	}

	memset(&tap, 0, sizeof(tap));
	tap.local = *src;
	tap.remote = *dst;
	tap.lport = seg.sport;
	tap.rport = seg.dport;

	flow = flow_lookup(FLOW_TYPE_TCP, &tap);
	if (flow)
		tcp_input_conn(c, &flow->tcp, &seg);
	else
		tcp_input_no_flow(c, &tap, &seg);
	return true;
}

/**
 * tcp_sock_error() - the error pending on a socket
 * @s:		socket
 *
 * Return: SO_ERROR value, 0 if none
 */
static int tcp_sock_error(int s)
{
	socklen_t sl = sizeof(int);
	int e = 0;

	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &sl))
		return errno;
	return e;
}

/**
 * tcp_sock_handler() - events on a connection's socket
 * @c:		execution context
 * @ref:	epoll reference: flow index and fd
 * @events:	epoll events
 */
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	union flow *flow = flow_at(ref.index, FLOW_TYPE_TCP);
	struct tcp_conn *conn;
	int e;

	if (!flow || flow->tcp.sock != ref.fd)
		return;		/* stale: the flow was closed meanwhile */
	conn = &flow->tcp;

	if (conn->flags & TCP_F_CONNECTING) {
		e = tcp_sock_error(conn->sock);
		if (e)
			tcp_conn_reset(c, conn, strerror(e));
		else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tcp_connected(c, conn);
		return;
	}

	if (events & EPOLLERR) {
		e = tcp_sock_error(conn->sock);
		tcp_conn_reset(c, conn, e ? strerror(e) : "socket error");
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		tcp_data_from_sock(c, conn);
	if (!flow_at(ref.index, FLOW_TYPE_TCP))
		return;
	if ((events & EPOLLOUT) && (conn->flags & TCP_F_WANT_OUT)) {
		tcp_want_out(c, conn, false);
		tcp_send_ack(c, conn);
	}
	tcp_conn_check_close(c, conn);
}

/**
 * tcp_tap_resume() - send what one connection kept for lack of room
 * @c:		execution context
 * @flow:	active TCP flow
 *
 * Return: false if the guest link is full again: the next walk starts here
 */
static bool tcp_tap_resume(struct ctx *c, union flow *flow)
{
	struct tcp_conn *conn = &flow->tcp;
	uint32_t idx = flow_idx(flow);

	if (!(conn->flags & TCP_F_TAP_WAIT))
		return true;
	conn->flags &= ~TCP_F_TAP_WAIT;
	tcp_data_from_sock(c, conn);
	if (!flow_at(idx, FLOW_TYPE_TCP))
		return true;
	if (conn->flags & TCP_F_TAP_WAIT)
		return false;
	tcp_conn_check_close(c, conn);
	return true;
}

/**
 * tcp_tap_room() - the guest link has room again: connections that had
 *		    none send, one after the other, until it is full again
 * @c:		execution context
 *
 * Each walk starts where the last one stopped, so that every waiting
 * connection gets its turn however often the link fills up.
 */
void tcp_tap_room(struct ctx *c)
{
	static uint32_t cursor;

	flow_walk(c, FLOW_TYPE_TCP, &cursor, tcp_tap_resume);
}

/**
 * tcp_conn_inbound() - a connection accepted on a forwarding listener
 * @c:		execution context
 * @s:		accepted socket
 * @peer:	host peer's socket address
 * @guest_port:	guest port the listener forwards to
 */
static void tcp_conn_inbound(struct ctx *c, int s,
			     const union sockaddr_inany *peer,
			     uint16_t guest_port)
{
	union inany_addr paddr;
	struct flowside tap;
	struct tcp_conn *conn;
	uint16_t pport;

	memset(&tap, 0, sizeof(tap));
	if (inany_from_sockaddr(&paddr, &pport, peer) ||
	    fwd_nat_inbound(c, &paddr, &tap)) {
		debug("tcp: inbound connection, but no guest address yet");
		goto refuse;
	}
	tap.lport = guest_port;
	tap.rport = pport;
	if (flow_lookup(FLOW_TYPE_TCP, &tap)) {
		debug("tcp: inbound connection clashes with an existing one");
		goto refuse;
	}
	conn = tcp_flow_new(&tap);
	if (!conn)
		goto refuse;

	conn->sock = s;
	conn->f.sock.remote = paddr;
	conn->f.sock.rport = pport;
	conn->flags = TCP_F_INBOUND | TCP_F_SYN_TO_TAP;
	conn->mss = tcp_mss_local(c, conn);
	conn->wnd_from_tap = 65535;
	tcp_sock_setup(conn);
	if (epoll_add_ref(c, s, tcp_epoll_events(conn), tcp_epoll_ref(conn))) {
		conn->sock = -1;
		flow_close((union flow *)conn);
		goto refuse;
	}
	flow_hash_insert((union flow *)conn);
	tcp_send_flags(c, conn, TCP_SYN, conn->seq_to_tap);
	tcp_seq_sent(conn, 1);
	tcp_timer_update(conn, true);
	return;

refuse:
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s);
	}
}

/**
 * tcp_listen_handler() - new connections on a forwarding listener
 * @c:		execution context
 * @ref:	epoll reference: listener fd, spec and port (see fwd.h)
 * @events:	epoll events
 */
void tcp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	uint16_t guest_port = fwd_guest_port(&c->tcp_fwd, ref.index);
	int i;

	(void)events;
	for (i = 0; i < TCP_ACCEPT_BATCH; i++) {
		union sockaddr_inany sa = { .sa.sa_family = AF_UNSPEC };
		socklen_t sl = sizeof(sa);
		int s = accept4(ref.fd, &sa.sa, &sl,
				SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (s < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				err_ratelimit("tcp: accept: %s",
					      strerror(errno));
			return;
		}
		if (c->no_tcp) {
			close(s);
			continue;
		}
		tcp_conn_inbound(c, s, &sa, guest_port);
	}
}

/**
 * tcp_conn_detach() - take a frozen connection out of the loop and the
 *		       timers: its socket neither sends nor takes data
 * @c:		execution context
 * @conn:	connection, its socket in repair mode
 */
void tcp_conn_detach(const struct ctx *c, struct tcp_conn *conn)
{
	epoll_del_fd(c, conn->sock);
	conn->timer_at = UINT64_MAX;
}

/**
 * tcp_conn_attach() - give a thawed connection back to the loop, and its
 *		       timer, armed again from its state
 * @c:		execution context
 * @conn:	connection, detached by tcp_conn_detach() or new
 *
 * Return: 0, or -1 if its socket cannot be watched (the caller ends it)
 */
int tcp_conn_attach(const struct ctx *c, struct tcp_conn *conn)
{
	if (epoll_add_ref(c, conn->sock, tcp_epoll_events(conn),
			  tcp_epoll_ref(conn)))
		return -1;
	conn->timer_kind = TCP_TIMER_REARM;
	tcp_timer_update(conn, true);
	return 0;
}

/**
 * tcp_conn_adopt() - take a socket restored by a migration into the loop
 * @c:		execution context
 * @conn:	connection, with the daemon's view carried by the migration
 *		(data the guest did not acknowledge is to be sent again)
 * @s:		socket, connected, repair mode off
 *
 * The guest's rings start only once the device state is loaded: the first
 * timer walk, right after, sends the guest an ACK with the current window
 * and whatever data waits for it.
 *
 * Return: 0, or -1 if the socket cannot be watched (the caller ends it)
 */
int tcp_conn_adopt(const struct ctx *c, struct tcp_conn *conn, int s)
{
	conn->sock = s;
	/* Data may wait for the guest: the guest's first ACK looks for it */
	conn->flags &= ~TCP_F_WANT_OUT;
	conn->flags |= TCP_F_WND_FULL;
	conn->retries = conn->dup_acks = 0;
	tcp_sock_setup(conn);
	if (tcp_conn_attach(c, conn)) {
		conn->sock = -1;
		return -1;
	}
	conn->timer_kind = TCP_TIMER_ADOPTED;
	conn->timer_at = now_ms();
	return 0;
}

/**
 * tcp_timer_expired() - the connection's deadline passed
 * @c:		execution context
 * @conn:	connection
 */
static void tcp_timer_expired(struct ctx *c, struct tcp_conn *conn)
{
	switch ((enum tcp_timer_kind)conn->timer_kind) {
	case TCP_TIMER_HANDSHAKE:
		if (++conn->retries > TCP_HANDSHAKE_RETRIES) {
			tcp_conn_reset(c, conn, "handshake timed out");
			return;
		}
		if (conn->flags & TCP_F_SYN_TO_TAP)
			tcp_send_flags(c, conn, (conn->flags & TCP_F_INBOUND) ?
				       TCP_SYN : TCP_SYN | TCP_ACK,
				       conn->seq_ack_from_tap);
		break;
	case TCP_TIMER_RTO:
		if (++conn->retries > TCP_RTO_RETRIES) {
			tcp_conn_reset(c, conn, "guest stopped acknowledging");
			return;
		}
		trace("tcp: flow %u: timeout, retransmitting from %u",
		      flow_idx((union flow *)conn), conn->seq_ack_from_tap);
		if (tcp_rewind(conn)) {
			tcp_conn_reset(c, conn, "can't rewind peek offset");
			return;
		}
		tcp_data_from_sock(c, conn);
		break;
	case TCP_TIMER_PENDING:
		conn->retries = (uint8_t)MIN(conn->retries + 1, 16);
		if (!conn->wnd_from_tap)
			tcp_send_flags(c, conn, TCP_ACK, conn->seq_to_tap - 1);
		else
			tcp_data_from_sock(c, conn);
		break;
	case TCP_TIMER_IDLE:
		tcp_conn_reset(c, conn, "idle timeout");
		return;
	case TCP_TIMER_ADOPTED:
		tcp_send_ack(c, conn);
		tcp_data_from_sock(c, conn);
		if (conn->sock < 0)
			return;
		break;
	case TCP_TIMER_REARM:	/* always set again before a deadline */
		break;
	}
	conn->timer_kind = TCP_TIMER_REARM;
	tcp_timer_update(conn, false);
}

/**
 * tcp_flow_timer() - periodic check of one connection
 * @c:		execution context
 * @flow:	active TCP flow
 * @now:	current time, milliseconds
 */
static void tcp_flow_timer(struct ctx *c, union flow *flow, uint64_t now)
{
	if (now >= flow->tcp.timer_at)
		tcp_timer_expired(c, &flow->tcp);
}

/**
 * tcp_init() - check kernel support, hook the connection timer
 * @c:		execution context
 */
void tcp_init(struct ctx *c)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0;

	(void)c;
	tcp_peek_off_ok = s >= 0 && !setsockopt(s, SOL_SOCKET, SO_PEEK_OFF,
						&zero, sizeof(zero));
	if (s >= 0)
		close(s);
	if (!tcp_peek_off_ok)
		warn("tcp: no SO_PEEK_OFF for TCP (Linux < 6.9): data in "
		     "flight to the guest limited to %u bytes",
		     TCP_DISCARD_MAX);
	flow_timer_handler_set(FLOW_TYPE_TCP, tcp_flow_timer);
}
