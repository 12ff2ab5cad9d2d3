// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_migrate.c - migration sections of the flow table and TCP connections
 *
 * Source: prepare() of the flow table section freezes every established
 * TCP connection at once (TCP_REPAIR on, batched through repair.c); the
 * flow table section lists the frozen connections, then the UDP flows; the
 * TCP connections section gives, in the same order, the daemon's view of
 * each and its kernel state (tcp_repair.c); the TCP queues section carries
 * the queue bytes, a chunk at a time. On failure every frozen socket is
 * thawed; on success they stay frozen and out of the loop (or are closed,
 * silently, with --migrate-no-linger).
 *
 * Target: the flow table section reserves an entry per connection; each
 * chunk of the TCP connections section becomes new sockets, switched to
 * repair mode in one batch and connected silently; queue bytes are written
 * as they arrive; at the end of the queues section, options and windows are
 * set, repair mode goes off in one batch, the bytes never sent are sent,
 * and each connection joins the flow table and the loop. A connection that
 * cannot be restored is dropped with one log line; the others go on.
 *
 * Layouts: doc/migration.md.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"
#include "log.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "repair.h"
#include "tcp.h"
#include "tcp_migrate.h"
#include "tcp_repair.h"
#include "udp.h"
#include "util.h"
/* The record: big-endian, TCP_MIGRATE_REPAIR_LEN bytes (doc/migration.md) */
#define REC_LOCAL	0
#define REC_REMOTE	16
#define REC_LPORT	32
#define REC_RPORT	34
#define REC_STATE	36
#define REC_FLAGS	37
#define REC_SND_WSCALE	38
#define REC_RCV_WSCALE	39
#define REC_MSS		40
#define REC_TIMESTAMP	44
#define REC_SND_WL1	48
#define REC_SND_WND	52
#define REC_MAX_WINDOW	56
#define REC_RCV_WND	60
#define REC_RCV_WUP	64
#define REC_SND_SEQ	68
#define REC_SNDQ	72
#define REC_NOTSENT	76
#define REC_RCV_SEQ	80
#define REC_RCVQ	84

/**
 * tcp_migrate_state_put() - write a state as a record
 * @buf:	destination, TCP_MIGRATE_REPAIR_LEN bytes
 * @st:		state
 */
void tcp_migrate_state_put(uint8_t *buf, const struct tcp_repair_state *st)
{
	memcpy(buf + REC_LOCAL, &st->local, 16);
	memcpy(buf + REC_REMOTE, &st->remote, 16);
	buf[REC_LPORT] = (uint8_t)(st->lport >> 8);
	buf[REC_LPORT + 1] = (uint8_t)st->lport;
	buf[REC_RPORT] = (uint8_t)(st->rport >> 8);
	buf[REC_RPORT + 1] = (uint8_t)st->rport;
	buf[REC_STATE] = st->state;
	buf[REC_FLAGS] = st->flags;
	buf[REC_SND_WSCALE] = st->snd_wscale;
	buf[REC_RCV_WSCALE] = st->rcv_wscale;
	migrate_put_be32(buf + REC_MSS, st->mss);
	migrate_put_be32(buf + REC_TIMESTAMP, st->timestamp);
	migrate_put_be32(buf + REC_SND_WL1, st->snd_wl1);
	migrate_put_be32(buf + REC_SND_WND, st->snd_wnd);
	migrate_put_be32(buf + REC_MAX_WINDOW, st->max_window);
	migrate_put_be32(buf + REC_RCV_WND, st->rcv_wnd);
	migrate_put_be32(buf + REC_RCV_WUP, st->rcv_wup);
	migrate_put_be32(buf + REC_SND_SEQ, st->snd_seq);
	migrate_put_be32(buf + REC_SNDQ, st->sndq);
	migrate_put_be32(buf + REC_NOTSENT, st->notsent);
	migrate_put_be32(buf + REC_RCV_SEQ, st->rcv_seq);
	migrate_put_be32(buf + REC_RCVQ, st->rcvq);
}

/**
 * tcp_migrate_state_get() - read and check a record
 * @st:		result, meaningful only on success
 * @buf:	record
 * @len:	its length, must be TCP_MIGRATE_REPAIR_LEN
 * @why:	on failure, what is wrong
 * @why_len:	size of @why
 *
 * Return: 0, or -EBADMSG with @why set
 */
int tcp_migrate_state_get(struct tcp_repair_state *st, const uint8_t *buf,
			 size_t len, char *why, size_t why_len)
{
	const char *bad;

	if (len != TCP_MIGRATE_REPAIR_LEN) {
		snprintf(why, why_len, "TCP state record of %zu bytes, expected %d",
			 len, TCP_MIGRATE_REPAIR_LEN);
		return -EBADMSG;
	}
	memcpy(&st->local, buf + REC_LOCAL, 16);
	memcpy(&st->remote, buf + REC_REMOTE, 16);
	st->lport = (uint16_t)(buf[REC_LPORT] << 8 | buf[REC_LPORT + 1]);
	st->rport = (uint16_t)(buf[REC_RPORT] << 8 | buf[REC_RPORT + 1]);
	st->state = buf[REC_STATE];
	st->flags = buf[REC_FLAGS];
	st->snd_wscale = buf[REC_SND_WSCALE];
	st->rcv_wscale = buf[REC_RCV_WSCALE];
	st->mss = migrate_get_be32(buf + REC_MSS);
	st->timestamp = migrate_get_be32(buf + REC_TIMESTAMP);
	st->snd_wl1 = migrate_get_be32(buf + REC_SND_WL1);
	st->snd_wnd = migrate_get_be32(buf + REC_SND_WND);
	st->max_window = migrate_get_be32(buf + REC_MAX_WINDOW);
	st->rcv_wnd = migrate_get_be32(buf + REC_RCV_WND);
	st->rcv_wup = migrate_get_be32(buf + REC_RCV_WUP);
	st->snd_seq = migrate_get_be32(buf + REC_SND_SEQ);
	st->sndq = migrate_get_be32(buf + REC_SNDQ);
	st->notsent = migrate_get_be32(buf + REC_NOTSENT);
	st->rcv_seq = migrate_get_be32(buf + REC_RCV_SEQ);
	st->rcvq = migrate_get_be32(buf + REC_RCVQ);

	if ((bad = tcp_repair_state_check(st))) {
		snprintf(why, why_len, "TCP state record: %s", bad);
		return -EBADMSG;
	}
	return 0;
}

/* Flow table section: one record per migrated flow, TCP first */
#define FLOW_REC_LEN		80
#define FLOW_REC_TCP		1
#define FLOW_REC_UDP		2
#define FLOW_REC_F_SHARED	1U	/* UDP: socket of a forwarding listener */

