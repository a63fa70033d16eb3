/*
 * The page the frontend and the worker share: the request ring (req_ring.h) and, here, the
 * used side of a split virtqueue, produced by two processes at once: the frontend
 * (its own answers: errors, INIT, READDIR, ...) and the worker (the answers it completes
 * itself, without a hop back to the frontend). Both write the same guest used ring, so
 * both take the lock of the queue's record in a page they share (a sealed memfd the broker
 * passes to both on CHAN_FD_USED) and both use the one producer below.
 *
 * Who trusts what: the frontend owns the ring. It says when the worker may push (gen,
 * non-zero while it may) and tells the worker where the ring is through the broker. The
 * worker trusts nothing in the page: an index is masked to the ring, a lock that stays
 * held makes it answer through the socket instead, a log that looks full likewise. The
 * frontend treats what the worker logs as a claim to check against its own calls, and
 * waits for the lock a bounded time only (frontend/virtq.c vq_lock()).
 */
#ifndef PRIVFSD_USED_RING_H
#define PRIVFSD_USED_RING_H

#include <stdint.h>

#include "req_ring.h"

#define USED_SHARE_QUEUES	8	/* request queues 1..8 can be completed by the worker */
#define USED_SHARE_LOG		1024	/* >= the largest ring: one entry per chain out */

#define USED_LOCK_FRONTEND	1
#define USED_LOCK_WORKER	2

/* One request queue's record in the shared page. Fields after lock only under it. */
struct used_share_queue {
	uint32_t	lock;		/* 0 free, else USED_LOCK_* of the holder */
	uint32_t	gen;		/* 0: only the frontend pushes; else the worker's ring */
	uint32_t	used_idx;	/* next used entry (low 16 bits) */
	uint32_t	signalled_used;	/* EVENT_IDX: used index at the last signal */
	uint32_t	signalled_valid;
	uint32_t	log_prod;	/* worker: completions logged */
	uint32_t	log_cons;	/* frontend: completions taken back */
	/*
	 * Non-zero while the worker pushes: a worker that dies holding the lock leaves
	 * the frontend what it needs to finish or undo the push (used_share_recover()).
	 */
	uint32_t	pushing;
	uint32_t	push_used;	/* used_idx and log_prod before the push */
	uint32_t	push_prod;
	uint32_t	signal_used;	/* EVENT_IDX: used index when we last signalled */
	uint32_t	pad;
};

struct used_share {
	struct used_share_queue	q[USED_SHARE_QUEUES];
	/* Per queue, under its lock: the frontend's call ids the worker pushed, in order. */
	uint64_t		log[USED_SHARE_QUEUES][USED_SHARE_LOG];
	/*
	 * Records the frontend has sent on the requests channel (fd 5), counted after each
	 * send, on a cache line of its own. A hint and nothing more: the worker's leading
	 * thread watches it for a few microseconds before it sleeps in recvmsg
	 * (worker/pool.c), so that a request which follows closely finds it awake.
	 */
	uint64_t		requests_sent __attribute__((aligned(64)));
	/* The frontend's requests that need no socket (common/req_ring.h). */
	struct req_ring		requests;
};

#define USED_SHARE_BYTES	((sizeof(struct used_share) + 4095) & ~(size_t)4095)

/*
 * First thing in a child's main(): the page on fd (CHAN_FD_USED) mapped and the fd closed,
 * or NULL when there is none. Fatal when the fd is not a memfd sealed at the page's size.
 */
struct used_share *used_share_map(int fd);

/* One process's view of a started ring. */
struct used_ring {
	uint8_t		*used;		/* flags, idx, ring[num], avail_event */
	const uint8_t	*avail;		/* for used_event and NO_INTERRUPT */
	uint32_t	 num;		/* power of two */
	int		 event_idx;	/* VIRTIO_RING_F_EVENT_IDX negotiated */
};

/*
 * The lock, taken as who (USED_LOCK_*): 0 once held, -1 when it was not free within spins
 * tries. gone, if not NULL, is asked now and then while the other holds it: 1 when the
 * other process is dead, and the lock is then taken from it (the caller recovers).
 */
int	used_share_lock(struct used_share_queue *, uint32_t who, unsigned int spins,
	    int (*gone)(void), int *taken_from_dead);
void	used_share_unlock(struct used_share_queue *);
/*
 * The frontend, holding a lock taken from a dead worker: finish the push it was in when
 * the guest's used index shows it was published (its log entry counts), else undo it.
 * used_idx_in_guest: the used ring's idx as the guest sees it.
 */
void	used_share_recover(struct used_share_queue *, uint16_t used_idx_in_guest);

/*
 * Under the lock (or with no other producer): puts {head, len} in the next used entry and
 * publishes it. Returns the offset in the used ring of the element written (for the dirty
 * page log).
 */
uint32_t used_ring_push(const struct used_ring *, struct used_share_queue *, uint32_t head,
	    uint32_t len);
/*
 * Under the lock, after pushes: 1 when the guest wants a signal now (EVENT_IDX or
 * NO_INTERRUPT), with the signalled state updated.
 */
int	used_ring_need_signal(const struct used_ring *, struct used_share_queue *);
/*
 * Under the lock, later, with no push: 1 when the guest's used_event, read again, asks for
 * a signal for an entry published since our last signal (its store came too late for the
 * push's check: a guest whose barrier is not one), with the signalled state updated.
 */
int	used_ring_recheck(const struct used_ring *, struct used_share_queue *);
/* Signal the guest on a ring's call eventfd (queue names the ring in a warning). */
void	used_ring_signal(int call_fd, uint32_t queue);
/*
 * Chains the guest has made available and that are not on the used ring yet (its avail
 * index against the record's used index), read without the lock: a hint only.
 */
uint16_t used_ring_outstanding(const struct used_ring *, const struct used_share_queue *);
/*
 * 1 when fd is an eventfd, as a ring's call and kick fds must be: an anonymous inode, which
 * has no file type. Checked by each process that takes one on (broker, frontend, worker).
 */
int	used_ring_fd_is_eventfd(int fd);

#endif
