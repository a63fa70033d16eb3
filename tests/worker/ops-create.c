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

static void
test_create(struct wh *w)
{
	struct msg_entry	e, e2;
	struct stat		st;
	uint64_t		fh, n;
	char			buf[16];
	int			fd;

	CHECK(wh_create(w, WH_ROOT, "f", S_IFREG | 0666, O_RDWR, &e, &fh) == 0);
	CHECK(e.nodeid != 0 && S_ISREG(e.attr.mode));
	wh_host_stat(w, "f", &st);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);	/* umask 022 */
	CHECK(wh_write(w, fh, 0, "hello", 5, 0, &n) == 0 && n == 5);
	fd = open(wh_path(w, "f"), O_RDONLY);
	CHECK(fd != -1 && read(fd, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0);
	close(fd);
	CHECK(wh_release(w, fh) == 0);
	/* Always O_EXCL: an existing host file is EEXIST. */
	CHECK(wh_create(w, WH_ROOT, "f", S_IFREG | 0644, O_RDWR, &e2, &fh) == EEXIST);
	CHECK(wh_create(w, 999999, "x", S_IFREG | 0644, O_RDWR, &e2, &fh) > 0);
}

static void
test_mkdir_symlink_mknod(struct wh *w)
{
	struct msg_entry	e;
	struct stat		st;
	char			buf[PATH_MAX];
	ssize_t			len;

	CHECK(wh_mkdir(w, WH_ROOT, "d", S_IFDIR | 0777, &e) == 0);
	wh_host_stat(w, "d", &st);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
	CHECK(S_ISDIR(e.attr.mode));
	CHECK(wh_mkdir(w, WH_ROOT, "d", S_IFDIR | 0755, &e) == EEXIST);

	CHECK(wh_symlink(w, WH_ROOT, "s", "../../etc/passwd", &e) == 0);
	len = readlink(wh_path(w, "s"), buf, sizeof(buf) - 1);
	CHECK(len == 16 && memcmp(buf, "../../etc/passwd", 16) == 0);
	CHECK(S_ISLNK(e.attr.mode));
	CHECK(wh_symlink(w, WH_ROOT, "s", "x", &e) == EEXIST);

	CHECK(wh_mknod(w, WH_ROOT, "p", S_IFIFO | 0644, 0, &e) == 0);
	wh_host_stat(w, "p", &st);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK(wh_mknod(w, WH_ROOT, "null2", S_IFCHR | 0600, makedev(1, 3), &e) == 0);
	wh_host_stat(w, "null2", &st);
	CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	CHECK(wh_mknod(w, WH_ROOT, "dir", S_IFDIR | 0755, 0, &e) != 0);
}

static void
test_link_tmpfile(struct wh *w)
{
	struct msg_entry	f, d, s, e, t;
	struct stat		st;
	uint64_t		fh, n;

	CHECK(wh_lookup(w, WH_ROOT, "f", &f) == 0);
	CHECK(wh_link(w, f.nodeid, WH_ROOT, "f2", &e) == 0);
	CHECK(e.nodeid == f.nodeid && e.attr.nlink == 2);
	wh_host_stat(w, "f2", &st);
	CHECK(st.st_nlink == 2);
	CHECK(wh_lookup(w, WH_ROOT, "d", &d) == 0);
	CHECK(wh_link(w, d.nodeid, WH_ROOT, "d2", &e) == EPERM);
	/* A symlink is linked itself, never followed. */
	CHECK(wh_lookup(w, WH_ROOT, "s", &s) == 0);
	CHECK(wh_link(w, s.nodeid, WH_ROOT, "s2", &e) == 0);
	wh_host_stat(w, "s2", &st);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(wh_link(w, f.nodeid, WH_ROOT, "f2", &e) == EEXIST);

	CHECK(wh_tmpfile(w, d.nodeid, S_IFREG | 0600, O_RDWR, &t, &fh) == 0);
	CHECK(S_ISREG(t.attr.mode) && t.attr.nlink == 0);
	CHECK(wh_write(w, fh, 0, "tmp", 3, 0, &n) == 0 && n == 3);
	CHECK(wh_link(w, t.nodeid, d.nodeid, "t", &e) == 0);
	wh_host_stat(w, "d/t", &st);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 3);
	CHECK(wh_release(w, fh) == 0);
	/* O_TMPFILE | O_EXCL: never to be linked */
	CHECK(wh_tmpfile(w, d.nodeid, S_IFREG | 0600, O_RDWR | O_EXCL, &t, &fh) == 0);
	CHECK(wh_link(w, t.nodeid, d.nodeid, "t2", &e) == ENOENT);
	CHECK(wh_release(w, fh) == 0);
}

