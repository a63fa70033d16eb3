/*
 * The monotonic clock: in milliseconds for the deadlines of every bounded wait (a child's
 * hello, the VMM's answer to a DAX request, the respawner's answer), in nanoseconds for
 * the worker's short waits and timings.
 */
#ifndef PRIVFSD_CLOCK_H
#define PRIVFSD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

#endif
