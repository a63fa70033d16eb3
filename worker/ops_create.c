/*
 * Operations that make a new directory entry: CREATE, TMPFILE, MKNOD, MKDIR, SYMLINK.
 * Each is one *at() call under the parent's O_PATH fd; a file is created O_EXCL (the
 * guest checked existence already, a racing host file is EEXIST) and never opened unless
 * it is a regular file we just made.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "worker.h"

struct newnode {
	struct msg_newnode	 nn;
	char			 name[NAME_MAX + 1];
	char			 target[PATH_MAX];
	char			 ctxname[XATTR_NAME_MAX + 1];
	const uint8_t		*ctxval;
	uint32_t		 ctxlen;
};

#define NN_NAME		0x1
#define NN_TARGET	0x2

static int
newnode_parse(struct wreq *req, struct newnode *n, int what)
{
	struct msg_reader	r;
	int			err;

	memset(n, 0, sizeof(*n));
	if (ops_begin(req, &r, &n->nn, sizeof(n->nn)) != 0)
		return EINVAL;
	if ((what & NN_NAME) && (err = ops_get_name(&r, n->name)) != 0)
		return err;
	if (what & NN_TARGET) {
		if (msg_get_str(&r, n->target, sizeof(n->target)) == -1)
			return EINVAL;
		if ((err = link_target_check(n->target, strlen(n->target))) != 0)
			return err;
	}
	if (n->nn.flags & NEWNODE_SECCTX) {
		if (msg_get_str(&r, n->ctxname, sizeof(n->ctxname)) == -1 ||
		    msg_get_bytes(&r, &n->ctxval, &n->ctxlen, MSG_MAX_XATTR) == -1)
			return EINVAL;
		if ((err = xattr_name_check(n->ctxname, strlen(n->ctxname))) != 0)
			return err;
	}
	if (msg_end(&r) == -1)
		return EINVAL;
	return 0;
}

/*
 * The guest's security context for the new entry (SECURITY_CTX), only when the export
 * carries security labels; otherwise the frontend never negotiated it and we ignore it.
 * On failure the entry goes again, so the guest never sees an unlabelled object.
 */
static int
newnode_label(int parent_fd, const struct newnode *n, int isdir)
{
	int	fd, err;

	if ((n->nn.flags & NEWNODE_SECCTX) == 0 ||
	    (wk_config.flags & CONFIG_SECURITY_LABEL) == 0)
		return 0;
	err = fd_budget_openat(parent_fd, n->name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, &fd);
	if (err != 0)
		goto undo;
	err = ops_xattr_label(fd, n->ctxname, n->ctxval, n->ctxlen);
	fd_budget_close(fd);
	if (err == 0)
		return 0;
 undo:
	if (unlinkat(parent_fd, n->name, isdir ? AT_REMOVEDIR : 0) == -1)
		log_warn("removing unlabelled %s", n->name);
	return err;
}

/*
 * Parse a node-making request and find its parent (with a reference); NULL when req has
 * been answered.
 */
static struct wnode *
newnode_begin(struct wreq *req, struct newnode *n, int what)
{
	int	err;

	if ((err = newnode_parse(req, n, what)) != 0) {
		reply_status(req, err);
		return NULL;
	}
	if (ops_readonly(req))
		return NULL;
	return ops_node(req, req->hdr.nodeid);
}

/*
 * The end of MKNOD, MKDIR and SYMLINK (err: the call's errno, 0 when it made the name):
 * the entry reply for the new name under parent, whose reference goes.
 */
static void
newnode_reply(struct wreq *req, struct wnode *parent, const struct newnode *n, int isdir,
    int err)
{
	struct msg_entry	e;

	if (err == 0 && (err = newnode_label(node_fd(parent), n, isdir)) == 0) {
		explicit_bzero(&e, sizeof(e));
		err = node_lookup(parent, n->name, &e);
	}
	node_put(parent);
	if (err != 0)
		reply_status(req, err);
	else
		reply_entry(req, &e);
}

/* O_* flags a new regular file may be opened with. */
static int
create_flags(uint32_t guest)
{
	int	fl;

	fl = guest & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_DIRECT | O_NOATIME |
	    O_LARGEFILE | O_NONBLOCK);
	if ((wk_config.flags & CONFIG_ALLOW_DIRECT_IO) == 0)
		fl &= ~O_DIRECT;
	if (wk_session_flags & SESSION_WRITEBACK) {
		/* The guest page cache reads back what it writes and appends itself. */
		if ((fl & O_ACCMODE) == O_WRONLY)
			fl = (fl & ~O_ACCMODE) | O_RDWR;
		fl &= ~O_APPEND;
	}
	return fl | O_NOFOLLOW | O_CLOEXEC;
}