static void
test_remove(struct wh *w)
{
	struct msg_entry	d;

	CHECK(wh_unlink(w, WH_ROOT, "f2") == 0);
	CHECK(!wh_host_exists(w, "f2"));
	CHECK(wh_unlink(w, WH_ROOT, "nope") == ENOENT);
	CHECK(wh_unlink(w, WH_ROOT, "d") == EISDIR);
	CHECK(wh_rmdir(w, WH_ROOT, "f") == ENOTDIR);
	CHECK(wh_rmdir(w, WH_ROOT, "d") == ENOTEMPTY);
	CHECK(wh_lookup(w, WH_ROOT, "d", &d) == 0);
	CHECK(wh_unlink(w, d.nodeid, "t") == 0);
	CHECK(wh_rmdir(w, WH_ROOT, "d") == 0);
	CHECK(!wh_host_exists(w, "d"));
	CHECK(wh_unlink(w, WH_ROOT, "p") == 0 && wh_unlink(w, WH_ROOT, "s2") == 0);
}

static void
test_unprivileged(struct wh *w)
{
	struct msg_entry	priv, pub, e;
	struct stat		st;
	uint64_t		fh;

	wh_host_mkdir(w, "priv");
	wh_host_mkdir(w, "pub");
	chmod(wh_path(w, "priv"), 0755);
	chmod(wh_path(w, "pub"), 01777);
	wh_host_file(w, "priv/secret", "x");
	CHECK(wh_lookup(w, WH_ROOT, "priv", &priv) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "pub", &pub) == 0);

	wh_uid = wh_gid = 1000;
	CHECK(wh_create(w, priv.nodeid, "u", S_IFREG | 0644, O_RDWR, &e, &fh) == EACCES);
	CHECK(wh_mkdir(w, priv.nodeid, "u", S_IFDIR | 0755, &e) == EACCES);
	CHECK(wh_symlink(w, priv.nodeid, "u", "x", &e) == EACCES);
	CHECK(wh_mknod(w, priv.nodeid, "u", S_IFIFO | 0644, 0, &e) == EACCES);
	CHECK(wh_unlink(w, priv.nodeid, "secret") == EACCES);
	CHECK(wh_tmpfile(w, priv.nodeid, S_IFREG | 0600, O_RDWR, &e, &fh) == EACCES);
	CHECK(wh_rmdir(w, WH_ROOT, "priv") == EACCES);
	/* Device nodes need privilege locally; the worker holds CAP_MKNOD for all. */
	CHECK(wh_mknod(w, pub.nodeid, "dev", S_IFCHR | 0644, makedev(1, 3), &e) == EPERM);
	CHECK(wh_create(w, pub.nodeid, "u", S_IFREG | 0644, O_RDWR, &e, &fh) == 0);
	CHECK(wh_release(w, fh) == 0);
	wh_host_stat(w, "pub/u", &st);
	CHECK(st.st_uid == 1000 && st.st_gid == 1000);
	/* Sticky directory: another user may not remove it. */
	wh_uid = wh_gid = 1001;
	CHECK(wh_unlink(w, pub.nodeid, "u") == EPERM);
	wh_uid = wh_gid = 1000;
	CHECK(wh_unlink(w, pub.nodeid, "u") == 0);
	wh_uid = wh_gid = 0;
}

