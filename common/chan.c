/*
 * imsg-style channel: framing, fd passing and a libevent-driven write queue.
 *
 * Messages without an fd are appended to the tail buffer of the queue, so a burst of
 * requests leaves in one sendmsg. A message with an fd starts a buffer of its own: the
 * fd must ride with the first byte of its message, which is how the reader pairs them.
 *
 * Events: the read event is added once and stays. Composing a message schedules one
 * deferred flush (event_active: no epoll_ctl) that runs after the callbacks of this loop
 * turn, so everything they composed leaves together. Only when the socket pushes back is
 * the write event armed, and it is dropped again once the queue is empty. (Re-creating one
 * combined event per message cost four epoll_ctl calls per request: tests/bench.)
 *
 * Threads (chan_set_threaded): the worker's request threads answer on their own, without
 * waking the loop thread for each reply (two context switches per request). The queue and
 * the socket's writing side are then under c->lock. A thread other than the loop writes
 * its message straight to the socket when nothing waits before it; what the socket does
 * not take is queued, and the thread wakes the loop through an eventfd, which then owns
 * the rest (write event, closing). Bytes never interleave: while anything is queued,
 * every writer appends. On the loop thread nothing changes. Events, watermarks and the
 * closed callback stay the loop thread's.
 *
 * Packets (chan_set_packet): on a SOCK_SEQPACKET socket each message is its own record in
 * a buffer of its own. The loop thread's records leave together at the deferred flush, in
 * one sendmmsg (a burst of requests costs one system call, as on a stream); another
 * thread sends its record at once and without the lock (a record cannot interleave with
 * another, and records carry no order), queueing it only when the socket refuses it. The
 * loop reads up to CHAN_MMSG_READ records in one recvmmsg; threads read one each
 * (chan_recv_packet). Every record is checked to be exactly one message before anything
 * reads its payload. Spent record buffers are kept for the next ones.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "req_ring.h"

#define CHAN_MAX_FDS_READ	8	/* fds one recvmsg may carry before we call it abuse */
#define CHAN_RBUF_SIZE		(2 * (sizeof(struct chan_hdr) + CHAN_MAX_PAYLOAD))
#define CHAN_OBUF_COALESCE	(256 * 1024)	/* stop growing a tail buffer past this */
#define CHAN_DIRECT_IOV		7	/* pieces of a payload a thread writes directly */
#define CHAN_MMSG		32	/* records one sendmmsg may carry */
#define CHAN_MMSG_READ		16	/* records one recvmmsg may take (packet rbuf slots) */
#define CHAN_SPARE_MAX		64	/* spent record buffers kept for reuse */
#define CHAN_SPARE_CAP		8192	/* larger ones are freed */

struct obuf {
	TAILQ_ENTRY(obuf)	 entry;
	uint8_t			*data;
	size_t			 len;
	size_t			 cap;
	size_t			 off;		/* bytes already sent */
	int			 fd;		/* sent with the first byte, then closed */
};

struct chan {
	int				 fd;
	int				 fd_passing;
	int				 packet;	/* SOCK_SEQPACKET: a record a message */
	int				 loop_reads;	/* packet: the loop reads it (not threads) */
	void				(*before)(struct chan_msg *);	/* chan_set_before */
	uint64_t			*sent_counter;	/* chan_set_sent_counter */
	char				 peer[32];
	pid_t				 pid;

	const struct dispatch_entry	*table;
	void				*arg;
	chan_closed_cb			 closed_cb;
	void				*closed_arg;

	struct event_base		*base;
	struct event			*ev_read;
	struct event			*ev_write;	/* armed only while the socket is full */
	struct event			*ev_flush;	/* deferred flush, activated by compose */
	int				 write_armed;
	int				 flush_pending;

	uint8_t				*rbuf;
	size_t				 rbuf_size;
	size_t				 rlen;
	size_t				 consumed;	/* by the last chan_recv_blocking() */
	int				 rfds[CHAN_MAX_FDS_READ * 2];
	int				 nrfds;

	TAILQ_HEAD(obuf_q, obuf)	 oq;
	struct obuf_q			 spare;		/* packet buffers to reuse */
	int				 nspare;
	size_t				 queued;
	int				 closed;

	chan_pressure_cb		 pressure_cb;	/* NULL: no watermarks */
	void				*pressure_arg;
	size_t				 high, low;
	int				 full;		/* above high, not yet down to low */

	/* chan_set_threaded(): oq, queued, closed and the socket's writes under lock */
	int				 threaded;
	pthread_mutex_t			 lock;
	pthread_t			 loop_thread;
	int				 wake_fd;	/* eventfd: a thread queued bytes */
	int				 wake_pending;	/* under lock */
	struct event			*ev_wake;

	/* chan_set_ring(): one of the two sides, the other's ring stays NULL */
	struct req_ring_prod		 ring_prod;
	struct req_ring_cons		 ring_cons;
	pthread_mutex_t			 ring_mtx;	/* consumer: one taker at a time */
	int				 ring_bell_queued; /* producer: a doorbell waits in oq */
};