/* A handle for fd and the entry e of its node; answers req. */
static void
reply_new_handle(struct wreq *req, const struct msg_entry *e, int fd)
{
	struct wnode	*node;
	uint64_t	 fh;
	int		 err = EBADF;

	if ((node = node_get(e->nodeid, &err)) == NULL) {
		fd_budget_close(fd);
		node_forget(e->nodeid, 1);
		reply_status(req, err);
		return;
	}
	fh = handle_new(node, fd, 0);
	node_put(node);
	reply_create(req, e, fh);
}

/*
 * The end of CREATE and TMPFILE: drops the parent; err 0: answers with a handle for fd
 * and entry e; otherwise answers err, and closes fd when the open had worked (fd >= 0).
 */
static void
created_reply(struct wreq *req, struct wnode *parent, const struct msg_entry *e, int fd,
    int err)
{
	node_put(parent);
	if (err == 0) {
		reply_new_handle(req, e, fd);
		return;
	}
	if (fd >= 0)
		fd_budget_close(fd);
	reply_status(req, err);
}

void
op_create(struct wreq *req)
{
	struct newnode		 n;
	struct msg_entry	 e;
	struct wnode		*parent;
	mode_t			 mode;
	int			 fd = -1, err;

	if ((parent = newnode_begin(req, &n, NN_NAME)) == NULL)
		return;
	mode = ops_create_mode(n.nn.mode, n.nn.umask);
	err = fd_budget_openat(node_fd(parent), n.name, create_flags(n.nn.open_flags) |
	    O_CREAT | O_EXCL, mode, &fd);
	if (err == 0 && (err = newnode_label(node_fd(parent), &n, 0)) == 0) {
		explicit_bzero(&e, sizeof(e));
		err = node_lookup(parent, n.name, &e);
	}
	created_reply(req, parent, &e, fd, err);
}

void
op_tmpfile(struct wreq *req)
{
	struct newnode		 n;
	struct msg_entry	 e;
	struct wnode		*parent;
	mode_t			 mode;
	int			 fd = -1, fl, err;

	if ((parent = newnode_begin(req, &n, 0)) == NULL)
		return;
	/* O_EXCL with O_TMPFILE: the file may never be linked in, as locally. */
	fl = create_flags(n.nn.open_flags) | (n.nn.open_flags & O_EXCL);
	mode = ops_create_mode(n.nn.mode, n.nn.umask);
	err = fd_budget_openat(node_fd(parent), ".", fl | O_TMPFILE, mode, &fd);
	if (err == 0) {
		explicit_bzero(&e, sizeof(e));
		err = node_lookup_fd(fd, &e);
	}
	created_reply(req, parent, &e, fd, err);
}

void
op_mknod(struct wreq *req)
{
	struct newnode	 n;
	struct wnode	*parent;
	mode_t		 type;
	int		 err;

	if ((err = newnode_parse(req, &n, NN_NAME)) != 0) {
		reply_status(req, err);
		return;
	}
	if (ops_readonly(req))
		return;
	type = n.nn.mode & S_IFMT;
	/* The worker holds CAP_MKNOD for everyone; locally only a privileged caller may. */
	if ((S_ISCHR(type) || S_ISBLK(type)) && !ops_caller_root(req)) {
		reply_status(req, EPERM);
		return;
	}
	if ((parent = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	err = mknodat(node_fd(parent), n.name,
	    type | ops_create_mode(n.nn.mode, n.nn.umask), n.nn.rdev) == -1 ? errno : 0;
	newnode_reply(req, parent, &n, 0, err);
}

void
op_mkdir(struct wreq *req)
{
	struct newnode	 n;
	struct wnode	*parent;
	int		 err;

	if ((parent = newnode_begin(req, &n, NN_NAME)) == NULL)
		return;
	err = mkdirat(node_fd(parent), n.name,
	    ops_create_mode(n.nn.mode, n.nn.umask)) == -1 ? errno : 0;
	newnode_reply(req, parent, &n, 1, err);
}

void
op_symlink(struct wreq *req)
{
	struct newnode	 n;
	struct wnode	*parent;
	int		 err;

	if ((parent = newnode_begin(req, &n, NN_NAME | NN_TARGET)) == NULL)
		return;
	err = symlinkat(n.target, node_fd(parent), n.name) == -1 ? errno : 0;
	newnode_reply(req, parent, &n, 0, err);
}
