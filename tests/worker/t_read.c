/*
 * Worker core: OPEN, READ, RELEASE and what guards them: handles with generations, double
 * RELEASE, only regular files and directories opened, guest buffers re-checked, the fd
 * budget, a read-only export (rows of the attack table in doc/security.md: device nodes,
 * O_CREAT/O_TMPFILE in OPEN, the fd budget, bogus ids, oversized reads, read-only exports).
 * Everything runs twice: requests on the loop, then on a thread pool.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define BIG_SIZE	(300 * 1024)

static void
make_big(struct wh *w)
{
	char	*buf;
	size_t	 i;
	FILE	*f;

	if ((buf = malloc(BIG_SIZE)) == NULL)
		exit(99);
	for (i = 0; i < BIG_SIZE; i++)
		buf[i] = (char)(i * 7 + i / 4096);
	if ((f = fopen(wh_path(w, "big"), "w")) == NULL)
		exit(99);
	fwrite(buf, 1, BIG_SIZE, f);
	fclose(f);
	free(buf);
}

static int
big_matches(struct wh *w, uint64_t off, uint64_t len, uint64_t memoff)
{
	uint8_t	*g = wh_guest(w, memoff);
	uint64_t i;

	for (i = 0; i < len; i++)
		if (g[i] != (uint8_t)((off + i) * 7 + (off + i) / 4096))
			return 0;
	return 1;
}

static void
test_open_read(struct wh *w)
{
	struct msg_entry	e;
	struct msg_attr		a;
	uint64_t		fh, got;

	wh_host_file(w, "hello", "hello world\n");
	CHECK(wh_lookup(w, WH_ROOT, "hello", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == 0);
	memset(wh_guest(w, 0), 0xaa, 64);
	CHECK(wh_read(w, fh, 0, 64, 0, &got) == 0);
	CHECK(got == 12 && memcmp(wh_guest(w, 0), "hello world\n", 12) == 0);
	CHECK(wh_guest(w, 0)[12] == 0xaa);	/* nothing past what was read */
	CHECK(wh_read(w, fh, 6, 5, 100, &got) == 0);
	CHECK(got == 5 && memcmp(wh_guest(w, 100), "world", 5) == 0);
	CHECK(wh_read(w, fh, 100, 10, 0, &got) == 0 && got == 0);
	CHECK(wh_getattr_fh(w, e.nodeid, fh, &a) == 0 && a.size == 12);
	CHECK(wh_release(w, fh) == 0);
	/* Released: unknown from now on, a second RELEASE is EBADF. */
	CHECK(wh_release(w, fh) == EBADF);
	CHECK(wh_read(w, fh, 0, 4, 0, &got) == EBADF);
	CHECK(wh_release(w, 0) == EBADF);
	CHECK(wh_release(w, UINT64_MAX) == EBADF);
	CHECK(wh_read(w, 12345, 0, 4, 0, &got) == EBADF);
	/* A directory handle is not released as a file. */
	CHECK(wh_opendir(w, WH_ROOT, &fh) == 0);
	CHECK(wh_release(w, fh) == EBADF);
	CHECK(wh_read(w, fh, 0, 4, 0, &got) == EISDIR);
	CHECK(wh_releasedir(w, fh) == 0);
	CHECK(wh_releasedir(w, fh) == EBADF);
}

/* A large read over many buffers, scattered in guest memory. */
static void
test_big_read(struct wh *w)
{
	struct {
		struct msg_io	io;
		struct msg_iov	iov[80];
	} body;
	struct msg_entry	e;
	struct wh_reply		rep;
	struct msg_count	c;
	uint64_t		fh, got;
	int			i;

	make_big(w);
	CHECK(wh_lookup(w, WH_ROOT, "big", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == 0);
	CHECK(wh_read(w, fh, 1000, 256 * 1024, 4096, &got) == 0);
	CHECK(got == 256 * 1024 && big_matches(w, 1000, got, 4096));
	/* 80 buffers of 4 KiB, every other page: 320 KiB asked, 300 KiB there. */
	memset(&body, 0, sizeof(body));
	body.io.fh = fh;
	body.io.offset = 0;
	body.io.size = 80 * 4096;
	body.io.niov = 80;
	for (i = 0; i < 80; i++)
		body.iov[i] = wh_iov(w, 1024 * 1024 + (uint64_t)i * 8192, 4096);
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body), &rep) == 0);
	memcpy(&c, rep.data, sizeof(c));
	CHECK(rep.type == IMSG_WORKER_REPLY_COUNT && c.count == BIG_SIZE);
	CHECK(big_matches(w, 0, 4096, 1024 * 1024));
	CHECK(big_matches(w, 74 * 4096, 4096, 1024 * 1024 + 74 * 8192));
	CHECK(wh_release(w, fh) == 0);
}

