/*
 * Hostile rings (doc/wire.md section 4, doc/security.md attacks row "Ring attacks"): each
 * case writes one malformed thing into request queue 1 and expects the queue to be marked
 * broken or the request to fail, never a crash or an access outside guest memory.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define OUTSIDE_GPA	0x7f0000000000ULL	/* far above any region */

struct rawreq {
	struct vu_ring	*r;
	uint64_t	 in, out, unique;
	uint16_t	 d0, d1, d2;
};

/* A valid GETATTR request and reply buffer, plus three free descriptor slots. */
static int
rawreq(struct hctx *h, struct rawreq *q)
{
	q->r = vu_dev_ring(&h->dev, 1);
	q->in = put_getattr(h, &q->unique);
	q->out = alloc_out(h, 4096);
	q->d0 = RAW_DESC(q->r, 0);
	q->d1 = RAW_DESC(q->r, 1);
	q->d2 = RAW_DESC(q->r, 2);
	return q->in != 0 && q->out != 0 ? 0 : -1;
}

static int
expect(struct hctx *h, struct rawreq *q, const char *what)
{
	struct outcome o;

	wait_outcome(h, q->r, cli.opts.timeout_ms, &o);
	return broken_or_failed(h, &o, q->out, what);
}

int
h_avail_idx_jump(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, q.in, 56, VRING_DESC_F_NEXT, q.d1);
	raw_desc(q.r, q.d1, q.out, 4096, VRING_DESC_F_WRITE, 0);
	vu_ring_raw_avail(q.r, q.r->avail_idx, q.d0);
	vu_ring_raw_set_avail_idx(q.r, (uint16_t)(q.r->avail_idx + q.r->num + 1));
	vu_ring_kick(q.r);
	return expect(h, &q, "avail.idx moved by queue size + 1");
}

int
h_head_out_of_range(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_push(q.r, q.r->num);
	return expect(h, &q, "head == queue size");
}

int
h_next_out_of_range(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, q.in, 56, VRING_DESC_F_NEXT, (uint16_t)(q.r->num + 5));
	raw_push(q.r, q.d0);
	return expect(h, &q, "next == queue size + 5");
}

int
h_desc_loop(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, q.in, 56, VRING_DESC_F_NEXT, q.d1);
	raw_desc(q.r, q.d1, q.out, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, q.d2);
	raw_desc(q.r, q.d2, q.out + 16, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, q.d1);
	raw_push(q.r, q.d0);
	return expect(h, &q, "descriptor chain d1 -> d2 -> d1 loops");
}

/* An indirect table of n descriptors: GETATTR in, then writable pieces of the reply. */
static uint64_t
indirect_table(struct hctx *h, struct rawreq *q, unsigned int n)
{
	struct vring_desc d;
	uint64_t t = vu_mem_alloc(&h->dev.mem, 16 * (uint64_t)n, 16);
	unsigned int i;

	if (t == 0)
		return 0;
	for (i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		d.addr = i == 0 ? q->in : q->out + 16 * (uint64_t)(i - 1);
		d.len = i == 0 ? 56 : 16;
		d.flags = (i + 1 < n ? VRING_DESC_F_NEXT : 0) | (i > 0 ? VRING_DESC_F_WRITE : 0);
		d.next = (uint16_t)(i + 1);
		vu_mem_write(&h->dev.mem, t + 16 * (uint64_t)i, &d, sizeof(d));
	}
	return t;
}

static int
indirect_case(struct hctx *h, unsigned int n, uint32_t len, uint16_t extra, const char *what)
{
	struct rawreq q;
	uint64_t t;

	if (rawreq(h, &q) == -1 || (t = indirect_table(h, &q, n)) == 0)
		return -1;
	if (len == (uint32_t)-1)
		len = 16 * n;
	raw_desc(q.r, q.d0, t, len, VRING_DESC_F_INDIRECT | extra, q.d1);
	raw_desc(q.r, q.d1, q.out + 2048, 16, VRING_DESC_F_WRITE, 0);
	raw_push(q.r, q.d0);
	return expect(h, &q, what);
}

int
h_indirect_len0(struct hctx *h)
{
	return indirect_case(h, 6, 0, 0, "indirect table of length 0");
}

