/*
 * Whether the CPUs are crowded (many guests on few CPUs), told from what a process's
 * awake waits cost others. Two users, each with a struct crowd of its own: the worker's
 * leading request thread, waiting awake for the frontend's record (worker/pool.c), and
 * the frontend, waiting awake at an empty avail ring for the guest's next chain
 * (frontend/virtq_look.c). A sched_yield() that took longer than CROWD_YIELD_IDLE_NS
 * lent the CPU to another thread. A wait that counts and lent more than
 * CROWD_LENT_MAX_NS in all, CROWD_STREAK such waits in a row, marks the CPUs crowded for
 * the next CROWD_SLEEPS sleeps. Meanwhile the worker's leader sleeps without
 * watching the guest's kicks, and waits awake after an answer for up to CROWD_AWAKE_NS
 * even when --poll-max-ns is shorter: with the CPUs crowded, the guest's next request
 * comes later (its thread waits for a CPU too), and a yield that hands the CPU to whoever
 * is queued costs less than the wake-up and the frontend's doorbell that sleeping would
 * cost. The frontend does not wait awake at all meanwhile: its yields take turns from the
 * worker, which is the one that answers.
 *
 * A streak, not one wait: one long slice (another process's burst) must not change how a
 * lone guest is served. Which waits count is the user's to say. The worker's count when
 * the record came: one that ran out says nothing of the frontend's turn (counting those
 * turned the kick watch off for a test's kicks without records on a loaded machine).
 * The frontend's all count: with many guests most of its looks run out, the next chain
 * coming later than the window, and counting only the others left the rule asleep.
 *
 * Self-contained, so that the unit tests build it alone. Not thread-safe: in the worker
 * only the thread that holds the requests channel uses it, and the channel passes under
 * a lock; the frontend has one thread.
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
	unsigned int	streak;		/* waits in a row that counted and lent much */
	unsigned int	sleeps_left;	/* sleeps left while crowded */
};

/* What one yield that ran from before to after (ns) lent to others: 0 or its length. */
uint64_t	crowd_yield_lent(uint64_t before, uint64_t after);
/* An awake wait ended having lent lent_ns in all; counts 0: it says nothing of the CPUs.
 * 1 if it made the CPUs crowded (the start of CROWD_SLEEPS sleeps), else 0. */
int		crowd_wait_ended(struct crowd *, int counts, uint64_t lent_ns);
/* Before each sleep: 1 when the CPUs are not crowded, 0 while they are (counts the sleep). */
int		crowd_calm(struct crowd *);
/*
 * The next awake window, as a halt-polling window adapts: the whole limit again when what
 * was waited for came within limit_ns of the wait's start (waited_ns), else the window
 * now halved, and 0 once that is below min_ns.
 */
uint64_t	crowd_window_next(uint64_t now_window, uint64_t limit_ns, uint64_t waited_ns,
		    uint64_t min_ns);
/* The longest awake wait after an answer, given --poll-max-ns (max_ns; 0 stays 0). */
uint64_t	crowd_awake_ns(const struct crowd *, uint64_t max_ns);

#endif
