/*
 * FUSE requests as descriptor chains: placing the bytes in guest memory, the chain layout
 * Linux uses, completion in any order and the checks a Linux guest makes on a reply.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vu_fuse.h"

#define PAGE	4096UL

static size_t
round_page(size_t n)
{
	return (n + PAGE - 1) & ~(PAGE - 1);
}

static int
add_seg(struct vu_fuse_req *r, unsigned int *n, uint64_t gpa, size_t len)
{
	if (*n >= VU_FUSE_MAX_SEGS)
		return -1;
	r->segs[*n].gpa = gpa;
	r->segs[*n].len = (uint32_t)len;
	(*n)++;
	return 0;
}

/* Pages of [gpa, gpa + len), one segment each. */
static int
add_pages(struct vu_fuse_req *r, unsigned int *n, uint64_t gpa, size_t len)
{
	while (len > 0) {
		size_t l = len < PAGE ? len : PAGE;

		if (add_seg(r, n, gpa, l) == -1)
			return -1;
		gpa += l;
		len -= l;
	}
	return 0;
}

static int
layout_readable(struct vu_fuse_req *r, unsigned int *n)
{
	size_t hdr = sizeof(struct fuse_in_header), off, l;

	switch (r->layout) {
	case VU_LAYOUT_LINUX:
		if (add_seg(r, n, r->gpa_in, r->inlen < hdr ? r->inlen : hdr) == -1)
			return -1;
		if (r->inlen > hdr && add_seg(r, n, r->gpa_in + hdr, r->inlen - hdr) == -1)
			return -1;
		return add_pages(r, n, r->gpa_in + round_page(r->inlen), r->wdatalen);
	case VU_LAYOUT_FLAT:
		return add_seg(r, n, r->gpa_in, r->inlen + r->wdatalen);
	case VU_LAYOUT_BYTES:
		for (off = 0; off < r->inlen + r->wdatalen; off += l) {
			l = r->inlen + r->wdatalen - off;
			if (r->seg_len > 0 && l > r->seg_len)
				l = r->seg_len;
			if (add_seg(r, n, r->gpa_in + off, l) == -1)
				return -1;
		}
		return 0;
	}
	return -1;
}

static int
layout_writable(struct vu_fuse_req *r, unsigned int *n)
{
	size_t hdr = sizeof(struct fuse_out_header);

	if (r->no_out)
		return 0;
	if (r->layout != VU_LAYOUT_LINUX)
		return add_seg(r, n, r->gpa_out, hdr + r->out_args + r->out_pages);
	if (add_seg(r, n, r->gpa_out, hdr) == -1)
		return -1;
	if (r->out_args > 0 && add_seg(r, n, r->gpa_out + hdr, r->out_args) == -1)
		return -1;
	return add_pages(r, n, r->gpa_out + round_page(hdr + r->out_args), r->out_pages);
}

static void
release_mem(struct vu_dev *dev, struct vu_fuse_req *r)
{
	vu_mem_free(&dev->mem, r->gpa_in, r->alloc_in);
	vu_mem_free(&dev->mem, r->gpa_out, r->alloc_out);
	r->gpa_in = r->gpa_out = 0;
}

static int
place(struct vu_dev *dev, struct vu_fuse_req *r)
{
	size_t wdoff;

	r->alloc_in = round_page(r->inlen) + round_page(r->wdatalen);
	if (r->alloc_in == 0)
		r->alloc_in = PAGE;
	r->gpa_in = vu_mem_alloc(&dev->mem, r->alloc_in, PAGE);
	r->outcap = r->no_out ? 0 : sizeof(struct fuse_out_header) + r->out_args + r->out_pages;
	r->alloc_out = r->no_out ? 0 :
	    round_page(sizeof(struct fuse_out_header) + r->out_args) + round_page(r->out_pages);
	r->gpa_out = r->no_out ? 0 : vu_mem_alloc(&dev->mem, r->alloc_out, PAGE);
	if (r->gpa_in == 0 || (!r->no_out && r->gpa_out == 0))
		return -1;
	wdoff = r->layout == VU_LAYOUT_LINUX ? round_page(r->inlen) : r->inlen;
	if (vu_mem_write(&dev->mem, r->gpa_in, r->in, r->inlen) == -1 ||
	    (r->wdatalen > 0 &&
	    vu_mem_write(&dev->mem, r->gpa_in + wdoff, r->wdata, r->wdatalen) == -1))
		return -1;
	if (!r->no_out)
		vu_mem_fill(&dev->mem, r->gpa_out, VU_FUSE_FILL, r->alloc_out);
	return 0;
}

