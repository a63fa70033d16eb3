/*
 * FLUSH, FSYNC, FSYNCDIR, SYNCFS: what the guest wants on stable storage, and the
 * close-time release of an owner's POSIX locks.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"
#include "log.h"

void
op_flush(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_release	 m;
	struct whandle		*h;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((h = ops_handle(req, m.fh)) == NULL)
		return;
	/*
	 * A local close() drops every POSIX lock the owner holds on the inode; ours live
	 * on the owner's lock fd, so that fd goes. (virtiofsd's close(dup(fd)) would drop
	 * every lock of the whole process instead.)
	 */
	locks_drop_owner(handle_node(h), m.lock_owner);
	handle_put(h);
	reply_status(req, 0);
}

static void
fsync_handle(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_fsync	 m;
	struct whandle		*h;
	int			 err = 0;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((h = ops_handle(req, m.fh)) == NULL)
		return;
	if ((m.datasync ? fdatasync(handle_fd(h)) : fsync(handle_fd(h))) == -1)
		err = errno;
	handle_put(h);
	reply_status(req, err);
}

void
op_fsync(struct wreq *req)
{
	fsync_handle(req);
}

void
op_fsyncdir(struct wreq *req)
{
	fsync_handle(req);
}

/*
 * syncfs() refuses O_PATH fds. Anyone may sync(2) locally, also where the caller may not
 * read the export's root, so the worker opens the root for reading once, at start, and
 * syncs through it every node on the root's file system; a node on another (a submount)
 * is opened as the caller, as a local syncfs(2) would need.
 */
static int	sync_fd = -1;
static dev_t	sync_dev;

void
ops_sync_init(int root_fd)
{
	struct stat	st;

	if ((sync_fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(sync_fd, &st) == -1)
		fatal("opening the export root for syncfs");
	sync_dev = st.st_dev;
}

void
op_syncfs(struct wreq *req)
{
	struct msg_reader	 r;
	struct wnode		*node;
	int			 fd, err = 0;

	ops_begin(req, &r, NULL, 0);
	if (msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((node = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if (sync_fd != -1 && node_dev(node) == (uint64_t)sync_dev)
		err = syncfs(sync_fd) == -1 ? errno : 0;
	else if ((fd = node_open(node, O_RDONLY)) < 0)
		err = -fd;
	else {
		if (syncfs(fd) == -1)
			err = errno;
		fd_budget_close(fd);
	}
	node_put(node);
	reply_status(req, err);
}
