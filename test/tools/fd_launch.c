// SPDX-License-Identifier: GPL-2.0-or-later
/* fd_launch.c - start the daemon as QEMU's "-netdev passt" does, and use it
 *
 * Usage: fd_launch [--dhcp] [--rs] [--echo ADDR4] [--as-fd N] PIDFILE GATEWAY
 *		    -- PASST [ARGS...]
 *
 * Makes a socketpair, starts PASST with one end as fd 3, or N with --as-fd
 * (its arguments should include --fd with that number and --pid PIDFILE),
 * and waits for the launched process to exit 0 as a launcher does. Then,
 * over the link (frames with a 32-bit length prefix), it sends the probes
 * asked for:
 *   --dhcp	 a DHCPDISCOVER; prints the offer's options, or "dhcp: no reply"
 *   --rs	 a router solicitation; prints the advertisement's flags,
 *		 prefixes and resolvers, or "ra: no reply"
 *   --echo A an ICMP echo request to A; prints "echo: reply from A", or
 *		 "echo: no reply"
 * and last an address resolution for GATEWAY (ARP if it is an IPv4
 * address, a neighbour solicitation if IPv6), whose answer must come. The
 * daemon answers DHCP and router solicitations at once, in order, so a
 * probe with no answer before the resolution's has none. An echo reply
 * comes later, from the host: it is awaited for WAIT_MS. Then the tool
 * closes the link and waits (bounded) for the daemon to exit, as it does
 * with --one-off.
 *
 * Exit status 0 if the daemon started, answered the address resolution and
 * exited once the link closed; what the probes got is printed, not judged.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"

#define WAIT_MS		5000
#define FRAME_MAX	70000
#define ETH_LEN		14
#define IP4_LEN		20
#define IP6_LEN		40
#define UDP_LEN		8
#define BOOTP_LEN	236
#define DHCP_XID	0x7e57c0deU
#define ECHO_ID		0x4c61

/* The tool's side of the link: its MAC and addresses */
static const uint8_t our_mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef };
static const uint8_t our_ip4[4] = { 192, 0, 2, 77 };
static const uint8_t our_ll6[16] = { 0xfe, 0x80, [8] = 0x50, 0x54, 0x00,
				     0xff, 0xfe, 0xab, 0xcd, 0xef };

/**
 * struct probes - what was asked for, and what came back
 * @dhcp:	send a DHCPDISCOVER
 * @rs:		send a router solicitation
 * @echo:	send an ICMP echo request to @echo_to
 * @echo_to:	destination of the echo request
 * @gw_af:	AF_INET or AF_INET6: family of @gw
 * @gw:		address resolved last, as the fence
 * @dhcp_seen:	an offer came
 * @ra_seen:	an advertisement came
 * @echo_seen:	the echo reply came
 * @gw_seen:	the resolution's answer came
 * @as_fd:	descriptor number the daemon gets the link as
 */
struct probes {
	bool dhcp, rs, echo;
	struct in_addr echo_to;
	int gw_af;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} gw;
	bool dhcp_seen, ra_seen, echo_seen, gw_seen;
	int as_fd;
};

/**
 * frame_send() - write one frame, length-prefixed, to the link
 * @fd:		link socket
 * @f:		frame, from the Ethernet header
 * @len:	its length
 *
 * Return: 0 on success, -1 on error
 */
static int frame_send(int fd, const uint8_t *f, size_t len)
{
	uint8_t buf[4 + 600];
	uint32_t be = htonl((uint32_t)len);

	if (len > sizeof(buf) - 4)
		return -1;
	memcpy(buf, &be, 4);
	memcpy(buf + 4, f, len);
	return write(fd, buf, 4 + len) == (ssize_t)(4 + len) ? 0 : -1;
}

/**
 * eth_put() - fill an Ethernet header from the tool's MAC
 * @f:		frame
 * @dst:	destination MAC
 * @type:	EtherType
 */
