/*
 * A harness that runs the worker binary on its own: it plays the broker (configuration,
 * guest memory table) on fd 3 and the frontend (typed requests) on fd 4, with a temporary
 * shared directory and a memfd as guest memory. Requests and replies are synchronous.
 *
 *	struct wh w;
 *	struct wh_opts o;
 *
 *	wh_opts_default(&o);			(namespace sandbox, seccomp kill)
 *	if (wh_start(&w, &o) != 0) ...		(skips with 77 when not root)
 *	wh_host_file(&w, "a", "hello");		(host side: create files in w.dir)
 *	wh_lookup(&w, WH_ROOT, "a", &e);	(returns 0 or the worker's errno)
 *	wh_stop(&w);
 *
 * Failures print the worker's log (stderr goes to a file in the temporary directory).
 * Tests count with CHECK() (check.h) and end with wh_finish() and check_done(). The
 * worker process, the host side and raw requests are in harness.c, the typed requests in
 * harness_req.c.
 */
#ifndef PRIVFSD_TESTS_WORKER_HARNESS_H
#define PRIVFSD_TESTS_WORKER_HARNESS_H

#include <sys/types.h>
#include <sys/stat.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "check.h"
#include "msg.h"

#define WH_ROOT		1		/* FUSE_ROOT_ID */
#define WH_TIMEOUT_MS	5000
#define WH_MEM_SIZE	(4 * 1024 * 1024)

struct wh_opts {
	uint32_t	flags;		/* CONFIG_* */
	uint32_t	sandbox;	/* SANDBOX_NAMESPACE by default */
	uint32_t	seccomp;	/* SECCOMP_MODE_KILL by default */
	uint32_t	threads;	/* thread_pool_size, 0 by default */
	uint32_t	poll_max_ns;	/* --poll-max-ns, 0 by default */
	uint64_t	rlimit_nofile;	/* 0: the worker's default */
	uint32_t	memory_budget_kib; /* 0: the worker's default */
	uint32_t	inode_file_handles; /* FILE_HANDLES_*, NEVER by default */
	uint32_t	dax;		/* DAX_*, NEVER by default */
	uint32_t	dax_vmm;	/* DAX_VMM_*, SHMEM by default */
	uint64_t	mem_offset;	/* guest memory starts this far into the memfd */
	struct msg_idmap uid_map[CONFIG_MAX_IDMAP];
	struct msg_idmap gid_map[CONFIG_MAX_IDMAP];
	const char	*env;		/* "NAME=value" put in the worker's environment, or NULL */
	int		 no_mem;	/* do not send a memory table */
	/* > 2: passed as the worker's fd 6 (CHAN_FD_STATE), with CONFIG_WORKER_RESTART */
	int		 state_fd;
	/* > 2: passed as the worker's fd 7 (CHAN_FD_USED), the used-ring page */
	int		 used_fd;
	/* An existing shared directory (a restarted worker's), instead of a new one. */
	const char	*shared_dir;
	uint32_t	 migration_mode;	/* MIGRATION_*, FIND_PATHS by default */
	uint32_t	 migration_flags;	/* MIGRATION_* flags */
	/* Called with the new shared directory before the worker starts. */
	void		(*prepare)(const char *dir);
};

struct wh_reply {
	uint32_t	type;		/* IMSG_WORKER_REPLY_* */
	int32_t		error;		/* from struct msg_rep */
	size_t		len;		/* payload after struct msg_rep */
	uint8_t		data[CHAN_MAX_PAYLOAD];
};

struct wh_stash;

struct wh {
	pid_t		 pid;
	struct chan	*broker;	/* our end of the worker's fd 3 */
	struct chan	*fe;		/* our end of the worker's fd 4: ordered requests, MEM_READY */
	struct chan	*req;		/* our end of the worker's fd 5: other requests, replies */
	char		 top[PATH_MAX];	/* temporary directory, removed by wh_stop */
	char		 dir[PATH_MAX];	/* the shared directory (host path) */
	char		 log[PATH_MAX];	/* the worker's stderr */
	uint8_t		*mem;		/* the whole memfd, mapped */
	size_t		 memlen;
	uint64_t	 mem_offset;
	uint64_t	 next_id;
	int		 status;	/* wait status once it exited, -1 before */
	struct wh_stash	*stash;		/* replies that came for other ids */
};

