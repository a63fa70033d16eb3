/*
 * posixsuite DIR [--uid UID --gid GID] [--drop] [--many N] [--keep] [--only NAME]
 *
 * Runs every check in a fresh subdirectory of DIR and prints one TAP-style line per check,
 * then "posixsuite: N passed, N failed, N skipped". Exit 1 when a check failed.
 *   --uid/--gid  the unprivileged user of the permission checks (run as root)
 *   --drop       run the whole suite as UID/GID (root-only checks are skipped)
 *   --many N     entries of the big-directory check (default 10000)
 *   --keep       leave the scratch directory behind
 *   --only NAME  run only the checks whose name contains NAME
 * Static, no library beyond libc: it runs in a busybox guest.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

#define FUSE_SUPER_MAGIC	0x65735546
#define CHECK_TIMEOUT		60	/* seconds one check may take */

uid_t	ps_uid;
gid_t	ps_gid;
int	ps_root;
int	ps_fuse;
long	ps_many = 10000;

static int	have_user;
static char	msg[1024];
static int	result_fd = -1;

int
fail_at(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "line %d: ", line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	return R_FAIL;
}

int
skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return R_SKIP;
}

/* note: a diagnostic for the report, passed up to the parent as a "# " line. */
void
note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "N");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (result_fd != -1) {
		n = strlen(buf);
		buf[n] = '\n';
		if (write(result_fd, buf, n + 1) == -1)
			_exit(3);
	}
}

const char *
ename(int e)
{
	const char *s;

	if (e == 0)
		return "0";
	s = strerrorname_np(e);
	return s != NULL ? s : "E?";
}

int
user_groups(void)
{
	gid_t	groups[2] = { ps_gid, PS_SUPP_GID(ps_gid) };

	return setgroups(2, groups);
}

pid_t
user_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid != 0)
		return pid;
	if (user_groups() == -1 || setgid(ps_gid) == -1 || setuid(ps_uid) == -1)
		_exit(250);
	return 0;
}

int
user_wait(pid_t pid)
{
	int st;

	if (pid == -1)
		return -1;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) >= 250 ? -WEXITSTATUS(st) : WEXITSTATUS(st);
	return -2;
}

int
put_file(const char *path, const char *data, mode_t mode)
{
	int fd;
	ssize_t n;
	size_t len = strlen(data);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1)
		return -1;
	n = write(fd, data, len);
	if (close(fd) == -1 || n != (ssize_t)len)
		return -1;
	return 0;
}

/* file_is: 1 when PATH holds exactly DATA. */
int
file_is(const char *path, const char *data)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(data) && memcmp(buf, data, n) == 0;
}

/* file_mode: the permission and set-id bits of PATH (lstat), -1 when it is not there. */
long long
file_mode(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	return st.st_mode & 07777;
}

/*
 * drop_caches: on a FUSE mount makes the guest forget its dentries and inodes, so the
 * next access looks names up in the back-end again (and gets its node ids anew).
 */
void
drop_caches(void)
{
	int fd;

	if (!ps_fuse || !ps_root)
		return;
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd == -1)
		return;
	if (write(fd, "2\n", 2) == -1)
		note("drop_caches: %s", ename(errno));
	close(fd);
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == -1 ? -1 : 0;
	return unlink(path) == -1 ? -1 : 0;
}

static int
rm_tree(const char *path)
{
	return nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS);
}

/* run_child: the forked side of one check. */
static void
run_child(const struct check *c, const char *dir, int fd)
{
	char line[1100];
	int r, n;

	result_fd = fd;
	alarm(CHECK_TIMEOUT);
	if (chdir(dir) == -1) {
		r = fail_at(__LINE__, "chdir %s: %s", dir, ename(errno));
	} else {
		msg[0] = '\0';
		r = c->fn();
	}
	n = snprintf(line, sizeof(line), "R%d%s\n", r, msg);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	if (write(fd, line, n) == -1)
		_exit(3);
	_exit(0);
}

