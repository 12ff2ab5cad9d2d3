/* SPDX-License-Identifier: GPL-2.0-or-later
 * flow.h - the flow table: one entry per guest connection or datagram flow
 *
 * Each flow has two sides. The tap side is what the guest sees: its own
 * address and port (local) and the address and port it talks to (remote).
 * The socket side is the host socket: its bound address and port (local)
 * and the host peer (remote). Guest frames are looked up by their tap side
 * in a hash index; socket events carry the flow index in their epoll
 * reference. Every piece of per-flow state lives in the entry, so that the
 * migration code can carry it as it is.
 */
#ifndef FLOW_H
#define FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inany.h"

struct ctx;

#define FLOW_MAX	65536
#define FLOW_IDX_NONE	UINT32_MAX

/**
 * enum flow_type - what protocol a flow carries
 */
enum flow_type {
	FLOW_TYPE_NONE = 0,
	FLOW_TYPE_TCP,
	FLOW_TYPE_UDP,
	FLOW_NUM_TYPES,
};

/**
 * enum flow_state - life of a table entry, from allocation to free
 * @FLOW_STATE_FREE:	on the free list
 * @FLOW_STATE_NEW:	allocated and being set up, not yet in the hash index
 * @FLOW_STATE_ACTIVE:	in the hash index, carrying traffic
 * @FLOW_STATE_CLOSED:	done and out of the index; the next timer walk frees
 *			it, so that events already fetched for it find no
 *			new flow in its place
 */
enum flow_state {
	FLOW_STATE_FREE = 0,
	FLOW_STATE_NEW,
	FLOW_STATE_ACTIVE,
	FLOW_STATE_CLOSED,
};

/**
 * struct flowside - the two endpoints of a flow as seen on one side
 * @local:	guest address (tap side) or host socket's address (socket side)
 * @remote:	address the guest talks to (tap side) or host peer (socket side)
 * @lport:	port of @local
 * @rport:	port of @remote
 */
struct flowside {
	union inany_addr local;
	union inany_addr remote;
	uint16_t lport;
	uint16_t rport;
};

/**
 * struct flow_common - what every flow has, first in each protocol's entry
 * @type:	enum flow_type
 * @state:	enum flow_state
 * @hash_next:	next flow in the same hash bucket, or FLOW_IDX_NONE
 * @tap:	tap side addresses and ports (the hash key, with @type)
 * @sock:	socket side addresses and ports
 */
struct flow_common {
	uint8_t type;
	uint8_t state;
	uint32_t hash_next;
	struct flowside tap;
	struct flowside sock;
};

/* Protocol entries: data only, they need struct flow_common above */
#include "tcp_conn.h"
#include "udp_flow.h"

/**
 * union flow - one entry of the flow table
 * @f:		common part
 * @tcp:	TCP connection
 * @udp:	UDP flow
 */
union flow {
	struct flow_common f;
	struct tcp_conn tcp;
	struct udp_flow udp;
};

/**
 * typedef flow_timer_fn - periodic work on one active flow of a type
 * @c:		execution context
 * @flow:	the flow
 * @now:	current time, milliseconds
 */
typedef void (*flow_timer_fn)(struct ctx *c, union flow *flow, uint64_t now);

/**
 * typedef flow_walk_fn - visit one active flow in flow_walk()
 * @c:		execution context
 * @flow:	the flow
 *
 * Return: false to stop the walk at this flow
 */
typedef bool (*flow_walk_fn)(struct ctx *c, union flow *flow);

void flow_init(void);
void flow_timer_handler_set(enum flow_type type, flow_timer_fn fn);
union flow *flow_alloc(void);
void flow_hash_insert(union flow *flow);
union flow *flow_lookup(enum flow_type type, const struct flowside *tap);
void flow_close(union flow *flow);
union flow *flow_at(uint32_t idx, enum flow_type type);
uint32_t flow_idx(const union flow *flow);
unsigned int flow_count(void);
void flow_timer(struct ctx *c, uint64_t now);
void flow_walk(struct ctx *c, enum flow_type type, uint32_t *cursor,
	       flow_walk_fn fn);
uint64_t flow_hash(enum flow_type type, const struct flowside *tap);
uint64_t flow_siphash(const uint64_t key[2], const void *data, size_t len);
const char *flow_type_name(enum flow_type type);

#endif /* FLOW_H */
