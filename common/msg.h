/*
 * The message catalogue: every message that crosses a privfsd channel, with its payload.
 *
 * Channels and who may send what (enforced by each receiver's dispatch table):
 *   broker   <-> frontend  fd 3 in the frontend; fds allowed
 *   broker   <-> worker    fd 3 in the worker;   fds allowed
 *   frontend <-> worker    fd 4 in both;         no fds ever (only typed requests/replies)
 *
 * Names are IMSG_<SENDER>_<VERB>. Integers are host order (the peers are on one host).
 * Fixed parts are plain structs with explicit padding; variable parts (names, xattr values,
 * directory entries, buffer lists) follow them and are read with msg_reader.h.
 *
 * Start-up: the broker sends IMSG_BROKER_CONFIG; the child sets up its sandbox and answers
 * IMSG_CHILD_HELLO carrying PRIVFSD_PROTO_VERSION; the broker gives up after a timeout.
 */
#ifndef PRIVFSD_MSG_H
#define PRIVFSD_MSG_H

#include <limits.h>
#include <stdint.h>

#define PRIVFSD_PROTO_VERSION	1

/* Fixed fd numbers of the channels in the children. */
#define CHAN_FD_BROKER		3	/* frontend, worker: channel to the broker */
#define CHAN_FD_PEER		4	/* frontend <-> worker: ordered requests, replies */
#define CHAN_FD_REQUESTS	5	/* frontend -> worker: SOCK_SEQPACKET, caller requests */
/*
 * Worker only, with --worker-restart: the state memfd that outlives one worker (made and
 * sealed at WSTATE_BYTES by the broker, kept for the next worker; layout: worker/wstate.h).
 */
#define CHAN_FD_STATE		6
/*
 * Frontend and worker, without --worker-restart: the page in which both complete chains
 * on the request queues' used rings (made and sealed at USED_SHARE_BYTES by the broker;
 * layout: common/used_ring.h).
 */
#define CHAN_FD_USED		7
#define WSTATE_BYTES		(64ULL << 20)	/* sparse: only pages written cost memory */

enum privfsd_role {
	ROLE_BROKER = 1,
	ROLE_FRONTEND,
	ROLE_WORKER,
};

enum imsg_type {
	/* broker -> child, child -> broker: start-up */
	IMSG_BROKER_CONFIG = 1,		/* struct msg_config */
	IMSG_CHILD_HELLO,		/* struct msg_hello */

	/* broker -> frontend */
	IMSG_BROKER_CONNECTION = 10,	/* no payload; fd: accepted vhost-user socket */
	IMSG_BROKER_WORKER_CHAN,	/* struct msg_worker_chan; fd: a new worker's channel end */

	/* frontend -> broker: guest memory and the back-end channel, forwarded after checks */
	IMSG_FRONTEND_MEM_ADD = 20,	/* struct msg_mem_region; fd: region memfd */
	IMSG_FRONTEND_MEM_DEL,		/* struct msg_mem_slot */
	IMSG_FRONTEND_MEM_COMMIT,	/* struct msg_mem_commit */
	IMSG_FRONTEND_BACKEND_CHANNEL,	/* struct msg_backend_channel; fd: SET_BACKEND_REQ_FD socket */
	IMSG_FRONTEND_STATE_FD,		/* struct msg_state_fd; fd: SET_DEVICE_STATE_FD pipe end */
	IMSG_FRONTEND_DIRECT_RING,	/* struct msg_direct_ring; fd: the ring's call eventfd */
	IMSG_FRONTEND_DIRECT_KICK,	/* struct msg_direct_kick; fd: the ring's kick eventfd */

	/* broker -> worker: the same memory table, after the broker checked each fd */
	IMSG_BROKER_MEM_ADD = 30,	/* struct msg_mem_region; fd */
	IMSG_BROKER_MEM_DEL,		/* struct msg_mem_slot */
	IMSG_BROKER_MEM_COMMIT,		/* struct msg_mem_commit */
	IMSG_BROKER_STATE_FD,		/* struct msg_state_fd; fd: the pipe end, checked */
	IMSG_BROKER_DIRECT_RING,	/* struct msg_direct_ring; fd: an eventfd, checked */
	IMSG_BROKER_DIRECT_KICK,	/* struct msg_direct_kick; fd: an eventfd, checked */

	/* worker -> broker, broker -> worker: DAX window mappings, one result per request */
	IMSG_WORKER_DAX_MAP = 40,	/* struct msg_dax_map; fd: file opened by the worker */
	IMSG_WORKER_DAX_UNMAP,		/* struct msg_dax_unmap */
	IMSG_BROKER_DAX_RESULT,		/* struct msg_dax_result */

