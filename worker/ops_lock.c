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
 * send, so a wait is a loop of non-blocking attempts that sleeps on lock_cond between
 * them: a lock change in this worker wakes it at once, a host process's change is seen
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
#include <sys/queue.h>
#include <sys/stat.h>
#include <linux/fuse.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"
#include "ops_util.h"

#define LOCK_BUCKETS		256
#define LOCK_MAX_WAITERS	64
#define LOCK_OFFSET_MAX		INT64_MAX	/* the guest's "to the end of the file" */
#define LOCK_POLL_MIN_MS	2	/* first pause between attempts, doubled up to */
#define LOCK_POLL_MAX_MS	100

/*
 * The answer to a SETLKW whose wait was ended. Not EINTR: Linux's fuse_setlk() turns it
 * into ERESTARTSYS ("locking is restartable"), and with no signal pending that reaches
 * the guest process as errno 512, which no program knows. ENOLCK is what fcntl(2) and
 * flock(2) document for a lock that could not be had for want of resources, as NFS
 * answers when its lock service is gone; programs report it instead of retrying forever.
 */
#define LOCK_WAIT_ENDED		ENOLCK

struct lockuse;

struct lockfd {
	LIST_ENTRY(lockfd)	 entry;
	LIST_HEAD(, lockuse)	 uses;		/* handles the owner locked through */
	uint64_t		 nodeid;
	uint64_t		 owner;
	int			 fd;
	int			 refs;		/* the table's, plus each user's */
	int			 listed;	/* in lock_table */
	uint32_t		 pid;		/* guest pid that last locked, for GETLK */
};

/* Handle fh was used by lf's owner to lock: RELEASE of fh closes lf. */
struct lockuse {
	LIST_ENTRY(lockuse)	 by_fh;		/* use_table bucket */
	LIST_ENTRY(lockuse)	 by_lf;		/* lf->uses */
	uint64_t		 fh;
	struct lockfd		*lf;
};

static LIST_HEAD(, lockfd)	lock_table[LOCK_BUCKETS];
static LIST_HEAD(, lockuse)	use_table[LOCK_BUCKETS];
static pthread_mutex_t		lock_mtx = PTHREAD_MUTEX_INITIALIZER;
static int			lock_waiters;
/* Under lock_mtx: waiters sleep on lock_cond (CLOCK_MONOTONIC, set up by the first). */
static pthread_cond_t		lock_cond;
static int			lock_cond_ready;
static uint64_t			lock_changes;	/* bumped on every lock change here */
static int			lock_waits_ended;	/* op_lock_waits: no waiting now */

static unsigned int
lock_bucket(uint64_t nodeid, uint64_t owner)
{
	return (unsigned int)((nodeid * 0x9e3779b97f4a7c15ULL ^ owner) % LOCK_BUCKETS);
}

static unsigned int
use_bucket(uint64_t fh)
{
	return (unsigned int)((fh * 0x9e3779b97f4a7c15ULL >> 32) % LOCK_BUCKETS);
}

/* Under lock_mtx: a lock may have gone; waiters try again. */
static void
lock_changed(void)
{
	lock_changes++;
	if (lock_cond_ready)
		pthread_cond_broadcast(&lock_cond);
}

/* Under lock_mtx. */
static struct lockfd *
lockfd_find(uint64_t nodeid, uint64_t owner)
{
	struct lockfd	*lf;

	LIST_FOREACH(lf, &lock_table[lock_bucket(nodeid, owner)], entry)
		if (lf->nodeid == nodeid && lf->owner == owner)
			return lf;
	return NULL;
}

/* Under lock_mtx. */
static void
lockfd_unref(struct lockfd *lf)
{
	if (--lf->refs > 0)
		return;
	close(lf->fd);		/* the kernel drops its OFD locks here */
	fd_budget_give();
	free(lf);
	lock_changed();
}

