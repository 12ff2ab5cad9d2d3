// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_services.c - libFuzzer target: the daemon's own services
 *
 * The first input byte picks the service (ARP, DHCP, NDP, DHCPv6) and a
 * few variations (source address, hop limit, a configuration with long
 * search lists and host names); the rest is the ARP packet, or the payload
 * of the UDP or ICMPv6 packet. Every frame the daemon answers with must be
 * well formed, with correct checksums: anything else aborts.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "harness.h"
#include "log.h"
#include "ndp.h"

#define SEL_SERVICE	0x03	/* ARP, DHCP, NDP, DHCPv6 */
#define SEL_RAW_UDP	0x04	/* input is the whole UDP packet */
#define SEL_UNSPEC_SRC	0x08	/* source ::, or 0.0.0.0 */
#define SEL_BAD_HOPS	0x10	/* hop limit other than 255 */
#define SEL_RICH_CONF	0x20	/* long search list, host name, FQDN */

static struct ctx base, rich;

/**
 * LLVMFuzzerInitialize() - set up both configurations, quiet the log
 * @argc:	unused
 * @argv:	unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	harness_ctx(&base);
	rich = base;
	for (i = 0; i < MAX_SEARCH; i++) {
		memset(rich.search[i], 'a' + i, 63);
		strcpy(rich.search[i] + 63, ".example.org");
	}
	rich.search_count = MAX_SEARCH;
	strcpy(rich.hostname, "guest");
	strcpy(rich.fqdn, "guest.example.org");
	rich.ip6.dns_count = MAX_DNS;
	rich.ip4.dns_count = MAX_DNS;
	return 0;
}

/**
 * udp_wrap() - make a UDP packet around a payload, or take it whole
 * @buf:	output, at least @len + 8 bytes
 * @dport:	destination port
 * @data:	payload, or the whole packet with @raw
 * @len:	its length
 * @raw:	@data already starts with a UDP header (its port is set)
 *
 * Return: length of the packet in @buf
 */
static size_t udp_wrap(uint8_t *buf, uint16_t dport, const uint8_t *data,
		       size_t len, bool raw)
{
	size_t off = raw ? 0 : 8;

	memcpy(buf + off, data, len);
	if (raw && len < 8)
		return len;
	if (!raw) {
		buf[0] = 0;
		buf[1] = 68;
		buf[4] = (uint8_t)((len + 8) >> 8);
		buf[5] = (uint8_t)(len + 8);
		buf[6] = buf[7] = 0;
	}
	buf[2] = (uint8_t)(dport >> 8);
	buf[3] = (uint8_t)dport;
	return len + off;
}

/**
 * replies_check() - every frame sent back must be well formed
 */
static void replies_check(void)
{
	static uint8_t f[FRAME_MAX];
	int len;

	while ((len = harness_recv(f, sizeof(f))) >= 0) {
		struct pkt4 p4;
		struct pkt6 p6;
		uint16_t type;

		if (len < ETH_HDR_LEN)
			abort();
		type = (uint16_t)(f[12] << 8 | f[13]);
		if (type == 0x0806 ? len != ETH_HDR_LEN + 28 :
		    type == 0x0800 ? harness_parse4(f, (size_t)len, &p4) :
		    harness_parse6(f, (size_t)len, &p6))
			abort();
	}
}

/**
 * LLVMFuzzerTestOneInput() - hand one input to the selected service
 * @data:	selector byte, then the packet
 * @size:	input length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t l4[65536];
	struct pkt4 p4 = { .proto = IPPROTO_UDP, .ttl = 64, .l4 = l4 };
	struct pkt6 p6 = { .l4 = l4 };
	struct ctx *c;
	uint8_t sel;

	if (!size || size > sizeof(l4) - 8)
		return 0;
	sel = data[0];
	data++;
	size--;
	c = (sel & SEL_RICH_CONF) ? &rich : &base;

	p4.src_mac = p6.src_mac = h_guest_mac;
	p4.src = (sel & SEL_UNSPEC_SRC) ? h_ip4("0.0.0.0") : h_ip4(H_GUEST4);
	p4.dst = h_ip4("255.255.255.255");
	p6.src = (sel & SEL_UNSPEC_SRC) ? h_ip6("::") :
					  h_ip6("fe80::5054:ff:fe12:3456");
	p6.hop_limit = (sel & SEL_BAD_HOPS) ? 64 : 255;

	switch (sel & SEL_SERVICE) {
	case 0:
		arp_input(c, data, size);
		break;
	case 1:
		p4.l4len = udp_wrap(l4, 67, data, size, sel & SEL_RAW_UDP);
		dhcp_input(c, &p4);
		break;
	case 2:
		memcpy(l4, data, size);
		p6.proto = IPPROTO_ICMPV6;
		p6.dst = h_ip6("ff02::2");
		p6.l4len = size;
		ndp_input(c, &p6);
		break;
	case 3:
		p6.proto = IPPROTO_UDP;
		p6.dst = h_ip6("ff02::1:2");
		p6.l4len = udp_wrap(l4, 547, data, size, sel & SEL_RAW_UDP);
		dhcpv6_input(c, &p6);
		break;
	}
	replies_check();
	return 0;
}