/* TCP connections section: the daemon's view, then the kernel's */
#define CONN_REC_DAEMON_LEN	40
#define CONN_REC_LEN		(CONN_REC_DAEMON_LEN + TCP_MIGRATE_REPAIR_LEN)
#define CONN_FLAGS_ALL		0x1fffU
#define CONN_FLAGS_V3		0x0fffU	/* version 3: no TCP_F_FIN_SENT */

/* TCP queues section: a header, then the receive and send queue bytes */
#define QUEUE_HDR_LEN		16

/* Records of one kind in a chunk */
#define FLOW_RECS_PER_CHUNK	(MIGRATE_CHUNK_MAX / FLOW_REC_LEN)
#define CONN_RECS_PER_CHUNK	(MIGRATE_CHUNK_MAX / CONN_REC_LEN)

/* Most bytes held on the target for data never sent, all connections */
#define PENDING_MAX		(256U << 20)

/**
 * struct tcp_migrate_source - the source side of one migration
 * @n:		frozen connections
 * @idx:	flow index of each
 * @fds:	socket of each
 * @rcvq:	receive queue bytes of each, as dumped
 * @sndq:	send queue bytes of each, as dumped
 * @snd_wnd:	send window of each, as dumped
 * @wnd_closed:	whether its dump closed its send window
 * @us_state:	time spent reading the kernel states, microseconds
 * @us_queues:	time spent reading the queues, microseconds
 * @buf:	queue bytes of the connection being written
 * @buf_size:	size of @buf
 */
static struct tcp_migrate_source {
	unsigned int n;
	uint32_t idx[FLOW_MAX];
	int fds[FLOW_MAX];
	uint32_t rcvq[FLOW_MAX];
	uint32_t sndq[FLOW_MAX];
	uint32_t snd_wnd[FLOW_MAX];
	bool wnd_closed[FLOW_MAX];
	uint64_t us_state;
	uint64_t us_queues;
	uint8_t *buf;
	size_t buf_size;
} src;

/**
 * struct tcp_migrate_target - the target side of one migration
 * @dry_run:	sections are only checked (inspect, fuzzing)
 * @n:		TCP connections announced by the flow table section
 * @udp:	UDP flows announced
 * @udp_lost:	UDP flows that could not be made again here
 * @conns:	TCP connection records read
 * @q_next:	lowest connection the next queue record may be for
 * @q_active:	a queue record is being read
 * @q_k:	its connection
 * @q_done:	its data bytes read
 * @pending_total: bytes held in @pending, all connections
 * @us_sockets:	time spent making the sockets, microseconds
 * @us_queues:	time spent writing the queues, microseconds
 * @idx:	flow index reserved for each connection
 * @fds:	new socket of each, -1 if none
 * @failed:	why a connection cannot be restored, NULL if it can
 * @st:		kernel state of each
 * @pending:	bytes of each to send after repair mode, NULL if none
 * @connected:	the socket of each is connected
 * @pend_len:	bytes in @pending
 * @repaired:	send queue bytes written in repair mode
 */
static struct tcp_migrate_target {
	bool dry_run;
	unsigned int n;
	unsigned int udp;
	unsigned int udp_lost;
	unsigned int conns;
	unsigned int q_next;
	bool q_active;
	unsigned int q_k;
	uint64_t q_done;
	uint64_t pending_total;
	uint64_t us_sockets;
	uint64_t us_queues;
	uint32_t idx[FLOW_MAX];
	int fds[FLOW_MAX];
	const char *failed[FLOW_MAX];
	struct tcp_repair_state st[FLOW_MAX];
	uint8_t *pending[FLOW_MAX];
	bool connected[FLOW_MAX];
	uint32_t pend_len[FLOW_MAX];
	uint32_t repaired[FLOW_MAX];
} tgt;

/**
 * why_set() - set a section's failure reason
 * @cur:	section cursor
 * @fmt:	reason, printf-style
 *
 * Return: -EBADMSG
 */
