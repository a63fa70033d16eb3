/*
 * The frontend's two channels to the worker (fd 4: ordered requests and MEM_READY; fd 5:
 * the other requests and every reply), and what happens when the worker dies.
 *
 * Without --worker-restart a lost worker ends the frontend: nobody is left to serve the
 * guest. With it, the frontend keeps QEMU's connection and the guest's session: every
 * request the dead worker had is answered EIO, the rings are not read (what the guest
 * sends meanwhile waits in them), and what the frontend itself must send (session and
 * lock messages) is kept. The broker starts a new worker, replays the guest memory table
 * to it and passes us the new channel ends; once the new worker says the memory table is
 * mapped (its MEM_READY), the kept messages go out and the rings are read again.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <poll.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "chan.h"
#include "dispatch.h"
#include "fuse.h"
#include "vhost_user.h"
#include "virtq.h"
#include "worker_link.h"

/*
 * Backpressure on each channel to the worker: above WORKER_QUEUE_HIGH bytes waiting to be
 * sent no chains are taken from the rings, until the worker has read it down to
 * WORKER_QUEUE_LOW. Requests without a reply (FORGET) hold no chain, so nothing else
 * bounds the ordered channel's queue; one message may go past the mark (CHAN_MAX_PAYLOAD).
 */
#define WORKER_QUEUE_HIGH	(1024 * 1024)
#define WORKER_QUEUE_LOW	(256 * 1024)
/* Messages kept while there is no worker: only the frontend's own, never the guest's. */
#define KEPT_MAX		64

struct kept_msg {
	uint32_t	 type;
	size_t		 len;
	uint8_t		*data;
};

static struct event_base	*wl_base;
static int			 wl_restart;	/* --worker-restart */
static struct chan		*wl_ordered;	/* CHAN_FD_PEER */
static struct chan		*wl_requests;	/* CHAN_FD_REQUESTS */
static int			 wl_down;	/* no worker, or one not ready yet */
static struct kept_msg		 kept[KEPT_MAX];
static size_t			 nkept;
/* The new worker's MEM_READY can come before the broker passed us its second channel. */
static struct msg_mem_commit	 early_ready;
static int			 early_ready_seen;

/* ---- what the worker sends ---- */

static void
worker_mem_ready(struct chan *c, struct chan_msg *msg, void *arg)
{
	struct msg_mem_commit mc;

	memcpy(&mc, msg->data, sizeof(mc));
	if (wl_down && wl_requests == NULL) {
		early_ready = mc;
		early_ready_seen = 1;
		return;
	}
	if (wl_down) {
		wl_ready(&mc);
		return;
	}
	vu_mem_ready(mc.gen, mc.nslots);
}

static void
worker_state_done(struct chan *c, struct chan_msg *msg, void *arg)
{
	struct msg_state_done done;

	memcpy(&done, msg->data, sizeof(done));
	vu_state_done(&done);
}

static void
worker_reply(struct chan *c, struct chan_msg *msg, void *arg)
{
	fuse_worker_reply(msg);
}

#define REP(n)	(sizeof(struct msg_rep) + (n))

/* The worker's ordered channel (fd 4) carries only this; its replies come on fd 5. */
static const struct dispatch_entry ordered_table[] = {
	{ IMSG_WORKER_MEM_READY, SIZE_EXACT, sizeof(struct msg_mem_commit), FD_NONE,
	    worker_mem_ready },
	{ IMSG_WORKER_STATE_DONE, SIZE_EXACT, sizeof(struct msg_state_done), FD_NONE,
	    worker_state_done },
	DISPATCH_END
};

