/*
 * Split virtqueues (doc/wire.md, section 4): ring setup from vhost-user, taking chains off
 * the avail ring, completing them on the used ring, notifications (EVENT_IDX both ways).
 * The chains themselves are parsed in virtq_chain.c. The guest writes the rings while we read
 * them, so every value is read once, copied, and checked on the copy. Per case:
 * - a ring whose own structure is corrupt (avail index jumping by more than the ring size,
 *   a head index outside the table) is marked broken: we log it once, signal the error fd
 *   and never touch it again until QEMU resets or restarts it;
 * - a chain whose descriptors are invalid (loop, bad next, bad indirect table, buffer
 *   outside guest memory, readable after writable, too many pieces) is returned to the
 *   guest unused (used.len 0) after a log line: the ring itself is still consistent.
 */
#include <sys/types.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "clock.h"
#include "log.h"
#include "msg.h"
#include "virtq.h"
#include "virtq_priv.h"
#include "virtq_chain.h"
#include "vhost_user.h"
#include "guest_mem.h"
#include "dirty_log.h"

#define VQ_BUDGET	64	/* chains per turn of the loop, so one ring cannot starve the rest */

/* Hidden in front of each vq_req: which start of the ring the chain came from. */
struct req_box {
	uint32_t	epoch;
	uint32_t	cap;		/* segments the box holds */
	uint32_t	detached;	/* vq_detach() */
	uint32_t	pad;		/* keeps the vq_req after it 16-byte aligned */
};

/*
 * Spent boxes of chains up to BOX_SEGS segments (nearly every request) are kept for the
 * next ones, so that taking a request allocates nothing once the queue has warmed up.
 */
#define BOX_SEGS	8
#define BOX_SPARE	256
static struct req_box	*box_spare[BOX_SPARE];
static unsigned int	 box_nspare;

static struct vq	 vqs[VQ_MAX];
static struct event_base *vq_base;
static int		 vq_paused;
static unsigned int	 vq_throttled;	/* VQ_THROTTLE_* reasons in force */
static unsigned int	 vq_nalive;
static unsigned int	 vq_ndetached;
static int		 vq_event_idx;
static int		 vq_indirect;
static int		 vq_enable_default;
static struct vq_seg	 vq_scratch[MSG_MAX_IOV];
static void		(*vq_request)(struct vq_req *);	/* from vq_init() */
static void		(*vq_completed)(void);

static void	vq_proc_cb(int, short, void *);
static void	vq_recheck_cb(int, short, void *);
static void	vq_recheck_arm(void);

/*
 * A guest whose memory barrier is not one can leave a completion unsignalled or a chain
 * unkicked: the event index handshakes need a full barrier on its side as on ours
 * (common/used_ring.c, used_ring_recheck()). QEMU's TCG with one vCPU is such a guest,
 * and a Linux guest there once waited forever at unmount for 128 FORGETs we had
 * completed (tests/e2e/remount-soak.sh, 2026-12-07). So while chains are out, and twice
 * after, every VQ_RECHECK_MS the frontend looks again at what the guest published: a
 * used_event that asks for a signal we did not send gets it, an avail index ahead of what
 * we took gets processed. Spurious signals are allowed by virtio; one a look at most.
 */
#define VQ_RECHECK_MS		50
#define VQ_RECHECK_QUIET	2	/* looks after the last chain came back */
static const struct timeval vq_recheck_tv = { 0, VQ_RECHECK_MS * 1000 };
static struct event	*vq_recheck_ev;
static int		 vq_recheck_armed;	/* vq_recheck_ev is pending */
static unsigned int	 vq_recheck_quiet;

void
vq_init(struct event_base *base, void (*request)(struct vq_req *), void (*completed)(void))
{
	uint32_t i;

	vq_base = base;
	vq_request = request;
	vq_completed = completed;
	for (i = 0; i < VQ_MAX; i++) {
		vqs[i].index = i;
		vqs[i].kick_fd = vqs[i].call_fd = vqs[i].err_fd = -1;
		vqs[i].uq = vq_share_queue(i);
		if (vqs[i].uq == NULL)
			vqs[i].uq = &vqs[i].own;
		if ((vqs[i].ev_proc = event_new(base, -1, 0, vq_proc_cb, &vqs[i])) == NULL ||
		    (vqs[i].ev_look = evtimer_new(base, vq_proc_cb, &vqs[i])) == NULL)
			fatalx("event_new");
		vq_look_reset(&vqs[i]);
	}
	if ((vq_recheck_ev = evtimer_new(base, vq_recheck_cb, NULL)) == NULL)
		fatalx("evtimer_new");
}

