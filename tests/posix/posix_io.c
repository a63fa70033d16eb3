/*
 * posixsuite: the data path and what writes do to a file's times: large scattered I/O read
 * back at odd offsets, concurrent O_APPEND writers, O_DIRECT, timestamp updates, running a
 * program from the mount, many open files, inode number reuse, mmap.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

#define BIG	(3 * 1024 * 1024 + 4321)

static unsigned char
pattern(off_t off)
{
	uint64_t x = (uint64_t)off * 0x9e3779b97f4a7c15ull;

	return (unsigned char)(x >> 56);
}

static int
large_io(void)
{
	static unsigned char buf[BIG], back[BIG];
	struct iovec iov[7];
	size_t sizes[7] = { 1, 4095, 4097, 65536, 131073, 1000000, 0 };
	size_t off = 0, i, j;
	off_t o;
	ssize_t n;
	int fd;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	for (i = 0; i < 6; i++) {
		iov[i].iov_base = buf + off;
		iov[i].iov_len = sizes[i];
		off += sizes[i];
	}
	iov[6].iov_base = buf + off;
	iov[6].iov_len = sizeof(buf) - off;
	T_SYS(fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T_EQ(writev(fd, iov, 7), sizeof(buf));
	/* Read back in pieces of odd sizes at odd offsets, and all at once. */
	for (o = 0; o < BIG; o += 777777) {
		size_t len = 300001;

		if (o + (off_t)len > BIG)
			len = BIG - o;
		T_EQ(pread(fd, back, len, o), len);
		for (j = 0; j < len; j++)
			T_ASSERT(back[j] == pattern(o + j), "byte %lld differs",
			    (long long)(o + j));
	}
	memset(back, 0, sizeof(back));
	T_EQ(lseek(fd, 0, SEEK_SET), 0);
	for (i = 0; i < 7; i++)
		iov[i].iov_base = back + ((unsigned char *)iov[i].iov_base - buf);
	T_SYS(n = readv(fd, iov, 7));
	T_EQ(n, sizeof(back));
	T_ASSERT(memcmp(buf, back, sizeof(buf)) == 0, "readv content differs");
	/* An overwrite in the middle, across page boundaries. */
	memset(buf + 4000, 'Z', 10000);
	T_EQ(pwrite(fd, buf + 4000, 10000, 4000), 10000);
	T_EQ(pread(fd, back, sizeof(back), 0), sizeof(back));
	T_ASSERT(memcmp(buf, back, sizeof(buf)) == 0, "content after the overwrite differs");
	close(fd);
	return R_PASS;
}

#define APPENDERS	3
#define RECORDS		300
#define RECLEN		100

static int
append_concurrent(void)
{
	static char data[APPENDERS * RECORDS * RECLEN];
	int counts[APPENDERS] = { 0 };
	pid_t pids[APPENDERS];
	ssize_t n;
	int fd, i, k, r, st;

	T_SYS(fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	close(fd);
	for (i = 0; i < APPENDERS; i++) {
		T_SYS(pids[i] = fork());
		if (pids[i] == 0) {
			char rec[RECLEN];

			alarm(30);
			if ((fd = open("f", O_WRONLY | O_APPEND)) == -1)
				_exit(1);
			for (r = 0; r < RECORDS; r++) {
				memset(rec, 'a' + i, sizeof(rec));
				snprintf(rec, sizeof(rec), "%d:%04d:", i, r);
				rec[strlen(rec)] = 'a' + i;
				rec[RECLEN - 1] = '\n';
				if (write(fd, rec, RECLEN) != RECLEN)
					_exit(2);
			}
			_exit(0);
		}
	}
	for (i = 0; i < APPENDERS; i++) {
		T_SYS(waitpid(pids[i], &st, 0));
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "appender %d failed", i);
	}
	T_SYS(fd = open("f", O_RDONLY));
	T_SYS(n = pread(fd, data, sizeof(data), 0));
	close(fd);
	T_EQ(n, sizeof(data));	/* no record overwrote another */
	for (k = 0; k < APPENDERS * RECORDS; k++) {
		const char *rec = data + k * RECLEN;

		i = rec[0] - '0';
		T_ASSERT(i >= 0 && i < APPENDERS && rec[1] == ':' && rec[RECLEN - 1] == '\n' &&
		    rec[RECLEN - 2] == 'a' + i, "record %d torn", k);
		T_EQ(strtol(rec + 2, NULL, 10), counts[i]);	/* each writer's records in its order */
		counts[i]++;
	}
	return R_PASS;
}