/* Guest buffers that are not in guest memory: EFAULT, and the worker goes on. */
static void
test_bad_iov(struct wh *w)
{
	struct {
		struct msg_io	io;
		struct msg_iov	iov[2];
	} body;
	struct msg_entry	e;
	struct wh_reply		rep;
	uint64_t		fh, got;

	CHECK(wh_lookup(w, WH_ROOT, "hello", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == 0);
	memset(&body, 0, sizeof(body));
	body.io.fh = fh;
	body.io.size = 8;
	body.io.niov = 1;
	body.iov[0] = wh_iov(w, WH_MEM_SIZE - 4, 8);		/* runs off the end */
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EFAULT);
	body.iov[0] = wh_iov(w, 0, 8);
	body.iov[0].slot = 1;					/* no such slot */
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EFAULT);
	body.iov[0] = wh_iov(w, 0, 8);
	body.iov[0].slot = MEM_MAX_SLOTS + 7;
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EFAULT);
	body.iov[0] = wh_iov(w, 0, 8);
	body.iov[0].offset = UINT64_MAX - 2;			/* wraps */
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EFAULT);
	if (w->mem_offset > 0) {
		/* Below the region's start in its fd: not this slot's guest memory. */
		body.iov[0] = wh_iov(w, 0, 8);
		body.iov[0].offset = 0;
		CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
		    sizeof(body.iov[0]), &rep) == EFAULT);
	}
	/* Sizes that do not add up, a count that does not match the list. */
	body.iov[0] = wh_iov(w, 0, 4);
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EINVAL);
	body.iov[0] = wh_iov(w, 0, 8);
	body.io.niov = 2;
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EINVAL);
	body.io.niov = 0x40000000;
	CHECK(wh_call(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body) -
	    sizeof(body.iov[0]), &rep) == EINVAL);
	CHECK(wh_alive(w));
	CHECK(wh_read(w, fh, 0, 5, 0, &got) == 0 && got == 5);
	CHECK(wh_release(w, fh) == 0);
}

/* FIFOs, sockets and devices are never opened (a FIFO would block the worker). */
static void
test_special(struct wh *w)
{
	struct sockaddr_un	 sun;
	struct msg_entry	 e;
	uint64_t		 fh;
	int			 s;

	CHECK(mkfifo(wh_path(w, "fifo"), 0666) == 0);
	CHECK(mknod(wh_path(w, "null"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, wh_path(w, "sock"), sizeof(sun.sun_path));
	CHECK((s = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	CHECK(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	close(s);
	CHECK(wh_lookup(w, WH_ROOT, "fifo", &e) == 0 && S_ISFIFO(e.attr.mode));
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == EBADF);
	CHECK(wh_open(w, e.nodeid, O_RDWR | O_NONBLOCK, &fh) == EBADF);
	CHECK(wh_lookup(w, WH_ROOT, "null", &e) == 0 && S_ISCHR(e.attr.mode));
	CHECK(wh_open(w, e.nodeid, O_RDWR, &fh) == EBADF);
	CHECK(wh_opendir(w, e.nodeid, &fh) == ENOTDIR);
	CHECK(wh_lookup(w, WH_ROOT, "sock", &e) == 0 && S_ISSOCK(e.attr.mode));
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == EBADF);
	/* O_CREAT / O_TMPFILE have no business in OPEN. */
	CHECK(wh_lookup(w, WH_ROOT, "hello", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDWR | O_CREAT, &fh) == EINVAL);
	CHECK(wh_open(w, WH_ROOT, O_RDWR | O_TMPFILE, &fh) == EINVAL);
	CHECK(wh_alive(w));
}

/* Past the fd budget the guest gets ENFILE; forgetting nodes gives fds back. */
static void
test_budget(uint32_t threads)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	uint64_t		ids[200], fh;
	char			name[32];
	int			i, n = 0, error = 0;

	wh_opts_default(&o);
	o.threads = threads;
	o.rlimit_nofile = 40;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		wh_host_file(&w, name, "x");
	}
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if ((error = wh_lookup(&w, WH_ROOT, name, &e)) != 0)
			break;
		ids[n++] = e.nodeid;
	}
	CHECK(error == ENFILE);
	CHECK(n > 0 && n <= 40);
	CHECK(wh_open(&w, WH_ROOT, O_RDONLY, &fh) == ENFILE);
	CHECK(wh_alive(&w));
	for (i = 0; i < n; i++)
		wh_forget(&w, ids[i], 1);
	CHECK(wh_lookup(&w, WH_ROOT, "f199", &e) == 0);
	CHECK(wh_opendir(&w, WH_ROOT, &fh) == 0);
	CHECK(wh_releasedir(&w, fh) == 0);
	if (check_failures)
		wh_dump_log(&w);
	CHECK(wh_stop(&w) == 0);
}

