/*
 * privfsd-worker: one per export. Receives typed requests from the frontend and does the
 * file system calls inside a mount namespace rooted at the shared directory.
 *
 * Start-up: configuration from the broker, sandbox, root node, HELLO; then one event loop
 * with the broker channel (guest memory table, DAX results) and the frontend's ordered
 * channel (session, forgets, lock waits; replies go back on it), while the request threads
 * take the other requests from the frontend's requests channel themselves. Any channel
 * closing ends the worker: the export is gone.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "worker.h"

extern char **environ;

static struct chan	*broker_chan;
static struct chan	*req_chan;	/* CHAN_FD_REQUESTS, a record a request */

/*
 * The frontend's requests, one row each: the type; the size rule (EXACT or MIN) and the
 * size of the payload's fixed part after struct msg_req, both checked by the common
 * dispatcher before anything runs; the handler; and how it runs:
 *	LOOP	sent on the ordered channel (msg_req_ordered()), run on the loop thread in
 *		arrival order, acting for nobody: session changes, forgets and the end of lock
 *		waits are cheap, order-sensitive and check no permission.
 *	CALLER	sent on the requests channel, run with the caller's credentials by the
 *		request thread that took it (the loop thread when there is no pool).
 * Each channel's table holds only its own rows: a request on the other one is fatal.
 */
#define WORKER_REQUESTS(X)	\
	X(SESSION_INIT,    EXACT, sizeof(struct msg_session),      session_init,    LOOP)	\
	X(SESSION_DESTROY, EXACT, 0,                               session_destroy, LOOP)	\
	X(FORGET,          EXACT, sizeof(struct msg_forget),       forget,          LOOP)	\
	X(BATCH_FORGET,    MIN,   sizeof(uint32_t),                batch_forget,    LOOP)	\
	X(LOCK_WAITS,      EXACT, sizeof(struct msg_lock_waits),   lock_waits,      LOOP)	\
	X(SYNC,            EXACT, 0,                               sync,            LOOP)	\
	X(LOOKUP,          MIN,   sizeof(uint32_t),                lookup,          CALLER)	\
	X(GETATTR,         EXACT, sizeof(struct msg_getattr),      getattr,         CALLER)	\
	X(SETATTR,         EXACT, sizeof(struct msg_setattr),      setattr,         CALLER)	\
	X(READLINK,        EXACT, 0,                               readlink,        CALLER)	\
	X(SYMLINK,         MIN,   sizeof(struct msg_newnode),      symlink,         CALLER)	\
	X(MKNOD,           MIN,   sizeof(struct msg_newnode),      mknod,           CALLER)	\
	X(MKDIR,           MIN,   sizeof(struct msg_newnode),      mkdir,           CALLER)	\
	X(UNLINK,          MIN,   sizeof(uint32_t),                unlink,          CALLER)	\
	X(RMDIR,           MIN,   sizeof(uint32_t),                rmdir,           CALLER)	\
	X(RENAME,          MIN,   sizeof(struct msg_rename),       rename,          CALLER)	\
	X(LINK,            MIN,   sizeof(struct msg_link),         link,            CALLER)	\
	X(OPEN,            EXACT, sizeof(struct msg_open),         open,            CALLER)	\
	X(READ,            MIN,   sizeof(struct msg_io),           read,            CALLER)	\
	X(WRITE,           MIN,   sizeof(struct msg_io),           write,           CALLER)	\
	X(STATFS,          EXACT, 0,                               statfs,          CALLER)	\
	X(RELEASE,         EXACT, sizeof(struct msg_release),      release,         CALLER)	\
	X(FSYNC,           EXACT, sizeof(struct msg_fsync),        fsync,           CALLER)	\
	X(SETXATTR,        MIN,   sizeof(struct msg_xattr),        setxattr,        CALLER)	\
	X(GETXATTR,        MIN,   sizeof(struct msg_xattr),        getxattr,        CALLER)	\
	X(LISTXATTR,       EXACT, sizeof(struct msg_xattr),        listxattr,       CALLER)	\
	X(REMOVEXATTR,     MIN,   sizeof(uint32_t),                removexattr,     CALLER)	\
	X(FLUSH,           EXACT, sizeof(struct msg_release),      flush,           CALLER)	\
	X(OPENDIR,         EXACT, sizeof(struct msg_open),         opendir,         CALLER)	\
	X(READDIR,         EXACT, sizeof(struct msg_readdir),      readdir,         CALLER)	\
	X(RELEASEDIR,      EXACT, sizeof(struct msg_release),      releasedir,      CALLER)	\
	X(FSYNCDIR,        EXACT, sizeof(struct msg_fsync),        fsyncdir,        CALLER)	\
	X(GETLK,           EXACT, sizeof(struct msg_lock),         getlk,           CALLER)	\
	X(SETLK,           EXACT, sizeof(struct msg_lock),         setlk,           CALLER)	\
	X(ACCESS,          EXACT, sizeof(struct msg_access),       access,          CALLER)	\
	X(CREATE,          MIN,   sizeof(struct msg_newnode),      create,          CALLER)	\
	X(FALLOCATE,       EXACT, sizeof(struct msg_fallocate),    fallocate,       CALLER)	\
	X(LSEEK,           EXACT, sizeof(struct msg_lseek),        lseek,           CALLER)	\
	X(COPY_FILE_RANGE, EXACT, sizeof(struct msg_copy_range),   copy_file_range, CALLER)	\
	X(SYNCFS,          EXACT, 0,                               syncfs,          CALLER)	\
	X(TMPFILE,         MIN,   sizeof(struct msg_newnode),      tmpfile,         CALLER)	\
	X(SETUPMAPPING,    EXACT, sizeof(struct msg_setupmapping), setupmapping,    CALLER)	\
	X(REMOVEMAPPING,   MIN,   sizeof(uint32_t),                removemapping,   CALLER)

