/*
 * Worker: the thread pool wakes as few threads as keep up, but never leaves a request
 * queued behind one that waits. Requests sent in one write, quick ones (GETATTR) around
 * blocking ones (SETLKW on a held lock): the quick ones must be answered at once while
 * the waiters still wait, with as many waiters as threads less one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

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

int
main(void)
{
	run(2);
	run(4);
	run(8);
	return check_done("ops-pool");
}