static int
o_direct(void)
{
	unsigned char *buf;
	int fd, i;

	fd = open("f", O_RDWR | O_CREAT | O_DIRECT, 0644);
	if (fd == -1 && errno == EINVAL)
		return skip("O_DIRECT: EINVAL (not on this file system)");
	T_SYS(fd);
	T_ASSERT(posix_memalign((void **)&buf, 4096, 8192) == 0, "posix_memalign");
	for (i = 0; i < 8192; i++)
		buf[i] = pattern(i);
	T_EQ(pwrite(fd, buf, 8192, 4096), 8192);
	memset(buf, 0, 8192);
	T_EQ(pread(fd, buf, 8192, 4096), 8192);
	for (i = 0; i < 8192; i++)
		T_ASSERT(buf[i] == pattern(i), "byte %d differs", i);
	close(fd);
	free(buf);
	return R_PASS;
}

#define OLD	1000000000	/* 2001: the stamp this check sets */

/* newer: the time moved on from OLD. */
static int
newer(const struct timespec *t)
{
	return t->tv_sec > OLD;
}

static int
times_update(void)
{
	struct timespec old[2] = { { OLD, 0 }, { OLD, 0 } };
	struct stat st, before;
	int fd;

	T_SYS(mkdir("d", 0755));
	T_SYS(put_file("d/f", "x", 0644));
	T_SYS(utimensat(AT_FDCWD, "d", old, 0));
	T_SYS(utimensat(AT_FDCWD, "d/f", old, 0));
	/* A write moves mtime and ctime, not atime. */
	T_SYS(stat("d/f", &before));
	T_SYS(fd = open("d/f", O_WRONLY));
	T_EQ(write(fd, "y", 1), 1);
	close(fd);
	T_SYS(stat("d/f", &st));
	T_ASSERT(newer(&st.st_mtim), "write left the mtime");
	T_ASSERT(st.st_atim.tv_sec == OLD, "write changed the atime");
	/* chmod moves ctime only. */
	T_SYS(utimensat(AT_FDCWD, "d/f", old, 0));
	T_SYS(stat("d/f", &before));
	usleep(20000);
	T_SYS(chmod("d/f", 0600));
	T_SYS(stat("d/f", &st));
	T_ASSERT(st.st_mtim.tv_sec == OLD, "chmod changed the mtime");
	T_ASSERT(st.st_ctim.tv_sec > before.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != before.st_ctim.tv_nsec, "chmod left the ctime");
	/* Creating and removing entries moves the directory's mtime. */
	T_SYS(put_file("d/g", "", 0644));
	T_SYS(stat("d", &st));
	T_ASSERT(newer(&st.st_mtim), "create left the directory's mtime");
	T_SYS(utimensat(AT_FDCWD, "d", old, 0));
	T_SYS(unlink("d/g"));
	T_SYS(stat("d", &st));
	T_ASSERT(newer(&st.st_mtim), "unlink left the directory's mtime");
	T_SYS(utimensat(AT_FDCWD, "d", old, 0));
	T_SYS(rename("d/f", "d/h"));
	T_SYS(stat("d", &st));
	T_ASSERT(newer(&st.st_mtim), "rename left the directory's mtime");
	/* truncate(2) moves the mtime even when the size stays. */
	T_SYS(utimensat(AT_FDCWD, "d/h", old, 0));
	T_SYS(truncate("d/h", 1));
	T_SYS(stat("d/h", &st));
	T_EQ(st.st_size, 1);
	T_ASSERT(newer(&st.st_mtim), "truncate to the same size left the mtime");
	return R_PASS;
}


/* The suite's own binary, copied onto the mount and run from there (exec maps it). */
static int
exec_file(void)
{
	static char buf[65536];
	char *argv[] = { "prog", "--exec-probe", NULL };
	pid_t pid;
	ssize_t n;
	int in, out, st;

	T_SYS(in = open("/proc/self/exe", O_RDONLY));
	T_SYS(out = open("prog", O_WRONLY | O_CREAT | O_EXCL, 0755));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		T_EQ(write(out, buf, n), n);
	T_SYS(n);
	close(in);
	T_SYS(close(out));
	T_SYS(pid = fork());
	if (pid == 0) {
		execv("./prog", argv);
		_exit(errno);
	}
	T_SYS(waitpid(pid, &st, 0));
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 42, "the copy did not run (status %#x)",
	    st);
	/* A running program's file cannot be opened for writing. */
	T_SYS(pid = fork());
	if (pid == 0) {
		char *sleeper[] = { "prog", "--exec-probe", "sleep", NULL };

		execv("./prog", sleeper);
		_exit(errno);
	}
	usleep(300000);
	errno = 0;
	out = open("prog", O_WRONLY);
	st = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	T_ASSERT(out == -1 && st == ETXTBSY, "open for writing of a running program: %s",
	    out == -1 ? ename(st) : "success");
	T_SYS(chmod("prog", 0644));
	T_SYS(pid = fork());
	if (pid == 0) {
		execv("./prog", argv);
		_exit(errno);
	}
	T_SYS(waitpid(pid, &st, 0));
	/* even root needs an x bit */
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == EACCES, "exec of a 0644 file: %#x", st);
	return R_PASS;
}

