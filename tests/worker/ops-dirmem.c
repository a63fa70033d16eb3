/*
 * Worker: what an open directory handle costs. A guest may hold as many directory
 * handles as the fd budget allows, each after a READDIR that left entries unsent, so the
 * per-handle state must stay small: 6000 handles, each after one 32 KiB READDIR of a
 * 2000-name directory (names whose READDIR entry is larger than their getdents record,
 * so every handle has read more than it sent), must grow the worker's anonymous memory
 * by less than 2 KiB a handle. Afterwards every handle still lists every name exactly
 * once, and the worker serves new handles after all are released.
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

#define NFILES		2000
#define NHANDLES	6000
#define BIG		(32 * 1024)
#define MAX_PER_HANDLE	2048

static uint64_t		fhs[NHANDLES];
static unsigned char	seen[NFILES];

/* The worker's RssAnon in bytes, 0 when it cannot be read. */
static uint64_t
rss_anon(pid_t pid)
{
	char		 path[64], line[256];
	unsigned long long kb = 0;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* The rest of fh's listing after one BIG READDIR from 0: every name exactly once. */
static int
lists_all(struct wh *w, uint64_t fh)
{
	uint64_t	off = 0;
	int		i, n, calls = 0;

	memset(seen, 0, sizeof(seen));
	if (wh_readdir_count(w, fh, &off, BIG, seen, NFILES) <= 0)
		return 0;
	do
		n = wh_readdir_count(w, fh, &off, 4096, seen, NFILES);
	while (n > 0 && ++calls < 1000);
	for (i = 0; i < NFILES; i++)
		if (seen[i] != 1)
			return 0;
	return n == 0;
}

/* n handles, each after one BIG READDIR from 0 (not read to the end). */
static int
open_handles(struct wh *w, int n)
{
	uint64_t	off;
	int		i;

	for (i = 0; i < n; i++) {
		off = 0;
		if (wh_opendir(w, WH_ROOT, &fhs[i]) != 0 ||
		    wh_readdir_count(w, fhs[i], &off, BIG, seen, NFILES) <= 0) {
			fprintf(stderr, "handle %d failed\n", i);
			return -1;
		}
	}
	return 0;
}

static void
release_handles(struct wh *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK(wh_releasedir(w, fhs[i]) == 0);
}

static void
prepare(const char *dir)
{
	/* 9 bytes: a 32-byte getdents record, a 40-byte READDIR entry */
	wh_host_files(dir, "name", 5, NFILES);
}

int
main(void)
{
	struct wh_opts	o;
	struct wh	w;
	uint64_t	before, after, per;

	wh_opts_default(&o);
	o.prepare = prepare;
	o.threads = 2;
	o.rlimit_nofile = NHANDLES + 1000;
	if (wh_start(&w, &o) != 0)
		return 1;
	/* Warm up: the threads' buffers and the tables' first growth are not per handle. */
	CHECK(open_handles(&w, 200) == 0);
	release_handles(&w, 200);
	before = rss_anon(w.pid);
	CHECK(open_handles(&w, NHANDLES) == 0);
	after = rss_anon(w.pid);
	CHECK(before > 0 && after > 0);
	per = after > before ? (after - before) / NHANDLES : 0;
	fprintf(stderr, "RssAnon %llu KiB -> %llu KiB: %llu bytes a handle\n",
	    (unsigned long long)before / 1024, (unsigned long long)after / 1024,
	    (unsigned long long)per);
#ifdef __SANITIZE_ADDRESS__
	/* ASan keeps freed memory in quarantine: the worker's RSS says nothing here. */
	fprintf(stderr, "AddressSanitizer build: the memory bound is not checked\n");
#else
	CHECK(per < MAX_PER_HANDLE);
#endif
	/* The handles still work: each one's stream goes on from where it was. */
	CHECK(lists_all(&w, fhs[0]));
	CHECK(lists_all(&w, fhs[NHANDLES - 1]));
	release_handles(&w, NHANDLES);
	CHECK(open_handles(&w, 1) == 0);
	CHECK(lists_all(&w, fhs[0]));
	release_handles(&w, 1);
	CHECK(wh_finish(&w) == 0);
	return check_done("ops-dirmem");
}
