/*
 * The node table (doc/architecture.md, "Identity"). A guest node id is a slot index in the
 * low 32 bits and the slot's generation in the high 32 bits, never a pointer or an fd: an id the table
 * never gave out is EBADF, one whose slot was reused since is ESTALE. The root is slot 1,
 * generation 0, which is FUSE_ROOT_ID.
 *
 * Each node keeps the guest's lookup count (saturating) apart from internal references
 * (requests in flight, open handles); it leaves the table when both are zero, or at a
 * session reset, and is freed when the last internal reference goes. Nodes are also found
 * by host identity (device, inode, mount id) through a hash table keyed with a keyed hash.
 *
 * With --worker-restart each node the guest holds has a record in the state store
 * (wstate.c), written under nodes_lock before the reply that gives the guest its id.
 * Each node also keeps its last name (parent id, one component) for a migration
 * (migrate_save.c), charged to the memory budget; a node that could not keep one is
 * lost to a migration. A node a migration could not find again (--migration-on-error=
 * guest-error) stays at its id without a file: every use of it answers EIO.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "names.h"
#include "worker.h"
#include "idtable.h"
#include "wstate.h"

#define ROOT_INDEX	1
#define HASH_MIN	1024

struct wnode {
	struct wnode	*hnext;		/* hash chain */
	uint64_t	 hkey;
	uint64_t	 dev, ino, mnt_id;
	uint64_t	 nlookup;	/* the guest's count */
	uint32_t	 refs;		/* ours */
	uint32_t	 index, gen;
	int		 attached;	/* in the slot and hash tables */
	int		 fd;		/* O_PATH | O_NOFOLLOW, or -1 with fh */
	struct file_handle *fh;		/* --inode-file-handles: instead of fd */
	int		 mount_fd;	/* for open_by_handle_at (not ours) */
	mode_t		 type;
	int		 lost;		/* a migration's node without a file: EIO */
	uint32_t	 parent_index;	/* the last name: parent id and one component */
	uint32_t	 parent_gen;
	char		*name;		/* mem_budget_alloc'ed, or NULL */
};

static pthread_mutex_t	 nodes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct idtable	 node_ids = IDTABLE_INITIALIZER("node", 1024);
static struct wnode	**buckets;
static size_t		 nbuckets, nhashed;
static struct wnode	*root;

/* ---- hash table (nodes_lock held) ---- */

static void
hash_resize(size_t n)
{
	struct wnode	**nb, *p, *next;
	size_t		  i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		fatal("node hash");
	for (i = 0; i < nbuckets; i++) {
		for (p = buckets[i]; p != NULL; p = next) {
			next = p->hnext;
			p->hnext = nb[p->hkey & (n - 1)];
			nb[p->hkey & (n - 1)] = p;
		}
	}
	free(buckets);
	buckets = nb;
	nbuckets = n;
}

static void
hash_insert(struct wnode *n)
{
	if (nhashed + 1 > nbuckets * 2)
		hash_resize(nbuckets * 2);
	n->hnext = buckets[n->hkey & (nbuckets - 1)];
	buckets[n->hkey & (nbuckets - 1)] = n;
	nhashed++;
}

static void
hash_remove(struct wnode *n)
{
	struct wnode **pp;

	if (n->lost)
		return;		/* never hashed: it has no identity */
	for (pp = &buckets[n->hkey & (nbuckets - 1)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			nhashed--;
			return;
		}
	}
	fatalx("node missing from its hash chain");
}

static struct wnode *
hash_find(uint64_t hkey, uint64_t dev, uint64_t ino, uint64_t mnt_id)
{
	struct wnode *p;

	for (p = buckets[hkey & (nbuckets - 1)]; p != NULL; p = p->hnext)
		if (p->hkey == hkey && p->dev == dev && p->ino == ino && p->mnt_id == mnt_id)
			return p;
	return NULL;
}