struct vq *
vq_get(uint32_t index)
{
	return index < VQ_MAX ? &vqs[index] : NULL;
}

unsigned int
vq_index(const struct vq *vq)
{
	return vq->index;
}

unsigned int
vq_chain_max(const struct vq *vq)
{
	return vq_indirect ? VQ_ITAB_MAX(vq->num) : vq->num;
}

unsigned int
vq_num(const struct vq *vq)
{
	return vq->num;
}

unsigned int
vq_alive(void)
{
	return vq_nalive;
}

struct vq *
vq_at(uint32_t index)
{
	return &vqs[index];
}

int
vq_runnable(const struct vq *vq)
{
	return vq->started && vq->enabled && !vq->broken && !vq_paused && !vq_throttled &&
	    vq->desc != NULL && vq->num != 0 && gm_lost() == 0;
}

void
vq_schedule(struct vq *vq)
{
	if (vq_runnable(vq))
		event_active(vq->ev_proc, EV_TIMEOUT, 1);
}

static void vq_broken(struct vq *, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));
static void
vq_broken(struct vq *vq, const char *fmt, ...)
{
	static const uint64_t one = 1;
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);	/* truncation only shortens a log line */
	va_end(ap);
	log_warnx_rl("queue %u broken: %s", vq->index, why);
	vq->broken = 1;
	if (vq->err_fd != -1 && write(vq->err_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		log_warn_rl("queue %u: error eventfd", vq->index);
}

void
vq_break_all(const char *why)
{
	uint32_t i;

	for (i = 0; i < VQ_MAX; i++)
		if (vqs[i].started && !vqs[i].broken)
			vq_broken(&vqs[i], "%s", why);
}

/* ---- configuration (from vhost-user messages) ---- */

static int
ranges_overlap(const uint8_t *p, size_t plen, const uint8_t *q, size_t qlen)
{
	return p < q + qlen && q < p + plen;
}

static int
vq_map(struct vq *vq)
{
	size_t n = vq->num;
	uint8_t *d, *a, *u;

	vq->desc = vq->avail = vq->used = NULL;
	if (!vq->addr_set || n == 0)
		return -1;
	/* Alignment of the QEMU addresses and of our mapping (virtio 1.x split ring). */
	if ((vq->addr.desc_user_addr & 15) || (vq->addr.avail_user_addr & 1) ||
	    (vq->addr.used_user_addr & 3)) {
		log_warnx_rl("queue %u: ring addresses misaligned", vq->index);
		return -1;
	}
	d = gm_uaddr(vq->addr.desc_user_addr, 16 * n);
	a = gm_uaddr(vq->addr.avail_user_addr, 6 + 2 * n);
	u = gm_uaddr(vq->addr.used_user_addr, 6 + 8 * n);
	if (d == NULL || a == NULL || u == NULL) {
		log_warnx_rl("queue %u: ring not inside one mapped region (desc %s, avail %s, "
		    "used %s)", vq->index, d ? "ok" : "unmapped", a ? "ok" : "unmapped",
		    u ? "ok" : "unmapped");
		return -1;
	}
	if (((uintptr_t)d & 15) || ((uintptr_t)a & 1) || ((uintptr_t)u & 3)) {
		log_warnx_rl("queue %u: ring mapping misaligned", vq->index);
		return -1;
	}
	/*
	 * What we write (the used ring) must not be what we read: with the used ring over
	 * the avail index, each completion would publish new work, and one kick would keep
	 * the frontend busy for ever (found by fuzz-vhost).
	 */
	if (ranges_overlap(u, 6 + 8 * n, a, 6 + 2 * n) ||
	    ranges_overlap(u, 6 + 8 * n, d, 16 * n)) {
		log_warnx_rl("queue %u: the used ring overlaps the avail ring or the "
		    "descriptor table", vq->index);
		return -1;
	}
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	return 0;
}

int
vq_set_num(struct vq *vq, uint32_t num)
{
	struct vring_desc *t;

	if (vq->started) {
		log_warnx_rl("queue %u: SET_VRING_NUM on a started ring", vq->index);
		return -1;
	}
	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)) != 0) {
		log_warnx_rl("queue %u: size %u is not a power of two in 1..%u", vq->index,
		    num, VQ_MAX_SIZE);
		return -1;
	}
	if ((t = reallocarray(vq->itab, VQ_ITAB_MAX(num), sizeof(*t))) == NULL) {
		log_warn_rl("queue %u: indirect table", vq->index);
		return -1;
	}
	vq->itab = t;
	vq->num = num;
	if (vq->addr_set)
		vq_map(vq);
	return 0;
}

