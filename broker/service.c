/*
 * privfsd --config=FILE: one service for the exports of privfsd.conf(5). The service is a
 * supervisor and nothing else: each export is served by a broker of its own, started as
 * the command line that conf.c made of the export's lines (so it is the same program,
 * checked and confined the same way, as a privfsd started by hand), which in turn starts
 * one worker for the export and one frontend for the connection. When the VM goes away,
 * that broker ends with its connection and the service starts a new one: the export takes
 * its next connection with a fresh frontend and worker, and none of the old state.
 *
 * SIGHUP reads the file again. A file with a mistake changes nothing (the error is
 * logged). Otherwise new exports start, and an export that was removed or changed is
 * asked to stop with SIGUSR2, which a broker obeys only while it waits for its first
 * connection (supervise.c): a running connection keeps its settings until it ends, and
 * the export then stops, or starts again with the new ones.
 *
 * Why the service has no sandbox of its own: everything it starts inherits a seccomp
 * filter, and the brokers it starts need root's capabilities to build theirs. It reads
 * only the configuration file, which must belong to root (or to us) and be writable by
 * nobody else, and it never touches guest data or connections.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "log.h"

/* A broker that ends within QUICK_MS of its start, QUICK_LIMIT times in a row, is left. */
#define QUICK_MS		5000
#define QUICK_LIMIT		5
#define STOP_GRACE_S		5

struct export_run {
	struct conf_export	 ex;		/* its command line, as declared now */
	struct conf_export	 next;		/* changed: used at its next start */
	pid_t			 pid;		/* its broker, or 0 */
	int			 removed;	/* gone from the file: never started again */
	int			 has_next;
	int			 given_up;	/* failed QUICK_LIMIT times: until a reload */
	unsigned int		 quick;		/* quick failures in a row */
	int64_t			 started_ms;
	struct event		*retry_ev;
};

static const char		*conf_path;
static char			 self_exe[PATH_MAX];
static struct event_base	*svc_base;
static struct export_run	**runs;
static size_t			 nruns;
static int			 stopping;

int
service_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--config", 8) == 0 &&
		    (argv[i][8] == '\0' || argv[i][8] == '='))
			return 1;
	return 0;
}

__attribute__((__noreturn__))
static void
service_usage(const char *arg, const char *why)
{
	fprintf(stderr, "privfsd: %s: %s\nusage: privfsd --config=FILE [-n] [-d]\n", arg, why);
	exit(1);
}

/*
 * Check each export as its broker will, with the same option code. A bad value ends the
 * process with its file and line (options_fail), so the service checks in a child.
 */
static void
check_exports(const struct conf *c)
{
	struct broker_opts	*opts;
	size_t			 i;

	if ((opts = malloc(sizeof(*opts))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < c->nexports; i++) {
		options_set_origins(c->exports[i].origins, c->exports[i].origin);
		options_parse(c->exports[i].argc, c->exports[i].argv, opts);
		worker_userns_setup(opts);	/* the range, as the broker checks it */
	}
	options_set_origins(NULL, NULL);
	free(opts);
}

static int
check_in_child(const struct conf *c)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		check_exports(c);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the brokers ---- */

static void	start_broker(struct export_run *);

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	start_broker(arg);
}

static void
start_broker(struct export_run *r)
{
	pid_t pid;

	if (stopping || r->removed || r->pid != 0)
		return;
	if (r->has_next) {
		conf_export_free(&r->ex);
		r->ex = r->next;
		memset(&r->next, 0, sizeof(r->next));
		r->has_next = 0;
	}
	if ((pid = fork()) == -1) {
		log_warn("export %s: fork", r->ex.name);
		return;
	}
	if (pid == 0) {
		execv(self_exe, r->ex.argv);
		fprintf(stderr, "privfsd: export %s: exec %s: %s\n", r->ex.name, self_exe,
		    strerror(errno));
		_exit(127);
	}
	r->pid = pid;
	r->started_ms = now_ms();
	log_info("export %s: broker pid %ld serves %s", r->ex.name, (long)pid,
	    r->ex.socket_path);
}

static void
run_free(struct export_run *r)
{
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	conf_export_free(&r->ex);
	conf_export_free(&r->next);
	free(r);
}

