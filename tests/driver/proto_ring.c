/*
 * Ring behaviour: a second request queue, EVENT_IDX (and a guest's used_event that lands
 * late), completions out of order, and the reboot sequence with requests in flight.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define NREQ	16

struct areq {
	struct vu_fuse_req	 r;
	union {
		struct {
			struct fuse_in_header	 h;
			struct fuse_read_in	 rd;
		} read;
		struct {
			struct fuse_in_header	 h;
			struct fuse_getattr_in	 g;
		} getattr;
	} in;
	int			 is_read;
	uint64_t		 offset;
};

static void
prep_getattr(struct vu_dev *dev, struct areq *a, unsigned int queue, uint64_t nodeid)
{
	memset(a, 0, sizeof(*a));
	vu_fuse_hdr(dev, &a->in.getattr.h, FUSE_GETATTR, nodeid, sizeof(a->in.getattr));
	a->r.queue = queue;
	a->r.in = &a->in.getattr;
	a->r.inlen = sizeof(a->in.getattr);
	a->r.out_args = sizeof(struct fuse_attr_out);
}

static void
prep_read(struct vu_dev *dev, struct areq *a, uint64_t nodeid, uint64_t fh, uint64_t off,
    uint32_t size)
{
	memset(a, 0, sizeof(*a));
	vu_fuse_hdr(dev, &a->in.read.h, FUSE_READ, nodeid, sizeof(a->in.read));
	a->in.read.rd.fh = fh;
	a->in.read.rd.offset = off;
	a->in.read.rd.size = size;
	a->r.queue = 1;
	a->r.in = &a->in.read;
	a->r.inlen = sizeof(a->in.read);
	a->r.out_pages = size;
	a->is_read = 1;
	a->offset = off;
}

/* The pattern proto_mount.c's populate() wrote into big.bin. */
static int
big_matches(const uint8_t *p, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t j = off + i;

		if (p[i] != (uint8_t)(j * 7 + j / 4096))
			return 0;
	}
	return 1;
}

/* A completed async request: reply well formed, READ data right. */
static int
areq_ok(struct vu_dev *dev, struct areq *a)
{
	size_t n;

	if (!a->r.done || vu_fuse_check(dev, &a->r, a->is_read ? &a->in.read.h :
	    &a->in.getattr.h) != 0)
		return 0;
	n = a->r.used_len - sizeof(struct fuse_out_header);
	if (!a->is_read)
		return n == sizeof(struct fuse_attr_out);
	return big_matches(a->r.out + sizeof(struct fuse_out_header), a->offset, n);
}

static int
setup_big(struct vu_dev *dev, uint64_t *nodeid, uint64_t *fh)
{
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	int r;

	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return -1;
	}
	if (do_init(dev) == -1)
		return -1;
	r = vu_fuse_lookup(dev, 1, "big.bin", &e);
	if (r == 0)
		r = vu_fuse_open(dev, e.nodeid, O_RDONLY, 0, &oo);
	check(r == 0, "LOOKUP + OPEN big.bin: %s", vu_fuse_why(dev, r));
	*nodeid = e.nodeid;
	*fh = oo.fh;
	return r == 0 ? 0 : -1;
}

