/*
 * Privilege drop, one function per role (sandbox.h). Each follows the same order: what needs
 * the real /proc or full root first, then the file system view (mount namespace and
 * pivot_root, or chroot), then ids and capabilities, rlimits, no_new_privs, and the seccomp
 * filter last (seccomp.c). Every step is checked afterwards against the kernel's own answer (getresuid,
 * capget, PR_CAPBSET_READ), not against what a library says it did; any failure is fatal.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/securebits.h>

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "sandbox_priv.h"
#include "seccomp_rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The frontend keeps guest memory region fds (up to MEM_MAX_SLOTS), two eventfds per
 * queue, its channels and the event loop: 1024 covers that and stops fd hoarding.
 */
#define FRONTEND_NOFILE		1024
/* The worker's fd budget is for nodes and handles; region fds and the rest come on top. */

/* Capabilities the worker keeps: file operations on behalf of any guest user. */
static const int worker_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID,
	CAP_SETUID, CAP_SETGID,		/* setfsuid/setfsgid per request */
	CAP_MKNOD, CAP_SETFCAP,
};
/* The broker signals children that run under other uids. */
static const int broker_caps[] = { CAP_KILL };
/*
 * The respawner keeps what a new worker starts with: the worker's own capabilities and
 * DAC_READ_SEARCH (file handles), and what sandbox_worker() uses once: a mount namespace
 * and pivot_root (SYS_ADMIN), chroot, its fd limit (SYS_RESOURCE), the bounding set
 * (SETPCAP).
 */
static const int respawner_extra_caps[] = {
	CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SYS_RESOURCE, CAP_SETPCAP,
};

/*
 * What sandbox_begin() learns of the user namespace, while /proc is still the host's.
 * The one an unprivileged user's broker makes (broker/userns.c) maps a single id, 0, to
 * that user and denies setgroups: no supplementary group can be dropped there (they stay
 * the user's own, unmapped), and proc cannot be mounted, since the pid namespace is the
 * host's.
 */
static struct {
	int	unprivileged;		/* uid_map and gid_map are "0 ID 1" with ID != 0 */
	int	groups_locked;		/* that, and /proc/self/setgroups says "deny" */
	int	nested;			/* uid_map is not the initial namespace's */
} userns;

/* Directories the frontend's empty tmpfs may be mounted on, in its private namespace. */
static const char *const empty_root_mountpoints[] = { "/tmp", "/mnt", "/proc" };

/* ---- checks ------------------------------------------------------------------------ */

static uint64_t
cap_mask(const int *caps, size_t n)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < n; i++)
		mask |= 1ULL << caps[i];
	return mask;
}

/* Fatal unless effective = permitted = bounding = want, and inheritable, ambient are empty. */
static void
check_caps(uint64_t want)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	uint64_t eff, prm, inh, bnd = 0;
	unsigned int cap;
	int rc;

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		fatal("capget");
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	for (cap = 0; cap < 64; cap++) {
		if ((rc = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) == -1) {
			if (errno == EINVAL)	/* past the kernel's last capability */
				break;
			fatal("PR_CAPBSET_READ %u", cap);
		}
		if (rc == 1)
			bnd |= 1ULL << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			fatalx("ambient capability %u is still set", cap);
	}
	if (eff != want || prm != want || inh != 0 || bnd != want)
		fatalx("capabilities not dropped: eff %#llx prm %#llx inh %#llx bnd %#llx, "
		    "want %#llx", (unsigned long long)eff, (unsigned long long)prm,
		    (unsigned long long)inh, (unsigned long long)bnd,
		    (unsigned long long)want);
}

/* Fatal unless every uid and gid is the one given and no supplementary group is left. */
static void
check_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("getresuid/getresgid");
	if (ru != uid || eu != uid || su != uid)
		fatalx("uids are %u/%u/%u, want %u", ru, eu, su, uid);
	if (rg != gid || eg != gid || sg != gid)
		fatalx("gids are %u/%u/%u, want %u", rg, eg, sg, gid);
	/* With setgroups denied they cannot be dropped; they are the invoking user's own. */
	if (!userns.groups_locked && getgroups(0, NULL) != 0)
		fatalx("supplementary groups are left");
}

