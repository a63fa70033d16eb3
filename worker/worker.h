/*
 * The worker's one interface: every file of worker/ includes this header and no other of
 * the folder's, except the three self-contained engines the unit tests also build alone
 * (idtable.h: the id tables of nodes.c and handles.c; xattrmap.h: --xattrmap's rules;
 * crowd.h: when pool.c's leader stops watching kicks).
 * The sections follow the layers of doc/architecture.md, lowest first; a file calls only
 * into its own section or the ones above it in this header, and tests/layering.sh checks
 * that on the built objects.
 *
 * Threading: handlers may run on pool threads (--thread-pool-size). Every function here is
 * thread-safe unless it says otherwise; a handler must answer its struct wreq exactly
 * once with one of the reply_*() calls (FORGET/BATCH_FORGET answer nothing). The wreq and
 * its data are the receiving thread's and last until the handler returns: one that
 * answers later (a SETLKW that waits) keeps a copy without the data. Before a handler runs, wreq_run() has set the thread's fsuid/fsgid and
 * effective capabilities to those of the caller's mapped host ids (creds.c); the only code
 * that acts with more is privop.c.
 */
#ifndef PRIVFSD_WORKER_H
#define PRIVFSD_WORKER_H

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "msg_reader.h"

struct chan;
struct req_ring;
struct chan_msg;
struct dispatch_entry;
struct event_base;
struct file_handle;
struct flock;
struct statx;
struct timespec;
struct wnode;
struct whandle;

/* One request being served. data/len: the payload after struct msg_req (a private copy). */
struct wreq {
	uint32_t	 type;		/* IMSG_FRONTEND_* */
	struct msg_req	 hdr;
	uint8_t		*data;
	size_t		 len;
};

/*
 * ======== layer 1: state and leaf services (call nothing above them) ========
 */

/* ---- settings.c: written by the loop thread only ---- */
extern struct msg_config	wk_config;		/* from the broker, before the sandbox */
extern uint32_t			wk_session_flags;	/* SESSION_* from the last INIT */

/* ---- procfd.c ---- */
/*
 * /proc/self/fd as an O_PATH directory, from sandbox_worker(); -1 when there is none.
 * Calls that take no O_PATH fd (chmod, xattrs, linkat without CAP_DAC_READ_SEARCH)
 * reach a node through "N" under it.
 */
extern int	wk_proc_self_fd;
#define PROCFD_NAME_LEN	16	/* decimal fd number under /proc/self/fd */
/* "N" for fd under wk_proc_self_fd. 0, or EBADF when there is no proc fd. */
int	procfd_name(int fd, char buf[PROCFD_NAME_LEN]);

/*
 * ---- wstate.c: the state a restarted worker finds (--worker-restart; layout: wstate.h) ----
 * Without CONFIG_WORKER_RESTART there is no store and every call but init does nothing.
 */
struct wstate_node;
/* Before the sandbox: map fd 6 and read what a predecessor left (session, floors). */
void	 wstate_init(void);
int	 wstate_enabled(void);		/* a store is mapped */
int	 wstate_found(void);		/* and a predecessor wrote it */
/* The generation floors of the node and handle tables: 0 when nothing was found. */
uint32_t wstate_node_floor(void);
uint32_t wstate_handle_floor(void);
/* A generation given out (under the table's lock). */
void	 wstate_node_gen(uint32_t gen);
void	 wstate_handle_gen(uint32_t gen);
/* SESSION_INIT (active 1, its flags) and DESTROY (0), on the loop thread. */
void	 wstate_session(int active, uint32_t flags);
/* Node records, under nodes_lock: the whole record, a new lookup count, none. */
void	 wstate_node_put(uint32_t index, const struct wstate_node *);
void	 wstate_node_count(uint32_t index, uint32_t gen, uint64_t nlookup);
void	 wstate_node_clear(uint32_t index);
/* For the rebuild: indices 1 .. wstate_node_end() - 1; a copy, 0 or -1 (none, torn). */
uint32_t wstate_node_end(void);
int	 wstate_node_get(uint32_t index, struct wstate_node *out);

/* ---- keyhash.c: keyed hashes of host identities (libcrypto) ---- */
void		keyhash_init(void);
uint64_t	keyhash_identity(uint64_t dev, uint64_t ino, uint64_t mnt_id);
uint64_t	keyhash_ino(uint64_t dev, uint64_t ino);
#ifdef PRIVFSD_TEST_HOOKS
/* Unit tests only: the two keys (table, inode numbers) instead of random ones. */
extern const uint8_t	(*keyhash_test_key)[16];
#endif