void
case_mq(void)
{
	struct vu_opts o = cli.opts;
	struct fuse_entry_out e;
	struct vu_dev dev;
	struct areq a;
	int r;

	if (o.num_request_queues < 2)
		o.num_request_queues = 2;
	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (vu_dev_open(&dev, &o) == -1) {
		if (cli.peer)
			vu_note("differs: %s offers no second request queue: %s", cli.backend,
			    dev.err);
		else
			check(0, "start with 2 request queues: %s", dev.err);
		vu_dev_close(&dev);
		return;
	}
	check(dev.queue_num >= 3, "GET_QUEUE_NUM %llu >= 3 (hiprio + 2 request queues)",
	    (unsigned long long)dev.queue_num);
	if (do_init(&dev) == -1)
		goto out;
	prep_getattr(&dev, &a, 2, 1);
	r = vu_fuse_call_req(&dev, &a.r);
	check(r == 0 && areq_ok(&dev, &a), "GETATTR root on request queue 2: %s",
	    vu_fuse_why(&dev, r));
	vu_fuse_req_free(&a.r);
	r = vu_fuse_lookup(&dev, 1, "hello.txt", &e);
	check(r == 0, "LOOKUP on request queue 1 after: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
}

/* 1 once the back-end's used index is past entry, within ms milliseconds; else 0. */
static int
used_moved(const struct vu_ring *ring, uint16_t entry, int ms)
{
	int waited;

	for (waited = 0; waited < ms; waited++) {
		if (((volatile struct vring_used *)ring->used)->idx != entry)
			return 1;
		usleep(1000);
	}
	return ((volatile struct vring_used *)ring->used)->idx != entry;
}

/* The reply of a request whose completion a case played with: it comes, well formed. */
static void
reply_checked(struct vu_dev *dev, struct areq *a, int timeout_ms)
{
	int r;

	r = vu_fuse_wait(dev, &a->r, timeout_ms);
	check(r == 1 && areq_ok(dev, a), "that reply is well formed");
	vu_fuse_req_free(&a->r);
}

void
case_event_idx(void)
{
	struct vu_opts o = cli.opts;
	struct fuse_attr_out at;
	struct vu_ring *ring;
	struct vu_dev dev;
	struct areq a;
	uint16_t avail_event;
	uint64_t calls;
	int i, r = 0;

	o.event_idx = 1;
	if (open_dev(&dev, &o) == -1 || do_init(&dev) == -1)
		goto out;
	ring = vu_dev_ring(&dev, 1);
	for (i = 0; i < 300 && r == 0; i++)
		r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "300 GETATTRs with EVENT_IDX, no lost notification: %s (kicks %llu, "
	    "calls %llu)", vu_fuse_why(&dev, r), (unsigned long long)ring->kicks,
	    (unsigned long long)ring->calls);
	avail_event = vu_ring_avail_event(ring);
	check((uint16_t)(ring->avail_idx - avail_event) <= ring->num,
	    "back-end publishes avail_event (%u, avail idx %u)", avail_event, ring->avail_idx);

	/* used_event far ahead: the back-end should not call for this completion */
	prep_getattr(&dev, &a, 1, 1);
	if (vu_fuse_submit(&dev, &a.r) == -1)
		goto out;
	vu_ring_set_used_event(ring, (uint16_t)(ring->last_used + 100));
	{
		uint64_t stale;	/* a call of an earlier completion may still be pending */

		while (read(ring->callfd, &stale, sizeof(stale)) == sizeof(stale))
			;
	}
	calls = ring->calls;
	vu_fuse_publish(&dev, 1);
	(void)used_moved(ring, ring->last_used, o.timeout_ms);
	usleep(100000);
	{
		struct pollfd p = { .fd = ring->callfd, .events = POLLIN };
		uint64_t v;

		if (poll(&p, 1, 0) == 1 && read(ring->callfd, &v, sizeof(v)) == sizeof(v))
			ring->calls++;
	}
	check(((volatile struct vring_used *)ring->used)->idx != ring->last_used,
	    "request completed with used_event far ahead");
	if (ring->calls != calls)
		vu_note("%s notified although used_event asked not to (a SHOULD NOT)", cli.backend);
	else
		vu_note("no notification while used_event was far ahead");
	reply_checked(&dev, &a, o.timeout_ms);
	r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "GETATTR after used_event is back: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
}

/*
 * A guest whose used_event store lands after our completion (a single-vCPU TCG guest's
 * barrier orders nothing for a host process): the completion is published while
 * used_event still says "no signal", then used_event asks for that very entry without
 * the guest looking at used.idx again. privfsd looks again within VQ_RECHECK_MS
 * (frontend/virtq.c) and signals; a back-end that does not leaves such a guest asleep.
 */
