/*
 * SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR against the real worker: values, size
 * probes, ERANGE, flags, special files (never opened), an unprivileged caller, POSIX ACL
 * names with and without --posix-acl (and SGID cleared on an ACL set when asked), and
 * ENOSYS when xattrs are off.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/fuse.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

static void
start(struct wh *w, uint32_t flags)
{
	struct wh_opts	o;

	wh_opts_default(&o);
	o.flags = flags;
	o.threads = 2;		/* xattr calls change the cwd of their own thread only */
	wh_start_session(w, &o, 0);
}

static void
stop(struct wh *w)
{
	wh_finish(w);
}

static void
test_values(struct wh *w)
{
	char		buf[256];
	uint64_t	f, n;

	wh_host_file(w, "f", "x");
	f = wh_node(w, "f");
	CHECK(wh_setxattr(w, f, "user.a", "value", 5, 0, 0) == 0);
	CHECK(getxattr(wh_path(w, "f"), "user.a", buf, sizeof(buf)) == 5 &&
	    memcmp(buf, "value", 5) == 0);
	CHECK(wh_getxattr(w, f, "user.a", 0, NULL, &n) == 0 && n == 5);
	CHECK(wh_getxattr(w, f, "user.a", sizeof(buf), buf, &n) == 0 && n == 5 &&
	    memcmp(buf, "value", 5) == 0);
	CHECK(wh_getxattr(w, f, "user.a", 2, buf, &n) == ERANGE);
	CHECK(wh_getxattr(w, f, "user.none", sizeof(buf), buf, &n) == ENODATA);
	CHECK(wh_setxattr(w, f, "user.a", "v2", 2, XATTR_CREATE, 0) == EEXIST);
	CHECK(wh_setxattr(w, f, "user.b", "v2", 2, XATTR_REPLACE, 0) == ENODATA);
	CHECK(wh_setxattr(w, f, "user.b", "", 0, XATTR_CREATE, 0) == 0);
	CHECK(wh_setxattr(w, f, "user.c", "v", 1, 0x40, 0) == EINVAL);
	CHECK(wh_listxattr(w, f, 0, NULL, &n) == 0 && n == 14);
	CHECK(wh_listxattr(w, f, sizeof(buf), buf, &n) == 0 && n == 14 &&
	    memcmp(buf, "user.a\0user.b\0", 14) == 0);
	CHECK(wh_listxattr(w, f, 10, buf, &n) == ERANGE);
	CHECK(wh_removexattr(w, f, "user.a") == 0);
	CHECK(wh_removexattr(w, f, "user.a") == ENODATA);
	CHECK(getxattr(wh_path(w, "f"), "user.a", buf, sizeof(buf)) == -1);
	CHECK(wh_getxattr(w, f, "", sizeof(buf), buf, &n) > 0);
	CHECK(wh_setxattr(w, f, "nonamespace", "v", 1, 0, 0) == EOPNOTSUPP);
	CHECK(wh_getxattr(w, 5555555, "user.a", sizeof(buf), buf, &n) > 0);
}

/* A FIFO and a symlink: reached through /proc, never opened (a FIFO open would hang). */
static void
test_special(struct wh *w)
{
	char		buf[256];
	uint64_t	p, l, n;

	CHECK(mkfifo(wh_path(w, "p"), 0644) == 0);
	CHECK(symlink("f", wh_path(w, "l")) == 0);
	p = wh_node(w, "p");
	l = wh_node(w, "l");
	CHECK(wh_setxattr(w, p, "user.a", "v", 1, 0, 0) == EPERM);
	CHECK(wh_getxattr(w, p, "user.a", sizeof(buf), buf, &n) == ENODATA);
	CHECK(wh_listxattr(w, l, sizeof(buf), buf, &n) == 0);
	CHECK(wh_setxattr(w, l, "user.a", "v", 1, 0, 0) == EPERM);
	/* the symlink's own attributes, not its target's */
	CHECK(setxattr(wh_path(w, "f"), "user.target", "v", 1, 0) == 0);
	CHECK(wh_getxattr(w, l, "user.target", sizeof(buf), buf, &n) == ENODATA);
	/* trusted.* takes CAP_SYS_ADMIN, which the worker does not keep (as virtiofsd) */
	CHECK(wh_setxattr(w, l, "trusted.t", "v", 1, 0, 0) == EPERM);
}

