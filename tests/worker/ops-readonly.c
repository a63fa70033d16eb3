/*
 * A read-only export: the worker itself refuses every modifying operation with EROFS
 * (not only the guest's mount options), and the host tree stays as it was; reading,
 * syncing and locking still work.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

static void
test_refused(struct wh *w, uint64_t f, uint64_t d, uint64_t fh)
{
	struct msg_setattr	s;
	struct msg_entry	e;
	uint64_t		n, tfh;
	int			i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 5; i++) {
		s.valid = (uint32_t[]){ SETATTR_MODE, SETATTR_UID, SETATTR_SIZE,
		    SETATTR_MTIME_NOW, SETATTR_ATIME }[i];
		CHECK(wh_setattr(w, f, &s, NULL) == EROFS);
	}
	CHECK(wh_create(w, WH_ROOT, "new", S_IFREG | 0644, O_RDWR, &e, &tfh) == EROFS);
	CHECK(wh_tmpfile(w, WH_ROOT, S_IFREG | 0644, O_RDWR, &e, &tfh) == EROFS);
	CHECK(wh_mknod(w, WH_ROOT, "new", S_IFIFO | 0644, 0, &e) == EROFS);
	CHECK(wh_mkdir(w, WH_ROOT, "new", S_IFDIR | 0755, &e) == EROFS);
	CHECK(wh_symlink(w, WH_ROOT, "new", "f", &e) == EROFS);
	CHECK(wh_link(w, f, WH_ROOT, "new", &e) == EROFS);
	CHECK(wh_unlink(w, WH_ROOT, "f") == EROFS);
	CHECK(wh_rmdir(w, WH_ROOT, "d") == EROFS);
	CHECK(wh_rename(w, WH_ROOT, "f", WH_ROOT, "new", 0) == EROFS);
	CHECK(wh_rename(w, WH_ROOT, "f", d, "f", 0) == EROFS);
	CHECK(wh_write(w, fh, 0, "x", 1, 0, &n) == EROFS);
	CHECK(wh_fallocate(w, fh, 0, 4096, 0) == EROFS);
	CHECK(wh_copy(w, f, fh, 0, f, fh, 5, 1, &n) == EROFS);
	CHECK(wh_setxattr(w, f, "user.a", "v", 1, 0, 0) == EROFS);
	CHECK(wh_removexattr(w, f, "user.k") == EROFS);
	CHECK(wh_access(w, f, W_OK) == EROFS);
	CHECK(wh_access(w, d, R_OK | W_OK) == EROFS);
}

static void
test_allowed(struct wh *w, uint64_t f, uint64_t fh)
{
	struct msg_lock_reply	r;
	char			buf[16];
	uint64_t		n;

	CHECK(wh_access(w, f, R_OK) == 0);
	CHECK(wh_getxattr(w, f, "user.k", sizeof(buf), buf, &n) == 0 && n == 1);
	CHECK(wh_listxattr(w, f, 0, NULL, &n) == 0 && n == 7);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNC, fh, 0) == 0);
	CHECK(wh_flush(w, fh, 1) == 0);
	CHECK(wh_syncfs(w, WH_ROOT) == 0);
	CHECK(wh_lseek(w, fh, 0, SEEK_DATA, &n) == 0 && n == 0);
	CHECK(wh_setlk(w, fh, 1, F_RDLCK, 0, 10, 0, 0) == 0);
	CHECK(wh_getlk(w, fh, 2, F_WRLCK, 0, 10, &r) == 0 && r.type == F_RDLCK);
	CHECK(wh_flush(w, fh, 1) == 0);
}

int
main(void)
{
	struct wh		w;
	struct wh_opts		o;
	struct msg_entry	f, d;
	struct stat		st;
	uint64_t		fh;
	char			buf[16];

	wh_opts_default(&o);
	o.flags = CONFIG_READONLY | CONFIG_XATTR;
	wh_start_session(&w, &o, 0);
	wh_host_file(&w, "f", "content");
	wh_host_mkdir(&w, "d");
	CHECK(setxattr(wh_path(&w, "f"), "user.k", "v", 1, 0) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "f", &f) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "d", &d) == 0);
	CHECK(wh_open(&w, f.nodeid, O_RDONLY, &fh) == 0);
	test_refused(&w, f.nodeid, d.nodeid, fh);
	test_allowed(&w, f.nodeid, fh);
	CHECK(wh_release(&w, fh) == 0);

	wh_host_stat(&w, "f", &st);
	CHECK(st.st_size == 7 && (st.st_mode & 07777) == 0644 && st.st_nlink == 1);
	CHECK(!wh_host_exists(&w, "new") && wh_host_exists(&w, "d"));
	CHECK(getxattr(wh_path(&w, "f"), "user.a", buf, sizeof(buf)) == -1);
	wh_finish(&w);
	return check_done("ops-readonly");
}
