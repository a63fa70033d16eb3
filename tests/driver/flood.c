/*
 * driver/vu-flood: a guest hammers one kind of request for FLOOD_SECONDS while the memory
 * of every back-end process is sampled (/proc/PID/status, /proc/PID/smaps_rollup): the
 * peak of each is printed with its bound, and the run fails when one is above it.
 *
 *   vu-flood --socket=S --host-dir=D --pid=BROKER WORKLOAD
 *
 * Workloads (requests without a reply, or per-handle state, used to grow daemon memory):
 *   forget   FORGET on hiprio and BATCH_FORGET (512 ids) on queue 1, rings kept full
 *   lookup   LOOKUP of the host directory's files, round robin, ring kept full
 *   opendir  OPENDIR of the root, never released
 *   readdir  READDIR and READDIRPLUS, in turn, of 64 KiB (the largest accepted) from
 *            offset 0 of one directory handle, ring kept full
 *
 * The bound, per process, is on its own memory (RssAnon: heap, stacks, buffers). RSS also
 * counts the guest memory pages the process touched, which belong to the VM (QEMU's
 * memfd), so RSS is allowed the bound plus the guest memory size.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vu_cli.h"
#include "vu_fuse.h"

#ifdef PRIVFSD_SANITIZERS
#define FLOOD_DEFAULT_SECONDS	10
#define SAN_EXTRA_KB		(64 * 1024)	/* ASan's shadow, allocator and quarantine
						   (16 MiB, flood.sh) */
#else
#define FLOOD_DEFAULT_SECONDS	60
#define SAN_EXTRA_KB		0
#endif

/* The documented bounds (privfsd(8), "Bounds against a hostile guest"), KiB of RssAnon. */
#define BOUND_BROKER_KB		(16 * 1024)
#define BOUND_FRONTEND_KB	(32 * 1024)
#define BOUND_WORKER_KB		(64 * 1024)

#define NFILES			1000	/* lookup: files in the shared directory */
#define BATCH_IDS		512
#define SLOTS			128	/* requests in flight per ring at most */

enum { P_BROKER, P_FRONTEND, P_WORKER, NPROC };
static const char *const pname[NPROC] = { "broker", "frontend", "worker" };
static const long bound_kb[NPROC] = { BOUND_BROKER_KB, BOUND_FRONTEND_KB, BOUND_WORKER_KB };

struct sample {
	pid_t	pid;
	long	rss, pss, anon;		/* peaks, KiB */
};

static struct sample	 procs[NPROC];
static pthread_mutex_t	 procs_mtx = PTHREAD_MUTEX_INITIALIZER;
static volatile int	 sampling = 1;

struct slot {
	struct vu_fuse_req	 req;
	uint8_t			 in[sizeof(struct fuse_in_header) + 16384];
	int			 busy;
};

struct flood {
	struct vu_cli	 cli;
	struct vu_dev	 dev;
	const char	*workload;
	uint64_t	 dirfh;
	uint64_t	 nodes[NFILES];
	unsigned int	 nnodes, next;
	uint64_t	 done;
	uint64_t	 errors;
};

/* ---- sampling ---- */

static void
sample_one(struct sample *s)
{
	char path[64];
	long rss, pss, anon;

	if (s->pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)s->pid);
	rss = vu_proc_field(path, "VmRSS:");
	anon = vu_proc_field(path, "RssAnon:");
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)s->pid);
	pss = vu_proc_field(path, "Pss:");
	pthread_mutex_lock(&procs_mtx);
	if (rss > s->rss)
		s->rss = rss;
	if (pss > s->pss)
		s->pss = pss;
	if (anon > s->anon)
		s->anon = anon;
	pthread_mutex_unlock(&procs_mtx);
}

static void *
sampler(void *arg)
{
	int i;

	while (sampling) {
		for (i = 0; i < NPROC; i++)
			sample_one(&procs[i]);
		usleep(100 * 1000);
	}
	return NULL;
}

/* The broker's children by their titles ("privfsd: frontend", "privfsd: worker ..."). */
static void
find_children(pid_t broker)
{
	char path[64], buf[512];
	struct dirent *de;
	DIR *d;
	FILE *f;
	long pid, ppid;
	size_t n;

	procs[P_BROKER].pid = broker;
	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = strtol(de->d_name, NULL, 10)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strrchr(buf, ')') == NULL ||
		    sscanf(strrchr(buf, ')') + 2, "%*c %ld", &ppid) != 1 || ppid != broker)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strstr(buf, "frontend") != NULL)
			procs[P_FRONTEND].pid = (pid_t)pid;
		else if (strstr(buf, "worker") != NULL)
			procs[P_WORKER].pid = (pid_t)pid;
	}
	closedir(d);
}

/* ---- workloads ---- */

