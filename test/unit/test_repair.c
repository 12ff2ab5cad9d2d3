// SPDX-License-Identifier: GPL-2.0-or-later
/* test_repair.c - TCP_REPAIR switching, directly and through passt-repair
 *
 * The daemon side (repair.c) runs in this process against the real
 * ./passt-repair started as a process, on real connected loopback TCP
 * sockets whose state is read back with getsockopt(TCP_REPAIR). Cases on the
 * helper path drop CAP_NET_ADMIN from this process's effective set first, so
 * that repair.c probes "unprivileged" and cannot switch a socket itself. A
 * few cases play a hostile helper from a forked child, to check what the
 * daemon accepts as a reply. Everything needs CAP_NET_ADMIN (root), as in
 * CI, and is skipped without it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"
#include "passt.h"
#include "repair.h"
#include "../repair_lib.h"

/* Generous bounds: the machine may be busy with other builds */
#define CONNECT_WAIT_MS		5000
#define EXIT_WAIT_MS		5000

/**
 * struct fixture - one case's daemon context, directory, helper and sockets
 * @c:		daemon context: its own epoll set, vhost-user, repair path
 * @dir:	temporary directory holding the repair socket
 * @helper:	PID of the helper started by helper_connect(), or -1
 * @pairs:	connected TCP sockets, opened by the case
 * @privileged:	whether the daemon side keeps CAP_NET_ADMIN
 */
struct fixture {
	struct ctx c;
	char dir[64];
	pid_t helper;
	struct tcp_pairs pairs;
	bool privileged;
};

typedef void (*repair_case_fn)(struct fixture *f);

/**
 * fixture_run() - set up a case, run it, tear everything down
 * @fn:		the case's body
 * @privileged:	false to drop CAP_NET_ADMIN while it runs
 *
 * repair_init() is the body's to call: some cases start the helper first.
 */
