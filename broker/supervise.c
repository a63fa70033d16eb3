/*
 * Supervision: the broker notices every child death and every closed channel, logs it,
 * and ends the export. The frontend exiting 0 is the normal end (QEMU disconnected);
 * anything else is a failure and the other child is killed at once, so a broken half of
 * an export never keeps running on its own (doc/security.md, invariant 5).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "chan.h"
#include "log.h"

#define STOP_GRACE_MS	1000	/* SIGTERM, then SIGKILL after this */
#define CLOSE_GRACE_MS	500	/* a closed channel, then the child must be gone */
#define DYING_GRACE_MS	150	/* a child whose peer saw it go may still be exiting */

static struct event_base	*sv_base;
static pid_t			 broker_pid;	/* the respawner is a fork of ours */
static int			(*restart_worker)(struct event_base *);	/* or NULL */
static void			(*stop_respawner)(void);

void
supervise_restarts(int (*restart)(struct event_base *), void (*stop)(void))
{
	restart_worker = restart;
	stop_respawner = stop;
}

static void
respawner_end(void)
{
	if (stop_respawner != NULL)
		stop_respawner();
}
static struct event		*stop_timer;
static int			 stopping;
static int			 stop_code;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
describe(int status, char *buf, size_t len)
{
	const char *abbrev;

	if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		abbrev = sigabbrev_np(WTERMSIG(status));
		(void)snprintf(buf, len, "killed by signal %d (SIG%s)", WTERMSIG(status),
		    abbrev != NULL ? abbrev : "?");
	} else
		(void)snprintf(buf, len, "stopped (status %#x)", status);
}

static void
free_chan_later(evutil_socket_t fd, short ev, void *arg)
{
	chan_free(arg);
}

/* Forget a child's channel; freed from the loop, never inside its own callback. */
static void
drop_chan(struct child *c)
{
	if (c->chan == NULL)
		return;
	if (sv_base == NULL || event_base_once(sv_base, -1, EV_TIMEOUT, free_chan_later,
	    c->chan, NULL) == -1)
		chan_free(c->chan);
	c->chan = NULL;
}

static int
children_left(void)
{
	int i, n = 0;

	for (i = 0; i < NCHILDREN; i++)
		if (children[i].pid > 0)
			n++;
	return n;
}

static void
signal_children(int sig)
{
	int i;

	for (i = 0; i < NCHILDREN; i++)
		if (children[i].pid > 0)
			(void)kill(children[i].pid, sig);
}

/* Wait up to ms for a child to be reapable; 1 and *status when it was reaped. */
static int
reap_within(struct child *c, long ms, int *status)
{
	pid_t r;

	*status = 0;	/* stays 0 only if someone else reaped it: cannot happen */
	for (;;) {
		r = waitpid(c->pid, status, WNOHANG);
		if (r == c->pid || (r == -1 && errno == ECHILD))
			return 1;
		if (ms <= 0)
			return 0;
		sleep_ms(10);
		ms -= 10;
	}
}

static void
log_death(struct child *c, int status, enum log_level level)
{
	char how[64];

	logrelay_drain((int)(c - children));
	describe(status, how, sizeof(how));
	/* Deaths before our own stop or kill are why the connection ended. */
	if (!stopping && level == LOG_LEVEL_WARN)
		connlog_also("%s (pid %ld) %s", c->title, (long)c->pid, how);
	if (level == LOG_LEVEL_WARN)
		log_warnx("%s (pid %ld) %s", c->title, (long)c->pid, how);
	else
		log_info("%s (pid %ld) %s", c->title, (long)c->pid, how);
}

void
broker_shutdown(int code, const char *why)
{
	int i, status;

	/*
	 * A child that died on its own (it may have taken the other along) is named first.
	 * Its exit may still be under way: a process closes its fds before it becomes a
	 * zombie, so its peer can see the closed channel, exit, and be reaped by us first.
	 * Give it a moment, or we would kill it ourselves and never say what killed it.
	 */
	for (i = 0; i < NCHILDREN; i++)
		if (children[i].pid > 0 && reap_within(&children[i],
		    stopping ? 0 : DYING_GRACE_MS, &status)) {
			log_death(&children[i], status, stopping ? LOG_LEVEL_INFO :
			    LOG_LEVEL_WARN);
			children[i].pid = 0;
		}
	if (why != NULL) {
		log_warnx("stopping the export: %s", why);
		connlog_cause("%s", why);
	}
	signal_children(SIGKILL);
	for (i = 0; i < NCHILDREN; i++) {
		if (children[i].pid <= 0)
			continue;
		if (reap_within(&children[i], STOP_GRACE_MS, &status) && status != 0 &&
		    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			log_death(&children[i], status, LOG_LEVEL_INFO);
		children[i].pid = 0;
	}
	for (i = 0; i < NCHILDREN; i++)
		logrelay_drain(i);
	respawner_end();
	connlog_end(code == 0);
	listener_remove_socket();
	exit(code);
}

void
child_start_failed(struct child *c, const char *why)
{
	char	how[64];
	int	status, i;

	for (i = 0; i < NCHILDREN; i++)	/* what they said before dying explains why */
		logrelay_drain(i);
	if (reap_within(c, CLOSE_GRACE_MS, &status)) {
		describe(status, how, sizeof(how));
		log_warnx("%s (pid %ld) %s before it was ready (%s)", c->title,
		    (long)c->pid, how, why);
		c->pid = 0;
	} else
		log_warnx("%s (pid %ld) did not start: %s", c->title, (long)c->pid, why);
	broker_shutdown(1, NULL);
}

static void
stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	log_warnx("children still running %d ms after SIGTERM: killing them", STOP_GRACE_MS);
	broker_shutdown(stop_code, NULL);
}

