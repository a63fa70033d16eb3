/*
 * Worker restart on a state store the dead worker corrupted (it may have been
 * compromised): bad names ("..", "a/b", "", unterminated, too long), parents out of
 * range, parents that loop, a torn record, a generation above the floor, a floor of
 * 0xffffffff, a record leading through a symlink to a host file outside the export, and
 * a directory replaced by a symlink. The next worker starts, says how many nodes it
 * lost, resolves none of those ids, and still serves new ones. A header with a wrong
 * magic number is no state at all.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"
#include "wstate.h"

#define NBAD	16
/* A name kept in the store's long-name area (WSTATE_NAME_INLINE bytes or more). */
#define LONG_GOOD	"good-with-a-name-long-enough-for-the-long-name-area"

static uint8_t	*store;

static struct wstate_header *
header(void)
{
	return (struct wstate_header *)store;
}

static struct wstate_rec *
rec(uint64_t nodeid)
{
	return (struct wstate_rec *)(store + WSTATE_HEADER_BYTES) + (uint32_t)nodeid;
}

/* The node's slot in the long-name area. */
static char *
long_name(uint64_t nodeid)
{
	return ((struct wstate_long *)(store + WSTATE_LONG_OFFSET(WSTATE_BYTES)) +
	    (uint32_t)nodeid)->name;
}

static void
start(struct wh *w, int sfd, const char *dir)
{
	struct wh_opts o;

	wh_opts_default(&o);
	o.state_fd = sfd;
	o.shared_dir = dir;
	if (wh_start(w, &o) != 0)
		exit(1);
}

/* As the worker stores it: inline when short, else in the long-name area. */
static void
set_name(uint64_t nodeid, const char *name)
{
	struct wstate_rec *r = rec(nodeid);
	size_t len = strlen(name);

	memset(r->name, 0, sizeof(r->name));
	if (len < WSTATE_NAME_INLINE)
		memcpy(r->name, name, len);
	else {
		memset(long_name(nodeid), 0, NAME_MAX + 1);
		memcpy(long_name(nodeid), name, len);
	}
	r->name_len = (uint32_t)len;
}

/* A record that names /etc/passwd (outside the export) through a symlink in it. */
static void
escape_record(struct wh *w, uint64_t nodeid)
{
	struct stat	 st;

	CHECK(stat("/etc/passwd", &st) == 0);
	CHECK(symlink("/etc/passwd", wh_path(w, "esclink")) == 0);
	set_name(nodeid, "esclink");
	rec(nodeid)->dev = st.st_dev;
	rec(nodeid)->ino = st.st_ino;
	rec(nodeid)->type = S_IFREG;
}

/* bad[0 .. NBAD-1]: ids whose records are made wrong, each in its own way. */
static void
corrupt(struct wh *w, const uint64_t *bad)
{
	struct wstate_rec	*last;
	char			 path[PATH_MAX];

	set_name(bad[0], "..");
	set_name(bad[1], "a/b");
	set_name(bad[2], "");
	memset(rec(bad[3])->name, 'x', sizeof(rec(bad[3])->name));	/* no NUL */
	rec(bad[4])->name_len = NAME_MAX + 1;
	rec(bad[5])->parent_index = 0xfffffff0;
	rec(bad[6])->parent_index = (uint32_t)bad[6];			/* itself */
	rec(bad[7])->parent_index = (uint32_t)bad[8];			/* a loop of two */
	rec(bad[8])->parent_index = (uint32_t)bad[7];
	rec(bad[9])->seq |= 1;						/* torn */
	rec(bad[10])->gen = 0xfffffff0;					/* above the floor */
	rec(bad[11])->parent_index = 0;
	rec(bad[12])->type = 0170000;					/* no such type */
	escape_record(w, bad[13]);
	/* Long names: one of two components, one whose slot was never written. */
	set_name(bad[14], "a-name-long-enough-for-the-long-name-area/x");
	rec(bad[15])->name_len = 50;
	/* The last record: far past the others, with nothing written in between. */
	last = rec(WSTATE_NRECORDS(WSTATE_BYTES) - 1);
	memcpy(last, rec(bad[0]), sizeof(*last));
	strlcpy(last->name, "zz", sizeof(last->name));
	last->name_len = 2;
	header()->node_gen_next = 0xffffffff;
	header()->handle_gen_next = 0xffffffff;
	header()->max_index = 0xffffffff;
	/* real/: now a symlink to a directory with the same names (never followed). */
	strlcpy(path, wh_path(w, "real"), sizeof(path));	/* wh_path's buffer is static */
	CHECK(rename(path, wh_path(w, "real2")) == 0);
	CHECK(symlink("real2", wh_path(w, "real")) == 0);
}

