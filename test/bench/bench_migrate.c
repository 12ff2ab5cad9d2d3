// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_migrate.c - time, size and target memory of a migration stream
 *
 * For 10,000 and 100,000 synthetic records (test/migrate_records.h), a
 * source in this process writes the stream through a pipe, with the real
 * transfer in an epoll loop, to a target in a forked child doing the same;
 * then the same number of bytes is copied raw through a pipe to a child that
 * discards them: the baseline. Prints the figures; never fails on them.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "passt.h"
#include "util.h"
#include "log.h"
#include "migrate.h"
#include "migrate_internal.h"
#include "../migrate_records.h"

/**
 * struct child_report - what a child process measured, sent to the parent
 * @result:	transfer result (0 for the baseline)
 * @ms:		time from its first wait to the end
 * @maxrss_kib:	peak resident memory
 * @records:	records the target received
 */
struct child_report {
	int result;
	double ms;
	long maxrss_kib;
	uint64_t records;
};

static bool transfer_done;
static int transfer_result;

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
 * on_done() - the transfer's done callback
 * @c:		execution context
 * @result:	result of the transfer
 */
static void on_done(struct ctx *c, int result)
{
	(void)c;
	transfer_done = true;
	transfer_result = result;
}

/**
 * run_transfer() - run one transfer in a fresh epoll loop until it ends
 * @fd:		device-state fd
 * @dir:	direction
 *
 * Return: result of the transfer
 */
static int run_transfer(int fd, enum migrate_dir dir)
{
	struct ctx c = { 0 };
	int rc;

	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	c.migrate_timeout_ms = 60000;
	transfer_done = false;
	rc = migrate_request(&c, fd, dir, on_done);
	while (!rc && !transfer_done) {
		struct epoll_event ev[4];
		int n = epoll_wait(c.epollfd, ev, 4, 100), i;

		for (i = 0; i < n; i++) {
			union epoll_ref ref = { .u64 = ev[i].data.u64 };

			migrate_handler(&c, ref, ev[i].events);
		}
		migrate_timer(&c, now_ms());
	}
	close(c.epollfd);
	return rc ? rc : transfer_result;
}

/**
 * stream_bytes() - length of the stream, written to memory and counted
 * @t:		versions table whose newest version is written
 *
 * Return: bytes in the stream
 */
static uint64_t stream_bytes(const struct migrate_table *t)
{
	static struct migrate_writer w;
	static struct ctx c;
	const uint8_t *buf;
	uint64_t total = 0;
	size_t len;

	migrate_writer_init(&w, &c, t, 0);
	while (!migrate_writer_next(&w, &buf, &len)) {
		total += len;
		migrate_writer_consumed(&w, len);
	}
	return total;
}

/**
 * child_finish() - report measurements to the parent and exit
 * @report_fd:	pipe to the parent
 * @r:		report, @maxrss_kib filled in here
 */
static void child_finish(int report_fd, struct child_report *r)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	r->maxrss_kib = ru.ru_maxrss;
	if (write_all(report_fd, r, sizeof(*r)))
		_exit(1);
	_exit(0);
}

/**
 * child_target() - forked child: read the stream as a target
 * @fd:		read end of the stream pipe
 * @report_fd:	pipe to the parent
 */
static void child_target(int fd, int report_fd)
{
	struct child_report r = { 0 };
	double start = now_us();

	records_received = 0;
	r.result = run_transfer(fd, MIGRATE_LOAD);
	r.ms = (now_us() - start) / 1e3;
	r.records = records_received;
	child_finish(report_fd, &r);
}

/**
 * child_discard() - forked child: read and discard until end of file
 * @fd:		read end of the pipe
 * @report_fd:	pipe to the parent
 */
static void child_discard(int fd, int report_fd)
{
	static uint8_t buf[MIGRATE_CHUNK_MAX];
	struct child_report r = { 0 };
	double start = now_us();
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	r.result = n < 0 ? -errno : 0;
	r.ms = (now_us() - start) / 1e3;
	child_finish(report_fd, &r);
}

/**
 * run_with_child() - run @child on a pipe's read end, the parent writing
 * @child:	what the child does with the read end
 * @bytes:	baseline: bytes to write raw; 0: run the source transfer
 * @parent_ms:	set to the parent's time to write everything
 * @report:	set to the child's report
 *
 * Return: result of the parent's side
 */
static int run_with_child(void (*child)(int, int), uint64_t bytes,
			  double *parent_ms, struct child_report *report)
{
	static uint8_t zeros[MIGRATE_CHUNK_MAX];
	int data[2], rep[2], status, rc = 0;
	double start;
	pid_t pid;

	if (pipe2(data, O_CLOEXEC) || pipe2(rep, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(data[1]);
		close(rep[0]);
		child(data[0], rep[1]);
	}
	close(data[0]);
	close(rep[1]);

	start = now_us();
	if (bytes) {
		for (; !rc && bytes; bytes -= MIN(bytes, sizeof(zeros)))
			rc = write_all(data[1], zeros, MIN(bytes, sizeof(zeros)));
		close(data[1]);
	} else {
		rc = run_transfer(data[1], MIGRATE_SAVE);
	}
	*parent_ms = (now_us() - start) / 1e3;

	if (read_all(rep[0], report, sizeof(*report)))
		report->result = -EPIPE;
	close(rep[0]);
	waitpid(pid, &status, 0);
	return rc;
}

/**
 * bench_records() - measure one record count and print the line
 * @count:	number of records
 *
 * Return: 0 if both transfers succeeded
 */
static int bench_records(uint64_t count)
{
	struct migrate_section rows[1] = {
		records_section(0, count * RECORD_LEN),
	};
	struct migrate_version v = migrate_builtin.versions[1];
	struct migrate_table t = { &v, 1 };
	struct child_report target, base;
	double write_ms, base_ms;
	uint64_t bytes;
	int rc;

	v.sections = rows;
	v.section_count = 1;
	records_to_send = count;
	migrate_table_use(&t);
	bytes = stream_bytes(&t);

	rc = run_with_child(child_target, 0, &write_ms, &target);
	if (rc || target.result || target.records != count) {
		fprintf(stderr, "migrate: %" PRIu64 " records: transfer failed: source %d, target %d, %" PRIu64 " records\n",
			count, rc, target.result, target.records);
		return 1;
	}
	rc = run_with_child(child_discard, bytes, &base_ms, &base);
	if (rc || base.result)
		return 1;

	printf("migrate: %" PRIu64 " records: write %.1f ms, read %.1f ms, %" PRIu64 " bytes, target peak %.1f MiB; baseline pipe copy %.1f ms (ratio %.1f), its reader peak %.1f MiB\n",
	       count, write_ms, target.ms, bytes, target.maxrss_kib / 1024.0,
	       base_ms, base_ms > 0 ? write_ms / base_ms : 0,
	       base.maxrss_kib / 1024.0);
	return 0;
}

/**
 * main() - run the benchmark for 10,000 and 100,000 records
 *
 * Return: 0 if every transfer succeeded
 */
int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_WARN);
	if (bench_records(10000) || bench_records(100000))
		return 1;
	return 0;
}
