/*
 * The request threads (--thread-pool-size), as leader and followers. One thread at a time,
 * the leader, waits in recvmsg on the frontend's requests channel (a SOCK_SEQPACKET
 * socket: each record is one whole request; with --poll-max-ns, in epoll on that socket
 * and the guest's kick fds) and runs what it receives itself, in its own receive buffer,
 * sending the reply itself (reply.c): no hand-off, no lock, no allocation per request.
 * The others sleep on a condition variable. A request that may block for long (an fsync,
 * a read that is not in the page cache, a large write, a DAX map that waits for the VMM)
 * first hands the socket to a follower (pool_may_block()), so that nothing waits behind
 * it, and its thread becomes a follower when it is done. Lock waits have threads of their
 * own (ops_lock.c).
 *
 * A request nobody expected to block (a LOOKUP on a hung network file system) would hold
 * up the rest, so the first follower is a deputy that looks every POOL_DEPUTY_MS: when
 * the leader has been in one request for that long, the deputy takes the channel over,
 * and the old leader becomes a follower when it is done. The deputy's look is the only
 * wake-up of an idle pool (4 a second).
 *
 * Why not every thread waiting in recvmsg, as before (measured 2026-12-04, 2 CPUs,
 * tests/bench, randread 4 KiB, 16 in flight): the kernel wakes one waiter per record, so
 * a burst woke up to 8 threads, one request each, which on two CPUs mostly switched, and
 * the frontend woke for each reply: 5.5e4 req/s at 26 us CPU each. With the leader: 9.4e4
 * at 11 us (the Rust virtiofsd 8.9e4 at 11 us in the same run). At one request in flight
 * both wake exactly one thread per request.
 *
 * Threads are started after the sandbox (namespaces, credentials and seccomp must hold for
 * every thread). The worker's seccomp policy (common/seccomp_worker.c) allows clone() with
 * thread flags only and answers clone3(), whose flags seccomp cannot see, with ENOSYS, so
 * that glibc falls back to clone().
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "clock.h"
#include "crowd.h"
#include "dispatch.h"
#include "log.h"
#include "msg.h"
#include "used_ring.h"
#include "worker.h"

#define POOL_MAX_THREADS	64

static struct chan		*pool_chan;
static const struct dispatch_entry *pool_table;

#define POOL_DEPUTY_MS		250

static pthread_mutex_t		 pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pool_cv;		/* CLOCK_MONOTONIC */
static int			 pool_has_leader;	/* under pool_mtx */
static int			 pool_has_deputy;	/* under pool_mtx */
static uint64_t			 pool_gen;		/* bumped when the channel changes hands */
static uint64_t			 pool_started;		/* requests the leaders began */
static int			 pool_running;		/* the leader is in a request */
static __thread int		 pool_leading;		/* this thread holds the socket */
static __thread uint64_t	 pool_my_gen;		/* pool_gen when it took it */

#define POOL_AWAKE_MIN_NS	1000

/* After a kick, the longest the leader waits awake for the frontend's record. */
#define POOL_KICK_NS		100000
#define POOL_EV_REQUESTS	UINT64_MAX

/*
 * Whether the CPUs are crowded, from what our awake waits lent others (crowd.h): while
 * they are, the leader sleeps without watching kicks (pool_sleep()). Only the leading
 * thread touches it; the lead passes under pool_mtx.
 */
static struct crowd		 pool_crowd;

static int			 pool_ep = -1;		/* fd 5 and the kick fds */
static uint64_t			 pool_awake_max_ns;	/* --poll-max-ns */
static __thread uint64_t	 pool_seen;		/* requests_sent before our last recv */
static __thread uint64_t	 pool_awake_ns;		/* this leader's window now */

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
	if (pool_gen == pool_my_gen) {	/* not taken over by the deputy meanwhile */
		__atomic_store_n(&pool_running, 0, __ATOMIC_RELEASE);
		pool_has_leader = 0;
		pthread_cond_signal(&pool_cv);
	}
	pthread_mutex_unlock(&pool_mtx);
}

void
pool_may_block_if_queued(void)
{
	struct msghdr	mh;
	struct iovec	iov;
	uint8_t		byte;

	if (!pool_leading)
		return;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &byte;
	iov.iov_len = sizeof(byte);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	/* A look at the next record, which stays where it is. */
	if (chan_ring_pending(pool_chan) ||
	    recvmsg(chan_fd(pool_chan), &mh, MSG_PEEK | MSG_DONTWAIT) >= 0)
		pool_may_block();
}

int
pool_is_leader(void)
{
	return pool_leading;
}

