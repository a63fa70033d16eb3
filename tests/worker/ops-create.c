/*
 * CREATE, TMPFILE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR against the real worker
 * (namespace sandbox, seccomp kill): results on the host, errors as locally, an
 * unprivileged caller (uid 1000), and names the worker must refuse by itself.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"
#include "ops-lib.h"

static void
test_create(struct wh *w)
{
	struct msg_entry	e, e2;
	struct stat		st;
	uint64_t		fh, n;
	char			buf[16];
	int			fd;

	WH_CHECK(t_create(w, WH_ROOT, "f", S_IFREG | 0666, O_RDWR, &e, &fh) == 0);
	WH_CHECK(e.nodeid != 0 && S_ISREG(e.attr.mode));
	t_stat(w, "f", &st);
	WH_CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);	/* umask 022 */
	WH_CHECK(t_write(w, fh, 0, "hello", 5, 0, &n) == 0 && n == 5);
	fd = open(wh_path(w, "f"), O_RDONLY);
	WH_CHECK(fd != -1 && read(fd, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0);
	close(fd);
	WH_CHECK(wh_release(w, fh) == 0);
	/* Always O_EXCL: an existing host file is EEXIST. */
	WH_CHECK(t_create(w, WH_ROOT, "f", S_IFREG | 0644, O_RDWR, &e2, &fh) == EEXIST);
	WH_CHECK(t_create(w, 999999, "x", S_IFREG | 0644, O_RDWR, &e2, &fh) > 0);
}

static void
test_mkdir_symlink_mknod(struct wh *w)
{
	struct msg_entry	e;
	struct stat		st;
	char			buf[PATH_MAX];
	ssize_t			len;

	WH_CHECK(t_mkdir(w, WH_ROOT, "d", S_IFDIR | 0777, &e) == 0);
	t_stat(w, "d", &st);
	WH_CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
	WH_CHECK(S_ISDIR(e.attr.mode));
	WH_CHECK(t_mkdir(w, WH_ROOT, "d", S_IFDIR | 0755, &e) == EEXIST);

	WH_CHECK(t_symlink(w, WH_ROOT, "s", "../../etc/passwd", &e) == 0);
	len = readlink(wh_path(w, "s"), buf, sizeof(buf) - 1);
	WH_CHECK(len == 16 && memcmp(buf, "../../etc/passwd", 16) == 0);
	WH_CHECK(S_ISLNK(e.attr.mode));
	WH_CHECK(t_symlink(w, WH_ROOT, "s", "x", &e) == EEXIST);

	WH_CHECK(t_mknod(w, WH_ROOT, "p", S_IFIFO | 0644, 0, &e) == 0);
	t_stat(w, "p", &st);
	WH_CHECK(S_ISFIFO(st.st_mode));
	WH_CHECK(t_mknod(w, WH_ROOT, "null2", S_IFCHR | 0600, makedev(1, 3), &e) == 0);
	t_stat(w, "null2", &st);
	WH_CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	WH_CHECK(t_mknod(w, WH_ROOT, "dir", S_IFDIR | 0755, 0, &e) != 0);
}

static void
test_link_tmpfile(struct wh *w)
{
	struct msg_entry	f, d, s, e, t;
	struct stat		st;
	uint64_t		fh, n;

	WH_CHECK(wh_lookup(w, WH_ROOT, "f", &f) == 0);
	WH_CHECK(t_link(w, f.nodeid, WH_ROOT, "f2", &e) == 0);
	WH_CHECK(e.nodeid == f.nodeid && e.attr.nlink == 2);
	t_stat(w, "f2", &st);
	WH_CHECK(st.st_nlink == 2);
	WH_CHECK(wh_lookup(w, WH_ROOT, "d", &d) == 0);
	WH_CHECK(t_link(w, d.nodeid, WH_ROOT, "d2", &e) == EPERM);
	/* A symlink is linked itself, never followed. */
	WH_CHECK(wh_lookup(w, WH_ROOT, "s", &s) == 0);
	WH_CHECK(t_link(w, s.nodeid, WH_ROOT, "s2", &e) == 0);
	t_stat(w, "s2", &st);
	WH_CHECK(S_ISLNK(st.st_mode));
	WH_CHECK(t_link(w, f.nodeid, WH_ROOT, "f2", &e) == EEXIST);

	WH_CHECK(t_tmpfile(w, d.nodeid, S_IFREG | 0600, O_RDWR, &t, &fh) == 0);
	WH_CHECK(S_ISREG(t.attr.mode) && t.attr.nlink == 0);
	WH_CHECK(t_write(w, fh, 0, "tmp", 3, 0, &n) == 0 && n == 3);
	WH_CHECK(t_link(w, t.nodeid, d.nodeid, "t", &e) == 0);
	t_stat(w, "d/t", &st);
	WH_CHECK(S_ISREG(st.st_mode) && st.st_size == 3);
	WH_CHECK(wh_release(w, fh) == 0);
	/* O_TMPFILE | O_EXCL: never to be linked */
	WH_CHECK(t_tmpfile(w, d.nodeid, S_IFREG | 0600, O_RDWR | O_EXCL, &t, &fh) == 0);
	WH_CHECK(t_link(w, t.nodeid, d.nodeid, "t2", &e) == ENOENT);
	WH_CHECK(wh_release(w, fh) == 0);
}

