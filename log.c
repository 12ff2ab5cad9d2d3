// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - logging to stderr, a file or syslog, by level */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_stderr = true;
static int log_fd = -1;
static bool log_syslog;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_TRACE] = "trace",
};

/**
 * log_init() - choose where log messages go and how detailed they are
 * @ident:	program name for syslog
 * @to_stderr:	log to standard error (foreground)
 * @file:	log file path, or NULL/empty: syslog unless @to_stderr
 * @level:	most detailed level printed
 */
void log_init(const char *ident, bool to_stderr, const char *file,
	      enum log_level level)
{
	log_max = level;
	log_stderr = to_stderr;
	if (file && *file) {
		log_fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
				    O_NOFOLLOW, 0644);
		if (log_fd < 0)
			die("cannot open log file %s: %s", file,
			    strerror(errno));
		return;
	}
	if (!to_stderr) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = true;
	}
}

/**
 * log_set_level() - change the most detailed level printed
 * @level:	new level
 */
void log_set_level(enum log_level level)
{
	log_max = level;
}

/**
 * log_enabled() - whether messages of a level are printed at all
 * @level:	level to check
 *
 * Return: true if printed
 */
bool log_enabled(enum log_level level)
{
	return level <= log_max;
}

/**
 * log_close() - release the log file or syslog connection
 */
void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_syslog)
		closelog();
	log_syslog = false;
}

/**
 * log_vmsg() - format and emit one message to every configured destination
 * @level:	message level
 * @fmt:	printf-style format
 * @ap:		arguments
 */
static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024], line[1200];
	struct timespec ts;
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog)
		syslog(level > LOG_DEBUG ? LOG_DEBUG : (int)level, "%s", msg);
	if (log_fd < 0 && !log_stderr)
		return;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%lld.%04ld %s: %s\n",
		     (long long)ts.tv_sec, ts.tv_nsec / 100000,
		     level_names[level], msg);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (log_fd >= 0 && write(log_fd, line, (size_t)n) < 0)
		return;
	if (log_stderr && write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/**
 * logmsg() - log a message if its level is enabled
 * @level:	message level
 * @fmt:	printf-style format
 */
void logmsg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/**
 * die() - log an error and exit with status 1
 * @fmt:	printf-style format
 */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
