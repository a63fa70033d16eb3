/*
 * Worker: the thread pool wakes as few threads as keep up, but never leaves a request
 * queued behind one that waits. Requests sent in one write, quick ones (GETATTR) around
 * blocking ones (SETLKW on a held lock): the quick ones must be answered at once while
 * the waiters still wait, with as many waiters as threads less one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "msg.h"
#include "harness.h"

#define QUICK	16

static uint64_t
burst_setlkw(struct wh *w, uint64_t fh, uint64_t owner, uint64_t start, uint64_t end)
{
	struct msg_lock	m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.owner = owner;
	m.start = start;
	m.end = end;
	m.type = F_WRLCK;
	m.sleep = 1;
	return wh_queue_as(w, IMSG_FRONTEND_SETLK, 0, 0, 0, &m, sizeof(m));
}

static void
run(uint32_t threads)
{
	static struct wh_reply	rep;
	struct msg_getattr	g;
	struct msg_entry	e;
	struct wh_opts		o;
	struct wh		w;
	uint64_t		holder, fh[8], wid[8], qid[QUICK];
	uint32_t		i, nwait = threads - 1;
	double			t0;
	int			ok = 1;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
	wh_host_file(&w, "f", "0123456789");
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	CHECK(wh_open(&w, e.nodeid, O_RDWR, &holder) == 0);
	CHECK(wh_setlk(&w, holder, 1, F_WRLCK, 0, 99, 0, 0) == 0);
	for (i = 0; i < nwait; i++)
		CHECK(wh_open(&w, e.nodeid, O_RDWR, &fh[i]) == 0);
	/* The burst: waiters first, then quick ones, no reply awaited in between. */
	memset(&g, 0, sizeof(g));
	t0 = wh_now();
	for (i = 0; i < QUICK / 2; i++)
		qid[i] = wh_queue_as(&w, IMSG_FRONTEND_GETATTR, e.nodeid, 0, 0, &g, sizeof(g));
	for (i = 0; i < nwait; i++)
		wid[i] = burst_setlkw(&w, fh[i], 100 + i, 10 * i, 10 * i + 5);
	for (i = QUICK / 2; i < QUICK; i++)
		qid[i] = wh_queue_as(&w, IMSG_FRONTEND_GETATTR, e.nodeid, 0, 0, &g, sizeof(g));
	wh_send_queued(&w);
	for (i = 0; i < QUICK; i++)
		if (wh_recv(&w, qid[i], &rep, 2000) != 0 || rep.error != 0)
			ok = 0;
	CHECK(ok);
	CHECK(wh_now() - t0 < 1.5);
	for (i = 0; i < nwait; i++)
		CHECK(wh_recv(&w, wid[i], &rep, 50) == -1);	/* still waiting */
	CHECK(wh_setlk(&w, holder, 1, F_UNLCK, 0, 99, 0, 0) == 0);
	for (i = 0; i < nwait; i++) {
		CHECK(wh_recv(&w, wid[i], &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
		CHECK(wh_flush(&w, fh[i], 100 + i) == 0);
		CHECK(wh_release(&w, fh[i]) == 0);
	}
	CHECK(wh_release(&w, holder) == 0);
	if (!ok)
		fprintf(stderr, "threads %u: quick requests held up\n", threads);
	wh_finish(&w);
}

/*
 * A request that may block long (COPY_FILE_RANGE of 256 MiB, some 0.1 s) hands the
 * requests channel to another thread before it starts (pool_may_block): GETATTRs sent
 * right after it in the same burst are all answered while the copy still runs. With the
 * copy on the thread that held the channel and no hand-off they would wait for it.
 */
static void
run_slow_copy(uint32_t threads)
{
	static struct wh_reply	rep;
	struct msg_copy_range	cr;
	struct msg_getattr	g;
	struct msg_entry	in, out;
	struct wh_opts		o;
	struct wh		w;
	char			path[PATH_MAX + 8];
	uint64_t		fin, fout, cid, qid[QUICK];
	uint32_t		i;
	int			fd, ok = 1, copy_first;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
	snprintf(path, sizeof(path), "%s/big", w.dir);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1 &&
	    ftruncate(fd, 0) == 0);
	for (i = 0; i < 256; i++) {
		static char mib[1024 * 1024];

		memset(mib, 'a' + i % 26, sizeof(mib));
		if (write(fd, mib, sizeof(mib)) != (ssize_t)sizeof(mib))
			ok = 0;
	}
	CHECK(ok);
	close(fd);
	wh_host_file(&w, "copy", "");
	CHECK(wh_lookup(&w, WH_ROOT, "big", &in) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "copy", &out) == 0);
	CHECK(wh_open(&w, in.nodeid, O_RDONLY, &fin) == 0);
	CHECK(wh_open(&w, out.nodeid, O_WRONLY, &fout) == 0);
	memset(&cr, 0, sizeof(cr));
	cr.fh_in = fin;
	cr.nodeid_out = out.nodeid;
	cr.fh_out = fout;
	cr.len = 256 * 1024 * 1024;
	memset(&g, 0, sizeof(g));
	cid = wh_queue_as(&w, IMSG_FRONTEND_COPY_FILE_RANGE, in.nodeid, 0, 0, &cr, sizeof(cr));
	for (i = 0; i < QUICK; i++)
		qid[i] = wh_queue_as(&w, IMSG_FRONTEND_GETATTR, in.nodeid, 0, 0, &g, sizeof(g));
	wh_send_queued(&w);
	for (i = 0; i < QUICK; i++)
		if (wh_recv(&w, qid[i], &rep, 5000) != 0 || rep.error != 0)
			ok = 0;
	CHECK(ok);
	/* Still copying: its reply is not there yet. */
	copy_first = wh_recv(&w, cid, &rep, 0) == 0;
	CHECK(!copy_first);
	CHECK(wh_recv(&w, cid, &rep, WH_TIMEOUT_MS) == 0 || copy_first);
	CHECK(wh_release(&w, fin) == 0 && wh_release(&w, fout) == 0);
	if (copy_first)
		fprintf(stderr, "threads %u: GETATTRs waited for the copy\n", threads);
	wh_finish(&w);
}

