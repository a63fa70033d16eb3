/*
 * SETUPMAPPING and REMOVEMAPPING: the guest asks for file ranges in its DAX window. The
 * frontend checked the ranges against the window; here the worker decides what may be
 * mapped and how: only regular files, read-only unless the file is open for writing
 * (through the guest's handle) or the caller may open it for writing (Linux names no
 * handle, fh -1: then the worker opens the node as the caller, so host permissions decide).
 * The fd goes to the broker, which asks the VMM to map it (daxtable.c keeps the window).
 *
 * The answer waits for the broker's results, which come on the loop thread; a handler
 * must not wait for them (with no request threads the handler runs on the loop itself),
 * so it parks a copy of the request here and the last result answers it. At most
 * DAX_PENDING_MAX requests wait at once, which also bounds the fds on their way.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

#define DAX_PENDING_MAX	64

/*
 * A result can come back before the handler has counted the request it answers (the
 * broker is fast and the loop thread runs it): so the requests sent and the results
 * received are counted apart, and the reply goes once the handler is done and both agree.
 */
struct dax_pending {
	uint64_t	id;		/* 0: free */
	struct wreq	kept;		/* header and type: what the reply needs */
	unsigned int	sent;		/* requests sent for it */
	unsigned int	received;	/* results in */
	int		handler_done;
	int		error;		/* the first failure */
};

static struct dax_pending	dax_pending[DAX_PENDING_MAX];
static pthread_mutex_t		dax_pending_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t			dax_next_id;

/* A slot for req, held by the handler until dax_pending_done(); NULL when all are busy. */
static struct dax_pending *
dax_pending_new(const struct wreq *req)
{
	struct dax_pending	*p = NULL;
	unsigned int		 i;

	pthread_mutex_lock(&dax_pending_lock);
	for (i = 0; i < DAX_PENDING_MAX; i++)
		if (dax_pending[i].id == 0) {
			p = &dax_pending[i];
			p->id = ++dax_next_id;
			p->kept = *req;
			p->kept.data = NULL;
			p->kept.len = 0;
			p->sent = p->received = 0;
			p->handler_done = 0;
			p->error = 0;
			break;
		}
	pthread_mutex_unlock(&dax_pending_lock);
	return p;
}

/* What changed: sent requests, received results, an error, the handler done. */
static void
dax_pending_update(struct dax_pending *p, unsigned int sent, unsigned int received,
    int error, int handler_done)
{
	struct wreq	kept;
	int		reply = 0;

	pthread_mutex_lock(&dax_pending_lock);
	p->sent += sent;
	p->received += received;
	if (p->error == 0)
		p->error = error;
	if (handler_done)
		p->handler_done = 1;
	if (p->handler_done && p->received == p->sent) {
		kept = p->kept;
		error = p->error;
		p->id = 0;
		reply = 1;
	}
	pthread_mutex_unlock(&dax_pending_lock);
	if (reply)
		reply_status(&kept, error);
}

/*
 * The fd to map, opened or duplicated with the access the mapping needs, and the node it
 * is of. One exception: QEMU 11.1 maps every SHMEM_MAP range with PROT_WRITE, read-only
 * ones included (it marks only the fd read-only, not the memory), so it cannot map a
 * read-only fd at all. For a read mapping the worker therefore first tries to open the
 * file for writing as the caller: where that succeeds the caller could have asked for a
 * writable mapping anyway, so the guest gains nothing it could not have had; where it
 * fails (a read-only file or export), the read-only fd goes, and QEMU 11.1 refuses it.
 */
static int
dax_open(struct wreq *req, const struct msg_setupmapping *m, int writable, int *fd,
    uint64_t *nodeid)
{
	struct whandle	*h;
	struct wnode	*n;
	int		 err = EBADF, acc;

	if (m->fh == DAX_NO_FH) {
		if ((n = node_get(req->hdr.nodeid, &err)) == NULL)
			return err;
		*nodeid = node_id(n);
		if (!S_ISREG(node_type(n)))
			err = S_ISDIR(node_type(n)) ? EISDIR : ENODEV;
		else if (!writable && wk_config.dax_vmm == DAX_VMM_SHMEM &&
		    (*fd = node_open(n, O_RDWR)) >= 0)
			err = 0;	/* see dax_open's comment */
		else if ((*fd = node_open(n, writable ? O_RDWR : O_RDONLY)) < 0)
			err = -*fd;
		else
			err = 0;
		node_put(n);
		return err;
	}
	if ((h = handle_get(m->fh, &err)) == NULL)
		return err;
	acc = handle_accmode(h);
	*nodeid = node_id(handle_node(h));
	if (handle_is_dir(h) || *nodeid != req->hdr.nodeid)
		err = EBADF;
	else if (acc == O_WRONLY || (writable && acc != O_RDWR))
		err = EACCES;	/* a shared mapping reads, and writes only through O_RDWR */
	else if (fd_budget_take() != 0)
		err = ENFILE;
	else if ((*fd = fcntl(handle_fd(h), F_DUPFD_CLOEXEC, 0)) == -1) {
		err = errno;
		fd_budget_give();
	} else
		err = 0;
	handle_put(h);
	return err;
}

