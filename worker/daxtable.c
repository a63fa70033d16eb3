/*
 * The DAX window as the worker knows it: which window ranges map which node's file, and
 * the requests on their way to the VMM through the broker.
 *
 * The VMM (QEMU's SHMEM messages) refuses a map over a live mapping and an unmap that is
 * not one whole mapping, so the table is what decides what to send: a new mapping first
 * removes every mapping it overlaps (Linux remaps a range to make it writable, without
 * removing it first), and a removal removes the whole mappings it touches. Mappings go
 * when the guest can no longer reach them the way they were granted: with their node
 * (forgotten, or every node dropped by DESTROY or a new session), with the handle they
 * were made through (RELEASE), and past a new end of file (a truncating SETATTR).
 *
 * Each request to the broker is sent under the table's lock, so the broker sees them in
 * table order; it answers each, in order, so the results are matched to a FIFO of what
 * was sent. A map the VMM refused leaves the table again. id: the caller's, echoed to it
 * by dax_table_result(); 0 for the table's own clean-up, which nobody waits for.
 *
 * Bounded: at most DAX_TABLE_MAX mappings (a Linux guest uses one per 2 MiB of window:
 * 512 for 1 GiB).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "worker.h"

#define DAX_TABLE_MAX	8192

struct dax_map {
	TAILQ_ENTRY(dax_map)	 entry;
	uint64_t		 moffset;
	uint64_t		 len;
	uint64_t		 nodeid;
	uint64_t		 fh;		/* the handle it came through; DAX_NO_FH */
	uint64_t		 foffset;
	uint64_t		 seq;		/* the map request that made it */
	int			 vmm_writable;
};

struct dax_sent {
	TAILQ_ENTRY(dax_sent)	 entry;
	uint64_t		 id;
	uint64_t		 seq;
	int			 is_map;
};

static TAILQ_HEAD(, dax_map)	 dax_maps = TAILQ_HEAD_INITIALIZER(dax_maps);
static TAILQ_HEAD(, dax_sent)	 dax_fifo = TAILQ_HEAD_INITIALIZER(dax_fifo);
static pthread_mutex_t		 dax_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint		 dax_count;	/* mappings, read without the lock */
static uint64_t			 dax_seq;

/* dax_lock held: note what goes out, then send it. */
static void
dax_send(uint32_t type, uint64_t id, int is_map, const void *msg, size_t len, int fd)
{
	struct dax_sent	*s;
	struct iovec	 iov = { (void *)(uintptr_t)msg, len };

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("DAX request");
	s->id = id;
	s->seq = ++dax_seq;
	s->is_map = is_map;
	TAILQ_INSERT_TAIL(&dax_fifo, s, entry);
	out_send(1, type, fd, &iov, 1);
}

/* dax_lock held: unmap m in the VMM and forget it. */
static void
dax_remove(struct dax_map *m, uint64_t id)
{
	struct msg_dax_unmap u;

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.range.window_offset = m->moffset;
	u.range.len = m->len;
	dax_send(IMSG_WORKER_DAX_UNMAP, id, 0, &u, sizeof(u), -1);
	TAILQ_REMOVE(&dax_maps, m, entry);
	atomic_fetch_sub(&dax_count, 1);
	free(m);
}

static int
overlaps(const struct dax_map *m, uint64_t off, uint64_t len)
{
	return m->moffset < off + len && off < m->moffset + m->len;
}

/* dax_lock held: remove every mapping overlapping the range; returns how many. */
static unsigned int
dax_remove_range(uint64_t off, uint64_t len, uint64_t id)
{
	struct dax_map	*m, *next;
	unsigned int	 n = 0;

	TAILQ_FOREACH_SAFE(m, &dax_maps, entry, next)
		if (overlaps(m, off, len)) {
			dax_remove(m, id);
			n++;
		}
	return n;
}

/* dax_lock held: the live mapping d asks for again, if the VMM already maps it so. */
static struct dax_map *
dax_same(const struct dax_mapping *d)
{
	struct dax_map *m;

	TAILQ_FOREACH(m, &dax_maps, entry)
		if (m->moffset == d->moffset && m->len == d->len && m->nodeid == d->nodeid &&
		    m->foffset == d->foffset && (m->vmm_writable || !(d->flags & DAX_MAP_WRITE)))
			return m;
	return NULL;
}

