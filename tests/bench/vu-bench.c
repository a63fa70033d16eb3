/*
 * vu-bench: run the benchmark workloads against one vhost-user-fs back-end and print
 * "RESULT backend key value unit" lines (bench.sh makes the table).
 *
 *   vu-bench --socket=S --backend=NAME --pid=PID [--seconds=S] [--file-mib=N]
 *            [--queue-size=N] [--seq-depth=N] [--only=w1,w2..] [--timeout=MS]
 *            [--dax-window=MIB [--dax-vmm=shmem|fs-map]]
 *
 * The shared directory must hold big (file-mib MiB), meta/f0000..f0999, an empty
 * create/ and dir10k/ (bench.sh makes them). Workloads: seqread128k seqread1m
 * randread randread16 seqwrite lookup create readdir readdirplus latency, spaced (GETATTRs
 * 200 us apart, as from a guest busy in between), and daxread
 * when the device has a DAX window (--dax-window; bench_dax.c). With --pid,
 * also the back-end's CPU time per request after each workload (<key>_cpu) and its
 * memory (rss_start, rss_end, pss, private_dirty), over the pid and its descendants.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *only;

void
result(struct bench *b, const char *key, double v, const char *unit)
{
	printf("RESULT %s %s %.6g %s\n", b->backend, key, v, unit);
	fflush(stdout);
}

void
result_na(struct bench *b, const char *key, const char *why)
{
	printf("RESULT %s %s NA %s\n", b->backend, key, why);
	fflush(stdout);
}

static int
wanted(const char *w)
{
	const char *p;
	size_t n = strlen(w);

	if (only == NULL)
		return 1;
	for (p = only; (p = strstr(p, w)) != NULL; p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void
rss(struct bench *b, int pid, const char *key)
{
	uint64_t r, a;
	int n;
	char k[64];

	if (pid <= 0 || rss_tree(pid, &r, &a, &n) == -1) {
		result_na(b, key, "no pid");
		return;
	}
	result(b, key, r / 1024.0, "MiB");
	snprintf(k, sizeof(k), "%s_anon", key);
	result(b, k, a / 1024.0, "MiB");
	fprintf(stderr, "%s: %s over %d processes\n", b->backend, key, n);
}

/*
 * After the workloads, still connected: what serving costs in memory. RSS counts the
 * pages the broker, frontend and worker share once per process; Pss splits them.
 */
static void
pss(struct bench *b, int pid)
{
	uint64_t p, d;
	int n;

	if (pid <= 0 || pss_tree(pid, &p, &d, &n) == -1) {
		result_na(b, "pss", "no pid");
		result_na(b, "private_dirty", "no pid");
		return;
	}
	result(b, "pss", p / 1024.0, "MiB");
	result(b, "private_dirty", d / 1024.0, "MiB");
	fprintf(stderr, "%s: pss over %d processes\n", b->backend, n);
}

static void
negotiated(struct bench *b)
{
	uint32_t pages = (b->init.flags & FUSE_MAX_PAGES) ? b->init.max_pages : 32;

	b->max_io = pages * BENCH_PAGE;
	if (b->init.max_write < b->max_io)
		b->max_io = b->init.max_write;
	if (b->max_io > BENCH_MAX_IO)
		b->max_io = BENCH_MAX_IO;
	fprintf(stderr, "%s: INIT %u.%u max_write %u max_pages %u -> %u bytes per READ/WRITE; "
	    "DO_READDIRPLUS %s\n", b->backend, b->init.major, b->init.minor, b->init.max_write,
	    b->init.max_pages, b->max_io, (b->init.flags & FUSE_DO_READDIRPLUS) ? "on" : "off");
	printf("INFO %s max_io %u\n", b->backend, b->max_io);
}

static long long
num(const char *s, long long lo, long long hi)
{
	const char *e;
	long long v = strtonum(s, lo, hi, &e);

	if (e != NULL)
		errx(2, "%s: %s", s, e);
	return v;
}

/*
 * The back-end's CPU time (all its processes and threads) over one workload, per request
 * answered in it: the cost of serving, whichever process does the work.
 */
static void
cpu_per_req(struct bench *b, int pid, const char *key, uint64_t us0, uint64_t n0)
{
	uint64_t us, n = b->completed - n0;
	char k[64];

	/* The request count, for tools that divide their own totals (syscalls.sh). */
	printf("COUNT %s %s %llu\n", b->backend, key, (unsigned long long)n);
	snprintf(k, sizeof(k), "%s_cpu", key);
	if (pid <= 0 || us0 == UINT64_MAX || cpu_tree(pid, &us) == -1)
		result_na(b, k, "no pid");
	else if (n == 0 || b->broken)
		result_na(b, k, "failed");
	else
		result(b, k, (double)(us - us0) / n, "us/req");
}

