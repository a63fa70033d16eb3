/*
 * Logging in the bgpd shape: every line is prefixed with the role of the process that
 * wrote it, goes to stderr or syslog, and is filtered by the --log-level of virtiofsd.
 */
#ifndef PRIVFSD_LOG_H
#define PRIVFSD_LOG_H

#include <stdarg.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Before anything else: where lines go (0 stderr, 1 syslog) and how much. */
void	log_init(int use_syslog, enum log_level level);
/* Name of this process in every line: "broker", "frontend", "worker". */
void	log_procinit(const char *role);
/* The shared directory, named in every syslog line ("export=DIR"). */
void	log_setexport(const char *dir);
enum log_level log_getlevel(void);
/* "error" "warn" "info" "debug" -> level; -1 when unknown. */
int	log_level_parse(const char *name);

void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));	/* appends strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	vlog(enum log_level, const char *, va_list) __attribute__((__format__(printf, 2, 0)));
/* Info line on stderr even with --syslog or a lower --log-level (and to syslog too). */
void	log_announce(const char *, ...) __attribute__((__format__(printf, 1, 2)));
/* The broker: one line of a child's stderr (no newline) to syslog, as ROLE[PID]. */
void	log_relay_line(const char *role, long pid, char *line);

/*
 * Lines a guest or QEMU can cause as often as it likes: each call site may write
 * LOG_RL_BURST lines per LOG_RL_INTERVAL seconds. The last line of a burst says that more
 * are dropped; the first line after the pause says how many were. The state is a static
 * per call site (the macros below), unlocked: for the single-threaded frontend and broker.
 */
#define LOG_RL_BURST		5
#define LOG_RL_INTERVAL		10	/* seconds */

struct log_rl {
	time_t		window;		/* start of the current interval */
	unsigned int	lines;		/* lines in it so far, written or not */
	unsigned long	suppressed;	/* dropped in the last interval with any */
};

void	log_rl(struct log_rl *, enum log_level, int with_errno, const char *, ...)
	    __attribute__((__format__(printf, 4, 5)));

#define LOG_RL_(level, with_errno, ...) do {				\
	static struct log_rl log_rl_site_;					\
	log_rl(&log_rl_site_, (level), (with_errno), __VA_ARGS__);		\
} while (0)
#define log_warn_rl(...)	LOG_RL_(LOG_LEVEL_WARN, 1, __VA_ARGS__)
#define log_warnx_rl(...)	LOG_RL_(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define log_info_rl(...)	LOG_RL_(LOG_LEVEL_INFO, 0, __VA_ARGS__)

__attribute__((__noreturn__))
void	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)));	/* appends strerror(errno), exit(1) */
__attribute__((__noreturn__))
void	fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)));

#endif
