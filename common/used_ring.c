/*
 * The used-ring producer of the frontend and the worker (used_ring.h). Guest memory is
 * written with single stores, little-endian, in the order the virtio split ring needs:
 * the element, a release fence, the index; then a full fence before the guest's wish
 * (used_event) is read, so that a guest that changes it in between still gets a signal.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "log.h"
#include "used_ring.h"

/* Spins before each sched_yield(): the holder keeps the lock for a few stores. */
#define LOCK_SPINS_PER_YIELD	64

/* Yields between asking whether the holder is dead. */
#define LOCK_YIELDS_PER_ASK	64

int
used_share_lock(struct used_share_queue *q, uint32_t who, unsigned int spins,
    int (*gone)(void), int *taken_from_dead)
{
	unsigned int n = 0;
	uint32_t seen;

	if (taken_from_dead != NULL)
		*taken_from_dead = 0;
	for (;;) {
		seen = 0;
		if (__atomic_compare_exchange_n(&q->lock, &seen, who, 0, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return 0;
		if (spins != 0 && ++n >= spins)
			return -1;
		if (spins == 0)
			n++;
		if (n % LOCK_SPINS_PER_YIELD != 0) {
			__builtin_ia32_pause();
			continue;
		}
		sched_yield();
		/* The holder's process is gone: nobody will ever free it. */
		if (gone != NULL && seen != who &&
		    n % (LOCK_SPINS_PER_YIELD * LOCK_YIELDS_PER_ASK) == 0 && gone() &&
		    __atomic_compare_exchange_n(&q->lock, &seen, who, 0, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED)) {
			if (taken_from_dead != NULL)
				*taken_from_dead = 1;
			return 0;
		}
	}
}

void
used_share_recover(struct used_share_queue *q, uint16_t used_idx_in_guest)
{
	if (!q->pushing)
		return;
	if (used_idx_in_guest == (uint16_t)(q->push_used + 1)) {
		q->used_idx = used_idx_in_guest;
		q->log_prod = q->push_prod + 1;
	} else {
		q->used_idx = q->push_used;
		q->log_prod = q->push_prod;
	}
	q->signalled_valid = 0;		/* the next push signals */
	q->pushing = 0;
}

struct used_share *
used_share_map(int fd)
{
	const int	seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	struct stat	st;
	void		*p;

	/* Before anything opened an fd of ours, one there is what the broker passed. */
	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode) || st.st_size != (off_t)USED_SHARE_BYTES ||
	    (fcntl(fd, F_GET_SEALS) & seals) != seals)
		fatalx("fd %d is not the used-ring page", fd);
	p = mmap(NULL, USED_SHARE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fatal("used-ring page");
	close(fd);
	return p;
}

void
used_share_unlock(struct used_share_queue *q)
{
	__atomic_store_n(&q->lock, 0, __ATOMIC_RELEASE);
}

static uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static void
st16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void
st32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

uint32_t
used_ring_push(const struct used_ring *r, struct used_share_queue *q, uint32_t head,
    uint32_t len)
{
	uint16_t idx = (uint16_t)q->used_idx;
	uint32_t off = 4 + 8 * (idx & (r->num - 1));

	st32(r->used + off, head);
	st32(r->used + off + 4, len);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	idx++;
	q->used_idx = idx;
	st16(r->used + 2, idx);
	return off;
}

/* The guest's used_event: it wants a signal once used.idx passes this entry. */
static uint16_t
used_ring_guest_event(const struct used_ring *r)
{
	return ld16(r->avail + 4 + 2 * (size_t)r->num);
}

int
used_ring_need_signal(const struct used_ring *r, struct used_share_queue *q)
{
	uint16_t old, new, event;
	int need;

	/* Our used.idx store must be visible before we read the guest's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (r->event_idx) {
		event = used_ring_guest_event(r);
		old = (uint16_t)q->signalled_used;
		new = (uint16_t)q->used_idx;
		need = !q->signalled_valid || vring_need_event(event, new, old);
		q->signalled_used = new;
		q->signalled_valid = 1;
		if (need)
			q->signal_used = new;
	} else
		need = !(ld16(r->avail) & VRING_AVAIL_F_NO_INTERRUPT);
	return need;
}

/*
 * The push's check is one side of a handshake that needs a full barrier on both: we store
 * used.idx, fence, load used_event; the guest stores used_event, fences, loads used.idx.
 * A guest whose fence does not order its store before its load can read the old used.idx
 * while we read the old used_event: neither sees the other, no signal is sent, and the
 * guest sleeps with completions it never takes (Linux's virtio-fs then blocks unmount
 * on its FORGETs). QEMU's TCG with one vCPU is such a guest: the locked add that Linux's
 * x86-64 smp_mb() uses was no barrier for another process on the host in a
 * store-buffering test (tests/e2e/tcg-barrier.sh: QEMU 7.2 and 10.0, 3-8 and 6-51
 * reorderings in 200,000 rounds). Looked at again later, the guest's store has
 * landed: the window is everything published since our last signal, not since our last
 * check.
 */
int
used_ring_recheck(const struct used_ring *r, struct used_share_queue *q)
{
	uint16_t used = (uint16_t)q->used_idx, event;

	if (!r->event_idx || !q->signalled_valid || used == (uint16_t)q->signal_used)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = used_ring_guest_event(r);
	if (!vring_need_event(event, used, (uint16_t)q->signal_used))
		return 0;
	q->signalled_used = q->signal_used = used;
	return 1;
}

/* The signal itself; a full eventfd counter (EAGAIN) has one pending already. */
void
used_ring_signal(int call_fd, uint32_t queue)
{
	static const uint64_t one = 1;

	if (write(call_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn_rl("queue %u: call eventfd", queue);
}

uint16_t
used_ring_outstanding(const struct used_ring *r, const struct used_share_queue *q)
{
	uint16_t avail_idx = ld16(r->avail + 2);

	return (uint16_t)(avail_idx - (uint16_t)__atomic_load_n(&q->used_idx, __ATOMIC_RELAXED));
}

int
used_ring_fd_is_eventfd(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == 0;
}
