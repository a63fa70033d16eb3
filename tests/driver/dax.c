/*
 * driver/vu-dax: DAX against privfsd. The driver plays a VMM with a cache window (the
 * flavour given by --dax-vmm, the size by privfsd's GET_SHMEM_CONFIG or --dax-window) and
 * a Linux 6.1 guest that maps file ranges into it. All the cases named run on one
 * connection, in order; after each: nothing outside the window ever reached the VMM, a
 * GETATTR still answers, and DRIVER_CHECK_CMD says privfsd's processes all live.
 *
 * Functional: read, write, upgrade, fault; "off" expects privfsd without --dax.
 * Hostile: the rest ("vu-dax --socket=x list").
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dax.h"

struct vu_cli	cli;
int		failures;

static const struct dcase cases[] = {
	{ "read", d_read, 0 },
	{ "write", d_write, 0 },
	{ "upgrade", d_upgrade, 0 },
	{ "fault", d_fault, 0 },
	{ "unaligned-moffset", d_unaligned_moffset, 0 },
	{ "unaligned-foffset", d_unaligned_foffset, 0 },
	{ "unaligned-len", d_unaligned_len, 0 },
	{ "zero-len", d_zero_len, 0 },
	{ "past-window", d_past_window, 0 },
	{ "wrapping", d_wrapping, 0 },
	{ "overlapping", d_overlapping, 0 },
	{ "remove-huge-count", d_remove_huge_count, 0 },
	{ "remove-count-mismatch", d_remove_count_mismatch, 0 },
	{ "remove-never-mapped", d_remove_never_mapped, 0 },
	{ "map-directory", d_map_directory, 0 },
	{ "readonly-handle-write", d_readonly_write, 0 },
	{ "stale-fh", d_stale_fh, 0 },
	{ "forgotten-node", d_forgotten_node, 0 },
	{ "truncate", d_truncate, 0 },
	{ "race-release", d_race_release, 0 },
	{ "vmm-no-reply", d_vmm_no_reply, 0 },
	{ "off", d_off, D_OFF },
};

int
dcheck(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
	return ok;
}

int
errno_in(int r, ...)
{
	va_list ap;
	int e, found = 0;

	va_start(ap, r);
	while ((e = va_arg(ap, int)) != 0)
		found |= r == -e;
	va_end(ap);
	return found;
}

/* ---- files of the share -------------------------------------------------------------- */

uint8_t
pattern_byte(unsigned int seed, uint64_t off)
{
	return (uint8_t)(off * 31 + seed + (off >> 12) * 7);
}

static void
fill(uint8_t *buf, unsigned int seed, uint64_t off, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, off + i);
}

static void
host_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", cli.host_dir != NULL ? cli.host_dir : ".", name);
}

uint64_t
mkfile(struct dctx *c, const char *name, uint64_t size, unsigned int seed)
{
	struct fuse_entry_out e;
	char path[4096];
	uint8_t *buf;
	int fd, r;

	host_path(path, sizeof(path), name);
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	fill(buf, seed, 0, size);
	errno = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, size) != (ssize_t)size) {
		dcheck(0, "create %s: %s", path, errno != 0 ? strerror(errno) : "short write");
		free(buf);
		if (fd != -1)
			close(fd);
		return 0;
	}
	close(fd);
	free(buf);
	if ((r = vu_fuse_lookup(&c->dev, 1, name, &e)) != 0) {
		dcheck(0, "LOOKUP %s: %s", name, vu_fuse_why(&c->dev, r));
		return 0;
	}
	return e.nodeid;
}

int
host_equals(const char *name, uint64_t off, uint64_t len, unsigned int seed)
{
	char path[4096];
	uint8_t *got, *want;
	int fd, eq = 0;

	host_path(path, sizeof(path), name);
	got = malloc(len);
	want = malloc(len);
	if (got != NULL && want != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		fill(want, seed, off, len);
		eq = pread(fd, got, len, (off_t)off) == (ssize_t)len && memcmp(got, want, len) == 0;
		close(fd);
	}
	free(got);
	free(want);
	return eq;
}

/* ---- the window, touched in a child -------------------------------------------------- */

/* Run fn in a forked child: its exit status, or the signal that killed it (+ 1000). */
static int
in_child(struct dctx *c, int (*fn)(struct dctx *, uint64_t, unsigned int, uint64_t, uint64_t),
    uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	pid_t pid;
	int st;

	if (c->win == NULL || moff > c->wsize || len > c->wsize - moff)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		/* die of the fault itself, not of a sanitizer's report */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		_exit(fn(c, moff, seed, foff, len));
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : WEXITSTATUS(st);
}

