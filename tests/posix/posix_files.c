/*
 * posixsuite: regular files, links, special files, times, space management, I/O paths.
 * The errno values are those ext4 and tmpfs give on Linux 6.1.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>

#include "posix.h"

static int
create_excl(void)
{
	int fd;

	T_SYS(fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
	close(fd);
	T_ERR(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	T_SYS(symlink("missing", "dangling"));
	T_ERR(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	T_ERR(access("missing", F_OK), ENOENT);
	T_SYS(fd = open("f", O_WRONLY | O_CREAT, 0600));	/* no O_EXCL: opens it */
	close(fd);
	T_MODE("f", 0644);
	return R_PASS;
}

static int
read_write(void)
{
	char buf[64];
	int fd;

	T_SYS(fd = open("f", O_RDWR | O_CREAT, 0644));
	T_EQ(write(fd, "hello, ", 7), 7);
	T_EQ(write(fd, "world", 5), 5);
	T_EQ(lseek(fd, 0, SEEK_CUR), 12);
	T_EQ(pwrite(fd, "W", 1, 7), 1);
	T_EQ(lseek(fd, 0, SEEK_CUR), 12);	/* pwrite leaves the offset */
	T_EQ(pread(fd, buf, sizeof(buf), 0), 12);
	T_ASSERT(memcmp(buf, "hello, World", 12) == 0, "pread got %.12s", buf);
	T_EQ(read(fd, buf, sizeof(buf)), 0);	/* at EOF */
	T_EQ(pread(fd, buf, 4, 10), 2);		/* short read at EOF */
	T_EQ(pwrite(fd, "!", 1, 20), 1);	/* past EOF: a zero-filled gap */
	T_EQ(pread(fd, buf, sizeof(buf), 0), 21);
	T_ASSERT(buf[12] == 0 && buf[19] == 0 && buf[20] == '!', "gap not zero-filled");
	T_ERR(pread(fd, buf, 1, -1), EINVAL);
	close(fd);
	T_SYS(fd = open("f", O_RDONLY));
	T_ERR(write(fd, "x", 1), EBADF);
	close(fd);
	return R_PASS;
}

static int
o_append(void)
{
	char buf[32];
	int fd;

	T_SYS(put_file("f", "0123", 0644));
	T_SYS(fd = open("f", O_WRONLY | O_APPEND));
	T_SYS(lseek(fd, 0, SEEK_SET));
	T_EQ(write(fd, "ab", 2), 2);
	T_EQ(lseek(fd, 0, SEEK_CUR), 6);
	/* Linux: pwrite on an O_APPEND descriptor appends, whatever the offset. */
	T_EQ(pwrite(fd, "cd", 2, 0), 2);
	close(fd);
	T_SYS(fd = open("f", O_RDONLY));
	T_EQ(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	T_ASSERT(memcmp(buf, "0123abcd", 8) == 0, "content %.8s, want 0123abcd", buf);
	return R_PASS;
}

static int
o_trunc(void)
{
	struct stat st;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int fd;

	T_SYS(put_file("f", "some content", 0644));
	T_SYS(utimensat(AT_FDCWD, "f", ts, 0));
	T_SYS(fd = open("f", O_WRONLY | O_TRUNC));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, 0);
	T_ASSERT(st.st_mtime != 1000000000, "O_TRUNC left the mtime");
	close(fd);
	/* O_TRUNC on an empty file is no change, O_RDONLY|O_TRUNC truncates too on Linux. */
	T_SYS(put_file("g", "abc", 0644));
	T_SYS(fd = open("g", O_RDONLY | O_TRUNC));
	close(fd);
	T_SYS(stat("g", &st));
	T_EQ(st.st_size, 0);
	return R_PASS;
}

