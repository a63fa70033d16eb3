/*
 * OFD locks end with RELEASE: a Linux guest sends no unlock and no FLUSH of their owner
 * (the open file description) when the description closes, only RELEASE of its handle.
 * The worker closes the lock fd of every owner that locked through a released handle,
 * and nothing else: other owners' locks through other handles stay, flock locks stay
 * with their own handle, and a SETLKW waiting on a released lock gets it.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define A	0xa1
#define B	0xb2
#define C	0xc3
#define D	0xd4
#define E	0xe5

static uint64_t
hopen(struct wh *w, uint64_t f)
{
	uint64_t	fh = 0;

	CHECK(wh_open(w, f, O_RDWR, &fh) == 0);
	return fh;
}

/* Owner A's lock through H1 goes with RELEASE of H1; owner C's through H2 stays. */
static void
test_release(struct wh *w, uint64_t f)
{
	uint64_t	h1, h2, h3;

	h1 = hopen(w, f);
	h2 = hopen(w, f);
	h3 = hopen(w, f);
	CHECK(wh_setlk(w, h1, A, F_WRLCK, 0, 9, 0, 0) == 0);
	CHECK(wh_setlk(w, h2, C, F_WRLCK, 20, 29, 0, 0) == 0);
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 0, 9, 0, 0) == EAGAIN);
	CHECK(wh_release(w, h1) == 0);		/* no FLUSH, no unlock */
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 0, 9, 0, 0) == 0);
	CHECK(wh_setlk(w, h3, D, F_WRLCK, 20, 29, 0, 0) == EAGAIN);
	CHECK(wh_release(w, h2) == 0);
	CHECK(wh_setlk(w, h3, D, F_WRLCK, 20, 29, 0, 0) == 0);
	CHECK(wh_release(w, h3) == 0);
	/* everything went with h3: a fresh handle locks all of it */
	h1 = hopen(w, f);
	CHECK(wh_setlk(w, h1, E, F_WRLCK, 0, WH_OFFSET_MAX, 0, 0) == 0);
	CHECK(wh_release(w, h1) == 0);
}

/*
 * A process's POSIX locks through two handles go when either is released: locally the
 * close of any fd of the file drops them all. An unlock through a handle ties nothing.
 */
static void
test_posix_two_handles(struct wh *w, uint64_t f)
{
	uint64_t	h1, h2, h3;

	h1 = hopen(w, f);
	h2 = hopen(w, f);
	h3 = hopen(w, f);
	CHECK(wh_setlk(w, h1, A, F_WRLCK, 0, 9, 0, 0) == 0);
	CHECK(wh_setlk(w, h2, A, F_WRLCK, 50, 59, 0, 0) == 0);
	CHECK(wh_setlk(w, h3, A, F_UNLCK, 100, 109, 0, 0) == 0);
	CHECK(wh_release(w, h3) == 0);
	h3 = hopen(w, f);
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 0, 0, 0, 0) == EAGAIN);
	CHECK(wh_release(w, h2) == 0);
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 0, 0, 0, 0) == 0);
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 55, 55, 0, 0) == 0);
	CHECK(wh_release(w, h1) == 0 && wh_release(w, h3) == 0);
}

/* flock locks belong to their handle alone; RELEASE of another one leaves them. */
static void
test_flock(struct wh *w, uint64_t f)
{
	uint64_t	h1, h2, h3;

	h1 = hopen(w, f);
	h2 = hopen(w, f);
	h3 = hopen(w, f);
	CHECK(wh_setlk(w, h1, A, F_WRLCK, 0, 0, 0, 1) == 0);
	CHECK(wh_setlk(w, h2, A, F_WRLCK, 0, 9, 0, 0) == 0);	/* POSIX, same owner */
	CHECK(wh_release(w, h2) == 0);
	CHECK(wh_setlk(w, h3, B, F_RDLCK, 0, 0, 0, 1) == EAGAIN);
	CHECK(wh_setlk(w, h3, B, F_WRLCK, 0, 9, 0, 0) == 0);
	CHECK(wh_release(w, h1) == 0);
	CHECK(wh_setlk(w, h3, B, F_RDLCK, 0, 0, 0, 1) == 0);
	CHECK(wh_release(w, h3) == 0);
}

/* A SETLKW waiting on an OFD lock gets it when the holder's handle is released. */
static void
test_waiter(struct wh *w, uint64_t f)
{
	struct wh_reply	rep;
	uint64_t	h1, h2, id;

	h1 = hopen(w, f);
	h2 = hopen(w, f);
	CHECK(wh_setlk(w, h1, A, F_WRLCK, 0, 9, 0, 0) == 0);
	id = wh_setlkw_send(w, h2, B, F_WRLCK, 5, 5);
	CHECK(wh_recv(w, id, &rep, 200) == -1);		/* waiting */
	CHECK(wh_release(w, h1) == 0);
	CHECK(wh_recv(w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(wh_release(w, h2) == 0);
}

static void
run(uint32_t threads)
{
	struct wh		w;
	struct wh_opts		o;
	struct msg_entry	e;

	wh_opts_default(&o);
	o.threads = threads;
	wh_start_session(&w, &o, 0);
	wh_host_file(&w, "f", "0123456789");
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	test_release(&w, e.nodeid);
	test_posix_two_handles(&w, e.nodeid);
	test_flock(&w, e.nodeid);
	test_waiter(&w, e.nodeid);
	wh_finish(&w);
}

int
main(void)
{
	run(0);
	run(2);
	return check_done("ops-ofdlock");
}
