/*
 * Whether the worker's CPUs are crowded (many guests on few CPUs), told from what the
 * leading request thread's awake waits cost others (worker/pool.c). A sched_yield() that
 * took longer than CROWD_YIELD_IDLE_NS lent the CPU to another thread. A wait that ended
 * with the frontend's record and lent more than CROWD_LENT_MAX_NS in all, CROWD_STREAK
 * such waits in a row, marks the CPUs crowded for the next CROWD_SLEEPS sleeps: the leader
 * then sleeps without watching the guest's kicks, and waits awake after an answer for
 * up to CROWD_AWAKE_NS even when --poll-max-ns is shorter: with the CPUs crowded, the
 * guest's next request comes later (its thread waits for a CPU too), and a yield that
 * hands the CPU to whoever is queued costs less than the wake-up and the frontend's
 * doorbell that sleeping would cost.
 *
 * A streak, not one wait: one long slice (another process's burst) must not change how a
 * lone guest is served. Only waits that ended with a record count: one that ran out says
 * nothing of the frontend's turn (counting those turned the watch off for a test's kicks
 * without records on a loaded machine).
 *
 * Self-contained (no worker.h), so that the unit tests build it alone. Not thread-safe:
 * only the thread that holds the requests channel uses it, and the channel passes under
 * a lock.
 */
#ifndef PRIVFSD_CROWD_H
#define PRIVFSD_CROWD_H

#include <stdint.h>

#define CROWD_YIELD_IDLE_NS	3000
#define CROWD_LENT_MAX_NS	40000
#define CROWD_STREAK		4
#define CROWD_SLEEPS		64
#define CROWD_AWAKE_NS		200000

struct crowd {
	unsigned int	streak;		/* waits in a row that ended with a record, lent much */
	unsigned int	sleeps_left;	/* sleeps left without the kick watch */
};

/* What one yield that ran from before to after (ns) lent to others: 0 or its length. */
uint64_t	crowd_yield_lent(uint64_t before, uint64_t after);
/* An awake wait ended, with a record or not, having lent lent_ns in all: 1 if it made the
 * CPUs crowded (the start of CROWD_SLEEPS sleeps without the kick watch), else 0. */
int		crowd_wait_ended(struct crowd *, int got_record, uint64_t lent_ns);
/* Before each sleep: 1 to watch the kicks as well, 0 while crowded (counts the sleep). */
int		crowd_watch_kicks(struct crowd *);
/* The longest awake wait after an answer, given --poll-max-ns (max_ns; 0 stays 0). */
uint64_t	crowd_awake_ns(const struct crowd *, uint64_t max_ns);

#endif
