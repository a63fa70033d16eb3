/*
 * The request threads (--thread-pool-size), as leader and followers. One thread at a time,
 * the leader, waits in recvmsg on the frontend's requests channel (a SOCK_SEQPACKET
 * socket: each record is one whole request) and runs what it receives itself, in its own
 * receive buffer, sending the reply itself (reply.c): no hand-off, no lock, no allocation
 * per request. The others sleep on a condition variable. A request that may block for
 * long (an fsync, a read that is not in the page cache, a large write, a DAX map that
 * waits for the VMM) first hands the socket to a follower (pool_may_block()), so that
 * nothing waits behind it, and its thread becomes a follower when it is done. Lock waits
 * have threads of their own (ops_lock.c).
 *
 * Why not every thread waiting in recvmsg, as before (measured 2026-12-04, 2 CPUs,
 * tests/bench, randread 4 KiB): the kernel wakes one waiter per record, so 16 requests in
 * flight woke up to 16 threads, each for one request, and on two CPUs they mostly
 * switched: 5.5e4 req/s at 26 us CPU each, against 1.1e5 req/s at 9.6 us when one thread
 * takes them in turn (--thread-pool-size=0). At one request in flight both wake exactly
 * one thread per request.
 *
 * Threads are started after the sandbox (namespaces, credentials and seccomp must hold for
 * every thread). The worker's seccomp policy (common/seccomp_worker.c) allows clone() with
 * thread flags only and answers clone3(), whose flags seccomp cannot see, with ENOSYS, so
 * that glibc falls back to clone().
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "msg.h"
#include "worker.h"

#define POOL_MAX_THREADS	64

static struct chan		*pool_chan;
static const struct dispatch_entry *pool_table;

static pthread_mutex_t		 pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pool_cv = PTHREAD_COND_INITIALIZER;
static int			 pool_has_leader;	/* under pool_mtx */
static __thread int		 pool_leading;		/* this thread holds the socket */

/* Request types that may block for long whatever their arguments. */
static int
pool_type_may_block(uint32_t type)
{
	switch (type) {
	case IMSG_FRONTEND_FSYNC:
	case IMSG_FRONTEND_FSYNCDIR:
	case IMSG_FRONTEND_SYNCFS:
	case IMSG_FRONTEND_FALLOCATE:
	case IMSG_FRONTEND_COPY_FILE_RANGE:
	case IMSG_FRONTEND_SETUPMAPPING:
	case IMSG_FRONTEND_REMOVEMAPPING:
		return 1;
	default:
		return 0;
	}
}

void
pool_may_block(void)
{
	if (!pool_leading)
		return;
	chan_batch_flush();		/* no reply waits behind the slow one */
	pool_leading = 0;
	pthread_mutex_lock(&pool_mtx);
	pool_has_leader = 0;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mtx);
}

int
pool_is_leader(void)
{
	return pool_leading;
}

/* Wait until no thread holds the socket, then take it. */
static void
pool_lead(void)
{
	chan_batch_flush();
	pthread_mutex_lock(&pool_mtx);
	while (pool_has_leader)
		pthread_cond_wait(&pool_cv, &pool_mtx);
	pool_has_leader = 1;
	pthread_mutex_unlock(&pool_mtx);
	pool_leading = 1;
}

/*
 * The leader takes the records that wait without sleeping and keeps their replies in its
 * batch; when none is left it sends the replies in one go and sleeps in recvmsg.
 */
static void *
pool_main(void *arg)
{
	struct chan_msg	 m;
	uint8_t		*buf;
	int		 got;

	if ((buf = malloc(CHAN_PACKET_BUF)) == NULL)
		fatal("request buffer");
	chan_batch_begin(pool_chan);
	for (;;) {
		if (!pool_leading)
			pool_lead();
		if ((got = chan_recv_packet_flags(pool_chan, buf, &m, MSG_DONTWAIT)) == 0) {
			chan_batch_flush();
			got = chan_recv_packet_flags(pool_chan, buf, &m, 0);
		}
		if (got == -1) {
			chan_batch_flush();
			log_debug("channel to %s closed, exiting", chan_peer(pool_chan));
			_exit(0);
		}
		if (pool_type_may_block(m.hdr.type))
			pool_may_block();
		dispatch_msg(pool_chan, pool_table, &m, NULL);
	}
	return NULL;
}

void
pool_start(unsigned int nthreads, struct chan *c, const struct dispatch_entry *table)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	sigset_t	all, old;
	unsigned int	i;
	int		error;

	if (nthreads > POOL_MAX_THREADS)
		nthreads = POOL_MAX_THREADS;
	pool_chan = c;
	pool_table = table;
	/* Signals stay with the loop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < nthreads; i++) {
		if ((error = pthread_create(&tid, &attr, pool_main, NULL)) != 0) {
			errno = error;
			fatal("pthread_create");
		}
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_debug("%u request threads", nthreads);
}
