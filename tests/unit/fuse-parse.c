/*
 * The frontend's FUSE layer on its own: requests are fed as fake chains (stub virtq below
 * the layer), worker messages are captured (the send_worker sink above it) and worker
 * replies injected. Covers the session rules, the hostile-guest parse cases and the reply
 * encoding.
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "msg_reader.h"
#include "chan.h"
#include "log.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"
#include "check.h"

/* ---- stubs of the vhost side (virtq.h, below the FUSE layer) ---- */
#include "vq_stub.h"

static struct vq	 hiprio = { 0, 128 }, reqq = { 1, 128 };
static struct vq_req	*done_req;
static uint32_t		 done_len;
static int		 ndone, ndrained;

#define MAXMSG	16
static struct {
	uint32_t	 type;
	uint8_t		*data;
	size_t		 len;
} sent[MAXMSG];
static int nsent;

/* Chains built by the test, freed by reset(). */
#define MAXREQ	64
static struct vq_req	*reqs[MAXREQ];
static int		 nreqs;

static struct vq_req *
req_alloc(uint32_t nseg)
{
	struct vq_req *r = calloc(1, sizeof(*r) + nseg * sizeof(struct vq_seg));

	if (r == NULL || nreqs == MAXREQ)
		abort();
	reqs[nreqs++] = r;
	return r;
}

void
vq_complete(struct vq_req *req, uint32_t written)
{
	done_req = req;
	done_len = written;
	ndone++;
}

void
vq_throttle(unsigned int reason, int on)
{
}

/* ---- the sinks above the FUSE layer ---- */
static void
send_worker(uint32_t type, uint32_t trailer, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	int i;

	if (nsent == MAXMSG || trailer != 0)	/* no worker completes anything here */
		abort();
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	sent[nsent].type = type;
	sent[nsent].len = len;
	sent[nsent].data = malloc(len + 1);
	for (len = 0, i = 0; i < iovcnt; i++) {
		memcpy(sent[nsent].data + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	nsent++;
}

static void
drained(void)
{
	ndrained++;
}

static const struct fuse_sinks sinks = { send_worker, drained };

/* ---- fake guest memory: one slot, base[] ---- */
static uint8_t	guest[4 << 20];
static size_t	guest_used;

static uint8_t *
galloc(size_t len)
{
	uint8_t *p = guest + guest_used;

	guest_used += (len + 15) & ~(size_t)15;
	if (guest_used > sizeof(guest))
		abort();
	memset(p, 0xa5, len);		/* stale bytes: replies must overwrite or zero them */
	return p;
}

static void
seg_set(struct vq_seg *s, uint8_t *p, uint32_t len)
{
	s->host = p;
	s->offset = (uint64_t)(p - guest);
	s->slot = 0;
	s->len = len;
}

static void
reset(void)
{
	int i;

	for (i = 0; i < nsent; i++)
		free(sent[i].data);
	nsent = 0;
	for (i = 0; i < nreqs; i++)
		free(reqs[i]);
	nreqs = 0;
	ndone = 0;
	done_req = NULL;
	done_len = 0;
	guest_used = 0;
}

/* A chain of one readable and one writable segment. */
static struct vq_req *
mkreq(struct vq *vq, const void *in, uint32_t inlen, uint32_t wrlen)
{
	struct vq_req *r = req_alloc(2);

	r->vq = vq;
	r->nrd = 1;
	r->nwr = wrlen ? 1 : 0;
	r->rd_len = inlen;
	r->wr_len = wrlen;
	seg_set(&r->seg[0], galloc(inlen), inlen);
	memcpy(r->seg[0].host, in, inlen);
	if (wrlen)
		seg_set(&r->seg[1], galloc(wrlen), wrlen);
	return r;
}

/* Header + args into buf; returns the length. */
static uint32_t
mkin(uint8_t *buf, uint32_t opcode, uint64_t nodeid, const void *arg, uint32_t arglen)
{
	struct fuse_in_header in;

	memset(&in, 0, sizeof(in));
	in.len = sizeof(in) + arglen;
	in.opcode = opcode;
	in.unique = 0x1000 + opcode;
	in.nodeid = nodeid;
	in.uid = 1000;
	in.gid = 100;
	in.pid = 42;
	memcpy(buf, &in, sizeof(in));
	if (arglen)
		memcpy(buf + sizeof(in), arg, arglen);
	return in.len;
}

static struct vq_req *
send_op(uint32_t opcode, uint64_t nodeid, const void *arg, uint32_t arglen, uint32_t wrlen)
{
	static uint8_t buf[1 << 17];
	struct vq_req *r;
	uint32_t len = mkin(buf, opcode, nodeid, arg, arglen);

	r = mkreq(&reqq, buf, len, wrlen);
	fuse_request(r);
	return r;
}

static struct fuse_out_header
out_hdr(struct vq_req *r)
{
	struct fuse_out_header oh;

	memset(&oh, 0, sizeof(oh));
	memcpy(&oh, r->seg[r->nrd].host, sizeof(oh));
	return oh;
}

/* The error a request was answered with right away (or 1 if not answered). */
static int
answer(struct vq_req *r)
{
	struct fuse_out_header oh;

	if (done_req != r)
		return 1;
	oh = out_hdr(r);
	if (oh.len != sizeof(oh) || done_len != sizeof(oh))
		return 2;
	return -oh.error;
}

static uint64_t
sent_id(int i)
{
	struct msg_req h;

	memcpy(&h, sent[i].data, sizeof(h));
	return h.id;
}

static void
worker_reply(uint32_t type, uint64_t id, int error, const void *p, size_t len)
{
	uint8_t buf[70000];
	struct chan_msg m;
	struct msg_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	rep.error = error;
	memcpy(buf, &rep, sizeof(rep));
	if (len)
		memcpy(buf + sizeof(rep), p, len);
	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.len = sizeof(rep) + len;
	m.data = buf;
	m.fd = -1;
	fuse_worker_reply(&m);
}

static void
do_init(uint32_t flags)
{
	struct fuse_init_in ii;
	struct fuse_init_out io;
	struct vq_req *r;
	struct msg_session s;

	reset();
	memset(&ii, 0, sizeof(ii));
	ii.major = 7;
	ii.minor = 37;
	ii.max_readahead = 65536;
	ii.flags = flags | FUSE_INIT_EXT;
	ii.flags2 = (uint32_t)(FUSE_SECURITY_CTX >> 32);
	r = send_op(FUSE_INIT, 0, &ii, sizeof(ii), 16 + sizeof(io));
	CHECK(ndone == 0 && fuse_inflight() == 1);
	CHECK(nsent >= 1);
	if (sent[nsent - 1].type == IMSG_FRONTEND_SESSION_DESTROY) {
		worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(nsent - 1), 0, NULL, 0);
		CHECK(ndone == 0);
	}
	CHECK(sent[nsent - 1].type == IMSG_FRONTEND_SESSION_INIT);
	CHECK(sent[nsent - 1].len == sizeof(struct msg_req) + sizeof(s));
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(nsent - 1), 0, NULL, 0);
	CHECK(done_req == r && done_len == 16 + sizeof(io));
	memcpy(&io, r->seg[1].host + 16, sizeof(io));
	CHECK(io.major == 7 && io.minor == 37);
	CHECK(io.max_pages == 124 && io.max_write == 124 * 4096);
	CHECK(io.max_readahead == 65536 && io.time_gran == 1);
	CHECK((io.flags & FUSE_ASYNC_READ) && (io.flags & FUSE_MAX_PAGES));
	CHECK((io.flags & (FUSE_EXPLICIT_INVAL_DATA | FUSE_MAP_ALIGNMENT)) == 0);
	CHECK(io.flags2 == 0);		/* SECURITY_CTX not configured */
	CHECK(fuse_inflight() == 0);
}