static void fixture_run(repair_case_fn fn, bool privileged)
{
	static struct fixture f;

	if (access(HELPER_BIN, X_OK)) {
		unit_skip(HELPER_BIN " not built: run make");
		return;
	}
	if (!net_admin_permitted()) {
		unit_skip("needs CAP_NET_ADMIN");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.helper = -1;
	f.privileged = privileged;
	f.c.vhost_user = true;
	f.c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	snprintf(f.dir, sizeof(f.dir), "/tmp/passt-repair-test.XXXXXX");
	if (f.c.epollfd < 0 || !mkdtemp(f.dir)) {
		unit_fail(__FILE__, __LINE__, "fixture setup");
		return;
	}
	snprintf(f.c.repair_path, sizeof(f.c.repair_path), "%s/vu.sock.repair",
		 f.dir);

	if (!privileged)
		net_admin_effective(false);
	fn(&f);
	net_admin_effective(true);

	repair_cleanup(&f.c);
	if (f.helper > 0)
		helper_reap(&f.c, f.helper, EXIT_WAIT_MS);
	tcp_pairs_close(&f.pairs);
	close(f.c.epollfd);
	unlink(f.c.repair_path);
	rmdir(f.dir);
}

/**
 * REPAIR_CASE() - define a test case run by fixture_run()
 */
#define REPAIR_CASE(name, privileged)					\
	static void name##_body(struct fixture *f);			\
	TEST(name) { fixture_run(name##_body, privileged); }		\
	static void name##_body(struct fixture *f)

/**
 * helper_connect() - start the real helper on @path, wait until it connects
 * @f:		fixture, after repair_init()
 * @path:	the helper's argument
 *
 * Return: true once the helper is connected
 */
static bool helper_connect(struct fixture *f, const char *path)
{
	f->helper = helper_start(path);
	return f->helper > 0 &&
	       repair_pump_until_available(&f->c, CONNECT_WAIT_MS);
}

/**
 * switch_pairs() - switch TCP_REPAIR on all client sockets, check each one
 * @f:		fixture, with pairs open
 * @cmd:	command
 * @state:	TCP_REPAIR every socket must read afterwards
 *
 * Return: true if repair_set() succeeded and every socket is in @state
 */
static bool switch_pairs(struct fixture *f, int cmd, int state)
{
	return !repair_set(&f->c, f->pairs.client, f->pairs.n, cmd) &&
	       tcp_repair_count(f->pairs.client, f->pairs.n, state) ==
	       f->pairs.n;
}

/**
 * helper_connect_and_kill() - start the helper, and once it is connected,
 *			       kill it and reap it
 * @f:		fixture, after repair_init()
 *
 * Return: true if the helper connected and was reaped
 */
static bool helper_connect_and_kill(struct fixture *f)
{
	int status;
	pid_t pid;

	if (!helper_connect(f, f->c.repair_path))
		return false;
	pid = f->helper;
	f->helper = -1;
	kill(pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid;
}

/**
 * helper_round_trip() - n sockets: repair on, off, on, off without probe
 * @f:		fixture
 * @n:		number of sockets
 */
static void helper_round_trip(struct fixture *f, size_t n)
{
	repair_init(&f->c);
	CHECK(!repair_available(&f->c));
	CHECK(helper_connect(f, f->c.repair_path));
	CHECK(!tcp_pairs_open(&f->pairs, n));
	CHECK(tcp_repair_count(f->pairs.client, n, 0) == n);

	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(tcp_repair_count(f->pairs.server, n, 0) == n);
	CHECK(switch_pairs(f, REPAIR_OFF, 0));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(switch_pairs(f, REPAIR_OFF_NO_WP, 0));

	/* The helper leaves, status 0, once the daemon closes */
	repair_cleanup(&f->c);
	CHECK(helper_reap(&f->c, f->helper, EXIT_WAIT_MS) == 0);
	f->helper = -1;
}

REPAIR_CASE(repair_helper_switches_1_socket, false)
{
	helper_round_trip(f, 1);
}

REPAIR_CASE(repair_helper_switches_253_sockets_in_one_message, false)
{
	helper_round_trip(f, REPAIR_BATCH_MAX);
}

REPAIR_CASE(repair_helper_switches_254_sockets_in_two_messages, false)
{
	helper_round_trip(f, REPAIR_BATCH_MAX + 1);
}

REPAIR_CASE(repair_helper_switches_1000_sockets, false)
{
	helper_round_trip(f, 1000);
}

REPAIR_CASE(repair_direct_switches_1000_sockets_without_helper, true)
{
	repair_init(&f->c);
	CHECK(repair_available(&f->c));
	CHECK(!tcp_pairs_open(&f->pairs, 1000));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(switch_pairs(f, REPAIR_OFF, 0));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(switch_pairs(f, REPAIR_OFF_NO_WP, 0));
}

REPAIR_CASE(repair_without_helper_fails_and_leaves_sockets_alone, false)
{
	repair_init(&f->c);
	CHECK(!repair_available(&f->c));
	CHECK(!tcp_pairs_open(&f->pairs, 3));
	CHECK(repair_set(&f->c, f->pairs.client, 3, REPAIR_ON) == -ENOTCONN);
	CHECK(tcp_repair_count(f->pairs.client, 3, 0) == 3);
}

REPAIR_CASE(repair_without_privilege_or_socket_fails, false)
{
	/* The stream transport: no repair socket, so no helper either */
	f->c.vhost_user = false;
	repair_init(&f->c);
	CHECK(!repair_available(&f->c));
	CHECK(access(f->c.repair_path, F_OK));
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	CHECK(repair_set(&f->c, f->pairs.client, 1, REPAIR_ON) == -ENOTCONN);
	CHECK(tcp_repair_count(f->pairs.client, 1, 0) == 1);
}

REPAIR_CASE(repair_bad_command_is_refused, true)
{
	repair_init(&f->c);
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	CHECK(repair_set(&f->c, f->pairs.client, 1, 2) == -EINVAL);
	CHECK(tcp_repair_count(f->pairs.client, 1, 0) == 1);
}

REPAIR_CASE(repair_second_helper_is_refused_first_still_works, false)
{
	pid_t second;

	repair_init(&f->c);
	CHECK(helper_connect(f, f->c.repair_path));
	second = helper_start(f->c.repair_path);
	CHECK(second > 0);
	/* Refused: the daemon closes, so the second helper leaves */
	CHECK(helper_reap(&f->c, second, EXIT_WAIT_MS) == 0);
	CHECK(repair_available(&f->c));
	CHECK(!tcp_pairs_open(&f->pairs, 10));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(switch_pairs(f, REPAIR_OFF, 0));
}

REPAIR_CASE(repair_helper_failing_mid_request_is_dropped_daemon_goes_on, false)
{
	int fds[REPAIR_BATCH_MAX + 1], udp, i;

	repair_init(&f->c);
	CHECK(helper_connect(f, f->c.repair_path));
	CHECK(!tcp_pairs_open(&f->pairs, REPAIR_BATCH_MAX));

	/* The second message carries a UDP socket: the helper fails on it,
	 * after it switched and acknowledged the first
	 */
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(udp >= 0);
	memcpy(fds, f->pairs.client, sizeof(int) * REPAIR_BATCH_MAX);
	fds[REPAIR_BATCH_MAX] = udp;
	i = repair_set(&f->c, fds, ARRAY_SIZE(fds), REPAIR_ON);
	close(udp);
	CHECK(i == -EPIPE);
	CHECK(!repair_available(&f->c));
	CHECK(WIFEXITED(helper_reap(&f->c, f->helper, EXIT_WAIT_MS)));
	f->helper = -1;

	/* A new helper connects and sets the sockets back */
	CHECK(helper_connect(f, f->c.repair_path));
	CHECK(tcp_repair_count(f->pairs.client, f->pairs.n, 1) == f->pairs.n);
	CHECK(switch_pairs(f, REPAIR_OFF, 0));
}

REPAIR_CASE(repair_helper_killed_before_request_fails_cleanly, false)
{
	repair_init(&f->c);
	CHECK(helper_connect_and_kill(f));

	/* Killed, and the loop has not seen the hang-up yet */
	CHECK(!tcp_pairs_open(&f->pairs, 2));
	CHECK(repair_set(&f->c, f->pairs.client, 2, REPAIR_ON) == -EPIPE);
	CHECK(!repair_available(&f->c));
	CHECK(tcp_repair_count(f->pairs.client, 2, 0) == 2);
}

REPAIR_CASE(repair_helper_hang_up_is_noticed_by_the_loop, false)
{
	repair_init(&f->c);
	CHECK(helper_connect_and_kill(f));
	repair_pump(&f->c, CONNECT_WAIT_MS);
	CHECK(!repair_available(&f->c));
}

REPAIR_CASE(repair_stuck_helper_times_out_and_is_dropped, false)
{
	repair_init(&f->c);
	CHECK(helper_connect(f, f->c.repair_path));
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	kill(f->helper, SIGSTOP);
	CHECK(repair_set(&f->c, f->pairs.client, 1, REPAIR_ON) == -ETIMEDOUT);
	CHECK(!repair_available(&f->c));
	kill(f->helper, SIGKILL);
}

/**
 * inotify_waiting() - whether a process has an inotify instance open
 * @pid:	process
 *
 * Return: true if one of its fds is an inotify instance
 */
static bool inotify_waiting(pid_t pid)
{
	char dir[64], path[128], target[64];
	int fd;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (fd = 0; fd < 16; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%d", dir, fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strstr(target, "inotify"))
			return true;
	}
	return false;
}

/**
 * wait_inotify() - wait, bounded, until the helper watches its directory
 * @pid:	helper
 *
 * Return: true once it does
 */
static bool wait_inotify(pid_t pid)
{
	uint64_t end = now_ms() + CONNECT_WAIT_MS;

	while (!inotify_waiting(pid))
		if (now_ms() >= end || usleep(10000))
			return false;
	return true;
}

REPAIR_CASE(repair_helper_on_directory_connects_when_socket_appears, false)
{
	f->helper = helper_start(f->dir);
	CHECK(f->helper > 0);
	CHECK(wait_inotify(f->helper));
	repair_init(&f->c);
	CHECK(repair_pump_until_available(&f->c, CONNECT_WAIT_MS));
	CHECK(!tcp_pairs_open(&f->pairs, 2));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
	CHECK(switch_pairs(f, REPAIR_OFF, 0));
}

REPAIR_CASE(repair_helper_on_directory_skips_a_stale_socket, false)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int stale = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* Bound, never listening: what a daemon that died leaves behind */
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/old.repair", f->dir);
	CHECK(stale >= 0);
	CHECK(!bind(stale, (struct sockaddr *)&a, sizeof(a)));
	close(stale);

	f->helper = helper_start(f->dir);
	CHECK(f->helper > 0);
	CHECK(wait_inotify(f->helper));
	repair_init(&f->c);
	CHECK(repair_pump_until_available(&f->c, CONNECT_WAIT_MS));
	unlink(a.sun_path);
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
}

REPAIR_CASE(repair_helper_on_directory_takes_an_existing_socket, false)
{
	repair_init(&f->c);
	CHECK(helper_connect(f, f->dir));
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
}

REPAIR_CASE(repair_helper_started_first_retries_until_socket_exists, false)
{
	f->helper = helper_start(f->c.repair_path);
	CHECK(f->helper > 0);
	repair_init(&f->c);
	CHECK(repair_pump_until_available(&f->c, CONNECT_WAIT_MS));
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	CHECK(switch_pairs(f, REPAIR_ON, 1));
}

/**
 * hostile_helper() - in a child: connect, take one message, answer @reply
 * @path:	repair socket
 * @reply:	bytes to answer with
 * @len:	length of @reply
 *
 * Return: PID of the child, or -1
 */
static pid_t hostile_helper(const char *path, const void *reply, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	pid_t pid = fork();
	char buf[CMSG_SPACE(sizeof(int) * REPAIR_BATCH_MAX)], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	int s;

	if (pid)
		return pid;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	if (recvmsg(s, &mh, 0) != 1 || write(s, reply, len) != (ssize_t)len)
		_exit(1);
	/* Stay until the daemon hangs up */
	while (read(s, &b, 1) > 0)
		;
	_exit(0);
}

/**
 * hostile_case() - a request answered with @reply fails, drops the helper
 * @f:		fixture
 * @reply:	the hostile helper's answer to the first message
 * @len:	length of @reply
 * @expect:	repair_set() result of the first request
 *
 * Return: true if both the request and the state after it are as expected
 */
static bool hostile_case(struct fixture *f, const void *reply, size_t len,
			 int expect)
{
	repair_init(&f->c);
	f->helper = hostile_helper(f->c.repair_path, reply, len);
	return f->helper > 0 &&
	       repair_pump_until_available(&f->c, CONNECT_WAIT_MS) &&
	       !tcp_pairs_open(&f->pairs, 1) &&
	       repair_set(&f->c, f->pairs.client, 1, REPAIR_ON) == expect &&
	       !repair_available(&f->c) &&
	       helper_reap(&f->c, f->helper, EXIT_WAIT_MS) == 0;
}

REPAIR_CASE(repair_wrong_reply_byte_fails_the_request, false)
{
	const int8_t reply = REPAIR_OFF;

	CHECK(hostile_case(f, &reply, 1, -EPROTO));
	f->helper = -1;
}

REPAIR_CASE(repair_reply_before_request_fails_the_request, false)
{
	const int8_t reply[2] = { REPAIR_ON, REPAIR_ON };

	/* The first request takes one reply: the extra byte is found
	 * waiting by the second
	 */
	repair_init(&f->c);
	f->helper = hostile_helper(f->c.repair_path, reply, sizeof(reply));
	CHECK(f->helper > 0);
	CHECK(repair_pump_until_available(&f->c, CONNECT_WAIT_MS));
	CHECK(!tcp_pairs_open(&f->pairs, 1));
	/* Not switched by anyone: the hostile helper only answers */
	CHECK(!repair_set(&f->c, f->pairs.client, 1, REPAIR_ON));
	CHECK(repair_set(&f->c, f->pairs.client, 1, REPAIR_ON) == -EPROTO);
	CHECK(!repair_available(&f->c));
	CHECK(helper_reap(&f->c, f->helper, EXIT_WAIT_MS) == 0);
	f->helper = -1;
}
