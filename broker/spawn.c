/*
 * Spawning the children, in the shape of OpenBSD vmd's proc.c: a table of roles, one
 * socketpair per channel, fork, the channels dup2'd onto fixed fds, and execv of an
 * absolute libexec path so each child starts with a fresh address space holding only its
 * own code. Ends with a ready handshake under a timeout (OpenSMTPD's setup_done).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "chan.h"
#include "clock.h"
#include "log.h"
#include "used_ring.h"

#define HELLO_TIMEOUT_MS	5000

struct child children[NCHILDREN] = {
	[CHILD_FRONTEND] = { "frontend", ROLE_FRONTEND, "privfsd-frontend", 0, NULL },
	[CHILD_WORKER] = { "worker", ROLE_WORKER, "privfsd-worker", 0, NULL },
};

static void
libexec_path(const char *exe, char *buf, size_t len)
{
	const char *dir = PRIVFSD_LIBEXECDIR;
	int n;

#ifdef PRIVFSD_TEST_HOOKS
	/* Test builds only: the suite runs the children from the build tree. */
	if (getenv("PRIVFSD_LIBEXEC_DIR") != NULL)
		dir = getenv("PRIVFSD_LIBEXEC_DIR");
#endif
	n = snprintf(buf, len, "%s/%s", dir, exe);
	if (n < 0 || (size_t)n >= len)
		fatalx("libexec path too long");
}

/*
 * In the child, between fork and exec: broker channel on fd 3, the frontend-worker
 * channels on fd 4 (ordered requests, replies) and fd 5 (the other requests, a record
 * each), the worker's state memfd on fd 6 and the shared used-ring page on fd 7 when there
 * are, stderr the log relay pipe, nothing else above 2. All are first moved above 7 so
 * that no dup2 lands on a source fd (and dup2 onto itself would keep FD_CLOEXEC).
 */
void
spawn_exec(const char *title, const char *exe, const struct spawn_fds *f)
{
	char		 path[PATH_MAX];
	char		*argv[2];
	sigset_t	 none;
	int		 a, b, r, s = -1, u = -1, e;

	libexec_path(exe, path, sizeof(path));
	if ((a = fcntl(f->chan, F_DUPFD, CHAN_FD_USED + 1)) == -1 ||
	    (b = fcntl(f->peer, F_DUPFD, CHAN_FD_USED + 1)) == -1 ||
	    (r = fcntl(f->requests, F_DUPFD, CHAN_FD_USED + 1)) == -1 ||
	    (e = fcntl(f->err, F_DUPFD, CHAN_FD_USED + 1)) == -1 ||
	    (f->state != -1 && (s = fcntl(f->state, F_DUPFD, CHAN_FD_USED + 1)) == -1) ||
	    (f->used != -1 && (u = fcntl(f->used, F_DUPFD, CHAN_FD_USED + 1)) == -1) ||
	    dup2(a, CHAN_FD_BROKER) == -1 || dup2(b, CHAN_FD_PEER) == -1 ||
	    dup2(r, CHAN_FD_REQUESTS) == -1 || (s != -1 && dup2(s, CHAN_FD_STATE) == -1) ||
	    (u != -1 && dup2(u, CHAN_FD_USED) == -1) || dup2(e, STDERR_FILENO) == -1) {
		dprintf(STDERR_FILENO, "privfsd: %s: dup2: %s\n", title, strerror(errno));
		_exit(127);
	}
	/* fd 6 is the worker's alone: a frontend with the page has nothing there. */
	if (s == -1 && u != -1)
		close(CHAN_FD_STATE);
	closefrom(u != -1 ? CHAN_FD_USED + 1 : s != -1 ? CHAN_FD_STATE + 1 :
	    CHAN_FD_REQUESTS + 1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);	/* the broker ignores it; exec keeps SIG_IGN */
	argv[0] = path;
	argv[1] = NULL;
	execv(path, argv);
	dprintf(STDERR_FILENO, "privfsd: %s: exec %s: %s\n", title, path, strerror(errno));
	_exit(127);
}

