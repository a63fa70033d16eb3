/*
 * A guest without killpriv_v2 clears S_ISUID/S_ISGID itself before an unprivileged write
 * or truncate, by a SETATTR of the mode without them sent with the writer's ids. The
 * worker applies such a pure removal with its own authority when the caller may write the
 * file, and nothing more: any other mode change by a non-owner stays EPERM.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

/* The node id of name (0 when the lookup fails), looked up as guest root. */
static uint64_t
lookup(struct wh *w, const char *name)
{
	struct msg_entry	e;
	uint32_t		uid = wh_uid, gid = wh_gid;
	int			err;

	wh_uid = wh_gid = 0;
	err = wh_lookup(w, WH_ROOT, name, &e);
	wh_uid = uid;
	wh_gid = gid;
	return err == 0 ? e.nodeid : 0;
}

/* A root-owned host file with this mode; its node id. */
static uint64_t
file(struct wh *w, const char *name, mode_t mode)
{
	wh_host_file(w, name, "0123456789");
	if (chown(wh_path(w, name), 0, 0) == -1 || chmod(wh_path(w, name), mode) == -1)
		perror(name);
	return lookup(w, name);
}

static off_t
hsize(const struct wh *w, const char *name)
{
	struct stat	st;

	wh_host_stat(w, name, &st);
	return st.st_size;
}

static int
set(struct wh *w, uint64_t nodeid, uint32_t valid, uint32_t mode, uint64_t size,
    uint64_t fh)
{
	struct msg_setattr	s;
	struct msg_attr		a;

	memset(&s, 0, sizeof(s));
	s.valid = valid;
	s.mode = mode;
	s.size = size;
	s.fh = fh;
	return wh_setattr(w, nodeid, &s, &a);
}

static void
test_kill(struct wh *w)
{
	uint64_t	f, fh;

	wh_uid = wh_gid = 1000;
	/* what the guest sends before a non-owner's write: granted */
	f = file(w, "k1", 06777);
	CHECK(set(w, f, SETATTR_MODE, S_IFREG | 0777, 0, 0) == 0);
	CHECK(wh_host_mode(w, "k1") == 0777);
	/* set-gid alone, or set-uid alone */
	f = file(w, "k2", 06777);
	CHECK(set(w, f, SETATTR_MODE, 04777, 0, 0) == 0 && wh_host_mode(w, "k2") == 04777);
	CHECK(set(w, f, SETATTR_MODE, 0777, 0, 0) == 0 && wh_host_mode(w, "k2") == 0777);
	/* a truncate: size and the removal in one SETATTR, by path and by handle */
	f = file(w, "k3", 06777);
	CHECK(set(w, f, SETATTR_MODE | SETATTR_SIZE, 0777, 2, 0) == 0);
	CHECK(wh_host_mode(w, "k3") == 0777 && hsize(w, "k3") == 2);
	f = file(w, "k4", 06666);
	CHECK(wh_open(w, f, O_WRONLY, &fh) == 0);
	CHECK(set(w, f, SETATTR_MODE | SETATTR_SIZE | SETATTR_FH, 0666, 0, fh) == 0);
	CHECK(wh_host_mode(w, "k4") == 0666 && hsize(w, "k4") == 0);
	CHECK(wh_release(w, fh) == 0);
	wh_uid = wh_gid = 0;
}

static void
test_refused(struct wh *w)
{
	uint64_t	f, d;

	wh_uid = wh_gid = 1000;
	/* removal plus any other change is a chmod: the owner's */
	f = file(w, "r1", 06777);
	CHECK(set(w, f, SETATTR_MODE, 0775, 0, 0) == EPERM);
	CHECK(set(w, f, SETATTR_MODE, 04776, 0, 0) == EPERM);
	CHECK(set(w, f, SETATTR_MODE | SETATTR_SIZE, 0775, 1, 0) == EPERM);
	CHECK(wh_host_mode(w, "r1") == 06777 && hsize(w, "r1") == 10);
	/* adding a set-id bit, alone or with a removal */
	f = file(w, "r2", 0777);
	CHECK(set(w, f, SETATTR_MODE, 04777, 0, 0) == EPERM);
	CHECK(wh_host_mode(w, "r2") == 0777);
	f = file(w, "r3", 04777);
	CHECK(set(w, f, SETATTR_MODE, 02777, 0, 0) == EPERM);
	CHECK(wh_host_mode(w, "r3") == 04777);
	/* no change at all is no removal either */
	CHECK(set(w, f, SETATTR_MODE, 04777, 0, 0) == EPERM);
	/* a caller who may not write the file could not have cleared them locally */
	f = file(w, "r4", 06755);
	CHECK(set(w, f, SETATTR_MODE, 0755, 0, 0) == EPERM);
	CHECK(wh_host_mode(w, "r4") == 06755);
	/* only regular files */
	wh_host_mkdir(w, "dir");
	CHECK(chmod(wh_path(w, "dir"), 02777) == 0);
	d = lookup(w, "dir");
	CHECK(set(w, d, SETATTR_MODE, 0777, 0, 0) == EPERM);
	CHECK(wh_host_mode(w, "dir") == 02777);
	wh_uid = wh_gid = 0;
}

/* The caller's ids are back after the removal: what follows still runs as the caller. */
static void
test_creds_back(struct wh *w)
{
	uint64_t	f, g;

	f = file(w, "c1", 06777);
	g = file(w, "c2", 0644);
	wh_uid = wh_gid = 1000;
	CHECK(set(w, f, SETATTR_MODE, 0777, 0, 0) == 0);
	CHECK(set(w, g, SETATTR_MODE, 0666, 0, 0) == EPERM);
	CHECK(set(w, g, SETATTR_SIZE, 0, 1, 0) == EACCES);
	CHECK(wh_host_mode(w, "c2") == 0644 && hsize(w, "c2") == 10);
	wh_uid = wh_gid = 0;
}

int
main(void)
{
	struct wh	w;

	wh_start_session(&w, NULL, 0);
	chmod(w.dir, 0755);
	test_kill(&w);
	test_refused(&w);
	test_creds_back(&w);
	wh_finish(&w);
	return check_done("ops-suidkill");
}