static int
truncate_grow_shrink(void)
{
	char buf[100];
	struct stat st;
	int fd, i;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(truncate("f", 10000));
	T_SYS(stat("f", &st));
	T_EQ(st.st_size, 10000);
	T_SYS(fd = open("f", O_RDWR));
	T_EQ(pread(fd, buf, sizeof(buf), 5), 100);
	T_ASSERT(memcmp(buf, "56789", 5) == 0, "data lost on grow");
	for (i = 5; i < 100; i++)
		T_ASSERT(buf[i] == 0, "byte %d not zero after grow", i + 5);
	T_SYS(ftruncate(fd, 4));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, 4);
	T_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	T_ASSERT(memcmp(buf, "0123", 4) == 0, "data lost on shrink");
	/* grow again: the cut bytes must not come back */
	T_SYS(ftruncate(fd, 8));
	T_EQ(pread(fd, buf, sizeof(buf), 0), 8);
	T_ASSERT(memcmp(buf, "0123\0\0\0\0", 8) == 0, "old bytes came back after shrink+grow");
	T_ERR(ftruncate(fd, -1), EINVAL);
	close(fd);
	T_ERR(truncate("f", -1), EINVAL);
	T_SYS(fd = open("f", O_RDONLY));
	T_ERR(ftruncate(fd, 0), EINVAL);
	close(fd);
	T_SYS(mkdir("d", 0755));
	T_ERR(truncate("d", 0), EISDIR);
	T_ERR(truncate("missing", 0), ENOENT);
	return R_PASS;
}

static int
unlink_open(void)
{
	char buf[16];
	struct stat st;
	int fd;

	T_SYS(put_file("f", "still here", 0644));
	T_SYS(fd = open("f", O_RDWR));
	T_SYS(unlink("f"));
	T_ERR(stat("f", &st), ENOENT);
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_nlink, 0);
	T_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	T_ASSERT(memcmp(buf, "still here", 10) == 0, "content changed");
	T_EQ(pwrite(fd, "S", 1, 0), 1);
	T_EQ(pread(fd, buf, 1, 0), 1);
	T_ASSERT(buf[0] == 'S', "write to an unlinked file lost");
	T_SYS(fchmod(fd, 0600));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_mode & 07777, 0600);
	T_SYS(close(fd));
	T_ERR(unlink("f"), ENOENT);
	return R_PASS;
}

static int
rename_over(void)
{
	struct stat a, b;

	T_SYS(put_file("a", "A", 0644));
	T_SYS(put_file("b", "B", 0644));
	T_SYS(stat("a", &a));
	T_SYS(rename("a", "b"));
	T_ERR(access("a", F_OK), ENOENT);
	T_SYS(stat("b", &b));
	T_EQ(b.st_ino, a.st_ino);
	T_ASSERT(file_is("b", "A"), "b does not hold a's content");
	T_SYS(rename("b", "b"));	/* onto itself: nothing happens */
	T_ASSERT(file_is("b", "A"), "rename onto itself changed b");
	T_SYS(mkdir("d1", 0755));
	T_SYS(mkdir("d2", 0755));
	T_SYS(mkdir("full", 0755));
	T_SYS(put_file("full/x", "", 0644));
	T_SYS(rename("d1", "d2"));	/* a directory over an empty one */
	T_ERR(access("d1", F_OK), ENOENT);
	T_ERR(rename("d2", "full"), ENOTEMPTY);
	T_ERR(rename("b", "d2"), EISDIR);
	T_ERR(rename("d2", "b"), ENOTDIR);
	T_ERR(rename("d2", "d2/sub"), EINVAL);	/* into its own subtree */
	T_ERR(rename("missing", "c"), ENOENT);
	T_SYS(rename("b", "full/y"));	/* across directories */
	T_ASSERT(file_is("full/y", "A"), "full/y");
	/* A moved directory's ".." is its new parent. */
	T_SYS(mkdir("d2/sub", 0755));
	T_SYS(rename("d2/sub", "full/sub"));
	T_SYS(stat("full/sub/..", &a));
	T_SYS(stat("full", &b));
	T_EQ(a.st_ino, b.st_ino);
	T_SYS(stat("d2", &b));
	T_EQ(b.st_nlink, 2);
	return R_PASS;
}

