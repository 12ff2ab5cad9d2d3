/* SPDX-License-Identifier: GPL-2.0-or-later
 * crc32c.h - CRC-32C (Castagnoli), the integrity check of migration streams
 */
#ifndef CRC32C_H
#define CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* CRC32C_H */
