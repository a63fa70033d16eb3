/*
 * Whether the CPUs are crowded (many guests on few CPUs), told from what a process's
 * awake waits cost others. Two users, each with a struct crowd of its own: the worker's
 * leading request thread, waiting awake for the frontend's record (worker/pool.c), and
 * the frontend, waiting awake at an empty avail ring for the guest's next chain
 * (frontend/virtq_look.c). A sched_yield() that took longer than CROWD_YIELD_IDLE_NS
 * lent the CPU to another thread. A wait that counts and lent more than
 * CROWD_LENT_MAX_NS in all, CROWD_STREAK such waits in a row, marks the CPUs crowded for
 * the next CROWD_SLEEPS sleeps. Meanwhile the worker's leader sleeps without
 * watching the guest's kicks; its awake wait after an answer stays the window that
 * --poll-max-ns and the halving give it. (A window of at least 200 us while crowded won
 * with eight guests before the doorbell rule below existed; with that rule it was worth
 * about 5 % on their metadata rows, and it cost an emulated guest, whose vCPU thread
 * takes the CPU from our yields and so sets this rule off, 6-12 % of its small requests
 * a second and a sixth to a fifth of their CPU time: doc/architecture.md.) The frontend
 * does not wait awake at all meanwhile: its yields take turns from the worker, which is
 * the one that answers.
 *
 * A streak, not one wait: one long slice (another process's burst) must not change how a
 * lone guest is served. Which waits count is the user's to say. The worker's count when
 * the record came: one that ran out says nothing of the frontend's turn (counting those
 * turned the kick watch off for a test's kicks without records on a loaded machine).
 * The frontend's all count: with many guests most of its looks run out, the next chain
 * coming later than the window, and counting only the others left the rule asleep.
 *
 * The same crowd seen from the worker's sleeps: how late the frontend's doorbell woke it.
 * The frontend stamps the time when it finds the worker asleep and rings
 * (common/req_ring.h); the worker reads the stamp when it wakes. A wake-up later than
 * CROWD_BELL_LATE_NS that makes CROWD_BELL_LATE_ENTER late ones among the last
 * CROWD_BELL_WINDOW stops the worker's awake waits (and its kick watch) for the next
 * CROWD_BELL_WAITS waits; meanwhile a late one that makes CROWD_BELL_LATE_KEEP starts
 * that count again. Measured 2026-12-07 (2 CPUs, tests/bench, q128, one request in
 * flight a guest, counts over whole runs):
 * - one guest: 2 % of the doorbell wake-ups 100 us late or more, in bursts of 3-4 within
 *   5 wake-ups (none of 512 in another run). A burst stops the awake waits for
 *   CROWD_BELL_WAITS waits, no longer: the late ones that follow are too far apart. A
 *   test build, which logs each start, logged one in a whole run and none in another.
 * - eight guests, waiting awake: 3-17 % of the wake-ups late. Not waiting awake, every
 *   request is a doorbell's wake-up and 20-60 % of them are late: the rule keeps itself,
 *   as it should (70-99 % of the waits without the awake wait).
 * - a rule that ended as soon as the last 64 held few late ones (fewer than 6) flapped
 *   with eight guests (the awake waits stopped for 1-10 % of the waits) and did worse
 *   than no rule; one that any late one kept held a lone guest's awake waits off for
 *   hundreds of waits after each burst, and its 4 KiB reads fell by a tenth.
 * What it gives (tests/bench, privfsd alone, alternated rounds, medians, today's daemon
 * without the rule / with): eight guests, 5 rounds, lookup+getattr 1.22e4 / 1.55e4 pairs
 * a second (better in 5 of 5), getattr p99 1577 / 774 us (5 of 5), 4 KiB reads 2.67e4 /
 * 2.89e4 (4 of 5); one guest, 6 rounds, 4 KiB reads 3.44e4 / 4.04e4 (6 of 6), getattr
 * p50 22 / 17 us, lookup+getattr 2.11e4 / 1.86e4 (better in 2 of 6: within this
 * machine's spread, which is +-30 % from one round to the next). A worker that never
 * waits awake did about as well with eight guests, and worse with one: its 4 KiB reads
 * fell from 2.77e4 to 2.09e4 a second (worker/pool.c). The lent rule above did not fire
 * often enough to change these rows. The stamp is the frontend's word: a lying one can
 * only change whether the worker waits awake, which costs the worker's own CPU.
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
#define CROWD_BELL_LATE_NS	100000
#define CROWD_BELL_WINDOW	16	/* the bits of struct crowd's bells */
#define CROWD_BELL_LATE_ENTER	3
#define CROWD_BELL_LATE_KEEP	2
#define CROWD_BELL_WAITS	256

struct crowd {
	unsigned int	streak;		/* waits in a row that counted and lent much */
	unsigned int	sleeps_left;	/* sleeps left while crowded */
	uint16_t	bells;		/* the last doorbell wake-ups, a bit each: late */
	unsigned int	bells_left;	/* waits left without waiting awake */
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
/* A doorbell's wake-up, delay_ns after the frontend rang: 1 if it stopped awake waits. */
int		crowd_bell_woke(struct crowd *, uint64_t delay_ns);
/* Before each wait: 1 when it may start awake, 0 while doorbells come late (counts it). */
int		crowd_may_wait_awake(struct crowd *);

#endif
