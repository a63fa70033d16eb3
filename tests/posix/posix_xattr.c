/*
 * posixsuite: extended attributes (user.*, trusted.*) and POSIX ACLs through the raw
 * system.posix_acl_* attributes, whose binary form is built here by hand (no libacl in a
 * busybox guest).
 */
#include <sys/stat.h>
#include <sys/xattr.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

#define XATTR_UNSUPPORTED(e)	((e) == EOPNOTSUPP || (e) == ENOSYS)

/* The kernel's ACL xattr layout (include/uapi/linux/posix_acl_xattr.h). */
#define ACL_XATTR_VERSION	2
#define ACL_USER_OBJ		0x01
#define ACL_USER		0x02
#define ACL_GROUP_OBJ		0x04
#define ACL_GROUP		0x08
#define ACL_MASK		0x10
#define ACL_OTHER		0x20
#define ACL_UNDEFINED_ID	0xffffffffu

struct acl_entry {
	uint16_t	tag;
	uint16_t	perm;
	uint32_t	id;
};

/* acl_blob: BUF gets the xattr form of the N entries (sorted by the caller); its size. */
static size_t
acl_blob(unsigned char *buf, const struct acl_entry *e, int n)
{
	uint32_t v = htole32(ACL_XATTR_VERSION);
	size_t off = 4;
	int i;

	memcpy(buf, &v, 4);
	for (i = 0; i < n; i++) {
		uint16_t tag = htole16(e[i].tag), perm = htole16(e[i].perm);
		uint32_t id = htole32(e[i].id);

		memcpy(buf + off, &tag, 2);
		memcpy(buf + off + 2, &perm, 2);
		memcpy(buf + off + 4, &id, 4);
		off += 8;
	}
	return off;
}

