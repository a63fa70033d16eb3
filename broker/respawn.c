/*
 * --worker-restart: a dead worker is replaced while the frontend keeps QEMU's connection
 * and the guest's session (doc/architecture.md, "Worker restart").
 *
 * The broker cannot start the new worker itself: by then it has given up every
 * capability but CAP_KILL, and its seccomp filter, which would be inherited by anything
 * it forked, allows no fork or exec. So before it confines itself it forks the
 * respawner, which keeps the privileges a worker starts with and does one thing: on each
 * one-word request from the broker it makes the new worker's channels, starts it with
 * CLONE_PARENT (so that the worker is the broker's child, reaped and supervised like the
 * first one) and sends the broker its pid and the channel ends. It reads nothing else, and
 * exits when the broker's end closes. It also holds the worker state memfd and the
 * used-ring page (shared with the frontend) for the next worker.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "chan.h"
#include "clock.h"
#include "log.h"
#include "sandbox.h"

#define RESPAWN_REQUEST		0x72657370u	/* the one request: "resp" */
#define RESPAWN_TIMEOUT_MS	5000
/*
 * A new worker says hello after it rebuilt the guest's nodes from the state memfd: about
 * 0.4 s for 19,000 nodes, so some seconds when the store is full (about 215,000).
 */
#define RESTART_HELLO_TIMEOUT_MS 30000
/* A worker that keeps dying is not restarted for ever: the export ends instead. */
#define RESTART_BURST		5		/* restarts allowed ... */
#define RESTART_WINDOW_S	60		/* ... within this many seconds */

enum { END_CHAN, END_PEER, END_REQUESTS, END_ERR, NENDS };

struct respawn_reply {
	int32_t		pid;		/* 0 on failure */
	int32_t		error;		/* errno value on failure */
};

static int		 respawn_fd = -1;	/* the broker's end */
static pid_t		 respawner;
static const struct msg_config *respawn_config;
static unsigned int	 restarts;
static time_t		 burst_start;
static unsigned int	 burst_count;

/* ---- the respawner ---- */

static void
respawner_reply(int fd, const struct respawn_reply *rep, const int *fds, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(NENDS * sizeof(int))];
	} cm;
	struct msghdr	mh;
	struct iovec	iov = { (void *)rep, sizeof(*rep) };

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		cm.hdr.cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(&cm.hdr), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) == -1)
		_exit(1);	/* the broker is gone */
}

/* One new worker: its pid and the ends that stay with the broker and the frontend. */
static void
respawner_spawn(int fd, int state_fd, int used_fd)
{
	struct respawn_reply	rep = { 0, 0 };
	struct spawn_fds	f;
	int			chan[2], peer[2], req[2], err[2], ends[NENDS];
	pid_t			pid;

	if (chan_pair(chan, SOCK_STREAM) == -1 || chan_pair(peer, SOCK_STREAM) == -1 ||
	    chan_pair(req, SOCK_SEQPACKET) == -1 || pipe2(err, O_CLOEXEC | O_NONBLOCK) == -1) {
		rep.error = errno;
		respawner_reply(fd, &rep, NULL, 0);
		return;		/* what was made is closed at the next failure's exit */
	}
	f.chan = chan[1];
	f.peer = peer[1];
	f.requests = req[1];
	f.state = state_fd;
	f.used = used_fd;
	f.err = err[1];
	/* In a user namespace like the first one's, with --worker-userns. */
	pid = worker_clone(CLONE_PARENT);
	if (pid == 0)
		spawn_exec("worker", children[CHILD_WORKER].exe, &f);
	close(chan[1]);
	close(peer[1]);
	close(req[1]);
	close(err[1]);
	ends[END_CHAN] = chan[0];
	ends[END_PEER] = peer[0];
	ends[END_REQUESTS] = req[0];
	ends[END_ERR] = err[0];
	if (pid == -1) {
		rep.error = errno;
		respawner_reply(fd, &rep, NULL, 0);
	} else {
		rep.pid = (int32_t)pid;
		respawner_reply(fd, &rep, ends, NENDS);
	}
	close(chan[0]);
	close(peer[0]);
	close(req[0]);
	close(err[0]);
}

__attribute__((__noreturn__)) static void
respawner_main(int fd, int state_fd, int used_fd)
{
	static const int	sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	uint32_t		request;
	ssize_t			n;
	size_t			i;

	/*
	 * Only its channel, the state memfd, the used-ring page and stdio: nothing of the
	 * broker's. Moved up first, so that no dup lands on another's source. It never
	 * calls exit():
	 * the broker's atexit handler would kill the children and remove the socket.
	 */
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 16)) == -1 ||
	    (state_fd = fcntl(state_fd, F_DUPFD_CLOEXEC, 16)) == -1 ||
	    (used_fd = fcntl(used_fd, F_DUPFD_CLOEXEC, 16)) == -1 ||
	    dup3(fd, CHAN_FD_BROKER, O_CLOEXEC) == -1 ||
	    dup3(state_fd, CHAN_FD_PEER, O_CLOEXEC) == -1 ||
	    dup3(used_fd, CHAN_FD_REQUESTS, O_CLOEXEC) == -1)
		_exit(1);
	closefrom(CHAN_FD_REQUESTS + 1);
	fd = CHAN_FD_BROKER;
	state_fd = CHAN_FD_PEER;
	used_fd = CHAN_FD_REQUESTS;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1)
		_exit(0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);	/* libevent's handlers were the broker's */
	log_procinit("respawner");
	setproctitle("-privfsd: respawner");
	sandbox_respawner();
	for (;;) {
		n = recv(fd, &request, sizeof(request), 0);
		if (n == 0)
			_exit(0);	/* the broker is gone: so is the export */
		if (n == -1 && errno == EINTR)
			continue;
		if (n != sizeof(request) || request != RESPAWN_REQUEST)
			_exit(1);
		respawner_spawn(fd, state_fd, used_fd);
	}
}