static void
check_serving(struct wh *w)
{
	struct msg_attr	a;
	uint64_t	n, m;

	wh_host_file(w, "fresh", "");
	n = wh_node_at(w, WH_ROOT, "fresh");
	CHECK(n >> 32 == WSTATE_GEN_FLOOR_MAX);		/* the floor, clamped */
	wh_forget(w, n, 1);
	CHECK(wh_getattr(w, n, &a) == ESTALE);
	m = wh_node_at(w, WH_ROOT, "fresh");
	CHECK(m != n && wh_getattr(w, m, &a) == 0);
}

int
main(void)
{
	struct wh	 a, b, c;
	struct msg_attr	 attr;
	struct stat	 st;
	uint64_t	 bad[NBAD], good, goodlong, real, t;
	char		 name[16];
	int		 i, sfd;

	if (geteuid() != 0) {
		printf("SKIP: the worker needs root\n");
		return 77;
	}
	sfd = wh_state_memfd();
	store = mmap(NULL, WSTATE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (store == MAP_FAILED)
		return 99;
	start(&a, sfd, NULL);
	CHECK(wh_session(&a, 0) == 0);
	wh_host_file(&a, "good", "good\n");
	good = wh_node_at(&a, WH_ROOT, "good");
	wh_host_file(&a, LONG_GOOD, "long\n");
	goodlong = wh_node_at(&a, WH_ROOT, LONG_GOOD);
	for (i = 0; i < NBAD; i++) {
		snprintf(name, sizeof(name), "bad%d", i);
		wh_host_file(&a, name, "");
		bad[i] = wh_node_at(&a, WH_ROOT, name);
	}
	wh_host_mkdir(&a, "real");
	wh_host_file(&a, "real/t", "t\n");
	real = wh_node_at(&a, WH_ROOT, "real");
	t = wh_node_at(&a, real, "t");
	wh_kill(&a);
	corrupt(&a, bad);

	start(&b, sfd, a.dir);
	CHECK(wh_log_has(&b, "restart: 2 nodes rebuilt, 19 lost"));
	/* The pages between were never read: the store still costs next to nothing. */
	CHECK(fstat(sfd, &st) == 0 && st.st_blocks * 512 < 1024 * 1024);
	CHECK(wh_getattr(&b, good, &attr) == 0);
	CHECK(wh_getattr(&b, goodlong, &attr) == 0 && attr.size == 5);
	for (i = 0; i < NBAD; i++)
		CHECK(wh_getattr(&b, bad[i], &attr) == ESTALE);
	CHECK(wh_getattr(&b, real, &attr) == ESTALE);
	CHECK(wh_getattr(&b, t, &attr) == ESTALE);
	check_serving(&b);
	wh_kill(&b);

	/* Not a store at all: no restart, no old id. */
	header()->magic = 0;
	start(&c, sfd, a.dir);
	CHECK(!wh_log_has(&c, "restart:"));
	CHECK(wh_getattr(&c, good, &attr) != 0);
	CHECK(header()->magic == WSTATE_MAGIC && header()->max_index == 0);
	CHECK(wh_finish(&c) == 0);
	wh_stop(&b);
	if (check_failures) {
		wh_dump_log(&a);
		wh_dump_log(&b);
	}
	wh_stop(&a);
	return check_done("ops-restart-hostile");
}
