/*
 * The guest driver's side of a split virtqueue, as Linux's virtio_ring.c behaves: a free
 * list of descriptors, chains readable-then-writable, optional indirect tables, EVENT_IDX
 * notification suppression both ways, used entries consumed in any order.
 *
 * The driver keeps its own copy of chain links (ring->link) so that whatever a back-end or
 * a hostile test writes into the descriptor table never confuses the bookkeeping.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vu_driver.h"

#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

static volatile uint16_t *
used_event_ptr(struct vu_ring *r)
{
	return (volatile uint16_t *)&r->avail->ring[r->num];
}

static volatile uint16_t *
avail_event_ptr(struct vu_ring *r)
{
	return (volatile uint16_t *)((uint8_t *)r->used + 4 + 8 * (size_t)r->num);
}

uint16_t
vu_ring_avail_event(struct vu_ring *r)
{
	return *avail_event_ptr(r);
}

void
vu_ring_set_used_event(struct vu_ring *r, uint16_t v)
{
	*used_event_ptr(r) = v;
	mb();
}

static void
ring_clear(struct vu_ring *r)
{
	uint16_t i;

	memset(r->desc, 0, 16 * (size_t)r->num);
	memset(r->avail, 0, 6 + 2 * (size_t)r->num);
	memset(r->used, 0, 6 + 8 * (size_t)r->num);
	memset(r->chains, 0, sizeof(*r->chains) * r->num);
	for (i = 0; i < r->num; i++)
		r->link[i] = (uint16_t)(i + 1);
	r->free_head = 0;
	r->num_free = r->num;
	r->avail_idx = 0;
	r->last_used = 0;
	r->kicked_idx = 0;
}

int
vu_ring_init(struct vu_ring *r, struct vu_mem *mem, unsigned int index, uint16_t num,
    int event_idx, int indirect)
{
	memset(r, 0, sizeof(*r));
	r->kickfd = r->callfd = r->errfd = -1;
	r->index = index;
	r->num = num;
	r->event_idx = event_idx;
	r->indirect = indirect;
	if (num == 0) {
		errno = EINVAL;
		return -1;
	}
	r->desc_gpa = vu_mem_alloc(mem, 16 * (uint64_t)num, 4096);
	r->avail_gpa = vu_mem_alloc(mem, 6 + 2 * (uint64_t)num, 64);
	r->used_gpa = vu_mem_alloc(mem, 6 + 8 * (uint64_t)num, 4096);
	if (r->desc_gpa == 0 || r->avail_gpa == 0 || r->used_gpa == 0) {
		errno = ENOMEM;
		return -1;
	}
	r->desc = vu_mem_ptr(mem, r->desc_gpa, 16 * (uint64_t)num);
	r->avail = vu_mem_ptr(mem, r->avail_gpa, 6 + 2 * (uint64_t)num);
	r->used = vu_mem_ptr(mem, r->used_gpa, 6 + 8 * (uint64_t)num);
	r->chains = calloc(num, sizeof(*r->chains));
	r->link = calloc(num, sizeof(*r->link));
	if (r->chains == NULL || r->link == NULL)
		return -1;
	r->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->errfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->kickfd == -1 || r->callfd == -1 || r->errfd == -1)
		return -1;
	ring_clear(r);
	return 0;
}

static void
chain_release(struct vu_ring *r, struct vu_mem *mem, uint16_t head)
{
	struct vu_chain *c = &r->chains[head];
	uint16_t i, d = head, last = head;

	for (i = 1; i < c->ndesc; i++)
		last = d = r->link[d];
	(void)d;
	r->link[last] = r->free_head;
	r->free_head = head;
	r->num_free += c->ndesc;
	if (c->indirect != 0)
		vu_mem_free(mem, c->indirect, c->indirect_len);
	c->ndesc = 0;
	c->indirect = 0;
}

void
vu_ring_reset(struct vu_ring *r, struct vu_mem *mem)
{
	uint16_t i;

	for (i = 0; i < r->num; i++)
		if (r->chains[i].ndesc != 0 && r->chains[i].indirect != 0)
			vu_mem_free(mem, r->chains[i].indirect, r->chains[i].indirect_len);
	ring_clear(r);
}

void
vu_ring_fini(struct vu_ring *r, struct vu_mem *mem)
{
	if (r->chains == NULL)
		return;
	vu_ring_reset(r, mem);
	vu_mem_free(mem, r->desc_gpa, 16 * (uint64_t)r->num);
	vu_mem_free(mem, r->avail_gpa, 6 + 2 * (uint64_t)r->num);
	vu_mem_free(mem, r->used_gpa, 6 + 8 * (uint64_t)r->num);
	free(r->chains);
	free(r->link);
	if (r->kickfd != -1)
		close(r->kickfd);
	if (r->callfd != -1)
		close(r->callfd);
	if (r->errfd != -1)
		close(r->errfd);
	memset(r, 0, sizeof(*r));
	r->kickfd = r->callfd = r->errfd = -1;
}

static void
fill_desc(struct vring_desc *d, const struct vu_buf *b, uint16_t flags, uint16_t next)
{
	d->addr = b->gpa;
	d->len = b->len;
	d->flags = flags;
	d->next = next;
}

static int
add_indirect(struct vu_ring *r, struct vu_mem *mem, const struct vu_buf *rd, unsigned int nrd,
    const struct vu_buf *wr, unsigned int nwr, uint64_t *tablep, uint32_t *lenp)
{
	unsigned int i, n = nrd + nwr;
	struct vring_desc *t;
	uint64_t gpa;

	gpa = vu_mem_alloc(mem, 16 * (uint64_t)n, 16);
	if (gpa == 0 || (t = vu_mem_ptr(mem, gpa, 16 * (uint64_t)n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		uint16_t fl = i + 1 < n ? VRING_DESC_F_NEXT : 0;

		if (i < nrd)
			fill_desc(&t[i], &rd[i], fl, (uint16_t)(i + 1));
		else
			fill_desc(&t[i], &wr[i - nrd], fl | VRING_DESC_F_WRITE, (uint16_t)(i + 1));
	}
	*tablep = gpa;
	*lenp = 16 * n;
	return 0;
}

int
vu_ring_add(struct vu_ring *r, struct vu_mem *mem, const struct vu_buf *rd, unsigned int nrd,
    const struct vu_buf *wr, unsigned int nwr, int use_indirect, void *cookie)
{
	unsigned int i, n = nrd + nwr;
	struct vu_chain *c;
	uint16_t head, d, prev = 0;

	if (n == 0 || (use_indirect ? 1 : n) > r->num_free) {
		errno = ENOSPC;
		return -1;
	}
	head = r->free_head;
	c = &r->chains[head];
	memset(c, 0, sizeof(*c));
	c->cookie = cookie;
	if (use_indirect) {
		struct vu_buf tb;

		if (add_indirect(r, mem, rd, nrd, wr, nwr, &c->indirect, &c->indirect_len) == -1) {
			errno = ENOMEM;
			return -1;
		}
		tb.gpa = c->indirect;
		tb.len = c->indirect_len;
		r->free_head = r->link[head];
		fill_desc(&r->desc[head], &tb, VRING_DESC_F_INDIRECT, 0);
		c->ndesc = 1;
	} else {
		d = head;
		for (i = 0; i < n; i++) {
			uint16_t fl = i < nrd ? 0 : VRING_DESC_F_WRITE;
			const struct vu_buf *b = i < nrd ? &rd[i] : &wr[i - nrd];

			if (i > 0)
				r->desc[prev].flags |= VRING_DESC_F_NEXT;
			fill_desc(&r->desc[d], b, fl, r->link[d]);
			prev = d;
			d = r->link[d];
		}
		r->free_head = d;
		c->ndesc = (uint16_t)n;
	}
	r->num_free -= c->ndesc;
	r->avail->ring[r->avail_idx % r->num] = head;
	r->avail_idx++;
	return head;
}

void
vu_ring_kick(struct vu_ring *r)
{
	uint64_t one = 1;

	r->kicks++;
	(void)!write(r->kickfd, &one, sizeof(one));
}

void
vu_ring_publish(struct vu_ring *r)
{
	uint16_t old = r->kicked_idx, new = r->avail_idx;
	int kick;

	wmb();
	((volatile struct vring_avail *)r->avail)->idx = new;
	mb();
	if (r->event_idx)
		kick = vring_need_event(*avail_event_ptr(r), new, old);
	else
		kick = !(((volatile struct vring_used *)r->used)->flags & VRING_USED_F_NO_NOTIFY);
	r->kicked_idx = new;
	if (kick)
		vu_ring_kick(r);
}

int
vu_ring_get_used(struct vu_ring *r, struct vu_mem *mem, void **cookie, uint32_t *len)
{
	struct vring_used_elem e;
	uint16_t idx = ((volatile struct vring_used *)r->used)->idx;

	if (idx == r->last_used)
		return 0;
	rmb();
	e = r->used->ring[r->last_used % r->num];
	r->last_used++;
	if (r->event_idx)
		*used_event_ptr(r) = r->last_used;
	if (e.id >= r->num || r->chains[e.id].ndesc == 0) {
		errno = EPROTO;
		return -1;
	}
	*cookie = r->chains[e.id].cookie;
	*len = e.len;
	chain_release(r, mem, (uint16_t)e.id);
	return 1;
}

int64_t
vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
vu_ring_wait(struct vu_ring *r, int timeout_ms)
{
	int64_t deadline = vu_now_ms() + timeout_ms;
	struct pollfd pfd;
	uint64_t v;

	for (;;) {
		volatile struct vring_used *u = (volatile struct vring_used *)r->used;
		int64_t left;

		if (u->idx != r->last_used)
			return 1;
		if (r->event_idx) {
			*used_event_ptr(r) = r->last_used;
			mb();
			if (u->idx != r->last_used)
				return 1;
		}
		left = deadline - vu_now_ms();
		if (left <= 0)
			return 0;
		pfd.fd = r->callfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) > 0 && read(r->callfd, &v, sizeof(v)) == sizeof(v))
			r->calls++;
	}
}

void
vu_ring_raw_avail(struct vu_ring *r, uint16_t slot, uint16_t head)
{
	r->avail->ring[slot % r->num] = head;
}

void
vu_ring_raw_set_avail_idx(struct vu_ring *r, uint16_t idx)
{
	wmb();
	((volatile struct vring_avail *)r->avail)->idx = idx;
	r->avail_idx = idx;
	r->kicked_idx = idx;
	mb();
}

unsigned int
vu_ring_inflight(const struct vu_ring *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->num; i++)
		if (r->chains[i].ndesc != 0)
			n++;
	return n;
}
