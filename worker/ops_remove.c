/*
 * UNLINK and RMDIR: one unlinkat() under the parent's O_PATH fd. The guest's nodes of a
 * removed entry stay valid: they hold their own O_PATH fd.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

static void
remove_entry(struct wreq *req, int flags)
{
	struct msg_reader	 r;
	char			 name[NAME_MAX + 1];
	struct wnode		*parent;
	int			 err;

	ops_begin(req, &r, NULL, 0);
	if ((err = ops_get_name(&r, name)) == 0 && msg_end(&r) == -1)
		err = EINVAL;
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	if (ops_readonly(req) || (parent = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if (unlinkat(node_fd(parent), name, flags) == -1)
		reply_status(req, errno);
	else
		reply_status(req, 0);
	node_put(parent);
}

void
op_unlink(struct wreq *req)
{
	remove_entry(req, 0);
}

void
op_rmdir(struct wreq *req)
{
	remove_entry(req, AT_REMOVEDIR);
}
