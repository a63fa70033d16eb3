/*
 * GETLK, SETLK, SETLKW. POSIX locks belong to a lock owner (a guest process) and cover
 * every fd it has on the inode; closing any of them drops them all. OFD locks on one fd
 * per (node, owner) behave that way: the owner's locks merge and split on that fd, other
 * owners conflict with it, and FLUSH closes it. flock() locks belong to an open file,
 * which is exactly the guest handle's own fd. A SETLKW that must wait does so on a
 * thread of its own, so it blocks no other request.
 *
 * A waiting SETLKW must never hold up a device stop (GET_VRING_BASE waits for every
 * request): the frontend ends all waits first (op_lock_waits). A thread blocked in
 * F_OFD_SETLKW or flock() could only be woken by a signal, which this sandbox cannot
 * send, so a wait is a loop of non-blocking attempts that sleeps between them
 * (locks_wait() in locktable.c): a lock change in this worker wakes it at once, a host process's change is seen
 * after LOCK_POLL_MAX_MS at most, and the end of waits at once.
 *
 * OFD locks (owner = the guest's open file description) get no unlock and no FLUSH of
 * their owner when the description closes: the guest's only word is RELEASE of its
 * handle. So each lock fd remembers the handles its owner locked through, and RELEASE of
 * one closes it. For a process's POSIX locks that is right too: RELEASE means every fd
 * of that description is closed, the owner's among them, which locally drops them all.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

#define LOCK_OFFSET_MAX		INT64_MAX	/* the guest's "to the end of the file" */

/* As fcntl() on the guest's own fd: a read lock needs reading, a write lock writing. */
static int
lock_mode_check(struct whandle *h, uint32_t type)
{
	int	acc;

	if ((acc = handle_accmode(h)) == -1)
		return errno;
	if ((type == F_RDLCK && acc == O_WRONLY) || (type == F_WRLCK && acc == O_RDONLY))
		return EBADF;
	return 0;
}

/* msg_lock -> struct flock; EINVAL for what no local fcntl() accepts. */
static int
lock_to_flock(const struct msg_lock *m, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	if (m->type != F_RDLCK && m->type != F_WRLCK && m->type != F_UNLCK)
		return EINVAL;
	if (m->start > LOCK_OFFSET_MAX || m->end > LOCK_OFFSET_MAX || m->end < m->start)
		return EINVAL;
	fl->l_type = (short)m->type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)m->start;
	fl->l_len = m->end == LOCK_OFFSET_MAX ? 0 : (off_t)(m->end - m->start + 1);
	fl->l_pid = 0;		/* OFD locks want 0 */
	return 0;
}

static int
lock_parse(struct wreq *req, struct msg_lock *m, struct flock *fl)
{
	struct msg_reader	r;

	if (ops_begin(req, &r, m, sizeof(*m)) != 0 || msg_end(&r) == -1)
		return EINVAL;
	return lock_to_flock(m, fl);
}

void
op_getlk(struct wreq *req)
{
	struct msg_lock		 m;
	struct msg_lock_reply	 rep;
	struct flock		 fl;
	struct whandle		*h;
	struct lockfd		*lf;
	uint64_t		 nodeid;
	int			 err;

	if ((err = lock_parse(req, &m, &fl)) == 0 && (m.flock || m.type == F_UNLCK))
		err = EINVAL;
	if (err != 0 || (h = handle_get(m.fh, &err)) == NULL) {
		reply_status(req, err);
		return;
	}
	/* An owner without a lock fd holds no lock: any other fd tests the same. */
	lf = lockfd_get(h, m.owner, 0, &err);
	if (fcntl(lf != NULL ? lockfd_fd(lf) : handle_fd(h), F_OFD_GETLK, &fl) == -1)
		err = errno;
	if (lf != NULL)
		lockfd_put(lf);
	nodeid = node_id(handle_node(h));
	handle_put(h);
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	explicit_bzero(&rep, sizeof(rep));
	rep.type = (uint32_t)fl.l_type;
	if (fl.l_type != F_UNLCK) {
		rep.start = (uint64_t)fl.l_start;
		rep.end = fl.l_len == 0 ? LOCK_OFFSET_MAX :
		    (uint64_t)fl.l_start + (uint64_t)fl.l_len - 1;
		rep.pid = locks_holder_pid(nodeid, m.owner, &fl);
	}
	reply_lock(req, &rep);
}

