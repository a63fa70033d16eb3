/*
 * The DAX row: 4 KiB reads at random page offsets of "big" through the DAX window (the
 * whole file mapped first, 2 MiB at a time, as a Linux guest maps it; every page touched
 * once before the clock starts, as a guest's would be after its first faults) against
 * randread_4k_qd1, the same reads as FUSE READs at depth 1. Only when the device has a
 * window (vu-bench --dax-window); dax-bench.sh prints the two and their ratio.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"

#define RANGE	(2ULL << 20)

/* Map [0, len) of the file at window offset 0, 2 MiB per SETUPMAPPING. */
static int
map_all(struct bench *b, uint64_t nodeid, uint64_t len)
{
	uint64_t off;
	int r;

	for (off = 0; off < len; off += RANGE)
		if ((r = vu_fuse_setupmapping(&b->dev, nodeid, UINT64_MAX, off, RANGE,
		    FUSE_SETUPMAPPING_FLAG_READ, off)) != 0) {
			fprintf(stderr, "%s: SETUPMAPPING at %llu: %s\n", b->backend,
			    (unsigned long long)off, vu_fuse_why(&b->dev, r));
			return -1;
		}
	return 0;
}

/* REMOVEMAPPING of what map_all made, up to 256 ranges a request, as Linux batches them. */
static void
unmap_all(struct bench *b, uint64_t nodeid, uint64_t len)
{
	struct fuse_removemapping_one one[256];
	uint64_t off = 0;
	uint32_t n;

	while (off < len) {
		for (n = 0; n < 256 && off < len; n++, off += RANGE) {
			one[n].moffset = off;
			one[n].len = RANGE;
		}
		(void)vu_fuse_removemapping(&b->dev, nodeid, one, n);
	}
}

void
work_dax_read(struct bench *b, unsigned int unused)
{
	static uint8_t buf[BENCH_PAGE];
	const char *key = "randread_4k_dax";
	uint64_t nodeid, len, pages, rng = 0x9e3779b97f4a7c15ULL, n = 0, i, t0, dl, ns;
	volatile uint8_t sink = 0;
	const uint8_t *w = b->dev.dax.window;

	(void)unused;
	len = (b->file_size + RANGE - 1) / RANGE * RANGE;
	if (len > b->dev.dax.size)
		len = b->dev.dax.size / RANGE * RANGE;
	if (op_lookup(b, 1, "big", &nodeid) != 0 || map_all(b, nodeid, len) != 0) {
		result_na(b, key, "setupmapping");
		return;
	}
	pages = (b->file_size < len ? b->file_size : len) / BENCH_PAGE;
	for (i = 0; i < pages; i++)
		sink += w[i * BENCH_PAGE];
	t0 = now_ns();
	dl = t0 + (uint64_t)(b->seconds * 1e9);
	do {
		for (i = 0; i < 1024; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			memcpy(buf, w + rng % pages * BENCH_PAGE, BENCH_PAGE);
			sink += buf[rng & (BENCH_PAGE - 1)];
		}
		n += 1024;
	} while ((ns = now_ns() - t0) < dl - t0);
	(void)sink;
	result(b, key, (double)n / (ns / 1e9), "req/s");
	unmap_all(b, nodeid, len);
	(void)bench_forget(b, nodeid);
}
