/*
 * INIT and DESTROY: negotiating the session with the guest and taking it to the worker.
 * Before the guest sees the INIT reply, the worker has accepted the session
 * (IMSG_FRONTEND_SESSION_INIT answered with status 0); when the worker may still hold
 * nodes of an older session (a second INIT, a reboot of the guest),
 * IMSG_FRONTEND_SESSION_DESTROY goes first.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"

#define FUSE_MAX_PAGES_LIMIT	256	/* Linux's own ceiling (FUSE_MAX_MAX_PAGES) */
#define FUSE_CHAIN_OVERHEAD	4	/* in header, in args, out header, out args */
#define FUSE_DEFAULT_QUEUE	128	/* QEMU's queue-size when the ring cannot tell */

#define FUSE_MAX_BACKGROUND	64
#define FUSE_CONGESTION		48	/* 3/4 of max_background, as Linux defaults */

/*
 * What we implement, given the configuration. Never acknowledged: EXPLICIT_INVAL_DATA (we
 * cannot send invalidations, Linux virtiofs has no notification queue, so "explicit only"
 * would mean stale pages past a size the host changed), HANDLE_KILLPRIV (v1; v2 only),
 * IOCTL_DIR, the SPLICE_* flags. MAP_ALIGNMENT only when the VMM maps a DAX window for us
 * (the guest sees the window from the VMM, not from us: without one it never asks).
 */
static uint64_t
fuse_init_want(void)
{
	uint32_t cf = fuse_sess.config_flags;
	uint64_t want;

	want = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS |
	    FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES |
	    FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES |
	    FUSE_CACHE_SYMLINKS | FUSE_SETXATTR_EXT | FUSE_INIT_EXT;
	if ((cf & CONFIG_NO_READDIRPLUS) == 0)
		want |= FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
	/* With cache=always the guest keeps its pages whatever the attributes say. */
	if (fuse_sess.cache != CACHE_ALWAYS)
		want |= FUSE_AUTO_INVAL_DATA;
	if ((cf & CONFIG_WRITEBACK) && (cf & CONFIG_READONLY) == 0)
		want |= FUSE_WRITEBACK_CACHE;
	if (cf & CONFIG_KILLPRIV_V2)
		want |= FUSE_HANDLE_KILLPRIV_V2;
	/*
	 * As virtiofsd: DONT_MASK only with ACLs, where the umask must be applied on the host
	 * (the host kernel ignores it under a default ACL); otherwise the guest applies it.
	 */
	if (cf & CONFIG_POSIX_ACL)
		want |= FUSE_POSIX_ACL | FUSE_DONT_MASK;
	if (cf & CONFIG_ANNOUNCE_SUBMOUNTS)
		want |= FUSE_SUBMOUNTS;
	if (cf & CONFIG_SECURITY_LABEL)
		want |= FUSE_SECURITY_CTX;
	if (fuse_sess.dax_window != 0) {
		want |= FUSE_MAP_ALIGNMENT;
		if (fuse_sess.dax == DAX_INODE)
			want |= FUSE_HAS_INODE_DAX;
	}
	return want;
}

static uint32_t
fuse_session_flags(uint64_t neg)
{
	uint32_t f = 0;

	if (neg & FUSE_WRITEBACK_CACHE)
		f |= SESSION_WRITEBACK;
	if (neg & FUSE_HANDLE_KILLPRIV_V2)
		f |= SESSION_KILLPRIV_V2;
	if (neg & FUSE_POSIX_ACL)
		f |= SESSION_POSIX_ACL;
	if (neg & FUSE_SECURITY_CTX)
		f |= SESSION_SECURITY_CTX;
	if (neg & FUSE_SUBMOUNTS)
		f |= SESSION_SUBMOUNTS;
	if (neg & FUSE_DONT_MASK)
		f |= SESSION_DONT_MASK;
	if (neg & FUSE_HAS_INODE_DAX)
		f |= SESSION_INODE_DAX;
	return f;
}

/* Options the user asked for that the guest cannot do refuse the mount, as virtiofsd. */
static int
fuse_init_required(uint64_t offered)
{
	uint32_t cf = fuse_sess.config_flags;
	uint64_t acl = FUSE_POSIX_ACL | FUSE_DONT_MASK | FUSE_SETXATTR_EXT;

	if ((cf & CONFIG_POSIX_ACL) && (offered & acl) != acl) {
		log_warnx_rl("fuse: guest cannot do POSIX ACLs (--posix-acl)");
		return EPROTO;
	}
	if ((cf & CONFIG_SECURITY_LABEL) && (offered & FUSE_SECURITY_CTX) == 0) {
		log_warnx_rl("fuse: guest cannot send security contexts (--security-label)");
		return EPROTO;
	}
	return 0;
}