static void	chan_schedule_flush(struct chan *);
static void	chan_append(struct chan *, const struct chan_hdr *, int, const struct iovec *,
		    int, size_t);
static int	chan_is_bell(struct chan *, const struct chan_msg *);
static void	chan_events_del(struct chan *);

struct chan *
chan_new(int fd, const char *peer, int fd_passing)
{
	struct chan *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("chan_new");
	if ((c->rbuf = malloc(CHAN_RBUF_SIZE)) == NULL)
		fatal("chan_new");
	c->rbuf_size = CHAN_RBUF_SIZE;
	c->fd = fd;
	c->wake_fd = -1;
	c->fd_passing = fd_passing;
	c->pid = getpid();
	strlcpy(c->peer, peer, sizeof(c->peer));
	TAILQ_INIT(&c->oq);
	TAILQ_INIT(&c->spare);
	return c;
}

void
chan_set_dispatch(struct chan *c, const struct dispatch_entry *table, void *arg)
{
	c->table = table;
	c->arg = arg;
}

void
chan_set_closed_cb(struct chan *c, chan_closed_cb cb, void *arg)
{
	c->closed_cb = cb;
	c->closed_arg = arg;
}

void
chan_set_watermarks(struct chan *c, size_t high, size_t low, chan_pressure_cb cb, void *arg)
{
	c->high = high;
	c->low = low;
	c->pressure_cb = cb;
	c->pressure_arg = arg;
}