/*
 * A LOOKUP that hangs (test builds: the name privfsd-test-stall sleeps 1 s) on the thread
 * holding the channel: after POOL_DEPUTY_MS (250 ms) the deputy takes the channel, so the
 * GETATTRs behind it are answered well before the LOOKUP is.
 */
static void
run_stuck_lookup(uint32_t threads)
{
	static struct wh_reply	rep;
	struct msg_getattr	g;
	struct wh_opts		o;
	struct wh		w;
	uint8_t			body[64];
	uint64_t		lid, qid[QUICK];
	uint32_t		i;
	size_t			len;
	double			t0, quick_s;
	int			ok = 1;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
	memset(&g, 0, sizeof(g));
	len = wh_name_body(body, sizeof(body), "privfsd-test-stall");
	lid = wh_queue_as(&w, IMSG_FRONTEND_LOOKUP, WH_ROOT, 0, 0, body, len);
	for (i = 0; i < QUICK; i++)
		qid[i] = wh_queue_as(&w, IMSG_FRONTEND_GETATTR, WH_ROOT, 0, 0, &g, sizeof(g));
	t0 = wh_now();
	wh_send_queued(&w);
	for (i = 0; i < QUICK; i++)
		if (wh_recv(&w, qid[i], &rep, 5000) != 0 || rep.error != 0)
			ok = 0;
	quick_s = wh_now() - t0;
	CHECK(ok);
	CHECK(quick_s < 0.8);
	CHECK(wh_recv(&w, lid, &rep, WH_TIMEOUT_MS) == 0 && rep.error == ENOENT);
	CHECK(wh_now() - t0 >= 0.9);
	if (quick_s >= 0.8)
		fprintf(stderr, "threads %u: GETATTRs waited %.2f s behind a stuck LOOKUP\n",
		    threads, quick_s);
	wh_finish(&w);
}

int
main(void)
{
	run(2);
	run(4);
	run(8);
	run_slow_copy(2);
	run_stuck_lookup(2);
	return check_done("ops-pool");
}
