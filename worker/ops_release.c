/*
 * RELEASE and RELEASEDIR: the handle leaves the table now (a second release is EBADF);
 * its fd closes when requests still using it are done.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "msg.h"
#include "worker.h"
#include "wcore.h"
#include "ops_util.h"

static void
release(struct wreq *r, int is_dir)
{
	struct msg_release	 rel;
	struct whandle		*h;
	int			 error = 0;

	memcpy(&rel, r->data, sizeof(rel));
	if ((h = handle_get(rel.fh, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	/* A file handle is not released as a directory, nor the other way round. */
	if (handle_is_dir(h) != is_dir) {
		handle_put(h);
		reply_status(r, EBADF);
		return;
	}
	/* flock locks with RELEASE_FLOCK_UNLOCK, and the owner's POSIX locks (ops_lock.c) */
	if (!is_dir)
		locks_release(h, rel.lock_owner, rel.flags);
	handle_put(h);
	error = handle_release(rel.fh);
	/* OFD locks taken through it (after: no SETLK finds the handle any more) */
	if (!is_dir && error == 0)
		locks_release_fh(rel.fh);
	reply_status(r, error);
}

void
op_release(struct wreq *r)
{
	release(r, 0);
}

void
op_releasedir(struct wreq *r)
{
	release(r, 1);
}