static size_t
fill_forget(struct flood *f, struct slot *s)
{
	struct fuse_in_header h;
	struct fuse_forget_in in;

	memset(&in, 0, sizeof(in));
	in.nlookup = 1;
	vu_fuse_hdr(&f->dev, &h, FUSE_FORGET, 0x100000 + (f->next++ % 65536), sizeof(h) +
	    sizeof(in));
	memcpy(s->in, &h, sizeof(h));
	memcpy(s->in + sizeof(h), &in, sizeof(in));
	s->req.no_out = 1;
	return sizeof(h) + sizeof(in);
}

static size_t
fill_batch_forget(struct flood *f, struct slot *s)
{
	struct fuse_in_header h;
	struct fuse_batch_forget_in b;
	struct fuse_forget_one one;
	size_t len = sizeof(h) + sizeof(b) + BATCH_IDS * sizeof(one);
	unsigned int i;

	memset(&b, 0, sizeof(b));
	b.count = BATCH_IDS;
	vu_fuse_hdr(&f->dev, &h, FUSE_BATCH_FORGET, 0, len);
	memcpy(s->in, &h, sizeof(h));
	memcpy(s->in + sizeof(h), &b, sizeof(b));
	for (i = 0; i < BATCH_IDS; i++) {
		one.nodeid = 0x200000 + (f->next++ % 65536);
		one.nlookup = 1;
		memcpy(s->in + sizeof(h) + sizeof(b) + i * sizeof(one), &one, sizeof(one));
	}
	s->req.no_out = 1;
	return len;
}

static size_t
fill_lookup(struct flood *f, struct slot *s)
{
	struct fuse_in_header h;
	char name[32];
	size_t n;

	n = (size_t)snprintf(name, sizeof(name), "f%u", f->next++ % NFILES) + 1;
	vu_fuse_hdr(&f->dev, &h, FUSE_LOOKUP, 1, sizeof(h) + n);
	memcpy(s->in, &h, sizeof(h));
	memcpy(s->in + sizeof(h), name, n);
	s->req.out_args = sizeof(struct fuse_entry_out);
	return sizeof(h) + n;
}

static size_t
fill_opendir(struct flood *f, struct slot *s)
{
	struct fuse_in_header h;
	struct fuse_open_in in;

	memset(&in, 0, sizeof(in));
	in.flags = O_RDONLY | O_DIRECTORY;
	vu_fuse_hdr(&f->dev, &h, FUSE_OPENDIR, 1, sizeof(h) + sizeof(in));
	memcpy(s->in, &h, sizeof(h));
	memcpy(s->in + sizeof(h), &in, sizeof(in));
	s->req.out_args = sizeof(struct fuse_open_out);
	return sizeof(h) + sizeof(in);
}

static size_t
fill_readdir(struct flood *f, struct slot *s)
{
	struct fuse_in_header h;
	struct fuse_read_in in;

	memset(&in, 0, sizeof(in));
	in.fh = f->dirfh;
	in.size = 64 * 1024;
	vu_fuse_hdr(&f->dev, &h, f->next++ % 2 ? FUSE_READDIRPLUS : FUSE_READDIR, 1,
	    sizeof(h) + sizeof(in));
	memcpy(s->in, &h, sizeof(h));
	memcpy(s->in + sizeof(h), &in, sizeof(in));
	s->req.out_pages = 64 * 1024;
	return sizeof(h) + sizeof(in);
}

static int
submit(struct flood *f, struct slot *s, unsigned int queue)
{
	size_t len;

	free(s->req.out);
	s->req.out = NULL;
	s->req.queue = queue;
	s->req.no_out = 0;
	s->req.out_args = s->req.out_pages = 0;
	if (queue == 0)
		len = fill_forget(f, s);
	else if (strcmp(f->workload, "forget") == 0)
		len = fill_batch_forget(f, s);
	else if (strcmp(f->workload, "lookup") == 0)
		len = fill_lookup(f, s);
	else if (strcmp(f->workload, "opendir") == 0)
		len = fill_opendir(f, s);
	else
		len = fill_readdir(f, s);
	s->req.in = s->in;
	s->req.inlen = len;
	if (vu_fuse_submit(&f->dev, &s->req) == -1)
		return -1;
	s->busy = 1;
	return 0;
}

/* Keep ring q full: resubmit what completed. Returns requests completed. */
static unsigned int
pump(struct flood *f, struct slot *slots, unsigned int n, unsigned int queue, int refill)
{
	unsigned int i, done = 0;
	struct fuse_out_header oh;

	for (i = 0; i < n; i++) {
		if (slots[i].busy && vu_fuse_wait(&f->dev, &slots[i].req, 0) == 1) {
			slots[i].busy = 0;
			done++;
			if (slots[i].req.out != NULL && slots[i].req.used_len >= sizeof(oh)) {
				memcpy(&oh, slots[i].req.out, sizeof(oh));
				f->errors += oh.error != 0;
			}
		}
		if (!slots[i].busy && refill && submit(f, &slots[i], queue) == -1)
			break;
	}
	vu_fuse_publish(&f->dev, queue);
	f->done += done;
	return done;
}

static int
busy_count(const struct slot *slots, unsigned int n)
{
	unsigned int i;
	int b = 0;

	for (i = 0; i < n; i++)
		b += slots[i].busy;
	return b;
}