int
vq_set_base(struct vq *vq, uint32_t base)
{
	if (vq->started) {
		log_warnx_rl("queue %u: SET_VRING_BASE on a started ring", vq->index);
		return -1;
	}
	if (base > 0xffff) {
		log_warnx_rl("queue %u: base 0x%x has bits above the split ring index",
		    vq->index, base);
		return -1;
	}
	vq->last_avail = (uint16_t)base;
	vq_lock(vq);
	vq->uq->used_idx = (uint16_t)base;
	vq->uq->signalled_valid = 0;
	vq_unlock(vq);
	return 0;
}

uint32_t
vq_get_base(const struct vq *vq)
{
	return vq->last_avail;
}

int
vq_set_addr(struct vq *vq, const struct vhost_vring_addr *a)
{
	if (vq->num == 0) {
		log_warnx_rl("queue %u: SET_VRING_ADDR before SET_VRING_NUM", vq->index);
		return -1;
	}
	vq_direct_off(vq);
	vq->addr = *a;
	vq->addr_set = 1;
	if (vq_map(vq) == -1) {
		vq->addr_set = 0;
		return -1;
	}
	vq_direct_sync(vq);
	vq_schedule(vq);
	return 0;
}

/*
 * The kick eventfd is watched edge-triggered and never read: every write to an eventfd
 * is a new edge, so no kick is missed, and the read per kick, a system call on the path
 * of every request, is saved. (Its counter grows by one a kick; it would take 2^64 kicks
 * to fill.) A kick fd that is not an eventfd and hangs up reports that edge once, not in
 * a loop.
 */
static void
vq_kick_cb(int fd, short events, void *arg)
{
	struct vq *vq = arg;

	vq_direct_reap(vq);
	if (vq_runnable(vq))
		event_active(vq->ev_proc, EV_TIMEOUT, 1);
}

static void
vq_drop_kick(struct vq *vq)
{
	if (vq->ev_kick != NULL) {
		event_free(vq->ev_kick);
		vq->ev_kick = NULL;
	}
	if (vq->kick_fd != -1) {
		close(vq->kick_fd);
		vq->kick_fd = -1;
	}
}

static void
set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warn_rl("fcntl O_NONBLOCK");
}

int
vq_set_kick(struct vq *vq, int fd)
{
	vq_direct_off(vq);	/* the worker watches the kick fd too: a new gen gives it this one */
	vq_drop_kick(vq);
	set_nonblock(fd);
	vq->kick_fd = fd;
	vq->ev_kick = event_new(vq_base, fd, EV_READ | EV_PERSIST | EV_ET, vq_kick_cb, vq);
	if (vq->ev_kick == NULL || event_add(vq->ev_kick, NULL) == -1) {
		/* A file epoll cannot watch (a regular file, /dev/null): refused, not fatal. */
		log_warnx_rl("queue %u: the kick fd cannot be polled: refused", vq->index);
		vq_drop_kick(vq);
		return -1;
	}
	if (!vq->started) {
		vq->started = 1;
		vq->epoch++;
		vq->outstanding = 0;
		vq->broken = 0;
		vq_look_reset(vq);
		if (vq->addr_set)
			vq_map(vq);
		vq_lock(vq);
		vq->uq->signalled_valid = 0;
		if (vq->used != NULL && ld16(USED_IDX(vq)) != (uint16_t)vq->uq->used_idx) {
			log_info_rl("queue %u: used index %u in guest memory, base %u",
			    vq->index, ld16(USED_IDX(vq)), (uint16_t)vq->uq->used_idx);
			vq->uq->used_idx = ld16(USED_IDX(vq));
		}
		vq_unlock(vq);
		log_debug("queue %u started (size %u, base %u)", vq->index, vq->num,
		    vq->last_avail);
	}
	vq_direct_sync(vq);
	vq_schedule(vq);
	return 0;
}