int
h_indirect_len_not16(struct hctx *h)
{
	return indirect_case(h, 6, 16 * 5 + 8, 0, "indirect table length 88 (not a multiple of 16)");
}

int
h_indirect_too_large(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);

	return indirect_case(h, (r->num > 1024 ? r->num : 1024) + 1, (uint32_t)-1, 0,
	    "indirect table of max(queue size, 1024) + 1 descriptors");
}

int
h_indirect_next(struct hctx *h)
{
	return indirect_case(h, 6, (uint32_t)-1, VRING_DESC_F_NEXT,
	    "INDIRECT|NEXT on the pointing descriptor");
}

int
h_indirect_nested(struct hctx *h)
{
	struct rawreq q;
	struct vring_desc d;
	uint64_t inner, outer;

	if (rawreq(h, &q) == -1 || (inner = indirect_table(h, &q, 6)) == 0)
		return -1;
	outer = vu_mem_alloc(&h->dev.mem, 16, 16);
	memset(&d, 0, sizeof(d));
	d.addr = inner;
	d.len = 16 * 6;
	d.flags = VRING_DESC_F_INDIRECT;
	vu_mem_write(&h->dev.mem, outer, &d, sizeof(d));
	raw_desc(q.r, q.d0, outer, 16, VRING_DESC_F_INDIRECT, 0);
	raw_push(q.r, q.d0);
	return expect(h, &q, "indirect table whose descriptor is INDIRECT again");
}

int
h_indirect_not_negotiated(struct hctx *h)
{
	return indirect_case(h, 6, (uint32_t)-1, 0, "INDIRECT descriptor without the feature");
}

int
h_buffer_outside(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, OUTSIDE_GPA, 56, VRING_DESC_F_NEXT, q.d1);
	raw_desc(q.r, q.d1, q.out, 4096, VRING_DESC_F_WRITE, 0);
	raw_push(q.r, q.d0);
	return expect(h, &q, "readable buffer outside guest memory");
}

int
h_addr_overflow(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, q.in, 56, VRING_DESC_F_NEXT, q.d1);
	raw_desc(q.r, q.d1, 0xfffffffffffff000ULL, 0x2000, VRING_DESC_F_WRITE, 0);
	raw_push(q.r, q.d0);
	return expect(h, &q, "writable buffer whose addr + len wraps around 2^64");
}

int
h_readable_after_writable(struct hctx *h)
{
	struct rawreq q;

	if (rawreq(h, &q) == -1)
		return -1;
	raw_desc(q.r, q.d0, q.out, 4096, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, q.d1);
	raw_desc(q.r, q.d1, q.in, 56, 0, 0);
	raw_push(q.r, q.d0);
	return expect(h, &q, "writable descriptor before the readable one");
}

/* A LOOKUP whose request and reply each straddle a boundary between two regions. */
int
h_buffer_cross_regions(struct hctx *h)
{
	struct {
		struct fuse_in_header h;
		char name[10];
	} in;
	struct {
		struct fuse_out_header h;
		struct fuse_entry_out e;
	} out;
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	struct vu_buf rd, wr;
	uint64_t b = h->dev.mem.reg[1].gpa, b2 = h->dev.mem.reg[2].gpa;
	uint32_t len = 0;
	void *cookie;
	int got = 0;

	hcheck(h->dev.mem.reg[0].gpa + h->dev.mem.reg[0].size == b &&
	    h->dev.mem.reg[1].gpa + h->dev.mem.reg[1].size == b2,
	    "three regions, contiguous at guest physical 0x%llx and 0x%llx",
	    (unsigned long long)b, (unsigned long long)b2);
	memcpy(in.name, "hello.txt", 10);
	vu_fuse_hdr(&h->dev, &in.h, FUSE_LOOKUP, 1, sizeof(in.h) + 10);
	rd.gpa = b - 20;
	rd.len = sizeof(in.h) + 10;	/* not sizeof(in): no tail padding */
	wr.gpa = b2 - 64;	/* another boundary: the two must not overlap */
	wr.len = sizeof(out);
	vu_mem_write(&h->dev.mem, rd.gpa, &in, sizeof(in));
	vu_mem_fill(&h->dev.mem, wr.gpa, VU_FUSE_FILL, sizeof(out));
	if (vu_ring_add(r, &h->dev.mem, &rd, 1, &wr, 1, 0, h) < 0)
		return -1;
	vu_ring_publish(r);
	while (vu_ring_wait(r, cli.opts.timeout_ms) &&
	    (got = vu_ring_get_used(r, &h->dev.mem, &cookie, &len)) == 0)
		;
	vu_mem_read(&h->dev.mem, wr.gpa, &out, sizeof(out));
	return hcheck(got == 1 && len == sizeof(out) && out.h.len == len && out.h.error == 0 &&
	    out.h.unique == in.h.unique && out.e.nodeid == h->hello && out.e.attr.size == 13,
	    "LOOKUP with request at 0x%llx and reply at 0x%llx (each across a boundary): "
	    "used %d len %u, error %d, nodeid %llu, size %llu", (unsigned long long)rd.gpa,
	    (unsigned long long)wr.gpa, got, len, out.h.error,
	    (unsigned long long)out.e.nodeid, (unsigned long long)out.e.attr.size);
}

