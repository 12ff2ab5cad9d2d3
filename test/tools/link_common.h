/* SPDX-License-Identifier: GPL-2.0-or-later
 * link_common.h - what the two guest-link tools share: the TAP device, the
 *		   deliberate frame loss, the PID file, the signals and the
 *		   common part of the command line
 *
 * Included by test/tools/stream_bridge.c (QEMU's stream netdev) and
 * test/tools/vu_frontend.c (QEMU's vhost-user-net front-end), one .c a
 * tool: every function is static, and both tools use each of them.
 *
 * Common options (test/ns/lib.sh passes the first four to either tool):
 *   -s, --socket PATH, -t, --tap NAME, -m, --mac ADDR, -p, --pidfile FILE,
 *   --drop-percent N, --drop-dir to-guest|to-daemon|both, --seed S
 */
#ifndef LINK_COMMON_H
#define LINK_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/**
 * enum link_dir - direction of a frame through the link
 * @LINK_TO_GUEST:	from the daemon to the TAP device
 * @LINK_TO_DAEMON:	from the TAP device to the daemon
 */
enum link_dir {
	LINK_TO_GUEST,
	LINK_TO_DAEMON,
};

/**
 * struct link_drop - deliberate frame loss
 * @percent:	share of frames dropped, 0 to 100
 * @dir_on:	whether loss applies, by enum link_dir
 * @state:	PRNG state, seeded from --seed
 */
struct link_drop {
	unsigned int percent;
	bool dir_on[2];
	uint64_t state;
};

/**
 * struct link_opts - the options both tools take
 * @socket:	path of the daemon's UNIX socket
 * @tap:	name of the TAP device to create
 * @mac:	MAC address for the TAP device
 * @mac_set:	whether @mac was given
 * @pidfile:	file to write our PID to once ready, or NULL
 * @drop:	deliberate loss configuration
 */
struct link_opts {
	const char *socket;
	const char *tap;
	uint8_t mac[6];
	bool mac_set;
	const char *pidfile;
	struct link_drop drop;
};

/* Long options without a short form: a tool numbers its own from
 * LINK_OPT_TOOL_FIRST on
 */
enum {
	LINK_OPT_DROP_PERCENT = 256,
	LINK_OPT_DROP_DIR,
	LINK_OPT_SEED,
	LINK_OPT_TOOL_FIRST,
};

#define LINK_SHORTOPTS	"s:t:m:p:h"

/* Entries of a tool's getopt_long() table for the common options */
#define LINK_LONGOPTS							\
	{ "socket",		required_argument, NULL, 's' },		\
	{ "tap",		required_argument, NULL, 't' },		\
	{ "mac",		required_argument, NULL, 'm' },		\
	{ "pidfile",		required_argument, NULL, 'p' },		\
	{ "drop-percent",	required_argument, NULL, LINK_OPT_DROP_PERCENT }, \
	{ "drop-dir",		required_argument, NULL, LINK_OPT_DROP_DIR }, \
	{ "seed",		required_argument, NULL, LINK_OPT_SEED },	\
	{ "help",		no_argument,	   NULL, 'h' }

/* Usage lines for the common options but --socket, whose text differs, and
 * --help, which comes last
 */
#define LINK_USAGE							\
	"  -t, --tap NAME          TAP device to create here\n"		\
	"  -m, --mac ADDR          MAC address of the TAP device\n"	\
	"  -p, --pidfile FILE      write the PID here once ready\n"	\
	"  --drop-percent N        drop N%% of frames (0-100)\n"	\
	"  --drop-dir DIR          to-guest, to-daemon or both "	\
	"(default: both)\n"						\
	"  --seed S                seed of the drop sequence "		\
	"(default: 1)\n"

static volatile sig_atomic_t link_stop_requested, link_migrate_requested;

/**
 * link_opts_init() - set the defaults of the common options
 * @o:		options to fill
 */
static void link_opts_init(struct link_opts *o)
{
	*o = (struct link_opts){
		.drop = { .dir_on = { true, true }, .state = 1 },
	};
}

/**
 * link_parse_number() - parse a decimal number within bounds, or exit
 * @s:		text
 * @max:	largest accepted value
 * @what:	option name, for the error message
 *
 * Return: the number
 */
static unsigned long long link_parse_number(const char *s,
					    unsigned long long max,
					    const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-') {
		fprintf(stderr, "%s: %s: '%s' is not a number from 0 to %llu\n",
			program_invocation_short_name, what, s, max);
		exit(EXIT_FAILURE);
	}
	return v;
}

/**
 * link_parse_drop_dir() - set the directions of deliberate loss, or exit
 * @s:		"to-guest", "to-daemon" or "both"
 * @drop:	configuration to update
 */
