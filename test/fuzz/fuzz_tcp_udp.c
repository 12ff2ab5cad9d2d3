// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_tcp_udp.c - arbitrary segments and datagrams into tcp_input() and
 * udp_input(), with real sockets behind them
 *
 * The target moves itself into a network namespace of its own, with only a
 * loopback: the gateway address leads to a listener there, so guest SYNs
 * become real connections whose socket events are dispatched after each
 * input, and every other destination is unreachable. Nothing can leave the
 * machine. Where no namespace can be made (no privilege), only the segment
 * parser is fuzzed.
 *
 * Input: byte 0 picks TCP or UDP and IPv4 or IPv6, byte 1 the destination
 * (the gateway, another address) and the source port, byte 2 advances the
 * clock given to the timer walk; the rest is the TCP or UDP header and
 * payload.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "log.h"
#include "passt.h"
#include "tcp.h"
#include "udp.h"

#define FUZZ_PORT	8080

static struct ctx c;
static int guest_fd = -1;
static int listener = -1;
static bool isolated;
static uint64_t fake_now;

/**
 * loopback_up() - bring up the loopback of the new namespace
 *
 * Return: 0 on success
 */
static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0), rc;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	rc = rc || ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return rc;
}

/**
 * fuzz_setup() - namespace, configuration, stream link, listener
 */
static void fuzz_setup(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(FUZZ_PORT) };
	int sv[2];

	log_init("fuzz", true, NULL, LOG_LEVEL_ERR);
	isolated = !unshare(CLONE_NEWNET) && !loopback_up();

	memset(&c, 0, sizeof(c));
	c.ifi4 = c.ifi6 = true;
	inet_pton(AF_INET, "192.0.2.10", &c.ip4.addr);
	inet_pton(AF_INET, "192.0.2.1", &c.ip4.gw);
	c.ip4.map_host_loopback = c.ip4.gw;
	inet_pton(AF_INET6, "2001:db8::10", &c.ip6.addr);
	inet_pton(AF_INET6, "2001:db8::1", &c.ip6.gw);
	c.ip6.map_host_loopback = c.ip6.gw;
	inet_pton(AF_INET6, "fe80::9855:9aff:fe55:9a55", &c.ip6.our_ll);
	c.mtu = 65520;
	memcpy(c.our_mac, "\x9a\x55\x9a\x55\x9a\x55", 6);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	c.fd_tap = sv[0];
	guest_fd = sv[1];
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);

	flow_init();
	tcp_init(&c);
	udp_init(&c);
	if (!isolated)
		return;

	/* Dual-stack listener on the loopback: the gateway leads here */
	listener = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (bind(listener, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listener, 64))
		isolated = false;
}

/**
 * fuzz_pump() - dispatch pending socket events, accept and drop clients,
 *		 run the timer walk, discard the daemon's frames
 * @tick:	milliseconds to advance the clock by
 */
static void fuzz_pump(uint8_t tick)
{
	static uint8_t buf[1 << 16];
	struct epoll_event ev[16];
	int n, i, s;

	while ((s = accept(listener, NULL, NULL)) >= 0) {
		if (tick & 1)
			send(s, buf, 100, MSG_DONTWAIT);
		close(s);
	}
	n = epoll_wait(c.epollfd, ev, 16, 0);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_TCP)
			tcp_sock_handler(&c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_UDP_REPLY)
			udp_reply_handler(&c, ref, ev[i].events);
	}
	fake_now += (uint64_t)tick * 100;
	flow_timer(&c, now_ms() + fake_now);
	while (recv(guest_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput() - one segment or datagram from the guest
 * @data:	selector bytes, then the TCP or UDP header and payload
 * @size:	input length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t l4[65536];
	union inany_addr src, dst;
	bool v6, tcp;
	size_t len;

	if (guest_fd < 0)
		fuzz_setup();
	if (size < 3)
		return 0;
	if (!isolated) {
		struct tcp_seg seg;

		tcp_seg_parse(data + 3, size - 3, &seg);
		return 0;
	}

	tcp = data[0] & 1;
	v6 = data[0] & 2;
	if (v6) {
		src.a6 = c.ip6.addr;
		dst.a6 = c.ip6.gw;
		if (data[1] & 1)
			inet_pton(AF_INET6, "2001:db8::2", &dst.a6);
	} else {
		inany_from_v4(&src, c.ip4.addr);
		inany_from_v4(&dst, c.ip4.gw);
		if (data[1] & 1)
			dst.v4mapped.a4.s_addr = htonl(0xc0000202);
	}

	/* Keep ports on the listener, mostly, so connections come up */
	len = MIN(size - 3, sizeof(l4));
	memcpy(l4, data + 3, len);
	if ((data[1] & 6) && len >= 4) {
		l4[0] = 0x9c;
		l4[1] = (uint8_t)(data[1] >> 3);
		l4[2] = FUZZ_PORT >> 8;
		l4[3] = FUZZ_PORT & 0xff;
	}

	if (tcp)
		tcp_input(&c, v6 ? AF_INET6 : AF_INET, &src, &dst, l4, len);
	else
		udp_input(&c, v6 ? AF_INET6 : AF_INET, &src, &dst, l4, len);
	fuzz_pump(data[2]);
	return 0;
}
