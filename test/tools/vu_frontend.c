// SPDX-License-Identifier: GPL-2.0-or-later
/* vu_frontend.c - QEMU's vhost-user-net front-end in miniature, for tests
 *
 * Bridge mode (--tap): connects to the daemon's vhost-user socket as QEMU
 * does (features, protocol features, memfd guest memory in two regions,
 * split rings with EVENT_IDX, kicks and calls), creates a TAP device in the
 * network namespace it runs in and moves frames between the device and the
 * rings, so that the kernel of that namespace is the guest. Transmitted
 * frames rotate through three descriptor layouts: one buffer, a chain of
 * two, and an indirect table.
 *
 *   --log-check	enable dirty-page logging at once (as QEMU does when a
 *			migration starts); when the rings are stopped (on
 *			SIGTERM, or before a migration) check that every page
 *			the daemon wrote is marked, and no other
 *   --migrate-to SOCK	on SIGUSR1, move the guest to the daemon at SOCK as
 *			QEMU migrates: stop the rings on the first daemon,
 *			move the device state through pipes (SAVE there, LOAD
 *			here, CHECK on both), start the rings on the second
 *			daemon with the same memory and ring state, and go on
 *			bridging the same TAP device. If the transfer fails,
 *			the rings start again on the first daemon, as QEMU
 *			resumes the VM on the source, and a later SIGUSR1
 *			tries again
 *   --migrate-relay FILE  read at each migration, if it exists: faults to
 *			put into the device state on its way, one a line:
 *			"corrupt OFFSET" inverts the byte at that stream
 *			offset (up to 8 lines), "stall OFFSET" stops moving
 *			the stream there until either daemon closes its end
 *
 * Malformed mode (--malformed CLASS): sends one malformed or unsupported
 * message of the class, checks that the daemon closes the connection (or,
 * for the classes that must not be fatal, answers correctly), then checks
 * that the daemon serves a fresh connection. --list-malformed prints the
 * classes.
 *
 * Exit status: 0 on success (bridge: after a signal or the daemon's close),
 * 1 on any failure.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "link_common.h"
#include "vu_fe.h"

#define BRIDGE_POLL_MS		100
#define BRIDGE_TX_BATCH		64
#define MALFORMED_WAIT_MS	5000

/**
 * struct options - command line
 * @link:	options shared with the stream bridge (socket, TAP, loss)
 * @log_check:	enable logging at once and check it when the rings stop
 * @migrate_to:	socket of the daemon to migrate to on SIGUSR1, or NULL
 * @migrate_relay: file with the faults of the next migration, or NULL
 * @malformed:	malformed-message class to test, or NULL
 * @features_off: ring features withheld, as QEMU's event_idx=off and
 *		indirect_desc=off do
 */
struct options {
	struct link_opts link;
	bool log_check;
	uint64_t features_off;
	const char *migrate_to;
	const char *migrate_relay;
	const char *malformed;
};

/**
 * struct stats - frame counters of the bridge
 * @to_guest:	frames written to the TAP device
 * @to_daemon:	frames queued on the TX ring
 * @dropped:	frames dropped on purpose
 * @refused:	frames the TAP device did not take
 */
struct stats {
	unsigned long long to_guest;
	unsigned long long to_daemon;
	unsigned long long dropped;
	unsigned long long refused;
};

static uint8_t frame_buf[FE_FRAME_MAX];

/**
 * fe_start() - connect to a daemon and start a fresh guest device on it
 * @fe:		front-end, @name set
 * @path:	socket path
 *
 * Return: 0 on success, -1 on failure (reported)
 */
static int fe_start(struct fe *fe, const char *path)
{
	static const uint16_t base[VU_QUEUES];

	if (fe_connect(fe, path) || fe_mem_init(fe) || fe_handshake(fe))
		return -1;
	fe_rings_init(fe);
	return fe_device_start(fe, base);
}

/**
 * bridge_to_guest() - move frames from the RX ring to the TAP device
 * @fe:		front-end
 * @tap:	TAP device
 * @opt:	options (loss)
 * @st:		counters
 *
 * Return: 0 on success, -1 for a protocol error of the daemon
 */
static int bridge_to_guest(struct fe *fe, int tap, struct options *opt,
			   struct stats *st)
{
	ssize_t n;

	while ((n = fe_rx_frame(fe, frame_buf, sizeof(frame_buf))) > 0) {
		if (link_drop_next(&opt->link.drop, LINK_TO_GUEST))
			st->dropped++;
		else if (write(tap, frame_buf, (size_t)n) != n)
			st->refused++;
		else
			st->to_guest++;
	}
	return n < 0 ? -1 : 0;
}

