/*
 * The remaining opcodes: locks (GETLK, SETLK, SETLKW), ACCESS, FALLOCATE, LSEEK,
 * COPY_FILE_RANGE, SYNCFS, and the DAX window (SETUPMAPPING, REMOVEMAPPING).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "fuse_priv.h"

static int
lock_common(struct fuse_ctx *c, uint32_t type, uint32_t sleep)
{
	struct fuse_lk_in in;
	struct msg_lock l;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.lk.type != F_RDLCK && in.lk.type != F_WRLCK && in.lk.type != F_UNLCK)
		return EINVAL;
	if (in.lk.start > in.lk.end || in.lk.end > INT64_MAX)
		return EINVAL;
	memset(&l, 0, sizeof(l));
	l.fh = in.fh;
	l.owner = in.owner;
	l.start = in.lk.start;
	l.end = in.lk.end;
	l.type = in.lk.type;
	l.pid = in.lk.pid;
	l.flock = (in.lk_flags & FUSE_LK_FLOCK) ? 1 : 0;
	l.sleep = sleep;
	return fuse_msg_send_fixed(c, type, &l, sizeof(l));
}

int
fop_getlk(struct fuse_ctx *c)
{
	return lock_common(c, IMSG_FRONTEND_GETLK, 0);
}

int
fop_setlk(struct fuse_ctx *c)
{
	return lock_common(c, IMSG_FRONTEND_SETLK, 0);
}

int
fop_setlkw(struct fuse_ctx *c)
{
	return lock_common(c, IMSG_FRONTEND_SETLK, 1);
}

int
fop_access(struct fuse_ctx *c)
{
	struct fuse_access_in in;
	struct msg_access a;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.mask & ~(uint32_t)(R_OK | W_OK | X_OK))
		return EINVAL;
	memset(&a, 0, sizeof(a));
	a.mask = in.mask;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_ACCESS, &a, sizeof(a));
}

int
fop_fallocate(struct fuse_ctx *c)
{
	/* What Linux's fuse passes on; the rest it refuses itself. */
	const uint32_t modes = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_ZERO_RANGE;
	struct fuse_fallocate_in in;
	struct msg_fallocate f;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.mode & ~modes)
		return EOPNOTSUPP;
	if (in.offset > INT64_MAX || in.length == 0 || in.length > INT64_MAX)
		return EINVAL;
	if (in.offset + in.length > (uint64_t)INT64_MAX)
		return EFBIG;
	memset(&f, 0, sizeof(f));
	f.fh = in.fh;
	f.offset = in.offset;
	f.length = in.length;
	f.mode = in.mode;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_FALLOCATE, &f, sizeof(f));
}

int
fop_lseek(struct fuse_ctx *c)
{
	struct fuse_lseek_in in;
	struct msg_lseek l;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	/*
	 * Linux asks only for SEEK_DATA/SEEK_HOLE; the others are harmless. The offset is
	 * signed: a negative one is the host kernel's to judge (SEEK_DATA says ENXIO).
	 */
	if (in.whence > SEEK_HOLE)
		return EINVAL;
	memset(&l, 0, sizeof(l));
	l.fh = in.fh;
	l.offset = in.offset;
	l.whence = in.whence;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_LSEEK, &l, sizeof(l));
}

int
fop_copy_file_range(struct fuse_ctx *c)
{
	struct fuse_copy_file_range_in in;
	struct msg_copy_range r;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.flags != 0)
		return EINVAL;
	if (in.off_in > INT64_MAX || in.off_out > INT64_MAX)
		return EINVAL;
	memset(&r, 0, sizeof(r));
	r.fh_in = in.fh_in;
	r.off_in = in.off_in;
	r.nodeid_out = in.nodeid_out;
	r.fh_out = in.fh_out;
	r.off_out = in.off_out;
	/* The reply counts in 32 bits: ask for no more (a short copy is allowed). */
	r.len = in.len > (UINT32_MAX & ~4095u) ? (UINT32_MAX & ~4095u) : in.len;
	c->size = (uint32_t)r.len;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_COPY_FILE_RANGE, &r, sizeof(r));
}

int
fop_syncfs(struct fuse_ctx *c)
{
	struct fuse_syncfs_in in;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	(void)fuse_msg_begin();
	return fuse_msg_send(c, IMSG_FRONTEND_SYNCFS);
}

/* A range of the DAX window: on the granule, not empty, inside, not wrapping. */
static int
window_range_ok(uint64_t off, uint64_t len)
{
	uint64_t window = fuse_sess.dax_window;

	return len != 0 && off % DAX_ALIGN == 0 && len % DAX_ALIGN == 0 &&
	    off <= window && len <= window - off;
}

/*
 * Both mapping requests are detached (vq_detach()): QEMU changes the memory table while
 * it maps or unmaps (the window's pieces are guest memory to it) and waits for us to
 * take the change, so a memory change must not wait for them in turn.
 *
 * Only with a window the VMM maps for us. The file range must be on the granule too and
 * stay within what a file offset can be; a mapping is always readable (Linux asks READ,
 * and READ|WRITE to write). Whether the node or handle may be mapped so is the worker's.
 */
int
fop_setupmapping(struct fuse_ctx *c)
{
	const uint64_t known = FUSE_SETUPMAPPING_FLAG_WRITE | FUSE_SETUPMAPPING_FLAG_READ;
	struct fuse_setupmapping_in in;
	struct msg_setupmapping m;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (fuse_sess.dax_window == 0)
		return EOPNOTSUPP;
	if ((in.flags & ~known) != 0 || !(in.flags & FUSE_SETUPMAPPING_FLAG_READ) ||
	    !window_range_ok(in.moffset, in.len) || in.foffset % DAX_ALIGN != 0 ||
	    in.foffset > (uint64_t)INT64_MAX - in.len)
		return EINVAL;
	memset(&m, 0, sizeof(m));
	m.fh = in.fh;
	m.foffset = in.foffset;
	m.len = in.len;
	m.moffset = in.moffset;
	m.flags = (uint32_t)in.flags;
	c->detach = 1;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_SETUPMAPPING, &m, sizeof(m));
}

int
fop_removemapping(struct fuse_ctx *c)
{
	/* Linux sends at most a page of entries (FUSE_REMOVEMAPPING_MAX_ENTRY). */
	const uint32_t max = 4096 / sizeof(struct fuse_removemapping_one);
	struct fuse_removemapping_in in;
	struct fuse_removemapping_one one;
	struct msg_dax_range r;
	struct msg_writer *w;
	uint32_t i;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	if (fuse_sess.dax_window == 0)
		return EOPNOTSUPP;
	/* The entries follow the 4-byte count unaligned: copied one by one. */
	if (in.count == 0 || in.count > max ||
	    (uint64_t)in.count * sizeof(one) != c->left)
		return EINVAL;
	w = fuse_msg_begin();
	msg_put(w, &in.count, sizeof(in.count));
	for (i = 0; i < in.count; i++) {
		(void)arg_fixed(c, &one, sizeof(one));
		if (!window_range_ok(one.moffset, one.len))
			return EINVAL;
		memset(&r, 0, sizeof(r));
		r.window_offset = one.moffset;
		r.len = one.len;
		msg_put(w, &r, sizeof(r));
	}
	c->detach = 1;
	return fuse_msg_send(c, IMSG_FRONTEND_REMOVEMAPPING);
}
