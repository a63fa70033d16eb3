/*
 * Requests sent to the worker and not answered yet. The id the worker echoes is the slot
 * index (low 32 bits) and the slot's generation (high 32 bits), so a late, duplicated or
 * forged reply never finds a request it does not belong to. A call ends here, with a
 * reply written into the guest's buffers (fuse_out.c) and its chain completed.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"

#define CALLS_NONE	UINT32_MAX
/* Bounded by the rings (every call holds a chain); this only stops a runaway bug. */
#define CALLS_MAX	(1u << 20)
/*
 * Requests waiting for the worker: above CALLS_HIGH no more chains are taken until they
 * are down to CALLS_LOW. Each one holds a chain here and a queued request in the worker,
 * which reads its channel as fast as it can; this bounds both. Far above what the lock
 * waits (LOCK_MAX_WAITERS in the worker) can hold, so waiting locks never stop the rest.
 */
#define CALLS_HIGH	512
#define CALLS_LOW	384

static struct fuse_call	**calls;
static uint32_t		  ncalls;
static uint32_t		  free_head = CALLS_NONE;
static unsigned int	  inflight;
static unsigned int	  inflight_detached;	/* of those, detached (fuse_ctx.detach) */
static void		(*calls_drained)(void);	/* from calls_init() */

void
calls_init(void (*drained)(void))
{
	calls_drained = drained;
}

static void
calls_grow(void)
{
	struct fuse_call **n;
	uint32_t i, newn;

	if (ncalls >= CALLS_MAX)
		fatalx("%s: too many requests in flight", __func__);
	newn = ncalls ? ncalls * 2 : 64;
	if ((n = reallocarray(calls, newn, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	calls = n;
	/* Push the new slots so that the lowest index comes out first. */
	for (i = newn; i-- > ncalls;) {
		if ((calls[i] = calloc(1, sizeof(**calls))) == NULL)
			fatal("%s", __func__);
		calls[i]->index = i;
		calls[i]->next_free = free_head;
		free_head = i;
	}
	ncalls = newn;
}

struct fuse_call *
call_new(void)
{
	struct fuse_call *call;
	uint32_t gen, index;

	if (free_head == CALLS_NONE)
		calls_grow();
	index = free_head;
	call = calls[index];
	free_head = call->next_free;
	gen = call->gen + 1;
	if (gen == 0)		/* generation 0 is never handed out */
		gen = 1;
	memset(call, 0, sizeof(*call));
	call->index = index;
	call->gen = gen;
	call->busy = 1;
	call->next_free = CALLS_NONE;
	if (++inflight == CALLS_HIGH)
		vq_throttle(VQ_THROTTLE_CALLS, 1);
	return call;
}

uint64_t
call_id(const struct fuse_call *call)
{
	return ((uint64_t)call->gen << 32) | call->index;
}

struct fuse_call *
call_find(uint64_t id)
{
	uint32_t index = (uint32_t)id, gen = (uint32_t)(id >> 32);
	struct fuse_call *call;

	if (index >= ncalls)
		return NULL;
	call = calls[index];
	if (!call->busy || call->gen != gen || gen == 0)
		return NULL;
	return call;
}

static void
call_release(struct fuse_call *call)
{
	call->busy = 0;
	call->req = NULL;
	call->next_free = free_head;
	free_head = call->index;
	if (inflight == 0)
		fatalx("%s: in-flight count underflow", __func__);
	if (call->detached) {
		call->detached = 0;
		inflight_detached--;
	}
	if (--inflight == CALLS_LOW)
		vq_throttle(VQ_THROTTLE_CALLS, 0);
	if (inflight == 0)
		calls_drained();
}

/* Complete the guest's request with written bytes and release the call. */
static void
call_done(struct fuse_call *call, uint32_t written)
{
	/* Give the chain back first: the drained callback may stop the rings. */
	if (call->req != NULL)
		vq_complete(call->req, written);
	call_release(call);
}

void
fuse_direct_done(struct vq *vq, uint64_t id)
{
	struct fuse_call *call = call_find(id);

	/* The worker's word: only a call of ours on that ring, never one it cannot have. */
	if (call == NULL || call->req == NULL || call->req->vq != vq || call->detached) {
		log_warnx_rl("fuse: the worker completed %#llx, which is no request of "
		    "queue %u", (unsigned long long)id, vq_index(vq));
		return;
	}
	if (log_getlevel() >= LOG_LEVEL_DEBUG)
		log_debug("fuse: unique %llu: completed by the worker",
		    (unsigned long long)call->unique);
	vq_release(call->req);
	call->req = NULL;
	call_release(call);
}

void
call_reply(struct fuse_call *call, const void *payload, uint32_t len)
{
	if (call->req != NULL &&
	    fuse_reply_write(call->req, call->unique, payload, len) == -1) {
		log_warnx_rl("fuse: %s reply of %u bytes does not fit", call->op->name, len);
		call_fail(call, EIO);
		return;
	}
	call_done(call, FUSE_OUT_HDR + len);
}

void
call_fail(struct fuse_call *call, int error)
{
	/* Each error answer at debug level, after the request's own line (fuse_request.c). */
	if (log_getlevel() >= LOG_LEVEL_DEBUG)
		log_debug("fuse: unique %llu: error %d (%s)", (unsigned long long)call->unique,
		    error, strerror(error));
	if (call->req != NULL)
		fuse_reply_error(call->req, call->unique, error);
	call->req = NULL;
	call_release(call);
}

void
calls_fail_all(void (*fail)(struct fuse_call *, int), int error)
{
	uint32_t i;

	for (i = 0; i < ncalls; i++)
		if (calls[i]->busy)
			fail(calls[i], error);
}

unsigned int
fuse_inflight(void)
{
	return inflight;
}

unsigned int
fuse_inflight_detached(void)
{
	return inflight_detached;
}

void
call_detach(struct fuse_call *call)
{
	if (call->req != NULL)
		vq_detach(call->req);
	if (!call->detached) {
		call->detached = 1;
		inflight_detached++;
	}
}