void
chan_set_threaded(struct chan *c)
{
	if (c->base != NULL || c->pressure_cb != NULL)
		fatalx("%s: threads only before the loop and without watermarks", c->peer);
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		fatalx("%s: pthread_mutex_init", c->peer);
	if ((c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	c->loop_thread = pthread_self();
	c->threaded = 1;
}

void
chan_set_before(struct chan *c, void (*before)(struct chan_msg *))
{
	c->before = before;
}

void
chan_set_sent_counter(struct chan *c, uint64_t *counter)
{
	if (!c->packet)
		fatalx("%s: a sent counter on a channel that is not a packet one", c->peer);
	c->sent_counter = counter;
}

void
chan_set_ring(struct chan *c, struct req_ring *r, int producer)
{
	if (!c->packet || c->ev_read != NULL || (producer && c->threaded))
		fatalx("%s: a ring on a channel that cannot have one", c->peer);
	if (producer) {
		req_ring_prod_init(&c->ring_prod, r);
		return;
	}
	if (pthread_mutex_init(&c->ring_mtx, NULL) != 0)
		fatalx("%s: pthread_mutex_init", __func__);
	req_ring_cons_init(&c->ring_cons, r);
	if (c->loop_reads)	/* the loop sleeps in epoll from the start */
		req_ring_sleep_begin(&c->ring_cons);
}

int
chan_ring_pending(struct chan *c)
{
	return c->ring_cons.ring != NULL && req_ring_pending(&c->ring_cons);
}

int
chan_ring_sleep_begin(struct chan *c)
{
	return c->ring_cons.ring != NULL && req_ring_sleep_begin(&c->ring_cons);
}

void
chan_ring_sleep_end(struct chan *c)
{
	if (c->ring_cons.ring != NULL)
		req_ring_sleep_end(&c->ring_cons);
}

int
chan_ring_bell_delay(struct chan *c, uint64_t *delay_ns)
{
	return c->ring_cons.ring != NULL && req_ring_bell_delay(&c->ring_cons, delay_ns);
}

/* The producer's: 1 when the record went into the ring (and the doorbell, if due, queued). */
static int
chan_ring_put(struct chan *c, const struct chan_hdr *hdr, const struct iovec *iov,
    int iovcnt)
{
	struct chan_hdr	bell;
	int		asleep;

	if (c->closed || req_ring_put(&c->ring_prod, hdr, iov, iovcnt, &asleep) == -1)
		return 0;
	if (asleep && !c->ring_bell_queued) {
		memset(&bell, 0, sizeof(bell));
		bell.type = CHAN_TYPE_BELL;
		bell.pid = (uint32_t)c->pid;
		chan_append(c, &bell, -1, NULL, 0, 0);
		c->ring_bell_queued = 1;
		chan_schedule_flush(c);
	}
	return 1;
}

/*
 * The consumer's: the ring's next record into buf, 1, or 0 when there is none. A ring
 * the producer lied about is fatal, as a malformed record on the socket is.
 */
static int
chan_ring_take(struct chan *c, uint8_t *buf, struct chan_msg *m)
{
	const char	*why = NULL;
	int		 got;

	pthread_mutex_lock(&c->ring_mtx);
	got = req_ring_take(&c->ring_cons, buf, &m->hdr, &why);
	pthread_mutex_unlock(&c->ring_mtx);
	if (got == -1)
		fatalx("%s wrote %s in the request ring", c->peer, why);
	if (got == 0)
		return 0;
	if (m->hdr.type == CHAN_TYPE_BELL || (m->hdr.flags & ~CHAN_F_MORE))
		fatalx("%s put type %u flags %#x in the request ring", c->peer, m->hdr.type,
		    m->hdr.flags);
	/* As on the socket: the reader may look for the next one before it sleeps. */
	m->hdr.flags = req_ring_pending(&c->ring_cons) ? CHAN_F_MORE : 0;
	m->data = buf + sizeof(m->hdr);
	m->fd = -1;
	return 1;
}

static void
chan_count_sent(struct chan *c, unsigned int records)
{
	if (c->sent_counter != NULL && records > 0)
		__atomic_add_fetch(c->sent_counter, records, __ATOMIC_RELEASE);
}

void
chan_set_packet(struct chan *c, int loop_reads)
{
	if (c->fd_passing || c->base != NULL || c->rlen > 0)
		fatalx("%s: packets only before the loop and without fds", c->peer);
	c->packet = 1;
	c->loop_reads = loop_reads;
	/* One slot per record a recvmmsg takes; only the bytes received are touched. */
	free(c->rbuf);
	c->rbuf_size = CHAN_MMSG_READ * CHAN_PACKET_BUF;
	if ((c->rbuf = malloc(c->rbuf_size)) == NULL)
		fatal("chan_set_packet");
}

static void
chan_lock(struct chan *c)
{
	if (c->threaded)
		pthread_mutex_lock(&c->lock);
}

static void
chan_unlock(struct chan *c)
{
	if (c->threaded)
		pthread_mutex_unlock(&c->lock);
}

/* Tell the owner when the queue crossed a watermark. */
static void
chan_pressure(struct chan *c)
{
	if (c->pressure_cb == NULL)
		return;
	if (!c->full && c->queued > c->high) {
		c->full = 1;
		c->pressure_cb(c, 1, c->pressure_arg);
	} else if (c->full && c->queued <= c->low) {
		c->full = 0;
		c->pressure_cb(c, 0, c->pressure_arg);
	}
}

const char *
chan_peer(const struct chan *c)
{
	return c->peer;
}

int
chan_fd(const struct chan *c)
{
	return c->fd;
}

static void
obuf_free(struct obuf *b)
{
	if (b->fd != -1)
		close(b->fd);
	free(b->data);
	free(b);
}

/* A sent buffer: a packet channel keeps small ones for the next records. */
static void
obuf_done(struct chan *c, struct obuf *b)
{
	if (!c->packet || b->cap > CHAN_SPARE_CAP || c->nspare == CHAN_SPARE_MAX) {
		obuf_free(b);
		return;
	}
	b->len = b->off = 0;
	TAILQ_INSERT_HEAD(&c->spare, b, entry);
	c->nspare++;
}

void
chan_free(struct chan *c)
{
	struct obuf *b;

	if (c == NULL)
		return;
	chan_events_del(c);
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_flush != NULL)
		event_free(c->ev_flush);
	if (c->ev_wake != NULL)
		event_free(c->ev_wake);
	if (c->wake_fd != -1)
		close(c->wake_fd);
	if (c->threaded)
		pthread_mutex_destroy(&c->lock);
	if (c->ring_cons.ring != NULL)
		pthread_mutex_destroy(&c->ring_mtx);
	while ((b = TAILQ_FIRST(&c->oq)) != NULL) {
		TAILQ_REMOVE(&c->oq, b, entry);
		obuf_free(b);
	}
	while ((b = TAILQ_FIRST(&c->spare)) != NULL) {
		TAILQ_REMOVE(&c->spare, b, entry);
		obuf_free(b);
	}
	while (c->nrfds > 0)
		close(c->rfds[--c->nrfds]);
	close(c->fd);
	free(c->rbuf);
	free(c);
}

/* ---- writing ---- */

static struct obuf *
chan_obuf(struct chan *c, size_t need, int fd)
{
	struct obuf *b = TAILQ_LAST(&c->oq, obuf_q);

	/* Coalesce fd-less messages into the tail buffer while it is not huge. */
	if (fd == -1 && !c->packet && b != NULL && b->fd == -1 && b->off == 0 &&
	    b->len + need <= CHAN_OBUF_COALESCE) {
		if (b->len + need > b->cap) {
			size_t	 cap = b->cap * 2;
			uint8_t	*p;

			while (cap < b->len + need)
				cap *= 2;
			if ((p = realloc(b->data, cap)) == NULL)
				fatal("chan_obuf");
			b->data = p;
			b->cap = cap;
		}
		return b;
	}
	if ((b = TAILQ_FIRST(&c->spare)) != NULL && b->cap >= need) {
		TAILQ_REMOVE(&c->spare, b, entry);
		c->nspare--;
		TAILQ_INSERT_TAIL(&c->oq, b, entry);
		return b;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("chan_obuf");
	b->cap = need < 4096 ? 4096 : need;
	if ((b->data = malloc(b->cap)) == NULL)
		fatal("chan_obuf");
	b->fd = fd;
	TAILQ_INSERT_TAIL(&c->oq, b, entry);
	return b;
}

/* The header of a message; its payload length. Fatal on our own bugs only. */
static size_t
chan_frame(struct chan *c, struct chan_hdr *hdr, uint32_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	size_t	len = 0;
	int	i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > CHAN_MAX_PAYLOAD - len)
			fatalx("message type %u to %s exceeds %d bytes", type, c->peer,
			    CHAN_MAX_PAYLOAD);
		len += iov[i].iov_len;
	}
	if (fd != -1 && !c->fd_passing)
		fatalx("fd on message type %u to %s, a channel without fd passing",
		    type, c->peer);
	memset(hdr, 0, sizeof(*hdr));
	hdr->type = type;
	hdr->len = (uint32_t)len;
	hdr->peerid = peerid;
	hdr->pid = (uint32_t)c->pid;
	hdr->flags = fd != -1 ? CHAN_F_HASFD : 0;
	return len;
}

