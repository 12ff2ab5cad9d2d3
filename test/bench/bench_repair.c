// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_repair.c - cost of switching TCP_REPAIR, directly and via the helper
 *
 * For 1,000 and 10,000 connected loopback TCP sockets (fewer if the
 * open-file limit does not allow two fds each), repair.c switches
 * repair mode on and off, a few rounds: first with CAP_NET_ADMIN
 * (setsockopt() in this process: the baseline, the raw system call), then
 * with the capability dropped from the effective set, through the real
 * ./passt-repair. Prints microseconds per socket and per switch, and the
 * ratio; never fails on the figures. Needs root.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "passt.h"
#include "log.h"
#include "repair.h"
#include "util.h"
#include "../repair_lib.h"

#define CONNECT_WAIT_MS	5000

/**
 * now_us() - monotonic time in microseconds
 *
 * Return: microseconds since an arbitrary, fixed point
 */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/**
 * time_switches() - switch repair on and off @rounds times, timed
 * @c:		execution context, repair set up
 * @p:		sockets
 * @rounds:	on/off rounds
 *
 * Return: microseconds per socket and switch, or -1 on failure
 */
static double time_switches(struct ctx *c, const struct tcp_pairs *p,
			    int rounds)
{
	double start = now_us();
	int i;

	for (i = 0; i < rounds; i++) {
		if (repair_set(c, p->client, p->n, REPAIR_ON) ||
		    repair_set(c, p->client, p->n, REPAIR_OFF))
			return -1;
	}
	return (now_us() - start) / ((double)p->n * rounds * 2);
}

/**
 * bench_helper() - the same through the helper, without CAP_NET_ADMIN
 * @c:		execution context, with a repair path
 * @p:		sockets
 * @rounds:	on/off rounds
 *
 * Return: microseconds per socket and switch, or -1 on failure
 */
static double bench_helper(struct ctx *c, const struct tcp_pairs *p,
			   int rounds)
{
	double us = -1;
	pid_t helper;

	net_admin_effective(false);
	repair_init(c);
	helper = helper_start(c->repair_path);
	if (helper > 0 && repair_pump_until_available(c, CONNECT_WAIT_MS))
		us = time_switches(c, p, rounds);
	repair_cleanup(c);
	net_admin_effective(true);
	if (helper > 0)
		helper_reap(c, helper, CONNECT_WAIT_MS);
	return us;
}

/**
 * bench_count() - direct and helper figures for @n sockets
 * @c:		execution context
 * @n:		number of sockets
 * @rounds:	on/off rounds
 *
 * Return: 0 on success, -1 on failure
 */
static int bench_count(struct ctx *c, size_t n, int rounds)
{
	struct tcp_pairs p;
	double direct, helper;

	if (tcp_pairs_open(&p, n)) {
		printf("repair: cannot open %zu TCP connections\n", n);
		return -1;
	}
	repair_init(c);
	direct = time_switches(c, &p, rounds);
	repair_cleanup(c);
	helper = bench_helper(c, &p, rounds);
	tcp_pairs_close(&p);
	if (direct < 0 || helper < 0) {
		printf("repair: %zu sockets: switching failed\n", n);
		return -1;
	}

	printf("repair: %5zu sockets, %d rounds on+off, per socket and switch:\n"
	       "  direct setsockopt (baseline): %7.3f us\n"
	       "  through passt-repair:         %7.3f us  (%.1fx baseline)\n"
	       "  one switch of all %5zu sockets through the helper: %.2f ms\n",
	       n, rounds, direct, helper, helper / direct, n,
	       helper * (double)n / 1000);
	return 0;
}

/**
 * large_count() - 10,000 sockets, or as many as the open-file limit allows
 *
 * Return: number of connections for the large run
 */
static size_t large_count(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_max >= 20100)
		return 10000;
	return (r.rlim_max - 100) / 2;
}

int main(void)
{
	static struct ctx c;
	char dir[] = "/tmp/passt-bench-repair.XXXXXX";
	int ret;

	log_init("bench_repair", true, NULL, LOG_LEVEL_ERR);
	if (!net_admin_permitted() || access(HELPER_BIN, X_OK)) {
		printf("bench_repair: needs root and %s (make): skipped\n",
		       HELPER_BIN);
		return 0;
	}
	c.vhost_user = true;
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c.epollfd < 0 || !mkdtemp(dir))
		return 1;
	snprintf(c.repair_path, sizeof(c.repair_path), "%s/bench.repair", dir);

	ret = bench_count(&c, 1000, 20) || bench_count(&c, large_count(), 3);

	rmdir(dir);
	close(c.epollfd);
	return ret;
}
