/*
 * Replies and every other outgoing message.
 *
 * The frontend channel's writing side is ours (chan.c only reads from it): a reply is
 * framed here (struct chan_hdr + payload) and the thread that made it writes it to the
 * socket itself under fe_lock, instead of waking the loop thread for each one (two
 * context switches per request with the pool). Bytes the socket does not take wait in
 * fe_out, in order, and while anything waits there no thread writes directly, so messages
 * never interleave. Replies made on the loop thread are only appended and leave together
 * at the end of the loop turn (a deferred event), as chan.c does. Whenever fe_out holds
 * bytes, the loop thread has a flush coming: the deferred event, the eventfd, or the
 * write event armed while the socket is full.
 *
 * The broker channel keeps chan.c: only the loop thread composes; other threads put whole
 * messages on one locked queue and wake the loop through the eventfd.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
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

struct outmsg {
	TAILQ_ENTRY(outmsg)	 entry;
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
static struct chan		*br_chan;

/* The frontend's outgoing bytes. */
static pthread_mutex_t		 fe_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t			*fe_out;	/* fe_lock: bytes not yet sent */
static size_t			 fe_off, fe_len, fe_cap;
static int			 fe_dead;	/* fe_lock: peer gone, drop everything */
static int			 fe_fd = -1;
static uint32_t			 fe_pid;
static struct event		*fe_wev;	/* loop: armed while the socket is full */
static struct event		*fe_flush_ev;	/* loop: deferred flush */
static int			 fe_wev_armed, fe_flush_pending;	/* loop only */

/* fe_lock held: keep iov[skip...] (skip bytes of it already sent) after what waits. */
static void
fe_append(const struct iovec *iov, int iovcnt, size_t skip)
{
	size_t	need = 0, n;
	int	i;

	for (i = 0; i < iovcnt; i++)
		need += iov[i].iov_len;
	need -= skip;
	if (fe_off > 0 && fe_off == fe_len)
		fe_off = fe_len = 0;
	if (fe_cap - fe_len < need) {
		if (fe_off > 0) {
			memmove(fe_out, fe_out + fe_off, fe_len - fe_off);
			fe_len -= fe_off;
			fe_off = 0;
		}
		if (fe_cap - fe_len < need) {
			n = fe_len + need < 65536 ? 65536 : fe_len + need;
			if ((fe_out = realloc(fe_out, n)) == NULL)
				fatal("reply buffer");
			fe_cap = n;
		}
	}
	for (i = 0; i < iovcnt; i++) {
		n = iov[i].iov_len;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		memcpy(fe_out + fe_len, (const uint8_t *)iov[i].iov_base + skip, n - skip);
		fe_len += n - skip;
		skip = 0;
	}
}