/**
 * bridge_to_daemon() - move frames from the TAP device to the TX ring
 * @fe:		front-end
 * @tap:	TAP device
 * @opt:	options (loss)
 * @st:		counters
 *
 * Return: 0 on success, -1 for a protocol error of the daemon
 */
static int bridge_to_daemon(struct fe *fe, int tap, struct options *opt,
			    struct stats *st)
{
	unsigned int queued = 0, i, free_slots = 0;

	if (fe_tx_reap(fe) < 0)
		return -1;
	for (i = 0; i < FE_TX_SLOTS; i++)
		free_slots += !fe->tx_busy[i];
	while (queued < MIN(free_slots, BRIDGE_TX_BATCH)) {
		ssize_t n = read(tap, frame_buf, sizeof(frame_buf));

		if (n <= 0)
			break;
		if (link_drop_next(&opt->link.drop, LINK_TO_DAEMON)) {
			st->dropped++;
			continue;
		}
		if (!fe_tx_frame(fe, frame_buf, (size_t)n, false)) {
			queued++;
			st->to_daemon++;
		}
	}
	if (queued)
		fe_publish(fe, &fe->q[VU_QUEUE_TX]);
	return 0;
}

/**
 * rings_stop_and_check() - stop the rings, read what is left, check the
 *			    dirty log if it is on
 * @fe:		front-end
 * @tap:	TAP device, for frames still in the RX ring
 * @opt:	options
 * @st:		counters
 * @base:	where the rings stopped
 *
 * Return: 0 on success, -1 on failure (reported)
 */
static int rings_stop_and_check(struct fe *fe, int tap, struct options *opt,
				struct stats *st, uint16_t base[])
{
	unsigned long marked;

	if (fe_rings_stop(fe, base) || bridge_to_guest(fe, tap, opt, st) ||
	    fe_tx_reap(fe) < 0)
		return -1;
	if (!fe->logging)
		return 0;
	if (fe_log_check(fe, &marked)) {
		fprintf(stderr, "vu_frontend: log check FAILED\n");
		return -1;
	}
	printf("vu_frontend: log check: %lu pages marked, every page written "
	       "is marked and no other\n", marked);
	fflush(stdout);
	return 0;
}

/**
 * relay_read() - the faults of this migration, from --migrate-relay's file
 * @path:	file, or NULL
 * @relay:	faults, none if the file does not exist
 *
 * Return: 0, or -1 for a line that is not understood (reported)
 */
static int relay_read(const char *path, struct fe_relay *relay)
{
	unsigned long long v;
	char line[128], what[16];
	FILE *f;
	int ret = 0;

	*relay = (struct fe_relay){ .stall_at = UINT64_MAX };
	if (!path || !(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %llu", what, &v) != 2) {
			ret = -1;
		} else if (!strcmp(what, "corrupt") &&
			   relay->ncorrupt < FE_RELAY_CORRUPT_MAX) {
			relay->corrupt[relay->ncorrupt++] = v;
		} else if (!strcmp(what, "stall") && v) {
			relay->stall_at = v;
		} else {
			ret = -1;
		}
		if (ret) {
			fprintf(stderr, "vu_frontend: %s: bad line: %s", path,
				line);
			break;
		}
	}
	fclose(f);
	return ret;
}

/**
 * migrate() - move the guest to another daemon, as QEMU migrates
 * @fe:		front-end, replaced by the one of the target on success
 * @tap:	TAP device
 * @opt:	options
 * @st:		counters
 *
 * Return: 0 on success, 1 if the transfer failed and the guest resumed on
 *	   the first daemon, -1 on failure (reported)
 */
static int migrate(struct fe *fe, int tap, struct options *opt,
		   struct stats *st)
{
	struct fe target = *fe;
	uint16_t base[VU_QUEUES];
	struct fe_relay relay;
	size_t bytes;
	uint64_t mac = 0;