/*
 * Capabilities and no_new_privs are per thread, and unshare(CLONE_NEWNS) refuses a
 * process whose threads share its fs: the sandbox must come before any thread. procfs
 * counts a process's threads in the link count of /proc/self/task.
 */
static void
check_single_threaded(void)
{
	struct stat st;

	if (stat("/proc/self/task", &st) == -1)
		return;		/* no /proc (--sandbox=none in a bare container): cannot tell */
	if (st.st_nlink > 3)
		fatalx("the sandbox must be set up before any thread is started");
}

/* ---- the user namespace ------------------------------------------------------------ */

/* Up to len - 1 bytes of a /proc file, NUL-terminated; -1 if it cannot be read. */
static ssize_t
read_proc(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return n;
}

/* 1 when the id map at path is one line, its three numbers in v; else 0. */
static int
one_line_map(const char *path, long long v[3])
{
	char		 buf[128], *p = buf, *field, *nl;
	const char	*errstr;
	int		 n = 0;

	if (read_proc(path, buf, sizeof(buf)) <= 0)
		return 0;
	if ((nl = strchr(buf, '\n')) != NULL) {
		if (nl[1] != '\0')
			return 0;	/* more than one line */
		*nl = '\0';
	}
	while ((field = strsep(&p, " \t")) != NULL) {
		if (*field == '\0')
			continue;
		if (n == 3)
			return 0;
		v[n++] = strtonum(field, 0, UINT32_MAX, &errstr);
		if (errstr != NULL)
			return 0;
	}
	return n == 3;
}

/* 1 when the id map at path is the one line "0 ID 1" with ID != 0. */
static int
single_id_map(const char *path)
{
	long long v[3];

	return one_line_map(path, v) && v[0] == 0 && v[1] != 0 && v[2] == 1;
}

/* The initial user namespace's map, "0 0 4294967295", is the only one that maps all. */
static int
initial_map(const char *path)
{
	long long v[3];

	return one_line_map(path, v) && v[0] == 0 && v[1] == 0 && v[2] == UINT32_MAX;
}

static void
userns_probe(void)
{
	char buf[16];

	userns.unprivileged = single_id_map("/proc/self/uid_map") &&
	    single_id_map("/proc/self/gid_map");
	userns.nested = !initial_map("/proc/self/uid_map");
	/* Anywhere else a setgroups() that fails stays fatal, as it always was. */
	userns.groups_locked = userns.unprivileged &&
	    read_proc("/proc/self/setgroups", buf, sizeof(buf)) > 0 &&
	    strncmp(buf, "deny", 4) == 0;
}

/* setgroups(0, NULL), where the namespace allows it (check_ids() knows when not). */
static void
drop_supplementary_groups(void)
{
	if (userns.groups_locked)
		return;
	if (setgroups(0, NULL) == -1)
		fatal("setgroups");
}

/* ---- steps shared by the roles ------------------------------------------------------ */

/*
 * Run first in every role: tzset() so log timestamps need no file later, and libcap-ng's
 * first look at the process, which reads /proc/sys/kernel/cap_last_cap: it must read the
 * real one, not a file in an empty root or in the guest's shared directory.
 */
int
sandbox_user_namespace(void)
{
	return userns.nested;
}

static void
sandbox_begin(const char *role)
{
	seccomp_trap_role(role);
#ifdef PRIVFSD_SANITIZERS
	sanitizer_leak_check_now();
#endif
	tzset();
	userns_probe();
	if (capng_get_caps_process() == -1)
		fatalx("libcap-ng cannot read this process's capabilities");
	check_single_threaded();
}

static void
clear_ambient_caps(void)
{
	/* EINVAL: a kernel before 4.3 has no ambient set at all. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL)
		fatal("clearing ambient capabilities");
}

/* Prepare libcap-ng's state with exactly these caps and drop the rest of the bounding set. */
static void
caps_bound(const int *caps, size_t n)
{
	size_t i;

	capng_clear(CAPNG_SELECT_BOTH);
	for (i = 0; i < n; i++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
		    CAPNG_BOUNDING_SET, caps[i]) == -1)
			fatalx("capng_update %d failed", caps[i]);
	/* Needs CAP_SETPCAP, which goes with capng_apply(CAPNG_SELECT_CAPS) later. */
	if (capng_apply(CAPNG_SELECT_BOUNDS) == -1)
		fatalx("cannot drop the capability bounding set");
}

