/*
 * Requests the worker completes itself: the reply goes straight into the guest's buffers
 * and the chain onto the used ring, and the guest is signalled from here, so the frontend
 * is not woken for it (a request costs three process hops instead of four; measured in
 * doc/architecture.md). The frontend owns the ring and decides, request by request: a
 * request that may be completed here carries a trailer (struct msg_direct) with its chain
 * and the shape of its reply, and the ring itself (struct msg_direct_ring, with the call
 * eventfd) comes through the broker. Both push under the lock of the queue's record in
 * the page they share (common/used_ring.h); the worker logs each call id it completed
 * there, and the frontend takes them back the next time it wakes.
 *
 * Anything that does not fit, answers through the socket as before: no ring or an old one
 * (gen), a reply this code does not encode, pieces that are not mapped, a lock held too
 * long, a full log. Nothing in the page or the trailer is trusted: every range is checked
 * against our own memory table at each use, indices are masked to the ring.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "chan.h"
#include "fuse_encode.h"
#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "used_ring.h"
#include "worker.h"

/* A lock the frontend holds longer than this (a few µs of spinning) is not waited for. */
#define DIRECT_LOCK_SPINS	256
/* The largest fixed-size reply encoded here: a CREATE's. */
#define DIRECT_REPLY_MAX	(sizeof(struct fuse_out_header) + \
	sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out))
/* A READDIR(PLUS) reply is encoded in a buffer of the thread's, this large. */
#define DIRECT_DIRENTS_MAX	(sizeof(struct fuse_out_header) + MSG_MAX_READDIR)

struct direct_ring {
	pthread_mutex_t		mtx;
	uint32_t		gen;		/* 0: none */
	struct msg_direct_ring	geo;
	int			call_fd;
	int			kick_fd;	/* watched by the pool's leader, or -1 */
};

/* This thread's request, while its handler runs. */
struct direct_cur {
	int			valid;
	uint64_t		id;		/* msg_req.id of the request it belongs to */
	struct msg_direct	d;
	struct msg_iov		seg[DIRECT_SEGS_MAX];
};

static struct used_share	*share;
static struct direct_ring	 rings[USED_SHARE_QUEUES];
static void			(*kick_watch)(int old_fd, int new_fd);	/* pool.c's */
static __thread struct direct_cur cur;

void
direct_init(void)
{
	uint32_t i;

	for (i = 0; i < USED_SHARE_QUEUES; i++) {
		pthread_mutex_init(&rings[i].mtx, NULL);
		rings[i].call_fd = rings[i].kick_fd = -1;
	}
	share = used_share_map(CHAN_FD_USED);	/* NULL: every reply by socket */
}

void
direct_set_kick_watch(void (*watch)(int old_fd, int new_fd))
{
	kick_watch = watch;
}

static void
direct_kick_replace(struct direct_ring *r, int fd)
{
	if (kick_watch != NULL)
		kick_watch(r->kick_fd, fd);
	if (r->kick_fd != -1)
		close(r->kick_fd);
	r->kick_fd = fd;
}

const uint64_t *
direct_requests_sent(void)
{
	return share == NULL ? NULL : &share->requests_sent;
}

struct req_ring *
direct_request_ring(void)
{
	return share == NULL ? NULL : &share->requests;
}

/*
 * 1 when a ring we complete on has more than allowed chains the guest made available that
 * are not on its used ring yet: requests on their way to us, or still for the frontend to
 * take, which then needs a CPU more than we need to wait awake (pool.c). Read without the
 * queue's lock, from guest memory and the page: a guest or frontend that lies only makes
 * the waiting thread sleep sooner or later.
 */
