/*
 * driver/vu-selftest: checks the driver itself, with no back-end: the allocator, the chain
 * layouts the device side sees (direct and indirect), completions in reverse order, the
 * overrun check, EVENT_IDX bookkeeping. The test plays the device by reading the rings.
 * The DAX window's VMM side is checked in selftest_dax.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vu_fuse.h"

static int failures;

int	selftest_dax(void);	/* selftest_dax.c */

static void
check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

struct seen {
	unsigned int	n;
	uint64_t	addr[64];
	uint32_t	len[64];
	int		writable[64];
};

/* The device's view of the chain at avail slot k (follows an indirect table). */
static int
walk(struct vu_dev *dev, struct vu_ring *r, uint16_t k, struct seen *s, uint16_t *headp)
{
	struct vring_desc *t = r->desc, d;
	uint16_t head = r->avail->ring[k % r->num], i = head, max = r->num;

	*headp = head;
	s->n = 0;
	if (r->desc[head].flags & VRING_DESC_F_INDIRECT) {
		t = vu_mem_ptr(&dev->mem, r->desc[head].addr, r->desc[head].len);
		max = (uint16_t)(r->desc[head].len / 16);
		i = 0;
		if (t == NULL)
			return -1;
	}
	for (;;) {
		if (i >= max || s->n >= 64)
			return -1;
		d = t[i];
		s->addr[s->n] = d.addr;
		s->len[s->n] = d.len;
		s->writable[s->n] = !!(d.flags & VRING_DESC_F_WRITE);
		s->n++;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

/* Answer like a back-end: out header + payload of n bytes of c into the writable part. */
static void
answer(struct vu_dev *dev, struct vu_ring *r, uint16_t head, const struct seen *s,
    uint64_t unique, uint32_t n, int c)
{
	struct fuse_out_header oh;
	uint8_t buf[65536];
	uint32_t total = sizeof(oh) + n, off = 0, i;
	struct vring_used_elem *e;

	oh.len = total;
	oh.error = 0;
	oh.unique = unique;
	memcpy(buf, &oh, sizeof(oh));
	memset(buf + sizeof(oh), c, n);
	for (i = 0; i < s->n && off < total; i++) {
		uint32_t l;

		if (!s->writable[i])
			continue;
		l = s->len[i] < total - off ? s->len[i] : total - off;
		vu_mem_write(&dev->mem, s->addr[i], buf + off, l);
		off += l;
	}
	e = &r->used->ring[r->used->idx % r->num];
	e->id = head;
	e->len = total;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->used->idx++;
}

static void
test_alloc(struct vu_dev *dev)
{
	uint64_t a[200], l[200], before = vu_mem_avail(&dev->mem);
	size_t nfree = dev->mem.nfree;
	int i, j, overlap = 0, zero = 0;

	for (i = 0; i < 200; i++) {
		l[i] = 1 + (uint64_t)(i * 7919) % 20000;
		a[i] = vu_mem_alloc(&dev->mem, l[i], i % 3 ? 8 : 4096);
		zero |= a[i] == 0;
	}
	for (i = 0; i < 200; i++)
		for (j = 0; j < i; j++)
			if (a[i] < a[j] + l[j] && a[j] < a[i] + l[i])
				overlap = 1;
	check(!zero && !overlap, "allocator: 200 blocks, none overlapping");
	for (i = 0; i < 200; i += 2)
		vu_mem_free(&dev->mem, a[i], l[i]);
	for (i = 1; i < 200; i += 2)
		vu_mem_free(&dev->mem, a[i], l[i]);
	check(vu_mem_avail(&dev->mem) == before && dev->mem.nfree == nfree,
	    "allocator: everything freed and merged back");
}

static void
prep(struct vu_dev *dev, struct vu_fuse_req *q, struct fuse_in_header *ih, uint32_t pages,
    int indirect)
{
	memset(q, 0, sizeof(*q));
	vu_fuse_hdr(dev, ih, FUSE_READ, 2, sizeof(*ih));
	q->queue = 1;
	q->in = ih;
	q->inlen = sizeof(*ih);
	q->out_pages = pages;
	q->indirect = indirect;
}

static void
test_chains(struct vu_dev *dev, int indirect)
{
	struct vu_ring *r = &dev->ring[1];
	struct vu_fuse_req q[3];
	struct fuse_in_header ih[3];
	struct seen s[3];
	uint16_t head[3], k0 = r->avail_idx;
	int i, ok = 1, layout;

	for (i = 0; i < 3; i++) {
		prep(dev, &q[i], &ih[i], 3 * 4096, indirect ? 1 : -1);
		if (vu_fuse_submit(dev, &q[i]) == -1)
			ok = 0;
	}
	vu_fuse_publish(dev, 1);
	check(ok && r->avail->idx == (uint16_t)(k0 + 3), indirect ? "indirect: 3 chains published" :
	    "direct: 3 chains published");
	for (i = 0; i < 3; i++)
		if (walk(dev, r, (uint16_t)(k0 + i), &s[i], &head[i]) == -1)
			ok = 0;
	layout = ok && s[0].n == 5 && !s[0].writable[0] && s[0].len[0] == 40 &&
	    s[0].writable[1] && s[0].len[1] == 16 && s[0].len[2] == 4096 && s[0].len[4] == 4096;
	check(layout, "the device sees header (40, readable), out header (16), 3 pages "
	    "(writable)");
	/* complete in reverse order */
	for (i = 2; i >= 0; i--)
		answer(dev, r, head[i], &s[i], ih[i].unique, 100 * (i + 1), 'a' + i);
	for (i = 0; i < 3; i++)
		ok &= vu_fuse_wait(dev, &q[i], 100) == 1 && vu_fuse_check(dev, &q[i], &ih[i]) == 0 &&
		    q[i].used_len == 16 + 100 * (uint32_t)(i + 1) && q[i].out[16] == 'a' + i;
	check(ok && q[2].done_order < q[0].done_order,
	    "completions in reverse order reach the right requests");
	check(!r->event_idx || *(uint16_t *)&r->avail->ring[r->num] == r->last_used,
	    "EVENT_IDX: used_event follows the consumed entries");
	check(r->num_free == r->num, "every descriptor back on the free list");
	for (i = 0; i < 3; i++)
		vu_fuse_req_free(&q[i]);
}

static void
test_overrun(struct vu_dev *dev)
{
	struct vu_ring *r = &dev->ring[1];
	struct fuse_in_header ih;
	struct vu_fuse_req q;
	struct seen s;
	uint16_t head, k0 = r->avail_idx;
	uint8_t x = 0;

	memset(&q, 0, sizeof(q));
	vu_fuse_hdr(dev, &ih, FUSE_GETATTR, 1, sizeof(ih));
	q.queue = 1;
	q.in = &ih;
	q.inlen = sizeof(ih);
	q.out_args = 120 - 16;
	vu_fuse_submit(dev, &q);
	vu_fuse_publish(dev, 1);
	walk(dev, r, k0, &s, &head);
	answer(dev, r, head, &s, ih.unique, 104, 0);
	/* one byte right after the last writable descriptor */
	vu_mem_write(&dev->mem, s.addr[s.n - 1] + s.len[s.n - 1], &x, 1);
	check(vu_fuse_wait(dev, &q, 100) == 1 && vu_fuse_check(dev, &q, &ih) == VU_FUSE_BADREPLY &&
	    q.overrun, "a write just past the writable buffer is caught");
	vu_fuse_req_free(&q);
}

int
main(void)
{
	struct vu_opts o;
	struct vu_dev dev;
	int round;

	for (round = 0; round < 2; round++) {
		vu_opts_default(&o);
		o.nregions = 3;
		o.event_idx = round;
		o.indirect = round;
		memset(&dev, 0, sizeof(dev));
		dev.opts = o;
		dev.nqueues = 2;
		dev.next_unique = 2;
		if (vu_mem_init(&dev.mem, &o) == -1 ||
		    vu_ring_init(&dev.ring[0], &dev.mem, 0, 128, o.event_idx, o.indirect) == -1 ||
		    vu_ring_init(&dev.ring[1], &dev.mem, 1, 128, o.event_idx, o.indirect) == -1) {
			check(0, "set-up");
			return 1;
		}
		printf("== %s\n", round ? "EVENT_IDX + INDIRECT_DESC" : "plain split ring");
		test_alloc(&dev);
		test_chains(&dev, round);
		test_overrun(&dev);
		dev.sock = dev.backend_fd = -1;
		vu_dev_close(&dev);
	}
	failures += selftest_dax();
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