/* ---- attr.c: host attributes as the guest sees them ---- */
void	statx_to_attr(const struct statx *, struct msg_attr *);
void	stat_to_attr(const struct stat *, struct msg_attr *out);
uint64_t attr_ino(uint64_t dev, uint64_t ino);

/* ---- idmap.c: --uid-map/--translate-uid ---- */
#define ID_OVERFLOW	65534		/* a host id no map rule names, as the guest sees it */
void	idmap_init(const struct msg_config *);
/* 1 when any id rule is in force (ids in ACL values need translating). */
int	idmap_active(void);
/* (uid_t)-1 for an id that is forbidden or not mapped. */
uid_t	uid_to_host(uint32_t guest_uid);
gid_t	gid_to_host(uint32_t guest_gid);
uint32_t uid_to_guest(uid_t);
uint32_t gid_to_guest(gid_t);

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

/* ---- mem_budget.c (--memory-budget): what the guest makes the worker keep ---- */
#define MEM_FD_OBJECT	384
/* The memory budget: wk_config's, or derived from the fd budget. */
void	mem_budget_init(uint32_t configured_kib, uint64_t fd_budget);
int	mem_budget_take(size_t);	/* 0, or ENOMEM past the budget */
void	mem_budget_give(size_t);
/* calloc() charged to the budget (with malloc's overhead); NULL past it. */
void	*mem_budget_alloc(size_t);
void	mem_budget_free(void *, size_t);	/* size: as given to mem_budget_alloc() */

/*
 * ---- fd_budget.c (--rlimit-nofile): every fd the worker opens for the guest ----
 * Each fd is also charged MEM_FD_OBJECT bytes of the memory budget, for the structure that
 * holds it (node, handle or lock fd, with its table slot): ENOMEM past that budget.
 */
void	fd_budget_init(uint64_t configured);
int	fd_budget_take(void);		/* 0, ENFILE (fds spent) or ENOMEM (memory) */
void	fd_budget_give(void);
/* openat() counted in the budget: 0 with *fd, or ENFILE, ENOMEM or openat's errno. */
int	fd_budget_openat(int dirfd, const char *path, int flags, mode_t mode, int *fd);
/* close() of a counted fd, and its budget back. */
void	fd_budget_close(int fd);
/* close() when the structure stays (a node keeping a file handle): MEM_FD_OBJECT stays. */
void	fd_budget_close_keep_mem(int fd);

/* ---- guest_mem.c: the worker's mirror of the frontend's guest memory table ---- */
void	guest_mem_add(const struct msg_mem_region *, int fd);
void	guest_mem_del(const struct msg_mem_slot *);
/* Returns 0, or -1 when the generation does not match what was built. */
int	guest_mem_commit(const struct msg_mem_commit *);
/*
 * Translate validated iovs into this process's mapping; re-checks every range against the
 * slot's size. Returns 0 or EFAULT.
 */
int	guest_iov_map(const struct msg_iov *in, uint32_t n, struct iovec *out);
/* After each handler: drop the table reference guest_iov_map() took for this thread. */
void	guest_mem_release(void);

/*
 * ---- direct.c: requests the worker completes itself (common/used_ring.h) ----
 * Without the page (fd 7: --worker-restart, tests) every reply goes through the socket.
 */
void	direct_init(void);	/* before the sandbox: map fd 7 if it is there */
/* The frontend's count of requests sent on fd 5 (a hint, worker/pool.c), or NULL. */
const uint64_t *direct_requests_sent(void);
struct req_ring *direct_request_ring(void);
/* 1 when the guest has more than allowed requests out not answered yet (a hint, pool.c). */
int	direct_guest_busy(uint16_t allowed);
/* IMSG_BROKER_DIRECT_RING (a broker channel handler, loop thread). */
void	direct_ring_set(struct chan *, struct chan_msg *, void *);
/* IMSG_BROKER_DIRECT_KICK: the ring's kick eventfd, to wake with the frontend (pool.c). */
void	direct_kick_set(struct chan *, struct chan_msg *, void *);
/* Who watches the kick fds (pool.c): told of each that replaces another (either may be -1). */
void	direct_set_kick_watch(void (*)(int old_fd, int new_fd));
/* Before a request is dispatched: take its completion trailer off (chan_hdr.peerid). */
void	direct_take(struct chan_msg *);
void	direct_clear(void);	/* after its handler: the trailer is spent */
/*
 * The reply of this thread's request, if it may and can be completed here: 0 done (the
 * reply is in the guest's buffers and the chain on the used ring), -1 send it as usual.
 */