void
respawn_start(const struct msg_config *config, int state_fd, int used_fd)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		respawner_main(sv[1], state_fd, used_fd);
	close(sv[1]);
	close(state_fd);
	close(used_fd);
	respawn_fd = sv[0];
	respawner = pid;
	respawn_config = config;
	log_debug("started the respawner (pid %ld)", (long)pid);
}

/* ---- the broker's side ---- */

static int
restart_allowed(void)
{
	time_t now = time(NULL);

	if (burst_count == 0 || now - burst_start >= RESTART_WINDOW_S) {
		burst_start = now;
		burst_count = 0;
	}
	if (burst_count == RESTART_BURST) {
		log_warnx("the worker died %d times within %d s: not restarting it again",
		    RESTART_BURST + 1, RESTART_WINDOW_S);
		return 0;
	}
	burst_count++;
	return 1;
}

/* The respawner's answer: a pid and NENDS fds, or -1 with why. */
static pid_t
respawn_request(int ends[NENDS], const char **why)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(NENDS * sizeof(int))];
	} cm;
	uint32_t		request = RESPAWN_REQUEST;
	struct respawn_reply	rep;
	struct pollfd		pfd = { respawn_fd, POLLIN, 0 };
	struct msghdr		mh;
	struct iovec		iov = { &rep, sizeof(rep) };
	struct cmsghdr		*c;
	ssize_t			n;

	*why = "the respawner is gone";
	if (send(respawn_fd, &request, sizeof(request), MSG_NOSIGNAL) != sizeof(request))
		return -1;
	if (poll(&pfd, 1, RESPAWN_TIMEOUT_MS) != 1) {
		*why = "no answer from the respawner";
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(respawn_fd, &mh, MSG_CMSG_CLOEXEC)) != sizeof(rep))
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (rep.pid <= 0 || c == NULL || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(NENDS * sizeof(int)) || (mh.msg_flags & MSG_CTRUNC)) {
		*why = rep.error != 0 ? strerror(rep.error) : "a malformed answer";
		return -1;
	}
	memcpy(ends, CMSG_DATA(c), NENDS * sizeof(int));
	return (pid_t)rep.pid;
}

static void
tell_frontend(int fd, uint32_t which)
{
	struct msg_worker_chan	wc;
	struct chan		*fe = children[CHILD_FRONTEND].chan;

	explicit_bzero(&wc, sizeof(wc));
	wc.which = which;
	wc.restarts = restarts;
	if (fe == NULL) {
		close(fd);
		return;
	}
	chan_compose(fe, IMSG_BROKER_WORKER_CHAN, 0, fd, &wc, sizeof(wc));
}

int
respawn_worker(struct event_base *base)
{
	struct child	*c = &children[CHILD_WORKER];
	const char	*why;
	int		 ends[NENDS];
	pid_t		 pid;

	if (respawn_fd == -1 || !restart_allowed())
		return -1;
	if ((pid = respawn_request(ends, &why)) == -1) {
		log_warnx("cannot start a new worker: %s", why);
		return -1;
	}
	c->pid = pid;
	logrelay_child(CHILD_WORKER, c->title, pid);
	logrelay_adopt(CHILD_WORKER, ends[END_ERR]);
	c->chan = chan_new(ends[END_CHAN], c->title, 1);
	chan_compose(c->chan, IMSG_BROKER_CONFIG, 0, -1, respawn_config,
	    sizeof(*respawn_config));
	chan_flush(c->chan);
	if ((why = spawn_expect_hello(c, now_ms() + RESTART_HELLO_TIMEOUT_MS)) != NULL) {
		log_warnx("the new worker (pid %ld) did not start: %s", (long)pid, why);
		close(ends[END_PEER]);
		close(ends[END_REQUESTS]);
		return -1;
	}
	restarts++;
	relay_worker_start();
	relay_replay_memory();
	supervise_child(c, base);
	tell_frontend(ends[END_PEER], CHAN_FD_PEER);
	tell_frontend(ends[END_REQUESTS], CHAN_FD_REQUESTS);
	log_warnx("started a new worker (pid %ld), restart %u", (long)pid, restarts);
	connlog_also("worker restarted (pid %ld)", (long)pid);
	return 0;
}

/* At the end of the export: the respawner goes with the children. */
void
respawn_stop(void)
{
	if (respawner <= 0)
		return;
	(void)kill(respawner, SIGKILL);
	(void)waitpid(respawner, NULL, 0);	/* ours to reap, or it outlives us as a zombie */
	respawner = 0;
}
