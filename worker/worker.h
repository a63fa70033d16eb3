/*
 * The worker's shared interface: nodes (inodes the guest knows), handles (open files and
 * directories), caller credentials, replies, and the per-operation handlers.
 *
 * Threading: handlers may run on pool threads (--thread-pool-size). Every function here is
 * thread-safe; a handler owns its struct wreq and must answer it exactly once with one of
 * the reply_*() calls (FORGET/BATCH_FORGET answer nothing). Before a handler runs, the
 * dispatcher has set the thread's fsuid/fsgid to the caller's (mapped) ids; handlers that
 * need root's view (none should) must say why.
 */
#ifndef PRIVFSD_WORKER_H
#define PRIVFSD_WORKER_H

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <stdint.h>

#include "msg.h"
#include "msg_reader.h"

extern struct msg_config	wk_config;
extern uint32_t			wk_session_flags;	/* SESSION_* from the last INIT */

/* One request being served. data/len: the payload after struct msg_req (a private copy). */
struct wreq {
	uint32_t	 type;		/* IMSG_FRONTEND_* */
	struct msg_req	 hdr;
	uint8_t		*data;
	size_t		 len;
};

/* ---- nodes ---- */
struct wnode;

/*
 * Node by guest node id, with an internal reference taken (kept apart from the guest's
 * lookup count). Returns NULL with *err = EBADF (unknown) or ESTALE (old generation).
 */
struct wnode	*node_get(uint64_t nodeid, int *err);
void		 node_put(struct wnode *);
int		 node_fd(const struct wnode *);		/* O_PATH|O_NOFOLLOW fd of the node */
mode_t		 node_type(const struct wnode *);	/* S_IFMT bits */
uint64_t	 node_id(const struct wnode *);

/*
 * Look name up under parent (fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW) plus an
 * O_PATH open), find or create the node for that host identity, add one guest lookup
 * and fill *out for the reply. name has passed name_check(). Returns 0 or an errno value.
 */
int	node_lookup(struct wnode *parent, const char *name, struct msg_entry *out);
/* Guest FORGET: drop nlookup guest references; the node goes when both counts are 0. */
void	node_forget(uint64_t nodeid, uint64_t nlookup);
/* Drop every node and handle (DESTROY, a new INIT). */
void	nodes_reset(void);

/* fstat of the node's fd, converted (ids mapped back to the guest's). 0 or an errno. */
int	node_getattr(struct wnode *, struct msg_attr *out);
void	stat_to_attr(const struct stat *, struct msg_attr *out);

/*
 * Open the node for I/O with flags (O_RDONLY/O_WRONLY/O_RDWR and harmless O_* only):
 * reopens the O_PATH fd through /proc/self/fd, refuses anything but regular files and
 * directories (ELOOP for symlinks, EBADF otherwise, as virtiofsd does). Counts against the
 * fd budget (ENFILE past it, ENOMEM past the memory budget). Returns an fd or -errno.
 */
int	node_open(struct wnode *, int flags);

/* ---- handles ---- */
struct whandle;

/* A handle for an open fd of node (takes a node reference); returns the guest's fh. */
uint64_t	 handle_new(struct wnode *, int fd, int is_dir);
/* By guest fh, with a reference taken; NULL with *err = EBADF when unknown. */
struct whandle	*handle_get(uint64_t fh, int *err);
void		 handle_put(struct whandle *);
int		 handle_fd(const struct whandle *);
struct wnode	*handle_node(const struct whandle *);
/* RELEASE/RELEASEDIR: forget fh; the fd closes when the last reference goes. 0 or EBADF. */
int		 handle_release(uint64_t fh);

/*
 * ---- fd budget (--rlimit-nofile): every fd the worker opens for the guest ----
 * Each fd is also charged MEM_FD_OBJECT bytes of the memory budget, for the structure that
 * holds it (node, handle or lock fd, with its table slot): ENOMEM past that budget.
 */
int	fd_budget_take(void);		/* 0, ENFILE (fds spent) or ENOMEM (memory) */
void	fd_budget_give(void);
/* openat() counted in the budget: 0 with *fd, or ENFILE, ENOMEM or openat's errno. */
int	fd_budget_openat(int dirfd, const char *path, int flags, mode_t mode, int *fd);
/* close() of a counted fd, and its budget back. */
void	fd_budget_close(int fd);
/* close() when the structure stays (a node keeping a file handle): MEM_FD_OBJECT stays. */
void	fd_budget_close_keep_mem(int fd);

/* ---- memory budget (--memory-budget): what the guest makes the worker keep ---- */
#define MEM_FD_OBJECT	384
int	mem_budget_take(size_t);	/* 0, or ENOMEM past the budget */
void	mem_budget_give(size_t);
/* calloc() charged to the budget (with malloc's overhead); NULL past it. */
void	*mem_budget_alloc(size_t);
void	mem_budget_free(void *, size_t);	/* size: as given to mem_budget_alloc() */

