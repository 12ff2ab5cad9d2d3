/* SPDX-License-Identifier: GPL-2.0-or-later
 * fwd_spec.h - parse port forwarding specifications (-t, -u)
 */
#ifndef FWD_SPEC_H
#define FWD_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "passt.h"

int fwd_spec_parse(struct fwd_ports *fwd, const char *arg);
bool fwd_spec_port_fwd(const struct fwd_ports *fwd, uint16_t port,
		       uint16_t *to);

#endif /* FWD_SPEC_H */
