/*
 * The worker's privileges follow the caller. Each case here was a hole found by a hostile
 * review (numbered as in the review) or is the negative case of one of the named
 * privileged operations in worker/privop.c, where a caller who may not do the thing
 * must fail:
 *
 *   escape-file-caps      1   guest root mapped to host 100000 sets security.capability
 *   setattr-foreign-fh    2   SETATTR on one's own node with a handle of root's file
 *   unmapped-ids          6   an id outside every map rule passes unchanged
 *   owner-chgrp          10   an owner gives its file to one of its (guest) groups
 *   acl-ids              11   POSIX ACL entries carry guest ids to the host unmapped
 *   thread-caps               a thread serving a non-root caller holds no capability
 *   privop_setid_clear, privop_writer_times, privop_owner_chgrp, privop_handle_open:
 *                             the non-owner cases (tests/worker/privop-audit.sh checks
 *                             that every privileged operation has its case here)
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define ACL_VERSION	2
#define ACL_USER_OBJ	0x01
#define ACL_USER	0x02
#define ACL_GROUP_OBJ	0x04
#define ACL_GROUP	0x08
#define ACL_MASK	0x10
#define ACL_OTHER	0x20
#define ACL_NOID	0xffffffffu
#define ID_OVERFLOW_TEST	65534	/* how the guest sees a host id no rule maps */

struct acl_ent {
	uint16_t	tag, perm;
	uint32_t	id;
};

static void
as(uint32_t uid, uint32_t gid)
{
	wh_uid = uid;
	wh_gid = gid;
}

/* A host file with owner and mode; its node id, looked up as the current caller. */
static uint64_t
hfile(struct wh *w, const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	struct msg_entry	e;
	struct wh_body		b;
	struct wh_reply		rep;

	wh_host_file(w, name, "0123456789");
	if (chown(wh_path(w, name), uid, gid) == -1 || chmod(wh_path(w, name), mode) == -1)
		perror(name);
	wh_body_init(&b);
	wh_body_str(&b, name);
	if (wh_call_body(w, IMSG_FRONTEND_LOOKUP, WH_ROOT, &b, &rep) != 0 ||
	    rep.len < sizeof(e))
		return 0;
	memcpy(&e, rep.data, sizeof(e));
	return e.nodeid;
}

/* A request as the current caller with a fixed body; the reply's payload into out. */
static int
call_fixed(struct wh *w, uint32_t type, uint64_t node, const void *body, size_t len,
    void *out, size_t outlen)
{
	struct wh_body		b;
	struct wh_reply		rep;
	int			err;

	wh_body_init(&b);
	wh_body_put(&b, body, len);
	if ((err = wh_call_body(w, type, node, &b, &rep)) == 0 && rep.len >= outlen)
		memcpy(out, rep.data, outlen);
	return err;
}

static int
getattr_as(struct wh *w, uint64_t node, struct msg_attr *a)
{
	struct msg_getattr	g;

	memset(&g, 0, sizeof(g));
	return call_fixed(w, IMSG_FRONTEND_GETATTR, node, &g, sizeof(g), a, sizeof(*a));
}

static int
open_as(struct wh *w, uint64_t node, uint32_t flags, uint64_t *fh)
{
	struct msg_open		o;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	return call_fixed(w, IMSG_FRONTEND_OPEN, node, &o, sizeof(o), fh, sizeof(*fh));
}

static int
setattr(struct wh *w, uint64_t node, uint32_t valid, uint32_t mode, uint32_t uid,
    uint32_t gid, uint64_t fh)
{
	struct msg_setattr	s;
	struct msg_attr		a;

	memset(&s, 0, sizeof(s));
	s.valid = valid | (fh != 0 ? SETATTR_FH : 0);
	s.mode = mode;
	s.uid = uid;
	s.gid = gid;
	s.fh = fh;
	s.mtime = s.ctime = 1000000;
	return wh_setattr(w, node, &s, &a);
}

static struct stat
hstat(const struct wh *w, const char *name)
{
	struct stat	st;

	wh_host_stat(w, name, &st);
	return st;
}

static void
map(struct msg_idmap *m, uint32_t from, uint32_t to, uint32_t count)
{
	*m = (struct msg_idmap){ .from = from, .to = to, .count = count, .kind = 1 };
}

