/*
 * A migration's destination side (layout: migrate.h): the stream the VMM passes on is
 * read whole (bounded by its header's size, which must be exact), every record copied
 * out and checked, then the nodes are found again by the restart's rebuild engine
 * (wstate_rebuild.c): parents first, one checked component at a time under O_PATH
 * directory fds, never following a symlink, so nothing outside the export is reached
 * whatever the stream says. Handles are opened again on their nodes with their flags.
 *
 * A node that cannot be found again fails the load (the VMM then keeps the guest on the
 * source), or with --migration-on-error=guest-error stays at its id and answers EIO.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "worker.h"
#include "wstate.h"
#include "migrate.h"

#define ROOT_INDEX	1

#define SESSION_KNOWN	(SESSION_WRITEBACK | SESSION_KILLPRIV_V2 | SESSION_POSIX_ACL | \
	SESSION_SECURITY_CTX | SESSION_SUBMOUNTS | SESSION_DONT_MASK | \
	SESSION_HANDLE_KILLPRIV | SESSION_INODE_DAX)

/* A node record as it came; name and fh point into the stream's buffer. */
struct load_node {
	struct mig_node		 m;
	const uint8_t		*name;
	uint32_t		 name_len;
	uint32_t		 fh_len;	/* 0: no handle */
	uint32_t		 fh_type;
	const uint8_t		*fh;
};

struct load {
	struct mig_header	 h;
	int			 mount_fd;	/* file-handles: the export, opened to read */
	struct statx		 root;
	struct load_node	*nodes;		/* as they came */
	uint32_t		*pos;		/* index -> position + 1; 0: none */
	uint32_t		 end;		/* highest index + 1 */
	struct mig_handle	*handles;
	uint8_t			*done;
	uint32_t		 lost, handles_lost;
	int			 error;
};

/* Exactly len bytes, or an error: EIO at an early end. */
static int
read_full(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLIN };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The stream, whole: header checked, then exactly total_size bytes and the end. */
static int
read_stream(int fd, struct load *ld, uint8_t **buf, size_t *len)
{
	struct mig_header	*h = &ld->h;
	uint8_t			 extra;
	int			 error;

	if ((error = read_full(fd, (uint8_t *)h, sizeof(*h))) != 0) {
		log_warnx("migration: state stream %s", error == EIO ?
		    "shorter than a header" : strerror(error));
		return error == EIO ? EPROTO : error;
	}
	if (h->magic != MIG_MAGIC || h->version != MIG_VERSION ||
	    h->header_size != sizeof(*h)) {
		log_warnx("migration: not a version %u privfsd state stream", MIG_VERSION);
		return EPROTO;
	}
	if (h->total_size < sizeof(*h) || h->total_size > MIG_MAX_BYTES ||
	    h->nnodes > MIG_MAX_NODES || h->nhandles > MIG_MAX_HANDLES ||
	    h->node_gen_next > WSTATE_GEN_FLOOR_MAX ||
	    h->handle_gen_next > WSTATE_GEN_FLOOR_MAX ||
	    h->mode > MIGRATION_FILE_HANDLES || (h->flags & ~MIG_F_FILE_HANDLES) ||
	    h->session_active > 1 || (h->session_flags & ~SESSION_KNOWN)) {
		log_warnx("migration: state stream header out of range");
		return EPROTO;
	}
	*len = h->total_size - sizeof(*h);
	if ((*buf = malloc(*len > 0 ? *len : 1)) == NULL)
		return ENOMEM;
	if ((error = read_full(fd, *buf, *len)) != 0 ||
	    (error = read_full(fd, &extra, 1)) != EIO) {
		log_warnx("migration: state stream %s", error == 0 ?
		    "longer than its header says" : "shorter than its header says");
		return EPROTO;
	}
	return 0;
}