int
direct_guest_busy(uint16_t allowed)
{
	struct direct_ring	*r;
	struct used_ring	 ur;
	struct msg_iov		 in;
	struct iovec		 io;
	uint32_t		 i, num;
	int			 busy = 0;

	if (share == NULL)
		return 0;
	for (i = 0; i < USED_SHARE_QUEUES && !busy; i++) {
		r = &rings[i];
		pthread_mutex_lock(&r->mtx);
		in = r->geo.avail;
		num = r->gen != 0 ? r->geo.num : 0;
		pthread_mutex_unlock(&r->mtx);
		if (num == 0 || guest_iov_map(&in, 1, &io) != 0)
			continue;
		memset(&ur, 0, sizeof(ur));
		ur.avail = io.iov_base;
		ur.num = num;
		busy = used_ring_outstanding(&ur, &share->q[i]) > allowed;
	}
	guest_mem_release();
	return busy;
}

static int
direct_ring_valid(const struct msg_direct_ring *dr)
{
	return dr->queue >= 1 && dr->queue <= USED_SHARE_QUEUES && dr->gen != 0 &&
	    dr->num != 0 && dr->num <= 32768 && (dr->num & (dr->num - 1)) == 0 &&
	    dr->event_idx <= 1 && dr->used.len == 6 + 8 * dr->num &&
	    dr->avail.len == 6 + 2 * dr->num;
}

/* IMSG_BROKER_DIRECT_RING, on the loop thread. */
void
direct_ring_set(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_direct_ring	 dr;
	struct direct_ring	*r;

	memcpy(&dr, m->data, sizeof(dr));
	if (share == NULL || !direct_ring_valid(&dr) || !used_ring_fd_is_eventfd(m->fd)) {
		log_warnx_rl("direct ring for queue %u refused", dr.queue);
		close(m->fd);
		m->fd = -1;
		return;
	}
	r = &rings[dr.queue - 1];
	pthread_mutex_lock(&r->mtx);
	if (r->call_fd != -1)
		close(r->call_fd);
	r->call_fd = m->fd;
	if (r->kick_fd != -1)		/* the new gen's comes next, if any */
		direct_kick_replace(r, -1);
	r->geo = dr;
	r->gen = dr.gen;
	pthread_mutex_unlock(&r->mtx);
	m->fd = -1;
}

/*
 * IMSG_BROKER_DIRECT_KICK, on the loop thread, right after its ring's message: only for
 * the ring we hold now (same gen). A kick fd that does not belong to the ring wakes the
 * leader in vain, nothing more (pool.c).
 */
void
direct_kick_set(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_direct_kick	 dk;
	struct direct_ring	*r;
	int			 fd = m->fd;

	m->fd = -1;
	memcpy(&dk, m->data, sizeof(dk));
	if (share == NULL || dk.queue == 0 || dk.queue > USED_SHARE_QUEUES ||
	    !used_ring_fd_is_eventfd(fd)) {
		log_warnx_rl("kick fd for queue %u refused", dk.queue);
		close(fd);
		return;
	}
	r = &rings[dk.queue - 1];
	pthread_mutex_lock(&r->mtx);
	if (r->gen == dk.gen)
		direct_kick_replace(r, fd);
	else
		close(fd);	/* the ring changed again meanwhile */
	pthread_mutex_unlock(&r->mtx);
}

void
direct_take(struct chan_msg *m)
{
	struct direct_cur	*dc = &cur;
	uint32_t		 tlen = m->hdr.peerid;
	const uint8_t		*t;

	dc->valid = 0;
	if (tlen == 0)
		return;
	/* Too long to be a trailer: left in place, the request's size check refuses it. */
	if (tlen > m->hdr.len || m->hdr.len - tlen < sizeof(struct msg_req)) {
		log_warnx_rl("request type %u: trailer of %u bytes in %u", m->hdr.type, tlen,
		    m->hdr.len);
		return;
	}
	m->hdr.len -= tlen;
	t = m->data + m->hdr.len;
	if (tlen < sizeof(dc->d))
		goto bad;
	memcpy(&dc->d, t, sizeof(dc->d));
	if (dc->d.nseg == 0 || dc->d.nseg > DIRECT_SEGS_MAX ||
	    tlen != sizeof(dc->d) + dc->d.nseg * sizeof(struct msg_iov))
		goto bad;
	memcpy(dc->seg, t + sizeof(dc->d), dc->d.nseg * sizeof(struct msg_iov));
	memcpy(&dc->id, m->data, sizeof(dc->id));	/* msg_req.id comes first */
	dc->valid = 1;
	return;
bad:
	log_warnx_rl("request type %u: malformed completion trailer", m->hdr.type);
}