/* A read-only export refuses writes itself, whatever the guest mounted. */
static void
test_readonly(uint32_t threads)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	struct msg_newnode	nn;
	uint8_t			body[64];
	struct wh_reply		rep;
	struct stat		st;
	uint64_t		fh;
	size_t			len;

	wh_opts_default(&o);
	o.threads = threads;
	o.flags = CONFIG_READONLY;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	wh_host_file(&w, "ro", "data");
	CHECK(wh_lookup(&w, WH_ROOT, "ro", &e) == 0);
	CHECK(wh_open(&w, e.nodeid, O_WRONLY, &fh) == EROFS);
	CHECK(wh_open(&w, e.nodeid, O_RDWR, &fh) == EROFS);
	CHECK(wh_open(&w, e.nodeid, O_RDONLY | O_TRUNC, &fh) == EROFS);
	CHECK(wh_open(&w, e.nodeid, O_RDONLY, &fh) == 0);
	CHECK(wh_release(&w, fh) == 0);
	memset(&nn, 0, sizeof(nn));
	nn.mode = S_IFDIR | 0755;
	memcpy(body, &nn, sizeof(nn));
	len = sizeof(nn) + wh_name_body(body + sizeof(nn), sizeof(body) - sizeof(nn), "d");
	CHECK(wh_call(&w, IMSG_FRONTEND_MKDIR, WH_ROOT, body, len, &rep) > 0);
	CHECK(stat(wh_path(&w, "d"), &st) == -1);
	CHECK(stat(wh_path(&w, "ro"), &st) == 0 && st.st_size == 4);
	CHECK(wh_stop(&w) == 0);
}

/*
 * Requests pipelined as the frontend does: reads in flight on pool threads while the file
 * is unlinked and its handle released. Each read answers with all its data or EBADF,
 * never a crash or a read through a closed (and maybe reused) fd.
 */
static void
test_pipelined(struct wh *w, uint32_t threads)
{
	struct {
		struct msg_io	io;
		struct msg_iov	iov;
	} body;
	struct msg_release	rel;
	struct msg_entry	e;
	struct wh_reply		rep;
	struct msg_count	c;
	uint64_t		fh, ids[64], relid = 0;
	int			i, ok = 0, badf = 0, other = 0;

	make_big(w);
	CHECK(wh_lookup(w, WH_ROOT, "big", &e) == 0);
	CHECK(wh_open(w, e.nodeid, O_RDONLY, &fh) == 0);
	memset(&body, 0, sizeof(body));
	body.io.fh = fh;
	body.io.size = 64 * 1024;
	body.io.niov = 1;
	for (i = 0; i < 64; i++) {
		body.io.offset = (uint64_t)(i % 4) * 64 * 1024;
		body.iov = wh_iov(w, 2 * 1024 * 1024 + (uint64_t)(i % 16) * 64 * 1024, 64 * 1024);
		ids[i] = wh_send(w, IMSG_FRONTEND_READ, WH_ROOT, &body, sizeof(body));
		if (i == 20) {
			CHECK(unlink(wh_path(w, "big")) == 0);
			memset(&rel, 0, sizeof(rel));
			rel.fh = fh;
			relid = wh_send(w, IMSG_FRONTEND_RELEASE, WH_ROOT, &rel, sizeof(rel));
		}
	}
	for (i = 0; i < 64; i++) {
		if (wh_recv(w, ids[i], &rep, WH_TIMEOUT_MS) == -1) {
			other++;
			continue;
		}
		memcpy(&c, rep.data, sizeof(c));
		if (rep.error == 0 && rep.type == IMSG_WORKER_REPLY_COUNT &&
		    c.count == 64 * 1024)
			ok++;
		else if (rep.error == EBADF)
			badf++;
		else
			other++;
	}
	CHECK(wh_recv(w, relid, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(other == 0 && ok + badf == 64);
	/* On the loop requests run in order; a pool may run the RELEASE before reads
	 * queued ahead of it (the kernel never sends one with reads in flight). */
	CHECK(threads > 0 || ok == 21);
	CHECK(wh_release(w, fh) == EBADF);
	CHECK(wh_alive(w));
}

static void
run(uint32_t threads, uint64_t mem_offset)
{
	struct wh_opts	o;
	struct wh	w;

	wh_opts_default(&o);
	o.threads = threads;
	o.mem_offset = mem_offset;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	test_open_read(&w);
	test_big_read(&w);
	test_bad_iov(&w);
	test_special(&w);
	test_pipelined(&w, threads);
	if (check_failures)
		wh_dump_log(&w);
	CHECK(wh_stop(&w) == 0);
	test_budget(threads);
	test_readonly(threads);
}

int
main(void)
{
	run(0, 0);
	run(4, 64 * 1024);
	return check_done("t_read");
}
