/*
 * Typed requests to the worker: one message is built at a time in a writer that starts
 * with a zeroed struct msg_req, which is filled in from the guest's request header when
 * the message goes out. A request that expects a reply is tracked as a call first.
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "chan.h"
#include "fuse.h"
#include "fuse_priv.h"
#include "virtq.h"

static struct msg_writer	fuse_writer;
static int			fuse_writer_ready;
static void			(*send_worker)(uint32_t, uint32_t, const struct iovec *, int);

void
fuse_send_init(void (*fn)(uint32_t type, uint32_t trailer, const struct iovec *iov,
    int iovcnt))
{
	send_worker = fn;
}

struct msg_writer *
fuse_msg_begin(void)
{
	struct msg_req hdr;

	if (!fuse_writer_ready) {
		msg_writer_init(&fuse_writer);
		fuse_writer_ready = 1;
	}
	msg_writer_reset(&fuse_writer);
	memset(&hdr, 0, sizeof(hdr));
	msg_put(&fuse_writer, &hdr, sizeof(hdr));	/* filled in when sent */
	return &fuse_writer;
}

static void
fuse_msg_emit(const struct fuse_in_header *in, uint64_t id, uint32_t type, uint32_t trailer)
{
	struct msg_req hdr;
	struct iovec iov;

	memset(&hdr, 0, sizeof(hdr));
	hdr.id = id;
	hdr.nodeid = in->nodeid;
	hdr.uid = in->uid;
	hdr.gid = in->gid;
	hdr.pid = in->pid;
	memcpy(fuse_writer.buf, &hdr, sizeof(hdr));
	iov.iov_base = fuse_writer.buf;
	iov.iov_len = fuse_writer.len;
	send_worker(type, trailer, &iov, 1);
}

/*
 * How the worker would encode this request's reply if it completed it itself
 * (worker/direct.c), and the most bytes of the reply before any data; 0 for the replies
 * only we build (xattrs, locks, session steps, ...).
 */
static uint32_t
fuse_direct_enc(const struct fuse_ctx *c, uint32_t *len)
{
	const uint32_t open_out = sizeof(struct fuse_open_out);

	switch (c->op->rep) {
	case REP_STATUS:
		*len = FUSE_OUT_HDR;
		return DIRECT_ENC_STATUS;
	case REP_ATTR:
		*len = FUSE_OUT_HDR + sizeof(struct fuse_attr_out);
		return DIRECT_ENC_ATTR;
	case REP_ENTRY:
		*len = FUSE_OUT_HDR + sizeof(struct fuse_entry_out);
		return c->op->opcode == FUSE_LOOKUP ? DIRECT_ENC_ENTRY : DIRECT_ENC_ENTRY_NEW;
	case REP_READ:
		*len = FUSE_OUT_HDR;
		return DIRECT_ENC_READ;
	case REP_WRITE:
		*len = FUSE_OUT_HDR + sizeof(struct fuse_write_out);
		return DIRECT_ENC_WRITE;
	case REP_OPEN:
		*len = FUSE_OUT_HDR + open_out;
		return DIRECT_ENC_OPEN;
	case REP_CREATE:
		*len = FUSE_OUT_HDR + sizeof(struct fuse_entry_out) + open_out;
		return DIRECT_ENC_CREATE;
	case REP_DIRENTS:
		*len = FUSE_OUT_HDR + (uint32_t)c->size;
		return c->aux != 0 ? DIRECT_ENC_DIRENTS_PLUS : DIRECT_ENC_DIRENTS;
	default:
		return 0;
	}
}

/*
 * Appends the completion trailer when the worker may complete this request itself;
 * returns its length (0: none, the reply comes back to us).
 */
static uint32_t
fuse_direct_trailer(const struct fuse_ctx *c, uint32_t type)
{
	struct msg_direct	d;
	struct msg_iov		seg[DIRECT_SEGS_MAX];
	uint32_t		enc, len;

	if (c->req == NULL || c->detach || msg_req_ordered(type) ||
	    (enc = fuse_direct_enc(c, &len)) == 0)
		return 0;
	memset(&d, 0, sizeof(d));
	if (len > c->req->wr_len || vq_direct_req(c->req, len, &d, seg) == -1)
		return 0;
	d.unique = c->in.unique;
	d.timeout = fuse_cache_timeout();
	d.size = c->size;
	d.enc = enc;
	d.attr_flags = fuse_attr_flags();
	/* As fuse_reply.c's rep_open and rep_create. */
	if (enc == DIRECT_ENC_OPEN || enc == DIRECT_ENC_CREATE)
		d.open_flags = fuse_open_flags(enc == DIRECT_ENC_OPEN &&
		    c->aux == CALL_AUX_DIR);
	msg_put(&fuse_writer, &d, sizeof(d));
	msg_put(&fuse_writer, seg, d.nseg * sizeof(seg[0]));
	return (uint32_t)(sizeof(d) + d.nseg * sizeof(seg[0]));
}

int
fuse_msg_send(struct fuse_ctx *c, uint32_t type)
{
	struct fuse_call *call;

	/* Every field is bounded, so this only catches a bug of ours. */
	if (fuse_writer.len > CHAN_MAX_PAYLOAD) {
		log_warnx_rl("fuse: %s request of %zu bytes too large", c->op->name,
		    fuse_writer.len);
		return EINVAL;
	}
	call = call_new();
	call->req = c->req;
	call->op = c->op;
	call->unique = c->in.unique;
	call->size = c->size;
	call->aux = c->aux;
	call->epoch = fuse_sess.epoch;
	if (c->detach)
		call_detach(call);
	fuse_msg_emit(&c->in, call_id(call), type, fuse_direct_trailer(c, type));
	return 0;
}

int
fuse_msg_send_fixed(struct fuse_ctx *c, uint32_t type, const void *m, size_t len)
{
	msg_put(fuse_msg_begin(), m, len);
	return fuse_msg_send(c, type);
}

void
fuse_msg_send_noreply(struct fuse_ctx *c, uint32_t type)
{
	if (fuse_writer.len > CHAN_MAX_PAYLOAD)
		fatalx("%s: message too large", __func__);
	fuse_msg_emit(&c->in, 0, type, 0);
}

void
fuse_msg_send_call(struct fuse_call *call, uint32_t type)
{
	struct fuse_in_header none;

	/* Session messages act for the device, not for a guest process. */
	memset(&none, 0, sizeof(none));
	fuse_msg_emit(&none, call_id(call), type, 0);
}

void
fuse_lock_waits(int allow)
{
	struct msg_req hdr;
	struct msg_lock_waits m;
	struct iovec iov[2];

	/* For the device, not for a guest process: no id, nothing comes back. */
	memset(&hdr, 0, sizeof(hdr));
	memset(&m, 0, sizeof(m));
	m.allow = allow ? 1 : 0;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = &m;
	iov[1].iov_len = sizeof(m);
	send_worker(IMSG_FRONTEND_LOCK_WAITS, 0, iov, 2);
}
