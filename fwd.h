/* SPDX-License-Identifier: GPL-2.0-or-later
 * fwd.h - address translation between guest and host, forwarding listeners
 */
#ifndef FWD_H
#define FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "inany.h"
#include "passt.h"

/* Listener epoll reference index: spec index and host port */
#define FWD_REF_SPEC_SHIFT	16
#define FWD_REF_IDENTITY	0xff	/* spec index of "all": same port */

int fwd_listen(struct ctx *c);
uint16_t fwd_guest_port(const struct fwd_ports *fp, uint32_t ref_index);
bool fwd_nat_outbound(const struct ctx *c, const union inany_addr *dst,
		      uint16_t port, union inany_addr *target);
int fwd_nat_inbound(const struct ctx *c, const union inany_addr *peer,
		    struct flowside *tap);
int fwd_sock_outbound(const struct ctx *c, int type, int proto,
		      const union inany_addr *target);
int fwd_send_to_guest(const struct ctx *c, const struct flowside *tap,
		      uint8_t proto, const void *l4, size_t len);

#endif /* FWD_H */