int	direct_reply(const struct wreq *, uint32_t type, int error, const void *a,
	    size_t alen, const void *b, size_t blen);
#ifdef PRIVFSD_TEST_HOOKS
/* Test builds: a worker that lies to the frontend when a LOOKUP names one of its lies. */
void	direct_test_lie(const char *name);
#endif

/* ---- reply.c: the outgoing side, safe from any thread; exactly one reply per request ---- */
/* Before the loop, on the loop thread: every channel becomes threaded. */
void	reply_init(struct chan *frontend, struct chan *broker, struct chan *requests);
/* Send on a channel from any thread (the frontend channel takes no fd). */
void	out_send(int to_broker, uint32_t type, int fd, const struct iovec *, int iovcnt);
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

/* ---- pool.c: the request threads ---- */
/*
 * Before the sandbox, with request threads: the thread taking requests waits awake for up
 * to poll_max_ns before it sleeps (--poll-max-ns), and, when that is not 0, sleeps in an
 * epoll set of requests_fd and the kick fds, to wake with the frontend.
 */
void	pool_init(int requests_fd, uint32_t poll_max_ns);
/*
 * Starts nthreads threads, each taking requests from the packet channel c itself and
 * dispatching them through table. Exits the process when the frontend closes c.
 */
void	pool_start(unsigned int nthreads, struct chan *c, const struct dispatch_entry *table);
/*
 * A request thread about to do something that may block for long (a read from disk, a
 * large write) hands the requests channel to another thread first. No-op on a thread
 * that does not hold it (the loop thread, or one that already handed it on).
 */
void	pool_may_block(void);
/*
 * The same for what is usually quick but may be slowed down (a large write into the page
 * cache, which dirty page throttling can hold up): only when another request already
 * waits on the channel. One that comes later waits for this one, or for the deputy.
 */
void	pool_may_block_if_queued(void);
/* 1 on the request thread that holds the requests channel. */
int	pool_is_leader(void);

/*
 * ======== layer 2: the privileged operations ========
 */

/*
 * ---- privop.c: the named privileged operations (0 or an errno value) ----
 * nfd is the node's O_PATH fd, hfd the guest's handle on it or -1.
 */
int	privop_setid_clear(int nfd, int hfd, uint32_t mode);
int	privop_writer_times(int nfd, int hfd, const struct timespec ts[2]);
int	privop_owner_chgrp(int nfd, uid_t uid, gid_t gid);
/* An O_PATH fd, or -1 with errno set. */
int	privop_handle_open(int mount_fd, struct file_handle *);

/*
 * ======== layer 3: the tables (nodes, handles, lock fds) ========
 */

/* ---- node_handles.c (--inode-file-handles) ---- */
/* A handle for the O_PATH fd and its mount's fd: 0, or an errno value (keep the fd). */
int	node_handle_take(int fd, mode_t type, struct file_handle **, int *mount_fd);
/* A temporary O_PATH fd for node, valid until node_tmpfds_release(); -1 on failure. */
int	node_handle_fd(const void *node, struct file_handle *, int mount_fd);
void	node_tmpfds_release(void);

/* ---- nodes.c: inodes the guest knows ---- */
void	nodes_init(int root_fd);
/*
 * Node by guest node id, with an internal reference taken (kept apart from the guest's
 * lookup count). Returns NULL with *err = EBADF (unknown) or ESTALE (old generation).
 */
struct wnode	*node_get(uint64_t nodeid, int *err);
void		 node_put(struct wnode *);
void		 node_hold(struct wnode *);	/* one more internal reference */
int		 node_fd(const struct wnode *);		/* O_PATH|O_NOFOLLOW fd of the node */
mode_t		 node_type(const struct wnode *);	/* S_IFMT bits */
uint64_t	 node_id(const struct wnode *);
uint64_t	 node_generation(const struct wnode *);
uint64_t	 node_mnt_id(const struct wnode *);
uint64_t	 node_dev(const struct wnode *);
int		 node_is_root(const struct wnode *);
/* Find the node for an identity or make one around fd (which it then owns). */
struct wnode	*node_find(uint64_t dev, uint64_t ino, uint64_t mnt_id);
struct wnode	*node_insert(int fd, const struct statx *);
/*
 * One more guest lookup, of name under parent (NULL, NULL: no name, as O_TMPFILE), which
 * the state store keeps as the node's name for a restarted worker.
 */