/* fe_lock held: one sendmsg of iov; bytes sent, 0 when the socket is full, -1 peer gone. */
static ssize_t
fe_sendmsg(struct iovec *iov, int iovcnt)
{
	struct msghdr	mh;
	ssize_t		n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = iovcnt;
	while ((n = sendmsg(fe_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		log_debug("frontend channel: %s", strerror(errno));
		fe_dead = 1;
		fe_off = fe_len = 0;
		return -1;
	}
	return n;
}

/* fe_lock held: send what waits, as far as the socket takes it. 1 when all is out. */
static int
fe_write_waiting(void)
{
	struct iovec	iov;
	ssize_t		n;

	while (fe_off < fe_len) {
		iov.iov_base = fe_out + fe_off;
		iov.iov_len = fe_len - fe_off;
		if ((n = fe_sendmsg(&iov, 1)) <= 0)
			return n < 0;
		fe_off += (size_t)n;
	}
	fe_off = fe_len = 0;
	return 1;
}

/* Loop thread: after the deferred flush, the write event or the eventfd. */
static void
fe_flush(void)
{
	int done;

	pthread_mutex_lock(&fe_lock);
	done = fe_write_waiting();
	pthread_mutex_unlock(&fe_lock);
	if (!done && !fe_wev_armed) {
		if (event_add(fe_wev, NULL) == -1)
			fatalx("reply write event");
		fe_wev_armed = 1;
	} else if (done && fe_wev_armed) {
		event_del(fe_wev);
		fe_wev_armed = 0;
	}
}

static void
fe_flush_cb(int fd, short events, void *arg)
{
	fe_flush_pending = 0;
	fe_flush();
}

/* A framed message to the frontend, from any thread. */
static void
fe_send(uint32_t type, const struct iovec *body, int bodycnt)
{
	struct chan_hdr	 hdr;
	struct iovec	 iov[8];
	size_t		 len = 0;
	ssize_t		 n = 0;
	uint64_t	 one = 1;
	int		 i, wake = 0;

	if (bodycnt > 7)
		fatalx("message type %u in %d pieces", type, bodycnt);
	for (i = 0; i < bodycnt; i++) {
		if (body[i].iov_len > CHAN_MAX_PAYLOAD - len)
			fatalx("message type %u exceeds %d bytes", type, CHAN_MAX_PAYLOAD);
		len += body[i].iov_len;
		iov[i + 1] = body[i];
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.pid = fe_pid;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	len += sizeof(hdr);

	pthread_mutex_lock(&fe_lock);
	if (!fe_dead) {
		if (pthread_equal(pthread_self(), loop_thread) || fe_off < fe_len)
			fe_append(iov, bodycnt + 1, 0);
		else if ((n = fe_sendmsg(iov, bodycnt + 1)) >= 0 && (size_t)n < len) {
			fe_append(iov, bodycnt + 1, (size_t)n);
			wake = 1;	/* the socket is full: the loop takes over */
		}
	}
	pthread_mutex_unlock(&fe_lock);
	if (pthread_equal(pthread_self(), loop_thread)) {
		if (!fe_flush_pending) {
			fe_flush_pending = 1;
			event_active(fe_flush_ev, EV_WRITE, 0);
		}
	} else if (wake && write(out_efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		fatal("eventfd write");
}

static void
out_drain(int fd, short events, void *arg)
{
	TAILQ_HEAD(, outmsg)	 q = TAILQ_HEAD_INITIALIZER(q);
	struct outmsg		*m;
	uint64_t		 n;

	if (read(out_efd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		fatal("eventfd read");
	fe_flush();
	pthread_mutex_lock(&out_lock);
	TAILQ_CONCAT(&q, &out_q, entry);
	pthread_mutex_unlock(&out_lock);
	while ((m = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, m, entry);
		chan_compose(br_chan, m->type, 0, m->fd, m->data, m->len);
		free(m);
	}
}

void
reply_init(struct event_base *base, struct chan *frontend, struct chan *broker)
{
	loop_thread = pthread_self();
	br_chan = broker;
	fe_fd = chan_fd(frontend);
	fe_pid = (uint32_t)getpid();
	if ((out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	if ((out_ev = event_new(base, out_efd, EV_READ | EV_PERSIST, out_drain, NULL)) == NULL ||
	    event_add(out_ev, NULL) == -1)
		fatalx("reply event");
	if ((fe_wev = event_new(base, fe_fd, EV_WRITE | EV_PERSIST, fe_flush_cb, NULL)) == NULL ||
	    (fe_flush_ev = event_new(base, -1, 0, fe_flush_cb, NULL)) == NULL)
		fatalx("reply event");
}

void
out_send(int to_broker, uint32_t type, int fd, const struct iovec *iov, int iovcnt)
{
	struct outmsg	*m;
	size_t		 len = 0, off = 0;
	uint64_t	 one = 1;
	int		 i;

	if (!to_broker) {
		if (fd != -1)
			fatalx("fd on message type %u to the frontend", type);
		fe_send(type, iov, iovcnt);
		return;
	}
	if (pthread_equal(pthread_self(), loop_thread)) {
		chan_composev(br_chan, type, 0, fd, iov, iovcnt);
		return;
	}
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;	/* our own structs: bounded by CHAN_MAX_PAYLOAD */
	if (len > CHAN_MAX_PAYLOAD)
		fatalx("message type %u of %zu bytes", type, len);
	if ((m = malloc(sizeof(*m) + len)) == NULL)
		fatal("out_send");
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