int
vu_fuse_submit(struct vu_dev *dev, struct vu_fuse_req *r)
{
	struct vu_ring *ring = vu_dev_ring(dev, r->queue);
	unsigned int nrd = 0, nwr = 0;
	int ind;

	r->done = 0;
	r->out = NULL;
	r->head = -1;
	if (ring == NULL) {
		snprintf(dev->err, sizeof(dev->err), "no queue %u", r->queue);
		return -1;
	}
	if (r->segs == NULL && (r->segs = calloc(VU_FUSE_MAX_SEGS, sizeof(*r->segs))) == NULL)
		return -1;
	if (place(dev, r) == -1 || layout_readable(r, &nrd) == -1) {
		snprintf(dev->err, sizeof(dev->err), "no guest memory or too many segments");
		release_mem(dev, r);
		return -1;
	}
	r->nrd = nrd;
	nwr = nrd;
	if (layout_writable(r, &nwr) == -1) {
		snprintf(dev->err, sizeof(dev->err), "too many segments");
		release_mem(dev, r);
		return -1;
	}
	nwr -= nrd;
	r->nwr = nwr;
	ind = r->indirect > 0 || (r->indirect == 0 && ring->indirect && nrd + nwr > 1);
	r->head = vu_ring_add(ring, &dev->mem, r->segs, nrd, r->segs + nrd, nwr, ind, r);
	if (r->head < 0) {
		snprintf(dev->err, sizeof(dev->err), "ring %u full", r->queue);
		release_mem(dev, r);
		return -1;
	}
	return 0;
}

void
vu_fuse_publish(struct vu_dev *dev, unsigned int queue)
{
	struct vu_ring *ring = vu_dev_ring(dev, queue);

	if (ring != NULL)
		vu_ring_publish(ring);
}

/*
 * The out area was filled with 0xAA; the bytes of it that no writable segment covers
 * (the gap after the args, the tail of the last page) must still be 0xAA.
 */
static int
overrun(struct vu_dev *dev, const struct vu_fuse_req *r)
{
	const uint8_t *p = vu_mem_ptr(&dev->mem, r->gpa_out, r->alloc_out);
	uint64_t pos = r->gpa_out, end = r->gpa_out + r->alloc_out;
	unsigned int i;

	if (p == NULL)
		return 0;
	for (i = r->nrd; i <= r->nrd + r->nwr; i++) {
		uint64_t upto = i < r->nrd + r->nwr ? r->segs[i].gpa : end;

		for (; pos < upto && pos < end; pos++)
			if (p[pos - r->gpa_out] != VU_FUSE_FILL)
				return 1;
		if (i < r->nrd + r->nwr && r->segs[i].gpa + r->segs[i].len > pos)
			pos = r->segs[i].gpa + r->segs[i].len;
	}
	return 0;
}

/* The whole writable area, segment by segment, as the guest would see it. */
static void
complete(struct vu_dev *dev, struct vu_fuse_req *r, uint32_t len)
{
	unsigned int i;
	size_t off = 0;

	static uint64_t order;

	r->used_len = len;
	r->done = 1;
	r->done_order = ++order;
	if (r->outcap > 0 && (r->out = malloc(r->outcap)) != NULL)
		for (i = r->nrd; i < r->nrd + r->nwr; i++) {
			vu_mem_read(&dev->mem, r->segs[i].gpa, r->out + off, r->segs[i].len);
			off += r->segs[i].len;
		}
	if (r->outcap > 0 && !dev->opts.no_overrun_check)
		r->overrun = overrun(dev, r);
	release_mem(dev, r);
}

int
vu_fuse_wait(struct vu_dev *dev, struct vu_fuse_req *r, int timeout_ms)
{
	struct vu_ring *ring = vu_dev_ring(dev, r->queue);
	void *cookie;
	uint32_t len;
	int got;

	while (!r->done) {
		got = vu_ring_get_used(ring, &dev->mem, &cookie, &len);
		if (got < 0) {
			snprintf(dev->err, sizeof(dev->err), "used entry with a bad id");
			return -1;
		}
		if (got > 0) {
			complete(dev, cookie, len);
			continue;
		}
		if (!vu_ring_wait(ring, timeout_ms)) {
			/* one last look: the call may have been suppressed */
			if (((volatile struct vring_used *)ring->used)->idx != ring->last_used)
				continue;
			snprintf(dev->err, sizeof(dev->err), "no used entry within %d ms", timeout_ms);
			return 0;
		}
	}
	return 1;
}

int
vu_fuse_check(struct vu_dev *dev, const struct vu_fuse_req *r, const struct fuse_in_header *ih)
{
	struct fuse_out_header oh;

	if (r->used_len < sizeof(oh) || r->out == NULL) {
		snprintf(dev->err, sizeof(dev->err), "used len %u < out header", r->used_len);
		return VU_FUSE_BADREPLY;
	}
	memcpy(&oh, r->out, sizeof(oh));
	if (r->overrun) {
		snprintf(dev->err, sizeof(dev->err), "guest memory around the writable buffers "
		    "was written");
		return VU_FUSE_BADREPLY;
	}
	if (oh.len != r->used_len) {
		snprintf(dev->err, sizeof(dev->err), "out.len %u != used len %u", oh.len,
		    r->used_len);
		return VU_FUSE_BADREPLY;
	}
	if (oh.unique != ih->unique) {
		snprintf(dev->err, sizeof(dev->err), "unique %llu != %llu",
		    (unsigned long long)oh.unique, (unsigned long long)ih->unique);
		return VU_FUSE_BADREPLY;
	}
	if (oh.error > 0 || oh.error < -4095 || (oh.error != 0 && oh.len != sizeof(oh))) {
		snprintf(dev->err, sizeof(dev->err), "bad error %d with len %u", oh.error, oh.len);
		return VU_FUSE_BADREPLY;
	}
	if (oh.error != 0)
		snprintf(dev->err, sizeof(dev->err), "%s", strerror(-oh.error));
	return oh.error;
}