int
chan_pair(int sv[2], int type)
{
	return socketpair(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
}

/* A memfd of size bytes, sealed at that size so that no child can shrink it under another. */
static int
sealed_memfd(const char *name, uint64_t size)
{
	int fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(fd, (off_t)size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1)
		fatal("%s memfd", name);
	return fd;
}

/*
 * Returns the worker's state memfd (kept for its successors), or -1 without restarts; with
 * restarts *used_fd is the used-ring page for them (else -1).
 */
int
spawn_children(const struct msg_config *config, int *used_fd_out)
{
	struct spawn_fds f;
	int		 peer[2], req[2], sv[2], i, state_fd = -1, used_fd = -1;
	struct child	*c;
	pid_t		 pid;

	if (chan_pair(peer, SOCK_STREAM) == -1 || chan_pair(req, SOCK_SEQPACKET) == -1)
		fatal("socketpair");
	/* --worker-restart: what each worker keeps for its successor (the guest's node ids) */
	if (config->flags & CONFIG_WORKER_RESTART)
		state_fd = sealed_memfd("privfsd-worker-state", WSTATE_BYTES);
	/* where frontend and worker complete chains on the same used rings */
	used_fd = sealed_memfd("privfsd-used-rings", USED_SHARE_BYTES);
	for (i = 0; i < NCHILDREN; i++) {
		c = &children[i];
		if (chan_pair(sv, SOCK_STREAM) == -1)
			fatal("socketpair");
		f.chan = sv[1];
		f.peer = peer[i];
		f.requests = req[i];
		f.state = c->role == ROLE_WORKER ? state_fd : -1;
		f.used = used_fd;
		f.err = logrelay_pipe(i);
		pid = c->role == ROLE_WORKER ? worker_clone(0) : fork();
		if (pid == -1)
			fatal("starting the %s", c->title);
		if (pid == 0)
			spawn_exec(c->title, c->exe, &f);
		close(sv[1]);
		close(f.err);
		c->pid = pid;
		logrelay_child(i, c->title, pid);
		c->chan = chan_new(sv[0], c->title, 1);
		chan_compose(c->chan, IMSG_BROKER_CONFIG, 0, -1, config, sizeof(*config));
		log_debug("started %s (pid %ld)", c->title, (long)pid);
	}
	/* frontend <-> worker is theirs alone */
	close(peer[0]);
	close(peer[1]);
	close(req[0]);
	close(req[1]);
	if (state_fd == -1) {
		close(used_fd);
		used_fd = -1;
	}
	*used_fd_out = used_fd;
	for (i = 0; i < NCHILDREN; i++)
		chan_flush(children[i].chan);
	return state_fd;
}

/* NULL, or why the child did not start (a wrong hello is fatal here). */
const char *
spawn_expect_hello(struct child *c, int64_t deadline)
{
	struct chan_msg		msg;
	struct msg_hello	hello;
	int64_t			left = deadline - now_ms();

	if (chan_recv_blocking(c->chan, &msg, left > 0 ? (int)left : 0) == -1)
		return errno == ETIMEDOUT ? "no hello in time" : "channel closed";
	if (msg.fd != -1)
		close(msg.fd);
	if (msg.hdr.type != IMSG_CHILD_HELLO || msg.hdr.len != sizeof(hello) || msg.fd != -1)
		fatalx("%s: bad start-up message (type %u, %u bytes)", c->title,
		    msg.hdr.type, msg.hdr.len);
	memcpy(&hello, msg.data, sizeof(hello));
	if (hello.version != PRIVFSD_PROTO_VERSION)
		fatalx("%s: protocol version %u, expected %u (mixed installation?)",
		    c->title, hello.version, PRIVFSD_PROTO_VERSION);
	if (hello.role != (uint32_t)c->role)
		fatalx("%s: says it is role %u", c->title, hello.role);
	log_debug("%s (pid %ld) is ready", c->title, (long)c->pid);
	return NULL;
}

struct child *
handshake_children(const char **why)
{
	int64_t		deadline = now_ms() + HELLO_TIMEOUT_MS;
	int		i;

	for (i = 0; i < NCHILDREN; i++)
		if ((*why = spawn_expect_hello(&children[i], deadline)) != NULL)
			return &children[i];
	return NULL;
}
