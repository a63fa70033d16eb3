/*
 * posixsuite: permissions between root and the unprivileged user (--uid/--gid): access
 * checks, who may change what, set-id bits cleared by writes, truncation and chown, set-gid
 * directories, sticky directories. Run as root; the user's side runs in forked children.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

/* user_write: open PATH for writing and write a byte at offset 0; -1 with errno on error. */
static int
user_write(const char *path)
{
	int fd, e;

	if ((fd = open(path, O_WRONLY)) == -1)
		return -1;
	if (write(fd, "w", 1) != 1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int
user_create(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1)
		return -1;
	return close(fd);
}

static int
user_create_mode(const char *path, mode_t mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1)
		return -1;
	return close(fd);
}

/* An open directory for the user's files. */
static int
user_dir(const char *path)
{
	if (mkdir(path, 0755) == -1 || chown(path, ps_uid, ps_gid) == -1)
		return -1;
	return 0;
}

static int
perm_create_eacces(void)
{
	T_SYS(mkdir("d", 0755));
	T_SYS(put_file("d/root-file", "r", 0644));
	T_SYS(chmod("d/root-file", 0666));
	T_USER(user_create("d/new"), EACCES);
	T_USER(mkdir("d/newdir", 0755), EACCES);
	T_USER(unlink("d/root-file"), EACCES);
	T_USER(rename("d/root-file", "d/x"), EACCES);
	T_USER(symlink("x", "d/l"), EACCES);
	T_USER(mkfifo("d/p", 0644), EACCES);
	T_USER(user_write("d/root-file"), 0);	/* the file itself is writable */
	T_SYS(chmod("d", 0700));
	T_USER(access("d/root-file", F_OK), EACCES);	/* no search permission */
	T_SYS(chmod("d", 0777));
	T_USER(user_create("d/new"), 0);
	return R_PASS;
}

static int
perm_owner(void)
{
	struct stat st;

	T_SYS(mkdir("d", 0777));
	T_SYS(chmod("d", 0777));
	T_USER(user_create("d/mine"), 0);
	T_USER(mkdir("d/mydir", 0750), 0);
	T_USER(symlink("mine", "d/mylink"), 0);
	T_SYS(lstat("d/mine", &st));
	T_EQ(st.st_uid, ps_uid);
	T_EQ(st.st_gid, ps_gid);
	T_EQ(st.st_mode & 07777, 0644);		/* the user's umask 022 */
	T_SYS(lstat("d/mydir", &st));
	T_EQ(st.st_uid, ps_uid);
	T_EQ(st.st_gid, ps_gid);
	T_SYS(lstat("d/mylink", &st));
	T_EQ(st.st_uid, ps_uid);
	T_USER(chmod("d/mine", 0600), 0);
	T_MODE("d/mine", 0600);
	return R_PASS;
}

static int
perm_read_0600(void)
{
	T_SYS(put_file("secret", "s", 0600));
	T_SYS(put_file("public", "p", 0644));
	T_USER(open("secret", O_RDONLY), EACCES);
	T_USER(open("public", O_RDONLY), 0);
	T_USER(open("public", O_WRONLY), EACCES);
	T_USER(access("secret", R_OK), EACCES);
	T_USER(access("public", R_OK), 0);
	T_USER(truncate("public", 0), EACCES);
	T_SYS(chown("secret", ps_uid, 0));
	T_USER(open("secret", O_RDONLY), 0);	/* owner now */
	T_SYS(chmod("secret", 0060));		/* owner bits rule even when group has more */
	T_SYS(chown("secret", ps_uid, ps_gid));
	T_USER(open("secret", O_RDONLY), EACCES);
	return R_PASS;
}

static int
perm_chmod_eperm(void)
{
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };

	T_SYS(put_file("rootf", "r", 0644));
	T_SYS(chmod("rootf", 0666));
	T_USER(chmod("rootf", 0777), EPERM);
	T_USER(chown("rootf", ps_uid, ps_gid), EPERM);
	T_USER(utimensat(AT_FDCWD, "rootf", ts, 0), EPERM);
	T_USER(utimensat(AT_FDCWD, "rootf", NULL, 0), 0);	/* "now" needs write access only */
	T_SYS(chmod("rootf", 0644));
	T_USER(utimensat(AT_FDCWD, "rootf", NULL, 0), EACCES);
	T_SYS(put_file("mine", "m", 0644));
	T_SYS(chown("mine", ps_uid, ps_gid));
	T_USER(chown("mine", 0, -1), EPERM);
	T_USER(chown("mine", -1, 0), EPERM);		/* not a member of group 0 */
	T_USER(chown("mine", ps_uid, ps_gid), 0);	/* no change is allowed */
	T_USER(utimensat(AT_FDCWD, "mine", ts, 0), 0);
	T_USER(mknod("dev", S_IFCHR | 0600, makedev(1, 3)), EACCES);	/* no write on . */
	T_SYS(chmod(".", 0777));
	T_USER(mknod("dev", S_IFCHR | 0600, makedev(1, 3)), EPERM);
	return R_PASS;
}