/* A tenant's maps: root stays root, guest 1000-1009 are host 101000-101009. */
static void
map_tenant(struct wh_opts *o)
{
	map(&o->uid_map[0], 0, 0, 1);
	map(&o->uid_map[1], 1000, 101000, 10);
	map(&o->gid_map[0], 0, 0, 1);
	map(&o->gid_map[1], 1000, 101000, 10);
}

/* 1. Guest root is host 100000 here: it may not give a host binary capabilities. */
static void
test_escape_file_caps(void)
{
	/* vfs_cap_data revision 2, permitted cap_setuid, effective bit */
	static const uint32_t caps[5] = { 0x02000001, 1u << CAP_SETUID, 0, 0, 0 };
	struct wh_opts	o;
	struct wh	w;
	uint64_t	n;
	char		buf[64];

	wh_opts_default(&o);
	o.flags = CONFIG_XATTR;
	map(&o.uid_map[0], 0, 100000, 65536);
	map(&o.gid_map[0], 0, 100000, 65536);
	wh_start_session(&w, &o, 0);
	as(0, 0);
	n = hfile(&w, "bin", 0, 0, 0755);
	CHECK(n != 0);
	CHECK(wh_setxattr(&w, n, "security.capability", caps, sizeof(caps), 0, 0) ==
	    EPERM);
	CHECK(getxattr(wh_path(&w, "bin"), "security.capability", buf, sizeof(buf)) ==
	    -1 && errno == ENODATA);
	/* not through a file of its own either: it is not host root */
	wh_host_file(&w, "own", "x");
	CHECK(chown(wh_path(&w, "own"), 100000, 100000) == 0);
	n = hfile(&w, "own", 100000, 100000, 0755);
	CHECK(n != 0 && wh_setxattr(&w, n, "security.capability", caps, sizeof(caps), 0,
	    0) == EPERM);
	/* a device node neither */
	CHECK(wh_mknod(&w, WH_ROOT, "dev", S_IFCHR | 0600, 0x0103, NULL) == EPERM);
	wh_finish(&w);
}

/* 2. The object checked is the object changed: no handle of another node. */
static void
test_setattr_foreign_fh(void)
{
	struct wh	w;
	uint64_t	root_file, mine, fh = 0;

	wh_start_session(&w, NULL, 0);
	as(1000, 1000);
	root_file = hfile(&w, "suid", 0, 0, 04755);
	mine = hfile(&w, "mine", 1000, 1000, 0644);
	CHECK(root_file != 0 && mine != 0);
	CHECK(open_as(&w, root_file, O_RDONLY, &fh) == 0);
	CHECK(setattr(&w, mine, SETATTR_MODE, 0755, 0, 0, fh) == EBADF);
	CHECK(setattr(&w, root_file, SETATTR_MODE, 0755, 0, 0, fh) == EPERM);
	CHECK((hstat(&w, "suid").st_mode & 07777) == 04755);
	wh_finish(&w);
}

/* 6. With map rules, ids no rule names do not exist, either way. */
static void
test_unmapped_ids(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_attr		a;
	uint64_t		n, fh;

	wh_opts_default(&o);
	map_tenant(&o);
	wh_start_session(&w, &o, 0);
	as(0, 0);
	n = hfile(&w, "other", 70000, 70000, 0600);
	CHECK(n != 0);
	CHECK(wh_getattr(&w, n, &a) == 0 && a.uid == ID_OVERFLOW_TEST &&
	    a.gid == ID_OVERFLOW_TEST);
	as(70000, 70000);
	CHECK(open_as(&w, n, O_RDONLY, &fh) == EPERM);
	as(1000, 70000);
	CHECK(open_as(&w, n, O_RDONLY, &fh) == EPERM);
	as(1001, 1001);
	CHECK(getattr_as(&w, n, &a) == 0);
	wh_finish(&w);
}

