/*
 * SETATTR in all its forms, and ACCESS. The node's fd is O_PATH, which fchmod() and
 * futimens() refuse: mode goes through its /proc/self/fd name, owner and times through
 * AT_EMPTY_PATH, size through an open fd (the guest's handle, or a write open as
 * truncate(2) does, with the same permission check).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "msg_reader.h"
#include "log.h"
#include "worker.h"

#define SETATTR_TIMES	(SETATTR_ATIME | SETATTR_MTIME | SETATTR_ATIME_NOW | \
			 SETATTR_MTIME_NOW)

static int
attr_mode(struct wnode *node, int hfd, uint32_t mode)
{
	char	proc[PROCFD_NAME_LEN];
	int	err;

	if (hfd != -1)
		return fchmod(hfd, mode & 07777) == -1 ? errno : 0;
	if ((err = procfd_name(node_fd(node), proc)) != 0)
		return err;
	if (fchmodat(wk_proc_self_fd, proc, mode & 07777, 0) == -1)
		return errno;
	return 0;
}

/*
 * A guest without killpriv_v2 clears S_ISUID/S_ISGID itself before an unprivileged write
 * or truncate: a SETATTR of the mode without them, with the writer's ids. Locally the
 * kernel does that on its own authority (ATTR_FORCE), so a writer who does not own the
 * file must not get EPERM from it: privop_setid_clear() allows exactly that shape.
 */
static int
attr_mode_apply(struct wnode *node, int hfd, uint32_t mode)
{
	int	err;

	if ((err = attr_mode(node, hfd, mode)) == EPERM)
		err = privop_setid_clear(node_fd(node), hfd, mode);
	return err;
}