static int
rename_noreplace(void)
{
	T_SYS(put_file("a", "A", 0644));
	T_SYS(put_file("b", "B", 0644));
	T_ERR(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
	T_ASSERT(file_is("a", "A") && file_is("b", "B"), "a failed NOREPLACE changed things");
	T_SYS(renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	T_ASSERT(file_is("c", "A"), "c");
	T_ERR(access("a", F_OK), ENOENT);
	T_ERR(renameat2(AT_FDCWD, "b", AT_FDCWD, "c", RENAME_NOREPLACE | RENAME_EXCHANGE),
	    EINVAL);
	return R_PASS;
}

static int
rename_exchange(void)
{
	struct stat a, b, a2, b2;

	T_SYS(put_file("a", "A", 0644));
	T_SYS(mkdir("d", 0755));
	T_SYS(stat("a", &a));
	T_SYS(stat("d", &b));
	T_SYS(renameat2(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_EXCHANGE));
	T_SYS(stat("a", &a2));
	T_SYS(stat("d", &b2));
	T_EQ(a2.st_ino, b.st_ino);
	T_EQ(b2.st_ino, a.st_ino);
	T_ASSERT(S_ISDIR(a2.st_mode) && S_ISREG(b2.st_mode), "types not swapped");
	T_ASSERT(file_is("d", "A"), "d does not hold A");
	T_ERR(renameat2(AT_FDCWD, "d", AT_FDCWD, "missing", RENAME_EXCHANGE), ENOENT);
	return R_PASS;
}

static int
rename_whiteout(void)
{
	struct stat st;

	T_SYS(put_file("a", "A", 0644));
	if (renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_WHITEOUT) == -1) {
		if (errno == EINVAL || errno == EPERM || errno == EOPNOTSUPP)
			return skip("RENAME_WHITEOUT: %s", ename(errno));
		T_FAIL("renameat2 RENAME_WHITEOUT: %s", ename(errno));
	}
	T_ASSERT(file_is("b", "A"), "b");
	T_SYS(lstat("a", &st));
	T_ASSERT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	    "whiteout is mode %o rdev %u:%u", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	return R_PASS;
}

static int
link_nlink(void)
{
	struct stat a, b;

	T_SYS(put_file("a", "A", 0644));
	T_SYS(link("a", "b"));
	T_SYS(stat("a", &a));
	T_SYS(stat("b", &b));
	T_EQ(a.st_nlink, 2);
	T_EQ(b.st_nlink, 2);
	T_EQ(a.st_ino, b.st_ino);
	T_SYS(link("a", "c"));
	T_SYS(stat("b", &b));
	T_EQ(b.st_nlink, 3);
	T_SYS(unlink("a"));
	T_SYS(stat("c", &b));
	T_EQ(b.st_nlink, 2);
	T_ASSERT(file_is("c", "A"), "c");
	T_ERR(link("b", "c"), EEXIST);
	T_ERR(link("missing", "x"), ENOENT);
	T_SYS(mkdir("d", 0755));
	T_ERR(link("d", "d2"), EPERM);
	return R_PASS;
}

static int
hardlink_ino(void)
{
	struct stat a, b;

	T_SYS(put_file("a", "A", 0644));
	T_SYS(mkdir("sub", 0755));
	T_SYS(link("a", "sub/b"));
	drop_caches();
	T_SYS(stat("sub/b", &b));
	T_SYS(stat("a", &a));
	T_EQ(a.st_ino, b.st_ino);
	T_EQ(a.st_dev, b.st_dev);
	T_EQ(a.st_nlink, 2);
	T_SYS(put_file("sub/b", "B", 0644));	/* writes through one name, seen by the other */
	T_ASSERT(file_is("a", "B"), "a does not see the write through sub/b");
	return R_PASS;
}

static int
symlink_readlink(void)
{
	const char *target = "some/where/../target";
	char buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	T_SYS(put_file("t", "T", 0644));
	T_SYS(symlink(target, "l"));
	T_SYS(n = readlink("l", buf, sizeof(buf)));
	T_EQ(n, strlen(target));
	T_ASSERT(memcmp(buf, target, n) == 0, "readlink %.*s", (int)n, buf);
	T_EQ(readlink("l", buf, 4), 4);		/* truncated, no error */
	T_SYS(lstat("l", &st));
	T_ASSERT(S_ISLNK(st.st_mode), "lstat mode %o", st.st_mode);
	T_EQ(st.st_size, strlen(target));
	T_SYS(symlink("t", "l2"));
	T_SYS(stat("l2", &st));
	T_ASSERT(S_ISREG(st.st_mode) && st.st_size == 1, "stat does not follow");
	T_ASSERT(file_is("l2", "T"), "open through the link");
	T_ERR(readlink("t", buf, sizeof(buf)), EINVAL);
	T_ERR(symlink("x", "t"), EEXIST);
	T_ERR(open("l2", O_RDONLY | O_NOFOLLOW), ELOOP);
	T_SYS(symlink("loop", "loop"));
	T_ERR(stat("loop", &st), ELOOP);
	return R_PASS;
}

/*
 * An absolute link is resolved by the guest in the guest's own tree: a link to /proc/version
 * reads the guest kernel's file, whatever the host has at that path.
 */
static int
symlink_absolute(void)
{
	char a[512], b[512];
	ssize_t n, m;
	int fd;

	T_SYS(symlink("/proc/version", "l"));
	T_SYS(symlink("/", "root"));
	T_SYS(fd = open("/proc/version", O_RDONLY));
	T_SYS(n = read(fd, a, sizeof(a)));
	close(fd);
	T_SYS(fd = open("l", O_RDONLY));
	T_SYS(m = read(fd, b, sizeof(b)));
	close(fd);
	T_ASSERT(n == m && memcmp(a, b, n) == 0, "the link did not lead to this kernel's file");
	T_SYS(fd = open("root/proc/version", O_RDONLY));
	T_SYS(m = read(fd, b, sizeof(b)));
	close(fd);
	T_ASSERT(n == m && memcmp(a, b, n) == 0, "root/proc/version is not /proc/version");
	T_SYS(symlink("../../../../../../../../../../proc/version", "up"));
	T_SYS(fd = open("up", O_RDONLY));
	T_SYS(m = read(fd, b, sizeof(b)));
	close(fd);
	T_ASSERT(n == m && memcmp(a, b, n) == 0, "a ../ chain did not reach this kernel's /");
	return R_PASS;
}

static int
symlink_dangling(void)
{
	struct stat st;
	int fd;

	T_SYS(symlink("target", "l"));
	T_ERR(stat("l", &st), ENOENT);
	T_SYS(lstat("l", &st));
	T_ERR(open("l", O_RDONLY), ENOENT);
	/* O_CREAT through a dangling link creates its target. */
	T_SYS(fd = open("l", O_WRONLY | O_CREAT, 0644));
	close(fd);
	T_SYS(stat("target", &st));
	T_ASSERT(S_ISREG(st.st_mode), "target not a file");
	T_SYS(unlink("l"));
	T_SYS(stat("target", &st));
	return R_PASS;
}

static int
mknod_fifo(void)
{
	struct stat st;
	char c;
	int fd;

	T_SYS(mkfifo("p", 0644));
	T_SYS(stat("p", &st));
	T_ASSERT(S_ISFIFO(st.st_mode), "mode %o", st.st_mode);
	T_EQ(st.st_size, 0);
	T_SYS(mknod("p2", S_IFIFO | 0600, 0));
	T_SYS(lstat("p2", &st));
	T_ASSERT(S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600, "p2 mode %o", st.st_mode);
	/* The pipe lives in this kernel: data goes through it, not to the file system. */
	T_SYS(fd = open("p", O_RDWR));
	T_EQ(write(fd, "x", 1), 1);
	T_EQ(read(fd, &c, 1), 1);
	T_ASSERT(c == 'x', "read %c", c);
	close(fd);
	T_ERR(mkfifo("p", 0644), EEXIST);
	return R_PASS;
}

static int
mknod_chr(void)
{
	char buf[16];
	struct stat st;
	int fd;

	T_SYS(mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	T_SYS(mknod("zero", S_IFCHR | 0666, makedev(1, 5)));
	T_SYS(stat("zero", &st));
	T_ASSERT(S_ISCHR(st.st_mode), "mode %o", st.st_mode);
	T_EQ(major(st.st_rdev), 1);
	T_EQ(minor(st.st_rdev), 5);
	T_SYS(mknod("blk", S_IFBLK | 0600, makedev(7, 200)));
	T_SYS(stat("blk", &st));
	T_ASSERT(S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 200), "blk");
	/*
	 * Opening a node opens this kernel's device: /dev/zero reads zeros, /dev/null takes
	 * anything. (A back-end that opened the host's node would be a hole; the node's file
	 * content is never involved.)
	 */
	fd = open("zero", O_RDONLY);
	if (fd == -1 && errno == EACCES)
		return skip("opening a device node: EACCES (nodev mount)");
	T_SYS(fd);
	memset(buf, 'x', sizeof(buf));
	T_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
	T_ASSERT(buf[0] == 0 && buf[15] == 0, "zero node did not read zeros");
	close(fd);
	T_SYS(fd = open("null", O_RDWR));
	T_EQ(write(fd, "data", 4), 4);
	T_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	T_SYS(stat("null", &st));
	T_EQ(st.st_size, 0);
	return R_PASS;
}

static int
chmod_chown(void)
{
	struct stat st;
	int fd;

	T_SYS(put_file("f", "x", 0644));
	T_SYS(chmod("f", 0640));
	T_MODE("f", 0640);
	T_SYS(fd = open("f", O_RDONLY));
	T_SYS(fchmod(fd, 0604));
	T_MODE("f", 0604);
	T_SYS(chmod("f", 07777));
	T_MODE("f", 07777);
	T_SYS(fchown(fd, 1000, 1001));
	T_SYS(stat("f", &st));
	T_EQ(st.st_uid, 1000);
	T_EQ(st.st_gid, 1001);
	T_SYS(chown("f", -1, -1));
	T_SYS(stat("f", &st));
	T_EQ(st.st_uid, 1000);
	T_EQ(st.st_gid, 1001);
	T_SYS(chown("f", 0, -1));
	T_SYS(stat("f", &st));
	T_EQ(st.st_uid, 0);
	T_EQ(st.st_gid, 1001);
	close(fd);
	T_SYS(symlink("f", "l"));
	T_SYS(lchown("l", 1002, 1002));
	T_SYS(lstat("l", &st));
	T_EQ(st.st_uid, 1002);
	T_SYS(stat("f", &st));
	T_EQ(st.st_uid, 0);
	return R_PASS;
}

static int
ts_is(const struct timespec *a, time_t s, long ns)
{
	return a->tv_sec == s && a->tv_nsec == ns;
}

static int
utimens(void)
{
	struct timespec ts[2];
	struct stat st, st2;
	time_t now;

	T_SYS(put_file("f", "x", 0644));
	ts[0].tv_sec = 1234567890;
	ts[0].tv_nsec = 123456789;
	ts[1].tv_sec = 1000000000;
	ts[1].tv_nsec = 500000001;
	T_SYS(utimensat(AT_FDCWD, "f", ts, 0));
	T_SYS(stat("f", &st));
	T_ASSERT(ts_is(&st.st_atim, 1234567890, 123456789), "atime %lld.%09ld",
	    (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	T_ASSERT(ts_is(&st.st_mtim, 1000000000, 500000001), "mtime %lld.%09ld",
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	/* UTIME_OMIT keeps the atime, UTIME_NOW sets the mtime to now. */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	now = time(NULL);
	T_SYS(utimensat(AT_FDCWD, "f", ts, 0));
	T_SYS(stat("f", &st2));
	T_ASSERT(ts_is(&st2.st_atim, 1234567890, 123456789), "UTIME_OMIT changed the atime");
	T_ASSERT(st2.st_mtime >= now - 2 && st2.st_mtime <= now + 2, "UTIME_NOW mtime %lld, now %lld",
	    (long long)st2.st_mtime, (long long)now);
	T_ASSERT(st2.st_ctime >= now - 2, "ctime not updated");
	/* Times before 1970, and on a symlink itself. */
	ts[0].tv_sec = -100;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 1;
	ts[1].tv_nsec = 0;
	T_SYS(utimensat(AT_FDCWD, "f", ts, 0));
	T_SYS(stat("f", &st));
	T_EQ(st.st_atime, -100);
	T_SYS(symlink("f", "l"));
	ts[0].tv_sec = ts[1].tv_sec = 2000000000;
	T_SYS(utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
	T_SYS(lstat("l", &st));
	T_EQ(st.st_mtime, 2000000000);
	T_SYS(stat("f", &st));
	T_EQ(st.st_mtime, 1);
	/* NULL: both now. */
	T_SYS(utimensat(AT_FDCWD, "f", NULL, 0));
	T_SYS(stat("f", &st));
	T_ASSERT(st.st_mtime >= now - 2 && st.st_atime >= now - 2, "NULL times not now");
	ts[0].tv_nsec = 1000000000;
	T_ERR(utimensat(AT_FDCWD, "f", ts, 0), EINVAL);
	return R_PASS;
}

static int
fsyncs(void)
{
	int fd, dfd;

	T_SYS(fd = open("f", O_RDWR | O_CREAT, 0644));
	T_EQ(write(fd, "data", 4), 4);
	T_SYS(fsync(fd));
	T_SYS(fdatasync(fd));
	T_SYS(syncfs(fd));
	T_SYS(dfd = open(".", O_RDONLY | O_DIRECTORY));
	T_SYS(fsync(dfd));
	T_SYS(fdatasync(dfd));
	close(dfd);
	close(fd);
	T_SYS(fd = open("f", O_RDONLY));
	T_SYS(fsync(fd));	/* read-only descriptors may be synced too */
	close(fd);
	return R_PASS;
}

/* fallocate needs a file with 64 KiB of non-zero data. */
static int
falloc_file(void)
{
	char buf[65536];
	int fd;

	memset(buf, 'a', sizeof(buf));
	fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
region_is(int fd, off_t off, size_t len, char c)
{
	char buf[4096];
	size_t i, n;

	while (len > 0) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (pread(fd, buf, n, off) != (ssize_t)n)
			return 0;
		for (i = 0; i < n; i++)
			if (buf[i] != c)
				return 0;
		off += n;
		len -= n;
	}
	return 1;
}

static int
fallocate_default(void)
{
	struct stat st;
	int fd;

	T_SYS(fd = falloc_file());
	T_SYS(fallocate(fd, 0, 32768, 1048576));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, 32768 + 1048576);
	T_ASSERT(st.st_blocks * 512 >= 32768 + 1048576, "st_blocks %lld", (long long)st.st_blocks);
	T_ASSERT(region_is(fd, 0, 65536, 'a'), "data changed");
	T_ASSERT(region_is(fd, 65536, 1048576 + 32768 - 65536, 0), "new space not zero");
	T_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	close(fd);
	return R_PASS;
}

static int
fallocate_keep_size(void)
{
	struct stat st, st2;
	int fd;

	T_SYS(fd = falloc_file());
	T_SYS(fstat(fd, &st));
	T_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1048576));
	T_SYS(fstat(fd, &st2));
	T_EQ(st2.st_size, 65536);
	T_ASSERT(st2.st_blocks * 512 >= 1048576, "st_blocks %lld after KEEP_SIZE of 1 MiB",
	    (long long)st2.st_blocks);
	close(fd);
	return R_PASS;
}

static int
fallocate_punch_hole(void)
{
	struct stat st, st2;
	int fd;

	T_SYS(fd = falloc_file());
	T_SYS(fsync(fd));
	T_SYS(fstat(fd, &st));
	T_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 4096, 8192), EOPNOTSUPP);
	T_SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 16384));
	T_SYS(fstat(fd, &st2));
	T_EQ(st2.st_size, 65536);
	T_ASSERT(region_is(fd, 0, 4096, 'a') && region_is(fd, 4096, 16384, 0) &&
	    region_is(fd, 20480, 65536 - 20480, 'a'), "hole content wrong");
	T_ASSERT(st2.st_blocks < st.st_blocks, "st_blocks %lld -> %lld: nothing freed",
	    (long long)st.st_blocks, (long long)st2.st_blocks);
	close(fd);
	return R_PASS;
}