__attribute__((format(printf, 2, 3)))
static int why_set(struct migrate_cursor *cur, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur->why, sizeof(cur->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Flow table section */

/**
 * flowside_put() - write one side of a flow: addresses, ports
 * @p:		destination, 36 bytes
 * @side:	flow side
 */
static void flowside_put(uint8_t *p, const struct flowside *side)
{
	memcpy(p, &side->local, 16);
	memcpy(p + 16, &side->remote, 16);
	p[32] = (uint8_t)(side->lport >> 8);
	p[33] = (uint8_t)side->lport;
	p[34] = (uint8_t)(side->rport >> 8);
	p[35] = (uint8_t)side->rport;
}

/**
 * flowside_get() - read one side of a flow
 * @side:	result
 * @p:		source, 36 bytes
 */
static void flowside_get(struct flowside *side, const uint8_t *p)
{
	memcpy(&side->local, p, 16);
	memcpy(&side->remote, p + 16, 16);
	side->lport = (uint16_t)(p[32] << 8 | p[33]);
	side->rport = (uint16_t)(p[34] << 8 | p[35]);
}

/**
 * flowside_check() - refuse a flow side no connection can have
 * @side:	flow side
 * @any_local:	the local address may be unspecified (a UDP listener's)
 *
 * Return: NULL if acceptable, else what is wrong
 */
static const char *flowside_check(const struct flowside *side, bool any_local)
{
	if ((!any_local && inany_is_unspecified(&side->local)) ||
	    inany_is_unspecified(&side->remote))
		return "unspecified address";
	if (inany_af(&side->local) != inany_af(&side->remote))
		return "addresses of different families";
	if (!side->lport || !side->rport)
		return "port 0";
	return NULL;
}

/**
 * now_us() - monotonic clock in microseconds, for the timing lines
 *
 * Return: microseconds since an arbitrary, fixed point
 */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/**
 * source_detach() - take frozen connections out of the loop and the timers
 * @c:		execution context
 *
 * A frozen socket neither sends nor takes data, and the guest's rings are
 * stopped: no event or timer of such a connection may run until it is
 * thawed (source_attach()), or the source ends it. Each socket is muted
 * (tcp_repair_mute()) so that its state stays as it is dumped; where the
 * kernel refuses it, the migration goes on, saying what may be lost.
 */
static void source_detach(const struct ctx *c)
{
	unsigned int k, loud = 0;
	int rc = 0;

	for (k = 0; k < src.n; k++) {
		struct tcp_conn *conn = &flow_at(src.idx[k], FLOW_TYPE_TCP)->tcp;
		int mute_rc = tcp_repair_mute(src.fds[k]);

		tcp_conn_detach(c, conn);
		if (mute_rc) {
			rc = mute_rc;
			loud++;
		}
	}
	if (loud)
		warn("migrate: source: %u TCP connections cannot be muted (IP_MINTTL: %s): what their peers send during the transfer may be acknowledged here, and lost to the target",
		     loud, strerror(-rc));
}

/**
 * source_attach() - give a thawed connection back to the loop and its timer
 * @c:		execution context
 * @k:		connection
 *
 * Return: 0, or -1 if its socket cannot be watched (the caller ends it)
 */
static int source_attach(const struct ctx *c, unsigned int k)
{
	struct tcp_conn *conn = &flow_at(src.idx[k], FLOW_TYPE_TCP)->tcp;

	return tcp_conn_attach(c, conn);
}

/**
 * tcp_migrate_flows_prepare() - freeze every established TCP connection
 * @c:		execution context
 *
 * Without the helper or privilege, or if freezing fails, no TCP connection
 * is carried and the migration goes on without them, saying so.
 *
 * Return: 0
 */
int tcp_migrate_flows_prepare(struct ctx *c)
{
	uint64_t t0 = now_us();
	uint32_t i;
	int rc;

	src.n = 0;
	src.us_state = src.us_queues = 0;
	for (i = 0; i < FLOW_MAX; i++) {
		union flow *f = flow_at(i, FLOW_TYPE_TCP);

		if (!f || f->f.state != FLOW_STATE_ACTIVE || f->tcp.sock < 0 ||
		    !(f->tcp.flags & TCP_F_ESTABLISHED))
			continue;
		src.idx[src.n] = i;
		src.wnd_closed[src.n] = false;
		src.fds[src.n++] = f->tcp.sock;
	}
	if (!src.n)
		return 0;
	if (!repair_available(c)) {
		warn("migrate: source: %u TCP connections cannot be carried: no passt-repair helper connected, and no CAP_NET_ADMIN",
		     src.n);
		src.n = 0;
		return 0;
	}
	rc = repair_set(c, src.fds, src.n, REPAIR_ON);
	if (rc) {
		repair_set(c, src.fds, src.n, REPAIR_OFF);
		warn("migrate: source: %u TCP connections cannot be carried: TCP_REPAIR failed: %s",
		     src.n, strerror(-rc));
		src.n = 0;
		return 0;
	}
	source_detach(c);
	info("migrate: source: %u TCP connections frozen in %.1f ms", src.n,
	     (double)(now_us() - t0) / 1000);
	return 0;
}

/**
 * tcp_migrate_not_carried() - say that a stream version without TCP
 *			       sections leaves the connections here
 * @version:	stream version being written
 */
void tcp_migrate_not_carried(unsigned int version)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < FLOW_MAX; i++) {
		const union flow *f = flow_at(i, FLOW_TYPE_TCP);

		if (f && f->f.state == FLOW_STATE_ACTIVE && f->tcp.sock >= 0 &&
		    (f->tcp.flags & TCP_F_ESTABLISHED))
			n++;
	}
	if (n)
		warn("migrate: source: %u TCP connections cannot be carried: stream version %u has no TCP sections",
		     n, version);
}

/**
 * tcp_migrate_flows_rollback() - the migration failed: thaw every socket
 * @c:		execution context
 */
void tcp_migrate_flows_rollback(struct ctx *c)
{
	static int fds[FLOW_MAX];
	unsigned int k, m = 0, lost = 0;
	uint64_t t0 = now_us();

	for (k = 0; k < src.n; k++) {
		union flow *f = flow_at(src.idx[k], FLOW_TYPE_TCP);

		if (f && src.fds[k] >= 0) {
			if (src.wnd_closed[k])
				tcp_repair_window_reopen(src.fds[k],
							 src.snd_wnd[k]);
			/* Hear the peer again before the window probe */
			tcp_repair_unmute(src.fds[k]);
			fds[m++] = src.fds[k];
			continue;
		}
		/* Closed early (--migrate-no-linger), or ended: gone */
		lost++;
		if (f) {
			f->tcp.sock = -1;
			flow_close(f);
		}
	}
	if (lost)
		warn("migrate: source: %u TCP connections already closed for the target are lost",
		     lost);
	if (m && repair_set(c, fds, m, REPAIR_OFF))
		err("migrate: source: thawing %u TCP connections failed", m);
	for (k = 0; k < src.n; k++) {
		union flow *f = flow_at(src.idx[k], FLOW_TYPE_TCP);

		if (!f || src.fds[k] < 0)
			continue;
		tcp_repair_thawed(src.fds[k]);
		if (!source_attach(c, k))
			continue;
		err("migrate: source: TCP connection %u: cannot watch its socket again: reset",
		    k);
		setsockopt(src.fds[k], SOL_SOCKET, SO_LINGER,
			   &(struct linger){ 1, 0 }, sizeof(struct linger));
		close(src.fds[k]);
		f->tcp.sock = -1;
		flow_close(f);
	}
	if (m)
		info("migrate: source: %u TCP connections thawed in %.1f ms", m,
		     (double)(now_us() - t0) / 1000);
	src.n = 0;
	free(src.buf);
	src.buf = NULL;
	src.buf_size = 0;
}

/**
 * flow_rec_put() - write the record of one flow
 * @p:		destination, FLOW_REC_LEN bytes
 * @f:		flow
 */
static void flow_rec_put(uint8_t *p, const union flow *f)
{
	memset(p, 0, FLOW_REC_LEN);
	p[0] = f->f.type == FLOW_TYPE_TCP ? FLOW_REC_TCP : FLOW_REC_UDP;
	if (f->f.type == FLOW_TYPE_UDP && f->udp.shared)
		p[1] = FLOW_REC_F_SHARED;
	flowside_put(p + 4, &f->f.tap);
	flowside_put(p + 40, &f->f.sock);
}

/**
 * udp_next() - the next active UDP flow from an index on
 * @from:	first index to look at, updated past the flow found
 *
 * Return: the flow, or NULL if there is none
 */
static const union flow *udp_next(uint64_t *from)
{
	for (; *from < FLOW_MAX; (*from)++) {
		const union flow *f = flow_at((uint32_t)*from, FLOW_TYPE_UDP);

		if (f && f->f.state == FLOW_STATE_ACTIVE) {
			(*from)++;
			return f;
		}
	}
	return NULL;
}

/**
 * tcp_migrate_flows_source() - write flow records: frozen TCP, then UDP
 * @c:		execution context
 * @cur:	@item: TCP records written; @part: next flow index for UDP
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once the section is complete
 */
