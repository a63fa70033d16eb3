/*
 * The checks of the C tests: CHECK() counts a condition and reports it when it fails, and
 * the test goes on, so that one run shows every failure; check_done() prints the tally and
 * gives the exit code. The counters live in check.c, so that helpers in other files of a
 * test (the worker harness) count into the same tally.
 */
#ifndef PRIVFSD_TESTS_CHECK_H
#define PRIVFSD_TESTS_CHECK_H

#include <stdio.h>

extern int check_count, check_failures;

#define CHECK(cond) do {						\
	check_count++;							\
	if (!(cond)) {							\
		check_failures++;					\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

/* Prints "name: N checks, M failed"; returns 1 when a check failed, 0 otherwise. */
int	check_done(const char *name);

struct iovec;
/*
 * What a lying peer does to a channel: one sendmsg of the pieces, with fd (or -1) as
 * SCM_RIGHTS, bypassing every check of common/chan.c. Bytes sent, or -1.
 */
long	check_rawsend(int sock, const struct iovec *iov, int iovcnt, int fd);

#endif
