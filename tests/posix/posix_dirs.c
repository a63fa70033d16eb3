/*
 * posixsuite: directories: mkdir/rmdir errors, names, readdir (big directories, d_type,
 * consistency after changes).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

static int
mkdir_rmdir(void)
{
	struct stat st;
	int fd;

	T_SYS(mkdir("d", 0755));
	T_SYS(stat("d", &st));
	T_ASSERT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755, "mode %o", st.st_mode);
	T_EQ(st.st_nlink, 2);
	T_ERR(mkdir("d", 0755), EEXIST);
	T_SYS(mkdir("d/s1", 0700));
	T_SYS(mkdir("d/s2", 0700));
	T_SYS(stat("d", &st));
	T_EQ(st.st_nlink, 4);
	T_SYS(put_file("d/f", "", 0644));
	T_ERR(rmdir("d"), ENOTEMPTY);
	T_ERR(rmdir("d/f"), ENOTDIR);
	T_ERR(unlink("d/s1"), EISDIR);
	T_ERR(open("d", O_WRONLY), EISDIR);
	T_ERR(open("d", O_RDWR), EISDIR);
	T_ERR(mkdir("d/f/x", 0755), ENOTDIR);
	T_ERR(open("d/f/x", O_RDONLY), ENOTDIR);
	T_ERR(open("d/f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	T_ERR(rmdir("d/s1/."), EINVAL);
	T_ERR(rmdir("missing"), ENOENT);
	T_ERR(mkdir("missing/x", 0755), ENOENT);
	T_SYS(rmdir("d/s1"));
	T_SYS(stat("d", &st));
	T_EQ(st.st_nlink, 3);
	T_SYS(fd = open("d/s2", O_RDONLY | O_DIRECTORY));
	T_SYS(rmdir("d/s2"));
	T_SYS(fstat(fd, &st));
	T_EQ(st.st_nlink, 0);
	/* A removed directory takes no new entries. */
	T_ERR(openat(fd, "new", O_WRONLY | O_CREAT, 0644), ENOENT);
	close(fd);
	T_SYS(mkdir("mode", 07777));	/* umask 022 applies; S_ISVTX kept, S_ISGID not */
	T_MODE("mode", 01755);
	return R_PASS;
}

static int
names(void)
{
	char name[300];
	int fd;

	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	T_SYS(fd = open(name, O_WRONLY | O_CREAT, 0644));
	close(fd);
	T_SYS(access(name, F_OK));
	name[255] = 'n';
	name[256] = '\0';
	T_ERR(open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	T_ERR(mkdir(name, 0755), ENAMETOOLONG);
	T_ERR(access(name, F_OK), ENAMETOOLONG);
	T_SYS(put_file("with space", "s", 0644));
	T_SYS(put_file("caf\xc3\xa9", "u", 0644));
	T_SYS(put_file("\x01\xff bytes", "b", 0644));
	T_ASSERT(file_is("\x01\xff bytes", "b"), "a name with odd bytes");
	T_SYS(put_file("-dash", "d", 0644));
	T_ERR(mkdir("", 0755), ENOENT);
	return R_PASS;
}

/* count_dir: the names in PATH besides . and ..; -1 on error. */
static long
count_dir(const char *path, const char *skip_name, int *saw_it)
{
	struct dirent *de;
	DIR *d;
	long n = 0;
	int dots = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	*saw_it = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			dots++;
			continue;
		}
		if (skip_name != NULL && strcmp(de->d_name, skip_name) == 0)
			*saw_it = 1;
		n++;
	}
	closedir(d);
	return dots == 2 ? n : -2;
}

