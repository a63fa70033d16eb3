/*
 * privfsd-worker: one per export. Receives typed requests from the frontend and does the
 * file system calls inside a mount namespace rooted at the shared directory.
 *
 * Start-up: configuration from the broker, sandbox, root node, HELLO; then one event loop
 * with the broker channel (guest memory table, DAX results) and the frontend channel
 * (requests). Either channel closing ends the worker: the export is gone.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
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
#include "wcore.h"

extern char **environ;

struct msg_config	wk_config;
uint32_t		wk_session_flags;
int			wk_proc_self_fd = -1;

static struct chan	*broker_chan;

/* How each request type is checked and served. */
struct op_desc {
	uint32_t		 type;
	enum dispatch_size	 size_rule;
	size_t			 size;		/* after struct msg_req */
	void			(*fn)(struct wreq *);
	int			 inline_op;	/* run on the loop thread, in order */
	int			 as_caller;	/* with the caller's fsuid/fsgid */
};

#define OPX(t, s, f)	{ IMSG_FRONTEND_##t, SIZE_EXACT, s, op_##f, 0, 1 }
#define OPM(t, s, f)	{ IMSG_FRONTEND_##t, SIZE_MIN, s, op_##f, 0, 1 }

static const struct op_desc op_table[] = {
	/* session changes and forgets are cheap and order-sensitive: loop thread */
	{ IMSG_FRONTEND_SESSION_INIT, SIZE_EXACT, sizeof(struct msg_session),
	    op_session_init, 1, 0 },
	{ IMSG_FRONTEND_SESSION_DESTROY, SIZE_EXACT, 0, op_session_destroy, 1, 0 },
	{ IMSG_FRONTEND_FORGET, SIZE_EXACT, sizeof(struct msg_forget), op_forget, 1, 0 },
	{ IMSG_FRONTEND_BATCH_FORGET, SIZE_MIN, sizeof(uint32_t), op_batch_forget, 1, 0 },
	{ IMSG_FRONTEND_LOCK_WAITS, SIZE_EXACT, sizeof(struct msg_lock_waits), op_lock_waits,
	    1, 0 },
	OPM(LOOKUP, sizeof(uint32_t), lookup),
	OPX(GETATTR, sizeof(struct msg_getattr), getattr),
	OPX(SETATTR, sizeof(struct msg_setattr), setattr),
	OPX(READLINK, 0, readlink),
	OPM(SYMLINK, sizeof(struct msg_newnode), symlink),
	OPM(MKNOD, sizeof(struct msg_newnode), mknod),
	OPM(MKDIR, sizeof(struct msg_newnode), mkdir),
	OPM(UNLINK, sizeof(uint32_t), unlink),
	OPM(RMDIR, sizeof(uint32_t), rmdir),
	OPM(RENAME, sizeof(struct msg_rename), rename),
	OPM(LINK, sizeof(struct msg_link), link),
	OPX(OPEN, sizeof(struct msg_open), open),
	OPM(READ, sizeof(struct msg_io), read),
	OPM(WRITE, sizeof(struct msg_io), write),
	OPX(STATFS, 0, statfs),
	OPX(RELEASE, sizeof(struct msg_release), release),
	OPX(FSYNC, sizeof(struct msg_fsync), fsync),
	OPM(SETXATTR, sizeof(struct msg_xattr), setxattr),
	OPM(GETXATTR, sizeof(struct msg_xattr), getxattr),
	OPX(LISTXATTR, sizeof(struct msg_xattr), listxattr),
	OPM(REMOVEXATTR, sizeof(uint32_t), removexattr),
	OPX(FLUSH, sizeof(struct msg_release), flush),
	OPX(OPENDIR, sizeof(struct msg_open), opendir),
	OPX(READDIR, sizeof(struct msg_readdir), readdir),
	OPX(RELEASEDIR, sizeof(struct msg_release), releasedir),
	OPX(FSYNCDIR, sizeof(struct msg_fsync), fsyncdir),
	OPX(GETLK, sizeof(struct msg_lock), getlk),
	OPX(SETLK, sizeof(struct msg_lock), setlk),
	OPX(ACCESS, sizeof(struct msg_access), access),
	OPM(CREATE, sizeof(struct msg_newnode), create),
	OPX(FALLOCATE, sizeof(struct msg_fallocate), fallocate),
	OPX(LSEEK, sizeof(struct msg_lseek), lseek),
	OPX(COPY_FILE_RANGE, sizeof(struct msg_copy_range), copy_file_range),
	OPX(SYNCFS, 0, syncfs),
	OPM(TMPFILE, sizeof(struct msg_newnode), tmpfile),
	OPX(SETUPMAPPING, sizeof(struct msg_setupmapping), setupmapping),
	OPM(REMOVEMAPPING, sizeof(uint32_t), removemapping),
};
#define NOPS	(sizeof(op_table) / sizeof(op_table[0]))

