// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_tcp_migrate.c - libFuzzer target: the TCP migration sections (target)
 *
 * The input is a series of chunks, each a selector byte (which of the flow
 * table, TCP connections and TCP queues sections it goes to: sections only
 * move forward, as in a stream) and a 16-bit big-endian length, handed to
 * the section's target() as a verified chunk would be, in dry-run mode:
 * every field is checked, nothing is restored. Each section that was
 * started is then ended, as the end of its chunks would.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "migrate.h"
#include "passt.h"
#include "tcp_migrate.h"

/* The section handlers, in stream order */
static int (*const targets[])(struct ctx *, struct migrate_cursor *,
			      const uint8_t *, size_t) = {
	tcp_migrate_flows_target,
	tcp_migrate_conns_target,
	tcp_migrate_queues_target,
};

/**
 * LLVMFuzzerInitialize() - keep the log quiet: only errors
 * @argc:	unused
 * @argv:	unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	return 0;
}

/**
 * section_end() - end a section: its target() with no chunk
 * @c:		context
 * @cur:	its cursor
 * @sec:	section index
 *
 * Return: target()'s result
 */
static int section_end(struct ctx *c, struct migrate_cursor *cur,
		       unsigned int sec)
{
	return targets[sec](c, cur, NULL, 0);
}

/**
 * LLVMFuzzerTestOneInput() - feed one input as chunks of the TCP sections
 * @data:	input
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	struct migrate_cursor cur = { .dry_run = true };
	unsigned int sec = 0;
	size_t pos = 0;
	int rc = 0;

	while (!rc && pos + 3 <= size) {
		unsigned int want = data[pos] % 3;
		size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];

		pos += 3;
		len = MIN(MIN(len, size - pos), MIGRATE_CHUNK_MAX);
		if (!len)
			break;
		while (!rc && sec < want) {
			rc = section_end(&c, &cur, sec++);
			cur = (struct migrate_cursor){ .dry_run = true };
		}
		if (rc)
			break;
		rc = targets[sec](&c, &cur, data + pos, len);
		cur.offset += len;
		pos += len;
	}
	while (!rc && sec < 3) {
		rc = section_end(&c, &cur, sec++);
		cur = (struct migrate_cursor){ .dry_run = true };
	}
	return 0;
}