static int
many_entries(void)
{
	struct dirent *de;
	char name[32], *seen;
	long i, n = 0, bad = 0, dup = 0;
	DIR *d;
	int dfd, saw;

	T_SYS(mkdir("big", 0755));
	T_SYS(dfd = open("big", O_RDONLY | O_DIRECTORY));
	for (i = 0; i < ps_many; i++) {
		snprintf(name, sizeof(name), "entry-%06ld", i);
		T_SYS(mknodat(dfd, name, S_IFREG | 0644, 0));
	}
	T_ASSERT((seen = calloc(ps_many + 1, 1)) != NULL, "calloc");
	T_ASSERT((d = opendir("big")) != NULL, "opendir: %s", ename(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strncmp(de->d_name, "entry-", 6) != 0 ||
		    (i = strtol(de->d_name + 6, NULL, 10)) < 0 || i >= ps_many)
			bad++;
		else if (seen[i]++)
			dup++;
	}
	closedir(d);
	T_ASSERT(bad == 0 && dup == 0, "%ld unknown names, %ld duplicates", bad, dup);
	T_EQ(n, ps_many);
	for (i = 0; i < ps_many; i++)
		T_ASSERT(seen[i] == 1, "entry %ld missing from readdir", i);
	for (i = 0; i < ps_many; i++) {
		snprintf(name, sizeof(name), "entry-%06ld", i);
		T_SYS(unlinkat(dfd, name, 0));
	}
	close(dfd);
	T_EQ(count_dir("big", NULL, &saw), 0);
	T_SYS(rmdir("big"));
	free(seen);
	return R_PASS;
}

static int
readdir_dtype(void)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	T_SYS(mkdir("d", 0755));
	T_SYS(put_file("d/file", "", 0644));
	T_SYS(mkdir("d/dir", 0755));
	T_SYS(symlink("file", "d/link"));
	T_SYS(mkfifo("d/fifo", 0644));
	T_ASSERT((d = opendir("d")) != NULL, "opendir");
	while ((de = readdir(d)) != NULL) {
		unsigned char want;

		if (strcmp(de->d_name, "file") == 0)
			want = DT_REG;
		else if (strcmp(de->d_name, "dir") == 0 || de->d_name[0] == '.')
			want = DT_DIR;
		else if (strcmp(de->d_name, "link") == 0)
			want = DT_LNK;
		else if (strcmp(de->d_name, "fifo") == 0)
			want = DT_FIFO;
		else
			T_FAIL("unexpected entry %s", de->d_name);
		T_ASSERT(de->d_type == want, "%s: d_type %d, want %d", de->d_name, de->d_type,
		    want);
		found++;
	}
	closedir(d);
	T_EQ(found, 6);
	return R_PASS;
}

static int
readdir_after_unlink(void)
{
	struct dirent *de;
	DIR *d;
	int saw_b = 0, saw_d = 0, n = 0;

	T_SYS(mkdir("d", 0755));
	T_SYS(put_file("d/a", "", 0644));
	T_SYS(put_file("d/b", "", 0644));
	T_SYS(put_file("d/c", "", 0644));
	T_ASSERT((d = opendir("d")) != NULL, "opendir");
	while (readdir(d) != NULL)
		;
	T_SYS(unlink("d/b"));
	T_SYS(put_file("d/new", "", 0644));
	rewinddir(d);	/* a rewound stream sees the directory as it is now */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (strcmp(de->d_name, "b") == 0)
			saw_b = 1;
		if (strcmp(de->d_name, "new") == 0)
			saw_d = 1;
	}
	closedir(d);
	T_ASSERT(!saw_b, "the unlinked b is still listed after rewinddir");
	T_ASSERT(saw_d, "the new entry is not listed after rewinddir");
	T_EQ(n, 3);
	/* A fresh opendir agrees. */
	T_EQ(count_dir("d", "b", &saw_b), 3);
	T_ASSERT(!saw_b, "b listed by a fresh opendir");
	return R_PASS;
}

static int
readdir_seek(void)
{
	struct dirent *de;
	char first[256], again[256];
	long pos;
	DIR *d;
	int i;

	T_SYS(mkdir("d", 0755));
	for (i = 0; i < 50; i++) {
		snprintf(first, sizeof(first), "d/f%02d", i);
		T_SYS(put_file(first, "", 0644));
	}
	T_ASSERT((d = opendir("d")) != NULL, "opendir");
	for (i = 0; i < 20; i++)
		T_ASSERT(readdir(d) != NULL, "readdir %d", i);
	pos = telldir(d);
	T_ASSERT((de = readdir(d)) != NULL, "readdir after telldir");
	snprintf(first, sizeof(first), "%s", de->d_name);
	for (i = 0; i < 10; i++)
		(void)readdir(d);
	seekdir(d, pos);
	T_ASSERT((de = readdir(d)) != NULL, "readdir after seekdir");
	snprintf(again, sizeof(again), "%s", de->d_name);
	closedir(d);
	T_ASSERT(strcmp(first, again) == 0, "seekdir went to %s, want %s", again, first);
	return R_PASS;
}