static void
test_session(void)
{
	struct vq_req *r;
	uint8_t hdr[40];

	reset();
	r = send_op(FUSE_GETATTR, 1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 200);
	CHECK(answer(r) == EIO);		/* before INIT */
	do_init(FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_EXPLICIT_INVAL_DATA);
	/* A second INIT drops the worker's session first. */
	do_init(FUSE_ASYNC_READ | FUSE_MAX_PAGES);
	CHECK(nsent == 2 && sent[0].type == IMSG_FRONTEND_SESSION_DESTROY);
	/* Truncated header: dropped with used len 0. */
	reset();
	mkin(hdr, FUSE_GETATTR, 1, NULL, 0);
	r = mkreq(&reqq, hdr, 39, 100);
	fuse_request(r);
	CHECK(done_req == r && done_len == 0 && nsent == 0);
	/* No room for even an out header. */
	reset();
	r = send_op(FUSE_STATFS, 1, NULL, 0, 15);
	CHECK(done_req == r && done_len == 0 && nsent == 0);
	/* Unknown opcode. */
	reset();
	r = send_op(4095, 1, NULL, 0, 100);
	CHECK(answer(r) == ENOSYS);
	r = send_op(FUSE_IOCTL, 1, NULL, 0, 100);
	CHECK(answer(r) == ENOSYS);
	/* in.len must match the chain. */
	reset();
	mkin(hdr, FUSE_STATFS, 1, NULL, 0);
	((struct fuse_in_header *)(void *)hdr)->len = 4096;
	r = mkreq(&reqq, hdr, 40, 100);
	fuse_request(r);
	CHECK(answer(r) == EINVAL && nsent == 0);
}

static void
test_names(void)
{
	struct msg_entry e;
	struct fuse_entry_out eo;
	struct msg_reader rd;
	struct msg_req h;
	struct vq_req *r;
	char name[300];

	reset();
	r = send_op(FUSE_LOOKUP, 1, "foo", 4, 16 + sizeof(eo));
	CHECK(ndone == 0 && nsent == 1 && sent[0].type == IMSG_FRONTEND_LOOKUP);
	msg_reader_init(&rd, sent[0].data, sent[0].len);
	CHECK(msg_get(&rd, &h, sizeof(h)) == 0 && h.nodeid == 1 && h.uid == 1000 &&
	    h.gid == 100 && h.pid == 42);
	CHECK(msg_get_str(&rd, name, sizeof(name)) == 0 && strcmp(name, "foo") == 0);
	CHECK(msg_end(&rd) == 0);
	/* A wrong reply type is the worker's bug: EIO. A stale id is ignored. */
	worker_reply(IMSG_WORKER_REPLY_ENTRY, h.id + (1ULL << 32), 0, &e, sizeof(e));
	CHECK(ndone == 0);
	memset(&e, 0, sizeof(e));
	e.nodeid = 7;
	e.generation = 3;
	e.attr.ino = 99;
	e.attr.mode = 0100644;
	worker_reply(IMSG_WORKER_REPLY_ENTRY, h.id, 0, &e, sizeof(e));
	CHECK(done_req == r && done_len == 16 + sizeof(eo));
	memcpy(&eo, r->seg[1].host + 16, sizeof(eo));
	CHECK(eo.nodeid == 7 && eo.generation == 3 && eo.attr.ino == 99 &&
	    eo.entry_valid == 1 && eo.attr.flags == 0);
	CHECK(fuse_inflight() == 0);
	/* The same id again finds nothing. */
	ndone = 0;
	worker_reply(IMSG_WORKER_REPLY_ENTRY, h.id, 0, &e, sizeof(e));
	CHECK(ndone == 0);

	reset();
	r = send_op(FUSE_LOOKUP, 1, "..", 3, 200);
	CHECK(nsent == 1);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), ENOENT, NULL, 0);
	CHECK(answer(r) == ENOENT);
	r = send_op(FUSE_LOOKUP, 1, "a/b", 4, 200);
	CHECK(answer(r) == EINVAL);
	r = send_op(FUSE_LOOKUP, 1, "abc", 3, 200);	/* no NUL */
	CHECK(answer(r) == EINVAL);
	r = send_op(FUSE_LOOKUP, 1, "a\0b", 4, 200);	/* trailing bytes */
	CHECK(answer(r) == EINVAL);
	r = send_op(FUSE_UNLINK, 1, "..", 3, 200);
	CHECK(answer(r) == EINVAL);
	r = send_op(FUSE_RMDIR, 1, ".", 2, 200);
	CHECK(answer(r) == EINVAL);
	memset(name, 'x', sizeof(name));
	name[256] = '\0';
	r = send_op(FUSE_UNLINK, 1, name, 257, 200);
	CHECK(answer(r) == ENAMETOOLONG);
	r = send_op(FUSE_LOOKUP, 1, "x", 2, 100);	/* no room for fuse_entry_out */
	CHECK(answer(r) == EINVAL);
	CHECK(nsent == 1);
	/* Error values out of range become EIO. */
	r = send_op(FUSE_UNLINK, 1, "x", 2, 100);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(nsent - 1), 600, NULL, 0);
	CHECK(answer(r) == EIO);
	/* SYMLINK: name then target. */
	reset();
	r = send_op(FUSE_SYMLINK, 1, "ln\0/etc/passwd", 15, 200);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_SYMLINK);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), EACCES, NULL, 0);
	CHECK(answer(r) == EACCES);
	r = send_op(FUSE_SYMLINK, 1, "ln\0\0", 4, 200);	/* empty target */
	CHECK(answer(r) == ENOENT);
}

