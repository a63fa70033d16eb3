/*
 * The worker's privileged help: the only code that runs with a capability its thread's
 * caller does not hold (creds.c gives a thread no capability for a caller whose mapped
 * host uid is not 0). Each operation is named, checks its object itself, raises one
 * capability around one system call on exactly that object, and lowers it again:
 *
 *	privop_setid_clear	CAP_FOWNER		fchmod, fchmodat
 *		A writer who is not the owner takes SUID/SGID (and nothing else) off a
 *		regular file it may write: what the kernel does on its own authority
 *		before a local unprivileged write or truncate.
 *	privop_writer_times	CAP_FOWNER		futimens
 *		A writer's explicit mtime and ctime (writeback cache) on its own handle,
 *		which must be open for writing.
 *	privop_owner_chgrp	CAP_CHOWN		fchownat
 *		The owner gives its file to another group, owner unchanged: locally allowed
 *		for the owner's supplementary groups, which FUSE does not carry (the guest
 *		kernel checked them).
 *	privop_handle_open	CAP_DAC_READ_SEARCH	open_by_handle_at
 *		A node's own file handle (made by the worker) back to an O_PATH fd; or
 *		a migration stream's directory handle, kept only when ".." leads from
 *		it to the export's root (migrate_load.c).
 *
 * tests/worker/privop-audit.sh checks that nothing outside this file raises a capability
 * and that each operation here has a test in which a caller who may not do it fails.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define CAPBIT(c)	(1ULL << (c))

/*
 * fd and the node (nfd: its O_PATH fd) are the same inode: a handle of another node is
 * refused.
 */
static int
same_object(int nfd, int fd, struct stat *st)
{
	struct stat	nst;

	if (fstat(fd, st) == -1)
		return errno;
	if (fd == nfd)
		return 0;
	if (fstat(nfd, &nst) == -1)
		return errno;
	return st->st_dev == nst.st_dev && st->st_ino == nst.st_ino ? 0 : EBADF;
}

static int
fd_writable(int fd)
{
	int	fl;

	return (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_PATH) == 0 &&
	    (fl & O_ACCMODE) != O_RDONLY;
}

/* One call with caps raised; -1 when the worker does not hold them. */
#define WITH_CAPS(caps, call, ret) do {					\
	uint64_t	old_ = caps_raise(caps);			\
									\
	if (old_ == UINT64_MAX) {					\
		(ret) = EPERM;						\
		break;							\
	}								\
	(ret) = (call) == -1 ? errno : 0;				\
	caps_restore(old_);						\
} while (0)

int
privop_setid_clear(int nfd, int hfd, uint32_t mode)
{
	char		proc[PROCFD_NAME_LEN];
	struct stat	st;
	mode_t		old, new = mode & 07777;
	int		fd = hfd != -1 ? hfd : nfd, err;

	if ((err = same_object(nfd, fd, &st)) != 0)
		return err;
	old = st.st_mode & 07777;
	/* Only a pure removal of set-id bits from a regular file: it can only take away. */
	if (!S_ISREG(st.st_mode) || new == old || (new & ~old) != 0 ||
	    ((old ^ new) & ~(S_ISUID | S_ISGID)) != 0)
		return EPERM;
	/* The caller may write this very file: its handle is open for writing, or access. */
	if (!(hfd != -1 && fd_writable(hfd)) && faccessat(nfd, "", W_OK,
	    AT_EMPTY_PATH | AT_EACCESS | AT_SYMLINK_NOFOLLOW) == -1)
		return EPERM;
	if (hfd != -1 && (fcntl(hfd, F_GETFL) & O_PATH) == 0) {
		WITH_CAPS(CAPBIT(CAP_FOWNER), fchmod(hfd, new), err);
		return err;
	}
	if ((err = procfd_name(nfd, proc)) != 0)
		return err;
	WITH_CAPS(CAPBIT(CAP_FOWNER), fchmodat(wk_proc_self_fd, proc, new, 0), err);
	return err;
}

int
privop_writer_times(int nfd, int hfd, const struct timespec ts[2])
{
	struct stat	st;
	int		err;

	if (hfd == -1 || !fd_writable(hfd))
		return EPERM;
	if ((err = same_object(nfd, hfd, &st)) != 0)
		return err;
	WITH_CAPS(CAPBIT(CAP_FOWNER), futimens(hfd, ts), err);
	return err;
}

int
privop_owner_chgrp(int nfd, uid_t uid, gid_t gid)
{
	struct stat	st;
	int		err;

	if (gid == (gid_t)-1 || fstat(nfd, &st) == -1)
		return EPERM;
	/* The caller owns the file and keeps it; only the group moves. */
	if (st.st_uid != creds_host_uid() || (uid != (uid_t)-1 && uid != st.st_uid))
		return EPERM;
	WITH_CAPS(CAPBIT(CAP_CHOWN), fchownat(nfd, "", uid, gid,
	    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), err);
	return err;
}

int
privop_handle_open(int mount_fd, struct file_handle *fh)
{
	int	fd = -1, err;

	WITH_CAPS(CAPBIT(CAP_DAC_READ_SEARCH),
	    (fd = open_by_handle_at(mount_fd, fh, O_PATH | O_CLOEXEC)), err);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return fd;
}
