/*
 * The lock table: one fd per (node, lock owner), on which that owner's POSIX locks are
 * OFD locks, and the handles each owner locked through (RELEASE of one closes the lock
 * fd: see ops_lock.c for why). Also what waiting SETLKWs sleep on: a counter of lock
 * changes in this worker and a condition variable, and whether waiting is allowed at all
 * (the frontend ends every wait before a device stop). Everything here is under lock_mtx.
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
#include "worker.h"

#define LOCK_BUCKETS		256
#define LOCK_MAX_WAITERS	64
#define LOCK_POLL_MIN_MS	2	/* first pause between attempts, doubled up to */
#define LOCK_POLL_MAX_MS	100

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
static int			lock_waits_ended;	/* locks_waits_allow(0): no waiting now */

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

void
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
int
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

/*
 * The owner's lock fd on h's node, with a reference; NULL with *err = 0 when there is
 * none and create is 0. It is shared by all the owner's handles, so it is opened for
 * reading and writing where the caller may (the handle's own mode otherwise); which lock
 * a handle may take is checked against the handle (lock_mode_check).
 */
struct lockfd *
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
uint32_t
locks_holder_pid(uint64_t nodeid, uint64_t owner, const struct flock *found)
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

int
lockfd_fd(const struct lockfd *lf)
{
	return lf->fd;
}

void
locks_changed(struct lockfd *lf, uint32_t pid)
{
	pthread_mutex_lock(&lock_mtx);
	if (lf != NULL)
		lf->pid = pid;
	lock_changed();
	pthread_mutex_unlock(&lock_mtx);
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

int
locks_wait(int (*attempt)(void *), void *arg)
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
		err = attempt(arg);
		pthread_mutex_lock(&lock_mtx);
		if (!locks_busy(err))
			break;
		if (seen != lock_changes)	/* changed during the attempt */
			continue;
		lock_sleep(ms);
		ms = ms * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : ms * 2;
	}
	pthread_mutex_unlock(&lock_mtx);
	return err;
}

int
locks_busy(int err)
{
	return err == EAGAIN || err == EACCES || err == EWOULDBLOCK;
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

int
locks_wait_begin(void)
{
	pthread_mutex_lock(&lock_mtx);
	if (lock_waits_ended || lock_waiters >= LOCK_MAX_WAITERS) {
		pthread_mutex_unlock(&lock_mtx);
		return lock_waits_ended ? LOCK_WAIT_ENDED : ENOLCK;
	}
	lock_cond_init();
	lock_waiters++;
	pthread_mutex_unlock(&lock_mtx);
	return 0;
}

void
locks_wait_end(void)
{
	pthread_mutex_lock(&lock_mtx);
	lock_waiters--;
	pthread_mutex_unlock(&lock_mtx);
}

void
locks_waits_allow(int allow)
{
	pthread_mutex_lock(&lock_mtx);
	lock_waits_ended = !allow;
	if (lock_waits_ended && lock_cond_ready)
		pthread_cond_broadcast(&lock_cond);
	if (lock_waits_ended && lock_waiters > 0)
		log_debug("ending %d lock waits", lock_waiters);
	pthread_mutex_unlock(&lock_mtx);
}
