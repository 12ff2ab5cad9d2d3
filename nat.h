/* SPDX-License-Identifier: GPL-2.0-or-later
 * nat.h - which host address a guest destination stands for, and back
 */
#ifndef NAT_H
#define NAT_H

#include <stdbool.h>

#include "inany.h"
#include "passt.h"

bool nat_outbound(const struct ctx *c, const union inany_addr *dst,
		  union inany_addr *host);
void nat_inbound(const struct ctx *c, const union inany_addr *host,
		 union inany_addr *guest);

#endif /* NAT_H */