/*
 * Under pool_mtx, as the deputy: wait POOL_DEPUTY_MS; 1 when the leader was in the same
 * request all that time (it began before we looked), so the channel is ours.
 */
static int
pool_deputy_wait(void)
{
	struct timespec	until;
	uint64_t	seen = __atomic_load_n(&pool_started, __ATOMIC_ACQUIRE);
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += POOL_DEPUTY_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pool_has_deputy = 1;
	rc = pthread_cond_timedwait(&pool_cv, &pool_mtx, &until);
	pool_has_deputy = 0;
	return rc == ETIMEDOUT && pool_has_leader &&
	    __atomic_load_n(&pool_running, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&pool_started, __ATOMIC_ACQUIRE) == seen;
}

/* Wait until no thread holds the socket (or its holder is stuck), then take it. */
static void
pool_lead(void)
{
	chan_batch_flush();
	pthread_mutex_lock(&pool_mtx);
	while (pool_has_leader) {
		if (pool_has_deputy)
			pthread_cond_wait(&pool_cv, &pool_mtx);
		else if (pool_deputy_wait()) {
			log_debug("a request has run for %d ms: another thread takes the "
			    "requests", POOL_DEPUTY_MS);
			break;
		}
	}
	pool_has_leader = 1;
	pool_my_gen = __atomic_add_fetch(&pool_gen, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&pool_mtx);
	pool_leading = 1;
}

/* Run one request as the leader; a leader taken over meanwhile is a follower after. */
static void
pool_run(struct chan_msg *m)
{
	__atomic_add_fetch(&pool_started, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&pool_running, 1, __ATOMIC_RELEASE);
	if (pool_type_may_block(m->hdr.type))
		pool_may_block();
	direct_take(m);
	dispatch_msg(pool_chan, pool_table, m, NULL);
	if (pool_leading) {
		if (__atomic_load_n(&pool_gen, __ATOMIC_ACQUIRE) != pool_my_gen)
			pool_leading = 0;	/* the deputy has the channel now */
		else
			__atomic_store_n(&pool_running, 0, __ATOMIC_RELEASE);
	}
}

static int
pool_recv(uint8_t *buf, struct chan_msg *m, int flags)
{
	const uint64_t *sent = direct_requests_sent();

	if (sent != NULL)
		pool_seen = __atomic_load_n(sent, __ATOMIC_ACQUIRE);
	return chan_recv_packet_flags(pool_chan, buf, m, flags);
}

/*
 * Test builds say when the CPUs start to look crowded, so that a test that counts the
 * leader's sleeps on kicks (tests/worker/ops-direct.c) can first wait until the rule has
 * run out on a noisy machine. Not in the daemon: on a crowded host it would be a line
 * every few dozen requests.
 */
static void
pool_crowded(const char *what)
{
#ifdef PRIVFSD_TEST_HOOKS
	log_info("test: the CPUs look crowded: %s", what);
#else
	(void)what;
#endif
}

/* After a wait: how late the frontend's doorbell woke it, if it did (crowd.h). */
static void
pool_bell_check(void)
{
	uint64_t delay;

	if (chan_ring_bell_delay(pool_chan, &delay) && crowd_bell_woke(&pool_crowd, delay))
		pool_crowded("no awake waits until the doorbell wakes us on time again");
}

/*
 * Awake for up to ns, watching the frontend's count of records sent (common/used_ring.h)
 * and yielding the CPU between looks: the record, or 0 when none came in time.
 */
static int
pool_await_sent(uint8_t *buf, struct chan_msg *m, uint64_t ns)
{
	const uint64_t	*sent = direct_requests_sent();
	uint64_t	 start, now, before, lent = 0, n;
	int		 got = 0;

	start = now = now_ns();
	while (now - start < ns) {
		n = __atomic_load_n(sent, __ATOMIC_ACQUIRE);
		if ((n != pool_seen || chan_ring_pending(pool_chan)) &&
		    (got = pool_recv(buf, m, MSG_DONTWAIT)) != 0)
			break;
		/*
		 * Whoever our signal woke (the guest's thread) may be queued on this
		 * CPU, and the scheduler would let it wait for the window's end: pausing
		 * instead of yielding cost 10-20 % on lookup, create and readdir.
		 */
		before = now;
		sched_yield();
		now = now_ns();
		lent += crowd_yield_lent(before, now);
	}
	/* Only a wait that ended with a record counts (crowd.h). */
	if (crowd_wait_ended(&pool_crowd, got != 0, lent))
		pool_crowded("the next sleeps without the kick watch");
	return got;
}

/* How long to wait awake after a kick: the frontend's validation, not a guest's round trip. */
static uint64_t
pool_kick_ns(void)
{
	return pool_awake_max_ns < POOL_KICK_NS ? pool_awake_max_ns : POOL_KICK_NS;
}