static int
cmp_fn(struct dctx *c, uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (c->win[moff + i] != pattern_byte(seed, foff + i))
			return 1;
	return 0;
}

static int
write_fn(struct dctx *c, uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		c->win[moff + i] = pattern_byte(seed, foff + i);
	return 0;
}

static int
touch_fn(struct dctx *c, uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	volatile uint8_t x = c->win[moff];

	(void)x;
	(void)seed;
	(void)foff;
	(void)len;
	return 0;
}

int
window_equals(struct dctx *c, uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	return in_child(c, cmp_fn, moff, seed, foff, len);
}

int
window_write(struct dctx *c, uint64_t moff, unsigned int seed, uint64_t foff, uint64_t len)
{
	return in_child(c, write_fn, moff, seed, foff, len);
}

int
window_touch(struct dctx *c, uint64_t moff)
{
	return in_child(c, touch_fn, moff, 0, 0, 1);
}

/* ---- requests ------------------------------------------------------------------------ */

int
dax_map(struct dctx *c, uint64_t nodeid, uint64_t fh, uint64_t foff, uint64_t len,
    uint64_t flags, uint64_t moff)
{
	return vu_fuse_setupmapping(&c->dev, nodeid, fh, foff, len, flags, moff);
}

int
dax_unmap(struct dctx *c, uint64_t nodeid, uint64_t moff, uint64_t len)
{
	struct fuse_removemapping_one one;

	one.moffset = moff;
	one.len = len;
	return vu_fuse_removemapping(&c->dev, nodeid, &one, 1);
}

