/*
 * Store buffering between an e2e guest and a host process on its memory: does the
 * guest's barrier order its store before its load as another host process sees them?
 * The event index handshakes of virtio need that (doc/wire.md, "A guest whose barrier is
 * not one"). Two halves of one static program, run by tcg-barrier.sh:
 *
 *   tcg-barrier guest ROUNDS FENCE    in the guest: FENCE 0 none, 1 mfence, 2 the locked
 *                                     add of Linux's x86-64 smp_mb(); prints the page's
 *                                     frame number, then plays the rounds
 *   tcg-barrier host QEMU_PID PFN ROUNDS SPAN
 *                                     on the host: maps that page of QEMU's guest memory
 *                                     (its memory-backend-memfd) and plays the other half
 *
 * Round r: the host publishes r in START; the guest stores r in X, fences, loads Y; the
 * host (after a random delay of up to SPAN loop turns, so that the halves sweep across
 * each other) stores r in Y, fences, loads X. With a barrier on both sides at least one
 * of them sees the other's r. A round where neither does is a reordering, counted by the
 * host as BOTH_MISSED.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Words of the shared page, each on a cache line of its own. */
#define W_START		0
#define W_X		16
#define W_Y		32
#define W_GUEST_DONE	48
#define W_GUEST_SAW	64
#define W_HOST_UP	80

static int
guest(long rounds, int fence)
{
	volatile uint32_t *p;
	uint64_t entry;
	uint32_t saw;
	long r, missed = 0;
	time_t t0;
	int fd;

	if (posix_memalign((void **)&p, 4096, 4096) != 0)
		return 1;
	memset((void *)p, 0, 4096);
	if (mlock((void *)p, 4096) == -1 ||
	    (fd = open("/proc/self/pagemap", O_RDONLY)) == -1 ||
	    pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)p / 4096 * 8)) != 8 ||
	    !(entry >> 63)) {
		printf("TCG-BARRIER no frame number\n");
		return 1;
	}
	printf("TCG-BARRIER pfn=%#llx\n", (unsigned long long)(entry & ((1ULL << 55) - 1)));
	fflush(stdout);
	for (t0 = time(NULL); p[W_HOST_UP] != 1;)
		if (time(NULL) - t0 > 60) {
			printf("TCG-BARRIER no host\n");
			return 1;
		}
	for (r = 1; r <= rounds; r++) {
		while (p[W_START] != (uint32_t)r)
			;
		p[W_X] = (uint32_t)r;
		if (fence == 1)
			__asm__ volatile("mfence" ::: "memory");
		else if (fence == 2)
			__asm__ volatile("lock; addl $0,-4(%%rsp)" ::: "memory", "cc");
		else
			__asm__ volatile("" ::: "memory");
		saw = p[W_Y];
		p[W_GUEST_SAW] = saw;
		p[W_GUEST_DONE] = (uint32_t)r;
		if (saw != (uint32_t)r)
			missed++;
	}
	printf("TCG-BARRIER guest rounds=%ld missed=%ld\n", rounds, missed);
	return 0;
}

/* QEMU's guest memory file: the largest memfd it holds (memory-backend-memfd). */
static int
guest_memory(int qpid)
{
	char path[300], link[256];
	struct dirent *de;
	struct stat st;
	off_t best = 0;
	ssize_t n;
	DIR *d;
	int fd = -1, f;

	snprintf(path, sizeof(path), "/proc/%d/fd", qpid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", qpid, de->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:", 7) != 0 || (f = open(path, O_RDWR)) == -1)
			continue;
		if (fstat(f, &st) == 0 && st.st_size > best) {
			if (fd != -1)
				close(fd);
			fd = f;
			best = st.st_size;
		} else
			close(f);
	}
	closedir(d);
	return fd;
}

static int
host(int qpid, unsigned long long pfn, long rounds, unsigned int span)
{
	volatile uint32_t *p;
	volatile unsigned int k;
	unsigned int seed = 1;
	uint32_t saw;
	long r, missed = 0, both = 0;
	int fd;

	if ((fd = guest_memory(qpid)) == -1) {
		printf("TCG-BARRIER no guest memory file in QEMU %d\n", qpid);
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(pfn * 4096));
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	p[W_HOST_UP] = 1;
	for (r = 1; r <= rounds; r++) {
		p[W_Y] = 0;
		__asm__ volatile("mfence" ::: "memory");
		p[W_START] = (uint32_t)r;
		seed = seed * 1103515245 + 12345;
		for (k = 0; k < (seed >> 16) % span; k++)
			;
		p[W_Y] = (uint32_t)r;
		__asm__ volatile("mfence" ::: "memory");
		saw = p[W_X];
		while (p[W_GUEST_DONE] != (uint32_t)r)
			;
		if (saw != (uint32_t)r) {
			missed++;
			if (p[W_GUEST_SAW] != (uint32_t)r)
				both++;
		}
	}
	printf("TCG-BARRIER host rounds=%ld missed=%ld BOTH_MISSED=%ld\n", rounds, missed, both);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && strcmp(argv[1], "guest") == 0)
		return guest(atol(argv[2]), atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "host") == 0 && atoi(argv[5]) > 0)
		return host(atoi(argv[2]), strtoull(argv[3], NULL, 0), atol(argv[4]),
		    (unsigned int)atoi(argv[5]));
	fprintf(stderr, "usage: tcg-barrier guest ROUNDS FENCE | "
	    "tcg-barrier host QEMU_PID PFN ROUNDS SPAN\n");
	return 2;
}