/*
 * Asleep until a record comes, or until the guest kicks a ring we complete on: then the
 * frontend is being woken by the same kick, and its record follows within the few µs it
 * takes to validate the chain, so we wait for it awake. Woken by the kick rather than by
 * the frontend's record, our wake-up runs alongside the frontend's instead of after it
 * (doc/architecture.md, "What a hop costs").
 *
 * Not on crowded CPUs (crowd.h): there the kick's wake-up is one more switch
 * among many runnable threads, and the frontend that is to write the record waits its
 * turn as well, so the worker spins for nothing. Measured 2026-12-06 (2 CPUs,
 * BENCH_CONNECTIONS=8, privfsd alone, two alternated runs, kicks always watched / off
 * while crowded): 4 KiB random reads, one in flight, 7.9-8.5e4 / 1.01-1.02e5 a second,
 * 16 in flight 3.2e5 / 4.4e5, lookup+getattr 2.5-2.6e4 / 5.2-5.6e4 pairs, readdir
 * 2.6-2.7e6 / 3.6-3.9e6 entries, getattr p99 362-414 / 111-174 us. One guest alone
 * never turned it off, and its rows stayed where they were.
 */
static int
pool_sleep(uint8_t *buf, struct chan_msg *m)
{
	struct epoll_event	ev[USED_SHARE_QUEUES + 1];
	int			i, n, kicked, sock, got;

	if (pool_ep == -1 || !crowd_calm(&pool_crowd))
		return pool_recv(buf, m, 0);
	for (;;) {
		/* The frontend rings fd 5 for what it puts in the ring from now on. */
		if (chan_ring_sleep_begin(pool_chan))
			n = 0;
		else
			n = epoll_wait(pool_ep, ev, (int)(sizeof(ev) / sizeof(ev[0])), -1);
		chan_ring_sleep_end(pool_chan);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (i = 0, kicked = sock = 0; i < n; i++) {
			if (ev[i].data.u64 == POOL_EV_REQUESTS)
				sock = 1;
			else
				kicked = 1;
		}
		/* A kick alone: the record is not there yet, spare the recvmsg that says so. */
		if ((sock || chan_ring_pending(pool_chan)) &&
		    (got = pool_recv(buf, m, MSG_DONTWAIT)) != 0)
			return got;
		/* The kick's own request only: with more, the CPU is the frontend's. */
		if (kicked && !direct_guest_busy(1) &&
		    (got = pool_await_sent(buf, m, pool_kick_ns())) != 0)
			return got;
	}
}

/*
 * The leader's wait for the next request: first awake, watching the frontend's count of
 * records sent (common/used_ring.h) and yielding the CPU between looks, then asleep in
 * recvmsg. With one request in flight the next one comes a round trip through the guest
 * after the last one was answered (20-30 us here). A worker asleep by then costs a
 * wake-up on the request's path, the third process's hop that a single-process daemon
 * does not pay (doc/architecture.md, "What a hop costs"). Measured 2026-12-05 (2 CPUs,
 * tests/bench, q128, one request in flight, privfsd alone, two runs each, asleep / awake
 * 50 us): 4 KiB random reads 2.09e4 / 2.77e4 per second, lookup+getattr 1.06e4 / 1.41e4
 * pairs, getattr p50 43 / 33 us; CPU per request 31-33 / 43-45 us.
 *
 * Only while the guest has at most one request out (direct_guest_busy()): with 16 reads
 * in flight a worker that stayed awake kept a CPU the frontend and the guest needed, and
 * the reads fell from 1.2e5 to 4.5e4 a second; sleeping there, they are where they were.
 * One out is the next request, its record on the way: the frontend, looking at the
 * avail ring awake too (frontend/virtq_look.c), takes it within microseconds, and a
 * worker that slept for it would be woken by the doorbell. With nothing else out allowed
 * only, a CPU that another thread kept busy let the guest send its next request before
 * we looked, and the worker slept once a request (tests/driver/poll-awake.sh with one
 * `while :; do :; done` loop on the 2 CPUs: 0.92-1.0 sleeps a GETATTR, 0.000-0.001 with
 * one allowed). Measured 2026-12-06 (tests/bench, q128, privfsd alone, three alternated
 * rounds, medians, nothing else / one out allowed): one guest, create+release+unlink
 * 7.5e3 / 1.37e4 cycles a second, readdir 6.8e5 / 1.23e6 entries, lookup+getattr 2.9e4 /
 * 3.6e4 pairs, getattr p99 64 / 28 us; eight guests, getattr p50 147 / 104 us, readdir
 * 2.2e6 / 2.8e6 entries, the other rows within the spread.
 *
 * The time awake adapts as a halt-polling window does (QEMU's iothread poll-max-ns):
 * halved each time no request came within it, back to the whole --poll-max-ns when one
 * came within that after all, crowded CPUs or not (crowd.h). A guest that is idle, or
 * that sends a request now and then, keeps the worker asleep, but for the short waits
 * after its kicks (pool_sleep()).
 * On by default (100 us, enough for an emulated guest's round trip once the frontend
 * looks too: doc/architecture.md), as QEMU's iothreads poll by default; 0 for hosts
 * whose CPUs are all in use (busy CPUs turn the kick watch off by themselves,
 * crowd.h). It pays with idle CPUs that poll before halting as well, where a
 * wake-up is cheap: 2026-12-06, guest_halt_poll_ns 400000, q128, two runs each, 0 / 50
 * us: 4 KiB random reads 5.0e4 / 7.5e4, lookup+getattr 2.4e4 / 3.4e4, spaced getattr
 * p50 33 / 15 us.
 */
