/*
 * The crowded-CPU rule (common/crowd.c) as the worker's leader uses it, both sides:
 * waits that ran out never turn the kick watch off however much they lent (a guest that
 * kicks without a record behind it, on a loaded machine), and a streak of waits that
 * ended with a record after lending much does, for a bounded number of sleeps. And the
 * doorbell side: wake-ups on time, or late ones too few, keep the awake wait; enough late
 * ones in the window stop it for a bounded number of waits, which late ones close enough
 * meanwhile start again.
 */
#include <stdint.h>

#include "crowd.h"
#include "check.h"

#define MUCH	(CROWD_LENT_MAX_NS + 1)

/* How many calls in a row of a rule's question (crowd_calm, crowd_may_wait_awake) said 0. */
static unsigned int
said_no(int (*now)(struct crowd *), struct crowd *c, unsigned int limit)
{
	unsigned int n = 0;

	while (n < limit && !now(c))
		n++;
	return n;
}

/* Sleeps in a row with the kick watch off, up to limit. */
#define sleeps_off(c, limit)	said_no(crowd_calm, (c), (limit))
/* Waits in a row that may not start awake, up to limit. */
#define waits_asleep(c, limit)	said_no(crowd_may_wait_awake, (c), (limit))

static void
test_yield_lent(void)
{
	CHECK(crowd_yield_lent(1000, 1000) == 0);
	CHECK(crowd_yield_lent(1000, 1000 + CROWD_YIELD_IDLE_NS) == 0);
	CHECK(crowd_yield_lent(1000, 1001 + CROWD_YIELD_IDLE_NS) == 1 + CROWD_YIELD_IDLE_NS);
	CHECK(crowd_yield_lent(5000, 1000) == 0);		/* a clock that went back */
}

/* Waits without a record: never crowded, and they do not break or extend a streak. */
static void
test_no_record(void)
{
	struct crowd	c = { 0 };
	int		i, n;

	for (i = 0, n = 0; i < 1000; i++)
		n += crowd_wait_ended(&c, 0, UINT64_MAX / 2);
	CHECK(n == 0);
	CHECK(crowd_calm(&c) == 1);
	/* Three long waits with records, empty ones between, then the fourth: crowded. */
	for (i = 0; i < CROWD_STREAK - 1; i++) {
		crowd_wait_ended(&c, 1, MUCH);
		crowd_wait_ended(&c, 0, 0);
		crowd_wait_ended(&c, 0, MUCH);
	}
	CHECK(crowd_calm(&c) == 1);
	crowd_wait_ended(&c, 1, MUCH);
	CHECK(sleeps_off(&c, 1000) == CROWD_SLEEPS);
	CHECK(crowd_calm(&c) == 1);
}

/* A streak of long waits with records turns the watch off; one short wait breaks it. */
static void
test_streak(void)
{
	struct crowd	c = { 0 };
	int		i;

	for (i = 0; i < CROWD_STREAK - 1; i++)
		crowd_wait_ended(&c, 1, MUCH);
	crowd_wait_ended(&c, 1, CROWD_LENT_MAX_NS);		/* not more than the bound */
	for (i = 0; i < CROWD_STREAK - 1; i++)
		crowd_wait_ended(&c, 1, MUCH);
	CHECK(crowd_calm(&c) == 1);			/* one short of a streak */
	CHECK(crowd_wait_ended(&c, 1, MUCH) == 1);		/* says it turned crowded */
	CHECK(crowd_calm(&c) == 0);
	/* Still crowded: a new streak sets the count back to the whole, no more. */
	for (i = 0; i < CROWD_STREAK - 1; i++)
		CHECK(crowd_wait_ended(&c, 1, MUCH) == 0);
	CHECK(crowd_wait_ended(&c, 1, MUCH) == 1);
	CHECK(sleeps_off(&c, 1000) == CROWD_SLEEPS);
	/* The crowd gone: the watch stays on. */
	for (i = 0; i < 100; i++)
		crowd_wait_ended(&c, 1, 0);
	CHECK(sleeps_off(&c, 1000) == 0);
}

