/*
 * The worker's mirror of the guest memory table. The broker forwards each region fd it
 * checked (MEM_ADD), removals (MEM_DEL) and the end of a change (MEM_COMMIT); the worker
 * maps the fds and answers MEM_READY so the frontend knows which table READ/WRITE buffers
 * refer to.
 *
 * A request maps its buffers against the table current at that time and keeps a
 * reference on it until its handler returns, so a table change never unmaps memory a
 * preadv() on another thread is writing to; old mappings go when their last user does.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"

struct gmap {
	uint8_t		*base;
	size_t		 maplen;	/* mmap_offset + memory_size */
	uint64_t	 start;		/* guest memory is [start, maplen) of the mapping */
	uint32_t	 refs;		/* tables holding it */
};

struct gtable {
	uint32_t	 refs;		/* current + requests */
	uint32_t	 gen;
	struct gmap	*slot[MEM_MAX_SLOTS];
};

static pthread_mutex_t		 gm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gtable		*current;	/* used by requests */
static struct gtable		*pending;	/* being built by the loop thread */
static __thread struct gtable	*held;		/* this thread's request's table */

/* gm_lock held */
static void
gmap_put(struct gmap *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	if (munmap(m->base, m->maplen) == -1)
		log_warn("munmap");
	free(m);
}

/* gm_lock held */
static void
gtable_put(struct gtable *t)
{
	int i;

	if (t == NULL || --t->refs > 0)
		return;
	for (i = 0; i < MEM_MAX_SLOTS; i++)
		gmap_put(t->slot[i]);
	free(t);
}

/* The table under construction, starting from a copy of the current one. */
static struct gtable *
pending_table(void)
{
	int i;

	if (pending != NULL)
		return pending;
	if ((pending = calloc(1, sizeof(*pending))) == NULL)
		fatal("memory table");
	pending->refs = 1;
	pthread_mutex_lock(&gm_lock);
	if (current != NULL) {
		pending->gen = current->gen;
		for (i = 0; i < MEM_MAX_SLOTS; i++)
			if ((pending->slot[i] = current->slot[i]) != NULL)
				pending->slot[i]->refs++;
	}
	pthread_mutex_unlock(&gm_lock);
	return pending;
}

void
guest_mem_add(const struct msg_mem_region *r, int fd)
{
	struct gtable	*t = pending_table();
	struct gmap	*m;
	uint64_t	 len;

	if (r->slot >= MEM_MAX_SLOTS || r->memory_size == 0 ||
	    __builtin_add_overflow(r->mmap_offset, r->memory_size, &len) ||
	    len > SIZE_MAX)
		fatalx("broker sent a bad memory region (slot %u)", r->slot);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("memory region");
	m->maplen = (size_t)len;
	m->start = r->mmap_offset;
	m->refs = 1;
	m->base = mmap(NULL, m->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m->base == MAP_FAILED) {
		/* Requests into this slot will get EFAULT; the export goes on. */
		log_warn("mmap of memory slot %u", r->slot);
		free(m);
		m = NULL;
	}
	pthread_mutex_lock(&gm_lock);
	gmap_put(t->slot[r->slot]);
	t->slot[r->slot] = m;
	t->gen = r->gen;
	pthread_mutex_unlock(&gm_lock);
}

void
guest_mem_del(const struct msg_mem_slot *s)
{
	struct gtable *t = pending_table();

	if (s->slot >= MEM_MAX_SLOTS)
		fatalx("broker removed bad memory slot %u", s->slot);
	pthread_mutex_lock(&gm_lock);
	gmap_put(t->slot[s->slot]);
	t->slot[s->slot] = NULL;
	t->gen = s->gen;
	pthread_mutex_unlock(&gm_lock);
}

int
guest_mem_commit(const struct msg_mem_commit *c)
{
	struct gtable	*t = pending_table(), *old;
	uint32_t	 i, used = 0;

	for (i = 0; i < MEM_MAX_SLOTS; i++)
		if (t->slot[i] != NULL)
			used++;
	if (used != c->nslots)
		log_warnx("memory table generation %u: %u slots mapped, %u announced",
		    c->gen, used, c->nslots);
	t->gen = c->gen;
	pthread_mutex_lock(&gm_lock);
	old = current;
	current = t;
	gtable_put(old);
	pthread_mutex_unlock(&gm_lock);
	pending = NULL;
	log_debug("memory table generation %u: %u slots", c->gen, used);
	return 0;
}

void
guest_mem_release(void)
{
	if (held == NULL)
		return;
	pthread_mutex_lock(&gm_lock);
	gtable_put(held);
	pthread_mutex_unlock(&gm_lock);
	held = NULL;
}

int
guest_iov_map(const struct msg_iov *in, uint32_t n, struct iovec *out)
{
	struct gmap	*m;
	uint64_t	 end;
	uint32_t	 i;

	guest_mem_release();
	pthread_mutex_lock(&gm_lock);
	if ((held = current) != NULL)
		held->refs++;
	pthread_mutex_unlock(&gm_lock);
	if (held == NULL)
		return EFAULT;
	for (i = 0; i < n; i++) {
		if (in[i].slot >= MEM_MAX_SLOTS || (m = held->slot[in[i].slot]) == NULL)
			return EFAULT;
		/* Only the slot's guest memory, never the part of the fd below it. */
		if (in[i].offset < m->start ||
		    __builtin_add_overflow(in[i].offset, (uint64_t)in[i].len, &end) ||
		    end > m->maplen)
			return EFAULT;
		out[i].iov_base = m->base + in[i].offset;
		out[i].iov_len = in[i].len;
	}
	return 0;
}