ssize_t tcp_migrate_flows_source(struct ctx *c, struct migrate_cursor *cur,
				 uint8_t *buf, size_t size)
{
	size_t len = 0;

	(void)c;
	while (len + FLOW_REC_LEN <= size) {
		const union flow *f;

		if (cur->item < src.n)
			f = flow_at(src.idx[cur->item++], FLOW_TYPE_TCP);
		else if (!(f = udp_next(&cur->part)))
			break;
		flow_rec_put(buf + len, f);
		len += FLOW_REC_LEN;
	}
	return (ssize_t)len;
}

/**
 * flow_rec_check() - check one flow record
 * @cur:	section cursor, for the reason
 * @p:		record
 * @tap:	result: tap side
 * @sock:	result: socket side
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static int flow_rec_check(struct migrate_cursor *cur, const uint8_t *p,
			  struct flowside *tap, struct flowside *sock)
{
	const char *bad;

	if (p[0] != FLOW_REC_TCP && p[0] != FLOW_REC_UDP)
		return why_set(cur, "flow record %" PRIu64 ": unknown type %u",
			       cur->item, p[0]);
	if ((p[1] & ~FLOW_REC_F_SHARED) ||
	    (p[0] == FLOW_REC_TCP && p[1]) || p[2] || p[3] ||
	    migrate_get_be32(p + 76))
		return why_set(cur, "flow record %" PRIu64 ": unknown flags or reserved bytes not zero",
			       cur->item);
	if (p[0] == FLOW_REC_TCP && tgt.udp)
		return why_set(cur, "flow record %" PRIu64 ": TCP flow after UDP flows",
			       cur->item);
	flowside_get(tap, p + 4);
	flowside_get(sock, p + 40);
	if ((bad = flowside_check(tap, false)))
		return why_set(cur, "flow record %" PRIu64 ": guest side: %s",
			       cur->item, bad);
	if ((bad = flowside_check(sock, p[0] == FLOW_REC_UDP)))
		return why_set(cur, "flow record %" PRIu64 ": host side: %s",
			       cur->item, bad);
	return 0;
}

/**
 * target_reset() - forget a previous migration's target state
 */
static void target_reset(void)
{
	unsigned int k;

	/* A failed target leaves reserved entries and sockets in repair
	 * mode behind: closing those sends nothing
	 */
	for (k = 0; k < tgt.n; k++) {
		union flow *f = tgt.dry_run ? NULL :
				flow_at(tgt.idx[k], FLOW_TYPE_TCP);

		if (tgt.fds[k] >= 0)
			close(tgt.fds[k]);
		if (f && f->f.state == FLOW_STATE_NEW)
			flow_close(f);
		free(tgt.pending[k]);
		tgt.pending[k] = NULL;
	}
	tgt.n = tgt.udp = tgt.udp_lost = tgt.conns = tgt.q_next = 0;
	tgt.q_active = false;
	tgt.pending_total = tgt.us_sockets = tgt.us_queues = 0;
}

/**
 * udp_restore() - make a UDP flow again, count it if that fails
 * @c:		execution context
 * @tap:	guest side
 * @sock:	host side
 */
static void udp_restore(const struct ctx *c, const struct flowside *tap,
			const struct flowside *sock)
{
	char a[INANY_ADDRSTRLEN];
	int rc = udp_flow_restore(c, tap, sock);

	if (!rc)
		return;
	tgt.udp_lost++;
	debug("migrate: target: UDP flow from port %u to %s:%u not restored: %s",
	      sock->lport, inany_ntop(&sock->remote, a, sizeof(a)),
	      sock->rport, strerror(-rc));
}

/**
 * tcp_migrate_flows_target() - reserve an entry for each TCP connection
 * @c:		execution context
 * @cur:	section cursor: @item counts records
 * @buf:	chunk, NULL at the end of the section
 * @len:	its length
 *
 * UDP flows are made again at once, on their original local address and
 * port; one that cannot be (the port is taken) starts again as a new flow
 * with the guest's next datagram.
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
int tcp_migrate_flows_target(struct ctx *c, struct migrate_cursor *cur,
			     const uint8_t *buf, size_t len)
{
	size_t off;

	if (!cur->offset && !cur->item) {
		target_reset();
		tgt.dry_run = cur->dry_run;
	}
	if (!buf) {
		if (tgt.udp && !cur->dry_run)
			info("migrate: target: %u UDP flows restored, %u not (they start again with the guest's next datagram)",
			     tgt.udp - tgt.udp_lost, tgt.udp_lost);
		return 0;
	}
	if (len % FLOW_REC_LEN)
		return why_set(cur, "chunk of %zu bytes is not whole flow records of %d",
			       len, FLOW_REC_LEN);
	for (off = 0; off < len; off += FLOW_REC_LEN, cur->item++) {
		/* why_set() returns non-zero, which clang-tidy cannot see */
		struct flowside tap = { 0 }, sock = { 0 };
		union flow *f;

		if (flow_rec_check(cur, buf + off, &tap, &sock))
			return -EBADMSG;
		if (buf[off] == FLOW_REC_UDP) {
			tgt.udp++;
			if (!cur->dry_run)
				udp_restore(c, &tap, &sock);
			continue;
		}
		if (tgt.n == FLOW_MAX)
			return why_set(cur, "more than %d TCP connections",
				       FLOW_MAX);
		tgt.failed[tgt.n] = NULL;
		tgt.fds[tgt.n] = -1;
		tgt.pending[tgt.n] = NULL;
		tgt.pend_len[tgt.n] = tgt.repaired[tgt.n] = 0;
		tgt.connected[tgt.n] = false;
		if (cur->dry_run) {
			tgt.n++;
			continue;
		}
		if (!(f = flow_alloc()))
			return why_set(cur, "flow table full at TCP connection %u",
				       tgt.n);
		f->f.type = FLOW_TYPE_TCP;
		f->f.tap = tap;
		f->f.sock = sock;
		f->tcp.sock = -1;
		tgt.idx[tgt.n++] = flow_idx(f);
	}
	return 0;
}

/* TCP connections section */

/**
 * source_release() - with --migrate-no-linger, close a frozen socket as
 *		      soon as everything of it is read
 * @c:		execution context
 * @k:		connection
 *
 * A target in the same network namespace can only connect the same
 * addresses once the source's socket is gone; closing in repair mode sends
 * nothing. Such a connection is lost if the migration then fails.
 */
static void source_release(const struct ctx *c, unsigned int k)
{
	if (!c->migrate_no_linger || src.fds[k] < 0)
		return;
	epoll_del_fd(c, src.fds[k]);
	close(src.fds[k]);
	src.fds[k] = -1;
}