void	wh_opts_default(struct wh_opts *);
/* Starts the worker and waits for HELLO and MEM_READY. 0, or exits 77 without root. */
int	wh_start(struct wh *, const struct wh_opts *);
/*
 * A migration through the broker channel: save the worker's device state (the stream in
 * *buf, malloc'ed) or load one. 0, the worker's errno value, or -1 (no answer).
 */
int	wh_state_save(struct wh *, const struct msg_fuse_state *, uint8_t **buf, size_t *len);
int	wh_state_load(struct wh *, const uint8_t *buf, size_t len, struct msg_state_done *);
/* A state memfd as the broker makes it (sealed at WSTATE_BYTES); exits on failure. */
int	wh_state_memfd(void);
/* SIGKILL the worker and reap it (its channels stay open until wh_stop). */
void	wh_kill(struct wh *);
/* Closes both channels and reaps the worker; returns its wait status. */
int	wh_stop(struct wh *);
/* 1 while the worker runs; otherwise 0 and w->status holds the wait status. */
int	wh_alive(struct wh *);
/* Waits up to 5 s for the worker to end: its wait status, or -1 while it lives. */
int	wh_wait_end(struct wh *);
/*
 * After a lie: 1 when the worker ends within 5 s with exit 1 (never a signal) and a log
 * that says logged; else 0, with what (the case's name) and the log printed, and a worker
 * still alive killed.
 */
int	wh_expect_fatal(struct wh *, const char *what, const char *logged);
/*
 * The page the frontend and worker share (common/used_ring.h), as the broker makes it: a
 * sealed memfd for wh_opts.used_fd, mapped at *page (munmap USED_SHARE_BYTES).
 */
struct used_share;
int	wh_used_page(struct used_share **page);
void	wh_dump_log(const struct wh *);
/* One message to the worker as the broker, sent at once; fd (or -1) is sent and closed. */
void	wh_broker_send(struct wh *, uint32_t type, int fd, const void *data, size_t len);
/* 1 when a line of the worker's log contains s; how many lines do. */
int	wh_log_has(const struct wh *, const char *s);
int	wh_log_count(const struct wh *, const char *s);
/* End of a test run: checks the worker still runs, prints its log after any failure, stops it. */
int	wh_finish(struct wh *);
/* Path of name inside the shared directory (static buffer). */
const char *wh_path(const struct wh *, const char *name);
/* Host side helpers; fatal on failure. */
void	wh_host_file(const struct wh *, const char *name, const char *content);
void	wh_host_mkdir(const struct wh *, const char *name);
/* Host-side stat of a name in the shared dir; fatal when it fails. */
void	wh_host_stat(const struct wh *, const char *name, struct stat *);
/* Host-side inode number of name (lstat); fatal when it fails. */
uint64_t wh_host_ino(const struct wh *, const char *name);
/* Host-side permission bits (07777) of name. */
mode_t	wh_host_mode(const struct wh *, const char *name);
/* Host-side: 1 when name exists. */
int	wh_host_exists(const struct wh *, const char *name);
/*
 * n empty files in dir (a prepare callback's shared directory), named prefix and i
 * (0 <= i < n) zero-padded to width digits; exits on failure.
 */
void	wh_host_files(const char *dir, const char *prefix, int width, int n);
/* CLOCK_MONOTONIC in seconds, for timing requests. */
double	wh_now(void);

/* ---- raw requests ---- */
/* Sends a request (body = the payload after struct msg_req); returns its id. */
uint64_t wh_send(struct wh *, uint32_t type, uint64_t nodeid, const void *body, size_t len);
uint64_t wh_send_as(struct wh *, uint32_t type, uint64_t nodeid, uint32_t uid, uint32_t gid,
	    const void *body, size_t len);
/* As wh_send_as(), but maybe only queued: wh_send_queued() sends what waits. */
uint64_t wh_queue_as(struct wh *, uint32_t type, uint64_t nodeid, uint32_t uid, uint32_t gid,
	    const void *body, size_t len);
