/* SPDX-License-Identifier: GPL-2.0-or-later
 * tcp_repair.h - dump and restore a TCP socket's kernel state (TCP_REPAIR)
 *
 * A socket in repair mode is dumped into a struct tcp_repair_state plus the
 * bytes of its two queues; a new socket is made into the same connection,
 * seen from the network, in four steps (connect, write queues, settle,
 * resume) so that the caller can switch repair mode on and off between them
 * for many sockets at once. A state read from elsewhere is checked first:
 * tcp_repair_state_check().
 */
#ifndef TCP_REPAIR_H
#define TCP_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inany.h"

/* Most bytes of one queue a record may announce: far above what the
 * kernel's default buffer limits (tcp_wmem, tcp_rmem: 4 and 6 MiB) allow
 */
#define TCP_REPAIR_QUEUE_MAX	(64U << 20)

/* Bounds of the values the kernel accepts back */
#define TCP_REPAIR_WSCALE_MAX	14
#define TCP_REPAIR_MSS_MIN	88
#define TCP_REPAIR_MSS_MAX	65495
#define TCP_REPAIR_WND_MAX	(65535U << TCP_REPAIR_WSCALE_MAX)

/**
 * enum tcp_repair_flag - options and FIN states of a dumped connection
 * @TCP_REPAIR_F_SACK:		SACK was agreed
 * @TCP_REPAIR_F_TS:		timestamps were agreed
 * @TCP_REPAIR_F_WS:		window scaling was agreed
 * @TCP_REPAIR_F_FIN_QUEUED:	our FIN is queued: it follows the send queue
 * @TCP_REPAIR_F_FIN_SENT:	...and it was sent (not acknowledged, unless
 *				the whole send queue and the FIN were: state
 *				FIN_WAIT2)
 * @TCP_REPAIR_F_FIN_RCVD:	the peer's FIN was received: it follows the
 *				receive queue, and a restored socket cannot
 *				know it, its owner must remember it
 */
enum tcp_repair_flag {
	TCP_REPAIR_F_SACK	= 1 << 0,
	TCP_REPAIR_F_TS		= 1 << 1,
	TCP_REPAIR_F_WS		= 1 << 2,
	TCP_REPAIR_F_FIN_QUEUED	= 1 << 3,
	TCP_REPAIR_F_FIN_SENT	= 1 << 4,
	TCP_REPAIR_F_FIN_RCVD	= 1 << 5,
};

#define TCP_REPAIR_F_ALL	0x3f

/**
 * enum tcp_repair_queue_id - the queues of a socket (kernel values)
 * @TCP_REPAIR_RECV_QUEUE:	received, not yet read
 * @TCP_REPAIR_SEND_QUEUE:	written, not yet acknowledged by the peer
 */
enum tcp_repair_queue_id {
	TCP_REPAIR_RECV_QUEUE = 1,
	TCP_REPAIR_SEND_QUEUE = 2,
};

/**
 * struct tcp_repair_state - everything the kernel needs to recreate a socket
 * @local:	bound address (IPv4 as v4-mapped)
 * @remote:	peer address, same family as @local
 * @lport:	bound port
 * @rport:	peer port
 * @state:	kernel TCP state (TCP_ESTABLISHED, TCP_FIN_WAIT1, ...)
 * @flags:	enum tcp_repair_flag
 * @snd_wscale:	peer's window scale: our sending window is shifted by it
 * @rcv_wscale:	our window scale: the window we advertise is shifted by it
 * @mss:	MSS clamp: the most the peer accepts in a segment
 * @timestamp:	timestamp clock (TCP_TIMESTAMP), 0 without timestamps
 * @snd_wl1:	sequence of the segment that last updated the send window
 * @snd_wnd:	send window, bytes
 * @max_window:	largest send window seen, bytes
 * @rcv_wnd:	receive window, bytes
 * @rcv_wup:	rcv_nxt when the receive window was last advertised
 * @snd_seq:	sequence of the first byte of the send queue (SND.UNA)
 * @sndq:	data bytes in the send queue, FIN not counted
 * @notsent:	of those, bytes never sent: the tail of the send queue
 * @rcv_seq:	sequence of the first byte of the receive queue
 * @rcvq:	data bytes in the receive queue, FIN not counted
 */
struct tcp_repair_state {
	union inany_addr local;
	union inany_addr remote;
	uint16_t lport;
	uint16_t rport;
	uint8_t state;
	uint8_t flags;
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint32_t mss;
	uint32_t timestamp;
	uint32_t snd_wl1;
	uint32_t snd_wnd;
	uint32_t max_window;
	uint32_t rcv_wnd;
	uint32_t rcv_wup;
	uint32_t snd_seq;
	uint32_t sndq;
	uint32_t notsent;
	uint32_t rcv_seq;
	uint32_t rcvq;
};

int tcp_repair_mute(int s);
int tcp_repair_unmute(int s);
int tcp_repair_thawed(int s);
int tcp_repair_dump(int s, struct tcp_repair_state *st);
int tcp_repair_freeze_dump(int s, struct tcp_repair_state *st);
int tcp_repair_window_reopen(int s, uint32_t snd_wnd);
ssize_t tcp_repair_peek(int s, enum tcp_repair_queue_id q, uint8_t *buf,
			size_t len);
int tcp_repair_socket(const struct tcp_repair_state *st);
int tcp_repair_connect(int s, const struct tcp_repair_state *st);
ssize_t tcp_repair_write(int s, enum tcp_repair_queue_id q,
			 const uint8_t *buf, size_t len);
int tcp_repair_sndbuf_fit(int s, size_t bytes);
int tcp_repair_settle(int s, const struct tcp_repair_state *st);
ssize_t tcp_repair_resume(int s, const uint8_t *notsent, size_t len);
int tcp_repair_shutdown(int s, const struct tcp_repair_state *st);

const char *tcp_repair_state_check(const struct tcp_repair_state *st);

#endif /* TCP_REPAIR_H */
