/*
 * libFuzzer target: the worker as a compromised frontend sees it. The real worker (every
 * file of worker/ but creds.c and pool.c) runs in this process on a scratch directory:
 * its own main() (built as worker_main) starts up against stub channels, and hands its
 * dispatch tables to the stub chan_set_dispatch(), which keeps them. Then each input is
 * a session of typed requests through the real dispatcher and handlers, on real files:
 * the node ids and file handles in a request are drawn from what earlier replies returned.
 *
 * What is not real: no sandbox (sandbox_worker() only opens /proc/self/fd) and no thread
 * pool (requests run on this thread, as with --thread-pool-size=0). The credential switch
 * is a stub that runs each caller's request with fsuid/fsgid 65534 (so the kernel drops
 * the file capabilities), whatever ids the request names: a handler that escaped the
 * shared directory could only touch what "nobody" may. SETLK never sleeps (a wait would
 * run on a thread of its own until the session ends).
 *
 * Input layout: records until the input ends, each:
 *   u8 type	IMSG_FRONTEND_SESSION_INIT + type % (number of request types)
 *   u8 node	msg_req.nodeid: 0 the root, 0xff a u64 from the input, else a node id from
 *		an earlier reply (ENTRY, CREATE)
 *   u8 fh	the payload's fh field (where the type has one), chosen the same way from
 *		OPEN and CREATE replies; 0xff leaves the payload's own
 *   u16 len	payload bytes after msg_req, then the payload
 * A request whose type or size its table refuses is skipped: the dispatcher ends the
 * worker on it by design (tests/worker covers that). Checked: every request but FORGET,
 * BATCH_FORGET and LOCK_WAITS gets exactly one reply before its handler returns, of a
 * type and size the frontend's table accepts; after SESSION_DESTROY ends the input the
 * worker holds no fd more than before it.
 *
 * An input that starts with the migration stream's magic (worker/migrate.h) is a device
 * state stream instead: loaded through the broker channel's IMSG_BROKER_STATE_FD
 * (worker/migrate_load.c) from a memfd, answered by exactly one STATE_DONE; then a few
 * requests on the ids it claims, and the same fd check.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <sanitizer/lsan_interface.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "worker.h"
#include "migrate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	worker_main(int, char **);
void	fuzz_setproctitle_init(int, char **, char **);
void	fuzz_setproctitle(const char *, ...);

#define NOBODY	65534

/* The three channels, told apart by address only. */
static char	chan_tok[3];
#define CHAN_BROKER	((struct chan *)(void *)&chan_tok[0])
#define CHAN_PEER	((struct chan *)(void *)&chan_tok[1])
#define CHAN_REQUESTS	((struct chan *)(void *)&chan_tok[2])

static const struct dispatch_entry *broker_table, *ordered_table, *requests_table;
static jmp_buf	start_jmp;
static int	nevents;
static char	scratch[PATH_MAX];	/* $TMPDIR/fuzz-wreq.XXXXXX */
static struct msg_config config;

/* Ids the worker handed out, and the reply count of the request being served. */
#define MAXIDS	256
static uint64_t	nodes[MAXIDS], fhs[MAXIDS];
static int	nnodes, nfhs;
static uint64_t	cur_id;
static int	nreplies;
static int	nstate_done;	/* STATE_DONE answers to a migration load */

/* ---- stubs: process title, sandbox, credentials, channels ---- */

void
fuzz_setproctitle_init(int argc, char **argv, char **envp)
{
}

void
fuzz_setproctitle(const char *fmt, ...)
{
}