/* Under lock: queue the message's bytes from skip on (skip > 0: its fd already left). */
static void
chan_append(struct chan *c, const struct chan_hdr *hdr, int fd, const struct iovec *iov,
    int iovcnt, size_t skip)
{
	struct obuf	*b;
	const uint8_t	*p;
	size_t		 n, total = sizeof(*hdr) + hdr->len - skip;
	int		 i;

	b = chan_obuf(c, total, skip == 0 ? fd : -1);
	for (i = -1; i < iovcnt; i++) {
		p = i < 0 ? (const uint8_t *)hdr : iov[i].iov_base;
		n = i < 0 ? sizeof(*hdr) : iov[i].iov_len;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		memcpy(b->data + b->len, p + skip, n - skip);
		b->len += n - skip;
		skip = 0;
	}
	c->queued += total;
}

/*
 * Off the loop thread: one sendmsg of the whole message, under the lock with nothing
 * queued on a stream, without the lock on a packet channel (a record leaves whole or not
 * at all). Bytes sent; 0 when the socket is full or failed (the loop finds out when it
 * writes).
 */
static size_t
chan_send_direct(struct chan *c, const struct chan_hdr *hdr, const struct iovec *iov,
    int iovcnt)
{
	struct iovec	v[CHAN_DIRECT_IOV + 1];
	struct msghdr	mh;
	ssize_t		n;

	v[0].iov_base = (void *)(uintptr_t)hdr;
	v[0].iov_len = sizeof(*hdr);
	memcpy(v + 1, iov, iovcnt * sizeof(*iov));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = v;
	mh.msg_iovlen = iovcnt + 1;
	while ((n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1 && errno == EINTR)
		;
	if (n > 0 && c->packet)
		chan_count_sent(c, 1);
	return n < 0 ? 0 : (size_t)n;
}

/* Off the loop thread: a message went on the queue; the loop writes it. */
static void
chan_wake(struct chan *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		fatal("eventfd write");
}

/* A queued record's CHAN_F_MORE: set when the same sendmmsg carries one after it. */
static void
chan_mark_more(uint8_t *rec, int more)
{
	struct chan_hdr hdr;

	memcpy(&hdr, rec, sizeof(hdr));
	hdr.flags = more ? CHAN_F_MORE : 0;
	memcpy(rec, &hdr, sizeof(hdr));
}

/*
 * A request thread's batch of records (chan_batch_begin): its replies wait here, in its
 * own memory, until it has nothing more to do at once, and then leave in one sendmmsg, so
 * that the peer wakes once for them all, as it does for the loop's queue.
 */
#define CHAN_BATCH_BYTES	(128 * 1024)	/* flushed before it grows past this */

struct chan_batch {
	struct chan	*c;
	uint8_t		*buf;
	size_t		 len;
	size_t		 off[CHAN_MMSG + 1];	/* record i is [off[i], off[i + 1]) */
	unsigned int	 n;
};

static __thread struct chan_batch	batch;

void
chan_batch_begin(struct chan *c)
{
	if (!c->packet || !c->threaded)
		fatalx("%s: a batch on a channel that is not a threaded packet one", c->peer);
	if (batch.buf == NULL &&
	    (batch.buf = malloc(CHAN_BATCH_BYTES + CHAN_PACKET_BUF)) == NULL)
		fatal("%s", __func__);
	batch.c = c;
}

/* Send the thread's batch; what the socket refuses goes to the loop's queue. */
void
chan_batch_flush(void)
{
	struct mmsghdr	 mm[CHAN_MMSG];
	struct iovec	 iov[CHAN_MMSG];
	struct chan_hdr	 hdr;
	struct iovec	 rest;
	struct chan	*c = batch.c;
	unsigned int	 i, done = 0;
	int		 n, wake = 0;

	if (c == NULL || batch.n == 0)
		return;
	for (i = 0; i < batch.n; i++) {
		chan_mark_more(batch.buf + batch.off[i], i + 1 < batch.n);
		iov[i].iov_base = batch.buf + batch.off[i];
		iov[i].iov_len = batch.off[i + 1] - batch.off[i];
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < batch.n) {
		n = sendmmsg(c->fd, mm + done, batch.n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (unsigned int)n;
	}
	chan_count_sent(c, done);
	if (done < batch.n) {
		chan_lock(c);
		for (i = done; i < batch.n && !c->closed; i++) {
			memcpy(&hdr, iov[i].iov_base, sizeof(hdr));
			rest.iov_base = (uint8_t *)iov[i].iov_base + sizeof(hdr);
			rest.iov_len = hdr.len;
			chan_append(c, &hdr, -1, &rest, 1, 0);
		}
		if (!c->wake_pending)
			wake = c->wake_pending = 1;
		chan_unlock(c);
		if (wake)
			chan_wake(c);
	}
	batch.n = 0;
	batch.len = 0;
}

void
chan_batch_end(void)
{
	chan_batch_flush();
	batch.c = NULL;
}

/* 1 when the record went into this thread's batch for c. */
static int
chan_batch_add(struct chan *c, const struct chan_hdr *hdr, const struct iovec *iov,
    int iovcnt)
{
	uint8_t	*p;
	int	 i;

	if (batch.c != c)
		return 0;
	if (batch.n == CHAN_MMSG || batch.len > CHAN_BATCH_BYTES)
		chan_batch_flush();
	batch.off[batch.n] = batch.len;
	p = batch.buf + batch.len;
	memcpy(p, hdr, sizeof(*hdr));
	p += sizeof(*hdr);
	for (i = 0; i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	batch.len = (size_t)(p - batch.buf);
	batch.off[++batch.n] = batch.len;
	return 1;
}

void
chan_composev(struct chan *c, uint32_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	struct chan_hdr	 hdr;
	size_t		 sent = 0, total;
	int		 on_loop, wake = 0;

	total = chan_frame(c, &hdr, type, peerid, fd, iov, iovcnt) + sizeof(hdr);
	if (c->ring_prod.ring != NULL && fd == -1 && chan_ring_put(c, &hdr, iov, iovcnt))
		return;
	on_loop = !c->threaded || pthread_equal(pthread_self(), c->loop_thread);
	/*
	 * A record leaves whole or not at all and records need no order among themselves,
	 * so another thread sends its own without the lock; only what the socket refuses
	 * goes to the queue, under the lock, for the loop.
	 */
	if (c->packet && !on_loop && fd == -1 && chan_batch_add(c, &hdr, iov, iovcnt))
		return;
	if (c->packet && !on_loop && fd == -1 && iovcnt <= CHAN_DIRECT_IOV &&
	    chan_send_direct(c, &hdr, iov, iovcnt) == total)
		return;
	chan_lock(c);
	if (c->closed) {
		/* The peer is gone and the process is ending: the message goes nowhere. */
		chan_unlock(c);
		if (fd != -1)
			close(fd);
		return;
	}
	if (!on_loop && !c->packet && c->queued == 0 && fd == -1 && iovcnt <= CHAN_DIRECT_IOV)
		sent = chan_send_direct(c, &hdr, iov, iovcnt);
	if (sent < total) {
		chan_append(c, &hdr, fd, iov, iovcnt, sent);
		if (!on_loop && !c->wake_pending)
			wake = c->wake_pending = 1;
	}
	chan_unlock(c);
	if (on_loop) {
		chan_pressure(c);
		chan_schedule_flush(c);
	} else if (wake)
		chan_wake(c);
}

void
chan_compose(struct chan *c, uint32_t type, uint32_t peerid, int fd, const void *data,
    size_t len)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	chan_composev(c, type, peerid, fd, &iov, len ? 1 : 0);
}

/* A packet channel's queue: CHAN_MMSG records a sendmmsg. As chan_write(). */
static int
chan_write_packets(struct chan *c)
{
	struct mmsghdr	 mm[CHAN_MMSG];
	struct iovec	 iov[CHAN_MMSG];
	struct obuf	*b;
	int		 i, n;

	while (!TAILQ_EMPTY(&c->oq)) {
		n = 0;
		TAILQ_FOREACH(b, &c->oq, entry) {
			if (n == CHAN_MMSG)
				break;
			chan_mark_more(b->data, TAILQ_NEXT(b, entry) != NULL && n + 1 < CHAN_MMSG);
			iov[n].iov_base = b->data;
			iov[n].iov_len = b->len;
			memset(&mm[n], 0, sizeof(mm[n]));
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		n = sendmmsg(c->fd, mm, (unsigned int)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		chan_count_sent(c, (unsigned int)n);
		for (i = 0; i < n; i++) {
			b = TAILQ_FIRST(&c->oq);
			if (mm[i].msg_len != b->len)
				fatalx("%s: record of %zu bytes sent in part", c->peer, b->len);
			c->queued -= b->len;
			TAILQ_REMOVE(&c->oq, b, entry);
			obuf_done(c, b);
		}
	}
	c->ring_bell_queued = 0;	/* a doorbell that was queued has gone */
	return 0;
}

/* Send what the socket takes now. Returns 0, or -1 when the peer is gone. */
static int
chan_write(struct chan *c)
{
	struct obuf	*b;
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	ssize_t		 n;

	if (c->packet)
		return chan_write_packets(c);
	while ((b = TAILQ_FIRST(&c->oq)) != NULL) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = b->data + b->off;
		iov.iov_len = b->len - b->off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (b->fd != -1 && b->off == 0) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &b->fd, sizeof(int));
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		if (b->fd != -1) {	/* the fd left with the first byte */
			close(b->fd);
			b->fd = -1;
		}
		b->off += (size_t)n;
		c->queued -= (size_t)n;
		if (b->off == b->len) {
			TAILQ_REMOVE(&c->oq, b, entry);
			obuf_free(b);
		}
	}
	return 0;
}

void
chan_flush(struct chan *c)
{
	struct pollfd	pfd;
	size_t		queued;
	int		err;

	for (;;) {
		chan_lock(c);
		err = chan_write(c);
		queued = c->queued;
		chan_unlock(c);
		if (err == -1 || queued == 0)
			break;
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) <= 0)
			return;
	}
	if (err == -1)
		return;
	if (c->write_armed) {
		event_del(c->ev_write);
		c->write_armed = 0;
	}
}

