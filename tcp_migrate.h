/* SPDX-License-Identifier: GPL-2.0-or-later
 * tcp_migrate.h - migration sections of the flow table and TCP connections
 */
#ifndef TCP_MIGRATE_H
#define TCP_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_repair.h"

/* Length of a serialised struct tcp_repair_state */
#define TCP_MIGRATE_REPAIR_LEN	88

void tcp_migrate_state_put(uint8_t *buf, const struct tcp_repair_state *st);
int tcp_migrate_state_get(struct tcp_repair_state *st, const uint8_t *buf,
			  size_t len, char *why, size_t why_len);

#endif /* TCP_MIGRATE_H */
