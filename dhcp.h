/* SPDX-License-Identifier: GPL-2.0-or-later
 * dhcp.h - DHCPv4 server for the guest
 */
#ifndef DHCP_H
#define DHCP_H

#include <stdbool.h>

struct ctx;
struct pkt4;

bool dhcp_input(const struct ctx *c, const struct pkt4 *p);

#endif /* DHCP_H */
