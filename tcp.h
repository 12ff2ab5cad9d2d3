/* SPDX-License-Identifier: GPL-2.0-or-later
 * tcp.h - TCP translation between guest segments and host sockets
 */
#ifndef TCP_H
#define TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inany.h"
#include "passt.h"

/* Sequence number comparisons, modulo 2^32 (RFC 9293, 3.4) */
#define SEQ_LT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LE(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)	SEQ_LT(b, a)
#define SEQ_GE(a, b)	SEQ_LE(b, a)

/* TCP header flags */
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_URG		0x20

#define TCP_HDR_LEN	20

/**
 * struct tcp_seg - a parsed, checked TCP segment from the guest
 * @sport:	source port
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	TCP_FIN ... TCP_URG
 * @wnd:	window field, not scaled
 * @data:	payload
 * @len:	payload length
 * @mss:	MSS option, 0 if absent
 * @ws:		window scale option, -1 if absent
 * @sack_ok:	SACK-permitted option present
 * @ts:		timestamp option present
 * @tsval:	timestamp value
 * @tsecr:	timestamp echo reply
 */
struct tcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *data;
	size_t len;
	uint16_t mss;
	int8_t ws;
	bool sack_ok;
	bool ts;
	uint32_t tsval;
	uint32_t tsecr;
};

struct tcp_conn;

int tcp_seg_parse(const uint8_t *l4, size_t l4len, struct tcp_seg *seg);
void tcp_init(struct ctx *c);
bool tcp_input(struct ctx *c, int af, const union inany_addr *src,
	       const union inany_addr *dst, const uint8_t *l4, size_t l4len);
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tcp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tcp_tap_room(struct ctx *c);
void tcp_conn_detach(const struct ctx *c, struct tcp_conn *conn);
int tcp_conn_attach(const struct ctx *c, struct tcp_conn *conn);
int tcp_conn_adopt(const struct ctx *c, struct tcp_conn *conn, int s);

#endif /* TCP_H */