void		 node_ref_lookup(struct wnode *, struct wnode *parent, const char *name);
/* A rename left n known as name under parent (for the state store). */
void		 node_set_name(struct wnode *, struct wnode *parent, const char *name);
/*
 * A node a predecessor gave the guest, back at its id (index, gen) with its lookup count,
 * around fd (which it then owns), index at most max_index. With a reference; NULL (fd
 * closed) when it cannot be.
 */
struct wnode	*node_restore(uint32_t index, uint32_t gen, uint64_t nlookup, int fd,
		    const struct statx *, uint32_t max_index);
/*
 * --migration-on-error=guest-error: a node a migration could not find again, at its id
 * without a file; node_get() answers EIO for it. 0, or an errno value (ENOMEM, EEXIST).
 */
int		 node_restore_lost(uint32_t index, uint32_t gen, uint64_t nlookup,
		    mode_t type, uint32_t max_index);
/* Ids below floor are a predecessor's (a migration's source): see idtable_set_floor. */
void		 nodes_raise_floor(uint32_t floor);
/* One past the highest node generation in use (and the floor). */
uint32_t	 nodes_gen_next(void);
/* A node as a migration sends it (migrate_save.c): a copy, node held (NULL when lost). */
struct node_saved {
	struct wnode	*node;
	uint32_t	 index, gen;
	uint64_t	 nlookup;
	uint64_t	 dev, ino;
	uint32_t	 type;
	uint32_t	 lost;
	uint32_t	 parent_index, parent_gen;
	char		 name[NAME_MAX + 1];	/* "": no name known */
};
/* Every node the guest holds but the root; *out malloc'ed. Put each node when done. */
size_t		 nodes_save(struct node_saved **out);
/* Guest FORGET: drop nlookup guest references; the node goes when both counts are 0. */
void		 node_forget(uint64_t nodeid, uint64_t nlookup);
/*
 * Drop every node but the root (DESTROY, a new INIT). Handles and lock fds hold node
 * references: reset them first (ops_session.c runs the resets in order).
 */
void		 nodes_reset(void);
/* fstat of the node's fd, converted (ids mapped back to the guest's). 0 or an errno. */
int		 node_getattr(struct wnode *, struct msg_attr *out);

/* ---- node_lookup.c ---- */
/*
 * Look name up under parent (fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW) plus an
 * O_PATH open), find or create the node for that host identity, add one guest lookup
 * and fill *out for the reply. name has passed name_check(). Returns 0 or an errno value.
 */
int	node_lookup(struct wnode *parent, const char *name, struct msg_entry *out);
/*
 * As node_lookup() for an inode without a name (O_TMPFILE): fd is an open fd of it, the
 * node keeps its own O_PATH fd (the caller keeps fd). 0 or an errno value.
 */
int	node_lookup_fd(int fd, struct msg_entry *out);
/*
 * Open name under parent as a new O_PATH|O_NOFOLLOW fd (counted in the fd budget), never
 * following a symlink, and statx what was opened. 0 or an errno value.
 */
int	node_open_name(struct wnode *parent, const char *name, int *fd, struct statx *);
/* After a rename: the node now at parent/name, if the guest holds it, is known by it. */
void	node_renamed(struct wnode *parent, const char *name);
/*
 * Open the node for I/O with flags (O_RDONLY/O_WRONLY/O_RDWR and harmless O_* only):
 * reopens the O_PATH fd through /proc/self/fd, refuses anything but regular files and
 * directories (ELOOP for symlinks, EBADF otherwise, as virtiofsd does). Counts against the
 * fd budget (ENFILE past it, ENOMEM past the memory budget). Returns an fd or -errno.
 */
int	node_open(struct wnode *, int flags);
/*
 * --dax=inode, when the guest picks DAX per file: mark attr (ATTR_DAX) for a regular file
 * that carries the host's per-file DAX flag (chattr +x, FS_DAX_FL), as a local file system
 * mounted dax=inode does. Read as the caller: a file it cannot open stays unmarked.
 */
void	node_dax_mark(struct wnode *, struct msg_attr *attr);