static int
xattr_user(void)
{
	char buf[256];
	ssize_t n;

	T_SYS(put_file("f", "", 0644));
	if (setxattr("f", "user.test", "value", 5, 0) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	T_SYS(setxattr("f", "user.test", "value", 5, 0));
	T_EQ(getxattr("f", "user.test", buf, sizeof(buf)), 5);
	T_ASSERT(memcmp(buf, "value", 5) == 0, "value %.5s", buf);
	T_SYS(setxattr("f", "user.other", "", 0, 0));	/* empty value */
	T_EQ(getxattr("f", "user.other", buf, sizeof(buf)), 0);
	T_SYS(n = listxattr("f", buf, sizeof(buf)));
	T_ASSERT(memmem(buf, n, "user.test\0", 10) != NULL &&
	    memmem(buf, n, "user.other\0", 11) != NULL, "listxattr lacks a name");
	T_SYS(setxattr("f", "user.test", "longer value", 12, 0));	/* replaces */
	T_EQ(getxattr("f", "user.test", buf, sizeof(buf)), 12);
	T_SYS(removexattr("f", "user.test"));
	T_ERR(getxattr("f", "user.test", buf, sizeof(buf)), ENODATA);
	T_ERR(removexattr("f", "user.test"), ENODATA);
	T_SYS(n = listxattr("f", buf, sizeof(buf)));
	T_ASSERT(memmem(buf, n, "user.test\0", 10) == NULL, "removed name still listed");
	T_ERR(setxattr("f", "user.", "x", 1, 0), EINVAL);
	T_ERR(setxattr("f", "nonamespace", "x", 1, 0), EOPNOTSUPP);
	T_ERR(getxattr("missing", "user.test", buf, sizeof(buf)), ENOENT);
	return R_PASS;
}

static int
xattr_flags(void)
{
	char buf[16];

	T_SYS(put_file("f", "", 0644));
	if (setxattr("f", "user.a", "1", 1, XATTR_CREATE) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	T_ERR(setxattr("f", "user.a", "2", 1, XATTR_CREATE), EEXIST);
	T_ERR(setxattr("f", "user.b", "2", 1, XATTR_REPLACE), ENODATA);
	T_SYS(setxattr("f", "user.a", "3", 1, XATTR_REPLACE));
	T_EQ(getxattr("f", "user.a", buf, sizeof(buf)), 1);
	T_ASSERT(buf[0] == '3', "XATTR_REPLACE did not replace");
	T_ERR(getxattr("f", "user.b", buf, sizeof(buf)), ENODATA);
	return R_PASS;
}

static int
xattr_erange(void)
{
	char buf[4096], small[4];
	ssize_t n, need;
	int i;

	T_SYS(put_file("f", "", 0644));
	memset(buf, 'v', 2000);
	if (setxattr("f", "user.big", buf, 2000, 0) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	T_SYS(setxattr("f", "user.big", buf, 2000, 0));
	T_EQ(getxattr("f", "user.big", NULL, 0), 2000);		/* size probe */
	T_ERR(getxattr("f", "user.big", small, sizeof(small)), ERANGE);
	T_EQ(getxattr("f", "user.big", buf, sizeof(buf)), 2000);
	for (i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user.n%02d", i);
		T_SYS(setxattr("f", name, "x", 1, 0));
	}
	T_SYS(need = listxattr("f", NULL, 0));
	T_ASSERT(need >= 20 * 9 + 9, "listxattr size %zd", need);
	T_ERR(listxattr("f", small, sizeof(small)), ERANGE);
	T_SYS(n = listxattr("f", buf, sizeof(buf)));
	T_EQ(n, need);
	T_ERR(getxattr("f", "user.big", buf, 1999), ERANGE);
	return R_PASS;
}

static int
xattr_symlink(void)
{
	char buf[16];

	T_SYS(put_file("f", "", 0644));
	T_SYS(symlink("f", "l"));
	if (setxattr("f", "user.a", "1", 1, 0) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	/* user.* is for regular files and directories only */
	T_ERR(lsetxattr("l", "user.a", "1", 1, 0), EPERM);
	T_EQ(getxattr("l", "user.a", buf, sizeof(buf)), 1);	/* follows */
	T_ERR(lgetxattr("l", "user.a", buf, sizeof(buf)), ENODATA);
	T_SYS(mkdir("d", 0755));
	T_SYS(setxattr("d", "user.d", "dir", 3, 0));
	T_EQ(getxattr("d", "user.d", buf, sizeof(buf)), 3);
	T_SYS(mkfifo("p", 0644));
	T_ERR(setxattr("p", "user.a", "1", 1, 0), EPERM);
	return R_PASS;
}

static int
xattr_perm(void)
{
	char buf[256];

	T_SYS(put_file("f", "", 0644));
	if (setxattr("f", "user.a", "1", 1, 0) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	T_USER(getxattr("f", "user.a", buf, sizeof(buf)), 0);
	T_USER(setxattr("f", "user.b", "1", 1, 0), EACCES);
	T_USER(removexattr("f", "user.a"), EACCES);
	T_SYS(chmod("f", 0600));
	T_USER(getxattr("f", "user.a", buf, sizeof(buf)), EACCES);
	T_SYS(chmod("f", 0666));
	T_USER(setxattr("f", "user.b", "1", 1, 0), 0);
	return R_PASS;
}

/* trusted.* is root's: hidden from others' lists, refused to their get and set. */
static int
xattr_trusted(void)
{
	char buf[256];
	ssize_t n;

	T_SYS(put_file("f", "", 0666));
	if (setxattr("f", "trusted.t", "t", 1, 0) == -1) {
		if (errno == EPERM || XATTR_UNSUPPORTED(errno))
			return skip("trusted.* as root: %s (a back-end without CAP_SYS_ADMIN)",
			    ename(errno));
		T_FAIL("setxattr trusted.t: %s", ename(errno));
	}
	T_EQ(getxattr("f", "trusted.t", buf, sizeof(buf)), 1);
	T_SYS(n = listxattr("f", buf, sizeof(buf)));
	T_ASSERT(memmem(buf, n, "trusted.t\0", 10) != NULL, "root does not list trusted.t");
	T_USER(setxattr("f", "trusted.u", "1", 1, 0), EPERM);
	T_USER(getxattr("f", "trusted.t", buf, sizeof(buf)), ENODATA);
	return R_PASS;
}

/* Attributes of a file that is open but has no name any more. */
static int
xattr_fd_unlinked(void)
{
	char buf[16];
	int fd;

	T_SYS(fd = open("f", O_RDWR | O_CREAT, 0644));
	if (fsetxattr(fd, "user.a", "1", 1, 0) == -1 && XATTR_UNSUPPORTED(errno))
		return skip("user xattrs: %s", ename(errno));
	T_SYS(unlink("f"));
	T_SYS(fsetxattr(fd, "user.b", "22", 2, 0));
	T_EQ(fgetxattr(fd, "user.a", buf, sizeof(buf)), 1);
	T_EQ(fgetxattr(fd, "user.b", buf, sizeof(buf)), 2);
	T_SYS(fremovexattr(fd, "user.a"));
	T_EQ(flistxattr(fd, buf, sizeof(buf)), 7);
	close(fd);
	return R_PASS;
}

/* acl_support: R_PASS when the mount takes POSIX ACLs on PATH; else a skip. */
static int
acl_support(const char *path)
{
	char buf[64];

	if (getxattr(path, "system.posix_acl_access", buf, sizeof(buf)) == -1 &&
	    errno != ENODATA)
		return skip("no POSIX ACLs on this mount (getxattr system.posix_acl_access: %s)",
		    ename(errno));
	return R_PASS;
}

static int
acl_access(void)
{
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 6, ACL_UNDEFINED_ID },
		{ ACL_USER, 6, ps_uid },
		{ ACL_GROUP_OBJ, 4, ACL_UNDEFINED_ID },
		{ ACL_MASK, 6, ACL_UNDEFINED_ID },
		{ ACL_OTHER, 0, ACL_UNDEFINED_ID },
	};
	unsigned char blob[128], back[128];
	size_t len;
	int r;

	T_SYS(put_file("f", "", 0644));
	if ((r = acl_support("f")) != R_PASS)
		return r;
	T_USER(open("f", O_WRONLY), EACCES);
	len = acl_blob(blob, e, 5);
	T_SYS(setxattr("f", "system.posix_acl_access", blob, len, 0));
	T_MODE("f", 0660);		/* group bits show the mask */
	T_EQ(getxattr("f", "system.posix_acl_access", back, sizeof(back)), len);
	T_ASSERT(memcmp(blob, back, len) == 0, "the ACL read back differs");
	T_USER(open("f", O_WRONLY), 0);	/* the named user entry grants it */
	T_SYS(chmod("f", 0640));		/* chmod changes the mask */
	T_USER(open("f", O_WRONLY), EACCES);
	T_USER(open("f", O_RDONLY), 0);
	T_SYS(removexattr("f", "system.posix_acl_access"));
	T_USER(open("f", O_RDONLY), EACCES);	/* back to plain 0640 */
	T_ERR(setxattr("f", "system.posix_acl_access", blob, len - 1, 0), EINVAL);
	return R_PASS;
}

static int
acl_default(void)
{
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 7, ACL_UNDEFINED_ID },
		{ ACL_USER, 7, ps_uid },
		{ ACL_GROUP_OBJ, 5, ACL_UNDEFINED_ID },
		{ ACL_MASK, 7, ACL_UNDEFINED_ID },
		{ ACL_OTHER, 5, ACL_UNDEFINED_ID },
	};
	unsigned char blob[128];
	char buf[128];
	size_t len;
	int r;

	T_SYS(mkdir("d", 0755));
	if ((r = acl_support("d")) != R_PASS)
		return r;
	len = acl_blob(blob, e, 5);
	T_SYS(setxattr("d", "system.posix_acl_default", blob, len, 0));
	T_EQ(getxattr("d", "system.posix_acl_default", buf, sizeof(buf)), len);
	/* A default ACL replaces the umask (022 here): the new file is 0666 & the ACL. */
	T_SYS(put_file("d/f", "", 0666));
	T_MODE("d/f", 0664);
	T_ASSERT(getxattr("d/f", "system.posix_acl_access", buf, sizeof(buf)) > 0,
	    "the new file has no access ACL: %s", ename(errno));
	T_ERR(getxattr("d/f", "system.posix_acl_default", buf, sizeof(buf)), ENODATA);
	T_USER(open("d/f", O_WRONLY), 0);
	T_SYS(mkdir("d/sub", 0777));
	T_MODE("d/sub", 0775);
	T_EQ(getxattr("d/sub", "system.posix_acl_default", buf, sizeof(buf)), len);
	T_ERR(setxattr("d/f", "system.posix_acl_default", blob, len, 0), EACCES);
	return R_PASS;
}

static int
acl_sgid_cleared(void)
{
	const struct acl_entry e[] = {
		{ ACL_USER_OBJ, 7, ACL_UNDEFINED_ID },
		{ ACL_USER, 7, ps_uid + 1 },
		{ ACL_GROUP_OBJ, 5, ACL_UNDEFINED_ID },
		{ ACL_MASK, 5, ACL_UNDEFINED_ID },
		{ ACL_OTHER, 0, ACL_UNDEFINED_ID },
	};
	unsigned char blob[128];
	size_t len;
	int r;

	T_SYS(put_file("f", "", 0644));
	T_SYS(put_file("g", "", 0644));
	if ((r = acl_support("f")) != R_PASS)
		return r;
	len = acl_blob(blob, e, 5);
	/* The owner is not in the file's group (0): setting an ACL drops S_ISGID. */
	T_SYS(chown("f", ps_uid, 0));
	T_SYS(chmod("f", 02777));
	T_USER(setxattr("f", "system.posix_acl_access", blob, len, 0), 0);
	T_MODE("f", 0750);
	/* root keeps it (CAP_FSETID) */
	T_SYS(chown("g", ps_uid, 0));
	T_SYS(chmod("g", 02777));
	T_SYS(setxattr("g", "system.posix_acl_access", blob, len, 0));
	T_MODE("g", 02750);
	return R_PASS;
}

const struct check xattr_checks[] = {
	{ "xattr_user", xattr_user, 0 },
	{ "xattr_flags", xattr_flags, 0 },
	{ "xattr_erange", xattr_erange, 0 },
	{ "xattr_symlink", xattr_symlink, 0 },
	{ "xattr_fd_unlinked", xattr_fd_unlinked, 0 },
	{ "xattr_perm", xattr_perm, C_USER },
	{ "xattr_trusted", xattr_trusted, C_USER },
	{ "acl_access", acl_access, C_USER },
	{ "acl_default", acl_default, C_USER },
	{ "acl_sgid_cleared", acl_sgid_cleared, C_USER },
	{ NULL, NULL, 0 }
};