static void
test_remove(struct wh *w)
{
	struct msg_entry	d;

	WH_CHECK(t_unlink(w, WH_ROOT, "f2") == 0);
	WH_CHECK(!t_exists(w, "f2"));
	WH_CHECK(t_unlink(w, WH_ROOT, "nope") == ENOENT);
	WH_CHECK(t_unlink(w, WH_ROOT, "d") == EISDIR);
	WH_CHECK(t_rmdir(w, WH_ROOT, "f") == ENOTDIR);
	WH_CHECK(t_rmdir(w, WH_ROOT, "d") == ENOTEMPTY);
	WH_CHECK(wh_lookup(w, WH_ROOT, "d", &d) == 0);
	WH_CHECK(t_unlink(w, d.nodeid, "t") == 0);
	WH_CHECK(t_rmdir(w, WH_ROOT, "d") == 0);
	WH_CHECK(!t_exists(w, "d"));
	WH_CHECK(t_unlink(w, WH_ROOT, "p") == 0 && t_unlink(w, WH_ROOT, "s2") == 0);
}

static void
test_unprivileged(struct wh *w)
{
	struct msg_entry	priv, pub, e;
	struct stat		st;
	uint64_t		fh;

	wh_mkdir(w, "priv");
	wh_mkdir(w, "pub");
	chmod(wh_path(w, "priv"), 0755);
	chmod(wh_path(w, "pub"), 01777);
	wh_file(w, "priv/secret", "x");
	WH_CHECK(wh_lookup(w, WH_ROOT, "priv", &priv) == 0);
	WH_CHECK(wh_lookup(w, WH_ROOT, "pub", &pub) == 0);

	t_uid = t_gid = 1000;
	WH_CHECK(t_create(w, priv.nodeid, "u", S_IFREG | 0644, O_RDWR, &e, &fh) == EACCES);
	WH_CHECK(t_mkdir(w, priv.nodeid, "u", S_IFDIR | 0755, &e) == EACCES);
	WH_CHECK(t_symlink(w, priv.nodeid, "u", "x", &e) == EACCES);
	WH_CHECK(t_mknod(w, priv.nodeid, "u", S_IFIFO | 0644, 0, &e) == EACCES);
	WH_CHECK(t_unlink(w, priv.nodeid, "secret") == EACCES);
	WH_CHECK(t_tmpfile(w, priv.nodeid, S_IFREG | 0600, O_RDWR, &e, &fh) == EACCES);
	WH_CHECK(t_rmdir(w, WH_ROOT, "priv") == EACCES);
	/* Device nodes need privilege locally; the worker holds CAP_MKNOD for all. */
	WH_CHECK(t_mknod(w, pub.nodeid, "dev", S_IFCHR | 0644, makedev(1, 3), &e) == EPERM);
	WH_CHECK(t_create(w, pub.nodeid, "u", S_IFREG | 0644, O_RDWR, &e, &fh) == 0);
	WH_CHECK(wh_release(w, fh) == 0);
	t_stat(w, "pub/u", &st);
	WH_CHECK(st.st_uid == 1000 && st.st_gid == 1000);
	/* Sticky directory: another user may not remove it. */
	t_uid = t_gid = 1001;
	WH_CHECK(t_unlink(w, pub.nodeid, "u") == EPERM);
	t_uid = t_gid = 1000;
	WH_CHECK(t_unlink(w, pub.nodeid, "u") == 0);
	t_uid = t_gid = 0;
}

