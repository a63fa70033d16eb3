/*
 * WRITE: pwritev() on the handle's fd straight from guest memory; only the list of
 * validated guest buffers crossed the channel.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "msg.h"
#include "msg_reader.h"
#include "log.h"
#include "worker.h"

/*
 * When a write hands the requests channel on first (pool.c). A buffered write up to
 * POOL_QUICK_WRITE only fills the page cache. A larger one can meet dirty page
 * throttling, but the kernel cannot say beforehand (pwritev2's RWF_NOWAIT is
 * "not supported" for buffered writes on ext4 and tmpfs, 6.18), and handing on every one
 * costs more than it saves: writes to one file take its inode lock in turn, so the
 * threads that the hand-offs set writing side by side spin on that lock instead.
 * Measured (2026-12-05, tests/bench seqwrite 1 MiB, 16 in flight, privfsd alone): 1.01e4
 * MB/s at 143 us CPU a write handing on each, 1.15e4 at 99 us keeping the channel. So a
 * large write hands on only while large writes are slow: when the last one took longer
 * than WRITE_SLOW_NS (throttled, or written through to a disk). Under dirty page
 * throttling every write is slow, so the hand-offs go on for as long as it lasts; one
 * slow write among fast ones (a page under writeback) costs one hand-off.
 */
#define POOL_QUICK_WRITE	(128 * 1024)
#define WRITE_SLOW_NS		(2 * 1000 * 1000ULL)

static int		write_slow;		/* the last large write was; any thread */

/* Before a write: hand on if large writes are slow; when to time it from (0: untimed). */
static uint64_t
write_begin(uint32_t size)
{
	if (size <= POOL_QUICK_WRITE)
		return 0;
	if (__atomic_load_n(&write_slow, __ATOMIC_RELAXED))
		pool_may_block_if_queued();
	return now_ns();
}

static void
write_end(uint64_t start)
{
	if (start != 0)
		__atomic_store_n(&write_slow, now_ns() - start > WRITE_SLOW_NS,
		    __ATOMIC_RELAXED);
}

/* Read the iov list that follows struct msg_io; checks the sizes add up. */
static int
write_iovs(struct msg_reader *r, const struct msg_io *io, struct msg_iov **out)
{
	struct msg_iov	*v;
	uint64_t	 sum = 0;
	uint32_t	 i;

	*out = NULL;
	if (io->niov > MSG_MAX_IOV || io->size > MSG_MAX_IO || io->offset > INT64_MAX)
		return EINVAL;
	if (io->niov == 0)		/* a write of nothing, as pwrite(fd, p, 0, off) */
		return io->size == 0 && msg_end(r) == 0 ? 0 : EINVAL;
	if ((v = reallocarray(NULL, io->niov, sizeof(*v))) == NULL)
		return ENOMEM;
	for (i = 0; i < io->niov; i++) {
		if (msg_get(r, &v[i], sizeof(v[i])) == -1)
			break;
		sum += v[i].len;
	}
	if (i < io->niov || msg_end(r) == -1 || sum != io->size) {
		free(v);
		return EINVAL;
	}
	*out = v;
	return 0;
}

/* pwritev in pieces of at most IOV_MAX buffers; stops at the first short write. */
static int
write_all(int fd, struct iovec *iov, uint32_t n, uint64_t off, uint64_t *done)
{
	ssize_t		 ret;
	uint64_t	 want;
	uint32_t	 i, cnt;

	*done = 0;
	while (n > 0) {
		cnt = n > IOV_MAX ? IOV_MAX : n;
		for (want = 0, i = 0; i < cnt; i++)
			want += iov[i].iov_len;
		if (off + *done > INT64_MAX)
			return EFBIG;
		ret = pwritev(fd, iov, cnt, (off_t)(off + *done));
		if (ret == -1)
			return *done > 0 ? 0 : errno;
		*done += (uint64_t)ret;
		if ((uint64_t)ret < want)
			break;
		iov += cnt;
		n -= cnt;
	}
	return 0;
}

void
op_write(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_io		 io;
	struct msg_iov		*v = NULL;
	struct iovec		*iov = NULL;
	struct whandle		*h;
	uint64_t		 done = 0, start;
	mode_t			 setid = 0;
	int			 err;

	if ((err = ops_begin(req, &r, &io, sizeof(io))) == 0)
		err = write_iovs(&r, &io, &v);
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	if (ops_readonly(req) || (h = handle_get(io.fh, &err)) == NULL) {
		if (err != 0)
			reply_status(req, err);
		free(v);
		return;
	}
	if (io.niov == 0)
		err = 0;
	else if ((iov = reallocarray(NULL, io.niov, sizeof(*iov))) == NULL)
		err = ENOMEM;
	else
		err = guest_iov_map(v, io.niov, iov);
	if (err == 0 && io.niov > 0) {
		/*
		 * killpriv: an unprivileged writer's fsuid has no CAP_FSETID, so the kernel
		 * clears SUID/SGID itself; guest root asking for it (WRITE_KILL_SUIDGID)
		 * gets the same here, before the data lands as in the kernel.
		 */
		if (io.flags & IO_KILL_SUIDGID)
			err = ops_kill_suidgid(handle_node(h), handle_fd(h), 0);
		else
			setid = ops_setid_before(req, handle_fd(h));
		start = write_begin(io.size);
		if (err == 0)
			err = write_all(handle_fd(h), iov, io.niov, io.offset, &done);
		write_end(start);
		if (setid != 0 && done > 0 && ops_setid_restore(handle_fd(h), setid) != 0)
			log_warn_rl("write: keeping the set-id bits of guest root's file");
	}
	handle_put(h);
	free(iov);
	free(v);
	if (err != 0)
		reply_status(req, err);
	else
		reply_count(req, done);
}