static void
replace_fd(int *slot, int fd)
{
	if (*slot != -1)
		close(*slot);
	*slot = fd;
	if (fd != -1)
		set_nonblock(fd);
}

void
vq_set_call(struct vq *vq, int fd)
{
	/* The worker signals the old fd until it hears of the new one: off until then. */
	vq_direct_off(vq);
	replace_fd(&vq->call_fd, fd);
	vq_lock(vq);
	vq->uq->signalled_valid = 0;
	vq_unlock(vq);
	vq_direct_sync(vq);
}

void
vq_set_err(struct vq *vq, int fd)
{
	replace_fd(&vq->err_fd, fd);
}

void
vq_set_enable(struct vq *vq, int enable)
{
	vq->enabled = enable;
	vq_direct_sync(vq);
	vq_schedule(vq);
}

void
vq_stop(struct vq *vq)
{
	if (vq->started)
		log_debug("queue %u stopped at %u", vq->index, vq->last_avail);
	vq_direct_off(vq);
	vq->started = 0;
	vq->epoch++;
	vq->outstanding = 0;
	vq_drop_kick(vq);
	event_del(vq->ev_proc);
	vq_look_reset(vq);
}

void
vq_reset_all(void)
{
	uint32_t i;
	struct vq *vq;

	for (i = 0; i < VQ_MAX; i++) {
		vq = &vqs[i];
		vq_stop(vq);
		vq->num = 0;
		vq->addr_set = 0;
		vq->desc = vq->avail = vq->used = NULL;
		vq->last_avail = 0;
		vq_lock(vq);
		vq->uq->used_idx = 0;
		vq->uq->signalled_valid = 0;
		vq_unlock(vq);
		vq->broken = 0;
		vq->enabled = vq_enable_default;
	}
}

void
vq_features_changed(uint64_t features)
{
	uint32_t i;

	vq_event_idx = (features >> VIRTIO_RING_F_EVENT_IDX) & 1;
	vq_indirect = (features >> VIRTIO_RING_F_INDIRECT_DESC) & 1;
	/* Without protocol features rings are enabled as soon as they start. */
	vq_enable_default = !((features >> VU_F_PROTOCOL_FEATURES) & 1);
	if (vq_enable_default)
		for (i = 0; i < VQ_MAX; i++)
			vqs[i].enabled = 1;
}

void
vq_remap_all(void)
{
	uint32_t i;

	for (i = 0; i < VQ_MAX; i++) {
		if (!vqs[i].addr_set)
			continue;
		vq_direct_off(&vqs[i]);
		/* A ring can be unmapped for a while (QEMU removes before it adds). */
		if (vq_map(&vqs[i]) == -1 && vqs[i].started)
			log_info_rl("queue %u: rings not mapped after the memory change; "
			    "waiting for a new table or address", i);
	}
}

void
vq_pause_all(int paused)
{
	uint32_t i;

	vq_paused = paused;
	/* A pause waits for every chain: completions must wake us meanwhile. */
	for (i = 0; i < VQ_MAX; i++)
		vq_direct_sync(&vqs[i]);
	if (!paused)
		for (i = 0; i < VQ_MAX; i++)
			vq_schedule(&vqs[i]);
}

void
vq_throttle(unsigned int reason, int on)
{
	uint32_t i;
	unsigned int was = vq_throttled;

	if (on)
		vq_throttled |= reason;
	else
		vq_throttled &= ~reason;
	/* Throttled on calls, only a completion can undo it: it must wake us. */
	if ((was ^ vq_throttled) & (VQ_THROTTLE_CALLS | VQ_THROTTLE_WORKER))
		for (i = 0; i < VQ_MAX; i++)
			vq_direct_sync(&vqs[i]);
	if (was != 0 && vq_throttled == 0)
		for (i = 0; i < VQ_MAX; i++)
			vq_schedule(&vqs[i]);
}

