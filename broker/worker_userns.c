/*
 * --worker-userns: root's privfsd runs each worker in a user namespace of its own whose
 * ids 0 to COUNT - 1 are a range of otherwise unused host ids (the subordinate ids of
 * rootless containers). The worker is root there, so its sandbox (common/sandbox.c) runs
 * unchanged, but its capabilities count only in that namespace: over files whose owner
 * and group are in the range, and nowhere in the host's initial user namespace. Its uid on
 * the host is the range's first id, not root.
 *
 * The child is cloned straight into the new namespace; the parent, still root in the
 * initial one, writes its uid_map and gid_map ("0 BASE COUNT") and only then lets it go
 * on, through a pipe. The child then takes ids 0 (which it has only once the maps exist),
 * drops root's host groups and execs the worker, which as uid 0 there starts with every
 * capability of that namespace. The respawner starts later workers the same way.
 *
 * What it costs (privfsd(8), "Workers in a user namespace"): no file handles
 * (open_by_handle_at needs CAP_DAC_READ_SEARCH in the initial namespace), no device nodes
 * (mknod checks CAP_MKNOD there), no trusted.* attributes, and files outside the range
 * show as 65534 and are out of the worker's reach but for their permission bits.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "sandbox.h"

static struct {
	struct subid_range	uids;		/* count 0: no --worker-userns */
	struct subid_range	gids;
	rlim_t			nofile;		/* the worker's RLIMIT_NOFILE, or 0 */
} wns;

static int
in_range(uint32_t id, const struct subid_range *r)
{
	return id >= r->base && (uint64_t)id - r->base < r->count;
}

/* NULL, or why the range cannot be the worker's (what: "uid" or "gid"). */
static const char *
range_check(const struct subid_range *r, uint32_t privsep_id, const char *what)
{
	static char why[160];

	/* (uid_t)-1 is no id: setresuid and the maps take it as "unchanged" or refuse it. */
	if ((uint64_t)r->base + r->count > UINT32_MAX)
		(void)snprintf(why, sizeof(why), "the %s range %lu+%lu reaches past id "
		    "4294967294", what, (unsigned long)r->base, (unsigned long)r->count);
	else if (in_range(0, r))
		(void)snprintf(why, sizeof(why), "the %s range %lu+%lu contains %s 0: the "
		    "worker would have root's files", what, (unsigned long)r->base,
		    (unsigned long)r->count, what);
	else if (in_range(privsep_id, r))
		(void)snprintf(why, sizeof(why), "the %s range %lu+%lu contains %s %lu of the "
		    "privilege separation user %s: the worker could act as the frontend", what,
		    (unsigned long)r->base, (unsigned long)r->count, what,
		    (unsigned long)privsep_id, PRIVSEP_USER);
	else
		return NULL;
	return why;
}

/* A warning for a share the worker would see as someone else's. */
static void
check_shared_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		log_warn("%s", dir);
		return;
	}
	if (in_range(st.st_uid, &wns.uids) && in_range(st.st_gid, &wns.gids))
		return;
	log_warnx("%s is owned by %lu:%lu, outside the worker's id range (--worker-userns): "
	    "the worker sees it as 65534 and has only the access its mode gives others; "
	    "chown -R %lu:%lu it (privfsd(8), \"Workers in a user namespace\")", dir,
	    (unsigned long)st.st_uid, (unsigned long)st.st_gid,
	    (unsigned long)wns.uids.base, (unsigned long)wns.gids.base);
}

void
worker_userns_setup(struct broker_opts *o)
{
	struct msg_config	*c = &o->config;
	char			 arg[sizeof(o->worker_userns) + 32];
	const char		*why;

	if (o->worker_userns[0] == '\0')
		return;
	(void)snprintf(arg, sizeof(arg), "--worker-userns=%s", o->worker_userns);
	/* A single-id namespace of its own already: no host range to map from there. */
	if (c->flags & CONFIG_USERNS)
		options_fail(arg, "needs privfsd started as root (an unprivileged user's "
		    "privfsd runs every process in a user namespace of its own)");
	if ((why = subid_parse(o->worker_userns, &wns.uids, &wns.gids)) != NULL)
		options_fail(arg, why);
	if ((why = range_check(&wns.uids, c->privsep_uid, "uid")) != NULL ||
	    (why = range_check(&wns.gids, c->privsep_gid, "gid")) != NULL)
		options_fail(arg, why);
	/* The worker's ids are the namespace's: rules count from 0 there. */
	if ((why = idmap_within(c->uid_map, wns.uids.count)) != NULL)
		options_fail("--uid-map/--translate-uid", why);
	if ((why = idmap_within(c->gid_map, wns.gids.count)) != NULL)
		options_fail("--gid-map/--translate-gid", why);
	userns_no_file_handles(c, "a worker in a user namespace (--worker-userns)");
	if (c->rlimit_nofile != 0)
		wns.nofile = c->rlimit_nofile > RLIM_INFINITY - WORKER_NOFILE_HEADROOM ?
		    RLIM_INFINITY : (rlim_t)c->rlimit_nofile + WORKER_NOFILE_HEADROOM;
	check_shared_dir(c->shared_dir);
	log_info("the worker runs in a user namespace: uid_map 0 %lu %lu, gid_map 0 %lu %lu; "
	    "it holds no capability in the host's user namespace",
	    (unsigned long)wns.uids.base, (unsigned long)wns.uids.count,
	    (unsigned long)wns.gids.base, (unsigned long)wns.gids.count);
}

