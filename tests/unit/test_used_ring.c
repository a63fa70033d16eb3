/*
 * The used-ring producer's signalling (common/used_ring.c) against a guest whose
 * used_event store lands late, as a single-vCPU TCG guest's does (its barrier orders
 * nothing for another host process): the push's check misses it, later pushes check
 * only what they publish, and the later look (used_ring_recheck(), the frontend's
 * VQ_RECHECK_MS timer) finds it and signals once, without signalling where the guest did
 * not ask.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "used_ring.h"
#include "check.h"

#define NUM	8

static uint8_t avail[4 + 2 * NUM + 2];
static uint8_t used[4 + 8 * NUM + 2];

static void
set_used_event(uint16_t v)
{
	v = htole16(v);
	memcpy(avail + 4 + 2 * NUM, &v, sizeof(v));
}

static int
push(const struct used_ring *r, struct used_share_queue *q, uint32_t head)
{
	used_ring_push(r, q, head, 0);
	return used_ring_need_signal(r, q);
}

/* The guest asks, late, for the entry already pushed: the look signals, once. */
static void
test_late_used_event(void)
{
	struct used_ring r = { used, avail, NUM, 1 };
	struct used_share_queue q;

	memset(&q, 0, sizeof(q));
	set_used_event(0);
	CHECK(push(&r, &q, 0) == 1);		/* the first push after a start signals */
	CHECK(used_ring_recheck(&r, &q) == 0);	/* nothing since that signal */
	/* The guest took entry 0 and asks for entry 1; its store is not visible yet. */
	CHECK(push(&r, &q, 1) == 0);
	set_used_event(1);			/* now it is */
	/* A next push checks only what it published, as vhost does: still no signal. */
	CHECK(push(&r, &q, 2) == 0);
	CHECK(used_ring_recheck(&r, &q) == 1);	/* the look covers all since the signal */
	CHECK(used_ring_recheck(&r, &q) == 0);	/* once */
	CHECK(push(&r, &q, 3) == 0);		/* the guest has not taken 2 yet: no ask */
	CHECK(used_ring_recheck(&r, &q) == 0);
	set_used_event(3);			/* it took 1 and 2, asks for 3: in time */
	CHECK(push(&r, &q, 4) == 0);		/* 3 was pushed before the ask */
	CHECK(used_ring_recheck(&r, &q) == 1);
}

/* A guest that does not want signals (used_event far away) gets none from the look. */
static void
test_no_ask(void)
{
	struct used_ring r = { used, avail, NUM, 1 };
	struct used_share_queue q;
	uint32_t i;

	memset(&q, 0, sizeof(q));
	set_used_event(0);
	CHECK(push(&r, &q, 0) == 1);
	set_used_event(100);
	for (i = 1; i < 6; i++) {
		CHECK(push(&r, &q, i) == 0);
		CHECK(used_ring_recheck(&r, &q) == 0);
	}
	/* Before any push (a ring just started) there is nothing to look at. */
	memset(&q, 0, sizeof(q));
	CHECK(used_ring_recheck(&r, &q) == 0);
	/* Without EVENT_IDX the guest's flag decides at each push; the look says nothing. */
	r.event_idx = 0;
	CHECK(push(&r, &q, 0) == 1);
	CHECK(used_ring_recheck(&r, &q) == 0);
}

int
main(void)
{
	test_late_used_event();
	test_no_ask();
	return check_done("test_used_ring");
}