/* ---- reading ---- */

/*
 * A packet channel's record: exactly one message, whole, without an fd. Its header is
 * read from the receiver's own copy, so the sender cannot change it after the check.
 */
static void
chan_check_record(struct chan *c, const uint8_t *rec, size_t n, int msg_flags)
{
	struct chan_hdr hdr;

	if (msg_flags & MSG_TRUNC)
		fatalx("%s sent a record longer than %zu bytes", c->peer, CHAN_PACKET_BUF);
	if (n < sizeof(hdr))
		fatalx("%s sent a record of %zu bytes, shorter than a header", c->peer, n);
	memcpy(&hdr, rec, sizeof(hdr));
	if (hdr.len > CHAN_MAX_PAYLOAD || n != sizeof(hdr) + hdr.len)
		fatalx("%s sent a record of %zu bytes holding a message of %u (type %u)",
		    c->peer, n, hdr.len, hdr.type);
	if (hdr.flags & ~CHAN_F_MORE)
		fatalx("%s sent flags %#x on a channel without fds", c->peer, hdr.flags);
}

/* Pull what the socket has into rbuf. Returns bytes read, 0 on EOF, -1 on EAGAIN. */
static ssize_t
chan_read(struct chan *c)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(CHAN_MAX_FDS_READ * sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	ssize_t		 n;
	int		 i, nfds, fds[CHAN_MAX_FDS_READ];

	if (c->rlen == c->rbuf_size)
		fatalx("%s: read buffer full", c->peer);	/* cannot happen: parse drains it */
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = c->rbuf + c->rlen;
	iov.iov_len = c->rbuf_size - c->rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN)
			return -1;
		log_warn("%s: recvmsg", c->peer);
		return 0;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
		for (i = 0; i < nfds; i++) {
			if (!c->fd_passing || c->nrfds == (int)(sizeof(c->rfds) / sizeof(int))) {
				close(fds[i]);
				fatalx("%s passed an fd on a channel that takes none "
				    "(or too many)", c->peer);
			}
			c->rfds[c->nrfds++] = fds[i];
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		fatalx("%s passed more fds than one message may carry", c->peer);
	if (c->packet && n > 0)
		chan_check_record(c, c->rbuf + c->rlen, (size_t)n, mh.msg_flags);
	c->rlen += (size_t)n;
	return n;
}

