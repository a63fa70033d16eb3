/*
 * The request threads (--thread-pool-size). Each takes requests straight from the
 * frontend's requests channel, a SOCK_SEQPACKET socket on which the kernel hands each
 * record whole to one of the threads waiting in recvmsg, runs the request in its own
 * receive buffer and sends the reply itself (reply.c). No hand-off through the loop
 * thread, no queue and no allocation per request: at one request in flight, the thread
 * that serves it is the only one that wakes.
 *
 * At most POOL_RECEIVERS threads wait on the socket; the others sleep on pool_cond. A
 * thread that takes a request when no other is left waiting wakes a sleeper to wait in
 * its place, so a slow request (an fsync, a read from a slow disk) never holds up those
 * behind it while a thread is free. Two wait, so that the request that comes while one
 * is being served finds a thread already waiting instead of one that must first be woken.
 * A thread done with its request waits on the socket again if fewer than POOL_RECEIVERS
 * do, and sleeps otherwise. When every thread is busy, requests wait in the socket (its
 * buffer is bounded) and then in the frontend, which stops taking them from the guest.
 *
 * Threads are started after the sandbox (namespaces, credentials and seccomp must hold for
 * every thread). The worker's seccomp policy (common/seccomp_worker.c) allows clone() with
 * thread flags only and answers clone3(), whose flags seccomp cannot see, with ENOSYS, so
 * that glibc falls back to clone().
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "worker.h"

#define POOL_MAX_THREADS	64
#define POOL_RECEIVERS		2

static pthread_mutex_t		 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pool_cond = PTHREAD_COND_INITIALIZER;
static unsigned int		 pool_receiving;	/* threads in recvmsg, under pool_lock */
static unsigned int		 pool_sleeping;		/* threads on pool_cond, under pool_lock */
static unsigned int		 pool_receivers;	/* min(POOL_RECEIVERS, threads) */
static struct chan		*pool_chan;
static const struct dispatch_entry *pool_table;

static void *
pool_main(void *arg)
{
	struct chan_msg	 m;
	uint8_t		*buf;

	if ((buf = malloc(CHAN_PACKET_BUF)) == NULL)
		fatal("request buffer");
	pthread_mutex_lock(&pool_lock);
	for (;;) {
		while (pool_receiving >= pool_receivers) {
			pool_sleeping++;
			pthread_cond_wait(&pool_cond, &pool_lock);
			pool_sleeping--;
		}
		pool_receiving++;
		pthread_mutex_unlock(&pool_lock);
		if (chan_recv_packet(pool_chan, buf, &m) == -1) {
			log_debug("channel to %s closed, exiting", chan_peer(pool_chan));
			_exit(0);
		}
		pthread_mutex_lock(&pool_lock);
		if (--pool_receiving == 0 && pool_sleeping > 0)
			pthread_cond_signal(&pool_cond);
		pthread_mutex_unlock(&pool_lock);
		dispatch_msg(pool_chan, pool_table, &m, NULL);
		pthread_mutex_lock(&pool_lock);
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
	pool_receivers = nthreads < POOL_RECEIVERS ? nthreads : POOL_RECEIVERS;
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