static void
test_open(void)
{
	struct fuse_open_in oi;
	struct fuse_open_out oo;
	struct msg_opened o;
	struct msg_open mo;
	struct vq_req *r;

	reset();
	memset(&oi, 0, sizeof(oi));
	oi.flags = O_RDWR | O_CREAT;
	r = send_op(FUSE_OPEN, 2, &oi, sizeof(oi), 100);
	CHECK(answer(r) == EINVAL);
	oi.flags = O_RDONLY | O_TMPFILE;
	r = send_op(FUSE_OPEN, 2, &oi, sizeof(oi), 100);
	CHECK(answer(r) == EINVAL);
	oi.flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_APPEND | O_TRUNC;
	r = send_op(FUSE_OPEN, 2, &oi, sizeof(oi), 100);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_OPEN);
	memcpy(&mo, sent[0].data + sizeof(struct msg_req), sizeof(mo));
	CHECK(mo.flags == (O_WRONLY | O_APPEND | O_TRUNC));
	memset(&o, 0, sizeof(o));
	o.fh = 5;
	worker_reply(IMSG_WORKER_REPLY_OPEN, sent_id(0), 0, &o, sizeof(o));
	CHECK(done_req == r && done_len == 16 + sizeof(oo));
	memcpy(&oo, r->seg[1].host + 16, sizeof(oo));
	CHECK(oo.fh == 5 && oo.open_flags == 0 && oo.padding == 0);
	/* OPENDIR carries O_DIRECTORY (which glibc's __O_TMPFILE includes). */
	reset();
	oi.flags = O_RDONLY | O_DIRECTORY | O_LARGEFILE;
	r = send_op(FUSE_OPENDIR, 2, &oi, sizeof(oi), 100);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_OPENDIR);
	memcpy(&mo, sent[0].data + sizeof(struct msg_req), sizeof(mo));
	CHECK(mo.flags == O_DIRECTORY);
	worker_reply(IMSG_WORKER_REPLY_OPEN, sent_id(0), 0, &o, sizeof(o));
	CHECK(done_req == r && fuse_inflight() == 0);
}

/*
 * A READ chain as Linux lays it out: the request in one segment, the out header in the
 * next, then pages 4096 bytes each, allocated one after the other unless apart (a gap
 * between the first two) and all in region 0.
 */
static struct vq_req *
read_chain(const struct fuse_read_in *ri, uint32_t pages, int apart)
{
	struct vq_req *r;
	uint8_t buf[256];
	uint32_t len, i;

	len = mkin(buf, FUSE_READ, 2, ri, sizeof(*ri));
	r = req_alloc(2 + pages);
	r->vq = &reqq;
	r->nrd = 1;
	r->nwr = 1 + pages;
	r->rd_len = len;
	r->wr_len = 16 + 4096 * pages;
	seg_set(&r->seg[0], galloc(len), len);
	memcpy(r->seg[0].host, buf, len);
	seg_set(&r->seg[1], galloc(16), 16);
	for (i = 0; i < pages; i++) {
		seg_set(&r->seg[2 + i], galloc(4096), 4096);
		if (apart && i == 0)
			(void)galloc(16);
	}
	return r;
}

/* The msg_io and the two iovs of the one message sent. */
static void
sent_io2(struct msg_io *io, struct msg_iov *iov)
{
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_READ);
	CHECK(sent[0].len == sizeof(struct msg_req) + sizeof(*io) + 2 * sizeof(*iov));
	memcpy(io, sent[0].data + sizeof(struct msg_req), sizeof(*io));
	memcpy(iov, sent[0].data + sizeof(struct msg_req) + sizeof(*io), 2 * sizeof(*iov));
}