static void
test_unprivileged(struct wh *w)
{
	static const uint8_t	cap[20] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x04 };
	char		buf[256];
	uint64_t	f, s, n;

	wh_host_file(w, "ro", "x");
	wh_host_file(w, "secret", "x");
	chmod(wh_path(w, "secret"), 0600);
	CHECK(setxattr(wh_path(w, "ro"), "user.k", "v", 1, 0) == 0);
	CHECK(setxattr(wh_path(w, "secret"), "user.k", "v", 1, 0) == 0);
	f = wh_node(w, "ro");
	s = wh_node(w, "secret");
	wh_uid = wh_gid = 1000;
	CHECK(wh_getxattr(w, f, "user.k", sizeof(buf), buf, &n) == 0 && n == 1);
	CHECK(wh_setxattr(w, f, "user.k", "w", 1, 0, 0) == EACCES);
	CHECK(wh_removexattr(w, f, "user.k") == EACCES);
	CHECK(wh_getxattr(w, s, "user.k", sizeof(buf), buf, &n) == EACCES);
	CHECK(wh_setxattr(w, f, "trusted.x", "v", 1, 0, 0) == EPERM);
	CHECK(wh_getxattr(w, f, "trusted.x", sizeof(buf), buf, &n) == ENODATA);
	/* file capabilities: only a privileged caller, as locally */
	wh_host_file(w, "own", "x");
	CHECK(chown(wh_path(w, "own"), 1000, 1000) == 0);
	CHECK(wh_setxattr(w, wh_node(w, "own"), "security.capability", cap, sizeof(cap), 0,
	    0) == EPERM);
	wh_uid = wh_gid = 0;
	CHECK(wh_setxattr(w, wh_node(w, "own"), "security.capability", cap, sizeof(cap), 0,
	    0) == 0);
	wh_uid = wh_gid = 1000;
	CHECK(wh_removexattr(w, wh_node(w, "own"), "security.capability") == EPERM);
	wh_uid = wh_gid = 0;
	CHECK(wh_removexattr(w, wh_node(w, "own"), "security.capability") == 0);
	CHECK(getxattr(wh_path(w, "ro"), "user.k", buf, sizeof(buf)) == 1 && buf[0] == 'v');
}

/* A minimal access ACL: user rwx, group r-x, other r-x. */
static const uint8_t acl[] = {
	2, 0, 0, 0,
	1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
	4, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
	0x20, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
};

static void
test_acl(struct wh *w, int enabled)
{
	char		buf[256];
	uint64_t	f, n;

	wh_host_file(w, "acl", "x");
	CHECK(chown(wh_path(w, "acl"), 1000, 1000) == 0);
	CHECK(chmod(wh_path(w, "acl"), 02775) == 0);
	f = wh_node(w, "acl");
	if (!enabled) {
		CHECK(wh_setxattr(w, f, "system.posix_acl_access", acl, sizeof(acl), 0,
		    0) == EOPNOTSUPP);
		CHECK(wh_getxattr(w, f, "system.posix_acl_access", sizeof(buf), buf,
		    &n) == EOPNOTSUPP);
		CHECK(wh_getxattr(w, f, "system.posix_acl_default", 0, NULL,
		    &n) == EOPNOTSUPP);
		return;
	}
	/* guest root is not in group 1000: with KILL_SGID the kernel drops SGID */
	CHECK(wh_setxattr(w, f, "system.posix_acl_access", acl, sizeof(acl), 0, 0) == 0);
	CHECK(wh_host_mode(w, "acl") == 02755);
	CHECK(wh_setxattr(w, f, "system.posix_acl_access", acl, sizeof(acl), 0,
	    FUSE_SETXATTR_ACL_KILL_SGID) == 0);
	CHECK(wh_host_mode(w, "acl") == 0755);
}

