// SPDX-License-Identifier: GPL-2.0-or-later
/* harness.c - a test configuration and a guest end for frames the daemon sends
 *
 * harness_ctx() fills a context with documentation-range addresses and
 * connects the stream transport to a socketpair: the daemon's tap.c writes
 * each frame as [be32 length][frame] to c->fd_tap, and harness_recv() reads
 * the frames back from the other end, as the guest would.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "harness.h"

const uint8_t h_our_mac[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
const uint8_t h_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* The guest's end of the socketpair */
static int guest_fd = -1;

/* What the guest read from its end and did not take yet, length prefixes
 * included: the tail may be a frame the daemon has not written whole
 */
static struct {
	uint8_t buf[2 * (FRAME_MAX + sizeof(uint32_t))];
	size_t len;
} guest_rx;

/**
 * h_pton() - parse an address the test knows to be valid
 * @af:		AF_INET or AF_INET6
 * @s:		address text
 * @a:		filled with the address
 *
 * Aborts the test binary on a typo.
 */
static void h_pton(int af, const char *s, void *a)
{
	if (inet_pton(af, s, a) != 1) {
		fprintf(stderr, "harness: bad %s address %s\n",
			af == AF_INET ? "IPv4" : "IPv6", s);
		abort();
	}
}

/**
 * h_ip4() - parse an IPv4 address the test knows to be valid
 * @s:		dotted quad
 *
 * Return: the address; aborts the test binary on a typo
 */
struct in_addr h_ip4(const char *s)
{
	struct in_addr a;

	h_pton(AF_INET, s, &a);
	return a;
}

/**
 * h_ip6() - parse an IPv6 address the test knows to be valid
 * @s:		address text
 *
 * Return: the address; aborts the test binary on a typo
 */
struct in6_addr h_ip6(const char *s)
{
	struct in6_addr a;

	h_pton(AF_INET6, s, &a);
	return a;
}

/**
 * harness_ctx() - fill a context with the test configuration, connect a guest
 * @c:		context to fill (zeroed first)
 *
 * Aborts the test binary if the socketpair cannot be made.
 */
void harness_ctx(struct ctx *c)
{
	int sv[2];

	memset(c, 0, sizeof(*c));
	c->epollfd = c->fd_timer = c->fd_signal = -1;
	c->fd_tap_listen = c->fd_tap_given = -1;

	memcpy(c->our_mac, h_our_mac, sizeof(c->our_mac));
	memcpy(c->guest_mac, h_guest_mac, sizeof(c->guest_mac));
	c->guest_mac_seen = true;
	c->mtu = H_MTU;

	c->ifi4 = c->ifi6 = true;
	c->ip4.addr = h_ip4(H_GUEST4);
	c->ip4.prefix_len = H_PREFIX4;
	c->ip4.gw = h_ip4(H_GW4);
	c->ip4.dns[0] = h_ip4(H_DNS4);
	c->ip4.dns_count = 1;

	c->ip6.addr = h_ip6(H_GUEST6);
	c->ip6.prefix_len = H_PREFIX6;
	c->ip6.gw = h_ip6(H_GW6);
	c->ip6.our_ll = h_ip6(H_OUR_LL);
	c->ip6.dns[0] = h_ip6(H_DNS6);
	c->ip6.dns_count = 1;

	strcpy(c->search[0], H_SEARCH);
	c->search_count = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv)) {
		perror("harness: socketpair");
		abort();
	}
	if (guest_fd >= 0)
		close(guest_fd);
	guest_rx.len = 0;
	c->fd_tap = sv[0];
	guest_fd = sv[1];
}

/**
 * guest_rx_fill() - read what the guest end holds, as far as there is space
 *
 * Reading everything keeps the daemon's socket writable, as a guest that
 * reads continuously would: the rest of a partly written frame can come.
 */
