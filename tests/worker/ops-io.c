/*
 * WRITE (from guest memory, several buffers, bad handles), FLUSH, FSYNC, FSYNCDIR,
 * SYNCFS, FALLOCATE, LSEEK (SEEK_DATA/SEEK_HOLE), COPY_FILE_RANGE, and the DAX requests
 * without --dax (ops-dax has them with it), against the real worker.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

static size_t
host_read(const struct wh *w, const char *name, char *buf, size_t size)
{
	ssize_t	n = -1;
	int	fd;

	if ((fd = open(wh_path(w, name), O_RDONLY)) != -1) {
		n = read(fd, buf, size);
		close(fd);
	}
	return n < 0 ? 0 : (size_t)n;
}

/* Two guest buffers in one WRITE. */
static int
write_two(struct wh *w, uint64_t fh, uint64_t off, uint64_t *done)
{
	struct wh_body	b;
	struct msg_io	io;
	struct msg_iov	v[2];
	struct wh_reply	r;
	int		err;

	memcpy(wh_guest(w, 100), "abc", 3);
	memcpy(wh_guest(w, 5000), "defg", 4);
	memset(&io, 0, sizeof(io));
	io.fh = fh;
	io.offset = off;
	io.size = 7;
	io.niov = 2;
	v[0] = wh_iov(w, 100, 3);
	v[1] = wh_iov(w, 5000, 4);
	wh_body_init(&b);
	wh_body_put(&b, &io, sizeof(io));
	wh_body_put(&b, v, sizeof(v));
	if ((err = wh_call_body(w, IMSG_FRONTEND_WRITE, 0, &b, &r)) != 0)
		return err;
	memcpy(done, r.data, sizeof(*done));
	return 0;
}

static void
test_write(struct wh *w, uint64_t fh)
{
	struct wh_body	b;
	struct msg_io	io;
	struct msg_iov	v;
	struct wh_reply	r;
	char		buf[64];
	uint64_t	n, ro;

	CHECK(wh_write(w, fh, 0, "hello world", 11, 0, &n) == 0 && n == 11);
	CHECK(write_two(w, fh, 6, &n) == 0 && n == 7);
	CHECK(host_read(w, "f", buf, sizeof(buf)) == 13 &&
	    memcmp(buf, "hello abcdefg", 13) == 0);
	CHECK(wh_write(w, fh, 0, "", 0, 0, &n) == 0 && n == 0);
	CHECK(wh_write(w, 31337, 0, "x", 1, 0, &n) == EBADF);
	/* sizes that do not add up, an iov outside guest memory */
	memset(&io, 0, sizeof(io));
	io.fh = fh;
	io.size = 5;
	io.niov = 1;
	v = wh_iov(w, 0, 4);
	wh_body_init(&b);
	wh_body_put(&b, &io, sizeof(io));
	wh_body_put(&b, &v, sizeof(v));
	CHECK(wh_call_body(w, IMSG_FRONTEND_WRITE, 0, &b, &r) == EINVAL);
	io.size = 4096;
	v = wh_iov(w, WH_MEM_SIZE - 100, 4096);
	wh_body_init(&b);
	wh_body_put(&b, &io, sizeof(io));
	wh_body_put(&b, &v, sizeof(v));
	CHECK(wh_call_body(w, IMSG_FRONTEND_WRITE, 0, &b, &r) == EFAULT);
	/* a read-only handle */
	CHECK(wh_open(w, wh_node(w, "f"), O_RDONLY, &ro) == 0);
	CHECK(wh_write(w, ro, 0, "x", 1, 0, &n) == EBADF);
	CHECK(wh_release(w, ro) == 0);
	CHECK(host_read(w, "f", buf, sizeof(buf)) == 13 && buf[0] == 'h');
}