/* Many files open at once, each with its own content. */
static int
many_open(void)
{
	enum { N = 600 };
	static int fds[N];
	char name[32], buf[32], want[32];
	int i, len;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%04d", i);
		T_SYS(fds[i] = open(name, O_RDWR | O_CREAT | O_EXCL, 0644));
		len = snprintf(want, sizeof(want), "file %d", i);
		T_EQ(write(fds[i], want, len), len);
	}
	for (i = N - 1; i >= 0; i--) {
		len = snprintf(want, sizeof(want), "file %d", i);
		T_EQ(pread(fds[i], buf, sizeof(buf), 0), len);
		T_ASSERT(memcmp(buf, want, len) == 0, "f%04d holds %.*s", i, len, buf);
		T_SYS(close(fds[i]));
	}
	return R_PASS;
}

/*
 * A host inode number used again: the old file is gone, a new one takes its number, and
 * nothing of the old one shows through the new name.
 */
static int
ino_reuse(void)
{
	struct stat st;
	char want[32];
	int i, fd;

	for (i = 0; i < 30; i++) {
		snprintf(want, sizeof(want), "generation %d", i);
		T_SYS(fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0600 | (i & 1 ? 044 : 0)));
		T_EQ(write(fd, want, strlen(want)), strlen(want));
		T_SYS(fstat(fd, &st));
		T_EQ(st.st_mode & 0777, i & 1 ? 0644 : 0600);
		T_SYS(close(fd));
		T_ASSERT(file_is("f", want), "f does not hold \"%s\"", want);
		T_SYS(stat("f", &st));
		T_EQ(st.st_size, strlen(want));
		T_EQ(st.st_nlink, 1);
		T_SYS(unlink("f"));
		if (i % 10 == 9)
			drop_caches();
	}
	return R_PASS;
}

static int
rename_open(void)
{
	char buf[16];
	int fd;

	T_SYS(mkdir("d", 0755));
	T_SYS(put_file("a", "0123", 0644));
	T_SYS(fd = open("a", O_RDWR));
	T_SYS(rename("a", "d/b"));
	T_EQ(pwrite(fd, "XY", 2, 1), 2);
	T_ASSERT(file_is("d/b", "0XY3"), "write through an fd opened before the rename");
	T_SYS(rename("d", "e"));
	T_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	T_SYS(fsync(fd));
	close(fd);
	T_ASSERT(file_is("e/b", "0XY3"), "e/b");
	return R_PASS;
}

static int
mmap_shared(void)
{
	char buf[16], *p;
	int fd;

	T_SYS(fd = open("f", O_RDWR | O_CREAT, 0644));
	T_SYS(ftruncate(fd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED && (errno == ENODEV || errno == EINVAL))
		return skip("MAP_SHARED: %s (no shared mmap on this mount)", ename(errno));
	T_ASSERT(p != MAP_FAILED, "mmap: %s", ename(errno));
	memcpy(p + 100, "mapped", 6);
	T_SYS(msync(p, 4096, MS_SYNC));
	T_EQ(pread(fd, buf, 6, 100), 6);
	T_ASSERT(memcmp(buf, "mapped", 6) == 0, "read(2) does not see the mapped write");
	T_EQ(pwrite(fd, "WRITE", 5, 200), 5);
	T_ASSERT(memcmp(p + 200, "WRITE", 5) == 0, "the mapping does not see write(2)");
	munmap(p, 4096);
	close(fd);
	return R_PASS;
}

static int
mmap_private(void)
{
	char *p;
	int fd;

	T_SYS(put_file("f", "private mapping", 0644));
	T_SYS(fd = open("f", O_RDONLY));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	T_ASSERT(p != MAP_FAILED, "mmap MAP_PRIVATE: %s", ename(errno));
	T_ASSERT(memcmp(p, "private mapping", 15) == 0 && p[15] == 0, "mapped content");
	p[0] = 'P';	/* copy on write, never reaches the file */
	munmap(p, 4096);
	close(fd);
	T_ASSERT(file_is("f", "private mapping"), "a private write reached the file");
	return R_PASS;
}

const struct check io_checks[] = {
	{ "large_io", large_io, 0 },
	{ "append_concurrent", append_concurrent, 0 },
	{ "o_direct", o_direct, 0 },
	{ "times_update", times_update, 0 },
	{ "exec_file", exec_file, 0 },
	{ "many_open", many_open, 0 },
	{ "ino_reuse", ino_reuse, 0 },
	{ "rename_open", rename_open, 0 },
	{ "mmap_shared", mmap_shared, 0 },
	{ "mmap_private", mmap_private, 0 },
	{ NULL, NULL, 0 }
};
