/*
 * RELEASE and RELEASEDIR: the handle leaves the table now (a second release is EBADF);
 * its fd closes when requests still using it are done.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

static void
release(struct wreq *req, int is_dir)
{
	struct msg_reader	 r;
	struct msg_release	 rel;
	struct whandle		*h;
	int			 error = EINVAL;

	if (ops_begin(req, &r, &rel, sizeof(rel)) != 0 || msg_end(&r) == -1 ||
	    (h = handle_get(rel.fh, &error)) == NULL) {
		/* A migration's handle on a lost node (EIO) has nothing to release but itself. */
		if (error == EIO)
			error = handle_release(rel.fh);
		reply_status(req, error);
		return;
	}
	/* A file handle is not released as a directory, nor the other way round. */
	if (handle_is_dir(h) != is_dir) {
		handle_put(h);
		reply_status(req, EBADF);
		return;
	}
	/* flock locks with RELEASE_FLOCK_UNLOCK, and the owner's POSIX locks (ops_lock.c) */
	if (!is_dir) {
		locks_release(h, rel.lock_owner, rel.flags);
		/* What was mapped through the handle was granted by its open mode. */
		dax_table_release_fh(rel.fh);
	}
	handle_put(h);
	error = handle_release(rel.fh);
	/* OFD locks taken through it (after: no SETLK finds the handle any more) */
	if (!is_dir && error == 0)
		locks_release_fh(rel.fh);
	reply_status(req, error);
}

void
op_release(struct wreq *req)
{
	release(req, 0);
}

void
op_releasedir(struct wreq *req)
{
	release(req, 1);
}
