/*
 * Letting the worker complete chains itself (common/used_ring.h, worker/direct.c): a
 * request the worker answers at once then costs three process hops, not four, because
 * we are not woken for its reply. We still own the ring: we take every chain off the
 * avail ring, validate it and account for it; the worker only writes the reply, pushes
 * the used entry and signals, under the lock of the queue's record in the page we share,
 * and logs the call id there. We take the ids back whenever we wake (a kick, a reply).
 *
 * The worker may push only while the record's gen is the one it was told with the ring's
 * place (IMSG_FRONTEND_DIRECT_RING, through the broker with the call eventfd). We turn
 * it off (gen 0, under the lock, so no push of the worker's is half done) before
 * anything that changes what a push may do or that needs every completion to wake us:
 * the ring stops, moves, or changes its call fd, a memory change or a device stop
 * waits for the chains (pause), we are throttled on calls, the ring is full, dirty pages
 * are logged (the log stays ours). Turning it on again gives a new gen and a new message.
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "used_ring.h"
#include "guest_mem.h"
#include "dirty_log.h"
#include "vhost_user.h"
#include "virtq_priv.h"

static struct used_share	*vq_share;
static uint32_t			 vq_direct_next;
static void			(*send_ring)(const struct msg_direct_ring *, int call_fd);
static void			(*direct_done)(struct vq *, uint64_t id);
static int			(*worker_gone)(void);

void
vq_share_map(void)
{
	vq_share = used_share_map(CHAN_FD_USED);	/* NULL: we complete everything */
}

struct used_share_queue *
vq_share_queue(uint32_t index)
{
	if (vq_share == NULL || index == 0 || index > USED_SHARE_QUEUES)
		return NULL;
	return &vq_share->q[index - 1];
}

void
vq_direct_init(void (*send)(const struct msg_direct_ring *, int call_fd),
    void (*done)(struct vq *, uint64_t id), int (*gone)(void))
{
	send_ring = send;
	direct_done = done;
	worker_gone = gone;
}

int
vq_worker_gone(void)
{
	return worker_gone != NULL && worker_gone();
}

/* Everything that lets the worker push on this ring now. */
static int
vq_direct_wanted(const struct vq *vq)
{
	return vq->uq != &vq->own && send_ring != NULL && vq_runnable(vq) &&
	    vq->used != NULL && vq->call_fd != -1 && vq->outstanding < vq->num &&
	    !dlog_active();
}

/* The ring's QEMU virtual range as a piece of one memory slot. */
static int
vq_direct_piece(uint64_t uaddr, uint64_t len, struct msg_iov *out)
{
	struct gm_piece p;

	if (gm_uaddr_piece(uaddr, len, &p) == -1 || p.len < len)
		return -1;
	out->slot = p.slot;
	out->offset = p.offset;
	out->len = (uint32_t)len;
	return 0;
}

static void
vq_direct_on(struct vq *vq)
{
	struct msg_direct_ring	dr;
	int			fd;

	memset(&dr, 0, sizeof(dr));
	dr.queue = vq->index;
	dr.num = vq->num;
	dr.event_idx = (uint32_t)vq_event_idx_on();
	if (vq_direct_piece(vq->addr.used_user_addr, 6 + 8 * (uint64_t)vq->num, &dr.used) ||
	    vq_direct_piece(vq->addr.avail_user_addr, 6 + 2 * (uint64_t)vq->num, &dr.avail))
		return;
	if ((fd = fcntl(vq->call_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn_rl("queue %u: call fd for the worker", vq->index);
		return;
	}
	if (++vq_direct_next == 0)
		vq_direct_next = 1;
	dr.gen = vq_direct_next;
	vq_lock(vq);
	__atomic_store_n(&vq->uq->gen, dr.gen, __ATOMIC_RELAXED);
	vq_unlock(vq);
	vq->direct_gen = dr.gen;
	send_ring(&dr, fd);
}

void
vq_direct_off(struct vq *vq)
{
	if (vq->direct_gen == 0)
		return;
	vq_lock(vq);
	__atomic_store_n(&vq->uq->gen, 0, __ATOMIC_RELAXED);
	vq_unlock(vq);
	vq->direct_gen = 0;
	vq_direct_reap(vq);
}

void
vq_direct_sync(struct vq *vq)
{
	int want = vq_direct_wanted(vq);

	if (vq->direct_gen != 0 && !want)
		vq_direct_off(vq);
	else if (vq->direct_gen == 0 && want)
		vq_direct_on(vq);
}

void
vq_direct_sync_all(void)
{
	uint32_t i;

	for (i = 1; i <= USED_SHARE_QUEUES; i++)
		vq_direct_sync(vq_at(i));
}

void
vq_direct_reap(struct vq *vq)
{
	uint64_t	 ids[USED_SHARE_LOG];
	uint64_t	*log;
	uint32_t	 n, i, cons;

	if (vq->uq == &vq->own)
		return;
	log = vq_share->log[vq->index - 1];
	vq_lock(vq);
	cons = vq->uq->log_cons;
	n = vq->uq->log_prod - cons;
	if (n > USED_SHARE_LOG) {
		/* Only a broken worker gets here: what it says it did cannot be true. */
		log_warnx_rl("queue %u: the worker logged %u completions", vq->index, n);
		n = 0;
		vq->uq->log_prod = cons;
	}
	for (i = 0; i < n; i++)
		ids[i] = log[(cons + i) % USED_SHARE_LOG];
	vq->uq->log_cons = cons + n;
	vq_unlock(vq);
	if (n > 0 && dlog_active())
		vq_log_used(vq, 0, 6 + 8 * (uint64_t)vq->num);
	for (i = 0; i < n; i++)
		direct_done(vq, ids[i]);
}

int
vq_direct_req(const struct vq_req *req, uint32_t len, struct msg_direct *d,
    struct msg_iov *seg)
{
	const struct vq *vq = req->vq;
	uint32_t i, n = 0, left = len < req->wr_len ? len : req->wr_len;

	if (vq->direct_gen == 0 || req->memgen != gm_gen() || vq_req_detached(req))
		return -1;
	for (i = req->nrd; i < req->nrd + req->nwr && left > 0; i++) {
		if (n == DIRECT_SEGS_MAX)
			return -1;
		seg[n].slot = req->seg[i].slot;
		seg[n].offset = req->seg[i].offset;
		seg[n].len = req->seg[i].len < left ? req->seg[i].len : left;
		left -= seg[n].len;
		n++;
	}
	if (n == 0)
		return -1;
	d->gen = vq->direct_gen;
	d->queue = vq->index;
	d->head = req->head;
	d->nseg = n;
	return 0;
}
