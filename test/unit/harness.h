/* SPDX-License-Identifier: GPL-2.0-or-later
 * harness.h - a test configuration and a guest end for frames the daemon sends
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "passt.h"
#include "ip.h"

/* The configuration harness_ctx() sets up, for tests to compare against */
#define H_GUEST4	"192.0.2.10"
#define H_GW4		"192.0.2.1"
#define H_DNS4		"192.0.2.1"
#define H_PREFIX4	24
#define H_GUEST6	"2001:db8::10"
#define H_GW6		"2001:db8::1"
#define H_DNS6		"2001:db8::1"
#define H_PREFIX6	64
#define H_OUR_LL	"fe80::9855:9aff:fe55:9a55"
#define H_SEARCH	"example.org"
#define H_MTU		65520

extern const uint8_t h_our_mac[6];
extern const uint8_t h_guest_mac[6];

void harness_ctx(struct ctx *c);
int harness_recv(uint8_t *buf, size_t size);
void harness_close(struct ctx *c);
int harness_parse4(const uint8_t *f, size_t len, struct pkt4 *p);
int harness_parse6(const uint8_t *f, size_t len, struct pkt6 *p);
struct in_addr h_ip4(const char *s);
struct in6_addr h_ip6(const char *s);

#endif /* HARNESS_H */
