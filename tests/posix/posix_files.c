/*
 * posixsuite: regular files: create, read and write, O_APPEND, O_TRUNC, truncate, unlink
 * while open, renames, ownership and modes, times, syncs, O_TMPFILE, access(), inode numbers.
 * The errno values are those ext4 and tmpfs give on Linux.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	T_SYS(ftruncate(fd, 3));	/* attribute changes still reach the orphan */
	T_SYS(futimens(fd, NULL));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_size, 3);
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

/*
 * An absolute link is resolved by the guest in the guest's own tree: a link to /proc/version
 * reads the guest kernel's file, whatever the host has at that path.
 */
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
	{ "chmod_chown", chmod_chown, C_ROOT },
	{ "utimensat", utimens, 0 },
	{ "fsync", fsyncs, 0 },
	{ "o_tmpfile", o_tmpfile, 0 },
	{ "access", access_modes, 0 },
	{ "ino_stable", ino_stable, 0 },
	{ NULL, NULL, 0 }
};
