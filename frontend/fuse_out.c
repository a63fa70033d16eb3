/*
 * What goes into the writable part of a chain: the FUSE out header, error replies, and the
 * attribute and entry records that several replies share. Every FUSE struct is zeroed
 * before it is filled, so no padding or stale byte reaches the guest, and out.len is
 * exactly what was written.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "msg.h"
#include "fuse_encode.h"
#include "virtq.h"
#include "fuse_priv.h"

void
fuse_reply_error(struct vq_req *req, uint64_t unique, int error)
{
	struct fuse_out_header oh;

	if (req->wr_len < FUSE_OUT_HDR) {
		vq_complete(req, 0);
		return;
	}
	explicit_bzero(&oh, sizeof(oh));
	oh.len = FUSE_OUT_HDR;
	oh.error = -fuse_encode_errno(error);
	oh.unique = unique;
	if (vq_copy_to_req(req, 0, &oh, sizeof(oh)) != sizeof(oh)) {
		vq_complete(req, 0);
		return;
	}
	vq_complete(req, FUSE_OUT_HDR);
}

int
fuse_reply_write(struct vq_req *req, uint64_t unique, const void *payload, uint32_t len)
{
	struct fuse_out_header oh;

	if ((uint64_t)FUSE_OUT_HDR + len > req->wr_len)
		return -1;
	explicit_bzero(&oh, sizeof(oh));
	oh.len = FUSE_OUT_HDR + len;
	oh.unique = unique;
	if (vq_copy_to_req(req, 0, &oh, sizeof(oh)) != sizeof(oh))
		return -1;
	if (payload != NULL && len > 0 &&
	    vq_copy_to_req(req, FUSE_OUT_HDR, payload, len) != len)
		return -1;
	return 0;
}

uint32_t
fuse_attr_flags(void)
{
	uint32_t f = 0;

	if (fuse_sess.flags & FUSE_SUBMOUNTS)
		f |= FUSE_ATTR_SUBMOUNT;
	if (fuse_sess.flags & FUSE_HAS_INODE_DAX)
		f |= FUSE_ATTR_DAX;
	return f;
}

void
fuse_fill_attr(struct fuse_attr *a, const struct msg_attr *m)
{
	fuse_encode_attr(a, m, fuse_attr_flags());
}

void
fuse_fill_entry(struct fuse_entry_out *out, const struct msg_entry *e)
{
	fuse_encode_entry(out, e, fuse_cache_timeout(), fuse_attr_flags());
}
