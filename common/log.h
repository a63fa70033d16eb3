/*
 * Logging in the bgpd shape: every line is prefixed with the role of the process that
 * wrote it, goes to stderr or syslog, and is filtered by the --log-level of virtiofsd.
 */
#ifndef PRIVFSD_LOG_H
#define PRIVFSD_LOG_H

#include <stdarg.h>

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
void	log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* "error" "warn" "info" "debug" -> level; -1 when unknown. */
int	log_level_parse(const char *name);

void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));	/* appends strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	vlog(enum log_level, const char *, va_list) __attribute__((__format__(printf, 2, 0)));
__attribute__((__noreturn__))
void	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)));	/* appends strerror(errno), exit(1) */
__attribute__((__noreturn__))
void	fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)));

#endif