/* Take one whole message from rbuf (at c->consumed). 1 when found, 0 when incomplete. */
static int
chan_parse(struct chan *c, struct chan_msg *m)
{
	size_t avail = c->rlen - c->consumed;

	if (avail < sizeof(struct chan_hdr))
		return 0;
	memcpy(&m->hdr, c->rbuf + c->consumed, sizeof(m->hdr));
	if (m->hdr.len > CHAN_MAX_PAYLOAD)
		fatalx("%s sent a message of %u bytes (type %u)", c->peer, m->hdr.len,
		    m->hdr.type);
	if (m->hdr.flags & ~(c->packet ? CHAN_F_MORE : CHAN_F_HASFD))
		fatalx("%s sent unknown message flags %#x", c->peer, m->hdr.flags);
	if (avail < sizeof(struct chan_hdr) + m->hdr.len)
		return 0;
	m->data = c->rbuf + c->consumed + sizeof(struct chan_hdr);
	m->fd = -1;
	if (m->hdr.flags & CHAN_F_HASFD) {
		if (c->nrfds == 0)
			fatalx("%s: message type %u announces an fd that did not come",
			    c->peer, m->hdr.type);
		m->fd = c->rfds[0];
		memmove(c->rfds, c->rfds + 1, --c->nrfds * sizeof(int));
	}
	c->consumed += sizeof(struct chan_hdr) + m->hdr.len;
	return 1;
}

