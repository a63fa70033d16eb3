/*
 * Worker restart (--worker-restart): a worker killed with SIGKILL, a new one on the same
 * state memfd and shared directory. The guest's node ids name the same files again
 * (nested directories, a hard link, a renamed file), with their lookup counts; a
 * forgotten id and every fh answer ESTALE; no new id is ever an old one; the session
 * carries over without a new INIT; a second restart keeps the first one's ids. With and
 * without --inode-file-handles.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"
#include "wstate.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)
#endif

#define SESSION	(SESSION_DONT_MASK | SESSION_POSIX_ACL)
#define NNEW	64

struct ids {
	uint64_t	d1, d2, f, g, hl, r, x, fh;
	uint64_t	d3, k, e1, e2;		/* a moved directory's child; an exchange */
};

static struct wstate_header *
map_header(int sfd)
{
	void *p;

	p = mmap(NULL, WSTATE_HEADER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	return p;
}

static uint32_t handles_mode;	/* FILE_HANDLES_*, for every worker of a run */

static void
start(struct wh *w, int sfd, const char *dir)
{
	struct wh_opts o;

	wh_opts_default(&o);
	o.inode_file_handles = handles_mode;
	o.state_fd = sfd;
	o.shared_dir = dir;
	if (wh_start(w, &o) != 0)
		exit(1);
}

/* The first worker: what the guest learns before the crash. */
static void
first_worker(struct wh *w, struct ids *id)
{
	struct msg_entry	e;
	char			g[PATH_MAX];

	wh_host_mkdir(w, "d1");
	wh_host_mkdir(w, "d1/d2");
	wh_host_file(w, "d1/d2/f", "file f\n");
	wh_host_file(w, "g", "g and hl\n");
	strlcpy(g, wh_path(w, "g"), sizeof(g));	/* wh_path's buffer is static */
	CHECK(link(g, wh_path(w, "d1/hl")) == 0);
	wh_host_file(w, "r", "renamed\n");
	wh_host_file(w, "x", "forgotten\n");
	CHECK(wh_session(w, SESSION) == 0);
	id->d1 = wh_node_at(w, WH_ROOT, "d1");
	id->d2 = wh_node_at(w, id->d1, "d2");
	id->f = wh_node_at(w, id->d2, "f");
	CHECK(wh_node_at(w, id->d2, "f") == id->f);		/* nlookup 2 */
	id->g = wh_node_at(w, WH_ROOT, "g");
	id->hl = wh_node_at(w, id->d1, "hl");		/* the same node: the last name wins */
	CHECK(id->hl == id->g);
	id->r = wh_node_at(w, WH_ROOT, "r");
	CHECK(wh_rename(w, WH_ROOT, "r", id->d1, "r2", 0) == 0);
	id->x = wh_node_at(w, WH_ROOT, "x");
	/* Only the moved directory's record changes: its child is named under it. */
	wh_host_mkdir(w, "d3");
	wh_host_file(w, "d3/k", "k\n");
	id->d3 = wh_node_at(w, WH_ROOT, "d3");
	id->k = wh_node_at(w, id->d3, "k");
	CHECK(wh_rename(w, WH_ROOT, "d3", id->d1, "d3b", 0) == 0);
	wh_host_file(w, "e1", "e1\n");
	wh_host_file(w, "e2", "e2\n");
	id->e1 = wh_node_at(w, WH_ROOT, "e1");
	id->e2 = wh_node_at(w, WH_ROOT, "e2");
	CHECK(wh_rename(w, WH_ROOT, "e1", WH_ROOT, "e2", RENAME_EXCHANGE) == 0);
	CHECK(wh_open(w, id->f, O_RDONLY, &id->fh) == 0);
	wh_forget(w, id->x, 1);
	CHECK(wh_getattr(w, id->x, &e.attr) != 0);
}

static void
check_same(struct wh *w, uint64_t nodeid, const char *name)
{
	struct msg_attr a;

	CHECK(wh_getattr(w, nodeid, &a) == 0 && a.ino == wh_host_ino(w, name));
}

static int
is_old(const struct ids *id, uint64_t n)
{
	return n == id->d1 || n == id->d2 || n == id->f || n == id->g || n == id->r ||
	    n == id->x || n == id->d3 || n == id->k || n == id->e1 || n == id->e2;
}

/* New names get new ids, never one of the old ones, even in a reused slot. */
static void
check_new_ids(struct wh *w, const struct ids *id)
{
	char		name[32];
	uint64_t	n;
	int		i, same_index = 0;

	for (i = 0; i < NNEW; i++) {
		snprintf(name, sizeof(name), "new%d", i);
		wh_host_file(w, name, "");
		n = wh_node_at(w, WH_ROOT, name);
		CHECK(!is_old(id, n));
		/* x's slot was freed in the first worker: it is taken again, above the floor. */
		same_index |= (uint32_t)n == (uint32_t)id->x;
		wh_forget(w, n, 1);
	}
	CHECK(same_index);
}

static void
second_worker(struct wh *w, const struct ids *id)
{
	struct msg_attr	a;
	uint64_t	got, fh;

	CHECK(wh_log_has(w, "restart: 9 nodes rebuilt, 0 lost"));
	CHECK(wh_log_has(w, "restart: session flags 0x24 kept"));
	check_same(w, id->d1, "d1");
	check_same(w, id->d2, "d1/d2");
	check_same(w, id->f, "d1/d2/f");
	check_same(w, id->g, "g");
	check_same(w, id->r, "d1/r2");
	check_same(w, id->d3, "d1/d3b");
	check_same(w, id->k, "d1/d3b/k");
	check_same(w, id->e1, "e2");
	check_same(w, id->e2, "e1");
	CHECK(wh_getattr(w, id->x, &a) == ESTALE);
	CHECK(wh_read(w, id->fh, 0, 16, 0, &got) == ESTALE);
	CHECK(wh_release(w, id->fh) == ESTALE);
	/* A lookup finds the rebuilt node, and opening it works. */
	CHECK(wh_node_at(w, id->d1, "d2") == id->d2);
	wh_forget(w, id->d2, 1);
	CHECK(wh_open(w, id->f, O_RDONLY, &fh) == 0 && fh != id->fh);
	CHECK(wh_read(w, fh, 0, 16, 0, &got) == 0 && got == 7);
	CHECK(memcmp(wh_guest(w, 0), "file f\n", 7) == 0);
	CHECK(wh_release(w, fh) == 0);
	check_new_ids(w, id);
	/* f's lookup count survived: 2 forgets to make it go. */
	wh_forget(w, id->f, 1);
	CHECK(wh_getattr(w, id->f, &a) == 0);
	wh_forget(w, id->f, 1);
	CHECK(wh_getattr(w, id->f, &a) == ESTALE);
}

static void
run(void)
{
	static struct wh_reply	 rep;
	struct wh		 a, b, c;
	struct ids		 id;
	struct wstate_header	*h;
	struct msg_attr		 attr;
	uint64_t		 kept;
	int			 sfd;

	sfd = wh_state_memfd();
	h = map_header(sfd);
	start(&a, sfd, NULL);
	first_worker(&a, &id);
	CHECK(h->session_active == 1 && h->session_flags == SESSION);
	wh_kill(&a);

	start(&b, sfd, a.dir);
	second_worker(&b, &id);
	kept = wh_node_at(&b, WH_ROOT, "new0");
	wh_kill(&b);

	/* A second restart: the first worker's ids and the second's still hold. */
	start(&c, sfd, a.dir);
	CHECK(wh_log_has(&c, "restart: 9 nodes rebuilt, 0 lost"));
	check_same(&c, id.d1, "d1");
	check_same(&c, id.r, "d1/r2");
	check_same(&c, id.k, "d1/d3b/k");
	check_same(&c, kept, "new0");
	CHECK(wh_getattr(&c, id.f, &attr) == ESTALE);
	CHECK(wh_call(&c, IMSG_FRONTEND_SESSION_DESTROY, 0, NULL, 0, &rep) == 0);
	CHECK(h->session_active == 0);
	CHECK(wh_getattr(&c, id.d1, &attr) == ESTALE);
	CHECK(wh_finish(&c) == 0);
	wh_stop(&b);
	if (check_failures) {
		wh_dump_log(&a);
		wh_dump_log(&b);
	}
	wh_stop(&a);
	munmap(h, WSTATE_HEADER_BYTES);
	close(sfd);
}

/* Without fd 6 nothing changes: no store, ids from generation 0, EBADF as before. */
static void
no_state(void)
{
	struct wh	w;
	struct msg_attr	a;
	uint64_t	n;

	start(&w, 0, NULL);
	wh_host_file(&w, "a", "");
	n = wh_node_at(&w, WH_ROOT, "a");
	CHECK(n == 2);
	CHECK(wh_getattr(&w, (uint64_t)1 << 32 | 2, &a) == EBADF);
	CHECK(wh_getattr(&w, 77, &a) == EBADF);
	CHECK(wh_read(&w, 5, 0, 1, 0, &n) == EBADF);
	CHECK(!wh_log_has(&w, "restart:"));
	CHECK(wh_finish(&w) == 0);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: the worker needs root\n");
		return 77;
	}
	no_state();
	run();
	/* Nodes kept as file handles: the rebuild opens parents the same way. */
	handles_mode = FILE_HANDLES_PREFER;
	run();
	return check_done("ops-restart");
}