#define RUN_LOOP	0
#define RUN_CALLER	1

static void	wreq_run(struct chan_msg *, void (*)(struct wreq *), int);

/* Each row's entry: the dispatcher calls it with the checked message. */
#define REQUEST_ENTRY(t, rule, size, name, how)			\
static void								\
in_##name(struct chan *c, struct chan_msg *m, void *arg)		\
{									\
	wreq_run(m, op_##name, RUN_##how);				\
}
WORKER_REQUESTS(REQUEST_ENTRY)

#define REQUEST_ROW(t, rule, size, name)				\
	{ IMSG_FRONTEND_##t, SIZE_##rule, sizeof(struct msg_req) + (size), FD_NONE,	\
	    in_##name },
#define ORDERED_ROW_LOOP(t, rule, size, name)	REQUEST_ROW(t, rule, size, name)
#define ORDERED_ROW_CALLER(t, rule, size, name)
#define ORDERED_ROW(t, rule, size, name, how)	ORDERED_ROW_##how(t, rule, size, name)
#define CALLER_ROW_LOOP(t, rule, size, name)
#define CALLER_ROW_CALLER(t, rule, size, name)	REQUEST_ROW(t, rule, size, name)
#define CALLER_ROW(t, rule, size, name, how)	CALLER_ROW_##how(t, rule, size, name)
static const struct dispatch_entry ordered_table[] = {
	WORKER_REQUESTS(ORDERED_ROW)
	DISPATCH_END
};
static const struct dispatch_entry requests_table[] = {
	WORKER_REQUESTS(CALLER_ROW)
	DISPATCH_END
};

/* The frontend picks the channel with msg_req_ordered(): it must agree with the tables. */
static void
check_request_tables(void)
{
	const struct dispatch_entry *e;

	for (e = ordered_table; e->handler != NULL; e++)
		if (!msg_req_ordered(e->type))
			fatalx("request type %u: ordered here, not in msg.h", e->type);
	for (e = requests_table; e->handler != NULL; e++)
		if (msg_req_ordered(e->type))
			fatalx("request type %u: ordered in msg.h, not here", e->type);
}

/*
 * Runs one request on this thread, straight from the received message (the thread's
 * own copy: the frontend cannot change it any more). A CALLER request runs with the
 * caller's credentials, which the thread keeps afterwards (creds_enter() switches only
 * when the next caller's mapped ids differ); the LOOP requests check no permissions.
 */
static void
wreq_run(struct chan_msg *m, void (*fn)(struct wreq *), int as_caller)
{
	struct wreq	r;
	int		error;

	memset(&r, 0, sizeof(r));
	r.type = m->hdr.type;
	memcpy(&r.hdr, m->data, sizeof(r.hdr));
	r.len = m->hdr.len - sizeof(r.hdr);
	r.data = (uint8_t *)(uintptr_t)(m->data + sizeof(r.hdr));
	if (as_caller && (error = creds_enter(r.hdr.uid, r.hdr.gid)) != 0) {
		reply_status(&r, error);
		direct_clear();
		return;
	}
	fn(&r);
	direct_clear();
	node_tmpfds_release();
	guest_mem_release();
}

/* ---- broker channel ---- */

static void
broker_mem_add(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_region region;

	memcpy(&region, m->data, sizeof(region));
	guest_mem_add(&region, m->fd);		/* takes the fd */
}

static void
broker_mem_del(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_slot slot;

	memcpy(&slot, m->data, sizeof(slot));
	guest_mem_del(&slot);
}

static void
broker_mem_commit(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_commit	commit;
	struct iovec		iov;

	memcpy(&commit, m->data, sizeof(commit));
	if (guest_mem_commit(&commit) == -1)
		return;
	iov.iov_base = &commit;
	iov.iov_len = sizeof(commit);
	out_send(0, IMSG_WORKER_MEM_READY, -1, &iov, 1);
}

static void
broker_dax_result(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_dax_result result;

	memcpy(&result, m->data, sizeof(result));
	dax_result(&result);
}

/*
 * SET_DEVICE_STATE_FD, through the broker (which checked the fd is a pipe or socket).
 * The device is stopped and nothing else runs: the transfer happens here, then the
 * frontend learns the result for CHECK_DEVICE_STATE.
 */
static void
broker_state_fd(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_state_fd	sf;
	struct msg_state_done	done;
	struct iovec		iov;

	memcpy(&sf, m->data, sizeof(sf));
	memset(&done, 0, sizeof(done));
	done.direction = sf.direction;
	done.seq = sf.seq;
	if (sf.direction == STATE_SAVE)
		done.error = migrate_save(m->fd, &sf.fuse);
	else if (sf.direction == STATE_LOAD)
		done.error = migrate_load(m->fd, &done.fuse);
	else
		done.error = EINVAL;
	close(m->fd);
	m->fd = -1;
	iov.iov_base = &done;
	iov.iov_len = sizeof(done);
	out_send(0, IMSG_WORKER_STATE_DONE, -1, &iov, 1);
}

static const struct dispatch_entry broker_table[] = {
	{ IMSG_BROKER_DIRECT_RING, SIZE_EXACT, sizeof(struct msg_direct_ring), FD_REQUIRED,
	    direct_ring_set },
	{ IMSG_BROKER_DIRECT_KICK, SIZE_EXACT, sizeof(struct msg_direct_kick), FD_REQUIRED,
	    direct_kick_set },
	{ IMSG_BROKER_STATE_FD, SIZE_EXACT, sizeof(struct msg_state_fd), FD_REQUIRED,
	    broker_state_fd },
	{ IMSG_BROKER_MEM_ADD, SIZE_EXACT, sizeof(struct msg_mem_region), FD_REQUIRED,
	    broker_mem_add },
	{ IMSG_BROKER_MEM_DEL, SIZE_EXACT, sizeof(struct msg_mem_slot), FD_NONE,
	    broker_mem_del },
	{ IMSG_BROKER_MEM_COMMIT, SIZE_EXACT, sizeof(struct msg_mem_commit), FD_NONE,
	    broker_mem_commit },
	{ IMSG_BROKER_DAX_RESULT, SIZE_EXACT, sizeof(struct msg_dax_result), FD_NONE,
	    broker_dax_result },
	DISPATCH_END
};

/* Either peer gone: the export is over. Nothing to save; the files are the host's. */
static void
channel_closed(struct chan *c, void *arg)
{
	log_debug("channel to %s closed, exiting", chan_peer(c));
	_exit(0);
}

/* ---- start-up ---- */

static void
read_config(struct chan *c)
{
	struct chan_msg m;

	if (chan_recv_blocking(c, &m, 5000) == -1)
		fatal("no configuration from the broker");
	if (m.hdr.type != IMSG_BROKER_CONFIG || m.hdr.len != sizeof(wk_config) ||
	    m.fd != -1)
		fatalx("broker sent type %u (%u bytes) instead of the configuration",
		    m.hdr.type, m.hdr.len);
	memcpy(&wk_config, m.data, sizeof(wk_config));
	if (memchr(wk_config.shared_dir, '\0', sizeof(wk_config.shared_dir)) == NULL ||
	    memchr(wk_config.xattrmap, '\0', sizeof(wk_config.xattrmap)) == NULL)
		fatalx("configuration strings are not terminated");
	if (wk_config.log_level > LOG_LEVEL_DEBUG)
		wk_config.log_level = LOG_LEVEL_DEBUG;
}

static int
open_root(void)
{
	const char	*root;
	int		 fd;

	/* In a namespace or chroot the shared dir is "/"; without a sandbox it is not. */
	root = wk_config.sandbox == SANDBOX_NONE ? wk_config.shared_dir : "/";
	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open %s", root);
	return fd;
}

static void
set_blocking(int fd, int blocking)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) == -1)
		fatal("fcntl");
}

