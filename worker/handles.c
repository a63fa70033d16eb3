/*
 * Open file and directory handles. The guest's fh is a slot index (low 32 bits) and the
 * slot's generation (high 32 bits), as for nodes. RELEASE takes the handle out of the table
 * at once, so a second RELEASE is EBADF; the fd itself closes when the last reference goes,
 * so a READ still running on another thread keeps using a valid fd.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"
#include "wcore.h"

struct whandle {
	struct wnode	*node;		/* with a reference */
	int		 fd;		/* counted in the fd budget */
	int		 is_dir;
	uint32_t	 refs;		/* table + requests */
	pthread_mutex_t	 dir_lock;	/* directory reads move the shared offset */
};

struct handle_slot {
	struct whandle	*h;
	uint32_t	 gen;
	uint32_t	 next_free;
};

static pthread_mutex_t		 handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle_slot	*hslots;
static uint32_t			 nhslots, hslots_cap, hfree_head;

static void
handle_free(struct whandle *h)
{
	close(h->fd);
	fd_budget_give();
	node_put(h->node);
	pthread_mutex_destroy(&h->dir_lock);
	free(h);
}

/* handles_lock held */
static uint32_t
hslot_alloc(void)
{
	struct handle_slot	*ns;
	uint32_t		 i, cap;

	if (hfree_head != 0) {
		i = hfree_head;
		hfree_head = hslots[i].next_free;
		return i;
	}
	if (nhslots == hslots_cap) {
		cap = hslots_cap == 0 ? 256 : hslots_cap * 2;
		if (cap <= hslots_cap)
			fatalx("handle table full");
		if ((ns = reallocarray(hslots, cap, sizeof(*hslots))) == NULL)
			fatal("handle table");
		memset(ns + hslots_cap, 0, (cap - hslots_cap) * sizeof(*hslots));
		hslots = ns;
		hslots_cap = cap;
		if (nhslots == 0)
			nhslots = 1;	/* fh index 0 is never given out */
	}
	return nhslots++;
}

/* handles_lock held; returns the handle when its last reference went */
static struct whandle *
hslot_clear(uint32_t i)
{
	struct whandle *h = hslots[i].h;

	hslots[i].h = NULL;
	if (++hslots[i].gen != UINT32_MAX) {
		hslots[i].next_free = hfree_head;
		hfree_head = i;
	}
	return --h->refs == 0 ? h : NULL;
}

uint64_t
handle_new(struct wnode *n, int fd, int is_dir)
{
	struct whandle	*h;
	uint32_t	 i;
	uint64_t	 fh;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("handle");
	node_hold(n);
	h->node = n;
	h->fd = fd;
	h->is_dir = is_dir;
	h->refs = 1;
	pthread_mutex_init(&h->dir_lock, NULL);
	pthread_mutex_lock(&handles_lock);
	i = hslot_alloc();
	hslots[i].h = h;
	fh = (uint64_t)hslots[i].gen << 32 | i;
	pthread_mutex_unlock(&handles_lock);
	return fh;
}

/* handles_lock held: the slot for fh, or NULL */
static uint32_t
hslot_find(uint64_t fh)
{
	uint32_t i = (uint32_t)fh, gen = (uint32_t)(fh >> 32);

	if (i == 0 || i >= nhslots || hslots[i].h == NULL || hslots[i].gen != gen)
		return 0;
	return i;
}

struct whandle *
handle_get(uint64_t fh, int *err)
{
	struct whandle	*h = NULL;
	uint32_t	 i;

	pthread_mutex_lock(&handles_lock);
	if ((i = hslot_find(fh)) != 0) {
		h = hslots[i].h;
		h->refs++;
	} else
		*err = EBADF;
	pthread_mutex_unlock(&handles_lock);
	return h;
}

void
handle_put(struct whandle *h)
{
	int last;

	if (h == NULL)
		return;
	pthread_mutex_lock(&handles_lock);
	if (h->refs == 0)
		fatalx("handle reference underflow");
	last = --h->refs == 0;
	pthread_mutex_unlock(&handles_lock);
	if (last)
		handle_free(h);
}

int
handle_release(uint64_t fh)
{
	struct whandle	*dead = NULL;
	uint32_t	 i;
	int		 error = 0;

	pthread_mutex_lock(&handles_lock);
	if ((i = hslot_find(fh)) != 0)
		dead = hslot_clear(i);
	else
		error = EBADF;
	pthread_mutex_unlock(&handles_lock);
	if (dead != NULL)
		handle_free(dead);
	return error;
}

void
handles_reset(void)
{
	struct whandle	*h;
	uint32_t	 i;

	for (i = 1;; i++) {
		pthread_mutex_lock(&handles_lock);
		if (i >= nhslots) {
			pthread_mutex_unlock(&handles_lock);
			break;
		}
		h = hslots[i].h != NULL ? hslot_clear(i) : NULL;
		pthread_mutex_unlock(&handles_lock);
		if (h != NULL)
			handle_free(h);
	}
}

int
handle_fd(const struct whandle *h)
{
	return h->fd;
}

struct wnode *
handle_node(const struct whandle *h)
{
	return h->node;
}

int
handle_is_dir(const struct whandle *h)
{
	return h->is_dir;
}

void
handle_lock(struct whandle *h)
{
	pthread_mutex_lock(&h->dir_lock);
}

void
handle_unlock(struct whandle *h)
{
	pthread_mutex_unlock(&h->dir_lock);
}
