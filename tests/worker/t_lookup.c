/*
 * Worker core: LOOKUP, GETATTR, STATFS, READLINK, FORGET and the node id rules
 * (doc/architecture.md "Identity"; the name, symlink and bogus-id rows of doc/security.md).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

static void
test_lookup_getattr(struct wh *w)
{
	struct msg_entry	e, e2;
	struct msg_attr		a;
	struct stat		st;

	wh_host_file(w, "hello", "hello world\n");
	CHECK(stat(wh_path(w, "hello"), &st) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "hello", &e) == 0);
	CHECK(e.nodeid > WH_ROOT);
	CHECK(S_ISREG(e.attr.mode));
	CHECK(e.attr.size == 12);
	CHECK(e.attr.ino == st.st_ino);	/* no --hashed-inodes: host number */
	/* The same file twice: the same node. */
	CHECK(wh_lookup(w, WH_ROOT, "hello", &e2) == 0);
	CHECK(e2.nodeid == e.nodeid);
	CHECK(wh_getattr(w, e.nodeid, &a) == 0);
	CHECK(a.size == 12 && a.ino == st.st_ino && S_ISREG(a.mode));
	CHECK(wh_getattr(w, WH_ROOT, &a) == 0);
	CHECK(S_ISDIR(a.mode));
	CHECK(wh_lookup(w, WH_ROOT, "missing", &e2) == ENOENT);
	/* A lookup under a file. */
	CHECK(wh_lookup(w, e.nodeid, "x", &e2) == ENOTDIR);
}

static void
test_dots(struct wh *w)
{
	struct msg_entry	e, sub, up;
	struct msg_attr		root;

	wh_host_mkdir(w, "sub");
	CHECK(wh_getattr(w, WH_ROOT, &root) == 0);
	/* ".." of the export root is the root, never its host parent. */
	CHECK(wh_lookup(w, WH_ROOT, "..", &e) == 0);
	CHECK(e.nodeid == WH_ROOT && e.attr.ino == root.ino);
	CHECK(wh_lookup(w, WH_ROOT, ".", &e) == 0);
	CHECK(e.nodeid == WH_ROOT);
	CHECK(wh_lookup(w, WH_ROOT, "sub", &sub) == 0);
	CHECK(wh_lookup(w, sub.nodeid, "..", &up) == 0);
	CHECK(up.nodeid == WH_ROOT);
	CHECK(wh_lookup(w, sub.nodeid, "..", &up) == 0 && up.attr.ino == root.ino);
	CHECK(wh_lookup(w, sub.nodeid, ".", &e) == 0 && e.nodeid == sub.nodeid);
}

static int
send_name(struct wh *w, uint32_t type, uint64_t nodeid, const void *fixed, size_t flen,
    const char *name)
{
	uint8_t		body[256];
	struct wh_reply	rep;
	size_t		len = flen;

	if (flen > 0)
		memcpy(body, fixed, flen);
	len += wh_name_body(body + flen, sizeof(body) - flen, name);
	return wh_call(w, type, nodeid, body, len, &rep);
}

/* Names the frontend would never pass: the worker checks them again itself. */
static void
test_bad_names(struct wh *w)
{
	static const char *const bad[] = { "a/b", "../x", "/etc", "..", ".", "x/..", "" };
	struct msg_newnode	nn;
	struct msg_entry	e;
	struct stat		st;
	size_t			i;
	int			error;

	wh_host_mkdir(w, "victim");
	wh_host_file(w, "victim/f", "x");
	CHECK(wh_lookup(w, WH_ROOT, "a/b", &e) == EINVAL);
	CHECK(wh_lookup(w, WH_ROOT, "../etc", &e) == EINVAL);
	CHECK(wh_lookup(w, WH_ROOT, "/etc", &e) == EINVAL);
	CHECK(wh_lookup(w, WH_ROOT, "", &e) == EINVAL);
	{
		char long_name[300];

		memset(long_name, 'n', sizeof(long_name) - 1);
		long_name[sizeof(long_name) - 1] = '\0';
		CHECK(wh_lookup(w, WH_ROOT, long_name, &e) == ENAMETOOLONG);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&nn, 0, sizeof(nn));
		nn.mode = S_IFDIR | 0755;
		error = send_name(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &nn, sizeof(nn), bad[i]);
		CHECK(error > 0);
		error = send_name(w, IMSG_FRONTEND_UNLINK, WH_ROOT, NULL, 0, "victim/f");
		CHECK(error > 0);
		error = send_name(w, IMSG_FRONTEND_RMDIR, WH_ROOT, NULL, 0, bad[i]);
		CHECK(error > 0);
	}
	CHECK(stat(wh_path(w, "victim/f"), &st) == 0);
	CHECK(stat(wh_path(w, "a"), &st) == -1);
	CHECK(stat(wh_path(w, "victim"), &st) == 0);
}

