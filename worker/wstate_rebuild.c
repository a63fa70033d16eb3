/*
 * A restarted worker brings back the node ids its predecessor gave the guest, from the
 * records of the state store (wstate.c). Each node is found again by its last name, one
 * component at a time from its parent, parents first: an O_PATH|O_NOFOLLOW openat of one
 * checked name under a directory node, exactly as a LOOKUP does, so nothing resolves
 * outside the export and no symlink is followed. What is found must be what the record
 * says (device, inode, type), or the node is lost and its id answers ESTALE.
 *
 * The records were written by a worker that may have been compromised: each one is a
 * copy, checked field by field, every index bounded, and the parent chains are walked
 * with a depth bound and a cycle check.
 *
 * The engine (rebuild_nodes) takes its records from a source: the state store here, a
 * migration stream in migrate_load.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "names.h"
#include "worker.h"
#include "wstate.h"

#define ROOT_INDEX	1
#define REBUILD_DEPTH	4096	/* parents above one node; deeper is lost */

enum { RB_UNSEEN, RB_CHAIN, RB_DONE, RB_LOST };

struct rebuild {
	const struct rebuild_source *src;
	uint32_t	 end;		/* records 2 .. end - 1 */
	uint8_t		*state;		/* RB_* per index */
	struct wnode	**node;		/* RB_DONE: the node, with a reference */
	uint32_t	*chain;		/* indices being resolved, child first */
	struct wnode	*root;
	uint32_t	 rebuilt, lost;
};

static int
type_ok(uint32_t type)
{
	switch (type) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK:
	case S_IFIFO: case S_IFSOCK:
		return 1;
	}
	return 0;
}

/* A copy of record i, if it is one to rebuild: whole, held by the guest, and sane. */
static int
record_get(const struct rebuild *rb, uint32_t i, struct wstate_node *r)
{
	if (rb->src->get(rb->src->arg, i, r) == -1 || r->nlookup == 0)
		return -1;
	if (r->gen >= rb->src->floor || !type_ok(r->type))
		return -1;
	if (r->parent_index == 0 || r->parent_index >= rb->end || r->parent_index == i)
		return -1;
	/* One component: 1..NAME_MAX bytes, terminated, no '/', not "." or "..". */
	if (r->name_len == 0 || r->name_len > NAME_MAX || r->name[r->name_len] != '\0' ||
	    name_check(r->name, r->name_len, 0) != 0)
		return -1;
	return 0;
}

/* The directory node r names as its parent, or NULL. */
static struct wnode *
parent_of(const struct rebuild *rb, const struct wstate_node *r)
{
	struct wnode *p;

	if (r->parent_index == ROOT_INDEX)
		p = r->parent_gen == 0 ? rb->root : NULL;
	else if (rb->state[r->parent_index] == RB_DONE)
		p = rb->node[r->parent_index];
	else
		p = NULL;
	if (p == NULL || node_generation(p) != r->parent_gen || !S_ISDIR(node_type(p)))
		return NULL;
	return p;
}

/* Find record i again under its (rebuilt) parent and put it back at its id. */
static int
rebuild_node(struct rebuild *rb, uint32_t i)
{
	struct wstate_node	 r;
	struct statx		 stx;
	struct wnode		*parent, *n;
	int			 fd, error;

	if (record_get(rb, i, &r) == -1 || (parent = parent_of(rb, &r)) == NULL)
		return -1;
	error = rb->src->find != NULL ? rb->src->find(rb->src->arg, i, &fd, &stx) : ENOENT;
	if (error != 0)
		error = node_open_name(parent, r.name, &fd, &stx);
	/* The parent's fd may be a temporary one (--inode-file-handles), as in a request. */
	node_tmpfds_release();
	if (error != 0)
		return -1;
	/* The mount id is not compared: each worker's mount namespace numbers anew. */
	if ((rb->src->same_identity &&
	    (makedev(stx.stx_dev_major, stx.stx_dev_minor) != r.dev || stx.stx_ino != r.ino)) ||
	    (stx.stx_mode & S_IFMT) != r.type ||
	    (rb->src->check != NULL && rb->src->check(rb->src->arg, i, fd) != 0)) {
		fd_budget_close(fd);
		return -1;
	}
	if ((n = node_restore(i, r.gen, r.nlookup, fd, &stx, rb->end - 1)) == NULL)
		return -1;
	/* Its name again: for the state store, and for the next migration. */
	node_set_name(n, parent, r.name);
	rb->node[i] = n;
	return 0;
}

/*
 * Walk up from i to a parent that is the root or already rebuilt, then rebuild down
 * that chain. A chain that loops, is too deep or meets a lost record is lost whole.
 */