int
dax_fsync(struct dctx *c, uint64_t nodeid, uint64_t fh)
{
	struct {
		struct fuse_in_header h;
		struct fuse_fsync_in f;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(&c->dev, &in.h, FUSE_FSYNC, nodeid, sizeof(in));
	in.f.fh = fh;
	return vu_fuse_call(&c->dev, &in, sizeof(in), 0, 0, NULL, 0, NULL);
}

int
dax_truncate(struct dctx *c, uint64_t nodeid, uint64_t size)
{
	struct {
		struct fuse_in_header h;
		struct fuse_setattr_in s;
	} in;
	struct fuse_attr_out ao;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(&c->dev, &in.h, FUSE_SETATTR, nodeid, sizeof(in));
	in.s.valid = FATTR_SIZE;
	in.s.size = size;
	return vu_fuse_call(&c->dev, &in, sizeof(in), sizeof(ao), 0, &ao, sizeof(ao), NULL);
}

struct vu_dax_stats
dax_stats(struct dctx *c)
{
	struct vu_dax_stats st;

	vu_dax_stats(&c->dev.dax, &st);
	return st;
}

static int
unmaps_reached(const struct vu_dax_stats *st, void *arg)
{
	return st->unmaps >= *(uint64_t *)arg;
}

int
dax_wait_unmaps(struct dctx *c, uint64_t n, int ms)
{
	return vu_dax_wait(&c->dev.dax, unmaps_reached, &n, ms);
}

/* ---- functional cases ------------------------------------------------------------------ */

/*
 * Several 2 MiB ranges of a file of 5 MiB and a bit, and a file smaller than one range.
 * QEMU 11.1 refuses a range past the end of the file, so in the shmem flavour the last
 * range of each must fail (EIO, privfsd(8) says so); the old QEMU maps it (fs-map).
 */
int
d_read(struct dctx *c)
{
	const uint64_t big = 5 * MIB + 123, small = 100 * 1024 + 7;
	struct vu_dax_stats before = dax_stats(c), st;
	uint64_t nb, ns, k, moff, want = 0;
	int r, shmem = cli.opts.dax_vmm == VU_DAX_SHMEM, ok[3] = { 0, 0, 0 }, sok;

	dcheck((c->io.flags & FUSE_MAP_ALIGNMENT) && c->io.map_alignment == 12,
	    "INIT reply: MAP_ALIGNMENT, map_alignment 12 (flags 0x%x, %u)", c->io.flags,
	    c->io.map_alignment);
	dcheck(c->wsize == cli.opts.dax_window, "the window is %llu bytes, as privfsd was told",
	    (unsigned long long)c->wsize);
	if ((nb = mkfile(c, "dax-read-big", big, 1)) == 0 ||
	    (ns = mkfile(c, "dax-read-small", small, 2)) == 0)
		return -1;
	for (k = 0; k < 3; k++) {
		/* the window slots run backwards, so a mix-up of offsets shows */
		moff = (7 - k) * RANGE;
		r = dax_map(c, nb, FH_NONE, k * RANGE, RANGE, MAP_R, moff);
		ok[k] = r == 0;
		want += ok[k];
		if (shmem && (k + 1) * RANGE > big)
			dcheck(r == -EIO, "SETUPMAPPING of range %llu (past EOF) at window 0x%llx: "
			    "EIO, QEMU 11.1 refuses it (%s)", (unsigned long long)k,
			    (unsigned long long)moff, vu_fuse_why(&c->dev, r));
		else
			dcheck(r == 0, "SETUPMAPPING of range %llu of the big file at window "
			    "0x%llx: %s", (unsigned long long)k, (unsigned long long)moff,
			    vu_fuse_why(&c->dev, r));
	}
	r = dax_map(c, ns, FH_NONE, 0, RANGE, MAP_R, 8 * RANGE);
	sok = r == 0;
	want += sok;
	dcheck(shmem ? r == -EIO : r == 0, "SETUPMAPPING of the small file: %s%s",
	    vu_fuse_why(&c->dev, r), shmem ? " (EIO wanted: past EOF)" : "");
	for (k = 0; k < 3; k++) {
		uint64_t len = big - k * RANGE < RANGE ? big - k * RANGE : RANGE;

		if (!ok[k])
			continue;
		r = window_equals(c, (7 - k) * RANGE, 1, k * RANGE, len);
		dcheck(r == 0, "range %llu read through the window equals the file (%d)",
		    (unsigned long long)k, r);
	}
	if (sok) {
		r = window_equals(c, 8 * RANGE, 2, 0, small);
		dcheck(r == 0, "the small file read through the window, below EOF (%d)", r);
	}
	st = dax_stats(c);
	dcheck(st.maps - before.maps == want && st.nlive - before.nlive == want,
	    "the VMM made %llu mappings (%llu), as many live", (unsigned long long)want,
	    (unsigned long long)(st.maps - before.maps));
	for (k = 0; k < 3; k++)
		if (ok[k])
			dax_unmap(c, nb, (7 - k) * RANGE, RANGE);
	if (sok) {
		r = dax_unmap(c, ns, 8 * RANGE, RANGE);
		dcheck(r == 0, "REMOVEMAPPING: %s", vu_fuse_why(&c->dev, r));
	}
	st = dax_stats(c);
	dcheck(st.nlive == before.nlive && st.unmaps - before.unmaps >= want,
	    "the VMM unmapped them all (%llu live)", (unsigned long long)st.nlive);
	return 0;
}

/* Through fh (u64)-1, then through an O_RDWR handle; in the host file after removal. */
int
d_write(struct dctx *c)
{
	struct fuse_open_out oo;
	uint64_t n;
	int r;

	if ((n = mkfile(c, "dax-write", 4 * MIB, 3)) == 0)
		return -1;
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R | MAP_W, 3 * RANGE);
	if (!dcheck(r == 0, "writable SETUPMAPPING, fh -1: %s", vu_fuse_why(&c->dev, r)))
		return -1;
	r = window_write(c, 3 * RANGE + 4096, 33, 4096, 3 * 4096);
	dcheck(r == 0, "a write through the mapping (%d)", r);
	r = dax_unmap(c, n, 3 * RANGE, RANGE);
	dcheck(r == 0, "REMOVEMAPPING: %s", vu_fuse_why(&c->dev, r));
	if ((r = vu_fuse_open(&c->dev, n, O_RDWR, 0, &oo)) != 0)
		return dcheck(0, "OPEN O_RDWR: %s", vu_fuse_why(&c->dev, r));
	r = dax_fsync(c, n, oo.fh);
	dcheck(r == 0, "FSYNC: %s", vu_fuse_why(&c->dev, r));
	dcheck(host_equals("dax-write", 4096, 3 * 4096, 33) &&
	    host_equals("dax-write", 0, 4096, 3) && host_equals("dax-write", 4 * 4096, 4096, 3),
	    "the host file has the bytes written, and only those");
	r = dax_map(c, n, oo.fh, RANGE, RANGE, MAP_R | MAP_W, 0);
	dcheck(r == 0, "writable SETUPMAPPING through the O_RDWR handle: %s",
	    vu_fuse_why(&c->dev, r));
	if (r == 0) {
		r = window_write(c, RANGE - 4096, 44, RANGE + RANGE - 4096, 4096);
		dcheck(r == 0, "a write through it (%d)", r);
		dax_unmap(c, n, 0, RANGE);
		dax_fsync(c, n, oo.fh);
		dcheck(host_equals("dax-write", 2 * RANGE - 4096, 4096, 44),
		    "the last page of the file has it");
	}
	vu_fuse_release(&c->dev, n, oo.fh, 0);
	return 0;
}

