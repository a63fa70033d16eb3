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
#include "wcore.h"

void
op_lookup(struct wreq *r)
{
	struct msg_reader	 rd;
	struct msg_entry	 e;
	struct wnode		*parent;
	char			 name[PATH_MAX];
	int			 error;

	msg_reader_init(&rd, r->data, r->len);
	/* A buffer larger than NAME_MAX lets name_check() say ENAMETOOLONG. */
	if (msg_get_str(&rd, name, sizeof(name)) == -1 || msg_end(&rd) == -1) {
		reply_status(r, EINVAL);
		return;
	}
	if ((parent = node_get(r->hdr.nodeid, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	error = node_lookup(parent, name, &e);
	node_put(parent);
	if (error != 0)
		reply_status(r, error);
	else
		reply_entry(r, &e);
}

void
op_forget(struct wreq *r)
{
	struct msg_forget f;

	memcpy(&f, r->data, sizeof(f));
	node_forget(r->hdr.nodeid, f.nlookup);
	wreq_free(r);
}

void
op_batch_forget(struct wreq *r)
{
	struct msg_reader	rd;
	struct msg_forget_one	one;
	uint32_t		count, i;

	msg_reader_init(&rd, r->data, r->len);
	if (msg_get(&rd, &count, sizeof(count)) == -1 ||
	    count != (r->len - sizeof(count)) / sizeof(one) ||
	    (r->len - sizeof(count)) % sizeof(one) != 0) {
		log_warnx("BATCH_FORGET with a bad count");
		wreq_free(r);
		return;
	}
	for (i = 0; i < count && msg_get(&rd, &one, sizeof(one)) == 0; i++)
		node_forget(one.nodeid, one.nlookup);
	wreq_free(r);
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
op_getattr(struct wreq *r)
{
	struct msg_getattr	 g;
	struct msg_attr		 a;
	struct wnode		*n;
	int			 error;

	memcpy(&g, r->data, sizeof(g));
	explicit_bzero(&a, sizeof(a));
	if (g.flags & MSG_GETATTR_FH)
		error = getattr_fh(g.fh, &a);
	else if ((n = node_get(r->hdr.nodeid, &error)) != NULL) {
		error = node_getattr(n, &a);
		node_put(n);
	}
	if (error != 0)
		reply_status(r, error);
	else
		reply_attr(r, &a);
}

void
op_statfs(struct wreq *r)
{
	struct msg_statfs	 s;
	struct statvfs		 sv;
	struct wnode		*n;
	int			 error;

	if ((n = node_get(r->hdr.nodeid, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	if (fstatvfs(node_fd(n), &sv) == -1) {
		error = errno;
		node_put(n);
		reply_status(r, error);
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
	reply_statfs(r, &s);
}

void
op_readlink(struct wreq *r)
{
	struct wnode	*n;
	char		*buf;
	ssize_t		 len;
	int		 error;

	if ((n = node_get(r->hdr.nodeid, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	if (!S_ISLNK(node_type(n))) {
		node_put(n);
		reply_status(r, EINVAL);
		return;
	}
	if ((buf = malloc(PATH_MAX)) == NULL)
		fatal("readlink");
	len = readlinkat(node_fd(n), "", buf, PATH_MAX);
	error = len == -1 ? errno : len == PATH_MAX ? ENAMETOOLONG : 0;
	node_put(n);
	if (error != 0)
		reply_status(r, error);
	else
		reply_data(r, buf, (size_t)len);
	free(buf);
}
