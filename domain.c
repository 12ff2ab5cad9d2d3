// SPDX-License-Identifier: GPL-2.0-or-later
/* domain.c - domain names in DNS wire format (RFC 1035, 3.1), uncompressed
 *
 * DHCPv4 search lists (RFC 3397) may use compression, DHCPv6 (RFC 8415,
 * 10) and NDP DNSSL (RFC 8106, 5.2) options must not: one uncompressed
 * encoding serves all three.
 */

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "log.h"

#define LABEL_MAXLEN	63

/**
 * domain_encode() - encode one name as a sequence of labels ending in root
 * @buf:	output
 * @size:	space in @buf
 * @name:	dotted name, trailing dot optional ("example.org")
 *
 * Return: encoded length, -EINVAL if @name is empty, too long or has an
 *	   empty or over-long label, -ENOSPC if it does not fit
 */
ssize_t domain_encode(uint8_t *buf, size_t size, const char *name)
{
	size_t n = 0, len = strnlen(name, DOMAIN_MAXLEN);

	if (len == DOMAIN_MAXLEN)
		return -EINVAL;
	if (len && name[len - 1] == '.')
		len--;
	if (!len)
		return -EINVAL;

	while (len) {
		const char *dot = memchr(name, '.', len);
		size_t label = dot ? (size_t)(dot - name) : len;

		if (!label || label > LABEL_MAXLEN)
			return -EINVAL;
		/* The label, its length byte and the final root label */
		if (n + 1 + label + 1 > size)
			return -ENOSPC;
		buf[n++] = (uint8_t)label;
		memcpy(buf + n, name, label);
		n += label;
		name += label;
		len -= label;
		if (dot) {
			name++;
			len--;
		}
	}
	buf[n++] = 0;
	return (ssize_t)n;
}

/**
 * domain_list_encode() - encode a list of names back to back
 * @buf:	output
 * @size:	space in @buf
 * @names:	dotted names
 * @count:	number of entries in @names
 *
 * Invalid names are left out, with a debug line.
 *
 * Return: encoded length (0 if no name was valid), or -ENOSPC
 */
ssize_t domain_list_encode(uint8_t *buf, size_t size,
			   const char (*names)[DOMAIN_MAXLEN], int count)
{
	size_t n = 0;
	int i;

	for (i = 0; i < count; i++) {
		ssize_t len;

		len = domain_encode(buf + n, size - n, names[i]);
		if (len == -ENOSPC)
			return len;
		if (len < 0) {
			debug("domain: invalid name %i (\"%.*s\") left out", i,
			      DOMAIN_MAXLEN, names[i]);
			continue;
		}
		n += (size_t)len;
	}
	return (ssize_t)n;
}