	target.name = "target";
	target.logging = false;
	if (relay_read(opt->migrate_relay, &relay) ||
	    fe_connect(&target, opt->migrate_to) || fe_handshake(&target))
		return -1;
	if (rings_stop_and_check(fe, tap, opt, st, base))
		return -1;
	if (fe_state_move(fe, &target, &relay, &bytes)) {
		/* As QEMU: the VM runs on the source again */
		close(target.sock);
		if (fe_device_start(fe, base))
			return -1;
		printf("vu_frontend: migration to %s failed after %zu bytes "
		       "of device state: guest resumed on the source\n",
		       opt->migrate_to, bytes);
		fflush(stdout);
		return 1;
	}
	if (fe_device_start(&target, base))
		return -1;
	memcpy(&mac, opt->link.mac, sizeof(opt->link.mac));
	if ((target.protocol_features & BIT(VHOST_USER_PROTOCOL_F_RARP)) &&
	    fe_request_u64(&target, VHOST_USER_SEND_RARP, mac))
		return -1;
	close(fe->sock);
	*fe = target;
	printf("vu_frontend: migrated to %s: %zu bytes of device state, rings "
	       "resumed at %u and %u\n", opt->migrate_to, bytes, base[0],
	       base[1]);
	fflush(stdout);
	return 0;
}

/**
 * bridge_run() - move frames both ways until a signal or the daemon's close
 * @fe:		front-end, device started
 * @tap:	TAP device
 * @opt:	options
 * @st:		counters
 * @waitmask:	signal mask while waiting
 *
 * Return: 0 on a signal or the daemon's close, -1 on failure
 */
static int bridge_run(struct fe *fe, int tap, struct options *opt,
		      struct stats *st, const sigset_t *waitmask)
{
	struct timespec ts = { 0, BRIDGE_POLL_MS * 1000000L };
	int ret;

