// SPDX-License-Identifier: GPL-2.0-or-later
/* passt.c - main(), the single epoll loop, and dispatch of each ready fd
 *
 * Every fd the daemon watches is registered with a reference naming its
 * type; the loop looks the type up in one table of handlers. A timerfd
 * ticks every TIMER_INTERVAL_MS and runs each module's periodic work.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "conf.h"
#include "flow.h"
#include "frame.h"
#include "fwd.h"
#include "icmp.h"
#include "log.h"
#include "migrate.h"
#include "ndp.h"
#include "passt.h"
#include "repair.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"
#include "vhost_user.h"

#define EPOLL_EVENTS_MAX	64
#define TIMER_INTERVAL_MS	100

typedef void (*epoll_handler_fn)(struct ctx *c, union epoll_ref ref,
				 uint32_t events);

/**
 * signal_handler() - SIGTERM or SIGINT: leave the loop and clean up
 * @c:		execution context
 * @ref:	epoll reference of the signalfd
 * @events:	epoll events
 */
static void signal_handler(struct ctx *c, union epoll_ref ref,
			   uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(ref.fd, &si, sizeof(si)) == sizeof(si))
		info("signal %u received, exiting", si.ssi_signo);
	c->exiting = true;
}

/**
 * timer_handler() - the periodic tick: each module's timed work
 * @c:		execution context
 * @ref:	epoll reference of the timerfd
 * @events:	epoll events
 */
static void timer_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	uint64_t expirations, now = now_ms();

	(void)events;
	if (read(ref.fd, &expirations, sizeof(expirations)) < 0)
		return;
	ndp_timer(c, now);
	icmp_timer(c, now);
	flow_timer(c, now);
	migrate_timer(c, now);
}

static const epoll_handler_fn epoll_handlers[EPOLL_NUM_TYPES] = {
	[EPOLL_TYPE_SIGNAL] = signal_handler,
	[EPOLL_TYPE_TIMER] = timer_handler,
	[EPOLL_TYPE_TAP_LISTEN] = tap_listen_handler,
	[EPOLL_TYPE_TAP_STREAM] = tap_stream_handler,
	[EPOLL_TYPE_PING] = icmp_sock_handler,
	[EPOLL_TYPE_MIGRATE] = migrate_handler,
	[EPOLL_TYPE_VHOST_CMD] = vu_cmd_handler,
	[EPOLL_TYPE_VHOST_KICK] = vu_kick_handler,
	[EPOLL_TYPE_REPAIR_LISTEN] = repair_listen_handler,
	[EPOLL_TYPE_REPAIR] = repair_handler,
	[EPOLL_TYPE_TCP] = tcp_sock_handler,
	[EPOLL_TYPE_TCP_LISTEN] = tcp_listen_handler,
	[EPOLL_TYPE_UDP_LISTEN] = udp_listen_handler,
	[EPOLL_TYPE_UDP_REPLY] = udp_reply_handler,
};

/**
 * loop_setup() - create the epoll set, the signalfd and the timerfd
 * @c:		execution context
 */
static void loop_setup(struct ctx *c)
{
	struct itimerspec it = {
		.it_interval.tv_nsec = TIMER_INTERVAL_MS * 1000000L,
		.it_value.tv_nsec = TIMER_INTERVAL_MS * 1000000L,
	};
	union epoll_ref ref = { 0 };
	sigset_t mask;

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		die("epoll_create1: %s", strerror(errno));

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	c->fd_signal = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ref.type = EPOLL_TYPE_SIGNAL;
	ref.fd = c->fd_signal;
	if (c->fd_signal < 0 || epoll_add_ref(c, c->fd_signal, EPOLLIN, ref))
		die("signalfd: %s", strerror(errno));

	c->fd_timer = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	ref.type = EPOLL_TYPE_TIMER;
	ref.fd = c->fd_timer;
	if (c->fd_timer < 0 || timerfd_settime(c->fd_timer, 0, &it, NULL) ||
	    epoll_add_ref(c, c->fd_timer, EPOLLIN, ref))
		die("timerfd: %s", strerror(errno));
}

/**
 * nofile_raise() - raise the open-file limit to the hard limit
 *
 * One connection owns one fd, so this limit is the connection limit.
 */
static void nofile_raise(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r))
		warn("cannot raise open-file limit: %s", strerror(errno));
	else
		debug("open-file limit: %llu", (unsigned long long)r.rlim_cur);
}

/**
 * pid_file_write() - write the daemon's PID to the PID file, if asked
 * @c:		execution context
 */
static void pid_file_write(const struct ctx *c)
{
	char buf[32];
	int fd, n;

	if (!c->pid_file[0])
		return;
	fd = open(c->pid_file,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		die("cannot write PID file %s: %s", c->pid_file,
		    strerror(errno));
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write_all(fd, buf, (size_t)n))
		die("cannot write PID file %s", c->pid_file);
	close(fd);
}