static void
lockfd_put(struct lockfd *lf)
{
	pthread_mutex_lock(&lock_mtx);
	lockfd_unref(lf);
	pthread_mutex_unlock(&lock_mtx);
}

/* Under lock_mtx: out of the tables; a waiter still using it keeps it open. */
static void
lockfd_detach(struct lockfd *lf)
{
	struct lockuse	*u;

	while ((u = LIST_FIRST(&lf->uses)) != NULL) {
		LIST_REMOVE(u, by_lf);
		LIST_REMOVE(u, by_fh);
		mem_budget_free(u, sizeof(*u));
	}
	LIST_REMOVE(lf, entry);
	lf->listed = 0;
	lockfd_unref(lf);
}

/* Remember that lf's owner locks through handle fh. 0, or ENOLCK. */
static int
lockfd_use(struct lockfd *lf, uint64_t fh)
{
	struct lockuse	*u;
	int		 err = 0;

	pthread_mutex_lock(&lock_mtx);
	/* Detached meanwhile (FLUSH): the lock goes with the fd, nothing to remember. */
	if (!lf->listed)
		goto out;
	LIST_FOREACH(u, &lf->uses, by_lf)
		if (u->fh == fh)
			goto out;
	if ((u = mem_budget_alloc(sizeof(*u))) == NULL) {
		err = ENOLCK;
		goto out;
	}
	u->fh = fh;
	u->lf = lf;
	LIST_INSERT_HEAD(&lf->uses, u, by_lf);
	LIST_INSERT_HEAD(&use_table[use_bucket(fh)], u, by_fh);
 out:
	pthread_mutex_unlock(&lock_mtx);
	return err;
}

void
locks_release_fh(uint64_t fh)
{
	struct lockuse	*u, *next;

	pthread_mutex_lock(&lock_mtx);
	/* Detaching frees other uses of the same lock fd, maybe next: start over then. */
 again:
	for (u = LIST_FIRST(&use_table[use_bucket(fh)]); u != NULL; u = next) {
		next = LIST_NEXT(u, by_fh);
		if (u->fh == fh) {
			lockfd_detach(u->lf);
			goto again;
		}
	}
	pthread_mutex_unlock(&lock_mtx);
}

/* The handle's access mode; -1 with errno set. */
static int
handle_accmode(struct whandle *h)
{
	int	fl;

	if ((fl = fcntl(handle_fd(h), F_GETFL)) == -1)
		return -1;
	return fl & O_ACCMODE;
}

/*
 * The owner's lock fd on h's node, with a reference; NULL with *err = 0 when there is
 * none and create is 0. It is shared by all the owner's handles, so it is opened for
 * reading and writing where the caller may (the handle's own mode otherwise); which lock
 * a handle may take is checked against the handle (lock_mode_check).
 */
static struct lockfd *
lockfd_get(struct whandle *h, uint64_t owner, int create, int *err)
{
	struct wnode	*node = handle_node(h);
	uint64_t	 nodeid = node_id(node);
	struct lockfd	*lf, *lf2;
	int		 fd = -1, acc;

	*err = 0;
	pthread_mutex_lock(&lock_mtx);
	if ((lf = lockfd_find(nodeid, owner)) != NULL)
		lf->refs++;
	pthread_mutex_unlock(&lock_mtx);
	if (lf != NULL || !create)
		return lf;
	if ((acc = handle_accmode(h)) == -1) {
		*err = errno;
		return NULL;
	}
	if (S_ISREG(node_type(node)) && acc != O_RDWR)
		fd = node_open(node, O_RDWR);
	if (fd < 0 && (fd = node_open(node, acc)) < 0) {
		*err = -fd;
		return NULL;
	}
	if ((lf = calloc(1, sizeof(*lf))) == NULL) {
		close(fd);
		fd_budget_give();
		*err = ENOLCK;
		return NULL;
	}
	lf->nodeid = nodeid;
	lf->owner = owner;
	lf->fd = fd;
	lf->refs = 2;
	LIST_INIT(&lf->uses);
	pthread_mutex_lock(&lock_mtx);
	if ((lf2 = lockfd_find(nodeid, owner)) != NULL) {
		/* Another thread made it meanwhile: use that one. */
		lf2->refs++;
		close(lf->fd);
		fd_budget_give();
		free(lf);
		lf = lf2;
	} else {
		LIST_INSERT_HEAD(&lock_table[lock_bucket(nodeid, owner)], lf, entry);
		lf->listed = 1;
	}
	pthread_mutex_unlock(&lock_mtx);
	return lf;
}

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

