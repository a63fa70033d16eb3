/*
 * Inside the FUSE layer: the opcode table, the parse context of one request, the table of
 * requests waiting for the worker, and the session negotiated by INIT.
 *
 * Flow: fuse_request() copies the header and arguments into private memory, checks what is
 * common to every opcode, then calls the opcode's handler, which reads its arguments with
 * the arg_*() helpers and either sends one typed request to the worker (fuse_msg_send) or
 * returns an errno that becomes the FUSE error reply. The worker's typed reply comes back
 * through fuse_worker_reply(), which finds the call by id and encodes the FUSE reply.
 */
#ifndef PRIVFSD_FUSE_PRIV_H
#define PRIVFSD_FUSE_PRIV_H

#include <linux/fuse.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "msg_reader.h"

struct iovec;
struct msg_config;
struct vq_req;

/* Oldest protocol minor we serve: virtiofs itself appeared with 7.31 (Linux 5.4). */
#define FUSE_MIN_MINOR		31
/*
 * Largest argument block copied for any opcode but WRITE (whose data is not copied):
 * SETXATTR carries a 64 KiB value plus its name; everything else is smaller.
 */
#define FUSE_ARGS_MAX		(MSG_MAX_XATTR + 8192)
#define FUSE_IN_HDR		((uint32_t)sizeof(struct fuse_in_header))
#define FUSE_OUT_HDR		((uint32_t)sizeof(struct fuse_out_header))

/* How the worker's typed reply to an opcode becomes its FUSE reply. */
enum fuse_rep {
	REP_NONE = 0,	/* FORGET, BATCH_FORGET: nothing comes back */
	REP_STATUS,	/* out header only */
	REP_ENTRY,	/* fuse_entry_out */
	REP_ATTR,	/* fuse_attr_out */
	REP_OPEN,	/* fuse_open_out */
	REP_CREATE,	/* fuse_entry_out + fuse_open_out */
	REP_READ,	/* data already in the guest's buffers */
	REP_WRITE,	/* fuse_write_out (WRITE, COPY_FILE_RANGE) */
	REP_LSEEK,	/* fuse_lseek_out */
	REP_READLINK,	/* target bytes */
	REP_XATTR,	/* fuse_getxattr_out when size == 0, else the bytes */
	REP_STATFS,	/* fuse_statfs_out */
	REP_DIRENTS,	/* fuse_dirent / fuse_direntplus records */
	REP_LOCK,	/* fuse_lk_out */
	REP_INIT,	/* fuse_init_out, after the worker took the session */
	REP_DESTROY,	/* out header, after the worker dropped the session */
	REP_COUNT_
};

struct fuse_ctx;
typedef int (*fuse_op_fn)(struct fuse_ctx *);

#define FOP_SECCTX	0x1	/* may end with a security context when negotiated */
#define FOP_NOREPLY	0x2	/* FORGET, BATCH_FORGET, NOTIFY_REPLY: no reply ever */
#define FOP_ANYTIME	0x4	/* INIT: allowed without a session */

struct fuse_op {
	uint32_t	 opcode;
	const char	*name;
	uint32_t	 min_arg;	/* argument bytes at least (handlers check exactly) */
	uint32_t	 out_min;	/* reply payload the writable part must hold */
	uint32_t	 flags;		/* FOP_* */
	enum fuse_rep	 rep;
	fuse_op_fn	 handler;
};

/* A request being parsed: private copies only, never guest memory. */
struct fuse_ctx {
	struct vq_req		*req;
	const struct fuse_op	*op;
	struct fuse_in_header	 in;
	const uint8_t		*arg;		/* cursor into the private argument copy */
	uint32_t		 left;		/* argument bytes not consumed yet */
	uint32_t		 extlen;	/* 7.38 extension bytes (total_extlen * 8) */
	uint32_t		 size;		/* see fuse_call */
	uint32_t		 aux;		/* see fuse_call */
	int			 detach;	/* the call may wait on the VMM: vq_detach() */
};

