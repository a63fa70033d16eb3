/*
 * Names to nodes, and nodes to open files. A guest name is only ever one component under an
 * O_PATH directory fd, with no symlink following (doc/security.md, invariant 2): it is checked
 * again here although the frontend checked it, and "..", the one way up, stops at the
 * export root whatever the sandbox mode.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <linux/fs.h>

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "names.h"
#include "worker.h"

#define LOOKUP_STATX_FLAGS	(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)
#define LOOKUP_STATX_MASK	(STATX_BASIC_STATS | STATX_MNT_ID)

static uint64_t
stx_mnt_id(const struct statx *stx)
{
	return (stx->stx_mask & STATX_MNT_ID) ? stx->stx_mnt_id : 0;
}

int
node_open_name(struct wnode *parent, const char *name, int *fd, struct statx *stx)
{
	int error;

	if ((error = fd_budget_openat(node_fd(parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
	    0, fd)) != 0)
		return error;
	/* The identity is taken from what was opened, not from the name. */
	if (statx(*fd, "", AT_EMPTY_PATH | LOOKUP_STATX_FLAGS, LOOKUP_STATX_MASK, stx) == -1) {
		error = errno;
		fd_budget_close(*fd);
		return error;
	}
	return 0;
}

/* Open name under parent as a new O_PATH fd and make (or find) its node. */
static int
lookup_open(struct wnode *parent, const char *name, struct wnode **out,
    struct statx *stx)
{
	int fd, error;

	if ((error = node_open_name(parent, name, &fd, stx)) != 0)
		return error;
	/* NULL: --inode-file-handles=mandatory and this file system has none. */
	if ((*out = node_insert(fd, stx)) == NULL)
		return EOPNOTSUPP;
	return 0;
}

/* The node for name under parent, with a reference; attributes in *stx. */
static int
lookup_node(struct wnode *parent, const char *name, struct wnode **out,
    struct statx *stx)
{
	struct wnode *n;

	if (strcmp(name, ".") == 0 || (strcmp(name, "..") == 0 && node_is_root(parent))) {
		/* ".." of the export root is the root: never climb out. */
		node_hold(parent);
		*out = parent;
		if (statx(node_fd(parent), "", AT_EMPTY_PATH | LOOKUP_STATX_FLAGS,
		    LOOKUP_STATX_MASK, stx) == -1) {
			node_put(parent);
			return errno;
		}
		return 0;
	}
	if (strcmp(name, "..") == 0)
		return lookup_open(parent, name, out, stx);
	/* Known identity: no new fd needed. */
	if (statx(node_fd(parent), name, LOOKUP_STATX_FLAGS, LOOKUP_STATX_MASK, stx) == -1)
		return errno;
	n = node_find(makedev(stx->stx_dev_major, stx->stx_dev_minor), stx->stx_ino,
	    stx_mnt_id(stx));
	if (n != NULL) {
		*out = n;
		return 0;
	}
	return lookup_open(parent, name, out, stx);
}

void
node_dax_mark(struct wnode *n, struct msg_attr *attr)
{
	int fd, flags = 0;

	if (wk_config.dax != DAX_INODE || !(wk_session_flags & SESSION_INODE_DAX) ||
	    !S_ISREG(node_type(n)))
		return;
	if ((fd = node_open(n, O_RDONLY | O_NONBLOCK)) < 0)
		return;		/* the caller could not map it either */
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_DAX_FL))
		attr->flags |= ATTR_DAX;
	fd_budget_close(fd);
}