/*
 * Every data page is one descriptor, and a chain holds at most vq_chain_max()
 * descriptors: the queue size, or more in an indirect table (doc/wire.md: Linux 6.1 does
 * not clamp by itself). MSG_MAX_IO bounds one READ/WRITE.
 */
static uint32_t
fuse_max_pages(const struct vq *vq)
{
	uint32_t n = FUSE_MAX_PAGES_LIMIT, qsize = FUSE_DEFAULT_QUEUE;

	if (vq != NULL && vq_num(vq) != 0)
		qsize = vq_chain_max(vq);
	if (qsize <= FUSE_CHAIN_OVERHEAD)
		n = 1;
	else if (n > qsize - FUSE_CHAIN_OVERHEAD)
		n = qsize - FUSE_CHAIN_OVERHEAD;
	if (n > MSG_MAX_IO / 4096)
		n = MSG_MAX_IO / 4096;
	return n;
}

static int
fuse_negotiate(const struct fuse_init_in *in, const struct vq *vq)
{
	struct fuse_init_out *out = &fuse_sess.init_out;
	uint64_t offered, neg;
	int error;

	offered = in->flags;
	if (in->flags & FUSE_INIT_EXT)
		offered |= (uint64_t)in->flags2 << 32;
	if ((error = fuse_init_required(offered)) != 0)
		return error;
	neg = offered & fuse_init_want();

	explicit_bzero(out, sizeof(*out));
	out->major = FUSE_KERNEL_VERSION;
	out->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor :
	    FUSE_KERNEL_MINOR_VERSION;
	out->max_readahead = in->max_readahead;
	out->flags = (uint32_t)neg;
	out->flags2 = (uint32_t)(neg >> 32);
	out->max_background = FUSE_MAX_BACKGROUND;
	out->congestion_threshold = FUSE_CONGESTION;
	out->max_pages = (uint16_t)fuse_max_pages(vq);
	out->max_write = (uint32_t)out->max_pages * 4096;	/* Linux caps it so anyway */
	out->time_gran = 1;
	out->map_alignment = (neg & FUSE_MAP_ALIGNMENT) ? DAX_ALIGN_SHIFT : 0;

	fuse_sess.minor = out->minor;
	fuse_sess.flags = neg;
	fuse_sess.max_pages = out->max_pages;
	log_debug("fuse: INIT %u.%u flags %#llx -> %u.%u flags %#llx", in->major, in->minor,
	    (unsigned long long)offered, out->major, out->minor, (unsigned long long)neg);
	return 0;
}

static void
fuse_put_session(void)
{
	struct msg_writer *w;
	struct msg_session s;

	memset(&s, 0, sizeof(s));
	s.flags = fuse_session_flags(fuse_sess.flags);
	s.max_write = fuse_sess.init_out.max_write;
	w = fuse_msg_begin();
	msg_put(w, &s, sizeof(s));
}

static void
fuse_send_session_init(struct fuse_call *call)
{
	fuse_put_session();
	call->aux = INIT_PHASE_INIT;
	fuse_sess.worker_dirty = 1;
	fuse_msg_send_call(call, IMSG_FRONTEND_SESSION_INIT);
}

int
fuse_op_init(struct fuse_ctx *c)
{
	struct fuse_init_in in;
	uint32_t n;
	int error;

	/* 7.36+ guests send 64 bytes, older ones 16: read what came, ignore the rest. */
	memset(&in, 0, sizeof(in));
	n = c->left < sizeof(in) ? c->left : (uint32_t)sizeof(in);
	if ((error = arg_fixed(c, &in, n)) != 0)
		return error;
	if (in.major != FUSE_KERNEL_VERSION || in.minor < FUSE_MIN_MINOR) {
		log_warnx_rl("fuse: guest speaks FUSE %u.%u, need 7.%u or later", in.major,
		    in.minor, FUSE_MIN_MINOR);
		return EPROTO;
	}
	if (fuse_sess.state == FUSE_STATE_INIT)
		return EIO;		/* one negotiation at a time */
	if (fuse_sess.state == FUSE_STATE_READY) {
		log_info_rl("fuse: new INIT, resetting the session");
		fuse_session_reset();
	}
	if ((error = fuse_negotiate(&in, c->req->vq)) != 0)
		return error;
	fuse_sess.state = FUSE_STATE_INIT;
	if (fuse_sess.worker_dirty) {
		(void)fuse_msg_begin();
		c->aux = INIT_PHASE_DESTROY;
		error = fuse_msg_send(c, IMSG_FRONTEND_SESSION_DESTROY);
	} else {
		fuse_put_session();
		c->aux = INIT_PHASE_INIT;
		fuse_sess.worker_dirty = 1;
		error = fuse_msg_send(c, IMSG_FRONTEND_SESSION_INIT);
	}
	if (error != 0)
		fuse_sess.state = FUSE_STATE_NONE;
	return error;
}

