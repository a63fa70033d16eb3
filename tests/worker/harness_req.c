/*
 * The worker harness's typed requests (harness.h): one function per request the tests
 * send, each returning the worker's errno (0 ok) or -1 when no reply or a malformed one
 * came. The tests are synchronous, so one reply buffer serves them all.
 */
#include "config.h"

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "harness.h"

uint32_t	wh_uid, wh_gid;

static struct wh_reply	reply;

/* A reply of this type and size: exactly len bytes, or at least len when !exact. */
static int
rep_check(const struct wh_reply *rep, uint32_t type, size_t len, int exact)
{
	if (rep->type == type && (exact ? rep->len == len : rep->len >= len))
		return 0;
	fprintf(stderr, "harness: reply type %u len %zu, want %u len %s%zu\n", rep->type,
	    rep->len, type, exact ? "" : ">= ", len);
	return -1;
}

/* Checks a successful reply's type and exact size; copies the body. */
static int
rep_take(struct wh_reply *rep, int error, uint32_t type, void *out, size_t len)
{
	if (error != 0)
		return error;
	if (rep_check(rep, type, len, 1) == -1)
		return -1;
	if (out != NULL)
		memcpy(out, rep->data, len);
	return 0;
}

int
wh_lookup(struct wh *w, uint64_t parent, const char *name, struct msg_entry *e)
{
	uint8_t		 body[8 + PATH_MAX];
	struct wh_reply	*rep = &reply;
	size_t		 len = wh_name_body(body, sizeof(body), name);

	return rep_take(rep, wh_call(w, IMSG_FRONTEND_LOOKUP, parent, body, len, rep),
	    IMSG_WORKER_REPLY_ENTRY, e, sizeof(*e));
}

int
wh_getattr(struct wh *w, uint64_t nodeid, struct msg_attr *a)
{
	struct msg_getattr	 g;
	struct wh_reply		*rep = &reply;

	memset(&g, 0, sizeof(g));
	return rep_take(rep, wh_call(w, IMSG_FRONTEND_GETATTR, nodeid, &g, sizeof(g), rep),
	    IMSG_WORKER_REPLY_ATTR, a, sizeof(*a));
}

int
wh_getattr_fh(struct wh *w, uint64_t nodeid, uint64_t fh, struct msg_attr *a)
{
	struct msg_getattr	 g;
	struct wh_reply		*rep = &reply;

	memset(&g, 0, sizeof(g));
	g.fh = fh;
	g.flags = MSG_GETATTR_FH;
	return rep_take(rep, wh_call(w, IMSG_FRONTEND_GETATTR, nodeid, &g, sizeof(g), rep),
	    IMSG_WORKER_REPLY_ATTR, a, sizeof(*a));
}

void
wh_forget(struct wh *w, uint64_t nodeid, uint64_t nlookup)
{
	struct msg_forget f;

	f.nlookup = nlookup;
	wh_send_noreply(w, IMSG_FRONTEND_FORGET, nodeid, &f, sizeof(f));
}

static int
wh_open_type(struct wh *w, uint32_t type, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	struct msg_open		 o;
	struct msg_opened	 opened;
	struct wh_reply		*rep = &reply;
	int			 error;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	error = rep_take(rep, wh_call(w, type, nodeid, &o, sizeof(o), rep),
	    IMSG_WORKER_REPLY_OPEN, &opened, sizeof(opened));
	if (error == 0)
		*fh = opened.fh;
	return error;
}

int
wh_open(struct wh *w, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	return wh_open_type(w, IMSG_FRONTEND_OPEN, nodeid, flags, fh);
}

int
wh_opendir(struct wh *w, uint64_t nodeid, uint64_t *fh)
{
	return wh_open_type(w, IMSG_FRONTEND_OPENDIR, nodeid, O_RDONLY, fh);
}

