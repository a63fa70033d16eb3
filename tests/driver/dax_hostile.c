/*
 * Hostile DAX cases: what a malicious guest can put in SETUPMAPPING and REMOVEMAPPING,
 * and a VMM that stops answering. Each wants an error reply, and privfsd must check a
 * request before the VMM sees it: the cases that are malformed on their face also want
 * the VMM to have received nothing at all. After each case dax.c checks that nothing
 * outside the window reached the VMM and that privfsd still serves.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dax.h"

/* Window slots (2 MiB each) the cases use; each case its own, so leftovers stay apart. */
#define SLOT(k)		((uint64_t)(k) * RANGE)

/* An EINVAL reply, and the VMM received nothing. */
static void
malformed(struct dctx *c, const struct vu_dax_stats *before, int r, const char *what)
{
	struct vu_dax_stats st = dax_stats(c);

	dcheck(r == -EINVAL, "%s: EINVAL (%s)", what, vu_fuse_why(&c->dev, r));
	dcheck(st.requests == before->requests, "%s: nothing sent to the VMM", what);
}

static uint64_t
hfile(struct dctx *c, const char *name)
{
	return mkfile(c, name, 4 * MIB, 11);
}

int
d_unaligned_moffset(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-moff");

	malformed(c, &b, dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(20) + 100),
	    "moffset 2 MiB * 20 + 100");
	malformed(c, &b, dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(20) + 2048),
	    "moffset half a page in");
	return 0;
}

int
d_unaligned_foffset(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-foff");

	malformed(c, &b, dax_map(c, n, FH_NONE, 100, RANGE, MAP_R, SLOT(20)), "foffset 100");
	malformed(c, &b, dax_map(c, n, FH_NONE, RANGE - 1, RANGE, MAP_R, SLOT(20)),
	    "foffset 2 MiB - 1");
	return 0;
}

int
d_unaligned_len(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-len");
	struct fuse_removemapping_one one = { SLOT(20), RANGE - 100 };

	malformed(c, &b, dax_map(c, n, FH_NONE, 0, RANGE - 100, MAP_R, SLOT(20)),
	    "len 2 MiB - 100");
	malformed(c, &b, dax_map(c, n, FH_NONE, 0, 100, MAP_R, SLOT(20)), "len 100");
	malformed(c, &b, vu_fuse_removemapping(&c->dev, n, &one, 1),
	    "REMOVEMAPPING len 2 MiB - 100");
	return 0;
}

int
d_zero_len(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-zero");
	struct fuse_removemapping_one one = { SLOT(20), 0 };

	malformed(c, &b, dax_map(c, n, FH_NONE, 0, 0, MAP_R, SLOT(20)), "len 0");
	malformed(c, &b, vu_fuse_removemapping(&c->dev, n, &one, 1), "REMOVEMAPPING len 0");
	return 0;
}

int
d_past_window(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-past"), w = c->wsize;
	struct fuse_removemapping_one one = { w, RANGE };

	malformed(c, &b, dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, w), "moffset = window size");
	malformed(c, &b, dax_map(c, n, FH_NONE, 0, 2 * RANGE, MAP_R, w - RANGE),
	    "the last 2 MiB of the window and 2 MiB more");
	malformed(c, &b, dax_map(c, n, FH_NONE, 0, 4096, MAP_R, 1ULL << 50), "moffset 2^50");
	malformed(c, &b, vu_fuse_removemapping(&c->dev, n, &one, 1),
	    "REMOVEMAPPING past the window");
	return 0;
}

int
d_wrapping(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c), st;
	uint64_t n = hfile(c, "dax-h-wrap"), top = 0 - RANGE;	/* 2^64 - 2 MiB, aligned */
	struct fuse_removemapping_one one = { top, 2 * RANGE };
	int r;

	malformed(c, &b, dax_map(c, n, FH_NONE, 0, 2 * RANGE, MAP_R, top), "moffset + len wraps");
	malformed(c, &b, dax_map(c, n, FH_NONE, top, 2 * RANGE, MAP_R, SLOT(20)),
	    "foffset + len wraps");
	malformed(c, &b, dax_map(c, n, FH_NONE, 0, top, MAP_R, 2 * RANGE), "len 2^64 - 2 MiB");
	malformed(c, &b, vu_fuse_removemapping(&c->dev, n, &one, 1), "REMOVEMAPPING that wraps");
	/* Not wrapping, but past what a file offset (off_t) can say: an error of some kind. */
	r = dax_map(c, n, FH_NONE, 1ULL << 63, RANGE, MAP_R, SLOT(20));
	st = dax_stats(c);
	dcheck(r < 0 && st.maps == b.maps, "foffset 2^63: an error, nothing mapped (%s)",
	    vu_fuse_why(&c->dev, r));
	return 0;
}

