/* SPDX-License-Identifier: GPL-2.0-or-later
 * log.h - logging to stderr, a file or syslog, by level
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_level {
	LOG_LEVEL_ERR = LOG_ERR,
	LOG_LEVEL_WARN = LOG_WARNING,
	LOG_LEVEL_INFO = LOG_INFO,
	LOG_LEVEL_DEBUG = LOG_DEBUG,
	LOG_LEVEL_TRACE = LOG_DEBUG + 1,
};

void log_init(const char *ident, bool to_stderr, const char *file,
	      enum log_level level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_close(void);
void logmsg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define err(...)	logmsg(LOG_LEVEL_ERR, __VA_ARGS__)
#define warn(...)	logmsg(LOG_LEVEL_WARN, __VA_ARGS__)
#define info(...)	logmsg(LOG_LEVEL_INFO, __VA_ARGS__)
#define debug(...)						\
	do {							\
		if (log_enabled(LOG_LEVEL_DEBUG))		\
			logmsg(LOG_LEVEL_DEBUG, __VA_ARGS__);	\
	} while (0)
#define trace(...)						\
	do {							\
		if (log_enabled(LOG_LEVEL_TRACE))		\
			logmsg(LOG_LEVEL_TRACE, __VA_ARGS__);	\
	} while (0)

/**
 * err_ratelimit() - log an error at most once a second from this call site
 */
#define err_ratelimit(...)					\
	do {							\
		static time_t last_;				\
		time_t now_ = time(NULL);			\
		if (now_ != last_) {				\
			last_ = now_;				\
			err(__VA_ARGS__);			\
		}						\
	} while (0)

#endif /* LOG_H */