/* ---- the used ring ---- */

/*
 * The worker holds a record's lock for a few stores. Tries between looks at the clock:
 * used_share_lock() asks once in them whether the worker is dead.
 */
#define VQ_LOCK_TRIES		(64 * 64 * 2)
/*
 * A worker that holds it longer than this is stuck or lying, and we must not wait on it:
 * we are the process that answers QEMU, which blocks on some of our answers.
 */
#define VQ_LOCK_WAIT_MS		1000

/*
 * Past VQ_LOCK_WAIT_MS: the queue leaves the shared record for its own, for good (this
 * connection), and the worker no longer completes its requests (gen 0). The new record
 * starts from the used index the guest sees. What the worker still logs is taken back
 * from the old one without its lock (vq_direct_reap()), as claims like any other. A worker
 * only slow, not lying, could still finish a push after this (it would have had to stop
 * for a second between two stores): the price of never blocking on it.
 */
static void
vq_share_drop(struct vq *vq)
{
	struct used_share_queue *shared = vq->uq;

	log_warnx("queue %u: the worker held the used ring's lock for over %d ms: it no "
	    "longer completes requests of this queue", vq->index, VQ_LOCK_WAIT_MS);
	__atomic_store_n(&shared->gen, 0, __ATOMIC_RELAXED);
	memset(&vq->own, 0, sizeof(vq->own));
	vq->own.used_idx = vq->used != NULL ? ld16(USED_IDX(vq)) :
	    __atomic_load_n(&shared->used_idx, __ATOMIC_RELAXED);
	vq->dropped = shared;
	vq->uq = &vq->own;
	vq->direct_gen = 0;
}

void
vq_lock(struct vq *vq)
{
	int64_t deadline = 0;
	int dead;

	if (vq->uq == &vq->own)
		return;
	while (used_share_lock(vq->uq, USED_LOCK_FRONTEND, VQ_LOCK_TRIES, vq_worker_gone,
	    &dead) == -1) {
		if (deadline == 0)
			deadline = now_ms() + VQ_LOCK_WAIT_MS;
		else if (now_ms() >= deadline) {
			vq_share_drop(vq);
			return;
		}
	}
	if (dead) {
		log_warnx("queue %u: the worker died holding the used ring's lock",
		    vq->index);
		used_share_recover(vq->uq, vq->used != NULL ? ld16(USED_IDX(vq)) :
		    (uint16_t)vq->uq->used_idx);
	}
}

void
vq_unlock(struct vq *vq)
{
	if (vq->uq != &vq->own)
		used_share_unlock(vq->uq);
}

void
vq_used_view(const struct vq *vq, struct used_ring *r)
{
	r->used = vq->used;
	r->avail = vq->avail;
	r->num = vq->num;
	r->event_idx = vq_event_idx;
}

/* A write to the used ring at offset off, for the dirty page log (VHOST_VRING_F_LOG). */
void
vq_log_used(const struct vq *vq, uint64_t off, uint64_t len)
{
	if (vq->addr.flags & (1u << VHOST_VRING_F_LOG))
		dlog_mark(vq->addr.log_guest_addr + off, len);
}

/* Every writable buffer of a completed chain: what we or the worker wrote is in them. */
void
vq_log_chain(const struct vq_req *req)
{
	uint32_t i;

	for (i = req->nrd; i < req->nrd + req->nwr; i++)
		dlog_mark(req->seg[i].gpa, req->seg[i].len);
}

static void
vq_push(struct vq *vq, uint32_t head, uint32_t len)
{
	struct used_ring r;
	uint32_t off;
	int need;

	/* Guest memory is gone: what we read since may be zeros, publish nothing. */
	if (gm_lost() != 0)
		return;
	vq_used_view(vq, &r);
	vq_lock(vq);
	off = used_ring_push(&r, vq->uq, head, len);
	need = vq->call_fd != -1 && used_ring_need_signal(&r, vq->uq);
	vq_unlock(vq);
	if (dlog_active()) {
		vq_log_used(vq, off, 8);
		vq_log_used(vq, 2, 2);
	}
	if (need)
		used_ring_signal(vq->call_fd, vq->index);
}

