/*
 * Typed requests for the tests of the worker's modifying operations (ops-*.c), on top of
 * the worker harness. Every helper returns the worker's errno (0 ok) or -1 on no reply,
 * and sends as the credentials in t_uid/t_gid (0/0 unless a test changes them).
 */
#ifndef PRIVFSD_TESTS_WORKER_OPS_LIB_H
#define PRIVFSD_TESTS_WORKER_OPS_LIB_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "harness.h"

extern uint32_t	t_uid, t_gid;

/* A request body being built. */
struct tbody {
	uint8_t	buf[32768];
	size_t	len;
};

void	tb_init(struct tbody *);
void	tb_put(struct tbody *, const void *, size_t);
void	tb_str(struct tbody *, const char *);		/* u32 length + bytes */
void	tb_bytes(struct tbody *, const void *, uint32_t);	/* u32 length + bytes */

/* Raw call with the current credentials. */
int	t_call(struct wh *, uint32_t type, uint64_t nodeid, const struct tbody *,
	    struct wh_reply *);
/* SESSION_INIT with these SESSION_* flags. */
int	t_session(struct wh *, uint32_t flags);
/* wh_start (opts NULL: the defaults), then a checked t_session with these flags. */
void	t_start(struct wh *, const struct wh_opts *, uint32_t session_flags);

int	t_create(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    uint32_t open_flags, struct msg_entry *, uint64_t *fh);
int	t_mknod(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    uint32_t rdev, struct msg_entry *);
int	t_mkdir(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    struct msg_entry *);
int	t_symlink(struct wh *, uint64_t parent, const char *name, const char *target,
	    struct msg_entry *);
int	t_link(struct wh *, uint64_t node, uint64_t newparent, const char *name,
	    struct msg_entry *);
int	t_tmpfile(struct wh *, uint64_t parent, uint32_t mode, uint32_t open_flags,
	    struct msg_entry *, uint64_t *fh);
int	t_unlink(struct wh *, uint64_t parent, const char *name);
int	t_rmdir(struct wh *, uint64_t parent, const char *name);
int	t_rename(struct wh *, uint64_t olddir, const char *oldname, uint64_t newdir,
	    const char *newname, uint32_t flags);
int	t_setattr(struct wh *, uint64_t nodeid, const struct msg_setattr *,
	    struct msg_attr *);
int	t_access(struct wh *, uint64_t nodeid, uint32_t mask);
/* WRITE of len bytes put in guest memory at offset 0. *done: bytes written. */
int	t_write(struct wh *, uint64_t fh, uint64_t off, const void *data, uint32_t len,
	    uint32_t flags, uint64_t *done);
int	t_flush(struct wh *, uint64_t fh, uint64_t owner);
int	t_fsync(struct wh *, uint32_t type, uint64_t fh, uint32_t datasync);
int	t_syncfs(struct wh *, uint64_t nodeid);
int	t_fallocate(struct wh *, uint64_t fh, uint64_t off, uint64_t len, uint32_t mode);
int	t_lseek(struct wh *, uint64_t fh, uint64_t off, uint32_t whence, uint64_t *res);
int	t_copy(struct wh *, uint64_t in_node, uint64_t fh_in, uint64_t off_in,
	    uint64_t out_node, uint64_t fh_out, uint64_t off_out, uint64_t len,
	    uint64_t *done);
int	t_setxattr(struct wh *, uint64_t nodeid, const char *name, const void *value,
	    uint32_t size, uint32_t flags, uint32_t setxattr_flags);
/* GET/LIST: size 0 probes (*count); otherwise the bytes land in buf, *count their number. */
int	t_getxattr(struct wh *, uint64_t nodeid, const char *name, uint32_t size,
	    void *buf, uint64_t *count);
int	t_listxattr(struct wh *, uint64_t nodeid, uint32_t size, void *buf,
	    uint64_t *count);
int	t_removexattr(struct wh *, uint64_t nodeid, const char *name);
int	t_getlk(struct wh *, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
	    uint64_t end, struct msg_lock_reply *);
/* SETLK (sleep 0) or SETLKW (sleep 1), synchronous. */
int	t_setlk(struct wh *, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
	    uint64_t end, int sleep, int flock);
/* The SETLKW request alone: returns its id for wh_recv(). */
uint64_t t_setlkw_send(struct wh *, uint64_t fh, uint64_t owner, uint32_t type,
	    uint64_t start, uint64_t end);

/* The node id of name under the root (with a lookup reference), or 0. */
uint64_t t_node(struct wh *, const char *name);

/* Host-side stat of a name in the shared dir; fatal when it fails. */
struct stat;
void	t_stat(const struct wh *, const char *name, struct stat *);
/* Host-side permission bits (07777) of name. */
mode_t	t_hmode(const struct wh *, const char *name);
/* Host-side: 1 when name exists. */
int	t_exists(const struct wh *, const char *name);

#define T_OFFSET_MAX	INT64_MAX

#endif
