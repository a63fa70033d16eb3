/* The tally behind CHECK() (check.h). */
#include <stdio.h>

#include "check.h"

int check_count, check_failures;

int
check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}