/*
 * Linux's upgrade: a read mapping, then the same range with WRITE and no removal. The old
 * QEMU maps as asked (the read mapping faults on a write); QEMU 11.1 maps every range
 * writable, so privfsd may leave a range it mapped from a read-write fd as it is.
 */
int
d_upgrade(struct dctx *c)
{
	struct vu_dax_map m;
	uint64_t n;
	int r;

	if ((n = mkfile(c, "dax-upgrade", RANGE, 4)) == 0)
		return -1;
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, 5 * RANGE);
	dcheck(r == 0 && vu_dax_find(&c->dev.dax, 5 * RANGE, &m), "read SETUPMAPPING: %s",
	    vu_fuse_why(&c->dev, r));
	if (cli.opts.dax_vmm == VU_DAX_FS_MAP) {
		dcheck(!m.writable, "the VMM maps it read-only");
		r = window_write(c, 5 * RANGE, 9, 0, 1);
		dcheck(r == 1000 + SIGSEGV, "a write to the read-only mapping faults (%d)", r);
	}
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R | MAP_W, 5 * RANGE);
	dcheck(r == 0, "the same range again with WRITE: %s", vu_fuse_why(&c->dev, r));
	dcheck(vu_dax_find(&c->dev.dax, 5 * RANGE, &m) && m.writable && m.shm_offset == 5 * RANGE &&
	    m.len == RANGE && m.fd_offset == 0, "the VMM now has it writable, the same range");
	r = window_write(c, 5 * RANGE + 8192, 55, 8192, 4096);
	dcheck(r == 0 && host_equals("dax-upgrade", 8192, 4096, 55),
	    "a write through it is in the host file (%d)", r);
	r = dax_unmap(c, n, 5 * RANGE, RANGE);
	dcheck(r == 0 && !vu_dax_find(&c->dev.dax, 5 * RANGE, &m), "REMOVEMAPPING: %s",
	    vu_fuse_why(&c->dev, r));
	return 0;
}

/* Unmapped window ranges fault in the driver; privfsd is not affected. */
int
d_fault(struct dctx *c)
{
	uint64_t n;
	int r, shmem = cli.opts.dax_vmm == VU_DAX_SHMEM;

	r = window_touch(c, 10 * RANGE + 12345);
	dcheck(r == 1000 + SIGSEGV, "a never-mapped window page faults (%d)", r);
	/* QEMU 11.1 maps nothing past EOF; the old one does, and a touch there is SIGBUS */
	if ((n = mkfile(c, "dax-fault", shmem ? RANGE : 4096, 5)) == 0)
		return -1;
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, 10 * RANGE);
	dcheck(r == 0 && window_touch(c, 10 * RANGE) == 0, "mapped: the first page reads (%s)",
	    vu_fuse_why(&c->dev, r));
	r = window_touch(c, 10 * RANGE + RANGE - 1);
	if (!shmem)
		dcheck(r == 1000 + SIGBUS, "past the end of the file inside the range: SIGBUS "
		    "(%d)", r);
	dax_unmap(c, n, 10 * RANGE, RANGE);
	r = window_touch(c, 10 * RANGE);
	dcheck(r == 1000 + SIGSEGV, "removed: the page faults again (%d)", r);
	return 0;
}

