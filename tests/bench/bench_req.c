/*
 * Requests in preallocated slots: the in and out areas of a slot stay in guest memory for
 * the whole run, so a request costs the driver a header write and a descriptor table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define IN_HDR	sizeof(struct fuse_in_header)
#define OUT_HDR	sizeof(struct fuse_out_header)

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * From one data page to the next: with --scatter a page is left out after each READ and
 * WRITE page (directory listings are read back as one buffer, so they stay end to end).
 */
static size_t
page_stride(const struct bench *b, uint32_t op)
{
	return b->scatter && (op == FUSE_READ || op == FUSE_WRITE) ? 2 * BENCH_PAGE :
	    BENCH_PAGE;
}

static int
slot_alloc(struct bench *b, struct bench_slot *s, size_t datapages, unsigned int queue)
{
	struct vu_mem *mem = &b->dev.mem;
	size_t len = BENCH_PAGE + datapages * page_stride(b, FUSE_READ);

	memset(s, 0, sizeof(*s));
	s->queue = queue;
	s->inpages = s->outpages = datapages;
	s->gin = vu_mem_alloc(mem, len, BENCH_PAGE);
	s->gout = vu_mem_alloc(mem, len, BENCH_PAGE);
	if (s->gin == 0 || s->gout == 0)
		return -1;
	s->pin = vu_mem_ptr(mem, s->gin, len);
	s->pout = vu_mem_ptr(mem, s->gout, len);
	if (s->pin == NULL || s->pout == NULL)
		return -1;
	/* WRITE payload: any bytes, the same for everyone */
	memset(s->pin + BENCH_PAGE, 0x5a, datapages * page_stride(b, FUSE_WRITE));
	return 0;
}

int
bench_setup(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < BENCH_MAX_DEPTH; i++)
		if (slot_alloc(b, &b->slot[i], BENCH_MAX_IO / BENCH_PAGE, 1) == -1)
			return -1;
	for (i = 0; i < BENCH_NFORGET; i++)
		if (slot_alloc(b, &b->fslot[i], 0, 0) == -1)
			return -1;
	return 0;
}

void *
slot_args(struct bench_slot *s)
{
	return s->pin + IN_HDR;
}

void *
slot_reply(struct bench_slot *s)
{
	return s->pout + OUT_HDR;
}

void *
slot_pages(struct bench_slot *s)
{
	return s->pout + BENCH_PAGE;
}

/*
 * Linux layout: in header | in args | write pages; out header | out args | read pages.
 * Pages are stride apart (--scatter: not end to end).
 */
static unsigned int
add_pages(struct bench_slot *s, unsigned int n, uint64_t gpa, size_t len, size_t stride)
{
	while (len > 0) {
		uint32_t l = len < BENCH_PAGE ? (uint32_t)len : BENCH_PAGE;

		s->segs[n].gpa = gpa;
		s->segs[n].len = l;
		n++;
		gpa += stride;
		len -= l;
	}
	return n;
}

int
slot_submit(struct bench *b, struct bench_slot *s, uint32_t op, uint64_t nodeid,
    size_t arglen, size_t wlen, size_t out_args, size_t out_pages)
{
	struct vu_ring *ring = vu_dev_ring(&b->dev, s->queue);
	struct fuse_in_header *h = (struct fuse_in_header *)s->pin;
	unsigned int nrd = 0, n;
	int ind;

	if (arglen > BENCH_PAGE - IN_HDR || out_args > BENCH_PAGE - OUT_HDR ||
	    wlen > s->inpages * BENCH_PAGE || out_pages > s->outpages * BENCH_PAGE)
		return -1;
	memset(h, 0, sizeof(*h));
	h->len = (uint32_t)(IN_HDR + arglen + wlen);
	h->opcode = op;
	h->unique = s->unique = b->dev.next_unique;
	b->dev.next_unique += 2;
	h->nodeid = nodeid;
	h->pid = 1;
	s->segs[nrd].gpa = s->gin;
	s->segs[nrd++].len = IN_HDR;
	if (arglen > 0) {
		s->segs[nrd].gpa = s->gin + IN_HDR;
		s->segs[nrd++].len = (uint32_t)arglen;
	}
	nrd = add_pages(s, nrd, s->gin + BENCH_PAGE, wlen, page_stride(b, op));
	n = nrd;
	if (op != FUSE_FORGET) {
		s->segs[n].gpa = s->gout;
		s->segs[n++].len = OUT_HDR;
		if (out_args > 0) {
			s->segs[n].gpa = s->gout + OUT_HDR;
			s->segs[n++].len = (uint32_t)out_args;
		}
		n = add_pages(s, n, s->gout + BENCH_PAGE, out_pages, page_stride(b, op));
		/* so a reply that says less than it wrote cannot look right */
		memset(s->pout, 0, OUT_HDR);
	}
	ind = ring->indirect && n > 1;
	s->done = 0;
	s->busy = 1;
	s->t0 = now_ns();
	if (vu_ring_add(ring, &b->dev.mem, s->segs, nrd, s->segs + nrd, n - nrd, ind, s) < 0) {
		s->busy = 0;
		fprintf(stderr, "%s: ring %u: no room for %u descriptors\n", b->backend,
		    s->queue, n);
		return -1;
	}
	return 0;
}