/**
 * conn_rec_put() - write the daemon's view of a connection
 * @p:		destination, CONN_REC_DAEMON_LEN bytes
 * @conn:	connection
 * @lost:	its kernel state could not be read: the target resets it
 * @version:	stream version: version 3 records know no TCP_F_FIN_SENT
 */
static void conn_rec_put(uint8_t *p, const struct tcp_conn *conn, bool lost,
			 uint32_t version)
{
	uint16_t flags = conn->flags & (version < 4 ? CONN_FLAGS_V3 :
						      CONN_FLAGS_ALL);

	memset(p, 0, CONN_REC_DAEMON_LEN);
	p[0] = (uint8_t)(flags >> 8);
	p[1] = (uint8_t)flags;
	p[2] = (uint8_t)(conn->mss >> 8);
	p[3] = (uint8_t)conn->mss;
	p[4] = conn->ws_from_tap;
	p[5] = conn->ws_to_tap;
	p[6] = lost;
	migrate_put_be32(p + 8, conn->seq_max_to_tap);
	migrate_put_be32(p + 12, conn->seq_ack_from_tap);
	migrate_put_be32(p + 16, conn->seq_from_tap);
	migrate_put_be32(p + 20, conn->seq_ack_to_tap);
	migrate_put_be32(p + 24, conn->wnd_from_tap);
	migrate_put_be32(p + 28, conn->wnd_to_tap);
	migrate_put_be32(p + 32, conn->ts_recent);
	/* The clock itself: now_ms() of two hosts have nothing in common */
	migrate_put_be32(p + 36, (uint32_t)now_ms() + conn->ts_offset);
}

/**
 * tcp_migrate_conns_source() - write, per frozen connection, both views
 * @c:		execution context
 * @cur:	@item: connections written
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once the section is complete
 */
ssize_t tcp_migrate_conns_source(struct ctx *c, struct migrate_cursor *cur,
				 uint8_t *buf, size_t size)
{
	uint64_t t0 = now_us();
	size_t len = 0;

	while (len + CONN_REC_LEN <= size && cur->item < src.n) {
		unsigned int k = (unsigned int)cur->item++;
		const union flow *f = flow_at(src.idx[k], FLOW_TYPE_TCP);
		struct tcp_repair_state st;
		int rc = tcp_repair_freeze_dump(src.fds[k], &st);

		if (rc) {
			warn("migrate: source: TCP connection %u: cannot read its state (%s): the target resets it",
			     k, strerror(-rc));
			memset(&st, 0, sizeof(st));
		}
		src.rcvq[k] = st.rcvq;
		src.sndq[k] = st.sndq;
		src.snd_wnd[k] = st.snd_wnd;
		src.wnd_closed[k] = !rc;
		if (!st.rcvq && !st.sndq)
			source_release(c, k);
		conn_rec_put(buf + len, &f->tcp, rc, cur->version);
		tcp_migrate_state_put(buf + len + CONN_REC_DAEMON_LEN, &st);
		len += CONN_REC_LEN;
	}
	src.us_state += now_us() - t0;
	return (ssize_t)len;
}

/**
 * conn_rec_get() - read and check the daemon's view of a connection
 * @cur:	section cursor, for the reason
 * @p:		record
 * @conn:	result: connection fields
 * @lost:	result: the source could not read its kernel state
 *
 * A version 3 record has no TCP_F_FIN_SENT: a FIN still in flight to the
 * guest (TCP_F_FIN_TO_TAP) stands for it.
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static int conn_rec_get(struct migrate_cursor *cur, const uint8_t *p,
			struct tcp_conn *conn, bool *lost)
{
	uint16_t known = cur->version < 4 ? CONN_FLAGS_V3 : CONN_FLAGS_ALL;

	conn->flags = (uint16_t)(p[0] << 8 | p[1]);
	conn->mss = (uint16_t)(p[2] << 8 | p[3]);
	conn->ws_from_tap = p[4];
	conn->ws_to_tap = p[5];
	*lost = p[6];
	conn->seq_max_to_tap = migrate_get_be32(p + 8);
	conn->seq_ack_from_tap = migrate_get_be32(p + 12);
	conn->seq_from_tap = migrate_get_be32(p + 16);
	conn->seq_ack_to_tap = migrate_get_be32(p + 20);
	conn->wnd_from_tap = migrate_get_be32(p + 24);
	conn->wnd_to_tap = migrate_get_be32(p + 28);
	conn->ts_recent = migrate_get_be32(p + 32);
	conn->ts_offset = migrate_get_be32(p + 36) - (uint32_t)now_ms();

	if (p[6] > 1 || p[7])
		return why_set(cur, "connection %" PRIu64 ": reserved bytes not zero",
			       cur->item);
	if ((conn->flags & ~known) ||
	    !(conn->flags & TCP_F_ESTABLISHED) ||
	    (conn->flags & TCP_F_CONNECTING))
		return why_set(cur, "connection %" PRIu64 ": flags 0x%04x: unknown, or not an established connection",
			       cur->item, conn->flags);
	if (conn->ws_from_tap > TCP_REPAIR_WSCALE_MAX ||
	    conn->ws_to_tap > TCP_REPAIR_WSCALE_MAX)
		return why_set(cur, "connection %" PRIu64 ": window scale above 14",
			       cur->item);
	if (conn->mss < TCP_REPAIR_MSS_MIN || conn->mss > TCP_REPAIR_MSS_MAX)
		return why_set(cur, "connection %" PRIu64 ": MSS %u out of range",
			       cur->item, conn->mss);
	if (conn->wnd_from_tap > TCP_REPAIR_WND_MAX ||
	    conn->wnd_to_tap > TCP_REPAIR_WND_MAX)
		return why_set(cur, "connection %" PRIu64 ": window above the largest a scale allows",
			       cur->item);
	if (SEQ_GT(conn->seq_ack_from_tap, conn->seq_max_to_tap) ||
	    conn->seq_max_to_tap - conn->seq_ack_from_tap > TCP_REPAIR_QUEUE_MAX)
		return why_set(cur, "connection %" PRIu64 ": guest acknowledged beyond what was sent, or too far behind",
			       cur->item);
	if (conn->flags & TCP_F_FIN_TO_TAP)
		conn->flags |= TCP_F_FIN_SENT;
	return 0;
}

/**
 * conn_fail() - give up on restoring a connection, once
 * @k:		connection
 * @why:	reason, a constant string
 */
static void conn_fail(unsigned int k, const char *why)
{
	if (!tgt.failed[k])
		tgt.failed[k] = why;
}

/**
 * conns_repair_on() - switch repair mode on for new sockets, in one batch
 * @c:		execution context
 * @first:	first connection of the batch
 * @end:	one past the last
 */