	/* worker -> frontend */
	IMSG_WORKER_MEM_READY = 50,	/* struct msg_mem_commit: this generation is mapped */
	IMSG_WORKER_STATE_DONE,		/* struct msg_state_done: a device state transfer ended */

	/*
	 * frontend -> worker: one typed request per FUSE operation. Every request starts with
	 * struct msg_req; the worker answers each (except FORGET/BATCH_FORGET) with exactly one
	 * IMSG_WORKER_REPLY_* carrying the same id. Completions may come out of order.
	 */
	IMSG_FRONTEND_SESSION_INIT = 100, /* struct msg_req + struct msg_session */
	IMSG_FRONTEND_SESSION_DESTROY,	/* struct msg_req: drop every node and handle */
	IMSG_FRONTEND_LOOKUP,		/* msg_req + name ("." and ".." allowed) */
	IMSG_FRONTEND_FORGET,		/* msg_req + struct msg_forget; no reply */
	IMSG_FRONTEND_BATCH_FORGET,	/* msg_req + u32 count + count * struct msg_forget_one; no reply */
	IMSG_FRONTEND_GETATTR,		/* msg_req + struct msg_getattr */
	IMSG_FRONTEND_SETATTR,		/* msg_req + struct msg_setattr */
	IMSG_FRONTEND_READLINK,		/* msg_req */
	IMSG_FRONTEND_SYMLINK,		/* msg_req + struct msg_newnode + name + target [+ secctx] */
	IMSG_FRONTEND_MKNOD,		/* msg_req + struct msg_newnode + name [+ secctx] */
	IMSG_FRONTEND_MKDIR,		/* msg_req + struct msg_newnode + name [+ secctx] */
	IMSG_FRONTEND_UNLINK,		/* msg_req + name */
	IMSG_FRONTEND_RMDIR,		/* msg_req + name */
	IMSG_FRONTEND_RENAME,		/* msg_req + struct msg_rename + oldname + newname */
	IMSG_FRONTEND_LINK,		/* msg_req (nodeid = new parent) + struct msg_link + newname */
	IMSG_FRONTEND_OPEN,		/* msg_req + struct msg_open */
	IMSG_FRONTEND_READ,		/* msg_req + struct msg_io + iovs */
	IMSG_FRONTEND_WRITE,		/* msg_req + struct msg_io + iovs */
	IMSG_FRONTEND_STATFS,		/* msg_req */
	IMSG_FRONTEND_RELEASE,		/* msg_req + struct msg_release */
	IMSG_FRONTEND_FSYNC,		/* msg_req + struct msg_fsync */
	IMSG_FRONTEND_SETXATTR,		/* msg_req + struct msg_xattr + name + value bytes */
	IMSG_FRONTEND_GETXATTR,		/* msg_req + struct msg_xattr + name */
	IMSG_FRONTEND_LISTXATTR,	/* msg_req + struct msg_xattr */
	IMSG_FRONTEND_REMOVEXATTR,	/* msg_req + name */
	IMSG_FRONTEND_FLUSH,		/* msg_req + struct msg_release */
	IMSG_FRONTEND_OPENDIR,		/* msg_req + struct msg_open */
	IMSG_FRONTEND_READDIR,		/* msg_req + struct msg_readdir */
	IMSG_FRONTEND_RELEASEDIR,	/* msg_req + struct msg_release */
	IMSG_FRONTEND_FSYNCDIR,		/* msg_req + struct msg_fsync */
	IMSG_FRONTEND_GETLK,		/* msg_req + struct msg_lock */
	IMSG_FRONTEND_SETLK,		/* msg_req + struct msg_lock (sleep = 1 for SETLKW) */
	IMSG_FRONTEND_ACCESS,		/* msg_req + struct msg_access */
	IMSG_FRONTEND_CREATE,		/* msg_req + struct msg_newnode + name [+ secctx] */
	IMSG_FRONTEND_FALLOCATE,	/* msg_req + struct msg_fallocate */
	IMSG_FRONTEND_LSEEK,		/* msg_req + struct msg_lseek */
	IMSG_FRONTEND_COPY_FILE_RANGE,	/* msg_req + struct msg_copy_range */
	IMSG_FRONTEND_SYNCFS,		/* msg_req */
	IMSG_FRONTEND_TMPFILE,		/* msg_req + struct msg_newnode [+ secctx] */
	IMSG_FRONTEND_SETUPMAPPING,	/* msg_req + struct msg_setupmapping */
	IMSG_FRONTEND_REMOVEMAPPING,	/* msg_req + u32 count + count * struct msg_dax_range */
	IMSG_FRONTEND_LOCK_WAITS,	/* msg_req + struct msg_lock_waits; no reply */
	IMSG_FRONTEND_SYNC,		/* msg_req: answered once everything ordered before it ran */
	IMSG_FRONTEND_TYPE_END,

