/*
 * libFuzzer target: the descriptor-chain walker (frontend/virtq_chain.c) over a fuzzed
 * guest. Guest memory is two regions (their split and placement from the input) holding
 * the rest of the input; the descriptor table is the start of the first region. The
 * stub gm_gpa() translates as guest_mem.c does: a piece clipped at its region's end.
 *
 * Input layout: u16 ring size (1..256 used), u16 head, u8 flags (bit 0: indirect
 * descriptors negotiated), u16 size of region 0, u8 gap (in 4 KiB) before region 1, then
 * the guest memory image (regions 0 and 1 back to back, zero-filled to 64 KiB).
 *
 * Checked after every walk: the pieces lie inside the regions, add up to rd_len + wr_len,
 * and the readable ones come first.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "msg.h"
#include "virtq.h"
#include "virtq_chain.h"
#include "guest_mem.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MEMSIZE	65536

static uint8_t		*mem;		/* MEMSIZE bytes, allocated alone so ASan sees its ends */
static struct {
	uint64_t	gpa;
	uint64_t	size;
	uint64_t	memoff;		/* where the region starts in mem */
} region[2];

int
gm_gpa(uint64_t gpa, uint64_t len, struct gm_piece *p)
{
	int i;

	if (len == 0) {
		fprintf(stderr, "gm_gpa: zero length\n");
		abort();
	}
	for (i = 0; i < 2; i++) {
		if (gpa < region[i].gpa || gpa - region[i].gpa >= region[i].size)
			continue;
		p->host = mem + region[i].memoff + (gpa - region[i].gpa);
		p->offset = gpa - region[i].gpa;
		p->slot = (uint32_t)i;
		p->len = region[i].size - (gpa - region[i].gpa);
		if (p->len > len)
			p->len = len;
		return 0;
	}
	return -1;
}

static void
check(const struct vq_chain *c)
{
	uint64_t rd = 0, wr = 0;
	const struct vq_seg *s;
	uint32_t i;

	if (c->nrd > c->nseg || c->nseg > MSG_MAX_IOV)
		abort();
	for (i = 0; i < c->nseg; i++) {
		s = &c->seg[i];
		if (s->slot > 1 || s->len == 0 ||
		    s->host < mem + region[s->slot].memoff ||
		    s->host + s->len > mem + region[s->slot].memoff + region[s->slot].size) {
			fprintf(stderr, "piece %u outside its region\n", i);
			abort();
		}
		if (i < c->nrd)
			rd += s->len;
		else
			wr += s->len;
	}
	if (rd != c->rd_len || wr != c->wr_len || rd > UINT32_MAX || wr > UINT32_MAX) {
		fprintf(stderr, "pieces add up to %llu + %llu, chain says %llu + %llu\n",
		    (unsigned long long)rd, (unsigned long long)wr,
		    (unsigned long long)c->rd_len, (unsigned long long)c->wr_len);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_seg seg[MSG_MAX_IOV];
	static struct vring_desc *itab;
	struct vq_ring_view v;
	struct vq_chain c;
	uint16_t num, head, r0;
	uint8_t flags, gap;
	const char *err;

	if (size < 8)
		return 0;
	if (mem == NULL) {
		mem = malloc(MEMSIZE);
		itab = malloc(256 * sizeof(*itab));
		if (mem == NULL || itab == NULL)
			abort();
	}
	memcpy(&num, data, 2);
	memcpy(&head, data + 2, 2);
	flags = data[4];
	memcpy(&r0, data + 5, 2);
	gap = data[7];
	data += 8;
	size -= 8;
	num = num % 256 + 1;
	memset(mem, 0, MEMSIZE);
	memcpy(mem, data, size < MEMSIZE ? size : MEMSIZE);
	/* The table must fit in region 0, as the ring code checks before walking. */
	region[0].gpa = 0;
	region[0].size = r0 % MEMSIZE;
	if (region[0].size < 16 * (uint64_t)num)
		region[0].size = 16 * (uint64_t)num;
	region[0].memoff = 0;
	region[1].gpa = region[0].size + 4096 * (uint64_t)gap;
	region[1].size = MEMSIZE - region[0].size;
	region[1].memoff = region[0].size;
	/* A region near the top of the address space, now and then. */
	if (gap == 0xff)
		region[1].gpa = UINT64_MAX - region[1].size + 1;

	memset(&v, 0, sizeof(v));
	v.desc = mem;
	v.num = num;
	v.indirect = flags & 1;
	v.itab = itab;
	memset(&c, 0, sizeof(c));
	c.seg = seg;
	err = vq_chain_walk(&v, (uint16_t)(head % num), &c);
	if (err == NULL)
		check(&c);
	return 0;
}