static void
test_read_write(void)
{
	struct fuse_read_in ri;
	struct fuse_write_in wi;
	struct msg_io io;
	struct msg_iov iov[3];
	struct msg_count n;
	struct vq_req *r;
	struct fuse_out_header oh;
	uint8_t buf[256];
	uint32_t len;

	/* READ: out header in its own segment, data in two pages apart: an iov each. */
	reset();
	memset(&ri, 0, sizeof(ri));
	ri.fh = 9;
	ri.offset = 4096;
	ri.size = 6000;
	r = read_chain(&ri, 2, 1);
	fuse_request(r);
	sent_io2(&io, iov);
	CHECK(io.fh == 9 && io.offset == 4096 && io.size == 6000 && io.niov == 2);
	CHECK(iov[0].offset == r->seg[2].offset && iov[0].len == 4096);
	CHECK(iov[1].offset == r->seg[3].offset && iov[1].len == 6000 - 4096);
	memset(&n, 0, sizeof(n));
	n.count = 7000;				/* more than asked: a worker bug */
	worker_reply(IMSG_WORKER_REPLY_COUNT, sent_id(0), 0, &n, sizeof(n));
	CHECK(answer(r) == EIO);

	/*
	 * READ: pages end to end in one region become one iov; the same address in
	 * another region does not continue it.
	 */
	reset();
	ri.size = 9000;
	r = read_chain(&ri, 3, 0);
	r->seg[4].slot = 1;
	r->seg[4].offset = r->seg[3].offset + 4096;
	fuse_request(r);
	sent_io2(&io, iov);
	CHECK(io.size == 9000 && io.niov == 2);
	CHECK(iov[0].slot == 0 && iov[0].offset == r->seg[2].offset && iov[0].len == 8192);
	CHECK(iov[1].slot == 1 && iov[1].offset == r->seg[4].offset && iov[1].len == 808);
	n.count = 9000;
	worker_reply(IMSG_WORKER_REPLY_COUNT, sent_id(0), 0, &n, sizeof(n));
	CHECK(done_req == r && done_len == 16 + 9000);
	ri.size = 6000;

	/* READ: header and data share one segment. */
	reset();
	r = send_op(FUSE_READ, 2, &ri, sizeof(ri), 16 + 6000);
	memcpy(iov, sent[0].data + sizeof(struct msg_req) + sizeof(io), sizeof(iov[0]));
	CHECK(iov[0].offset == r->seg[1].offset + 16 && iov[0].len == 6000);
	n.count = 100;
	worker_reply(IMSG_WORKER_REPLY_COUNT, sent_id(0), 0, &n, sizeof(n));
	oh = out_hdr(r);
	CHECK(done_req == r && done_len == 116 && oh.len == 116 && oh.error == 0);
	r = send_op(FUSE_READ, 2, &ri, sizeof(ri), 16 + 5999);	/* no room */
	CHECK(answer(r) == EINVAL);
	ri.size = MSG_MAX_IO + 1;
	r = send_op(FUSE_READ, 2, &ri, sizeof(ri), 16 + MSG_MAX_IO + 1);
	CHECK(answer(r) == EINVAL);

	/* WRITE: the data starts inside the segment holding fuse_write_in. */
	reset();
	memset(&wi, 0, sizeof(wi));
	wi.fh = 9;
	wi.size = 300;
	len = mkin(buf, FUSE_WRITE, 2, &wi, sizeof(wi));
	((struct fuse_in_header *)(void *)buf)->len = len + 300;
	r = req_alloc(4);
	r->vq = &reqq;
	r->nrd = 3;
	r->nwr = 1;
	r->rd_len = len + 300;
	r->wr_len = 24;
	seg_set(&r->seg[0], galloc(40), 40);
	memcpy(r->seg[0].host, buf, 40);
	seg_set(&r->seg[1], galloc(140), 140);
	memcpy(r->seg[1].host, buf + 40, 40);
	seg_set(&r->seg[2], galloc(200), 200);
	seg_set(&r->seg[3], galloc(24), 24);
	fuse_request(r);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_WRITE);
	memcpy(&io, sent[0].data + sizeof(struct msg_req), sizeof(io));
	memcpy(iov, sent[0].data + sizeof(struct msg_req) + sizeof(io), 2 * sizeof(iov[0]));
	CHECK(io.size == 300 && io.niov == 2);
	CHECK(iov[0].offset == r->seg[1].offset + 40 && iov[0].len == 100);
	CHECK(iov[1].offset == r->seg[2].offset && iov[1].len == 200);
	n.count = 300;
	worker_reply(IMSG_WORKER_REPLY_COUNT, sent_id(0), 0, &n, sizeof(n));
	CHECK(done_req == r && done_len == 24);
	/* WRITE whose size disagrees with in.len. */
	reset();
	wi.size = 301;
	r = send_op(FUSE_WRITE, 2, &wi, sizeof(wi), 24);
	CHECK(answer(r) == EINVAL && nsent == 0);
}

static void
test_forget(void)
{
	struct fuse_batch_forget_in bi;
	struct fuse_forget_in fi;
	uint8_t buf[128];
	struct vq_req *r;
	uint32_t len;

	reset();
	fi.nlookup = 3;
	len = mkin(buf, FUSE_FORGET, 7, &fi, sizeof(fi));
	r = mkreq(&hiprio, buf, len, 0);
	fuse_request(r);
	CHECK(done_req == r && done_len == 0 && nsent == 1 &&
	    sent[0].type == IMSG_FRONTEND_FORGET && fuse_inflight() == 0);
	/* Anything else on hiprio is dropped. */
	len = mkin(buf, FUSE_STATFS, 1, NULL, 0);
	r = mkreq(&hiprio, buf, len, 100);
	fuse_request(r);
	CHECK(done_req == r && done_len == 0 && nsent == 1);
	/* BATCH_FORGET with a count that would overflow 32-bit arithmetic. */
	memset(&bi, 0, sizeof(bi));
	bi.count = 0x10000001;
	len = mkin(buf, FUSE_BATCH_FORGET, 0, &bi, sizeof(bi));
	memset(buf + len, 0, 16);
	((struct fuse_in_header *)(void *)buf)->len = len + 16;
	r = mkreq(&hiprio, buf, len + 16, 0);
	fuse_request(r);
	CHECK(done_req == r && done_len == 0 && nsent == 1);
	bi.count = 1;
	memcpy(buf + 40, &bi, sizeof(bi));
	r = mkreq(&hiprio, buf, len + 16, 0);
	fuse_request(r);
	CHECK(nsent == 2 && sent[1].type == IMSG_FRONTEND_BATCH_FORGET &&
	    sent[1].len == sizeof(struct msg_req) + 4 + sizeof(struct msg_forget_one));
}

