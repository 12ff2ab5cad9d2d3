/* SPDX-License-Identifier: GPL-2.0-or-later
 * udp.h - UDP flows between the guest and host sockets
 */
#ifndef UDP_H
#define UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "inany.h"
#include "passt.h"

#define UDP_HDR_LEN	8

void udp_init(struct ctx *c);
bool udp_input(struct ctx *c, int af, const union inany_addr *src,
	       const union inany_addr *dst, const uint8_t *l4, size_t l4len);
void udp_reply_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
int udp_flow_restore(const struct ctx *c, const struct flowside *tap,
		     const struct flowside *sock);

#endif /* UDP_H */
