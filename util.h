/* SPDX-License-Identifier: GPL-2.0-or-later
 * util.h - small helpers shared by every module: macros, fds, time, epoll
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#define BIT(n)		(1UL << (n))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)

#define ETH_ALEN_	6

union epoll_ref;
struct ctx;

int fd_set_nonblock(int fd);
void fd_close(int *fd);
int epoll_add_ref(const struct ctx *c, int fd, uint32_t events,
		  union epoll_ref ref);
int epoll_mod_ref(const struct ctx *c, int fd, uint32_t events,
		  union epoll_ref ref);
void epoll_del_fd(const struct ctx *c, int fd);
uint64_t now_ms(void);
int write_all(int fd, const void *buf, size_t len);
int read_all(int fd, void *buf, size_t len);
int mac_parse(const char *s, uint8_t mac[6]);
const char *mac_ntop(const uint8_t mac[6], char *buf, size_t len);
void random_bytes(void *buf, size_t len);
int sock_unix_listen(const char *path);

/* Enough for "xx:xx:xx:xx:xx:xx" */
#define MAC_STRLEN	18

#endif /* UTIL_H */
