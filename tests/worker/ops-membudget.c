/*
 * Worker: the per-export memory budget. With a small budget (set in the configuration),
 * OPENDIR and LOOKUP past it are answered ENOMEM (not ENFILE: the fd budget is far away)
 * and the worker keeps running; READDIR on the handles already open still lists every
 * name exactly once (a handle's unsent entries are a cache the budget may refuse); once
 * the handles are released the same requests succeed again. The same for nodes that keep
 * a file handle instead of an fd (--inode-file-handles).
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define NFILES		300
#define BUDGET_KIB	256
#define MAX_HANDLES	5000

static uint64_t		fhs[MAX_HANDLES];
static unsigned char	seen[NFILES];

/* Every name exactly once, read in small pieces. */
static int
lists_all(struct wh *w, uint64_t fh)
{
	static struct wh_reply	rep;
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	uint64_t		off = 0;
	int			i, n, calls = 0;

	memset(seen, 0, sizeof(seen));
	do {
		if (wh_readdir(w, fh, off, 1024, 0, &rep) != 0 || ++calls > 1000)
			return 0;
		wh_dirents_begin(&it, &rep, 0);
		for (n = 0; wh_dirents_next(&it, &d); n++) {
			off = d.d.off;
			if (sscanf(d.name, "name%d", &i) == 1 && i >= 0 && i < NFILES)
				seen[i]++;
		}
	} while (n > 0);
	for (i = 0; i < NFILES; i++)
		if (seen[i] != 1)
			return 0;
	return 1;
}

static void
prepare(const char *dir)
{
	wh_host_files(dir, "name", 3, NFILES);
}

/*
 * --inode-file-handles: a node that keeps a file handle instead of its fd holds no fd but
 * its memory: LOOKUP past the budget is ENOMEM, and FORGET gives the memory back.
 */
static void
check_file_handles(void)
{
	static uint64_t		ids[NFILES];
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	char			name[16];
	int			i, n, err = 0;

	wh_opts_default(&o);
	o.prepare = prepare;
	o.rlimit_nofile = 64;		/* fewer than the names: nodes hold no fd */
	o.memory_budget_kib = 64;
	o.inode_file_handles = FILE_HANDLES_PREFER;
	wh_start_session(&w, &o, 0);
	for (n = 0; n < NFILES; n++) {
		snprintf(name, sizeof(name), "name%03d", n);
		if ((err = wh_lookup(&w, WH_ROOT, name, &e)) != 0)
			break;
		ids[n] = e.nodeid;
	}
	fprintf(stderr, "file handles: %d nodes within 64 KiB, then %s\n", n, strerror(err));
	CHECK(err == ENOMEM && n > 64);
	for (i = 0; i < n; i++)
		wh_forget(&w, ids[i], 1);
	CHECK(wh_lookup(&w, WH_ROOT, "name299", &e) == 0);
	CHECK(wh_finish(&w) == 0);
}

int
main(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	int			i, n, err = 0;

	wh_opts_default(&o);
	o.prepare = prepare;
	o.threads = 2;
	o.rlimit_nofile = MAX_HANDLES + 1000;
	o.memory_budget_kib = BUDGET_KIB;
	wh_start_session(&w, &o, 0);
	for (n = 0; n < MAX_HANDLES; n++)
		if ((err = wh_opendir(&w, WH_ROOT, &fhs[n])) != 0)
			break;
	fprintf(stderr, "%d handles within %d KiB, then %s\n", n, BUDGET_KIB, strerror(err));
	CHECK(err == ENOMEM);
	CHECK(n > 100 && n < MAX_HANDLES);
	CHECK(wh_lookup(&w, WH_ROOT, "name007", &e) == ENOMEM);
	CHECK(wh_alive(&w));
	/* What is open keeps working, with no memory to keep read-ahead in. */
	if (n > 0) {
		CHECK(lists_all(&w, fhs[0]));
		CHECK(lists_all(&w, fhs[n - 1]));
	}
	for (i = 0; i < n; i++)
		CHECK(wh_releasedir(&w, fhs[i]) == 0);
	/* Served again: the budget came back with the handles. */
	CHECK(wh_lookup(&w, WH_ROOT, "name007", &e) == 0);
	wh_forget(&w, e.nodeid, 1);
	CHECK(wh_opendir(&w, WH_ROOT, &fhs[0]) == 0);
	CHECK(lists_all(&w, fhs[0]));
	CHECK(wh_releasedir(&w, fhs[0]) == 0);
	/* As many as before: everything charged was given back. */
	for (i = 0; i < n; i++)
		if ((err = wh_opendir(&w, WH_ROOT, &fhs[i])) != 0)
			break;
	CHECK(i == n);
	while (i-- > 0)
		CHECK(wh_releasedir(&w, fhs[i]) == 0);
	CHECK(wh_finish(&w) == 0);
	check_file_handles();
	return check_done("ops-membudget");
}
