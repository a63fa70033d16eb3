/*
 * Helpers shared by the worker's modifying operations.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "sandbox.h"
#include "worker.h"

int
ops_readonly(struct wreq *req)
{
	if ((wk_config.flags & CONFIG_READONLY) == 0)
		return 0;
	reply_status(req, EROFS);
	return 1;
}

int
ops_begin(struct wreq *req, struct msg_reader *r, void *fixed, size_t len)
{
	msg_reader_init(r, req->data, req->len);
	if (len > 0 && msg_get(r, fixed, len) == -1)
		return EINVAL;
	return 0;
}

int
ops_get_name(struct msg_reader *r, char name[NAME_MAX + 1])
{
	if (msg_get_str(r, name, NAME_MAX + 1) == -1)
		return EINVAL;
	/* The frontend checked it; a worker that trusts it would be one bug from escape. */
	return name_check(name, strlen(name), 0);
}

struct wnode *
ops_node(struct wreq *req, uint64_t nodeid)
{
	struct wnode	*n;
	int		 err = EBADF;

	if ((n = node_get(nodeid, &err)) == NULL)
		reply_status(req, err);
	return n;
}

struct whandle *
ops_handle(struct wreq *req, uint64_t fh)
{
	struct whandle	*h;
	int		 err = EBADF;

	if ((h = handle_get(fh, &err)) == NULL)
		reply_status(req, err);
	return h;
}

int
ops_thread_fs(void)
{
	static __thread int	state;	/* 0 not yet, 1 done, -1 failed */

	if (state == 0) {
		if (unshare(CLONE_FS) == -1) {
			log_warn("unshare(CLONE_FS)");
			state = -1;
		} else
			state = 1;
	}
	/* EIO, never ENOSYS: the guest would take ENOSYS as "CREATE unsupported" for good. */
	return state == 1 ? 0 : EIO;
}

mode_t
ops_create_mode(uint32_t mode, uint32_t umask_bits)
{
	/*
	 * Always hand the guest's umask to the kernel: when the guest masked already it
	 * changes nothing, and with DONT_MASK the kernel skips it where a default ACL rules.
	 */
	if (ops_thread_fs() == 0) {
		umask(umask_bits & 0777);
		return mode & 07777;
	}
	return mode & ~umask_bits & 07777;
}

/*
 * What the kernel does for an unprivileged writer (should_remove_suid): SUID goes, SGID
 * goes when the group may execute (otherwise it marks mandatory locking, no privilege).
 * ACL updates drop SGID in any case. A caller who is not host root holds no CAP_FSETID
 * (creds.c), so the kernel does this itself for it; host root asking for it gets it here.
 * security.capability the kernel removes itself on write and truncate, for everyone.
 */
int
ops_kill_suidgid(struct wnode *node, int fd, int acl)
{
	char		proc[PROCFD_NAME_LEN];
	struct stat	st;
	mode_t		mode;
	int		err;

	if (fstat(fd != -1 ? fd : node_fd(node), &st) == -1)
		return errno;
	if (!S_ISREG(st.st_mode) && !acl)
		return 0;
	mode = st.st_mode & 07777 & ~S_ISUID;
	if (acl || (st.st_mode & S_IXGRP))
		mode &= ~S_ISGID;
	if (mode == (st.st_mode & 07777))
		return 0;
	if (fd != -1)
		err = fchmod(fd, mode) == -1 ? errno : 0;
	else if ((err = procfd_name(node_fd(node), proc)) == 0)
		err = fchmodat(wk_proc_self_fd, proc, mode, 0) == -1 ? errno : 0;
	/* A caller who may not chmod has no CAP_FSETID: the kernel clears them itself. */
	return err == EPERM ? 0 : err;
}

mode_t
ops_setid_before(const struct wreq *req, int fd)
{
	struct stat st;

	if (!sandbox_user_namespace() || !ops_caller_root(req) || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode))
		return 0;
	return st.st_mode & (S_ISUID | S_ISGID);
}

int
ops_setid_restore(int fd, mode_t bits)
{
	struct stat st;

	if (bits == 0)
		return 0;
	if (fstat(fd, &st) == -1)
		return errno;
	if ((st.st_mode & bits) == bits)
		return 0;
	/* Only the bits the write took: a chmod that raced with it keeps the rest. */
	return fchmod(fd, (st.st_mode & 07777) | bits) == -1 ? errno : 0;
}

int
ops_caller_root(const struct wreq *req)
{
	(void)req;
	/* The mapped host id decides: guest root mapped to another uid is not root here. */
	return creds_host_uid() == 0;
}
