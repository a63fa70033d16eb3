/*
 * Typed worker replies into FUSE replies. The worker is trusted less than we are: its
 * reply must match the request it names (id and type) and parse exactly, or the guest
 * gets EIO and we log the bug. The records themselves are built as in fuse_out.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "chan.h"
#include "fuse_encode.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"

typedef int (*rep_fn)(struct fuse_call *, struct msg_reader *);

static int
rep_entry(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_entry_out out;
	struct msg_entry e;

	if (msg_get(r, &e, sizeof(e)) == -1 || msg_end(r) == -1)
		return -1;
	/* nodeid 0 is a negative entry: only a LOOKUP may answer so. */
	if (e.nodeid == 0 && call->op->opcode != FUSE_LOOKUP)
		return -1;
	fuse_fill_entry(&out, &e);
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_attr(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_attr_out out;
	struct msg_attr a;

	if (msg_get(r, &a, sizeof(a)) == -1 || msg_end(r) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.attr_valid = fuse_cache_timeout();
	fuse_fill_attr(&out.attr, &a);
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_open(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_open_out out;
	struct msg_opened o;

	if (msg_get(r, &o, sizeof(o)) == -1 || msg_end(r) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.fh = o.fh;
	out.open_flags = fuse_open_flags(call->aux == CALL_AUX_DIR);
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_create(struct fuse_call *call, struct msg_reader *r)
{
	struct {
		struct fuse_entry_out	entry;
		struct fuse_open_out	open;
	} out;
	struct msg_entry e;
	struct msg_opened o;

	if (msg_get(r, &e, sizeof(e)) == -1 || msg_get(r, &o, sizeof(o)) == -1 ||
	    msg_end(r) == -1 || e.nodeid == 0)
		return -1;
	explicit_bzero(&out, sizeof(out));
	fuse_fill_entry(&out.entry, &e);
	out.open.fh = o.fh;
	out.open.open_flags = fuse_open_flags(0);
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_count(struct msg_reader *r, uint64_t max, uint64_t *count)
{
	struct msg_count n;

	if (msg_get(r, &n, sizeof(n)) == -1 || msg_end(r) == -1 || n.count > max)
		return -1;
	*count = n.count;
	return 0;
}

static int
rep_read(struct fuse_call *call, struct msg_reader *r)
{
	uint64_t count;

	/* The worker wrote the data into the guest's buffers; only the header is ours. */
	if (rep_count(r, call->size, &count) == -1)
		return -1;
	call_reply(call, NULL, (uint32_t)count);
	return 0;
}

static int
rep_write(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_write_out out;
	uint64_t count;

	if (rep_count(r, call->size, &count) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.size = (uint32_t)count;
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_lseek(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_lseek_out out;
	uint64_t count;

	if (rep_count(r, INT64_MAX, &count) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.offset = count;
	call_reply(call, &out, sizeof(out));
	return 0;
}

/* REPLY_DATA: msg_rep, then the bytes to the end of the message (worker reply_data()). */
static int
rep_data_get(struct msg_reader *r, const uint8_t **data, uint32_t *len)
{
	if (r->left > MSG_MAX_XATTR)
		return -1;
	*data = r->p;
	*len = (uint32_t)r->left;
	return 0;
}

static int
rep_readlink(struct fuse_call *call, struct msg_reader *r)
{
	const uint8_t *data;
	uint32_t len;

	if (rep_data_get(r, &data, &len) == -1 || len == 0 || memchr(data, '\0', len))
		return -1;
	if ((uint64_t)FUSE_OUT_HDR + len > call->req->wr_len) {
		call_fail(call, ENAMETOOLONG);
		return 0;
	}
	call_reply(call, data, len);
	return 0;
}

static int
rep_xattr(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_getxattr_out out;
	const uint8_t *data;
	uint64_t count;
	uint32_t len;

	if (call->size == 0) {
		if (rep_count(r, UINT32_MAX, &count) == -1)
			return -1;
		explicit_bzero(&out, sizeof(out));
		out.size = (uint32_t)count;
		call_reply(call, &out, sizeof(out));
		return 0;
	}
	/* Larger than the guest's buffer is ERANGE, which the worker must answer. */
	if (rep_data_get(r, &data, &len) == -1 || len > call->size)
		return -1;
	call_reply(call, data, len);
	return 0;
}

static int
rep_statfs(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_statfs_out out;
	struct msg_statfs s;

	if (msg_get(r, &s, sizeof(s)) == -1 || msg_end(r) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.st.blocks = s.blocks;
	out.st.bfree = s.bfree;
	out.st.bavail = s.bavail;
	out.st.files = s.files;
	out.st.ffree = s.ffree;
	out.st.bsize = s.bsize;
	out.st.namelen = s.namelen;
	out.st.frsize = s.frsize;
	call_reply(call, &out, sizeof(out));
	return 0;
}

static int
rep_lock(struct fuse_call *call, struct msg_reader *r)
{
	struct fuse_lk_out out;
	struct msg_lock_reply l;

	if (msg_get(r, &l, sizeof(l)) == -1 || msg_end(r) == -1)
		return -1;
	explicit_bzero(&out, sizeof(out));
	out.lk.start = l.start;
	out.lk.end = l.end;
	out.lk.type = l.type;
	out.lk.pid = l.pid;
	call_reply(call, &out, sizeof(out));
	return 0;
}

/* READDIR(PLUS): encoded as the worker does when it completes one itself. */
static int
rep_dirents(struct fuse_call *call, struct msg_reader *r)
{
	static uint8_t		 buf[MSG_MAX_READDIR];
	struct fuse_dirents_enc	 how;
	uint32_t		 len;

	if (call->size > sizeof(buf))
		return -1;
	memset(&how, 0, sizeof(how));
	how.size = (uint32_t)call->size;
	how.plus = call->aux != 0;
	how.timeout = fuse_cache_timeout();
	how.attr_flags = fuse_attr_flags();
	if (fuse_encode_dirents(buf, &how, r, &len) == -1)
		return -1;
	call_reply(call, buf, len);
	return 0;
}

/* Per enum fuse_rep: the worker's success type and its encoder. */
static const struct {
	uint32_t	type;
	rep_fn		fn;
} reps[REP_COUNT_] = {
	[REP_STATUS] = { IMSG_WORKER_REPLY_STATUS, NULL },
	[REP_ENTRY] = { IMSG_WORKER_REPLY_ENTRY, rep_entry },
	[REP_ATTR] = { IMSG_WORKER_REPLY_ATTR, rep_attr },
	[REP_OPEN] = { IMSG_WORKER_REPLY_OPEN, rep_open },
	[REP_CREATE] = { IMSG_WORKER_REPLY_CREATE, rep_create },
	[REP_READ] = { IMSG_WORKER_REPLY_COUNT, rep_read },
	[REP_WRITE] = { IMSG_WORKER_REPLY_COUNT, rep_write },
	[REP_LSEEK] = { IMSG_WORKER_REPLY_COUNT, rep_lseek },
	[REP_READLINK] = { IMSG_WORKER_REPLY_DATA, rep_readlink },
	[REP_XATTR] = { IMSG_WORKER_REPLY_DATA, rep_xattr },
	[REP_STATFS] = { IMSG_WORKER_REPLY_STATFS, rep_statfs },
	[REP_DIRENTS] = { IMSG_WORKER_REPLY_DIRENTS, rep_dirents },
	[REP_LOCK] = { IMSG_WORKER_REPLY_LOCK, rep_lock },
	[REP_INIT] = { IMSG_WORKER_REPLY_STATUS, NULL },
	[REP_DESTROY] = { IMSG_WORKER_REPLY_STATUS, NULL },
};

static uint32_t
rep_type(const struct fuse_call *call)
{
	/* GETXATTR/LISTXATTR with size 0 ask for a length, not for bytes. */
	if (call->op->rep == REP_XATTR && call->size == 0)
		return IMSG_WORKER_REPLY_COUNT;
	return reps[call->op->rep].type;
}

/* A reply we cannot use: the guest gets EIO, and a session step fails as a whole. */
static void
rep_bug(struct fuse_call *call)
{
	if (call->op->rep == REP_INIT || call->op->rep == REP_DESTROY)
		fuse_session_reply(call, EIO);
	else
		call_fail(call, EIO);
}

static void
rep_status(struct fuse_call *call, struct msg_reader *r, const struct msg_rep *rep)
{
	if (msg_end(r) == -1) {
		log_warnx_rl("fuse: %s: status reply with trailing bytes", call->op->name);
		rep_bug(call);
		return;
	}
	if (call->op->rep == REP_INIT || call->op->rep == REP_DESTROY) {
		fuse_session_reply(call, rep->error);
		return;
	}
	if (rep->error != 0) {
		call_fail(call, rep->error);
		return;
	}
	if (rep_type(call) != IMSG_WORKER_REPLY_STATUS) {
		log_warnx_rl("fuse: %s: worker answered success without a result",
		    call->op->name);
		call_fail(call, EIO);
		return;
	}
	call_reply(call, NULL, 0);
}

void
fuse_worker_reply(struct chan_msg *msg)
{
	struct fuse_call *call;
	struct msg_reader r;
	struct msg_rep rep;

	msg_reader_init(&r, msg->data, msg->hdr.len);
	if (msg_get(&r, &rep, sizeof(rep)) == -1) {
		log_warnx_rl("fuse: worker reply type %u too short", msg->hdr.type);
		return;
	}
	if ((call = call_find(rep.id)) == NULL || call->op->rep == REP_NONE) {
		log_warnx_rl("fuse: worker reply %#" PRIx64 " matches no request", rep.id);
		return;
	}
	if (msg->hdr.type == IMSG_WORKER_REPLY_STATUS) {
		rep_status(call, &r, &rep);
		return;
	}
	if (msg->hdr.type != rep_type(call) || rep.error != 0) {
		log_warnx_rl("fuse: %s: worker answered with type %u error %d", call->op->name,
		    msg->hdr.type, rep.error);
		rep_bug(call);
		return;
	}
	if (reps[call->op->rep].fn(call, &r) == -1) {
		log_warnx_rl("fuse: %s: malformed worker reply", call->op->name);
		call_fail(call, EIO);
	}
}

/* One call of a dead worker: INIT and DESTROY also settle the session's state. */
static void
call_lost(struct fuse_call *call, int error)
{
	if (call->op->rep == REP_INIT || call->op->rep == REP_DESTROY)
		fuse_session_reply(call, error);
	else
		call_fail(call, error);
}

void
fuse_worker_lost(int error)
{
	calls_fail_all(call_lost, error);
}