void
direct_clear(void)
{
	cur.valid = 0;
}

/*
 * The FUSE reply for the worker's typed answer, as the frontend would build it
 * (frontend/fuse_reply.c): its length, or 0 when this one is not encoded here. *extra:
 * bytes the reply counts after it (a READ's data, already in the guest's buffers).
 */
/* OPEN's and CREATE's open record at p. */
static size_t
direct_open_out(const struct msg_direct *d, const void *opened, uint8_t *p)
{
	struct msg_opened	o;
	struct fuse_open_out	oo;

	memcpy(&o, opened, sizeof(o));
	explicit_bzero(&oo, sizeof(oo));
	oo.fh = o.fh;
	oo.open_flags = d->open_flags;
	memcpy(p, &oo, sizeof(oo));
	return sizeof(oo);
}

/* READDIR(PLUS)'s records at p, as the frontend would encode them; -1 if they do not fit. */
static int
direct_dirents(const struct msg_direct *d, const void *a, size_t alen, uint8_t *p,
    size_t *plen)
{
	struct fuse_dirents_enc	how;
	struct msg_reader	r;
	uint32_t		len;

	if (d->size > MSG_MAX_READDIR)
		return -1;
	memset(&how, 0, sizeof(how));
	how.size = (uint32_t)d->size;
	how.plus = d->enc == DIRECT_ENC_DIRENTS_PLUS;
	how.timeout = d->timeout;
	how.attr_flags = d->attr_flags;
	msg_reader_init(&r, a, alen);
	if (fuse_encode_dirents(p, &how, &r, &len) == -1)
		return -1;
	*plen = len;
	return 0;
}

static size_t
direct_encode(const struct msg_direct *d, uint32_t type, int error, const void *a,
    size_t alen, const void *b, size_t blen, uint8_t *buf, uint32_t *extra)
{
	struct fuse_out_header	oh;
	struct msg_attr		attr;
	struct msg_entry	e;
	struct msg_count	n;
	struct fuse_attr_out	ao;
	struct fuse_entry_out	eo;
	struct fuse_write_out	wo;
	size_t			plen = 0;

	explicit_bzero(&oh, sizeof(oh));
	oh.unique = d->unique;
	*extra = 0;
	if (type == IMSG_WORKER_REPLY_STATUS) {
		if (error != 0)
			oh.error = -fuse_encode_errno(error);
		else if (d->enc != DIRECT_ENC_STATUS)
			return 0;
	} else if (error != 0)
		return 0;
	else if (d->enc == DIRECT_ENC_ATTR && type == IMSG_WORKER_REPLY_ATTR &&
	    alen == sizeof(attr)) {
		memcpy(&attr, a, sizeof(attr));
		explicit_bzero(&ao, sizeof(ao));
		ao.attr_valid = d->timeout;
		fuse_encode_attr(&ao.attr, &attr, d->attr_flags);
		memcpy(buf + sizeof(oh), &ao, plen = sizeof(ao));
	} else if ((d->enc == DIRECT_ENC_ENTRY || d->enc == DIRECT_ENC_ENTRY_NEW) &&
	    type == IMSG_WORKER_REPLY_ENTRY && alen == sizeof(e)) {
		memcpy(&e, a, sizeof(e));
		if (e.nodeid == 0 && d->enc == DIRECT_ENC_ENTRY_NEW)
			return 0;
		fuse_encode_entry(&eo, &e, d->timeout, d->attr_flags);
		memcpy(buf + sizeof(oh), &eo, plen = sizeof(eo));
	} else if (d->enc == DIRECT_ENC_OPEN && type == IMSG_WORKER_REPLY_OPEN &&
	    alen == sizeof(struct msg_opened)) {
		plen = direct_open_out(d, a, buf + sizeof(oh));
	} else if (d->enc == DIRECT_ENC_CREATE && type == IMSG_WORKER_REPLY_CREATE &&
	    alen == sizeof(e) && blen == sizeof(struct msg_opened)) {
		memcpy(&e, a, sizeof(e));
		if (e.nodeid == 0)
			return 0;
		fuse_encode_entry(&eo, &e, d->timeout, d->attr_flags);
		memcpy(buf + sizeof(oh), &eo, sizeof(eo));
		plen = sizeof(eo) + direct_open_out(d, b, buf + sizeof(oh) + sizeof(eo));
	} else if ((d->enc == DIRECT_ENC_DIRENTS || d->enc == DIRECT_ENC_DIRENTS_PLUS) &&
	    type == IMSG_WORKER_REPLY_DIRENTS) {
		if (direct_dirents(d, a, alen, buf + sizeof(oh), &plen) == -1)
			return 0;
	} else if ((d->enc == DIRECT_ENC_READ || d->enc == DIRECT_ENC_WRITE) &&
	    type == IMSG_WORKER_REPLY_COUNT && alen == sizeof(n)) {
		memcpy(&n, a, sizeof(n));
		if (n.count > d->size)
			return 0;
		if (d->enc == DIRECT_ENC_READ)
			*extra = (uint32_t)n.count;
		else {
			explicit_bzero(&wo, sizeof(wo));
			wo.size = (uint32_t)n.count;
			memcpy(buf + sizeof(oh), &wo, plen = sizeof(wo));
		}
	} else
		return 0;
	oh.len = (uint32_t)(sizeof(oh) + plen) + *extra;
	memcpy(buf, &oh, sizeof(oh));
	return sizeof(oh) + plen;
}