static void link_parse_drop_dir(const char *s, struct link_drop *drop)
{
	bool both = !strcmp(s, "both");

	drop->dir_on[LINK_TO_GUEST] = both || !strcmp(s, "to-guest");
	drop->dir_on[LINK_TO_DAEMON] = both || !strcmp(s, "to-daemon");
	if (!drop->dir_on[LINK_TO_GUEST] && !drop->dir_on[LINK_TO_DAEMON]) {
		fprintf(stderr, "%s: --drop-dir: '%s' is not to-guest, "
			"to-daemon or both\n", program_invocation_short_name, s);
		exit(EXIT_FAILURE);
	}
}

/**
 * link_opt_parse() - take one common option from getopt_long(), or exit on
 *		      a bad value
 * @o:		options to update
 * @opt:	option character or LINK_OPT_* value
 * @arg:	its argument
 *
 * Return: true if @opt was a common option (but --help), false if the tool
 * handles it
 */
static bool link_opt_parse(struct link_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 's':
		o->socket = arg;
		return true;
	case 't':
		o->tap = arg;
		return true;
	case 'm':
		if (mac_parse(arg, o->mac)) {
			fprintf(stderr, "%s: --mac: '%s' is not a MAC address\n",
				program_invocation_short_name, arg);
			exit(EXIT_FAILURE);
		}
		o->mac_set = true;
		return true;
	case 'p':
		o->pidfile = arg;
		return true;
	case LINK_OPT_DROP_PERCENT:
		o->drop.percent = (unsigned int)link_parse_number(arg, 100,
							"--drop-percent");
		return true;
	case LINK_OPT_DROP_DIR:
		link_parse_drop_dir(arg, &o->drop);
		return true;
	case LINK_OPT_SEED:
		o->drop.state = link_parse_number(arg, ULLONG_MAX, "--seed");
		return true;
	}
	return false;
}

/**
 * link_drop_next() - decide whether to drop the next frame in a direction
 * @drop:	deliberate loss configuration, PRNG state updated
 * @dir:	direction of the frame
 *
 * The generator is splitmix64: the same seed gives the same sequence of
 * decisions, so a failing run can be repeated exactly.
 *
 * Return: true if the frame is to be dropped
 */
static bool link_drop_next(struct link_drop *drop, enum link_dir dir)
{
	uint64_t z;

	if (!drop->dir_on[dir] || !drop->percent)
		return false;

	z = (drop->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z % 100 < drop->percent;
}

/**
 * link_tap_create() - create a TAP device, optionally with a given MAC
 * @name:	device name
 * @mac:	MAC address, or NULL to keep the kernel's random one
 *
 * Return: non-blocking fd of the device queue, or -1 (logged)
 */
static int link_tap_create(const char *name, const uint8_t *mac)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, s;

	if (strlen(name) >= IFNAMSIZ) {
		err("TAP name '%s' is longer than %d characters", name,
		    IFNAMSIZ - 1);
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name));

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err("cannot open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err("cannot create TAP device %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (!mac)
		return fd;

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
		err("cannot set the MAC address of %s: %s", name,
		    strerror(errno));
		if (s >= 0)
			close(s);
		close(fd);
		return -1;
	}
	close(s);
	return fd;
}

/**
 * link_pidfile_write() - write our PID to a file
 * @path:	file path, or NULL for none
 *
 * Return: 0 on success, -1 on failure (logged)
 */
static int link_pidfile_write(const char *path)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		err("cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * link_on_signal() - note a signal; ppoll() returns and the loop acts on it
 * @sig:	SIGUSR1 asks for a migration, the others for a stop
 */
static void link_on_signal(int sig)
{
	if (sig == SIGUSR1)
		link_migrate_requested = 1;
	else
		link_stop_requested = 1;
}

/**
 * link_signals_setup() - block SIGTERM, SIGINT and optionally SIGUSR1 except
 *			  while waiting in ppoll(), and note their delivery
 * @waitmask:	filled with the mask to use during ppoll()
 * @migrate:	also take SIGUSR1 (otherwise it keeps its default action)
 */
static void link_signals_setup(sigset_t *waitmask, bool migrate)
{
	struct sigaction sa = { .sa_handler = link_on_signal };
	/* SIGUSR1 last: left out without @migrate */
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1 };
	unsigned int i, n = ARRAY_SIZE(sigs) - !migrate;
	sigset_t block;

	sigemptyset(&block);
	for (i = 0; i < n; i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < n; i++)
		sigdelset(waitmask, sigs[i]);
}

#endif /* LINK_COMMON_H */
