/*
 * FUSE reply records (fuse_encode.h).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuse_encode.h"

int
fuse_encode_errno(int error)
{
	return (error > 0 && error < 512) ? error : EIO;
}

void
fuse_encode_attr(struct fuse_attr *a, const struct msg_attr *m, uint32_t attr_flags)
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
	if (m->flags & ATTR_SUBMOUNT)
		a->flags |= FUSE_ATTR_SUBMOUNT & attr_flags;
	if (m->flags & ATTR_DAX)
		a->flags |= FUSE_ATTR_DAX & attr_flags;
}

void
fuse_encode_entry(struct fuse_entry_out *out, const struct msg_entry *e, uint64_t timeout,
    uint32_t attr_flags)
{
	explicit_bzero(out, sizeof(*out));
	out->nodeid = e->nodeid;
	out->generation = e->generation;
	out->entry_valid = timeout;
	out->attr_valid = timeout;
	fuse_encode_attr(&out->attr, &e->attr, attr_flags);
}