static void
test_xattr_readdir(void)
{
	struct fuse_getxattr_in gi;
	struct fuse_read_in ri;
	struct fuse_dirent fd;
	struct msg_dirents dh;
	struct msg_dirent d;
	struct vq_req *r;
	uint8_t buf[512], *p;
	size_t off = 0;

	reset();
	memset(&gi, 0, sizeof(gi));
	gi.size = MSG_MAX_XATTR + 1;
	memcpy(buf, &gi, sizeof(gi));
	memcpy(buf + sizeof(gi), "user.x", 7);
	r = send_op(FUSE_GETXATTR, 2, buf, sizeof(gi) + 7, 100000);
	CHECK(answer(r) == E2BIG);
	gi.size = 64;
	memcpy(buf, &gi, sizeof(gi));
	r = send_op(FUSE_GETXATTR, 2, buf, sizeof(gi) + 7, 16 + 64);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_GETXATTR);
	worker_reply(IMSG_WORKER_REPLY_DATA, sent_id(0), 0, "value", 5);
	CHECK(done_req == r && done_len == 21 && memcmp(r->seg[1].host + 16, "value", 5) == 0);

	reset();
	memset(&ri, 0, sizeof(ri));
	ri.size = 4096;
	r = send_op(FUSE_READDIR, 2, &ri, sizeof(ri), 16 + 4096);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_READDIR);
	memset(&dh, 0, sizeof(dh));
	dh.count = 2;
	memcpy(buf, &dh, sizeof(dh));
	off = sizeof(dh);
	memset(&d, 0, sizeof(d));
	d.ino = 5;
	d.off = 1;
	d.type = 4;
	d.namelen = 2;
	memcpy(buf + off, &d, sizeof(d));
	memcpy(buf + off + sizeof(d), "..", 2);
	off += sizeof(d) + 2;
	d.ino = 6;
	d.off = 2;
	d.type = 8;
	d.namelen = 9;
	memcpy(buf + off, &d, sizeof(d));
	memcpy(buf + off + sizeof(d), "file.txt1", 9);
	off += sizeof(d) + 9;
	worker_reply(IMSG_WORKER_REPLY_DIRENTS, sent_id(0), 0, buf, off);
	CHECK(done_req == r && done_len == 16 + 32 + 40);
	p = r->seg[1].host + 16;
	memcpy(&fd, p, sizeof(fd));
	CHECK(fd.ino == 5 && fd.off == 1 && fd.namelen == 2 && fd.type == 4);
	CHECK(memcmp(p + 24, "..\0\0\0\0\0\0", 8) == 0);	/* padding zeroed */
	memcpy(&fd, p + 32, sizeof(fd));
	CHECK(fd.ino == 6 && fd.namelen == 9 && memcmp(p + 56, "file.txt1", 9) == 0);
	CHECK(memcmp(p + 65, "\0\0\0\0\0\0\0", 7) == 0);
	/* A name with a '/' from the worker is refused. */
	r = send_op(FUSE_READDIR, 2, &ri, sizeof(ri), 16 + 4096);
	buf[sizeof(dh) + sizeof(d) + 1] = '/';
	worker_reply(IMSG_WORKER_REPLY_DIRENTS, sent_id(nsent - 1), 0, buf, off);
	CHECK(answer(r) == EIO);
}

static void
test_misc(void)
{
	struct vq_req *r;
	uint8_t buf[512];

	/* SETXATTR: fuse_setxattr_in (8 bytes: SETXATTR_EXT not negotiated), name, value. */
	reset();
	{
		struct fuse_setxattr_in si;
		struct msg_xattr mx;
		struct msg_reader rd;
		const uint8_t *v;
		uint32_t vl;
		char nm[64];

		memset(&si, 0, sizeof(si));
		si.size = 3;
		memcpy(buf, &si, 8);
		memcpy(buf + 8, "user.k\0abc", 10);
		r = send_op(FUSE_SETXATTR, 2, buf, 8 + 10, 16);
		if (nsent != 1)
			abort();
		CHECK(sent[0].type == IMSG_FRONTEND_SETXATTR);
		msg_reader_init(&rd, sent[0].data + sizeof(struct msg_req),
		    sent[0].len - sizeof(struct msg_req));
		CHECK(msg_get(&rd, &mx, sizeof(mx)) == 0 && mx.size == 3);
		CHECK(msg_get_str(&rd, nm, sizeof(nm)) == 0 && strcmp(nm, "user.k") == 0);
		CHECK(msg_get_bytes(&rd, &v, &vl, 10) == 0 && vl == 3 && msg_end(&rd) == 0);
		worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), 0, NULL, 0);
		CHECK(answer(r) == 0);
		si.size = 4;			/* more than what follows the name */
		memcpy(buf, &si, 8);
		r = send_op(FUSE_SETXATTR, 2, buf, 8 + 10, 16);
		CHECK(answer(r) == EINVAL);
	}
	/* Without a DAX window the mapping requests go nowhere. */
	reset();
	{
		struct fuse_removemapping_one one = { 0, 4096 };
		struct fuse_setupmapping_in sm;
		uint32_t cnt = 1;

		memcpy(buf, &cnt, 4);
		memcpy(buf + 4, &one, sizeof(one));
		r = send_op(FUSE_REMOVEMAPPING, 1, buf, 4 + sizeof(one), 16);
		CHECK(answer(r) == EOPNOTSUPP && nsent == 0);
		memset(&sm, 0, sizeof(sm));
		sm.len = 4096;
		sm.flags = FUSE_SETUPMAPPING_FLAG_READ;
		r = send_op(FUSE_SETUPMAPPING, 1, &sm, sizeof(sm), 16);
		CHECK(answer(r) == EOPNOTSUPP && nsent == 0);
	}
}

/* SETUPMAPPING as Linux sends it: fh -1, 2 MiB, READ (| WRITE). */
static struct vq_req *
send_setupmapping(uint64_t fh, uint64_t foff, uint64_t len, uint64_t flags, uint64_t moff)
{
	struct fuse_setupmapping_in sm;

	memset(&sm, 0, sizeof(sm));
	sm.fh = fh;
	sm.foffset = foff;
	sm.len = len;
	sm.flags = flags;
	sm.moffset = moff;
	return send_op(FUSE_SETUPMAPPING, 2, &sm, sizeof(sm), 16);
}

