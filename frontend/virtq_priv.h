/*
 * The virtqueue's state and the pieces of virtq.c that its parts share: setup, taking
 * and completing chains, and letting the worker complete chains itself, and the look at
 * an empty avail ring (virtq_look.c). Only those two include it.
 */
#ifndef PRIVFSD_VIRTQ_PRIV_H
#define PRIVFSD_VIRTQ_PRIV_H

#include <endian.h>
#include <stdint.h>

#include <linux/vhost_types.h>

#include "used_ring.h"
#include "virtq.h"

struct vq {
	uint32_t		 index;
	uint32_t		 num;		/* ring size; 0 until SET_VRING_NUM */
	struct vhost_vring_addr	 addr;		/* QEMU virtual addresses */
	int			 addr_set;
	uint8_t			*desc;		/* host addresses, NULL while not mapped */
	uint8_t			*avail;
	uint8_t			*used;
	uint16_t		 last_avail;	/* next avail entry to take */
	/*
	 * Next used entry and the EVENT_IDX state: the queue's record in the page shared
	 * with the worker (common/used_ring.h), or own when there is none. Under vq_lock().
	 */
	struct used_share_queue	*uq;
	struct used_share_queue	 own;
	/* The shared record, once the worker held its lock too long (vq_share_drop()). */
	struct used_share_queue	*dropped;
	uint32_t		 direct_gen;	/* non-zero: the worker may complete chains */
	int			 kick_fd;
	int			 call_fd;
	int			 err_fd;
	struct event		*ev_kick;
	struct event		*ev_proc;	/* deferred processing (budget, throttle, resume) */
	struct event		*ev_look;	/* the next look at an empty avail ring */
	uint64_t		 idle_since;	/* ns the avail ring was found empty; 0: not */
	uint64_t		 look_ns;	/* the look's window now (virtq_look.c) */
	uint64_t		 look_lent;	/* what this look's yields lent others, ns */
	int			 looking;
	int			 started;
	int			 enabled;
	int			 broken;
	uint32_t		 epoch;		/* bumped on every start and stop */
	uint32_t		 outstanding;	/* chains of this epoch not yet completed */
	uint64_t		 nrejected;	/* invalid chains returned unused */
	uint64_t		 nlate;		/* signals the late look sent (vq_recheck) */
	struct vring_desc	*itab;		/* private copy of an indirect table */
};

/* ---- guest memory accessors: single reads and writes, little-endian ---- */

static inline uint16_t
ld16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static inline void
st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

#define AVAIL_IDX(vq)		((vq)->avail + 2)
#define AVAIL_RING(vq, i)	((vq)->avail + 4 + 2 * (size_t)(i))
#define USED_EVENT(vq)		((vq)->avail + 4 + 2 * (size_t)(vq)->num)
#define USED_IDX(vq)		((vq)->used + 2)
#define USED_RING(vq, i)	((vq)->used + 4 + 8 * (size_t)(i))
#define AVAIL_EVENT(vq)		((vq)->used + 4 + 8 * (size_t)(vq)->num)


/* rings */
struct vq	*vq_at(uint32_t index);
int		 vq_runnable(const struct vq *);
void		 vq_schedule(struct vq *);
void		 vq_lock(struct vq *);
void		 vq_unlock(struct vq *);
void		 vq_log_used(const struct vq *, uint64_t off, uint64_t len);
void		 vq_log_chain(const struct vq_req *);
/* A ring whose EVENT_IDX / NO_INTERRUPT state the producer needs. */
void		 vq_used_view(const struct vq *, struct used_ring *);
int		 vq_req_detached(const struct vq_req *);
int		 vq_event_idx_on(void);

/* waiting awake at an empty avail ring (virtq_look.c) */
/* The ring starts or stops: a full window, no look pending. */
void		 vq_look_reset(struct vq *);
/* The avail ring is empty: a look began or goes on (its next one scheduled), or none. */
enum vq_look { VQ_LOOK_NONE, VQ_LOOK_BEGUN, VQ_LOOK_ON };
enum vq_look	 vq_look(struct vq *);
/* A chain came: the idle spell ends. */
void		 vq_look_found(struct vq *);

/* letting the worker complete chains */
/* Turn the worker's completions on or off as the ring's state now asks. */
void		 vq_direct_sync(struct vq *);
/* Off, whatever the state: the worker's completions so far are taken back. */
void		 vq_direct_off(struct vq *);
/* Take back what the worker completed since the last look. */
void		 vq_direct_reap(struct vq *);
/* 1 when the worker process is gone (a lock it held will never be freed). */
int		 vq_worker_gone(void);
/* The ring's record: the shared page's for request queues 1..8 when there is one. */
struct used_share_queue *vq_share_queue(uint32_t index);

#endif