/* 10. The owner may give its file to another group (the guest checked membership). */
static void
test_owner_chgrp(void)
{
	struct wh	w;
	uint64_t	g, g2;

	wh_start_session(&w, NULL, 0);
	as(1000, 1000);
	g = hfile(&w, "g", 1000, 1000, 0644);
	g2 = hfile(&w, "g2", 1000, 1000, 0644);
	CHECK(setattr(&w, g, SETATTR_GID, 0, 0, 1001, 0) == 0);
	CHECK(hstat(&w, "g").st_gid == 1001 && hstat(&w, "g").st_uid == 1000);
	CHECK(setattr(&w, g, SETATTR_UID | SETATTR_GID, 0, 1000, 1002, 0) == 0);
	CHECK(hstat(&w, "g").st_gid == 1002);
	/* privop_owner_chgrp: not the owner, or the owner changing too */
	as(1001, 1001);
	CHECK(setattr(&w, g2, SETATTR_GID, 0, 0, 1001, 0) == EPERM);
	as(1000, 1000);
	CHECK(setattr(&w, g2, SETATTR_UID | SETATTR_GID, 0, 1001, 1001, 0) == EPERM);
	CHECK(hstat(&w, "g2").st_uid == 1000 && hstat(&w, "g2").st_gid == 1000);
	wh_finish(&w);
}

static void
test_owner_chgrp_mapped(void)
{
	struct wh_opts	o;
	struct wh	w;
	uint64_t	g;

	wh_opts_default(&o);
	map_tenant(&o);
	wh_start_session(&w, &o, 0);
	as(1000, 1000);
	g = hfile(&w, "g", 101000, 101000, 0644);
	CHECK(setattr(&w, g, SETATTR_GID, 0, 0, 1003, 0) == 0);
	CHECK(hstat(&w, "g").st_gid == 101003);
	/* a group outside the map does not exist */
	CHECK(setattr(&w, g, SETATTR_GID, 0, 0, 5000, 0) == EPERM);
	CHECK(hstat(&w, "g").st_gid == 101003);
	wh_finish(&w);
}

static size_t
acl_make(uint8_t *buf, const struct acl_ent *e, size_t n)
{
	uint32_t	v = ACL_VERSION;
	size_t		i;

	memcpy(buf, &v, 4);
	for (i = 0; i < n; i++)
		memcpy(buf + 4 + i * 8, &e[i], 8);
	return 4 + n * 8;
}

/* The id of the entry with tag, or ACL_NOID. */
static uint32_t
acl_id(const uint8_t *buf, size_t len, uint16_t tag)
{
	struct acl_ent	e;
	size_t		off;

	for (off = 4; off + 8 <= len; off += 8) {
		memcpy(&e, buf + off, 8);
		if (e.tag == tag)
			return e.id;
	}
	return ACL_NOID;
}

/* 11. ACL entries' ids are translated both ways; unmapped ones refused. */
static void
test_acl_ids(void)
{
	struct acl_ent	ents[6] = {
		{ ACL_USER_OBJ, 6, ACL_NOID }, { ACL_USER, 4, 1001 },
		{ ACL_GROUP_OBJ, 4, ACL_NOID }, { ACL_GROUP, 4, 1002 },
		{ ACL_MASK, 4, ACL_NOID }, { ACL_OTHER, 0, ACL_NOID },
	};
	struct wh_opts	o;
	struct wh	w;
	uint8_t		buf[256], got[256];
	uint64_t	n, cnt = 0;
	ssize_t		hl;
	size_t		len;

	wh_opts_default(&o);
	o.flags = CONFIG_XATTR | CONFIG_POSIX_ACL;
	map_tenant(&o);
	wh_start_session(&w, &o, 0);
	as(0, 0);
	n = hfile(&w, "f", 0, 0, 0640);
	len = acl_make(buf, ents, 6);
	CHECK(wh_setxattr(&w, n, "system.posix_acl_access", buf, (uint32_t)len, 0, 0) ==
	    0);
	hl = getxattr(wh_path(&w, "f"), "system.posix_acl_access", got, sizeof(got));
	CHECK(hl > 0 && acl_id(got, (size_t)hl, ACL_USER) == 101001 &&
	    acl_id(got, (size_t)hl, ACL_GROUP) == 101002);
	CHECK(wh_getxattr(&w, n, "system.posix_acl_access", sizeof(got), got, &cnt) ==
	    0 && cnt == len && acl_id(got, len, ACL_USER) == 1001 &&
	    acl_id(got, len, ACL_GROUP) == 1002);
	/* an id outside the map: refused, the ACL unchanged */
	ents[1].id = 5000;
	len = acl_make(buf, ents, 6);
	CHECK(wh_setxattr(&w, n, "system.posix_acl_access", buf, (uint32_t)len, 0, 0) ==
	    EINVAL);
	ents[1].id = 1001;
	ents[3].id = 7;
	len = acl_make(buf, ents, 6);
	CHECK(wh_setxattr(&w, n, "system.posix_acl_default", buf, (uint32_t)len, 0, 0) ==
	    EINVAL || wh_setxattr(&w, n, "system.posix_acl_default", buf, (uint32_t)len, 0,
	    0) == EACCES);
	/* malformed: not a whole number of entries */
	CHECK(wh_setxattr(&w, n, "system.posix_acl_access", buf, (uint32_t)len - 3, 0,
	    0) == EINVAL);
	hl = getxattr(wh_path(&w, "f"), "system.posix_acl_access", got, sizeof(got));
	CHECK(hl > 0 && acl_id(got, (size_t)hl, ACL_USER) == 101001);
	/* a host entry for an unmapped host id shows as the overflow id */
	ents[1].id = 4242;
	ents[3].id = 101002;
	len = acl_make(buf, ents, 6);
	CHECK(setxattr(wh_path(&w, "f"), "system.posix_acl_access", buf, len, 0) == 0);
	CHECK(wh_getxattr(&w, n, "system.posix_acl_access", sizeof(got), got, &cnt) ==
	    0 && acl_id(got, (size_t)cnt, ACL_USER) == ID_OVERFLOW_TEST &&
	    acl_id(got, (size_t)cnt, ACL_GROUP) == 1002);
	wh_finish(&w);
}