/*
 * The same window range mapped again (another file offset), and a range straddling a
 * live one. privfsd may refuse or replace; either way the window must then hold what the
 * answers say, and after the guest removed it all nothing may be left there.
 */
int
d_overlapping(struct dctx *c)
{
	struct fuse_removemapping_one rm[3] = {
		{ SLOT(22), RANGE }, { SLOT(22) + MIB, RANGE }, { SLOT(23), RANGE } };
	struct vu_dax_map m;
	uint64_t n = hfile(c, "dax-h-overlap"), k;
	int r, left = 0;

	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(22));
	dcheck(r == 0, "map file 0..2M at slot 22: %s", vu_fuse_why(&c->dev, r));
	r = dax_map(c, n, FH_NONE, RANGE, RANGE, MAP_R, SLOT(22));
	vu_note("the same slot again, file 2M..4M: %s", vu_fuse_why(&c->dev, r));
	dcheck(r <= 0, "an answer");
	k = r == 0 ? RANGE : 0;
	r = window_equals(c, SLOT(22), 11, k, RANGE);
	dcheck(r == 0, "the slot holds file offset %lluM as answered (%d)",
	    (unsigned long long)(k / MIB), r);
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(22) + MIB);
	vu_note("a range straddling it (slot 22 + 1M): %s", vu_fuse_why(&c->dev, r));
	if (r == 0)
		dcheck(window_equals(c, SLOT(22) + MIB, 11, 0, RANGE) == 0,
		    "the straddling range holds file 0..2M");
	r = vu_fuse_removemapping(&c->dev, n, rm, 3);
	vu_note("REMOVEMAPPING of all three: %s", vu_fuse_why(&c->dev, r));
	for (k = SLOT(22); k < SLOT(24); k += 4096)
		left += vu_dax_find(&c->dev.dax, k, &m);
	if (left > 0) {
		for (k = 0; k < 3; k++)
			dax_unmap(c, n, rm[k].moffset, rm[k].len);
		for (left = 0, k = SLOT(22); k < SLOT(24); k += 4096)
			left += vu_dax_find(&c->dev.dax, k, &m);
	}
	dcheck(left == 0, "after the guest removed everything, nothing is left mapped there "
	    "(%d pages)", left);
	return 0;
}

/* REMOVEMAPPING as raw bytes: count as given, nent entries after it. */
static int
remove_raw(struct dctx *c, uint64_t nodeid, uint32_t count, const struct fuse_removemapping_one *e,
    uint32_t nent)
{
	struct fuse_in_header h;
	size_t len = sizeof(h) + 4 + (size_t)nent * sizeof(*e);
	uint8_t *in;
	int r;

	if ((in = calloc(1, len)) == NULL)
		return VU_FUSE_FAILED;
	vu_fuse_hdr(&c->dev, &h, FUSE_REMOVEMAPPING, nodeid, len);
	memcpy(in, &h, sizeof(h));
	memcpy(in + sizeof(h), &count, 4);
	memcpy(in + sizeof(h) + 4, e, (size_t)nent * sizeof(*e));
	r = vu_fuse_call(&c->dev, in, len, 0, 0, NULL, 0, NULL);
	free(in);
	return r;
}

static int
both_live(struct dctx *c)
{
	struct vu_dax_map m;

	return vu_dax_find(&c->dev.dax, SLOT(24), &m) && vu_dax_find(&c->dev.dax, SLOT(25), &m);
}