void	wh_send_queued(struct wh *);
/* Waits for the reply to id. 0, or -1 on timeout or a dead worker. */
int	wh_recv(struct wh *, uint64_t id, struct wh_reply *, int timeout_ms);
/* send + recv: the reply's error (0 ok), or -1 when no reply came. */
int	wh_call(struct wh *, uint32_t type, uint64_t nodeid, const void *body, size_t len,
	    struct wh_reply *);
/* A request that gets no reply (FORGET): sends it, and waits until it has run. */
void	wh_send_noreply(struct wh *, uint32_t type, uint64_t nodeid, const void *body,
	    size_t len);

/* A name body: u32 length + bytes (msg_put_str), what LOOKUP/UNLINK/... carry. */
size_t	wh_name_body(uint8_t *buf, size_t size, const char *name);

/* ---- typed helpers: each returns the worker's errno (0 ok) or -1 on no reply ---- */
int	wh_lookup(struct wh *, uint64_t parent, const char *name, struct msg_entry *);
int	wh_getattr(struct wh *, uint64_t nodeid, struct msg_attr *);
int	wh_getattr_fh(struct wh *, uint64_t nodeid, uint64_t fh, struct msg_attr *);
void	wh_forget(struct wh *, uint64_t nodeid, uint64_t nlookup);
int	wh_open(struct wh *, uint64_t nodeid, uint32_t flags, uint64_t *fh);
int	wh_opendir(struct wh *, uint64_t nodeid, uint64_t *fh);
int	wh_release(struct wh *, uint64_t fh);
int	wh_releasedir(struct wh *, uint64_t fh);
/* READ into guest memory at buffer offset off_in_mem, one iov; *got bytes read. */
int	wh_read(struct wh *, uint64_t fh, uint64_t offset, uint32_t size,
	    uint64_t off_in_mem, uint64_t *got);
/* READ into the pieces iov[0 .. niov) (made by wh_iov), niov <= MSG_MAX_IOV. */
int	wh_read_iovs(struct wh *, uint64_t fh, uint64_t offset, const struct msg_iov *iov,
	    uint32_t niov, uint64_t *got);
/* Guest memory at buffer offset off (after mem_offset). */
uint8_t	*wh_guest(struct wh *, uint64_t off);
/* A msg_iov for guest buffer offset off. */
struct msg_iov wh_iov(const struct wh *, uint64_t off, uint32_t len);
int	wh_readlink(struct wh *, uint64_t nodeid, char *buf, size_t size);
int	wh_statfs(struct wh *, uint64_t nodeid, struct msg_statfs *);

/* READDIR(PLUS): the raw reply payload (struct msg_dirents + entries). */
int	wh_readdir(struct wh *, uint64_t fh, uint64_t offset, uint32_t size, int plus,
	    struct wh_reply *);
/*
 * One READDIR of size bytes at *off, which moves past what came. Each name "nameN" (as
 * wh_host_files(dir, "name", ...) makes them) with 0 <= N < nseen counts in seen[N].
 * The number of entries, or -1 on a failure or a bad reply.
 */
int	wh_readdir_count(struct wh *, uint64_t fh, uint64_t *off, uint32_t size,
	    unsigned char *seen, int nseen);
/* Walks a DIRENTS payload: returns the next entry or NULL at the end / on a bad payload. */
struct wh_dirent {
	struct msg_dirent	 d;
	struct msg_entry	 e;		/* READDIRPLUS only */
	char			 name[NAME_MAX + 1];
};
struct wh_dirent_iter {
	const uint8_t	*p;
	size_t		 left;
	uint32_t	 count, seen;
	int		 plus;
	int		 bad;
};
void	wh_dirents_begin(struct wh_dirent_iter *, const struct wh_reply *, int plus);
int	wh_dirents_next(struct wh_dirent_iter *, struct wh_dirent *);

/*
 * ---- requests as the credentials in wh_uid/wh_gid (0/0 unless a test changes them),
 * the modifying operations ----
 */
extern uint32_t	wh_uid, wh_gid;

/* A request body being built. */
struct wh_body {
	uint8_t	buf[32768];
	size_t	len;
};

void	wh_body_init(struct wh_body *);
void	wh_body_put(struct wh_body *, const void *, size_t);
/* u32 length + bytes */
void	wh_body_str(struct wh_body *, const char *);
void	wh_body_bytes(struct wh_body *, const void *, uint32_t);