	/* worker -> frontend: typed replies, each starting with struct msg_rep */
	IMSG_WORKER_REPLY_STATUS = 200,	/* msg_rep only: error or 0 */
	IMSG_WORKER_REPLY_ENTRY,	/* msg_rep + struct msg_entry */
	IMSG_WORKER_REPLY_ATTR,		/* msg_rep + struct msg_attr */
	IMSG_WORKER_REPLY_OPEN,		/* msg_rep + struct msg_opened */
	IMSG_WORKER_REPLY_CREATE,	/* msg_rep + struct msg_entry + struct msg_opened */
	IMSG_WORKER_REPLY_COUNT,	/* msg_rep + struct msg_count */
	IMSG_WORKER_REPLY_DATA,		/* msg_rep + bytes (readlink target, xattr value/list) */
	IMSG_WORKER_REPLY_STATFS,	/* msg_rep + struct msg_statfs */
	IMSG_WORKER_REPLY_DIRENTS,	/* msg_rep + struct msg_dirents + entries */
	IMSG_WORKER_REPLY_LOCK,		/* msg_rep + struct msg_lock_reply */
};

/*
 * The requests that go in order on CHAN_FD_PEER and run on the worker's loop thread:
 * session changes, forgets and the end of lock waits, cheap and acting for nobody. Every
 * other request goes on CHAN_FD_REQUESTS, where the worker's request threads take them
 * in parallel. The worker accepts each type only on its own channel. Nothing orders the
 * two channels against each other: a guest never refers to what it forgot. SYNC is the
 * barrier for whoever needs one (the worker tests after a FORGET).
 */
static inline int
msg_req_ordered(uint32_t type)
{
	return type == IMSG_FRONTEND_SESSION_INIT || type == IMSG_FRONTEND_SESSION_DESTROY ||
	    type == IMSG_FRONTEND_FORGET || type == IMSG_FRONTEND_BATCH_FORGET ||
	    type == IMSG_FRONTEND_LOCK_WAITS || type == IMSG_FRONTEND_SYNC;
}

/* ---- start-up ---------------------------------------------------------------------- */

enum sandbox_mode {
	SANDBOX_NAMESPACE = 0,
	SANDBOX_CHROOT,
	SANDBOX_NONE,
};

enum seccomp_mode {
	SECCOMP_MODE_KILL = 0,
	SECCOMP_MODE_LOG,
	SECCOMP_MODE_TRAP,
	SECCOMP_MODE_NONE,
};

enum cache_mode {
	CACHE_AUTO = 0,
	CACHE_ALWAYS,
	CACHE_NEVER,
	CACHE_METADATA,
};

enum dax_mode {			/* --dax */
	DAX_NEVER = 0,
	DAX_ALWAYS,			/* any regular file may be mapped */
	DAX_INODE,			/* as always; files with the host's DAX flag are marked */
};

enum dax_vmm {			/* --dax-vmm: the messages the VMM understands */
	DAX_VMM_SHMEM = 0,		/* SHMEM_MAP/UNMAP, offered only if negotiated */
	DAX_VMM_FS_MAP,			/* the old virtio-fs FS_MAP/FS_UNMAP, operator's word */
};

/* The window's granule: map ranges and file offsets are multiples of it. */
#define DAX_ALIGN_SHIFT		12
#define DAX_ALIGN		(1ULL << DAX_ALIGN_SHIFT)
#define DAX_WINDOW_MIN		(2ULL << 20)	/* one range of the Linux driver */
#define DAX_WINDOW_MAX		(1ULL << 40)

enum inode_file_handles {
	FILE_HANDLES_NEVER = 0,
	FILE_HANDLES_PREFER,
	FILE_HANDLES_MANDATORY,
};

/* msg_config.flags */
#define CONFIG_READONLY		0x0001
#define CONFIG_WRITEBACK	0x0002
#define CONFIG_ALLOW_DIRECT_IO	0x0004
#define CONFIG_ALLOW_MMAP	0x0008
#define CONFIG_NO_READDIRPLUS	0x0010
#define CONFIG_XATTR		0x0020
#define CONFIG_POSIX_ACL	0x0040
#define CONFIG_SECURITY_LABEL	0x0080
#define CONFIG_ANNOUNCE_SUBMOUNTS 0x0100
#define CONFIG_KILLPRIV_V2	0x0200
#define CONFIG_PRESERVE_NOATIME	0x0400
#define CONFIG_HASHED_INODES	0x0800	/* guest inode numbers are keyed hashes */
#define CONFIG_SYSLOG		0x1000
#define CONFIG_WORKER_RESTART	0x2000	/* a dead worker is replaced (worker: fd 6) */
/*
 * Started by an unprivileged user: every process runs in the broker's user namespace,
 * whose one uid is 0 (broker/userns.c); the frontend stays uid 0 there, without privsep_uid.
 */