int
node_lookup(struct wnode *parent, const char *name, struct msg_entry *out)
{
	struct statx	 stx;
	struct wnode	*n = NULL;	/* gcc -O2 cannot see that errno is never 0 here */
	int		 error;

	explicit_bzero(out, sizeof(*out));
	if ((error = name_check(name, strlen(name), NAME_OK_DOTS)) != 0)
		return error;
	if (!S_ISDIR(node_type(parent)))
		return ENOTDIR;
	if ((error = lookup_node(parent, name, &n, &stx)) != 0)
		return error;
	out->nodeid = node_id(n);
	out->generation = node_generation(n);
	statx_to_attr(&stx, &out->attr);
	if ((wk_config.flags & CONFIG_ANNOUNCE_SUBMOUNTS) && strcmp(name, "..") != 0 &&
	    n != parent && S_ISDIR(node_type(n)) && node_mnt_id(n) != node_mnt_id(parent))
		out->attr.flags |= ATTR_SUBMOUNT;
	node_dax_mark(n, &out->attr);
	node_ref_lookup(n, parent, name);
	node_put(n);
	return 0;
}

/*
 * The node of an inode known by an open fd only (O_TMPFILE): an O_PATH reopen through
 * /proc/self/fd becomes the node's own fd; the caller keeps fd.
 */
int
node_lookup_fd(int fd, struct msg_entry *out)
{
	struct statx	 stx;
	struct wnode	*n;
	char		 name[16];
	int		 pfd, error;

	explicit_bzero(out, sizeof(*out));
	if (wk_proc_self_fd == -1 || fd < 0)
		return EBADF;
	(void)snprintf(name, sizeof(name), "%d", fd);
	if ((error = fd_budget_openat(wk_proc_self_fd, name, O_PATH | O_CLOEXEC, 0, &pfd)) != 0)
		return error;
	if (statx(pfd, "", AT_EMPTY_PATH | LOOKUP_STATX_FLAGS, LOOKUP_STATX_MASK, &stx) == -1) {
		error = errno;
		fd_budget_close(pfd);
		return error;
	}
	n = node_insert(pfd, &stx);	/* an existing node for it wins; pfd is closed */
	if (n == NULL)
		return EOPNOTSUPP;
	out->nodeid = node_id(n);
	out->generation = node_generation(n);
	statx_to_attr(&stx, &out->attr);
	node_ref_lookup(n, NULL, NULL);
	node_put(n);
	return 0;
}

void
node_renamed(struct wnode *parent, const char *name)
{
	struct statx	 stx;
	struct wnode	*n;

	if (!wstate_enabled() ||
	    statx(node_fd(parent), name, LOOKUP_STATX_FLAGS, LOOKUP_STATX_MASK, &stx) == -1)
		return;
	n = node_find(makedev(stx.stx_dev_major, stx.stx_dev_minor), stx.stx_ino,
	    stx_mnt_id(&stx));
	if (n == NULL)
		return;		/* a node nobody looked up: nothing to keep */
	node_set_name(n, parent, name);
	node_put(n);
}

int
node_open(struct wnode *n, int flags)
{
	char		name[16];
	struct stat	st;
	int		fd, error, acc = flags & O_ACCMODE;

	if (S_ISLNK(node_type(n)))
		return -ELOOP;
	/* Devices, FIFOs, sockets: never opened (virtiofsd answers EBADF too). */
	if (!S_ISREG(node_type(n)) && !S_ISDIR(node_type(n)))
		return -EBADF;
	if ((flags & (O_CREAT | O_PATH)) || (flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	if ((wk_config.flags & CONFIG_READONLY) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	if (wk_proc_self_fd == -1) {
		log_warnx("cannot reopen files: /proc/self/fd is not available");
		return -EACCES;
	}
	/* The magic link must be followed: O_NOFOLLOW would refuse every reopen. */
	flags = (flags & ~O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY;
	(void)snprintf(name, sizeof(name), "%d", node_fd(n));
	if ((error = fd_budget_openat(wk_proc_self_fd, name, flags, 0, &fd)) != 0)
		return -error;
	if (fstat(fd, &st) == -1 || (st.st_mode & S_IFMT) != node_type(n)) {
		fd_budget_close(fd);
		return -EBADF;
	}
	return fd;
}
