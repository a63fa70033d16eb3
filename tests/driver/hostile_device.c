/*
 * The device as a whole under a hostile guest or VMM (a device stop that waits for a
 * lock, the VMM shrinking the guest memory file, guest-triggered log lines): QEMU's
 * GET_VRING_BASE must be answered while a lock wait is pending, a shrunk memory file must
 * not kill the back-end with a signal, and a flood of refused requests must not become a
 * flood of host log lines.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

#define OWNER_HOLDER	0x1111
#define OWNER_WAITER	0x2222
#define WAIT_MS		400	/* long enough to be sure a SETLKW is waiting */
#define FLOOD_INITS	3000
#define FLOOD_MAX_LINES	20	/* what the log may show of them */
#define FLOOD_BATCH	24	/* 4 descriptors each: fits a ring of 128 */

/* Bytes in the back-end's log now (-1 without a log). */
static long
log_size(void)
{
	const char *path = getenv("DRIVER_BACKEND_LOG");
	struct stat st;

	if (path == NULL || stat(path, &st) == -1)
		return -1;
	return (long)st.st_size;
}

/* Lines after offset off that contain s. */
static int
log_count_from(long off, const char *s)
{
	const char *path = getenv("DRIVER_BACKEND_LOG");
	char line[2048];
	FILE *f;
	int n = 0;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return -1;
	if (fseek(f, off, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), f) != NULL)
			n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/* ---- lock waits and device stop ---- */

struct lockwait {
	struct vu_fuse_lk	in;
	struct vu_fuse_req	req;
	int			submitted;
};

static int
setlkw_submit(struct hctx *h, struct lockwait *w, uint64_t fh, int bsd)
{
	memset(w, 0, sizeof(*w));
	vu_fuse_lk_fill(&h->dev, &w->in, FUSE_SETLKW, h->hello, fh, OWNER_WAITER, F_WRLCK,
	    bsd);
	w->req.queue = 1;
	w->req.in = &w->in;
	w->req.inlen = sizeof(w->in);
	if (vu_fuse_submit(&h->dev, &w->req) == -1)
		return hcheck(0, "submit SETLKW: %s", h->dev.err);
	vu_fuse_publish(&h->dev, 1);
	w->submitted = 1;
	return hcheck(vu_fuse_wait(&h->dev, &w->req, WAIT_MS) == 0,
	    "SETLKW of another owner waits while the lock is held (%d ms)", WAIT_MS);
}

/* The result of a SETLKW that completed (or VU_FUSE_TIMEOUT). */
static int
setlkw_result(struct hctx *h, struct lockwait *w, int ms)
{
	int r;

	if (vu_fuse_wait(&h->dev, &w->req, ms) != 1)
		return VU_FUSE_TIMEOUT;
	r = vu_fuse_check(&h->dev, &w->req, &w->in.h);
	vu_fuse_req_free(&w->req);
	w->submitted = 0;
	return r;
}

/* Stop as QEMU does on reboot, shutdown or migration; answered in time? */
static int
stop_in_time(struct hctx *h, const char *holder)
{
	int64_t t0 = vu_now_ms();
	int r;

	r = vu_dev_stop(&h->dev, NULL);
	return hcheck(r == 0, "GET_VRING_BASE answered within %d ms while a SETLKW waits "
	    "for a lock %s holds (%lld ms: %s)", h->dev.opts.timeout_ms, holder,
	    (long long)(vu_now_ms() - t0), r == 0 ? "answered" : h->dev.err);
}

/* Start again as after a reboot: rings from 0, a fresh INIT, hello.txt looked up. */
static int
restart(struct hctx *h)
{
	struct fuse_init_out io;
	struct fuse_entry_out e;
	unsigned int q;
	int r;

	for (q = 0; q < h->dev.nqueues; q++)
		vu_ring_reset(&h->dev.ring[q], &h->dev.mem);
	if (vu_dev_start(&h->dev) == -1)
		return hcheck(0, "restart: %s", h->dev.err);
	if ((r = vu_fuse_init(&h->dev, &io)) != 0 ||
	    (r = vu_fuse_lookup(&h->dev, 1, "hello.txt", &e)) != 0)
		return hcheck(0, "restart: INIT/LOOKUP: %s", vu_fuse_why(&h->dev, r));
	h->hello = e.nodeid;
	return 1;
}

