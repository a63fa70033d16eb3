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
	if (wstate_node_get(i, r) == -1 || r->nlookup == 0)
		return -1;
	if (r->gen >= wstate_node_floor() || !type_ok(r->type))
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
	error = node_open_name(parent, r.name, &fd, &stx);
	/* The parent's fd may be a temporary one (--inode-file-handles), as in a request. */
	node_tmpfds_release();
	if (error != 0)
		return -1;
	/* The mount id is not compared: each worker's mount namespace numbers anew. */
	if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != r.dev || stx.stx_ino != r.ino ||
	    (stx.stx_mode & S_IFMT) != r.type) {
		fd_budget_close(fd);
		return -1;
	}
	if ((n = node_restore(i, r.gen, r.nlookup, fd, &stx)) == NULL)
		return -1;
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
rebuild_alloc(struct rebuild *rb)
{
	int err;

	memset(rb, 0, sizeof(*rb));
	rb->end = wstate_node_end();
	if ((rb->state = calloc(rb->end, 1)) == NULL ||
	    (rb->node = calloc(rb->end, sizeof(*rb->node))) == NULL ||
	    (rb->chain = calloc(REBUILD_DEPTH, sizeof(*rb->chain))) == NULL)
		fatal("state rebuild");
	if ((rb->root = node_get(ROOT_INDEX, &err)) == NULL)
		fatalx("state rebuild: no root node");
}

/*
 * Count, and clear what was not brought back, so that no later worker rebuilds a record
 * this one does not hold.
 */
static void
rebuild_finish(struct rebuild *rb)
{
	struct wstate_node	r;
	uint32_t		i;

	for (i = ROOT_INDEX + 1; i < rb->end; i++) {
		if (rb->state[i] == RB_DONE) {
			rb->rebuilt++;
			node_put(rb->node[i]);
			continue;
		}
		/* Torn, or a node the guest held: lost. Forgotten ones are not counted. */
		if (wstate_node_get(i, &r) == 0 && r.nlookup == 0 && r.name_len == 0)
			continue;	/* empty: writing would only cost a page */
		if (r.nlookup != 0 || (r.seq & 1))
			rb->lost++;
		wstate_node_clear(i);
	}
	node_put(rb->root);
	free(rb->state);
	free(rb->node);
	free(rb->chain);
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
		log_warnx("restart: the guest's root is not mapped, rebuilding as nobody");
	for (i = ROOT_INDEX + 1; i < rb->end; i++)
		if (rb->state[i] == RB_UNSEEN)
			rebuild_chain(rb, i);
	return NULL;
}

void
wstate_rebuild(void)
{
	struct rebuild	rb;
	pthread_t	t;
	int		error;

	if (!wstate_found())
		return;
	rebuild_alloc(&rb);
	/* A thread of its own, like a request's: credentials are per thread, the loop's stay. */
	if ((error = pthread_create(&t, NULL, rebuild_thread, &rb)) != 0 ||
	    (error = pthread_join(t, NULL)) != 0) {
		errno = error;
		fatal("state rebuild thread");
	}
	rebuild_finish(&rb);
	log_info("restart: %u nodes rebuilt, %u lost", rb.rebuilt, rb.lost);
}