/* ---- wstate_rebuild.c ---- */
/*
 * After the sandbox and creds_init(), before HELLO, on a thread acting as the guest's
 * root: bring back the nodes a dead predecessor gave the guest (wstate.c found its
 * state), each at its old id, and log how many. Nodes that cannot be found again are
 * lost: their ids answer ESTALE.
 */
void	wstate_rebuild(void);
/*
 * The engine of that rebuild, shared with a migration's load (migrate_load.c): every
 * record of src the guest holds is found again, parents first, one checked component
 * under its rebuilt parent (O_PATH|O_NOFOLLOW), and put back at its id. done (src->end
 * bytes, zeroed) gets 1 for each record brought back; returns how many.
 */
struct rebuild_source {
	uint32_t	end;		/* record indices 2 .. end - 1 */
	uint32_t	floor;		/* every generation is below it */
	int		same_identity;	/* what is found must have the record's dev/ino */
	/* A copy of record index: 0, or -1 (none, torn). */
	int		(*get)(void *arg, uint32_t index, struct wstate_node *);
	/* A last check of what was found for index (NULL: none): 0 to keep it. */
	int		(*check)(void *arg, uint32_t index, int fd);
	/*
	 * Another way to find record index (NULL: none): 0 with a counted O_PATH fd and its
	 * statx, or an errno value to find it by name. It must only ever open what lies
	 * inside the export.
	 */
	int		(*find)(void *arg, uint32_t index, int *fd, struct statx *);
	void		*arg;
};
uint32_t rebuild_nodes(const struct rebuild_source *src, uint8_t *done);

/* ---- migrate_save.c, migrate_load.c: the device state of a live migration ---- */
/*
 * On the loop thread, the device stopped. Save: the node ids and handles the guest holds
 * and the session (with the frontend's part, fuse) written whole into fd. Load: the same
 * read from fd, every field checked, the nodes found again and the handles opened; on
 * failure nothing of it stays. 0 or an errno value; fd stays the caller's.
 */
int	migrate_save(int fd, const struct msg_fuse_state *fuse);
int	migrate_load(int fd, struct msg_fuse_state *fuse);

/* ---- handles.c: open files and directories ---- */
/* At start: a restarted worker's fh generations start above any predecessor's. */
void		 handles_init(void);
/* A handle for an open fd of node (takes a node reference); returns the guest's fh. */
uint64_t	 handle_new(struct wnode *, int fd, int is_dir);
/*
 * By guest fh, with a reference taken; NULL with *err = EBADF when unknown, ESTALE when
 * it is a predecessor's (a restarted worker reopens no file).
 */
struct whandle	*handle_get(uint64_t fh, int *err);
void		 handle_put(struct whandle *);
int		 handle_fd(const struct whandle *);
struct wnode	*handle_node(const struct whandle *);
int		 handle_is_dir(const struct whandle *);
/* The handle's access mode (O_RDONLY, O_WRONLY, O_RDWR); -1 with errno set. */
int		 handle_accmode(const struct whandle *);
/* RELEASE/RELEASEDIR: forget fh; the fd closes when the last reference goes. 0 or EBADF. */
int		 handle_release(uint64_t fh);
/* Drop every handle (a session reset). */
void		 handles_reset(void);
/* A handle as a migration sends it: its id, its node's id, the flags to reopen with. */
struct handle_saved {
	uint32_t	 index, gen;
	uint64_t	 nodeid;
	uint32_t	 flags;
	uint32_t	 is_dir;
};
size_t		 handles_save(struct handle_saved **out);	/* *out malloc'ed */
uint32_t	 handles_gen_next(void);
void		 handles_raise_floor(uint32_t floor);
/* A migrated handle back at its fh, around fd (which it then owns). 0 or -1. */
int		 handle_restore(uint32_t index, uint32_t gen, struct wnode *, int fd,
		    int is_dir, uint32_t max_index);
/* --migration-on-error=guest-error: a handle on a lost node, answering EIO. 0 or -1. */
int		 handle_restore_lost(uint32_t index, uint32_t gen, uint32_t max_index);
/* Serialises directory reads (offset games on a shared fd). */
void		 handle_lock(struct whandle *);
void		 handle_unlock(struct whandle *);
/*
 * Where a directory handle's stream is, so a READDIR that continues where the last one
 * stopped needs no lseek. off is the offset the stream goes on from; tail holds the
 * getdents64 records from there that were read but not sent (a bounded part of them,
 * charged to the memory budget; NULL when none); fdpos is where the fd is: past the
 * tail's end when part of what was read was dropped, and then the stream seeks once the
 * tail is sent. A fresh fd at 0 is all zero; stale: the fd's position is unknown (after
 * an error). Use only under handle_lock(); the handle frees it when it goes.
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
/* Drop what the stream keeps (the tail, and its memory budget). */
void		 dirstream_free(struct dirstream *);

