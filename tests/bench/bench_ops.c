/*
 * The few requests the workloads need, with the arguments Linux 6.1 sends.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "bench.h"

void
fill_name(struct bench_slot *s, const char *name, size_t *arglen)
{
	size_t n = strlen(name) + 1;

	memcpy(slot_args(s), name, n);
	*arglen = n;
}

void
fill_rw(struct bench_slot *s, uint64_t fh, uint64_t off, uint32_t size)
{
	/* fuse_read_in and fuse_write_in share fh, offset, size */
	struct fuse_read_in *r = slot_args(s);

	memset(r, 0, sizeof(*r));
	r->fh = fh;
	r->offset = off;
	r->size = size;
}

int
op_lookup(struct bench *b, uint64_t parent, const char *name, uint64_t *nodeid)
{
	struct fuse_entry_out e;
	size_t len;
	int r;

	fill_name(&b->slot[0], name, &len);
	r = bench_call(b, FUSE_LOOKUP, parent, len, 0, sizeof(e), 0);
	if (r == 0) {
		memcpy(&e, slot_reply(&b->slot[0]), sizeof(e));
		*nodeid = e.nodeid;
	}
	return r;
}

int
op_getattr(struct bench *b, uint64_t nodeid)
{
	struct fuse_getattr_in *g = slot_args(&b->slot[0]);

	memset(g, 0, sizeof(*g));
	return bench_call(b, FUSE_GETATTR, nodeid, sizeof(*g), 0, sizeof(struct fuse_attr_out), 0);
}

int
op_open(struct bench *b, uint64_t nodeid, uint32_t flags, int dir, uint64_t *fh)
{
	struct fuse_open_in *o = slot_args(&b->slot[0]);
	struct fuse_open_out oo;
	int r;

	memset(o, 0, sizeof(*o));
	o->flags = flags;
	r = bench_call(b, dir ? FUSE_OPENDIR : FUSE_OPEN, nodeid, sizeof(*o), 0, sizeof(oo), 0);
	if (r == 0) {
		memcpy(&oo, slot_reply(&b->slot[0]), sizeof(oo));
		*fh = oo.fh;
	}
	return r;
}

int
op_release(struct bench *b, uint64_t nodeid, uint64_t fh, int dir)
{
	struct fuse_release_in *rl = slot_args(&b->slot[0]);

	memset(rl, 0, sizeof(*rl));
	rl->fh = fh;
	rl->flags = dir ? O_DIRECTORY : O_RDWR;
	return bench_call(b, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, nodeid, sizeof(*rl), 0, 0, 0);
}

int
op_create(struct bench *b, uint64_t parent, const char *name, uint64_t *nodeid, uint64_t *fh)
{
	struct bench_slot *s = &b->slot[0];
	struct fuse_create_in *c = slot_args(s);
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	size_t n = strlen(name) + 1;
	int r;

	memset(c, 0, sizeof(*c));
	c->flags = O_RDWR | O_CREAT | O_EXCL;
	c->mode = 0100644;
	c->umask = 022;
	memcpy((uint8_t *)slot_args(s) + sizeof(*c), name, n);
	r = bench_call(b, FUSE_CREATE, parent, sizeof(*c) + n, 0, sizeof(e) + sizeof(oo), 0);
	if (r == 0) {
		memcpy(&e, slot_reply(s), sizeof(e));
		memcpy(&oo, (uint8_t *)slot_reply(s) + sizeof(e), sizeof(oo));
		*nodeid = e.nodeid;
		*fh = oo.fh;
	}
	return r;
}

int
op_unlink(struct bench *b, uint64_t parent, const char *name)
{
	size_t len;

	fill_name(&b->slot[0], name, &len);
	return bench_call(b, FUSE_UNLINK, parent, len, 0, 0, 0);
}