/* nodes_lock held */
static void
node_attach(struct wnode *n)
{
	uint64_t id = idtable_add(&node_ids, n);

	n->index = IDTABLE_INDEX(id);
	n->gen = IDTABLE_GEN(id);
	n->attached = 1;
	hash_insert(n);
	wstate_node_gen(n->gen);
}

/* nodes_lock held */
static void
node_detach(struct wnode *n)
{
	idtable_remove(&node_ids, n->index);
	hash_remove(n);
	n->attached = 0;
	wstate_node_clear(n->index);
}

/* nodes_lock held: n is known as name under parent (for a migration, migrate_save.c). */
static void
node_keep_name(struct wnode *n, struct wnode *parent, const char *name, size_t len)
{
	char *p;

	if (n->name != NULL && strcmp(n->name, name) == 0) {
		n->parent_index = parent->index;
		n->parent_gen = parent->gen;
		return;
	}
	mem_budget_free(n->name, strlen(n->name != NULL ? n->name : "") + 1);
	n->name = NULL;
	if ((p = mem_budget_alloc(len + 1)) == NULL)
		return;		/* past the budget: lost to a migration, not to the guest */
	memcpy(p, name, len);
	n->name = p;
	n->parent_index = parent->index;
	n->parent_gen = parent->gen;
}

/*
 * nodes_lock held: keep n's name, and n in the state store, known as name under parent;
 * with no usable name (NULL, "..", a parent that left) only its lookup count changes.
 */
static void
node_record(struct wnode *n, struct wnode *parent, const char *name)
{
	struct wstate_node	r;
	size_t			len;

	if (!n->attached || n == root)
		return;
	if (parent == NULL || !parent->attached || name == NULL ||
	    (len = strlen(name)) > NAME_MAX || name_check(name, len, 0) != 0) {
		if (wstate_enabled())
			wstate_node_count(n->index, n->gen, n->nlookup);
		return;
	}
	node_keep_name(n, parent, name, len);
	if (!wstate_enabled())
		return;
	memset(&r, 0, sizeof(r));
	r.gen = n->gen;
	r.nlookup = n->nlookup;
	r.dev = n->dev;
	r.ino = n->ino;
	r.mnt_id = n->mnt_id;
	r.type = n->type;
	r.parent_index = parent->index;
	r.parent_gen = parent->gen;
	r.name_len = (uint32_t)len;
	memcpy(r.name, name, len);
	wstate_node_put(n->index, &r);
}

/*
 * What a node costs is charged with its fd (MEM_FD_OBJECT): the struct, a file handle
 * (node_use_handle), a table slot and a hash bucket, each table at most half empty.
 */
_Static_assert(sizeof(struct wnode) + sizeof(struct file_handle) + MAX_HANDLE_SZ +
    2 * 16 + 2 * 16 + 2 * sizeof(struct wnode *) <= MEM_FD_OBJECT,
    "a node costs more than MEM_FD_OBJECT");

static void
node_free(struct wnode *n)
{
	/* Gone from the guest: so are the window ranges it had mapped (daxtable.c). */
	dax_table_node_gone(node_id(n));
	if (n->name != NULL)
		mem_budget_free(n->name, strlen(n->name) + 1);
	if (n->lost)
		mem_budget_give(MEM_FD_OBJECT);		/* taken by node_restore_lost() */
	else if (n->fh != NULL) {
		free(n->fh);
		mem_budget_give(MEM_FD_OBJECT);		/* kept by node_use_handle() */
	} else
		fd_budget_close(n->fd);
	free(n);
}

/*
 * --inode-file-handles: trade the node's O_PATH fd for a file handle where the file system
 * has them. Returns 0, or EOPNOTSUPP when handles are mandatory and there is none.
 */