/* privfsd without --dax: nothing offered, nothing acknowledged, nothing sent. */
int
d_off(struct dctx *c)
{
	struct vu_dax_stats st;
	struct pollfd pfd;
	uint64_t n;
	int r;

	dcheck(!((c->dev.offered_protocol_features >> VU_PROTO_SHMEM_MAP) & 1),
	    "protocol feature SHMEM_MAP (bit 22) is not offered");
	dcheck(!(c->io.flags & FUSE_MAP_ALIGNMENT) && c->io.map_alignment == 0,
	    "INIT reply: no MAP_ALIGNMENT (flags 0x%x, map_alignment %u)", c->io.flags,
	    c->io.map_alignment);
	if ((n = mkfile(c, "dax-off", 4096, 6)) == 0)
		return -1;
	r = dax_map(c, n, FH_NONE, 0, RANGE, MAP_R, 0);
	dcheck(r < 0, "SETUPMAPPING answers an error: %s", vu_fuse_why(&c->dev, r));
	dcheck(errno_in(r, ENODEV, EOPNOTSUPP, ENOSYS, 0), "... ENODEV, EOPNOTSUPP or ENOSYS");
	r = dax_unmap(c, n, 0, RANGE);
	dcheck(r < 0, "REMOVEMAPPING answers an error: %s", vu_fuse_why(&c->dev, r));
	st = dax_stats(c);
	pfd.fd = c->dev.backend_fd;
	pfd.events = POLLIN;
	dcheck(st.requests == 0 && (c->dev.dax.running || pfd.fd == -1 || poll(&pfd, 1, 200) == 0),
	    "nothing was sent on the back-end channel");
	return 0;
}

/* ---- running ----------------------------------------------------------------------- */

static void
check_processes(void)
{
	const char *cmd = getenv("DRIVER_CHECK_CMD");
	char buf[1024];
	int st;

	if (cmd == NULL || (size_t)snprintf(buf, sizeof(buf), "%s all", cmd) >= sizeof(buf))
		return;
	fflush(stdout);
	st = system(buf);
	dcheck(WIFEXITED(st) && WEXITSTATUS(st) == 0, "privfsd's broker, frontend and worker live");
}

static int
run_case(struct dctx *c, const struct dcase *d)
{
	struct vu_dax_stats before = dax_stats(c), st;
	struct fuse_attr_out at;
	int f = failures, r;

	printf("== %s (%s)\n", d->name, vu_dax_flavour_name(cli.opts.dax_vmm));
	if (!(d->flags & D_OFF) && !dcheck(c->win != NULL, "the device has a DAX window"))
		return 0;
	d->fn(c);
	st = dax_stats(c);
	dcheck(st.outside == before.outside, "no request outside the window reached the VMM");
	if (st.failures != before.failures)
		vu_note("the VMM refused %llu request(s) in this case",
		    (unsigned long long)(st.failures - before.failures));
	r = vu_fuse_getattr(&c->dev, 1, &at);
	dcheck(r == 0, "GETATTR of the root still answers: %s", vu_fuse_why(&c->dev, r));
	check_processes();
	printf("-- %s: %s\n", d->name, failures == f ? "pass" : "FAIL");
	/* No answer at all: privfsd stopped serving, the cases after this one cannot run. */
	return r == VU_FUSE_TIMEOUT || r == VU_FUSE_FAILED || vu_dev_peer_closed(&c->dev, 0) ?
	    -1 : 0;
}

static int
open_device(struct dctx *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (vu_dev_open(&c->dev, &cli.opts) == -1) {
		dcheck(0, "device: %s", c->dev.err);
		return -1;
	}
	c->win = c->dev.dax.window;
	c->wsize = c->dev.dax.size;
	if ((r = vu_fuse_init(&c->dev, &c->io)) != 0) {
		dcheck(0, "INIT: %s", vu_fuse_why(&c->dev, r));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dctx c;
	size_t i;
	int a, found;

	vu_cli_parse(&cli, argc, argv, "case names, run in order on one connection; \"list\"");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a request privfsd dropped costs this much each; its own waits are shorter */
	if (cli.opts.timeout_ms == 5000)
		cli.opts.timeout_ms = 3000;
	if (strcmp(cli.argv[0], "list") == 0) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%s%s\n", cases[i].name, cases[i].flags & D_OFF ? " (off)" : "");
		return 0;
	}
	if (open_device(&c) == -1)
		return 1;
	for (a = 0; a < cli.argc; a++) {
		found = 0;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (strcmp(cli.argv[a], cases[i].name) != 0)
				continue;
			found = 1;
			if (run_case(&c, &cases[i]) == -1 && a + 1 < cli.argc) {
				dcheck(0, "privfsd no longer serves: %d case(s) not run",
				    cli.argc - a - 1);
				a = cli.argc;
			}
		}
		if (!found) {
			fprintf(stderr, "unknown case %s\n", cli.argv[a]);
			return 2;
		}
	}
	vu_dev_close(&c.dev);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