static void eth_put(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, our_mac, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

/**
 * ip4_put() - fill an IPv4 header, its checksum and the transport's
 * @ip:		header, followed by @l4len bytes of transport data
 * @src:	source address
 * @dst:	destination address
 * @proto:	IPPROTO_UDP or IPPROTO_ICMP
 * @l4len:	transport length
 */
static void ip4_put(uint8_t *ip, const uint8_t *src, struct in_addr dst,
		    uint8_t proto, size_t l4len)
{
	uint16_t tot = htons((uint16_t)(IP4_LEN + l4len)), sum;
	uint8_t *l4 = ip + IP4_LEN;
	struct in_addr s;

	memset(ip, 0, IP4_LEN);
	ip[0] = 0x45;
	memcpy(ip + 2, &tot, 2);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, &dst, 4);
	sum = csum_plain(ip, IP4_LEN);
	memcpy(ip + 10, &sum, 2);

	memcpy(&s, src, 4);
	if (proto == IPPROTO_ICMP)
		sum = csum_plain(l4, l4len);
	else
		sum = csum_l4_ip4(s, dst, proto, l4, l4len);
	memcpy(l4 + (proto == IPPROTO_ICMP ? 2 : 6), &sum, 2);
}

/**
 * ip6_nd_put() - fill an IPv6 header for a neighbour discovery message from
 * the tool's link-local address, and the ICMPv6 checksum
 * @ip:		header, followed by @l4len bytes of ICMPv6
 * @dst:	destination address
 * @l4len:	ICMPv6 length
 */
static void ip6_nd_put(uint8_t *ip, const struct in6_addr *dst, size_t l4len)
{
	struct in6_addr src;
	uint16_t sum;

	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(l4len >> 8);
	ip[5] = (uint8_t)l4len;
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, our_ll6, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(&src, our_ll6, 16);
	sum = csum_l4_ip6(&src, dst, IPPROTO_ICMPV6, ip + IP6_LEN, l4len);
	memcpy(ip + IP6_LEN + 2, &sum, 2);
}

/**
 * send_arp() - ARP request for an IPv4 address
 * @fd:		link socket
 * @target:	address asked for
 *
 * Return: 0 on success, -1 on error
 */
static int send_arp(int fd, struct in_addr target)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	uint8_t f[ETH_LEN + 28] = { 0 };

	eth_put(f, bcast, 0x0806);
	memcpy(f + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(f + 22, our_mac, 6);
	/* A probe from 0.0.0.0 is not answered: claim a sender address */
	memcpy(f + 28, our_ip4, 4);
	memcpy(f + 38, &target, 4);
	return frame_send(fd, f, sizeof(f));
}

/**
 * send_nd() - a neighbour discovery solicitation carrying our link-layer
 * address
 * @fd:		link socket
 * @mac:	destination MAC address
 * @dst:	destination address
 * @type:	ICMPv6 type: 133 (router) or 135 (neighbour solicitation)
 * @target:	address asked for, NULL for a router solicitation
 *
 * Return: 0 on success, -1 on error
 */
static int send_nd(int fd, const uint8_t *mac, const struct in6_addr *dst,
		   uint8_t type, const struct in6_addr *target)
{
	uint8_t f[ETH_LEN + IP6_LEN + 32] = { 0 }, *icmp = f + ETH_LEN + IP6_LEN;
	size_t opt = target ? 24 : 8, l4len = opt + 8;

	eth_put(f, mac, 0x86dd);
	icmp[0] = type;
	if (target)
		memcpy(icmp + 8, target, 16);
	icmp[opt] = 1;			/* source link-layer address */
	icmp[opt + 1] = 1;
	memcpy(icmp + opt + 2, our_mac, 6);
	ip6_nd_put(f + ETH_LEN, dst, l4len);
	return frame_send(fd, f, ETH_LEN + IP6_LEN + l4len);
}

/**
 * send_ns() - neighbour solicitation for an IPv6 address
 * @fd:		link socket
 * @target:	address asked for
 *
 * Return: 0 on success, -1 on error
 */
static int send_ns(int fd, const struct in6_addr *target)
{
	uint8_t mac[6] = { 0x33, 0x33, 0xff };
	struct in6_addr snm = { .s6_addr = { 0xff, 0x02, [11] = 1, 0xff } };

	memcpy(mac + 3, target->s6_addr + 13, 3);
	memcpy(snm.s6_addr + 13, target->s6_addr + 13, 3);
	return send_nd(fd, mac, &snm, 135, target);
}

