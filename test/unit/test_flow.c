// SPDX-License-Identifier: GPL-2.0-or-later
/* test_flow.c - the flow table: hash, insert, lookup, close, free, full */

#include <string.h>

#include "flow.h"
#include "harness.h"
#include "unit.h"

/**
 * side4() - a tap side with IPv4 addresses
 * @local:	guest address
 * @lport:	guest port
 * @remote:	remote address
 * @rport:	remote port
 *
 * Return: the side
 */
static struct flowside side4(const char *local, uint16_t lport,
			     const char *remote, uint16_t rport)
{
	struct flowside s;

	memset(&s, 0, sizeof(s));
	inany_from_v4(&s.local, h_ip4(local));
	inany_from_v4(&s.remote, h_ip4(remote));
	s.lport = lport;
	s.rport = rport;
	return s;
}

/**
 * flow_add() - allocate a flow of a type with a tap side, and hash it
 * @type:	flow type
 * @tap:	tap side
 *
 * Return: the flow, NULL if the table is full
 */
static union flow *flow_add(enum flow_type type, const struct flowside *tap)
{
	union flow *flow = flow_alloc();

	if (!flow)
		return NULL;
	flow->f.type = (uint8_t)type;
	flow->f.tap = *tap;
	flow_hash_insert(flow);
	return flow;
}

TEST(flow_siphash_matches_reference_vector)
{
	/* SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e */
	uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[15];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CHECK(flow_siphash(key, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL);
}

TEST(flow_hash_depends_on_every_key_field)
{
	struct flowside a = side4("192.0.2.10", 40000, "192.0.2.2", 80), b;
	uint64_t h;

	flow_init();
	h = flow_hash(FLOW_TYPE_TCP, &a);
	CHECK(h == flow_hash(FLOW_TYPE_TCP, &a));
	CHECK(h != flow_hash(FLOW_TYPE_UDP, &a));
	b = a;
	b.lport++;
	CHECK(h != flow_hash(FLOW_TYPE_TCP, &b));
	b = a;
	b.rport++;
	CHECK(h != flow_hash(FLOW_TYPE_TCP, &b));
	b = side4("192.0.2.11", 40000, "192.0.2.2", 80);
	CHECK(h != flow_hash(FLOW_TYPE_TCP, &b));
	b = side4("192.0.2.10", 40000, "192.0.2.3", 80);
	CHECK(h != flow_hash(FLOW_TYPE_TCP, &b));
}

TEST(flow_lookup_finds_inserted_flow_by_type_and_side)
{
	struct flowside a = side4("192.0.2.10", 40000, "192.0.2.2", 80);
	struct flowside b = side4("192.0.2.10", 40001, "192.0.2.2", 80);
	union flow *fa, *fb;

	flow_init();
	fa = flow_add(FLOW_TYPE_TCP, &a);
	fb = flow_add(FLOW_TYPE_TCP, &b);
	CHECK(fa && fb && fa != fb);
	CHECK(flow_lookup(FLOW_TYPE_TCP, &a) == fa);
	CHECK(flow_lookup(FLOW_TYPE_TCP, &b) == fb);
	CHECK(!flow_lookup(FLOW_TYPE_UDP, &a));
	CHECK(flow_at(flow_idx(fa), FLOW_TYPE_TCP) == fa);
	CHECK(!flow_at(flow_idx(fa), FLOW_TYPE_UDP));
	CHECK(!flow_at(FLOW_MAX, FLOW_TYPE_TCP));
	CHECK(flow_count() == 2);
}

TEST(flow_close_unhashes_now_and_frees_on_timer_walk)
{
	struct flowside a = side4("192.0.2.10", 40000, "192.0.2.2", 80);
	struct ctx c;
	union flow *fa;

	harness_ctx(&c);
	flow_init();
	fa = flow_add(FLOW_TYPE_UDP, &a);
	CHECK(fa);
	flow_close(fa);
	CHECK(!flow_lookup(FLOW_TYPE_UDP, &a));
	CHECK(!flow_at(flow_idx(fa), FLOW_TYPE_UDP));
	CHECK(fa->f.state == FLOW_STATE_CLOSED);
	CHECK(flow_count() == 1);
	flow_timer(&c, 0);
	CHECK(fa->f.state == FLOW_STATE_FREE);
	CHECK(flow_count() == 0);
	harness_close(&c);
}

TEST(flow_lookup_survives_removal_from_the_middle_of_a_bucket)
{
	static struct flowside sides[3000];
	static union flow *flows[3000];
	unsigned int i;

	flow_init();
	/* Enough flows that buckets hold several: remove every other one */
	for (i = 0; i < 3000; i++) {
		sides[i] = side4("192.0.2.10", (uint16_t)(1000 + i),
				 "192.0.2.2", 443);
		flows[i] = flow_add(FLOW_TYPE_TCP, &sides[i]);
		CHECK(flows[i]);
	}
	for (i = 0; i < 3000; i += 2)
		flow_close(flows[i]);
	for (i = 0; i < 3000; i++)
		CHECK(flow_lookup(FLOW_TYPE_TCP, &sides[i]) ==
		      (i % 2 ? flows[i] : NULL));
}

TEST(flow_full_table_refuses_then_recovers)
{
	struct flowside a = side4("192.0.2.10", 40000, "192.0.2.2", 80);
	union flow *last = NULL;
	struct ctx c;
	unsigned int i;

	harness_ctx(&c);
	flow_init();
	for (i = 0; i < FLOW_MAX; i++) {
		last = flow_alloc();
		CHECK(last);
	}
	CHECK(flow_count() == FLOW_MAX);
	CHECK(!flow_alloc());

	flow_close(last);
	CHECK(!flow_alloc());		/* freed by the timer walk only */
	flow_timer(&c, 0);
	last = flow_add(FLOW_TYPE_TCP, &a);
	CHECK(last);
	CHECK(flow_lookup(FLOW_TYPE_TCP, &a) == last);
	harness_close(&c);
}