/* ---- ids ---- */
#define ID_OVERFLOW	65534		/* a host id no map rule names, as the guest sees it */
/* --uid-map/--translate-uid: (uid_t)-1 for an id that is forbidden or not mapped. */
uid_t	uid_to_host(uint32_t guest_uid);
gid_t	gid_to_host(uint32_t guest_gid);
uint32_t uid_to_guest(uid_t);
uint32_t gid_to_guest(gid_t);

/* ---- guest memory (worker's mirror of the frontend's table) ---- */
/*
 * Translate validated iovs into this process's mapping; re-checks every range against the
 * slot's size. Returns 0 or EFAULT.
 */
int	guest_iov_map(const struct msg_iov *in, uint32_t n, struct iovec *out);

/* ---- replies (thread-safe; exactly one per request) ---- */
void	reply_status(struct wreq *, int error);		/* error: 0 or positive errno */
void	reply_entry(struct wreq *, const struct msg_entry *);
void	reply_attr(struct wreq *, const struct msg_attr *);
void	reply_open(struct wreq *, uint64_t fh);
void	reply_create(struct wreq *, const struct msg_entry *, uint64_t fh);
void	reply_count(struct wreq *, uint64_t count);
void	reply_data(struct wreq *, const void *data, size_t len);
void	reply_statfs(struct wreq *, const struct msg_statfs *);
void	reply_lock(struct wreq *, const struct msg_lock_reply *);
/* Dirents are built by the handler with msg_writer and sent whole. */
void	reply_dirents(struct wreq *, const void *payload, size_t len);
/* After a handler that answers nothing (FORGET): release the request. */
void	wreq_free(struct wreq *);

/* ---- broker channel (worker.c) ---- */
/* Queue a message for the broker, from any thread; fd (or -1) is closed once sent. */
void	worker_send_broker(uint32_t type, int fd, const void *data, size_t len);
/*
 * IMSG_BROKER_DAX_RESULT, called on the loop thread. A handler that sent a DAX request
 * keeps its wreq and answers it from here (the loop cannot block waiting for the broker).
 * Defined by the DAX ops; a weak fallback logs and drops the result.
 */
void	dax_result(const struct msg_dax_result *);

/* ---- handlers: one per IMSG_FRONTEND_* type (ops_*.c) ---- */
#define WORKER_OP(name)	void op_##name(struct wreq *)
/* worker core: lookup, nodes, directories, reading */
WORKER_OP(session_init);	WORKER_OP(session_destroy);
WORKER_OP(lookup);		WORKER_OP(forget);		WORKER_OP(batch_forget);
WORKER_OP(getattr);		WORKER_OP(statfs);		WORKER_OP(readlink);
WORKER_OP(opendir);		WORKER_OP(readdir);		WORKER_OP(releasedir);
WORKER_OP(open);		WORKER_OP(read);		WORKER_OP(release);
/* the rest of local file system semantics */
WORKER_OP(setattr);		WORKER_OP(access);
WORKER_OP(create);		WORKER_OP(mknod);		WORKER_OP(mkdir);
WORKER_OP(symlink);		WORKER_OP(link);		WORKER_OP(tmpfile);
WORKER_OP(unlink);		WORKER_OP(rmdir);		WORKER_OP(rename);
WORKER_OP(write);		WORKER_OP(flush);		WORKER_OP(fsync);
WORKER_OP(fsyncdir);		WORKER_OP(syncfs);		WORKER_OP(fallocate);
WORKER_OP(lseek);		WORKER_OP(copy_file_range);
WORKER_OP(setxattr);		WORKER_OP(getxattr);		WORKER_OP(listxattr);
WORKER_OP(removexattr);
WORKER_OP(getlk);		WORKER_OP(setlk);		WORKER_OP(lock_waits);
WORKER_OP(setupmapping);	WORKER_OP(removemapping);

/* ---- added for the worker-ops helpers (ops_*.c) ---- */
/*
 * /proc/self/fd as an O_PATH directory, from sandbox_worker(); -1 when there is none.
 * Defined by the worker core. The ops reach a node through "N" under it where no *at()
 * call takes an O_PATH fd (chmod, xattrs, linkat without CAP_DAC_READ_SEARCH).
 */
extern int	wk_proc_self_fd;
/*
 * As node_lookup() for an inode without a name (O_TMPFILE): fd is an open fd of it, the
 * node keeps its own O_PATH fd (the caller keeps fd). 0 or an errno value. Worker core.
 */
int	node_lookup_fd(int fd, struct msg_entry *out);
/*
 * ops_lock.c. POSIX locks are OFD locks on one fd per (node, lock owner). RELEASE calls
 * locks_release() (flags: msg_release.flags; 1 = drop the handle's flock lock);
 * nodes_reset() calls locks_reset() to close every lock fd.
 */
void	locks_release(struct whandle *, uint64_t lock_owner, uint32_t flags);
void	locks_reset(void);

#endif
