/* A minimal unit-test harness: CHECK() counts, t_done() reports and sets the exit code. */
#ifndef PRIVFSD_T_H
#define PRIVFSD_T_H

#include <stdio.h>
#include <stdlib.h>

static int t_checks, t_failures;

#define CHECK(cond) do {						\
	t_checks++;							\
	if (!(cond)) {							\
		t_failures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

static inline int
t_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
	return t_failures ? 1 : 0;
}

#endif
