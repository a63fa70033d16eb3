/*
 * sandbox-probe: runs sandbox_frontend() or sandbox_worker() in a forked child with a
 * made-up struct msg_config and reports, one "key=value" line each, what the child can
 * still do from inside (ids, capabilities, limits, what "/" holds, which calls fail) and
 * what the parent sees from outside (mount namespace, root, how the child ended).
 * tests/sandbox/sandbox-probe.sh runs it for every role and mode and checks the lines.
 *
 * usage: sandbox-probe [-hrx] [-d shared_dir] [-f nofile] [-u user]
 *            frontend|worker namespace|chroot|none kill|log|trap|none
 *   -h  inode file handles "prefer" (the worker keeps CAP_DAC_READ_SEARCH)
 *   -r  --readonly
 *   -x  set PRIVFSD_TEST_FORBIDDEN_SYSCALL to the role and call sandbox_test_hook()
 *   -a exit|asan|ubsan|openat|execve  at the end, exit() through the atexit handlers
 *       (LeakSanitizer's among them), make ASan or UBSan report (what a sanitizer build
 *       must survive), or try to open "/" or to run /bin/true (what the filter must stop)
 * The inside probes run only with seccomp "none" (they make calls no list allows).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "sandbox.h"

extern char **environ;

static struct msg_config cfg;
static int proc_self_fd = -1;
static const char *end_action = "";
static volatile int ub_int = INT32_MAX;

static const char *
res(int rc)
{
	return rc == -1 ? strerrorname_np(errno) : "ok";
}

static void
print_rlimit(const char *name, int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		err(1, "getrlimit");
	printf("rlim.%s=", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("inf/");
	else
		printf("%llu/", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf("inf\n");
	else
		printf("%llu\n", (unsigned long long)rl.rlim_max);
}

static void
probe_ids_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t bnd = 0, amb = 0;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	unsigned int cap;
	int rc;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("uid=%u/%u/%u\ngid=%u/%u/%u\ngroups=%d\n", ru, eu, su, rg, eg, sg,
	    getgroups(0, NULL));
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1)
		err(1, "capget");
	for (cap = 0; cap < 64; cap++) {
		if ((rc = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) == -1)
			break;
		if (rc == 1)
			bnd |= 1ULL << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			amb |= 1ULL << cap;
	}
	printf("cap.eff=%llx\ncap.prm=%llx\ncap.inh=%llx\ncap.bnd=%llx\ncap.amb=%llx\n",
	    (unsigned long long)(data[0].effective | (uint64_t)data[1].effective << 32),
	    (unsigned long long)(data[0].permitted | (uint64_t)data[1].permitted << 32),
	    (unsigned long long)(data[0].inheritable | (uint64_t)data[1].inheritable << 32),
	    (unsigned long long)bnd, (unsigned long long)amb);
	printf("nnp=%d\ndumpable=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	print_rlimit("nofile", RLIMIT_NOFILE);
	print_rlimit("nproc", RLIMIT_NPROC);
	print_rlimit("fsize", RLIMIT_FSIZE);
}

/* What "/" holds and whether anything else can be reached by name. */
static void
probe_root(void)
{
	struct stat a, b;
	struct dirent *de;
	DIR *d;
	int n = 0, fd;

	if (stat("/", &a) == 0)
		printf("root.dev_ino=%llu:%llu\n", (unsigned long long)a.st_dev,
		    (unsigned long long)a.st_ino);
	if (stat("/..", &b) == 0)
		printf("root.dotdot_same=%d\n", a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	if ((d = opendir("/")) == NULL)
		printf("root.list=%s\n", strerrorname_np(errno));
	else {
		printf("root.names=");
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			printf("%s/", de->d_name);
			n++;
		}
		closedir(d);
		printf("\nroot.entries=%d\n", n);
	}
	printf("open.etc_passwd=%s\n", res(open("/etc/passwd", O_RDONLY)));
	printf("stat.proc_self=%s\n", res(stat("/proc/self", &a)));
	fd = open("probe-new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	printf("create.root=%s\n", res(fd));
	if (fd != -1) {
		close(fd);
		unlink("probe-new");
	}
}

/* Ways back to privilege: all must fail (setuid(0) is no news for the worker). */
static void
probe_escapes(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	printf("setuid0=%s\n", res(setuid(0)));
	printf("setgid0=%s\n", res(setgid(0)));
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = 1U << CAP_SYS_ADMIN;
	printf("capset.sys_admin=%s\n", res(syscall(SYS_capset, &hdr, data)));
	printf("mount=%s\n", res(mount("none", "/", "tmpfs", 0, NULL)));
	printf("chroot=%s\n", res(chroot(".")));
	printf("unshare=%s\n", res(unshare(CLONE_NEWNS)));
}

/* The worker's reopen path and the mount flags of the shared directory. */
static void
probe_worker(void)
{
	char name[16], buf[64];
	ssize_t n;
	int pfd, fd;

	printf("proc_self_fd=%s\n", proc_self_fd == -1 ? "none" : "open");
	if ((pfd = open("probe-file", O_PATH | O_NOFOLLOW)) == -1)
		printf("reopen=%s\n", strerrorname_np(errno));
	else if (proc_self_fd != -1) {
		snprintf(name, sizeof(name), "%d", pfd);
		if ((fd = openat(proc_self_fd, name, O_RDONLY)) == -1)
			printf("reopen=%s\n", strerrorname_np(errno));
		else {
			n = read(fd, buf, sizeof(buf) - 1);
			buf[n < 0 ? 0 : n] = '\0';
			printf("reopen=%s\n", strcmp(buf, "probe\n") == 0 ? "ok" : "wrong");
			close(fd);
		}
	}
	printf("symlink.follow=%s\n", res(open("probe-link", O_RDONLY)));
	if (mknod("probe-null", S_IFCHR | 0600, makedev(1, 3)) == -1)
		printf("devnode.mknod=%s\n", strerrorname_np(errno));
	else {
		printf("devnode.open=%s\n", res(open("probe-null", O_RDWR)));
		unlink("probe-null");
	}
}

/* What the sanitizer run-time does on its own: leak check at exit, error reports. */
static void
end(const char *action)
{
	volatile size_t i = 8;
	volatile char *p;

	if (strcmp(action, "exit") == 0)
		exit(0);
	if (strcmp(action, "asan") == 0) {
		p = malloc(i);
		p[i] = 1;	/* heap overflow: ASan reports and exits */
		free((void *)p);
	}
	if (strcmp(action, "openat") == 0)
		printf("openat=%s\n", res(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY)));
	if (strcmp(action, "execve") == 0) {
		char *const args[] = { "true", NULL };

		printf("execve=%s\n", res(syscall(SYS_execve, "/bin/true", args, environ)));
	}
	if (strcmp(action, "ubsan") == 0) {
		ub_int++;	/* signed overflow: UBSan reports and exits */
		printf("%d\n", ub_int);
	}
}

