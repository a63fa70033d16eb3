/*
 * The crowded-CPU rule (crowd.h): the arithmetic only, so that tests/unit/test_crowd.c
 * can check both sides of it without a loaded machine.
 */
#include "crowd.h"

uint64_t
crowd_yield_lent(uint64_t before, uint64_t after)
{
	if (after < before || after - before <= CROWD_YIELD_IDLE_NS)
		return 0;
	return after - before;
}

int
crowd_wait_ended(struct crowd *c, int counts, uint64_t lent_ns)
{
	if (!counts)
		return 0;	/* the worker's that ran out: nothing of the frontend's turn */
	if (lent_ns <= CROWD_LENT_MAX_NS)
		c->streak = 0;
	else if (++c->streak >= CROWD_STREAK) {
		c->streak = 0;
		c->sleeps_left = CROWD_SLEEPS;
		return 1;
	}
	return 0;
}

/* 1 when the count is out, else 0 and one less: the two rules' "for the next n". */
static int
count_out(unsigned int *left)
{
	if (*left == 0)
		return 1;
	(*left)--;
	return 0;
}

int
crowd_calm(struct crowd *c)
{
	return count_out(&c->sleeps_left);
}

int
crowd_bell_woke(struct crowd *c, uint64_t delay_ns)
{
	int late = delay_ns > CROWD_BELL_LATE_NS;

	c->bells = (uint16_t)(c->bells << 1 | late);
	if (!late)
		return 0;
	if (c->bells_left != 0) {
		if (__builtin_popcount(c->bells) >= CROWD_BELL_LATE_KEEP)
			c->bells_left = CROWD_BELL_WAITS;
		return 0;
	}
	if (__builtin_popcount(c->bells) < CROWD_BELL_LATE_ENTER)
		return 0;
	c->bells_left = CROWD_BELL_WAITS;
	return 1;
}

int
crowd_may_wait_awake(struct crowd *c)
{
	return count_out(&c->bells_left);
}

uint64_t
crowd_window_next(uint64_t now_window, uint64_t limit_ns, uint64_t waited_ns,
    uint64_t min_ns)
{
	if (waited_ns <= limit_ns)
		return limit_ns;
	return now_window / 2 < min_ns ? 0 : now_window / 2;
}
