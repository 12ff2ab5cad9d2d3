// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_seg.c - parse and check TCP segments from the guest
 *
 * Every field is read at any alignment and checked before tcp.c acts on it:
 * header length, option lengths, flags that cannot go together.
 */

#include <string.h>

#include "tcp.h"
#include "util.h"

/**
 * get16() - load a 16-bit network order value at any alignment
 * @p:		source
 *
 * Return: value, host order
 */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * get32() - load a 32-bit network order value at any alignment
 * @p:		source
 *
 * Return: value, host order
 */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/**
 * tcp_opts_parse() - read the options of a segment
 * @opt:	first option byte
 * @len:	length of the option area
 * @seg:	filled with the options found
 *
 * Return: 0 on success, -1 if an option overruns the area or is malformed
 */
static int tcp_opts_parse(const uint8_t *opt, size_t len, struct tcp_seg *seg)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (kind == 0)		/* end of option list */
			break;
		if (kind == 1) {	/* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = opt[i + 1]) < 2 || i + olen > len)
			return -1;

		if (kind == 2 && olen == 4)
			seg->mss = get16(opt + i + 2);
		else if (kind == 3 && olen == 3)
			seg->ws = (int8_t)MIN(opt[i + 2], 14);
		else if (kind == 4 && olen == 2)
			seg->sack_ok = true;
		else if (kind == 8 && olen == 10) {
			seg->ts = true;
			seg->tsval = get32(opt + i + 2);
			seg->tsecr = get32(opt + i + 6);
		} else if (kind <= 4 || kind == 8) {
			return -1;	/* known option, wrong length */
		}
		i += olen;
	}
	return 0;
}

/**
 * tcp_seg_parse() - parse and check a TCP segment from the guest
 * @l4:		TCP header and payload (checksum already verified)
 * @l4len:	length of @l4
 * @seg:	result
 *
 * Return: 0 on success, -1 for a truncated header, bad data offset, bad
 *	   options or an impossible combination of flags
 */
int tcp_seg_parse(const uint8_t *l4, size_t l4len, struct tcp_seg *seg)
{
	size_t hlen;

	memset(seg, 0, sizeof(*seg));
	seg->ws = -1;
	if (l4len < TCP_HDR_LEN)
		return -1;
	hlen = (size_t)(l4[12] >> 4) * 4;
	if (hlen < TCP_HDR_LEN || hlen > l4len)
		return -1;

	seg->sport = get16(l4);
	seg->dport = get16(l4 + 2);
	seg->seq = get32(l4 + 4);
	seg->ack = get32(l4 + 8);
	seg->flags = l4[13] & 0x3f;
	seg->wnd = get16(l4 + 14);
	seg->data = l4 + hlen;
	seg->len = l4len - hlen;

	if (!seg->sport || !seg->dport)
		return -1;
	if ((seg->flags & TCP_SYN) && (seg->flags & (TCP_FIN | TCP_RST)))
		return -1;
	return tcp_opts_parse(l4 + TCP_HDR_LEN, hlen - TCP_HDR_LEN, seg);
}
