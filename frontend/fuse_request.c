/*
 * Entry point of every chain: copy the FUSE header and arguments out of guest memory, check
 * what every opcode shares, and hand the private copy to the opcode's handler.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "chan.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"

#define E_OUT	((uint32_t)sizeof(struct fuse_entry_out))
#define A_OUT	((uint32_t)sizeof(struct fuse_attr_out))
#define O_OUT	((uint32_t)sizeof(struct fuse_open_out))

static int	fop_enosys(struct fuse_ctx *);
static int	fop_ignore(struct fuse_ctx *);

/* Every opcode a Linux guest may send; what is not here gets ENOSYS. */
static const struct fuse_op fuse_ops[] = {
	{ FUSE_LOOKUP, "LOOKUP", 2, E_OUT, 0, REP_ENTRY, fop_lookup },
	{ FUSE_FORGET, "FORGET", sizeof(struct fuse_forget_in), 0, FOP_NOREPLY, REP_NONE,
	    fop_forget },
	{ FUSE_GETATTR, "GETATTR", sizeof(struct fuse_getattr_in), A_OUT, 0, REP_ATTR,
	    fop_getattr },
	{ FUSE_SETATTR, "SETATTR", sizeof(struct fuse_setattr_in), A_OUT, 0, REP_ATTR,
	    fop_setattr },
	{ FUSE_READLINK, "READLINK", 0, 0, 0, REP_READLINK, fop_readlink },
	{ FUSE_SYMLINK, "SYMLINK", 4, E_OUT, FOP_SECCTX, REP_ENTRY, fop_symlink },
	{ FUSE_MKNOD, "MKNOD", sizeof(struct fuse_mknod_in) + 2, E_OUT, FOP_SECCTX, REP_ENTRY,
	    fop_mknod },
	{ FUSE_MKDIR, "MKDIR", sizeof(struct fuse_mkdir_in) + 2, E_OUT, FOP_SECCTX, REP_ENTRY,
	    fop_mkdir },
	{ FUSE_UNLINK, "UNLINK", 2, 0, 0, REP_STATUS, fop_unlink },
	{ FUSE_RMDIR, "RMDIR", 2, 0, 0, REP_STATUS, fop_rmdir },
	{ FUSE_RENAME, "RENAME", sizeof(struct fuse_rename_in) + 4, 0, 0, REP_STATUS,
	    fop_rename },
	{ FUSE_LINK, "LINK", sizeof(struct fuse_link_in) + 2, E_OUT, 0, REP_ENTRY, fop_link },
	{ FUSE_OPEN, "OPEN", sizeof(struct fuse_open_in), O_OUT, 0, REP_OPEN, fop_open },
	{ FUSE_READ, "READ", sizeof(struct fuse_read_in), 0, 0, REP_READ, fop_read },
	{ FUSE_WRITE, "WRITE", sizeof(struct fuse_write_in), sizeof(struct fuse_write_out), 0,
	    REP_WRITE, fop_write },
	{ FUSE_STATFS, "STATFS", 0, sizeof(struct fuse_statfs_out), 0, REP_STATFS,
	    fop_statfs },
	{ FUSE_RELEASE, "RELEASE", sizeof(struct fuse_release_in), 0, 0, REP_STATUS,
	    fop_release },
	{ FUSE_FSYNC, "FSYNC", sizeof(struct fuse_fsync_in), 0, 0, REP_STATUS, fop_fsync },
	{ FUSE_SETXATTR, "SETXATTR", FUSE_COMPAT_SETXATTR_IN_SIZE + 2, 0, 0, REP_STATUS,
	    fop_setxattr },
	{ FUSE_GETXATTR, "GETXATTR", sizeof(struct fuse_getxattr_in) + 2, 0, 0, REP_XATTR,
	    fop_getxattr },
	{ FUSE_LISTXATTR, "LISTXATTR", sizeof(struct fuse_getxattr_in), 0, 0, REP_XATTR,
	    fop_listxattr },
	{ FUSE_REMOVEXATTR, "REMOVEXATTR", 2, 0, 0, REP_STATUS, fop_removexattr },
	{ FUSE_FLUSH, "FLUSH", sizeof(struct fuse_flush_in), 0, 0, REP_STATUS, fop_flush },
	{ FUSE_INIT, "INIT", 16, sizeof(struct fuse_init_out), FOP_ANYTIME, REP_INIT,
	    fuse_op_init },
	{ FUSE_OPENDIR, "OPENDIR", sizeof(struct fuse_open_in), O_OUT, 0, REP_OPEN,
	    fop_opendir },
	{ FUSE_READDIR, "READDIR", sizeof(struct fuse_read_in), 0, 0, REP_DIRENTS,
	    fop_readdir },
	{ FUSE_RELEASEDIR, "RELEASEDIR", sizeof(struct fuse_release_in), 0, 0, REP_STATUS,
	    fop_releasedir },
	{ FUSE_FSYNCDIR, "FSYNCDIR", sizeof(struct fuse_fsync_in), 0, 0, REP_STATUS,
	    fop_fsyncdir },
	{ FUSE_GETLK, "GETLK", sizeof(struct fuse_lk_in), sizeof(struct fuse_lk_out), 0,
	    REP_LOCK, fop_getlk },
	{ FUSE_SETLK, "SETLK", sizeof(struct fuse_lk_in), 0, 0, REP_STATUS, fop_setlk },
	{ FUSE_SETLKW, "SETLKW", sizeof(struct fuse_lk_in), 0, 0, REP_STATUS, fop_setlkw },
	{ FUSE_ACCESS, "ACCESS", sizeof(struct fuse_access_in), 0, 0, REP_STATUS, fop_access },
	{ FUSE_CREATE, "CREATE", sizeof(struct fuse_create_in) + 2, E_OUT + O_OUT, FOP_SECCTX,
	    REP_CREATE, fop_create },
	/* Linux virtiofs never interrupts; a local file system has nothing to interrupt. */
	{ FUSE_INTERRUPT, "INTERRUPT", 0, 0, 0, REP_STATUS, fop_enosys },
	/* BMAP is for block-device file systems; IOCTL and POLL are not for virtiofs. */
	{ FUSE_BMAP, "BMAP", 0, 0, 0, REP_STATUS, fop_enosys },
	{ FUSE_DESTROY, "DESTROY", 0, 0, 0, REP_DESTROY, fuse_op_destroy },
	{ FUSE_IOCTL, "IOCTL", 0, 0, 0, REP_STATUS, fop_enosys },
	{ FUSE_POLL, "POLL", 0, 0, 0, REP_STATUS, fop_enosys },
	{ FUSE_NOTIFY_REPLY, "NOTIFY_REPLY", 0, 0, FOP_NOREPLY, REP_NONE, fop_ignore },
	{ FUSE_BATCH_FORGET, "BATCH_FORGET", sizeof(struct fuse_batch_forget_in), 0,
	    FOP_NOREPLY, REP_NONE, fop_batch_forget },
	{ FUSE_FALLOCATE, "FALLOCATE", sizeof(struct fuse_fallocate_in), 0, 0, REP_STATUS,
	    fop_fallocate },
	{ FUSE_READDIRPLUS, "READDIRPLUS", sizeof(struct fuse_read_in), 0, 0, REP_DIRENTS,
	    fop_readdirplus },
	{ FUSE_RENAME2, "RENAME2", sizeof(struct fuse_rename2_in) + 4, 0, 0, REP_STATUS,
	    fop_rename2 },
	{ FUSE_LSEEK, "LSEEK", sizeof(struct fuse_lseek_in), sizeof(struct fuse_lseek_out), 0,
	    REP_LSEEK, fop_lseek },
	{ FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE", sizeof(struct fuse_copy_file_range_in),
	    sizeof(struct fuse_write_out), 0, REP_WRITE, fop_copy_file_range },
	{ FUSE_SETUPMAPPING, "SETUPMAPPING", sizeof(struct fuse_setupmapping_in), 0, 0,
	    REP_STATUS, fop_setupmapping },
	{ FUSE_REMOVEMAPPING, "REMOVEMAPPING", sizeof(struct fuse_removemapping_in), 0, 0,
	    REP_STATUS, fop_removemapping },
	{ FUSE_SYNCFS, "SYNCFS", sizeof(struct fuse_syncfs_in), 0, 0, REP_STATUS, fop_syncfs },
	{ FUSE_TMPFILE, "TMPFILE", sizeof(struct fuse_create_in) + 2, E_OUT + O_OUT,
	    FOP_SECCTX, REP_CREATE, fop_tmpfile },
};

