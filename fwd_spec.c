// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd_spec.c - parse port forwarding specifications (-t, -u)
 *
 * As passt spells them: [ADDR[%IF]/]PORTS, where PORTS is "all", "none",
 * "auto", or a comma-separated list of [~]FIRST[-LAST][:TO_FIRST[-TO_LAST]].
 * A list made only of exclusions (~) forwards every other port.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_spec.h"
#include "util.h"

/**
 * parse_port() - parse one port number, 1 to 65535
 * @s:		text, advanced past the number
 * @port:	result
 *
 * Return: 0 on success, -1 if no valid port number is there
 */
static int parse_port(const char **s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	*s = end;
	return 0;
}

/**
 * parse_range() - parse FIRST[-LAST]
 * @s:		text, advanced past the range
 * @first:	first port
 * @last:	last port, equal to @first if no range
 *
 * Return: 0 on success, -1 on a bad range
 */
static int parse_range(const char **s, uint16_t *first, uint16_t *last)
{
	if (parse_port(s, first))
		return -1;
	*last = *first;
	if (**s == '-') {
		(*s)++;
		if (parse_port(s, last) || *last < *first)
			return -1;
	}
	return 0;
}

/**
 * parse_bind() - parse the optional ADDR[%IF]/ prefix of a specification
 * @spec:	specification to fill in
 * @arg:	whole argument
 *
 * Return: pointer to the PORTS part, or NULL on a bad address or interface
 */
static const char *parse_bind(struct port_spec *spec, const char *arg)
{
	const char *slash = strrchr(arg, '/');
	char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 1], *pct;
	size_t len;

	if (!slash)
		return arg;
	len = (size_t)(slash - arg);
	if (len >= sizeof(addr))
		return NULL;
	memcpy(addr, arg, len);
	addr[len] = 0;
	pct = strchr(addr, '%');
	if (pct) {
		*pct++ = 0;
		if (!*pct || strlen(pct) >= IFNAMSIZ)
			return NULL;
		strcpy(spec->bind_if, pct);
	}
	if (!*addr) {
		spec->bind_addr.family = AF_UNSPEC;
	} else if (inet_pton(AF_INET, addr, &spec->bind_addr.a4) == 1) {
		spec->bind_addr.family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, &spec->bind_addr.a6) == 1) {
		spec->bind_addr.family = AF_INET6;
	} else {
		return NULL;
	}
	return slash + 1;
}

/**
 * parse_item() - parse one [~]FIRST[-LAST][:TO_FIRST[-TO_LAST]]
 * @spec:	specification to fill in (bind fields already set)
 * @s:		text of the item, advanced past it
 *
 * Return: 0 on success, -1 on a bad item
 */
static int parse_item(struct port_spec *spec, const char **s)
{
	uint16_t to_last;

	spec->exclude = **s == '~';
	if (spec->exclude)
		(*s)++;
	if (parse_range(s, &spec->first, &spec->last))
		return -1;
	spec->to_first = spec->first;
	if (**s == ':') {
		if (spec->exclude)
			return -1;
		(*s)++;
		if (parse_range(s, &spec->to_first, &to_last) ||
		    (to_last != spec->to_first &&
		     to_last - spec->to_first != spec->last - spec->first) ||
		    spec->to_first + (spec->last - spec->first) > 65535)
			return -1;
	}
	return (**s == ',' || !**s) ? 0 : -1;
}

/**
 * fwd_spec_parse() - parse one -t or -u argument and add it
 * @fwd:	forwarding of one protocol
 * @arg:	the option's argument
 *
 * Return: 0 on success, -1 on a malformed specification
 */
int fwd_spec_parse(struct fwd_ports *fwd, const char *arg)
{
	struct port_spec bind = { 0 };
	bool only_excl = true;
	const char *s;

	if (!strcmp(arg, "none")) {
		if (fwd->mode != FWD_NONE)
			return -1;
		fwd->count = 0;
		return 0;
	}
	s = parse_bind(&bind, arg);
	if (!s || !*s)
		return -1;
	if (!strcmp(s, "all") || !strcmp(s, "auto")) {
		if (fwd->mode == FWD_SPEC || fwd->count >= PORT_SPEC_MAX)
			return -1;
		fwd->mode = !strcmp(s, "all") ? FWD_ALL : FWD_AUTO;
		bind.first = 1;
		bind.last = 65535;
		bind.to_first = 1;
		fwd->specs[fwd->count++] = bind;
		return 0;
	}
	while (*s) {
		struct port_spec *spec;

		if (fwd->count >= PORT_SPEC_MAX)
			return -1;
		spec = &fwd->specs[fwd->count];
		*spec = bind;
		if (parse_item(spec, &s))
			return -1;
		only_excl &= spec->exclude;
		fwd->count++;
		if (*s == ',' && !*++s)
			return -1;
	}
	if (fwd->mode == FWD_NONE)
		fwd->mode = only_excl ? FWD_ALL : FWD_SPEC;
	return 0;
}

/**
 * fwd_spec_port_fwd() - whether a host port is forwarded, and to which port
 * @fwd:	forwarding of one protocol
 * @port:	host port
 * @to:		set to the guest port if forwarded
 *
 * Exclusions win over inclusions, wherever they appear.
 *
 * Return: true if @port is forwarded
 */
bool fwd_spec_port_fwd(const struct fwd_ports *fwd, uint16_t port,
		       uint16_t *to)
{
	bool found = false;
	int i;

	if (fwd->mode == FWD_NONE)
		return false;
	for (i = 0; i < fwd->count; i++) {
		const struct port_spec *s = &fwd->specs[i];

		if (port < s->first || port > s->last)
			continue;
		if (s->exclude)
			return false;
		if (!found)
			*to = (uint16_t)(s->to_first + (port - s->first));
		found = true;
	}
	if (!found && fwd->mode == FWD_ALL) {
		*to = port;
		found = true;
	}
	return found;
}