/* Copy len bytes of buf into the pieces; 0, or -1 when they hold less. */
static int
direct_copy_out(const struct iovec *iov, uint32_t n, const uint8_t *buf, size_t len)
{
	size_t	 k;
	uint32_t i;

	for (i = 0; i < n && len > 0; i++) {
		k = iov[i].iov_len < len ? iov[i].iov_len : len;
		memcpy(iov[i].iov_base, buf, k);
		buf += k;
		len -= k;
	}
	return len == 0 ? 0 : -1;
}

/* Under the ring's mutex: the reply in place, the chain on the used ring, the signal. */
static int
direct_push(struct direct_ring *r, const struct direct_cur *dc, uint64_t id,
    const uint8_t *buf, size_t len, uint32_t used_len)
{
	struct msg_iov			 in[2 + DIRECT_SEGS_MAX];
	struct iovec			 io[2 + DIRECT_SEGS_MAX];
	struct used_share_queue		*q = &share->q[dc->d.queue - 1];
	struct used_ring		 ur;
	int				 need;

	if (r->gen == 0 || r->gen != dc->d.gen || dc->d.head >= r->geo.num)
		return -1;
	in[0] = r->geo.used;
	in[1] = r->geo.avail;
	memcpy(in + 2, dc->seg, dc->d.nseg * sizeof(struct msg_iov));
	if (guest_iov_map(in, 2 + dc->d.nseg, io) != 0 ||
	    direct_copy_out(io + 2, dc->d.nseg, buf, len) == -1)
		return -1;
	ur.used = io[0].iov_base;
	ur.avail = io[1].iov_base;
	ur.num = r->geo.num;
	ur.event_idx = (int)r->geo.event_idx;
	if (used_share_lock(q, USED_LOCK_WORKER, DIRECT_LOCK_SPINS, NULL, NULL) == -1)
		return -1;
	if (__atomic_load_n(&q->gen, __ATOMIC_RELAXED) != dc->d.gen ||
	    q->log_prod - q->log_cons >= USED_SHARE_LOG) {
		used_share_unlock(q);
		return -1;
	}
	/* In this order, so that a frontend can finish or undo it if we die in it. */
	q->push_used = q->used_idx;
	q->push_prod = q->log_prod;
	share->log[dc->d.queue - 1][q->log_prod % USED_SHARE_LOG] = id;
	__atomic_store_n(&q->pushing, 1, __ATOMIC_RELEASE);
	used_ring_push(&ur, q, dc->d.head, used_len);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->log_prod++;
	__atomic_store_n(&q->pushing, 0, __ATOMIC_RELEASE);
	/*
	 * Signalled at once, as the guest asked (its used_event), not once after a batch:
	 * holding the signals back until the leader had run the records that waited was
	 * slower (2026-12-06, one guest, 4 KiB random reads with 16 in flight, three
	 * alternated runs: 1.8-2.1e5 against 2.7-3.7e5 a second, CPU 5.1-5.6 against 3.5-4.4
	 * us a request): a guest that gets its replies in bursts refills its queue in bursts.
	 */
	need = used_ring_need_signal(&ur, q);
	used_share_unlock(q);
	if (need)
		used_ring_signal(r->call_fd, dc->d.queue);
	return 0;
}

