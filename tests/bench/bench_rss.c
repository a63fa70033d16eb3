/*
 * Resident memory of a back-end: the process and all its descendants (privfsd's broker,
 * frontend and worker; a peer's single process). Threads share their process's counts.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
add_status(int pid, uint64_t *rss, uint64_t *anon)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			*rss += v;
		else if (sscanf(line, "RssAnon: %llu", &v) == 1)
			*anon += v;
	}
	fclose(f);
}

int
rss_tree(int root, uint64_t *rss, uint64_t *anon, int *nproc)
{
	static int pids[MAXP], ppids[MAXP], in[MAXP];
	struct dirent *de;
	DIR *d;
	int n = 0, i, changed;

	if ((d = opendir("/proc")) == NULL)
		return -1;
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
		for (i = 0; i < n; i++) {
			int j;

			if (in[i])
				continue;
			for (j = 0; j < n; j++)
				if (in[j] && ppids[i] == pids[j]) {
					in[i] = changed = 1;
					break;
				}
		}
	} while (changed);
	*rss = *anon = 0;
	*nproc = 0;
	for (i = 0; i < n; i++)
		if (in[i]) {
			add_status(pids[i], rss, anon);
			(*nproc)++;
		}
	return *nproc > 0 ? 0 : -1;
}