/* Its broker ended: start the next one, later when it keeps failing at once. */
static void
broker_ended(struct export_run *r, int status)
{
	struct timeval	tv;
	int		clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (WIFSIGNALED(status))
		log_warnx("export %s: broker pid %ld killed by SIG%s", r->ex.name, (long)r->pid,
		    sigabbrev_np(WTERMSIG(status)));
	else
		log_info("export %s: broker pid %ld exited with status %d", r->ex.name,
		    (long)r->pid, WEXITSTATUS(status));
	r->pid = 0;
	if (stopping || r->removed)
		return;
	if (clean || now_ms() - r->started_ms >= QUICK_MS)
		r->quick = 0;
	else if (++r->quick >= QUICK_LIMIT) {
		log_warnx("export %s: its broker failed %d times in a row within %d s of "
		    "starting; not started again before a reload (SIGHUP)", r->ex.name,
		    QUICK_LIMIT, QUICK_MS / 1000);
		r->given_up = 1;
		return;
	}
	if (r->quick == 0) {
		start_broker(r);
		return;
	}
	tv.tv_sec = r->quick;
	tv.tv_usec = 0;
	if (r->retry_ev == NULL &&
	    (r->retry_ev = evtimer_new(svc_base, retry_cb, r)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(r->retry_ev, &tv);
}

static void
on_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	size_t	i, j;
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nruns; i++) {
			if (runs[i]->pid != pid)
				continue;
			broker_ended(runs[i], status);
			if (runs[i]->removed && runs[i]->pid == 0) {
				run_free(runs[i]);
				for (j = i; j + 1 < nruns; j++)
					runs[j] = runs[j + 1];
				nruns--;
			}
			break;
		}
	}
	if (stopping && nruns == 0) {
		log_info("every export stopped");
		exit(0);
	}
}

/* ---- the configuration ---- */

static struct export_run *
run_find(const char *name)
{
	size_t i;

	for (i = 0; i < nruns; i++)
		if (strcmp(runs[i]->ex.name, name) == 0)
			return runs[i];
	return NULL;
}