/* Graceful end: SIGTERM, reaped by the SIGCHLD handler, SIGKILL if they linger. */
static void
begin_stop(int code)
{
	struct timeval tv = { STOP_GRACE_MS / 1000, (STOP_GRACE_MS % 1000) * 1000 };

	if (stopping)
		return;
	stopping = 1;
	stop_code = code;
	if (children_left() == 0)
		broker_shutdown(code, NULL);
	signal_children(SIGTERM);
	if ((stop_timer = evtimer_new(sv_base, stop_timeout, NULL)) == NULL ||
	    evtimer_add(stop_timer, &tv) == -1)
		broker_shutdown(code, NULL);
}

/*
 * The worker may die of the frontend's clean exit (its peer channel closed) a moment
 * before we reap the frontend: look once more before calling it a failure.
 */
static int
frontend_ended_cleanly(void)
{
	struct child	*fe = &children[CHILD_FRONTEND];
	int		 status;

	if (fe->pid <= 0 || !reap_within(fe, 50, &status))
		return 0;
	log_death(fe, status, LOG_LEVEL_INFO);
	fe->pid = 0;
	drop_chan(fe);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
child_exited(struct child *c, int status)
{
	int	clean = c->role == ROLE_FRONTEND && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;

	log_death(c, status, stopping || clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	c->pid = 0;
	drop_chan(c);
	if (stopping) {
		if (children_left() == 0)
			broker_shutdown(stop_code, NULL);
		return;
	}
	if (clean || (c->role == ROLE_WORKER && frontend_ended_cleanly())) {
		if (clean)
			log_info("QEMU disconnected: stopping the worker");
		connlog_cause("QEMU disconnected (the frontend exited with status 0)");
		begin_stop(0);
		return;
	}
	/* --worker-restart: the frontend keeps the guest's session and waits for a new one. */
	if (c->role == ROLE_WORKER && children[CHILD_FRONTEND].pid > 0 &&
	    restart_worker != NULL) {
		if (restart_worker(sv_base) == 0)
			return;
		broker_shutdown(1, "the worker died and could not be replaced");
	}
	broker_shutdown(1, "a child died");
}

static void
on_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	int	status, i;
	pid_t	pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < NCHILDREN; i++)
			if (children[i].pid == pid)
				child_exited(&children[i], status);
	}
}

static void
on_stop_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_info("received SIG%s: stopping", sigabbrev_np((int)sig));
	connlog_cause("received SIG%s", sigabbrev_np((int)sig));
	begin_stop(0);
}

/*
 * privfsd --config (service.c) asks a broker whose export was removed or changed to stop
 * with SIGUSR2: it does while no VM has connected, and otherwise serves its connection on.
 */
static void
on_idle_stop_signal(evutil_socket_t sig, short ev, void *arg)
{
	if (!listener_waiting()) {
		log_info("received SIGUSR2 while serving a connection: going on until it ends");
		return;
	}
	log_info("received SIGUSR2 before any connection: stopping");
	connlog_cause("received SIGUSR2 before any connection");
	begin_stop(0);
}

/* A closed channel counts as the child's death: give it a moment to really exit. */
static void
on_chan_closed(struct chan *ch, void *arg)
{
	struct child	*c = arg;
	int		 status;

	if (c->chan != ch)	/* already reaped and dropped */
		return;
	drop_chan(c);
	if (stopping || c->pid <= 0)
		return;
	if (reap_within(c, CLOSE_GRACE_MS, &status)) {
		child_exited(c, status);
		return;
	}
	log_warnx("%s (pid %ld) closed its channel", c->title, (long)c->pid);
	connlog_cause("%s (pid %ld) closed its channel", c->title, (long)c->pid);
	broker_shutdown(1, "a channel closed");
}

void
supervise_start(struct event_base *base)
{
	static const int	 sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2 };
	struct event		*ev;
	size_t			 i;

	sv_base = base;
	broker_pid = getpid();
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(base, sigs[i], sigs[i] == SIGCHLD ? on_sigchld :
		    sigs[i] == SIGUSR2 ? on_idle_stop_signal : on_stop_signal, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("signal event");
	}
}

void
supervise_child(struct child *c, struct event_base *base)
{
	chan_set_closed_cb(c->chan, on_chan_closed, c);
	chan_event_add(c->chan, base);
}

/* After the children said hello and relay_start(): watch their channels. */
void
supervise_children(struct event_base *base)
{
	int i;

	for (i = 0; i < NCHILDREN; i++)
		supervise_child(&children[i], base);
}

/* atexit: whatever path ends the broker (fatal included), take the children along. */
void
supervise_cleanup(void)
{
	if (broker_pid != 0 && getpid() != broker_pid)
		return;		/* the respawner's fatal(): the export is not its to end */
	signal_children(SIGKILL);
	respawner_end();
	connlog_end(0);		/* a fatal error: its own line just said why */
	listener_remove_socket();
}