/* One node record, copied out and checked; pos[] refuses a second one for an index. */
static int
get_node(struct msg_reader *r, struct load *ld, uint32_t k)
{
	struct load_node	*n = &ld->nodes[k];
	struct mig_node		 m;
	const uint8_t		*name, *fh;
	uint32_t		 name_len, fh_len;

	if (msg_get(r, &m, sizeof(m)) == -1 ||
	    msg_get_bytes(r, &name, &name_len, NAME_MAX) == -1 ||
	    msg_get_bytes(r, &fh, &fh_len, sizeof(uint32_t) + MIG_MAX_FH) == -1)
		return -1;
	if (m.index <= ROOT_INDEX || m.index >= MIG_MAX_INDEX ||
	    m.gen >= ld->h.node_gen_next || m.nlookup == 0 ||
	    (m.flags & ~MIG_NODE_LOST) || ld->pos[m.index] != 0)
		return -1;
	if (m.parent_index == 0 || m.parent_index >= MIG_MAX_INDEX)
		return -1;
	/* A name is one component: no NUL in it (name_check sees the rest). */
	if (memchr(name, '\0', name_len) != NULL ||
	    (fh_len != 0 && fh_len <= sizeof(uint32_t)))
		return -1;
	ld->pos[m.index] = k + 1;
	if (m.index >= ld->end)
		ld->end = m.index + 1;
	memset(n, 0, sizeof(*n));
	n->m = m;
	n->name = name;
	n->name_len = name_len;
	if (fh_len != 0) {
		memcpy(&n->fh_type, fh, sizeof(n->fh_type));
		n->fh_len = fh_len - sizeof(uint32_t);
		n->fh = fh + sizeof(uint32_t);
	}
	return 0;
}

static int
parse(struct load *ld, const uint8_t *buf, size_t len)
{
	struct msg_reader	r;
	uint32_t		k;

	/* Each record takes bytes of the stream: a count beyond them is a lie. */
	if ((uint64_t)ld->h.nnodes * (sizeof(struct mig_node) + 8) +
	    (uint64_t)ld->h.nhandles * sizeof(struct mig_handle) > len) {
		log_warnx("migration: state stream too short for its record counts");
		return EPROTO;
	}
	if ((ld->nodes = calloc(ld->h.nnodes + 1, sizeof(*ld->nodes))) == NULL ||
	    (ld->pos = calloc(MIG_MAX_INDEX, sizeof(*ld->pos))) == NULL ||
	    (ld->handles = calloc(ld->h.nhandles + 1, sizeof(*ld->handles))) == NULL)
		return ENOMEM;
	ld->end = ROOT_INDEX + 1;
	msg_reader_init(&r, buf, len);
	for (k = 0; k < ld->h.nnodes; k++) {
		if (get_node(&r, ld, k) == -1) {
			log_warnx("migration: node record %u of the stream refused", k);
			return EPROTO;
		}
	}
	for (k = 0; k < ld->h.nhandles; k++) {
		if (msg_get(&r, &ld->handles[k], sizeof(ld->handles[k])) == -1) {
			log_warnx("migration: handle record %u of the stream refused", k);
			return EPROTO;
		}
	}
	if (msg_end(&r) == -1) {
		log_warnx("migration: state stream has trailing bytes");
		return EPROTO;
	}
	if ((ld->done = calloc(ld->end, 1)) == NULL)
		return ENOMEM;
	return 0;
}

/* The rebuild's source: a copy of the record for index, if one came and is not lost. */
static int
source_get(void *arg, uint32_t i, struct wstate_node *out)
{
	const struct load	*ld = arg;
	const struct load_node	*n;

	if (i >= ld->end || ld->pos[i] == 0)
		return -1;
	n = &ld->nodes[ld->pos[i] - 1];
	if (n->m.flags & MIG_NODE_LOST)
		return -1;
	memset(out, 0, sizeof(*out));
	out->gen = n->m.gen;
	out->nlookup = n->m.nlookup;
	out->dev = n->m.dev;
	out->ino = n->m.ino;
	out->type = n->m.type;
	out->parent_index = n->m.parent_index;
	out->parent_gen = n->m.parent_gen;
	out->name_len = n->name_len;
	memcpy(out->name, n->name, n->name_len);
	return 0;
}