static void
chan_compact(struct chan *c)
{
	if (c->consumed == 0)
		return;
	memmove(c->rbuf, c->rbuf + c->consumed, c->rlen - c->consumed);
	c->rlen -= c->consumed;
	c->consumed = 0;
}

static void
chan_closed(struct chan *c)
{
	if (c->closed)
		return;
	chan_lock(c);
	c->closed = 1;
	chan_unlock(c);
	chan_events_del(c);
	if (c->closed_cb != NULL)
		c->closed_cb(c, c->closed_arg);
	else
		fatalx("channel to %s closed", c->peer);
}

static void
chan_dispatch_all(struct chan *c)
{
	struct chan_msg m;

	while (!c->closed && chan_parse(c, &m)) {
		if (c->table == NULL)
			fatalx("%s: message type %u before a dispatch table", c->peer,
			    m.hdr.type);
		dispatch_msg(c, c->table, &m, c->arg);
	}
	chan_compact(c);
	if (c->nrfds > 0 && c->rlen == 0)
		fatalx("%s passed an fd with no message for it", c->peer);
}

static void
chan_events_del(struct chan *c)
{
	if (c->ev_read != NULL)
		event_del(c->ev_read);
	if (c->ev_write != NULL)
		event_del(c->ev_write);
	if (c->ev_flush != NULL)
		event_del(c->ev_flush);
	if (c->ev_wake != NULL)
		event_del(c->ev_wake);
	c->write_armed = 0;
	c->flush_pending = 0;
}

/* Write what the socket takes; arm the write event only for what it did not take. */
static void
chan_write_out(struct chan *c)
{
	size_t	queued;
	int	err;

	if (c->closed)
		return;
	chan_lock(c);
	err = chan_write(c);
	queued = c->queued;
	chan_unlock(c);
	if (err == -1) {
		chan_closed(c);
		return;
	}
	chan_pressure(c);
	if (queued > 0 && !c->write_armed) {
		if (event_add(c->ev_write, NULL) == -1)
			fatalx("event_add");
		c->write_armed = 1;
	} else if (queued == 0 && c->write_armed) {
		event_del(c->ev_write);
		c->write_armed = 0;
	}
}

static void
chan_flush_cb(int fd, short events, void *arg)
{
	struct chan *c = arg;

	c->flush_pending = 0;
	chan_write_out(c);
}

static void
chan_write_cb(int fd, short events, void *arg)
{
	chan_write_out(arg);
}

/* Another thread queued bytes. */
static void
chan_wake_cb(int fd, short events, void *arg)
{
	struct chan	*c = arg;
	uint64_t	 n;

	if (read(c->wake_fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		fatal("eventfd read");
	chan_lock(c);
	c->wake_pending = 0;
	chan_unlock(c);
	chan_write_out(c);
}

/*
 * The loop's reading of a packet channel: up to CHAN_MMSG_READ records in one recvmmsg,
 * each checked and dispatched from its own slot. 1, 0 once the peer has closed (an empty
 * record), -1 when nothing waits.
 */
static int
chan_read_packets(struct chan *c)
{
	struct mmsghdr	mm[CHAN_MMSG_READ];
	struct iovec	iov[CHAN_MMSG_READ];
	struct chan_msg	m;
	uint8_t		*rec;
	int		i, n;

	for (i = 0; i < CHAN_MMSG_READ; i++) {
		iov[i].iov_base = c->rbuf + (size_t)i * CHAN_PACKET_BUF;
		iov[i].iov_len = CHAN_PACKET_BUF;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		n = recvmmsg(c->fd, mm, CHAN_MMSG_READ, MSG_DONTWAIT, NULL);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN)
			return -1;
		log_warn("%s: recvmmsg", c->peer);
		return 0;
	}
	for (i = 0; i < n && !c->closed; i++) {
		if (mm[i].msg_len == 0)
			return 0;
		if (mm[i].msg_hdr.msg_flags & MSG_CTRUNC)
			fatalx("%s passed an fd on a channel that takes none", c->peer);
		rec = iov[i].iov_base;
		chan_check_record(c, rec, mm[i].msg_len, mm[i].msg_hdr.msg_flags);
		memcpy(&m.hdr, rec, sizeof(m.hdr));
		m.data = rec + sizeof(m.hdr);
		m.fd = -1;
		if (chan_is_bell(c, &m))
			continue;
		if (c->table == NULL)
			fatalx("%s: message type %u before a dispatch table", c->peer,
			    m.hdr.type);
		if (c->before != NULL)
			c->before(&m);
		dispatch_msg(c, c->table, &m, c->arg);
	}
	return n > 0 ? 1 : 0;
}

/*
 * The loop's reading of a consumer's ring, after the socket's doorbell: every record, then
 * asleep again. The loop never says it is awake, so every put finds it asleep and rings
 * (once a flush): it is woken as it was by the records themselves.
 */
static void
chan_ring_dispatch(struct chan *c)
{
	struct chan_msg m;

	do {
		while (!c->closed && chan_ring_take(c, c->rbuf, &m)) {
			if (c->before != NULL)
				c->before(&m);
			dispatch_msg(c, c->table, &m, c->arg);
		}
	} while (!c->closed && req_ring_sleep_begin(&c->ring_cons));
}

static void
chan_read_cb(int fd, short events, void *arg)
{
	struct chan *c = arg;
	ssize_t n;

	if (c->packet) {
		if (chan_read_packets(c) == 0)
			chan_closed(c);
		else if (c->ring_cons.ring != NULL)
			chan_ring_dispatch(c);
		return;
	}
	chan_compact(c);
	n = chan_read(c);
	if (n == 0) {
		chan_closed(c);
		return;
	}
	if (n > 0)
		chan_dispatch_all(c);
}

static void
chan_schedule_flush(struct chan *c)
{
	/* Before the loop, or while the socket is full, the write event takes care of it. */
	if (c->base == NULL || c->closed || c->flush_pending || c->write_armed)
		return;
	c->flush_pending = 1;
	event_active(c->ev_flush, 0, 0);
}

void
chan_event_add(struct chan *c, struct event_base *base)
{
	c->base = base;
	c->ev_read = event_new(base, c->fd, EV_READ | EV_PERSIST, chan_read_cb, c);
	c->ev_write = event_new(base, c->fd, EV_WRITE | EV_PERSIST, chan_write_cb, c);
	c->ev_flush = event_new(base, -1, 0, chan_flush_cb, c);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_flush == NULL)
		fatalx("event_new");
	/* A packet channel read by threads (chan_recv_packet) is only written by the loop. */
	if ((!c->packet || c->loop_reads) && event_add(c->ev_read, NULL) == -1)
		fatalx("event_add");
	if (c->threaded && ((c->ev_wake = event_new(base, c->wake_fd, EV_READ | EV_PERSIST,
	    chan_wake_cb, c)) == NULL || event_add(c->ev_wake, NULL) == -1))
		fatalx("event_new");
	if (c->queued > 0)
		chan_schedule_flush(c);
	/* Messages read by chan_recv_blocking() may already wait in the buffer. */
	if (c->rlen > c->consumed)
		chan_dispatch_all(c);
}