static int
suid_write_other(void)
{
	T_SYS(put_file("f", "x", 06777));
	T_SYS(chmod("f", 06777));
	T_USER(user_write("f"), 0);
	T_MODE("f", 0777);
	/*
	 * S_ISGID without group execute is not a set-gid program: it stays when the writer is
	 * in the file's group (newer kernels than 6.1 drop it when the writer is not).
	 */
	T_SYS(put_file("g", "x", 0644));
	T_SYS(chown("g", 0, ps_gid));
	T_SYS(chmod("g", 02666));
	T_USER(user_write("g"), 0);
	T_MODE("g", 02666);
	return R_PASS;
}

static int
suid_write_owner(void)
{
	T_SYS(put_file("f", "x", 0644));
	T_SYS(chown("f", ps_uid, ps_gid));
	T_SYS(chmod("f", 06755));
	T_USER(user_write("f"), 0);
	T_MODE("f", 0755);
	return R_PASS;
}

static int
suid_write_root(void)
{
	T_SYS(put_file("f", "x", 0644));
	T_SYS(chown("f", ps_uid, ps_gid));
	T_SYS(chmod("f", 06755));
	T_SYS(user_write("f"));		/* CAP_FSETID: the bits stay */
	T_MODE("f", 06755);
	return R_PASS;
}

static int
suid_truncate(void)
{
	int fd;

	T_SYS(put_file("f", "xxxx", 0644));
	T_SYS(chmod("f", 06777));
	T_USER(truncate("f", 2), 0);
	T_MODE("f", 0777);
	T_SYS(put_file("g", "xxxx", 0644));
	T_SYS(chown("g", ps_uid, ps_gid));
	T_SYS(chmod("g", 04755));
	T_USER(truncate("g", 100), 0);
	T_MODE("g", 0755);
	T_SYS(put_file("o", "xxxx", 0644));
	T_SYS(chmod("o", 06777));
	/* open(O_TRUNC) kills them too */
	T_USER(open("o", O_WRONLY | O_TRUNC), 0);
	T_MODE("o", 0777);
	T_SYS(fd = open("f", O_WRONLY));
	T_SYS(chmod("f", 06777));
	T_SYS(ftruncate(fd, 0));	/* root keeps them */
	close(fd);
	T_MODE("f", 06777);
	return R_PASS;
}

/*
 * The owner gives its file to one of its supplementary groups (FUSE carries only the
 * primary group; the guest kernel checks membership), but not to a group it is not in,
 * and never away from itself.
 */
static int
owner_chgrp_supp(void)
{
	struct stat st;

	T_SYS(put_file("f", "x", 0644));
	T_SYS(chown("f", ps_uid, ps_gid));
	T_USER(chown("f", -1, PS_SUPP_GID(ps_gid)), 0);
	T_SYS(stat("f", &st));
	T_EQ(st.st_gid, PS_SUPP_GID(ps_gid));
	T_USER(chown("f", ps_uid, ps_gid), 0);	/* owner given, unchanged */
	T_SYS(stat("f", &st));
	T_EQ(st.st_gid, ps_gid);
	T_USER(chown("f", -1, PS_SUPP_GID(ps_gid) + 1), EPERM);
	T_USER(chown("f", 0, -1), EPERM);
	T_SYS(stat("f", &st));
	T_EQ(st.st_uid, ps_uid);
	T_EQ(st.st_gid, ps_gid);
	return R_PASS;
}

