// SPDX-License-Identifier: GPL-2.0-or-later
/* flow.c - the flow table: allocation, hash index, state, one timer walk
 *
 * A fixed array of FLOW_MAX entries. Free entries sit on a stack of
 * indices, so allocation and release are O(1) and nothing is allocated at
 * run time. Active flows are chained in hash buckets keyed by their type
 * and tap side, hashed with SipHash-2-4 under a secret drawn at start, so
 * that a guest cannot aim its flows at one bucket. Closed flows leave the
 * index at once but are freed by the next timer walk: an epoll event already
 * fetched for a closed flow can then never land on a new one in its place.
 */

#include <string.h>

#include "flow.h"
#include "log.h"
#include "passt.h"
#include "util.h"

#define FLOW_HASH_SIZE	(FLOW_MAX * 2)	/* buckets, a power of two */

static union flow flowtab[FLOW_MAX];
static uint32_t flow_buckets[FLOW_HASH_SIZE];
static uint32_t flow_free_stack[FLOW_MAX];
static unsigned int flow_free_top;
static uint32_t flow_hiwater;		/* one past the highest index used */
static unsigned int flow_in_use;
static uint64_t flow_secret[2];
static flow_timer_fn flow_timer_handlers[FLOW_NUM_TYPES];

static const char *const flow_type_names[FLOW_NUM_TYPES] = {
	[FLOW_TYPE_NONE]	= "none",
	[FLOW_TYPE_TCP]		= "TCP",
	[FLOW_TYPE_UDP]		= "UDP",
};

/**
 * flow_type_name() - printable name of a flow type
 * @type:	enum flow_type
 *
 * Return: constant string
 */
const char *flow_type_name(enum flow_type type)
{
	if ((unsigned int)type >= FLOW_NUM_TYPES)
		return "?";
	return flow_type_names[type];
}

/**
 * rotl64() - rotate a 64-bit word left
 * @x:		word
 * @b:		bits, 1 to 63
 *
 * Return: rotated word
 */
static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/**
 * sip_round() - one SipRound on the four state words
 * @v:		state
 */
static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl64(v[1], 13); v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3]; v[3] = rotl64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl64(v[1], 17); v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

/**
 * load_le64() - read a little-endian 64-bit word, up to 8 bytes of it
 * @p:		bytes
 * @n:		how many, 0 to 8; missing high bytes are zero
 *
 * Return: the word
 */