static int
open2(struct hctx *h, struct fuse_open_out *a, struct fuse_open_out *b)
{
	int r;

	if ((r = vu_fuse_open(&h->dev, h->hello, O_RDWR, 0, a)) != 0 ||
	    (r = vu_fuse_open(&h->dev, h->hello, O_RDWR, 0, b)) != 0)
		return hcheck(0, "OPEN hello.txt twice: %s", vu_fuse_why(&h->dev, r));
	return 1;
}

/* After the restart a SETLKW waits and is granted as before: nothing stayed ended. */
static int
waits_work_again(struct hctx *h, int bsd)
{
	struct fuse_open_out a, b;
	struct lockwait w;
	int r;

	if (!open2(h, &a, &b))
		return 0;
	if ((r = vu_fuse_setlk(&h->dev, h->hello, a.fh, OWNER_HOLDER, F_WRLCK, bsd)) != 0)
		return hcheck(0, "after the restart: SETLK: %s", vu_fuse_why(&h->dev, r));
	if (!setlkw_submit(h, &w, b.fh, bsd))
		return 0;
	r = vu_fuse_setlk(&h->dev, h->hello, a.fh, OWNER_HOLDER, F_UNLCK, bsd);
	hcheck(r == 0, "after the restart: the holder unlocks: %s", vu_fuse_why(&h->dev, r));
	r = setlkw_result(h, &w, h->dev.opts.timeout_ms);
	return hcheck(r == 0, "after the restart a waiting SETLKW is granted on unlock: %s",
	    vu_fuse_why(&h->dev, r));
}

static int
lock_wait_stop(struct hctx *h, int bsd, int host_holder)
{
	struct fuse_open_out a, b;
	struct lockwait w;
	char path[4096];
	int hostfd = -1, r, ok;

	if (!open2(h, &a, &b))
		return -1;
	if (host_holder) {
		snprintf(path, sizeof(path), "%s/hello.txt", cli.host_dir ? cli.host_dir : ".");
		if ((hostfd = open(path, O_RDWR)) == -1 || flock(hostfd, LOCK_EX | LOCK_NB) == -1)
			return hcheck(0, "host flock on %s: %s", path, strerror(errno));
	} else if ((r = vu_fuse_setlk(&h->dev, h->hello, a.fh, OWNER_HOLDER, F_WRLCK,
	    bsd)) != 0)
		return hcheck(0, "SETLK F_WRLCK by the holder: %s", vu_fuse_why(&h->dev, r));
	if (!setlkw_submit(h, &w, b.fh, bsd))
		goto out;
	ok = stop_in_time(h, host_holder ? "a host process" : "another guest owner");
	r = setlkw_result(h, &w, ok ? 0 : 100);
	hcheck(r == -ENOLCK, "the waiting SETLKW ended with ENOLCK before the stop was "
	    "answered: %s", r == 0 ? "granted" : vu_fuse_why(&h->dev, r));
	if (!ok)
		goto out;
	if (hostfd != -1) {
		close(hostfd);
		hostfd = -1;
	}
	if (restart(h))
		waits_work_again(h, bsd);
 out:
	if (hostfd != -1)
		close(hostfd);
	return 0;
}

int
h_lock_wait_stop(struct hctx *h)
{
	return lock_wait_stop(h, 0, 0);
}

int
h_lock_wait_stop_host(struct hctx *h)
{
	return lock_wait_stop(h, 1, 1);
}

/* ---- log flood ---- */

/* INITs with a major version nobody speaks, as fast as the ring takes them. */
static int
bad_inits(struct hctx *h, unsigned int total, unsigned int *errors)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in i;
	} in[FLOOD_BATCH];
	struct vu_fuse_req req[FLOOD_BATCH];
	unsigned int batch, i, sent = 0;

	*errors = 0;
	while (sent < total) {
		batch = total - sent < FLOOD_BATCH ? total - sent : FLOOD_BATCH;
		memset(req, 0, sizeof(req));
		for (i = 0; i < batch; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			vu_fuse_hdr(&h->dev, &in[i].h, FUSE_INIT, 0, sizeof(in[i]));
			in[i].i.major = 6;
			in[i].i.minor = 99;
			req[i].queue = 1;
			req[i].in = &in[i];
			req[i].inlen = sizeof(in[i]);
			req[i].out_args = sizeof(struct fuse_init_out);
			if (vu_fuse_submit(&h->dev, &req[i]) == -1)
				return hcheck(0, "submit INIT: %s", h->dev.err);
		}
		vu_fuse_publish(&h->dev, 1);
		for (i = 0; i < batch; i++) {
			if (vu_fuse_wait(&h->dev, &req[i], h->dev.opts.timeout_ms) != 1)
				return hcheck(0, "INIT %u: %s", sent + i, h->dev.err);
			*errors += vu_fuse_check(&h->dev, &req[i], &in[i].h) < 0;
			vu_fuse_req_free(&req[i]);
		}
		sent += batch;
	}
	return 1;
}

