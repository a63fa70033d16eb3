/*
 * --inode-file-handles: nodes that keep a file handle (name_to_handle_at) instead of an
 * O_PATH fd, so that the inodes the guest knows cost the host no open files. A request
 * that needs such a node's fd gets a temporary O_PATH fd from open_by_handle_at, closed
 * when the request's handler returns (node_tmpfds_release, called by wreq_run).
 *
 * open_by_handle_at needs CAP_DAC_READ_SEARCH (kept by the sandbox unless "never") and a
 * mount fd that is not O_PATH: one read-only directory fd per host mount, opened the first
 * time a directory of that mount becomes a node and kept for the worker's life.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"

#define MOUNTS_MAX	256	/* host mounts under one export that get handles */
#define TMPFDS_MAX	16	/* nodes one request may touch (rename: 4) */

struct mount_fd {
	uint64_t	mnt_id;
	int		fd;
};

static pthread_mutex_t	 mounts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mount_fd	 mounts[MOUNTS_MAX];
static size_t		 nmounts;

static __thread struct {
	const void	*node;
	int		 fd;
} tmpfds[TMPFDS_MAX];
static __thread size_t	ntmpfds;

/* The mount fd for mnt_id, opening it from dirfd (an O_PATH directory) if new; -1 if none. */
static int
mount_fd_get(uint64_t mnt_id, int dirfd, int is_dir)
{
	char	name[16];
	size_t	i;
	int	fd = -1;

	pthread_mutex_lock(&mounts_lock);
	for (i = 0; i < nmounts; i++)
		if (mounts[i].mnt_id == mnt_id) {
			fd = mounts[i].fd;
			goto out;
		}
	if (!is_dir || nmounts == MOUNTS_MAX || wk_proc_self_fd == -1)
		goto out;
	(void)snprintf(name, sizeof(name), "%d", dirfd);
	if ((fd = openat(wk_proc_self_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto out;
	mounts[nmounts].mnt_id = mnt_id;
	mounts[nmounts++].fd = fd;
 out:
	pthread_mutex_unlock(&mounts_lock);
	return fd;
}

int
node_handle_take(int fd, mode_t type, struct file_handle **fhp, int *mount_fd)
{
	struct file_handle	*fh;
	int			 mnt, mfd, error;

	if ((fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ)) == NULL)
		return ENOMEM;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", fh, &mnt, AT_EMPTY_PATH) == -1) {
		error = errno;
		free(fh);
		return error;
	}
	if ((mfd = mount_fd_get((uint64_t)mnt, fd, S_ISDIR(type))) == -1) {
		free(fh);
		return EOPNOTSUPP;
	}
	*fhp = fh;
	*mount_fd = mfd;
	return 0;
}

int
node_handle_fd(const void *node, struct file_handle *fh, int mount_fd)
{
	size_t		i;
	int		fd;

	for (i = 0; i < ntmpfds; i++)
		if (tmpfds[i].node == node)
			return tmpfds[i].fd;
	if (ntmpfds == TMPFDS_MAX) {
		log_warnx("file handles: more than %d nodes in one request", TMPFDS_MAX);
		return -1;
	}
	/* The caller's thread holds no CAP_DAC_READ_SEARCH: the named privileged help. */
	if ((fd = privop_handle_open(mount_fd, fh)) == -1)
		return -1;
	tmpfds[ntmpfds].node = node;
	tmpfds[ntmpfds++].fd = fd;
	return fd;
}

void
node_tmpfds_release(void)
{
	while (ntmpfds > 0)
		close(tmpfds[--ntmpfds].fd);
}
