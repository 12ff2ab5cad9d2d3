/* SPDX-License-Identifier: GPL-2.0-or-later
 * tap.h - frames to and from the guest, independent of the transport
 */
#ifndef TAP_H
#define TAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "passt.h"

/**
 * typedef tap_input_fn - handler for one complete frame from the guest
 * @c:		execution context
 * @frame:	Ethernet frame, starting with the destination MAC address
 * @len:	frame length
 */
typedef void (*tap_input_fn)(struct ctx *c, const uint8_t *frame, size_t len);

/**
 * typedef tap_room_fn - handler for room again on the way to the guest, after
 *			 a frame was refused for lack of it
 * @c:		execution context
 */
typedef void (*tap_room_fn)(struct ctx *c);

/**
 * tap_no_room() - whether tap_send() refused a frame only for lack of room:
 *		   the room handler runs once there is some again
 * @ret:	return value of tap_send()
 *
 * Return: true for a full ring or output queue
 */
static inline bool tap_no_room(int ret)
{
	return ret == -EAGAIN || ret == -ENOBUFS;
}

void tap_init(struct ctx *c, tap_input_fn input, tap_room_fn room);
void tap_input(struct ctx *c, const uint8_t *frame, size_t len);
void tap_room(struct ctx *c);
int tap_send(const struct ctx *c, const struct iovec *iov, size_t cnt);
bool tap_ready(const struct ctx *c);
void tap_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tap_stream_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tap_stream_adopt(struct ctx *c, int fd);
void tap_stream_close(struct ctx *c);
void tap_cleanup(const struct ctx *c);

#endif /* TAP_H */