/* More buffers than one pwritev() takes (IOV_MAX): the worker writes them in pieces. */
static void
test_many_iovs(struct wh *w)
{
	static struct wh_body	b;
	static char		buf[MSG_MAX_IOV * 16 + 16];
	struct msg_io		io;
	struct msg_iov		v;
	struct wh_reply		r;
	struct msg_count	c;
	uint64_t		fh;
	uint32_t		i;

	wh_host_file(w, "many", "");
	CHECK(wh_open(w, wh_node(w, "many"), O_RDWR, &fh) == 0);
	memset(&io, 0, sizeof(io));
	io.fh = fh;
	io.offset = 3;
	io.niov = MSG_MAX_IOV;
	io.size = MSG_MAX_IOV * 16;
	wh_body_init(&b);
	wh_body_put(&b, &io, sizeof(io));
	for (i = 0; i < MSG_MAX_IOV; i++) {
		/* buffer i holds 16 times the letter of i, placed backwards in memory */
		memset(wh_guest(w, (MSG_MAX_IOV - 1 - i) * 32), 'a' + i % 26, 16);
		v = wh_iov(w, (MSG_MAX_IOV - 1 - i) * 32, 16);
		wh_body_put(&b, &v, sizeof(v));
	}
	CHECK(wh_call_body(w, IMSG_FRONTEND_WRITE, 0, &b, &r) == 0);
	memcpy(&c, r.data, sizeof(c));
	CHECK(c.count == MSG_MAX_IOV * 16);
	CHECK(host_read(w, "many", buf, sizeof(buf)) == 3 + MSG_MAX_IOV * 16);
	for (i = 0; i < MSG_MAX_IOV; i++)
		if (buf[3 + i * 16] != 'a' + (int)(i % 26) || buf[3 + i * 16 + 15] !=
		    'a' + (int)(i % 26))
			break;
	CHECK(i == MSG_MAX_IOV);
	/* one more than the maximum */
	io.niov = MSG_MAX_IOV + 1;
	io.size += 16;
	memcpy(b.buf, &io, sizeof(io));
	wh_body_put(&b, &v, sizeof(v));
	CHECK(wh_call_body(w, IMSG_FRONTEND_WRITE, 0, &b, &r) == EINVAL);
	CHECK(wh_release(w, fh) == 0);
}

static void
test_sync(struct wh *w, uint64_t fh)
{
	struct stat	st;
	uint64_t	dfh;

	CHECK(wh_flush(w, fh, 1) == 0);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNC, fh, 0) == 0);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNC, fh, 1) == 0);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNC, 1234567, 0) == EBADF);
	CHECK(wh_opendir(w, WH_ROOT, &dfh) == 0);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNCDIR, dfh, 0) == 0);
	CHECK(wh_releasedir(w, dfh) == 0);
	CHECK(wh_syncfs(w, WH_ROOT) == 0);
	/* anyone may sync, even without read access to the root */
	wh_host_stat(w, "", &st);
	chmod(w->dir, 0711);
	wh_uid = wh_gid = 1000;
	CHECK(wh_syncfs(w, WH_ROOT) == 0);
	wh_uid = wh_gid = 0;
	chmod(w->dir, st.st_mode & 07777);
}

static void
test_space(struct wh *w, uint64_t fh)
{
	static char	blk[4096];
	struct stat	st;
	uint64_t	off;

	CHECK(wh_fallocate(w, fh, 0, 1 << 20, 0) == 0);
	wh_host_stat(w, "f", &st);
	CHECK(st.st_size == 1 << 20);
	CHECK(wh_fallocate(w, fh, 4096, 8192, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE) == 0);
	CHECK(wh_fallocate(w, fh, 0, 4096, FALLOC_FL_PUNCH_HOLE) == EOPNOTSUPP);
	CHECK(wh_fallocate(w, fh, 0, 0, 0) == EINVAL);
	CHECK(wh_fallocate(w, fh, (uint64_t)1 << 63, 1, 0) == EINVAL);

	/* a sparse file: data, hole, data */
	CHECK(wh_setattr(w, wh_node(w, "f"), &(struct msg_setattr){ .valid = SETATTR_SIZE,
	    .size = 0 }, NULL) == 0);
	memset(blk, 'z', sizeof(blk));
	CHECK(wh_write(w, fh, 0, blk, sizeof(blk), 0, &off) == 0);
	CHECK(wh_write(w, fh, 1 << 20, blk, sizeof(blk), 0, &off) == 0);
	CHECK(wh_fsync(w, IMSG_FRONTEND_FSYNC, fh, 0) == 0);
	CHECK(wh_lseek(w, fh, 0, SEEK_DATA, &off) == 0 && off == 0);
	CHECK(wh_lseek(w, fh, 0, SEEK_HOLE, &off) == 0 && off == 4096);
	CHECK(wh_lseek(w, fh, 8192, SEEK_DATA, &off) == 0 && off == 1 << 20);
	CHECK(wh_lseek(w, fh, (1 << 20) + 8192, SEEK_DATA, &off) == ENXIO);
	CHECK(wh_lseek(w, fh, 0, SEEK_END, &off) == 0 && off == (1 << 20) + 4096);
	CHECK(wh_lseek(w, fh, 0, 77, &off) == EINVAL);
}