static void conns_repair_on(struct ctx *c, unsigned int first, unsigned int end)
{
	int fds[CONN_RECS_PER_CHUNK];
	unsigned int k, m = 0;

	for (k = first; k < end; k++)
		if (!tgt.failed[k])
			fds[m++] = tgt.fds[k];
	if (m && repair_set(c, fds, m, REPAIR_ON)) {
		for (k = first; k < end; k++)
			conn_fail(k, "TCP_REPAIR unavailable: no passt-repair helper connected, and no CAP_NET_ADMIN");
		return;
	}
}

/**
 * conn_connect() - connect a connection's socket silently, once
 * @k:		connection, its socket in repair mode
 *
 * Done as late as possible, when its queue bytes or the end of the stream
 * arrive: a source in the same network namespace holds the same addresses
 * until then (see source_release()).
 */
static void conn_connect(unsigned int k)
{
	if (tgt.failed[k] || tgt.connected[k])
		return;
	if (tcp_repair_connect(tgt.fds[k], &tgt.st[k]))
		conn_fail(k, "local address not available, or taken");
	else if (tcp_repair_sndbuf_fit(tgt.fds[k], tgt.st[k].sndq))
		conn_fail(k, "its send queue is larger than a send buffer may be without CAP_NET_ADMIN (net.core.wmem_max)");
	tgt.connected[k] = true;
}

/**
 * conn_adopt_fields() - take the daemon's view of a connection from the source
 * @conn:	flow table entry, reserved by the flow table section
 * @from:	fields as read from the stream
 *
 * Data the source sent the guest and the guest did not acknowledge is sent
 * again: the socket's peek offset starts from the acknowledged point.
 */
static void conn_adopt_fields(struct tcp_conn *conn,
			      const struct tcp_conn *from)
{
	conn->flags = from->flags & ~(TCP_F_WANT_OUT | TCP_F_WND_FULL);
	if (!(conn->flags & TCP_F_FIN_ACKED))
		conn->flags &= ~TCP_F_FIN_TO_TAP;
	conn->mss = from->mss;
	conn->ws_from_tap = from->ws_from_tap;
	conn->ws_to_tap = from->ws_to_tap;
	conn->seq_ack_from_tap = from->seq_ack_from_tap;
	conn->seq_to_tap = from->seq_ack_from_tap;
	conn->seq_max_to_tap = from->seq_max_to_tap;
	conn->seq_from_tap = from->seq_from_tap;
	conn->seq_ack_to_tap = from->seq_ack_to_tap;
	conn->wnd_from_tap = from->wnd_from_tap;
	conn->wnd_to_tap = from->wnd_to_tap;
	conn->ts_recent = from->ts_recent;
	conn->ts_offset = from->ts_offset;
}

/**
 * tcp_migrate_conns_target() - read connection records, make the sockets
 * @c:		execution context
 * @cur:	section cursor: @item counts records
 * @buf:	chunk, NULL at the end of the section
 * @len:	its length
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
int tcp_migrate_conns_target(struct ctx *c, struct migrate_cursor *cur,
			     const uint8_t *buf, size_t len)
{
	unsigned int first = tgt.conns;
	uint64_t t0 = now_us();
	char why[96];
	size_t off;

	if (!buf) {
		if (tgt.conns == tgt.n)
			return 0;
		return why_set(cur, "%u TCP connections announced, %u given",
			       tgt.n, tgt.conns);
	}
	if (len % CONN_REC_LEN)
		return why_set(cur, "chunk of %zu bytes is not whole connection records of %d",
			       len, CONN_REC_LEN);
	if (tgt.conns + len / CONN_REC_LEN > tgt.n)
		return why_set(cur, "more connection records than the %u TCP flows",
			       tgt.n);
	for (off = 0; off < len; off += CONN_REC_LEN, cur->item++) {
		unsigned int k = tgt.conns++;
		struct tcp_conn conn;
		bool lost;

		if (conn_rec_get(cur, buf + off, &conn, &lost))
			return -EBADMSG;
		if (lost) {
			conn_fail(k, "the source could not read its state");
			continue;
		}
		if (tcp_migrate_state_get(&tgt.st[k], buf + off +
					  CONN_REC_DAEMON_LEN,
					  TCP_MIGRATE_REPAIR_LEN, why,
					  sizeof(why)))
			return why_set(cur, "connection %u: %s", k, why);
		if (cur->dry_run)
			continue;
		conn_adopt_fields(&flow_at(tgt.idx[k], FLOW_TYPE_TCP)->tcp,
				  &conn);
		tgt.fds[k] = tcp_repair_socket(&tgt.st[k]);
		if (tgt.fds[k] < 0)
			conn_fail(k, "no socket");
	}
	if (!cur->dry_run)
		conns_repair_on(c, first, tgt.conns);
	tgt.us_sockets += now_us() - t0;
	return 0;
}

/* TCP queues section */

static void tcp_migrate_target_finish(struct ctx *c);

/**
 * queue_load() - peek both queues of a frozen connection into src.buf
 * @cur:	section cursor, for the reason
 * @k:		connection
 *
 * Return: 0, or a negative error code with @cur->why set
 */
static int queue_load(struct migrate_cursor *cur, unsigned int k)
{
	size_t total = (size_t)src.rcvq[k] + src.sndq[k], acked;
	ssize_t sent;

	if (total > src.buf_size) {
		uint8_t *b = realloc(src.buf, total);

		if (!b) {
			snprintf(cur->why, sizeof(cur->why),
				 "no memory for %zu queue bytes", total);
			return -ENOMEM;
		}
		src.buf = b;
		src.buf_size = total;
	}
	if (tcp_repair_peek(src.fds[k], TCP_REPAIR_RECV_QUEUE, src.buf,
			    src.rcvq[k]) != (ssize_t)src.rcvq[k])
		goto changed;
	/* The peer may have acknowledged the head of the send queue since
	 * it was dumped: the kernel freed those bytes, and the peer has
	 * them. Their place is kept, zeroed: they are only ever sent again
	 * as duplicates, which the peer discards.
	 */
	sent = tcp_repair_peek(src.fds[k], TCP_REPAIR_SEND_QUEUE,
			       src.buf + src.rcvq[k], src.sndq[k]);
	if (sent < 0 || sent > (ssize_t)src.sndq[k])
		goto changed;
	acked = src.sndq[k] - (size_t)sent;
	if (acked) {
		memmove(src.buf + src.rcvq[k] + acked, src.buf + src.rcvq[k],
			(size_t)sent);
		memset(src.buf + src.rcvq[k], 0, acked);
	}
	return 0;
changed:
	snprintf(cur->why, sizeof(cur->why),
		 "connection %u: queues changed while frozen", k);
	return -EIO;
}

