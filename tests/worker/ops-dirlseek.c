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
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define NFILES	300
#define PIECE	1024		/* about 30 names a reply */

static unsigned char	seen[NFILES];

static void
check_whence(struct wh *w, uint32_t whence)
{
	uint64_t	fh, off = 0, res;
	int		i, n, calls = 0, missing = 0, twice = 0, err;

	memset(seen, 0, sizeof(seen));
	CHECK(wh_opendir(w, WH_ROOT, &fh) == 0);
	CHECK(wh_readdir_count(w, fh, &off, PIECE, seen, NFILES) > 0);
	CHECK(wh_readdir_count(w, fh, &off, PIECE, seen, NFILES) > 0);
	err = wh_lseek(w, fh, 0, whence, &res);
	CHECK(err == EINVAL);
	do
		n = wh_readdir_count(w, fh, &off, PIECE, seen, NFILES);
	while (n > 0 && ++calls < 1000);
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
	wh_host_files(dir, "name", 3, NFILES);
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
