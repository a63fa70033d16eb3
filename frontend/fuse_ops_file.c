/*
 * Opcodes on open files and directories: OPEN, OPENDIR, READ, WRITE, RELEASE(DIR), FLUSH,
 * FSYNC(DIR), READDIR(PLUS), STATFS.
 *
 * READ and WRITE data never enters this process: the worker gets the guest buffers as
 * struct msg_iov (slot, offset, length) and does preadv/pwritev on its own mapping.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "virtq.h"
#include "fuse_priv.h"

static int
open_common(struct fuse_ctx *c, uint32_t type, int is_dir)
{
	struct fuse_open_in in;
	struct msg_open o;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	memset(&o, 0, sizeof(o));
	if ((error = fuse_open_flags_in(in.flags, c->in.opcode, &o.flags)) != 0)
		return error;
	if ((in.open_flags & FUSE_OPEN_KILL_SUIDGID) &&
	    (fuse_sess.flags & FUSE_HANDLE_KILLPRIV_V2))
		o.open_flags |= OPEN_KILL_SUIDGID;
	msg_put(fuse_msg_begin(), &o, sizeof(o));
	c->aux = is_dir ? CALL_AUX_DIR : 0;
	return fuse_msg_send(c, type);
}

int
fop_open(struct fuse_ctx *c)
{
	return open_common(c, IMSG_FRONTEND_OPEN, 0);
}

int
fop_opendir(struct fuse_ctx *c)
{
	return open_common(c, IMSG_FRONTEND_OPENDIR, 1);
}

/*
 * The guest buffers [from, from + size) of the readable (write) or writable (read) part
 * as msg_iov, after struct msg_io. The split may fall inside a segment. A segment that
 * continues the last one in the same region extends it: a guest's pages are one
 * descriptor each, and where they lie end to end (as a large I/O buffer often does) the
 * worker gets one iovec instead of 256, and the request stays small enough for the
 * request ring (common/req_ring.h) instead of taking the socket.
 */
static int
put_iovs(struct msg_writer *w, const struct vq_req *req, int writable, uint64_t from,
    uint32_t size, uint32_t *niov)
{
	const struct vq_seg *seg = req->seg + (writable ? req->nrd : 0);
	uint32_t nseg = writable ? req->nwr : req->nrd;
	uint32_t i, n = 0, take;
	struct msg_iov iov, last;
	uint64_t skip = from;

	memset(&last, 0, sizeof(last));
	for (i = 0; i < nseg && size > 0; i++) {
		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		take = seg[i].len - (uint32_t)skip;
		if (take > size)
			take = size;
		memset(&iov, 0, sizeof(iov));
		iov.slot = seg[i].slot;
		iov.offset = seg[i].offset + skip;
		iov.len = take;
		size -= take;
		skip = 0;
		if (n > 0 && iov.slot == last.slot &&
		    iov.offset == last.offset + last.len) {
			/* size bounds the sum: MSG_MAX_IO, far below UINT32_MAX */
			last.len += iov.len;
			memcpy(w->buf + w->len - sizeof(last), &last, sizeof(last));
			continue;
		}
		if (++n > MSG_MAX_IOV)
			return EINVAL;
		msg_put(w, &iov, sizeof(iov));
		last = iov;
	}
	if (size != 0)
		return EINVAL;		/* checked by the caller: a bug */
	*niov = n;
	return 0;
}

/* Writes msg_io and its iovs; niov is patched in after the iovs are counted. */
static int
io_send(struct fuse_ctx *c, uint32_t type, struct msg_io *io, int writable, uint64_t from)
{
	struct msg_writer *w = fuse_msg_begin();
	size_t at = w->len;
	int error;

	msg_put(w, io, sizeof(*io));
	if ((error = put_iovs(w, c->req, writable, from, io->size, &io->niov)) != 0)
		return error;
	memcpy(w->buf + at, io, sizeof(*io));
	return fuse_msg_send(c, type);
}

int
fop_read(struct fuse_ctx *c)
{
	struct fuse_read_in in;
	struct msg_io io;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.size > MSG_MAX_IO || in.size > c->req->wr_len - FUSE_OUT_HDR)
		return EINVAL;
	if (in.offset > INT64_MAX)
		return EINVAL;
	memset(&io, 0, sizeof(io));
	io.fh = in.fh;
	io.offset = in.offset;
	io.size = in.size;
	c->size = in.size;
	/* Only the writable part after the out header carries data. */
	return io_send(c, IMSG_FRONTEND_READ, &io, 1, FUSE_OUT_HDR);
}

