/* SPDX-License-Identifier: GPL-2.0-or-later
 * tcp_migrate.h - migration sections of the flow table and TCP connections
 */
#ifndef TCP_MIGRATE_H
#define TCP_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flow.h"

#include "migrate.h"
#include "tcp_repair.h"

/* Section ids: never reuse one for a different meaning */
#define TCP_MIGRATE_SEC_FLOWS	3	/* flow table */
#define TCP_MIGRATE_SEC_CONNS	4	/* TCP connections: both views */
#define TCP_MIGRATE_SEC_QUEUES	5	/* TCP queue bytes */

/* Length of a serialised struct tcp_repair_state */
#define TCP_MIGRATE_REPAIR_LEN	88

void tcp_migrate_state_put(uint8_t *buf, const struct tcp_repair_state *st);
int tcp_migrate_state_get(struct tcp_repair_state *st, const uint8_t *buf,
			  size_t len, char *why, size_t why_len);

int tcp_migrate_flows_prepare(struct ctx *c);
void tcp_migrate_not_carried(unsigned int version);
void tcp_migrate_flows_rollback(struct ctx *c);
ssize_t tcp_migrate_flows_source(struct ctx *c, struct migrate_cursor *cur,
				 uint8_t *buf, size_t size);
int tcp_migrate_flows_target(struct ctx *c, struct migrate_cursor *cur,
			     const uint8_t *buf, size_t len);
ssize_t tcp_migrate_conns_source(struct ctx *c, struct migrate_cursor *cur,
				 uint8_t *buf, size_t size);
int tcp_migrate_conns_target(struct ctx *c, struct migrate_cursor *cur,
			     const uint8_t *buf, size_t len);
ssize_t tcp_migrate_queues_source(struct ctx *c, struct migrate_cursor *cur,
				  uint8_t *buf, size_t size);
int tcp_migrate_queues_target(struct ctx *c, struct migrate_cursor *cur,
			      const uint8_t *buf, size_t len);
void tcp_migrate_source_done(struct ctx *c);
void tcp_migrate_source_resume(struct ctx *c);
void tcp_migrate_target_abort(struct ctx *c);

/* Limits of the sections: a target reads no more */
#define TCP_MIGRATE_FLOWS_MAX	((uint64_t)FLOW_MAX * 80)
#define TCP_MIGRATE_CONNS_MAX	((uint64_t)FLOW_MAX * (40 + \
						     TCP_MIGRATE_REPAIR_LEN))
#define TCP_MIGRATE_QUEUES_MAX	((uint64_t)FLOW_MAX * 16 + (8ULL << 30))

/* The rows of migrate.c's section tables, in stream order */
#define TCP_MIGRATE_SECTIONS						\
	{ .name = "flow table", .id = TCP_MIGRATE_SEC_FLOWS,		\
	  .max_len = TCP_MIGRATE_FLOWS_MAX,				\
	  .prepare = tcp_migrate_flows_prepare,				\
	  .source = tcp_migrate_flows_source,				\
	  .target = tcp_migrate_flows_target,				\
	  .rollback = tcp_migrate_flows_rollback },			\
	{ .name = "TCP connections", .id = TCP_MIGRATE_SEC_CONNS,	\
	  .max_len = TCP_MIGRATE_CONNS_MAX,				\
	  .source = tcp_migrate_conns_source,				\
	  .target = tcp_migrate_conns_target },				\
	{ .name = "TCP queues", .id = TCP_MIGRATE_SEC_QUEUES,		\
	  .max_len = TCP_MIGRATE_QUEUES_MAX,				\
	  .source = tcp_migrate_queues_source,				\
	  .target = tcp_migrate_queues_target }

#endif /* TCP_MIGRATE_H */