/**
 * tcp_migrate_queues_source() - write the queue bytes of each connection
 * @c:		execution context
 * @cur:	@item: connection; @part: bytes of its record written
 * @buf:	chunk buffer
 * @size:	its size
 *
 * Return: bytes written, 0 once the section is complete, or a negative
 *	   error code with @cur->why set
 */
ssize_t tcp_migrate_queues_source(struct ctx *c, struct migrate_cursor *cur,
				  uint8_t *buf, size_t size)
{
	uint64_t t0 = now_us();
	size_t len = 0;
	int rc;

	while (len < size && cur->item < src.n) {
		unsigned int k = (unsigned int)cur->item;
		uint64_t total = (uint64_t)src.rcvq[k] + src.sndq[k], n;

		if (!total) {
			cur->item++;
			continue;
		}
		if (!cur->part) {
			/* A header is never split across chunks */
			if (len + QUEUE_HDR_LEN > size)
				break;
			if ((rc = queue_load(cur, k))) {
				src.us_queues += now_us() - t0;
				return rc;
			}
			source_release(c, k);
			migrate_put_be32(buf + len, k);
			migrate_put_be32(buf + len + 4, src.rcvq[k]);
			migrate_put_be32(buf + len + 8, src.sndq[k]);
			migrate_put_be32(buf + len + 12, 0);
			len += QUEUE_HDR_LEN;
			cur->part = QUEUE_HDR_LEN;
		}
		n = MIN(size - len, QUEUE_HDR_LEN + total - cur->part);
		memcpy(buf + len, src.buf + cur->part - QUEUE_HDR_LEN, n);
		len += n;
		cur->part += n;
		if (cur->part == QUEUE_HDR_LEN + total) {
			cur->item++;
			cur->part = 0;
		}
	}
	src.us_queues += now_us() - t0;
	return (ssize_t)len;
}

/**
 * pending_add() - hold bytes to send once repair mode is off
 * @k:		connection
 * @p:		bytes
 * @n:		their number
 */
static void pending_add(unsigned int k, const uint8_t *p, size_t n)
{
	if (!tgt.pending[k]) {
		size_t size = tgt.st[k].sndq - tgt.repaired[k];

		if (tgt.pending_total + size > PENDING_MAX) {
			conn_fail(k, "too many unsent bytes held on the target");
			return;
		}
		if (!(tgt.pending[k] = malloc(size))) {
			conn_fail(k, "no memory for its unsent bytes");
			return;
		}
		tgt.pending_total += size;
	}
	memcpy(tgt.pending[k] + tgt.pend_len[k], p, n);
	tgt.pend_len[k] += (uint32_t)n;
}

/**
 * queue_feed() - restore queue bytes of a connection as they arrive
 * @k:		connection
 * @at:		offset of @p in its queue bytes: receive queue, then send
 * @p:		bytes
 * @n:		their number
 *
 * Receive queue bytes and the sent part of the send queue go in in repair
 * mode; bytes never sent, and any the socket does not take in repair mode,
 * wait for repair mode to be off.
 */
static void queue_feed(unsigned int k, uint64_t at, const uint8_t *p,
		       size_t n)
{
	const struct tcp_repair_state *st = &tgt.st[k];
	uint64_t sent_end = (uint64_t)st->rcvq + st->sndq - st->notsent;
	ssize_t w;

	if (at < st->rcvq) {
		size_t r = (size_t)MIN(n, st->rcvq - at);

		w = tcp_repair_write(tgt.fds[k], TCP_REPAIR_RECV_QUEUE, p, r);
		if (w != (ssize_t)r)
			conn_fail(k, "receive queue not taken back");
		at += r;
		p += r;
		n -= r;
	}
	if (n && at < sent_end && !tgt.pending[k] && !tgt.failed[k]) {
		size_t r = (size_t)MIN(n, sent_end - at);

		w = tcp_repair_write(tgt.fds[k], TCP_REPAIR_SEND_QUEUE, p, r);
		w = MAX(w, 0);
		tgt.repaired[k] += (uint32_t)w;
		p += w;
		n -= (size_t)w;
	}
	if (n && !tgt.failed[k])
		pending_add(k, p, n);
}

/**
 * queue_hdr_get() - read and check the header of a connection's queues
 * @cur:	section cursor, for the reason
 * @p:		header
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
static int queue_hdr_get(struct migrate_cursor *cur, const uint8_t *p)
{
	uint32_t k = migrate_get_be32(p), rcvq = migrate_get_be32(p + 4);
	uint32_t sndq = migrate_get_be32(p + 8);

	if (migrate_get_be32(p + 12))
		return why_set(cur, "queue record: reserved bytes not zero");
	if (k >= tgt.n || k < tgt.q_next)
		return why_set(cur, "queue record for connection %" PRIu32 ": expected %u to %u, in order",
			       k, tgt.q_next, tgt.n ? tgt.n - 1 : 0);
	if (!rcvq && !sndq)
		return why_set(cur, "queue record for connection %" PRIu32 ": empty",
			       k);
	if (rcvq != tgt.st[k].rcvq || sndq != tgt.st[k].sndq)
		return why_set(cur, "queue record for connection %" PRIu32 ": %" PRIu32 " and %" PRIu32 " bytes, its state says %" PRIu32 " and %" PRIu32,
			       k, rcvq, sndq, tgt.st[k].rcvq, tgt.st[k].sndq);
	tgt.q_active = true;
	tgt.q_k = k;
	tgt.q_done = 0;
	tgt.q_next = k + 1;
	return 0;
}

/**
 * tcp_migrate_queues_target() - take queue bytes; at the end, resume all
 * @c:		execution context
 * @cur:	section cursor
 * @buf:	chunk, NULL at the end of the section
 * @len:	its length
 *
 * Return: 0, or -EBADMSG with @cur->why set
 */
