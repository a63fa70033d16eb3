/*
 * RENAME/RENAME2 and LINK: entries that move or gain a name. renameat2() between two
 * parents' O_PATH fds; linkat() of the node itself, never of a name we would resolve.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#define RENAME_WHITEOUT		(1 << 2)
#endif

void
op_rename(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_rename	 m;
	char			 oldname[NAME_MAX + 1], newname[NAME_MAX + 1];
	struct wnode		*olddir, *newdir;
	int			 err;

	if ((err = ops_begin(req, &r, &m, sizeof(m))) == 0 &&
	    (err = ops_get_name(&r, oldname)) == 0 &&
	    (err = ops_get_name(&r, newname)) == 0 && msg_end(&r) == -1)
		err = EINVAL;
	if (err == 0 &&
	    (m.flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0)
		err = EINVAL;
	/* A whiteout is a device node: locally that takes CAP_MKNOD, which we hold for all. */
	if (err == 0 && (m.flags & RENAME_WHITEOUT) && !ops_caller_root(req))
		err = EPERM;
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	if (ops_readonly(req) || (olddir = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if ((newdir = ops_node(req, m.newdir)) == NULL) {
		node_put(olddir);
		return;
	}
	if (renameat2(node_fd(olddir), oldname, node_fd(newdir), newname,
	    m.flags) == -1)
		reply_status(req, errno);
	else {
		/* Before the reply: a restarted worker must find the moved node(s) there. */
		node_renamed(newdir, newname);
		if (m.flags & RENAME_EXCHANGE)
			node_renamed(olddir, oldname);
		reply_status(req, 0);
	}
	node_put(newdir);
	node_put(olddir);
}

/*
 * linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which an unprivileged
 * caller's fsuid has dropped; the /proc/self/fd name of the O_PATH fd needs nothing.
 */
static int
link_node(struct wnode *node, struct wnode *newparent, const char *name)
{
	char	proc[PROCFD_NAME_LEN];
	int	ret;

	if (procfd_name(node_fd(node), proc) == 0)
		ret = linkat(wk_proc_self_fd, proc, node_fd(newparent), name,
		    AT_SYMLINK_FOLLOW);
	else
		ret = linkat(node_fd(node), "", node_fd(newparent), name,
		    AT_EMPTY_PATH);
	return ret == -1 ? errno : 0;
}

void
op_link(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_link		 m;
	struct msg_entry	 e;
	char			 name[NAME_MAX + 1];
	struct wnode		*node, *newparent;
	int			 err;

	if ((err = ops_begin(req, &r, &m, sizeof(m))) == 0 &&
	    (err = ops_get_name(&r, name)) == 0 && msg_end(&r) == -1)
		err = EINVAL;
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	if (ops_readonly(req) || (newparent = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if ((node = ops_node(req, m.oldnodeid)) == NULL) {
		node_put(newparent);
		return;
	}
	if (S_ISDIR(node_type(node)))
		err = EPERM;
	else
		err = link_node(node, newparent, name);
	if (err == 0) {
		explicit_bzero(&e, sizeof(e));
		err = node_lookup(newparent, name, &e);
	}
	if (err != 0)
		reply_status(req, err);
	else
		reply_entry(req, &e);
	node_put(node);
	node_put(newparent);
}