static void
test_ids(struct wh *w)
{
	struct msg_entry	e;
	struct msg_attr		a;
	uint64_t		old;

	wh_host_file(w, "gone", "x");
	CHECK(wh_lookup(w, WH_ROOT, "gone", &e) == 0);
	old = e.nodeid;
	/* Ids never given out. */
	CHECK(wh_getattr(w, 0, &a) == EBADF);
	CHECK(wh_getattr(w, 0xfffff, &a) == EBADF);
	CHECK(wh_getattr(w, (uint64_t)7 << 32 | (old & 0xffffffff), &a) == EBADF);
	CHECK(wh_getattr(w, UINT64_MAX, &a) == EBADF);
	/* Forgotten: the slot's generation moves on and the old id is stale. */
	wh_forget(w, old, 1);
	CHECK(wh_getattr(w, old, &a) == ESTALE);
	CHECK(wh_lookup(w, old, "x", &e) == ESTALE);
	/* A forget of unknown ids is ignored, and the worker stays up. */
	wh_forget(w, 0, 1);
	wh_forget(w, UINT64_MAX, UINT64_MAX);
	wh_forget(w, WH_ROOT, UINT64_MAX);
	CHECK(wh_getattr(w, WH_ROOT, &a) == 0);
	/* The slot is reused with a new generation. */
	CHECK(wh_lookup(w, WH_ROOT, "gone", &e) == 0);
	CHECK(e.nodeid != old);
	CHECK(wh_getattr(w, old, &a) == ESTALE);
	CHECK(wh_getattr(w, e.nodeid, &a) == 0);
	/* BATCH_FORGET: three lookups dropped in one go; a count that lies is ignored. */
	{
		struct {
			uint32_t		count;
			struct msg_forget_one	one[2];
		} __attribute__((packed)) bf;

		CHECK(wh_lookup(w, WH_ROOT, "gone", &e) == 0);
		CHECK(wh_lookup(w, WH_ROOT, "gone", &e) == 0);
		memset(&bf, 0, sizeof(bf));
		bf.count = 1000;
		bf.one[0].nodeid = e.nodeid;
		bf.one[0].nlookup = 2;
		wh_send_noreply(w, IMSG_FRONTEND_BATCH_FORGET, 0, &bf, sizeof(bf));
		CHECK(wh_getattr(w, e.nodeid, &a) == 0);
		bf.count = 2;
		bf.one[0].nlookup = 1;
		bf.one[1].nodeid = e.nodeid;
		bf.one[1].nlookup = 2;	/* with the lookup above: 3 in all */
		wh_send_noreply(w, IMSG_FRONTEND_BATCH_FORGET, 0, &bf, sizeof(bf));
		CHECK(wh_getattr(w, e.nodeid, &a) == ESTALE);
	}
	/* Saturating lookup counts: a huge forget drops it once, no wrap. */
	CHECK(wh_lookup(w, WH_ROOT, "gone", &e) == 0);
	wh_forget(w, e.nodeid, UINT64_MAX);
	CHECK(wh_getattr(w, e.nodeid, &a) == ESTALE);
}