/* Effective and permitted down to the set given to caps_bound(), then checked. */
static void
caps_apply(const int *caps, size_t n)
{
	clear_ambient_caps();
	if (capng_apply(CAPNG_SELECT_CAPS) == -1)
		fatal("capng_apply");
	check_caps(cap_mask(caps, n));
}

static void
set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("no_new_privs did not stick");
}

/*
 * Not dumpable: the frontend and the worker map guest memory, which must not end up in a
 * core file, and processes of the same uid (other frontends) must not ptrace them or read
 * /proc/PID/mem. Root keeps reading /proc/PID/status; /proc/PID/root and ns/ then need
 * CAP_SYS_PTRACE, which root has. (For the frontend this only makes deterministic what the
 * uid change does already with fs.suid_dumpable = 0.)
 */
static void
set_not_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("PR_SET_DUMPABLE");
}

static void
set_rlimit(int resource, rlim_t value, const char *name)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("setrlimit %s", name);
}

/* Make this process's mounts its own, so that nothing below reaches the host's table. */
static void
private_mount_namespace(void)
{
	if (unshare(CLONE_NEWNS) == -1)
		fatal("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		fatal("making every mount private");
}

/* The current directory, a mount point, becomes "/"; the old root is detached. */
static void
pivot_to_cwd(void)
{
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		fatal("pivot_root");
	/* The old root is now stacked on the new one at "."; lazily unmount all of it. */
	if (umount2(".", MNT_DETACH) == -1)
		fatal("detaching the old root");
	if (chdir("/") == -1)
		fatal("chdir /");
}

/* ---- frontend ----------------------------------------------------------------------- */

/* An empty, read-only tmpfs as "/" of a private mount namespace (bubblewrap's sequence). */
static void
frontend_empty_root_namespace(void)
{
	const char *dir = NULL;
	struct stat st;
	size_t i;

	private_mount_namespace();
	for (i = 0; i < NELEM(empty_root_mountpoints) && dir == NULL; i++)
		if (lstat(empty_root_mountpoints[i], &st) == 0 && S_ISDIR(st.st_mode))
			dir = empty_root_mountpoints[i];
	if (dir == NULL)
		fatalx("no directory to mount the empty root on");
	if (mount("privfsd-empty", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=4k,nr_inodes=4,mode=0555") == -1)
		fatal("mounting the empty root on %s", dir);
	if (chdir(dir) == -1)
		fatal("chdir %s", dir);
	pivot_to_cwd();
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL) == -1)
		fatal("remounting the empty root read-only");
}

/*
 * --sandbox=chroot is for hosts that allow no namespaces (containers), so no tmpfs can be
 * mounted without touching the host's mount table, and installed builds have no empty
 * directory of their own. A fresh directory, removed while we stand in it, is empty for
 * good: nothing can be created in a deleted directory, and nothing is left behind.
 * mkdtemp() makes it 0700 root's, so the privsep user cannot even look into it.
 */
static void
frontend_empty_root_chroot(void)
{
	char dir[] = "/tmp/privfsd-empty.XXXXXX";

	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp %s", dir);
	if (chdir(dir) == -1) {
		(void)rmdir(dir);
		fatal("chdir %s", dir);
	}
	if (rmdir(dir) == -1)
		fatal("rmdir %s", dir);
	if (chroot(".") == -1)
		fatal("chroot to the empty directory");
	if (chdir("/") == -1)
		fatal("chdir /");
}

/* OpenSSH uidswap.c permanently_set_uid(): the ids took, and root does not come back. */
static void
frontend_drop_ids(uid_t uid, gid_t gid)
{
	int rc;

	if (uid == 0 || gid == 0)
		fatalx("the frontend must not run as root (privsep user %u:%u)", uid, gid);
	clear_ambient_caps();
	capng_clear(CAPNG_SELECT_BOTH);
	if ((rc = capng_change_id(uid, gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING)) != 0)
		fatalx("capng_change_id(%u, %u) failed (%d)", uid, gid, rc);
	check_ids(uid, gid);
	if (setgid(0) != -1 || setegid(0) != -1)
		fatalx("gid 0 could be restored");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("uid 0 could be restored");
	check_caps(0);
}

/*
 * An unprivileged user's privfsd (CONFIG_USERNS): the privsep user has no id in the
 * broker's user namespace, whose only uid is 0, the invoking user on the host. The
 * frontend stays uid 0 there with no capability in any set, and SECBIT_NOROOT locked so
 * that uid 0 gives nothing back on an execve either. It shares its host uid with the
 * worker: the worker is not dumpable, so without CAP_SYS_PTRACE the frontend cannot ptrace
 * it or read its /proc files, and its seccomp filter has no kill and no ptrace.
 */
static void
frontend_keep_userns_root(void)
{
	const int bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED;

	/* Only where uid 0 is not the host's root: never root's own privfsd. */
	if (!userns.unprivileged)
		fatalx("told to stay uid 0, but this is not an unprivileged user's namespace");
	clear_ambient_caps();
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) == -1)
		fatal("PR_SET_SECUREBITS");
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOUNDS) == -1)
		fatalx("cannot drop the capability bounding set");
	if (capng_apply(CAPNG_SELECT_CAPS) == -1)
		fatal("capng_apply");
	check_ids(0, 0);
	check_caps(0);
	if ((prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & bits) != bits)
		fatalx("securebits did not stick");
}

