/*
 * Worker test harness: see harness.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "used_ring.h"
#include "check.h"
#include "harness.h"

struct wh_stash {
	struct wh_stash	*next;
	uint64_t	 id;
	struct wh_reply	 rep;
};

static void
wh_die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	exit(99);
}

void
wh_opts_default(struct wh_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sandbox = SANDBOX_NAMESPACE;
	o->seccomp = SECCOMP_MODE_KILL;
}

static const char *
worker_path(void)
{
	static char	 path[PATH_MAX];
	const char	*s;

	if ((s = getenv("PRIVFSD_WORKER")) != NULL)
		return s;
	if ((s = getenv("PRIVFSD_BUILDDIR")) != NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/worker/privfsd-worker-test", s) <
		    sizeof(path) && access(path, X_OK) == 0)
			return path;
	}
	if ((s = getenv("PRIVFSD_LIBEXEC_DIR")) != NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/privfsd-worker", s) < sizeof(path))
			return path;
	}
	return "../worker/privfsd-worker-test";
}

static void
wh_exec(int bfd, int ffd, int rfd, const char *log, const struct wh_opts *o)
{
	const char	*path = worker_path();
	int		 lfd, sfd = -1, ufd = -1;

	if ((lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		_exit(98);
	/* Move the ends (and the state and page fds) out of the way of 3 to 7 first. */
	if (o->state_fd > STDERR_FILENO && (sfd = fcntl(o->state_fd, F_DUPFD, 10)) == -1)
		_exit(98);
	if (o->used_fd > STDERR_FILENO && (ufd = fcntl(o->used_fd, F_DUPFD, 10)) == -1)
		_exit(98);
	if ((bfd = fcntl(bfd, F_DUPFD, 10)) == -1 || (ffd = fcntl(ffd, F_DUPFD, 10)) == -1 ||
	    (rfd = fcntl(rfd, F_DUPFD, 10)) == -1 ||
	    dup2(lfd, STDERR_FILENO) == -1 || dup2(bfd, CHAN_FD_BROKER) == -1 ||
	    dup2(ffd, CHAN_FD_PEER) == -1 || dup2(rfd, CHAN_FD_REQUESTS) == -1)
		_exit(98);
	if (sfd != -1 && dup2(sfd, CHAN_FD_STATE) == -1)
		_exit(98);
	if (ufd != -1 && dup2(ufd, CHAN_FD_USED) == -1)
		_exit(98);
	if (ufd != -1 && sfd == -1)
		close(CHAN_FD_STATE);
	closefrom(ufd != -1 ? CHAN_FD_USED + 1 : sfd != -1 ? CHAN_FD_STATE + 1 :
	    CHAN_FD_REQUESTS + 1);
	if (o->env != NULL)
		putenv((char *)(uintptr_t)o->env);
	execl(path, "privfsd-worker", (char *)NULL);
	dprintf(STDERR_FILENO, "harness: exec %s: %s\n", path, strerror(errno));
	_exit(97);
}

