/*
 * What a wakeup between processes costs on this machine: a token goes round a ring of
 * HOPS processes, each blocked until the one before it passes it on, ROUNDS times; the
 * round trip time and the CPU time (user + sys, all processes) per round are printed.
 *
 * It puts a number on the privilege-separation design's floor. A request to a
 * single-process daemon is two hops (the guest kicks the daemon, the daemon signals the
 * guest back); through privfsd it is four (guest -> frontend -> worker -> frontend ->
 * guest), three if the worker completed requests itself. Not a test: run it by hand on an
 * idle machine; doc/architecture.md, "Data path", has the figures.
 *
 *   hops [-s|-f] [-t] HOPS ROUNDS	-s: SOCK_SEQPACKET records (as privfsd's request
 *				channel) instead of eventfds (as a ring's doorbells)
 *				-f: a futex word in shared memory instead
 *				-t: the others are threads of one process, not
 *				processes (one address space: what a hop costs
 *				without switching page tables)
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/futex.h>

#include <err.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOPS_MAX	8
/* A typed request of privfsd's channel is about this big (header, msg_req, a name). */
#define RECORD_BYTES	96

struct hop {
	int		 rd;
	int		 wr;
	uint32_t	*word;		/* -f: 1 while the token waits to be taken */
};

static int	use_socket;
static int	use_futex;
static int	use_threads;

static void
hop_make(struct hop *h)
{
	int sv[2];

	if (use_futex) {
		h->word = mmap(NULL, sizeof(*h->word), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (h->word == MAP_FAILED)
			err(1, "mmap");
	} else if (use_socket) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
			err(1, "socketpair");
		h->wr = sv[0];
		h->rd = sv[1];
	} else if ((h->rd = h->wr = eventfd(0, 0)) == -1)
		err(1, "eventfd");
}

static void
hop_pass(const struct hop *h)
{
	uint8_t		rec[RECORD_BYTES];
	uint64_t	one = 1;

	if (use_futex) {
		__atomic_store_n(h->word, 1, __ATOMIC_RELEASE);
		if (syscall(SYS_futex, h->word, FUTEX_WAKE, 1, NULL, NULL, 0) == -1)
			err(1, "futex wake");
		return;
	}
	memset(rec, 0, sizeof(rec));
	if (use_socket ? send(h->wr, rec, sizeof(rec), 0) != (ssize_t)sizeof(rec) :
	    write(h->wr, &one, sizeof(one)) != (ssize_t)sizeof(one))
		err(1, "pass");
}

static void
hop_wait(const struct hop *h)
{
	uint8_t		rec[RECORD_BYTES];
	uint64_t	v;

	if (use_futex) {
		while (__atomic_exchange_n(h->word, 0, __ATOMIC_ACQUIRE) == 0)
			syscall(SYS_futex, h->word, FUTEX_WAIT, 0, NULL, NULL, 0);
		return;
	}
	if (use_socket ? recv(h->rd, rec, sizeof(rec), 0) <= 0 :
	    read(h->rd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(0);
}

static void *
hop_thread(void *arg)
{
	const struct hop *h = arg;

	for (;;) {
		hop_wait(&h[-1]);
		hop_pass(&h[0]);
	}
	return NULL;
}

static double
seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct hop	 hops[HOPS_MAX];
	struct rusage	 self, kids;
	struct timespec	 t0, t1;
	pid_t		 pids[HOPS_MAX];
	const char	*errstr;
	double		 wall, cpu;
	long long	 n, rounds, i;
	int		 k;

	while (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "-s") == 0)
			use_socket = 1;
		else if (strcmp(argv[1], "-f") == 0)
			use_futex = 1;
		else if (strcmp(argv[1], "-t") == 0)
			use_threads = 1;
		else
			break;
		argc--;
		argv++;
	}
	if (argc != 3)
		errx(2, "usage: hops [-s|-f] [-t] HOPS ROUNDS");
	n = strtonum(argv[1], 2, HOPS_MAX, &errstr);
	if (errstr != NULL)
		errx(2, "HOPS %s: %s (2 to %d)", argv[1], errstr, HOPS_MAX);
	rounds = strtonum(argv[2], 1, 100000000, &errstr);
	if (errstr != NULL)
		errx(2, "ROUNDS %s: %s", argv[2], errstr);
	for (k = 0; k < n; k++)
		hop_make(&hops[k]);
	/* Process k waits on hop k-1 and passes to hop k; process 0 (us) starts each round. */
	for (k = 1; k < n && use_threads; k++) {
		pthread_t t;

		if (pthread_create(&t, NULL, hop_thread, &hops[k]) != 0)
			errx(1, "pthread_create");
	}
	for (k = 1; k < n && !use_threads; k++) {
		if ((pids[k] = fork()) == -1)
			err(1, "fork");
		if (pids[k] == 0)
			for (;;) {
				hop_wait(&hops[k - 1]);
				hop_pass(&hops[k]);
			}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++) {
		hop_pass(&hops[0]);
		hop_wait(&hops[n - 1]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (k = 1; k < n && !use_threads; k++)
		kill(pids[k], SIGKILL);
	while (wait(NULL) > 0)
		;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = seconds(&self.ru_utime) + seconds(&self.ru_stime) + seconds(&kids.ru_utime) +
	    seconds(&kids.ru_stime);
	printf("%s%s hops=%lld round_trip_us=%.1f cpu_us_per_round=%.1f\n",
	    use_futex ? "futex" : use_socket ? "seqpacket" : "eventfd",
	    use_threads ? " threads" : "", n, wall / rounds * 1e6, cpu / rounds * 1e6);
	return 0;
}