void
sandbox_worker(const struct msg_config *c, int *proc_self_fd)
{
	if ((*proc_self_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
}

/* The harness's worker runs in the initial user namespace (no --worker-userns). */
int
sandbox_user_namespace(void)
{
	return 0;
}

void
creds_init(void)
{
}

int
creds_enter(uint32_t guest_uid, uint32_t guest_gid)
{
	(void)setfsgid(NOBODY);
	(void)setfsuid(NOBODY);
	return 0;
}

void
creds_leave(void)
{
	(void)setfsuid(0);
	(void)setfsgid(0);
}

uint32_t
creds_host_uid(void)
{
	return NOBODY;
}

uint64_t
caps_for_uid(uint32_t host_uid)
{
	return 0;
}

uint64_t
caps_raise(uint64_t caps)
{
	return UINT64_MAX;	/* not held: privileged operations fail */
}

void
caps_restore(uint64_t old)
{
}

void
pool_init(int requests_fd, uint32_t poll_max_ns)
{
	abort();	/* the configuration asks for no threads */
}

void
pool_start(unsigned int nthreads, struct chan *c, const struct dispatch_entry *table)
{
	abort();
}

void
pool_may_block(void)
{
}

void
pool_may_block_if_queued(void)
{
}

int
pool_is_leader(void)
{
	return 0;
}

struct chan *
chan_new(int fd, const char *peer, int fd_passing)
{
	switch (fd) {
	case CHAN_FD_BROKER:
		return CHAN_BROKER;
	case CHAN_FD_PEER:
		return CHAN_PEER;
	case CHAN_FD_REQUESTS:
		return CHAN_REQUESTS;
	}
	abort();
}

void
chan_set_threaded(struct chan *c)
{
}

void
chan_set_packet(struct chan *c, int loop_reads)
{
}

void
chan_set_closed_cb(struct chan *c, chan_closed_cb cb, void *arg)
{
}

void
chan_set_dispatch(struct chan *c, const struct dispatch_entry *table, void *arg)
{
	if (c == CHAN_BROKER)
		broker_table = table;
	else if (c == CHAN_PEER)
		ordered_table = table;
	else
		requests_table = table;
}

/* The last thing before the loop: start-up is over, back to the harness. */
void
chan_event_add(struct chan *c, struct event_base *base)
{
	if (++nevents == 3)
		longjmp(start_jmp, 1);
}

/* No completion trailers here: requests come straight to the table. */
void
chan_set_before(struct chan *c, void (*before)(struct chan_msg *))
{
	(void)c;
	(void)before;
}

/* No shared page here (direct_init finds no fd 7), so no request ring either. */
void
chan_set_ring(struct chan *c, struct req_ring *r, int producer)
{
	(void)c;
	(void)r;
	(void)producer;
}

const char *
chan_peer(const struct chan *c)
{
	return c == CHAN_BROKER ? "broker" : "frontend";
}

int
chan_recv_blocking(struct chan *c, struct chan_msg *m, int timeout_ms)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = IMSG_BROKER_CONFIG;
	m->hdr.len = sizeof(config);
	m->data = (const uint8_t *)&config;
	m->fd = -1;
	return 0;
}

/* The frontend's replies_table (frontend/frontend.c): type and size. */
static int
reply_ok(uint32_t type, size_t len)
{
	size_t rep = sizeof(struct msg_rep);

	switch (type) {
	case IMSG_WORKER_REPLY_STATUS:
		return len == rep;
	case IMSG_WORKER_REPLY_ENTRY:
		return len == rep + sizeof(struct msg_entry);
	case IMSG_WORKER_REPLY_ATTR:
		return len == rep + sizeof(struct msg_attr);
	case IMSG_WORKER_REPLY_OPEN:
		return len == rep + sizeof(struct msg_opened);
	case IMSG_WORKER_REPLY_CREATE:
		return len == rep + sizeof(struct msg_entry) + sizeof(struct msg_opened);
	case IMSG_WORKER_REPLY_COUNT:
		return len == rep + sizeof(struct msg_count);
	case IMSG_WORKER_REPLY_DATA:
		return len >= rep;
	case IMSG_WORKER_REPLY_STATFS:
		return len == rep + sizeof(struct msg_statfs);
	case IMSG_WORKER_REPLY_DIRENTS:
		return len >= rep + sizeof(struct msg_dirents);
	case IMSG_WORKER_REPLY_LOCK:
		return len == rep + sizeof(struct msg_lock_reply);
	}
	return 0;
}

static void
keep(uint64_t *ids, int *n, uint64_t id)
{
	if (id == 0)
		return;
	if (*n < MAXIDS)
		ids[(*n)++] = id;
	else
		ids[id % MAXIDS] = id;
}

void
chan_composev(struct chan *c, uint32_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	static uint8_t buf[CHAN_MAX_PAYLOAD + 1];
	struct msg_rep rep;
	struct msg_entry e;
	struct msg_opened o;
	size_t len = 0;
	int i;

	if (fd != -1)
		abort();
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > sizeof(buf) - len) {
			fprintf(stderr, "type %u: a message past CHAN_MAX_PAYLOAD\n", type);
			abort();
		}
		memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (c == CHAN_BROKER)
		return;
	if (c == CHAN_PEER) {
		if (type == IMSG_WORKER_STATE_DONE && len == sizeof(struct msg_state_done)) {
			nstate_done++;
			return;
		}
		if (type != IMSG_WORKER_MEM_READY || len != sizeof(struct msg_mem_commit))
			abort();
		return;
	}
	if (!reply_ok(type, len)) {
		fprintf(stderr, "reply type %u of %zu bytes\n", type, len);
		abort();
	}
	memcpy(&rep, buf, sizeof(rep));
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: reply type %u to id %llu: error %d, %zu bytes", type,
		    (unsigned long long)rep.id, rep.error, len);
	if (rep.id != cur_id || nreplies++ != 0 || rep.error < 0 || rep.error >= 4096) {
		fprintf(stderr, "reply %d (type %u, error %d) to id %llu while serving %llu\n",
		    nreplies, type, rep.error, (unsigned long long)rep.id,
		    (unsigned long long)cur_id);
		abort();
	}
	if (rep.error != 0)
		return;
	if (type == IMSG_WORKER_REPLY_ENTRY || type == IMSG_WORKER_REPLY_CREATE) {
		memcpy(&e, buf + sizeof(rep), sizeof(e));
		keep(nodes, &nnodes, e.nodeid);
	}
	if (type == IMSG_WORKER_REPLY_OPEN || type == IMSG_WORKER_REPLY_CREATE) {
		memcpy(&o, buf + len - sizeof(o), sizeof(o));
		keep(fhs, &nfhs, o.fh);
	}
}

