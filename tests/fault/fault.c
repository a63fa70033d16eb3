/*
 * fault/vu-fault: the driver's side of the fault tests (tests/fault/README).
 *
 *   vu-fault --socket=S [--host-dir=D] shell
 *	Reads one command a line on stdin and answers each with one line on stdout:
 *	"ok ...", "err ERRNO-NAME ..." (the back-end's error reply) or "bad ..." (no
 *	sane reply: time-out, malformed reply, wrong data). The shell tests change the
 *	host between commands. Commands are listed in cmd_table below.
 *   vu-fault --socket=S --host-dir=D reboots N
 *	N boots on one connection, each a full reset of the device (rings stopped,
 *	RESET_DEVICE, a new guest memory file and table) followed by a new FUSE session
 *	that leaves files looked up, open and locked behind, as a guest that reboots does.
 *	The memory, fds, maps and threads of every back-end process (the broker's pid in
 *	FAULT_BROKER_PID) after boot 1 and after boot N are printed; the run fails if
 *	they grew past the tolerances below.
 *   vu-fault pattern LEN
 *	Writes the first LEN bytes of the data pattern to stdout.
 *
 * Data written by "write" (and by each boot of "reboots") is the pattern at the file offset, so whatever
 * reads it back (READ here, cmp on the host) can check it without a copy.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../driver/vu_cli.h"
#include "../driver/vu_fuse.h"

#define CHUNK		(64 * 1024)	/* the largest WRITE and READ the tool sends */
#define MANY_MAX	100000		/* lookupmany / openmany at most */

/* reboots: what each boot leaves behind */
#define BOOT_FILES	200		/* looked up */
#define BOOT_OPEN	50		/* of which opened and never released */

/*
 * reboots: the growth allowed between boot 1 and boot N. Every boot ends in the same
 * state (the same files looked up, open and locked), so the fds, maps and threads of
 * each process must be exactly those of boot 1. Memory is allowed 1 MiB: one boot's
 * session holds about 100 KiB in the worker (BOOT_FILES nodes and BOOT_OPEN handles
 * at 384 bytes each with their buffers), so leaking a session shows as several MiB
 * after 49 more boots (and its fds in the fd count; a leaked guest memory mapping in
 * the maps), while the allocator's own growth stays well under 1 MiB: about 350 KiB in
 * the worker after 50 boots and the same after 150, so it levels off. The checks are on VmRSS and RssAnon;
 * Pss is printed but not checked: it shares the pages of the libraries with every other
 * process that maps them, so it moves as processes elsewhere on the machine come and go.
 * Sanitizer builds add their quarantine and shadow.
 */
#define TOL_MEM_KB	1024
#ifdef PRIVFSD_SANITIZERS
#define TOL_SAN_KB	(24 * 1024)
#define TOL_SAN_MAPS	16	/* ASan's allocator maps more as its heap grows */
#else
#define TOL_SAN_KB	0
#define TOL_SAN_MAPS	0
#endif

static struct vu_cli	 cli;
static struct vu_dev	 dev;

static uint8_t
pattern_at(uint64_t off)
{
	return (uint8_t)((off * 7 + off / 4096) % 251);
}

static void
pattern_fill(uint8_t *buf, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_at(off + i);
}

/* One answer line for a driver result: 0 is "ok" with the text given, else an error. */
static int
answer(int r, const char *fmt, ...) __attribute__((__format__(printf, 2, 3)));

