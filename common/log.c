/*
 * Logging: stderr or syslog, every line prefixed with the process role.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_to_syslog;
static enum log_level	 log_level = LOG_LEVEL_INFO;
static const char	*log_role = "privfsd";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(int use_syslog, enum log_level level)
{
	log_to_syslog = use_syslog;
	log_level = level;
	/* Connect now: sandboxed processes may not create sockets later. */
	if (use_syslog)
		openlog("privfsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_procinit(const char *role)
{
	if (role != NULL)
		log_role = role;
}

enum log_level
log_getlevel(void)
{
	return log_level;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return LOG_ERR;
	case LOG_LEVEL_WARN:
		return LOG_WARNING;
	case LOG_LEVEL_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

static void log_emit(enum log_level, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
log_emit(enum log_level level, const char *fmt, ...)
{
	char	 msg[1200], line[1400];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* a truncated log line is fine */
	va_end(ap);
	if (log_to_syslog) {
		syslog(syslog_priority(level), "%s: %s", log_role, msg);
		return;
	}
	/* One write per line, so lines of the three processes never interleave. */
	n = snprintf(line, sizeof(line), "privfsd[%ld] %s: %s: %s\n", (long)getpid(),
	    log_role, level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)write(STDERR_FILENO, line, n);
}

void
vlog(enum log_level level, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved_errno = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, "%s", msg);
	errno = saved_errno;
}

/* vlog() with ": strerror(errno)" appended. */
static void vlog_errno(enum log_level, const char *, va_list)
    __attribute__((__format__(printf, 2, 0)));
static void
vlog_errno(enum log_level level, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno;

	if (level > log_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_emit(level, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

/* Where this line stands in its site's interval: 0 write it, 1 drop it. */
static int
log_rl_drop(struct log_rl *rl, unsigned long *before)
{
	struct timespec now;

	*before = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rl->window == 0 || now.tv_sec - rl->window >= LOG_RL_INTERVAL) {
		*before = rl->suppressed;
		rl->window = now.tv_sec;
		rl->lines = 0;
		rl->suppressed = 0;
	}
	if (rl->lines >= LOG_RL_BURST) {
		rl->suppressed++;
		return 1;
	}
	rl->lines++;
	return 0;
}

void
log_rl(struct log_rl *rl, enum log_level level, int with_errno, const char *fmt, ...)
{
	char		 msg[1024], note[96];
	unsigned long	 before;
	va_list		 ap;
	int		 saved_errno = errno;

	if (level > log_level || log_rl_drop(rl, &before))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* a truncated log line is fine */
	va_end(ap);
	note[0] = '\0';
	if (before > 0)
		(void)snprintf(note, sizeof(note), " [%lu lines from here suppressed before]",
		    before);
	else if (rl->lines == LOG_RL_BURST)
		(void)snprintf(note, sizeof(note), " [rate limit: more lines from here "
		    "suppressed for %d s]", LOG_RL_INTERVAL);
	if (with_errno)
		log_emit(level, "%s: %s%s", msg, strerror(saved_errno), note);
	else
		log_emit(level, "%s%s", msg, note);
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
