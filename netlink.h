/* SPDX-License-Identifier: GPL-2.0-or-later
 * netlink.h - the host's default routes and addresses, read with rtnetlink
 */
#ifndef NETLINK_H
#define NETLINK_H

int nl_route_default(int af, unsigned int *ifindex, void *gw);
int nl_addr_get(int af, unsigned int ifindex, void *addr, int *prefix_len);

#endif /* NETLINK_H */