static int
fallocate_zero_range(void)
{
	struct stat st;
	int fd;

	T_SYS(fd = falloc_file());
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE, 100, 1000) == -1 && errno == EOPNOTSUPP)
		return skip("FALLOC_FL_ZERO_RANGE: EOPNOTSUPP (as on tmpfs)");
	T_ASSERT(region_is(fd, 0, 100, 'a') && region_is(fd, 100, 1000, 0) &&
	    region_is(fd, 1100, 65536 - 1100, 'a'), "zeroed range wrong");
	T_SYS(fallocate(fd, FALLOC_FL_ZERO_RANGE, 65000, 1000));	/* grows the file */
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, 66000);
	close(fd);
	return R_PASS;
}

static int
seek_data_hole(void)
{
	char buf[4096];
	int fd;

	memset(buf, 'd', sizeof(buf));
	T_SYS(fd = open("f", O_RDWR | O_CREAT, 0644));
	T_EQ(pwrite(fd, buf, sizeof(buf), 0), 4096);
	T_EQ(pwrite(fd, buf, sizeof(buf), 1048576), 4096);
	T_SYS(ftruncate(fd, 2097152));
	T_SYS(fsync(fd));
	T_EQ(lseek(fd, 0, SEEK_DATA), 0);
	T_EQ(lseek(fd, 0, SEEK_HOLE), 4096);
	T_EQ(lseek(fd, 4096, SEEK_DATA), 1048576);
	T_EQ(lseek(fd, 1048576 + 100, SEEK_DATA), 1048576 + 100);
	T_EQ(lseek(fd, 1048576, SEEK_HOLE), 1048576 + 4096);
	T_EQ(lseek(fd, 1048576 + 4096, SEEK_HOLE), 1048576 + 4096);
	T_ERR(lseek(fd, 1048576 + 4096, SEEK_DATA), ENXIO);
	T_ERR(lseek(fd, 2097152, SEEK_HOLE), ENXIO);
	T_ERR(lseek(fd, 3000000, SEEK_DATA), ENXIO);
	T_ERR(lseek(fd, -1, SEEK_DATA), ENXIO);
	close(fd);
	return R_PASS;
}