static struct req_box *
box_alloc(uint32_t nseg)
{
	struct req_box	*box;
	uint32_t	 cap = nseg <= BOX_SEGS ? BOX_SEGS : nseg;

	if (cap == BOX_SEGS && box_nspare > 0)
		return box_spare[--box_nspare];
	box = malloc(sizeof(*box) + sizeof(struct vq_req) + cap * sizeof(struct vq_seg));
	if (box == NULL)
		fatal("vq_req");
	box->cap = cap;
	return box;
}

static void
box_free(struct req_box *box)
{
	if (box->cap == BOX_SEGS && box_nspare < BOX_SPARE)
		box_spare[box_nspare++] = box;
	else
		free(box);
}

static struct req_box *
box_of(struct vq_req *req)
{
	return (struct req_box *)(void *)((uint8_t *)req - sizeof(struct req_box));
}

/* push: 0 when the worker already put the chain on the used ring (vq_release()). */
static void
vq_finish(struct vq_req *req, uint32_t written, int push)
{
	struct vq *vq = req->vq;
	struct req_box *box = box_of(req);

	if (box->epoch == vq->epoch && vq->started) {
		vq->outstanding--;
		if (written > req->wr_len) {
			log_warnx_rl("queue %u: completion of %u bytes into %u writable",
			    vq->index, written, req->wr_len);
			written = req->wr_len;
		}
		if (push && !vq->broken && vq->used != NULL) {
			if (dlog_active())
				vq_log_chain(req);
			vq_push(vq, req->head, written);
		}
		if (vq->outstanding + 1 == vq->num)
			vq_schedule(vq);	/* it was throttled */
	}
	/* else: the ring stopped since; its guest memory is not ours to touch. */
	vq_nalive--;
	if (box->detached)
		vq_ndetached--;
	box_free(box);
	vq_completed();		/* a waiting GET_VRING_BASE or memory change may go on */
}

void
vq_complete(struct vq_req *req, uint32_t written)
{
	vq_finish(req, written, 1);
}

void
vq_release(struct vq_req *req)
{
	if (dlog_active())
		vq_log_chain(req);
	vq_finish(req, 0, 0);
}

void
vq_detach(struct vq_req *req)
{
	struct req_box *box = box_of(req);

	if (!box->detached) {
		box->detached = 1;
		vq_ndetached++;
	}
}

/*
 * The writable segments are still where they were taken (no memory change since, or
 * their regions stayed): only a detached chain can see a change.
 */
int
vq_req_live(const struct vq_req *req)
{
	uint32_t i;

	if (req->memgen == gm_gen())
		return 1;
	for (i = req->nrd; i < req->nrd + req->nwr; i++)
		if (!gm_piece_live(req->seg[i].slot, req->seg[i].host, req->seg[i].len))
			return 0;
	return 1;
}

int
vq_req_detached(const struct vq_req *req)
{
	return box_of((struct vq_req *)(uintptr_t)req)->detached != 0;
}

int
vq_event_idx_on(void)
{
	return vq_event_idx;
}

unsigned int
vq_detached(void)
{
	return vq_ndetached;
}

/* ---- taking chains off the avail ring ---- */

static void
vq_take(struct vq *vq, uint16_t head)
{
	struct vq_ring_view view = { vq->desc, vq->num, vq_indirect, vq->itab };
	struct vq_chain c = { .seg = vq_scratch };
	struct req_box *box;
	struct vq_req *req;
	const char *err;

	if ((err = vq_chain_walk(&view, head, &c)) != NULL) {
		/*
		 * The ring is sound, only this chain is bad: give it back unused (the
		 * guest sees used.len 0 and fails the request).
		 */
		vq->nrejected++;
		log_warnx_rl("queue %u: chain at %u rejected: %s (%llu so far)", vq->index,
		    head, err, (unsigned long long)vq->nrejected);
		vq_push(vq, head, 0);
		return;
	}
	box = box_alloc(c.nseg);
	box->epoch = vq->epoch;
	box->detached = 0;
	req = (struct vq_req *)(void *)(box + 1);
	memset(req, 0, sizeof(*req));
	req->vq = vq;
	req->head = head;
	req->nrd = c.nrd;
	req->nwr = c.nseg - c.nrd;
	req->rd_len = (uint32_t)c.rd_len;
	req->wr_len = (uint32_t)c.wr_len;
	req->memgen = gm_gen();
	memcpy(req->seg, vq_scratch, c.nseg * sizeof(struct vq_seg));
	vq->outstanding++;
	vq_nalive++;
	vq_recheck_arm();
	vq_request(req);
}