static int
answer(int r, const char *fmt, ...)
{
	va_list ap;

	if (r < 0) {
		const char *name = strerrorname_np(-r);

		if (name != NULL)
			printf("err %s\n", name);
		else
			printf("err %d\n", -r);
		return -1;
	}
	if (r > 0) {
		printf("bad %s\n", vu_fuse_why(&dev, r));
		return -1;
	}
	printf("ok");
	if (fmt != NULL && *fmt != '\0') {
		putchar(' ');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	return 0;
}

/* A header as Linux fills it, for the requests the driver has no helper for. */
static void
hdr(struct fuse_in_header *h, uint32_t op, uint64_t node, size_t len)
{
	vu_fuse_hdr(&dev, h, op, node, len);
}

/* Walk PATH ("a/b/c", "." for the root) from the root; *leaf = the last name. */
static int
walk(const char *path, int parent_only, uint64_t *node, const char **leaf)
{
	char buf[PATH_MAX], *p, *slash;
	struct fuse_entry_out e;
	int r;

	*node = FUSE_ROOT_ID;
	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	if (leaf != NULL) {
		slash = strrchr(path, '/');
		*leaf = slash != NULL ? slash + 1 : path;
	}
	if (strcmp(buf, ".") == 0)
		return 0;
	if (parent_only) {
		if ((slash = strrchr(buf, '/')) == NULL)
			return 0;
		*slash = '\0';
	}
	for (p = strtok(buf, "/"); p != NULL; p = strtok(NULL, "/")) {
		if ((r = vu_fuse_lookup(&dev, *node, p, &e)) != 0)
			return r;
		*node = e.nodeid;
	}
	return 0;
}

/* ---- commands ---- */

struct many {
	uint64_t	*id;
	size_t		 n;
};

static struct many	looked;		/* lookupmany: node ids */
static struct many	opened;		/* openmany: fhs */
static uint64_t		opened_node;

static int
many_add(struct many *m, uint64_t v)
{
	uint64_t *n;

	if ((n = reallocarray(m->id, m->n + 1, sizeof(*n))) == NULL)
		return -1;
	m->id = n;
	m->id[m->n++] = v;
	return 0;
}

static uint64_t
num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static int
c_init(char **av)
{
	struct fuse_init_out io;
	int r;

	(void)av;
	memset(&io, 0, sizeof(io));
	r = vu_fuse_init(&dev, &io);
	return answer(r, "max_write=%u", io.max_write);
}

static int
c_lookup(char **av)
{
	struct fuse_entry_out e;
	const char *leaf;
	uint64_t parent;
	int r;

	if ((r = walk(av[0], 1, &parent, &leaf)) != 0)
		return answer(r, NULL);
	r = vu_fuse_lookup(&dev, parent, leaf, &e);
	return answer(r, "%llu %llu", (unsigned long long)e.nodeid,
	    (unsigned long long)e.attr.ino);
}

static int
c_forget(char **av)
{
	return answer(vu_fuse_forget(&dev, num(av[0]), num(av[1])), NULL);
}

static int
name_op(uint32_t op, const char *path, const void *args, size_t alen, size_t outlen,
    void *out)
{
	uint8_t in[sizeof(struct fuse_in_header) + 64 + NAME_MAX + 1];
	struct fuse_in_header h;
	const char *leaf;
	uint64_t parent;
	size_t nlen, len;
	int r;

	if ((r = walk(path, 1, &parent, &leaf)) != 0)
		return r;
	nlen = strlen(leaf) + 1;
	if (nlen > NAME_MAX + 1 || alen > 64)
		return -ENAMETOOLONG;
	len = sizeof(h) + alen + nlen;
	hdr(&h, op, parent, len);
	memcpy(in, &h, sizeof(h));
	if (alen > 0)
		memcpy(in + sizeof(h), args, alen);
	memcpy(in + sizeof(h) + alen, leaf, nlen);
	return vu_fuse_call(&dev, in, len, outlen, 0, out, outlen, NULL);
}

static int
c_create(char **av)
{
	struct fuse_create_in ci;
	struct {
		struct fuse_entry_out	e;
		struct fuse_open_out	o;
	} out;
	int r;

	memset(&ci, 0, sizeof(ci));
	ci.flags = O_RDWR | O_CREAT;
	ci.mode = S_IFREG | 0644;
	memset(&out, 0, sizeof(out));
	r = name_op(FUSE_CREATE, av[0], &ci, sizeof(ci), sizeof(out), &out);
	return answer(r, "%llu %llu", (unsigned long long)out.e.nodeid,
	    (unsigned long long)out.o.fh);
}

static int
c_mkdir(char **av)
{
	struct fuse_mkdir_in mi;
	struct fuse_entry_out e;
	int r;

	memset(&mi, 0, sizeof(mi));
	mi.mode = 0755;
	memset(&e, 0, sizeof(e));
	r = name_op(FUSE_MKDIR, av[0], &mi, sizeof(mi), sizeof(e), &e);
	return answer(r, "%llu", (unsigned long long)e.nodeid);
}

static int
c_unlink(char **av)
{
	return answer(name_op(FUSE_UNLINK, av[0], NULL, 0, 0, NULL), NULL);
}

static int
c_rmdir(char **av)
{
	return answer(name_op(FUSE_RMDIR, av[0], NULL, 0, 0, NULL), NULL);
}

static int
open_as(char **av, uint32_t flags, int dir)
{
	struct fuse_open_out o;
	int r;

	memset(&o, 0, sizeof(o));
	r = vu_fuse_open(&dev, num(av[0]), flags, dir, &o);
	return answer(r, "%llu", (unsigned long long)o.fh);
}

static int
c_open(char **av)
{
	return open_as(av, O_RDWR, 0);
}

static int
c_opendir(char **av)
{
	return open_as(av, O_RDONLY | O_DIRECTORY, 1);
}

static int
c_release(char **av)
{
	return answer(vu_fuse_release(&dev, num(av[0]), num(av[1]), 0), NULL);
}

/* WRITE of the pattern at [off, off + len), in CHUNK pieces; *done = bytes written. */
static int
write_range(uint64_t node, uint64_t fh, uint64_t off, uint64_t len, uint64_t *done)
{
	static uint8_t buf[CHUNK];
	uint32_t n, w;
	int r;

	*done = 0;
	while (*done < len) {
		n = len - *done > CHUNK ? CHUNK : (uint32_t)(len - *done);
		pattern_fill(buf, off + *done, n);
		if ((r = vu_fuse_write(&dev, node, fh, off + *done, buf, n, &w)) != 0)
			return r;
		if (w > n || w == 0)
			return VU_FUSE_BADREPLY;
		*done += w;	/* a short write: the next one says why */
	}
	return 0;
}

static int
c_write(char **av)
{
	uint64_t done;
	int r;

	r = write_range(num(av[0]), num(av[1]), num(av[2]), num(av[3]), &done);
	if (r < 0) {
		const char *name = strerrorname_np(-r);

		printf("err %s %llu\n", name != NULL ? name : "?", (unsigned long long)done);
		return -1;
	}
	return answer(r, "%llu", (unsigned long long)done);
}

static int
c_fsync(char **av)
{
	struct {
		struct fuse_in_header	h;
		struct fuse_fsync_in	f;
	} in;

	memset(&in, 0, sizeof(in));
	hdr(&in.h, FUSE_FSYNC, num(av[0]), sizeof(in));
	in.f.fh = num(av[1]);
	return answer(vu_fuse_call(&dev, &in, sizeof(in), 0, 0, NULL, 0, NULL), NULL);
}

/* READ [0, len) and check it is the pattern, then that the file ends there. */
static int
c_verify(char **av)
{
	static uint8_t buf[CHUNK], want[CHUNK];
	uint64_t node = num(av[0]), fh = num(av[1]), len = num(av[2]), off = 0;
	size_t got, n;
	int r;

	while (off < len) {
		n = len - off > CHUNK ? CHUNK : (size_t)(len - off);
		if ((r = vu_fuse_read(&dev, node, fh, off, (uint32_t)n, buf, &got)) != 0)
			return answer(r, NULL);
		pattern_fill(want, off, n);
		if (got != n || memcmp(buf, want, n) != 0) {
			printf("bad data at offset %llu (%zu of %zu bytes read)\n",
			    (unsigned long long)off, got, n);
			return -1;
		}
		off += n;
	}
	if ((r = vu_fuse_read(&dev, node, fh, off, 4096, buf, &got)) != 0)
		return answer(r, NULL);
	if (got != 0) {
		printf("bad %zu bytes past %llu\n", got, (unsigned long long)len);
		return -1;
	}
	return answer(0, "%llu", (unsigned long long)len);
}

static int
c_getattr(char **av)
{
	struct fuse_attr_out a;
	int r;

	memset(&a, 0, sizeof(a));
	r = vu_fuse_getattr(&dev, num(av[0]), &a);
	return answer(r, "%llu %llu %o", (unsigned long long)a.attr.size,
	    (unsigned long long)a.attr.ino, a.attr.mode);
}

static int
c_statfs(char **av)
{
	struct fuse_statfs_out s;
	int r;

	(void)av;
	memset(&s, 0, sizeof(s));
	r = vu_fuse_statfs(&dev, &s);
	return answer(r, "%llu %llu", (unsigned long long)s.st.blocks,
	    (unsigned long long)s.st.bfree);
}

/* The names in a directory, comma-separated. */
static int
c_ls(char **av)
{
	char *names, *p;
	int r;

	if ((r = vu_fuse_list_dir(&dev, num(av[0]), 0, &names)) != 0)
		return answer(r, NULL);
	for (p = names; *p != '\0'; p++)
		if (*p == '\n')
			*p = ',';
	if (p > names && p[-1] == ',')
		p[-1] = '\0';
	r = answer(0, "%s", *names != '\0' ? names : "-");
	free(names);
	return r;
}

/* LOOKUP PREFIX0 .. PREFIX(N-1) in the root until one fails. */
static int
c_lookupmany(char **av)
{
	struct fuse_entry_out e;
	char name[NAME_MAX + 1];
	uint64_t i, n = num(av[1]);
	int r = 0;

	for (i = 0; i < n && i < MANY_MAX; i++) {
		snprintf(name, sizeof(name), "%s%llu", av[0], (unsigned long long)i);
		if ((r = vu_fuse_lookup(&dev, FUSE_ROOT_ID, name, &e)) != 0)
			break;
		if (many_add(&looked, e.nodeid) == -1)
			return answer(VU_FUSE_FAILED, NULL);
	}
	if (r < 0) {
		const char *nm = strerrorname_np(-r);

		printf("err %s %llu\n", nm != NULL ? nm : "?", (unsigned long long)i);
		return -1;
	}
	return answer(r, "%llu", (unsigned long long)i);
}

static int
c_forgetall(char **av)
{
	size_t i;
	int r;

	(void)av;
	for (i = 0; i < looked.n; i++)
		if ((r = vu_fuse_forget(&dev, looked.id[i], 1)) != 0)
			return answer(r, NULL);
	looked.n = 0;
	return answer(0, "%zu", i);
}

/* OPEN one node N times, keeping every handle, until one fails. */
static int
c_openmany(char **av)
{
	struct fuse_open_out o;
	uint64_t i, n = num(av[1]);
	int r = 0;

	opened_node = num(av[0]);
	for (i = 0; i < n && i < MANY_MAX; i++) {
		if ((r = vu_fuse_open(&dev, opened_node, O_RDONLY, 0, &o)) != 0)
			break;
		if (many_add(&opened, o.fh) == -1)
			return answer(VU_FUSE_FAILED, NULL);
	}
	if (r < 0) {
		const char *nm = strerrorname_np(-r);

		printf("err %s %llu\n", nm != NULL ? nm : "?", (unsigned long long)i);
		return -1;
	}
	return answer(r, "%llu", (unsigned long long)i);
}

static int
c_releaseall(char **av)
{
	size_t i;
	int r;

	(void)av;
	for (i = 0; i < opened.n; i++)
		if ((r = vu_fuse_release(&dev, opened_node, opened.id[i], 0)) != 0)
			return answer(r, NULL);
	opened.n = 0;
	return answer(0, "%zu", i);
}

static const struct {
	const char	*name;
	int		 nargs;
	int		(*fn)(char **);
	const char	*usage;
} cmd_table[] = {
	{ "init", 0, c_init, "INIT as Linux 6.1" },
	{ "lookup", 1, c_lookup, "PATH: ok NODE INO" },
	{ "forget", 2, c_forget, "NODE N" },
	{ "create", 1, c_create, "PATH: ok NODE FH (O_RDWR)" },
	{ "mkdir", 1, c_mkdir, "PATH: ok NODE" },
	{ "unlink", 1, c_unlink, "PATH" },
	{ "rmdir", 1, c_rmdir, "PATH" },
	{ "open", 1, c_open, "NODE: ok FH (O_RDWR)" },
	{ "opendir", 1, c_opendir, "NODE: ok FH" },
	{ "release", 2, c_release, "NODE FH" },
	{ "write", 4, c_write, "NODE FH OFF LEN: ok|err NAME WRITTEN" },
	{ "fsync", 2, c_fsync, "NODE FH" },
	{ "verify", 3, c_verify, "NODE FH LEN: the file is the pattern, LEN bytes" },
	{ "getattr", 1, c_getattr, "NODE: ok SIZE INO MODE" },
	{ "statfs", 0, c_statfs, "ok BLOCKS BFREE" },
	{ "ls", 1, c_ls, "NODE: ok NAME,NAME,..." },
	{ "lookupmany", 2, c_lookupmany, "PREFIX N: ok|err NAME DONE" },
	{ "forgetall", 0, c_forgetall, "forget what lookupmany looked up" },
	{ "openmany", 2, c_openmany, "NODE N: ok|err NAME DONE" },
	{ "releaseall", 0, c_releaseall, "release what openmany opened" },
};

static int
shell(void)
{
	char line[4096], *av[8], *p;
	size_t i;
	int ac;

	if (vu_dev_open(&dev, &cli.opts) == -1) {
		printf("bad %s\n", dev.err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		ac = 0;
		for (p = strtok(line, " \t\n"); p != NULL && ac < 8; p = strtok(NULL, " \t\n"))
			av[ac++] = p;
		if (ac == 0)
			continue;
		if (strcmp(av[0], "quit") == 0)
			break;
		for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
			if (strcmp(av[0], cmd_table[i].name) == 0)
				break;
		if (i == sizeof(cmd_table) / sizeof(cmd_table[0]) ||
		    ac - 1 != cmd_table[i].nargs) {
			printf("bad usage: %s\n", av[0]);
			continue;
		}
		(void)cmd_table[i].fn(av + 1);
	}
	vu_dev_close(&dev);
	return 0;
}

/* ---- reboots ---- */

enum { P_BROKER, P_FRONTEND, P_WORKER, NPROC };
static const char *const pname[NPROC] = { "broker", "frontend", "worker" };

struct figures {
	long	rss, pss, anon, shmem, fds, maps, threads;
};

static pid_t	procs[NPROC];

static long
count_entries(const char *path, int lines)
{
	struct dirent *de;
	char buf[512];
	long n = 0;
	DIR *d;
	FILE *f;

	if (lines) {
		if ((f = fopen(path, "r")) == NULL)
			return -1;
		while (fgets(buf, sizeof(buf), f) != NULL)
			n += strchr(buf, '\n') != NULL;
		fclose(f);
		return n;
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
measure(pid_t pid, struct figures *fg)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	fg->rss = vu_proc_field(path, "VmRSS:");
	fg->anon = vu_proc_field(path, "RssAnon:");
	fg->threads = vu_proc_field(path, "Threads:");
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	fg->pss = vu_proc_field(path, "Pss:");
	fg->shmem = vu_proc_field(path, "Pss_Shmem:");
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	fg->fds = count_entries(path, 0);
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	fg->maps = count_entries(path, 1);
}

/* The broker's children by their titles, as vu-flood finds them. */
static void
find_children(pid_t broker)
{
	char path[64], buf[512], *p;
	struct dirent *de;
	long pid, ppid;
	DIR *d;
	FILE *f;
	size_t n;

	procs[P_BROKER] = broker;
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
		if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %ld", &ppid) != 1 ||
		    ppid != broker)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strstr(buf, "frontend") != NULL)
			procs[P_FRONTEND] = (pid_t)pid;
		else if (strstr(buf, "worker") != NULL)
			procs[P_WORKER] = (pid_t)pid;
	}
	closedir(d);
}