	while (!link_stop_requested) {
		struct pollfd pfd[] = {
			{ .fd = tap, .events = POLLIN },
			{ .fd = fe->q[VU_QUEUE_RX].call_fd, .events = POLLIN },
			{ .fd = fe->q[VU_QUEUE_TX].call_fd, .events = POLLIN },
			{ .fd = fe->sock, .events = POLLIN },
		};
		char c;

		if (ppoll(pfd, ARRAY_SIZE(pfd), &ts, waitmask) < 0 &&
		    errno != EINTR)
			return -1;
		if (link_migrate_requested && opt->migrate_to) {
			link_migrate_requested = 0;
			ret = migrate(fe, tap, opt, st);
			if (ret < 0)
				return -1;
			if (!ret)
				opt->migrate_to = NULL;
			continue;
		}
		if (pfd[3].revents) {
			if (recv(fe->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
				fprintf(stderr, "vu_frontend: unexpected "
					"message from the daemon\n");
				return -1;
			}
			printf("vu_frontend: daemon closed the connection\n");
			return 0;
		}
		fe_calls_drain(fe);
		if (bridge_to_guest(fe, tap, opt, st) ||
		    bridge_to_daemon(fe, tap, opt, st))
			return -1;
	}
	return 0;
}

/**
 * malformed_send() - send a raw message, optionally with fds
 * @fe:		front-end
 * @req:	request
 * @flags:	header flags beyond the version
 * @payload:	payload
 * @size:	payload size in the header (and bytes sent)
 * @nfds:	number of copies of the memfd to attach
 *
 * Return: 0 on success, -1 on failure
 */
static int malformed_send(struct fe *fe, uint32_t req, uint32_t flags,
			  const void *payload, uint32_t size, unsigned int nfds)
{
	int fds[VHOST_USER_FDS_MAX];
	unsigned int i;

	for (i = 0; i < nfds; i++)
		fds[i] = fe->memfd;
	return fe_send_msg(fe, req, flags, payload, size, fds, nfds);
}

/**
 * raw_header() - send a bare message header, with any flags and size
 * @fe:		front-end
 * @req:	request
 * @flags:	complete flags field
 * @size:	payload size claimed (no payload follows)
 *
 * Return: 0 on success, -1 on failure
 */
static int raw_header(struct fe *fe, uint32_t req, uint32_t flags,
		      uint32_t size)
{
	struct vu_msg_hdr h = { req, flags, size };

	return send(fe->sock, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h) ?
	       0 : -1;
}

/**
 * mem_table_of() - a SET_MEM_TABLE payload with @n copies of region 0
 * @fe:		front-end
 * @t:		payload to fill
 * @n:		region count
 * @size:	size of each region
 *
 * Return: payload size for @n regions
 */
static uint32_t mem_table_of(const struct fe *fe, struct vu_msg_mem *t,
			     unsigned int n, uint64_t size)
{
	unsigned int i;

	t->nregions = n;
	for (i = 0; i < n && i < VHOST_USER_FDS_MAX; i++)
		t->regions[i] = (struct vu_msg_region){
			(uint64_t)i << 32, size, fe_uva(fe, 0) + (i << 20), 0 };
	return offsetof(struct vu_msg_mem, regions) + n * sizeof(t->regions[0]);
}

/**
 * malformed_fatal() - send one malformed message of a class
 * @fe:		front-end, handshake done, memory table set
 * @class:	class name
 *
 * Return: 0 if sent, -1 on failure or unknown class
 */
static int malformed_fatal(struct fe *fe, const char *class)
{
	struct vu_msg_state st = { VU_QUEUE_RX, FE_QSIZE };
	struct {
		struct vu_msg_mem t;
		struct vu_msg_region extra;
	} big;
	struct vu_msg_addr a = { .index = VU_QUEUE_RX, .desc_uva = 0x1000,
				 .avail_uva = 0x2000, .used_uva = 0x3000 };
	struct vu_msg_log l = { FE_MEM_SIZE * 2, 0 };
	uint64_t kick = VU_QUEUE_RX;
	uint32_t n;

	if (!strcmp(class, "short-payload"))
		return malformed_send(fe, VHOST_USER_SET_VRING_NUM, 0, &st, 4, 0);
	if (!strcmp(class, "long-payload"))
		return malformed_send(fe, VHOST_USER_SET_FEATURES, 0, &a, 16, 0);
	if (!strcmp(class, "oversized-payload"))
		return raw_header(fe, VHOST_USER_SET_FEATURES,
				  VHOST_USER_VERSION, 0x10000);
	if (!strcmp(class, "bad-version"))
		return raw_header(fe, VHOST_USER_GET_FEATURES, 2, 0);
	if (!strcmp(class, "fd-missing")) {
		n = mem_table_of(fe, &big.t, 2, FE_REGION_SIZE);
		return malformed_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &big.t,
				      n, 1);
	}
	if (!strcmp(class, "fd-extra"))
		return malformed_send(fe, VHOST_USER_SET_VRING_NUM, 0, &st,
				      sizeof(st), 1);
	if (!strcmp(class, "kick-fd-missing"))
		return malformed_send(fe, VHOST_USER_SET_VRING_KICK, 0, &kick,
				      sizeof(kick), 0);
	if (!strcmp(class, "too-many-regions")) {
		n = mem_table_of(fe, &big.t, VHOST_USER_FDS_MAX + 1,
				 FE_PAGE);
		return malformed_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &big.t,
				      n, VHOST_USER_FDS_MAX);
	}
	if (!strcmp(class, "region-beyond-file")) {
		n = mem_table_of(fe, &big.t, 1, FE_MEM_SIZE * 2);
		return malformed_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &big.t,
				      n, 1);
	}
	if (!strcmp(class, "address-outside-memory"))
		return malformed_send(fe, VHOST_USER_SET_VRING_NUM, 0, &st,
				      sizeof(st), 0) ||
		       malformed_send(fe, VHOST_USER_SET_VRING_ADDR, 0, &a,
				      sizeof(a), 0);
	if (!strcmp(class, "log-beyond-file"))
		return malformed_send(fe, VHOST_USER_SET_LOG_BASE, 0, &l,
				      sizeof(l), 1);

	/* The rest: one SET_VRING_NUM with a bad field */
	if (!strcmp(class, "ring-too-large"))
		st.num = VIRTQ_SIZE_MAX * 2;
	else if (!strcmp(class, "ring-not-power-of-two"))
		st.num = 1000;
	else if (!strcmp(class, "queue-out-of-range"))
		st.index = 7;
	else
		return -1;
	return malformed_send(fe, VHOST_USER_SET_VRING_NUM, 0, &st, sizeof(st),
			      0);
}

/**
 * malformed_benign() - send one message of a class the daemon must answer
 *			and survive, and check the answer
 * @fe:		front-end, handshake done, memory table set
 * @class:	class name
 *
 * Return: 0 if answered as the protocol says, -1 if not, 1 if no such class
 */