/* run_check: forks the check, reads its result; returns R_*. */
static int
run_check(const struct check *c, const char *top, int num)
{
	char dir[PATH_MAX], buf[4096], res[1100] = "";
	size_t have = 0;
	ssize_t n;
	pid_t pid;
	int p[2], st, r = -1;
	char *nl, *s;

	if ((c->flags & (C_ROOT | C_USER)) && !ps_root) {
		printf("ok %d %s # SKIP needs root\n", num, c->name);
		return R_SKIP;
	}
	if ((c->flags & C_USER) && !have_user) {
		printf("ok %d %s # SKIP needs --uid\n", num, c->name);
		return R_SKIP;
	}
	if (snprintf(dir, sizeof(dir), "%s/%03d-%s", top, num, c->name) >= (int)sizeof(dir) ||
	    mkdir(dir, 0755) == -1 || chmod(dir, 0755) == -1) {
		printf("not ok %d %s: mkdir %s: %s\n", num, c->name, dir, ename(errno));
		return R_FAIL;
	}
	fflush(stdout);
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		printf("not ok %d %s: fork: %s\n", num, c->name, ename(errno));
		return R_FAIL;
	}
	if (pid == 0) {
		close(p[0]);
		run_child(c, dir, p[1]);
	}
	close(p[1]);
	for (;;) {
		n = read(p[0], buf + have, sizeof(buf) - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (buf[0] == 'N')
				printf("# %s: %s\n", c->name, buf + 1);
			else if (buf[0] == 'R' && buf[1] >= '0' && buf[1] <= '2') {
				r = buf[1] - '0';
				snprintf(res, sizeof(res), "%.1000s", buf + 2);
			}
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (r == -1) {
		if (WIFSIGNALED(st))
			snprintf(res, sizeof(res), "killed by signal %d%s", WTERMSIG(st),
			    WTERMSIG(st) == SIGALRM ? " (time-out)" : "");
		else
			snprintf(res, sizeof(res), "no result (exit %d)", WEXITSTATUS(st));
		r = R_FAIL;
	}
	for (s = res; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
	if (r == R_PASS)
		printf("ok %d %s\n", num, c->name);
	else if (r == R_SKIP)
		printf("ok %d %s # SKIP %s\n", num, c->name, res);
	else
		printf("not ok %d %s: %s\n", num, c->name, res);
	fflush(stdout);
	return r;
}

static long
number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "posixsuite: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: posixsuite DIR [--uid UID --gid GID] [--drop] [--many N] "
	    "[--keep] [--only NAME]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const struct check *tables[] = { files_checks, links_checks, space_checks,
	    io_checks, dirs_checks, perm_checks, locks_checks, xattr_checks, NULL };
	const struct check *c;
	const char *dir = NULL, *only = NULL;
	char top[PATH_MAX];
	struct statfs sfs;
	int i, t, num = 0, drop = 0, keep = 0, counts[3] = { 0, 0, 0 };

	/* exec_file runs a copy of this program: it answers 42 (after a pause if asked). */
	if (argc >= 2 && strcmp(argv[1], "--exec-probe") == 0) {
		if (argc == 3)
			sleep(5);
		return 42;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
			ps_uid = number(argv[++i], 65534);
			have_user = 1;
		} else if (strcmp(argv[i], "--gid") == 0 && i + 1 < argc)
			ps_gid = number(argv[++i], 65534);
		else if (strcmp(argv[i], "--many") == 0 && i + 1 < argc)
			ps_many = number(argv[++i], 1000000);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--drop") == 0)
			drop = 1;
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else if (argv[i][0] == '-' || dir != NULL)
			usage();
		else
			dir = argv[i];
	}
	if (dir == NULL || (have_user && ps_uid == 0) || (drop && !have_user))
		usage();
	if (have_user && ps_gid == 0)
		ps_gid = ps_uid;
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	if (drop && (user_groups() == -1 || setgid(ps_gid) == -1 ||
	    setuid(ps_uid) == -1)) {
		fprintf(stderr, "posixsuite: dropping to %u:%u: %s\n", (unsigned)ps_uid,
		    (unsigned)ps_gid, strerror(errno));
		return 2;
	}
	ps_root = geteuid() == 0;
	if (statfs(dir, &sfs) == -1) {
		fprintf(stderr, "posixsuite: statfs %s: %s\n", dir, strerror(errno));
		return 2;
	}
	ps_fuse = sfs.f_type == FUSE_SUPER_MAGIC;
	if (snprintf(top, sizeof(top), "%s/posixsuite.XXXXXX", dir) >= (int)sizeof(top) ||
	    mkdtemp(top) == NULL || chmod(top, 0755) == -1) {
		fprintf(stderr, "posixsuite: scratch directory in %s: %s\n", dir, strerror(errno));
		return 2;
	}
	printf("# posixsuite in %s: uid %u, user %s%u:%u, fs type 0x%lx%s\n", top,
	    (unsigned)geteuid(), have_user ? "" : "(none) ", (unsigned)ps_uid,
	    (unsigned)ps_gid, (unsigned long)sfs.f_type, ps_fuse ? " (fuse)" : "");
	for (t = 0; tables[t] != NULL; t++)
		for (c = tables[t]; c->name != NULL; c++) {
			num++;
			if (only != NULL && strstr(c->name, only) == NULL)
				continue;
			counts[run_check(c, top, num)]++;
		}
	if (!keep && rm_tree(top) == -1) {
		printf("not ok %d cleanup: removing %s: %s\n", ++num, top, ename(errno));
		counts[R_FAIL]++;
	}
	printf("1..%d\n", num);
	printf("posixsuite: %d passed, %d failed, %d skipped\n", counts[R_PASS], counts[R_FAIL],
	    counts[R_SKIP]);
	return counts[R_FAIL] != 0;
}
