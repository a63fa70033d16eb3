/*
 * Replies and every other outgoing message: encoding only. Every channel is threaded
 * (chan_set_threaded), so a request thread's reply leaves from that thread without waking
 * the loop, and the framing is chan.c's alone. Replies go on the requests channel, a
 * packet channel, where threads send without a lock; MEM_READY on the ordered one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "worker.h"

static struct chan	*fe_chan, *br_chan, *rq_chan;

void
reply_init(struct chan *frontend, struct chan *broker, struct chan *requests)
{
	fe_chan = frontend;
	br_chan = broker;
	rq_chan = requests;
	chan_set_threaded(fe_chan);
	chan_set_threaded(br_chan);
	chan_set_threaded(rq_chan);
}

void
out_send(int to_broker, uint32_t type, int fd, const struct iovec *iov, int iovcnt)
{
	chan_composev(to_broker ? br_chan : fe_chan, type, 0, fd, iov, iovcnt);
}

/* Header plus up to two bodies, then the request is done. */
static void
reply_send(struct wreq *r, uint32_t type, int error, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct msg_rep	rep;
	struct iovec	iov[3];
	int		n = 1;

	if (direct_reply(r, type, error, a, alen, b, blen) == 0)
		return;
	explicit_bzero(&rep, sizeof(rep));
	rep.id = r->hdr.id;
	rep.error = error;
	iov[0].iov_base = &rep;
	iov[0].iov_len = sizeof(rep);
	if (alen > 0) {
		iov[n].iov_base = (void *)(uintptr_t)a;
		iov[n++].iov_len = alen;
	}
	if (blen > 0) {
		iov[n].iov_base = (void *)(uintptr_t)b;
		iov[n++].iov_len = blen;
	}
	chan_composev(rq_chan, type, 0, -1, iov, n);
}

void
reply_status(struct wreq *r, int error)
{
	/* The frontend turns this into -error for the guest: keep it a real errno. */
	if (error < 0 || error >= 4096) {
		log_warnx("request type %u: bad error value %d", r->type, error);
		error = EIO;
	}
	reply_send(r, IMSG_WORKER_REPLY_STATUS, error, NULL, 0, NULL, 0);
}

void
reply_entry(struct wreq *r, const struct msg_entry *e)
{
	reply_send(r, IMSG_WORKER_REPLY_ENTRY, 0, e, sizeof(*e), NULL, 0);
}

void
reply_attr(struct wreq *r, const struct msg_attr *a)
{
	reply_send(r, IMSG_WORKER_REPLY_ATTR, 0, a, sizeof(*a), NULL, 0);
}

void
reply_open(struct wreq *r, uint64_t fh)
{
	struct msg_opened o;

	explicit_bzero(&o, sizeof(o));
	o.fh = fh;
	reply_send(r, IMSG_WORKER_REPLY_OPEN, 0, &o, sizeof(o), NULL, 0);
}

void
reply_create(struct wreq *r, const struct msg_entry *e, uint64_t fh)
{
	struct msg_opened o;

	explicit_bzero(&o, sizeof(o));
	o.fh = fh;
	reply_send(r, IMSG_WORKER_REPLY_CREATE, 0, e, sizeof(*e), &o, sizeof(o));
}

void
reply_count(struct wreq *r, uint64_t count)
{
	struct msg_count c;

	explicit_bzero(&c, sizeof(c));
	c.count = count;
	reply_send(r, IMSG_WORKER_REPLY_COUNT, 0, &c, sizeof(c), NULL, 0);
}

void
reply_data(struct wreq *r, const void *data, size_t len)
{
	reply_send(r, IMSG_WORKER_REPLY_DATA, 0, data, len, NULL, 0);
}

void
reply_statfs(struct wreq *r, const struct msg_statfs *s)
{
	struct msg_statfs copy = *s;

	copy.pad = 0;
	reply_send(r, IMSG_WORKER_REPLY_STATFS, 0, &copy, sizeof(copy), NULL, 0);
}

void
reply_lock(struct wreq *r, const struct msg_lock_reply *l)
{
	reply_send(r, IMSG_WORKER_REPLY_LOCK, 0, l, sizeof(*l), NULL, 0);
}

void
reply_dirents(struct wreq *r, const void *payload, size_t len)
{
	reply_send(r, IMSG_WORKER_REPLY_DIRENTS, 0, payload, len, NULL, 0);
}
