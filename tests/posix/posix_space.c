/*
 * posixsuite: space management: fallocate modes, SEEK_DATA/SEEK_HOLE, copy_file_range,
 * statfs, sparse files past 4 GiB.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/falloc.h>

#include "posix.h"

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

const struct check space_checks[] = {
	{ "fallocate_default", fallocate_default, 0 },
	{ "fallocate_keep_size", fallocate_keep_size, 0 },
	{ "fallocate_punch_hole", fallocate_punch_hole, 0 },
	{ "fallocate_zero_range", fallocate_zero_range, 0 },
	{ "seek_data_hole", seek_data_hole, 0 },
	{ "copy_file_range", copy_range, 0 },
	{ "statfs", statfs_sane, 0 },
	{ "sparse_5g", sparse_5g, 0 },
	{ NULL, NULL, 0 }
};
