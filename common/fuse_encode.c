/*
 * FUSE reply records (fuse_encode.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "fuse_encode.h"
#include "msg_reader.h"
#include "names.h"

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

/* The fuse_dirent part of a record at p (zeroed by the caller), then the name. */
static void
dirent_put(uint8_t *p, const struct msg_dirent *d, const char *name)
{
	struct fuse_dirent fd;

	explicit_bzero(&fd, sizeof(fd));
	fd.ino = d->ino;
	fd.off = d->off;
	fd.namelen = d->namelen;
	fd.type = d->type;
	memcpy(p, &fd, FUSE_NAME_OFFSET);
	memcpy(p + FUSE_NAME_OFFSET, name, d->namelen);
}

/* One record at out + off; returns its size, 0 when malformed or when it does not fit. */
static uint32_t
dirent_one(struct msg_reader *r, const struct fuse_dirents_enc *how, uint8_t *out,
    uint32_t off)
{
	struct fuse_entry_out	eo;
	struct msg_dirent	d;
	struct msg_entry	e;
	char			name[NAME_MAX + 1];
	uint32_t		rec;
	uint8_t			*p;

	if (msg_get(r, &d, sizeof(d)) == -1 ||
	    (how->plus && msg_get(r, &e, sizeof(e)) == -1))
		return 0;
	if (d.namelen == 0 || d.namelen > NAME_MAX || msg_get(r, name, d.namelen) == -1)
		return 0;
	/* Names come from the host: still one component each, as Linux insists. */
	if (name_check(name, d.namelen, NAME_OK_DOTS) != 0)
		return 0;
	rec = msg_dirent_size(d.namelen, how->plus);
	if (rec > how->size - off)
		return 0;
	p = out + off;
	explicit_bzero(p, rec);
	if (how->plus) {
		fuse_encode_entry(&eo, &e, how->timeout, how->attr_flags);
		memcpy(p, &eo, sizeof(eo));
		p += sizeof(eo);
	}
	dirent_put(p, &d, name);
	return rec;
}

int
fuse_encode_dirents(uint8_t *out, const struct fuse_dirents_enc *how,
    struct msg_reader *r, uint32_t *len)
{
	struct msg_dirents	h;
	uint32_t		i, off = 0, rec;

	if (msg_get(r, &h, sizeof(h)) == -1)
		return -1;
	for (i = 0; i < h.count; i++) {
		if ((rec = dirent_one(r, how, out, off)) == 0)
			return -1;
		off += rec;
	}
	if (msg_end(r) == -1)
		return -1;
	*len = off;
	return 0;
}