#define CONFIG_USERNS		0x4000

/* msg_config.migration_mode (--migration-mode) */
enum migration_mode {
	MIGRATION_FIND_PATHS = 0,	/* nodes found again by name, from the root */
	MIGRATION_FILE_HANDLES,		/* nodes found again by file handle */
};

/* msg_config.migration_flags */
#define MIGRATION_GUEST_ERROR	0x1	/* --migration-on-error=guest-error */
#define MIGRATION_VERIFY_HANDLES 0x2	/* --migration-verify-handles */
#define MIGRATION_CONFIRM_PATHS	0x4	/* --migration-confirm-paths */

#define CONFIG_MAX_IDMAP	8
#define CONFIG_XATTRMAP_MAX	4096
#define CONFIG_TAG_MAX		36	/* virtio-fs config space: tag[36], NUL padded */

struct msg_idmap {		/* --uid-map/--gid-map/--translate-*: guest [from, from+count) -> host to */
	uint32_t	from;
	uint32_t	to;
	uint32_t	count;
	uint32_t	kind;		/* 0 unused, 1 map, 2 squash (all guest ids -> to), 3 forbid */
};

struct msg_config {		/* IMSG_BROKER_CONFIG, SIZE_EXACT */
	char		shared_dir[PATH_MAX];	/* absolute, NUL-terminated */
	char		xattrmap[CONFIG_XATTRMAP_MAX];	/* virtiofsd rule syntax, "" = none */
	uint32_t	flags;			/* CONFIG_* */
	uint32_t	sandbox;		/* enum sandbox_mode */
	uint32_t	seccomp;		/* enum seccomp_mode */
	uint32_t	log_level;		/* enum log_level */
	uint32_t	cache;			/* enum cache_mode */
	uint32_t	inode_file_handles;	/* enum inode_file_handles */
	uint32_t	thread_pool_size;	/* worker threads; 0 = requests run on the loop */
	uint32_t	privsep_uid;		/* the frontend's user; 0: CONFIG_USERNS */
	uint32_t	privsep_gid;
	uint32_t	memory_budget_kib;	/* worker memory budget; 0 = the default */
	uint64_t	rlimit_nofile;		/* worker fd budget */
	uint32_t	dax;			/* enum dax_mode */
	uint32_t	dax_vmm;		/* enum dax_vmm */
	uint64_t	dax_window;		/* bytes; 0 with DAX_NEVER */
	char		tag[CONFIG_TAG_MAX + 1];	/* --tag: served with GET_CONFIG; "" none */
	uint8_t		pad_tag[3];
	struct msg_idmap uid_map[CONFIG_MAX_IDMAP];
	struct msg_idmap gid_map[CONFIG_MAX_IDMAP];
	uint32_t	migration_mode;		/* enum migration_mode */
	uint32_t	migration_flags;	/* MIGRATION_* */
	uint32_t	poll_max_ns;		/* --poll-max-ns: the worker's wait awake */
	uint32_t	pad_poll;
};

struct msg_worker_chan {	/* IMSG_BROKER_WORKER_CHAN, SIZE_EXACT */
	uint32_t	which;		/* CHAN_FD_PEER or CHAN_FD_REQUESTS */
	uint32_t	restarts;	/* how many workers this one replaces */
};

struct msg_hello {		/* IMSG_CHILD_HELLO, SIZE_EXACT */
	uint32_t	version;	/* PRIVFSD_PROTO_VERSION */
	uint32_t	role;		/* enum privfsd_role */
};

/* ---- guest memory ------------------------------------------------------------------ */

#define MEM_MAX_SLOTS		509	/* answered to GET_MAX_MEM_SLOTS */

struct msg_mem_region {		/* *_MEM_ADD, SIZE_EXACT; fd attached */
	uint32_t	gen;		/* table generation this change belongs to */
	uint32_t	slot;		/* < MEM_MAX_SLOTS */
	uint64_t	guest_phys_addr;
	uint64_t	memory_size;
	uint64_t	userspace_addr;
	uint64_t	mmap_offset;	/* map [0, mmap_offset + memory_size) of the fd */
};

