// SPDX-License-Identifier: GPL-2.0-or-later
/* arp.c - ARP replies to the guest (RFC 826)
 *
 * Every address on the guest's link but its own is the daemon: requests
 * for any other IPv4 address are answered with the daemon's MAC address.
 */

#include <string.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>

#include "passt.h"
#include "arp.h"
#include "ip.h"
#include "log.h"

/**
 * struct arp_eth_ip4 - ARP packet for IPv4 over Ethernet
 * @hdr:	fixed header: hardware and protocol types and lengths, opcode
 * @sha:	sender hardware address
 * @spa:	sender protocol address
 * @tha:	target hardware address
 * @tpa:	target protocol address
 */
struct arp_eth_ip4 {
	struct arphdr hdr;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));

/**
 * arp_is_guest_addr() - whether an address belongs to the guest itself
 * @c:		execution context
 * @a:		IPv4 address
 *
 * Return: true for the assigned address and the one the guest uses
 */
static bool arp_is_guest_addr(const struct ctx *c, struct in_addr a)
{
	return a.s_addr == c->ip4.addr.s_addr ||
	       (c->ip4.addr_seen.s_addr != INADDR_ANY &&
		a.s_addr == c->ip4.addr_seen.s_addr);
}

/**
 * arp_valid() - whether a packet is ARP for IPv4 over Ethernet
 * @req:	ARP packet
 *
 * Return: true if the hardware and protocol types and lengths are right
 */
static bool arp_valid(const struct arp_eth_ip4 *req)
{
	if (ntohs(req->hdr.ar_hrd) != ARPHRD_ETHER ||
	    ntohs(req->hdr.ar_pro) != ETH_P_IP ||
	    req->hdr.ar_hln != ETH_ALEN || req->hdr.ar_pln != 4) {
		debug("arp: not IPv4 over Ethernet: hardware %u, protocol "
		      "0x%04x, lengths %u, %u", ntohs(req->hdr.ar_hrd),
		      ntohs(req->hdr.ar_pro), req->hdr.ar_hln,
		      req->hdr.ar_pln);
		return false;
	}
	return true;
}

/**
 * arp_wanted() - whether an ARP packet is a request the daemon answers
 * @c:		execution context
 * @req:	valid ARP packet
 *
 * Return: true if it is a request for an address that is not the guest's
 */
static bool arp_wanted(const struct ctx *c, const struct arp_eth_ip4 *req)
{
	struct in_addr spa, tpa;

	if (ntohs(req->hdr.ar_op) != ARPOP_REQUEST)
		return false;

	memcpy(&spa, req->spa, sizeof(spa));
	memcpy(&tpa, req->tpa, sizeof(tpa));
	/* Probes (RFC 5227) and announcements: the guest checks its own */
	if (spa.s_addr == INADDR_ANY || spa.s_addr == tpa.s_addr)
		return false;
	return !arp_is_guest_addr(c, tpa);
}

/**
 * arp_input() - take an ARP packet from the guest, answer requests
 * @c:		execution context
 * @arp:	ARP packet, after the Ethernet header
 * @len:	length of @arp
 *
 * Return: 1 if the packet was handled (answered or deliberately ignored),
 *	   0 if it was malformed and dropped
 */
int arp_input(struct ctx *c, const void *arp, size_t len)
{
	struct arp_eth_ip4 req, reply;
	int rc;

	if (len < sizeof(req)) {
		debug("arp: %zu-byte packet is too short", len);
		return 0;
	}
	memcpy(&req, arp, sizeof(req));
	if (!arp_valid(&req))
		return 0;
	if (!arp_wanted(c, &req))
		return 1;

	reply.hdr = req.hdr;
	reply.hdr.ar_op = htons(ARPOP_REPLY);
	memcpy(reply.sha, c->our_mac, ETH_ALEN);
	memcpy(reply.spa, req.tpa, sizeof(reply.spa));
	memcpy(reply.tha, req.sha, ETH_ALEN);
	memcpy(reply.tpa, req.spa, sizeof(reply.tpa));

	rc = eth_send(c, req.sha, ETH_P_ARP, &reply, sizeof(reply));
	if (rc < 0)
		debug("arp: reply failed: %s", strerror(-rc));
	return 1;
}