int
dax_table_map(const struct dax_mapping *d, int fd, unsigned int *nsent, int *fd_taken)
{
	struct msg_dax_map	 msg;
	struct dax_map		*m, *same;

	*nsent = 0;
	*fd_taken = 0;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	pthread_mutex_lock(&dax_lock);
	/*
	 * Asked again for what is mapped: nothing to send. Besides saving a round trip, this
	 * keeps Linux's write to a read mapping to one VMM request at most, as QEMU 11.1 maps
	 * every range writable where it can (ops_dax.c).
	 */
	if ((same = dax_same(d)) != NULL) {
		same->fh = d->fh;
		pthread_mutex_unlock(&dax_lock);
		free(m);
		return 0;
	}
	*nsent = dax_remove_range(d->moffset, d->len, d->id);
	if (atomic_load(&dax_count) >= DAX_TABLE_MAX) {
		pthread_mutex_unlock(&dax_lock);
		free(m);
		return ENOMEM;
	}
	m->moffset = d->moffset;
	m->len = d->len;
	m->nodeid = d->nodeid;
	m->fh = d->fh;
	m->foffset = d->foffset;
	m->vmm_writable = d->vmm_writable;
	memset(&msg, 0, sizeof(msg));
	msg.id = d->id;
	msg.fd_offset = d->foffset;
	msg.window_offset = d->moffset;
	msg.len = d->len;
	msg.flags = d->flags;
	dax_send(IMSG_WORKER_DAX_MAP, d->id, 1, &msg, sizeof(msg), fd);
	*fd_taken = 1;
	m->seq = dax_seq;
	TAILQ_INSERT_TAIL(&dax_maps, m, entry);
	atomic_fetch_add(&dax_count, 1);
	(*nsent)++;
	pthread_mutex_unlock(&dax_lock);
	return 0;
}

unsigned int
dax_table_unmap(uint64_t id, uint64_t moffset, uint64_t len)
{
	unsigned int n;

	pthread_mutex_lock(&dax_lock);
	n = dax_remove_range(moffset, len, id);
	pthread_mutex_unlock(&dax_lock);
	return n;
}

/* Remove, as the table's own clean-up, every mapping that match() picks. */
static void
dax_remove_if(int (*match)(const struct dax_map *, uint64_t, uint64_t), uint64_t a,
    uint64_t b)
{
	struct dax_map *m, *next;

	if (atomic_load(&dax_count) == 0)
		return;
	pthread_mutex_lock(&dax_lock);
	TAILQ_FOREACH_SAFE(m, &dax_maps, entry, next)
		if (match(m, a, b))
			dax_remove(m, 0);
	pthread_mutex_unlock(&dax_lock);
}

static int
match_node(const struct dax_map *m, uint64_t nodeid, uint64_t unused)
{
	return m->nodeid == nodeid;
}

static int
match_fh(const struct dax_map *m, uint64_t fh, uint64_t unused)
{
	return m->fh == fh;
}

/* Entirely past end, rounded up to the granule (what straddles it stays, as locally). */
static int
match_past_end(const struct dax_map *m, uint64_t nodeid, uint64_t end)
{
	return m->nodeid == nodeid && m->foffset >= end;
}

static int
match_all(const struct dax_map *m, uint64_t unused1, uint64_t unused2)
{
	return 1;
}

void
dax_table_node_gone(uint64_t nodeid)
{
	dax_remove_if(match_node, nodeid, 0);
}

void
dax_table_release_fh(uint64_t fh)
{
	dax_remove_if(match_fh, fh, 0);
}

void
dax_table_truncate(uint64_t nodeid, uint64_t size)
{
	uint64_t end = size > UINT64_MAX - (DAX_ALIGN - 1) ? UINT64_MAX :
	    (size + DAX_ALIGN - 1) & ~(DAX_ALIGN - 1);

	dax_remove_if(match_past_end, nodeid, end);
}

void
dax_table_reset(void)
{
	dax_remove_if(match_all, 0, 0);
}

/*
 * A result from the broker: for the oldest request still out. Returns its id (0 for the
 * table's own). A result with nothing out, or for another id, means the broker is not
 * ours any more.
 */
uint64_t
dax_table_result(const struct msg_dax_result *res)
{
	struct dax_sent	*s;
	struct dax_map	*m;
	uint64_t	 id;

	pthread_mutex_lock(&dax_lock);
	if ((s = TAILQ_FIRST(&dax_fifo)) == NULL || s->id != res->id)
		fatalx("DAX result %llu out of order", (unsigned long long)res->id);
	TAILQ_REMOVE(&dax_fifo, s, entry);
	if (s->is_map && res->error != 0)
		TAILQ_FOREACH(m, &dax_maps, entry)
			if (m->seq == s->seq) {
				TAILQ_REMOVE(&dax_maps, m, entry);
				atomic_fetch_sub(&dax_count, 1);
				free(m);
				break;
			}
	if (s->id == 0 && res->error != 0)
		log_debug("DAX clean-up request refused: %s", strerror(res->error));
	id = s->id;
	pthread_mutex_unlock(&dax_lock);
	free(s);
	return id;
}