static void
test_copy(struct wh *w, uint64_t fh)
{
	char		buf[64];
	uint64_t	g, gfh, fnode, n;

	CHECK(wh_write(w, fh, 0, "copy me", 7, 0, &n) == 0);
	wh_host_file(w, "g", "");
	g = wh_node(w, "g");
	fnode = wh_node(w, "f");
	CHECK(wh_open(w, g, O_RDWR, &gfh) == 0);
	CHECK(wh_copy(w, fnode, fh, 0, g, gfh, 10, 7, &n) == 0 && n == 7);
	CHECK(host_read(w, "g", buf, sizeof(buf)) == 17 &&
	    memcmp(buf + 10, "copy me", 7) == 0 && buf[0] == 0);
	CHECK(wh_copy(w, fnode, fh, 0, g, 99999, 0, 7, &n) == EBADF);
	/* a handle that is not the named node's */
	CHECK(wh_copy(w, fnode, fh, 0, fnode, gfh, 0, 7, &n) == EBADF);
	CHECK(wh_release(w, gfh) == 0);
}

static void
test_dax(struct wh *w)
{
	struct wh_body		b;
	struct msg_setupmapping	m;
	struct wh_reply		r;
	struct msg_dax_range	range = { 0, 4096 };
	uint32_t		count = 1, zero = 0;

	/* Without --dax nothing is mapped, however well formed the request. */
	memset(&m, 0, sizeof(m));
	m.fh = UINT64_MAX;
	m.len = 4096;
	m.flags = SETUPMAPPING_READ;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	CHECK(wh_call_body(w, IMSG_FRONTEND_SETUPMAPPING, WH_ROOT, &b, &r) == EOPNOTSUPP);
	wh_body_init(&b);
	wh_body_put(&b, &count, sizeof(count));
	wh_body_put(&b, &range, sizeof(range));
	CHECK(wh_call_body(w, IMSG_FRONTEND_REMOVEMAPPING, WH_ROOT, &b, &r) == EOPNOTSUPP);
	/* Malformed ones are refused first. */
	m.flags = SETUPMAPPING_WRITE;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	CHECK(wh_call_body(w, IMSG_FRONTEND_SETUPMAPPING, WH_ROOT, &b, &r) == EINVAL);
	wh_body_init(&b);
	wh_body_put(&b, &zero, sizeof(zero));
	CHECK(wh_call_body(w, IMSG_FRONTEND_REMOVEMAPPING, WH_ROOT, &b, &r) == EINVAL);
}

/*
 * A read whose pages are not in the page cache: the request thread first tries
 * RWF_NOWAIT, gets EAGAIN or part of the data, hands the channel on and reads the rest
 * (pool.c). The bytes must be the file's, wherever the first try stopped.
 */
static void
test_read_uncached(struct wh *w)
{
	char		 path[PATH_MAX + 8];
	uint8_t		*data, *got;
	uint64_t	 fh, n;
	size_t		 i, len = 512 * 1024;
	int		 fd;

	CHECK((data = malloc(len)) != NULL);
	if (data == NULL)
		return;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + i / 4096);
	snprintf(path, sizeof(path), "%s/cold", w->dir);
	CHECK((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) != -1);
	CHECK(write(fd, data, len) == (ssize_t)len && fsync(fd) == 0);
	/* The first 64 KiB back in the cache: the first try stops there (or at once). */
	CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
	CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) == 0);
	got = wh_guest(w, 0);
	CHECK(pread(fd, got, 65536, 0) == 65536);
	memset(got, 0, len);
	close(fd);
	CHECK(wh_open(w, wh_node(w, "cold"), O_RDONLY, &fh) == 0);
	CHECK(wh_read(w, fh, 0, (uint32_t)len, 0, &n) == 0 && n == len);
	got = wh_guest(w, 0);
	CHECK(memcmp(got, data, len) == 0);
	CHECK(wh_release(w, fh) == 0);
	free(data);
}

int
main(void)
{
	struct wh_opts		o;
	struct wh		w;
	uint64_t		fh;

	wh_start_session(&w, NULL, 0);
	wh_host_file(&w, "f", "");
	CHECK(wh_open(&w, wh_node(&w, "f"), O_RDWR, &fh) == 0);
	test_write(&w, fh);
	test_many_iovs(&w);
	test_sync(&w, fh);
	test_space(&w, fh);
	test_copy(&w, fh);
	test_dax(&w);
	CHECK(wh_release(&w, fh) == 0);
	wh_finish(&w);
	/* With request threads: only they read with RWF_NOWAIT first. */
	wh_opts_default(&o);
	o.threads = 2;
	wh_start_session(&w, &o, 0);
	test_read_uncached(&w);
	wh_finish(&w);
	return check_done("ops-io");
}
