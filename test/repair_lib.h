/* SPDX-License-Identifier: GPL-2.0-or-later
 * repair_lib.h - what the repair tests and benchmark share
 *
 * Connected loopback TCP socket pairs, their TCP_REPAIR state, the effective
 * CAP_NET_ADMIN of this process (dropped to make repair.c take the helper
 * path, raised again after), the real ./passt-repair started as a process,
 * and a small loop dispatching the repair module's epoll events, as passt.c
 * does.
 */
#ifndef REPAIR_LIB_H
#define REPAIR_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passt.h"
#include "repair.h"
#include "util.h"

#define HELPER_BIN	"./passt-repair"

/**
 * struct tcp_pairs - connected TCP sockets over loopback
 * @client:	connecting ends
 * @server:	accepted ends
 * @n:		number of pairs
 */
struct tcp_pairs {
	int *client;
	int *server;
	size_t n;
};

/**
 * tcp_pairs_close() - close every socket of the pairs
 * @p:		pairs, emptied
 */
static inline void tcp_pairs_close(struct tcp_pairs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		close(p->client[i]);
		close(p->server[i]);
	}
	free(p->client);
	free(p->server);
	p->client = p->server = NULL;
	p->n = 0;
}

/**
 * tcp_pairs_open() - connect @n pairs through a listener on 127.0.0.1
 * @p:		result
 * @n:		number of pairs
 *
 * Raises the open-file limit to the hard limit first: 1,000 pairs are
 * 2,000 fds.
 *
 * Return: 0 on success, -1 on failure (nothing left open)
 */
static inline int tcp_pairs_open(struct tcp_pairs *p, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct rlimit r;
	int l;

	if (!getrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	p->n = 0;
	p->client = calloc(n, sizeof(int));
	p->server = calloc(n, sizeof(int));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!p->client || !p->server || l < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto fail;
	while (p->n < n) {
		int cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), sv;

		if (cl < 0 || connect(cl, (struct sockaddr *)&a, sizeof(a))) {
			if (cl >= 0)
				close(cl);
			goto fail;
		}
		sv = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (sv < 0) {
			close(cl);
			goto fail;
		}
		p->client[p->n] = cl;
		p->server[p->n++] = sv;
	}
	close(l);
	return 0;
fail:
	if (l >= 0)
		close(l);
	tcp_pairs_close(p);
	return -1;
}

/**
 * tcp_repair_count() - count sockets whose TCP_REPAIR state is @state
 * @fds:	sockets
 * @n:		number of sockets
 * @state:	expected state (getsockopt() gives 1 on, 0 off)
 *
 * Return: number of sockets in @state
 */
static inline size_t tcp_repair_count(const int *fds, size_t n, int state)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		socklen_t len = sizeof(int);
		int v = -2;

		if (!getsockopt(fds[i], IPPROTO_TCP, TCP_REPAIR, &v, &len) &&
		    v == state)
			count++;
	}
	return count;
}

/**
 * net_admin_get() - read this process's capability sets
 * @d:		result, two words of each set
 *
 * Return: 0 on success, -1 on failure
 */
static inline int net_admin_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

/**
 * net_admin_permitted() - whether this process may raise CAP_NET_ADMIN
 *
 * Return: true if CAP_NET_ADMIN is in the permitted set
 */
static inline bool net_admin_permitted(void)
{
	struct __user_cap_data_struct d[2];

	return !net_admin_get(d) &&
	       (d[CAP_NET_ADMIN / 32].permitted & (1U << (CAP_NET_ADMIN % 32)));
}

/**
 * net_admin_effective() - raise or drop CAP_NET_ADMIN in the effective set
 * @on:		raise if true, drop if false
 *
 * Dropped from the effective set only, it stays permitted and comes back
 * with @on; a root child that exec()s still gets it in full.
 *
 * Return: 0 on success, -1 on failure
 */
static inline int net_admin_effective(bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t bit = 1U << (CAP_NET_ADMIN % 32);

	if (net_admin_get(d))
		return -1;
	if (on)
		d[CAP_NET_ADMIN / 32].effective |= bit;
	else
		d[CAP_NET_ADMIN / 32].effective &= ~bit;
	return (int)syscall(SYS_capset, &h, d);
}

/**
 * helper_start() - start the real ./passt-repair on @path
 * @path:	socket or directory argument
 *
 * Its messages go to /dev/null, or to stderr if UNIT_DEBUG is set.
 *
 * Return: PID, or -1 on failure
 */
static inline pid_t helper_start(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (!getenv("UNIT_DEBUG"))
			dup2(null, STDERR_FILENO);
		execl(HELPER_BIN, HELPER_BIN, path, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/**
 * repair_pump() - wait once for repair events and dispatch them
 * @c:		execution context whose epoll set holds the repair fds
 * @timeout_ms:	longest wait
 */
static inline void repair_pump(struct ctx *c, int timeout_ms)
{
	struct epoll_event ev[8];
	int n, i;

	n = epoll_wait(c->epollfd, ev, ARRAY_SIZE(ev), timeout_ms);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_REPAIR_LISTEN)
			repair_listen_handler(c, ref, ev[i].events);
		else if (ref.type == EPOLL_TYPE_REPAIR)
			repair_handler(c, ref, ev[i].events);
	}
}

/**
 * repair_pump_until_available() - dispatch events until a helper connected
 * @c:		execution context
 * @timeout_ms:	longest wait
 *
 * Return: true if repair_available() became true in time
 */
static inline bool repair_pump_until_available(struct ctx *c, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!repair_available(c)) {
		if (now_ms() >= end)
			return false;
		repair_pump(c, 20);
	}
	return true;
}

/**
 * helper_reap() - dispatch events until a helper process exits
 * @c:		execution context
 * @pid:	helper's PID
 * @timeout_ms:	longest wait, then the helper is killed
 *
 * Return: its wait status, or -1 if it had to be killed
 */
static inline int helper_reap(struct ctx *c, pid_t pid, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	int status;

	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		repair_pump(c, 20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

#endif /* REPAIR_LIB_H */
