/*
 * Open file and directory handles. The guest's fh is a slot index (low 32 bits) and the
 * slot's generation (high 32 bits), as for nodes. RELEASE takes the handle out of the table
 * at once, so a second RELEASE is EBADF; the fd itself closes when the last reference goes,
 * so a READ still running on another thread keeps using a valid fd.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"
#include "idtable.h"
#include "migrate.h"

struct whandle {
	struct wnode	*node;		/* with a reference */
	int		 fd;		/* counted in the fd budget */
	int		 is_dir;
	uint32_t	 refs;		/* table + requests */
	int		 lost;		/* a migration's handle on a lost node: EIO */
	pthread_mutex_t	 dir_lock;	/* directory reads move the shared offset */
	struct dirstream dir;		/* under dir_lock */
};

/* Charged with the handle's fd (MEM_FD_OBJECT): the struct and a table slot. */
_Static_assert(sizeof(struct whandle) + 16 + 2 * 16 <= MEM_FD_OBJECT,
    "a handle costs more than MEM_FD_OBJECT");

static pthread_mutex_t	handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct idtable	handles = IDTABLE_INITIALIZER("handle", 256);

static void
handle_free(struct whandle *h)
{
	if (h->lost)
		mem_budget_give(MEM_FD_OBJECT);
	else
		fd_budget_close(h->fd);
	node_put(h->node);
	pthread_mutex_destroy(&h->dir_lock);
	dirstream_free(&h->dir);
	free(h);
}

/* handles_lock held: empty slot i; returns its handle when that was the last reference */
static struct whandle *
handle_remove(uint32_t i)
{
	struct whandle *h = idtable_remove(&handles, i);

	return --h->refs == 0 ? h : NULL;
}

void
handles_init(void)
{
	pthread_mutex_lock(&handles_lock);
	idtable_set_floor(&handles, wstate_handle_floor());
	pthread_mutex_unlock(&handles_lock);
}

/* A handle on n owning fd, with the table's reference, not in the table yet. */
static struct whandle *
handle_alloc(struct wnode *n, int fd, int is_dir)
{
	struct whandle	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("handle");
	node_hold(n);
	h->node = n;
	h->fd = fd;
	h->is_dir = is_dir;
	h->refs = 1;
	pthread_mutex_init(&h->dir_lock, NULL);
	return h;
}

uint64_t
handle_new(struct wnode *n, int fd, int is_dir)
{
	struct whandle	*h = handle_alloc(n, fd, is_dir);
	uint64_t	 fh;

	pthread_mutex_lock(&handles_lock);
	fh = idtable_add(&handles, h);
	wstate_handle_gen(IDTABLE_GEN(fh));
	pthread_mutex_unlock(&handles_lock);
	return fh;
}

struct whandle *
handle_get(uint64_t fh, int *err)
{
	struct whandle	*h;

	pthread_mutex_lock(&handles_lock);
	/*
	 * A released fh is EBADF, whether or not its slot was reused since; one from a
	 * worker before a restart is ESTALE (its file was not reopened).
	 */
	if ((h = idtable_find(&handles, fh, NULL)) != NULL && h->lost) {
		*err = EIO;
		h = NULL;
	} else if (h != NULL)
		h->refs++;
	else
		*err = IDTABLE_GEN(fh) < handles.floor ? ESTALE : EBADF;
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
	int		 error = 0;

	pthread_mutex_lock(&handles_lock);
	if (idtable_find(&handles, fh, NULL) != NULL)
		dead = handle_remove(IDTABLE_INDEX(fh));
	else
		error = IDTABLE_GEN(fh) < handles.floor ? ESTALE : EBADF;
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
		if (i >= idtable_end(&handles)) {
			pthread_mutex_unlock(&handles_lock);
			break;
		}
		h = idtable_at(&handles, i) != NULL ? handle_remove(i) : NULL;
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

int
handle_accmode(const struct whandle *h)
{
	int	fl;

	if ((fl = fcntl(h->fd, F_GETFL)) == -1)
		return -1;
	return fl & O_ACCMODE;
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

void
dirstream_free(struct dirstream *ds)
{
	mem_budget_free(ds->tail, ds->tail_len);
	ds->tail = NULL;
	ds->tail_pos = ds->tail_len = 0;
}

struct dirstream *
handle_dirstream(struct whandle *h)
{
	return &h->dir;
}

size_t
handles_save(struct handle_saved **out)
{
	struct handle_saved	*v = NULL;
	struct whandle		*h;
	size_t			 nv = 0, cap = 0;
	uint32_t		 i;
	int			 fl;

	pthread_mutex_lock(&handles_lock);
	for (i = 1; i < idtable_end(&handles); i++) {
		if ((h = idtable_at(&handles, i)) == NULL)
			continue;
		if (nv == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((v = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("handle snapshot");
		}
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].index = i;
		v[nv].gen = IDTABLE_GEN(idtable_id(&handles, i));
		v[nv].nodeid = node_id(h->node);
		v[nv].is_dir = h->is_dir;
		fl = fcntl(h->fd, F_GETFL);
		v[nv].flags = fl == -1 ? O_RDONLY : (uint32_t)fl & MIG_HANDLE_FLAGS;
		nv++;
	}
	pthread_mutex_unlock(&handles_lock);
	*out = v;
	return nv;
}

uint32_t
handles_gen_next(void)
{
	uint32_t i, gen, next;

	pthread_mutex_lock(&handles_lock);
	next = handles.floor;
	for (i = 1; i < idtable_end(&handles); i++) {
		if (idtable_at(&handles, i) == NULL)
			continue;
		gen = IDTABLE_GEN(idtable_id(&handles, i));
		if (gen >= next)
			next = gen == UINT32_MAX ? gen : gen + 1;
	}
	pthread_mutex_unlock(&handles_lock);
	return next;
}

void
handles_raise_floor(uint32_t floor)
{
	pthread_mutex_lock(&handles_lock);
	idtable_set_floor(&handles, floor);
	pthread_mutex_unlock(&handles_lock);
}

int
handle_restore(uint32_t index, uint32_t gen, struct wnode *n, int fd, int is_dir,
    uint32_t max_index)
{
	struct whandle	*h = handle_alloc(n, fd, is_dir);
	int		 rc;

	pthread_mutex_lock(&handles_lock);
	rc = idtable_restore(&handles, index, gen, h, max_index);
	pthread_mutex_unlock(&handles_lock);
	if (rc == -1)
		handle_free(h);		/* closes fd */
	return rc;
}

int
handle_restore_lost(uint32_t index, uint32_t gen, uint32_t max_index)
{
	struct whandle	*h;
	int		 rc;

	if (mem_budget_take(MEM_FD_OBJECT) != 0)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("handle");
	h->fd = -1;
	h->lost = 1;
	h->refs = 1;
	pthread_mutex_init(&h->dir_lock, NULL);
	pthread_mutex_lock(&handles_lock);
	rc = idtable_restore(&handles, index, gen, h, max_index);
	pthread_mutex_unlock(&handles_lock);
	if (rc == -1)
		handle_free(h);
	return rc;
}