/* --migration-verify-handles: what was found must have the handle the source sent. */
static int
source_check(void *arg, uint32_t i, int fd)
{
	const struct load	*ld = arg;
	const struct load_node	*n = &ld->nodes[ld->pos[i] - 1];
	struct {
		struct file_handle	fh;
		unsigned char		bytes[MIG_MAX_FH];
	} h;
	int			 mnt;

	/* file-handles mode checks what a name found, as --migration-verify-handles. */
	if (!(wk_config.migration_flags & MIGRATION_VERIFY_HANDLES) && ld->mount_fd == -1)
		return 0;
	if (n->fh_len == 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MIG_MAX_FH;
	if (name_to_handle_at(fd, "", &h.fh, &mnt, AT_EMPTY_PATH) == -1)
		return -1;
	return h.fh.handle_bytes == n->fh_len && (uint32_t)h.fh.handle_type == n->fh_type &&
	    memcmp(h.fh.f_handle, n->fh, n->fh_len) == 0 ? 0 : -1;
}

/*
 * file-handles: a directory by its handle, wherever it moved inside the export. What a
 * handle opens may lie anywhere on the file system, so it is kept only when walking ".."
 * from it meets the export's root (within INSIDE_DEPTH steps); at the top of the file
 * system, or of a mount, ".." stays put and the walk ends outside. Other files have no
 * ".." to walk: they are found by name under their (checked) parent.
 */
#define INSIDE_DEPTH	4096

static int
same_inode(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major &&
	    a->stx_dev_minor == b->stx_dev_minor;
}

static int
inside_export(const struct load *ld, int fd)
{
	struct statx	here, above;
	int		cur, up, steps, in = 0;

	if ((cur = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return 0;
	for (steps = 0; steps < INSIDE_DEPTH; steps++) {
		if (statx(cur, "", AT_EMPTY_PATH, STATX_INO, &here) == -1)
			break;
		if (same_inode(&here, &ld->root)) {
			in = 1;
			break;
		}
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (up == -1 || statx(up, "", AT_EMPTY_PATH, STATX_INO, &above) == -1 ||
		    same_inode(&here, &above)) {
			if (up != -1)
				close(up);
			break;		/* a top that is not ours */
		}
		close(cur);
		cur = up;
	}
	close(cur);
	return in;
}

static int
source_find(void *arg, uint32_t i, int *fd, struct statx *stx)
{
	const struct load	*ld = arg;
	const struct load_node	*n = &ld->nodes[ld->pos[i] - 1];
	struct {
		struct file_handle	fh;
		unsigned char		bytes[MIG_MAX_FH];
	} h;
	int			 error;

	if (ld->mount_fd == -1 || n->fh_len == 0 || (n->m.type & S_IFMT) != S_IFDIR)
		return ENOENT;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = n->fh_len;
	h.fh.handle_type = (int)n->fh_type;
	memcpy(h.fh.f_handle, n->fh, n->fh_len);
	if ((error = fd_budget_take()) != 0)
		return error;
	if ((*fd = privop_handle_open(ld->mount_fd, &h.fh)) == -1) {
		fd_budget_give();
		return ENOENT;
	}
	if (statx(*fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
	    STATX_BASIC_STATS | STATX_MNT_ID, stx) == -1 || !S_ISDIR(stx->stx_mode) ||
	    !inside_export(ld, *fd)) {
		fd_budget_close(*fd);
		return ENOENT;
	}
	return 0;
}

/* file-handles mode: the export's root open for reading, as open_by_handle_at wants. */
static void
open_mount(struct load *ld)
{
	struct wnode	*root;
	int		 err, fd;

	ld->mount_fd = -1;
	if (wk_config.migration_mode != MIGRATION_FILE_HANDLES ||
	    !(ld->h.flags & MIG_F_FILE_HANDLES))
		return;
	if ((root = node_get(1, &err)) == NULL)
		return;
	if (statx(node_fd(root), "", AT_EMPTY_PATH, STATX_INO, &ld->root) == 0 &&
	    (fd = node_open(root, O_RDONLY | O_DIRECTORY)) >= 0)
		ld->mount_fd = fd;
	node_tmpfds_release();
	node_put(root);
}

/* Nodes not found again: errors at their ids (guest-error), or the load fails. */
static void
nodes_lost(struct load *ld)
{
	const struct load_node	*n;
	uint32_t		 i;
	int			 guest_error = wk_config.migration_flags & MIGRATION_GUEST_ERROR;

	for (i = ROOT_INDEX + 1; i < ld->end; i++) {
		if (ld->pos[i] == 0 || ld->done[i])
			continue;
		n = &ld->nodes[ld->pos[i] - 1];
		ld->lost++;
		log_warnx("migration: node %u (\"%.*s\" under %u) not found again", i,
		    (int)n->name_len, (const char *)n->name, n->m.parent_index);
		if (!guest_error)
			ld->error = ENOENT;
		else if (node_restore_lost(i, n->m.gen, n->m.nlookup, n->m.type & S_IFMT,
		    MIG_MAX_INDEX) != 0)
			ld->error = ENOMEM;
	}
}

static int
handle_one(const struct mig_handle *m)
{
	struct wnode	*n;
	int		 fd, err, want_dir;

	if (m->index == 0 || m->index >= MIG_MAX_INDEX || m->is_dir > 1 ||
	    (m->flags & ~MIG_HANDLE_FLAGS))
		return EPROTO;
	if ((n = node_get(m->nodeid, &err)) == NULL)
		return err;
	want_dir = S_ISDIR(node_type(n));
	if ((int)m->is_dir != want_dir || (((m->flags & O_DIRECTORY) != 0) != want_dir)) {
		node_put(n);
		return EPROTO;
	}
	fd = node_open(n, (int)m->flags);
	node_tmpfds_release();
	if (fd < 0) {
		node_put(n);
		return -fd;
	}
	err = handle_restore(m->index, m->gen, n, fd, (int)m->is_dir, MIG_MAX_INDEX);
	node_put(n);
	return err == 0 ? 0 : EEXIST;
}

/* As the guest's root, as the nodes were found: a handle is opened as its node was. */
static void *
handles_thread(void *arg)
{
	struct load	*ld = arg;
	uint32_t	 k;
	int		 error;

	if (creds_enter(0, 0) != 0)
		log_warnx("migration: the guest's root is not mapped, opening as nobody");
	for (k = 0; k < ld->h.nhandles; k++) {
		if (ld->handles[k].gen >= ld->h.handle_gen_next) {
			ld->error = EPROTO;
			continue;
		}
		if ((error = handle_one(&ld->handles[k])) == 0)
			continue;
		ld->handles_lost++;
		log_warnx("migration: handle %u of node %llu not opened again: %s",
		    ld->handles[k].index, (unsigned long long)ld->handles[k].nodeid,
		    strerror(error));
		if (error == EPROTO || error == EEXIST)
			ld->error = EPROTO;
		else if (!(wk_config.migration_flags & MIGRATION_GUEST_ERROR))
			ld->error = ENOENT;
		/* guest-error: at its fh, answering EIO as its node does. */
		else if (handle_restore_lost(ld->handles[k].index, ld->handles[k].gen,
		    MIG_MAX_INDEX) == -1)
			ld->error = EPROTO;
	}
	return NULL;
}

static void
restore_handles(struct load *ld)
{
	pthread_t	t;
	int		error;

	if ((error = pthread_create(&t, NULL, handles_thread, ld)) != 0 ||
	    (error = pthread_join(t, NULL)) != 0) {
		errno = error;
		fatal("migration: handles thread");
	}
}

static void
drop_session(void)
{
	dax_table_reset();
	handles_reset();
	locks_reset();
	nodes_reset();
}

static void
rebuild(struct load *ld)
{
	struct rebuild_source	src;
	uint32_t		n;

	memset(&src, 0, sizeof(src));
	src.end = ld->end;
	src.floor = ld->h.node_gen_next;
	/* The destination may be another host with a copy of the tree: names and types. */
	src.same_identity = 0;
	src.get = source_get;
	src.check = source_check;
	src.arg = ld;
	open_mount(ld);
	if (ld->mount_fd != -1)
		src.find = source_find;
	n = rebuild_nodes(&src, ld->done);
	if (ld->mount_fd != -1)
		fd_budget_close(ld->mount_fd);
	nodes_lost(ld);
	if (ld->error == 0)
		restore_handles(ld);
	log_info("migration: %u nodes found again, %u lost, %u of %u handles lost", n,
	    ld->lost, ld->handles_lost, ld->h.nhandles);
}

int
migrate_load(int fd, struct msg_fuse_state *fuse)
{
	struct load	 ld;
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	int		 error;

	memset(&ld, 0, sizeof(ld));
	ld.mount_fd = -1;
	memset(fuse, 0, sizeof(*fuse));
	/* What a guest of this device had before is not the migrated guest's. */
	drop_session();
	if ((error = read_stream(fd, &ld, &buf, &len)) == 0 &&
	    (error = parse(&ld, buf, len)) == 0) {
		if (ld.h.mode != wk_config.migration_mode)
			log_info("migration: the source ran --migration-mode=%s",
			    ld.h.mode == MIGRATION_FILE_HANDLES ? "file-handles" : "find-paths");
		nodes_raise_floor(ld.h.node_gen_next);
		handles_raise_floor(ld.h.handle_gen_next);
		rebuild(&ld);
		error = ld.error;
	}
	if (error == 0) {
		wk_session_flags = ld.h.session_active ? ld.h.session_flags : 0;
		wstate_session(ld.h.session_active, wk_session_flags);
		*fuse = ld.h.fuse;
	} else {
		drop_session();
		wk_session_flags = 0;
		wstate_session(0, 0);
	}
	free(buf);
	free(ld.nodes);
	free(ld.pos);
	free(ld.handles);
	free(ld.done);
	return error;
}