void
locks_drop_owner(struct wnode *node, uint64_t owner)
{
	struct lockfd	*lf;

	pthread_mutex_lock(&lock_mtx);
	if ((lf = lockfd_find(node_id(node), owner)) != NULL)
		lockfd_detach(lf);
	pthread_mutex_unlock(&lock_mtx);
}

void
locks_release(struct whandle *h, uint64_t lock_owner, uint32_t flags)
{
	if (flags & FUSE_RELEASE_FLOCK_UNLOCK) {
		(void)flock(handle_fd(h), LOCK_UN);
		pthread_mutex_lock(&lock_mtx);
		lock_changed();
		pthread_mutex_unlock(&lock_mtx);
	}
	/* POSIX locks went with FLUSH; a guest that skipped it loses them now. */
	locks_drop_owner(handle_node(h), lock_owner);
}

void
locks_reset(void)
{
	struct lockfd	*lf;
	int		 i;

	pthread_mutex_lock(&lock_mtx);
	for (i = 0; i < LOCK_BUCKETS; i++) {
		while ((lf = LIST_FIRST(&lock_table[i])) != NULL)
			lockfd_detach(lf);
	}
	pthread_mutex_unlock(&lock_mtx);
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

/* Same lock: type and range as fcntl() reports them. */
static int
flock_same(const struct flock *a, const struct flock *b)
{
	return a->l_type == b->l_type && a->l_start == b->l_start && a->l_len == b->l_len;
}

/*
 * The guest pid behind a conflicting lock, as a local F_GETLK names it. OFD locks have
 * no process, so ask each other owner's fd: a test from the holder's own fd no longer
 * sees its lock. 0 when no owner can be told apart (identical shared locks).
 */
static uint32_t
lock_holder_pid(uint64_t nodeid, uint64_t owner, const struct flock *found)
{
	struct lockfd	*lf;
	struct flock	 t;
	uint32_t	 pid = 0;
	int		 i;

	pthread_mutex_lock(&lock_mtx);
	for (i = 0; i < LOCK_BUCKETS && pid == 0; i++) {
		LIST_FOREACH(lf, &lock_table[i], entry) {
			if (lf->nodeid != nodeid || lf->owner == owner)
				continue;
			t = *found;
			t.l_type = F_WRLCK;
			t.l_pid = 0;
			if (fcntl(lf->fd, F_OFD_GETLK, &t) == 0 && !flock_same(&t, found)) {
				pid = lf->pid;
				break;
			}
		}
	}
	pthread_mutex_unlock(&lock_mtx);
	return pid;
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
	if (fcntl(lf != NULL ? lf->fd : handle_fd(h), F_OFD_GETLK, &fl) == -1)
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
		rep.pid = lock_holder_pid(nodeid, m.owner, &fl);
	}
	reply_lock(req, &rep);
}

struct lock_wait {
	struct wreq	*req;
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
	if (err == 0) {
		/* Unlocks and downgrades free ranges others may wait for. */
		pthread_mutex_lock(&lock_mtx);
		if (w->lf != NULL && w->fl.l_type != F_UNLCK)
			w->lf->pid = w->pid;
		lock_changed();
		pthread_mutex_unlock(&lock_mtx);
	}
	if (w->lf != NULL)
		lockfd_put(w->lf);
	handle_put(w->h);
}