/* The avail ring's event index: the guest kicks when it publishes entry idx. */
static void
vq_set_avail_event(struct vq *vq, uint16_t idx)
{
	st16(AVAIL_EVENT(vq), idx);
	if (dlog_active())
		vq_log_used(vq, 4 + 8 * (uint64_t)vq->num, 2);
}

static void
vq_process(struct vq *vq)
{
	unsigned int budget = VQ_BUDGET;
	uint16_t avail_idx, pending, head;

	vq_direct_reap(vq);
	vq_direct_sync(vq);
	while (vq_runnable(vq)) {
		/*
		 * A guest can have at most num chains out; more means it reuses heads. Until
		 * one comes back nothing else wakes us, so none may come back unseen.
		 */
		if (vq->outstanding >= vq->num) {
			vq_direct_off(vq);
			return;
		}
		if (budget-- == 0) {
			event_active(vq->ev_proc, EV_TIMEOUT, 1);
			return;
		}
		avail_idx = ld16(AVAIL_IDX(vq));
		pending = (uint16_t)(avail_idx - vq->last_avail);
		/* More entries than the ring holds: the index itself is garbage. Broken. */
		if (pending > vq->num) {
			vq_broken(vq, "avail index %u is %u entries past %u (size %u)",
			    avail_idx, pending, vq->last_avail, vq->num);
			return;
		}
		if (pending == 0) {
			if (!vq_event_idx)
				return;
			switch (vq_look(vq)) {
			case VQ_LOOK_BEGUN:
				/* One behind: no kick for the next entry, we look for it. */
				vq_set_avail_event(vq, (uint16_t)(vq->last_avail - 1));
				return;
			case VQ_LOOK_ON:
				return;
			case VQ_LOOK_NONE:
				break;
			}
			/* Ask for a kick at the next entry, then look once more (race). */
			vq_set_avail_event(vq, vq->last_avail);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (ld16(AVAIL_IDX(vq)) == vq->last_avail)
				return;
			continue;
		}
		vq_look_found(vq);
		/* Ring entries are read only after the index that published them. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		head = ld16(AVAIL_RING(vq, vq->last_avail & (vq->num - 1)));
		/* No descriptor to return in the used ring for such a head. Broken. */
		if (head >= vq->num) {
			vq_broken(vq, "head %u at avail %u outside the table of %u", head,
			    vq->last_avail, vq->num);
			return;
		}
		vq->last_avail++;
		vq_take(vq, head);
	}
}

static void
vq_proc_cb(int fd, short events, void *arg)
{
	vq_process(arg);
}

/* ---- looking again at what the guest published (see VQ_RECHECK_MS) ---- */

static void
vq_recheck_arm(void)
{
	vq_recheck_quiet = 0;
	/* Once a chain: a flag, not a question to libevent. */
	if (!vq_recheck_armed) {
		vq_recheck_armed = 1;
		evtimer_add(vq_recheck_ev, &vq_recheck_tv);
	}
}

/* 1 when a chain is still out on the ring (what the worker completed taken back first). */
static int
vq_recheck(struct vq *vq)
{
	struct used_ring r;
	int need;

	/* Not while paused (a memory change may be moving the rings) or stopped. */
	if (!vq_runnable(vq) || vq->used == NULL || vq->avail == NULL)
		return vq->started && vq->outstanding > 0;
	vq_direct_reap(vq);
	if (vq->call_fd != -1 && vq_event_idx) {
		vq_used_view(vq, &r);
		vq_lock(vq);
		need = used_ring_recheck(&r, vq->uq);
		vq_unlock(vq);
		/*
		 * Said at info level, rate-limited (a guest can cause it): how often a
		 * guest's barrier failed it is worth an operator's knowing.
		 */
		if (need) {
			vq->nlate++;
			log_info_rl("queue %u: the guest asked for a signal after our check; "
			    "sent late (%llu so far)", vq->index, (unsigned long long)vq->nlate);
			used_ring_signal(vq->call_fd, vq->index);
		}
	}
	if (ld16(AVAIL_IDX(vq)) != vq->last_avail)
		vq_schedule(vq);
	return vq->outstanding > 0;
}

