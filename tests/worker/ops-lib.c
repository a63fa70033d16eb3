/*
 * Typed requests for the tests of the worker's modifying operations.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"
#include "ops-lib.h"

uint32_t	t_uid, t_gid;

static struct wh_reply	rep;	/* one at a time: the tests are synchronous */

void
tb_init(struct tbody *b)
{
	memset(b, 0, sizeof(*b));
}

void
tb_put(struct tbody *b, const void *p, size_t len)
{
	if (len > sizeof(b->buf) - b->len)
		errx(1, "test body too long");
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void
tb_bytes(struct tbody *b, const void *p, uint32_t len)
{
	tb_put(b, &len, sizeof(len));
	tb_put(b, p, len);
}

void
tb_str(struct tbody *b, const char *s)
{
	tb_bytes(b, s, (uint32_t)strlen(s));
}

int
t_call(struct wh *w, uint32_t type, uint64_t nodeid, const struct tbody *b,
    struct wh_reply *r)
{
	uint64_t	id;

	id = wh_send_as(w, type, nodeid, t_uid, t_gid, b->buf, b->len);
	if (wh_recv(w, id, r, WH_TIMEOUT_MS) == -1)
		return -1;
	return r->error;
}

/* A call whose fixed reply struct is copied to out when it succeeded. */
static int
call_out(struct wh *w, uint32_t type, uint64_t nodeid, const struct tbody *b,
    uint32_t want, void *out, size_t outlen)
{
	int	err;

	if ((err = t_call(w, type, nodeid, b, &rep)) != 0)
		return err;
	if (rep.type != want || rep.len < outlen) {
		fprintf(stderr, "reply type %u len %zu, wanted %u len %zu\n", rep.type,
		    rep.len, want, outlen);
		return -1;
	}
	if (out != NULL)
		memcpy(out, rep.data, outlen);
	return 0;
}

/* A request whose body is one fixed struct. */
static int
call_fixed(struct wh *w, uint32_t type, uint64_t nodeid, const void *m, size_t len)
{
	struct tbody	b;

	tb_init(&b);
	tb_put(&b, m, len);
	return t_call(w, type, nodeid, &b, &rep);
}

int
t_session(struct wh *w, uint32_t flags)
{
	struct msg_session	s = { flags, MSG_MAX_IO };

	return call_fixed(w, IMSG_FRONTEND_SESSION_INIT, 0, &s, sizeof(s));
}

void
t_start(struct wh *w, const struct wh_opts *o, uint32_t session_flags)
{
	struct wh_opts	def;

	if (o == NULL) {
		wh_opts_default(&def);
		o = &def;
	}
	wh_start(w, o);
	WH_CHECK(t_session(w, session_flags) == 0);
}

static void
newnode(struct tbody *b, uint32_t mode, uint32_t rdev, uint32_t open_flags)
{
	struct msg_newnode	nn;

	memset(&nn, 0, sizeof(nn));
	nn.mode = mode;
	nn.umask = 022;
	nn.rdev = rdev;
	nn.open_flags = open_flags;
	tb_init(b);
	tb_put(b, &nn, sizeof(nn));
}

static int
created(struct wh *w, uint32_t type, uint64_t parent, struct tbody *b,
    struct msg_entry *e, uint64_t *fh)
{
	struct msg_opened	o;
	int			err;

	if ((err = call_out(w, type, parent, b, IMSG_WORKER_REPLY_CREATE, e,
	    sizeof(*e))) != 0)
		return err;
	memcpy(&o, rep.data + sizeof(*e), sizeof(o));
	*fh = o.fh;
	return 0;
}

int
t_create(struct wh *w, uint64_t parent, const char *name, uint32_t mode,
    uint32_t open_flags, struct msg_entry *e, uint64_t *fh)
{
	struct tbody	b;

	newnode(&b, mode, 0, open_flags);
	tb_str(&b, name);
	return created(w, IMSG_FRONTEND_CREATE, parent, &b, e, fh);
}

int
t_tmpfile(struct wh *w, uint64_t parent, uint32_t mode, uint32_t open_flags,
    struct msg_entry *e, uint64_t *fh)
{
	struct tbody	b;

	newnode(&b, mode, 0, open_flags);
	return created(w, IMSG_FRONTEND_TMPFILE, parent, &b, e, fh);
}

int
t_mknod(struct wh *w, uint64_t parent, const char *name, uint32_t mode, uint32_t rdev,
    struct msg_entry *e)
{
	struct tbody	b;

	newnode(&b, mode, rdev, 0);
	tb_str(&b, name);
	return call_out(w, IMSG_FRONTEND_MKNOD, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
t_mkdir(struct wh *w, uint64_t parent, const char *name, uint32_t mode,
    struct msg_entry *e)
{
	struct tbody	b;

	newnode(&b, mode, 0, 0);
	tb_str(&b, name);
	return call_out(w, IMSG_FRONTEND_MKDIR, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
t_symlink(struct wh *w, uint64_t parent, const char *name, const char *target,
    struct msg_entry *e)
{
	struct tbody	b;

	newnode(&b, 0777, 0, 0);
	tb_str(&b, name);
	tb_str(&b, target);
	return call_out(w, IMSG_FRONTEND_SYMLINK, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
t_link(struct wh *w, uint64_t node, uint64_t newparent, const char *name,
    struct msg_entry *e)
{
	struct tbody	b;
	struct msg_link	l = { node };

	tb_init(&b);
	tb_put(&b, &l, sizeof(l));
	tb_str(&b, name);
	return call_out(w, IMSG_FRONTEND_LINK, newparent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

static int
named(struct wh *w, uint32_t type, uint64_t parent, const char *name)
{
	struct tbody	b;

	tb_init(&b);
	tb_str(&b, name);
	return t_call(w, type, parent, &b, &rep);
}

int
t_unlink(struct wh *w, uint64_t parent, const char *name)
{
	return named(w, IMSG_FRONTEND_UNLINK, parent, name);
}

int
t_rmdir(struct wh *w, uint64_t parent, const char *name)
{
	return named(w, IMSG_FRONTEND_RMDIR, parent, name);
}

int
t_rename(struct wh *w, uint64_t olddir, const char *oldname, uint64_t newdir,
    const char *newname, uint32_t flags)
{
	struct tbody		b;
	struct msg_rename	m;

	memset(&m, 0, sizeof(m));
	m.newdir = newdir;
	m.flags = flags;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	tb_str(&b, oldname);
	tb_str(&b, newname);
	return t_call(w, IMSG_FRONTEND_RENAME, olddir, &b, &rep);
}

int
t_setattr(struct wh *w, uint64_t nodeid, const struct msg_setattr *s, struct msg_attr *a)
{
	struct tbody	b;

	tb_init(&b);
	tb_put(&b, s, sizeof(*s));
	return call_out(w, IMSG_FRONTEND_SETATTR, nodeid, &b, IMSG_WORKER_REPLY_ATTR, a,
	    a != NULL ? sizeof(*a) : 0);
}

int
t_access(struct wh *w, uint64_t nodeid, uint32_t mask)
{
	struct msg_access	m = { mask, 0 };

	return call_fixed(w, IMSG_FRONTEND_ACCESS, nodeid, &m, sizeof(m));
}

static int
count_reply(struct wh *w, uint32_t type, uint64_t nodeid, struct tbody *b,
    uint64_t *count)
{
	struct msg_count	c;
	int			err;

	if ((err = call_out(w, type, nodeid, b, IMSG_WORKER_REPLY_COUNT, &c,
	    sizeof(c))) != 0)
		return err;
	if (count != NULL)
		*count = c.count;
	return 0;
}

int
t_write(struct wh *w, uint64_t fh, uint64_t off, const void *data, uint32_t len,
    uint32_t flags, uint64_t *done)
{
	struct tbody	b;
	struct msg_io	io;
	struct msg_iov	v;

	memcpy(wh_guest(w, 0), data, len);
	memset(&io, 0, sizeof(io));
	io.fh = fh;
	io.offset = off;
	io.size = len;
	io.niov = len > 0 ? 1 : 0;
	io.flags = flags;
	tb_init(&b);
	tb_put(&b, &io, sizeof(io));
	if (len > 0) {
		v = wh_iov(w, 0, len);
		tb_put(&b, &v, sizeof(v));
	}
	return count_reply(w, IMSG_FRONTEND_WRITE, 0, &b, done);
}

int
t_flush(struct wh *w, uint64_t fh, uint64_t owner)
{
	struct msg_release	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.lock_owner = owner;
	return call_fixed(w, IMSG_FRONTEND_FLUSH, 0, &m, sizeof(m));
}

int
t_fsync(struct wh *w, uint32_t type, uint64_t fh, uint32_t datasync)
{
	struct msg_fsync	m = { fh, datasync, 0 };

	return call_fixed(w, type, 0, &m, sizeof(m));
}

int
t_syncfs(struct wh *w, uint64_t nodeid)
{
	struct tbody	b;

	tb_init(&b);
	return t_call(w, IMSG_FRONTEND_SYNCFS, nodeid, &b, &rep);
}

int
t_fallocate(struct wh *w, uint64_t fh, uint64_t off, uint64_t len, uint32_t mode)
{
	struct msg_fallocate	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.offset = off;
	m.length = len;
	m.mode = mode;
	return call_fixed(w, IMSG_FRONTEND_FALLOCATE, 0, &m, sizeof(m));
}

int
t_lseek(struct wh *w, uint64_t fh, uint64_t off, uint32_t whence, uint64_t *res)
{
	struct tbody		b;
	struct msg_lseek	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.offset = off;
	m.whence = whence;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	return count_reply(w, IMSG_FRONTEND_LSEEK, 0, &b, res);
}

int
t_copy(struct wh *w, uint64_t in_node, uint64_t fh_in, uint64_t off_in,
    uint64_t out_node, uint64_t fh_out, uint64_t off_out, uint64_t len, uint64_t *done)
{
	struct tbody		b;
	struct msg_copy_range	m;

	memset(&m, 0, sizeof(m));
	m.fh_in = fh_in;
	m.off_in = off_in;
	m.nodeid_out = out_node;
	m.fh_out = fh_out;
	m.off_out = off_out;
	m.len = len;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	return count_reply(w, IMSG_FRONTEND_COPY_FILE_RANGE, in_node, &b, done);
}

int
t_setxattr(struct wh *w, uint64_t nodeid, const char *name, const void *value,
    uint32_t size, uint32_t flags, uint32_t setxattr_flags)
{
	struct tbody		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	m.flags = flags;
	m.setxattr_flags = setxattr_flags;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	tb_str(&b, name);
	tb_bytes(&b, value, size);
	return t_call(w, IMSG_FRONTEND_SETXATTR, nodeid, &b, &rep);
}

/* A GET/LIST answer: a count for a probe, the bytes otherwise. */
static int
xattr_reply(struct wh *w, uint32_t type, uint64_t nodeid, struct tbody *b,
    uint32_t size, void *buf, uint64_t *count)
{
	int	err;

	if (size == 0)
		return count_reply(w, type, nodeid, b, count);
	if ((err = t_call(w, type, nodeid, b, &rep)) != 0)
		return err;
	if (rep.type != IMSG_WORKER_REPLY_DATA || rep.len > size)
		return -1;
	memcpy(buf, rep.data, rep.len);
	*count = rep.len;
	return 0;
}

int
t_getxattr(struct wh *w, uint64_t nodeid, const char *name, uint32_t size, void *buf,
    uint64_t *count)
{
	struct tbody		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	tb_str(&b, name);
	return xattr_reply(w, IMSG_FRONTEND_GETXATTR, nodeid, &b, size, buf, count);
}

int
t_listxattr(struct wh *w, uint64_t nodeid, uint32_t size, void *buf, uint64_t *count)
{
	struct tbody		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	tb_init(&b);
	tb_put(&b, &m, sizeof(m));
	return xattr_reply(w, IMSG_FRONTEND_LISTXATTR, nodeid, &b, size, buf, count);
}

int
t_removexattr(struct wh *w, uint64_t nodeid, const char *name)
{
	return named(w, IMSG_FRONTEND_REMOVEXATTR, nodeid, name);
}

static void
lock_body(struct tbody *b, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end, int sleep, int flock)
{
	struct msg_lock	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.owner = owner;
	m.type = type;
	m.start = start;
	m.end = end;
	m.pid = (uint32_t)(owner % 100000);	/* a pid per owner, for GETLK */
	m.sleep = sleep;
	m.flock = flock;
	tb_init(b);
	tb_put(b, &m, sizeof(m));
}

int
t_getlk(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end, struct msg_lock_reply *out)
{
	struct tbody	b;

	lock_body(&b, fh, owner, type, start, end, 0, 0);
	return call_out(w, IMSG_FRONTEND_GETLK, 0, &b, IMSG_WORKER_REPLY_LOCK, out,
	    sizeof(*out));
}

int
t_setlk(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end, int sleep, int flock)
{
	struct tbody	b;

	lock_body(&b, fh, owner, type, start, end, sleep, flock);
	return t_call(w, IMSG_FRONTEND_SETLK, 0, &b, &rep);
}

uint64_t
t_setlkw_send(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end)
{
	struct tbody	b;

	lock_body(&b, fh, owner, type, start, end, 1, 0);
	return wh_send_as(w, IMSG_FRONTEND_SETLK, 0, t_uid, t_gid, b.buf, b.len);
}

void
t_stat(const struct wh *w, const char *name, struct stat *st)
{
	if (lstat(wh_path(w, name), st) == -1)
		err(1, "lstat %s", name);
}

uint64_t
t_node(struct wh *w, const char *name)
{
	struct msg_entry	e;

	if (wh_lookup(w, WH_ROOT, name, &e) != 0)
		return 0;
	return e.nodeid;
}

mode_t
t_hmode(const struct wh *w, const char *name)
{
	struct stat	st;

	t_stat(w, name, &st);
	return st.st_mode & 07777;
}

int
t_exists(const struct wh *w, const char *name)
{
	struct stat	st;

	return lstat(wh_path(w, name), &st) == 0;
}