/* ---- daxtable.c: the DAX window's mappings and the map requests out to the broker ---- */
#define DAX_NO_FH	UINT64_MAX	/* a mapping made for the node (Linux: fh -1) */
struct dax_mapping {
	uint64_t	id;		/* echoed by dax_table_result(); 0: nobody waits */
	uint64_t	nodeid;
	uint64_t	fh;		/* or DAX_NO_FH */
	uint64_t	foffset;
	uint64_t	moffset;
	uint64_t	len;
	uint32_t	flags;		/* DAX_MAP_* */
	uint32_t	vmm_writable;	/* the VMM will map it writable, whatever flags say */
};
/*
 * Map d (removing what it overlaps first), fd passed to the broker. *nsent: requests sent
 * for d->id (each gets one result). A range the VMM already maps writable for the same
 * file range needs no request (Linux asks for a range again to write to it): *nsent 0,
 * fd not taken. 0, or ENOMEM when the table is full. *fd_taken: the channel closes fd.
 */
int	 dax_table_map(const struct dax_mapping *d, int fd, unsigned int *nsent,
	    int *fd_taken);
/* Remove every mapping the range touches; returns the requests sent for id. */
unsigned int dax_table_unmap(uint64_t id, uint64_t moffset, uint64_t len);
void	 dax_table_node_gone(uint64_t nodeid);		/* the node left the table */
void	 dax_table_release_fh(uint64_t fh);		/* RELEASE */
void	 dax_table_truncate(uint64_t nodeid, uint64_t size);	/* a new, smaller size */
void	 dax_table_reset(void);				/* every mapping goes */
/* The broker's result for the oldest request out; returns that request's id. */
uint64_t dax_table_result(const struct msg_dax_result *);

/* ---- locktable.c: lock fds, one per (node, lock owner), and lock waits ---- */
/*
 * The answer to a SETLKW whose wait was ended. Not EINTR: Linux's fuse_setlk() turns it
 * into ERESTARTSYS ("locking is restartable"), and with no signal pending that reaches
 * the guest process as errno 512, which no program knows. ENOLCK is what fcntl(2) and
 * flock(2) document for a lock that could not be had for want of resources, as NFS
 * answers when its lock service is gone; programs report it instead of retrying forever.
 */
#define LOCK_WAIT_ENDED		ENOLCK
struct lockfd;
/*
 * The owner's lock fd on h's node, with a reference; NULL with *err = 0 when there is
 * none and create is 0. It is shared by all the owner's handles, so it is opened for
 * reading and writing where the caller may (the handle's own mode otherwise); which lock
 * a handle may take is the caller's to check against the handle.
 */
struct lockfd	*lockfd_get(struct whandle *h, uint64_t owner, int create, int *err);
void		 lockfd_put(struct lockfd *);
int		 lockfd_fd(const struct lockfd *);
/* Remember that lf's owner locks through handle fh. 0, or ENOLCK. */
int		 lockfd_use(struct lockfd *, uint64_t fh);
/* A lock changed (lf: now held by guest pid, for GETLK; NULL: no holder to note). */
void		 locks_changed(struct lockfd *lf, uint32_t pid);
/* The guest pid holding a lock that conflicts with found, as GETLK reports it; 0: none. */
uint32_t	 locks_holder_pid(uint64_t nodeid, uint64_t owner, const struct flock *found);
/* Close the lock fd of (node, owner): its POSIX locks go, as on close(). */
void		 locks_drop_owner(struct wnode *, uint64_t owner);
/* RELEASE of fh closes the lock fds of the owners that locked through it. */
void		 locks_release_fh(uint64_t fh);
/* RELEASE (flags: msg_release.flags; FUSE_RELEASE_FLOCK_UNLOCK drops the flock lock). */
void		 locks_release(struct whandle *, uint64_t lock_owner, uint32_t flags);
/* Close every lock fd (a session reset). */
void		 locks_reset(void);
/* Another owner holds a conflicting lock. */
int		 locks_busy(int err);
/* A waiter's slot: 0, LOCK_WAIT_ENDED while waits are ended, ENOLCK when too many wait. */
int		 locks_wait_begin(void);
void		 locks_wait_end(void);
/*
 * Calls attempt(arg) until it says anything but busy, sleeping between attempts until a
 * lock changes here or a pause passes; LOCK_WAIT_ENDED once waits are ended.
 */