static int
copy_range(void)
{
	static char src[100000];
	char buf[64];
	loff_t in, out;
	struct stat st;
	int a, b;
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(src); i++)
		src[i] = 'a' + i % 23;
	T_SYS(a = open("a", O_RDWR | O_CREAT, 0644));
	T_EQ(write(a, src, sizeof(src)), sizeof(src));
	T_SYS(b = open("b", O_RDWR | O_CREAT, 0644));
	in = 10;
	out = 5;
	T_SYS(n = copy_file_range(a, &in, b, &out, 50000, 0));
	T_EQ(n, 50000);
	T_EQ(in, 50010);
	T_EQ(out, 50005);
	T_SYS(fstat(b, &st));
	T_EQ(st.st_size, 50005);
	T_EQ(pread(b, buf, 10, 0), 10);
	T_ASSERT(memcmp(buf, "\0\0\0\0\0", 5) == 0 && memcmp(buf + 5, src + 10, 5) == 0,
	    "copied head wrong");
	T_EQ(pread(b, buf, 10, 49995), 10);
	T_ASSERT(memcmp(buf, src + 50000, 10) == 0, "copied tail wrong");
	in = sizeof(src);
	T_EQ(copy_file_range(a, &in, b, NULL, 100, 0), 0);	/* at EOF */
	in = 0;
	T_ERR(copy_file_range(a, &in, b, NULL, 100, 1), EINVAL);
	close(a);
	close(b);
	return R_PASS;
}

