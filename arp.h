/* SPDX-License-Identifier: GPL-2.0-or-later
 * arp.h - ARP replies to the guest
 */
#ifndef ARP_H
#define ARP_H

#include <stddef.h>
#include <stdint.h>

struct ctx;

int arp_input(struct ctx *c, const void *arp, size_t len);

#endif /* ARP_H */
