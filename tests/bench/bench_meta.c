/*
 * Metadata workloads: LOOKUP+GETATTR, CREATE+RELEASE+UNLINK, READDIRPLUS, and the GETATTR
 * round trip at queue depth 1.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define NMETA		1000	/* meta/f0000 .. f0999, made by bench.sh */
#define OUT_HDR		sizeof(struct fuse_out_header)

static int
deadline_passed(uint64_t t0, double secs)
{
	return now_ns() - t0 >= (uint64_t)(secs * 1e9);
}

void
work_lookup(struct bench *b, unsigned int unused __attribute__((__unused__)))
{
	uint64_t dir, node, t0, n = 0;
	char name[16];
	int r;

	if ((r = op_lookup(b, 1, "meta", &dir)) != 0) {
		result_na(b, "lookup_getattr", vu_fuse_strerror(r));
		return;
	}
	t0 = now_ns();
	do {
		snprintf(name, sizeof(name), "f%04u", (unsigned int)(n % NMETA));
		if ((r = op_lookup(b, dir, name, &node)) != 0 || (r = op_getattr(b, node)) != 0) {
			fprintf(stderr, "%s: meta/%s: %s\n", b->backend, name, vu_fuse_strerror(r));
			result_na(b, "lookup_getattr", "failed");
			return;
		}
		n++;
	} while (!deadline_passed(t0, b->seconds));
	result(b, "lookup_getattr", n / ((now_ns() - t0) / 1e9), "pairs/s");
}

void
work_create(struct bench *b, unsigned int unused __attribute__((__unused__)))
{
	uint64_t dir, node, fh, t0, n = 0;
	char name[128];
	int r;

	if ((r = op_lookup(b, 1, "create", &dir)) != 0) {
		result_na(b, "create_release_unlink", vu_fuse_strerror(r));
		return;
	}
	t0 = now_ns();
	do {
		snprintf(name, sizeof(name), "%s.%llu", b->backend, (unsigned long long)n);
		if ((r = op_create(b, dir, name, &node, &fh)) != 0 ||
		    (r = op_release(b, node, fh, 0)) != 0 || (r = op_unlink(b, dir, name)) != 0) {
			fprintf(stderr, "%s: create/%s: %s\n", b->backend, name,
			    vu_fuse_strerror(r));
			result_na(b, "create_release_unlink", "failed");
			return;
		}
		/* as the guest does once the dentry goes; not waited for */
		if (bench_forget(b, node) == -1) {
			result_na(b, "create_release_unlink", "forget");
			return;
		}
		n++;
	} while (!deadline_passed(t0, b->seconds));
	result(b, "create_release_unlink", n / ((now_ns() - t0) / 1e9), "cycles/s");
	bench_drain_forgets(b);
}

/* Entries in one READDIR(PLUS) page other than "." and ".."; *off = the last offset. */
static int
count_ents(const uint8_t *p, size_t len, int plus, uint64_t *off, uint64_t *entries)
{
	size_t pos = 0, base = plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	struct fuse_dirent d;

	while (pos < len) {
		if (len - pos < base + FUSE_NAME_OFFSET)
			return -1;
		memcpy(&d, p + pos + base, FUSE_NAME_OFFSET);
		if (d.namelen == 0 || d.namelen > 255 ||
		    FUSE_DIRENT_ALIGN(base + FUSE_NAME_OFFSET + d.namelen) > len - pos)
			return -1;
		*off = d.off;
		if (p[pos + base + FUSE_NAME_OFFSET] != '.' || d.namelen > 2)
			(*entries)++;
		pos += FUSE_DIRENT_ALIGN(base + FUSE_NAME_OFFSET + d.namelen);
	}
	return 0;
}

static int
readdir_pass(struct bench *b, uint64_t dir, int plus, uint64_t *entries)
{
	struct bench_slot *s = &b->slot[0];
	uint64_t fh, off = 0;
	int r;

	if ((r = op_open(b, dir, O_RDONLY | O_DIRECTORY, 1, &fh)) != 0)
		return r;
	for (;;) {
		fill_rw(s, fh, off, BENCH_PAGE);	/* Linux 6.1 reads one page */
		r = bench_call(b, plus ? FUSE_READDIRPLUS : FUSE_READDIR, dir, sizeof(struct fuse_read_in), 0, 0,
		    BENCH_PAGE);
		if (r != 0)
			break;
		if (s->used_len == OUT_HDR)
			break;
		if (count_ents(slot_pages(s), s->used_len - OUT_HDR, plus, &off,
		    entries) == -1) {
			fprintf(stderr, "%s: bad READDIR page\n", b->backend);
			r = VU_FUSE_BADREPLY;
			break;
		}
	}
	(void)op_release(b, dir, fh, 1);
	return r;
}

/* Whole listings of dir10k (OPENDIR, pages, RELEASEDIR); plus: READDIRPLUS. */
void
work_readdir(struct bench *b, unsigned int plus)
{
	const char *key = plus ? "readdirplus" : "readdir";
	uint64_t dir, t0, n = 0, passes = 0;
	int r;

	if ((r = op_lookup(b, 1, "dir10k", &dir)) != 0) {
		result_na(b, key, vu_fuse_strerror(r));
		return;
	}
	t0 = now_ns();
	do {
		if ((r = readdir_pass(b, dir, plus, &n)) != 0) {
			fprintf(stderr, "%s: %s: %s\n", b->backend, key, vu_fuse_strerror(r));
			result_na(b, key, "failed");
			return;
		}
		passes++;
	} while (!deadline_passed(t0, b->seconds));
	result(b, key, n / ((now_ns() - t0) / 1e9), "entries/s");
	fprintf(stderr, "%s: %s: %llu passes, %llu entries each\n", b->backend, key,
	    (unsigned long long)passes, (unsigned long long)(n / passes));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * GETATTRs one at a time: p50 and p99. With gap_us, each comes that long after the last
 * reply (the driver sleeps), as from a guest that does other work between requests: a
 * back-end that waits awake for the next request has stopped waiting by then.
 */
void
work_latency(struct bench *b, unsigned int gap_us)
{
	size_t cap = 1 << 22, n = 0;
	uint64_t *lat, node, t0, t;
	const char *p50 = gap_us ? "getattr_spaced_p50" : "getattr_p50";
	const char *p99 = gap_us ? "getattr_spaced_p99" : "getattr_p99";
	int r;

	if ((r = op_lookup(b, 1, "big", &node)) != 0 ||
	    (lat = calloc(cap, sizeof(*lat))) == NULL) {
		result_na(b, p50, "lookup");
		result_na(b, p99, "lookup");
		return;
	}
	t0 = now_ns();
	do {
		if (gap_us)
			usleep(gap_us);
		t = now_ns();
		if ((r = op_getattr(b, node)) != 0) {
			fprintf(stderr, "%s: GETATTR: %s\n", b->backend, vu_fuse_strerror(r));
			break;
		}
		lat[n++] = now_ns() - t;
	} while (n < cap && !deadline_passed(t0, b->seconds));
	if (r != 0 || n == 0) {
		result_na(b, p50, "failed");
		result_na(b, p99, "failed");
	} else {
		qsort(lat, n, sizeof(*lat), cmp_u64);
		result(b, p50, lat[n / 2] / 1e3, "us");
		result(b, p99, lat[n * 99 / 100] / 1e3, "us");
	}
	free(lat);
}