static int
statfs_sane(void)
{
	struct statfs s;
	int fd;

	T_SYS(statfs(".", &s));
	T_ASSERT(s.f_bsize > 0 && s.f_blocks > 0, "bsize %ld blocks %llu", (long)s.f_bsize,
	    (unsigned long long)s.f_blocks);
	T_ASSERT(s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_bfree,
	    "blocks %llu bfree %llu bavail %llu", (unsigned long long)s.f_blocks,
	    (unsigned long long)s.f_bfree, (unsigned long long)s.f_bavail);
	T_ASSERT(s.f_ffree <= s.f_files, "files %llu ffree %llu",
	    (unsigned long long)s.f_files, (unsigned long long)s.f_ffree);
	T_EQ(s.f_namelen, 255);
	T_SYS(fd = open(".", O_RDONLY | O_DIRECTORY));
	T_SYS(fstatfs(fd, &s));
	close(fd);
	return R_PASS;
}

static int
o_tmpfile(void)
{
	char path[64];
	struct stat st;
	int fd;

	fd = open(".", O_TMPFILE | O_RDWR, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR))
		return skip("O_TMPFILE: %s", ename(errno));
	T_SYS(fd);
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_nlink, 0);
	T_EQ(write(fd, "tmp", 3), 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	T_SYS(linkat(AT_FDCWD, path, AT_FDCWD, "named", AT_SYMLINK_FOLLOW));
	T_SYS(stat("named", &st));
	T_EQ(st.st_nlink, 1);
	T_EQ(st.st_mode & 07777, 0600);
	T_ASSERT(file_is("named", "tmp"), "content");
	close(fd);
	T_SYS(fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	T_ERR(linkat(AT_FDCWD, path, AT_FDCWD, "named2", AT_SYMLINK_FOLLOW), ENOENT);
	close(fd);
	return R_PASS;
}

static int
sparse_5g(void)
{
	const off_t at = 5LL << 30;
	char buf[16];
	struct stat st;
	int fd;

	T_SYS(fd = open("big", O_RDWR | O_CREAT, 0644));
	T_EQ(pwrite(fd, "five gib", 8, at), 8);
	T_SYS(fsync(fd));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, at + 8);
	T_ASSERT(st.st_blocks < 2048, "st_blocks %lld: not sparse", (long long)st.st_blocks);
	close(fd);
	T_SYS(stat("big", &st));
	T_EQ(st.st_size, at + 8);
	T_SYS(fd = open("big", O_RDONLY));
	T_EQ(pread(fd, buf, sizeof(buf), at), 8);
	T_ASSERT(memcmp(buf, "five gib", 8) == 0, "read back %.8s", buf);
	memset(buf, 'x', sizeof(buf));
	T_EQ(pread(fd, buf, sizeof(buf), 4LL << 30), sizeof(buf));
	T_ASSERT(buf[0] == 0 && buf[15] == 0, "the hole at 4 GiB is not zero");
	T_EQ(lseek(fd, 0, SEEK_END), at + 8);
	close(fd);
	T_SYS(truncate("big", (4LL << 30) + 1));
	T_SYS(stat("big", &st));
	T_EQ(st.st_size, (4LL << 30) + 1);
	return R_PASS;
}