static void
frontend_rlimits(void)
{
	struct rlimit rl;
	struct stat st;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit RLIMIT_NOFILE");
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FRONTEND_NOFILE)
		rl.rlim_max = FRONTEND_NOFILE;
	set_rlimit(RLIMIT_NOFILE, rl.rlim_max, "RLIMIT_NOFILE");
	/* After the uid change: the limit counts the privsep user's processes. */
	set_rlimit(RLIMIT_NPROC, 0, "RLIMIT_NPROC");
	/*
	 * RLIMIT_FSIZE 0 keeps a frontend that got hold of a writable file from growing it.
	 * Its stderr is the broker's log relay pipe (broker/logrelay.c), which the limit does
	 * not count; a regular file there means we were started by hand or by a foreign
	 * parent, and its first log line would raise SIGXFSZ: refuse rather than die later.
	 */
	if (fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		fatalx("stderr is a regular file: the frontend must be started by the broker");
	set_rlimit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE");
}

void
sandbox_frontend(const struct msg_config *cfg)
{
	sandbox_begin("frontend");
	switch (cfg->sandbox) {
	case SANDBOX_NAMESPACE:
		frontend_empty_root_namespace();
		break;
	case SANDBOX_CHROOT:
		frontend_empty_root_chroot();
		break;
	case SANDBOX_NONE:
		log_warnx("--sandbox=none: the frontend keeps the host's file system view");
		break;
	default:
		fatalx("unknown sandbox mode %u", cfg->sandbox);
	}
	if (cfg->flags & CONFIG_USERNS)
		frontend_keep_userns_root();
	else
		frontend_drop_ids(cfg->privsep_uid, cfg->privsep_gid);
	frontend_rlimits();
	set_no_new_privs();
	set_not_dumpable();
	if (cfg->flags & CONFIG_USERNS)
		log_debug("frontend sandbox: uid 0 of the user namespace, no capabilities");
	else
		log_debug("frontend sandbox: uid %u gid %u, no capabilities",
		    cfg->privsep_uid, cfg->privsep_gid);
	sandbox_seccomp(seccomp_frontend_list, cfg->seccomp);
}

/* ---- worker ------------------------------------------------------------------------- */

/*
 * A proc of our own, mounted over /proc in the private namespace, whose /proc/self/fd
 * stays usable through the O_PATH fd after the old root (and this mount with it) is
 * detached. subset=pid (Linux 5.8) leaves only the pid directories in it, so even ".."
 * from that fd reaches no /proc/sys or /proc/kcore.
 */
