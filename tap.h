/* SPDX-License-Identifier: GPL-2.0-or-later
 * tap.h - frames to and from the guest, independent of the transport
 */
#ifndef TAP_H
#define TAP_H

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

void tap_init(struct ctx *c, tap_input_fn input);
void tap_input(struct ctx *c, const uint8_t *frame, size_t len);
int tap_send(const struct ctx *c, const struct iovec *iov, size_t cnt);
bool tap_ready(const struct ctx *c);
void tap_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tap_stream_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void tap_stream_adopt(struct ctx *c, int fd);
void tap_stream_close(struct ctx *c);
void tap_cleanup(const struct ctx *c);

#endif /* TAP_H */
