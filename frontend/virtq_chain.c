/*
 * Descriptor chains of split virtqueues: the parser that turns what a guest put in the
 * descriptor table into a checked list of buffer pieces. Every descriptor is copied into
 * private memory before it is looked at (an indirect table whole, even when it spans
 * regions); the descriptor rules of doc/wire.md section 4 are checked here. The copies
 * over a parsed chain's pieces are in virtq_copy.c.
 */
#include <sys/types.h>

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "msg.h"
#include "virtq.h"
#include "virtq_chain.h"
#include "vhost_user.h"
#include "guest_mem.h"

static const char *
chain_add(struct vq_chain *c, uint64_t addr, uint32_t len, int writable)
{
	struct gm_piece p;
	uint64_t end, left = len;

	if (writable)
		c->seen_write = 1;
	else if (c->seen_write)
		return "readable descriptor after a writable one";
	if (len == 0)
		return NULL;	/* nothing to read or write */
	if (__builtin_add_overflow(addr, (uint64_t)len, &end))
		return "buffer wraps around the address space";
	if (writable)
		c->wr_len += len;
	else
		c->rd_len += len;
	if (c->rd_len > UINT32_MAX || c->wr_len > UINT32_MAX)
		return "chain holds more than 4 GiB";
	while (left > 0) {
		if (gm_gpa(addr, left, &p) == -1)
			return "buffer outside guest memory";
		if (c->nseg == MSG_MAX_IOV)
			return "too many buffer pieces";
		c->seg[c->nseg].host = p.host;
		c->seg[c->nseg].gpa = addr;
		c->seg[c->nseg].offset = p.offset;
		c->seg[c->nseg].slot = p.slot;
		c->seg[c->nseg].len = (uint32_t)p.len;
		c->nseg++;
		if (!writable)
			c->nrd++;
		addr += p.len;
		left -= p.len;
	}
	return NULL;
}

/* Copy an indirect table (it may span regions) into vq->itab. */
static const char *
indirect_load(const struct vq_ring_view *vq, const struct vring_desc *d, uint32_t *count)
{
	uint64_t addr = le64toh(d->addr), left = le32toh(d->len), done = 0;
	struct gm_piece p;

	if (!vq->indirect)
		return "indirect descriptor not negotiated";
	if (le16toh(d->flags) & VRING_DESC_F_NEXT)
		return "indirect descriptor with NEXT";
	if (left == 0 || left % sizeof(struct vring_desc) != 0 ||
	    left > (uint64_t)VQ_ITAB_MAX(vq->num) * sizeof(struct vring_desc))
		return "indirect table length not a multiple of 16 in 16..16 * max(size, 1024)";
	if (addr + left < addr)
		return "indirect table wraps around the address space";
	while (left > 0) {
		if (gm_gpa(addr + done, left, &p) == -1)
			return "indirect table outside guest memory";
		memcpy((uint8_t *)vq->itab + done, p.host, p.len);
		done += p.len;
		left -= p.len;
	}
	*count = (uint32_t)(done / sizeof(struct vring_desc));
	return NULL;
}

const char *
vq_chain_walk(const struct vq_ring_view *vq, uint16_t head, struct vq_chain *c)
{
	struct vring_desc d;
	const char *err;
	uint32_t i = head, tsize = vq->num, count = 0;
	int indirect = 0;
	uint16_t flags;

	c->nseg = c->nrd = 0;
	c->rd_len = c->wr_len = 0;
	c->seen_write = 0;
	for (;;) {
		if (++count > tsize)
			return "descriptor loop or chain longer than its table";
		if (indirect)
			d = vq->itab[i];
		else
			memcpy(&d, vq->desc + 16 * (size_t)i, sizeof(d));
		flags = le16toh(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				return "nested indirect table";
			if (count != 1)
				return "indirect descriptor inside a chain";
			if ((err = indirect_load(vq, &d, &tsize)) != NULL)
				return err;
			indirect = 1;
			i = 0;
			count = 0;
			continue;
		}
		err = chain_add(c, le64toh(d.addr), le32toh(d.len),
		    (flags & VRING_DESC_F_WRITE) != 0);
		if (err != NULL)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			return NULL;
		i = le16toh(d.next);
		if (i >= tsize)
			return "next index out of range";
	}
}