/* A session with a 4 MiB DAX window: INIT offers MAP_ALIGNMENT, the ranges are checked. */
static void
test_dax(void)
{
	const uint64_t W = 4 << 20, M = 2 << 20, R = FUSE_SETUPMAPPING_FLAG_READ,
	    WR = R | FUSE_SETUPMAPPING_FLAG_WRITE;
	struct fuse_removemapping_one one[2] = { { 0, 4096 }, { 1 << 21, 8192 } };
	struct msg_config cfg;
	struct fuse_init_in ii;
	struct fuse_init_out io;
	struct msg_setupmapping m;
	struct msg_dax_range dr;
	struct vq_req *r;
	uint32_t cnt;
	uint8_t buf[128];

	reset();
	memset(&cfg, 0, sizeof(cfg));
	cfg.dax = DAX_ALWAYS;
	cfg.dax_window = W;
	fuse_layer_init(&cfg, &sinks);
	fuse_dax_window(W);
	memset(&ii, 0, sizeof(ii));
	ii.major = 7;
	ii.minor = 37;
	ii.flags = FUSE_INIT_EXT | FUSE_MAP_ALIGNMENT;
	r = send_op(FUSE_INIT, 0, &ii, sizeof(ii), 16 + sizeof(io));
	if (nsent > 0 && sent[nsent - 1].type == IMSG_FRONTEND_SESSION_DESTROY)
		worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(nsent - 1), 0, NULL, 0);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(nsent - 1), 0, NULL, 0);
	CHECK(done_req == r && done_len == 16 + sizeof(io));
	memcpy(&io, r->seg[1].host + 16, sizeof(io));
	CHECK((io.flags & FUSE_MAP_ALIGNMENT) && io.map_alignment == 12);

	/* what Linux sends is forwarded as it is */
	reset();
	r = send_setupmapping(UINT64_MAX, M, M, WR, M);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_SETUPMAPPING &&
	    sent[0].len == sizeof(struct msg_req) + sizeof(m));
	memcpy(&m, sent[0].data + sizeof(struct msg_req), sizeof(m));
	CHECK(m.fh == UINT64_MAX && m.foffset == M && m.len == M && m.moffset == M &&
	    m.flags == (SETUPMAPPING_READ | SETUPMAPPING_WRITE));
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), 0, NULL, 0);
	CHECK(answer(r) == 0);
	/* every bad range is refused here, nothing reaches the worker */
	reset();
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, M, 0, 0)) == EINVAL);	/* no READ */
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, M, WR | 4, 0)) == EINVAL);
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, 0, R, 0)) == EINVAL);	/* empty */
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, M, R, 512)) == EINVAL);	/* unaligned */
	CHECK(answer(send_setupmapping(UINT64_MAX, 100, M, R, 0)) == EINVAL);
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, 4000, R, 0)) == EINVAL);
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, M, R, W)) == EINVAL);	/* past it */
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, W + 4096, R, 0)) == EINVAL);
	CHECK(answer(send_setupmapping(UINT64_MAX, 0, M, R, UINT64_MAX - 4095)) == EINVAL);
	CHECK(answer(send_setupmapping(UINT64_MAX, (uint64_t)INT64_MAX - 4095, M, R, 0)) ==
	    EINVAL);
	CHECK(nsent == 0);

	/* REMOVEMAPPING: the entries sit unaligned after the 4-byte count */
	reset();
	cnt = 2;
	memcpy(buf, &cnt, 4);
	memcpy(buf + 4, one, sizeof(one));
	r = send_op(FUSE_REMOVEMAPPING, 1, buf, 4 + sizeof(one), 16);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_REMOVEMAPPING &&
	    sent[0].len == sizeof(struct msg_req) + 4 + 2 * sizeof(dr));
	memcpy(&dr, sent[0].data + sizeof(struct msg_req) + 4 + sizeof(dr), sizeof(dr));
	CHECK(dr.window_offset == 1 << 21 && dr.len == 8192);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), 0, NULL, 0);
	CHECK(answer(r) == 0);
	reset();
	cnt = 3;			/* more than the payload holds */
	memcpy(buf, &cnt, 4);
	CHECK(answer(send_op(FUSE_REMOVEMAPPING, 1, buf, 4 + sizeof(one), 16)) == EINVAL);
	cnt = UINT32_MAX;
	memcpy(buf, &cnt, 4);
	CHECK(answer(send_op(FUSE_REMOVEMAPPING, 1, buf, 4 + sizeof(one), 16)) == EINVAL);
	cnt = 0;
	memcpy(buf, &cnt, 4);
	CHECK(answer(send_op(FUSE_REMOVEMAPPING, 1, buf, 4, 16)) == EINVAL);
	cnt = 1;
	one[0].moffset = W - 4096;	/* runs past the window */
	one[0].len = 8192;
	memcpy(buf, &cnt, 4);
	memcpy(buf + 4, one, sizeof(one[0]));
	CHECK(answer(send_op(FUSE_REMOVEMAPPING, 1, buf, 4 + sizeof(one[0]), 16)) == EINVAL);
	CHECK(nsent == 0);
	reset();
}