static int
wh_release_type(struct wh *w, uint32_t type, uint64_t fh)
{
	struct msg_release	 r;
	struct wh_reply		*rep = &reply;

	memset(&r, 0, sizeof(r));
	r.fh = fh;
	return rep_take(rep, wh_call(w, type, WH_ROOT, &r, sizeof(r), rep),
	    IMSG_WORKER_REPLY_STATUS, NULL, 0);
}

int
wh_release(struct wh *w, uint64_t fh)
{
	return wh_release_type(w, IMSG_FRONTEND_RELEASE, fh);
}

int
wh_releasedir(struct wh *w, uint64_t fh)
{
	return wh_release_type(w, IMSG_FRONTEND_RELEASEDIR, fh);
}

uint8_t *
wh_guest(struct wh *w, uint64_t off)
{
	return w->mem + w->mem_offset + off;
}

struct msg_iov
wh_iov(const struct wh *w, uint64_t off, uint32_t len)
{
	struct msg_iov iov;

	memset(&iov, 0, sizeof(iov));
	iov.slot = 0;
	iov.len = len;
	iov.offset = w->mem_offset + off;
	return iov;
}

int
wh_read_iovs(struct wh *w, uint64_t fh, uint64_t offset, const struct msg_iov *iov,
    uint32_t niov, uint64_t *got)
{
	struct {
		struct msg_io	io;
		struct msg_iov	iov[MSG_MAX_IOV];
	} body;
	struct msg_count	 c;
	struct wh_reply		*rep = &reply;
	uint32_t		 i;
	int			 error;

	if (niov > MSG_MAX_IOV)
		return -1;
	memset(&body, 0, sizeof(body));
	body.io.fh = fh;
	body.io.offset = offset;
	body.io.niov = niov;
	for (i = 0; i < niov; i++) {
		body.iov[i] = iov[i];
		body.io.size += iov[i].len;
	}
	error = rep_take(rep, wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body,
	    sizeof(body.io) + niov * sizeof(body.iov[0]), rep), IMSG_WORKER_REPLY_COUNT, &c,
	    sizeof(c));
	if (error == 0)
		*got = c.count;
	return error;
}

int
wh_read(struct wh *w, uint64_t fh, uint64_t offset, uint32_t size, uint64_t off_in_mem,
    uint64_t *got)
{
	struct msg_iov iov = wh_iov(w, off_in_mem, size);

	return wh_read_iovs(w, fh, offset, &iov, 1, got);
}

int
wh_readlink(struct wh *w, uint64_t nodeid, char *buf, size_t size)
{
	struct wh_reply	*rep = &reply;
	int		 error;

	if ((error = wh_call(w, IMSG_FRONTEND_READLINK, nodeid, NULL, 0, rep)) != 0)
		return error;
	if (rep->type != IMSG_WORKER_REPLY_DATA || rep->len >= size)
		return -1;
	memcpy(buf, rep->data, rep->len);
	buf[rep->len] = '\0';
	return 0;
}

int
wh_statfs(struct wh *w, uint64_t nodeid, struct msg_statfs *s)
{
	struct wh_reply *rep = &reply;

	return rep_take(rep, wh_call(w, IMSG_FRONTEND_STATFS, nodeid, NULL, 0, rep),
	    IMSG_WORKER_REPLY_STATFS, s, sizeof(*s));
}

int
wh_readdir(struct wh *w, uint64_t fh, uint64_t offset, uint32_t size, int plus,
    struct wh_reply *rep)
{
	struct msg_readdir	rd;
	int			error;

	memset(&rd, 0, sizeof(rd));
	rd.fh = fh;
	rd.offset = offset;
	rd.size = size;
	rd.plus = plus ? 1 : 0;
	if ((error = wh_call(w, IMSG_FRONTEND_READDIR, WH_ROOT, &rd, sizeof(rd), rep)) != 0)
		return error;
	return rep->type == IMSG_WORKER_REPLY_DIRENTS && rep->len >= sizeof(struct msg_dirents)
	    ? 0 : -1;
}

