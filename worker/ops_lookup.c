/*
 * LOOKUP, FORGET, BATCH_FORGET, GETATTR, STATFS, READLINK: the operations on nodes that
 * change nothing on the host.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

void
op_lookup(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_entry	 e;
	struct wnode		*parent;
	char			 name[PATH_MAX];
	int			 error;

	/* A buffer larger than NAME_MAX lets name_check() say ENAMETOOLONG. */
	if (ops_begin(req, &r, NULL, 0) != 0 || msg_get_str(&r, name, sizeof(name)) == -1 ||
	    msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((parent = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
#ifdef PRIVFSD_TEST_HOOKS
	/* Test builds: a LOOKUP that hangs for a second, as on a hung network file system. */
	if (strcmp(name, "privfsd-test-stall") == 0)
		usleep(1000 * 1000);
	direct_test_lie(name);
#endif
	error = node_lookup(parent, name, &e);
	node_put(parent);
	if (error != 0)
		reply_status(req, error);
	else
		reply_entry(req, &e);
}

void
op_forget(struct wreq *req)
{
	struct msg_reader	r;
	struct msg_forget	m;

	/* FORGET has no reply to carry an error. */
	if (ops_begin(req, &r, &m, sizeof(m)) == 0 && msg_end(&r) == 0)
		node_forget(req->hdr.nodeid, m.nlookup);
}

void
op_batch_forget(struct wreq *req)
{
	struct msg_reader	r;
	struct msg_forget_one	one;
	uint32_t		count, i;

	if (ops_begin(req, &r, &count, sizeof(count)) != 0 ||
	    count != (req->len - sizeof(count)) / sizeof(one) ||
	    (req->len - sizeof(count)) % sizeof(one) != 0) {
		log_warnx("BATCH_FORGET with a bad count");
		return;
	}
	for (i = 0; i < count && msg_get(&r, &one, sizeof(one)) == 0; i++)
		node_forget(one.nodeid, one.nlookup);
}

static int
getattr_fh(uint64_t fh, struct msg_attr *a)
{
	struct whandle	*h;
	struct stat	 st;
	int		 error = 0;

	if ((h = handle_get(fh, &error)) == NULL)
		return error;
	if (fstat(handle_fd(h), &st) == -1)
		error = errno;
	else
		stat_to_attr(&st, a);
	handle_put(h);
	return error;
}

void
op_getattr(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_getattr	 m;
	struct msg_attr		 a;
	struct wnode		*n;
	int			 error;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	explicit_bzero(&a, sizeof(a));
	if (m.flags & MSG_GETATTR_FH)
		error = getattr_fh(m.fh, &a);
	else if ((n = node_get(req->hdr.nodeid, &error)) != NULL) {
		if ((error = node_getattr(n, &a)) == 0)
			node_dax_mark(n, &a);
		node_put(n);
	}
	if (error != 0)
		reply_status(req, error);
	else
		reply_attr(req, &a);
}

void
op_statfs(struct wreq *req)
{
	struct msg_statfs	 s;
	struct statvfs		 sv;
	struct wnode		*n;
	int			 error;

	if ((n = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if (fstatvfs(node_fd(n), &sv) == -1) {
		error = errno;
		node_put(n);
		reply_status(req, error);
		return;
	}
	node_put(n);
	explicit_bzero(&s, sizeof(s));
	s.blocks = sv.f_blocks;
	s.bfree = sv.f_bfree;
	s.bavail = sv.f_bavail;
	s.files = sv.f_files;
	s.ffree = sv.f_ffree;
	s.bsize = (uint32_t)sv.f_bsize;
	s.namelen = (uint32_t)sv.f_namemax;
	s.frsize = (uint32_t)sv.f_frsize;
	reply_statfs(req, &s);
}

void
op_readlink(struct wreq *req)
{
	struct wnode	*n;
	char		*buf;
	ssize_t		 len;
	int		 error;

	if ((n = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if (!S_ISLNK(node_type(n))) {
		node_put(n);
		reply_status(req, EINVAL);
		return;
	}
	if ((buf = malloc(PATH_MAX)) == NULL)
		fatal("readlink");
	len = readlinkat(node_fd(n), "", buf, PATH_MAX);
	error = len == -1 ? errno : len == PATH_MAX ? ENAMETOOLONG : 0;
	node_put(n);
	if (error != 0)
		reply_status(req, error);
	else
		reply_data(req, buf, (size_t)len);
	free(buf);
}
