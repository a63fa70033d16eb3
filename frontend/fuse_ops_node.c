/*
 * Opcodes on nodes and names: LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK,
 * UNLINK, RMDIR, RENAME(2), LINK.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "fuse_priv.h"

/* BATCH_FORGET entries per worker message: well inside CHAN_MAX_PAYLOAD. */
#define FORGET_CHUNK	2048

int
fop_lookup(struct fuse_ctx *c)
{
	const char *name;
	int error;

	/* The only opcode where "." and ".." are names (EXPORT_SUPPORT). */
	if ((error = arg_name(c, &name, NAME_OK_DOTS)) != 0 || (error = arg_end(c)) != 0)
		return error;
	msg_put_str(fuse_msg_begin(), name);
	return fuse_msg_send(c, IMSG_FRONTEND_LOOKUP);
}

int
fop_forget(struct fuse_ctx *c)
{
	struct fuse_forget_in in;
	struct msg_forget f;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	memset(&f, 0, sizeof(f));
	f.nlookup = in.nlookup;
	msg_put(fuse_msg_begin(), &f, sizeof(f));
	fuse_msg_send_noreply(c, IMSG_FRONTEND_FORGET);
	return 0;
}

static void
forget_chunk(struct fuse_ctx *c, const uint8_t *p, uint32_t n)
{
	struct msg_writer *w = fuse_msg_begin();
	struct fuse_forget_one one;
	struct msg_forget_one f;
	uint32_t i;

	msg_put(w, &n, sizeof(n));
	for (i = 0; i < n; i++) {
		memcpy(&one, p + (size_t)i * sizeof(one), sizeof(one));
		memset(&f, 0, sizeof(f));
		f.nodeid = one.nodeid;
		f.nlookup = one.nlookup;
		msg_put(w, &f, sizeof(f));
	}
	fuse_msg_send_noreply(c, IMSG_FRONTEND_BATCH_FORGET);
}

int
fop_batch_forget(struct fuse_ctx *c)
{
	struct fuse_batch_forget_in in;
	uint64_t need;
	uint32_t n;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	/* 64-bit arithmetic: count * 16 cannot wrap. */
	need = (uint64_t)in.count * sizeof(struct fuse_forget_one);
	if (need != c->left)
		return EINVAL;
	while (in.count > 0) {
		n = in.count < FORGET_CHUNK ? in.count : FORGET_CHUNK;
		forget_chunk(c, c->arg, n);
		(void)arg_skip(c, (size_t)n * sizeof(struct fuse_forget_one));
		in.count -= n;
	}
	return 0;
}

int
fop_getattr(struct fuse_ctx *c)
{
	struct fuse_getattr_in in;
	struct msg_getattr g;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	memset(&g, 0, sizeof(g));
	if (in.getattr_flags & FUSE_GETATTR_FH) {
		g.flags = MSG_GETATTR_FH;
		g.fh = in.fh;
	}
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_GETATTR, &g, sizeof(g));
}

static int
setattr_time_ok(uint32_t valid, uint32_t set, uint32_t now, uint32_t nsec)
{
	return (valid & set) == 0 || (valid & now) || nsec < 1000000000u;
}

int
fop_setattr(struct fuse_ctx *c)
{
	struct fuse_setattr_in in;
	struct msg_setattr s;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0)
		return error;
	memset(&s, 0, sizeof(s));
	log_debug("fuse: SETATTR valid %#x mode %#o", in.valid, in.mode);
	s.valid = fuse_setattr_valid(in.valid);
	/* "Now" implies the time is being set, whatever the guest put beside it. */
	if (s.valid & SETATTR_ATIME_NOW)
		s.valid |= SETATTR_ATIME;
	if (s.valid & SETATTR_MTIME_NOW)
		s.valid |= SETATTR_MTIME;
	if (!setattr_time_ok(s.valid, SETATTR_ATIME, SETATTR_ATIME_NOW, in.atimensec) ||
	    !setattr_time_ok(s.valid, SETATTR_MTIME, SETATTR_MTIME_NOW, in.mtimensec) ||
	    !setattr_time_ok(s.valid, SETATTR_CTIME, 0, in.ctimensec))
		return EINVAL;
	if ((s.valid & SETATTR_SIZE) && in.size > INT64_MAX)
		return EINVAL;
	s.mode = in.mode;
	s.uid = in.uid;
	s.gid = in.gid;
	s.fh = in.fh;
	s.size = in.size;
	s.atime = (int64_t)in.atime;
	s.mtime = (int64_t)in.mtime;
	s.ctime = (int64_t)in.ctime;
	s.atimensec = in.atimensec;
	s.mtimensec = in.mtimensec;
	s.ctimensec = in.ctimensec;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_SETATTR, &s, sizeof(s));
}

int
fop_readlink(struct fuse_ctx *c)
{
	int error;

	if ((error = arg_end(c)) != 0)
		return error;
	(void)fuse_msg_begin();
	return fuse_msg_send(c, IMSG_FRONTEND_READLINK);
}

static int
name_op(struct fuse_ctx *c, uint32_t type)
{
	const char *name;
	int error;

	if ((error = arg_name(c, &name, 0)) != 0 || (error = arg_end(c)) != 0)
		return error;
	msg_put_str(fuse_msg_begin(), name);
	return fuse_msg_send(c, type);
}

int
fop_unlink(struct fuse_ctx *c)
{
	return name_op(c, IMSG_FRONTEND_UNLINK);
}

int
fop_rmdir(struct fuse_ctx *c)
{
	return name_op(c, IMSG_FRONTEND_RMDIR);
}

static int
rename_common(struct fuse_ctx *c, uint64_t newdir, uint32_t flags)
{
	struct msg_writer *w;
	struct msg_rename r;
	const char *oldname, *newname;
	int error;

	if ((error = arg_name(c, &oldname, 0)) != 0 ||
	    (error = arg_name(c, &newname, 0)) != 0 || (error = arg_end(c)) != 0)
		return error;
	memset(&r, 0, sizeof(r));
	r.newdir = newdir;
	r.flags = flags;
	w = fuse_msg_begin();
	msg_put(w, &r, sizeof(r));
	msg_put_str(w, oldname);
	msg_put_str(w, newname);
	return fuse_msg_send(c, IMSG_FRONTEND_RENAME);
}

int
fop_rename(struct fuse_ctx *c)
{
	struct fuse_rename_in in;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	return rename_common(c, in.newdir, 0);
}

int
fop_rename2(struct fuse_ctx *c)
{
	/* RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT (linux/fs.h) */
	const uint32_t known = 0x1 | 0x2 | 0x4;
	struct fuse_rename2_in in;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	if (in.flags & ~known)
		return EINVAL;
	return rename_common(c, in.newdir, in.flags);
}

int
fop_link(struct fuse_ctx *c)
{
	struct fuse_link_in in;
	struct msg_writer *w;
	struct msg_link l;
	const char *name;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0 ||
	    (error = arg_name(c, &name, 0)) != 0 || (error = arg_end(c)) != 0)
		return error;
	memset(&l, 0, sizeof(l));
	l.oldnodeid = in.oldnodeid;
	w = fuse_msg_begin();
	msg_put(w, &l, sizeof(l));
	msg_put_str(w, name);
	/* msg_req.nodeid is the new parent: the header's nodeid. */
	return fuse_msg_send(c, IMSG_FRONTEND_LINK);
}
