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
#include "ops-lib.h"

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
		WH_CHECK(t_setattr(w, f, &s, NULL) == EROFS);
	}
	WH_CHECK(t_create(w, WH_ROOT, "new", S_IFREG | 0644, O_RDWR, &e, &tfh) == EROFS);
	WH_CHECK(t_tmpfile(w, WH_ROOT, S_IFREG | 0644, O_RDWR, &e, &tfh) == EROFS);
	WH_CHECK(t_mknod(w, WH_ROOT, "new", S_IFIFO | 0644, 0, &e) == EROFS);
	WH_CHECK(t_mkdir(w, WH_ROOT, "new", S_IFDIR | 0755, &e) == EROFS);
	WH_CHECK(t_symlink(w, WH_ROOT, "new", "f", &e) == EROFS);
	WH_CHECK(t_link(w, f, WH_ROOT, "new", &e) == EROFS);
	WH_CHECK(t_unlink(w, WH_ROOT, "f") == EROFS);
	WH_CHECK(t_rmdir(w, WH_ROOT, "d") == EROFS);
	WH_CHECK(t_rename(w, WH_ROOT, "f", WH_ROOT, "new", 0) == EROFS);
	WH_CHECK(t_rename(w, WH_ROOT, "f", d, "f", 0) == EROFS);
	WH_CHECK(t_write(w, fh, 0, "x", 1, 0, &n) == EROFS);
	WH_CHECK(t_fallocate(w, fh, 0, 4096, 0) == EROFS);
	WH_CHECK(t_copy(w, f, fh, 0, f, fh, 5, 1, &n) == EROFS);
	WH_CHECK(t_setxattr(w, f, "user.a", "v", 1, 0, 0) == EROFS);
	WH_CHECK(t_removexattr(w, f, "user.k") == EROFS);
	WH_CHECK(t_access(w, f, W_OK) == EROFS);
	WH_CHECK(t_access(w, d, R_OK | W_OK) == EROFS);
}

static void
test_allowed(struct wh *w, uint64_t f, uint64_t fh)
{
	struct msg_lock_reply	r;
	char			buf[16];
	uint64_t		n;

	WH_CHECK(t_access(w, f, R_OK) == 0);
	WH_CHECK(t_getxattr(w, f, "user.k", sizeof(buf), buf, &n) == 0 && n == 1);
	WH_CHECK(t_listxattr(w, f, 0, NULL, &n) == 0 && n == 7);
	WH_CHECK(t_fsync(w, IMSG_FRONTEND_FSYNC, fh, 0) == 0);
	WH_CHECK(t_flush(w, fh, 1) == 0);
	WH_CHECK(t_syncfs(w, WH_ROOT) == 0);
	WH_CHECK(t_lseek(w, fh, 0, SEEK_DATA, &n) == 0 && n == 0);
	WH_CHECK(t_setlk(w, fh, 1, F_RDLCK, 0, 10, 0, 0) == 0);
	WH_CHECK(t_getlk(w, fh, 2, F_WRLCK, 0, 10, &r) == 0 && r.type == F_RDLCK);
	WH_CHECK(t_flush(w, fh, 1) == 0);
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
	t_start(&w, &o, 0);
	wh_file(&w, "f", "content");
	wh_mkdir(&w, "d");
	WH_CHECK(setxattr(wh_path(&w, "f"), "user.k", "v", 1, 0) == 0);
	WH_CHECK(wh_lookup(&w, WH_ROOT, "f", &f) == 0);
	WH_CHECK(wh_lookup(&w, WH_ROOT, "d", &d) == 0);
	WH_CHECK(wh_open(&w, f.nodeid, O_RDONLY, &fh) == 0);
	test_refused(&w, f.nodeid, d.nodeid, fh);
	test_allowed(&w, f.nodeid, fh);
	WH_CHECK(wh_release(&w, fh) == 0);

	t_stat(&w, "f", &st);
	WH_CHECK(st.st_size == 7 && (st.st_mode & 07777) == 0644 && st.st_nlink == 1);
	WH_CHECK(!t_exists(&w, "new") && t_exists(&w, "d"));
	WH_CHECK(getxattr(wh_path(&w, "f"), "user.a", buf, sizeof(buf)) == -1);
	wh_finish(&w);
	return wh_done("ops-readonly");
}