void
chan_compose(struct chan *c, uint32_t type, uint32_t peerid, int fd, const void *data,
    size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)data, len };

	chan_composev(c, type, peerid, fd, &iov, 1);
}

/* ---- the scratch export ---- */

/* Everything under dirfd removed, as root. */
static void
wipe(int dirfd)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			continue;
		if ((fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			continue;
		wipe(fd);
		close(fd);
		(void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* The tree every input starts with, owned by nobody. */
static void
populate(void)
{
	static const char data[] = "0123456789abcdef";
	int dirfd, fd;

	if ((dirfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	wipe(dirfd);
	if (mkdirat(dirfd, "d", 0755) == -1 ||
	    (fd = openat(dirfd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		abort();
	if (write(fd, data, sizeof(data)) != sizeof(data))
		abort();
	close(fd);
	if ((fd = openat(dirfd, "d/g", O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1)
		abort();
	close(fd);
	/* Links that point out of the export: the worker must not follow them. */
	if (symlinkat("f", dirfd, "l") == -1 || symlinkat("/etc/passwd", dirfd, "abs") == -1 ||
	    symlinkat("../../../../etc", dirfd, "up") == -1 || mkfifoat(dirfd, "p", 0644) == -1)
		abort();
	(void)fchownat(dirfd, "d", NOBODY, NOBODY, AT_SYMLINK_NOFOLLOW);
	(void)fchownat(dirfd, "d/g", NOBODY, NOBODY, AT_SYMLINK_NOFOLLOW);
	(void)fchownat(dirfd, "f", NOBODY, NOBODY, AT_SYMLINK_NOFOLLOW);
	(void)fchownat(dirfd, "p", NOBODY, NOBODY, AT_SYMLINK_NOFOLLOW);
	close(dirfd);
}

static int
count_fds(void)
{
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		abort();
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ---- requests ---- */

static const uint8_t	*in_p;
static size_t		 in_left;
static uint64_t		 next_id = 1;

static void
take(void *dst, size_t len)
{
	size_t n = len < in_left ? len : in_left;

	memset(dst, 0, len);
	memcpy(dst, in_p, n);
	in_p += n;
	in_left -= n;
}

static const struct dispatch_entry *
row(const struct dispatch_entry *table, uint32_t type)
{
	for (; table->handler != NULL; table++)
		if (table->type == type)
			return table;
	return NULL;
}

/* Offset of the payload's fh (after msg_req), or -1. */
static int
fh_offset(uint32_t type)
{
	switch (type) {
	case IMSG_FRONTEND_GETATTR: case IMSG_FRONTEND_READ: case IMSG_FRONTEND_WRITE:
	case IMSG_FRONTEND_RELEASE: case IMSG_FRONTEND_FLUSH: case IMSG_FRONTEND_RELEASEDIR:
	case IMSG_FRONTEND_FSYNC: case IMSG_FRONTEND_FSYNCDIR: case IMSG_FRONTEND_READDIR:
	case IMSG_FRONTEND_GETLK: case IMSG_FRONTEND_SETLK: case IMSG_FRONTEND_FALLOCATE:
	case IMSG_FRONTEND_LSEEK: case IMSG_FRONTEND_COPY_FILE_RANGE:
	case IMSG_FRONTEND_SETUPMAPPING:
		return 0;
	case IMSG_FRONTEND_SETATTR:
		return offsetof(struct msg_setattr, fh);
	}
	return -1;
}

static uint64_t
pick(uint8_t sel, const uint64_t *ids, int n, uint64_t dflt)
{
	uint64_t v;

	if (sel == 0xff) {
		take(&v, sizeof(v));
		return v;
	}
	if (sel == 0 || n == 0)
		return dflt;
	return ids[(sel - 1) % n];
}

/* One request through its table; the reply is checked in chan_composev(). */
static void
request(uint32_t type, uint64_t nodeid, const uint8_t *payload, size_t len)
{
	static uint8_t buf[sizeof(struct msg_req) + 65536];
	const struct dispatch_entry *table, *e;
	struct chan_msg m;
	struct msg_req h;

	table = msg_req_ordered(type) ? ordered_table : requests_table;
	/* The dispatcher ends the worker on these: a designed exit, not a finding. */
	if ((e = row(table, type)) == NULL ||
	    (e->size_rule == SIZE_EXACT && sizeof(h) + len != e->size) ||
	    (e->size_rule == SIZE_MIN && sizeof(h) + len < e->size))
		return;
	memset(&h, 0, sizeof(h));
	h.id = cur_id = next_id++;
	h.nodeid = nodeid;
	h.uid = h.gid = 1000;
	h.pid = 42;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.len = (uint32_t)(sizeof(h) + len);
	m.data = buf;
	m.fd = -1;
	nreplies = 0;
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: request type %u id %llu node %llu, %zu bytes", type,
		    (unsigned long long)h.id, (unsigned long long)nodeid, len);
	dispatch_msg(table == ordered_table ? CHAN_PEER : CHAN_REQUESTS, table, &m, NULL);
	creds_leave();
	if (type == IMSG_FRONTEND_FORGET || type == IMSG_FRONTEND_BATCH_FORGET ||
	    type == IMSG_FRONTEND_LOCK_WAITS) {
		if (nreplies != 0)
			abort();
	} else if (nreplies != 1) {
		fprintf(stderr, "request type %u: %d replies\n", type, nreplies);
		abort();
	}
}

static void
session(uint32_t type)
{
	struct msg_session s;

	memset(&s, 0, sizeof(s));
	if (type == IMSG_FRONTEND_SESSION_INIT) {
		s.flags = SESSION_POSIX_ACL | SESSION_DONT_MASK | SESSION_HANDLE_KILLPRIV;
		s.max_write = 1 << 20;
	}
	request(type, 0, (const uint8_t *)&s,
	    type == IMSG_FRONTEND_SESSION_INIT ? sizeof(s) : 0);
}

/* Guest memory: one 64 KiB region in slot 0, as the broker would pass it. */
static void
guest_memory(void)
{
	struct msg_mem_region r;
	struct msg_mem_commit c;
	struct chan_msg m;
	int fd;

	if ((fd = memfd_create("fuzz-guest", MFD_CLOEXEC)) == -1 || ftruncate(fd, 65536) == -1)
		abort();
	memset(&r, 0, sizeof(r));
	r.gen = 1;
	r.memory_size = 65536;
	r.userspace_addr = 0x7f0000000000ULL;
	memset(&m, 0, sizeof(m));
	m.hdr.type = IMSG_BROKER_MEM_ADD;
	m.hdr.len = sizeof(r);
	m.hdr.flags = CHAN_F_HASFD;
	m.data = (const uint8_t *)&r;
	m.fd = fd;
	dispatch_msg(CHAN_BROKER, broker_table, &m, NULL);
	memset(&c, 0, sizeof(c));
	c.gen = 1;
	c.nslots = 1;
	m.hdr.type = IMSG_BROKER_MEM_COMMIT;
	m.hdr.len = sizeof(c);
	m.hdr.flags = 0;
	m.data = (const uint8_t *)&c;
	m.fd = -1;
	dispatch_msg(CHAN_BROKER, broker_table, &m, NULL);
}

static void
start(void)
{
	char *argv[] = { "privfsd-worker", NULL };
	const char *tmp;
	int fd;

	/* worker_main() sets the flags of fds 3-5, its channels: keep them ours. */
	for (fd = CHAN_FD_BROKER; fd <= CHAN_FD_REQUESTS; fd++)
		if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) != fd)
			abort();
	/*
	 * libFuzzer ends with _Exit(), which runs no atexit(): run.sh and regress.sh point
	 * TMPDIR at a directory of theirs that they remove.
	 */
	tmp = getenv("TMPDIR");
	if ((size_t)snprintf(scratch, sizeof(scratch), "%s/fuzz-wreq.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp") >= sizeof(scratch) ||
	    mkdtemp(scratch) == NULL || chmod(scratch, 0755) == -1)
		abort();
	/* Not root (a CI user): the requests run as that user, with no fsuid switch. */
	(void)chown(scratch, NOBODY, NOBODY);
	populate();
	memset(&config, 0, sizeof(config));
	(void)strlcpy(config.shared_dir, scratch, sizeof(config.shared_dir));
	config.flags = CONFIG_XATTR | CONFIG_POSIX_ACL | CONFIG_ANNOUNCE_SUBMOUNTS;
	config.sandbox = SANDBOX_NONE;
	config.seccomp = SECCOMP_MODE_NONE;
	config.log_level = getenv("FUZZ_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR;
	config.rlimit_nofile = 256;
	config.thread_pool_size = 0;
	/* What start-up allocates (the event base) lives as long as the worker. */
	__lsan_disable();
	if (setjmp(start_jmp) == 0) {
		worker_main(1, argv);
		abort();	/* it never returns before the loop */
	}
	__lsan_enable();
	if (broker_table == NULL || ordered_table == NULL || requests_table == NULL)
		abort();
	guest_memory();
}

static void
cleanup(void)
{
	int fd;

	if ((fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		wipe(fd);
		close(fd);
	}
	(void)rmdir(scratch);
}

/* A migration stream loaded as the broker passes one; then the ids it claims used. */
static void
load_stream(const uint8_t *data, size_t size)
{
	struct msg_state_fd	sf;
	struct msg_getattr	ga;
	struct chan_msg		m;
	uint64_t		ids[4];
	int			fd, i;

	if ((fd = memfd_create("fuzz-state", MFD_CLOEXEC)) == -1 ||
	    write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	memset(&sf, 0, sizeof(sf));
	sf.direction = STATE_LOAD;
	memset(&m, 0, sizeof(m));
	m.hdr.type = IMSG_BROKER_STATE_FD;
	m.hdr.len = sizeof(sf);
	m.hdr.flags = CHAN_F_HASFD;
	m.data = (const uint8_t *)&sf;
	m.fd = fd;
	nstate_done = 0;
	dispatch_msg(CHAN_BROKER, broker_table, &m, NULL);
	if (nstate_done != 1) {
		fprintf(stderr, "%d STATE_DONE answers to one load\n", nstate_done);
		abort();
	}
	/* The first records' ids, whatever became of them. */
	ids[0] = (uint64_t)7 << 32 | 2;
	ids[1] = (uint64_t)7 << 32 | 3;
	ids[2] = 2;
	ids[3] = 3;
	memset(&ga, 0, sizeof(ga));
	for (i = 0; i < 4; i++)
		request(IMSG_FRONTEND_GETATTR, ids[i], (const uint8_t *)&ga, sizeof(ga));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[65536];
	static int started;
	uint8_t sel[3];
	uint16_t len;
	uint32_t type;
	uint64_t nodeid, fh;
	int before, off;

	if (!started) {
		start();
		atexit(cleanup);
		started = 1;
	}
	populate();
	nnodes = nfhs = 0;
	in_p = data;
	in_left = size;
	before = count_fds();
	if (size >= sizeof(uint64_t) && memcmp(data, &(uint64_t){ MIG_MAGIC },
	    sizeof(uint64_t)) == 0) {
		load_stream(data, size);
		in_left = 0;
	} else
		session(IMSG_FRONTEND_SESSION_INIT);
	while (in_left > 0) {
		take(sel, sizeof(sel));
		take(&len, sizeof(len));
		type = IMSG_FRONTEND_SESSION_INIT + sel[0] %
		    (IMSG_FRONTEND_TYPE_END - IMSG_FRONTEND_SESSION_INIT);
		nodeid = pick(sel[1], nodes, nnodes, 1);
		fh = sel[2] != 0xff ? pick(sel[2], fhs, nfhs, 0) : 0;
		if (len > in_left)
			len = (uint16_t)in_left;
		take(payload, len);
		off = fh_offset(type);
		if (off >= 0 && sel[2] != 0xff && (size_t)off + sizeof(fh) <= len)
			memcpy(payload + off, &fh, sizeof(fh));
		if (type == IMSG_FRONTEND_SETLK && len >= sizeof(struct msg_lock))
			memset(payload + offsetof(struct msg_lock, sleep), 0, sizeof(uint32_t));
		request(type, nodeid, payload, len);
	}
	session(IMSG_FRONTEND_SESSION_DESTROY);
	if (count_fds() != before) {
		fprintf(stderr, "fds: %d before the session, %d after it\n", before,
		    count_fds());
		abort();
	}
	return 0;
}
