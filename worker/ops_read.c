/*
 * OPEN and READ. READ goes straight from the file into guest memory with preadv() over
 * the buffers the frontend validated, after guest_iov_map() checked them once more.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

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

/* O_* flags a guest open may carry through; the rest are dropped or refused. */
#define OPEN_PASS_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | \
	O_TRUNC | O_NOATIME | O_DIRECT | O_LARGEFILE)

static int
open_flags(uint32_t guest)
{
	int flags = (int)guest;

	if ((flags & (O_CREAT | O_EXCL | O_PATH)) || (flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	flags &= OPEN_PASS_FLAGS;
	if (!(wk_config.flags & CONFIG_ALLOW_DIRECT_IO))
		flags &= ~O_DIRECT;
	if (!(wk_config.flags & CONFIG_PRESERVE_NOATIME))
		flags &= ~O_NOATIME;	/* EPERM on files the caller does not own */
	/* With writeback caching the guest reads back what it writes, and it appends itself. */
	if (wk_session_flags & SESSION_WRITEBACK) {
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags;
}

/* FUSE_OPEN_KILL_SUIDGID on a truncating open: clear set-id bits even for root. */
static void
open_kill_suidgid(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return;
	if ((st.st_mode & S_ISUID) || (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		(void)fchmod(fd, st.st_mode & 07777 & ~(S_ISUID | S_ISGID));
}

void
op_open(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_open		 m;
	struct wnode		*n;
	int			 flags, fd;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1)
		flags = -EINVAL;
	else
		flags = open_flags(m.flags);
	if (flags < 0) {
		reply_status(req, -flags);
		return;
	}
	if ((n = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if ((fd = node_open(n, flags)) < 0) {
		node_put(n);
		reply_status(req, -fd);
		return;
	}
	if ((m.open_flags & OPEN_KILL_SUIDGID) && (flags & O_TRUNC))
		open_kill_suidgid(fd);
	reply_open(req, handle_new(n, fd, S_ISDIR(node_type(n))));
	node_put(n);
}

/* The buffer list after struct msg_io: exactly niov entries whose lengths sum to size. */
static int
read_iovs(struct wreq *req, struct msg_io *io, struct msg_iov **out)
{
	struct msg_reader	 r;
	struct msg_iov		*iov;
	uint64_t		 sum = 0;
	uint32_t		 i;

	if (ops_begin(req, &r, io, sizeof(*io)) != 0 || io->niov > MSG_MAX_IOV ||
	    io->size > MSG_MAX_IO || io->offset > INT64_MAX - MSG_MAX_IO ||
	    req->len - sizeof(*io) != (size_t)io->niov * sizeof(*iov))
		return EINVAL;
	if ((iov = reallocarray(NULL, io->niov + 1, sizeof(*iov))) == NULL)
		fatal("read_iovs");
	for (i = 0; i < io->niov; i++) {
		(void)msg_get(&r, &iov[i], sizeof(*iov));
		sum += iov[i].len;
	}
	if (msg_end(&r) == -1 || sum != io->size) {
		free(iov);
		return EINVAL;
	}
	*out = iov;
	return 0;
}

/*
 * preadv over any number of buffers (IOV_MAX per call); bytes read or -errno. The thread
 * that holds the requests channel first reads only what the page cache has
 * (RWF_NOWAIT) and hands the channel on before a read that has to wait for the disk.
 */
static ssize_t
pread_all(int fd, struct iovec *iov, uint32_t niov, off_t off)
{
	size_t	 total = 0, n;
	ssize_t	 got;
	uint32_t idx = 0;
	int	 cnt, flags = pool_is_leader() ? RWF_NOWAIT : 0;

	while (idx < niov) {
		cnt = niov - idx > IOV_MAX ? IOV_MAX : (int)(niov - idx);
		got = preadv2(fd, iov + idx, cnt, off + (off_t)total, flags);
		if (got == -1 && errno == EINTR)
			continue;
		if (flags != 0 && got == -1) {
			/* Would wait (EAGAIN), or cannot tell (EOPNOTSUPP): read as usual. */
			flags = 0;
			pool_may_block();
			continue;
		}
		if (got == -1)
			return total > 0 ? (ssize_t)total : -errno;
		if (got == 0)
			break;
		total += (size_t)got;
		for (n = (size_t)got; n > 0 && idx < niov;) {
			if (n >= iov[idx].iov_len) {
				n -= iov[idx].iov_len;
				idx++;
			} else {
				iov[idx].iov_base = (uint8_t *)iov[idx].iov_base + n;
				iov[idx].iov_len -= n;
				n = 0;
			}
		}
		while (idx < niov && iov[idx].iov_len == 0)
			idx++;
	}
	return (ssize_t)total;
}

void
op_read(struct wreq *req)
{
	struct msg_io	 io;
	struct msg_iov	*miov = NULL;
	struct iovec	*iov = NULL;
	struct whandle	*h = NULL;
	ssize_t		 got = 0;
	int		 error;

	if ((error = read_iovs(req, &io, &miov)) != 0)
		goto out;
	if ((h = handle_get(io.fh, &error)) == NULL)
		goto out;
	if (handle_is_dir(h)) {
		error = EISDIR;
		goto out;
	}
	if ((iov = reallocarray(NULL, io.niov + 1, sizeof(*iov))) == NULL)
		fatal("op_read");
	if ((error = guest_iov_map(miov, io.niov, iov)) != 0)
		goto out;
	if ((got = pread_all(handle_fd(h), iov, io.niov, (off_t)io.offset)) < 0)
		error = (int)-got;
out:
	handle_put(h);
	free(iov);
	free(miov);
	if (error != 0)
		reply_status(req, error);
	else
		reply_count(req, (uint64_t)got);
}