int
chan_recv_blocking(struct chan *c, struct chan_msg *m, int timeout_ms)
{
	struct timespec	 now, end;
	struct pollfd	 pfd;
	long		 left;
	ssize_t		 n;

	chan_compact(c);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	for (;;) {
		if (chan_parse(c, m))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			fatal("poll");
		n = chan_read(c);
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
	}
}

int
chan_recv_packet(struct chan *c, uint8_t *buf, struct chan_msg *m)
{
	return chan_recv_packet_flags(c, buf, m, 0) == 1 ? 0 : -1;
}

/* One record from the socket, as chan_recv_packet_flags() returns it. */
static int
chan_recv_socket(struct chan *c, uint8_t *buf, struct chan_msg *m, int flags)
{
	struct msghdr	mh;
	struct iovec	iov;
	ssize_t		n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = CHAN_PACKET_BUF;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	/* No control buffer: an fd sent anyway is dropped by the kernel and flagged. */
	do {
		n = recvmsg(c->fd, &mh, flags);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN && (flags & MSG_DONTWAIT))
		return 0;
	if (n == -1)
		fatal("%s: recvmsg", c->peer);
	if (n == 0)
		return -1;
	if (mh.msg_flags & MSG_CTRUNC)
		fatalx("%s passed an fd on a channel that takes none", c->peer);
	chan_check_record(c, buf, (size_t)n, mh.msg_flags);
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	m->data = buf + sizeof(m->hdr);
	m->fd = -1;
	return 1;
}

/* A consumer's doorbell: it only woke us. Fatal on one with a payload, or without a ring. */
static int
chan_is_bell(struct chan *c, const struct chan_msg *m)
{
	if (m->hdr.type != CHAN_TYPE_BELL)
		return 0;
	if (c->ring_cons.ring == NULL || m->hdr.len != 0)
		fatalx("%s sent a doorbell of %u bytes%s", c->peer, m->hdr.len,
		    c->ring_cons.ring == NULL ? " on a channel without a ring" : "");
	return 1;
}

int
chan_recv_packet_flags(struct chan *c, uint8_t *buf, struct chan_msg *m, int flags)
{
	int ring = c->ring_cons.ring != NULL, wait = !(flags & MSG_DONTWAIT), got;

	if (!c->packet)
		fatalx("%s: chan_recv_packet on a stream channel", c->peer);
	for (;;) {
		if (ring && chan_ring_take(c, buf, m))
			return 1;
		/* Asleep only once the producer knows it must ring. */
		if (ring && wait && req_ring_sleep_begin(&c->ring_cons))
			continue;
		got = chan_recv_socket(c, buf, m, flags);
		if (ring && wait)
			req_ring_sleep_end(&c->ring_cons);
		if (got != 1 || !chan_is_bell(c, m))
			return got;
	}
}
