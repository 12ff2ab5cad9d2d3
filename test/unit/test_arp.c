// SPDX-License-Identifier: GPL-2.0-or-later
/* test_arp.c - ARP replies to the guest */

#include <string.h>

#include "arp.h"
#include "harness.h"
#include "unit.h"

/**
 * arp_request() - build an ARP request as the guest sends it
 * @buf:	28 bytes
 * @spa:	sender IPv4 address
 * @tpa:	target IPv4 address
 */
static void arp_request(uint8_t *buf, const char *spa, const char *tpa)
{
	struct in_addr s = h_ip4(spa), t = h_ip4(tpa);
	const uint8_t hdr[8] = { 0, 1, 0x08, 0, 6, 4, 0, 1 };

	memcpy(buf, hdr, 8);
	memcpy(buf + 8, h_guest_mac, 6);
	memcpy(buf + 14, &s, 4);
	memset(buf + 18, 0, 6);
	memcpy(buf + 24, &t, 4);
}

/**
 * taken_unanswered() - hand an ARP packet from the guest to arp_input()
 * @c:		execution context
 * @req:	28-byte ARP packet
 *
 * Return: true if arp_input() took it and sent nothing back
 */
static bool taken_unanswered(struct ctx *c, const uint8_t *req)
{
	uint8_t f[128];

	return arp_input(c, req, 28) == 1 && harness_recv(f, sizeof(f)) == -1;
}

TEST(arp_request_for_gateway_gets_our_mac)
{
	uint8_t req[28], f[128];
	struct in_addr gw = h_ip4(H_GW4), guest = h_ip4(H_GUEST4);
	struct ctx c;

	harness_ctx(&c);
	arp_request(req, H_GUEST4, H_GW4);
	CHECK(arp_input(&c, req, sizeof(req)) == 1);
	CHECK(harness_recv(f, sizeof(f)) == 14 + 28);
	CHECK(!memcmp(f, h_guest_mac, 6) && !memcmp(f + 6, h_our_mac, 6));
	CHECK(f[12] == 0x08 && f[13] == 0x06);
	CHECK(f[14] == 0 && f[15] == 1 && f[16] == 0x08 && f[17] == 0);
	CHECK(f[18] == 6 && f[19] == 4 && f[20] == 0 && f[21] == 2);
	CHECK(!memcmp(f + 22, h_our_mac, 6) && !memcmp(f + 28, &gw, 4));
	CHECK(!memcmp(f + 32, h_guest_mac, 6) && !memcmp(f + 38, &guest, 4));
	CHECK(harness_recv(f, sizeof(f)) == -1);
	harness_close(&c);
}

TEST(arp_request_for_any_other_address_is_answered)
{
	uint8_t req[28 + 18], f[128];
	struct in_addr t = h_ip4("192.0.2.77");
	struct ctx c;

	harness_ctx(&c);
	/* With Ethernet padding after the ARP packet */
	memset(req, 0, sizeof(req));
	arp_request(req, H_GUEST4, "192.0.2.77");
	CHECK(arp_input(&c, req, sizeof(req)) == 1);
	CHECK(harness_recv(f, sizeof(f)) == 14 + 28);
	CHECK(!memcmp(f + 28, &t, 4));
	harness_close(&c);
}

TEST(arp_request_for_guest_own_address_is_not_answered)
{
	uint8_t req[28];
	struct ctx c;

	harness_ctx(&c);
	arp_request(req, "192.0.2.99", H_GUEST4);
	CHECK(taken_unanswered(&c, req));

	/* Nor the address the guest was seen using, if it differs */
	c.ip4.addr_seen = h_ip4("192.0.2.55");
	arp_request(req, "192.0.2.55", "192.0.2.55");
	CHECK(taken_unanswered(&c, req));
	arp_request(req, "192.0.2.99", "192.0.2.55");
	CHECK(taken_unanswered(&c, req));
	harness_close(&c);
}

TEST(arp_probe_and_announcement_are_not_answered)
{
	uint8_t req[28];
	struct ctx c;

	harness_ctx(&c);
	arp_request(req, "0.0.0.0", "192.0.2.20");
	CHECK(taken_unanswered(&c, req));
	arp_request(req, "192.0.2.20", "192.0.2.20");
	CHECK(taken_unanswered(&c, req));
	harness_close(&c);
}

TEST(arp_reply_from_guest_is_ignored)
{
	uint8_t req[28];
	struct ctx c;

	harness_ctx(&c);
	arp_request(req, H_GUEST4, H_GW4);
	req[7] = 2;
	CHECK(taken_unanswered(&c, req));
	harness_close(&c);
}

TEST(arp_malformed_is_dropped)
{
	uint8_t req[28], f[128];
	struct ctx c;
	int i;

	harness_ctx(&c);
	arp_request(req, H_GUEST4, H_GW4);
	CHECK(arp_input(&c, req, 27) == 0);
	/* Each of hardware type, protocol type and the two lengths */
	for (i = 0; i < 4; i++) {
		static const int off[] = { 1, 2, 4, 5 };

		arp_request(req, H_GUEST4, H_GW4);
		req[off[i]] ^= 0x40;
		CHECK(arp_input(&c, req, sizeof(req)) == 0);
	}
	CHECK(harness_recv(f, sizeof(f)) == -1);
	harness_close(&c);
}
