// SPDX-License-Identifier: GPL-2.0-or-later
/* netlink.c - read the host's default routes and addresses with rtnetlink */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"
#include "util.h"

#define NL_BUF_SIZE	65536

/**
 * struct nl_dump - state of one netlink dump
 * @fd:		netlink socket
 * @buf:	receive buffer
 * @len:	valid bytes in @buf
 * @nh:		next message to look at
 * @done:	NLMSG_DONE or an error was seen
 */
struct nl_dump {
	int fd;
	char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t len;
	struct nlmsghdr *nh;
	bool done;
};

/**
 * nl_dump_start() - open a netlink socket and request a dump
 * @d:		dump state
 * @type:	RTM_GETROUTE or RTM_GETADDR
 * @af:		address family
 *
 * Return: 0 on success, -errno on failure
 */
static int nl_dump_start(struct nl_dump *d, uint16_t type, int af)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct rtmsg rtm;
			struct ifaddrmsg ifa;
		};
	} req = {
		.nh.nlmsg_type = type,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = 1,
	};

	d->len = 0;
	d->nh = NULL;
	d->done = false;
	if (type == RTM_GETROUTE) {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rtm));
		req.rtm.rtm_family = (uint8_t)af;
	} else {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
		req.ifa.ifa_family = (uint8_t)af;
	}
	d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (d->fd < 0)
		return -errno;
	if (send(d->fd, &req, req.nh.nlmsg_len, 0) < 0) {
		int ret = -errno;

		close(d->fd);
		return ret;
	}
	return 0;
}

/**
 * nl_dump_next() - the next message of a dump
 * @d:		dump state
 *
 * Return: next message, or NULL at the end of the dump
 */
static struct nlmsghdr *nl_dump_next(struct nl_dump *d)
{
	for (;;) {
		if (d->nh && NLMSG_OK(d->nh, (size_t)d->len)) {
			struct nlmsghdr *nh = d->nh;

			d->nh = NLMSG_NEXT(d->nh, d->len);
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				d->done = true;
				return NULL;
			}
			return nh;
		}
		if (d->done)
			return NULL;
		d->len = recv(d->fd, d->buf, sizeof(d->buf), 0);
		if (d->len <= 0) {
			d->done = true;
			return NULL;
		}
		d->nh = (struct nlmsghdr *)d->buf;
	}
}

/**
 * nl_route_default() - find the host's default route for a family
 * @af:		AF_INET or AF_INET6
 * @ifindex:	set to the outgoing interface of the route
 * @gw:		set to the gateway (struct in_addr or in6_addr), zero if none
 *
 * Return: 0 if a default route was found, -ENOENT if not, -errno on error
 */
int nl_route_default(int af, unsigned int *ifindex, void *gw)
{
	size_t alen = af == AF_INET ? 4 : 16;
	struct nlmsghdr *nh;
	struct nl_dump d;
	int ret = -ENOENT;

	ret = nl_dump_start(&d, RTM_GETROUTE, af);
	if (ret)
		return ret;
	ret = -ENOENT;
	while ((nh = nl_dump_next(&d))) {
		struct rtmsg *rtm = NLMSG_DATA(nh);
		size_t rlen = RTM_PAYLOAD(nh);
		unsigned int oif = 0;
		struct rtattr *rta;

		if (ret == 0 || rtm->rtm_dst_len || rtm->rtm_table != RT_TABLE_MAIN ||
		    rtm->rtm_type != RTN_UNICAST)
			continue;
		memset(gw, 0, alen);
		for (rta = RTM_RTA(rtm); RTA_OK(rta, rlen);
		     rta = RTA_NEXT(rta, rlen)) {
			if (rta->rta_type == RTA_OIF &&
			    RTA_PAYLOAD(rta) >= sizeof(oif))
				memcpy(&oif, RTA_DATA(rta), sizeof(oif));
			else if (rta->rta_type == RTA_GATEWAY &&
				 RTA_PAYLOAD(rta) >= alen)
				memcpy(gw, RTA_DATA(rta), alen);
		}
		if (oif) {
			*ifindex = oif;
			ret = 0;
		}
	}
	close(d.fd);
	return ret;
}

/**
 * nl_addr_get() - find an address of an interface, preferring global scope
 * @af:		AF_INET or AF_INET6
 * @ifindex:	interface index
 * @addr:	set to the address (struct in_addr or in6_addr)
 * @prefix_len:	set to its prefix length
 *
 * Return: 0 if an address was found, -ENOENT if not, -errno on error
 */
int nl_addr_get(int af, unsigned int ifindex, void *addr, int *prefix_len)
{
	size_t alen = af == AF_INET ? 4 : 16;
	int ret, best_scope = 256;
	struct nlmsghdr *nh;
	struct nl_dump d;

	ret = nl_dump_start(&d, RTM_GETADDR, af);
	if (ret)
		return ret;
	ret = -ENOENT;
	while ((nh = nl_dump_next(&d))) {
		struct ifaddrmsg *ifa = NLMSG_DATA(nh);
		size_t rlen = IFA_PAYLOAD(nh);
		struct rtattr *rta;

		if (ifa->ifa_index != ifindex || ifa->ifa_scope >= best_scope)
			continue;
		for (rta = IFA_RTA(ifa); RTA_OK(rta, rlen);
		     rta = RTA_NEXT(rta, rlen)) {
			if (rta->rta_type != IFA_ADDRESS ||
			    RTA_PAYLOAD(rta) < alen)
				continue;
			memcpy(addr, RTA_DATA(rta), alen);
			*prefix_len = ifa->ifa_prefixlen;
			best_scope = ifa->ifa_scope;
			ret = 0;
		}
	}
	close(d.fd);
	return ret;
}