void
op_setupmapping(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_setupmapping	 m;
	struct dax_mapping	 d;
	struct dax_pending	*p;
	uint64_t		 nodeid = 0;
	unsigned int		 nsent;
	int			 fd = -1, error, writable, taken, mode;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    !(m.flags & SETUPMAPPING_READ) ||
	    (m.flags & ~(SETUPMAPPING_READ | SETUPMAPPING_WRITE)) != 0) {
		reply_status(req, EINVAL);
		return;
	}
	if (wk_config.dax == DAX_NEVER) {
		reply_status(req, EOPNOTSUPP);
		return;
	}
	writable = (m.flags & SETUPMAPPING_WRITE) != 0;
	if ((error = dax_open(req, &m, writable, &fd, &nodeid)) != 0) {
		reply_status(req, error);
		return;
	}
	if ((p = dax_pending_new(req)) == NULL) {
		fd_budget_close(fd);
		reply_status(req, EAGAIN);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.id = p->id;
	d.nodeid = nodeid;
	d.fh = m.fh;
	d.foffset = m.foffset;
	d.moffset = m.moffset;
	d.len = m.len;
	d.flags = DAX_MAP_READ | (writable ? DAX_MAP_WRITE : 0);
	mode = fcntl(fd, F_GETFL);
	d.vmm_writable = wk_config.dax_vmm == DAX_VMM_SHMEM ?
	    mode != -1 && (mode & O_ACCMODE) == O_RDWR : writable;
	error = dax_table_map(&d, fd, &nsent, &taken);
	/* The channel closes fd once it is sent: its budget comes back now. */
	if (taken)
		fd_budget_give();
	else
		fd_budget_close(fd);
	dax_pending_update(p, nsent, 0, error, 1);
}

void
op_removemapping(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_dax_range	 range;
	struct dax_pending	*p;
	uint32_t		 count, i;

	if (ops_begin(req, &r, &count, sizeof(count)) != 0 || count == 0 ||
	    (uint64_t)count * sizeof(range) != r.left) {
		reply_status(req, EINVAL);
		return;
	}
	if (wk_config.dax == DAX_NEVER) {
		reply_status(req, EOPNOTSUPP);
		return;
	}
	if ((p = dax_pending_new(req)) == NULL) {
		reply_status(req, EAGAIN);
		return;
	}
	for (i = 0; i < count; i++) {
		if (msg_get(&r, &range, sizeof(range)) == -1 || range.len == 0 ||
		    range.window_offset > UINT64_MAX - range.len) {
			dax_pending_update(p, 0, 0, EINVAL, 1);
			return;
		}
		dax_pending_update(p, dax_table_unmap(p->id, range.window_offset, range.len),
		    0, 0, 0);
	}
	dax_pending_update(p, 0, 0, msg_end(&r) == -1 ? EINVAL : 0, 1);
}

/* On the loop thread: the broker's answer to one request the table sent. */
void
dax_result(const struct msg_dax_result *res)
{
	struct dax_pending	*p = NULL;
	uint64_t		 id;
	unsigned int		 i;

	if ((id = dax_table_result(res)) == 0)
		return;
	pthread_mutex_lock(&dax_pending_lock);
	for (i = 0; i < DAX_PENDING_MAX; i++)
		if (dax_pending[i].id == id)
			p = &dax_pending[i];
	pthread_mutex_unlock(&dax_pending_lock);
	if (p == NULL)
		fatalx("DAX result for request %llu, which waits for none",
		    (unsigned long long)id);
	dax_pending_update(p, 0, 1, res->error, 0);
}