/*
 * What a reboot looks like to the back-end: the rings stopped, RESET_DEVICE (as QEMU
 * 10 sends it), then the next kernel's DRIVER_OK with the rings in a new guest memory
 * file, so the memory table changes as well.
 */
static int
reboot_device(void)
{
	unsigned int q;

	if (vu_dev_stop(&dev, NULL) == -1)
		return -1;
	if ((dev.protocol_features >> VU_PROTO_RESET_DEVICE) & 1 &&
	    vu_dev_request(&dev, VU_RESET_DEVICE, NULL, 0, NULL, 0) == -1)
		return -1;
	for (q = 0; q < dev.nqueues; q++)
		vu_ring_fini(&dev.ring[q], &dev.mem);
	vu_mem_fini(&dev.mem);
	if (vu_mem_init(&dev.mem, &dev.opts) == -1) {
		snprintf(dev.err, sizeof(dev.err), "guest memory: %s", strerror(errno));
		return -1;
	}
	for (q = 0; q < dev.nqueues; q++)
		if (vu_ring_init(&dev.ring[q], &dev.mem, q, (uint16_t)dev.opts.queue_size,
		    dev.opts.event_idx, dev.opts.indirect) == -1) {
			snprintf(dev.err, sizeof(dev.err), "ring: %s", strerror(errno));
			return -1;
		}
	dev.next_unique = 2;
	return vu_dev_start(&dev);
}

