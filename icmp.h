/* SPDX-License-Identifier: GPL-2.0-or-later
 * icmp.h - ICMP and ICMPv6 echo through unprivileged ping sockets
 */
#ifndef ICMP_H
#define ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "inany.h"
#include "passt.h"

void icmp_input(struct ctx *c, int af, const union inany_addr *src,
		const union inany_addr *dst, const uint8_t *l4, size_t len);
void icmp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void icmp_timer(struct ctx *c, uint64_t now);

#endif /* ICMP_H */
