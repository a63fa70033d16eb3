/*
 * The frontend's look at an empty avail ring (frontend/virtq_look.c), on a ring of its
 * own: when it looks and when not (queue 0, more than one chain out, --poll-max-ns=0),
 * that a look ends once its window has passed and is not taken up again in the same
 * idle spell, and how the window adapts: back to the whole when the chain came within
 * it, halved when it came later, 0 below the floor, and back from 0 after one quick chain.
 * The crowded-CPU side is common/crowd.c's, checked by test_crowd.
 */
#include <sys/time.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "virtq_priv.h"
#include "vhost_user.h"
#include "check.h"

#define WINDOW_NS	200000

static void
noop_cb(int fd, short events, void *arg)
{
}

static void
ring_setup(struct event_base *base, struct vq *vq, uint32_t index)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	if ((vq->ev_look = evtimer_new(base, noop_cb, vq)) == NULL)
		abort();
	vq_look_reset(vq);
}

static int
look_pending(struct vq *vq)
{
	return event_pending(vq->ev_look, EV_TIMEOUT, NULL) != 0;
}

/*
 * One idle spell looked through to its end: the ns it looked, or 0 if it never did. The
 * first look says it began (the caller leaves the event index one behind), the others
 * that it goes on.
 */
static uint64_t
look_to_end(struct vq *vq)
{
	uint64_t start = now_ns();
	enum vq_look look;
	int n = 0;

	while ((look = vq_look(vq)) != VQ_LOOK_NONE) {
		CHECK(look == (n == 0 ? VQ_LOOK_BEGUN : VQ_LOOK_ON));
		n++;
		if (now_ns() - start > 1000000000)
			return UINT64_MAX;	/* never ended */
	}
	return n == 0 ? 0 : now_ns() - start;
}

static void
test_when(struct event_base *base)
{
	struct vq vq;

	vq_look_init(0);
	ring_setup(base, &vq, 1);
	CHECK(vq_look(&vq) == VQ_LOOK_NONE);		/* --poll-max-ns=0: never */
	event_free(vq.ev_look);

	vq_look_init(WINDOW_NS);
	ring_setup(base, &vq, 0);
	CHECK(vq_look(&vq) == VQ_LOOK_NONE);		/* hiprio: FORGETs only */
	event_free(vq.ev_look);

	ring_setup(base, &vq, 1);
	vq.outstanding = 2;
	CHECK(vq_look(&vq) == VQ_LOOK_NONE);		/* the worker has work */
	vq_look_found(&vq);
	vq.outstanding = 1;
	CHECK(vq_look(&vq) == VQ_LOOK_BEGUN);
	CHECK(look_pending(&vq));
	vq_look_reset(&vq);				/* the ring stops */
	CHECK(!look_pending(&vq));
	CHECK(vq.idle_since == 0 && !vq.looking && vq.look_ns == WINDOW_NS);
	event_free(vq.ev_look);
}

static void
test_window(struct event_base *base)
{
	struct vq	vq;
	uint64_t	t;
	int		halvings = 0;

	vq_look_init(WINDOW_NS);
	ring_setup(base, &vq, 1);

	/* A spell looks for its window, then asks for a kick, and does not look again. */
	t = look_to_end(&vq);
	CHECK(t >= WINDOW_NS && t != UINT64_MAX);
	CHECK(vq_look(&vq) == VQ_LOOK_NONE);
	CHECK(!vq.looking && !look_pending(&vq));
	/* Its chain came after the window: halved. */
	vq_look_found(&vq);
	CHECK(vq.look_ns == WINDOW_NS / 2);
	CHECK(vq.idle_since == 0);

	/* A chain within the window: the whole again, the pending look dropped. */
	CHECK(vq_look(&vq) == VQ_LOOK_BEGUN);
	vq_look_found(&vq);
	CHECK(vq.look_ns == WINDOW_NS);
	CHECK(!vq.looking && !look_pending(&vq));

	/* Late chains halve it down to 0, and then the spell does not look at all. */
	while (vq.look_ns != 0 && halvings < 64) {
		t = look_to_end(&vq);
		CHECK(t >= vq.look_ns && t != UINT64_MAX);
		while (now_ns() - vq.idle_since <= WINDOW_NS)
			;	/* the chain comes after the whole window */
		vq_look_found(&vq);
		halvings++;
	}
	CHECK(vq.look_ns == 0);
	CHECK(halvings >= 6 && halvings <= 8);		/* 200 us down past 2 us */
	CHECK(vq_look(&vq) == VQ_LOOK_NONE);
	CHECK(!look_pending(&vq));
	/* A chain soon after it went idle brings the window back. */
	vq_look_found(&vq);
	CHECK(vq.look_ns == WINDOW_NS);
	CHECK(vq_look(&vq) == VQ_LOOK_BEGUN);
	vq_look_found(&vq);
	event_free(vq.ev_look);
}

int
main(void)
{
	struct event_base *base;

	if ((base = event_base_new()) == NULL)
		abort();
	test_when(base);
	test_window(base);
	event_base_free(base);
	return check_done("test_look");
}