/**
 * send_rs() - router solicitation to all routers
 * @fd:		link socket
 *
 * Return: 0 on success, -1 on error
 */
static int send_rs(int fd)
{
	static const uint8_t mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	static const struct in6_addr all_routers = {
		.s6_addr = { 0xff, 0x02, [15] = 2 }
	};

	return send_nd(fd, mac, &all_routers, 133, NULL);
}

/**
 * send_dhcp_discover() - broadcast DHCPDISCOVER asking for the options
 * this tool prints
 * @fd:		link socket
 *
 * Return: 0 on success, -1 on error
 */
static int send_dhcp_discover(int fd)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t opts[] = {
		99, 130, 83, 99,		/* magic cookie */
		53, 1, 1,			/* DHCPDISCOVER */
		55, 7, 1, 3, 6, 12, 15, 26, 119,
		255,
	};
	uint8_t f[ETH_LEN + IP4_LEN + UDP_LEN + 300] = { 0 };
	uint8_t *udp = f + ETH_LEN + IP4_LEN, *bootp = udp + UDP_LEN;
	uint32_t xid = htonl(DHCP_XID);
	uint16_t ulen = htons(UDP_LEN + 300);
	struct in_addr all = { INADDR_BROADCAST };
	static const uint8_t any[4];

	eth_put(f, bcast, 0x0800);
	udp[1] = 68;
	udp[3] = 67;
	memcpy(udp + 4, &ulen, 2);
	bootp[0] = 1;			/* BOOTREQUEST, Ethernet */
	bootp[1] = 1;
	bootp[2] = 6;
	memcpy(bootp + 4, &xid, 4);
	bootp[10] = 0x80;		/* broadcast reply */
	memcpy(bootp + 28, our_mac, 6);
	memcpy(bootp + BOOTP_LEN, opts, sizeof(opts));
	ip4_put(f + ETH_LEN, any, all, IPPROTO_UDP, UDP_LEN + 300);
	return frame_send(fd, f, sizeof(f));
}

/**
 * send_echo() - ICMP echo request
 * @fd:		link socket
 * @dst:	destination
 *
 * Return: 0 on success, -1 on error
 */
static int send_echo(int fd, struct in_addr dst)
{
	uint8_t f[ETH_LEN + IP4_LEN + 16] = { 0 }, *icmp = f + ETH_LEN + IP4_LEN;
	static const uint8_t gw_mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

	/* The daemon takes any destination MAC from the guest */
	eth_put(f, gw_mac, 0x0800);
	icmp[0] = 8;
	icmp[4] = ECHO_ID >> 8;
	icmp[5] = ECHO_ID & 0xff;
	icmp[7] = 1;
	memset(icmp + 8, 0x5a, 8);		/* payload */
	ip4_put(f + ETH_LEN, our_ip4, dst, IPPROTO_ICMP, 16);
	return frame_send(fd, f, sizeof(f));
}

/**
 * print_search() - print a domain search list (RFC 3397: RFC 1035 names,
 * compression pointers allowed within the list)
 * @d:		the list, all option 119 pieces joined
 * @len:	its length
 */
static void print_search(const uint8_t *d, size_t len)
{
	size_t start = 0;

	while (start < len) {
		size_t i = start, next = 0;
		int hops = 0;

		printf(" ");
		while (i < len && d[i] && hops < 64) {
			if ((d[i] & 0xc0) == 0xc0 && i + 1 < len) {
				if (!next)
					next = i + 2;
				i = (size_t)(d[i] & 0x3f) << 8 | d[i + 1];
				hops++;
				continue;
			}
			if (i + 1 + d[i] > len)
				break;
			printf("%.*s.", d[i], (const char *)d + i + 1);
			i += 1 + (size_t)d[i];
		}
		start = next ? next : i + 1;
	}
}

/**
 * print_addrs4() - print a list of IPv4 addresses, comma-separated
 * @o:		option data
 * @len:	its length
 */
static void print_addrs4(const uint8_t *o, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i += 4)
		printf("%s%u.%u.%u.%u", i ? "," : " ", o[i], o[i + 1],
		       o[i + 2], o[i + 3]);
}