/**
 * daemonise_start() - fork; the parent waits until the child is ready
 *
 * The parent exits 0 only once the child reports, through a pipe, that its
 * socket is listening and its PID file written: launchers such as libvirt
 * read the PID file as soon as the parent exits. If the child dies first,
 * the parent sees end of file and exits 1. The child sets everything up
 * itself, after the fork: epoll and signalfd readiness belong to the
 * process that created them.
 *
 * Return: in the child, the pipe's write end for daemonise_finish()
 */
static int daemonise_start(void)
{
	int pipefd[2];
	char ok;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(pipefd[1]);
		_exit(read(pipefd[0], &ok, 1) == 1 ? EXIT_SUCCESS :
						     EXIT_FAILURE);
	}
	close(pipefd[0]);
	return pipefd[1];
}

/**
 * daemonise_finish() - detach, write the PID file, release the parent
 * @c:		execution context
 * @ready_fd:	pipe from daemonise_start()
 */
static void daemonise_finish(const struct ctx *c, int ready_fd)
{
	int devnull;
	char ok = 1;

	setsid();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	pid_file_write(c);
	if (write(ready_fd, &ok, 1) != 1)
		_exit(EXIT_FAILURE);
	close(ready_fd);
}

/**
 * print_qemu_options() - tell the user how to connect QEMU
 * @c:		execution context
 */
static void print_qemu_options(const struct ctx *c)
{
	if (c->quiet || c->fd_tap_given >= 0)
		return;
	if (c->vhost_user)
		printf("You can now start qemu-system-x86_64 (10.0 or later) "
		       "with:\n    -chardev socket,id=chr0,path=%s "
		       "-netdev vhost-user,id=netdev0,chardev=chr0 "
		       "-device virtio-net-pci,netdev=netdev0 "
		       "-object memory-backend-memfd,id=mem0,share=on,"
		       "size=RAM_SIZE -numa node,memdev=mem0\n", c->sock_path);
	else
		printf("You can now start qemu-system-x86_64 (7.2 or later) "
		       "with:\n    -netdev stream,id=netdev0,server=off,"
		       "addr.type=unix,addr.path=%s "
		       "-device virtio-net-pci,netdev=netdev0\n", c->sock_path);
	fflush(stdout);
}

/**
 * migrate_start() - vhost-user's device-state request, given to migrate.c
 * @c:		execution context
 * @fd:		device-state fd
 * @direction:	0 save (source), 1 load (target)
 * @done:	called once when the transfer ends
 *
 * Return: 0 if started, negative error code otherwise
 */
static int migrate_start(struct ctx *c, int fd, int direction,
			 vu_state_done_fn done)
{
	return migrate_request(c, fd, (enum migrate_dir)direction, done);
}

static const struct vu_device_state_ops vu_state_ops = {
	.start = migrate_start,
	.resumed = migrate_source_resumed,
};

/**
 * loop_run() - wait for events and dispatch them until told to exit
 * @c:		execution context
 */
static void loop_run(struct ctx *c)
{
	struct epoll_event events[EPOLL_EVENTS_MAX];

	while (!c->exiting) {
		int n = epoll_wait(c->epollfd, events, EPOLL_EVENTS_MAX, -1);
		int i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			union epoll_ref ref = { .u64 = events[i].data.u64 };

			if (ref.type < EPOLL_NUM_TYPES && epoll_handlers[ref.type])
				epoll_handlers[ref.type](c, ref,
							 events[i].events);
			else
				debug("epoll: no handler for fd type %u",
				      ref.type);
		}
	}
}

int main(int argc, char **argv)
{
	static struct ctx c;
	int ready_fd = -1;

	conf(&c, argc, argv);
	if (!c.foreground)
		ready_fd = daemonise_start();
	nofile_raise();
	loop_setup(&c);
	flow_init();
	tcp_init(&c);
	udp_init(&c);
	if (fwd_listen(&c))
		die("port forwarding failed");
	vu_init(&c, &vu_state_ops);
	tap_init(&c, frame_input, tcp_tap_room);
	repair_init(&c);
	print_qemu_options(&c);
	log_close();
	log_init("passt", c.foreground, c.log_file,
		 (enum log_level)c.log_level);
	if (!c.foreground)
		daemonise_finish(&c, ready_fd);
	else
		pid_file_write(&c);
	info("passt " PASST_VERSION " ready, socket %s",
	     c.fd_tap_given >= 0 ? "given with --fd" : c.sock_path);

	loop_run(&c);

	tap_cleanup(&c);
	repair_cleanup(&c);
	if (c.pid_file[0])
		unlink(c.pid_file);
	info("exiting");
	return EXIT_SUCCESS;
}