int tcp_migrate_queues_target(struct ctx *c, struct migrate_cursor *cur,
			      const uint8_t *buf, size_t len)
{
	uint64_t t0 = now_us();
	size_t pos = 0;
	int rc = 0;

	if (!buf) {
		if (tgt.q_active)
			return why_set(cur, "queues of connection %u cut short",
				       tgt.q_k);
		if (!cur->dry_run)
			tcp_migrate_target_finish(c);
		return 0;
	}
	while (pos < len) {
		const struct tcp_repair_state *st;
		uint64_t n;

		if (!tgt.q_active) {
			if (len - pos < QUEUE_HDR_LEN)
				return why_set(cur, "queue record header split across chunks");
			if (queue_hdr_get(cur, buf + pos)) {
				rc = -EBADMSG;
				break;
			}
			pos += QUEUE_HDR_LEN;
		}
		st = &tgt.st[tgt.q_k];
		n = MIN(len - pos, (uint64_t)st->rcvq + st->sndq - tgt.q_done);
		if (!cur->dry_run && !tgt.q_done)
			conn_connect(tgt.q_k);
		if (!cur->dry_run && !tgt.failed[tgt.q_k])
			queue_feed(tgt.q_k, tgt.q_done, buf + pos, (size_t)n);
		pos += n;
		tgt.q_done += n;
		if (tgt.q_done == (uint64_t)st->rcvq + st->sndq)
			tgt.q_active = false;
	}
	tgt.us_queues += now_us() - t0;
	return rc;
}

/* End of the target side */

/**
 * conn_resume() - after repair mode: unsent bytes, FIN, into the loop
 * @c:		execution context
 * @k:		connection
 *
 * Return: NULL, or why the connection cannot go on
 */
static const char *conn_resume(struct ctx *c, unsigned int k)
{
	union flow *f = flow_at(tgt.idx[k], FLOW_TYPE_TCP);
	const struct tcp_repair_state *st = &tgt.st[k];
	int s = tgt.fds[k];

	if (tcp_repair_thawed(s))
		return "cannot set SO_REUSEADDR again";
	if (tcp_repair_resume(s, tgt.pending[k], tgt.pend_len[k]) !=
	    (ssize_t)tgt.pend_len[k])
		return "its send buffer does not take the unsent bytes";
	if (tcp_repair_shutdown(s, st))
		return "cannot queue its FIN again";
	if (flow_lookup(FLOW_TYPE_TCP, &f->f.tap))
		return "a connection with the same addresses exists here";
	if (st->flags & TCP_REPAIR_F_FIN_RCVD)
		f->tcp.flags |= TCP_F_SOCK_EOF;
	if (tcp_conn_adopt(c, &f->tcp, s))
		return "cannot watch its socket";
	flow_hash_insert(f);
	tgt.fds[k] = -1;
	return NULL;
}

/**
 * conn_drop() - log and drop a connection that cannot be restored
 * @k:		connection
 *
 * Its socket, if connected, is closed with an RST to the peer (after
 * repair mode, which tcp_migrate_target_finish() switched off); its flow
 * entry is released: the guest's next segment for it is answered with an
 * RST.
 */
static void conn_drop(unsigned int k)
{
	union flow *f = flow_at(tgt.idx[k], FLOW_TYPE_TCP);
	char a[INANY_ADDRSTRLEN], b[INANY_ADDRSTRLEN];
	struct linger lg = { 1, 0 };

	err("migrate: target: TCP connection %s:%u -> %s:%u not restored: %s: reset",
	    inany_ntop(&f->f.tap.local, a, sizeof(a)), f->f.tap.lport,
	    inany_ntop(&f->f.tap.remote, b, sizeof(b)), f->f.tap.rport,
	    tgt.failed[k]);
	if (tgt.fds[k] >= 0) {
		setsockopt(tgt.fds[k], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(tgt.fds[k]);
		tgt.fds[k] = -1;
	}
	flow_close(f);
}

/**
 * tcp_migrate_target_finish() - settle, thaw in one batch, resume each
 * @c:		execution context
 */
static void tcp_migrate_target_finish(struct ctx *c)
{
	unsigned int k, m = 0, restored = 0;
	static int fds[FLOW_MAX];
	uint64_t t0 = now_us();

	for (k = 0; k < tgt.n; k++) {
		conn_connect(k);
		if (!tgt.failed[k] && tcp_repair_settle(tgt.fds[k], &tgt.st[k]))
			conn_fail(k, "options or windows not taken back");
		if (tgt.fds[k] >= 0)
			fds[m++] = tgt.fds[k];
	}
	if (m && repair_set(c, fds, m, REPAIR_OFF))
		for (k = 0; k < tgt.n; k++)
			conn_fail(k, "TCP_REPAIR could not be switched off");
	for (k = 0; k < tgt.n; k++) {
		if (!tgt.failed[k])
			tgt.failed[k] = conn_resume(c, k);
		if (tgt.failed[k])
			conn_drop(k);
		else
			restored++;
		free(tgt.pending[k]);
		tgt.pending[k] = NULL;
	}
	tgt.n = 0;
	if (restored || m)
		info("migrate: target: %u TCP connections restored, resumed in %.1f ms (sockets made in %.1f ms, queues written in %.1f ms)",
		     restored, (double)(now_us() - t0) / 1000,
		     (double)tgt.us_sockets / 1000,
		     (double)tgt.us_queues / 1000);
}

/* End of the source side */

/**
 * tcp_migrate_source_done() - the migration succeeded: keep the frozen
 *			       sockets silent and out of the loop
 * @c:		execution context
 *
 * With --migrate-no-linger they are closed (in repair mode: nothing is
 * sent), and their connections end. Otherwise they stay open, frozen and
 * detached, so that a late segment from a peer finds a socket and draws no
 * RST; if the front-end then resumes the guest here (the migration failed
 * after this side completed), tcp_migrate_source_resume() thaws them.
 */
void tcp_migrate_source_done(struct ctx *c)
{
	unsigned int k, m = 0;

	if (src.n)
		info("migrate: source: %u TCP connections written: kernel states read in %.1f ms, queues in %.1f ms",
		     src.n, (double)src.us_state / 1000,
		     (double)src.us_queues / 1000);
	for (k = 0; k < src.n; k++) {
		union flow *f = flow_at(src.idx[k], FLOW_TYPE_TCP);

		source_release(c, k);
		if (src.fds[k] >= 0) {
			src.idx[m] = src.idx[k];
			src.fds[m++] = src.fds[k];
		} else if (f) {
			f->tcp.sock = -1;
			flow_close(f);
		}
	}
	src.n = m;
	free(src.buf);
	src.buf = NULL;
	src.buf_size = 0;
}

/**
 * tcp_migrate_source_resume() - the guest resumes here after this side
 *				 completed: thaw what was kept frozen
 * @c:		execution context
 */
void tcp_migrate_source_resume(struct ctx *c)
{
	if (src.n)
		info("migrate: source: the guest resumes here: thawing %u TCP connections",
		     src.n);
	tcp_migrate_flows_rollback(c);
}

/**
 * tcp_migrate_target_abort() - the transfer failed on this side: drop what
 *				was not restored yet, silently
 * @c:		execution context
 */
void tcp_migrate_target_abort(struct ctx *c)
{
	(void)c;
	target_reset();
}