static void
wh_config(struct wh *w, const struct wh_opts *o)
{
	struct msg_config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		wh_die("calloc");
	strlcpy(cfg->shared_dir, w->dir, sizeof(cfg->shared_dir));
	cfg->flags = o->flags;
	if (o->state_fd > STDERR_FILENO)
		cfg->flags |= CONFIG_WORKER_RESTART;
	cfg->sandbox = o->sandbox;
	cfg->seccomp = o->seccomp;
	cfg->log_level = getenv("WH_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	cfg->thread_pool_size = o->threads;
	cfg->poll_max_ns = o->poll_max_ns;
	cfg->rlimit_nofile = o->rlimit_nofile;
	cfg->memory_budget_kib = o->memory_budget_kib;
	cfg->inode_file_handles = o->inode_file_handles;
	cfg->dax = o->dax;
	cfg->dax_vmm = o->dax_vmm;
	cfg->dax_window = o->dax != DAX_NEVER ? 1ULL << 30 : 0;
	cfg->migration_mode = o->migration_mode;
	cfg->migration_flags = o->migration_flags;
	memcpy(cfg->uid_map, o->uid_map, sizeof(cfg->uid_map));
	memcpy(cfg->gid_map, o->gid_map, sizeof(cfg->gid_map));
	chan_compose(w->broker, IMSG_BROKER_CONFIG, 0, -1, cfg, sizeof(*cfg));
	chan_flush(w->broker);
	free(cfg);
}

static int
wh_hello(struct wh *w)
{
	struct chan_msg		m;
	struct msg_hello	h;

	if (chan_recv_blocking(w->broker, &m, WH_TIMEOUT_MS) == -1) {
		fprintf(stderr, "harness: no HELLO from the worker\n");
		return -1;
	}
	if (m.hdr.type != IMSG_CHILD_HELLO || m.hdr.len != sizeof(h))
		return -1;
	memcpy(&h, m.data, sizeof(h));
	return h.version == PRIVFSD_PROTO_VERSION && h.role == ROLE_WORKER ? 0 : -1;
}

static int
wh_memory(struct wh *w, const struct wh_opts *o)
{
	struct msg_mem_region	r;
	struct msg_mem_commit	c;
	struct chan_msg		m;
	int			fd;

	w->mem_offset = o->mem_offset;
	w->memlen = WH_MEM_SIZE + o->mem_offset;
	if ((fd = memfd_create("wh-guest", MFD_CLOEXEC)) == -1 ||
	    ftruncate(fd, (off_t)w->memlen) == -1)
		wh_die("memfd");
	w->mem = mmap(NULL, w->memlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w->mem == MAP_FAILED)
		wh_die("mmap");
	memset(&r, 0, sizeof(r));
	r.gen = 1;
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = WH_MEM_SIZE;
	r.mmap_offset = o->mem_offset;
	chan_compose(w->broker, IMSG_BROKER_MEM_ADD, 0, fd, &r, sizeof(r));	/* closes fd */
	memset(&c, 0, sizeof(c));
	c.gen = 1;
	c.nslots = 1;
	chan_compose(w->broker, IMSG_BROKER_MEM_COMMIT, 0, -1, &c, sizeof(c));
	chan_flush(w->broker);
	if (chan_recv_blocking(w->fe, &m, WH_TIMEOUT_MS) == -1 ||
	    m.hdr.type != IMSG_WORKER_MEM_READY || m.hdr.len != sizeof(c)) {
		fprintf(stderr, "harness: no MEM_READY from the worker\n");
		return -1;
	}
	memcpy(&c, m.data, sizeof(c));
	return c.gen == 1 ? 0 : -1;
}

int
wh_start(struct wh *w, const struct wh_opts *o)
{
	int bsp[2], fsp[2], rsp[2];

	if (geteuid() != 0) {
		printf("SKIP: the worker needs root (namespaces, capabilities)\n");
		exit(77);
	}
	log_init(0, LOG_LEVEL_WARN);
	log_procinit("harness");
	memset(w, 0, sizeof(*w));
	w->status = -1;
	w->next_id = 1;
	strlcpy(w->top, "/tmp/privfsd-wh.XXXXXX", sizeof(w->top));
	if (mkdtemp(w->top) == NULL)
		wh_die("mkdtemp");
	chmod(w->top, 0755);
	if ((size_t)snprintf(w->dir, sizeof(w->dir), "%s/shared", w->top) >= sizeof(w->dir) ||
	    (size_t)snprintf(w->log, sizeof(w->log), "%s/log", w->top) >= sizeof(w->log))
		wh_die("path too long");
	if (o->shared_dir != NULL) {
		if (strlcpy(w->dir, o->shared_dir, sizeof(w->dir)) >= sizeof(w->dir))
			wh_die("path too long");
	} else if (mkdir(w->dir, 0755) == -1)
		wh_die("mkdir");
	if (o->prepare != NULL)
		o->prepare(w->dir);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, bsp) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fsp) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, rsp) == -1)
		wh_die("socketpair");
	if ((w->pid = fork()) == -1)
		wh_die("fork");
	if (w->pid == 0)
		wh_exec(bsp[1], fsp[1], rsp[1], w->log, o);
	close(bsp[1]);
	close(fsp[1]);
	close(rsp[1]);
	w->broker = chan_new(bsp[0], "worker", 1);
	w->fe = chan_new(fsp[0], "worker", 0);
	w->req = chan_new(rsp[0], "worker", 0);
	chan_set_packet(w->req, 1);
	wh_config(w, o);
	if (wh_hello(w) == -1 || (!o->no_mem && wh_memory(w, o) == -1)) {
		wh_dump_log(w);
		return -1;
	}
	return 0;
}