/* Payloads with bytes missing or left over, and a security context we do not label with. */
static void
test_payloads(struct wh *w)
{
	struct wh_body		b;
	struct wh_reply		r;
	struct msg_newnode	nn;
	struct msg_entry	e;
	uint64_t		fh;

	wh_host_file(w, "keep", "k");
	wh_body_init(&b);
	wh_body_str(&b, "keep");
	wh_body_put(&b, "x", 1);
	CHECK(wh_call_body(w, IMSG_FRONTEND_UNLINK, WH_ROOT, &b, &r) == EINVAL);
	memset(&nn, 0, sizeof(nn));
	nn.mode = S_IFDIR | 0755;
	wh_body_init(&b);
	wh_body_put(&b, &nn, sizeof(nn));
	/* no name */
	CHECK(wh_call_body(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);
	wh_body_str(&b, "m");
	wh_body_put(&b, "\0\0", 2);
	CHECK(wh_call_body(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);
	wh_body_init(&b);
	wh_body_put(&b, &nn, sizeof(nn));
	wh_body_bytes(&b, "m\0x", 3);				/* embedded NUL */
	CHECK(wh_call_body(w, IMSG_FRONTEND_MKDIR, WH_ROOT, &b, &r) == EINVAL);
	CHECK(wh_host_exists(w, "keep") && !wh_host_exists(w, "m"));

	/* CREATE with a security context: parsed, and unused without labels */
	nn.mode = S_IFREG | 0644;
	nn.open_flags = O_RDWR;
	nn.flags = NEWNODE_SECCTX;
	wh_body_init(&b);
	wh_body_put(&b, &nn, sizeof(nn));
	wh_body_str(&b, "ctx");
	wh_body_str(&b, "security.selinux");
	wh_body_bytes(&b, "system_u:object_r:tmp_t:s0", 27);
	CHECK(wh_call_body(w, IMSG_FRONTEND_CREATE, WH_ROOT, &b, &r) == 0);
	memcpy(&e, r.data, sizeof(e));
	memcpy(&fh, r.data + sizeof(e), sizeof(fh));
	CHECK(wh_host_exists(w, "ctx") && e.nodeid != 0);
	CHECK(wh_release(w, fh) == 0);
	wh_body_init(&b);
	wh_body_put(&b, &nn, sizeof(nn));
	wh_body_str(&b, "ctx2");
	wh_body_str(&b, "security.selinux");		/* value missing */
	CHECK(wh_call_body(w, IMSG_FRONTEND_CREATE, WH_ROOT, &b, &r) == EINVAL);
	CHECK(!wh_host_exists(w, "ctx2"));
}

/* Names the frontend would never pass: the worker refuses them itself. */
static void
test_bad_names(struct wh *w)
{
	static const char	*bad[] = { "a/b", "/etc", "..", ".", "x/..", "" };
	struct msg_entry	 f, e;
	uint64_t		 fh;
	size_t			 i;

	wh_host_file(w, "a", "a");
	wh_host_mkdir(w, "x");
	CHECK(wh_lookup(w, WH_ROOT, "a", &f) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(wh_create(w, WH_ROOT, bad[i], S_IFREG | 0644, O_RDWR, &e, &fh) > 0);
		CHECK(wh_mkdir(w, WH_ROOT, bad[i], S_IFDIR | 0755, &e) > 0);
		CHECK(wh_mknod(w, WH_ROOT, bad[i], S_IFIFO | 0644, 0, &e) > 0);
		CHECK(wh_symlink(w, WH_ROOT, bad[i], "t", &e) > 0);
		CHECK(wh_link(w, f.nodeid, WH_ROOT, bad[i], &e) > 0);
		CHECK(wh_unlink(w, WH_ROOT, bad[i]) > 0);
		CHECK(wh_rmdir(w, WH_ROOT, bad[i]) > 0);
		CHECK(wh_rename(w, WH_ROOT, "a", WH_ROOT, bad[i], 0) > 0);
		CHECK(wh_rename(w, WH_ROOT, bad[i], WH_ROOT, "b", 0) > 0);
	}
	CHECK(wh_create(w, WH_ROOT, "a/b", S_IFREG | 0644, O_RDWR, &e, &fh) == EINVAL);
	CHECK(wh_unlink(w, WH_ROOT, "x/..") == EINVAL);
	CHECK(wh_host_exists(w, "a") && wh_host_exists(w, "x"));
	/* An empty symlink target is refused too. */
	CHECK(wh_symlink(w, WH_ROOT, "s3", "", &e) > 0);
	CHECK(!wh_host_exists(w, "s3") && !wh_host_exists(w, "b"));
}

/* Everything twice: on the loop thread, and on pool threads (per-thread umask). */
static void
run(uint32_t threads)
{
	struct wh	w;
	struct wh_opts	o;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
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
	struct wh_body		b;
	struct wh_reply		r;
	struct msg_newnode	nn;
	struct msg_entry	e;
	uint64_t		fh;
	int			err;

	memset(&nn, 0, sizeof(nn));
	nn.mode = (type == IMSG_FRONTEND_MKDIR ? S_IFDIR : S_IFREG) | 0644;
	nn.open_flags = O_RDWR;
	nn.flags = NEWNODE_SECCTX;
	wh_body_init(&b);
	wh_body_put(&b, &nn, sizeof(nn));
	wh_body_str(&b, name);
	wh_body_str(&b, ctxname);
	wh_body_bytes(&b, "label", 5);
	err = wh_call_body(w, type, WH_ROOT, &b, &r);
	if (err == 0 && type == IMSG_FRONTEND_CREATE) {
		memcpy(&e, r.data, sizeof(e));
		memcpy(&fh, r.data + sizeof(e), sizeof(fh));
		CHECK(wh_release(w, fh) == 0);
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
	wh_start_session(&w, &o, SESSION_SECURITY_CTX);
	CHECK(labelled(&w, IMSG_FRONTEND_CREATE, "lf", "user.lbl") == 0);
	CHECK(getxattr(wh_path(&w, "lf"), "user.lbl", buf, sizeof(buf)) == 5 &&
	    memcmp(buf, "label", 5) == 0);
	CHECK(labelled(&w, IMSG_FRONTEND_MKDIR, "ld", "user.lbl") == 0);
	CHECK(getxattr(wh_path(&w, "ld"), "user.lbl", buf, sizeof(buf)) == 5);
	/* a label the host refuses (trusted.* needs CAP_SYS_ADMIN): nothing is left */
	CHECK(labelled(&w, IMSG_FRONTEND_CREATE, "bf", "trusted.lbl") == EPERM);
	CHECK(labelled(&w, IMSG_FRONTEND_MKDIR, "bd", "trusted.lbl") == EPERM);
	CHECK(!wh_host_exists(&w, "bf") && !wh_host_exists(&w, "bd"));
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
	wh_start_session(&w, &o, 0);
	for (n = 0; n < 64; n++) {
		snprintf(name, sizeof(name), "b%d", n);
		if ((err = wh_create(&w, WH_ROOT, name, S_IFREG | 0644, O_RDWR, &e,
		    &fh[n])) != 0)
			break;
	}
	CHECK(err == ENFILE && n > 3 && n < 20);
	CHECK(wh_tmpfile(&w, WH_ROOT, S_IFREG | 0600, O_RDWR, &e, &fh[63]) == ENFILE);
	for (i = 0; i < n; i++)
		CHECK(wh_release(&w, fh[i]) == 0);
	CHECK(wh_create(&w, WH_ROOT, "again", S_IFREG | 0644, O_RDWR, &e, &fh[0]) == 0);
	CHECK(wh_release(&w, fh[0]) == 0);
	wh_finish(&w);
}

int
main(void)
{
	test_budget();
	test_labels();
	run(0);
	run(3);
	return check_done("ops-create");
}
