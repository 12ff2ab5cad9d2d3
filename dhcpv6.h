/* SPDX-License-Identifier: GPL-2.0-or-later
 * dhcpv6.h - DHCPv6 server for the guest
 */
#ifndef DHCPV6_H
#define DHCPV6_H

#include <stdbool.h>

struct ctx;
struct pkt6;

bool dhcpv6_input(const struct ctx *c, const struct pkt6 *p);

#endif /* DHCPV6_H */
