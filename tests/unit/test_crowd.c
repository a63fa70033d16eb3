/*
 * The crowded-CPU rule (common/crowd.c) as the worker's leader uses it, both sides:
 * waits that ran out never turn the kick watch off however much they lent (a guest that
 * kicks without a record behind it, on a loaded machine), and a streak of waits that
 * ended with a record after lending much does, for a bounded number of sleeps, and while
 * it does the awake window is at least CROWD_AWAKE_NS.
 */
#include <stdint.h>

#include "crowd.h"
#include "check.h"

#define MUCH	(CROWD_LENT_MAX_NS + 1)

/* Sleeps in a row with the kick watch off, up to limit. */
static unsigned int
sleeps_off(struct crowd *c, unsigned int limit)
{
	unsigned int n = 0;

	while (n < limit && !crowd_calm(c))
		n++;
	return n;
}

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
	struct crowd	c = { 0, 0 };
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
	struct crowd	c = { 0, 0 };
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

/* The awake window: --poll-max-ns as given, but at least CROWD_AWAKE_NS while crowded. */
static void
test_awake(void)
{
	struct crowd	c = { 0, 0 };
	int		i;

	CHECK(crowd_awake_ns(&c, 50000) == 50000);
	CHECK(crowd_awake_ns(&c, 0) == 0);
	for (i = 0; i < CROWD_STREAK; i++)
		crowd_wait_ended(&c, 1, MUCH);
	CHECK(crowd_awake_ns(&c, 50000) == CROWD_AWAKE_NS);
	CHECK(crowd_awake_ns(&c, CROWD_AWAKE_NS + 1) == CROWD_AWAKE_NS + 1);
	CHECK(crowd_awake_ns(&c, 0) == 0);			/* off stays off */
	CHECK(sleeps_off(&c, 1000) == CROWD_SLEEPS);
	CHECK(crowd_awake_ns(&c, 50000) == 50000);		/* the crowd has gone */
}

int
main(void)
{
	test_yield_lent();
	test_no_record();
	test_streak();
	test_awake();
	return check_done("test_crowd");
}