/* /proc/PID/FILE of the new worker, written in one write(2). */
static int
write_pid_file(pid_t pid, const char *file, const char *text)
{
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	return userns_write_proc(path, text);
}

static int
write_maps(pid_t pid)
{
	char map[64];

	(void)snprintf(map, sizeof(map), "0 %lu %lu\n", (unsigned long)wns.uids.base,
	    (unsigned long)wns.uids.count);
	if (write_pid_file(pid, "uid_map", map) == -1) {
		log_warn("worker %ld: uid_map", (long)pid);
		return -1;
	}
	(void)snprintf(map, sizeof(map), "0 %lu %lu\n", (unsigned long)wns.gids.base,
	    (unsigned long)wns.gids.count);
	if (write_pid_file(pid, "gid_map", map) == -1) {
		log_warn("worker %ld: gid_map", (long)pid);
		return -1;
	}
	return 0;
}

/*
 * Raising RLIMIT_NOFILE past the hard limit takes CAP_SYS_RESOURCE in the initial
 * namespace, which the worker no longer has: we do it for it. Failing that, the worker
 * warns that its fd budget is cut, as it does anywhere else.
 */
static void
raise_nofile(pid_t pid)
{
	struct rlimit rl;

	if (wns.nofile == 0 || getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= wns.nofile)
		return;
	rl.rlim_cur = rl.rlim_max = wns.nofile;
	if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == -1)
		log_debug("worker %ld: RLIMIT_NOFILE %llu: %s", (long)pid,
		    (unsigned long long)wns.nofile, strerror(errno));
}

/*
 * In the child, once the maps exist: ids 0 of the namespace, and none of root's host
 * groups (they would stay, shown as 65534, with their host access). Raw system calls:
 * after a raw clone, glibc's set*id would signal threads of the parent's that this
 * process does not have.
 */
static void
child_become_root(void)
{
	if (syscall(SYS_setresgid, 0, 0, 0) == -1 || syscall(SYS_setgroups, 0, NULL) == -1 ||
	    syscall(SYS_setresuid, 0, 0, 0) == -1) {
		dprintf(STDERR_FILENO, "privfsd: worker: taking ids 0 in its user namespace: "
		    "%s\n", strerror(errno));
		_exit(127);
	}
}

pid_t
worker_clone(unsigned long flags)
{
	pid_t	pid;
	int	sync[2], saved;
	char	go;
	ssize_t	n;

	if (wns.uids.count == 0)
		return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pipe2(sync, O_CLOEXEC) == -1)
		return -1;
	pid = (pid_t)syscall(SYS_clone, flags | CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL,
	    NULL);
	if (pid == -1 && errno == ENOSPC)
		log_warnx("no user namespace for the worker (--worker-userns): sysctl "
		    "user.max_user_namespaces");
	if (pid == 0) {
		close(sync[1]);
		while ((n = read(sync[0], &go, 1)) == -1 && errno == EINTR)
			;
		if (n != 1)
			_exit(127);	/* no maps: the parent said why */
		close(sync[0]);
		child_become_root();
		return 0;
	}
	saved = errno;
	close(sync[0]);
	if (pid != -1) {
		if (write_maps(pid) == 0) {
			raise_nofile(pid);
			if (write(sync[1], "g", 1) == 1) {
				close(sync[1]);
				return pid;
			}
		}
		saved = errno;
		pid = -1;	/* the child ends at EOF, unmapped and unexec'd */
	}
	close(sync[1]);
	errno = saved;
	return pid;
}
