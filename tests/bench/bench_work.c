/*
 * The workloads. Each runs for b->seconds (at least one full pass where it has passes)
 * and prints one result line per number through result().
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define OUT_HDR	sizeof(struct fuse_out_header)

struct rw_ctx {
	uint64_t	 nodeid, fh;
	uint32_t	 appsize;	/* the application's request */
	uint32_t	 chunk;		/* what one FUSE request carries (max_io) */
	unsigned int	 pieces;	/* FUSE requests per application request */
	int		 write;
	int		 random;
	uint64_t	 rng;
	uint64_t	 bytes;
};

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int
rw_prep(struct bench *b, struct bench_slot *s, uint64_t i, struct rw_ctx *c)
{
	uint64_t app = i / c->pieces, piece = i % c->pieces, off;
	uint32_t size = c->chunk;

	if (c->random)
		off = (xorshift(&c->rng) % (b->file_size / c->appsize)) * c->appsize;
	else
		off = (app * c->appsize) % b->file_size;
	off += piece * c->chunk;
	if (size > c->appsize - piece * c->chunk)
		size = (uint32_t)(c->appsize - piece * c->chunk);
	s->arg = size;
	if (c->write) {
		fill_rw(s, c->fh, off, size);
		return slot_submit(b, s, FUSE_WRITE, c->nodeid, sizeof(struct fuse_write_in),
		    size, sizeof(struct fuse_write_out), 0);
	}
	fill_rw(s, c->fh, off, size);
	return slot_submit(b, s, FUSE_READ, c->nodeid, sizeof(struct fuse_read_in), 0, 0, size);
}

static int
rw_check(struct bench *b, struct bench_slot *s, struct rw_ctx *c)
{
	struct fuse_write_out wo;
	int e = slot_error(b, s);

	if (e != 0) {
		fprintf(stderr, "%s: %s: %s\n", b->backend, c->write ? "WRITE" : "READ",
		    vu_fuse_strerror(e));
		return -1;
	}
	if (c->write) {
		memcpy(&wo, slot_reply(s), sizeof(wo));
		if (s->used_len != OUT_HDR + sizeof(wo) || wo.size != s->arg)
			goto short_io;
	} else if (s->used_len != OUT_HDR + s->arg)
		goto short_io;
	c->bytes += s->arg;
	return 0;
short_io:
	fprintf(stderr, "%s: short %s: used len %u for %llu bytes\n", b->backend,
	    c->write ? "WRITE" : "READ", s->used_len, (unsigned long long)s->arg);
	b->broken = 1;
	return -1;
}

/*
 * Keep depth requests in flight until the time is up and at least min requests were
 * issued. Returns the elapsed ns, 0 on failure; *count = requests completed.
 */
static uint64_t
rw_pipeline(struct bench *b, unsigned int depth, uint64_t min, struct rw_ctx *c,
    uint64_t *count)
{
	uint64_t t0 = now_ns(), dl = t0 + (uint64_t)(b->seconds * 1e9), issued = 0, done = 0;
	struct bench_slot *s;
	unsigned int i;

	for (i = 0; i < depth; i++, issued++)
		if (rw_prep(b, &b->slot[i], issued, c) == -1)
			return 0;
	bench_publish(b, 1);
	while (done < issued) {
		if ((s = bench_reap(b, 1)) == NULL || rw_check(b, s, c) == -1)
			return 0;
		done++;
		if (issued < min || now_ns() < dl) {
			if (rw_prep(b, s, issued++, c) == -1)
				return 0;
			bench_publish(b, 1);
		}
	}
	*count = done;
	return now_ns() - t0;
}

static void
rw_setup(struct bench *b, struct rw_ctx *c, uint32_t appsize)
{
	memset(c, 0, sizeof(*c));
	c->appsize = appsize;
	c->chunk = appsize < b->max_io ? appsize : b->max_io;
	c->pieces = (appsize + c->chunk - 1) / c->chunk;
	c->rng = 0x9e3779b97f4a7c15ULL;
}

static int
open_big(struct bench *b, struct rw_ctx *c)
{
	int r;

	if ((r = op_lookup(b, 1, "big", &c->nodeid)) != 0 ||
	    (r = op_open(b, c->nodeid, O_RDONLY, 0, &c->fh)) != 0)
		fprintf(stderr, "%s: big: %s\n", b->backend, vu_fuse_strerror(r));
	return r;
}

void
work_seq_read(struct bench *b, unsigned int reqsize)
{
	struct rw_ctx c;
	uint64_t ns, n;
	char key[64];

	snprintf(key, sizeof(key), "seqread_%uk", reqsize / 1024);
	rw_setup(b, &c, reqsize);
	if (open_big(b, &c) != 0) {
		result_na(b, key, "open");
		return;
	}
	ns = rw_pipeline(b, b->seq_depth, b->file_size / c.chunk, &c, &n);
	if (ns == 0)
		result_na(b, key, "failed");
	else
		result(b, key, (double)c.bytes / 1e6 / (ns / 1e9), "MB/s");
	(void)op_release(b, c.nodeid, c.fh, 0);
}

void
work_rand_read(struct bench *b, unsigned int depth)
{
	struct rw_ctx c;
	uint64_t ns, n;
	char key[64];

	snprintf(key, sizeof(key), "randread_4k_qd%u", depth);
	rw_setup(b, &c, BENCH_PAGE);
	c.random = 1;
	if (open_big(b, &c) != 0) {
		result_na(b, key, "open");
		return;
	}
	ns = rw_pipeline(b, depth, depth, &c, &n);
	if (ns == 0)
		result_na(b, key, "failed");
	else
		result(b, key, (double)n / (ns / 1e9), "req/s");
	(void)op_release(b, c.nodeid, c.fh, 0);
}

void
work_seq_write(struct bench *b, unsigned int reqsize)
{
	struct rw_ctx c;
	uint64_t ns, n;
	char key[64], name[128];
	int r;

	snprintf(key, sizeof(key), "seqwrite_%uk", reqsize / 1024);
	snprintf(name, sizeof(name), "write.%s", b->backend);
	rw_setup(b, &c, reqsize);
	c.write = 1;
	if ((r = op_create(b, 1, name, &c.nodeid, &c.fh)) != 0) {
		fprintf(stderr, "%s: create %s: %s\n", b->backend, name, vu_fuse_strerror(r));
		result_na(b, key, "create");
		return;
	}
	ns = rw_pipeline(b, b->seq_depth, b->file_size / c.chunk, &c, &n);
	if (ns == 0)
		result_na(b, key, "failed");
	else
		result(b, key, (double)c.bytes / 1e6 / (ns / 1e9), "MB/s");
	(void)op_release(b, c.nodeid, c.fh, 0);
	(void)op_unlink(b, 1, name);
	(void)bench_forget(b, c.nodeid);
}