int
d_remove_huge_count(struct dctx *c)
{
	struct fuse_removemapping_one *e;
	struct vu_dax_stats b;
	uint64_t n = hfile(c, "dax-h-count");
	unsigned int i;
	int r;

	if ((e = calloc(257, sizeof(*e))) == NULL)
		return -1;
	dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(24));
	r = dax_map(c, n, FH_NONE, RANGE, RANGE, MAP_R, SLOT(25));
	dcheck(r == 0 && both_live(c), "two ranges mapped at slots 24, 25");
	b = dax_stats(c);
	for (i = 0; i < 257; i++) {
		e[i].moffset = SLOT(24 + (i & 1));
		e[i].len = RANGE;
	}
	malformed(c, &b, remove_raw(c, n, 0xffffffff, e, 1), "count 2^32 - 1, one entry");
	malformed(c, &b, remove_raw(c, n, 0x10000001, e, 2), "count 2^28 + 1 (x 16 wraps 32 bits)");
	malformed(c, &b, remove_raw(c, n, 257, e, 257), "count 257 (more than a page of entries)");
	malformed(c, &b, remove_raw(c, n, 0, e, 0), "count 0");
	dcheck(both_live(c), "both ranges still mapped");
	r = remove_raw(c, n, 2, e, 2);
	dcheck(r == 0 && !both_live(c), "then a proper REMOVEMAPPING of both: %s",
	    vu_fuse_why(&c->dev, r));
	free(e);
	return 0;
}

int
d_remove_count_mismatch(struct dctx *c)
{
	struct fuse_removemapping_one e[3] = {
		{ SLOT(24), RANGE }, { SLOT(25), RANGE }, { SLOT(26), RANGE } };
	struct vu_dax_stats b;
	uint64_t n = hfile(c, "dax-h-mismatch");
	int r;

	dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(24));
	r = dax_map(c, n, FH_NONE, RANGE, RANGE, MAP_R, SLOT(25));
	dcheck(r == 0 && both_live(c), "two ranges mapped at slots 24, 25");
	b = dax_stats(c);
	malformed(c, &b, remove_raw(c, n, 3, e, 2), "count 3 with 2 entries");
	malformed(c, &b, remove_raw(c, n, 1, e, 2), "count 1 with 2 entries");
	malformed(c, &b, remove_raw(c, n, 2, e, 3), "count 2 with 3 entries");
	dcheck(both_live(c), "both ranges still mapped");
	r = remove_raw(c, n, 2, e, 2);
	dcheck(r == 0 && !both_live(c), "then a proper REMOVEMAPPING: %s", vu_fuse_why(&c->dev, r));
	return 0;
}

/* privfsd knows what it mapped: the VMM must not be asked to unmap what never was. */
int
d_remove_never_mapped(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c), st;
	uint64_t n = hfile(c, "dax-h-never");
	int r;

	r = dax_unmap(c, n, SLOT(27), RANGE);
	st = dax_stats(c);
	vu_note("REMOVEMAPPING of a never-mapped range: %s", vu_fuse_why(&c->dev, r));
	dcheck(r == 0 || errno_in(r, EINVAL, ENOENT, 0), "success or EINVAL/ENOENT");
	dcheck(st.failures == b.failures, "the VMM refused nothing (privfsd knew)");
	return 0;
}

int
d_map_directory(struct dctx *c)
{
	struct vu_dax_stats b, st;
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/dax-h-dir", cli.host_dir != NULL ? cli.host_dir : ".");
	mkdir(path, 0755);
	if ((r = vu_fuse_lookup(&c->dev, 1, "dax-h-dir", &e)) != 0)
		return dcheck(0, "LOOKUP dir: %s", vu_fuse_why(&c->dev, r));
	b = dax_stats(c);
	r = dax_map(c, e.nodeid, FH_NONE, 0, RANGE, MAP_R, SLOT(28));
	dcheck(r < 0, "a directory, fh -1: an error (%s)", vu_fuse_why(&c->dev, r));
	r = dax_map(c, 1, FH_NONE, 0, RANGE, MAP_R, SLOT(28));
	dcheck(r < 0, "the root, fh -1: an error (%s)", vu_fuse_why(&c->dev, r));
	if ((r = vu_fuse_open(&c->dev, e.nodeid, O_DIRECTORY, 1, &oo)) == 0) {
		r = dax_map(c, e.nodeid, oo.fh, 0, RANGE, MAP_R, SLOT(28));
		dcheck(r < 0, "a directory through its OPENDIR handle: an error (%s)",
		    vu_fuse_why(&c->dev, r));
		vu_fuse_release(&c->dev, e.nodeid, oo.fh, 1);
	}
	st = dax_stats(c);
	dcheck(st.maps == b.maps, "nothing mapped");
	return 0;
}

