/*
 * The mount sequence a Linux guest runs, checked against what the host sees: INIT,
 * LOOKUP/GETATTR, READDIR and READDIRPLUS listings, READ contents, READLINK, STATFS,
 * FORGET on hiprio, DESTROY. Also run with indirect descriptors and with ADD_MEM_REG over
 * several regions.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define BIG_SIZE	300000

static int
write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
populate(const char *dir)
{
	char path[PATH_MAX], name[64];
	uint8_t *big;
	int i;

	if ((big = malloc(BIG_SIZE)) == NULL)
		return -1;
	for (i = 0; i < BIG_SIZE; i++)
		big[i] = (uint8_t)(i * 7 + i / 4096);
	if (write_file(dir, "hello.txt", "hello, world\n", 13) == -1 ||
	    write_file(dir, "big.bin", big, BIG_SIZE) == -1) {
		free(big);
		return -1;
	}
	free(big);
	snprintf(path, sizeof(path), "%s/dir", dir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return -1;
	if (write_file(dir, "dir/a", "a", 1) == -1 || write_file(dir, "dir/b", "bb", 2) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/link", dir);
	if (symlink("hello.txt", path) == -1 && errno != EEXIST)
		return -1;
	/* enough entries that READDIR and READDIRPLUS need several pages */
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "file-with-a-longish-name-%02d", i);
		if (write_file(dir, name, name, strlen(name)) == -1)
			return -1;
	}
	return 0;
}

static void
host_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", cli.host_dir, name);
}

static int
attr_matches(const struct fuse_attr *a, const struct stat *st)
{
	return a->mode == st->st_mode && a->size == (uint64_t)st->st_size &&
	    a->nlink == st->st_nlink && a->uid == st->st_uid && a->gid == st->st_gid;
}

static uint64_t
lookup_check(struct vu_dev *dev, uint64_t parent, const char *name, const char *hostname)
{
	struct fuse_entry_out e;
	struct fuse_attr_out a;
	struct stat st;
	char path[PATH_MAX];
	int r;

	host_path(path, sizeof(path), hostname);
	if (lstat(path, &st) == -1) {
		check(0, "lstat %s", path);
		return 0;
	}
	r = vu_fuse_lookup(dev, parent, name, &e);
	check(r == 0 && e.nodeid != 0 && attr_matches(&e.attr, &st),
	    "LOOKUP %s: %s, nodeid %llu, mode 0%o size %llu (host 0%o %lld)", name,
	    vu_fuse_why(dev, r), (unsigned long long)e.nodeid, e.attr.mode,
	    (unsigned long long)e.attr.size, st.st_mode, (long long)st.st_size);
	if (r != 0)
		return 0;
	r = vu_fuse_getattr(dev, e.nodeid, &a);
	check(r == 0 && attr_matches(&a.attr, &st) && a.attr.ino == e.attr.ino,
	    "GETATTR %s: %s, attributes equal the host's and LOOKUP's", name,
	    vu_fuse_why(dev, r));
	return e.nodeid;
}

static void
read_compare(struct vu_dev *dev, uint64_t nodeid, const char *hostname, uint32_t chunk)
{
	struct fuse_open_out oo;
	char path[PATH_MAX];
	uint8_t *want, *got;
	size_t n, total = 0;
	ssize_t wantlen;
	int fd, r, same = 1;

	host_path(path, sizeof(path), hostname);
	if ((fd = open(path, O_RDONLY)) == -1 || (want = malloc(1 << 20)) == NULL ||
	    (got = malloc(chunk)) == NULL) {
		check(0, "host open %s", path);
		return;
	}
	wantlen = read(fd, want, 1 << 20);
	close(fd);
	r = vu_fuse_open(dev, nodeid, O_RDONLY, 0, &oo);
	check(r == 0, "OPEN %s: %s", hostname, vu_fuse_why(dev, r));
	if (r != 0)
		goto out;
	for (;;) {
		r = vu_fuse_read(dev, nodeid, oo.fh, total, chunk, got, &n);
		if (r != 0 || n == 0)
			break;
		if (total + n > (size_t)wantlen || memcmp(want + total, got, n) != 0)
			same = 0;
		total += n;
	}
	check(r == 0 && same && total == (size_t)wantlen,
	    "READ %s in %u-byte requests: %s, %zu bytes, contents %s", hostname, chunk,
	    vu_fuse_why(dev, r), total, same ? "equal" : "DIFFER");
	r = vu_fuse_release(dev, nodeid, oo.fh, 0);
	check(r == 0, "RELEASE %s: %s", hostname, vu_fuse_why(dev, r));
out:
	free(want);
	free(got);
}

static void
listing_compare(struct vu_dev *dev, uint64_t nodeid, const char *hostname)
{
	char path[PATH_MAX], *want, *got;
	int plus, r;

	host_path(path, sizeof(path), hostname);
	want = host_listing(path);
	for (plus = 0; plus <= 1; plus++) {
		r = vu_fuse_list_dir(dev, nodeid, plus, &got);
		check(r == 0 && want != NULL && got != NULL && strcmp(want, got) == 0,
		    "%s of %s: %s, listing %s the host's", plus ? "READDIRPLUS" : "READDIR",
		    hostname, r ? dev->err : "ok",
		    got && want && strcmp(want, got) == 0 ? "equals" : "DIFFERS from");
		free(got);
	}
	free(want);
}