void
bench_publish(struct bench *b, unsigned int queue)
{
	vu_ring_publish(vu_dev_ring(&b->dev, queue));
}

struct bench_slot *
bench_reap(struct bench *b, unsigned int q)
{
	struct vu_ring *ring = vu_dev_ring(&b->dev, q);
	void *cookie;
	uint32_t len;
	int got;

	for (;;) {
		got = vu_ring_get_used(ring, &b->dev.mem, &cookie, &len);
		if (got > 0) {
			struct bench_slot *s = cookie;

			s->used_len = len;
			s->done = 1;
			s->busy = 0;
			b->completed++;
			return s;
		}
		if (got < 0) {
			fprintf(stderr, "%s: used entry with a bad id\n", b->backend);
			b->broken = 1;
			return NULL;
		}
		if (!vu_ring_wait(ring, b->dev.opts.timeout_ms) &&
		    ((volatile struct vring_used *)ring->used)->idx == ring->last_used) {
			fprintf(stderr, "%s: no reply within %d ms\n", b->backend,
			    b->dev.opts.timeout_ms);
			b->broken = 1;
			return NULL;
		}
	}
}

int
slot_error(struct bench *b, struct bench_slot *s)
{
	struct fuse_out_header oh;

	memcpy(&oh, s->pout, sizeof(oh));
	if (s->used_len < OUT_HDR || oh.len != s->used_len || oh.unique != s->unique ||
	    oh.error > 0 || oh.error < -4095) {
		fprintf(stderr, "%s: bad reply: used %u len %u unique %llu/%llu error %d\n",
		    b->backend, s->used_len, oh.len, (unsigned long long)oh.unique,
		    (unsigned long long)s->unique, oh.error);
		b->broken = 1;
		return VU_FUSE_BADREPLY;
	}
	return oh.error;
}

int
bench_call(struct bench *b, uint32_t op, uint64_t nodeid, size_t arglen, size_t wlen,
    size_t out_args, size_t out_pages)
{
	struct bench_slot *s = &b->slot[0], *got;

	if (b->broken || slot_submit(b, s, op, nodeid, arglen, wlen, out_args, out_pages) == -1)
		return VU_FUSE_FAILED;
	bench_publish(b, 1);
	do {
		if ((got = bench_reap(b, 1)) == NULL)
			return VU_FUSE_TIMEOUT;
	} while (got != s);
	return slot_error(b, s);
}

/* FORGET has no reply; the chains come back whenever, we only recycle them. */
int
bench_forget(struct bench *b, uint64_t nodeid)
{
	struct fuse_forget_in *f;
	struct bench_slot *s = NULL;
	struct vu_ring *ring = vu_dev_ring(&b->dev, 0);
	unsigned int i;
	void *cookie;
	uint32_t len;

	while (vu_ring_get_used(ring, &b->dev.mem, &cookie, &len) > 0)
		((struct bench_slot *)cookie)->busy = 0;
	for (i = 0; i < BENCH_NFORGET && s == NULL; i++)
		if (!b->fslot[i].busy)
			s = &b->fslot[i];
	if (s == NULL) {
		if ((s = bench_reap(b, 0)) == NULL)
			return -1;
	}
	f = slot_args(s);
	memset(f, 0, sizeof(*f));
	f->nlookup = 1;
	if (slot_submit(b, s, FUSE_FORGET, nodeid, sizeof(*f), 0, 0, 0) == -1)
		return -1;
	bench_publish(b, 0);
	return 0;
}

void
bench_drain_forgets(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < BENCH_NFORGET && !b->broken; i++)
		while (b->fslot[i].busy && !b->broken)
			(void)bench_reap(b, 0);
}
