/*
 * Not a test: READDIR and READDIRPLUS throughput of the worker on its own, in entries a
 * second, for a 10,000-name directory (names of 2 to 20 bytes) read from start to end in 4 KiB replies (what a
 * Linux guest asks for). Run by hand: worker/bench-readdir [rounds].
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define NFILES	10000
#define PIECE	4096

/* One listing from 0 to the end; the number of entries. */
static long
list(struct wh *w, int plus)
{
	static struct wh_reply	rep;
	struct wh_dirent_iter	it;
	struct wh_dirent	d;
	uint64_t		fh, off = 0;
	long			total = 0;
	int			n;

	if (wh_opendir(w, WH_ROOT, &fh) != 0)
		return -1;
	do {
		if (wh_readdir(w, fh, off, PIECE, plus, &rep) != 0)
			return -1;
		wh_dirents_begin(&it, &rep, plus);
		n = 0;
		while (wh_dirents_next(&it, &d)) {
			n++;
			off = d.d.off;
			if (plus && d.e.nodeid != 0)
				wh_forget(w, d.e.nodeid, 1);
		}
		total += n;
	} while (n > 0);
	wh_releasedir(w, fh);
	return total;
}

static void
prepare(const char *dir)
{
	char	path[4096];
	int	i, fd;

	for (i = 0; i < NFILES; i++) {
		/* names of 2 to 20 bytes, as in a real directory */
		snprintf(path, sizeof(path), "%s/f%d%.*s", dir, i, i % 16, "abcdefghijklmnop");
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

int
main(int argc, char *argv[])
{
	struct wh_opts	o;
	struct wh	w;
	double		t;
	long		n;
	int		i, plus, rounds = 20;

	if (argc > 1 && (rounds = (int)strtonum(argv[1], 1, 100000, NULL)) == 0)
		return 1;
	wh_opts_default(&o);
	o.prepare = prepare;
	o.threads = 2;
	if (wh_start(&w, &o) != 0)
		return 1;
	for (plus = 0; plus <= 1; plus++) {
		list(&w, plus);
		t = wh_now();
		for (i = 0, n = 0; i < rounds; i++)
			n += list(&w, plus);
		t = wh_now() - t;
		printf("%s: %ld entries in %.3f s: %.0f entries/s\n",
		    plus ? "READDIRPLUS" : "READDIR", n, t, (double)n / t);
	}
	wh_stop(&w);
	return 0;
}