int
wh_readdir_count(struct wh *w, uint64_t fh, uint64_t *off, uint32_t size,
    unsigned char *seen, int nseen)
{
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	int			i, n = 0;

	if (wh_readdir(w, fh, *off, size, 0, &reply) != 0)
		return -1;
	wh_dirents_begin(&it, &reply, 0);
	while (wh_dirents_next(&it, &d)) {
		n++;
		*off = d.d.off;
		if (sscanf(d.name, "name%d", &i) == 1 && i >= 0 && i < nseen)
			seen[i]++;
	}
	return it.bad ? -1 : n;
}

void
wh_dirents_begin(struct wh_dirent_iter *it, const struct wh_reply *rep, int plus)
{
	struct msg_dirents h;

	memset(it, 0, sizeof(*it));
	it->plus = plus;
	if (rep->len < sizeof(h)) {
		it->bad = 1;
		return;
	}
	memcpy(&h, rep->data, sizeof(h));
	it->count = h.count;
	it->p = rep->data + sizeof(h);
	it->left = rep->len - sizeof(h);
}

int
wh_dirents_next(struct wh_dirent_iter *it, struct wh_dirent *out)
{
	size_t need;

	if (it->bad || it->seen == it->count) {
		if (!it->bad && it->left != 0)
			it->bad = 1;	/* trailing bytes */
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (it->left < sizeof(out->d))
		goto bad;
	memcpy(&out->d, it->p, sizeof(out->d));
	need = sizeof(out->d) + (it->plus ? sizeof(out->e) : 0) + out->d.namelen;
	if (out->d.namelen == 0 || out->d.namelen > NAME_MAX || it->left < need)
		goto bad;
	if (it->plus)
		memcpy(&out->e, it->p + sizeof(out->d), sizeof(out->e));
	memcpy(out->name, it->p + need - out->d.namelen, out->d.namelen);
	it->p += need;
	it->left -= need;
	it->seen++;
	return 1;
bad:
	it->bad = 1;
	return 0;
}

/* ---- request bodies, and calls as wh_uid/wh_gid ---- */

void
wh_body_init(struct wh_body *b)
{
	memset(b, 0, sizeof(*b));
}

void
wh_body_put(struct wh_body *b, const void *p, size_t len)
{
	if (len > sizeof(b->buf) - b->len)
		errx(1, "test body too long");
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void
wh_body_bytes(struct wh_body *b, const void *p, uint32_t len)
{
	wh_body_put(b, &len, sizeof(len));
	wh_body_put(b, p, len);
}

void
wh_body_str(struct wh_body *b, const char *s)
{
	wh_body_bytes(b, s, (uint32_t)strlen(s));
}

int
wh_call_body(struct wh *w, uint32_t type, uint64_t nodeid, const struct wh_body *b,
    struct wh_reply *r)
{
	uint64_t	id;

	id = wh_send_as(w, type, nodeid, wh_uid, wh_gid, b->buf, b->len);
	if (wh_recv(w, id, r, WH_TIMEOUT_MS) == -1)
		return -1;
	return r->error;
}

/* A call whose reply starts with a fixed struct, copied to out when it succeeded. */
static int
call_out(struct wh *w, uint32_t type, uint64_t nodeid, const struct wh_body *b,
    uint32_t want, void *out, size_t outlen)
{
	int	err;

	if ((err = wh_call_body(w, type, nodeid, b, &reply)) != 0)
		return err;
	if (rep_check(&reply, want, outlen, 0) == -1)
		return -1;
	if (out != NULL)
		memcpy(out, reply.data, outlen);
	return 0;
}

/* A request whose body is one fixed struct. */
static int
call_fixed(struct wh *w, uint32_t type, uint64_t nodeid, const void *m, size_t len)
{
	struct wh_body	b;

	wh_body_init(&b);
	wh_body_put(&b, m, len);
	return wh_call_body(w, type, nodeid, &b, &reply);
}

int
wh_session(struct wh *w, uint32_t flags)
{
	struct msg_session	s = { flags, MSG_MAX_IO };

	return call_fixed(w, IMSG_FRONTEND_SESSION_INIT, 0, &s, sizeof(s));
}

void
wh_start_session(struct wh *w, const struct wh_opts *o, uint32_t session_flags)
{
	struct wh_opts	def;

	if (o == NULL) {
		wh_opts_default(&def);
		o = &def;
	}
	wh_start(w, o);
	CHECK(wh_session(w, session_flags) == 0);
}

static void
newnode(struct wh_body *b, uint32_t mode, uint32_t rdev, uint32_t open_flags)
{
	struct msg_newnode	nn;

	memset(&nn, 0, sizeof(nn));
	nn.mode = mode;
	nn.umask = 022;
	nn.rdev = rdev;
	nn.open_flags = open_flags;
	wh_body_init(b);
	wh_body_put(b, &nn, sizeof(nn));
}

static int
created(struct wh *w, uint32_t type, uint64_t parent, struct wh_body *b,
    struct msg_entry *e, uint64_t *fh)
{
	struct msg_opened	o;
	int			err;

	if ((err = call_out(w, type, parent, b, IMSG_WORKER_REPLY_CREATE, e,
	    sizeof(*e))) != 0)
		return err;
	memcpy(&o, reply.data + sizeof(*e), sizeof(o));
	*fh = o.fh;
	return 0;
}

int
wh_create(struct wh *w, uint64_t parent, const char *name, uint32_t mode,
    uint32_t open_flags, struct msg_entry *e, uint64_t *fh)
{
	struct wh_body	b;

	newnode(&b, mode, 0, open_flags);
	wh_body_str(&b, name);
	return created(w, IMSG_FRONTEND_CREATE, parent, &b, e, fh);
}

int
wh_tmpfile(struct wh *w, uint64_t parent, uint32_t mode, uint32_t open_flags,
    struct msg_entry *e, uint64_t *fh)
{
	struct wh_body	b;

	newnode(&b, mode, 0, open_flags);
	return created(w, IMSG_FRONTEND_TMPFILE, parent, &b, e, fh);
}

int
wh_mknod(struct wh *w, uint64_t parent, const char *name, uint32_t mode, uint32_t rdev,
    struct msg_entry *e)
{
	struct wh_body	b;

	newnode(&b, mode, rdev, 0);
	wh_body_str(&b, name);
	return call_out(w, IMSG_FRONTEND_MKNOD, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
wh_mkdir(struct wh *w, uint64_t parent, const char *name, uint32_t mode,
    struct msg_entry *e)
{
	struct wh_body	b;

	newnode(&b, mode, 0, 0);
	wh_body_str(&b, name);
	return call_out(w, IMSG_FRONTEND_MKDIR, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
wh_symlink(struct wh *w, uint64_t parent, const char *name, const char *target,
    struct msg_entry *e)
{
	struct wh_body	b;

	newnode(&b, 0777, 0, 0);
	wh_body_str(&b, name);
	wh_body_str(&b, target);
	return call_out(w, IMSG_FRONTEND_SYMLINK, parent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

int
wh_link(struct wh *w, uint64_t node, uint64_t newparent, const char *name,
    struct msg_entry *e)
{
	struct wh_body	b;
	struct msg_link	l = { node };

	wh_body_init(&b);
	wh_body_put(&b, &l, sizeof(l));
	wh_body_str(&b, name);
	return call_out(w, IMSG_FRONTEND_LINK, newparent, &b, IMSG_WORKER_REPLY_ENTRY, e,
	    sizeof(*e));
}

static int
named(struct wh *w, uint32_t type, uint64_t parent, const char *name)
{
	struct wh_body	b;

	wh_body_init(&b);
	wh_body_str(&b, name);
	return wh_call_body(w, type, parent, &b, &reply);
}

int
wh_unlink(struct wh *w, uint64_t parent, const char *name)
{
	return named(w, IMSG_FRONTEND_UNLINK, parent, name);
}

int
wh_rmdir(struct wh *w, uint64_t parent, const char *name)
{
	return named(w, IMSG_FRONTEND_RMDIR, parent, name);
}

int
wh_rename(struct wh *w, uint64_t olddir, const char *oldname, uint64_t newdir,
    const char *newname, uint32_t flags)
{
	struct wh_body		b;
	struct msg_rename	m;

	memset(&m, 0, sizeof(m));
	m.newdir = newdir;
	m.flags = flags;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	wh_body_str(&b, oldname);
	wh_body_str(&b, newname);
	return wh_call_body(w, IMSG_FRONTEND_RENAME, olddir, &b, &reply);
}

int
wh_setattr(struct wh *w, uint64_t nodeid, const struct msg_setattr *s, struct msg_attr *a)
{
	struct wh_body	b;

	wh_body_init(&b);
	wh_body_put(&b, s, sizeof(*s));
	return call_out(w, IMSG_FRONTEND_SETATTR, nodeid, &b, IMSG_WORKER_REPLY_ATTR, a,
	    a != NULL ? sizeof(*a) : 0);
}

int
wh_access(struct wh *w, uint64_t nodeid, uint32_t mask)
{
	struct msg_access	m = { mask, 0 };

	return call_fixed(w, IMSG_FRONTEND_ACCESS, nodeid, &m, sizeof(m));
}

static int
count_reply(struct wh *w, uint32_t type, uint64_t nodeid, struct wh_body *b,
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

/* A request whose body is one fixed struct, answered with a count. */
static int
count_fixed(struct wh *w, uint32_t type, uint64_t nodeid, const void *m, size_t len,
    uint64_t *count)
{
	struct wh_body	b;

	wh_body_init(&b);
	wh_body_put(&b, m, len);
	return count_reply(w, type, nodeid, &b, count);
}

int
wh_write(struct wh *w, uint64_t fh, uint64_t off, const void *data, uint32_t len,
    uint32_t flags, uint64_t *done)
{
	struct wh_body	b;
	struct msg_io	io;
	struct msg_iov	v;

	memcpy(wh_guest(w, 0), data, len);
	memset(&io, 0, sizeof(io));
	io.fh = fh;
	io.offset = off;
	io.size = len;
	io.niov = len > 0 ? 1 : 0;
	io.flags = flags;
	wh_body_init(&b);
	wh_body_put(&b, &io, sizeof(io));
	if (len > 0) {
		v = wh_iov(w, 0, len);
		wh_body_put(&b, &v, sizeof(v));
	}
	return count_reply(w, IMSG_FRONTEND_WRITE, 0, &b, done);
}

int
wh_flush(struct wh *w, uint64_t fh, uint64_t owner)
{
	struct msg_release	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.lock_owner = owner;
	return call_fixed(w, IMSG_FRONTEND_FLUSH, 0, &m, sizeof(m));
}

int
wh_fsync(struct wh *w, uint32_t type, uint64_t fh, uint32_t datasync)
{
	struct msg_fsync	m = { fh, datasync, 0 };

	return call_fixed(w, type, 0, &m, sizeof(m));
}

int
wh_syncfs(struct wh *w, uint64_t nodeid)
{
	struct wh_body	b;

	wh_body_init(&b);
	return wh_call_body(w, IMSG_FRONTEND_SYNCFS, nodeid, &b, &reply);
}

int
wh_fallocate(struct wh *w, uint64_t fh, uint64_t off, uint64_t len, uint32_t mode)
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
wh_lseek(struct wh *w, uint64_t fh, uint64_t off, uint32_t whence, uint64_t *res)
{
	struct msg_lseek	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.offset = off;
	m.whence = whence;
	return count_fixed(w, IMSG_FRONTEND_LSEEK, 0, &m, sizeof(m), res);
}

int
wh_copy(struct wh *w, uint64_t in_node, uint64_t fh_in, uint64_t off_in,
    uint64_t out_node, uint64_t fh_out, uint64_t off_out, uint64_t len, uint64_t *done)
{
	struct msg_copy_range	m;

	memset(&m, 0, sizeof(m));
	m.fh_in = fh_in;
	m.off_in = off_in;
	m.nodeid_out = out_node;
	m.fh_out = fh_out;
	m.off_out = off_out;
	m.len = len;
	return count_fixed(w, IMSG_FRONTEND_COPY_FILE_RANGE, in_node, &m, sizeof(m), done);
}

int
wh_setxattr(struct wh *w, uint64_t nodeid, const char *name, const void *value,
    uint32_t size, uint32_t flags, uint32_t setxattr_flags)
{
	struct wh_body		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	m.flags = flags;
	m.setxattr_flags = setxattr_flags;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	wh_body_str(&b, name);
	wh_body_bytes(&b, value, size);
	return wh_call_body(w, IMSG_FRONTEND_SETXATTR, nodeid, &b, &reply);
}

/* A GET/LIST answer: a count for a probe, the bytes otherwise. */
static int
xattr_reply(struct wh *w, uint32_t type, uint64_t nodeid, struct wh_body *b,
    uint32_t size, void *buf, uint64_t *count)
{
	int	err;

	if (size == 0)
		return count_reply(w, type, nodeid, b, count);
	if ((err = wh_call_body(w, type, nodeid, b, &reply)) != 0)
		return err;
	if (reply.type != IMSG_WORKER_REPLY_DATA || reply.len > size)
		return -1;
	memcpy(buf, reply.data, reply.len);
	*count = reply.len;
	return 0;
}

int
wh_getxattr(struct wh *w, uint64_t nodeid, const char *name, uint32_t size, void *buf,
    uint64_t *count)
{
	struct wh_body		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	wh_body_str(&b, name);
	return xattr_reply(w, IMSG_FRONTEND_GETXATTR, nodeid, &b, size, buf, count);
}

int
wh_listxattr(struct wh *w, uint64_t nodeid, uint32_t size, void *buf, uint64_t *count)
{
	struct wh_body		b;
	struct msg_xattr	m;

	memset(&m, 0, sizeof(m));
	m.size = size;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	return xattr_reply(w, IMSG_FRONTEND_LISTXATTR, nodeid, &b, size, buf, count);
}

int
wh_removexattr(struct wh *w, uint64_t nodeid, const char *name)
{
	return named(w, IMSG_FRONTEND_REMOVEXATTR, nodeid, name);
}

static void
lock_body(struct wh_body *b, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
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
	wh_body_init(b);
	wh_body_put(b, &m, sizeof(m));
}

int
wh_getlk(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end, struct msg_lock_reply *out)
{
	struct wh_body	b;

	lock_body(&b, fh, owner, type, start, end, 0, 0);
	return call_out(w, IMSG_FRONTEND_GETLK, 0, &b, IMSG_WORKER_REPLY_LOCK, out,
	    sizeof(*out));
}

int
wh_setlk(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end, int sleep, int flock)
{
	struct wh_body	b;

	lock_body(&b, fh, owner, type, start, end, sleep, flock);
	return wh_call_body(w, IMSG_FRONTEND_SETLK, 0, &b, &reply);
}

uint64_t
wh_setlkw_send(struct wh *w, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
    uint64_t end)
{
	struct wh_body	b;

	lock_body(&b, fh, owner, type, start, end, 1, 0);
	return wh_send_as(w, IMSG_FRONTEND_SETLK, 0, wh_uid, wh_gid, b.buf, b.len);
}

uint64_t
wh_node(struct wh *w, const char *name)
{
	struct msg_entry	e;

	if (wh_lookup(w, WH_ROOT, name, &e) != 0)
		return 0;
	return e.nodeid;
}

uint64_t
wh_node_at(struct wh *w, uint64_t parent, const char *name)
{
	struct msg_entry	e;

	if (wh_lookup(w, parent, name, &e) != 0) {
		CHECK(!"LOOKUP failed");
		return 0;
	}
	return e.nodeid;
}