static void
child(const char *role, int ready_fd, int go_fd, int forbidden)
{
	char c = 'R';

	if (strcmp(role, "frontend") == 0)
		sandbox_frontend(&cfg);
	else
		sandbox_worker(&cfg, &proc_self_fd);
	if (cfg.seccomp == SECCOMP_MODE_NONE) {
		probe_ids_caps();
		probe_root();
		probe_escapes();
		if (strcmp(role, "worker") == 0)
			probe_worker();
	}
	fflush(stdout);
	/* Let the parent look at us from outside, then go on. */
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) == -1)
		_exit(2);
	if (forbidden)
		sandbox_test_hook(role);
	(void)write(STDOUT_FILENO, "survived=1\n", 11);
	end(end_action);
	_exit(0);
}

/* From outside: is the child's mount namespace ours, and where is its root? */
static void
inspect(pid_t pid)
{
	char path[64], mine[64], theirs[64];
	struct stat st;
	ssize_t n;

	if ((n = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1)) == -1)
		err(1, "readlink");
	mine[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if ((n = readlink(path, theirs, sizeof(theirs) - 1)) == -1)
		err(1, "readlink %s", path);
	theirs[n] = '\0';
	printf("outside.same_mntns=%d\n", strcmp(mine, theirs) == 0);
	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	if (stat(path, &st) == 0)
		printf("outside.root_dev_ino=%llu:%llu\n", (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
	else
		printf("outside.root=%s\n", strerrorname_np(errno));
}

static enum sandbox_mode
parse_sandbox(const char *s)
{
	if (strcmp(s, "namespace") == 0)
		return SANDBOX_NAMESPACE;
	if (strcmp(s, "chroot") == 0)
		return SANDBOX_CHROOT;
	if (strcmp(s, "none") == 0)
		return SANDBOX_NONE;
	errx(1, "bad sandbox mode %s", s);
}

static enum seccomp_mode
parse_seccomp(const char *s)
{
	if (strcmp(s, "kill") == 0)
		return SECCOMP_MODE_KILL;
	if (strcmp(s, "log") == 0)
		return SECCOMP_MODE_LOG;
	if (strcmp(s, "trap") == 0)
		return SECCOMP_MODE_TRAP;
	if (strcmp(s, "none") == 0)
		return SECCOMP_MODE_NONE;
	errx(1, "bad seccomp mode %s", s);
}

int
main(int argc, char *argv[])
{
	const char *user = getenv("PRIVSEP_USER"), *errstr;
	struct passwd *pw;
	int ch, forbidden = 0, ready[2], go[2], status;
	char c;
	pid_t pid;

	if (user == NULL || *user == '\0')
		user = "privfsd";
	while ((ch = getopt(argc, argv, "a:d:f:hrxu:")) != -1) {
		switch (ch) {
		case 'a':
			end_action = optarg;
			break;
		case 'd':
			if (strlcpy(cfg.shared_dir, optarg, sizeof(cfg.shared_dir)) >=
			    sizeof(cfg.shared_dir))
				errx(1, "shared dir too long");
			break;
		case 'f':
			cfg.rlimit_nofile = strtonum(optarg, 1, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "nofile %s: %s", optarg, errstr);
			break;
		case 'h':
			cfg.inode_file_handles = FILE_HANDLES_PREFER;
			break;
		case 'r':
			cfg.flags |= CONFIG_READONLY;
			break;
		case 'u':
			user = optarg;
			break;
		case 'x':
			forbidden = 1;
			break;
		default:
			errx(1, "bad usage");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || (strcmp(argv[0], "frontend") != 0 && strcmp(argv[0], "worker") != 0))
		errx(1, "usage: sandbox-probe [-hrx] [-d dir] [-f nofile] [-u user] "
		    "frontend|worker sandbox seccomp");
	cfg.sandbox = parse_sandbox(argv[1]);
	cfg.seccomp = parse_seccomp(argv[2]);
	if ((pw = getpwnam(user)) == NULL)
		errx(1, "no user %s", user);
	cfg.privsep_uid = pw->pw_uid;
	cfg.privsep_gid = pw->pw_gid;
	if (forbidden && setenv("PRIVFSD_TEST_FORBIDDEN_SYSCALL", argv[0], 1) == -1)
		err(1, "setenv");

	log_init(0, LOG_LEVEL_DEBUG);
	log_procinit(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(ready) == -1 || pipe(go) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child(argv[0], ready[1], go[0], forbidden);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1)
		inspect(pid);
	else
		printf("outside.ready=no\n");
	close(go[1]);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (WIFSIGNALED(status))
		printf("status=signal:%d\n", WTERMSIG(status));
	else
		printf("status=exit:%d\n", WEXITSTATUS(status));
	return 0;
}
