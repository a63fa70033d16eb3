/*
 * The worker core's private interface: what worker.c, the pool, the memory mirror and the
 * tables tell each other. Handlers use worker.h only.
 */
#ifndef PRIVFSD_WCORE_H
#define PRIVFSD_WCORE_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

struct chan;
struct event_base;
struct statx;
struct msg_attr;
struct msg_config;
struct whandle;
struct msg_mem_region;
struct msg_mem_slot;
struct msg_mem_commit;
struct wreq;
struct wnode;

extern int	wk_proc_self_fd;	/* /proc/self/fd (O_PATH), -1 when unavailable */

/* ---- worker.c: the request runner (credentials around one handler) ---- */
void	wreq_run(struct wreq *);

/* ---- reply.c: the outgoing side, safe from any thread ---- */
void	reply_init(struct event_base *, struct chan *frontend, struct chan *broker);
/* Send on a channel from any thread: direct on the loop thread, queued otherwise. */
void	out_send(int to_broker, uint32_t type, int fd, const struct iovec *, int iovcnt);

/* ---- pool.c ---- */
/* Before the sandbox: lets glibc's thread creation pass the seccomp filter. */
void	pool_prepare(unsigned int nthreads, unsigned int seccomp_mode);
void	pool_start(unsigned int nthreads);
int	pool_active(void);
void	pool_submit(struct wreq *);

/* ---- idmap.c ---- */
void	idmap_init(const struct msg_config *);
/* 1 when any id rule is in force (ids in ACL values need translating). */
int	idmap_active(void);

/* ---- creds.c: a thread's caller (fsuid/fsgid and effective capabilities) ---- */
/*
 * Once set up, before the pool: reads the worker's permitted set and leaves the calling
 * thread (the loop) acting for nobody, with no effective capability.
 */
void	creds_init(void);
/*
 * Switch this thread to the mapped caller: fsuid/fsgid, and the capabilities a local
 * process of that host uid would have. 0, or EPERM (forbidden or unmapped id). A no-op
 * when the thread already serves those ids: they stay set between requests.
 */
int	creds_enter(uint32_t guest_uid, uint32_t guest_gid);
/* Back to the worker's own ids with no effective capability. */
void	creds_leave(void);
/* The host uid this thread acts for (its fsuid). */
uint32_t creds_host_uid(void);
/* The effective set a thread acting for host_uid holds. */
uint64_t caps_for_uid(uint32_t host_uid);
/* privop.c only: add caps for one call; returns what to restore (UINT64_MAX: not held). */
uint64_t caps_raise(uint64_t caps);
void	caps_restore(uint64_t);

/* ---- ops_sync.c: with the export root (O_PATH), while the worker holds its caps ---- */
void	ops_sync_init(int root_fd);

/* ---- privop.c: the named privileged operations (0 or an errno value) ---- */
struct timespec;
struct file_handle;
int	privop_setid_clear(struct wnode *, int hfd, uint32_t mode);
int	privop_writer_times(struct wnode *, int hfd, const struct timespec ts[2]);
int	privop_owner_chgrp(struct wnode *, uid_t uid, gid_t gid);
/* An O_PATH fd, or -1 with errno set. */
int	privop_handle_open(int mount_fd, struct file_handle *);

/* ---- keyhash.c: keyed hashes of host identities (libcrypto) ---- */
void		keyhash_init(void);
uint64_t	keyhash_identity(uint64_t dev, uint64_t ino, uint64_t mnt_id);
uint64_t	keyhash_ino(uint64_t dev, uint64_t ino);

/* ---- attr.c ---- */
void	statx_to_attr(const struct statx *, struct msg_attr *);
uint64_t attr_ino(uint64_t dev, uint64_t ino);

/* ---- nodes.c ---- */
void	nodes_init(int root_fd);
/* Find the node for an identity or make one around fd (which it then owns). */
struct wnode *node_find(uint64_t dev, uint64_t ino, uint64_t mnt_id);
struct wnode *node_insert(int fd, const struct statx *);
void	node_hold(struct wnode *);		/* one more internal reference */
void	node_ref_lookup(struct wnode *);	/* one more guest lookup */
uint64_t node_generation(const struct wnode *);
uint64_t node_mnt_id(const struct wnode *);
uint64_t node_dev(const struct wnode *);
uint64_t node_ino(const struct wnode *);
int	node_is_root(const struct wnode *);
struct wnode *node_root(void);		/* with a reference */

/* ---- node_handles.c (--inode-file-handles) ---- */
struct file_handle;
/* A handle for the O_PATH fd and its mount's fd: 0, or an errno value (keep the fd). */
int	node_handle_take(int fd, mode_t type, struct file_handle **, int *mount_fd);
/* A temporary O_PATH fd for node, valid until node_tmpfds_release(); -1 on failure. */
int	node_handle_fd(const void *node, struct file_handle *, int mount_fd);
void	node_tmpfds_release(void);

/* ---- handles.c ---- */
void	handles_reset(void);
int	handle_is_dir(const struct whandle *);
/* Serialises directory reads (offset games on a shared fd). */
void	handle_lock(struct whandle *);
void	handle_unlock(struct whandle *);
/*
 * Where a directory handle's stream is, so a READDIR that continues where the last one
 * stopped needs no lseek. off is the offset the stream goes on from; tail holds the
 * getdents64 records from there that were read but not sent (a bounded part of them,
 * charged to the memory budget; NULL when none); fdpos is where the fd is: past the
 * tail's end when part of what was read was dropped, and then the stream seeks once the
 * tail is sent. A fresh fd at 0 is all zero; stale: the fd's position is unknown (after
 * an error). Use only under handle_lock(); the handle calls dirstream_free() when it goes.
 */
struct dirstream {
	uint8_t		*tail;
	uint32_t	 tail_pos;	/* sent from tail so far */
	uint32_t	 tail_len;
	uint64_t	 off;
	uint64_t	 fdpos;
	int		 stale;
};
struct dirstream *handle_dirstream(struct whandle *);
/* ops_dir.c: drop what the stream keeps. */
void	dirstream_free(struct dirstream *);

/* ---- fd_budget.c, mem_budget.c ---- */
/* The fd budget, then the memory budget (wk_config's, or derived from the fd budget). */
void	fd_budget_init(uint64_t configured);
void	mem_budget_init(uint32_t configured_kib, uint64_t fd_budget);

/* ---- guest_mem.c ---- */
void	guest_mem_add(const struct msg_mem_region *, int fd);
void	guest_mem_del(const struct msg_mem_slot *);
/* Returns 0, or -1 when the generation does not match what was built. */
int	guest_mem_commit(const struct msg_mem_commit *);
/* After each handler: drop the table reference guest_iov_map() took for this thread. */
void	guest_mem_release(void);

#endif