/* One boot's session: looked up, open, locked, written, a directory open. */
static int
boot_session(unsigned int boot)
{
	static uint8_t buf[CHUNK];
	struct fuse_init_out io;
	struct fuse_entry_out e;
	struct fuse_open_out o;
	char name[64];
	uint64_t node, done;
	size_t got;
	unsigned int i;
	int r;
	char *names;

	if ((r = vu_fuse_init(&dev, &io)) != 0)
		goto fail;
	for (i = 0; i < BOOT_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		if ((r = vu_fuse_lookup(&dev, FUSE_ROOT_ID, name, &e)) != 0)
			goto fail;
		if (i >= BOOT_OPEN)
			continue;
		if ((r = vu_fuse_open(&dev, e.nodeid, O_RDWR, 0, &o)) != 0 ||
		    (r = vu_fuse_read(&dev, e.nodeid, o.fh, 0, 4096, buf, &got)) != 0)
			goto fail;
		if (i < 4 && (r = vu_fuse_setlk(&dev, e.nodeid, o.fh, 100 + i, F_WRLCK,
		    0)) != 0)
			goto fail;
	}
	/* The same name each boot: the file stays, so the host's usage stays too. */
	snprintf(name, sizeof(name), "boot-%u", boot % 2);
	if ((r = vu_fuse_lookup(&dev, FUSE_ROOT_ID, name, &e)) != 0 ||
	    (r = vu_fuse_open(&dev, e.nodeid, O_RDWR, 0, &o)) != 0)
		goto fail;
	node = e.nodeid;
	if ((r = write_range(node, o.fh, 0, 4 * CHUNK, &done)) != 0)
		goto fail;
	if ((r = vu_fuse_open(&dev, FUSE_ROOT_ID, O_RDONLY | O_DIRECTORY, 1, &o)) != 0 ||
	    (r = vu_fuse_readdir(&dev, FUSE_ROOT_ID, o.fh, 0, 8192, 1, buf, &got)) != 0)
		goto fail;
	if ((r = vu_fuse_list_dir(&dev, FUSE_ROOT_ID, 1, &names)) != 0)
		goto fail;
	free(names);
	return 0;
fail:
	printf("FAIL: boot %u: %s\n", boot, vu_fuse_why(&dev, r));
	return -1;
}