static int
node_use_handle(struct wnode *n)
{
	int error;

	if (wk_config.inode_file_handles == FILE_HANDLES_NEVER)
		return 0;
	error = node_handle_take(n->fd, n->type, &n->fh, &n->mount_fd);
	if (error != 0) {
		n->fh = NULL;
		return wk_config.inode_file_handles == FILE_HANDLES_MANDATORY ?
		    EOPNOTSUPP : 0;
	}
	/* The fd goes, the node stays: its memory stays charged (node_free). */
	fd_budget_close_keep_mem(n->fd);
	n->fd = -1;
	return 0;
}

/* Drop the node if nothing holds it any more. Returns it when the caller must free it. */
static struct wnode *
node_maybe_drop(struct wnode *n)
{
	if (n == root)
		return NULL;
	if (n->attached && (n->nlookup > 0 || n->refs > 0))
		return NULL;
	if (n->attached)
		node_detach(n);
	return n->refs == 0 ? n : NULL;
}

/* ---- interface ---- */

void
nodes_init(int root_fd)
{
	struct statx stx;

	hash_resize(HASH_MIN);
	if (statx(root_fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
	    STATX_BASIC_STATS | STATX_MNT_ID, &stx) == -1)
		fatal("statx of the shared directory");
	if ((root = calloc(1, sizeof(*root))) == NULL)
		fatal("root node");
	root->fd = root_fd;		/* the root keeps its fd: every path starts there */
	/* This also opens the export's mount fd while we may still open anything. */
	if (wk_config.inode_file_handles != FILE_HANDLES_NEVER &&
	    node_handle_take(root_fd, S_IFDIR, &root->fh, &root->mount_fd) != 0 &&
	    wk_config.inode_file_handles == FILE_HANDLES_MANDATORY)
		fatalx("--inode-file-handles=mandatory: the shared directory's file system "
		    "has no file handles");
	free(root->fh);
	root->fh = NULL;
	root->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	root->ino = stx.stx_ino;
	root->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
	root->hkey = keyhash_identity(root->dev, root->ino, root->mnt_id);
	root->type = stx.stx_mode & S_IFMT;
	root->refs = 1;			/* never goes */
	node_attach(root);		/* the table's first id */
	if (root->index != ROOT_INDEX || root->gen != 0)
		fatalx("root node id %llu", (unsigned long long)node_id(root));
	/* After the root: it is FUSE_ROOT_ID in every worker. */
	idtable_set_floor(&node_ids, wstate_node_floor());
}

struct wnode *
node_get(uint64_t nodeid, int *err)
{
	struct wnode *n;

	pthread_mutex_lock(&nodes_lock);
	if ((n = idtable_find(&node_ids, nodeid, err)) != NULL) {
		if (n->lost) {
			if (err != NULL)
				*err = EIO;
			n = NULL;
		} else
			n->refs++;
	}
	pthread_mutex_unlock(&nodes_lock);
	return n;
}

void
node_hold(struct wnode *n)
{
	pthread_mutex_lock(&nodes_lock);
	n->refs++;
	pthread_mutex_unlock(&nodes_lock);
}

void
node_put(struct wnode *n)
{
	struct wnode *dead;

	if (n == NULL)
		return;
	pthread_mutex_lock(&nodes_lock);
	if (n->refs == 0)
		fatalx("node reference underflow");
	n->refs--;
	dead = node_maybe_drop(n);
	pthread_mutex_unlock(&nodes_lock);
	if (dead != NULL)
		node_free(dead);
}

struct wnode *
node_find(uint64_t dev, uint64_t ino, uint64_t mnt_id)
{
	uint64_t	 hkey = keyhash_identity(dev, ino, mnt_id);
	struct wnode	*n;

	pthread_mutex_lock(&nodes_lock);
	if ((n = hash_find(hkey, dev, ino, mnt_id)) != NULL)
		n->refs++;
	pthread_mutex_unlock(&nodes_lock);
	return n;
}

