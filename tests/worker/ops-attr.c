/*
 * SETATTR (mode, owner, size with and without a handle, times, UTIME_NOW/OMIT), ACCESS,
 * and the SUID/SGID/file capability clearing rules on write, truncate and chown, against
 * the real worker with an unprivileged caller (uid 1000) as well as guest root.
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
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

/* A host file with content, mode and owner. */
static uint64_t
file(struct wh *w, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	wh_host_file(w, name, "0123456789");
	if (chown(wh_path(w, name), uid, gid) == -1 || chmod(wh_path(w, name), mode) == -1)
		perror(name);
	return wh_node(w, name);
}

static int
set(struct wh *w, uint64_t nodeid, uint32_t valid, uint32_t mode, uint64_t size,
    struct msg_attr *a)
{
	struct msg_setattr	s;

	memset(&s, 0, sizeof(s));
	s.valid = valid;
	s.mode = mode;
	s.size = size;
	s.uid = s.gid = 1000;
	return wh_setattr(w, nodeid, &s, a);
}

static void
test_setattr(struct wh *w)
{
	struct msg_setattr	s;
	struct msg_attr		a;
	struct stat		st;
	uint64_t		f, fh;

	f = file(w, "f", 0644, 0, 0);
	CHECK(set(w, f, SETATTR_MODE, 0600, 0, &a) == 0 && (a.mode & 07777) == 0600);
	CHECK(wh_host_mode(w, "f") == 0600);
	CHECK(set(w, f, SETATTR_UID | SETATTR_GID, 0, 0, &a) == 0 && a.uid == 1000 &&
	    a.gid == 1000);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_uid == 1000 && st.st_gid == 1000);
	CHECK(set(w, f, SETATTR_SIZE, 0, 4, &a) == 0 && a.size == 4);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_size == 4);
	CHECK(wh_open(w, f, O_RDWR, &fh) == 0);
	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_SIZE | SETATTR_FH;
	s.fh = fh;
	s.size = 2;
	CHECK(wh_setattr(w, f, &s, &a) == 0 && a.size == 2);
	s.fh = 777777;
	CHECK(wh_setattr(w, f, &s, &a) == EBADF);
	CHECK(wh_release(w, fh) == 0);

	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_ATIME | SETATTR_MTIME;
	s.atime = 1000;
	s.mtime = 2000;
	s.mtimensec = 5;
	CHECK(wh_setattr(w, f, &s, &a) == 0 && a.atime == 1000 && a.mtime == 2000);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_atime == 1000 && st.st_mtime == 2000 && st.st_mtim.tv_nsec == 5);
	s.valid = SETATTR_MTIME_NOW;	/* atime omitted */
	CHECK(wh_setattr(w, f, &s, &a) == 0);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_atime == 1000 && st.st_mtime > time(NULL) - 60);
	s.valid = SETATTR_ATIME;
	s.atimensec = 1000000000;
	CHECK(wh_setattr(w, f, &s, &a) == EINVAL);

	/* a symlink's own times and owner */
	if (symlink("f", wh_path(w, "l")) == -1)
		perror("symlink");
	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_MTIME | SETATTR_UID;
	s.mtime = 3000;
	s.uid = 1000;
	CHECK(wh_setattr(w, wh_node(w, "l"), &s, &a) == 0);
	wh_host_stat(w, "l", &st);
	CHECK(st.st_mtime == 3000 && st.st_uid == 1000);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_mtime != 3000);
}

static void
test_unprivileged(struct wh *w)
{
	struct msg_setattr	s;
	struct msg_attr		a;
	uint64_t		root_f, own_f;

	root_f = file(w, "rootf", 0644, 0, 0);
	own_f = file(w, "ownf", 0644, 1000, 1000);
	wh_uid = wh_gid = 1000;
	CHECK(set(w, root_f, SETATTR_MODE, 0666, 0, &a) == EPERM);
	CHECK(set(w, root_f, SETATTR_UID, 0, 0, &a) == EPERM);
	CHECK(set(w, root_f, SETATTR_SIZE, 0, 1, &a) == EACCES);
	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_MTIME;
	s.mtime = 5;
	CHECK(wh_setattr(w, root_f, &s, &a) == EPERM);
	s.valid = SETATTR_MTIME_NOW | SETATTR_ATIME_NOW;
	CHECK(wh_setattr(w, root_f, &s, &a) == EACCES);
	CHECK(wh_host_mode(w, "rootf") == 0644);

	CHECK(set(w, own_f, SETATTR_MODE, 0640, 0, &a) == 0);
	CHECK(wh_host_mode(w, "ownf") == 0640);
	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_UID;
	s.uid = 0;
	CHECK(wh_setattr(w, own_f, &s, &a) == EPERM);
	/* chmod g+s to a group one is not in: the kernel drops SGID, as locally */
	CHECK(chown(wh_path(w, "ownf"), 1000, 0) == 0);
	CHECK(set(w, own_f, SETATTR_MODE, 02750, 0, &a) == 0);
	CHECK(wh_host_mode(w, "ownf") == 0750);
	wh_uid = wh_gid = 0;
}

