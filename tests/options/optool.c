/*
 * optool: the small static program the option tests run inside the end-to-end guest (whose
 * busybox has no setfattr, no O_DIRECT, no locks) and on the host. One action per call;
 * prints "OK ..." or "ERR <errno name>" and exits 0 or 1.
 *
 *   optool xset PATH NAME VALUE | xget PATH NAME | xlist PATH | xrm PATH NAME
 *   optool aclset PATH UID		a POSIX access ACL: owner rwx, UID rw-, group r, other r
 *   optool stat PATH			"OK ino dev mode(octal) uid gid size"
 *   optool open PATH FLAG...		rdonly wronly rdwr creat direct noatime; then
 *					direct: one aligned 4 KiB write (if writable) and read;
 *					else one read of up to 4 KiB (if readable)
 *   optool append PATH TEXT		appends TEXT and a newline
 *   optool mmap PATH shared|private	maps the first page and reads it
 *   optool hold DIR N			creates and keeps DIR/h0..h(N-1) open; prints how many
 *					opened and the first error; closes them
 *   optool lockstall FILE OTHER	one child holds a write lock on FILE, another waits in
 *					F_SETLKW; meanwhile reading OTHER must not stall:
 *					"OK ms=N" (time of the read)
 *   optool asuser UID GID ACTION...	runs ACTION with those ids, no supplementary groups
 *   optool pattern-write PATH MIB SEED | pattern-check PATH MIB SEED	a fast pseudo-random
 *					stream (xorshift64), written in 1 MiB blocks / compared
 *   optool pattern-cat MIB SEED	the stream on stdout (host side, for sha256sum)
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB	(1024 * 1024)

static int	run(int argc, char **argv);

static const char *
ename(int e)
{
	static char buf[32];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ENOTSUP: return "EOPNOTSUPP";
	case ENODATA: return "ENODATA";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ERANGE: return "ERANGE";
	default:
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
}

static int
err(const char *what)
{
	printf("ERR %s %s\n", ename(errno), what);
	return 1;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
do_xattr(int argc, char **argv)
{
	char	buf[65536];
	ssize_t	n, i;

	if (strcmp(argv[1], "xset") == 0 && argc == 5) {
		if (setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) == -1)
			return err("setxattr");
		printf("OK\n");
	} else if (strcmp(argv[1], "xget") == 0 && argc == 4) {
		if ((n = getxattr(argv[2], argv[3], buf, sizeof(buf) - 1)) == -1)
			return err("getxattr");
		buf[n] = '\0';
		printf("OK %s\n", buf);
	} else if (strcmp(argv[1], "xlist") == 0 && argc == 3) {
		if ((n = listxattr(argv[2], buf, sizeof(buf))) == -1)
			return err("listxattr");
		printf("OK");
		for (i = 0; i < n; i += strlen(buf + i) + 1)
			printf(" %s", buf + i);
		printf("\n");
	} else if (strcmp(argv[1], "xrm") == 0 && argc == 4) {
		if (removexattr(argv[2], argv[3]) == -1)
			return err("removexattr");
		printf("OK\n");
	} else
		return 2;
	return 0;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static int
do_aclset(const char *path, uint32_t uid)
{
	/* system.posix_acl_access: version 2, then (tag, perm, id) sorted by tag. */
	static const struct { uint16_t tag, perm; int use_uid; } e[] = {
		{ 0x01, 7, 0 }, { 0x02, 6, 1 }, { 0x04, 4, 0 }, { 0x10, 6, 0 }, { 0x20, 4, 0 },
	};
	unsigned char	v[4 + 5 * 8];
	size_t		i;

	put32(v, 2);
	for (i = 0; i < 5; i++) {
		put16(v + 4 + i * 8, e[i].tag);
		put16(v + 6 + i * 8, e[i].perm);
		put32(v + 8 + i * 8, e[i].use_uid ? uid : 0xffffffff);
	}
	if (setxattr(path, "system.posix_acl_access", v, sizeof(v), 0) == -1)
		return err("setxattr acl");
	printf("OK\n");
	return 0;
}

static int
do_stat(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return err("lstat");
	printf("OK %llu %llu %o %u %u %lld\n", (unsigned long long)st.st_ino,
	    (unsigned long long)st.st_dev, (unsigned)st.st_mode, (unsigned)st.st_uid,
	    (unsigned)st.st_gid, (long long)st.st_size);
	return 0;
}

static int
do_open(int argc, char **argv)
{
	int	 flags = 0, i, fd, direct = 0;
	void	*buf;
	char	 rbuf[4096];

	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "rdonly") == 0) flags |= O_RDONLY;
		else if (strcmp(argv[i], "wronly") == 0) flags |= O_WRONLY;
		else if (strcmp(argv[i], "rdwr") == 0) flags |= O_RDWR;
		else if (strcmp(argv[i], "creat") == 0) flags |= O_CREAT;
		else if (strcmp(argv[i], "direct") == 0) { flags |= O_DIRECT; direct = 1; }
		else if (strcmp(argv[i], "noatime") == 0) flags |= O_NOATIME;
		else return 2;
	}
	if ((fd = open(argv[2], flags, 0644)) == -1)
		return err("open");
	if (direct) {
		if (posix_memalign(&buf, 4096, 4096) != 0)
			return err("memalign");
		memset(buf, 'D', 4096);
		if ((flags & O_ACCMODE) != O_RDONLY && pwrite(fd, buf, 4096, 0) != 4096)
			return err("pwrite O_DIRECT");
		if ((flags & O_ACCMODE) != O_WRONLY && pread(fd, buf, 4096, 0) < 0)
			return err("pread O_DIRECT");
	} else if ((flags & O_ACCMODE) != O_WRONLY && read(fd, rbuf, sizeof(rbuf)) < 0)
		return err("read");
	printf("OK\n");
	return 0;
}

