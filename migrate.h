/* SPDX-License-Identifier: GPL-2.0-or-later
 * migrate.h - the migration stream: header, versions, sections, transfer
 *
 * The stream format is described byte by byte in doc/migration.md. A module
 * whose state migrates provides one struct migrate_section row; migrate.c
 * lists the rows of each version in stream order.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "passt.h"

/**
 * enum migrate_dir - direction of a device-state transfer (vhost-user values)
 * @MIGRATE_SAVE:	source: the daemon writes its state to the fd
 * @MIGRATE_LOAD:	target: the daemon reads state from the fd
 */
enum migrate_dir {
	MIGRATE_SAVE = 0,
	MIGRATE_LOAD = 1,
};

/**
 * typedef migrate_done_fn - called once when a transfer ends
 * @c:		execution context
 * @result:	0 on success, negative error code on failure
 */
typedef void (*migrate_done_fn)(struct ctx *c, int result);

#define MIGRATE_TIMEOUT_MS_DEFAULT	10000

/* Largest payload of one chunk: the buffer a source() fills, and the most a
 * target() is handed at once
 */
#define MIGRATE_CHUNK_MAX		65536

/* Section flags, as written in the stream */
#define MIGRATE_SEC_OPTIONAL		1U	/* a reader may skip it unknown */

/**
 * struct migrate_cursor - where a section handler is, across its calls
 * @offset:	payload bytes of this section before the current call's data
 * @item:	handler's own position (next record, ...), zero at section start
 * @part:	handler's own position inside @item, zero at section start
 * @dry_run:	target only: validate, change nothing (inspect, fuzzing)
 * @version:	stream version being written or read, for sections whose
 *		records differ from one version to the next
 * @why:	reason a handler writes when it fails, logged with the offset
 */
struct migrate_cursor {
	uint64_t offset;
	uint64_t item;
	uint64_t part;
	bool dry_run;
	uint32_t version;
	char why[128];
};

/**
 * struct migrate_section - handler of one section: a row of a version table
 * @name:	human-readable name, used in every message about the section
 * @id:		numeric id in the stream, unique, never 0 (the end marker)
 * @flags:	MIGRATE_SEC_OPTIONAL or 0 (mandatory)
 * @feature:	bit announced in the per-version header's features when the
 *		stream carries this section, or 0
 * @max_len:	most payload bytes a target accepts for this section
 * @prepare:	source, optional: called once before the first source() call
 *		(e.g. freeze sockets); return 0 or a negative error code. A
 *		failing prepare() undoes its own partial work.
 * @source:	source: fill @buf (at most @size, MIGRATE_CHUNK_MAX, bytes)
 *		with the next chunk of payload, whole records only unless a
 *		record is larger than a chunk; return the bytes written, 0
 *		once the section is complete, or a negative error code
 * @target:	target: take the next chunk (@len bytes at @buf, checksum
 *		already verified), then once more with @buf NULL and @len 0
 *		at the end of the section; return 0 or a negative error code
 *		with @cur->why set
 * @rollback:	source, optional: undo what prepare() and source() did, when
 *		the migration fails or is cancelled after this section started
 */
struct migrate_section {
	const char *name;
	uint32_t id;
	uint32_t flags;
	uint32_t feature;
	uint64_t max_len;
	int (*prepare)(struct ctx *c);
	ssize_t (*source)(struct ctx *c, struct migrate_cursor *cur,
			  uint8_t *buf, size_t size);
	int (*target)(struct ctx *c, struct migrate_cursor *cur,
		      const uint8_t *buf, size_t len);
	void (*rollback)(struct ctx *c);
};

int migrate_request(struct ctx *c, int fd, enum migrate_dir dir,
		    migrate_done_fn done);
void migrate_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void migrate_timer(struct ctx *c, uint64_t now);
int migrate_result(void);
void migrate_cancel(struct ctx *c);
void migrate_source_resumed(struct ctx *c);
int migrate_inspect(const char *path);
int migrate_version_check(unsigned int version);

#endif /* MIGRATE_H */