static uint64_t
write_one(struct wh *w, uint64_t nodeid, uint32_t flags)
{
	uint64_t	fh, n = 0;
	uint32_t	uid = wh_uid, gid = wh_gid;
	int		err;

	wh_uid = wh_gid = 0;
	err = wh_open(w, nodeid, O_RDWR, &fh);
	wh_uid = uid;
	wh_gid = gid;
	if (err != 0)
		return 0;
	err = wh_write(w, fh, 0, "x", 1, flags, &n);
	wh_release(w, fh);
	return err == 0 ? n : 0;
}

static void
test_killpriv(struct wh *w)
{
	static const uint8_t	cap[20] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x04 };
	struct msg_setattr	s;
	struct msg_attr		a;
	uint64_t		f;

	/* an unprivileged writer loses SUID, and SGID with group execute */
	f = file(w, "s1", 06775, 1000, 1000);
	wh_uid = wh_gid = 1000;
	CHECK(write_one(w, f, 0) == 1);
	CHECK(wh_host_mode(w, "s1") == 0775);
	/* SGID without group execute is not a privilege: it stays */
	f = file(w, "s2", 02664, 1000, 1000);
	CHECK(write_one(w, f, 0) == 1);
	CHECK(wh_host_mode(w, "s2") == 02664);
	wh_uid = wh_gid = 0;

	/* guest root keeps them, unless killpriv_v2 asks on its behalf */
	f = file(w, "s3", 06755, 1000, 1000);
	CHECK(write_one(w, f, 0) == 1 && wh_host_mode(w, "s3") == 06755);
	CHECK(write_one(w, f, IO_KILL_SUIDGID) == 1 && wh_host_mode(w, "s3") == 0755);

	f = file(w, "s4", 06755, 1000, 1000);
	CHECK(set(w, f, SETATTR_SIZE | SETATTR_KILL_SUIDGID, 0, 3, &a) == 0);
	CHECK(wh_host_mode(w, "s4") == 06755);	/* session without killpriv_v2 */
	CHECK(wh_session(w, SESSION_KILLPRIV_V2) == 0);
	f = wh_node(w, "s4");
	CHECK(set(w, f, SETATTR_SIZE, 0, 2, &a) == 0 && wh_host_mode(w, "s4") == 06755);
	CHECK(set(w, f, SETATTR_SIZE | SETATTR_KILL_SUIDGID, 0, 1, &a) == 0);
	CHECK(wh_host_mode(w, "s4") == 0755 && (a.mode & 07777) == 0755);

	/* chown clears them whoever asks */
	f = file(w, "s5", 04755, 1000, 1000);
	memset(&s, 0, sizeof(s));
	s.valid = SETATTR_UID;
	s.uid = 0;
	CHECK(wh_setattr(w, f, &s, &a) == 0 && wh_host_mode(w, "s5") == 0755);
	f = file(w, "s6", 06755, 1000, 1000);
	wh_uid = wh_gid = 1000;
	s.valid = SETATTR_GID;
	s.gid = 1000;
	CHECK(wh_setattr(w, f, &s, &a) == 0 && wh_host_mode(w, "s6") == 0755);
	wh_uid = wh_gid = 0;

	/* a write drops security.capability */
	f = file(w, "s7", 0755, 0, 0);
	CHECK(setxattr(wh_path(w, "s7"), "security.capability", cap, sizeof(cap), 0) == 0);
	CHECK(write_one(w, f, 0) == 1);
	CHECK(getxattr(wh_path(w, "s7"), "security.capability", NULL, 0) == -1 &&
	    errno == ENODATA);
}

static void
test_access(struct wh *w)
{
	uint64_t	f0, f6, fx;

	f0 = file(w, "a0", 0000, 0, 0);
	f6 = file(w, "a6", 0644, 0, 0);
	fx = file(w, "ax", 0700, 0, 0);
	CHECK(wh_access(w, f0, R_OK | W_OK) == 0);	/* root */
	CHECK(wh_access(w, f6, X_OK) == EACCES);	/* root needs one x bit */
	CHECK(wh_access(w, fx, X_OK) == 0);
	wh_uid = wh_gid = 1000;
	CHECK(wh_access(w, f0, F_OK) == 0);
	CHECK(wh_access(w, f0, R_OK) == EACCES);
	CHECK(wh_access(w, f6, R_OK) == 0);
	CHECK(wh_access(w, f6, W_OK) == EACCES);
	CHECK(wh_access(w, fx, X_OK) == EACCES);
	CHECK(wh_access(w, WH_ROOT, X_OK) == 0);
	wh_uid = wh_gid = 0;
	CHECK(wh_access(w, f6, 0x10) == EINVAL);
	CHECK(wh_access(w, 424242, R_OK) > 0);
}

int
main(void)
{
	struct wh	w;

	wh_start_session(&w, NULL, 0);
	chmod(w.dir, 0755);
	test_setattr(&w);
	test_unprivileged(&w);
	test_killpriv(&w);
	test_access(&w);
	wh_finish(&w);
	return check_done("ops-attr");
}