static struct dispatch_entry	frontend_table[NOPS + 1];

static const struct op_desc *
op_find(uint32_t type)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (op_table[i].type == type)
			return &op_table[i];
	return NULL;
}

/*
 * Runs one request on this thread with the caller's credentials. The thread keeps them
 * afterwards (creds_enter() switches only when the next caller's mapped ids differ); the
 * ops that do not run as the caller (session, forget) check no permissions.
 */
void
wreq_run(struct wreq *r)
{
	const struct op_desc *op = op_find(r->type);
	int error;

	if (op == NULL)
		fatalx("request type %u without a handler", r->type);
	if (op->as_caller) {
		if ((error = creds_enter(r->hdr.uid, r->hdr.gid)) != 0) {
			reply_status(r, error);
			return;
		}
	}
	op->fn(r);
	node_tmpfds_release();
	guest_mem_release();
}

static void
frontend_request(struct chan *c, struct chan_msg *m, void *arg)
{
	const struct op_desc	*op = op_find(m->hdr.type);
	struct wreq		*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("request");
	r->type = m->hdr.type;
	memcpy(&r->hdr, m->data, sizeof(r->hdr));
	r->len = m->hdr.len - sizeof(r->hdr);
	/* One spare byte so a zero-length payload still has a buffer. */
	if ((r->data = malloc(r->len + 1)) == NULL)
		fatal("request");
	memcpy(r->data, m->data + sizeof(r->hdr), r->len);
	if (op->inline_op || !pool_active())
		wreq_run(r);
	else
		pool_submit(r);
}

static void
frontend_table_init(void)
{
	size_t i;

	for (i = 0; i < NOPS; i++) {
		frontend_table[i].type = op_table[i].type;
		frontend_table[i].size_rule = op_table[i].size_rule;
		frontend_table[i].size = sizeof(struct msg_req) + op_table[i].size;
		frontend_table[i].fd_rule = FD_NONE;
		frontend_table[i].handler = frontend_request;
	}
	memset(&frontend_table[NOPS], 0, sizeof(frontend_table[NOPS]));
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

/* Until the DAX ops define their own: a result nobody waits for. */
__attribute__((weak)) void
dax_result(const struct msg_dax_result *res)
{
	log_warnx("DAX result %llu without a DAX request", (unsigned long long)res->id);
}

static void
broker_dax_result(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_dax_result result;

	memcpy(&result, m->data, sizeof(result));
	dax_result(&result);
}

static const struct dispatch_entry broker_table[] = {
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

void
worker_send_broker(uint32_t type, int fd, const void *data, size_t len)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	out_send(1, type, fd, &iov, len ? 1 : 0);
}

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
set_nonblock(int fd)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fcntl");
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

	set_nonblock(CHAN_FD_BROKER);
	set_nonblock(CHAN_FD_PEER);
	broker_chan = chan_new(CHAN_FD_BROKER, "broker", 1);
	read_config(broker_chan);
	log_init(wk_config.flags & CONFIG_SYSLOG ? 1 : 0, wk_config.log_level);
	log_procinit("worker");
	setproctitle("-privfsd: worker %s", wk_config.shared_dir);

	/* Everything that opens files or loads code happens before the sandbox. */
	keyhash_init();
	idmap_init(&wk_config);
	tzset();	/* syslog's timestamps must not read a zone file from the export */
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	fe_chan = chan_new(CHAN_FD_PEER, "frontend", 0);
	reply_init(base, fe_chan, broker_chan);
	pool_prepare(wk_config.thread_pool_size, wk_config.seccomp);

	sandbox_worker(&wk_config, &wk_proc_self_fd);
#ifdef PRIVFSD_TEST_HOOKS
	sandbox_test_hook("worker");
#endif
	root_fd = open_root();
	ops_sync_init(root_fd);
	fd_budget_init(wk_config.rlimit_nofile);
	nodes_init(root_fd);
	/* From here the loop thread acts for nobody, and threads start with nothing. */
	creds_init();
	pool_start(wk_config.thread_pool_size);

	frontend_table_init();
	chan_set_dispatch(broker_chan, broker_table, NULL);
	chan_set_closed_cb(broker_chan, channel_closed, NULL);
	chan_set_dispatch(fe_chan, frontend_table, NULL);
	chan_set_closed_cb(fe_chan, channel_closed, NULL);

	memset(&hello, 0, sizeof(hello));
	hello.version = PRIVFSD_PROTO_VERSION;
	hello.role = ROLE_WORKER;
	chan_compose(broker_chan, IMSG_CHILD_HELLO, 0, -1, &hello, sizeof(hello));

	chan_event_add(broker_chan, base);
	chan_event_add(fe_chan, base);
	log_debug("serving %s", wk_config.shared_dir);
	event_base_dispatch(base);
	fatalx("event loop ended");
}