static int
attr_owner(struct wnode *node, const struct msg_setattr *s)
{
	uid_t	uid = (uid_t)-1;
	gid_t	gid = (gid_t)-1;

	if (s->valid & SETATTR_UID) {
		uid = uid_to_host(s->uid);
		if (uid == (uid_t)-1)
			return EPERM;		/* an id the mapping forbids */
	}
	if (s->valid & SETATTR_GID) {
		gid = gid_to_host(s->gid);
		if (gid == (gid_t)-1)
			return EPERM;
	}
	/* The kernel clears SUID/SGID and security.capability on chown, as locally. */
	if (fchownat(node_fd(node), "", uid, gid,
	    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	/* The owner to one of its supplementary groups, which FUSE does not carry. */
	if (errno == EPERM && (s->valid & SETATTR_GID))
		return privop_owner_chgrp(node_fd(node), uid, gid);
	return errno;
}

/* ftruncate, keeping the set-id bits guest root keeps (ops_setid_before). */
static int
truncate_as_caller(const struct wreq *req, int fd, uint64_t size, int kill)
{
	mode_t setid = kill ? 0 : ops_setid_before(req, fd);

	if (ftruncate(fd, (off_t)size) == -1)
		return errno;
	if (setid != 0 && ops_setid_restore(fd, setid) != 0)
		log_warn_rl("truncate: keeping the set-id bits of guest root's file");
	return 0;
}

static int
attr_size(const struct wreq *req, struct wnode *node, int hfd, const struct msg_setattr *s)
{
	int	fd, err = 0, kill;

	if (s->size > INT64_MAX)
		return EINVAL;
	/* killpriv_v2: the guest asks us to clear SUID/SGID as an unprivileged truncate. */
	kill = (wk_session_flags & SESSION_KILLPRIV_V2) && (s->valid & SETATTR_KILL_SUIDGID);
	if (kill && (err = ops_kill_suidgid(node, hfd, 0)) != 0)
		return err;
	if (hfd != -1)
		err = truncate_as_caller(req, hfd, s->size, kill);
	else if ((fd = node_open(node, O_WRONLY)) < 0)
		err = -fd;
	else {
		err = truncate_as_caller(req, fd, s->size, kill);
		close(fd);
		fd_budget_give();
	}
	return err;
}

static void
attr_timespec(struct timespec *ts, uint32_t valid, uint32_t set, uint32_t now,
    int64_t sec, uint32_t nsec)
{
	if (valid & now) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_NOW;
	} else if (valid & set) {
		ts->tv_sec = sec;
		ts->tv_nsec = nsec;
	} else {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
	}
}

static int
times_set(struct wnode *node, int hfd, const struct timespec ts[2])
{
	if (hfd != -1)
		return futimens(hfd, ts) == -1 ? errno : 0;
	if (utimensat(node_fd(node), "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	return 0;
}

/*
 * With the writeback cache the guest keeps mtime and ctime itself and sends them after a
 * write, on the writer's handle (FH | MTIME | CTIME, no _NOW). A writer who does not own the
 * file may not set explicit times on the host (the guest already let it: it may write), so
 * virtiofsd, which runs SETATTR as root, succeeds where the caller's fsuid gets EPERM.
 */
static int
cmtime_from_writer(const struct msg_setattr *s, int hfd)
{
	int fl;

	if (hfd == -1 || (s->valid & (SETATTR_ATIME | SETATTR_ATIME_NOW | SETATTR_MTIME_NOW |
	    SETATTR_MODE | SETATTR_UID | SETATTR_GID | SETATTR_SIZE)) != 0 ||
	    (s->valid & (SETATTR_MTIME | SETATTR_CTIME)) != (SETATTR_MTIME | SETATTR_CTIME))
		return 0;
	fl = fcntl(hfd, F_GETFL);
	return fl != -1 && (fl & O_ACCMODE) != O_RDONLY;
}

static int
attr_times(struct wnode *node, int hfd, const struct msg_setattr *s)
{
	struct timespec	ts[2];
	int		err;

	/* Out of range nanoseconds would be UTIME_NOW/OMIT by accident. */
	if (((s->valid & SETATTR_ATIME) && s->atimensec >= 1000000000) ||
	    ((s->valid & SETATTR_MTIME) && s->mtimensec >= 1000000000))
		return EINVAL;
	attr_timespec(&ts[0], s->valid, SETATTR_ATIME, SETATTR_ATIME_NOW, s->atime,
	    s->atimensec);
	attr_timespec(&ts[1], s->valid, SETATTR_MTIME, SETATTR_MTIME_NOW, s->mtime,
	    s->mtimensec);
	err = times_set(node, hfd, ts);
	if (err == EPERM && cmtime_from_writer(s, hfd))
		err = privop_writer_times(node_fd(node), hfd, ts);
	return err;
}

static int
setattr_apply(const struct wreq *req, struct wnode *node, int hfd,
    const struct msg_setattr *s)
{
	int	err = 0;

	if (s->valid & SETATTR_MODE)
		err = attr_mode_apply(node, hfd, s->mode);
	if (err == 0 && (s->valid & (SETATTR_UID | SETATTR_GID)))
		err = attr_owner(node, s);
	if (err == 0 && (s->valid & SETATTR_SIZE) && (err = attr_size(req, node, hfd, s)) == 0)
		dax_table_truncate(node_id(node), s->size);	/* nothing mapped past the end */
	if (err == 0 && (s->valid & SETATTR_TIMES))
		err = attr_times(node, hfd, s);
	/* SETATTR_CTIME: the kernel sets ctime itself on every change above. */
	return err;
}

void
op_setattr(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_setattr	 s;
	struct msg_attr		 a;
	struct wnode		*node;
	struct whandle		*h = NULL;
	int			 err;

	if (ops_begin(req, &r, &s, sizeof(s)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if (ops_readonly(req) || (node = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	err = 0;
	if ((s.valid & SETATTR_FH) && (h = handle_get(s.fh, &err)) == NULL)
		goto out;
	/* A handle of another node would make the object checked not the one changed. */
	if (h != NULL && handle_node(h) != node) {
		err = EBADF;
		goto out;
	}
	err = setattr_apply(req, node, h != NULL ? handle_fd(h) : -1, &s);
	if (err == 0) {
		explicit_bzero(&a, sizeof(a));
		err = node_getattr(node, &a);
	}
 out:
	if (h != NULL)
		handle_put(h);
	node_put(node);
	if (err != 0)
		reply_status(req, err);
	else
		reply_attr(req, &a);
}

void
op_access(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_access	 m;
	struct wnode		*node;
	mode_t			 type;
	int			 err = 0;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    (m.mask & ~(R_OK | W_OK | X_OK)) != 0) {
		reply_status(req, EINVAL);
		return;
	}
	if ((node = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	type = node_type(node);
	/* As a read-only mount answers, where write access would matter. */
	if ((wk_config.flags & CONFIG_READONLY) && (m.mask & W_OK) &&
	    (S_ISREG(type) || S_ISDIR(type) || S_ISLNK(type)))
		err = EROFS;
	/* AT_EACCESS: check with the thread's fsuid/fsgid, the caller's. */
	else if (faccessat(node_fd(node), "", m.mask,
	    AT_EMPTY_PATH | AT_EACCESS | AT_SYMLINK_NOFOLLOW) == -1)
		err = errno;
	node_put(node);
	reply_status(req, err);
}
