/*
 * Replies and every other outgoing message. A channel is not thread-safe, so only the loop
 * thread composes: pool threads put whole messages on one locked queue and wake the loop
 * through an eventfd, which drains the queue into the channels.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "worker.h"
#include "wcore.h"

struct outmsg {
	TAILQ_ENTRY(outmsg)	 entry;
	int			 to_broker;
	uint32_t		 type;
	int			 fd;
	size_t			 len;
	uint8_t			 data[];
};

static TAILQ_HEAD(, outmsg)	 out_q = TAILQ_HEAD_INITIALIZER(out_q);
static pthread_mutex_t		 out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t		 loop_thread;
static int			 out_efd = -1;
static struct event		*out_ev;
static struct chan		*fe_chan, *br_chan;

static void
out_drain(int fd, short events, void *arg)
{
	TAILQ_HEAD(, outmsg)	 q = TAILQ_HEAD_INITIALIZER(q);
	struct outmsg		*m;
	uint64_t		 n;

	if (read(out_efd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		fatal("eventfd read");
	pthread_mutex_lock(&out_lock);
	TAILQ_CONCAT(&q, &out_q, entry);
	pthread_mutex_unlock(&out_lock);
	while ((m = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, m, entry);
		chan_compose(m->to_broker ? br_chan : fe_chan, m->type, 0, m->fd, m->data,
		    m->len);
		free(m);
	}
}

void
reply_init(struct event_base *base, struct chan *frontend, struct chan *broker)
{
	loop_thread = pthread_self();
	fe_chan = frontend;
	br_chan = broker;
	if ((out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	if ((out_ev = event_new(base, out_efd, EV_READ | EV_PERSIST, out_drain, NULL)) == NULL ||
	    event_add(out_ev, NULL) == -1)
		fatalx("reply event");
}

void
out_send(int to_broker, uint32_t type, int fd, const struct iovec *iov, int iovcnt)
{
	struct outmsg	*m;
	size_t		 len = 0, off = 0;
	uint64_t	 one = 1;
	int		 i;

	if (pthread_equal(pthread_self(), loop_thread)) {
		chan_composev(to_broker ? br_chan : fe_chan, type, 0, fd, iov, iovcnt);
		return;
	}
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;	/* our own structs: bounded by CHAN_MAX_PAYLOAD */
	if (len > CHAN_MAX_PAYLOAD)
		fatalx("message type %u of %zu bytes", type, len);
	if ((m = malloc(sizeof(*m) + len)) == NULL)
		fatal("out_send");
	m->to_broker = to_broker;
	m->type = type;
	m->fd = fd;
	m->len = len;
	for (i = 0; i < iovcnt; i++) {
		memcpy(m->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	pthread_mutex_lock(&out_lock);
	TAILQ_INSERT_TAIL(&out_q, m, entry);
	pthread_mutex_unlock(&out_lock);
	if (write(out_efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		fatal("eventfd write");
}

void
wreq_free(struct wreq *r)
{
	if (r == NULL)
		return;
	free(r->data);
	free(r);
}

/* Header plus up to two bodies, then the request is done. */
static void
reply_send(struct wreq *r, uint32_t type, int error, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct msg_rep	rep;
	struct iovec	iov[3];
	int		n = 1;

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
	out_send(0, type, -1, iov, n);
	wreq_free(r);
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