struct lock_wait {
	struct wreq	*req;		/* NULL, the request, or &kept while it waits */
	struct wreq	 kept;		/* what the late reply needs: the request's storage */
					/* is the receiving thread's until the handler returns */
	struct whandle	*h;
	struct lockfd	*lf;		/* NULL for flock */
	struct flock	 fl;
	int		 flock_op;
	uint32_t	 pid;		/* the guest's, kept for GETLK */
};

/* After a SETLK(W): who holds it now, and the references w took. */
static void
lock_done(struct lock_wait *w, int err)
{
	/* Unlocks and downgrades free ranges others may wait for. */
	if (err == 0)
		locks_changed(w->fl.l_type != F_UNLCK ? w->lf : NULL, w->pid);
	if (w->lf != NULL)
		lockfd_put(w->lf);
	handle_put(w->h);
}

/* One attempt that does not wait: 0 or an errno value. */
static int
lock_try(void *arg)
{
	struct lock_wait	*w = arg;
	int			 ret;

	if (w->lf != NULL)
		ret = fcntl(lockfd_fd(w->lf), F_OFD_SETLK, &w->fl);
	else
		ret = flock(handle_fd(w->h), w->flock_op | LOCK_NB);
	return ret == -1 ? errno : 0;
}

/* Waits, then answers; owns w. */
static void *
lock_wait_run(void *arg)
{
	struct lock_wait	*w = arg;
	int			 err;

	err = locks_wait(lock_try, w);
	lock_done(w, err);
	reply_status(w->req, err);
	free(w);
	locks_wait_end();
	return NULL;
}

/*
 * IMSG_FRONTEND_LOCK_WAITS: with allow 0 every waiting SETLKW ends with LOCK_WAIT_ENDED
 * and a new one that would wait gets it at once, until allow 1.
 */
void
op_lock_waits(struct wreq *req)
{
	struct msg_reader	r;
	struct msg_lock_waits	m;

	if (ops_begin(req, &r, &m, sizeof(m)) == 0 && msg_end(&r) == 0)
		locks_waits_allow(m.allow != 0);
}

/* Hand w to a thread of its own. 0, or an errno value (w is still the caller's). */
static int
lock_wait_start(struct lock_wait *w)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	int		ret;

	if ((ret = locks_wait_begin()) != 0)
		return ret;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	ret = pthread_create(&tid, &attr, lock_wait_run, w);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		locks_wait_end();
		return ENOLCK;
	}
	return 0;
}

/* A lock that may have to wait: try without waiting, then wait on a thread. */
static void
lock_set_wait(struct wreq *req, struct lock_wait *w)
{
	int	err;

	err = lock_try(w);
	if (locks_busy(err) && w->req != NULL) {
		w->kept = *req;
		w->kept.data = NULL;
		w->kept.len = 0;
		w->req = &w->kept;
		if ((err = lock_wait_start(w)) == 0)
			return;
	}
	lock_done(w, err);
	free(w);
	reply_status(req, err);
}

static int
flock_op(uint32_t type)
{
	if (type == F_RDLCK)
		return LOCK_SH;
	if (type == F_WRLCK)
		return LOCK_EX;
	return LOCK_UN;
}

void
op_setlk(struct wreq *req)
{
	struct msg_lock		 m;
	struct flock		 fl;
	struct lock_wait	*w;
	int			 err;

	if ((err = lock_parse(req, &m, &fl)) != 0) {
		reply_status(req, err);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		reply_status(req, ENOLCK);
		return;
	}
	w->fl = fl;
	w->pid = m.pid;
	w->req = m.sleep ? req : NULL;	/* only SETLKW may wait */
	if ((w->h = handle_get(m.fh, &err)) == NULL)
		goto fail;
	if (m.flock)
		w->flock_op = flock_op(m.type);
	else if ((err = lock_mode_check(w->h, m.type)) != 0) {
		handle_put(w->h);
		goto fail;
	} else if ((w->lf = lockfd_get(w->h, m.owner, m.type != F_UNLCK, &err)) == NULL) {
		/* err 0: unlocking what the owner never locked succeeds, as locally */
		handle_put(w->h);
		goto fail;
	} else if (m.type != F_UNLCK && (err = lockfd_use(w->lf, m.fh)) != 0) {
		lockfd_put(w->lf);
		handle_put(w->h);
		goto fail;
	}
	lock_set_wait(req, w);
	return;
 fail:
	free(w);
	reply_status(req, err);
}