/* Where this reply is encoded: on the stack, or for a list, in the thread's buffer. */
static uint8_t *
direct_buf(const struct msg_direct *d, uint8_t *fixed)
{
	static __thread uint8_t *dirents;

	if (d->enc != DIRECT_ENC_DIRENTS && d->enc != DIRECT_ENC_DIRENTS_PLUS)
		return fixed;
	if (dirents == NULL)
		dirents = malloc(DIRECT_DIRENTS_MAX);	/* NULL: answered by socket */
	return dirents;
}

int
direct_reply(const struct wreq *req, uint32_t type, int error, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct direct_cur	*dc = &cur;
	struct direct_ring	*r;
	uint8_t			 fixed[DIRECT_REPLY_MAX], *buf;
	uint32_t		 extra;
	size_t			 len;
	int			 rc;

	if (!dc->valid || dc->id != req->hdr.id || share == NULL)
		return -1;
	dc->valid = 0;
	if (dc->d.queue == 0 || dc->d.queue > USED_SHARE_QUEUES ||
	    (buf = direct_buf(&dc->d, fixed)) == NULL)
		return -1;
	if ((len = direct_encode(&dc->d, type, error, a, alen, b, blen, buf, &extra)) == 0)
		return -1;
	r = &rings[dc->d.queue - 1];
	pthread_mutex_lock(&r->mtx);
	rc = direct_push(r, dc, req->hdr.id, buf, len, (uint32_t)len + extra);
	pthread_mutex_unlock(&r->mtx);
	return rc;
}

#ifdef PRIVFSD_TEST_HOOKS
/*
 * Test builds: the lies of a compromised worker, for the frontend's side of this path
 * (tests/driver hostile case worker-lies). privfsd-test-lie-ids logs on every queue call
 * ids that were never pushed; privfsd-test-lie-ahead moves every log far ahead of
 * anything pushed; privfsd-test-lie-lock takes every queue's lock and keeps it.
 */
void
direct_test_lie(const char *name)
{
	struct used_share_queue	*q;
	uint32_t		 i;
	int			 ids, ahead, lock;

	ids = strcmp(name, "privfsd-test-lie-ids") == 0;
	ahead = strcmp(name, "privfsd-test-lie-ahead") == 0;
	lock = strcmp(name, "privfsd-test-lie-lock") == 0;
	if (share == NULL || !(ids || ahead || lock))
		return;
	log_warnx("test: the worker lies: %s", name);
	for (i = 0; i < USED_SHARE_QUEUES; i++) {
		q = &share->q[i];
		if (used_share_lock(q, USED_LOCK_WORKER, 0, NULL, NULL) == -1)
			continue;
		if (ids) {
			share->log[i][q->log_prod % USED_SHARE_LOG] = 0;
			share->log[i][(q->log_prod + 1) % USED_SHARE_LOG] = UINT64_MAX;
			share->log[i][(q->log_prod + 2) % USED_SHARE_LOG] = 0x100000001ULL;
			q->log_prod += 3;
		} else if (ahead)
			q->log_prod += 5 * USED_SHARE_LOG;
		if (!lock)
			used_share_unlock(q);
	}
}
#endif
