/* SPDX-License-Identifier: GPL-2.0-or-later
 * tcp_conn.h - the TCP connection entry of the flow table (data only)
 *
 * Included by flow.h, after struct flow_common. Everything the daemon knows
 * about a connection is here, in explicit fields, so that migration can carry
 * it: sequence and acknowledgement numbers on the guest side, windows and
 * their scales, options, timers. Stream data is never here: it stays in the
 * socket's kernel queues.
 */
#ifndef TCP_CONN_H
#define TCP_CONN_H

#include <stdint.h>

/**
 * enum tcp_conn_flag - connection state bits
 * @TCP_F_CONNECTING:	guest SYN taken, host connect() not finished yet
 * @TCP_F_SYN_TO_TAP:	our SYN (inbound) or SYN-ACK (outbound) went to the guest
 * @TCP_F_ESTABLISHED:	handshake complete with the guest and the host peer
 * @TCP_F_SOCK_EOF:	the host peer closed its sending direction
 * @TCP_F_FIN_TO_TAP:	our FIN went to the guest (it takes one sequence number)
 * @TCP_F_FIN_ACKED:	the guest acknowledged our FIN
 * @TCP_F_FIN_FROM_TAP:	the guest's FIN was taken: socket shut for writing
 * @TCP_F_INBOUND:	accepted on a forwarding listener, guest is the server
 * @TCP_F_WS:		window scaling agreed with the guest
 * @TCP_F_TS:		timestamps agreed with the guest
 * @TCP_F_WANT_OUT:	waiting for EPOLLOUT to tell the guest the window opened
 * @TCP_F_WND_FULL:	data waits in the socket: the guest's window is full,
 *			or the guest link refused a frame
 * @TCP_F_FIN_SENT:	our FIN went to the guest at least once: it is the
 *			sequence number before @seq_max_to_tap, even after a
 *			rewind cleared @TCP_F_FIN_TO_TAP
 * @TCP_F_TAP_WAIT:	the guest link had no room for a data segment or our
 *			FIN: it goes when tcp_tap_room() says there is some
 *			(kept out of migration records)
 */
enum tcp_conn_flag {
	TCP_F_CONNECTING	= 1 << 0,
	TCP_F_SYN_TO_TAP	= 1 << 1,
	TCP_F_ESTABLISHED	= 1 << 2,
	TCP_F_SOCK_EOF		= 1 << 3,
	TCP_F_FIN_TO_TAP	= 1 << 4,
	TCP_F_FIN_ACKED		= 1 << 5,
	TCP_F_FIN_FROM_TAP	= 1 << 6,
	TCP_F_INBOUND		= 1 << 7,
	TCP_F_WS		= 1 << 8,
	TCP_F_TS		= 1 << 9,
	TCP_F_WANT_OUT		= 1 << 10,
	TCP_F_WND_FULL		= 1 << 11,
	TCP_F_FIN_SENT		= 1 << 12,
	TCP_F_TAP_WAIT		= 1 << 13,
};

/**
 * struct tcp_conn - one TCP connection between the guest and a host socket
 * @f:			flow table common part
 * @sock:		the host socket, the connection's only fd
 * @flags:		enum tcp_conn_flag bits
 * @mss:		largest payload of a segment to the guest
 * @ws_from_tap:	the guest's window scale shift
 * @ws_to_tap:		our window scale shift towards the guest
 * @retries:		retransmissions since the guest last acknowledged data
 * @dup_acks:		duplicate acknowledgements in a row from the guest
 * @timer_kind:		what @timer_at stands for (tcp.c's enum tcp_timer_kind)
 * @seq_to_tap:		next sequence number we send to the guest (SND.NXT)
 * @seq_max_to_tap:	highest @seq_to_tap so far (SND.MAX): after a rewind,
 *			the guest may acknowledge up to here
 * @seq_ack_from_tap:	oldest sequence number not acknowledged (SND.UNA)
 * @seq_from_tap:	next sequence number expected from the guest (RCV.NXT)
 * @seq_ack_to_tap:	acknowledgement number we last sent to the guest
 * @wnd_from_tap:	the guest's receive window, in bytes (scale applied)
 * @wnd_to_tap:		the window we last advertised, in bytes
 * @ts_recent:		the guest's latest timestamp value, echoed back
 * @ts_offset:		our timestamp clock minus now_ms()
 * @timer_at:		deadline of the connection's timer, milliseconds
 */
struct tcp_conn {
	struct flow_common f;
	int32_t sock;
	uint16_t flags;
	uint16_t mss;
	uint8_t ws_from_tap;
	uint8_t ws_to_tap;
	uint8_t retries;
	uint8_t dup_acks;
	uint8_t timer_kind;
	uint32_t seq_to_tap;
	uint32_t seq_max_to_tap;
	uint32_t seq_ack_from_tap;
	uint32_t seq_from_tap;
	uint32_t seq_ack_to_tap;
	uint32_t wnd_from_tap;
	uint32_t wnd_to_tap;
	uint32_t ts_recent;
	uint32_t ts_offset;
	uint64_t timer_at;
};

#endif /* TCP_CONN_H */
