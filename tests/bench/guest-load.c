/*
 * guest-load: the file workloads of the in-guest benchmark (guest-bench.sh), run inside
 * the e2e guest on the virtiofs mount. Built static, so the busybox guest can run it from
 * the share. Each workload runs for SECONDS and prints two lines the host collects:
 *
 *	GBEGIN <workload>			then half a second with nothing to do
 *	GBENCH <workload> <unit> <value>	when it is done
 *
 * The quiet half second lets the host's sampler (guest-cpu.py), which sees the lines
 * a little late, count the back-end's CPU time between them as the workload's.
 *
 * Usage: guest-load DIR SECONDS [FILE_MIB]
 * DIR is a directory on the mount the load may fill (FILE_MIB, default 32, plus small
 * files). Exits 1 on the first failed call, naming it.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char	*dir;
static double		 seconds;
static size_t		 file_bytes;
static char		 big[4096];	/* path of the large file */
static uint8_t		*buf;		/* 1 MiB */
static uint64_t		 seed = 0x2545f4914f6cdd1dULL;

static void
die(const char *what)
{
	fprintf(stderr, "guest-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* The workload's first line and its quiet half second; returns its start time. */
static double
begin(const char *name)
{
	struct timespec quiet = { 0, 500000000L };

	printf("GBEGIN %s\n", name);
	fflush(stdout);
	nanosleep(&quiet, NULL);
	return now();
}

static void
report(const char *name, const char *unit, double value)
{
	printf("GBENCH %s %s %.6g\n", name, unit, value);
	fflush(stdout);
}

/* Writes the large file from the start with 1 MiB writes, round after round. */
static void
seq_write(void)
{
	double	 t0 = begin("seqwrite_1m"), t;
	uint64_t bytes = 0;
	size_t	 off;
	int	 fd;

	if ((fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		die("open for writing");
	do {
		for (off = 0; off < file_bytes; off += 1 << 20) {
			if (pwrite(fd, buf, 1 << 20, (off_t)off) != 1 << 20)
				die("pwrite");
			bytes += 1 << 20;
		}
	} while ((t = now() - t0) < seconds);
	if (fsync(fd) == -1 || close(fd) == -1)
		die("fsync");
	report("seqwrite_1m", "MB/s", (double)bytes / 1e6 / t);
}

static void
seq_read(void)
{
	double	 t0 = begin("seqread_1m"), t;
	uint64_t bytes = 0;
	size_t	 off;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(big, O_RDONLY)) == -1)
		die("open for reading");
	do {
		for (off = 0; off < file_bytes; off += (size_t)n) {
			if ((n = pread(fd, buf, 1 << 20, (off_t)off)) <= 0)
				die("pread");
			bytes += (uint64_t)n;
		}
	} while ((t = now() - t0) < seconds);
	close(fd);
	report("seqread_1m", "MB/s", (double)bytes / 1e6 / t);
}

/* 4 KiB at random aligned offsets, one at a time. */
static void
rand_io(int writing)
{
	double	 t0 = begin(writing ? "randwrite_4k" : "randread_4k"), t;
	uint64_t ops = 0, blocks = file_bytes / 4096;
	off_t	 off;
	int	 fd, i;

	if ((fd = open(big, writing ? O_WRONLY : O_RDONLY)) == -1)
		die("open");
	do {
		for (i = 0; i < 64; i++, ops++) {
			off = (off_t)(rnd() % blocks) * 4096;
			if ((writing ? pwrite(fd, buf, 4096, off) : pread(fd, buf, 4096, off)) !=
			    4096)
				die(writing ? "pwrite 4k" : "pread 4k");
		}
	} while ((t = now() - t0) < seconds);
	close(fd);
	report(writing ? "randwrite_4k" : "randread_4k", "ops/s", (double)ops / t);
}

/* create + close + stat + unlink of a fresh name each time. */
static void
create_stat_unlink(void)
{
	char		name[4096];
	struct stat	st;
	double		t0 = begin("create_stat_unlink"), t;
	uint64_t	cycles = 0;
	int		fd;

	do {
		snprintf(name, sizeof(name), "%s/f%llu", dir, (unsigned long long)cycles);
		if ((fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1)
			die("create");
		if (close(fd) == -1 || stat(name, &st) == -1 || unlink(name) == -1)
			die("close, stat or unlink");
		cycles++;
	} while ((t = now() - t0) < seconds);
	report("create_stat_unlink", "cycles/s", (double)cycles / t);
}

/* stat of one existing name (LOOKUP, or GETATTR when the guest caches the entry). */
static void
stat_loop(void)
{
	struct stat	st;
	double		t0 = begin("stat"), t;
	uint64_t	ops = 0;
	int		i;

	do {
		for (i = 0; i < 64; i++, ops++)
			if (stat(big, &st) == -1)
				die("stat");
	} while ((t = now() - t0) < seconds);
	report("stat", "ops/s", (double)ops / t);
}

int
main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: guest-load DIR SECONDS [FILE_MIB]\n");
		return 2;
	}
	dir = argv[1];
	seconds = atof(argv[2]);
	file_bytes = (size_t)(argc == 4 ? atoi(argv[3]) : 32) << 20;
	if (seconds <= 0 || file_bytes == 0) {
		fprintf(stderr, "guest-load: bad SECONDS or FILE_MIB\n");
		return 2;
	}
	if ((size_t)snprintf(big, sizeof(big), "%s/big", dir) >= sizeof(big))
		return 2;
	if ((buf = malloc(1 << 20)) == NULL)
		die("malloc");
	memset(buf, 0x5a, 1 << 20);
	seq_write();
	seq_read();
	rand_io(0);
	rand_io(1);
	create_stat_unlink();
	stat_loop();
	unlink(big);
	return 0;
}