int
h_log_flood(struct hctx *h)
{
	long off = log_size();
	unsigned int errors;
	int n;

	if (off < 0)
		return hcheck(0, "no back-end log to count lines in (DRIVER_BACKEND_LOG)");
	if (!bad_inits(h, FLOOD_INITS, &errors))
		return -1;
	hcheck(errors == FLOOD_INITS, "%u INITs of FUSE 6.99: %u error replies", FLOOD_INITS,
	    errors);
	usleep(300 * 1000);
	n = log_count_from(off, " frontend: ");
	return hcheck(n >= 1 && n <= FLOOD_MAX_LINES, "the frontend logged %d lines for them "
	    "(want 1..%d: rate-limited, with a count of what was suppressed)", n,
	    FLOOD_MAX_LINES);
}

/* ---- the memory file shrinks under the back-end ---- */

#define SHRINK		(1ULL << 20)	/* cut from the end of the memfd */

/*
 * A GETATTR placed in the last MiB of guest memory, its descriptors pushed but the ring not
 * kicked yet; the rings themselves stay in the first pages, which the shrink keeps.
 */
static int
getattr_at_top(struct hctx *h, uint64_t *out)
{
	struct vu_region *rg = &h->dev.mem.reg[h->dev.mem.nreg - 1];
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} in;
	uint64_t gin = rg->gpa + rg->size - SHRINK / 2;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(&h->dev, &in.h, FUSE_GETATTR, 1, sizeof(in));
	*out = gin + 4096;
	if (vu_mem_write(&h->dev.mem, gin, &in, sizeof(in)) == -1)
		return -1;
	raw_desc(r, RAW_DESC(r, 0), gin, sizeof(in), VRING_DESC_F_NEXT, RAW_DESC(r, 1));
	raw_desc(r, RAW_DESC(r, 1), *out, 4096, VRING_DESC_F_WRITE, 0);
	vu_ring_raw_avail(r, r->avail_idx, RAW_DESC(r, 0));
	vu_ring_raw_set_avail_idx(r, (uint16_t)(r->avail_idx + 1));
	return 0;
}

static int
shrink(struct hctx *h)
{
	struct vu_region *rg = &h->dev.mem.reg[h->dev.mem.nreg - 1];
	off_t size = (off_t)(rg->mmap_offset + rg->size);

	return ftruncate(rg->fd, size - (off_t)SHRINK);
}

int
h_mem_shrink_sealable(struct hctx *h)
{
	int r = shrink(h);

	return hcheck(r == -1 && errno == EPERM, "QEMU shrinks a sealable guest memory memfd "
	    "after SET_MEM_TABLE: %s (want EPERM: the back-end added F_SEAL_SHRINK)",
	    r == 0 ? "it shrank" : strerror(errno));
}

int
h_mem_shrink_unsealable(struct hctx *h)
{
	struct vu_ring *r = vu_dev_ring(&h->dev, 1);
	struct outcome o;
	uint64_t out;
	int64_t t0;

	if (getattr_at_top(h, &out) == -1)
		return hcheck(0, "place the request");
	if (shrink(h) == -1)
		return hcheck(0, "ftruncate of our own memfd: %s", strerror(errno));
	vu_note("guest memory memfd (not sealable) shrunk by 1 MiB; kick");
	vu_ring_kick(r);
	wait_outcome(h, r, cli.opts.timeout_ms, &o);
	/* Never read the used entry's buffer: it is past the end of the file now. */
	hcheck(!o.used || o.len == 0, "no reply was written into memory that is gone (%s)",
	    o.used ? "a used entry" : "none");
	for (t0 = vu_now_ms(); vu_now_ms() - t0 < 2000 && !vu_dev_peer_closed(&h->dev, 50);)
		;
	usleep(300 * 1000);	/* the broker logs how its children ended */
	hcheck(!log_has("killed by signal"), "no privfsd process was killed by a signal");
	return hcheck(log_soon("shrank"), "privfsd logged that the guest memory shrank");
}
