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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "log.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "repair.h"
#include "tcp.h"
#include "tcp_migrate.h"
#include "tcp_repair.h"
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
#define CONN_FLAGS_ALL		0x0fffU

/* TCP queues section: a header, then the receive and send queue bytes */
#define QUEUE_HDR_LEN		16

/* Records of one kind in a chunk */
#define FLOW_RECS_PER_CHUNK	(MIGRATE_CHUNK_MAX / FLOW_REC_LEN)
#define CONN_RECS_PER_CHUNK	(MIGRATE_CHUNK_MAX / CONN_REC_LEN)
