/*
 * posixsuite: hard links, symbolic links and special files (FIFOs, device nodes).
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

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
	/* rename between two links of one inode does nothing: both names stay */
	T_SYS(rename("b", "c"));
	T_SYS(stat("b", &a));
	T_SYS(stat("c", &b));
	T_EQ(a.st_nlink, 2);
	T_EQ(b.st_ino, a.st_ino);
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

const struct check links_checks[] = {
	{ "link_nlink", link_nlink, 0 },
	{ "hardlink_ino", hardlink_ino, 0 },
	{ "symlink_readlink", symlink_readlink, 0 },
	{ "symlink_absolute", symlink_absolute, 0 },
	{ "symlink_dangling", symlink_dangling, 0 },
	{ "mknod_fifo", mknod_fifo, 0 },
	{ "mknod_chr", mknod_chr, C_ROOT },
	{ NULL, NULL, 0 }
};
