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
#include "virtq.h"
#include "fuse_priv.h"

/* Linux returns errors below ERESTARTSYS (512) to user space; anything else is EIO. */
static int
fuse_errno(int error)
{
	return (error > 0 && error < 512) ? error : EIO;
}

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
	oh.error = -fuse_errno(error);
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

void
fuse_fill_attr(struct fuse_attr *a, const struct msg_attr *m)
{
	explicit_bzero(a, sizeof(*a));
	a->ino = m->ino;
	a->size = m->size;
	a->blocks = m->blocks;
	a->atime = (uint64_t)m->atime;
	a->mtime = (uint64_t)m->mtime;
	a->ctime = (uint64_t)m->ctime;
	a->atimensec = m->atimensec;
	a->mtimensec = m->mtimensec;
	a->ctimensec = m->ctimensec;
	a->mode = m->mode;
	a->nlink = m->nlink;
	a->uid = m->uid;
	a->gid = m->gid;
	a->rdev = m->rdev;
	a->blksize = m->blksize;
	if ((m->flags & ATTR_SUBMOUNT) && (fuse_sess.flags & FUSE_SUBMOUNTS))
		a->flags |= FUSE_ATTR_SUBMOUNT;
	if ((m->flags & ATTR_DAX) && (fuse_sess.flags & FUSE_HAS_INODE_DAX))
		a->flags |= FUSE_ATTR_DAX;
}

void
fuse_fill_entry(struct fuse_entry_out *out, const struct msg_entry *e)
{
	explicit_bzero(out, sizeof(*out));
	out->nodeid = e->nodeid;
	out->generation = e->generation;
	out->entry_valid = fuse_cache_timeout();
	out->attr_valid = fuse_cache_timeout();
	fuse_fill_attr(&out->attr, &e->attr);
}