/* Payloads with bytes missing or left over, and a security context we do not label with. */
static void
test_payloads(struct wh *w)
{
	struct tbody		b;
	struct wh_reply		r;
	struct msg_newnode	nn;
	struct msg_entry	e;
	uint64_t		fh;

	wh_file(w, "keep", "k");
	tb_init(&b);
	tb_str(&b, "keep");
	tb_put(&b, "x", 1);
	WH_CHECK(t_call(w, IMSG_FRONTEND_UNLINK, WH_ROOT, &b, &r) == EINVAL);
	memset(&nn, 0, sizeof(nn));
	nn.mode = S_IFDIR | 0755;
	tb_init(&b);
	tb_put(&b, &nn, sizeof(nn));
	WH_CHECK(t_call(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);	/* no name */
	tb_str(&b, "m");
	tb_put(&b, "\0\0", 2);
	WH_CHECK(t_call(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);
	tb_init(&b);
	tb_put(&b, &nn, sizeof(nn));
	tb_bytes(&b, "m\0x", 3);				/* embedded NUL */
	WH_CHECK(t_call(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);
	WH_CHECK(t_exists(w, "keep") && !t_exists(w, "m"));

	/* CREATE with a security context: parsed, and unused without labels */
	nn.mode = S_IFREG | 0644;
	nn.open_flags = O_RDWR;
	nn.flags = NEWNODE_SECCTX;
	tb_init(&b);
	tb_put(&b, &nn, sizeof(nn));
	tb_str(&b, "ctx");
	tb_str(&b, "security.selinux");
	tb_bytes(&b, "system_u:object_r:tmp_t:s0", 27);
	WH_CHECK(t_call(w, IMSG_FRONTEND_CREATE, WH_ROOT, &b, &r) == 0);
	memcpy(&e, r.data, sizeof(e));
	memcpy(&fh, r.data + sizeof(e), sizeof(fh));
	WH_CHECK(t_exists(w, "ctx") && e.nodeid != 0);
	WH_CHECK(wh_release(w, fh) == 0);
	tb_init(&b);
	tb_put(&b, &nn, sizeof(nn));
	tb_str(&b, "ctx2");
	tb_str(&b, "security.selinux");		/* value missing */
	WH_CHECK(t_call(w, IMSG_FRONTEND_CREATE, WH_ROOT, &b, &r) == EINVAL);
	WH_CHECK(!t_exists(w, "ctx2"));
}

/* Names the frontend would never pass: the worker refuses them itself. */
static void
test_bad_names(struct wh *w)
{
	static const char	*bad[] = { "a/b", "/etc", "..", ".", "x/..", "" };
	struct msg_entry	 f, e;
	uint64_t		 fh;
	size_t			 i;

	wh_file(w, "a", "a");
	wh_mkdir(w, "x");
	WH_CHECK(wh_lookup(w, WH_ROOT, "a", &f) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		WH_CHECK(t_create(w, WH_ROOT, bad[i], S_IFREG | 0644, O_RDWR, &e, &fh) > 0);
		WH_CHECK(t_mkdir(w, WH_ROOT, bad[i], S_IFDIR | 0755, &e) > 0);
		WH_CHECK(t_mknod(w, WH_ROOT, bad[i], S_IFIFO | 0644, 0, &e) > 0);
		WH_CHECK(t_symlink(w, WH_ROOT, bad[i], "t", &e) > 0);
		WH_CHECK(t_link(w, f.nodeid, WH_ROOT, bad[i], &e) > 0);
		WH_CHECK(t_unlink(w, WH_ROOT, bad[i]) > 0);
		WH_CHECK(t_rmdir(w, WH_ROOT, bad[i]) > 0);
		WH_CHECK(t_rename(w, WH_ROOT, "a", WH_ROOT, bad[i], 0) > 0);
		WH_CHECK(t_rename(w, WH_ROOT, bad[i], WH_ROOT, "b", 0) > 0);
	}
	WH_CHECK(t_create(w, WH_ROOT, "a/b", S_IFREG | 0644, O_RDWR, &e, &fh) == EINVAL);
	WH_CHECK(t_unlink(w, WH_ROOT, "x/..") == EINVAL);
	WH_CHECK(t_exists(w, "a") && t_exists(w, "x"));
	/* An empty symlink target is refused too. */
	WH_CHECK(t_symlink(w, WH_ROOT, "s3", "", &e) > 0);
	WH_CHECK(!t_exists(w, "s3") && !t_exists(w, "b"));
}

/* Everything twice: on the loop thread, and on pool threads (per-thread umask). */
static void
run(uint32_t threads)
{
	struct wh	w;
	struct wh_opts	o;

	wh_opts_default(&o);
	o.threads = threads;
	t_start(&w, &o, 0);
	test_create(&w);
	test_mkdir_symlink_mknod(&w);
	test_link_tmpfile(&w);
	test_remove(&w);
	test_unprivileged(&w);
	test_bad_names(&w);
	test_payloads(&w);
	wh_finish(&w);
}

/* With security labels: CREATE and MKDIR set the guest's context, or make nothing. */
static int
labelled(struct wh *w, uint32_t type, const char *name, const char *ctxname)
{
	struct tbody		b;
	struct wh_reply		r;
	struct msg_newnode	nn;
	struct msg_entry	e;
	uint64_t		fh;
	int			err;

	memset(&nn, 0, sizeof(nn));
	nn.mode = (type == IMSG_FRONTEND_MKDIR ? S_IFDIR : S_IFREG) | 0644;
	nn.open_flags = O_RDWR;
	nn.flags = NEWNODE_SECCTX;
	tb_init(&b);
	tb_put(&b, &nn, sizeof(nn));
	tb_str(&b, name);
	tb_str(&b, ctxname);
	tb_bytes(&b, "label", 5);
	if ((err = t_call(w, type, WH_ROOT, &b, &r)) == 0 && type == IMSG_FRONTEND_CREATE) {
		memcpy(&e, r.data, sizeof(e));
		memcpy(&fh, r.data + sizeof(e), sizeof(fh));
		WH_CHECK(wh_release(w, fh) == 0);
	}
	return err;
}

static void
test_labels(void)
{
	struct wh	w;
	struct wh_opts	o;
	char		buf[16];

	wh_opts_default(&o);
	o.flags = CONFIG_SECURITY_LABEL;
	t_start(&w, &o, SESSION_SECURITY_CTX);
	WH_CHECK(labelled(&w, IMSG_FRONTEND_CREATE, "lf", "user.lbl") == 0);
	WH_CHECK(getxattr(wh_path(&w, "lf"), "user.lbl", buf, sizeof(buf)) == 5 &&
	    memcmp(buf, "label", 5) == 0);
	WH_CHECK(labelled(&w, IMSG_FRONTEND_MKDIR, "ld", "user.lbl") == 0);
	WH_CHECK(getxattr(wh_path(&w, "ld"), "user.lbl", buf, sizeof(buf)) == 5);
	/* a label the host refuses (trusted.* needs CAP_SYS_ADMIN): nothing is left */
	WH_CHECK(labelled(&w, IMSG_FRONTEND_CREATE, "bf", "trusted.lbl") == EPERM);
	WH_CHECK(labelled(&w, IMSG_FRONTEND_MKDIR, "bd", "trusted.lbl") == EPERM);
	WH_CHECK(!t_exists(&w, "bf") && !t_exists(&w, "bd"));
	wh_finish(&w);
}

/* The fd budget: CREATE and TMPFILE get ENFILE past it, the worker runs on. */
static void
test_budget(void)
{
	struct wh		w;
	struct wh_opts		o;
	struct msg_entry	e;
	uint64_t		fh[64];
	char			name[16];
	int			i, n, err = 0;

	wh_opts_default(&o);
	o.rlimit_nofile = 20;
	t_start(&w, &o, 0);
	for (n = 0; n < 64; n++) {
		snprintf(name, sizeof(name), "b%d", n);
		if ((err = t_create(&w, WH_ROOT, name, S_IFREG | 0644, O_RDWR, &e,
		    &fh[n])) != 0)
			break;
	}
	WH_CHECK(err == ENFILE && n > 3 && n < 20);
	WH_CHECK(t_tmpfile(&w, WH_ROOT, S_IFREG | 0600, O_RDWR, &e, &fh[63]) == ENFILE);
	for (i = 0; i < n; i++)
		WH_CHECK(wh_release(&w, fh[i]) == 0);
	WH_CHECK(t_create(&w, WH_ROOT, "again", S_IFREG | 0644, O_RDWR, &e, &fh[0]) == 0);
	WH_CHECK(wh_release(&w, fh[0]) == 0);
	wh_finish(&w);
}

int
main(void)
{
	test_budget();
	test_labels();
	run(0);
	run(3);
	return wh_done("ops-create");
}