int
d_readonly_write(struct dctx *c)
{
	struct vu_dax_stats b, st;
	struct fuse_open_out oo;
	uint64_t n = hfile(c, "dax-h-ro");
	int r;

	if ((r = vu_fuse_open(&c->dev, n, O_RDONLY, 0, &oo)) != 0)
		return dcheck(0, "OPEN O_RDONLY: %s", vu_fuse_why(&c->dev, r));
	b = dax_stats(c);
	r = dax_map(c, n, oo.fh, 0, RANGE, MAP_R | MAP_W, SLOT(29));
	dcheck(errno_in(r, EACCES, EBADF, EPERM, 0), "WRITE through an O_RDONLY handle: EACCES or "
	    "EBADF (%s)", vu_fuse_why(&c->dev, r));
	r = dax_map(c, n, oo.fh, 0, RANGE, MAP_W, SLOT(29));
	dcheck(r < 0, "WRITE alone through it: an error (%s)", vu_fuse_why(&c->dev, r));
	st = dax_stats(c);
	dcheck(st.maps == b.maps, "nothing mapped");
	r = dax_map(c, n, oo.fh, 0, RANGE, MAP_R, SLOT(29));
	if (cli.opts.dax_vmm == VU_DAX_SHMEM) {
		/* QEMU 11.1 maps writable: a read-only fd cannot be mapped at all */
		vu_note("READ through the same handle: %s", vu_fuse_why(&c->dev, r));
		dcheck(r == 0 || r == -EIO || r == -EACCES, "0, or EIO/EACCES from the VMM");
	} else {
		dcheck(r == 0, "READ through the same handle works: %s", vu_fuse_why(&c->dev, r));
		if (r == 0) {
			r = window_write(c, SLOT(29), 1, 0, 1);
			dcheck(r == 1000 + 11, "... and is read-only in the window (%d)", r);
		}
	}
	st = dax_stats(c);
	if (cli.opts.dax_vmm == VU_DAX_FS_MAP)
		dcheck(st.failures == b.failures, "the VMM refused nothing");
	else if (st.failures != b.failures)
		vu_note("privfsd sent the VMM a read-only fd, which QEMU 11.1 refuses");
	dax_unmap(c, n, SLOT(29), RANGE);
	vu_fuse_release(&c->dev, n, oo.fh, 0);
	return 0;
}

int
d_stale_fh(struct dctx *c)
{
	struct vu_dax_stats b, st;
	struct fuse_open_out oo;
	uint64_t n = hfile(c, "dax-h-stale");
	int r;

	if ((r = vu_fuse_open(&c->dev, n, O_RDWR, 0, &oo)) != 0)
		return dcheck(0, "OPEN: %s", vu_fuse_why(&c->dev, r));
	vu_fuse_release(&c->dev, n, oo.fh, 0);
	b = dax_stats(c);
	r = dax_map(c, n, oo.fh, 0, RANGE, MAP_R, SLOT(30));
	dcheck(r == -EBADF, "a released fh: EBADF (%s)", vu_fuse_why(&c->dev, r));
	r = dax_map(c, n, 0xdeadbeef, 0, RANGE, MAP_R, SLOT(30));
	dcheck(r == -EBADF, "an fh never given: EBADF (%s)", vu_fuse_why(&c->dev, r));
	r = dax_map(c, n, FH_NONE - 1, 0, RANGE, MAP_R | MAP_W, SLOT(30));
	dcheck(r == -EBADF, "fh 2^64 - 2: EBADF (%s)", vu_fuse_why(&c->dev, r));
	st = dax_stats(c);
	dcheck(st.maps == b.maps, "nothing mapped");
	return 0;
}

int
d_forgotten_node(struct dctx *c)
{
	struct vu_dax_stats b, st;
	struct fuse_attr_out at;
	uint64_t n = hfile(c, "dax-h-forgotten");
	int i, r;

	vu_fuse_forget(&c->dev, n, 1);	/* mkfile's one LOOKUP */
	/* FORGET is taken on another queue, in its own time: wait until the node is gone */
	for (i = 0; i < 100 && vu_fuse_getattr(&c->dev, n, &at) == 0; i++)
		usleep(20 * 1000);
	if (!dcheck(i < 100, "after FORGET the node stops answering GETATTR"))
		return -1;
	b = dax_stats(c);
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(31));
	dcheck(r < 0, "SETUPMAPPING of a forgotten node: an error (%s)", vu_fuse_why(&c->dev, r));
	r = dax_map(c, 0x7777777, FH_NONE, 0, RANGE, MAP_R, SLOT(31));
	dcheck(r < 0, "of a node id never given: an error (%s)", vu_fuse_why(&c->dev, r));
	st = dax_stats(c);
	dcheck(st.maps == b.maps, "nothing mapped");
	return 0;
}