int
wh_state_memfd(void)
{
	int fd;

	if ((fd = memfd_create("wh-state", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(fd, (off_t)WSTATE_BYTES) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
		wh_die("state memfd");
	return fd;
}

void
wh_kill(struct wh *w)
{
	if (w->status != -1)
		return;
	kill(w->pid, SIGKILL);
	if (waitpid(w->pid, &w->status, 0) == -1)
		wh_die("waitpid");
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

int
wh_stop(struct wh *w)
{
	struct wh_stash *s;

	if (w->broker != NULL)
		chan_free(w->broker);
	if (w->fe != NULL)
		chan_free(w->fe);
	if (w->req != NULL)
		chan_free(w->req);
	w->broker = w->fe = w->req = NULL;
	if (w->status == -1 && waitpid(w->pid, &w->status, 0) == -1)
		w->status = -1;
	if (w->mem != NULL)
		munmap(w->mem, w->memlen);
	w->mem = NULL;
	while ((s = w->stash) != NULL) {
		w->stash = s->next;
		free(s);
	}
	if (getenv("WH_KEEP") == NULL)
		nftw(w->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return w->status;
}

int
wh_alive(struct wh *w)
{
	pid_t r;

	if (w->status != -1)
		return 0;
	r = waitpid(w->pid, &w->status, WNOHANG);
	if (r == 0) {
		w->status = -1;
		return 1;
	}
	return 0;
}

int
wh_wait_end(struct wh *w)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (!wh_alive(w))
			return w->status;
		usleep(10000);
	}
	return -1;
}

int
wh_expect_fatal(struct wh *w, const char *what, const char *logged)
{
	int st = wh_wait_end(w);

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1 && wh_log_has(w, logged))
		return 1;
	fprintf(stderr, "%s: status %#x, log should say \"%s\"\n", what, st, logged);
	wh_dump_log(w);
	if (st == -1)
		wh_kill(w);
	return 0;
}

int
wh_used_page(struct used_share **page)
{
	int fd;

	if ((fd = memfd_create("test-used", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(fd, (off_t)USED_SHARE_BYTES) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
		err(1, "used page");
	*page = mmap(NULL, USED_SHARE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*page == MAP_FAILED)
		err(1, "mmap");
	return fd;
}

int
wh_log_has(const struct wh *w, const char *s)
{
	return wh_log_count(w, s) > 0;
}

int
wh_log_count(const struct wh *w, const char *s)
{
	char	 line[1024];
	FILE	*f;
	int	 n = 0;

	if ((f = fopen(w->log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

void
wh_dump_log(const struct wh *w)
{
	char	 buf[4096];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(w->log, "r")) == NULL)
		return;
	fprintf(stderr, "---- worker log ----\n");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "--------------------\n");
	fclose(f);
}

int
wh_finish(struct wh *w)
{
	CHECK(wh_alive(w));
	if (check_failures)
		wh_dump_log(w);
	return wh_stop(w);
}

const char *
wh_path(const struct wh *w, const char *name)
{
	static char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->dir, name) >= sizeof(path))
		wh_die("path too long");
	return path;
}

void
wh_host_file(const struct wh *w, const char *name, const char *content)
{
	FILE *f;

	if ((f = fopen(wh_path(w, name), "w")) == NULL)
		wh_die(name);
	fputs(content, f);
	fclose(f);
}

void
wh_host_mkdir(const struct wh *w, const char *name)
{
	if (mkdir(wh_path(w, name), 0755) == -1)
		wh_die(name);
}

void
wh_host_stat(const struct wh *w, const char *name, struct stat *st)
{
	if (lstat(wh_path(w, name), st) == -1)
		err(1, "lstat %s", name);
}

uint64_t
wh_host_ino(const struct wh *w, const char *name)
{
	struct stat	st;

	wh_host_stat(w, name, &st);
	return st.st_ino;
}

mode_t
wh_host_mode(const struct wh *w, const char *name)
{
	struct stat	st;

	wh_host_stat(w, name, &st);
	return st.st_mode & 07777;
}

int
wh_host_exists(const struct wh *w, const char *name)
{
	struct stat	st;

	return lstat(wh_path(w, name), &st) == 0;
}

void
wh_host_files(const char *dir, const char *prefix, int width, int n)
{
	char	path[PATH_MAX];
	int	i, fd;

	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%0*d", dir, prefix, width,
		    i) >= sizeof(path))
			wh_die("path too long");
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

double
wh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- requests ---- */

uint64_t
wh_queue_as(struct wh *w, uint32_t type, uint64_t nodeid, uint32_t uid, uint32_t gid,
    const void *body, size_t len)
{
	struct msg_req	req;
	struct iovec	iov[2];

	memset(&req, 0, sizeof(req));
	req.id = w->next_id++;
	req.nodeid = nodeid;
	req.uid = uid;
	req.gid = gid;
	req.pid = 1;
	iov[0].iov_base = &req;
	iov[0].iov_len = sizeof(req);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	chan_composev(msg_req_ordered(type) ? w->fe : w->req, type, 0, -1, iov,
	    len > 0 ? 2 : 1);
	return req.id;
}

void
wh_send_queued(struct wh *w)
{
	chan_flush(w->fe);
	chan_flush(w->req);
}

uint64_t
wh_send_as(struct wh *w, uint32_t type, uint64_t nodeid, uint32_t uid, uint32_t gid,
    const void *body, size_t len)
{
	uint64_t id = wh_queue_as(w, type, nodeid, uid, gid, body, len);

	wh_send_queued(w);
	return id;
}

uint64_t
wh_send(struct wh *w, uint32_t type, uint64_t nodeid, const void *body, size_t len)
{
	return wh_send_as(w, type, nodeid, 0, 0, body, len);
}

void
wh_send_noreply(struct wh *w, uint32_t type, uint64_t nodeid, const void *body, size_t len)
{
	struct wh_reply rep;

	(void)wh_send(w, type, nodeid, body, len);
	/*
	 * The ordered channel's barrier: what the tests send next goes on the other channel,
	 * and must find the FORGET done.
	 */
	if (msg_req_ordered(type) && wh_call(w, IMSG_FRONTEND_SYNC, 0, NULL, 0, &rep) != 0)
		fprintf(stderr, "harness: no answer to SYNC after type %u\n", type);
}

int
wh_recv(struct wh *w, uint64_t id, struct wh_reply *rep, int timeout_ms)
{
	struct wh_stash	**sp, *s;
	struct chan_msg	  m;
	struct msg_rep	  hdr;

	for (sp = &w->stash; (s = *sp) != NULL; sp = &s->next) {
		if (s->id == id) {
			*sp = s->next;
			memcpy(rep, &s->rep, sizeof(*rep));
			free(s);
			return 0;
		}
	}
	for (;;) {
		if (chan_recv_blocking(w->req, &m, timeout_ms) == -1)
			return -1;
		if (m.hdr.len < sizeof(hdr)) {
			fprintf(stderr, "harness: short reply type %u\n", m.hdr.type);
			return -1;
		}
		memcpy(&hdr, m.data, sizeof(hdr));
		if ((s = calloc(1, sizeof(*s))) == NULL)
			wh_die("calloc");
		s->id = hdr.id;
		s->rep.type = m.hdr.type;
		s->rep.error = hdr.error;
		s->rep.len = m.hdr.len - sizeof(hdr);
		memcpy(s->rep.data, m.data + sizeof(hdr), s->rep.len);
		if (hdr.id == id) {
			memcpy(rep, &s->rep, sizeof(*rep));
			free(s);
			return 0;
		}
		s->next = w->stash;
		w->stash = s;
	}
}

int
wh_call(struct wh *w, uint32_t type, uint64_t nodeid, const void *body, size_t len,
    struct wh_reply *rep)
{
	uint64_t id = wh_send(w, type, nodeid, body, len);

	if (wh_recv(w, id, rep, WH_TIMEOUT_MS) == -1)
		return -1;
	return rep->error;
}

size_t
wh_name_body(uint8_t *buf, size_t size, const char *name)
{
	uint32_t n = (uint32_t)strlen(name);

	if (size < sizeof(n) + n)
		wh_die("name too long for the buffer");
	memcpy(buf, &n, sizeof(n));
	memcpy(buf + sizeof(n), name, n);
	return sizeof(n) + n;
}

/* ---- device state (migration) ---- */

static int
wh_state_done(struct wh *w, uint32_t direction, struct msg_state_done *done)
{
	struct chan_msg m;

	if (chan_recv_blocking(w->fe, &m, WH_TIMEOUT_MS * 4) == -1 ||
	    m.hdr.type != IMSG_WORKER_STATE_DONE || m.hdr.len != sizeof(*done)) {
		fprintf(stderr, "harness: no STATE_DONE from the worker\n");
		return -1;
	}
	memcpy(done, m.data, sizeof(*done));
	return done->direction == direction ? 0 : -1;
}

void
wh_broker_send(struct wh *w, uint32_t type, int fd, const void *data, size_t len)
{
	chan_compose(w->broker, type, 0, fd, data, len);
	chan_flush(w->broker);
}

static void
wh_state_send(struct wh *w, uint32_t direction, int fd, const struct msg_fuse_state *fuse)
{
	struct msg_state_fd sf;

	memset(&sf, 0, sizeof(sf));
	sf.direction = direction;
	if (fuse != NULL)
		sf.fuse = *fuse;
	wh_broker_send(w, IMSG_BROKER_STATE_FD, fd, &sf, sizeof(sf));
}

int
wh_state_save(struct wh *w, const struct msg_fuse_state *fuse, uint8_t **buf, size_t *len)
{
	struct msg_state_done	done;
	size_t			cap = 65536;
	ssize_t			n;
	int			p[2];

	if (pipe2(p, O_CLOEXEC) == -1 || (*buf = malloc(cap)) == NULL)
		wh_die("pipe");
	*len = 0;
	wh_state_send(w, STATE_SAVE, p[1], fuse);
	for (;;) {
		if (*len == cap && (*buf = realloc(*buf, cap *= 2)) == NULL)
			wh_die("realloc");
		if ((n = read(p[0], *buf + *len, cap - *len)) <= 0)
			break;
		*len += (size_t)n;
	}
	close(p[0]);
	if (wh_state_done(w, STATE_SAVE, &done) == -1)
		return -1;
	return done.error;
}

int
wh_state_load(struct wh *w, const uint8_t *buf, size_t len, struct msg_state_done *done)
{
	ssize_t	n;
	int	p[2], fl;

	if (pipe2(p, O_CLOEXEC) == -1)
		wh_die("pipe");
	wh_state_send(w, STATE_LOAD, p[0], NULL);
	/* The worker may refuse early and close its end: no SIGPIPE for us. */
	signal(SIGPIPE, SIG_IGN);
	if ((fl = fcntl(p[1], F_GETFL)) != -1)
		(void)fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK);
	while (len > 0 && (n = write(p[1], buf, len)) > 0) {
		buf += n;
		len -= (size_t)n;
	}
	close(p[1]);
	if (wh_state_done(w, STATE_LOAD, done) == -1)
		return -1;
	return done->error;
}