static void
vq_recheck_cb(int fd, short events, void *arg)
{
	uint32_t i;
	int out = 0;

	for (i = 0; i < VQ_MAX; i++)
		out |= vq_recheck(&vqs[i]);
	if (out)
		vq_recheck_quiet = 0;
	else if (++vq_recheck_quiet >= VQ_RECHECK_QUIET) {
		vq_recheck_armed = 0;
		return;
	}
	evtimer_add(vq_recheck_ev, &vq_recheck_tv);
}

/* ---- the worker completes chains itself ---- */

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
static struct used_share	*vq_share;
static uint32_t			 vq_direct_next;
static void			(*send_ring)(const struct msg_direct_ring *, int call_fd,
			    int kick_fd);
static void			(*direct_done)(struct vq *, uint64_t id);
static int			(*worker_gone)(void);

void
vq_share_map(void)
{
	vq_share = used_share_map(CHAN_FD_USED);	/* NULL: we complete everything */
}

uint64_t *
vq_share_requests_sent(void)
{
	return vq_share == NULL ? NULL : &vq_share->requests_sent;
}

struct req_ring *
vq_share_request_ring(void)
{
	return vq_share == NULL ? NULL : &vq_share->requests;
}

struct used_share_queue *
vq_share_queue(uint32_t index)
{
	if (vq_share == NULL || index == 0 || index > USED_SHARE_QUEUES)
		return NULL;
	return &vq_share->q[index - 1];
}

void
vq_direct_init(void (*send)(const struct msg_direct_ring *, int call_fd, int kick_fd),
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
	int			fd, kick = -1;

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
	/*
	 * The worker may wake on the guest's kick with us (worker/pool.c): an eventfd only
	 * (the broker refuses anything else), and without it the worker just sleeps longer.
	 */
	if (vq->kick_fd != -1 && used_ring_fd_is_eventfd(vq->kick_fd) &&
	    (kick = fcntl(vq->kick_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		log_warn_rl("queue %u: kick fd for the worker", vq->index);
	if (++vq_direct_next == 0)
		vq_direct_next = 1;
	dr.gen = vq_direct_next;
	vq_lock(vq);
	if (vq->uq == &vq->own) {	/* dropped while we waited */
		close(fd);
		if (kick != -1)
			close(kick);
		return;
	}
	__atomic_store_n(&vq->uq->gen, dr.gen, __ATOMIC_RELAXED);
	vq_unlock(vq);
	vq->direct_gen = dr.gen;
	send_ring(&dr, fd, kick);
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

/*
 * The call ids the worker logged in q since we last looked: under the lock, or from a
 * record we dropped (vq_share_drop()). Each one is a claim direct_done() checks against
 * our calls. Returns how many are in ids.
 */
static uint32_t
vq_direct_take_log(struct vq *vq, struct used_share_queue *q, uint64_t *ids)
{
	const uint64_t	*log = vq_share->log[vq->index - 1];
	uint32_t	 n, i, cons;

	cons = __atomic_load_n(&q->log_cons, __ATOMIC_RELAXED);
	n = __atomic_load_n(&q->log_prod, __ATOMIC_ACQUIRE) - cons;
	if (n > USED_SHARE_LOG) {
		/* Only a broken worker gets here: what it says it did cannot be true. */
		log_warnx_rl("queue %u: the worker logged %u completions", vq->index, n);
		q->log_prod = cons;
		return 0;
	}
	for (i = 0; i < n; i++)
		ids[i] = log[(cons + i) % USED_SHARE_LOG];
	q->log_cons = cons + n;
	return n;
}

void
vq_direct_reap(struct vq *vq)
{
	uint64_t	ids[USED_SHARE_LOG];
	uint32_t	n = 0, i;

	if (vq->dropped == NULL && vq->uq != &vq->own) {
		vq_lock(vq);
		if (vq->dropped == NULL)
			n = vq_direct_take_log(vq, vq->uq, ids);
		vq_unlock(vq);
	}
	if (vq->dropped != NULL)
		n = vq_direct_take_log(vq, vq->dropped, ids);
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