/* SETATTR size 0: the ranges now past EOF leave the window, and the VMM sees it. */
int
d_truncate(struct dctx *c)
{
	struct vu_dax_stats b;
	struct vu_dax_map m;
	uint64_t n = hfile(c, "dax-h-trunc");
	int r;

	dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(32));
	r = dax_map(c, n, FH_NONE, RANGE, RANGE, MAP_R | MAP_W, SLOT(33));
	dcheck(r == 0 && vu_dax_find(&c->dev.dax, SLOT(32), &m) &&
	    vu_dax_find(&c->dev.dax, SLOT(33), &m), "two ranges mapped");
	b = dax_stats(c);
	r = dax_truncate(c, n, 0);
	dcheck(r == 0, "SETATTR size 0: %s", vu_fuse_why(&c->dev, r));
	dcheck(dax_wait_unmaps(c, b.unmaps + 2, 5000), "the VMM saw the unmaps (%llu)",
	    (unsigned long long)(dax_stats(c).unmaps - b.unmaps));
	dcheck(!vu_dax_find(&c->dev.dax, SLOT(32), &m) && !vu_dax_find(&c->dev.dax, SLOT(33), &m),
	    "neither range is mapped any more");
	r = window_touch(c, SLOT(33));
	dcheck(r == 1000 + 11, "the window faults there (SIGSEGV, not a SIGBUS past EOF: %d)", r);
	/* the guest removes them in its own time */
	b = dax_stats(c);
	r = dax_unmap(c, n, SLOT(32), RANGE);
	vu_note("the guest's REMOVEMAPPING afterwards: %s", vu_fuse_why(&c->dev, r));
	dcheck(dax_stats(c).failures == b.failures, "the VMM refused nothing");
	return 0;
}

/* SETUPMAPPING through an fh racing its RELEASE, published together. */
int
d_race_release(struct dctx *c)
{
	struct {
		struct fuse_in_header h;
		struct fuse_setupmapping_in s;
	} mi;
	struct {
		struct fuse_in_header h;
		struct fuse_release_in r;
	} ri;
	struct vu_fuse_req mq, rq;
	struct fuse_open_out oo;
	uint64_t n = hfile(c, "dax-h-race");
	int i, r, rr, mapped = 0, refused = 0, bad = 0, gone = 0;

	for (i = 0; i < 20; i++) {
		if ((r = vu_fuse_open(&c->dev, n, O_RDWR, 0, &oo)) != 0)
			return dcheck(0, "OPEN: %s", vu_fuse_why(&c->dev, r));
		memset(&mi, 0, sizeof(mi));
		vu_fuse_hdr(&c->dev, &mi.h, FUSE_SETUPMAPPING, n, sizeof(mi));
		mi.s.fh = oo.fh;
		mi.s.len = RANGE;
		mi.s.flags = MAP_R | MAP_W;
		mi.s.moffset = SLOT(34);
		memset(&ri, 0, sizeof(ri));
		vu_fuse_hdr(&c->dev, &ri.h, FUSE_RELEASE, n, sizeof(ri));
		ri.r.fh = oo.fh;
		memset(&mq, 0, sizeof(mq));
		memset(&rq, 0, sizeof(rq));
		mq.queue = rq.queue = 1;
		mq.in = &mi;
		mq.inlen = sizeof(mi);
		rq.in = &ri;
		rq.inlen = sizeof(ri);
		if (i & 1) {	/* both orders on the ring */
			if (vu_fuse_submit(&c->dev, &rq) == -1 ||
			    vu_fuse_submit(&c->dev, &mq) == -1)
				return dcheck(0, "submit: %s", c->dev.err);
		} else if (vu_fuse_submit(&c->dev, &mq) == -1 || vu_fuse_submit(&c->dev, &rq) == -1)
			return dcheck(0, "submit: %s", c->dev.err);
		vu_fuse_publish(&c->dev, 1);
		if (vu_fuse_wait(&c->dev, &mq, c->dev.opts.timeout_ms) != 1 ||
		    vu_fuse_wait(&c->dev, &rq, c->dev.opts.timeout_ms) != 1)
			return dcheck(0, "no reply: %s", c->dev.err);
		r = vu_fuse_check(&c->dev, &mq, &mi.h);
		rr = vu_fuse_check(&c->dev, &rq, &ri.h);
		vu_fuse_req_free(&mq);
		vu_fuse_req_free(&rq);
		if (rr != 0 || (r != 0 && r != -EBADF)) {
			vu_note("race %d (%s first): SETUPMAPPING %s, RELEASE %s", i,
			    i & 1 ? "RELEASE" : "SETUPMAPPING", vu_fuse_strerror(r),
			    vu_fuse_strerror(rr));
			bad++;
		}
		if (r == 0) {
			struct vu_dax_map m;

			mapped++;
			/*
			 * The mapping may be gone with its handle (privfsd unmaps what a
			 * handle mapped when it is released, maybe after answering the
			 * RELEASE); while it is there, it is sound.
			 */
			if (!vu_dax_find(&c->dev.dax, SLOT(34), &m))
				gone++;
			else if ((r = window_equals(c, SLOT(34), 11, 0, RANGE)) != 0 &&
			    !vu_dax_find(&c->dev.dax, SLOT(34), &m))
				gone++;
			else if (r != 0) {
				vu_note("race %d: mapped, but the window does not hold the "
				    "file (%d)", i, r);
				bad++;
			}
			if ((r = dax_unmap(c, n, SLOT(34), RANGE)) != 0) {
				vu_note("race %d: REMOVEMAPPING %s", i, vu_fuse_strerror(r));
				bad++;
			}
		} else
			refused++;
	}
	vu_note("20 races: %d mapped (%d of them gone with the RELEASE), %d refused", mapped,
	    gone, refused);
	dcheck(bad == 0, "RELEASE answered 0, SETUPMAPPING 0 (a sound mapping) or EBADF "
	    "(%d otherwise)", bad);
	return 0;
}