/* A request sent to the worker and not answered yet. */
struct fuse_call {
	struct vq_req		*req;
	const struct fuse_op	*op;
	uint64_t		 unique;
	uint32_t		 index;		/* slot in the table: low half of the id */
	uint32_t		 gen;		/* slot generation: high half of the id */
	uint32_t		 size;		/* READ, READDIR, *XATTR size; copy length */
	uint32_t		 aux;		/* OPENDIR: 1; READDIRPLUS: 1; INIT: phase */
	uint32_t		 epoch;		/* fuse_sess.epoch when sent */
	int			 busy;
	int			 detached;	/* fuse_ctx.detach */
	uint32_t		 next_free;
};

#define CALL_AUX_DIR		1	/* OPENDIR: a directory handle */
#define INIT_PHASE_DESTROY	1	/* INIT waits for the old session's SESSION_DESTROY */
#define INIT_PHASE_INIT		2	/* INIT waits for SESSION_INIT */

/* ---- session state (fuse_session.c) ---- */
enum fuse_state {
	FUSE_STATE_NONE = 0,	/* no INIT yet (or after DESTROY/reset): only INIT is served */
	FUSE_STATE_INIT,	/* INIT sent to the worker, not answered yet */
	FUSE_STATE_READY,
};

struct fuse_sess {
	enum fuse_state	 state;
	int		 worker_dirty;	/* the worker may hold nodes of an older session */
	uint32_t	 epoch;		/* bumped by every reset: late INIT answers are stale */
	uint32_t	 minor;		/* negotiated protocol minor */
	uint64_t	 flags;		/* negotiated FUSE_* init flags (flags2 << 32) */
	uint32_t	 max_pages;
	struct fuse_init_out init_out;	/* answered once the worker accepted the session */
	/* configuration */
	uint32_t	 config_flags;	/* CONFIG_* */
	uint32_t	 cache;		/* enum cache_mode */
	uint32_t	 dax;		/* enum dax_mode */
	uint64_t	 dax_window;	/* what the VMM maps on this connection; 0: no DAX */
};

extern struct fuse_sess	fuse_sess;

void	fuse_session_init(const struct msg_config *);
/* Cache timeouts for entries and attributes, and FOPEN_* flags, from the cache mode. */
uint64_t fuse_cache_timeout(void);
uint32_t fuse_open_flags(int is_dir);

/* ---- parsing helpers (fuse_args.c) ---- */
int	arg_fixed(struct fuse_ctx *, void *dst, size_t len);	/* EINVAL when short */
int	arg_skip(struct fuse_ctx *, size_t len);
/* A NUL-terminated string within the arguments; *len excludes the NUL. */
int	arg_string(struct fuse_ctx *, const char **s, size_t *len);
/* A string that is one path component (name_check with flags). */
int	arg_name(struct fuse_ctx *, const char **s, int flags);
int	arg_end(struct fuse_ctx *);				/* EINVAL on trailing bytes */
/* The opcode's one fixed-size argument and nothing after it: arg_fixed + arg_end. */
int	arg_only(struct fuse_ctx *, void *dst, size_t len);
/* The security context of a node-creating op, when negotiated (name NULL: none). */
struct fuse_secctx_arg {
	const char	*name;		/* NUL-terminated xattr name, checked */
	const uint8_t	*value;
	uint32_t	 len;
};
int	arg_secctx(struct fuse_ctx *, struct fuse_secctx_arg *);
/* Append name and value when there is a context (msg_newnode NEWNODE_SECCTX). */
void	put_secctx(struct msg_writer *, const struct fuse_secctx_arg *);

/* ---- flag translation (fuse_flags.c) ---- */
/* OPEN/OPENDIR/CREATE/TMPFILE flags -> sanitized O_* flags; 0 or EINVAL. */
int	fuse_open_flags_in(uint32_t in, uint32_t opcode, uint32_t *out);
uint32_t fuse_setattr_valid(uint32_t fattr);

/* ---- what goes into the guest's writable part (fuse_out.c) ---- */
void	fuse_reply_error(struct vq_req *, uint64_t unique, int error);
/*
 * Out header for len payload bytes, then the payload (NULL: already in place, as READ's
 * data); 0, or -1 when the writable part is too small.
 */
int	fuse_reply_write(struct vq_req *, uint64_t unique, const void *payload, uint32_t len);
/* The FUSE_ATTR_* flags this session lets through (fuse_encode_attr()). */
uint32_t fuse_attr_flags(void);
void	fuse_fill_attr(struct fuse_attr *, const struct msg_attr *);
void	fuse_fill_entry(struct fuse_entry_out *, const struct msg_entry *);