/**
 * on_dhcp() - a frame that may be the DHCP offer: print its options
 * @f:		frame
 * @len:	its length
 *
 * Return: true if it was the offer
 */
static bool on_dhcp(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_LEN, *udp, *bootp, *o, *end;
	uint8_t search[1024];
	bool dns = false, srch = false;
	size_t slen = 0;
	uint32_t xid;

	if (len < ETH_LEN + IP4_LEN || f[12] != 0x08 || f[13] != 0 ||
	    ip[9] != IPPROTO_UDP)
		return false;
	udp = ip + (size_t)(ip[0] & 0xf) * 4;
	bootp = udp + UDP_LEN;
	if ((size_t)(bootp - f) + BOOTP_LEN + 4 > len || udp[3] != 68)
		return false;
	memcpy(&xid, bootp + 4, 4);
	if (bootp[0] != 2 || ntohl(xid) != DHCP_XID)
		return false;

	printf("dhcp: from %02x:%02x:%02x:%02x:%02x:%02x offer",
	       f[6], f[7], f[8], f[9], f[10], f[11]);
	print_addrs4(bootp + 16, 4);
	end = f + len;
	for (o = bootp + BOOTP_LEN + 4; o + 2 <= end && *o != 255;
	     o += (*o ? 2 + o[1] : 1)) {
		if (!*o)
			continue;
		if (o + 2 + o[1] > end)
			break;
		switch (o[0]) {
		case 1:
			printf(" mask");
			print_addrs4(o + 2, o[1]);
			break;
		case 3:
			printf(" router");
			print_addrs4(o + 2, o[1]);
			break;
		case 6:
			printf(" dns");
			print_addrs4(o + 2, o[1]);
			dns = true;
			break;
		case 26:
			printf(" mtu %u", (unsigned)(o[2] << 8 | o[3]));
			break;
		case 12:
			printf(" hostname %.*s", o[1], o + 2);
			break;
		case 119:
			if (slen + o[1] <= sizeof(search)) {
				memcpy(search + slen, o + 2, o[1]);
				slen += o[1];
			}
			srch = true;
			break;
		}
	}
	if (srch) {
		printf(" search");
		print_search(search, slen);
	}
	printf("%s%s\n", dns ? "" : " dns none", srch ? "" : " search none");
	return true;
}

/**
 * on_ra() - a frame that may be a router advertisement: print it
 * @f:		frame
 * @len:	its length
 *
 * Return: true if it was one
 */
static bool on_ra(const uint8_t *f, size_t len)
{
	const uint8_t *icmp = f + ETH_LEN + IP6_LEN, *o, *end = f + len;
	char a[INET6_ADDRSTRLEN];
	int i;

	if (len < ETH_LEN + IP6_LEN + 16 || f[12] != 0x86 || f[13] != 0xdd ||
	    f[ETH_LEN + 6] != IPPROTO_ICMPV6 || icmp[0] != 134)
		return false;
	printf("ra: from %02x:%02x:%02x:%02x:%02x:%02x flags%s%s",
	       f[6], f[7], f[8], f[9], f[10], f[11],
	       icmp[5] & 0x80 ? " M" : "", icmp[5] & 0x40 ? " O" : "");
	for (o = icmp + 16; o + 8 <= end && o[1]; o += (size_t)o[1] * 8) {
		if (o + (size_t)o[1] * 8 > end)
			break;
		if (o[0] == 3 && o[1] == 4)
			printf(" prefix %s/%u",
			       inet_ntop(AF_INET6, o + 16, a, sizeof(a)), o[2]);
		for (i = 0; o[0] == 25 && 8 + (i + 1) * 16 <= o[1] * 8; i++)
			printf(" rdnss %s",
			       inet_ntop(AF_INET6, o + 8 + (size_t)i * 16, a,
					 sizeof(a)));
	}
	printf("\n");
	return true;
}

/**
 * on_echo() - a frame that may be the echo reply, with the request's
 * identifier
 * @f:		frame
 * @len:	its length
 * @from:	the address the request went to
 *
 * Return: true if it was the reply
 */