static void
run_add(struct conf_export *ex)
{
	struct export_run **n, *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (n = reallocarray(runs, nruns + 1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	runs = n;
	r->ex = *ex;
	memset(ex, 0, sizeof(*ex));
	runs[nruns++] = r;
	start_broker(r);
}

/* An export gone or changed: its broker stops now if no VM is connected yet. */
static void
ask_idle_stop(struct export_run *r)
{
	if (r->pid != 0 && kill(r->pid, SIGUSR2) == -1 && errno != ESRCH)
		log_warn("export %s: kill", r->ex.name);
}

static void
apply_conf(struct conf *c)
{
	struct export_run	*r;
	size_t			 i, j;
	int			 kept;

	for (i = 0; i < nruns; i++) {
		r = runs[i];
		for (kept = 0, j = 0; j < c->nexports; j++)
			kept |= strcmp(c->exports[j].name, r->ex.name) == 0;
		if (!kept && !r->removed) {
			log_info("export %s: removed; it stops once no VM is connected",
			    r->ex.name);
			r->removed = 1;
			ask_idle_stop(r);
		}
	}
	for (i = 0; i < nruns;)		/* removed with no broker (given up, or waiting) */
		if (runs[i]->removed && runs[i]->pid == 0) {
			run_free(runs[i]);
			runs[i] = runs[--nruns];
		} else
			i++;
	for (j = 0; j < c->nexports; j++) {
		if ((r = run_find(c->exports[j].name)) == NULL) {
			log_info("export %s: added", c->exports[j].name);
			run_add(&c->exports[j]);
			continue;
		}
		r->removed = 0;		/* back before its old broker ended */
		r->given_up = 0;
		r->quick = 0;
		if (conf_export_same(&r->ex, &c->exports[j])) {
			conf_export_free(&r->next);
			r->has_next = 0;
			if (r->pid == 0 && (r->retry_ev == NULL || !evtimer_pending(r->retry_ev,
			    NULL)))
				start_broker(r);
			continue;
		}
		log_info("export %s: changed; the new settings apply from its next connection",
		    r->ex.name);
		conf_export_free(&r->next);
		r->next = c->exports[j];
		memset(&c->exports[j], 0, sizeof(c->exports[j]));
		r->has_next = 1;
		if (r->pid == 0)
			start_broker(r);
		else
			ask_idle_stop(r);
	}
}

static void
on_sighup(evutil_socket_t sig, short ev, void *arg)
{
	struct conf	c;
	char		err[1024];

	log_info("SIGHUP: reading %s", conf_path);
	if (conf_load(conf_path, &c, err, sizeof(err)) == -1) {
		log_warnx("%s; not reloaded: the running configuration is kept", err);
		return;
	}
	if (check_in_child(&c) == -1) {
		log_warnx("%s: not reloaded (the error above): the running configuration is "
		    "kept", conf_path);
		conf_free(&c);
		return;
	}
	apply_conf(&c);
	conf_free(&c);
}

static void
on_stop(evutil_socket_t sig, short ev, void *arg)
{
	struct timeval	tv = { STOP_GRACE_S, 0 };
	size_t		i;

	if (stopping) {
		log_warnx("brokers still running %d s after SIGTERM: killing them",
		    STOP_GRACE_S);
		for (i = 0; i < nruns; i++)
			if (runs[i]->pid != 0)
				kill(runs[i]->pid, SIGKILL);
		return;
	}
	log_info("received SIG%s: stopping every export", sigabbrev_np((int)sig));
	stopping = 1;
	for (i = 0; i < nruns; i++) {
		runs[i]->removed = 1;
		if (runs[i]->pid != 0)
			kill(runs[i]->pid, SIGTERM);
	}
	for (i = 0; i < nruns;)
		if (runs[i]->pid == 0) {
			run_free(runs[i]);
			runs[i] = runs[--nruns];
		} else
			i++;
	if (nruns == 0)
		exit(0);
	/* A second round of this handler after the grace time kills what is left. */
	event_base_once(svc_base, -1, EV_TIMEOUT, on_stop, NULL, &tv);
}

/* The file's global syslog and log-level lines are the service's too. */
static void
service_logging(const struct conf *c, int debug)
{
	const struct conf_export	*e = &c->exports[0];
	enum log_level			 level = debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	int				 use_syslog = 0, i, l;

	for (i = 1; i <= e->nglobals && i < e->argc; i++) {
		if (strcmp(e->argv[i], "--syslog") == 0)
			use_syslog = 1;
		if (!debug && strncmp(e->argv[i], "--log-level=", 12) == 0 &&
		    (l = log_level_parse(e->argv[i] + 12)) != -1)
			level = (enum log_level)l;
	}
	log_init(use_syslog, level);
}

void
service_main(int argc, char **argv)
{
	static const int	 stop_sigs[] = { SIGTERM, SIGINT };
	struct conf		 c;
	struct event		*ev;
	char			 err[1024];
	ssize_t			 n;
	size_t			 i;
	int			 a, check_only = 0, debug = 0;

	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "--config=", 9) == 0)
			conf_path = argv[a] + 9;
		else if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
			conf_path = argv[++a];
		else if (strcmp(argv[a], "-n") == 0)
			check_only = 1;
		else if (strcmp(argv[a], "-d") == 0)
			debug = 1;
		else
			service_usage(argv[a], "only -n and -d go with --config; the rest "
			    "belongs in the file");
	}
	if (conf_path == NULL || *conf_path == '\0')
		service_usage("--config", "needs a file");
	if (conf_load(conf_path, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "privfsd: %s\n", err);
		exit(1);
	}
	if (check_only) {
		check_exports(&c);
		printf("%s: %zu export%s, configuration OK\n", conf_path, c.nexports,
		    c.nexports == 1 ? "" : "s");
		exit(0);
	}
	if (check_in_child(&c) == -1)
		exit(1);
	if ((n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1)) <= 0)
		fatal("readlink /proc/self/exe");
	self_exe[n] = '\0';
	/* Replaced by an upgrade while we run: the brokers are the new program. */
	if ((size_t)n > 10 && strcmp(self_exe + n - 10, " (deleted)") == 0)
		self_exe[n - 10] = '\0';
	service_logging(&c, debug);
	log_procinit("service");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	signal(SIGPIPE, SIG_IGN);
	if ((svc_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((ev = evsignal_new(svc_base, SIGCHLD, on_sigchld, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1 ||
	    (ev = evsignal_new(svc_base, SIGHUP, on_sighup, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("signal event");
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		if ((ev = evsignal_new(svc_base, stop_sigs[i], on_stop, NULL)) == NULL ||
		    evsignal_add(ev, NULL) == -1)
			fatalx("signal event");
	log_info("serving %zu export%s of %s", c.nexports, c.nexports == 1 ? "" : "s",
	    conf_path);
	for (i = 0; i < c.nexports; i++)
		run_add(&c.exports[i]);
	conf_free(&c);
	event_base_dispatch(svc_base);
	fatalx("event loop ended");
}
