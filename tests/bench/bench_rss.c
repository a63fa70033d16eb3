/*
 * What a back-end costs: memory and CPU time of the process and all its descendants
 * (privfsd's broker, frontend and worker; a peer's single process). Threads share their
 * process's counts, so whole processes are enough.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAXP	4096

static int
ppid_of(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
		if (sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = -1;
	fclose(f);
	return ppid;
}

/*
 * The pids of root and all its descendants into tree (at most MAXP): their number, 0
 * when root is gone. /proc lists parents and children in no useful order, so mark until
 * nothing changes.
 */
static int
proc_tree(int root, int *tree)
{
	static int pids[MAXP], ppids[MAXP], in[MAXP];
	struct dirent *de;
	DIR *d;
	int n = 0, i, j, changed, nt = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAXP) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pids[n] = (int)strtol(de->d_name, NULL, 10);
		ppids[n] = ppid_of(pids[n]);
		in[n] = pids[n] == root;
		n++;
	}
	closedir(d);
	do {
		changed = 0;
		for (i = 0; i < n; i++)
			for (j = 0; j < n && !in[i]; j++)
				if (in[j] && ppids[i] == pids[j])
					in[i] = changed = 1;
	} while (changed);
	for (i = 0; i < n; i++)
		if (in[i])
			tree[nt++] = pids[i];
	return nt;
}

/* Add the kB values of the named fields (name[i] includes its colon) of a /proc file. */
static void
add_fields(int pid, const char *file, const char *const *name, uint64_t *kb, int nname)
{
	char path[64], line[256];
	unsigned long long v;
	size_t len;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < nname; i++) {
			len = strlen(name[i]);
			if (strncmp(line, name[i], len) == 0 &&
			    sscanf(line + len, " %llu", &v) == 1)
				kb[i] += v;
		}
	fclose(f);
}

/* kb[i] = the sum of field name[i] of file over the tree of root; -1 when it is gone. */
static int
sum_tree(int root, const char *file, const char *const *name, uint64_t *kb, int nname,
    int *nproc)
{
	static int tree[MAXP];
	int i, n;

	memset(kb, 0, nname * sizeof(*kb));
	if ((*nproc = n = proc_tree(root, tree)) == 0)
		return -1;
	for (i = 0; i < n; i++)
		add_fields(tree[i], file, name, kb, nname);
	return 0;
}

int
rss_tree(int root, uint64_t *rss, uint64_t *anon, int *nproc)
{
	static const char *const name[] = { "VmRSS:", "RssAnon:" };
	uint64_t kb[2];

	if (sum_tree(root, "status", name, kb, 2, nproc) == -1)
		return -1;
	*rss = kb[0];
	*anon = kb[1];
	return 0;
}

/*
 * Pss shares each page among the processes that map it, so the broker, frontend and
 * worker's common text is counted once; Private_Dirty is what only the back-end holds.
 */
int
pss_tree(int root, uint64_t *pss, uint64_t *dirty, int *nproc)
{
	static const char *const name[] = { "Pss:", "Private_Dirty:" };
	uint64_t kb[2];

	if (sum_tree(root, "smaps_rollup", name, kb, 2, nproc) == -1)
		return -1;
	*pss = kb[0];
	*dirty = kb[1];
	return 0;
}

/* utime + stime (fields 14 and 15 of stat, after the parenthesised comm), ticks. */
static uint64_t
cpu_ticks(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	uint64_t t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) == 2)
		t = ut + st;
	fclose(f);
	return t;
}

/*
 * CPU time of root and its descendants in microseconds, all their threads included
 * (a process's stat sums its threads). A child that exited is gone from the sum.
 */
int
cpu_tree(int root, uint64_t *us)
{
	static int tree[MAXP];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	int i, n;

	if (hz <= 0 || (n = proc_tree(root, tree)) == 0)
		return -1;
	for (i = 0; i < n; i++)
		ticks += cpu_ticks(tree[i]);
	*us = ticks * 1000000 / (uint64_t)hz;
	return 0;
}