static int
suid_chown(void)
{
	T_SYS(put_file("f", "x", 0644));
	T_SYS(chmod("f", 06755));
	/* chown clears set-uid and (with group execute) set-gid, even when root does it */
	T_SYS(chown("f", ps_uid, ps_gid));
	T_MODE("f", 0755);
	T_SYS(put_file("g", "x", 0644));
	T_SYS(chmod("g", 02745));	/* set-gid without group execute stays */
	T_SYS(chown("g", ps_uid, -1));
	T_MODE("g", 02745);
	T_SYS(put_file("u", "x", 0644));
	T_SYS(chown("u", ps_uid, ps_gid));
	T_SYS(chmod("u", 06755));
	T_USER(chown("u", -1, ps_gid), 0);	/* the owner's chgrp to its own group */
	T_MODE("u", 0755);
	T_SYS(mkdir("d", 0755));
	T_SYS(chmod("d", 06755));	/* directories keep them */
	T_SYS(chown("d", ps_uid, ps_gid));
	T_MODE("d", 06755);
	return R_PASS;
}

static int
sgid_dir_inherit(void)
{
	struct stat st;

	T_SYS(mkdir("d", 0777));
	T_SYS(chown("d", 0, ps_gid));
	T_SYS(chmod("d", 02777));
	T_SYS(put_file("d/rootfile", "", 0644));
	T_SYS(stat("d/rootfile", &st));
	T_EQ(st.st_gid, ps_gid);
	T_EQ(st.st_mode & 07777, 0644);
	T_SYS(mkdir("d/sub", 0755));
	T_SYS(stat("d/sub", &st));
	T_EQ(st.st_gid, ps_gid);
	T_EQ(st.st_mode & 07777, 02755);	/* subdirectories inherit S_ISGID */
	T_USER(user_create("d/userfile"), 0);
	T_SYS(stat("d/userfile", &st));
	T_EQ(st.st_uid, ps_uid);
	T_EQ(st.st_gid, ps_gid);
	/* The group is not the user's: a set-gid file it creates loses S_ISGID. */
	T_SYS(chown("d", 0, 0));
	T_SYS(chmod("d", 02777));
	T_USER(user_create_mode("d/ufile2", 02755), 0);
	T_SYS(stat("d/ufile2", &st));
	T_EQ(st.st_gid, 0);
	T_EQ(st.st_mode & 07777, 0755);
	/* and chmod by the owner drops S_ISGID silently */
	T_USER(chmod("d/ufile2", 02755), 0);
	T_MODE("d/ufile2", 0755);
	return R_PASS;
}

static int
sticky_dir(void)
{
	T_SYS(mkdir("t", 0777));
	T_SYS(chmod("t", 01777));
	T_SYS(put_file("t/rootfile", "", 0666));
	T_USER(unlink("t/rootfile"), EPERM);
	T_USER(rename("t/rootfile", "t/x"), EPERM);
	T_USER(user_create("t/mine"), 0);
	T_USER(rename("t/mine", "t/mine2"), 0);
	T_USER(rename("t/mine2", "t/rootfile"), EPERM);	/* replacing root's file */
	T_USER(unlink("t/mine2"), 0);
	T_SYS(unlink("t/rootfile"));
	return R_PASS;
}

static int
perm_umask(void)
{
	struct stat st;

	T_SYS(user_dir("d"));
	T_USER((umask(077), user_create("d/a")), 0);
	T_SYS(stat("d/a", &st));
	T_EQ(st.st_mode & 07777, 0600);
	T_USER((umask(0), user_create_mode("d/b", 0666)), 0);
	T_MODE("d/b", 0666);
	T_USER((umask(027), mkdir("d/c", 0777)), 0);
	T_MODE("d/c", 0750);
	return R_PASS;
}

const struct check perm_checks[] = {
	{ "perm_create_eacces", perm_create_eacces, C_USER },
	{ "perm_owner", perm_owner, C_USER },
	{ "perm_read_0600", perm_read_0600, C_USER },
	{ "perm_chmod_eperm", perm_chmod_eperm, C_USER },
	{ "suid_write_by_other", suid_write_other, C_USER },
	{ "suid_write_by_owner", suid_write_owner, C_USER },
	{ "suid_write_by_root", suid_write_root, C_USER },
	{ "suid_truncate", suid_truncate, C_USER },
	{ "suid_chown", suid_chown, C_USER },
	{ "owner_chgrp_supp", owner_chgrp_supp, C_USER },
	{ "sgid_dir_inherit", sgid_dir_inherit, C_USER },
	{ "sticky_dir", sticky_dir, C_USER },
	{ "perm_umask", perm_umask, C_USER },
	{ NULL, NULL, 0 }
};