static bool on_echo(const uint8_t *f, size_t len, struct in_addr from)
{
	const uint8_t *ip = f + ETH_LEN, *icmp;

	if (len < ETH_LEN + IP4_LEN + 8 || f[12] != 0x08 || f[13] != 0 ||
	    ip[9] != IPPROTO_ICMP || memcmp(ip + 12, &from, 4))
		return false;
	icmp = ip + (size_t)(ip[0] & 0xf) * 4;
	if ((size_t)(icmp - f) + 8 > len || icmp[0] != 0 ||
	    (icmp[4] << 8 | icmp[5]) != ECHO_ID)
		return false;
	printf("echo: reply from %s\n", inet_ntoa(from));
	return true;
}

/**
 * on_gw() - a frame that may answer the resolution of the gateway: an ARP
 * reply, or a neighbour advertisement
 * @f:		frame
 * @len:	its length
 * @p:		probes, for the gateway's address
 *
 * Return: true if it was the answer
 */
static bool on_gw(const uint8_t *f, size_t len, const struct probes *p)
{
	char a[INET6_ADDRSTRLEN];
	const uint8_t *mac;

	if (p->gw_af == AF_INET) {
		if (len < ETH_LEN + 28 || f[12] != 0x08 || f[13] != 0x06 ||
		    f[21] != 2 || memcmp(f + 28, &p->gw.v4, 4))
			return false;
		mac = f + 22;
		printf("ARP reply: %s", inet_ntoa(p->gw.v4));
	} else {
		if (len < ETH_LEN + IP6_LEN + 24 || f[12] != 0x86 ||
		    f[13] != 0xdd || f[ETH_LEN + 6] != IPPROTO_ICMPV6 ||
		    f[ETH_LEN + IP6_LEN] != 136 ||
		    memcmp(f + ETH_LEN + IP6_LEN + 8, &p->gw.v6, 16))
			return false;
		mac = f + 6;
		printf("NA: %s",
		       inet_ntop(AF_INET6, &p->gw.v6, a, sizeof(a)));
	}
	printf(" is at %02x:%02x:%02x:%02x:%02x:%02x\n",
	       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return true;
}

/**
 * on_frame() - look at one frame from the daemon, record what it answers
 * @f:		frame
 * @len:	its length
 * @p:		probes
 */
static void on_frame(const uint8_t *f, size_t len, struct probes *p)
{
	if (p->dhcp && !p->dhcp_seen && !p->gw_seen && on_dhcp(f, len))
		p->dhcp_seen = true;
	else if (p->rs && !p->ra_seen && !p->gw_seen && on_ra(f, len))
		p->ra_seen = true;
	else if (p->echo && !p->echo_seen && on_echo(f, len, p->echo_to))
		p->echo_seen = true;
	else if (!p->gw_seen && on_gw(f, len, p))
		p->gw_seen = true;
}

/**
 * now_ms() - monotonic clock in milliseconds
 *
 * Return: milliseconds
 */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/**
 * read_answers() - read frames until the gateway's resolution is answered
 * and, if an echo was sent, its reply came; at most WAIT_MS
 * @fd:		link socket
 * @p:		probes
 *
 * Return: 0 if the link worked, -1 on a read error or a malformed length
 */
static int read_answers(int fd, struct probes *p)
{
	static uint8_t buf[FRAME_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long deadline = now_ms() + WAIT_MS;
	size_t have = 0;

	while (!p->gw_seen || (p->echo && !p->echo_seen)) {
		long long left = deadline - now_ms();
		uint32_t flen;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return 0;
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		while (have >= 4) {
			memcpy(&flen, buf, 4);
			flen = ntohl(flen);
			if (flen > sizeof(buf) - 4)
				return -1;
			if (have < 4 + flen)
				break;
			on_frame(buf + 4, flen, p);
			memmove(buf, buf + 4 + flen, have - 4 - flen);
			have -= 4 + flen;
		}
	}
	return 0;
}

/**
 * probe() - send the probes, the gateway's resolution last, and report
 * @fd:		link socket
 * @p:		probes
 *
 * Return: 0 if the resolution was answered, -1 otherwise
 */
static int probe(int fd, struct probes *p)
{
	if ((p->dhcp && send_dhcp_discover(fd)) || (p->rs && send_rs(fd)) ||
	    (p->echo && send_echo(fd, p->echo_to)) ||
	    (p->gw_af == AF_INET ? send_arp(fd, p->gw.v4) :
				   send_ns(fd, &p->gw.v6)))
		return -1;
	if (read_answers(fd, p))
		return -1;
	if (p->dhcp && !p->dhcp_seen)
		printf("dhcp: no reply\n");
	if (p->rs && !p->ra_seen)
		printf("ra: no reply\n");
	if (p->echo && !p->echo_seen)
		printf("echo: no reply\n");
	if (!p->gw_seen)
		fprintf(stderr, "no answer to the gateway's resolution\n");
	return p->gw_seen ? 0 : -1;
}

/**
 * pid_read() - the daemon's PID, from its PID file; read while the link is
 * open, as the daemon removes the file when it exits
 * @pidfile:	file holding its PID
 *
 * Return: the PID, or -1 if the file holds none
 */
static pid_t pid_read(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	int pid = 0;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid <= 0) {
		fprintf(stderr, "no PID in %s\n", pidfile);
		return -1;
	}
	return pid;
}

/**
 * pid_wait_gone() - wait, bounded, for a process that is not our child
 * @pid:	its PID
 *
 * Return: 0 if it exited within WAIT_MS, -1 otherwise
 */
static int pid_wait_gone(pid_t pid)
{
	int i;

	for (i = 0; i < WAIT_MS / 50; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "daemon %d still running after its link closed\n",
		pid);
	kill(pid, SIGTERM);
	return -1;
}

/**
 * launch() - start the daemon with one end of a socketpair as a given fd,
 * and wait for the launched process to exit 0
 * @argv:	daemon's argument vector
 * @as_fd:	descriptor number the daemon gets its end as
 *
 * Return: our end of the link, or -1 on failure
 */
static int launch(char **argv, int as_fd)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* The daemon holds its end alone, as given by a launcher */
		if (sv[0] != as_fd)
			close(sv[0]);
		if (sv[1] != as_fd) {
			dup2(sv[1], as_fd);
			close(sv[1]);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "launched process did not exit 0\n");
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/**
 * usage() - print the usage and exit 2
 * @name:	program name
 */
static void usage(const char *name)
{
	fprintf(stderr, "usage: %s [--dhcp] [--rs] [--echo ADDR4] [--as-fd N] "
		"PIDFILE GATEWAY -- PASST [ARGS]\n", name);
	exit(2);
}

/**
 * parse_probes() - the options before PIDFILE
 * @argc:	argument count
 * @argv:	arguments
 * @p:		probes to fill
 *
 * Return: index of PIDFILE in @argv
 */
static int parse_probes(int argc, char **argv, struct probes *p)
{
	int i;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--dhcp")) {
			p->dhcp = true;
		} else if (!strcmp(argv[i], "--rs")) {
			p->rs = true;
		} else if (!strcmp(argv[i], "--echo") && i + 1 < argc &&
			   inet_pton(AF_INET, argv[i + 1], &p->echo_to) == 1) {
			p->echo = true;
			i++;
		} else if (!strcmp(argv[i], "--as-fd") && i + 1 < argc) {
			p->as_fd = atoi(argv[++i]);
		} else {
			usage(argv[0]);
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct probes p = { .as_fd = 3 };
	int i, fd;
	pid_t pid;

	i = parse_probes(argc, argv, &p);
	if (argc < i + 4 || strcmp(argv[i + 2], "--"))
		usage(argv[0]);
	if (inet_pton(AF_INET, argv[i + 1], &p.gw.v4) == 1)
		p.gw_af = AF_INET;
	else if (inet_pton(AF_INET6, argv[i + 1], &p.gw.v6) == 1)
		p.gw_af = AF_INET6;
	else
		usage(argv[0]);

	fd = launch(argv + i + 3, p.as_fd);
	if (fd < 0)
		return 1;
	pid = pid_read(argv[i]);
	if (probe(fd, &p) || pid < 0) {
		close(fd);
		return 1;
	}
	fflush(stdout);
	close(fd);
	return pid_wait_gone(pid) ? 1 : 0;
}