/* The private copy: one request is parsed at a time (the frontend is single-threaded). */
static uint8_t			fuse_argbuf[FUSE_ARGS_MAX];

static const struct fuse_op *
fuse_op_find(uint32_t opcode)
{
	size_t i;

	for (i = 0; i < sizeof(fuse_ops) / sizeof(fuse_ops[0]); i++)
		if (fuse_ops[i].opcode == opcode)
			return &fuse_ops[i];
	return NULL;
}

/* A chain dropped without any reply: logged, rate-limited (log_rl). */
static void __attribute__((__format__(printf, 1, 2)))
fuse_log_drop(const char *fmt, ...)
{
	static struct log_rl rl;	/* one limit for every kind of dropped chain */
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);	/* truncation is fine for a log */
	va_end(ap);
	log_rl(&rl, LOG_LEVEL_WARN, 0, "fuse: %s: dropped", buf);
}

/* Arguments that are copied: WRITE's data stays in the guest and goes by reference. */
static uint32_t
fuse_copy_len(const struct fuse_op *op, uint32_t arglen)
{
	if (op->opcode == FUSE_WRITE)
		return sizeof(struct fuse_write_in);
	return arglen;
}

/* Checks shared by every opcode. 0, or an errno for an error reply. */
static int
fuse_check(struct fuse_ctx *c)
{
	const struct fuse_op *op = c->op;
	uint32_t arglen = c->in.len - FUSE_IN_HDR;

	if ((op->flags & FOP_ANYTIME) == 0 && fuse_sess.state != FUSE_STATE_READY)
		return EIO;	/* what Linux's own fuse device answers before INIT */
	if (arglen < op->min_arg)
		return EINVAL;
	if (op->opcode != FUSE_WRITE && arglen > FUSE_ARGS_MAX)
		return EINVAL;
	if (c->req->wr_len - FUSE_OUT_HDR < op->out_min)
		return EINVAL;
	if (c->in.total_extlen != 0) {
		/* Only a negotiated security context travels as an extension. */
		if ((op->flags & FOP_SECCTX) == 0 ||
		    (fuse_sess.flags & FUSE_SECURITY_CTX) == 0 ||
		    (uint32_t)c->in.total_extlen * 8 > arglen)
			return EINVAL;
		c->extlen = (uint32_t)c->in.total_extlen * 8;
	}
	c->left = fuse_copy_len(op, arglen);
	if (vq_copy_from_req(c->req, FUSE_IN_HDR, fuse_argbuf, c->left) != c->left)
		return EINVAL;
	c->arg = fuse_argbuf;
	return 0;
}

