/*
 * Copies between the FUSE layer's buffers and a request's buffer pieces (the readable
 * ones, then the writable ones), which vq_chain_walk() has already checked to lie in
 * guest memory. Nothing here looks at guest memory mappings, so the FUSE unit test links
 * this file as it is.
 */
#include "config.h"

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "virtq.h"

static size_t
copy_segs(const struct vq_seg *seg, uint32_t nseg, size_t skip, uint8_t *buf, size_t len,
    int to_guest)
{
	size_t done = 0, n;
	uint32_t i;

	for (i = 0; i < nseg && done < len; i++) {
		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		n = seg[i].len - skip;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy(seg[i].host + skip, buf + done, n);
		else
			memcpy(buf + done, seg[i].host + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

size_t
vq_copy_from_req(const struct vq_req *req, size_t from, void *dst, size_t len)
{
	return copy_segs(req->seg, req->nrd, from, dst, len, 0);
}

size_t
vq_copy_to_req(struct vq_req *req, size_t to, const void *src, size_t len)
{
	if (!vq_req_live(req))
		return 0;
	return copy_segs(req->seg + req->nrd, req->nwr, to, (uint8_t *)(uintptr_t)src,
	    len, 1);
}