void
case_late_used_event(void)
{
	struct vu_opts o = cli.opts;
	struct vu_ring *ring;
	struct vu_dev dev;
	struct pollfd p;
	struct areq a;
	uint64_t v;
	uint16_t entry;
	int signalled;

	o.event_idx = 1;
	if (open_dev(&dev, &o) == -1 || do_init(&dev) == -1)
		goto out;
	ring = vu_dev_ring(&dev, 1);
	prep_getattr(&dev, &a, 1, 1);
	if (vu_fuse_submit(&dev, &a.r) == -1)
		goto out;
	entry = ring->last_used;
	vu_ring_set_used_event(ring, (uint16_t)(entry + 100));
	while (read(ring->callfd, &v, sizeof(v)) == sizeof(v))
		;
	vu_fuse_publish(&dev, 1);
	check(used_moved(ring, entry, o.timeout_ms),
	    "GETATTR completed while used_event asked for no signal");
	while (read(ring->callfd, &v, sizeof(v)) == sizeof(v))
		;
	/* The guest's wish for this entry lands now, after the completion. */
	vu_ring_set_used_event(ring, entry);
	p.fd = ring->callfd;
	p.events = POLLIN;
	signalled = poll(&p, 1, 1000) == 1;
	if (strcmp(cli.backend, "privfsd") == 0)
		check(signalled, "a used_event published after the completion still gets "
		    "its signal within 1 s");
	else
		vu_note("%s %s a used_event published after the completion", cli.backend,
		    signalled ? "signals" : "does not signal");
	reply_checked(&dev, &a, o.timeout_ms);
out:
	vu_dev_close(&dev);
}

/*
 * The other half of that handshake: a guest that publishes avail.idx and then reads a
 * stale avail_event, so it does not kick although the back-end asked for a kick at that
 * entry. One GETATTR first (the back-end is then between looks, with a chain just back);
 * after 5 ms, well past any awake look, a second one is published without a kick.
 * privfsd looks again within VQ_RECHECK_MS and takes it; a back-end that does not leaves
 * such a guest waiting.
 */
void
case_unkicked_chain(void)
{
	struct vu_opts o = cli.opts;
	struct fuse_attr_out at;
	struct vu_ring *ring;
	struct vu_dev dev;
	struct areq a;
	uint16_t entry, avail_event;
	int r, due, taken;

	o.event_idx = 1;
	if (open_dev(&dev, &o) == -1 || do_init(&dev) == -1)
		goto out;
	ring = vu_dev_ring(&dev, 1);
	r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "GETATTR with a kick: %s", vu_fuse_why(&dev, r));
	usleep(5000);
	prep_getattr(&dev, &a, 1, 1);
	if (vu_fuse_submit(&dev, &a.r) == -1)
		goto out;
	entry = ring->last_used;
	avail_event = vu_ring_avail_event(ring);
	due = vring_need_event(avail_event, ring->avail_idx, ring->kicked_idx);
	vu_ring_raw_set_avail_idx(ring, ring->avail_idx);
	taken = used_moved(ring, entry, 1000);
	if (strcmp(cli.backend, "privfsd") == 0)
		check(taken, "a chain published without its kick is still taken within 1 s "
		    "(avail_event %u: a kick was %s)", avail_event, due ? "due" : "not due");
	else
		vu_note("%s %s a chain published without its kick (a kick was %s)",
		    cli.backend, taken ? "takes" : "does not take", due ? "due" : "not due");
	/* Whatever it did, the kick now: the reply must come and be well formed. */
	vu_ring_kick(ring);
	reply_checked(&dev, &a, o.timeout_ms);
out:
	vu_dev_close(&dev);
}