static int malformed_benign(struct fe *fe, const char *class)
{
	struct vu_msg_device_state ds = { VHOST_USER_STATE_DIR_SAVE, 0 };
	uint8_t buf[VHOST_USER_PAYLOAD_MAX];
	uint64_t v = 0;
	int pipefd[2];

	if (!strcmp(class, "unknown-request")) {
		if (fe_send_msg(fe, 200, VHOST_USER_F_NEED_REPLY, NULL, 0,
				NULL, 0) ||
		    fe_recv_reply(fe, 200, &v, sizeof(v)) != sizeof(v))
			return -1;
		return v ? 0 : -1;
	}
	if (!strcmp(class, "unsupported-get"))
		return fe_send_msg(fe, VHOST_USER_GET_CONFIG, 0, NULL, 0, NULL,
				   0) ||
		       fe_recv_reply(fe, VHOST_USER_GET_CONFIG, buf,
				     sizeof(buf)) != 0 ? -1 : 0;
	if (!strcmp(class, "check-without-transfer"))
		return fe_call_u64(fe, VHOST_USER_CHECK_DEVICE_STATE, NULL, 0,
				   NULL, 0, &v) || !v ? -1 : 0;
	if (!strcmp(class, "state-direction"))
		ds.direction = 5;
	else if (!strcmp(class, "state-phase"))
		ds.phase = 1;
	else
		return 1;
	if (pipe2(pipefd, O_CLOEXEC) ||
	    fe_call_u64(fe, VHOST_USER_SET_DEVICE_STATE_FD, &ds, sizeof(ds),
			&pipefd[1], 1, &v))
		return -1;
	close(pipefd[0]);
	close(pipefd[1]);
	return (v & 0xff) && (v & VHOST_USER_STATE_NO_FD) ? 0 : -1;
}

static const char *const malformed_classes[] = {
	/* Fatal: the daemon closes the connection */
	"short-payload", "long-payload", "oversized-payload", "bad-version",
	"fd-missing", "fd-extra", "kick-fd-missing", "too-many-regions",
	"region-beyond-file", "address-outside-memory", "ring-too-large",
	"ring-not-power-of-two", "queue-out-of-range", "log-beyond-file",
	/* Benign: answered, connection kept */
	"unknown-request", "unsupported-get", "check-without-transfer",
	"state-direction", "state-phase",
};

/**
 * wait_closed() - wait, bounded, for the daemon to close the connection
 * @fe:		front-end
 *
 * Return: true if it closed
 */
static bool wait_closed(struct fe *fe)
{
	struct pollfd p = { .fd = fe->sock, .events = POLLIN };
	char buf[256];

	while (poll(&p, 1, MALFORMED_WAIT_MS) == 1) {
		ssize_t n = recv(fe->sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EAGAIN)
			return false;
	}
	return false;
}

/**
 * malformed_run() - test one class, then a fresh connection
 * @path:	daemon's socket
 * @class:	class name
 *
 * Return: 0 if the daemon behaved, -1 if not
 */
static int malformed_run(const char *path, const char *class)
{
	struct fe fe = { .name = "vu_frontend" };
	int ret;

	if (fe_connect(&fe, path) || fe_mem_init(&fe) || fe_handshake(&fe) ||
	    fe_features_set(&fe) || fe_mem_table(&fe))
		return -1;

	ret = malformed_benign(&fe, class);
	if (ret < 0) {
		fprintf(stderr, "vu_frontend: %s: wrong answer\n", class);
		return -1;
	}
	if (ret == 0) {
		uint64_t f;

		if (fe_call_u64(&fe, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0,
				&f)) {
			fprintf(stderr, "vu_frontend: %s: connection not "
				"served after the answer\n", class);
			return -1;
		}
	} else {
		if (malformed_fatal(&fe, class)) {
			fprintf(stderr, "vu_frontend: unknown class %s\n",
				class);
			return -1;
		}
		if (!wait_closed(&fe)) {
			fprintf(stderr, "vu_frontend: %s: daemon did not close "
				"the connection\n", class);
			return -1;
		}
	}
	close(fe.sock);
	munmap(fe.mem, FE_MEM_SIZE);
	close(fe.memfd);

	fe = (struct fe){ .name = "vu_frontend (fresh)" };
	if (fe_start(&fe, path)) {
		fprintf(stderr, "vu_frontend: %s: fresh connection not served\n",
			class);
		return -1;
	}
	printf("vu_frontend: %s: %s, then a fresh connection was served\n",
	       class, ret ? "connection closed" : "answered");
	close(fe.sock);
	return 0;
}

/**
 * usage() - print the command line summary and exit
 * @name:	program name
 * @status:	exit status
 */
