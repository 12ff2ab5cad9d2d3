// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_migrate.c - migration sections of the flow table and TCP connections
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migrate.h"
#include "migrate_internal.h"
#include "tcp_migrate.h"
#include "tcp_repair.h"
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