static void
hammer(struct flood *f, int seconds)
{
	static struct slot hi[SLOTS], rq[SLOTS];
	unsigned int nhi = strcmp(f->workload, "forget") == 0 ? SLOTS / 2 : 0;
	time_t end = time(NULL) + seconds;
	int idle;

	while (time(NULL) < end) {
		if (pump(f, hi, nhi, 0, 1) + pump(f, rq, SLOTS / 2, 1, 1) == 0)
			(void)vu_ring_wait(vu_dev_ring(&f->dev, 1), 5);
	}
	/* Drain: everything in flight must still come back. */
	for (idle = 0; idle < 2000 && busy_count(hi, nhi) + busy_count(rq, SLOTS / 2) > 0;
	    idle++) {
		if (pump(f, hi, nhi, 0, 0) + pump(f, rq, SLOTS / 2, 1, 0) == 0)
			usleep(5000);
	}
	if (busy_count(hi, nhi) + busy_count(rq, SLOTS / 2) > 0)
		printf("FAIL: %d requests never came back after the flood\n",
		    busy_count(hi, nhi) + busy_count(rq, SLOTS / 2));
}

static int
prepare(struct flood *f)
{
	struct fuse_init_out io;
	struct fuse_open_out o;
	char path[4096];
	unsigned int i;
	int fd, r;

	for (i = 0; f->cli.host_dir != NULL && i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%u", f->cli.host_dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) != -1)
			close(fd);
	}
	if ((r = vu_fuse_init(&f->dev, &io)) != 0) {
		printf("FAIL: INIT: %s\n", vu_fuse_why(&f->dev, r));
		return -1;
	}
	if (strcmp(f->workload, "readdir") == 0) {
		if ((r = vu_fuse_open(&f->dev, 1, O_RDONLY | O_DIRECTORY, 1, &o)) != 0) {
			printf("FAIL: OPENDIR: %s\n", vu_fuse_why(&f->dev, r));
			return -1;
		}
		f->dirfh = o.fh;
	}
	return 0;
}

static int
report(void)
{
	long rss_bound;
	int i, fail = 0, over;

	for (i = 0; i < NPROC; i++) {
		rss_bound = bound_kb[i] + SAN_EXTRA_KB + 64 * 1024;
		over = procs[i].pid <= 0 || procs[i].anon > bound_kb[i] + SAN_EXTRA_KB ||
		    procs[i].rss > rss_bound;
		printf("%s: %-8s pid %-7ld peak RSS %7ld KiB  PSS %7ld KiB  own (RssAnon) "
		    "%7ld KiB  bound %ld KiB own, %ld KiB RSS\n", over ? "FAIL" : "ok",
		    pname[i], (long)procs[i].pid, procs[i].rss, procs[i].pss, procs[i].anon,
		    bound_kb[i] + SAN_EXTRA_KB, rss_bound);
		fail |= over;
	}
	return fail;
}

int
main(int argc, char *argv[])
{
	static struct flood f;
	struct fuse_attr_out at;
	const char *env = getenv("FLOOD_SECONDS");
	pthread_t tid;
	pid_t broker = 0;
	int seconds = FLOOD_DEFAULT_SECONDS, r, fail;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env != NULL && (seconds = (int)strtol(env, NULL, 10)) <= 0)
		seconds = FLOOD_DEFAULT_SECONDS;
	if ((env = getenv("FLOOD_BROKER_PID")) != NULL)
		broker = (pid_t)strtol(env, NULL, 10);
	vu_cli_parse(&f.cli, argc, argv, "forget|lookup|opendir|readdir");
	f.workload = f.cli.argv[0];
	if (strcmp(f.workload, "forget") != 0 && strcmp(f.workload, "lookup") != 0 &&
	    strcmp(f.workload, "opendir") != 0 && strcmp(f.workload, "readdir") != 0) {
		fprintf(stderr, "unknown workload %s\n", f.workload);
		return 2;
	}
	f.cli.opts.no_overrun_check = 1;
	f.cli.opts.queue_size = 256;
	f.cli.opts.indirect = 1;	/* one descriptor per request: the ring holds SLOTS */
	if (vu_dev_open(&f.dev, &f.cli.opts) == -1) {
		printf("FAIL: %s\n", f.dev.err);
		return 1;
	}
	if (prepare(&f) == -1)
		return 1;
	find_children(broker);
	pthread_create(&tid, NULL, sampler, NULL);
	printf("flood %s for %d s\n", f.workload, seconds);
	hammer(&f, seconds);
	r = vu_fuse_getattr(&f.dev, 1, &at);
	sampling = 0;
	pthread_join(tid, NULL);
	printf("%s: %llu requests completed (%llu error replies); GETATTR afterwards: %s\n",
	    f.workload, (unsigned long long)f.done, (unsigned long long)f.errors,
	    vu_fuse_why(&f.dev, r));
	fail = report() || r != 0;
	vu_dev_close(&f.dev);
	return fail;
}