static void usage(const char *name, int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: %s --socket PATH --tap NAME [OPTIONS]\n"
		"       %s --socket PATH --malformed CLASS\n"
		"       %s --list-malformed\n\n"
		"  -s, --socket PATH       daemon's vhost-user socket\n"
		LINK_USAGE
		"  --log-check             dirty logging on, checked at stop\n"
		"  --migrate-to PATH       on SIGUSR1, migrate to this daemon\n"
		"  --migrate-relay FILE    faults to put into the migration\n"
		"  --no-event-idx          withhold VIRTIO_RING_F_EVENT_IDX\n"
		"  --no-indirect-desc      withhold VIRTIO_RING_F_INDIRECT_DESC\n"
		"  --malformed CLASS       malformed-message test\n"
		"  --list-malformed        print the malformed classes\n"
		"  -h, --help              this text\n",
		name, name, name);
	exit(status);
}

/**
 * parse_options() - read the command line, or exit with a message
 * @argc:	argument count
 * @argv:	arguments
 * @opt:	options to fill
 */
static void parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_LOG = LINK_OPT_TOOL_FIRST, O_MIGRATE, O_RELAY, O_MALFORMED,
	       O_LIST, O_NO_EVENT_IDX, O_NO_INDIRECT };
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "log-check",		no_argument,	   NULL, O_LOG },
		{ "no-event-idx",	no_argument,	   NULL, O_NO_EVENT_IDX },
		{ "no-indirect-desc",	no_argument,	   NULL, O_NO_INDIRECT },
		{ "migrate-to",		required_argument, NULL, O_MIGRATE },
		{ "migrate-relay",	required_argument, NULL, O_RELAY },
		{ "malformed",		required_argument, NULL, O_MALFORMED },
		{ "list-malformed",	no_argument,	   NULL, O_LIST },
		{ 0 },
	};
	unsigned int i;
	int o;

	*opt = (struct options){ 0 };
	link_opts_init(&opt->link);
	while ((o = getopt_long(argc, argv, LINK_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (link_opt_parse(&opt->link, o, optarg))
			continue;
		switch (o) {
		case O_LOG: opt->log_check = true; break;
		case O_NO_EVENT_IDX:
			opt->features_off |= BIT(VIRTIO_RING_F_EVENT_IDX);
			break;
		case O_NO_INDIRECT:
			opt->features_off |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
			break;
		case O_MIGRATE: opt->migrate_to = optarg; break;
		case O_RELAY: opt->migrate_relay = optarg; break;
		case O_MALFORMED: opt->malformed = optarg; break;
		case O_LIST:
			for (i = 0; i < ARRAY_SIZE(malformed_classes); i++)
				printf("%s\n", malformed_classes[i]);
			exit(0);
		case 'h': usage(argv[0], 0); break;
		default: usage(argv[0], 1);
		}
	}
	if (!opt->link.socket || (!opt->link.tap && !opt->malformed))
		usage(argv[0], 1);
}

/**
 * main() - bridge, or test malformed messages
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 on success, 1 on failure
 */
int main(int argc, char **argv)
{
	struct fe fe = { .name = "vu_frontend" };
	struct stats st = { 0 };
	uint16_t base[VU_QUEUES];
	struct options opt;
	sigset_t waitmask;
	int tap, ret;

	parse_options(argc, argv, &opt);
	signal(SIGPIPE, SIG_IGN);
	if (opt.malformed)
		return malformed_run(opt.link.socket, opt.malformed) ? 1 : 0;

	link_signals_setup(&waitmask, true);
	fe.features_off = opt.features_off;
	tap = link_tap_create(opt.link.tap,
			      opt.link.mac_set ? opt.link.mac : NULL);
	if (tap < 0 || fe_start(&fe, opt.link.socket) ||
	    (opt.log_check && fe_log_enable(&fe)) ||
	    link_pidfile_write(opt.link.pidfile))
		return 1;
	printf("vu_frontend: bridging %s and TAP device %s, features 0x%llx%s\n",
	       opt.link.socket, opt.link.tap,
	       (unsigned long long)fe.features,
	       opt.log_check ? ", dirty logging on" : "");
	fflush(stdout);

	ret = bridge_run(&fe, tap, &opt, &st, &waitmask);
	if (!ret && link_stop_requested && fe.logging)
		ret = rings_stop_and_check(&fe, tap, &opt, &st, base);
	printf("vu_frontend: to guest %llu frames, to daemon %llu, dropped "
	       "%llu, refused by TAP %llu, TX kicks %lu\n", st.to_guest,
	       st.to_daemon, st.dropped, st.refused,
	       fe.q[VU_QUEUE_TX].kicks);
	close(fe.sock);
	close(tap);
	return ret ? 1 : 0;
}