/* 1 when the NUL-separated list holds name. */
static int
listed(const char *list, size_t len, const char *name)
{
	size_t	off;

	for (off = 0; off < len; off += strlen(list + off) + 1)
		if (strcmp(list + off, name) == 0)
			return 1;
	return 0;
}

/* --xattrmap rules applied by the worker (virtiofsd's second documented example). */
static void
test_map(void)
{
	struct wh	w;
	struct wh_opts	o;
	char		buf[256];
	uint64_t	f, n;

	wh_opts_default(&o);
	o.flags = CONFIG_XATTR;
	o.env = "PRIVFSD_TEST_XATTRMAP=/prefix/all/trusted./user.virtiofs./ "
	    "/bad/server//trusted./ /bad/client/user.virtiofs.// "
	    "/unsupported/all/security.selinux/security.selinux/ /ok/all///";
	wh_start_session(&w, &o, 0);
	wh_host_file(&w, "f", "x");
	CHECK(setxattr(wh_path(&w, "f"), "trusted.hidden", "h", 1, 0) == 0);
	f = wh_node(&w, "f");
	CHECK(wh_setxattr(&w, f, "trusted.a", "A", 1, 0, 0) == 0);
	CHECK(getxattr(wh_path(&w, "f"), "user.virtiofs.trusted.a", buf, sizeof(buf)) == 1);
	CHECK(wh_getxattr(&w, f, "trusted.a", sizeof(buf), buf, &n) == 0 && n == 1 &&
	    buf[0] == 'A');
	CHECK(wh_setxattr(&w, f, "user.plain", "P", 1, 0, 0) == 0);
	CHECK(getxattr(wh_path(&w, "f"), "user.plain", buf, sizeof(buf)) == 1);
	/* the prefix itself is off limits; bad names read as absent */
	CHECK(wh_setxattr(&w, f, "user.virtiofs.z", "Z", 1, 0, 0) == EPERM);
	CHECK(wh_getxattr(&w, f, "user.virtiofs.trusted.a", sizeof(buf), buf,
	    &n) == ENODATA);
	CHECK(wh_removexattr(&w, f, "user.virtiofs.trusted.a") == EPERM);
	CHECK(wh_setxattr(&w, f, "security.selinux", "s", 1, 0, 0) == EOPNOTSUPP);
	CHECK(wh_getxattr(&w, f, "security.selinux", sizeof(buf), buf, &n) == EOPNOTSUPP);
	/* the list: renamed, host trusted.* hidden, sized as the guest sees it */
	CHECK(wh_listxattr(&w, f, 0, NULL, &n) == 0 && n == 21);
	CHECK(wh_listxattr(&w, f, sizeof(buf), buf, &n) == 0 && n == 21 &&
	    listed(buf, n, "trusted.a") && listed(buf, n, "user.plain") &&
	    !listed(buf, n, "trusted.hidden"));
	CHECK(wh_listxattr(&w, f, 20, buf, &n) == ERANGE);
	CHECK(wh_removexattr(&w, f, "trusted.a") == 0);
	CHECK(getxattr(wh_path(&w, "f"), "user.virtiofs.trusted.a", buf, 1) == -1);
	stop(&w);
}

static void
test_disabled(void)
{
	struct wh	w;
	char		buf[16];
	uint64_t	f, n;

	start(&w, 0);
	wh_host_file(&w, "f", "x");
	f = wh_node(&w, "f");
	CHECK(wh_setxattr(&w, f, "user.a", "v", 1, 0, 0) == ENOSYS);
	CHECK(wh_getxattr(&w, f, "user.a", sizeof(buf), buf, &n) == ENOSYS);
	CHECK(wh_listxattr(&w, f, sizeof(buf), buf, &n) == ENOSYS);
	CHECK(wh_removexattr(&w, f, "user.a") == ENOSYS);
	stop(&w);
}

int
main(void)
{
	struct wh	w;

	start(&w, CONFIG_XATTR);
	test_values(&w);
	test_special(&w);
	test_unprivileged(&w);
	test_acl(&w, 0);
	stop(&w);

	start(&w, CONFIG_XATTR | CONFIG_POSIX_ACL);
	test_acl(&w, 1);
	stop(&w);

	test_map();
	test_disabled();
	return check_done("ops-xattr");
}