/* FORGET-like requests (and anything on the hiprio queue): never a reply. */
static void
fuse_noreply(struct fuse_ctx *c)
{
	int error;

	if (c->op == NULL || (c->op->flags & FOP_NOREPLY) == 0) {
		fuse_log_drop("opcode %u on queue %u without reply space",
		    c->in.opcode, vq_index(c->req->vq));
		goto done;
	}
	/* Before INIT the worker has no nodes to forget. */
	if (fuse_sess.state != FUSE_STATE_READY)
		goto done;
	if (c->in.len - FUSE_IN_HDR < c->op->min_arg || c->in.len - FUSE_IN_HDR >
	    FUSE_ARGS_MAX || c->in.total_extlen != 0) {
		log_debug("fuse: malformed %s dropped", c->op->name);
		goto done;
	}
	c->left = c->in.len - FUSE_IN_HDR;
	if (vq_copy_from_req(c->req, FUSE_IN_HDR, fuse_argbuf, c->left) != c->left)
		goto done;
	c->arg = fuse_argbuf;
	if ((error = c->op->handler(c)) != 0)
		log_debug("fuse: %s dropped: %s", c->op->name, strerror(error));
 done:
	vq_complete(c->req, 0);
}

void
fuse_layer_init(const struct msg_config *cfg, const struct fuse_sinks *sinks)
{
	fuse_session_init(cfg);
	fuse_send_init(sinks->send_worker);
	calls_init(sinks->drained);
}

void
fuse_request(struct vq_req *req)
{
	struct fuse_ctx c;
	int error;

	memset(&c, 0, sizeof(c));
	c.req = req;
	if (req->rd_len < FUSE_IN_HDR ||
	    vq_copy_from_req(req, 0, &c.in, FUSE_IN_HDR) != FUSE_IN_HDR) {
		fuse_log_drop("chain of %u readable bytes has no FUSE header", req->rd_len);
		vq_complete(req, 0);
		return;
	}
	/* Linux sends exactly the header and arguments: in.len must describe the chain. */
	if (c.in.len != req->rd_len) {
		log_debug("fuse: in.len %u but %u readable bytes", c.in.len, req->rd_len);
		error = EINVAL;
		goto fail;
	}
	c.op = fuse_op_find(c.in.opcode);
	if (vq_index(req->vq) == 0 || req->wr_len < FUSE_OUT_HDR ||
	    (c.op != NULL && (c.op->flags & FOP_NOREPLY))) {
		fuse_noreply(&c);
		return;
	}
	if (c.op == NULL) {
		log_debug("fuse: unknown opcode %u", c.in.opcode);
		error = ENOSYS;		/* FUSE's answer for "not implemented", as virtiofsd */
		goto fail;
	}
	/* One line per request at debug level, as virtiofsd logs "Received request". */
	if (log_getlevel() >= LOG_LEVEL_DEBUG)
		log_debug("fuse: %s node %llu unique %llu", c.op->name,
		    (unsigned long long)c.in.nodeid, (unsigned long long)c.in.unique);
	if ((error = fuse_check(&c)) != 0 || (error = c.op->handler(&c)) != 0) {
		log_debug("fuse: %s failed: %s", c.op->name, strerror(error));
		goto fail;
	}
	return;
 fail:
	if (req->wr_len < FUSE_OUT_HDR) {
		fuse_log_drop("%u-byte writable part cannot hold an error reply",
		    req->wr_len);
		vq_complete(req, 0);
		return;
	}
	fuse_reply_error(req, c.in.unique, error);
}

/* Opcodes this server does not implement, on purpose (see the table). */
static int
fop_enosys(struct fuse_ctx *c)
{
	return ENOSYS;
}

static int
fop_ignore(struct fuse_ctx *c)
{
	return 0;
}