struct msg_mem_slot {		/* *_MEM_DEL, SIZE_EXACT */
	uint32_t	gen;
	uint32_t	slot;
};

struct msg_mem_commit {		/* *_MEM_COMMIT, IMSG_WORKER_MEM_READY, SIZE_EXACT */
	uint32_t	gen;
	uint32_t	nslots;		/* slots in use after this generation */
};

/*
 * A piece of guest memory that the frontend validated: slot of the current generation and
 * an offset into that slot's mapping (fd offset), all within one region. The worker checks
 * the range against its own mapping again before touching it.
 */
struct msg_iov {
	uint32_t	slot;
	uint32_t	len;
	uint64_t	offset;
};

/* ---- DAX --------------------------------------------------------------------------- */

/*
 * The back-end channel and what the front-end negotiated on the vhost-user socket, which
 * picks the DAX messages the broker sends (SHMEM_MAP needs the SHMEM protocol feature,
 * answers need REPLY_ACK). The frontend's word: a lying frontend can only make its own
 * VMM refuse the requests; every range is still checked against the broker's window.
 */
struct msg_backend_channel {	/* IMSG_FRONTEND_BACKEND_CHANNEL, SIZE_EXACT; fd attached */
	uint64_t	protocol_features;
};

/*
 * The worker's requests go to the VMM in the order it sends them and each gets one
 * result, in the same order. id 0: the worker's own clean-up (nothing waits on it).
 */
struct msg_dax_map {		/* IMSG_WORKER_DAX_MAP, SIZE_EXACT */
	uint64_t	id;		/* request id, echoed in the result */
	uint64_t	fd_offset;
	uint64_t	window_offset;
	uint64_t	len;
	uint32_t	flags;		/* DAX_MAP_* */
	uint32_t	pad;
};
#define DAX_MAP_READ		0x1
#define DAX_MAP_WRITE		0x2

struct msg_dax_range {
	uint64_t	window_offset;
	uint64_t	len;
};

struct msg_dax_unmap {		/* IMSG_WORKER_DAX_UNMAP, SIZE_EXACT */
	uint64_t	id;
	struct msg_dax_range range;
};

struct msg_dax_result {		/* IMSG_BROKER_DAX_RESULT, SIZE_EXACT */
	uint64_t	id;
	int32_t		error;
	uint32_t	pad;
};

/* ---- device state (live migration, vhost-user SET_DEVICE_STATE_FD) ------------------ */

#define STATE_SAVE		0	/* the worker writes the stream into the fd */
#define STATE_LOAD		1	/* the worker reads the stream from the fd */

/*
 * The frontend's part of the FUSE session, carried in the stream so that the guest on the
 * destination goes on without a new INIT. The worker keeps it as bytes; the frontend
 * checks every field of what comes back from a load.
 */
struct msg_fuse_state {
	uint32_t	ready;		/* 1: INIT done */
	uint32_t	minor;		/* negotiated FUSE minor version */
	uint64_t	flags;		/* negotiated FUSE_* init flags */
	uint32_t	max_pages;
	uint32_t	max_write;
	uint32_t	max_readahead;
	uint32_t	pad;
};

struct msg_state_fd {		/* IMSG_FRONTEND_STATE_FD, IMSG_BROKER_STATE_FD, SIZE_EXACT */
	uint32_t	direction;	/* STATE_SAVE or STATE_LOAD */
	uint32_t	seq;		/* the frontend's transfer number, echoed */
	struct msg_fuse_state fuse;	/* SAVE: what goes into the stream */
};

struct msg_state_done {		/* IMSG_WORKER_STATE_DONE, SIZE_EXACT */
	uint32_t	direction;
	int32_t		error;		/* 0 or a positive errno value */
	struct msg_fuse_state fuse;	/* LOAD: what the stream carried */
	uint32_t	seq;		/* msg_state_fd's */
	uint32_t	pad;
};

/* ---- file system requests (frontend -> worker) ------------------------------------- */

/* ---- requests the worker completes itself (common/used_ring.h) ------------------------ */

/*
 * Where a request queue's rings are, for the worker to complete chains on it. The
 * frontend's word, relayed by the broker with the call eventfd: the worker checks every
 * range against its own memory table at each use and pushes only while the shared page's
 * gen for the queue is this gen.
 */