/*
 * A VMM that never answers: an error in bounded time, and then the guest is served again.
 * A late answer could be taken for the next request's, so privfsd may give up on the
 * channel: the next SETUPMAPPING must then fail at once rather than wait again.
 */
int
d_vmm_no_reply(struct dctx *c)
{
	struct vu_dax_stats b = dax_stats(c);
	uint64_t n = hfile(c, "dax-h-noreply");
	uint8_t buf[4096];
	size_t got;
	int64_t t0, ms;
	int r, saved = c->dev.opts.timeout_ms;

	c->dev.dax.no_reply = 1;
	c->dev.opts.timeout_ms = 30000;
	t0 = vu_now_ms();
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, SLOT(35));
	ms = vu_now_ms() - t0;
	c->dev.dax.no_reply = 0;
	c->dev.opts.timeout_ms = saved;
	dcheck(dax_stats(c).unanswered > b.unanswered, "the request reached the VMM, "
	    "which did not answer");
	dcheck(errno_in(r, EIO, ETIMEDOUT, 0), "SETUPMAPPING: EIO or ETIMEDOUT before the "
	    "driver's 30 s (%s after %lld ms)", vu_fuse_why(&c->dev, r), (long long)ms);
	b = dax_stats(c);
	t0 = vu_now_ms();
	r = dax_map(c, n, FH_NONE, RANGE, RANGE, MAP_R, SLOT(36));
	ms = vu_now_ms() - t0;
	if (r == 0) {
		vu_note("the VMM answering again, the next SETUPMAPPING works");
		dcheck(window_equals(c, SLOT(36), 11, RANGE, RANGE) == 0, "and the window has it");
		dax_unmap(c, n, SLOT(36), RANGE);
	} else {
		vu_note("privfsd gave up on the channel: the next SETUPMAPPING %s after %lld ms",
		    vu_fuse_why(&c->dev, r), (long long)ms);
		dcheck(r == -EIO && dax_stats(c).requests == b.requests,
		    "then EIO without asking the VMM");
	}
	r = vu_fuse_read(&c->dev, n, FH_NONE, 0, 4096, buf, &got);
	dcheck(r != VU_FUSE_TIMEOUT && r != VU_FUSE_BADREPLY, "FUSE requests are answered: "
	    "READ %s", vu_fuse_why(&c->dev, r));
	return 0;
}