/* ---- in-flight calls (fuse_calls.c) ---- */
/* drained runs whenever the count of calls drops to zero. */
void		 calls_init(void (*drained)(void));
struct fuse_call *call_new(void);
uint64_t	 call_id(const struct fuse_call *);
/* By id; NULL for an unknown, stale or free id. */
struct fuse_call *call_find(uint64_t id);
/* The call may wait on the VMM (a DAX map): memory changes go on without it. */
void		 call_detach(struct fuse_call *);
void		 call_fail(struct fuse_call *, int error);
/* fail(call, error) for every call in flight (the worker that had them died). */
void		 calls_fail_all(void (*fail)(struct fuse_call *, int), int error);
/* Success reply of a call: out header + payload, then complete and release the call. */
void		 call_reply(struct fuse_call *, const void *payload, uint32_t len);

/* ---- talking to the worker (fuse_send.c) ---- */
void	fuse_send_init(void (*send_worker)(uint32_t type, uint32_t trailer,
	    const struct iovec *iov, int iovcnt));
/* A writer holding a zeroed struct msg_req; the fixed struct and fields follow. */
struct msg_writer *fuse_msg_begin(void);
/* Track a call for c and send the message; 0 or an errno (then nothing was sent). */
int	fuse_msg_send(struct fuse_ctx *, uint32_t type);
/* fuse_msg_begin, one fixed-size payload m, fuse_msg_send. */
int	fuse_msg_send_fixed(struct fuse_ctx *, uint32_t type, const void *m, size_t len);
/* For messages the worker never answers (FORGET): no call is tracked. */
void	fuse_msg_send_noreply(struct fuse_ctx *, uint32_t type);
/* Send with the id of an existing call (INIT's second step). */
void	fuse_msg_send_call(struct fuse_call *, uint32_t type);

/* ---- INIT and DESTROY (fuse_ops_session.c) ---- */
int	fuse_op_init(struct fuse_ctx *);
int	fuse_op_destroy(struct fuse_ctx *);
/* The worker answered SESSION_DESTROY/SESSION_INIT for an INIT or DESTROY call. */
void	fuse_session_reply(struct fuse_call *, int error);

/* ---- handlers (fuse_ops_*.c) ---- */
#define FUSE_HANDLER(n)	int fop_##n(struct fuse_ctx *)
FUSE_HANDLER(lookup);	FUSE_HANDLER(forget);	FUSE_HANDLER(batch_forget);
FUSE_HANDLER(getattr);	FUSE_HANDLER(setattr);	FUSE_HANDLER(readlink);
FUSE_HANDLER(symlink);	FUSE_HANDLER(mknod);	FUSE_HANDLER(mkdir);
FUSE_HANDLER(unlink);	FUSE_HANDLER(rmdir);	FUSE_HANDLER(rename);
FUSE_HANDLER(rename2);	FUSE_HANDLER(link);	FUSE_HANDLER(create);
FUSE_HANDLER(tmpfile);
FUSE_HANDLER(open);	FUSE_HANDLER(opendir);	FUSE_HANDLER(read);
FUSE_HANDLER(write);	FUSE_HANDLER(release);	FUSE_HANDLER(releasedir);
FUSE_HANDLER(flush);	FUSE_HANDLER(fsync);	FUSE_HANDLER(fsyncdir);
FUSE_HANDLER(statfs);	FUSE_HANDLER(readdir);	FUSE_HANDLER(readdirplus);
FUSE_HANDLER(getlk);	FUSE_HANDLER(setlk);	FUSE_HANDLER(setlkw);
FUSE_HANDLER(access);	FUSE_HANDLER(fallocate);	FUSE_HANDLER(lseek);
FUSE_HANDLER(copy_file_range);	FUSE_HANDLER(syncfs);
FUSE_HANDLER(setupmapping);	FUSE_HANDLER(removemapping);
FUSE_HANDLER(setxattr);	FUSE_HANDLER(getxattr);	FUSE_HANDLER(listxattr);
FUSE_HANDLER(removexattr);

#endif