static void guest_rx_fill(void)
{
	while (guest_rx.len < sizeof(guest_rx.buf)) {
		ssize_t n = recv(guest_fd, guest_rx.buf + guest_rx.len,
				 sizeof(guest_rx.buf) - guest_rx.len,
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		guest_rx.len += (size_t)n;
	}
}

/**
 * harness_recv() - take the next frame the daemon sent to the guest
 * @buf:	destination
 * @size:	space in @buf; a longer frame is taken, discarded, and fails
 *
 * Return: frame length, or -1 if no whole frame is there (never waits)
 */
int harness_recv(uint8_t *buf, size_t size)
{
	size_t whole;
	uint32_t len;

	if (guest_fd < 0)
		return -1;
	guest_rx_fill();
	if (guest_rx.len < sizeof(len))
		return -1;
	memcpy(&len, guest_rx.buf, sizeof(len));
	len = ntohl(len);
	if (len > FRAME_MAX) {
		fprintf(stderr, "harness: %u-byte frame, more than any\n", len);
		guest_rx.len = 0;
		return -1;
	}
	whole = sizeof(len) + len;
	if (guest_rx.len < whole)
		return -1;
	if (len <= size)
		memcpy(buf, guest_rx.buf + sizeof(len), len);
	else
		fprintf(stderr, "harness: %u-byte frame, buffer of %zu\n",
			len, size);
	guest_rx.len -= whole;
	memmove(guest_rx.buf, guest_rx.buf + whole, guest_rx.len);
	return len <= size ? (int)len : -1;
}

/**
 * harness_close() - close both ends of the guest connection
 * @c:		context from harness_ctx()
 */
void harness_close(struct ctx *c)
{
	if (c->fd_tap >= 0)
		close(c->fd_tap);
	c->fd_tap = -1;
	if (guest_fd >= 0)
		close(guest_fd);
	guest_fd = -1;
	guest_rx.len = 0;
}

/**
 * harness_parse4() - check a frame the daemon sent as IPv4, and take it apart
 * @f:		Ethernet frame
 * @len:	frame length
 * @p:		filled with addresses, protocol, TTL and the transport part
 *
 * Checks the EtherType, the source MAC (the daemon's), the IPv4 header and
 * its checksum, and the UDP, TCP or ICMP checksum.
 *
 * Return: 0 if all is right, -1 otherwise (with a line on stderr)
 */
int harness_parse4(const uint8_t *f, size_t len, struct pkt4 *p)
{
	const uint8_t *h = f + ETH_HDR_LEN;
	size_t tot;

	if (len < ETH_HDR_LEN + IP4_HDR_LEN || f[12] != 0x08 || f[13] ||
	    memcmp(f + 6, h_our_mac, 6) || h[0] != 0x45) {
		fprintf(stderr, "harness: not an IPv4 frame from the daemon\n");
		return -1;
	}
	tot = (size_t)(h[2] << 8 | h[3]);
	if (tot != len - ETH_HDR_LEN || csum_plain(h, IP4_HDR_LEN)) {
		fprintf(stderr, "harness: bad IPv4 length or checksum\n");
		return -1;
	}
	p->src_mac = f + 6;
	memcpy(&p->src, h + 12, 4);
	memcpy(&p->dst, h + 16, 4);
	p->proto = h[9];
	p->ttl = h[8];
	p->l4 = h + IP4_HDR_LEN;
	p->l4len = tot - IP4_HDR_LEN;
	if (p->proto == IPPROTO_ICMP ? csum_plain(p->l4, p->l4len) :
	    csum_l4_ip4(p->src, p->dst, p->proto, p->l4, p->l4len)) {
		fprintf(stderr, "harness: bad protocol %u checksum\n",
			p->proto);
		return -1;
	}
	return 0;
}

/**
 * harness_parse6() - check a frame the daemon sent as IPv6, and take it apart
 * @f:		Ethernet frame
 * @len:	frame length
 * @p:		filled with addresses, next header, hop limit, upper layer
 *
 * Checks the EtherType, the source MAC (the daemon's), the IPv6 header, and
 * the upper-layer checksum. Extension headers are not expected.
 *
 * Return: 0 if all is right, -1 otherwise (with a line on stderr)
 */
int harness_parse6(const uint8_t *f, size_t len, struct pkt6 *p)
{
	const uint8_t *h = f + ETH_HDR_LEN;

	if (len < ETH_HDR_LEN + IP6_HDR_LEN || f[12] != 0x86 ||
	    f[13] != 0xdd || memcmp(f + 6, h_our_mac, 6) || (h[0] >> 4) != 6 ||
	    (size_t)(h[4] << 8 | h[5]) != len - ETH_HDR_LEN - IP6_HDR_LEN) {
		fprintf(stderr, "harness: not an IPv6 frame from the daemon\n");
		return -1;
	}
	p->src_mac = f + 6;
	memcpy(&p->src, h + 8, 16);
	memcpy(&p->dst, h + 24, 16);
	p->proto = h[6];
	p->hop_limit = h[7];
	p->l4 = h + IP6_HDR_LEN;
	p->l4len = len - ETH_HDR_LEN - IP6_HDR_LEN;
	if (csum_l4_ip6(&p->src, &p->dst, p->proto, p->l4, p->l4len)) {
		fprintf(stderr, "harness: bad protocol %u checksum\n",
			p->proto);
		return -1;
	}
	return 0;
}