static void
print_figures(const char *when, struct figures *fg)
{
	int i;

	for (i = 0; i < NPROC; i++)
		printf("%-13s %-8s pid %-7ld VmRSS %6ld KiB  Pss %6ld KiB (guest memory %5ld)  "
		    "RssAnon %6ld KiB  fds %4ld  maps %4ld  threads %2ld\n", when, pname[i],
		    (long)procs[i], fg[i].rss, fg[i].pss, fg[i].shmem, fg[i].anon, fg[i].fds,
		    fg[i].maps, fg[i].threads);
}

static int
compare(const struct figures *a, const struct figures *b)
{
	long tol = TOL_MEM_KB + TOL_SAN_KB;
	int i, bad = 0;

	for (i = 0; i < NPROC; i++) {
		if (b[i].fds != a[i].fds || b[i].maps - a[i].maps > TOL_SAN_MAPS ||
		    b[i].maps < a[i].maps || b[i].threads != a[i].threads) {
			printf("FAIL: %s: fds %ld -> %ld, maps %ld -> %ld, threads %ld -> %ld "
			    "(must not change)\n", pname[i], a[i].fds, b[i].fds, a[i].maps,
			    b[i].maps, a[i].threads, b[i].threads);
			bad = 1;
		}
		if (b[i].rss - a[i].rss > tol || b[i].anon - a[i].anon > tol) {
			printf("FAIL: %s: memory grew by VmRSS %+ld, RssAnon %+ld KiB "
			    "(tolerance %ld KiB)\n", pname[i], b[i].rss - a[i].rss,
			    b[i].anon - a[i].anon, tol);
			bad = 1;
		}
	}
	return bad;
}