struct msg_direct_ring {	/* IMSG_FRONTEND_DIRECT_RING, IMSG_BROKER_DIRECT_RING */
	uint32_t	queue;		/* 1 .. USED_SHARE_QUEUES */
	uint32_t	gen;		/* non-zero */
	uint32_t	num;		/* ring size, a power of two */
	uint32_t	event_idx;	/* 0 or 1 */
	struct msg_iov	used;		/* 6 + 8 * num bytes */
	struct msg_iov	avail;		/* 6 + 2 * num bytes */
};

/*
 * The kick eventfd of a ring the worker completes on, sent right after the ring's
 * IMSG_FRONTEND_DIRECT_RING with the same gen: the worker's waiting thread wakes on the
 * guest's kick at the same time as the frontend (worker/pool.c). Only a hint: a kick
 * carries no request, the request still comes by socket.
 */
struct msg_direct_kick {	/* IMSG_FRONTEND_DIRECT_KICK, IMSG_BROKER_DIRECT_KICK */
	uint32_t	queue;		/* 1 .. USED_SHARE_QUEUES */
	uint32_t	gen;		/* the gen of the ring it belongs to */
};

/* msg_direct.enc: what the reply looks like, by the worker's reply type */
#define DIRECT_ENC_STATUS	1	/* STATUS: out header only */
#define DIRECT_ENC_ATTR		2	/* ATTR: fuse_attr_out */
#define DIRECT_ENC_ENTRY	3	/* ENTRY: fuse_entry_out, nodeid 0 allowed (LOOKUP) */
#define DIRECT_ENC_ENTRY_NEW	4	/* ENTRY: fuse_entry_out, nodeid 0 refused */
#define DIRECT_ENC_READ		5	/* COUNT <= size: out header, the data already written */
#define DIRECT_ENC_WRITE	6	/* COUNT <= size: fuse_write_out */
#define DIRECT_ENC_OPEN		7	/* OPEN: fuse_open_out with open_flags */
#define DIRECT_ENC_CREATE	8	/* CREATE: fuse_entry_out (nodeid != 0) + fuse_open_out */
#define DIRECT_ENC_DIRENTS	9	/* DIRENTS: fuse_dirent records, at most size bytes */
#define DIRECT_ENC_DIRENTS_PLUS	10	/* DIRENTS: fuse_direntplus records, likewise */
#define DIRECT_SEGS_MAX		4

/*
 * Trailer of a request on the requests channel that the worker may complete itself: its
 * chain and how to answer it. chan_hdr.peerid holds the trailer's length (0: none); the
 * worker takes it off before the request is dispatched. Followed by nseg struct msg_iov:
 * the writable pieces that hold the out header and the fixed-size reply after it (a READ's
 * data pieces are its msg_io iovs).
 */
struct msg_direct {
	uint64_t	unique;		/* the guest's request id, for the out header */
	uint64_t	timeout;	/* entry and attribute validity, seconds */
	uint64_t	size;		/* READ, WRITE, READDIR(PLUS): the size asked */
	uint32_t	gen;		/* the queue's gen when sent */
	uint32_t	queue;
	uint32_t	head;		/* descriptor index heading the chain */
	uint32_t	enc;		/* DIRECT_ENC_* */
	uint32_t	attr_flags;	/* FUSE_ATTR_* the session allows */
	uint32_t	nseg;		/* 1 .. DIRECT_SEGS_MAX */
	uint32_t	open_flags;	/* OPEN, CREATE: fuse_open_out.open_flags (FOPEN_*) */
	uint32_t	pad;
};

struct msg_req {		/* first in every IMSG_FRONTEND_<op> */
	uint64_t	id;		/* frontend's request id, echoed in the reply */
	uint64_t	nodeid;		/* the node the op is on (parent for name ops) */
	uint32_t	uid;		/* caller's guest credentials (before id mapping) */
	uint32_t	gid;
	uint32_t	pid;
	uint32_t	pad;
};

/* msg_session.flags: what INIT negotiated that changes the worker's behaviour */
#define SESSION_WRITEBACK	0x01
#define SESSION_KILLPRIV_V2	0x02
#define SESSION_POSIX_ACL	0x04
#define SESSION_SECURITY_CTX	0x08
#define SESSION_SUBMOUNTS	0x10
#define SESSION_DONT_MASK	0x20	/* the guest left umask to us: apply msg_newnode.umask */
#define SESSION_HANDLE_KILLPRIV	0x40
#define SESSION_INODE_DAX	0x80	/* the guest picks DAX per file: mark FUSE_ATTR_DAX */

struct msg_session {
	uint32_t	flags;
	uint32_t	max_write;
};

struct msg_forget {
	uint64_t	nlookup;
};

struct msg_forget_one {
	uint64_t	nodeid;
	uint64_t	nlookup;
};