/* CapEff of one of the worker's threads (tid 0: the main thread). */
static uint64_t
task_cap_eff(const struct wh *w, int tid)
{
	char		path[64], line[256];
	FILE		*f;
	uint64_t	v = UINT64_MAX;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)w->pid,
	    tid != 0 ? tid : (int)w->pid);
	if ((f = fopen(path, "r")) == NULL)
		return v;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "CapEff:", 7) == 0)
			v = strtoull(line + 7, NULL, 16);
	fclose(f);
	return v;
}

/* The main thread serves the requests with a pool size of 0. */
static uint64_t
cap_eff(const struct wh *w)
{
	return task_cap_eff(w, 0);
}

/* The union of every worker thread's effective set. */
static uint64_t
all_cap_eff(const struct wh *w)
{
	char		 path[64];
	struct dirent	*d;
	DIR		*dir;
	uint64_t	 v = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)w->pid);
	if ((dir = opendir(path)) == NULL)
		return UINT64_MAX;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			v |= task_cap_eff(w, (int)strtol(d->d_name, NULL, 10));
	closedir(dir);
	return v;
}

static void
test_thread_caps(void)
{
	struct wh_opts	o;
	struct wh	w;
	struct msg_attr	a;
	uint64_t	eff;
	int		i;

	wh_opts_default(&o);
	map(&o.uid_map[0], 0, 100000, 65536);
	map(&o.gid_map[0], 0, 100000, 65536);
	wh_start_session(&w, &o, 0);
	as(1000, 1000);
	CHECK(getattr_as(&w, WH_ROOT, &a) == 0);
	CHECK(cap_eff(&w) == 0);
	as(0, 0);		/* guest root, host 100000: nothing either */
	CHECK(getattr_as(&w, WH_ROOT, &a) == 0);
	CHECK(cap_eff(&w) == 0);
	wh_finish(&w);

	wh_start_session(&w, NULL, 0);	/* no map: guest root is host root */
	as(0, 0);
	CHECK(getattr_as(&w, WH_ROOT, &a) == 0);
	eff = cap_eff(&w);
	CHECK(eff != UINT64_MAX && (eff & (1ULL << CAP_FOWNER)) &&
	    (eff & (1ULL << CAP_SETUID)) == 0);
	as(1000, 1000);
	CHECK(getattr_as(&w, WH_ROOT, &a) == 0);
	CHECK(cap_eff(&w) == 0);
	wh_finish(&w);

	/* a pool: the loop thread holds nothing, and neither do threads serving uid 1000 */
	wh_opts_default(&o);
	o.threads = 3;
	wh_start_session(&w, &o, 0);
	as(1000, 1000);
	for (i = 0; i < 12; i++)
		CHECK(getattr_as(&w, WH_ROOT, &a) == 0);
	CHECK(all_cap_eff(&w) == 0);
	wh_finish(&w);
}