static const struct dispatch_entry replies_table[] = {
	{ IMSG_WORKER_REPLY_STATUS, SIZE_EXACT, REP(0), FD_NONE, worker_reply },
	{ IMSG_WORKER_REPLY_ENTRY, SIZE_EXACT, REP(sizeof(struct msg_entry)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_ATTR, SIZE_EXACT, REP(sizeof(struct msg_attr)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_OPEN, SIZE_EXACT, REP(sizeof(struct msg_opened)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_CREATE, SIZE_EXACT,
	    REP(sizeof(struct msg_entry) + sizeof(struct msg_opened)), FD_NONE, worker_reply },
	{ IMSG_WORKER_REPLY_COUNT, SIZE_EXACT, REP(sizeof(struct msg_count)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_DATA, SIZE_MIN, REP(0), FD_NONE, worker_reply },
	{ IMSG_WORKER_REPLY_STATFS, SIZE_EXACT, REP(sizeof(struct msg_statfs)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_DIRENTS, SIZE_MIN, REP(sizeof(struct msg_dirents)), FD_NONE,
	    worker_reply },
	{ IMSG_WORKER_REPLY_LOCK, SIZE_EXACT, REP(sizeof(struct msg_lock_reply)), FD_NONE,
	    worker_reply },
	DISPATCH_END
};

static void
worker_pressure(struct chan *c, int full, void *arg)
{
	vq_throttle(c == wl_ordered ? VQ_THROTTLE_CHAN : VQ_THROTTLE_REQUESTS, full);
}

/* ---- the channels ---- */

static void	worker_lost(struct chan *, void *);

static struct chan *
channel_open(int fd, int packet)
{
	struct chan *c = chan_new(fd, "worker", 0);

	if (packet) {
		chan_set_packet(c, 1);
		/* The worker's leading thread watches it before it sleeps (worker/pool.c). */
		if (vq_share_requests_sent() != NULL)
			chan_set_sent_counter(c, vq_share_requests_sent());
		/* Requests go in the ring beside it while they fit (common/req_ring.h). */
		if (vq_share_request_ring() != NULL)
			chan_set_ring(c, vq_share_request_ring(), 1);
	}
	chan_set_dispatch(c, packet ? replies_table : ordered_table, NULL);
	chan_set_closed_cb(c, worker_lost, NULL);
	chan_set_watermarks(c, WORKER_QUEUE_HIGH, WORKER_QUEUE_LOW, worker_pressure, NULL);
	return c;
}

static void
free_later(evutil_socket_t fd, short ev, void *arg)
{
	chan_free(arg);
}

/* Never inside the channel's own callback: it is freed from the loop. */
static void
channel_drop(struct chan **cp)
{
	if (*cp == NULL)
		return;
	if (event_base_once(wl_base, -1, EV_TIMEOUT, free_later, *cp, NULL) == -1)
		fatalx("event_base_once");
	*cp = NULL;
}

static void
worker_lost(struct chan *c, void *arg)
{
	if (!wl_restart) {
		log_warnx("channel to the worker closed");
		exit(1);
	}
	if (c != wl_ordered && c != wl_requests)
		return;		/* an old worker's, already handled */
	channel_drop(&wl_ordered);
	channel_drop(&wl_requests);
	early_ready_seen = 0;
	if (wl_down)
		return;
	wl_down = 1;
	/* Pressure from a dead channel ends with it. */
	vq_throttle(VQ_THROTTLE_CHAN | VQ_THROTTLE_REQUESTS, 0);
	vq_throttle(VQ_THROTTLE_WORKER, 1);
	log_warnx("the worker is gone: %u requests in flight fail with EIO; waiting for a "
	    "new worker", fuse_inflight());
	fuse_worker_lost(EIO);
	vu_state_done(NULL);		/* a transfer it had failed with it */
}

void
wl_init(struct event_base *base, const struct msg_config *config)
{
	wl_base = base;
	wl_restart = (config->flags & CONFIG_WORKER_RESTART) != 0;
	wl_ordered = channel_open(CHAN_FD_PEER, 0);
	wl_requests = channel_open(CHAN_FD_REQUESTS, 1);
	chan_event_add(wl_ordered, base);
	chan_event_add(wl_requests, base);
}

int
wl_worker_gone(void)
{
	struct pollfd pfd;

	if (wl_down || wl_ordered == NULL)
		return 1;
	pfd.fd = chan_fd(wl_ordered);
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* A new worker's channel end, from the broker. */
void
wl_new_channel(struct chan *bc, struct chan_msg *msg, void *arg)
{
	struct msg_worker_chan	wc;
	struct chan		**cp;

	memcpy(&wc, msg->data, sizeof(wc));
	if (!wl_restart || (wc.which != CHAN_FD_PEER && wc.which != CHAN_FD_REQUESTS))
		fatalx("broker sent a worker channel (%u) we did not ask for", wc.which);
	cp = wc.which == CHAN_FD_PEER ? &wl_ordered : &wl_requests;
	if (*cp != NULL)		/* the old worker's: it may not have closed yet */
		chan_free(*cp);
	*cp = channel_open(msg->fd, wc.which == CHAN_FD_REQUESTS);
	msg->fd = -1;
	chan_event_add(*cp, wl_base);
	if (!wl_down) {		/* we had not seen the old one go yet */
		wl_down = 1;
		vq_throttle(VQ_THROTTLE_WORKER, 1);
		fuse_worker_lost(EIO);
		vu_state_done(NULL);
	}
	log_info("worker channel %u from the broker (restart %u)", wc.which, wc.restarts);
	if (early_ready_seen && wl_ordered != NULL && wl_requests != NULL) {
		early_ready_seen = 0;
		wl_ready(&early_ready);
	}
}

/* The new worker mapped the memory table the broker replayed: it may serve. */
void
wl_ready(const struct msg_mem_commit *mc)
{
	size_t i;

	wl_down = 0;
	/* A memory change the old worker never confirmed waits for this generation. */
	if (vu_mem_pending(mc->gen))
		vu_mem_ready(mc->gen, mc->nslots);
	for (i = 0; i < nkept; i++) {
		wl_send_one(kept[i].type, kept[i].data, kept[i].len);
		free(kept[i].data);
	}
	nkept = 0;
	vq_throttle(VQ_THROTTLE_WORKER, 0);
	log_warnx("a new worker serves the guest (memory generation %u)", mc->gen);
}

void
wl_send_one(uint32_t type, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	wl_send(type, 0, &iov, 1);
}

static void
keep(uint32_t type, const struct iovec *iov, int iovcnt)
{
	struct kept_msg	*k;
	size_t		 len = 0, off = 0;
	int		 i;

	if (nkept == KEPT_MAX)
		fatalx("no worker, and %d messages waiting for one", KEPT_MAX);
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	k = &kept[nkept++];
	k->type = type;
	k->len = len;
	if ((k->data = malloc(len > 0 ? len : 1)) == NULL)
		fatal("kept message");
	for (i = 0; i < iovcnt; i++) {
		memcpy(k->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
}

void
wl_send(uint32_t type, uint32_t trailer, const struct iovec *iov, int iovcnt)
{
	/* Nothing with a trailer is kept: no worker means no completions by it. */
	if (wl_down) {
		if (trailer != 0)
			fatalx("%s: request with a completion trailer while no worker",
			    __func__);
		keep(type, iov, iovcnt);
		return;
	}
	/* On the requests channel a record's peerid is its trailer's length. */
	chan_composev(msg_req_ordered(type) ? wl_ordered : wl_requests, type,
	    msg_req_ordered(type) ? 0 : trailer, -1, iov, iovcnt);
}