int
fop_write(struct fuse_ctx *c)
{
	struct fuse_write_in in;
	struct msg_io io;
	int error;

	/* Only the header and fuse_write_in were copied; c->left is exactly that. */
	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	if (in.size > MSG_MAX_IO ||
	    c->in.len != FUSE_IN_HDR + sizeof(in) + (uint64_t)in.size)
		return EINVAL;
	if (in.offset > INT64_MAX)
		return EINVAL;
	if (in.offset + in.size > (uint64_t)INT64_MAX)
		return EFBIG;
	memset(&io, 0, sizeof(io));
	io.fh = in.fh;
	io.offset = in.offset;
	io.size = in.size;
	if ((in.write_flags & FUSE_WRITE_KILL_SUIDGID) &&
	    (fuse_sess.flags & FUSE_HANDLE_KILLPRIV_V2))
		io.flags |= IO_KILL_SUIDGID;
	c->size = in.size;
	return io_send(c, IMSG_FRONTEND_WRITE, &io, 0, FUSE_IN_HDR + sizeof(in));
}

/* RELEASE, RELEASEDIR and FLUSH all name a handle and the lock owner it is closed for. */
static int
release_send(struct fuse_ctx *c, uint32_t type, uint64_t fh, uint64_t lock_owner,
    uint32_t flags)
{
	struct msg_release r;

	memset(&r, 0, sizeof(r));
	r.fh = fh;
	r.lock_owner = lock_owner;
	r.flags = flags;
	return fuse_msg_send_fixed(c, type, &r, sizeof(r));
}

static int
release_common(struct fuse_ctx *c, uint32_t type)
{
	struct fuse_release_in in;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	return release_send(c, type, in.fh, in.lock_owner,
	    (in.release_flags & FUSE_RELEASE_FLOCK_UNLOCK) ? 1 : 0);
}

int
fop_release(struct fuse_ctx *c)
{
	return release_common(c, IMSG_FRONTEND_RELEASE);
}

int
fop_releasedir(struct fuse_ctx *c)
{
	return release_common(c, IMSG_FRONTEND_RELEASEDIR);
}

int
fop_flush(struct fuse_ctx *c)
{
	struct fuse_flush_in in;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	return release_send(c, IMSG_FRONTEND_FLUSH, in.fh, in.lock_owner, 0);
}

static int
fsync_common(struct fuse_ctx *c, uint32_t type)
{
	struct fuse_fsync_in in;
	struct msg_fsync f;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	memset(&f, 0, sizeof(f));
	f.fh = in.fh;
	f.datasync = (in.fsync_flags & FUSE_FSYNC_FDATASYNC) ? 1 : 0;
	return fuse_msg_send_fixed(c, type, &f, sizeof(f));
}

int
fop_fsync(struct fuse_ctx *c)
{
	return fsync_common(c, IMSG_FRONTEND_FSYNC);
}

int
fop_fsyncdir(struct fuse_ctx *c)
{
	return fsync_common(c, IMSG_FRONTEND_FSYNCDIR);
}

int
fop_statfs(struct fuse_ctx *c)
{
	int error;

	if ((error = arg_end(c)) != 0)
		return error;
	(void)fuse_msg_begin();
	return fuse_msg_send(c, IMSG_FRONTEND_STATFS);
}

static int
readdir_common(struct fuse_ctx *c, int plus)
{
	struct fuse_read_in in;
	struct msg_readdir r;
	int error;

	if (plus && (fuse_sess.flags & FUSE_DO_READDIRPLUS) == 0)
		return ENOSYS;		/* not negotiated (--no-readdirplus) */
	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	if (in.size > MSG_MAX_READDIR || in.size > c->req->wr_len - FUSE_OUT_HDR)
		return EINVAL;
	memset(&r, 0, sizeof(r));
	r.fh = in.fh;
	r.offset = in.offset;
	r.size = in.size;
	r.plus = plus ? 1 : 0;
	msg_put(fuse_msg_begin(), &r, sizeof(r));
	c->size = in.size;
	c->aux = r.plus;
	return fuse_msg_send(c, IMSG_FRONTEND_READDIR);
}

int
fop_readdir(struct fuse_ctx *c)
{
	return readdir_common(c, 0);
}

int
fop_readdirplus(struct fuse_ctx *c)
{
	return readdir_common(c, 1);
}