/* privop_setid_clear: only a writer, only removal, only on the object checked. */
static void
test_privop_setid_clear(void)
{
	struct wh	w;
	uint64_t	f, fh = 0, wfh = 0;

	wh_start_session(&w, NULL, 0);
	as(1000, 1000);
	f = hfile(&w, "s", 0, 0, 04755);
	CHECK(setattr(&w, f, SETATTR_MODE, 0755, 0, 0, 0) == EPERM);
	CHECK(open_as(&w, f, O_RDONLY, &fh) == 0);
	CHECK(setattr(&w, f, SETATTR_MODE, 0755, 0, 0, fh) == EPERM);
	CHECK((hstat(&w, "s").st_mode & 07777) == 04755);
	/* a writer: removal granted, anything more refused */
	f = hfile(&w, "sw", 0, 0, 06777);
	CHECK(open_as(&w, f, O_WRONLY, &wfh) == 0);
	CHECK(setattr(&w, f, SETATTR_MODE, 0777, 0, 0, wfh) == 0);
	CHECK((hstat(&w, "sw").st_mode & 07777) == 0777);
	CHECK(setattr(&w, f, SETATTR_MODE, 04777, 0, 0, wfh) == EPERM);
	CHECK(setattr(&w, f, SETATTR_MODE, 0700, 0, 0, wfh) == EPERM);
	wh_finish(&w);
}

/* privop_writer_times: a handle open for writing, on the same node. */
static void
test_privop_writer_times(void)
{
	struct wh	w;
	uint64_t	f, other, fh = 0, wfh = 0;
	struct stat	st;

	wh_start_session(&w, NULL, SESSION_WRITEBACK);
	as(1000, 1000);
	f = hfile(&w, "t", 0, 0, 0644);
	other = hfile(&w, "tw", 0, 0, 0666);
	CHECK(open_as(&w, f, O_RDONLY, &fh) == 0);
	CHECK(setattr(&w, f, SETATTR_MTIME | SETATTR_CTIME, 0, 0, 0, fh) == EPERM);
	CHECK(open_as(&w, other, O_RDWR, &wfh) == 0);
	CHECK(setattr(&w, f, SETATTR_MTIME | SETATTR_CTIME, 0, 0, 0, wfh) == EBADF);
	st = hstat(&w, "t");
	CHECK(st.st_mtime != 1000000);
	CHECK(setattr(&w, other, SETATTR_MTIME | SETATTR_CTIME, 0, 0, 0, wfh) == 0);
	CHECK(hstat(&w, "tw").st_mtime == 1000000);
	wh_finish(&w);
}

/* privop_owner_chgrp's non-owner cases are in test_owner_chgrp. */
static void
test_privop_owner_chgrp(void)
{
	test_owner_chgrp();
	test_owner_chgrp_mapped();
}

/* privop_handle_open: nodes reached by file handle still check the caller's access. */
static void
test_privop_handle_open(void)
{
	struct wh_opts	o;
	struct wh	w;
	uint64_t	f, fh = 0;

	wh_opts_default(&o);
	o.inode_file_handles = FILE_HANDLES_MANDATORY;
	wh_start_session(&w, &o, 0);
	as(1000, 1000);
	f = hfile(&w, "secret", 0, 0, 0600);
	CHECK(f != 0);
	CHECK(open_as(&w, f, O_RDONLY, &fh) == EACCES);
	CHECK(setattr(&w, f, SETATTR_MODE, 0644, 0, 0, 0) == EPERM);
	as(0, 0);
	CHECK(open_as(&w, f, O_RDONLY, &fh) == 0);
	wh_finish(&w);
}

int
main(void)
{
	test_escape_file_caps();
	test_setattr_foreign_fh();
	test_unmapped_ids();
	test_acl_ids();
	test_thread_caps();
	test_privop_setid_clear();
	test_privop_writer_times();
	test_privop_owner_chgrp();
	test_privop_handle_open();
	return check_done("ops-privsep");
}