static void
set_nonblock(int fd)
{
	set_blocking(fd, 0);
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct chan		*fe_chan;
	struct msg_hello	 hello;
	int			 root_fd;

	setproctitle_init(argc, argv, environ);
	log_init(0, LOG_LEVEL_INFO);
	log_procinit("worker");
	direct_init();		/* fd 7 mapped and closed: the sandbox sees no extra fd */

	set_nonblock(CHAN_FD_BROKER);
	set_nonblock(CHAN_FD_PEER);
	broker_chan = chan_new(CHAN_FD_BROKER, "broker", 1);
	read_config(broker_chan);
	check_request_tables();
	/* Even with --syslog: no socket for us, the broker sends our stderr on to syslog. */
	log_init(0, wk_config.log_level);
	log_procinit("worker");
	setproctitle("-privfsd: worker %s", wk_config.shared_dir);

	/* Everything that opens files or loads code happens before the sandbox. */
	keyhash_init();
	idmap_init(&wk_config);
	wstate_init();		/* fd 6 mapped and closed: the sandbox sees no extra fd */
	/* A migration's reader that goes away is an EPIPE, not the end of the worker. */
	signal(SIGPIPE, SIG_IGN);
	tzset();	/* a later localtime() must not read a zone file from the export */
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	fe_chan = chan_new(CHAN_FD_PEER, "frontend", 0);
	req_chan = chan_new(CHAN_FD_REQUESTS, "frontend", 0);
	chan_set_packet(req_chan, wk_config.thread_pool_size == 0);
	chan_set_before(req_chan, direct_take);
	if (direct_request_ring() != NULL)	/* records in the page as well as on fd 5 */
		chan_set_ring(req_chan, direct_request_ring(), 0);
	reply_init(fe_chan, broker_chan, req_chan);
	/* Request threads block in recvmsg; without them the loop polls the socket. */
	set_blocking(CHAN_FD_REQUESTS, wk_config.thread_pool_size > 0);
	if (wk_config.thread_pool_size > 0)
		pool_init(CHAN_FD_REQUESTS, wk_config.poll_max_ns);

	sandbox_worker(&wk_config, &wk_proc_self_fd);
#ifdef PRIVFSD_TEST_HOOKS
	sandbox_test_hook("worker");
#endif
	root_fd = open_root();
	ops_sync_init(root_fd);
	fd_budget_init(wk_config.rlimit_nofile);
	nodes_init(root_fd);
	handles_init();
	/* From here the loop thread acts for nobody, and threads start with nothing. */
	creds_init();
	/* Inside the export now: names resolve there only. Before HELLO: before any request. */
	wstate_rebuild();

	chan_set_dispatch(broker_chan, broker_table, NULL);
	chan_set_closed_cb(broker_chan, channel_closed, NULL);
	chan_set_dispatch(fe_chan, ordered_table, NULL);
	chan_set_closed_cb(fe_chan, channel_closed, NULL);
	chan_set_dispatch(req_chan, requests_table, NULL);
	chan_set_closed_cb(req_chan, channel_closed, NULL);
	if (wk_config.thread_pool_size > 0)
		pool_start(wk_config.thread_pool_size, req_chan, requests_table);

	memset(&hello, 0, sizeof(hello));
	hello.version = PRIVFSD_PROTO_VERSION;
	hello.role = ROLE_WORKER;
	chan_compose(broker_chan, IMSG_CHILD_HELLO, 0, -1, &hello, sizeof(hello));

	chan_event_add(broker_chan, base);
	chan_event_add(fe_chan, base);
	chan_event_add(req_chan, base);	/* read here only without request threads */
	log_info("serving %s with %u request threads", wk_config.shared_dir,
	    wk_config.thread_pool_size);
	event_base_dispatch(base);
	fatalx("event loop ended");
}