static void
run(struct bench *b, int pid)
{
	struct { const char *name, *key; void (*fn)(struct bench *, unsigned int);
	    unsigned int a; } *w, works[] = {
		{ "seqread128k", "seqread_128k", work_seq_read, 128 << 10 },
		{ "seqread1m", "seqread_1024k", work_seq_read, 1 << 20 },
		{ "randread", "randread_4k_qd1", work_rand_read, 1 },
		{ "randread16", "randread_4k_qd16", work_rand_read, 16 },
		{ "seqwrite", "seqwrite_1024k", work_seq_write, 1 << 20 },
		{ "lookup", "lookup_getattr", work_lookup, 0 },
		{ "create", "create_release_unlink", work_create, 0 },
		{ "readdir", "readdir", work_readdir, 0 },
		{ "readdirplus", "readdirplus", work_readdir, 1 },
		{ "latency", "getattr", work_latency, 0 },
		{ "spaced", "getattr_spaced", work_latency, 200 },
		{ "daxread", "randread_4k_dax", work_dax_read, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	uint64_t us0, n0;

	rss(b, pid, "rss_start");
	for (w = works; w->name != NULL && !b->broken; w++) {
		if (!wanted(w->name))
			continue;
		if (w->fn == work_dax_read && b->dev.dax.window == NULL)
			continue;	/* a row only for a device with a window */
		if (pid <= 0 || cpu_tree(pid, &us0) == -1)
			us0 = UINT64_MAX;
		n0 = b->completed;
		w->fn(b, w->a);
		cpu_per_req(b, pid, w->key, us0, n0);
	}
	if (b->broken)
		fprintf(stderr, "%s: stopped after a failure\n", b->backend);
	rss(b, pid, "rss_end");
	pss(b, pid);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 't' },
		{ "file-mib", required_argument, NULL, 'f' },
		{ "queue-size", required_argument, NULL, 'q' },
		{ "seq-depth", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "dax-window", required_argument, NULL, 'W' },
		{ "dax-vmm", required_argument, NULL, 'V' },
		{ "scatter", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bench b;
	struct vu_opts o;
	int ch, pid = 0, r;
	char *end;

	vu_opts_default(&o);
	o.queue_size = 128;
	o.indirect = 1;		/* as Linux 6.1 with QEMU: indirect and event idx */
	o.event_idx = 1;
	o.no_overrun_check = 1;
	o.mem_size = 128ULL << 20;
	b.backend = "privfsd";
	b.seconds = 2;
	b.file_size = 256ULL << 20;
	b.seq_depth = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.socket = optarg; break;
		case 'b': b.backend = optarg; break;
		case 'p': pid = (int)num(optarg, 1, 1 << 30); break;
		case 't':
			b.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(b.seconds > 0 && b.seconds < 3600))
				errx(2, "--seconds: %s", optarg);
			break;
		case 'f': b.file_size = (uint64_t)num(optarg, 1, 1 << 16) << 20; break;
		case 'q': o.queue_size = (unsigned int)num(optarg, 16, 32768); break;
		case 'd': b.seq_depth = (unsigned int)num(optarg, 1, BENCH_MAX_DEPTH); break;
		case 'o': only = optarg; break;
		case 'T': o.timeout_ms = (int)num(optarg, 1, 600000); break;
		case 'W': o.dax_window = (uint64_t)num(optarg, 2, 1 << 20) << 20; break;
		case 'S': b.scatter = 1; break;
		case 'V':
			if (strcmp(optarg, "shmem") != 0 && strcmp(optarg, "fs-map") != 0)
				errx(2, "--dax-vmm: shmem or fs-map");
			o.dax_vmm = strcmp(optarg, "fs-map") == 0 ? VU_DAX_FS_MAP : VU_DAX_SHMEM;
			break;
		default:
			fprintf(stderr, "usage: vu-bench --socket=S [--backend=NAME] [--pid=PID] "
			    "[--seconds=S] [--file-mib=N] [--queue-size=N] [--seq-depth=N] "
			    "[--only=LIST] [--timeout=MS] [--dax-window=MIB] "
			    "[--dax-vmm=shmem|fs-map] [--scatter]\n");
			return 2;
		}
	}
	if (o.socket == NULL)
		errx(2, "--socket is required");
	if (vu_dev_open(&b.dev, &o) == -1)
		errx(1, "%s: %s", b.backend, b.dev.err);
	if ((r = vu_fuse_init(&b.dev, &b.init)) != 0)
		errx(1, "%s: INIT: %s", b.backend, vu_fuse_why(&b.dev, r));
	if (bench_setup(&b) == -1)
		errx(1, "no guest memory for the request slots");
	negotiated(&b);
	run(&b, pid);
	vu_dev_close(&b.dev);
	return b.broken ? 1 : 0;
}
