/*
 * A compromised worker, as the guest sees it: the worker completes requests itself
 * (worker/direct.c) and shares a page with the frontend, so a worker that lies in that
 * page must not hang or crash the frontend, the process that answers QEMU. Test builds of
 * privfsd's worker lie on demand when a LOOKUP names a lie (direct_test_lie()): call ids
 * it never pushed, a completion log far ahead of anything pushed, the used ring's lock
 * taken and never given back. After each the guest's requests are still answered and a
 * device stop (GET_VRING_BASE) comes back in bounded time. Peers have no such worker:
 * their LOOKUPs just fail with ENOENT, and the case only records that they still answer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

/* The frontend waits at most 1 s for the lock (frontend/virtq.c VQ_LOCK_WAIT_MS). */
#define LIE_ANSWER_MS	2500

static int
lie_then_serve(struct hctx *h, const char *lie)
{
	struct fuse_entry_out	e;
	struct fuse_attr_out	at;
	int64_t			t0 = vu_now_ms(), took;
	int			r, k, ok = 1;

	r = vu_fuse_lookup(&h->dev, 1, lie, &e);
	took = vu_now_ms() - t0;
	ok &= hcheck(r == -ENOENT, "LOOKUP %s answered: %s", lie, vu_fuse_why(&h->dev, r));
	ok &= hcheck(took < LIE_ANSWER_MS, "LOOKUP %s answered in %lld ms", lie,
	    (long long)took);
	for (k = 0; k < 4; k++) {
		r = vu_fuse_getattr(&h->dev, 1, &at);
		if (!hcheck(r == 0, "GETATTR %d after %s: %s", k, lie, vu_fuse_why(&h->dev, r)))
			return 0;
	}
	return ok;
}

int
h_worker_lies(struct hctx *h)
{
	struct fuse_init_out	io;
	int64_t			t0;
	int			r, ok = 1;

	ok &= lie_then_serve(h, "privfsd-test-lie-ids");
	ok &= lie_then_serve(h, "privfsd-test-lie-ahead");
	ok &= lie_then_serve(h, "privfsd-test-lie-lock");
	if (!cli.peer) {
		ok &= hcheck(log_soon("which is no request of queue"),
		    "the frontend logged the ids that were no request of its");
		ok &= hcheck(log_soon("the worker logged"),
		    "the frontend logged the log that ran ahead");
		ok &= hcheck(log_soon("held the used ring's lock"),
		    "the frontend logged the lock it stopped waiting for");
	}
	/* A device stop waits for no lock of the worker's, then a start serves again. */
	t0 = vu_now_ms();
	r = vu_dev_reboot(&h->dev);
	ok &= hcheck(r == 0 && vu_now_ms() - t0 < LIE_ANSWER_MS,
	    "stop and start with the lock still held: %d in %lld ms", r,
	    (long long)(vu_now_ms() - t0));
	if (r == 0) {
		r = vu_fuse_init(&h->dev, &io);
		ok &= hcheck(r == 0, "INIT after the restart: %s", vu_fuse_why(&h->dev, r));
	}
	return ok ? 0 : -1;
}
