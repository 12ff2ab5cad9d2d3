/* SPDX-License-Identifier: GPL-2.0-or-later
 * domain.h - domain names in DNS wire format, for DHCP, DHCPv6 and NDP options
 */
#ifndef DOMAIN_H
#define DOMAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "passt.h"

ssize_t domain_encode(uint8_t *buf, size_t size, const char *name);
ssize_t domain_list_encode(uint8_t *buf, size_t size,
			   const char (*names)[DOMAIN_MAXLEN], int count);

#endif /* DOMAIN_H */