static void
statfs_check(struct vu_dev *dev)
{
	struct fuse_statfs_out s;
	struct statvfs sv;
	int r;

	r = vu_fuse_statfs(dev, &s);
	if (statvfs(cli.host_dir, &sv) == -1)
		memset(&sv, 0, sizeof(sv));
	check(r == 0 && s.st.blocks == sv.f_blocks && s.st.bsize == sv.f_bsize &&
	    s.st.namelen == sv.f_namemax,
	    "STATFS: %s, blocks %llu bsize %u namelen %u (host %llu %lu %lu)",
	    vu_fuse_why(dev, r), (unsigned long long)s.st.blocks, s.st.bsize, s.st.namelen,
	    (unsigned long long)sv.f_blocks, sv.f_bsize, sv.f_namemax);
}

/* WRITE into an existing file (one descriptor per page), then read it on the host. */
static void
write_check(struct vu_dev *dev, uint64_t nodeid, const char *hostname)
{
	struct fuse_open_out oo;
	char path[PATH_MAX];
	uint8_t data[10000], back[10001];
	uint32_t written = 0;
	ssize_t n = -1;
	int fd, r, i;

	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	r = vu_fuse_open(dev, nodeid, O_RDWR, 0, &oo);
	check(r == 0, "OPEN %s O_RDWR: %s", hostname, vu_fuse_why(dev, r));
	if (r != 0)
		return;
	r = vu_fuse_write(dev, nodeid, oo.fh, 0, data, sizeof(data), &written);
	vu_fuse_release(dev, nodeid, oo.fh, 0);
	host_path(path, sizeof(path), hostname);
	if ((fd = open(path, O_RDONLY)) != -1) {
		n = read(fd, back, sizeof(back));
		close(fd);
	}
	check(r == 0 && written == sizeof(data) && n == (ssize_t)sizeof(data) &&
	    memcmp(data, back, sizeof(data)) == 0,
	    "WRITE of %zu bytes to %s (3 pages): %s, %u written, host reads %zd equal bytes",
	    sizeof(data), hostname, vu_fuse_why(dev, r), written, n);
}

static void
mount_checks(struct vu_dev *dev)
{
	struct fuse_attr_out a;
	struct fuse_entry_out e;
	char target[256];
	uint64_t hello, big, lnk, dir;
	int r;

	if (do_init(dev) == -1)
		return;
	r = vu_fuse_getattr(dev, 1, &a);
	check(r == 0 && S_ISDIR(a.attr.mode), "GETATTR root: %s, mode 0%o",
	    vu_fuse_why(dev, r), a.attr.mode);
	hello = lookup_check(dev, 1, "hello.txt", "hello.txt");
	big = lookup_check(dev, 1, "big.bin", "big.bin");
	lnk = lookup_check(dev, 1, "link", "link");
	dir = lookup_check(dev, 1, "dir", "dir");
	if (dir != 0) {
		uint64_t b = lookup_check(dev, dir, "b", "dir/b");

		lookup_check(dev, dir, "a", "dir/a");
		if (b != 0)
			write_check(dev, b, "dir/b");
	}
	r = vu_fuse_lookup(dev, 1, "no-such-file", &e);
	check(r == -ENOENT, "LOOKUP of a missing name: %s (want ENOENT)", vu_fuse_why(dev, r));
	listing_compare(dev, 1, ".");
	if (dir != 0)
		listing_compare(dev, dir, "dir");
	if (hello != 0)
		read_compare(dev, hello, "hello.txt", 4096);
	if (big != 0) {
		read_compare(dev, big, "big.bin", 65536);
		read_compare(dev, big, "big.bin", 12288);
	}
	if (lnk != 0) {
		r = vu_fuse_readlink(dev, lnk, target, sizeof(target));
		check(r == 0 && strcmp(target, "hello.txt") == 0, "READLINK link: %s, \"%s\"",
		    vu_fuse_why(dev, r), target);
	}
	statfs_check(dev);
	if (hello != 0) {
		r = vu_fuse_forget(dev, hello, 1);
		check(r == 0, "FORGET on hiprio: %s, chain returned with used len 0",
		    vu_fuse_why(dev, r));
	}
	r = vu_fuse_destroy(dev);
	if (cli.peer && r == VU_FUSE_BADREPLY)
		vu_note("differs: %s answers DESTROY with %s", cli.backend, vu_fuse_why(dev, r));
	else
		check(r == 0, "DESTROY: %s", vu_fuse_why(dev, r));
}

void
case_mount(void)
{
	struct vu_dev dev;

	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &cli.opts) == 0)
		mount_checks(&dev);
	vu_dev_close(&dev);
}

void
case_indirect(void)
{
	struct vu_opts o = cli.opts;
	struct vu_dev dev;

	o.indirect = 1;
	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &o) == 0) {
		vu_note("every request with more than one segment goes in an indirect table");
		mount_checks(&dev);
	}
	vu_dev_close(&dev);
}

void
case_add_mem_reg(void)
{
	struct vu_opts o = cli.opts;
	struct vu_dev dev;

	o.add_mem_reg = 1;
	o.nregions = 4;
	o.gpa_gap = 1 << 20;
	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &o) == 0) {
		vu_note("guest memory: %u regions added with ADD_MEM_REG, 1 MiB holes between",
		    dev.mem.nreg);
		mount_checks(&dev);
	}
	vu_dev_close(&dev);
}

void
case_qemu_acks(void)
{
	struct vu_opts o = cli.opts;
	struct vu_dev dev;

	o.qemu_acks = 1;
	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &o) == 0) {
		vu_note("NEED_REPLY only on SET_MEM_TABLE and SET_BACKEND_REQ_FD, as QEMU 7.2 sends");
		mount_checks(&dev);
	}
	vu_dev_close(&dev);
}