/* Raw call with the current credentials. */
int	wh_call_body(struct wh *, uint32_t type, uint64_t nodeid, const struct wh_body *,
	    struct wh_reply *);
/* SESSION_INIT with these SESSION_* flags. */
int	wh_session(struct wh *, uint32_t flags);
/* wh_start (opts NULL: the defaults), then a checked wh_session with these flags. */
void	wh_start_session(struct wh *, const struct wh_opts *, uint32_t session_flags);

int	wh_create(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    uint32_t open_flags, struct msg_entry *, uint64_t *fh);
int	wh_mknod(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    uint32_t rdev, struct msg_entry *);
int	wh_mkdir(struct wh *, uint64_t parent, const char *name, uint32_t mode,
	    struct msg_entry *);
int	wh_symlink(struct wh *, uint64_t parent, const char *name, const char *target,
	    struct msg_entry *);
int	wh_link(struct wh *, uint64_t node, uint64_t newparent, const char *name,
	    struct msg_entry *);
int	wh_tmpfile(struct wh *, uint64_t parent, uint32_t mode, uint32_t open_flags,
	    struct msg_entry *, uint64_t *fh);
int	wh_unlink(struct wh *, uint64_t parent, const char *name);
int	wh_rmdir(struct wh *, uint64_t parent, const char *name);
int	wh_rename(struct wh *, uint64_t olddir, const char *oldname, uint64_t newdir,
	    const char *newname, uint32_t flags);
int	wh_setattr(struct wh *, uint64_t nodeid, const struct msg_setattr *,
	    struct msg_attr *);
int	wh_access(struct wh *, uint64_t nodeid, uint32_t mask);
/* WRITE of len bytes put in guest memory at offset 0. *done: bytes written. */
int	wh_write(struct wh *, uint64_t fh, uint64_t off, const void *data, uint32_t len,
	    uint32_t flags, uint64_t *done);
int	wh_flush(struct wh *, uint64_t fh, uint64_t owner);
int	wh_fsync(struct wh *, uint32_t type, uint64_t fh, uint32_t datasync);
int	wh_syncfs(struct wh *, uint64_t nodeid);
int	wh_fallocate(struct wh *, uint64_t fh, uint64_t off, uint64_t len, uint32_t mode);
int	wh_lseek(struct wh *, uint64_t fh, uint64_t off, uint32_t whence, uint64_t *res);
int	wh_copy(struct wh *, uint64_t in_node, uint64_t fh_in, uint64_t off_in,
	    uint64_t out_node, uint64_t fh_out, uint64_t off_out, uint64_t len,
	    uint64_t *done);
int	wh_setxattr(struct wh *, uint64_t nodeid, const char *name, const void *value,
	    uint32_t size, uint32_t flags, uint32_t setxattr_flags);
/* GET/LIST: size 0 probes (*count); otherwise the bytes land in buf, *count their number. */
int	wh_getxattr(struct wh *, uint64_t nodeid, const char *name, uint32_t size,
	    void *buf, uint64_t *count);
int	wh_listxattr(struct wh *, uint64_t nodeid, uint32_t size, void *buf,
	    uint64_t *count);
int	wh_removexattr(struct wh *, uint64_t nodeid, const char *name);
int	wh_getlk(struct wh *, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
	    uint64_t end, struct msg_lock_reply *);
/* SETLK (sleep 0) or SETLKW (sleep 1), synchronous. */
int	wh_setlk(struct wh *, uint64_t fh, uint64_t owner, uint32_t type, uint64_t start,
	    uint64_t end, int sleep, int flock);
/* The SETLKW request alone: returns its id for wh_recv(). */
uint64_t wh_setlkw_send(struct wh *, uint64_t fh, uint64_t owner, uint32_t type,
	    uint64_t start, uint64_t end);

/* The node id of name under the root (with a lookup reference), or 0. */
uint64_t wh_node(struct wh *, const char *name);
/* The node id of name under parent; a failed LOOKUP is a failed check (and 0). */
uint64_t wh_node_at(struct wh *, uint64_t parent, const char *name);

#define WH_OFFSET_MAX	INT64_MAX

#endif