#define LATE	(CROWD_BELL_LATE_NS + 1)

/* n doorbell wake-ups, every k-th of them late (k 0: none); how many said it started. */
static int
bells(struct crowd *c, int n, int k)
{
	int i, started = 0;

	for (i = 0; i < n; i++)
		started += crowd_bell_woke(c, k != 0 && i % k == 0 ? LATE : CROWD_BELL_LATE_NS);
	return started;
}

/*
 * One guest's doorbells: on time (not later than the bound), or late now and then, too
 * few in any window: the awake wait stays. Nor does the lent rule's crowd stop it.
 */
static void
test_bells_on_time(void)
{
	struct crowd	c = { 0 };
	int		i;

	CHECK(bells(&c, 10000, 0) == 0 && waits_asleep(&c, 1000) == 0);
	/* Just too few late ones in every window. */
	CHECK(bells(&c, 10000, CROWD_BELL_WINDOW / (CROWD_BELL_LATE_ENTER - 1) + 1) == 0);
	CHECK(waits_asleep(&c, 1000) == 0);
	CHECK(bells(&c, CROWD_BELL_WINDOW, 0) == 0);
	CHECK(crowd_bell_woke(&c, UINT64_MAX) == 0);	/* a lie of the longest: one late */
	CHECK(waits_asleep(&c, 1000) == 0);
	for (i = 0; i < CROWD_STREAK; i++)
		crowd_wait_ended(&c, 1, MUCH);
	CHECK(waits_asleep(&c, 1000) == 0);
}

/*
 * Eight guests' doorbells: ENTER late ones in the window stop the awake wait for
 * CROWD_BELL_WAITS waits, and a late one that makes KEEP in the window meanwhile starts
 * that count again; wake-ups on time do not end it early.
 */
static void
test_bells_late(void)
{
	struct crowd	c = { 0 };

	CHECK(bells(&c, CROWD_BELL_LATE_ENTER - 1, 1) == 0);
	CHECK(bells(&c, CROWD_BELL_WINDOW - CROWD_BELL_LATE_ENTER, 0) == 0);
	CHECK(crowd_may_wait_awake(&c) == 1);
	CHECK(crowd_bell_woke(&c, LATE) == 1);		/* the ENTER-th in the window */
	CHECK(waits_asleep(&c, 10) == 10);
	CHECK(crowd_bell_woke(&c, LATE) == 0);		/* the count again, not a start */
	CHECK(bells(&c, 1000, 0) == 0);			/* on time: not ended early */
	CHECK(waits_asleep(&c, 10000) == CROWD_BELL_WAITS);
	CHECK(crowd_may_wait_awake(&c) == 1);
	/* Over: one late one does not start it again; ENTER in the window do. */
	CHECK(crowd_bell_woke(&c, LATE) == 0);
	CHECK(crowd_may_wait_awake(&c) == 1);
	CHECK(bells(&c, CROWD_BELL_LATE_ENTER - 1, 1) == 1);
	CHECK(waits_asleep(&c, 10000) == CROWD_BELL_WAITS);
	/* A late one alone among the window (a lone guest's now and then) does not keep it. */
	CHECK(bells(&c, CROWD_BELL_LATE_ENTER, 1) == 1);
	CHECK(bells(&c, CROWD_BELL_WINDOW, 0) == 0);
	CHECK(waits_asleep(&c, 100) == 100);
	CHECK(bells(&c, CROWD_BELL_LATE_KEEP - 1, 1) == 0);
	CHECK(waits_asleep(&c, 10000) == CROWD_BELL_WAITS - 100);
	/* The lent rule's sleeps are its own. */
	CHECK(crowd_calm(&c) == 1);
}

int
main(void)
{
	test_yield_lent();
	test_no_record();
	test_streak();
	test_bells_on_time();
	test_bells_late();
	return check_done("test_crowd");
}