static void
rebuild_chain(struct rebuild *rb, uint32_t i)
{
	struct wstate_node	r;
	uint32_t		n = 0, j = i, k;

	for (;;) {
		if (n == REBUILD_DEPTH || record_get(rb, j, &r) == -1)
			goto lost;
		rb->chain[n++] = j;
		rb->state[j] = RB_CHAIN;
		j = r.parent_index;
		if (j == ROOT_INDEX || rb->state[j] == RB_DONE)
			break;
		if (rb->state[j] != RB_UNSEEN)
			goto lost;	/* a loop, or a parent already lost */
	}
	while (n > 0) {
		k = rb->chain[--n];
		if (rebuild_node(rb, k) == -1) {
			n++;
			goto lost;
		}
		rb->state[k] = RB_DONE;
	}
	return;
lost:
	if (j != ROOT_INDEX && rb->state[j] == RB_UNSEEN)
		rb->state[j] = RB_LOST;
	while (n > 0)
		rb->state[rb->chain[--n]] = RB_LOST;
}

static void
rebuild_alloc(struct rebuild *rb, const struct rebuild_source *src)
{
	int err;

	memset(rb, 0, sizeof(*rb));
	rb->src = src;
	rb->end = src->end;
	if ((rb->state = calloc(rb->end, 1)) == NULL ||
	    (rb->node = calloc(rb->end, sizeof(*rb->node))) == NULL ||
	    (rb->chain = calloc(REBUILD_DEPTH, sizeof(*rb->chain))) == NULL)
		fatal("state rebuild");
	if ((rb->root = node_get(ROOT_INDEX, &err)) == NULL)
		fatalx("state rebuild: no root node");
}

/*
 * As the guest's root, who could have looked every name up: no more than a request may
 * do, and privop.c's file handles work as in one. Unmapped, as nobody.
 */
static void *
rebuild_thread(void *arg)
{
	struct rebuild	*rb = arg;
	uint32_t	 i;

	if (creds_enter(0, 0) != 0)
		log_warnx("rebuild: the guest's root is not mapped, rebuilding as nobody");
	for (i = ROOT_INDEX + 1; i < rb->end; i++)
		if (rb->state[i] == RB_UNSEEN)
			rebuild_chain(rb, i);
	return NULL;
}

uint32_t
rebuild_nodes(const struct rebuild_source *src, uint8_t *done)
{
	struct rebuild	rb;
	pthread_t	t;
	uint32_t	i, n = 0;
	int		error;

	if (src->end <= ROOT_INDEX + 1)
		return 0;
	rebuild_alloc(&rb, src);
	/* A thread of its own, like a request's: credentials are per thread, the loop's stay. */
	if ((error = pthread_create(&t, NULL, rebuild_thread, &rb)) != 0 ||
	    (error = pthread_join(t, NULL)) != 0) {
		errno = error;
		fatal("rebuild thread");
	}
	for (i = ROOT_INDEX + 1; i < rb.end; i++) {
		if (rb.state[i] != RB_DONE)
			continue;
		done[i] = 1;
		n++;
		node_put(rb.node[i]);
	}
	node_put(rb.root);
	free(rb.state);
	free(rb.node);
	free(rb.chain);
	return n;
}

static int
store_get(void *arg, uint32_t i, struct wstate_node *r)
{
	return wstate_node_get(i, r);
}

void
wstate_rebuild(void)
{
	struct rebuild_source	 src;
	struct wstate_node	 r;
	uint8_t			*done;
	uint32_t		 i, rebuilt, lost = 0;

	if (!wstate_found())
		return;
	memset(&src, 0, sizeof(src));
	src.end = wstate_node_end();
	src.floor = wstate_node_floor();
	src.same_identity = 1;
	src.get = store_get;
	if ((done = calloc(src.end > 0 ? src.end : 1, 1)) == NULL)
		fatal("state rebuild");
	rebuilt = rebuild_nodes(&src, done);
	/*
	 * Count, and clear what was not brought back, so that no later worker rebuilds a
	 * record this one does not hold.
	 */
	for (i = ROOT_INDEX + 1; i < src.end; i++) {
		if (done[i])
			continue;
		/* Torn, or a node the guest held: lost. Forgotten ones are not counted. */
		if (wstate_node_get(i, &r) == 0 && r.nlookup == 0 && r.name_len == 0)
			continue;	/* empty: writing would only cost a page */
		if (r.nlookup != 0 || (r.seq & 1))
			lost++;
		wstate_node_clear(i);
	}
	free(done);
	log_info("restart: %u nodes rebuilt, %u lost", rebuilt, lost);
}
