/* SPDX-License-Identifier: GPL-2.0-or-later
 * repair.h - switching TCP_REPAIR on sockets, directly or through passt-repair
 *
 * Also included by passt-repair.c for the wire protocol's constants: this
 * header declares, it links nothing.
 */
#ifndef REPAIR_H
#define REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passt.h"

/* Most socket fds in one helper message: the kernel's SCM_MAX_FD */
#define REPAIR_BATCH_MAX	253

/**
 * enum repair_cmd - command byte of a helper message, and TCP_REPAIR value
 * @REPAIR_OFF_NO_WP:	repair mode off, no window probe sent (kernel: -1)
 * @REPAIR_OFF:		repair mode off (kernel: TCP_REPAIR_OFF)
 * @REPAIR_ON:		repair mode on (kernel: TCP_REPAIR_ON)
 */
enum repair_cmd {
	REPAIR_OFF_NO_WP = -1,
	REPAIR_OFF = 0,
	REPAIR_ON = 1,
};

void repair_init(struct ctx *c);
void repair_cleanup(const struct ctx *c);
void repair_listen_handler(struct ctx *c, union epoll_ref ref,
			   uint32_t events);
void repair_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
bool repair_available(const struct ctx *c);
int repair_set(struct ctx *c, const int *fds, size_t n, int cmd);

#endif /* REPAIR_H */
