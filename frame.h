/* SPDX-License-Identifier: GPL-2.0-or-later
 * frame.h - check each frame from the guest and hand it to its protocol
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

struct ctx;

void frame_input(struct ctx *c, const uint8_t *frame, size_t len);

#endif /* FRAME_H */
