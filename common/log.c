/*
 * Logging: stderr or syslog, every line prefixed with the process role.
 *
 * Only the broker ever talks to syslog. The frontend and the worker may not create or
 * connect sockets, so they always write to their stderr, a pipe to the broker; with
 * --syslog the broker sends each of their lines on (log_relay_line). Every syslog line
 * names its role, pid and export the same way: "ROLE[PID] export=DIR: LEVEL: MESSAGE".
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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
static char		 log_export[PATH_MAX] = "-";

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

void
log_setexport(const char *dir)
{
	(void)strlcpy(log_export, dir, sizeof(log_export));	/* truncated is fine */
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

static void
log_syslog(const char *role, long pid, enum log_level level, const char *msg)
{
	syslog(syslog_priority(level), "%s[%ld] export=%s: %s: %s", role, pid, log_export,
	    level_names[level], msg);
}

static void
log_stderr(enum log_level level, const char *msg)
{
	char	line[1400];
	int	n;

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

static void log_emit(enum log_level, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
log_emit(enum log_level level, const char *fmt, ...)
{
	char	 msg[1200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* a truncated log line is fine */
	va_end(ap);
	if (log_to_syslog) {
		log_syslog(log_role, (long)getpid(), level, msg);
		return;
	}
	log_stderr(level, msg);
}

/*
 * A line for whoever started us and reads our stderr (Kata's runtime-rs waits for one):
 * written there whatever --syslog and --log-level say, and to syslog as well.
 */
void
log_announce(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_stderr(LOG_LEVEL_INFO, msg);
	if (log_to_syslog && log_level >= LOG_LEVEL_INFO)
		log_syslog(log_role, (long)getpid(), LOG_LEVEL_INFO, msg);
	errno = saved_errno;
}

/*
 * "privfsd[PID] ROLE: LEVEL: " at the start of a child's line: the level, and where the
 * message starts. Anything else (a sanitizer report, a library's own message) is a
 * warning, whole.
 */
static enum log_level
child_line_level(const char *line, const char **msg)
{
	const char	*p, *q;
	size_t		 i, len;

	*msg = line;
	if (strncmp(line, "privfsd[", 8) != 0 || (p = strstr(line, "] ")) == NULL ||
	    (p = strstr(p + 2, ": ")) == NULL)
		return LOG_LEVEL_WARN;
	p += 2;
	if ((q = strstr(p, ": ")) == NULL)
		return LOG_LEVEL_WARN;
	len = (size_t)(q - p);
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strlen(level_names[i]) == len && strncmp(p, level_names[i], len) == 0) {
			*msg = q + 2;
			return (enum log_level)i;
		}
	return LOG_LEVEL_WARN;
}

/*
 * One line a child wrote to its stderr, to syslog. The role and pid are what the broker
 * knows about the pipe, never what the line says: a compromised frontend could write
 * anything, but only under its own name. Control bytes become '?'.
 */
void
log_relay_line(const char *role, long pid, char *line)
{
	enum log_level	 level;
	const char	*msg;
	char		*p;

	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	level = child_line_level(line, &msg);
	log_syslog(role, pid, level, msg);
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

static int
log_rl_drop_locked(struct log_rl *rl, unsigned long *before)
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

/* The worker's request threads share call sites: one lock for every site's counters. */
static pthread_mutex_t	log_rl_lock = PTHREAD_MUTEX_INITIALIZER;

/* Where this line stands in its site's interval: 0 write it, 1 drop it. */
static int
log_rl_drop(struct log_rl *rl, unsigned long *before)
{
	int drop;

	pthread_mutex_lock(&log_rl_lock);
	drop = log_rl_drop_locked(rl, before);
	pthread_mutex_unlock(&log_rl_lock);
	return drop;
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