void
case_out_of_order(void)
{
	struct areq *a;
	struct vu_dev dev;
	uint64_t nodeid, fh;
	int i, ok = 1, ooo = 0;

	if ((a = calloc(NREQ, sizeof(*a))) == NULL)
		return;
	if (open_dev(&dev, &cli.opts) == -1 || setup_big(&dev, &nodeid, &fh) == -1)
		goto out;
	/* slow READs first, quick GETATTRs after: a pipelined back-end finishes these first */
	for (i = 0; i < NREQ; i++) {
		if (i < 4)
			prep_read(&dev, &a[i], nodeid, fh, 65536 * (uint64_t)i, 65536);
		else
			prep_getattr(&dev, &a[i], 1, i % 2 ? 1 : nodeid);
		if (vu_fuse_submit(&dev, &a[i].r) == -1) {
			check(0, "submit %d: %s", i, dev.err);
			goto out;
		}
	}
	vu_fuse_publish(&dev, 1);
	for (i = 0; i < NREQ; i++)
		if (vu_fuse_wait(&dev, &a[i].r, cli.opts.timeout_ms) != 1 || !areq_ok(&dev, &a[i]))
			ok = 0;
	for (i = 1; i < NREQ; i++)
		if (a[i].r.done_order < a[i - 1].r.done_order)
			ooo = 1;
	check(ok, "%d pipelined requests (4 READs of 64 KiB, 12 GETATTRs) all answered "
	    "correctly", NREQ);
	vu_note("%s completed them %s", cli.backend, ooo ? "out of order" : "in order");
	for (i = 0; i < NREQ; i++)
		vu_fuse_req_free(&a[i].r);
out:
	vu_dev_close(&dev);
	free(a);
}

void
case_reboot(void)
{
	struct areq *a;
	struct fuse_attr_out at;
	struct vu_dev dev;
	struct vu_ring *ring;
	uint64_t nodeid, fh;
	uint16_t base[VU_MAX_QUEUES], used_idx, prior, popped;
	int i, n = 6, r, ok = 1;

	if ((a = calloc(n, sizeof(*a))) == NULL)
		return;
	if (open_dev(&dev, &cli.opts) == -1 || setup_big(&dev, &nodeid, &fh) == -1)
		goto out;
	ring = vu_dev_ring(&dev, 1);
	prior = ring->avail_idx;
	for (i = 0; i < n; i++) {
		prep_read(&dev, &a[i], nodeid, fh, 40000 * (uint64_t)i, 65536);
		if (vu_fuse_submit(&dev, &a[i].r) == -1) {
			check(0, "submit %d: %s", i, dev.err);
			goto out;
		}
	}
	vu_fuse_publish(&dev, 1);
	/* stop at once, while the READs are being served */
	r = vu_dev_stop(&dev, base);
	used_idx = ((volatile struct vring_used *)ring->used)->idx;
	check(r == 0, "SET_VRING_ENABLE 0 + GET_VRING_BASE with %d READs in flight: %s", n,
	    r ? dev.err : "answered");
	if (r != 0)
		goto out;
	popped = (uint16_t)(base[1] - prior);
	check(used_idx == base[1] && popped <= n,
	    "GET_VRING_BASE answered after the popped requests completed (base %u, used idx %u,"
	    " %u of the %d READs popped)", base[1], used_idx, popped, n);
	for (i = 0; i < n && i < popped; i++)
		if (vu_fuse_wait(&dev, &a[i].r, 1) != 1 || !areq_ok(&dev, &a[i]))
			ok = 0;
	check(ok, "the %u completed READs carry correct data", popped);
	r = vu_dev_reboot(&dev);
	check(r == 0, "restart (the start sequence again on the same socket): %s",
	    r ? dev.err : "ok");
	if (r != 0)
		goto out;
	if (do_init(&dev) == -1)
		goto out;
	r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "GETATTR root after the reboot: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
	for (i = 0; i < n; i++)
		if (a[i].r.done)
			vu_fuse_req_free(&a[i].r);
	free(a);
}