static int
worker_open_proc_namespace(void)
{
	int fd;

	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "subset=pid") == -1 && (errno != EINVAL ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)) {
		/*
		 * Only a user namespace that owns the pid namespace may mount proc, and
		 * neither an unprivileged user's (broker/userns.c) nor the worker's own
		 * (broker/worker_userns.c) does: the /proc we see stays, as with
		 * --sandbox=chroot, and goes with the old root all the same.
		 */
		if (errno != EPERM || !userns.nested)
			fatal("mounting proc");
		log_debug("worker: in a user namespace, /proc/self/fd is the host's proc");
	}
	if ((fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open /proc/self/fd");
	return fd;
}

/*
 * Per-mount flags on the bind of the shared directory and everything under it, in our
 * namespace only: no device node can be opened and no setuid bit honoured through it, no
 * symlink is followed in it (the worker resolves one component at a time and never
 * follows; readlink still works), and with --readonly nothing can be written.
 */
static void
worker_mount_flags(const char *dir, uint32_t flags)
{
	struct mount_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOSYMFOLLOW;
	if (flags & CONFIG_READONLY)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(AT_FDCWD, dir, AT_RECURSIVE, &attr, sizeof(attr)) == -1) {
		if (errno != ENOSYS && errno != EINVAL)
			fatal("mount_setattr %s", dir);
		log_warn("mount_setattr %s (kernel before 5.14?): flags not set", dir);
	}
}

/* The shared directory as "/" of a private mount namespace; no /proc left by name. */
static int
worker_root_namespace(const struct msg_config *cfg)
{
	const char *dir = cfg->shared_dir;
	int fd;

	private_mount_namespace();
	fd = worker_open_proc_namespace();
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) == -1)
		fatal("bind-mounting %s", dir);
	worker_mount_flags(dir, cfg->flags);
	if (chdir(dir) == -1)
		fatal("chdir %s", dir);
	pivot_to_cwd();
	return fd;
}