int
fuse_op_destroy(struct fuse_ctx *c)
{
	int error;

	/* From here on only a new INIT is served. */
	fuse_session_reset();
	(void)fuse_msg_begin();
	if ((error = fuse_msg_send(c, IMSG_FRONTEND_SESSION_DESTROY)) == 0)
		fuse_sess.worker_dirty = 0;
	return error;
}

static void
fuse_init_done(struct fuse_call *call, int error)
{
	/* The device was reset meanwhile: this negotiation belongs to nobody now. */
	if (call->epoch != fuse_sess.epoch) {
		log_info_rl("fuse: INIT answered after a reset, dropped");
		call_fail(call, EIO);
		return;
	}
	if (call->aux == INIT_PHASE_DESTROY && error == 0) {
		fuse_sess.worker_dirty = 0;
		fuse_send_session_init(call);	/* same call, second step */
		return;
	}
	if (error != 0) {
		log_warnx_rl("fuse: worker refused the session: %s", strerror(error));
		fuse_sess.state = FUSE_STATE_NONE;
		call_fail(call, call->aux == INIT_PHASE_DESTROY ? EIO : error);
		return;
	}
	fuse_sess.state = FUSE_STATE_READY;
	call_reply(call, &fuse_sess.init_out, sizeof(fuse_sess.init_out));
}

void
fuse_session_reply(struct fuse_call *call, int error)
{
	if (call->op->rep == REP_INIT) {
		fuse_init_done(call, error);
		return;
	}
	/* DESTROY: the session is gone either way. */
	if (error != 0) {
		log_warnx_rl("fuse: worker failed SESSION_DESTROY: %s", strerror(error));
		fuse_sess.worker_dirty = 1;
		call_fail(call, error);
		return;
	}
	call_reply(call, NULL, 0);
}

/* ---- migration: the session as the device state carries it ---- */

void
fuse_state_save(struct msg_fuse_state *out)
{
	memset(out, 0, sizeof(*out));
	if (fuse_sess.state != FUSE_STATE_READY)
		return;
	out->ready = 1;
	out->minor = fuse_sess.minor;
	out->flags = fuse_sess.flags;
	out->max_pages = fuse_sess.max_pages;
	out->max_write = fuse_sess.init_out.max_write;
	out->max_readahead = fuse_sess.init_out.max_readahead;
}

/*
 * What a destination's worker read from the stream, which the VMM passed on: every
 * field checked against what an INIT here could have negotiated. -1 when it could not.
 */
int
fuse_state_load(const struct msg_fuse_state *in)
{
	struct fuse_init_out	*out = &fuse_sess.init_out;
	uint64_t		 want = fuse_init_want();

	if (in->ready == 0) {
		fuse_session_reset();
		fuse_sess.worker_dirty = 1;
		return 0;
	}
	/* The window comes with the device's start, after the state: its flags may come. */
	if (fuse_sess.dax != DAX_NEVER)
		want |= FUSE_MAP_ALIGNMENT | (fuse_sess.dax == DAX_INODE ? FUSE_HAS_INODE_DAX : 0);
	if (in->ready != 1 || in->minor < FUSE_MIN_MINOR ||
	    in->minor > FUSE_KERNEL_MINOR_VERSION || (in->flags & ~want) != 0 ||
	    in->max_pages == 0 || in->max_pages > FUSE_MAX_PAGES_LIMIT ||
	    in->max_pages > MSG_MAX_IO / 4096 || in->max_write != in->max_pages * 4096 ||
	    in->pad != 0) {
		log_warnx("fuse: migrated session refused (minor %u, flags %#llx, %u pages)",
		    in->minor, (unsigned long long)in->flags, in->max_pages);
		return -1;
	}
	fuse_session_reset();
	explicit_bzero(out, sizeof(*out));
	out->major = FUSE_KERNEL_VERSION;
	out->minor = in->minor;
	out->max_readahead = in->max_readahead;
	out->flags = (uint32_t)in->flags;
	out->flags2 = (uint32_t)(in->flags >> 32);
	out->max_background = FUSE_MAX_BACKGROUND;
	out->congestion_threshold = FUSE_CONGESTION;
	out->max_pages = (uint16_t)in->max_pages;
	out->max_write = in->max_write;
	out->time_gran = 1;
	out->map_alignment = (in->flags & FUSE_MAP_ALIGNMENT) ? DAX_ALIGN_SHIFT : 0;
	fuse_sess.minor = in->minor;
	fuse_sess.flags = in->flags;
	fuse_sess.max_pages = in->max_pages;
	/* The worker took the session with the nodes: the guest goes on without an INIT. */
	fuse_sess.worker_dirty = 1;
	fuse_sess.state = FUSE_STATE_READY;
	log_info("fuse: migrated session, FUSE 7.%u flags %#llx", in->minor,
	    (unsigned long long)in->flags);
	return 0;
}