/* A session with --security-label: CREATE carries fuse_secctx_header [+ context]. */
static void
test_secctx(void)
{
	struct msg_config cfg;
	struct fuse_init_in ii;
	struct fuse_init_out io;
	struct fuse_create_in ci;
	struct fuse_secctx_header sh;
	struct fuse_secctx sc;
	struct msg_newnode nn;
	struct msg_reader rd;
	struct msg_req h;
	const uint8_t *val;
	uint32_t vlen, len;
	int k;
	char str[300];
	uint8_t buf[512];
	struct vq_req *r;

	reset();
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = CONFIG_SECURITY_LABEL;
	fuse_layer_init(&cfg, &sinks);
	memset(&ii, 0, sizeof(ii));
	ii.major = 7;
	ii.minor = 37;
	ii.flags = FUSE_INIT_EXT;
	r = send_op(FUSE_INIT, 0, &ii, sizeof(ii), 16 + sizeof(io));
	CHECK(answer(r) == EPROTO);		/* the guest cannot do it: refused */
	ii.flags2 = (uint32_t)(FUSE_SECURITY_CTX >> 32);
	r = send_op(FUSE_INIT, 0, &ii, sizeof(ii), 16 + sizeof(io));
	/* SESSION_DESTROY (a fresh layer cannot know the worker's state), SESSION_INIT. */
	for (k = 0; k < nsent && done_req != r; k++)
		worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(k), 0, NULL, 0);
	CHECK(k == 2 && sent[0].type == IMSG_FRONTEND_SESSION_DESTROY);
	memcpy(&io, r->seg[1].host + 16, sizeof(io));
	CHECK(done_req == r && io.flags2 == 1);

	/* CREATE "f" with one context "security.selinux" = "ctx1" (4 bytes) + padding. */
	reset();
	memset(&ci, 0, sizeof(ci));
	ci.flags = O_RDWR | O_CREAT | O_EXCL;
	ci.mode = 0100644;
	ci.umask = 022;
	len = 0;
	memcpy(buf, &ci, sizeof(ci));
	len += sizeof(ci);
	memcpy(buf + len, "f", 2);
	len += 2;
	sh.size = sizeof(sh) + 32;	/* 8 + 17 + 4 = 29 -> 32 */
	sh.nr_secctx = 1;
	memcpy(buf + len, &sh, sizeof(sh));
	len += sizeof(sh);
	sc.size = 4;
	sc.padding = 0;
	memcpy(buf + len, &sc, sizeof(sc));
	memcpy(buf + len + 8, "security.selinux", 17);
	memcpy(buf + len + 25, "ctx1\0\0\0", 7);
	len += 32;
	r = send_op(FUSE_CREATE, 1, buf, len, 16 + 144);
	CHECK(ndone == 0 && nsent == 1 && sent[0].type == IMSG_FRONTEND_CREATE);
	msg_reader_init(&rd, sent[0].data, sent[0].len);
	CHECK(msg_get(&rd, &h, sizeof(h)) == 0 && msg_get(&rd, &nn, sizeof(nn)) == 0);
	CHECK(nn.flags == NEWNODE_SECCTX && nn.mode == 0100644 && nn.umask == 022 &&
	    nn.open_flags == O_RDWR);
	CHECK(msg_get_str(&rd, str, sizeof(str)) == 0 && strcmp(str, "f") == 0);
	CHECK(msg_get_str(&rd, str, sizeof(str)) == 0 && strcmp(str, "security.selinux") == 0);
	CHECK(msg_get_bytes(&rd, &val, &vlen, 100) == 0 && vlen == 4 &&
	    memcmp(val, "ctx1", 4) == 0 && msg_end(&rd) == 0);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), EEXIST, NULL, 0);
	CHECK(answer(r) == EEXIST);
	/* A context whose size runs past the request. */
	sc.size = 40;
	memcpy(buf + sizeof(ci) + 2 + sizeof(sh), &sc, sizeof(sc));
	r = send_op(FUSE_CREATE, 1, buf, len, 16 + 144);
	CHECK(answer(r) == EINVAL);
	/* No context (no LSM in the guest): just the 8-byte header. */
	sh.size = sizeof(sh);
	sh.nr_secctx = 0;
	memcpy(buf + sizeof(ci) + 2, &sh, sizeof(sh));
	r = send_op(FUSE_CREATE, 1, buf, sizeof(ci) + 2 + sizeof(sh), 16 + 144);
	CHECK(nsent == 2);
	memcpy(&nn, sent[1].data + sizeof(h), sizeof(nn));
	CHECK(nn.flags == 0);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(1), EACCES, NULL, 0);
	/* Missing header altogether. */
	r = send_op(FUSE_CREATE, 1, buf, sizeof(ci) + 2, 16 + 144);
	CHECK(answer(r) == EINVAL);
	/* O_TMPFILE in CREATE. */
	ci.flags = O_RDWR | O_TMPFILE;
	memcpy(buf, &ci, sizeof(ci));
	r = send_op(FUSE_CREATE, 1, buf, sizeof(ci) + 2 + sizeof(sh), 16 + 144);
	CHECK(answer(r) == EINVAL);
	CHECK(fuse_inflight() == 0);
}

/* Deterministic xorshift: the same run every time. */
static uint32_t
rnd(void)
{
	static uint64_t x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)x;
}

/* Arguments shaped like the opcode's: its fixed struct (small values), then names. */
static uint32_t
fuzz_args(uint32_t op, uint8_t *arg)
{
	static const uint8_t fixed[53] = {
		[FUSE_FORGET] = 8, [FUSE_GETATTR] = 16, [FUSE_SETATTR] = 88,
		[FUSE_MKNOD] = 16, [FUSE_MKDIR] = 8, [FUSE_RENAME] = 8, [FUSE_LINK] = 8,
		[FUSE_OPEN] = 8, [FUSE_READ] = 40, [FUSE_WRITE] = 40, [FUSE_RELEASE] = 24,
		[FUSE_FSYNC] = 16, [FUSE_SETXATTR] = 16, [FUSE_GETXATTR] = 8,
		[FUSE_LISTXATTR] = 8, [FUSE_FLUSH] = 24, [FUSE_INIT] = 64, [FUSE_OPENDIR] = 8,
		[FUSE_READDIR] = 40, [FUSE_RELEASEDIR] = 24, [FUSE_FSYNCDIR] = 16,
		[FUSE_GETLK] = 48, [FUSE_SETLK] = 48, [FUSE_SETLKW] = 48, [FUSE_ACCESS] = 8,
		[FUSE_CREATE] = 16, [FUSE_BATCH_FORGET] = 8, [FUSE_FALLOCATE] = 32,
		[FUSE_READDIRPLUS] = 40, [FUSE_RENAME2] = 16, [FUSE_LSEEK] = 24,
		[FUSE_COPY_FILE_RANGE] = 56, [FUSE_SETUPMAPPING] = 40,
		[FUSE_REMOVEMAPPING] = 4, [FUSE_SYNCFS] = 8, [FUSE_TMPFILE] = 16,
	};
	static const uint8_t names[53] = {
		[FUSE_LOOKUP] = 1, [FUSE_SYMLINK] = 2, [FUSE_MKNOD] = 1, [FUSE_MKDIR] = 1,
		[FUSE_UNLINK] = 1, [FUSE_RMDIR] = 1, [FUSE_RENAME] = 2, [FUSE_LINK] = 1,
		[FUSE_SETXATTR] = 2, [FUSE_GETXATTR] = 1, [FUSE_REMOVEXATTR] = 1,
		[FUSE_CREATE] = 1, [FUSE_RENAME2] = 2, [FUSE_TMPFILE] = 1,
		[FUSE_BATCH_FORGET] = 0,
	};
	uint32_t len = fixed[op], i, n, k;

	for (i = 0; i < len; i++)
		arg[i] = rnd() % 2 ? 0 : (uint8_t)(rnd() % 8);
	for (n = 0; n < names[op]; n++) {
		k = rnd() % 6;
		for (i = 0; i < k; i++)
			arg[len++] = (uint8_t)("ab./x\0"[rnd() % 6]);
		arg[len++] = '\0';
	}
	/* A few trailing bytes now and then (extension blocks, BATCH_FORGET entries). */
	if (rnd() % 4 == 0)
		for (k = (rnd() % 4) * 8, i = 0; i < k; i++)
			arg[len++] = (uint8_t)(rnd() % 3);
	return len;
}