/*
 * Ring set-up cases: the start sequence with one thing wrong on queue 1. Either the
 * back-end refuses (REPLY_ACK failure, or it closes), or it must not serve the ring.
 */
static int
bad_ring_start(struct hctx *h, const char *what)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	struct fuse_in_header ih;
	struct outcome o;
	struct vu_fuse_req q;

	if (vu_dev_start(&h->dev) == -1) {
		int closed = vu_dev_peer_closed(&h->dev, 100);

		return hcheck(strstr(h->dev.err, "REPLY_ACK") != NULL || closed,
		    "%s: refused (%s)", what, closed ? "connection closed" : h->dev.err);
	}
	vu_note("%s: the start sequence was accepted", what);
	/* accepted: a request on that ring must not be served normally */
	memset(&q, 0, sizeof(q));
	vu_fuse_hdr(&h->dev, &ih, FUSE_GETATTR, 1, sizeof(ih) + 16);
	{
		uint8_t in[sizeof(ih) + 16];

		memset(in, 0, sizeof(in));
		memcpy(in, &ih, sizeof(ih));
		q.queue = 1;
		q.in = in;
		q.inlen = sizeof(in);
		q.out_args = sizeof(struct fuse_attr_out);
		if (vu_fuse_submit(&h->dev, &q) == -1)
			return -1;
		vu_fuse_publish(&h->dev, 1);
	}
	wait_outcome(h, r, cli.opts.timeout_ms, &o);
	return broken_or_failed(h, &o, 0, what);
}

int
h_ring_outside(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);

	r->desc_gpa = OUTSIDE_GPA;	/* the driver keeps using its real table */
	return bad_ring_start(h, "descriptor table address outside guest memory");
}

int
h_ring_misaligned(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);

	r->used_gpa += 2;	/* used ring must be 4-aligned */
	r->used = (struct vring_used *)((uint8_t *)r->used + 2);
	return bad_ring_start(h, "used ring address not 4-aligned");
}

/*
 * The used ring laid over the avail ring: every completion the back-end writes would
 * publish new avail entries, so one kick could keep it busy for ever (fuzz-vhost found
 * that privfsd spun). It must refuse the rings or not serve them.
 */
int
h_used_over_avail(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	uint64_t delta = r->avail_gpa & 3;

	r->used_gpa = r->avail_gpa - delta;
	r->used = (struct vring_used *)((uint8_t *)r->avail - delta);
	return bad_ring_start(h, "used ring over the avail ring");
}

/*
 * A kick fd the back-end's event loop cannot poll (a regular file: epoll refuses it):
 * privfsd ended the export on it (fatal); the request must be refused instead.
 */
int
h_kick_not_pollable(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	int fd;

	if ((fd = memfd_create("not-a-kick", MFD_CLOEXEC)) == -1)
		return hcheck(0, "memfd_create: %s", strerror(errno));
	close(r->kickfd);
	r->kickfd = fd;
	return bad_ring_start(h, "a regular file as the kick fd");
}

int
h_queue_size_not_pow2(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);

	r->num = 100;
	return bad_ring_start(h, "queue size 100 (not a power of two)");
}