/* Symlinks are nodes of their own, never followed (doc/security.md, invariant 2). */
static void
test_symlinks(struct wh *w)
{
	struct msg_entry	e, d;
	char			buf[PATH_MAX];
	uint64_t		fh;

	CHECK(symlink("/etc", wh_path(w, "out")) == 0);
	CHECK(symlink("/etc/passwd", wh_path(w, "outfile")) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "out", &e) == 0);
	CHECK(S_ISLNK(e.attr.mode));
	CHECK(wh_readlink(w, e.nodeid, buf, sizeof(buf)) == 0 && strcmp(buf, "/etc") == 0);
	/* Nothing under it: it is not a directory to us. */
	CHECK(wh_lookup(w, e.nodeid, "passwd", &d) == ENOTDIR);
	CHECK(wh_opendir(w, e.nodeid, &fh) != 0);
	CHECK(wh_lookup(w, WH_ROOT, "outfile", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == ELOOP);
	/* READLINK of something that is not a link. */
	CHECK(wh_readlink(w, WH_ROOT, buf, sizeof(buf)) == EINVAL);
}

static void
test_statfs(struct wh *w)
{
	struct msg_statfs s;

	CHECK(wh_statfs(w, WH_ROOT, &s) == 0);
	CHECK(s.bsize > 0 && s.namelen == 255 && s.blocks > 0);
	CHECK(wh_statfs(w, 12345, &s) == EBADF);
}

static void
test_hashed(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	struct msg_attr		a;
	struct stat		st;

	wh_opts_default(&o);
	o.flags = CONFIG_HASHED_INODES;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	wh_host_file(&w, "f", "x");
	CHECK(stat(wh_path(&w, "f"), &st) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	CHECK(e.attr.ino != st.st_ino && e.attr.ino != 0);
	CHECK(wh_getattr(&w, e.nodeid, &a) == 0 && a.ino == e.attr.ino);
	CHECK(wh_stop(&w) == 0);
}

static int submount_ok;

static void
submount_prepare(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/plain", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/mnt", dir);
	mkdir(path, 0755);
	submount_ok = mount("tmpfs", path, "tmpfs", 0, "size=1m,mode=755") == 0;
}

/* A host submount inside the export is announced; hashed inode numbers stay distinct. */
static void
test_submount(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	mnt, plain, root;

	wh_opts_default(&o);
	o.flags = CONFIG_ANNOUNCE_SUBMOUNTS | CONFIG_HASHED_INODES;
	o.prepare = submount_prepare;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	if (!submount_ok) {
		printf("no tmpfs mount: submount checks skipped\n");
	} else {
		CHECK(wh_lookup(&w, WH_ROOT, "mnt", &mnt) == 0);
		CHECK(mnt.attr.flags & ATTR_SUBMOUNT);
		CHECK(wh_lookup(&w, WH_ROOT, "plain", &plain) == 0);
		CHECK(!(plain.attr.flags & ATTR_SUBMOUNT));
		CHECK(wh_lookup(&w, WH_ROOT, ".", &root) == 0);
		/* tmpfs roots and ext4 directories can share host numbers; ours differ. */
		CHECK(mnt.attr.ino != plain.attr.ino && mnt.attr.ino != root.attr.ino);
		CHECK(wh_lookup(&w, mnt.nodeid, "..", &root) == 0 && root.nodeid == WH_ROOT);
		umount2(wh_path(&w, "mnt"), MNT_DETACH);
	}
	CHECK(wh_stop(&w) == 0);
}

int
main(void)
{
	struct wh_opts	o;
	struct wh	w;
	struct msg_attr	a;

	wh_opts_default(&o);
	if (wh_start(&w, &o) != 0)
		return 1;
	test_lookup_getattr(&w);
	test_dots(&w);
	test_bad_names(&w);
	test_ids(&w);
	test_symlinks(&w);
	test_statfs(&w);
	CHECK(wh_getattr(&w, WH_ROOT, &a) == 0);
	CHECK(wh_finish(&w) == 0);	/* channels closed: exit 0 */
	test_hashed();
	test_submount();
	return check_done("t_lookup");
}