int		 locks_wait(int (*attempt)(void *), void *arg);
/* allow 0: every wait ends now and none starts until allow 1. */
void		 locks_waits_allow(int allow);

/*
 * ======== layer 4: what handlers share (ops_util.c) ========
 */

/* On a read-only export: answer EROFS and return 1. */
int	ops_readonly(struct wreq *);
/* Start reading req's payload with its fixed struct. 0 or EINVAL. */
int	ops_begin(struct wreq *, struct msg_reader *, void *fixed, size_t len);
/* Read a name field and check it is one component (no dots). 0 or an errno value. */
int	ops_get_name(struct msg_reader *, char name[NAME_MAX + 1]);
/* The node the request names, or NULL after answering the error. */
struct wnode *ops_node(struct wreq *, uint64_t nodeid);
/* The handle fh, or NULL after answering the error. */
struct whandle *ops_handle(struct wreq *, uint64_t fh);
/*
 * The calling thread gets its own umask and cwd (unshare(CLONE_FS), once per thread),
 * so creates apply the guest's umask through the kernel (default ACLs win, as locally)
 * and xattr calls can chdir into /proc/self/fd without racing other threads.
 * 0 or an errno value.
 */
int	ops_thread_fs(void);
/* Set the thread's umask for the next create; returns the mode to pass. */
mode_t	ops_create_mode(uint32_t mode, uint32_t umask);
/*
 * Clear SUID, and SGID where it is a privilege (always for an ACL change), on the node
 * or on fd when it is not -1: what killpriv_v2 asks of us where the guest's caller would
 * have lost them locally. 0 or an errno value.
 */
int	ops_kill_suidgid(struct wnode *, int fd, int acl);
/* 1 when the caller maps to host root (checks the guest kernel does by capabilities). */
int	ops_caller_root(const struct wreq *);
/*
 * A write or truncate on fd by a caller with CAP_FSETID keeps S_ISUID/S_ISGID, as
 * locally. In a user namespace of its own (--worker-userns) the kernel checks CAP_FSETID
 * in the initial namespace and clears them anyway: ops_setid_before() returns the bits
 * such a caller would lose (0 elsewhere: nothing to do), ops_setid_restore() puts back
 * those the call took. 0 or an errno value.
 */
mode_t	ops_setid_before(const struct wreq *, int fd);
int	ops_setid_restore(int fd, mode_t bits);

/*
 * ======== layer 5: the handlers, one per IMSG_FRONTEND_* type (ops_*.c) ========
 * Each starts with ops_begin() on its fixed struct (the dispatch table checked its size).
 */
#define WORKER_OP(name)	void op_##name(struct wreq *)
WORKER_OP(session_init);	WORKER_OP(session_destroy);	WORKER_OP(sync);
WORKER_OP(lookup);		WORKER_OP(forget);		WORKER_OP(batch_forget);
WORKER_OP(getattr);		WORKER_OP(statfs);		WORKER_OP(readlink);
WORKER_OP(opendir);		WORKER_OP(readdir);		WORKER_OP(releasedir);
WORKER_OP(open);		WORKER_OP(read);		WORKER_OP(release);
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
/* ops_sync.c: with the export root (O_PATH), while the worker holds its caps. */
void	ops_sync_init(int root_fd);
/*
 * ops_xattr.c: a new node's security label (a guest xattr name, mapped like any other)
 * set on the inode behind fd (O_PATH or not), as the caller. 0 or an errno value.
 */
int	ops_xattr_label(int fd, const char *name, const void *value, size_t len);
/*
 * ops_dax.c: IMSG_BROKER_DAX_RESULT, on the loop thread. A handler that sends a DAX
 * request will keep a copy of its wreq and answer it from here (the loop cannot block on
 * the broker).
 */
void	dax_result(const struct msg_dax_result *);

/*
 * ======== layer 6: the process (worker.c) ========
 * main, the channels, and the request tables, whose entries run each request on the
 * thread that received it.
 */

#endif