static int
pool_wait_next(uint8_t *buf, struct chan_msg *m)
{
	uint64_t	 start;
	int		 got;

	/*
	 * Busy, more records on their way: asleep on fd 5 alone, kicks would wake us in vain.
	 * So too while the doorbell wakes us late (crowd.h).
	 */
	if (direct_requests_sent() == NULL || pool_awake_max_ns == 0 ||
	    direct_guest_busy(1) || !crowd_may_wait_awake(&pool_crowd)) {
		got = pool_recv(buf, m, 0);
		pool_bell_check();
		return got;
	}
	start = now_ns();
	if ((got = pool_await_sent(buf, m, pool_awake_ns)) != 0)
		return got;
	got = pool_sleep(buf, m);
	pool_bell_check();
	pool_awake_ns = crowd_window_next(pool_awake_ns, pool_awake_max_ns,
	    now_ns() - start, POOL_AWAKE_MIN_NS);
	return got;
}

/*
 * The leader takes the records that wait without sleeping and keeps their replies in its
 * batch; when none is left it sends the replies in one go and sleeps in recvmsg. Whether
 * one is left, the frontend's CHAN_F_MORE says, so a lone request costs no extra call.
 */
static void *
pool_main(void *arg)
{
	struct chan_msg	 m;
	uint8_t		*buf;
	int		 got, more = 0;

	if ((buf = malloc(CHAN_PACKET_BUF)) == NULL)
		fatal("request buffer");
	chan_batch_begin(pool_chan);
	for (;;) {
		if (!pool_leading)
			pool_lead();
		/* The last record said another follows (CHAN_F_MORE): look before sleeping. */
		got = more ? pool_recv(buf, &m, MSG_DONTWAIT) : 0;
		if (got == 0) {
			chan_batch_flush();
			got = pool_wait_next(buf, &m);
		}
		if (got == -1) {
			chan_batch_flush();
			log_debug("channel to %s closed, exiting", chan_peer(pool_chan));
			_exit(0);
		}
		more = (m.hdr.flags & CHAN_F_MORE) != 0;
		pool_run(&m);
	}
	return NULL;
}

static void
pool_cv_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&pool_cv, &attr) != 0)
		fatalx("%s: pthread_cond_init", __func__);
	pthread_condattr_destroy(&attr);
}

/*
 * Kick fds are watched edge-triggered and never read, as the frontend watches them: each
 * kick is a new edge for both of us. Called on the loop thread while the leader may be
 * in epoll_wait, which the kernel allows.
 */
static void
pool_kick_watch(int old_fd, int new_fd)
{
	struct epoll_event ev;

	if (old_fd != -1 && epoll_ctl(pool_ep, EPOLL_CTL_DEL, old_fd, NULL) == -1)
		log_warn("epoll_ctl del kick fd");
	if (new_fd == -1)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = (uint64_t)new_fd;
	if (epoll_ctl(pool_ep, EPOLL_CTL_ADD, new_fd, &ev) == -1)
		log_warn("epoll_ctl add kick fd");
}

void
pool_init(int requests_fd, uint32_t poll_max_ns)
{
	struct epoll_event ev;

	pool_awake_max_ns = poll_max_ns;
	if (direct_requests_sent() == NULL || poll_max_ns == 0)
		return;		/* no waiting awake: nothing but fd 5 to wait for */
	if ((pool_ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = POOL_EV_REQUESTS;
	if (epoll_ctl(pool_ep, EPOLL_CTL_ADD, requests_fd, &ev) == -1)
		fatal("epoll_ctl");
	direct_set_kick_watch(pool_kick_watch);
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
	pool_cv_init();
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
