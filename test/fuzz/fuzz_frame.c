// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_frame.c - arbitrary bytes as guest frames, through frame_input()
 *
 * The daemon's answers go to a socketpair that is drained after each input.
 * Services that would open host sockets (ICMP, TCP, UDP) are turned off:
 * the fuzzer must send nothing anywhere; run.sh also isolates it in a
 * network namespace of its own.
 */

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "passt.h"
#include "tap.h"

static struct ctx c;
static int guest_fd = -1;

/**
 * fuzz_setup() - a documentation-range configuration with a stream link
 */
static void fuzz_setup(void)
{
	int sv[2];

	log_init("fuzz", true, NULL, LOG_LEVEL_ERR);
	memset(&c, 0, sizeof(c));
	c.ifi4 = c.ifi6 = true;
	c.no_icmp = c.no_tcp = c.no_udp = true;
	inet_pton(AF_INET, "192.0.2.10", &c.ip4.addr);
	inet_pton(AF_INET, "192.0.2.1", &c.ip4.gw);
	c.ip4.prefix_len = 24;
	c.ip4.dns[0] = c.ip4.gw;
	c.ip4.dns_count = 1;
	inet_pton(AF_INET6, "2001:db8::10", &c.ip6.addr);
	inet_pton(AF_INET6, "2001:db8::1", &c.ip6.gw);
	inet_pton(AF_INET6, "fe80::9855:9aff:fe55:9a55", &c.ip6.our_ll);
	c.ip6.prefix_len = 64;
	c.mtu = 65520;
	memcpy(c.our_mac, "\x9a\x55\x9a\x55\x9a\x55", 6);
	strcpy(c.search[0], "example.org");
	c.search_count = 1;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	c.fd_tap = sv[0];
	guest_fd = sv[1];
}

/**
 * fuzz_drain() - read and discard whatever the daemon answered
 */
static void fuzz_drain(void)
{
	static uint8_t buf[1 << 16];

	while (recv(guest_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput() - one input: one frame
 * @data:	frame bytes
 * @size:	frame length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (guest_fd < 0)
		fuzz_setup();
	frame_input(&c, data, size);
	fuzz_drain();
	return 0;
}