static int
access_modes(void)
{
	T_SYS(put_file("rw", "", 0600));
	T_SYS(put_file("x", "", 0755));
	T_SYS(access("rw", R_OK | W_OK));
	T_SYS(access("x", X_OK));
	T_ERR(access("missing", F_OK), ENOENT);
	T_ERR(access("rw/x", F_OK), ENOTDIR);
	if (ps_root) {
		/* root may read and write anything, but execute only with some x bit */
		T_SYS(chmod("rw", 0));
		T_SYS(access("rw", R_OK | W_OK));
		T_ERR(access("rw", X_OK), EACCES);
		T_SYS(chmod("rw", 0001));
		T_SYS(access("rw", X_OK));
	} else {
		T_SYS(chmod("rw", 0400));
		T_ERR(access("rw", W_OK), EACCES);
		T_ERR(access("rw", X_OK), EACCES);
	}
	T_ERR(access("x", 0100), EINVAL);
	return R_PASS;
}

static int
ino_stable(void)
{
	struct stat a, b, c;
	int fd;

	T_SYS(put_file("f", "x", 0644));
	T_SYS(stat("f", &a));
	T_SYS(stat("f", &b));
	T_EQ(a.st_ino, b.st_ino);
	T_SYS(fd = open("f", O_RDONLY));
	T_SYS(fstat(fd, &c));
	close(fd);
	T_EQ(c.st_ino, a.st_ino);
	drop_caches();
	T_SYS(stat("f", &b));
	T_EQ(b.st_ino, a.st_ino);
	T_SYS(mkdir("d", 0755));
	T_SYS(rename("f", "d/g"));
	drop_caches();
	T_SYS(stat("d/g", &b));
	T_EQ(b.st_ino, a.st_ino);
	T_SYS(stat(".", &c));
	T_ASSERT(c.st_ino != a.st_ino, "two files share an inode number");
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

const struct check files_checks[] = {
	{ "create_excl", create_excl, 0 },
	{ "read_write", read_write, 0 },
	{ "o_append", o_append, 0 },
	{ "o_trunc", o_trunc, 0 },
	{ "truncate_grow_shrink", truncate_grow_shrink, 0 },
	{ "unlink_open", unlink_open, 0 },
	{ "rename_over", rename_over, 0 },
	{ "rename_noreplace", rename_noreplace, 0 },
	{ "rename_exchange", rename_exchange, 0 },
	{ "rename_whiteout", rename_whiteout, C_ROOT },
	{ "link_nlink", link_nlink, 0 },
	{ "hardlink_ino", hardlink_ino, 0 },
	{ "symlink_readlink", symlink_readlink, 0 },
	{ "symlink_absolute", symlink_absolute, 0 },
	{ "symlink_dangling", symlink_dangling, 0 },
	{ "mknod_fifo", mknod_fifo, 0 },
	{ "mknod_chr", mknod_chr, C_ROOT },
	{ "chmod_chown", chmod_chown, C_ROOT },
	{ "utimensat", utimens, 0 },
	{ "fsync", fsyncs, 0 },
	{ "fallocate_default", fallocate_default, 0 },
	{ "fallocate_keep_size", fallocate_keep_size, 0 },
	{ "fallocate_punch_hole", fallocate_punch_hole, 0 },
	{ "fallocate_zero_range", fallocate_zero_range, 0 },
	{ "seek_data_hole", seek_data_hole, 0 },
	{ "copy_file_range", copy_range, 0 },
	{ "statfs", statfs_sane, 0 },
	{ "o_tmpfile", o_tmpfile, 0 },
	{ "sparse_5g", sparse_5g, 0 },
	{ "access", access_modes, 0 },
	{ "ino_stable", ino_stable, 0 },
	{ "mmap_shared", mmap_shared, 0 },
	{ "mmap_private", mmap_private, 0 },
	{ NULL, NULL, 0 }
};
