/*
 * GETLK, SETLK, SETLKW (POSIX, as OFD locks per lock owner) and flock locks against the
 * real worker: two owners conflict, an owner's locks span its handles and go on FLUSH,
 * a waiting SETLKW blocks no later request, with and without a thread pool.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define A	0x1111
#define B	0x2222

static double
now(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
test_posix(struct wh *w, uint64_t f, uint64_t fh1, uint64_t fh2)
{
	struct msg_lock_reply	r;
	uint64_t		ro;

	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 0, 99, 0, 0) == 0);
	CHECK(wh_setlk(w, fh2, B, F_WRLCK, 50, 60, 0, 0) == EAGAIN);
	CHECK(wh_setlk(w, fh2, B, F_RDLCK, 100, 200, 0, 0) == 0);
	CHECK(wh_getlk(w, fh2, B, F_WRLCK, 0, WH_OFFSET_MAX, &r) == 0);
	CHECK(r.type == F_WRLCK && r.start == 0 && r.end == 99 && r.pid == A);
	CHECK(wh_getlk(w, fh1, A, F_WRLCK, 0, 99, &r) == 0 && r.type == F_UNLCK);
	CHECK(wh_getlk(w, fh1, A, F_WRLCK, 150, 150, &r) == 0 && r.type == F_RDLCK &&
	    r.start == 100 && r.end == 200 && r.pid == B);
	/* the owner's locks cover all its handles: lock and unlock through another one */
	CHECK(wh_setlk(w, fh2, A, F_WRLCK, 0, 10, 0, 0) == 0);
	CHECK(wh_setlk(w, fh2, A, F_UNLCK, 0, WH_OFFSET_MAX, 0, 0) == 0);
	CHECK(wh_setlk(w, fh2, B, F_WRLCK, 50, 60, 0, 0) == 0);
	CHECK(wh_setlk(w, fh1, A, F_RDLCK, 55, 55, 0, 0) == EAGAIN);
	/* to the end of the file */
	CHECK(wh_setlk(w, fh2, B, F_WRLCK, 1000, WH_OFFSET_MAX, 0, 0) == 0);
	CHECK(wh_getlk(w, fh1, A, F_RDLCK, 5000, 6000, &r) == 0 && r.type == F_WRLCK &&
	    r.start == 1000 && r.end == WH_OFFSET_MAX);
	/* FLUSH drops every lock of the owner, as close() does */
	CHECK(wh_flush(w, fh1, B) == 0);
	CHECK(wh_getlk(w, fh1, A, F_WRLCK, 0, WH_OFFSET_MAX, &r) == 0 && r.type == F_UNLCK);
	/* unlocking what one never locked is fine */
	CHECK(wh_setlk(w, fh1, 0x9999, F_UNLCK, 0, 10, 0, 0) == 0);
	/* what fcntl() refuses */
	CHECK(wh_setlk(w, fh1, A, 77, 0, 10, 0, 0) == EINVAL);
	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 10, 5, 0, 0) == EINVAL);
	CHECK(wh_setlk(w, fh1, A, F_WRLCK, (uint64_t)1 << 63, (uint64_t)1 << 63, 0,
	    0) == EINVAL);
	CHECK(wh_setlk(w, 4444444, A, F_WRLCK, 0, 10, 0, 0) == EBADF);
	CHECK(wh_getlk(w, fh1, A, F_UNLCK, 0, 10, &r) == EINVAL);
	/* a read-only handle takes read locks only; the owner's others still write-lock */
	CHECK(wh_open(w, f, O_RDONLY, &ro) == 0);
	CHECK(wh_setlk(w, ro, A, F_WRLCK, 0, 10, 0, 0) == EBADF);
	CHECK(wh_setlk(w, ro, A, F_RDLCK, 0, 10, 0, 0) == 0);
	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 20, 30, 0, 0) == 0);
	CHECK(wh_getlk(w, fh2, B, F_RDLCK, 0, 100, &r) == 0 && r.type == F_WRLCK &&
	    r.start == 20);
	CHECK(wh_flush(w, ro, A) == 0);
	CHECK(wh_release(w, ro) == 0);
	CHECK(wh_getlk(w, fh2, B, F_WRLCK, 0, 100, &r) == 0 && r.type == F_UNLCK);
}

/* A SETLKW that has to wait answers only when the lock is free, and holds up nothing. */
static void
test_wait(struct wh *w, uint64_t f, uint64_t fh1, uint64_t fh2)
{
	struct wh_reply	rep;
	struct msg_attr	a;
	uint64_t	id;
	double		t0;

	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 0, 99, 0, 0) == 0);
	id = wh_setlkw_send(w, fh2, B, F_WRLCK, 0, 9);
	t0 = now();
	CHECK(wh_getattr(w, f, &a) == 0);
	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 200, 300, 0, 0) == 0);
	CHECK(now() - t0 < 1.0);
	CHECK(wh_recv(w, id, &rep, 300) == -1);	/* still waiting */
	CHECK(wh_setlk(w, fh1, A, F_UNLCK, 0, 99, 0, 0) == 0);
	CHECK(wh_recv(w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 5, 5, 0, 0) == EAGAIN);
	/* and a waiter released by FLUSH of the holder */
	id = wh_setlkw_send(w, fh1, A, F_RDLCK, 0, 0);
	CHECK(wh_recv(w, id, &rep, 200) == -1);
	CHECK(wh_flush(w, fh2, B) == 0);
	CHECK(wh_recv(w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(wh_flush(w, fh1, A) == 0);
}

static void
test_flock(struct wh *w, uint64_t fh1, uint64_t fh2)
{
	struct wh_reply	rep;
	uint64_t	id;
	struct wh_body	b;
	struct msg_lock	m;

	CHECK(wh_setlk(w, fh1, A, F_WRLCK, 0, 0, 0, 1) == 0);
	CHECK(wh_setlk(w, fh2, B, F_RDLCK, 0, 0, 0, 1) == EAGAIN);
	/* a blocking flock waits too, without holding anything up */
	memset(&m, 0, sizeof(m));
	m.fh = fh2;
	m.owner = B;
	m.type = F_WRLCK;
	m.flock = 1;
	m.sleep = 1;
	wh_body_init(&b);
	wh_body_put(&b, &m, sizeof(m));
	id = wh_send_as(w, IMSG_FRONTEND_SETLK, 0, 0, 0, b.buf, b.len);
	CHECK(wh_recv(w, id, &rep, 200) == -1);
	CHECK(wh_setlk(w, fh1, A, F_UNLCK, 0, 0, 0, 1) == 0);
	CHECK(wh_recv(w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(wh_setlk(w, fh1, A, F_RDLCK, 0, 0, 0, 1) == EAGAIN);
	CHECK(wh_setlk(w, fh2, B, F_UNLCK, 0, 0, 0, 1) == 0);
}

static void
run(uint32_t threads)
{
	struct wh		w;
	struct wh_opts		o;
	struct msg_entry	e;
	uint64_t		fh1, fh2;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
	wh_host_file(&w, "f", "0123456789");
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	CHECK(wh_open(&w, e.nodeid, O_RDWR, &fh1) == 0);
	CHECK(wh_open(&w, e.nodeid, O_RDWR, &fh2) == 0);
	test_posix(&w, e.nodeid, fh1, fh2);
	test_wait(&w, e.nodeid, fh1, fh2);
	test_flock(&w, fh1, fh2);
	CHECK(wh_release(&w, fh1) == 0 && wh_release(&w, fh2) == 0);
	wh_finish(&w);
}

int
main(void)
{
	run(0);
	run(2);
	return check_done("ops-lock");
}
