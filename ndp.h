/* SPDX-License-Identifier: GPL-2.0-or-later
 * ndp.h - NDP: router and neighbour advertisements to the guest
 */
#ifndef NDP_H
#define NDP_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct pkt6;

bool ndp_input(struct ctx *c, const struct pkt6 *p);
void ndp_timer(const struct ctx *c, uint64_t now);

#endif /* NDP_H */