static int
dir_fd_ops(void)
{
	struct stat st;
	int dfd, fd;

	T_SYS(mkdir("d", 0755));
	T_SYS(dfd = open("d", O_RDONLY | O_DIRECTORY));
	T_SYS(fd = openat(dfd, "f", O_WRONLY | O_CREAT | O_EXCL, 0640));
	close(fd);
	T_SYS(fstatat(dfd, "f", &st, 0));
	T_EQ(st.st_mode & 07777, 0640);
	T_SYS(renameat(dfd, "f", AT_FDCWD, "g"));
	T_SYS(mkdirat(dfd, "sub", 0700));
	T_SYS(symlinkat("../../g", dfd, "sub/up"));
	T_SYS(fstatat(dfd, "sub/up", &st, 0));
	T_ASSERT(S_ISREG(st.st_mode), "symlink through a dir fd");
	T_SYS(unlinkat(dfd, "sub/up", 0));
	T_ERR(unlinkat(dfd, "sub", 0), EISDIR);
	T_SYS(unlinkat(dfd, "sub", AT_REMOVEDIR));
	T_SYS(fchdir(dfd));
	T_SYS(stat("../g", &st));
	close(dfd);
	return R_PASS;
}


/* Long names fill the readdir buffers after few entries: many refills, none lost. */
static int
readdir_long_names(void)
{
	enum { N = 400 };
	struct dirent *de;
	char name[256], seen[N];
	long i, n = 0;
	DIR *d;
	int dfd;

	T_SYS(mkdir("d", 0755));
	T_SYS(dfd = open("d", O_RDONLY | O_DIRECTORY));
	memset(name, 'L', sizeof(name));
	name[250] = '\0';
	for (i = 0; i < N; i++) {
		snprintf(name, 5, "%04ld", i);
		name[4] = 'L';
		T_SYS(mknodat(dfd, name, S_IFREG | 0644, 0));
	}
	memset(seen, 0, sizeof(seen));
	T_ASSERT((d = fdopendir(dfd)) != NULL, "fdopendir");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		T_EQ(strlen(de->d_name), 250);
		i = strtol(de->d_name, NULL, 10);
		T_ASSERT(i >= 0 && i < N && !seen[i], "entry %.8s... unknown or repeated",
		    de->d_name);
		seen[i] = 1;
		n++;
	}
	T_EQ(n, N);
	closedir(d);
	return R_PASS;
}

/* A deep chain of directories: lookups through it, a rename near the top, removal. */
static int
deep_tree(void)
{
	enum { DEPTH = 60 };
	char path[DEPTH * 3 + 16];
	struct stat st;
	int i;

	/* path: "d0/d0/.../d0", component i ending at 3 * i + 2 */
	for (i = 0; i < DEPTH; i++) {
		if (i == 0)
			memcpy(path, "d0", 3);
		else
			memcpy(path + 3 * i - 1, "/d0", 4);
		T_SYS(mkdir(path, 0755));
	}
	memcpy(path + 3 * DEPTH - 1, "/f", 3);
	T_SYS(put_file(path, "deep", 0644));
	drop_caches();
	T_ASSERT(file_is(path, "deep"), "the deep file");
	T_SYS(rename("d0/d0", "d0/d1"));
	path[4] = '1';
	T_SYS(stat(path, &st));
	T_EQ(st.st_size, 4);
	T_ASSERT(file_is(path, "deep"), "the deep file after the rename");
	T_SYS(unlink(path));
	for (i = DEPTH; i > 0; i--) {
		path[i * 3 - 1] = '\0';
		T_SYS(rmdir(path));
	}
	return R_PASS;
}

const struct check dirs_checks[] = {
	{ "mkdir_rmdir", mkdir_rmdir, 0 },
	{ "names", names, 0 },
	{ "many_entries", many_entries, 0 },
	{ "readdir_dtype", readdir_dtype, 0 },
	{ "readdir_after_unlink", readdir_after_unlink, 0 },
	{ "readdir_seek", readdir_seek, 0 },
	{ "readdir_long_names", readdir_long_names, 0 },
	{ "deep_tree", deep_tree, 0 },
	{ "dir_fd_ops", dir_fd_ops, 0 },
	{ NULL, NULL, 0 }
};
