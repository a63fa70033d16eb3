/*
 * A migration's source side (layout: migrate.h): the node ids and handles the guest
 * holds, each node with how to find it again on the destination (parent id and one name
 * component; its file handle too in file-handles mode or with --migration-verify-handles),
 * each handle with the flags to open it again, and the session, written whole into the
 * VMM's pipe. The device is stopped: no request runs meanwhile.
 *
 * --migration-confirm-paths: before sending, each node's name is looked up again under
 * its parent; one that no longer leads to the same file (renamed or removed on the host
 * behind the guest's back) is sent as lost, for the destination's --migration-on-error.
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
#include "msg_reader.h"
#include "worker.h"
#include "migrate.h"

#define ROOT_INDEX	1

struct save {
	struct node_saved	*nodes;
	size_t			 nnodes;
	uint32_t		 unconfirmed;
};

/* The node's name under its parent still leads to it. */
static int
confirm_one(const struct node_saved *s)
{
	struct statx	 stx;
	struct wnode	*parent;
	uint64_t	 pid = (uint64_t)s->parent_gen << 32 | s->parent_index;
	int		 fd, err, ok;

	if ((parent = node_get(pid, &err)) == NULL)
		return 0;
	err = node_open_name(parent, s->name, &fd, &stx);
	node_tmpfds_release();
	node_put(parent);
	if (err != 0)
		return 0;
	ok = makedev(stx.stx_dev_major, stx.stx_dev_minor) == s->dev &&
	    stx.stx_ino == s->ino;
	fd_budget_close(fd);
	return ok;
}

/* As the guest's root, who looked each name up (wstate_rebuild.c does the same). */
static void *
confirm_thread(void *arg)
{
	struct save	*sv = arg;
	size_t		 i;

	if (creds_enter(0, 0) != 0)
		log_warnx("migration: the guest's root is not mapped, confirming as nobody");
	for (i = 0; i < sv->nnodes; i++) {
		if (sv->nodes[i].lost || sv->nodes[i].name[0] == '\0')
			continue;
		if (!confirm_one(&sv->nodes[i])) {
			sv->nodes[i].lost = 1;
			sv->unconfirmed++;
		}
	}
	return NULL;
}

static void
confirm_paths(struct save *sv)
{
	pthread_t	t;
	int		error;

	if ((error = pthread_create(&t, NULL, confirm_thread, sv)) != 0 ||
	    (error = pthread_join(t, NULL)) != 0) {
		errno = error;
		fatal("migration: confirm thread");
	}
	if (sv->unconfirmed > 0)
		log_warnx("migration: %u nodes no longer found by their names, sent as lost",
		    sv->unconfirmed);
}

/* The node's file handle into w (u32 length, u32 type, bytes), or length 0. */
static void
put_handle(struct msg_writer *w, const struct node_saved *s)
{
	struct {
		struct file_handle	fh;
		unsigned char		bytes[MIG_MAX_FH];
	} h;
	uint32_t	len = 0, type;
	int		mnt;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MIG_MAX_FH;
	if (s->node != NULL && name_to_handle_at(node_fd(s->node), "", &h.fh, &mnt,
	    AT_EMPTY_PATH) == 0 && h.fh.handle_bytes <= MIG_MAX_FH)
		len = h.fh.handle_bytes;
	node_tmpfds_release();
	if (len == 0) {
		msg_put(w, &len, sizeof(len));
		return;
	}
	type = (uint32_t)h.fh.handle_type;
	len += sizeof(type);
	msg_put(w, &len, sizeof(len));
	msg_put(w, &type, sizeof(type));
	msg_put(w, h.fh.f_handle, h.fh.handle_bytes);
}

static void
put_nodes(struct msg_writer *w, const struct save *sv, int with_handles)
{
	const struct node_saved	*s;
	struct mig_node		 m;
	size_t			 i;
	uint32_t		 zero = 0;

	for (i = 0; i < sv->nnodes; i++) {
		s = &sv->nodes[i];
		memset(&m, 0, sizeof(m));
		m.index = s->index;
		m.gen = s->gen;
		m.nlookup = s->nlookup;
		m.dev = s->dev;
		m.ino = s->ino;
		m.type = s->type;
		m.parent_index = s->parent_index;
		m.parent_gen = s->parent_gen;
		m.flags = s->lost || s->name[0] == '\0' ? MIG_NODE_LOST : 0;
		msg_put(w, &m, sizeof(m));
		msg_put_str(w, s->name);
		if (with_handles)
			put_handle(w, s);
		else
			msg_put(w, &zero, sizeof(zero));
	}
}

static void
put_handles(struct msg_writer *w, const struct handle_saved *hs, size_t n)
{
	struct mig_handle	m;
	size_t			i;

	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.index = hs[i].index;
		m.gen = hs[i].gen;
		m.nodeid = hs[i].nodeid;
		m.flags = hs[i].flags;
		m.is_dir = hs[i].is_dir;
		msg_put(w, &m, sizeof(m));
	}
}

static int
write_full(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;
	int	fl;

	/* A non-blocking pipe from the VMM: we wait for its reader instead of spinning. */
	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
migrate_save(int fd, const struct msg_fuse_state *fuse)
{
	struct save		 sv;
	struct handle_saved	*hs;
	struct msg_writer	 w;
	struct mig_header	 h;
	size_t			 nh, i;
	int			 with_handles, error;

	memset(&sv, 0, sizeof(sv));
	with_handles = wk_config.migration_mode == MIGRATION_FILE_HANDLES ||
	    (wk_config.migration_flags & MIGRATION_VERIFY_HANDLES);
	sv.nnodes = nodes_save(&sv.nodes);
	nh = handles_save(&hs);
	if (wk_config.migration_flags & MIGRATION_CONFIRM_PATHS)
		confirm_paths(&sv);

	memset(&h, 0, sizeof(h));
	h.magic = MIG_MAGIC;
	h.version = MIG_VERSION;
	h.header_size = sizeof(h);
	h.mode = wk_config.migration_mode;
	h.flags = with_handles ? MIG_F_FILE_HANDLES : 0;
	h.session_active = fuse->ready ? 1 : 0;
	h.session_flags = wk_session_flags;
	h.node_gen_next = nodes_gen_next();
	h.handle_gen_next = handles_gen_next();
	h.nnodes = (uint32_t)sv.nnodes;
	h.nhandles = (uint32_t)nh;
	h.fuse = *fuse;

	msg_writer_init(&w);
	msg_put(&w, &h, sizeof(h));
	put_nodes(&w, &sv, with_handles);
	put_handles(&w, hs, nh);
	if (sv.nnodes > MIG_MAX_NODES || nh > MIG_MAX_HANDLES || w.len > MIG_MAX_BYTES) {
		log_warnx("migration: %zu nodes, %zu handles, %zu bytes: more than a "
		    "destination takes", sv.nnodes, nh, w.len);
		error = EFBIG;
	} else {
		h.total_size = w.len;
		memcpy(w.buf + offsetof(struct mig_header, total_size), &h.total_size,
		    sizeof(h.total_size));
		error = write_full(fd, w.buf, w.len);
		if (error == 0)
			log_info("migration: sent %zu nodes, %zu handles (%zu bytes)",
			    sv.nnodes, nh, w.len);
		else
			log_warnx("migration: writing the state: %s", strerror(error));
	}
	msg_writer_free(&w);
	for (i = 0; i < sv.nnodes; i++)
		node_put(sv.nodes[i].node);
	free(sv.nodes);
	free(hs);
	return error;
}