static int
reboots(unsigned int n)
{
	struct figures first[NPROC], last[NPROC];
	const char *env = getenv("FAULT_BROKER_PID");
	char path[PATH_MAX];
	unsigned int boot, i;
	int fd;

	if (env == NULL || cli.host_dir == NULL) {
		printf("FAIL: reboots needs FAULT_BROKER_PID and --host-dir\n");
		return 1;
	}
	for (i = 0; i < BOOT_FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%u", cli.host_dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
		    write(fd, "some data\n", 10) != 10) {
			printf("FAIL: %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/boot-%u", cli.host_dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
			printf("FAIL: %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	}
	find_children((pid_t)strtol(env, NULL, 10));
	for (i = 0; i < NPROC; i++)
		if (procs[i] <= 0) {
			printf("FAIL: no %s process under %s\n", pname[i], env);
			return 1;
		}
	if (vu_dev_open(&dev, &cli.opts) == -1) {
		printf("FAIL: %s\n", dev.err);
		return 1;
	}
	for (boot = 1; boot <= n; boot++) {
		if (boot > 1 && reboot_device() == -1) {
			printf("FAIL: reboot %u: %s\n", boot, dev.err);
			return 1;
		}
		if (boot_session(boot) == -1)
			return 1;
		if (boot == 1 || boot == n)
			for (i = 0; i < NPROC; i++)
				measure(procs[i], boot == 1 ? &first[i] : &last[i]);
	}
	printf("%u boots, each: %u files looked up, %u open, 4 locked, 256 KiB written, "
	    "a directory open\n", n, BOOT_FILES, BOOT_OPEN);
	print_figures("after boot 1", first);
	snprintf(path, sizeof(path), "after boot %u", n);
	print_figures(path, last);
	vu_dev_close(&dev);
	return compare(first, last);
}

int
main(int argc, char *argv[])
{
	static uint8_t buf[CHUNK];
	uint64_t len, off;
	size_t n;
	long v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "pattern") == 0) {
		len = num(argv[2]);
		for (off = 0; off < len; off += n) {
			n = len - off > CHUNK ? CHUNK : (size_t)(len - off);
			pattern_fill(buf, off, n);
			if (fwrite(buf, 1, n, stdout) != n)
				return 1;
		}
		return fflush(stdout) != 0;
	}
	vu_cli_parse(&cli, argc, argv, "shell | reboots N");
	cli.opts.queue_size = 256;
	if (strcmp(cli.argv[0], "shell") == 0)
		return shell();
	if (strcmp(cli.argv[0], "reboots") == 0 && cli.argc == 2) {
		v = strtol(cli.argv[1], NULL, 10);
		if (v < 2 || v > 10000) {
			fprintf(stderr, "reboots: 2 to 10000\n");
			return 2;
		}
		return reboots((unsigned int)v);
	}
	fprintf(stderr, "unknown case %s\n", cli.argv[0]);
	return 2;
}
