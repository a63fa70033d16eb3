/*
 * Worker: READDIR of a 10,000-entry directory in 4 KiB pieces, now that a handle keeps
 * its stream position and the entries it read but did not send: every name exactly once,
 * each reply starting at the offset the last entry before it gave, the same answer when
 * an offset is asked again, and a rewind to 0 half-way through starting over. READDIRPLUS
 * the same way, never past the guest's buffer.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define NFILES	10000
#define PIECE	4096

static unsigned char	seen[NFILES];

/*
 * One reply at off: counts names into seen[], returns the number of entries (-1 on a
 * bad reply) and the offset to go on from in *next.
 */
static int
piece(struct wh *w, uint64_t fh, uint64_t off, int plus, uint64_t *next, int *bad)
{
	static struct wh_reply	rep;
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	uint32_t		used = 0;
	int			i, n = 0;

	if (wh_readdir(w, fh, off, PIECE, plus, &rep) != 0)
		return -1;
	*next = off;
	wh_dirents_begin(&it, &rep, plus);
	while (wh_dirents_next(&it, &d)) {
		n++;
		used += msg_dirent_size(d.d.namelen, plus);
		*next = d.d.off;
		if (plus && d.e.nodeid != 0)
			wh_forget(w, d.e.nodeid, 1);
		if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0)
			continue;
		if (sscanf(d.name, "e%d", &i) != 1 || i < 0 || i >= NFILES) {
			(*bad)++;
			continue;
		}
		seen[i]++;
	}
	if (it.bad || used > PIECE)
		(*bad)++;
	return n;
}

static int
all_once(void)
{
	int i, missing = 0, twice = 0;

	for (i = 0; i < NFILES; i++) {
		missing += seen[i] == 0;
		twice += seen[i] > 1;
	}
	if (missing || twice)
		fprintf(stderr, "%d names missing, %d seen more than once\n", missing, twice);
	return missing == 0 && twice == 0;
}

/* Read until the end from off; returns the number of replies, -1 on failure. */
static int
read_rest(struct wh *w, uint64_t fh, uint64_t *offp, int plus, int *bad)
{
	uint64_t	off = *offp;
	uint64_t	next;
	int		n, calls = 0;

	while ((n = piece(w, fh, off, plus, &next, bad)) > 0) {
		if (++calls > NFILES)
			return -1;
		off = next;
	}
	*offp = off;
	return n < 0 ? -1 : calls;
}

static void
check(struct wh *w, int plus)
{
	static struct wh_reply	a, b;
	uint64_t		fh, off = 0, next;
	int			bad = 0, calls = 0, n;

	CHECK(wh_opendir(w, WH_ROOT, &fh) == 0);
	/* Half-way, with no name twice. */
	memset(seen, 0, sizeof(seen));
	while (calls < (plus ? 200 : 50) && (n = piece(w, fh, off, plus, &next, &bad)) > 0) {
		calls++;
		off = next;
	}
	CHECK(calls == (plus ? 200 : 50));
	for (n = 0; n < NFILES; n++)
		CHECK(seen[n] <= 1);
	/* Asking for the same offset twice gives the same entries (not the next ones). */
	if (!plus) {
		CHECK(wh_readdir(w, fh, off, PIECE, 0, &a) == 0);
		CHECK(wh_readdir(w, fh, off, PIECE, 0, &b) == 0);
		CHECK(a.len == b.len && a.len > sizeof(struct msg_dirents) &&
		    memcmp(a.data, b.data, a.len) == 0);
	}
	/* Rewind: from 0 every name exactly once. */
	memset(seen, 0, sizeof(seen));
	off = 0;
	CHECK((n = read_rest(w, fh, &off, plus, &bad)) > 0);
	CHECK(all_once());
	CHECK(bad == 0);
	/* At the end, the end again. */
	CHECK(wh_readdir(w, fh, off, PIECE, plus, &a) == 0);
	CHECK(a.len == sizeof(struct msg_dirents));
	CHECK(wh_releasedir(w, fh) == 0);
	fprintf(stderr, "plus %d: %d replies from 0\n", plus, n);
}

static void
prepare(const char *dir)
{
	wh_host_files(dir, "e", 0, NFILES);
}

int
main(void)
{
	struct wh_opts	o;
	struct wh	w;

	wh_opts_default(&o);
	o.prepare = prepare;
	o.threads = 2;
	if (wh_start(&w, &o) != 0)
		return 1;
	check(&w, 0);
	check(&w, 1);
	CHECK(wh_finish(&w) == 0);
	return check_done("ops-readdir10k");
}