static uint64_t load_le64(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/**
 * flow_siphash() - SipHash-2-4 of a byte string
 * @key:	128-bit key, as two little-endian words
 * @data:	input
 * @len:	length of @data
 *
 * Return: 64-bit hash
 */
uint64_t flow_siphash(const uint64_t key[2], const void *data, size_t len)
{
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL,
	};
	const uint8_t *p = data;
	size_t left = len;
	uint64_t m;

	for (; left >= 8; p += 8, left -= 8) {
		m = load_le64(p, 8);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}

	m = load_le64(p, left) | ((uint64_t)(len & 0xff) << 56);
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;

	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/**
 * flow_hash() - keyed hash of a flow's type and tap side
 * @type:	enum flow_type
 * @tap:	tap side addresses and ports
 *
 * Return: 64-bit hash
 */
uint64_t flow_hash(enum flow_type type, const struct flowside *tap)
{
	uint8_t key[2 * sizeof(union inany_addr) + 2 * sizeof(uint16_t) + 1];
	uint8_t *p = key;

	memcpy(p, &tap->local, sizeof(tap->local));
	p += sizeof(tap->local);
	memcpy(p, &tap->remote, sizeof(tap->remote));
	p += sizeof(tap->remote);
	memcpy(p, &tap->lport, sizeof(tap->lport));
	p += sizeof(tap->lport);
	memcpy(p, &tap->rport, sizeof(tap->rport));
	p += sizeof(tap->rport);
	*p = (uint8_t)type;

	return flow_siphash(flow_secret, key, sizeof(key));
}

/**
 * flow_bucket() - hash bucket of a flow's type and tap side
 * @type:	enum flow_type
 * @tap:	tap side
 *
 * Return: bucket index
 */
static uint32_t flow_bucket(enum flow_type type, const struct flowside *tap)
{
	return (uint32_t)(flow_hash(type, tap) & (FLOW_HASH_SIZE - 1));
}

/**
 * flowside_equal() - compare two flow sides
 * @a:		first side
 * @b:		second side
 *
 * Return: true if addresses and ports are all the same
 */
static bool flowside_equal(const struct flowside *a, const struct flowside *b)
{
	return a->lport == b->lport && a->rport == b->rport &&
	       inany_equal(&a->local, &b->local) &&
	       inany_equal(&a->remote, &b->remote);
}

/**
 * flow_init() - empty the table and draw the hash secret
 */
void flow_init(void)
{
	uint32_t i;

	memset(flowtab, 0, sizeof(flowtab));
	memset(flow_buckets, 0xff, sizeof(flow_buckets));
	for (i = 0; i < FLOW_MAX; i++)
		flow_free_stack[i] = FLOW_MAX - 1 - i;
	flow_free_top = FLOW_MAX;
	flow_hiwater = 0;
	flow_in_use = 0;
	random_bytes(flow_secret, sizeof(flow_secret));
}

/**
 * flow_timer_handler_set() - give the periodic handler for a flow type
 * @type:	enum flow_type
 * @fn:		called by flow_timer() for each active flow of @type
 */
void flow_timer_handler_set(enum flow_type type, flow_timer_fn fn)
{
	if ((unsigned int)type < FLOW_NUM_TYPES)
		flow_timer_handlers[type] = fn;
}

/**
 * flow_alloc() - take a free entry from the table
 *
 * Return: zeroed entry in FLOW_STATE_NEW, or NULL if the table is full: the
 *	   caller refuses the flow, and allocation works again once a flow is
 *	   freed
 */
union flow *flow_alloc(void)
{
	union flow *flow;
	uint32_t idx;

	if (!flow_free_top)
		return NULL;

	idx = flow_free_stack[--flow_free_top];
	flow = &flowtab[idx];
	memset(flow, 0, sizeof(*flow));
	flow->f.state = FLOW_STATE_NEW;
	flow->f.hash_next = FLOW_IDX_NONE;
	if (idx >= flow_hiwater)
		flow_hiwater = idx + 1;
	flow_in_use++;
	return flow;
}

/**
 * flow_hash_insert() - put a set-up flow in the hash index, make it active
 * @flow:	flow in FLOW_STATE_NEW, type and tap side filled in
 */
void flow_hash_insert(union flow *flow)
{
	uint32_t b = flow_bucket(flow->f.type, &flow->f.tap);

	flow->f.hash_next = flow_buckets[b];
	flow_buckets[b] = flow_idx(flow);
	flow->f.state = FLOW_STATE_ACTIVE;
}

/**
 * flow_hash_remove() - take an active flow out of the hash index
 * @flow:	flow in FLOW_STATE_ACTIVE
 */
static void flow_hash_remove(union flow *flow)
{
	uint32_t *link = &flow_buckets[flow_bucket(flow->f.type,
						   &flow->f.tap)];
	uint32_t idx = flow_idx(flow);

	while (*link != FLOW_IDX_NONE) {
		if (*link == idx) {
			*link = flow->f.hash_next;
			break;
		}
		link = &flowtab[*link].f.hash_next;
	}
	flow->f.hash_next = FLOW_IDX_NONE;
}

/**
 * flow_lookup() - find the active flow of a type with the given tap side
 * @type:	enum flow_type
 * @tap:	tap side addresses and ports, as in the guest's packet
 *
 * Return: the flow, or NULL if there is none
 */
union flow *flow_lookup(enum flow_type type, const struct flowside *tap)
{
	uint32_t idx = flow_buckets[flow_bucket(type, tap)];

	while (idx != FLOW_IDX_NONE) {
		union flow *flow = &flowtab[idx];

		if (flow->f.type == type && flowside_equal(&flow->f.tap, tap))
			return flow;
		idx = flow->f.hash_next;
	}
	return NULL;
}

/**
 * flow_close() - end a flow: out of the index now, freed by the timer walk
 * @flow:	flow, new or active; the caller already closed its socket
 */
void flow_close(union flow *flow)
{
	if (flow->f.state == FLOW_STATE_ACTIVE)
		flow_hash_remove(flow);
	if (flow->f.state != FLOW_STATE_FREE)
		flow->f.state = FLOW_STATE_CLOSED;
}

/**
 * flow_free() - return a closed entry to the free list
 * @flow:	flow in FLOW_STATE_CLOSED
 */
static void flow_free(union flow *flow)
{
	flow->f.state = FLOW_STATE_FREE;
	flow->f.type = FLOW_TYPE_NONE;
	flow_free_stack[flow_free_top++] = flow_idx(flow);
	flow_in_use--;
}

/**
 * flow_at() - the flow at an index, as carried by an epoll reference
 * @idx:	flow index
 * @type:	type the caller expects
 *
 * Return: the flow if @idx is in range, active (or new) and of @type; NULL
 *	   otherwise, for example for a stale event of a closed flow
 */
union flow *flow_at(uint32_t idx, enum flow_type type)
{
	union flow *flow;

	if (idx >= FLOW_MAX)
		return NULL;
	flow = &flowtab[idx];
	if (flow->f.type != type || (flow->f.state != FLOW_STATE_ACTIVE &&
				     flow->f.state != FLOW_STATE_NEW))
		return NULL;
	return flow;
}

/**
 * flow_idx() - index of a flow in the table
 * @flow:	flow
 *
 * Return: index
 */
uint32_t flow_idx(const union flow *flow)
{
	return (uint32_t)(flow - flowtab);
}

/**
 * flow_count() - number of entries not free (new, active or closed)
 *
 * Return: count
 */
unsigned int flow_count(void)
{
	return flow_in_use;
}

/**
 * flow_timer() - the one periodic walk: free closed flows, run type timers
 * @c:		execution context
 * @now:	current time, milliseconds
 */
void flow_timer(struct ctx *c, uint64_t now)
{
	uint32_t idx;

	for (idx = 0; idx < flow_hiwater; idx++) {
		union flow *flow = &flowtab[idx];
		flow_timer_fn fn;

		if (flow->f.state == FLOW_STATE_CLOSED) {
			flow_free(flow);
			continue;
		}
		if (flow->f.state != FLOW_STATE_ACTIVE)
			continue;
		fn = flow_timer_handlers[flow->f.type];
		if (fn)
			fn(c, flow, now);
	}

	while (flow_hiwater &&
	       flowtab[flow_hiwater - 1].f.state == FLOW_STATE_FREE)
		flow_hiwater--;
}

/**
 * flow_walk() - visit the active flows of one type once, in a circle that
 *		 starts at a cursor, until the visitor stops
 * @c:		execution context
 * @type:	enum flow_type
 * @cursor:	index to start at; set to the flow the visitor stopped at
 * @fn:		visitor
 */
void flow_walk(struct ctx *c, enum flow_type type, uint32_t *cursor,
	       flow_walk_fn fn)
{
	uint32_t end = flow_hiwater, n, idx;

	if (!end)
		return;
	for (n = 0, idx = *cursor % end; n < end; n++, idx = (idx + 1) % end) {
		union flow *flow = &flowtab[idx];

		if (flow->f.state != FLOW_STATE_ACTIVE || flow->f.type != type)
			continue;
		if (!fn(c, flow)) {
			*cursor = idx;
			return;
		}
	}
}