/* A node around fd (which it owns), in no table yet; NULL (fd closed) as node_insert(). */
static struct wnode *
node_new(int fd, const struct statx *stx)
{
	struct wnode *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("node");
	n->fd = fd;
	n->dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	n->ino = stx->stx_ino;
	n->mnt_id = (stx->stx_mask & STATX_MNT_ID) ? stx->stx_mnt_id : 0;
	n->hkey = keyhash_identity(n->dev, n->ino, n->mnt_id);
	n->type = stx->stx_mode & S_IFMT;
	n->refs = 1;
	if (node_use_handle(n) != 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

/*
 * A new node around fd (O_PATH, counted in the fd budget). When another request made a
 * node for the same identity meanwhile, that one is returned and fd is closed. NULL (fd
 * closed) when --inode-file-handles=mandatory and the file has no handle.
 */
struct wnode *
node_insert(int fd, const struct statx *stx)
{
	struct wnode	*n, *old;

	if ((n = node_new(fd, stx)) == NULL)
		return NULL;
	pthread_mutex_lock(&nodes_lock);
	if ((old = hash_find(n->hkey, n->dev, n->ino, n->mnt_id)) != NULL) {
		old->refs++;
		pthread_mutex_unlock(&nodes_lock);
		node_free(n);
		return old;
	}
	node_attach(n);
	pthread_mutex_unlock(&nodes_lock);
	return n;
}

/*
 * A node rebuilt from the state store (wstate_rebuild.c) or a migration stream
 * (migrate_load.c), put back at the slot and generation a predecessor gave the guest,
 * with its lookup count. Returns it with a reference, or NULL (fd closed) when the slot
 * is taken, is above max_index, gen is not below the floor, or another record already
 * brought back the same identity.
 */
struct wnode *
node_restore(uint32_t index, uint32_t gen, uint64_t nlookup, int fd,
    const struct statx *stx, uint32_t max_index)
{
	struct wnode	*n;

	if ((n = node_new(fd, stx)) == NULL)
		return NULL;
	pthread_mutex_lock(&nodes_lock);
	if (max_index == 0 || hash_find(n->hkey, n->dev, n->ino, n->mnt_id) != NULL ||
	    idtable_restore(&node_ids, index, gen, n, max_index) == -1) {
		pthread_mutex_unlock(&nodes_lock);
		node_free(n);
		return NULL;
	}
	n->index = index;
	n->gen = gen;
	n->nlookup = nlookup;
	n->attached = 1;
	hash_insert(n);
	pthread_mutex_unlock(&nodes_lock);
	return n;
}

int
node_restore_lost(uint32_t index, uint32_t gen, uint64_t nlookup, mode_t type,
    uint32_t max_index)
{
	struct wnode	*n;
	int		 error;

	if ((error = mem_budget_take(MEM_FD_OBJECT)) != 0)
		return error;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("node");
	n->fd = -1;
	n->mount_fd = -1;
	n->lost = 1;
	n->type = type;
	pthread_mutex_lock(&nodes_lock);
	if (idtable_restore(&node_ids, index, gen, n, max_index) == -1) {
		pthread_mutex_unlock(&nodes_lock);
		node_free(n);
		return EEXIST;
	}
	n->index = index;
	n->gen = gen;
	n->nlookup = nlookup;
	n->attached = 1;
	pthread_mutex_unlock(&nodes_lock);
	return 0;
}

void
nodes_raise_floor(uint32_t floor)
{
	pthread_mutex_lock(&nodes_lock);
	idtable_set_floor(&node_ids, floor);
	pthread_mutex_unlock(&nodes_lock);
}

uint32_t
nodes_gen_next(void)
{
	struct wnode	*n;
	uint32_t	 i, next;

	pthread_mutex_lock(&nodes_lock);
	next = node_ids.floor;
	for (i = ROOT_INDEX + 1; i < idtable_end(&node_ids); i++)
		if ((n = idtable_at(&node_ids, i)) != NULL && n->gen >= next)
			next = n->gen == UINT32_MAX ? n->gen : n->gen + 1;
	pthread_mutex_unlock(&nodes_lock);
	return next;
}

size_t
nodes_save(struct node_saved **out)
{
	struct node_saved	*v = NULL;
	struct wnode		*n;
	size_t			 nv = 0, cap = 0;
	uint32_t		 i;

	pthread_mutex_lock(&nodes_lock);
	for (i = ROOT_INDEX + 1; i < idtable_end(&node_ids); i++) {
		if ((n = idtable_at(&node_ids, i)) == NULL || n->nlookup == 0)
			continue;
		if (nv == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((v = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("node snapshot");
		}
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].index = n->index;
		v[nv].gen = n->gen;
		v[nv].nlookup = n->nlookup;
		v[nv].dev = n->dev;
		v[nv].ino = n->ino;
		v[nv].type = n->type;
		v[nv].lost = n->lost;
		if (n->name != NULL) {
			v[nv].parent_index = n->parent_index;
			v[nv].parent_gen = n->parent_gen;
			(void)strlcpy(v[nv].name, n->name, sizeof(v[nv].name));
		}
		if (!n->lost) {
			n->refs++;
			v[nv].node = n;
		}
		nv++;
	}
	pthread_mutex_unlock(&nodes_lock);
	*out = v;
	return nv;
}

void
node_ref_lookup(struct wnode *n, struct wnode *parent, const char *name)
{
	pthread_mutex_lock(&nodes_lock);
	if (n->nlookup != UINT64_MAX)
		n->nlookup++;
	node_record(n, parent, name);
	pthread_mutex_unlock(&nodes_lock);
}

void
node_set_name(struct wnode *n, struct wnode *parent, const char *name)
{
	pthread_mutex_lock(&nodes_lock);
	if (n->nlookup > 0)
		node_record(n, parent, name);
	pthread_mutex_unlock(&nodes_lock);
}

void
node_forget(uint64_t nodeid, uint64_t nlookup)
{
	struct wnode	*n, *dead = NULL;

	pthread_mutex_lock(&nodes_lock);
	/* Unknown or stale ids are ignored: FORGET has no reply to carry an error. */
	if ((n = idtable_find(&node_ids, nodeid, NULL)) != NULL) {
		n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
		node_record(n, NULL, NULL);
		dead = node_maybe_drop(n);
	}
	pthread_mutex_unlock(&nodes_lock);
	if (dead != NULL)
		node_free(dead);
}

void
nodes_reset(void)
{
	struct wnode	*n, *dead = NULL;
	uint32_t	 i;

	pthread_mutex_lock(&nodes_lock);
	root->nlookup = 0;
	for (i = ROOT_INDEX + 1; i < idtable_end(&node_ids); i++) {
		if ((n = idtable_at(&node_ids, i)) == NULL)
			continue;
		n->nlookup = 0;
		node_detach(n);
		/* Nodes still used by requests in flight go at their last node_put(). */
		if (n->refs == 0) {
			n->hnext = dead;
			dead = n;
		}
	}
	pthread_mutex_unlock(&nodes_lock);
	while ((n = dead) != NULL) {
		dead = n->hnext;
		node_free(n);
	}
}

int
node_fd(const struct wnode *n)
{
	if (n->fh == NULL)
		return n->fd;
	return node_handle_fd(n, n->fh, n->mount_fd);
}

mode_t
node_type(const struct wnode *n)
{
	return n->type;
}

uint64_t
node_id(const struct wnode *n)
{
	return (uint64_t)n->gen << 32 | n->index;
}

uint64_t
node_generation(const struct wnode *n)
{
	return n->gen;
}

uint64_t
node_mnt_id(const struct wnode *n)
{
	return n->mnt_id;
}

uint64_t
node_dev(const struct wnode *n)
{
	return n->dev;
}

int
node_is_root(const struct wnode *n)
{
	return n == root;
}

int
node_getattr(struct wnode *n, struct msg_attr *out)
{
	struct statx stx;

	if (statx(node_fd(n), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
	    &stx) == -1)
		return errno;
	statx_to_attr(&stx, out);
	return 0;
}
