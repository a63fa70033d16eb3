/*
 * Worker core: OPENDIR, READDIR and READDIRPLUS: every entry exactly once across small
 * buffers, sizes within the guest's buffer, "." and ".." with node id 0 in READDIRPLUS,
 * one lookup per READDIRPLUS entry.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define NFILES	60

/* Reads the whole directory with buffers of size bytes; counts what it saw. */
static int
read_all(struct wh *w, uint64_t fh, uint32_t size, int plus, int seen[NFILES],
    int *dots, int *bad)
{
	static struct wh_reply	rep;
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	struct msg_attr		a;
	uint64_t		off = 0;
	uint32_t		used;
	int			i, calls = 0, n;

	for (;;) {
		if (wh_readdir(w, fh, off, size, plus, &rep) != 0)
			return -1;
		if (++calls > 1000)
			return -1;
		wh_dirents_begin(&it, &rep, plus);
		used = 0;
		n = 0;
		while (wh_dirents_next(&it, &d)) {
			n++;
			used += msg_dirent_size(d.d.namelen, plus);
			off = d.d.off;
			if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0) {
				(*dots)++;
				if (plus && (d.e.nodeid != 0 || d.d.type != DT_DIR ||
				    !S_ISDIR(d.e.attr.mode)))
					(*bad)++;
				continue;
			}
			if (sscanf(d.name, "file%d", &i) != 1 || i < 0 || i >= NFILES) {
				(*bad)++;
				continue;
			}
			seen[i]++;
			if (d.d.type != DT_REG)
				(*bad)++;
			if (plus) {
				/* A real node with one lookup: usable, then forgotten. */
				if (d.e.nodeid == 0 || d.e.attr.size != 3 ||
				    d.e.attr.ino != d.d.ino ||
				    wh_getattr(w, d.e.nodeid, &a) != 0 || a.ino != d.d.ino)
					(*bad)++;
				wh_forget(w, d.e.nodeid, 1);
			}
		}
		if (it.bad || used > size)
			(*bad)++;
		if (n == 0)
			return 0;
	}
}

static void
check_dir(struct wh *w, uint32_t size, int plus)
{
	int		seen[NFILES], dots = 0, bad = 0, i, once = 1;
	uint64_t	fh;

	memset(seen, 0, sizeof(seen));
	CHECK(wh_opendir(w, WH_ROOT, &fh) == 0);
	CHECK(read_all(w, fh, size, plus, seen, &dots, &bad) == 0);
	for (i = 0; i < NFILES; i++)
		if (seen[i] != 1)
			once = 0;
	CHECK(once);
	CHECK(dots == 2);
	CHECK(bad == 0);
	if (!once || dots != 2 || bad != 0)
		fprintf(stderr, "size %u plus %d: dots %d bad %d\n", size, plus, dots, bad);
	CHECK(wh_releasedir(w, fh) == 0);
}

int
main(void)
{
	static struct wh_reply	rep;
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	uint64_t		fh;
	char			name[32];
	int			i;

	wh_opts_default(&o);
	if (wh_start(&w, &o) != 0)
		return 1;
	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "file%d", i);
		wh_host_file(&w, name, "abc");
	}
	check_dir(&w, 4096, 0);
	check_dir(&w, 4096, 1);
	check_dir(&w, 48, 0);		/* one entry per call */
	check_dir(&w, 200, 1);		/* one READDIRPLUS entry per call */
	check_dir(&w, 65536, 1);
	/* A buffer too small for any entry: an empty answer, not an overflow. */
	CHECK(wh_opendir(&w, WH_ROOT, &fh) == 0);
	CHECK(wh_readdir(&w, fh, 0, 16, 0, &rep) == 0);
	CHECK(rep.len == sizeof(struct msg_dirents));
	/* Not a directory handle, unknown handles. */
	CHECK(wh_readdir(&w, fh + 1, 0, 4096, 0, &rep) == EBADF);
	CHECK(wh_releasedir(&w, fh) == 0);
	CHECK(wh_readdir(&w, fh, 0, 4096, 0, &rep) == EBADF);
	CHECK(wh_lookup(&w, WH_ROOT, "file1", &e) == 0);
	CHECK(wh_opendir(&w, e.nodeid, &fh) == ENOTDIR);
	CHECK(wh_open(&w, e.nodeid, O_RDONLY, &fh) == 0);
	CHECK(wh_readdir(&w, fh, 0, 4096, 0, &rep) == ENOTDIR);
	CHECK(wh_release(&w, fh) == 0);
	CHECK(wh_finish(&w) == 0);
	return check_done("t_readdir");
}
