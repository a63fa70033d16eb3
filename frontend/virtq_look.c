/*
 * Waiting awake at an empty avail ring. With one request in flight the guest sends its
 * next one a round trip after the worker answered the last, and a frontend asleep by
 * then costs a process wake-up on that request's path: the guest's kick, a switch into
 * this process, often on a CPU that was halted. The worker already waits awake for our
 * record after it answers (worker/pool.c), so a frontend that also looks at the avail
 * index for a moment takes no wake-up at all: the chain goes from the guest to us to the
 * worker and back with every process running. Measured 2026-12-06 (2 CPUs, tests/bench,
 * q128, one request in flight, privfsd alone, three alternated rounds, medians, asleep /
 * looking for up to 50 us): 4 KiB random reads 3.7e4 / 6.4e4 a second at 30.8 / 25.6 us
 * of CPU per read, lookup+getattr 1.8e4 / 3.9e4 pairs at 30.8 / 20.7 us, getattr p50
 * 25.0 / 8.6 us at 30.9 / 16.9 us. Two processes that keep running cost less CPU per
 * request than one that keeps running and one that is woken every time: a wake-up on
 * this host costs more than the few microseconds the look lasts.
 *
 * While looking we leave the avail ring's event index one behind the next entry, so the
 * guest does not kick (its eventfd write is a system call it saves too), and the index
 * stays within the ring of the guest's (a driver may check that the device keeps it up);
 * the look ends by asking for a kick and looking once more, as vq_process() always does.
 * The looks go through the event loop (a timer of 0), so the worker's channel and the
 * vhost-user socket are served between them, and each one yields the CPU: whoever our
 * record or the guest's signal woke may be queued on this one.
 *
 * Only while the guest has at most one chain out: with more, the worker has work and the
 * CPUs are better spent on it (a frontend that looked with 16 reads in flight cut them
 * from 2.4-2.7e5 to 1.6-2.3e5 a second). Not on crowded CPUs (common/crowd.h): with
 * eight guests on two CPUs, looking raised the CPU time per request on every row by 2-41 %
 * (doc/architecture.md). The window adapts as the worker's does: halved each time no
 * chain came within it, back to the whole --poll-max-ns when one came within that after
 * all, so a guest that takes longer between requests (a long READDIR in the worker, an
 * emulated guest's round trip, an idle one) leaves us asleep.
 */
#include <sched.h>
#include <stdint.h>

#include <event2/event.h>

#include "clock.h"
#include "crowd.h"
#include "msg.h"
#include "virtq_priv.h"
#include "vhost_user.h"

#define LOOK_MIN_NS	2000	/* a window halved below this is 0 */

static uint64_t		look_max_ns;	/* --poll-max-ns; 0: never */
static struct crowd	look_crowd;

void
vq_look_init(uint32_t max_ns)
{
	look_max_ns = max_ns;
}

/* The ring starts (again): a full window, no idle spell. */
void
vq_look_reset(struct vq *vq)
{
	if (vq->ev_look != NULL)
		event_del(vq->ev_look);
	vq->look_ns = look_max_ns;
	vq->idle_since = 0;
	vq->looking = 0;
}

/*
 * The avail ring is empty. VQ_LOOK_BEGUN: a look began, and the caller leaves the ring's
 * event index one behind the next entry (the guest does not kick for it); VQ_LOOK_ON:
 * it goes on. Either way the next look is scheduled and the caller returns. VQ_LOOK_NONE:
 * the caller asks for a kick and sleeps.
 */
enum vq_look
vq_look(struct vq *vq)
{
	static const struct timeval	 now_tv = { 0, 0 };
	enum vq_look			 look = VQ_LOOK_ON;
	uint64_t			 now, before;

	now = now_ns();
	if (!vq->looking) {
		if (vq->idle_since != 0)
			return VQ_LOOK_NONE;	/* this spell's look ran out */
		vq->idle_since = now;
		/* Queue 0 carries only FORGETs, which nobody waits for. */
		if (look_max_ns == 0 || vq->look_ns == 0 || vq->index == 0 ||
		    vq->outstanding > 1 || !crowd_calm(&look_crowd))
			return VQ_LOOK_NONE;
		vq->looking = 1;
		vq->look_lent = 0;
		look = VQ_LOOK_BEGUN;
	} else if (now - vq->idle_since >= vq->look_ns) {
		/*
		 * Ran out. Unlike the worker's, such a look counts toward the crowd
		 * (crowd.h): with many guests most looks run out, and counting only the
		 * ones that found a chain left the rule asleep (eight guests, seven
		 * rounds: readdir at 0.77 of the throughput of a frontend that never
		 * looked, getattr p50 1.11 times its).
		 */
		crowd_wait_ended(&look_crowd, 1, vq->look_lent);
		vq->looking = 0;
		event_del(vq->ev_look);
		return VQ_LOOK_NONE;
	}
	before = now;
	sched_yield();
	vq->look_lent += crowd_yield_lent(before, now_ns());
	if (evtimer_add(vq->ev_look, &now_tv) == -1) {
		vq->looking = 0;
		return VQ_LOOK_NONE;
	}
	return look;
}

/* A chain came: the idle spell, if any, ends, and the window adapts to its length. */
void
vq_look_found(struct vq *vq)
{
	if (vq->idle_since == 0)
		return;
	if (vq->looking) {
		crowd_wait_ended(&look_crowd, 1, vq->look_lent);
		vq->looking = 0;
		event_del(vq->ev_look);
	}
	vq->look_ns = crowd_window_next(vq->look_ns, look_max_ns, now_ns() - vq->idle_since,
	    LOOK_MIN_NS);
	vq->idle_since = 0;
}