#define MSG_GETATTR_FH		0x1
struct msg_getattr {
	uint64_t	fh;
	uint32_t	flags;		/* MSG_GETATTR_FH: use fh, not the node */
	uint32_t	pad;
};

/* msg_setattr.valid: our own bits, translated from FATTR_* by the frontend */
#define SETATTR_MODE		0x0001
#define SETATTR_UID		0x0002
#define SETATTR_GID		0x0004
#define SETATTR_SIZE		0x0008
#define SETATTR_ATIME		0x0010
#define SETATTR_MTIME		0x0020
#define SETATTR_ATIME_NOW	0x0040
#define SETATTR_MTIME_NOW	0x0080
#define SETATTR_CTIME		0x0100
#define SETATTR_FH		0x0200	/* fh is valid */
#define SETATTR_KILL_SUIDGID	0x0400	/* FATTR_KILL_SUIDGID (killpriv_v2) */

struct msg_setattr {
	uint32_t	valid;
	uint32_t	mode;
	uint32_t	uid;
	uint32_t	gid;
	uint64_t	fh;
	uint64_t	size;
	int64_t		atime;
	int64_t		mtime;
	int64_t		ctime;
	uint32_t	atimensec;
	uint32_t	mtimensec;
	uint32_t	ctimensec;
	uint32_t	pad;
};

/*
 * CREATE, MKNOD, MKDIR, SYMLINK, TMPFILE. Followed by: name (msg_get_str, not for TMPFILE),
 * then for SYMLINK the target (msg_get_str), then when NEWNODE_SECCTX is set the security
 * context name (msg_get_str) and value (msg_get_bytes).
 */
#define NEWNODE_SECCTX		0x1
#define NEWNODE_KILL_SUIDGID	0x2	/* CREATE with FUSE_OPEN_KILL_SUIDGID */
struct msg_newnode {
	uint32_t	mode;		/* type and permission bits */
	uint32_t	umask;
	uint32_t	rdev;		/* MKNOD */
	uint32_t	open_flags;	/* CREATE/TMPFILE: O_* flags, sanitized */
	uint32_t	flags;		/* NEWNODE_* */
	uint32_t	pad;
};

struct msg_rename {		/* followed by oldname, newname */
	uint64_t	newdir;
	uint32_t	flags;		/* RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT */
	uint32_t	pad;
};

struct msg_link {		/* followed by newname */
	uint64_t	oldnodeid;
};

#define OPEN_KILL_SUIDGID	0x1
struct msg_open {
	uint32_t	flags;		/* O_* flags, sanitized (no O_CREAT, O_TMPFILE, O_NOFOLLOW games) */
	uint32_t	open_flags;	/* OPEN_* */
};

#define IO_KILL_SUIDGID		0x1
struct msg_io {			/* READ, WRITE; followed by niov * struct msg_iov */
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	size;		/* == sum of the iov lengths */
	uint32_t	niov;
	uint32_t	flags;		/* IO_* */
	uint32_t	pad;
};

struct msg_release {		/* RELEASE, RELEASEDIR, FLUSH */
	uint64_t	fh;
	uint64_t	lock_owner;
	uint32_t	flags;		/* 1: release flock locks (FUSE_RELEASE_FLOCK_UNLOCK) */
	uint32_t	pad;
};

struct msg_fsync {
	uint64_t	fh;
	uint32_t	datasync;
	uint32_t	pad;
};

struct msg_xattr {		/* SETXATTR: followed by name, value; GET: name; LIST: nothing */
	uint32_t	size;		/* GET/LIST: buffer size (0 = ask for the size); SET: value size */
	uint32_t	flags;		/* SET: XATTR_CREATE | XATTR_REPLACE */
	uint32_t	setxattr_flags;	/* SET: FUSE_SETXATTR_ACL_KILL_SGID */
	uint32_t	pad;
};

struct msg_readdir {
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	size;		/* guest buffer size, see msg_dirent_size() */
	uint32_t	plus;		/* 1 for READDIRPLUS */
};

struct msg_lock {
	uint64_t	fh;
	uint64_t	owner;
	uint64_t	start;
	uint64_t	end;
	uint32_t	type;		/* F_RDLCK, F_WRLCK, F_UNLCK */
	uint32_t	pid;
	uint32_t	flock;		/* 1: BSD flock semantics (FUSE_LK_FLOCK) */
	uint32_t	sleep;		/* SETLKW */
};

/*
 * IMSG_FRONTEND_LOCK_WAITS: allow = 0 while the frontend waits for every request to come
 * back (device stop, reset, memory change): each waiting SETLKW ends with ENOLCK and none
 * starts to wait; allow = 1 once that is over.
 */