/* One attempt that does not wait: 0 or an errno value. */
static int
lock_try(struct lock_wait *w)
{
	int	ret;

	if (w->lf != NULL)
		ret = fcntl(w->lf->fd, F_OFD_SETLK, &w->fl);
	else
		ret = flock(handle_fd(w->h), w->flock_op | LOCK_NB);
	return ret == -1 ? errno : 0;
}

/* Another owner holds a conflicting lock. */
static int
lock_busy(int err)
{
	return err == EAGAIN || err == EACCES || err == EWOULDBLOCK;
}

/* Under lock_mtx: sleep until a lock changes, the waits end, or ms pass. */
static void
lock_sleep(long ms)
{
	struct timespec	until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&lock_cond, &lock_mtx, &until);
}

/* Until the lock is ours, another error comes, or the waits are ended. */
static int
lock_wait_loop(struct lock_wait *w)
{
	long		ms = LOCK_POLL_MIN_MS;
	uint64_t	seen;
	int		err;

	pthread_mutex_lock(&lock_mtx);
	for (;;) {
		if (lock_waits_ended) {
			err = LOCK_WAIT_ENDED;
			break;
		}
		seen = lock_changes;
		pthread_mutex_unlock(&lock_mtx);
		err = lock_try(w);
		pthread_mutex_lock(&lock_mtx);
		if (!lock_busy(err))
			break;
		if (seen != lock_changes)	/* changed during the attempt */
			continue;
		lock_sleep(ms);
		ms = ms * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : ms * 2;
	}
	pthread_mutex_unlock(&lock_mtx);
	return err;
}

/* Waits, then answers; owns w. */
static void *
lock_wait_run(void *arg)
{
	struct lock_wait	*w = arg;
	int			 err;

	err = lock_wait_loop(w);
	lock_done(w, err);
	reply_status(w->req, err);
	free(w);
	pthread_mutex_lock(&lock_mtx);
	lock_waiters--;
	pthread_mutex_unlock(&lock_mtx);
	return NULL;
}

/* Under lock_mtx. */
static void
lock_cond_init(void)
{
	pthread_condattr_t	attr;

	if (lock_cond_ready)
		return;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&lock_cond, &attr) != 0)
		fatalx("%s: pthread_cond_init", __func__);
	pthread_condattr_destroy(&attr);
	lock_cond_ready = 1;
}

/*
 * IMSG_FRONTEND_LOCK_WAITS: with allow 0 every waiting SETLKW ends with LOCK_WAIT_ENDED
 * and a new one that would wait gets it at once, until allow 1.
 */
void
op_lock_waits(struct wreq *req)
{
	struct msg_lock_waits	m;

	memcpy(&m, req->data, sizeof(m));
	pthread_mutex_lock(&lock_mtx);
	lock_waits_ended = m.allow == 0;
	if (lock_waits_ended && lock_cond_ready)
		pthread_cond_broadcast(&lock_cond);
	if (lock_waits_ended && lock_waiters > 0)
		log_debug("ending %d lock waits", lock_waiters);
	pthread_mutex_unlock(&lock_mtx);
	wreq_free(req);
}

/* Hand w to a thread of its own. 0, or an errno value (w is still the caller's). */
static int
lock_wait_start(struct lock_wait *w)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	int		ret;

	pthread_mutex_lock(&lock_mtx);
	if (lock_waits_ended || lock_waiters >= LOCK_MAX_WAITERS) {
		pthread_mutex_unlock(&lock_mtx);
		return lock_waits_ended ? LOCK_WAIT_ENDED : ENOLCK;
	}
	lock_cond_init();
	lock_waiters++;
	pthread_mutex_unlock(&lock_mtx);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	ret = pthread_create(&tid, &attr, lock_wait_run, w);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		pthread_mutex_lock(&lock_mtx);
		lock_waiters--;
		pthread_mutex_unlock(&lock_mtx);
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
	if (lock_busy(err) && w->req != NULL && (err = lock_wait_start(w)) == 0)
		return;
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