/*
 * Migration: the session saved from a negotiated INIT loads into a fresh FUSE layer, which
 * then serves without INIT; a session no INIT here could have made (a flag not wanted, a
 * minor out of range, max_pages against max_write, pad) is refused and serves nothing.
 */
static void
test_migrate(void)
{
	struct msg_fuse_state	 st, bad;
	struct msg_config	 cfg;
	struct vq_req		*r;

	do_init(FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS);
	fuse_state_save(&st);
	CHECK(st.ready == 1 && st.minor == 37 && st.max_pages == 124 &&
	    st.max_write == 124 * 4096 && st.max_readahead == 65536);
	CHECK((st.flags & FUSE_DO_READDIRPLUS) && (st.flags & FUSE_INIT_EXT));
	memset(&cfg, 0, sizeof(cfg));
	fuse_layer_init(&cfg, &sinks);
	reset();
	r = send_op(FUSE_GETATTR, 1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 200);
	CHECK(answer(r) == EIO);		/* no session yet */
	bad = st;
	bad.flags |= FUSE_WRITEBACK_CACHE;	/* not configured */
	CHECK(fuse_state_load(&bad) == -1 && fuse_sess.state != FUSE_STATE_READY);
	bad = st;
	bad.minor = 99;
	CHECK(fuse_state_load(&bad) == -1);
	bad = st;
	bad.max_write = 1 << 30;
	CHECK(fuse_state_load(&bad) == -1);
	bad = st;
	bad.max_pages = 0xffff;
	bad.max_write = 0xffff * 4096;
	CHECK(fuse_state_load(&bad) == -1);
	bad = st;
	bad.ready = 2;
	CHECK(fuse_state_load(&bad) == -1);
	bad = st;
	bad.pad = 1;
	CHECK(fuse_state_load(&bad) == -1);
	CHECK(fuse_state_load(&st) == 0 && fuse_sess.state == FUSE_STATE_READY);
	CHECK(fuse_sess.flags == st.flags && fuse_sess.max_pages == st.max_pages);
	reset();
	r = send_op(FUSE_GETATTR, 1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 200);
	CHECK(nsent == 1 && sent[0].type == IMSG_FRONTEND_GETATTR);
	worker_reply(IMSG_WORKER_REPLY_STATUS, sent_id(0), ENOENT, NULL, 0);
	CHECK(done_req == r && fuse_inflight() == 0);
	/* A stream without a session: none here either. */
	memset(&bad, 0, sizeof(bad));
	CHECK(fuse_state_load(&bad) == 0 && fuse_sess.state == FUSE_STATE_NONE);
	fuse_state_save(&bad);
	CHECK(bad.ready == 0);
}

/*
 * Random requests, then random worker answers to whatever was sent: nothing may crash
 * (run under ASan/UBSan), and every request is completed exactly once.
 */
static void
test_fuzz(void)
{
	static const uint32_t replen[] = { 0, 136, 104, 16, 152, 8, 0, 56, 8, 24 };
	uint8_t arg[600], rep[700];
	uint32_t op, alen, wr, type, len, k, j;
	struct msg_config cfg;
	int i, once = 1;

	memset(&cfg, 0, sizeof(cfg));
	fuse_layer_init(&cfg, &sinks);
	for (i = 0; i < 20000; i++) {
		if (fuse_sess.state != FUSE_STATE_READY)
			do_init(FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS |
			    FUSE_SETXATTR_EXT);
		reset();
		op = rnd() % 53;
		if (rnd() % 4 != 0)
			alen = fuzz_args(op, arg);
		else {
			alen = rnd() % (rnd() % 2 ? 64 : sizeof(arg));
			for (k = 0; k < alen; k++)
				arg[k] = rnd() % 4 == 0 ? 0 : (uint8_t)rnd();
		}
		wr = rnd() % 2 ? 16 + rnd() % 8192 : rnd() % 200;
		(void)send_op(op, rnd() % 4, arg, alen, wr);
		for (k = 0; k < (uint32_t)nsent; k++) {
			type = 200 + rnd() % 10;
			len = rnd() % 3 ? replen[type - 200] : rnd() % sizeof(rep);
			for (j = 0; j < len; j++)
				rep[j] = (uint8_t)rnd();
			if (type == IMSG_WORKER_REPLY_DIRENTS && len >= 8)
				rep[0] %= 4, rep[1] = rep[2] = rep[3] = 0;
			worker_reply(type, sent_id((int)k), rnd() % 4 ? 0 : (int)(rnd() % 700),
			    rep, len);
		}
		if (ndone != 1 || fuse_inflight() != 0) {
			if (once)
				fprintf(stderr, "fuzz %d: opcode %u done %d inflight %u\n", i,
				    op, ndone, fuse_inflight());
			once = 0;
			check_failures++;
		}
		check_count++;
	}
}

int
main(void)
{
	struct msg_config cfg;

	log_init(0, LOG_LEVEL_ERROR);
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache = CACHE_AUTO;
	fuse_layer_init(&cfg, &sinks);
	test_session();
	test_names();
	test_open();
	test_read_write();
	test_forget();
	test_xattr_readdir();
	test_misc();
	test_secctx();
	test_dax();
	test_migrate();
	test_fuzz();
	CHECK(fuse_inflight() == 0 && ndrained > 0);
	reset();
	return check_done("fuse-parse");
}
