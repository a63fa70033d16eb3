/*
 * /proc/self/fd, opened by sandbox_worker() before the mount namespace hides the host's
 * /proc, and the names of fds under it. Some calls take no O_PATH fd (fchmodat, the
 * xattr calls, linkat without CAP_DAC_READ_SEARCH); they reach a node through "N" under
 * this directory, which names exactly the inode the fd holds and follows no path of the
 * export.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "worker.h"

int	wk_proc_self_fd = -1;

int
procfd_name(int fd, char buf[PROCFD_NAME_LEN])
{
	int	ret;

	if (wk_proc_self_fd == -1 || fd < 0)
		return EBADF;
	ret = snprintf(buf, PROCFD_NAME_LEN, "%d", fd);
	if (ret < 0 || ret >= PROCFD_NAME_LEN)
		return EBADF;
	return 0;
}
