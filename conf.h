/* SPDX-License-Identifier: GPL-2.0-or-later
 * conf.h - the command line: passt-compatible options, checks and defaults
 */
#ifndef CONF_H
#define CONF_H

#include "passt.h"

void conf(struct ctx *c, int argc, char **argv);

#endif /* CONF_H */