/* virtiofsd --sandbox=chroot: no namespace, the host's /proc opened before the chroot. */
static int
worker_root_chroot(const struct msg_config *cfg)
{
	int fd;

	if ((fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open /proc/self/fd");
	if (chdir(cfg->shared_dir) == -1)
		fatal("chdir %s", cfg->shared_dir);
	if (chroot(".") == -1)
		fatal("chroot %s", cfg->shared_dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	return fd;
}

static int
worker_root_none(const struct msg_config *cfg)
{
	int fd;

	log_warnx("--sandbox=none: the worker sees the whole host file system");
	if ((fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		log_warn("open /proc/self/fd");
	if (chdir(cfg->shared_dir) == -1)
		fatal("chdir %s", cfg->shared_dir);
	return fd;
}

/* The worker reopens O_PATH fds through proc_self_fd: make sure that works from here. */
static void
worker_check_reopen(int proc_self_fd)
{
	struct stat a, b;
	char name[16];
	int pfd, fd;

	if (proc_self_fd == -1)
		return;
	if ((pfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open .");
	(void)snprintf(name, sizeof(name), "%d", pfd);
	if ((fd = openat(proc_self_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("reopening through /proc/self/fd");
	if (fstat(pfd, &a) == -1 || fstat(fd, &b) == -1)
		fatal("fstat");
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fatalx("/proc/self/fd reopened another file");
	close(fd);
	close(pfd);
}

/*
 * Raise RLIMIT_NOFILE to the fd budget plus headroom. Past the hard limit only where we
 * still have CAP_SYS_RESOURCE (and within fs.nr_open); otherwise up to the hard limit, with
 * a warning that the budget is smaller than asked for.
 */
static void
worker_rlimit_nofile(uint64_t budget)
{
	struct rlimit rl, raised;
	uint64_t want;

	if (budget == 0)
		return;
	if (budget > UINT64_MAX - WORKER_NOFILE_HEADROOM)
		want = UINT64_MAX;
	else
		want = budget + WORKER_NOFILE_HEADROOM;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit RLIMIT_NOFILE");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) {
		raised.rlim_cur = raised.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			return;
		log_warnx("fd budget %llu plus %u headroom is above the hard limit %llu: "
		    "limited to %llu", (unsigned long long)budget, WORKER_NOFILE_HEADROOM,
		    (unsigned long long)rl.rlim_max, (unsigned long long)rl.rlim_max);
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("setrlimit RLIMIT_NOFILE %llu", (unsigned long long)want);
}

void
sandbox_worker(const struct msg_config *cfg, int *proc_self_fd)
{
	int caps[NELEM(worker_caps) + 1];
	size_t ncaps;
	int fd;

	sandbox_begin("worker");
	if (cfg->shared_dir[0] != '/' ||
	    memchr(cfg->shared_dir, '\0', sizeof(cfg->shared_dir)) == NULL)
		fatalx("shared directory is not an absolute path");
	memcpy(caps, worker_caps, sizeof(worker_caps));
	ncaps = NELEM(worker_caps);
	/*
	 * open_by_handle_at() needs it (--inode-file-handles, --migration-mode=file-handles);
	 * without file handles the worker does without.
	 */
	if (cfg->inode_file_handles != FILE_HANDLES_NEVER ||
	    cfg->migration_mode == MIGRATION_FILE_HANDLES)
		caps[ncaps++] = CAP_DAC_READ_SEARCH;
	/* Bounding set first, so libcap-ng reads /proc before the guest's files are "/". */
	caps_bound(caps, ncaps);

	switch (cfg->sandbox) {
	case SANDBOX_NAMESPACE:
		fd = worker_root_namespace(cfg);
		break;
	case SANDBOX_CHROOT:
		fd = worker_root_chroot(cfg);
		break;
	case SANDBOX_NONE:
		fd = worker_root_none(cfg);
		break;
	default:
		fatalx("unknown sandbox mode %u", cfg->sandbox);
	}
	worker_check_reopen(fd);
	/* While CAP_SYS_RESOURCE may still be there. */
	worker_rlimit_nofile(cfg->rlimit_nofile);

	drop_supplementary_groups();
	caps_apply(caps, ncaps);
	check_ids(0, 0);
	set_no_new_privs();
	set_not_dumpable();
	*proc_self_fd = fd;
	log_debug("worker sandbox: root %s, %zu capabilities%s", cfg->shared_dir, ncaps,
	    userns.nested ? " (in a user namespace, none in the host's)" : "");
	sandbox_seccomp(seccomp_worker_list, cfg->seccomp);
}

/* ---- respawner ---------------------------------------------------------------------- */

/*
 * No seccomp filter here: a filter is inherited across fork and exec, and every worker the
 * respawner starts would carry it on top of its own. What keeps it small is what it does
 * (broker/respawn.c): a fixed four-byte request on one socket, nothing else read.
 */
void
sandbox_respawner(void)
{
	int	caps[NELEM(worker_caps) + NELEM(respawner_extra_caps)];
	size_t	ncaps = 0, i;

	sandbox_begin("respawner");
	for (i = 0; i < NELEM(worker_caps); i++)
		caps[ncaps++] = worker_caps[i];
	/* Those the host never gave us (SYS_RESOURCE in some containers) the worker does without. */
	for (i = 0; i < NELEM(respawner_extra_caps); i++)
		if (prctl(PR_CAPBSET_READ, respawner_extra_caps[i], 0, 0, 0) == 1)
			caps[ncaps++] = respawner_extra_caps[i];
	caps_bound(caps, ncaps);
	drop_supplementary_groups();
	caps_apply(caps, ncaps);
	set_no_new_privs();
	set_not_dumpable();
	log_debug("respawner sandbox: %zu capabilities, no seccomp", ncaps);
}

/* ---- broker ------------------------------------------------------------------------- */

void
sandbox_broker(const struct msg_config *cfg)
{
	sandbox_begin("broker");
	drop_supplementary_groups();
	caps_bound(broker_caps, NELEM(broker_caps));
	caps_apply(broker_caps, NELEM(broker_caps));
	set_no_new_privs();
	log_debug("broker sandbox: CAP_KILL only");
	sandbox_seccomp(seccomp_broker_list, cfg->seccomp);
}