static int
do_append(const char *path, const char *text)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_APPEND)) == -1)
		return err("open");
	if (dprintf(fd, "%s\n", text) < 0 || close(fd) == -1)
		return err("write");
	printf("OK\n");
	return 0;
}

static int
do_mmap(const char *path, const char *how)
{
	int	 fd, shared = strcmp(how, "shared") == 0;
	char	*p;

	if ((fd = open(path, O_RDONLY)) == -1)
		return err("open");
	/* A read-only MAP_SHARED still needs what a shared mapping needs (VM_MAYSHARE). */
	p = mmap(NULL, 4096, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return err("mmap");
	printf("OK %c\n", p[0]);
	return 0;
}

static int
do_hold(const char *dir, int n)
{
	char	path[4096];
	int	i, fd, opened = 0, first = 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/h%d", dir, i);
		if ((fd = open(path, O_RDWR | O_CREAT, 0644)) == -1) {
			if (first == 0)
				first = errno;
			continue;
		}
		opened++;
	}
	printf("%s opened=%d first_error=%s\n", first ? "ERR" : "OK", opened,
	    first ? ename(first) : "none");
	return first ? 1 : 0;
}

static void
lock_file(const char *file, int cmd, int hold_s)
{
	struct flock	fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int		fd;

	if ((fd = open(file, O_RDWR)) == -1 || fcntl(fd, cmd, &fl) == -1)
		_exit(1);
	sleep(hold_s);
	_exit(0);
}

static int
do_lockstall(const char *file, const char *other)
{
	struct timespec	t0;
	pid_t		holder, waiter;
	char		buf[4096];
	int		fd, st;
	long		ms;

	if ((holder = fork()) == 0)
		lock_file(file, F_SETLK, 4);
	usleep(500000);
	if ((waiter = fork()) == 0)
		lock_file(file, F_SETLKW, 0);
	usleep(500000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = open(other, O_RDONLY)) == -1 || read(fd, buf, sizeof(buf)) < 0)
		return err("read other");
	close(fd);
	ms = ms_since(&t0);
	waitpid(holder, &st, 0);
	waitpid(waiter, &st, 0);
	printf("%s ms=%ld waiter=%d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "OK" : "ERR",
	    ms, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static void
pattern_fill(uint64_t *s, uint64_t *buf, size_t n)
{
	uint64_t x = *s;
	size_t	 i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	*s = x;
}

static int
do_pattern(const char *what, const char *path, long mib, uint64_t seed)
{
	static uint64_t	want[MIB / 8], got[MIB / 8];
	struct timespec	t0;
	uint64_t	s = seed | 1;
	long		i;
	ssize_t		n;
	int		fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(what, "pattern-cat") == 0)
		fd = 1;
	else if (strcmp(what, "pattern-write") == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	else
		fd = open(path, O_RDONLY);
	if (fd == -1)
		return err("open");
	for (i = 0; i < mib; i++) {
		pattern_fill(&s, want, MIB / 8);
		if (strcmp(what, "pattern-check") != 0) {
			if (write(fd, want, MIB) != MIB)
				return err("write");
			continue;
		}
		for (n = 0; n < MIB; ) {
			ssize_t r = read(fd, (char *)got + n, MIB - n);
			if (r <= 0) {
				printf("ERR short read at MiB %ld\n", i);
				return 1;
			}
			n += r;
		}
		if (memcmp(want, got, MIB) != 0) {
			printf("ERR mismatch in MiB %ld\n", i);
			return 1;
		}
	}
	if (fd != 1 && (fsync(fd) == -1 || close(fd) == -1))
		return err("fsync/close");
	if (fd != 1)
		printf("OK mib=%ld ms=%ld\n", mib, ms_since(&t0));
	return 0;
}

static int
do_asuser(int argc, char **argv)
{
	uid_t	uid = strtoul(argv[2], NULL, 10);
	gid_t	gid = strtoul(argv[3], NULL, 10);

	if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return err("set ids");
	return run(argc - 3, argv + 3);
}

static int
run(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";

	if (argv[1][0] == 'x')
		return do_xattr(argc, argv);
	if (strcmp(a, "aclset") == 0 && argc == 4)
		return do_aclset(argv[2], strtoul(argv[3], NULL, 10));
	if (strcmp(a, "stat") == 0 && argc == 3)
		return do_stat(argv[2]);
	if (strcmp(a, "open") == 0 && argc >= 3)
		return do_open(argc, argv);
	if (strcmp(a, "append") == 0 && argc == 4)
		return do_append(argv[2], argv[3]);
	if (strcmp(a, "mmap") == 0 && argc == 4)
		return do_mmap(argv[2], argv[3]);
	if (strcmp(a, "hold") == 0 && argc == 4)
		return do_hold(argv[2], (int)strtol(argv[3], NULL, 10));
	if (strcmp(a, "lockstall") == 0 && argc == 4)
		return do_lockstall(argv[2], argv[3]);
	if (strcmp(a, "asuser") == 0 && argc >= 5)
		return do_asuser(argc, argv);
	if (strncmp(a, "pattern-", 8) == 0 && argc == 5)
		return do_pattern(a, argv[2], strtol(argv[3], NULL, 10), strtoull(argv[4], NULL, 0));
	if (strcmp(a, "pattern-cat") == 0 && argc == 4)
		return do_pattern(a, NULL, strtol(argv[2], NULL, 10), strtoull(argv[3], NULL, 0));
	fprintf(stderr, "optool: bad arguments\n");
	return 2;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "optool: bad arguments\n");
		return 2;
	}
	return run(argc, argv);
}
