/*
 * Worker: LSEEK on a directory handle. A guest kernel seeks in a directory by itself
 * (every READDIR carries its offset) and sends LSEEK for regular files only, so one on a
 * directory handle comes from a hostile guest: it must not move the fd under the handle's
 * READDIR stream. For every whence: READDIR part of 300 names, LSEEK the handle, go on
 * from the offset the last entry gave: every name exactly once, and the LSEEK refused
 * (EINVAL, as a local directory without SEEK_DATA/SEEK_HOLE answers).
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

#define NFILES	300
#define PIECE	1024		/* about 30 names a reply */

static unsigned char	seen[NFILES];

/* One READDIR at off into seen[]; the number of entries, -1 on failure. */
static int
piece(struct wh *w, uint64_t fh, uint64_t *off)
{
	static struct wh_reply	rep;
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	int			i, n = 0;

	if (wh_readdir(w, fh, *off, PIECE, 0, &rep) != 0)
		return -1;
	wh_dirents_begin(&it, &rep, 0);
	while (wh_dirents_next(&it, &d)) {
		n++;
		*off = d.d.off;
		if (sscanf(d.name, "name%d", &i) == 1 && i >= 0 && i < NFILES)
			seen[i]++;
	}
	return it.bad ? -1 : n;
}

static void
check_whence(struct wh *w, uint32_t whence)
{
	uint64_t	fh, off = 0, res;
	int		i, n, calls = 0, missing = 0, twice = 0, err;

	memset(seen, 0, sizeof(seen));
	CHECK(wh_opendir(w, WH_ROOT, &fh) == 0);
	CHECK(piece(w, fh, &off) > 0);
	CHECK(piece(w, fh, &off) > 0);
	err = wh_lseek(w, fh, 0, whence, &res);
	CHECK(err == EINVAL);
	while ((n = piece(w, fh, &off)) > 0 && ++calls < 1000)
		;
	CHECK(n == 0);
	for (i = 0; i < NFILES; i++) {
		missing += seen[i] == 0;
		twice += seen[i] > 1;
	}
	if (missing || twice || err != EINVAL)
		fprintf(stderr, "whence %u: LSEEK %d, %d names missing, %d more than once\n",
		    whence, err, missing, twice);
	CHECK(missing == 0 && twice == 0);
	CHECK(wh_releasedir(w, fh) == 0);
}

static void
prepare(const char *dir)
{
	char	path[4096];
	int	i, fd;

	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/name%03d", dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

int
main(void)
{
	struct wh_opts	o;
	struct wh	w;

	wh_opts_default(&o);
	o.prepare = prepare;
	wh_start_session(&w, &o, 0);
	check_whence(&w, SEEK_SET);
	check_whence(&w, SEEK_END);
	check_whence(&w, SEEK_DATA);
	check_whence(&w, SEEK_HOLE);
	CHECK(wh_finish(&w) == 0);
	return check_done("ops-dirlseek");
}