struct msg_lock_waits {
	uint32_t	allow;
	uint32_t	pad;
};

struct msg_access {
	uint32_t	mask;
	uint32_t	pad;
};

struct msg_fallocate {
	uint64_t	fh;
	uint64_t	offset;
	uint64_t	length;
	uint32_t	mode;
	uint32_t	pad;
};

struct msg_lseek {
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	whence;
	uint32_t	pad;
};

struct msg_copy_range {		/* msg_req.nodeid is the input node */
	uint64_t	fh_in;
	uint64_t	off_in;
	uint64_t	nodeid_out;
	uint64_t	fh_out;
	uint64_t	off_out;
	uint64_t	len;
	uint64_t	flags;
};

struct msg_setupmapping {
	uint64_t	fh;
	uint64_t	foffset;
	uint64_t	len;
	uint64_t	moffset;
	uint32_t	flags;		/* SETUPMAPPING_*, FUSE's values */
	uint32_t	pad;
};
#define SETUPMAPPING_WRITE	0x1
#define SETUPMAPPING_READ	0x2

/* ---- replies (worker -> frontend) --------------------------------------------------- */

struct msg_rep {		/* first in every IMSG_WORKER_REPLY_* */
	uint64_t	id;
	int32_t		error;		/* 0 or a positive errno value */
	uint32_t	pad;
};

#define ATTR_SUBMOUNT		0x1	/* the node is the root of a host submount */
#define ATTR_DAX		0x2	/* --dax=inode: the guest maps this file */
struct msg_attr {
	uint64_t	ino;
	uint64_t	size;
	uint64_t	blocks;
	int64_t		atime;
	int64_t		mtime;
	int64_t		ctime;
	uint32_t	atimensec;
	uint32_t	mtimensec;
	uint32_t	ctimensec;
	uint32_t	mode;
	uint32_t	nlink;
	uint32_t	uid;		/* already mapped back to guest ids */
	uint32_t	gid;
	uint32_t	rdev;
	uint32_t	blksize;
	uint32_t	flags;		/* ATTR_* */
};

struct msg_entry {
	uint64_t	nodeid;		/* 0: negative entry */
	uint64_t	generation;
	struct msg_attr	attr;
};

struct msg_opened {
	uint64_t	fh;
	uint32_t	flags;		/* reserved for the worker's hints, 0 */
	uint32_t	pad;
};

struct msg_count {		/* READ/WRITE bytes, LSEEK offset, xattr size probe, copy length */
	uint64_t	count;
};

struct msg_statfs {
	uint64_t	blocks;
	uint64_t	bfree;
	uint64_t	bavail;
	uint64_t	files;
	uint64_t	ffree;
	uint32_t	bsize;
	uint32_t	namelen;
	uint32_t	frsize;
	uint32_t	pad;
};

/*
 * IMSG_WORKER_REPLY_DIRENTS: struct msg_dirents, then count entries, each a struct
 * msg_dirent, then for READDIRPLUS a struct msg_entry, then namelen name bytes (no NUL, no
 * padding). The worker stops before the sum of msg_dirent_size() would exceed the request's
 * size, so the frontend can encode every entry (READDIRPLUS entries hold lookup counts).
 */
struct msg_dirents {
	uint32_t	count;
	uint32_t	pad;
};

struct msg_dirent {
	uint64_t	ino;
	uint64_t	off;		/* offset of the next entry */
	uint32_t	type;		/* DT_* */
	uint32_t	namelen;
};

struct msg_lock_reply {
	uint64_t	start;
	uint64_t	end;
	uint32_t	type;
	uint32_t	pid;
};

/* Bytes the frontend needs to encode one directory entry into the guest's buffer. */
static inline uint32_t
msg_dirent_size(uint32_t namelen, int plus)
{
	/* struct fuse_dirent is 24 bytes + name, padded to 8; fuse_direntplus adds a
	 * 128-byte fuse_entry_out in front. */
	uint32_t sz = 24 + namelen;

	sz = (sz + 7) & ~7u;
	return plus ? sz + 128 : sz;
}

/* Largest READ/WRITE the frontend accepts: max_pages (256) * 4 KiB. */
#define MSG_MAX_IO		(1024 * 1024)
/* Largest xattr value or list (Linux XATTR_SIZE_MAX). */
#define MSG_MAX_XATTR		(64 * 1024)
/* Largest READDIR buffer the frontend passes on. */
#define MSG_MAX_READDIR		(64 * 1024)
/* Most guest buffers in one READ/WRITE (max_pages + a few). */
#define MSG_MAX_IOV		(1024 + 4)

#endif