void
vu_fuse_req_free(struct vu_fuse_req *r)
{
	free(r->out);
	free(r->segs);
	r->out = NULL;
	r->segs = NULL;
}

void
vu_fuse_hdr(struct vu_dev *dev, struct fuse_in_header *h, uint32_t opcode, uint64_t nodeid,
    size_t inlen)
{
	memset(h, 0, sizeof(*h));
	h->len = (uint32_t)inlen;
	h->opcode = opcode;
	h->unique = dev->next_unique;
	dev->next_unique += 2;
	h->nodeid = nodeid;
	h->uid = 0;
	h->gid = 0;
	h->pid = 1;
}

int
vu_fuse_call_req(struct vu_dev *dev, struct vu_fuse_req *r)
{
	struct fuse_in_header ih;
	int w;

	if (r->inlen >= sizeof(ih))
		memcpy(&ih, r->in, sizeof(ih));
	else
		memset(&ih, 0, sizeof(ih));
	if (vu_fuse_submit(dev, r) == -1)
		return VU_FUSE_FAILED;
	vu_fuse_publish(dev, r->queue);
	w = vu_fuse_wait(dev, r, dev->opts.timeout_ms);
	if (w == 0)
		return VU_FUSE_TIMEOUT;
	if (w < 0)
		return VU_FUSE_BADREPLY;
	if (r->no_out)
		return 0;
	return vu_fuse_check(dev, r, &ih);
}

int
vu_fuse_call(struct vu_dev *dev, const void *in, size_t inlen, size_t out_args,
    size_t out_pages, void *out, size_t outcap, size_t *outlen)
{
	struct vu_fuse_req r;
	size_t n = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.queue = 1;
	r.in = in;
	r.inlen = inlen;
	r.out_args = out_args;
	r.out_pages = out_pages;
	rc = vu_fuse_call_req(dev, &r);
	if (rc == 0 && r.out != NULL) {
		n = r.used_len - sizeof(struct fuse_out_header);
		if (n > outcap)
			n = outcap;
		if (out != NULL)
			memcpy(out, r.out + sizeof(struct fuse_out_header), n);
	}
	if (outlen != NULL)
		*outlen = n;
	if (rc != VU_FUSE_TIMEOUT)	/* a timed-out request stays on the ring */
		vu_fuse_req_free(&r);
	return rc;
}

int
vu_fuse_raw(struct vu_dev *dev, unsigned int queue, const void *in, size_t inlen,
    size_t outcap, void *out, uint32_t *used_len)
{
	struct vu_fuse_req r;
	int w;

	memset(&r, 0, sizeof(r));
	r.queue = queue;
	r.in = in;
	r.inlen = inlen;
	r.layout = VU_LAYOUT_FLAT;
	if (outcap < sizeof(struct fuse_out_header))
		r.no_out = 1;
	else
		r.out_args = outcap - sizeof(struct fuse_out_header);
	if (vu_fuse_submit(dev, &r) == -1)
		return VU_FUSE_FAILED;
	vu_fuse_publish(dev, queue);
	w = vu_fuse_wait(dev, &r, dev->opts.timeout_ms);
	if (w == 0)
		return VU_FUSE_TIMEOUT;
	if (w < 0)
		return VU_FUSE_BADREPLY;
	*used_len = r.used_len;
	if (out != NULL && r.out != NULL)
		memcpy(out, r.out, r.outcap);
	vu_fuse_req_free(&r);
	return 0;
}

const char *
vu_fuse_strerror(int r)
{
	static char buf[64];

	switch (r) {
	case 0:
		return "ok";
	case VU_FUSE_TIMEOUT:
		return "no reply (timeout)";
	case VU_FUSE_BADREPLY:
		return "malformed reply";
	case VU_FUSE_FAILED:
		return "driver could not submit";
	}
	if (r < 0) {
		snprintf(buf, sizeof(buf), "error %d (%s)", -r, strerror(-r));
		return buf;
	}
	return "?";
}

const char *
vu_fuse_why(const struct vu_dev *dev, int r)
{
	static char buf[400];

	if (r <= 0)
		return vu_fuse_strerror(r);
	snprintf(buf, sizeof(buf), "%s (%s)", vu_fuse_strerror(r), dev->err);
	return buf;
}
