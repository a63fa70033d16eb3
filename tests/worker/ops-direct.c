/*
 * Requests the worker completes itself (worker/direct.c), and a lying frontend on that
 * path. The test plays the frontend and the broker: it makes the used-ring page (fd 7),
 * lays a split ring in guest memory, tells the worker where (IMSG_BROKER_DIRECT_RING with
 * an eventfd) and sends GETATTRs with a completion trailer. A good one is answered in the
 * guest's buffers and on the used ring, logged in the page and signalled, with nothing on
 * the socket; an error, an OPENDIR, a READDIR and a READDIRPLUS likewise. Every lie makes
 * the worker answer through the socket instead, write nothing outside the ring and the
 * buffers it was given, and keep running: an old gen, a lock
 * that stays held, a full log, indices far out of range, a ring outside guest memory or
 * of a size that is no power of two, a call fd that is not an eventfd, reply pieces
 * outside guest memory, a malformed trailer. Run with and without request threads (the
 * two read the requests channel differently). With threads, the leader also wakes on the
 * ring's kick fd (IMSG_BROKER_DIRECT_KICK): a kick wakes it, a stale or bogus one does not.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "chan.h"
#include "crowd.h"
#include "msg.h"
#include "used_ring.h"
#include "check.h"
#include "harness.h"

#define NUM		16
#define AVAIL_OFF	0x10000
#define USED_OFF	0x11000
#define USED_LEN	(6 + 8 * NUM)
#define AVAIL_LEN	(6 + 2 * NUM)
#define HDR_OFF		0x12000
#define BODY_OFF	0x12100
#define GUARD		64		/* bytes checked untouched around the used ring */
#define QUEUE		1
#define CROWDED		"test: the CPUs look crowded"	/* worker/pool.c, test builds */

static struct used_share	*page;
static struct used_share_queue	*q;
static int			 callfd;
static uint32_t			 gen = 1;

static int
page_new(void)
{
	int fd = wh_used_page(&page);

	q = &page->q[QUEUE - 1];
	return fd;
}
/* The ring's place for the worker, as the broker relays it; fd is sent (and closed). */
static void
ring_send(struct wh *w, uint32_t g, uint32_t num, struct msg_iov used, struct msg_iov avail,
    int fd)
{
	struct msg_direct_ring dr;

	memset(&dr, 0, sizeof(dr));
	dr.queue = QUEUE;
	dr.gen = g;
	dr.num = num;
	dr.event_idx = 0;
	dr.used = used;
	dr.avail = avail;
	wh_broker_send(w, IMSG_BROKER_DIRECT_RING, fd, &dr, sizeof(dr));
}

/* A fresh ring: zeroed, the page's record at used index 0 with gen g, the worker told. */
static void
ring_reset(struct wh *w, uint32_t g)
{
	memset(wh_guest(w, AVAIL_OFF), 0, 0x3000);
	memset(q, 0, sizeof(*q));
	memset(page->log[QUEUE - 1], 0, sizeof(page->log[0]));
	q->gen = g;
	ring_send(w, g, NUM, wh_iov(w, USED_OFF, USED_LEN), wh_iov(w, AVAIL_OFF, AVAIL_LEN),
	    fcntl(callfd, F_DUPFD_CLOEXEC, 0));
}

struct trailer {
	struct msg_direct	d;
	struct msg_iov		seg[DIRECT_SEGS_MAX];
};

static void
trailer_default(struct wh *w, struct trailer *t, uint32_t head)
{
	memset(t, 0, sizeof(*t));
	t->d.unique = 0x1234 + head;
	t->d.timeout = 7;
	t->d.gen = gen;
	t->d.queue = QUEUE;
	t->d.head = head;
	t->d.enc = DIRECT_ENC_ATTR;
	t->d.nseg = 2;
	t->seg[0] = wh_iov(w, HDR_OFF, sizeof(struct fuse_out_header));
	t->seg[1] = wh_iov(w, BODY_OFF, sizeof(struct fuse_attr_out));
}

/* A request with trailer bytes tlen of t (its own length when tlen is 0); its id. */
static uint64_t
send_req(struct wh *w, uint32_t type, uint64_t nodeid, const void *body, size_t blen,
    const struct trailer *t, uint32_t tlen)
{
	struct msg_req		req;
	struct iovec		iov[3];

	if (tlen == 0)
		tlen = sizeof(t->d) + t->d.nseg * sizeof(struct msg_iov);
	memset(&req, 0, sizeof(req));
	req.id = w->next_id++;
	req.nodeid = nodeid;
	req.pid = 1;
	iov[0].iov_base = &req;
	iov[0].iov_len = sizeof(req);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = blen;
	iov[2].iov_base = (void *)(uintptr_t)t;
	iov[2].iov_len = tlen;
	chan_composev(w->req, type, tlen, -1, iov, 3);
	chan_flush(w->req);
	return req.id;
}

static uint64_t
send_getattr(struct wh *w, uint64_t nodeid, const struct trailer *t, uint32_t tlen)
{
	struct msg_getattr g;

	memset(&g, 0, sizeof(g));
	return send_req(w, IMSG_FRONTEND_GETATTR, nodeid, &g, sizeof(g), t, tlen);
}

static uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Waits until the page logs n completions: 0, or -1 after the time-out. */
static int
wait_logged(uint32_t n, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (__atomic_load_n(&q->log_prod, __ATOMIC_ACQUIRE) == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

static uint64_t
call_count(void)
{
	struct pollfd	pfd = { callfd, POLLIN, 0 };
	uint64_t	v = 0;

	if (poll(&pfd, 1, 200) != 1 || read(callfd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* The worker answered id through the socket, and pushed nothing. */
static void
expect_socket(struct wh *w, uint64_t id, uint32_t logged_before, const char *what)
{
	struct wh_reply rep;
	int got = wh_recv(w, id, &rep, WH_TIMEOUT_MS);

	if (got != 0 || q->log_prod != logged_before)
		fprintf(stderr, "%s: socket reply %d, logged %u (before %u)\n", what, got,
		    q->log_prod, logged_before);
	CHECK(got == 0);
	CHECK(q->log_prod == logged_before);
}

/* Names in a READDIR(PLUS) reply of len bytes at p: a bit per name of "." ".." d1 d2. */
static int
dirent_names(const uint8_t *p, uint32_t len, int plus)
{
	static const char *const names[] = { ".", "..", "d1", "d2" };
	size_t			 base = plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	struct fuse_dirent	 d;
	uint32_t		 pos = 0, i;
	int			 seen = 0;

	while (pos + base + FUSE_NAME_OFFSET <= len) {
		memcpy(&d, p + pos + base, FUSE_NAME_OFFSET);
		if (d.namelen == 0 || d.namelen > 255 ||
		    pos + base + FUSE_DIRENT_SIZE(&d) > len)
			return -1;
		for (i = 0; i < 4; i++)
			if (strlen(names[i]) == d.namelen &&
			    memcmp(p + pos + base + FUSE_NAME_OFFSET, names[i], d.namelen) == 0)
				seen |= 1 << i;
		pos += (uint32_t)(base + FUSE_DIRENT_SIZE(&d));
	}
	return pos == len ? seen : -1;
}

/*
 * READDIR and READDIRPLUS on handle fh, completed by the worker: the records in the
 * guest's buffer, as the frontend would have encoded them; then a buffer too small for
 * them, which goes back by socket. *logged: completions so far, updated.
 */
static void
test_readdir(struct wh *w, uint64_t fh, uint32_t logged)
{
	struct fuse_out_header	oh;
	struct msg_readdir	rd;
	struct trailer		t;
	uint8_t			*used = wh_guest(w, USED_OFF);
	int			 plus, seen;

	for (plus = 0; plus <= 1; plus++) {
		memset(&rd, 0, sizeof(rd));
		rd.fh = fh;
		rd.size = 4096;
		rd.plus = (uint32_t)plus;
		trailer_default(w, &t, 9 + plus);
		t.d.enc = plus ? DIRECT_ENC_DIRENTS_PLUS : DIRECT_ENC_DIRENTS;
		t.d.size = rd.size;
		t.seg[1] = wh_iov(w, BODY_OFF, rd.size);
		(void)send_req(w, IMSG_FRONTEND_READDIR, WH_ROOT, &rd, sizeof(rd), &t, 0);
		CHECK(wait_logged(++logged, WH_TIMEOUT_MS) == 0);
		memcpy(&oh, wh_guest(w, HDR_OFF), sizeof(oh));
		CHECK(oh.error == 0 && oh.len > sizeof(oh) && oh.len <= sizeof(oh) + rd.size);
		seen = dirent_names(wh_guest(w, BODY_OFF), oh.len - (uint32_t)sizeof(oh), plus);
		if (seen != 15)
			fprintf(stderr, "readdir plus=%d: names seen %#x\n", plus, seen);
		CHECK(seen == 15);
		CHECK(ld32(used + 4 + 8 * (logged - 1)) == 9u + (uint32_t)plus);
		CHECK(ld32(used + 8 + 8 * (logged - 1)) == oh.len);
	}
	/* Pieces smaller than the records: the frontend gets the list instead. */
	trailer_default(w, &t, 11);
	t.d.enc = DIRECT_ENC_DIRENTS;
	t.d.size = rd.size;
	t.seg[1] = wh_iov(w, BODY_OFF, 40);
	rd.plus = 0;
	expect_socket(w, send_req(w, IMSG_FRONTEND_READDIR, WH_ROOT, &rd, sizeof(rd), &t, 0),
	    logged, "readdir pieces too small");
}

/* A good request completed by the worker: buffers, used ring, page log, signal. */
static void
test_direct(struct wh *w)
{
	struct fuse_out_header	oh;
	struct fuse_attr_out	ao;
	struct wh_reply		rep;
	struct trailer		t;
	uint64_t		id;
	uint8_t			*used = wh_guest(w, USED_OFF);
	uint64_t		 v;

	(void)call_count();
	ring_reset(w, gen);
	/* The ring reaches the worker on another channel: the first request may miss it. */
	trailer_default(w, &t, 3);
	id = send_getattr(w, WH_ROOT, &t, 0);
	if (wait_logged(1, 2000) == -1 && wh_recv(w, id, &rep, 100) == 0) {
		t.d.head = 3;
		id = send_getattr(w, WH_ROOT, &t, 0);
	}
	CHECK(wait_logged(1, WH_TIMEOUT_MS) == 0);
	CHECK(wh_recv(w, id, &rep, 200) == -1);		/* nothing on the socket */
	CHECK(page->log[QUEUE - 1][0] == id);
	CHECK(ld16(used + 2) == 1);
	CHECK(ld32(used + 4) == 3);
	CHECK(ld32(used + 8) == sizeof(oh) + sizeof(ao));
	CHECK(q->used_idx == 1);
	CHECK(q->lock == 0 && q->pushing == 0);
	memcpy(&oh, wh_guest(w, HDR_OFF), sizeof(oh));
	memcpy(&ao, wh_guest(w, BODY_OFF), sizeof(ao));
	CHECK(oh.len == sizeof(oh) + sizeof(ao));
	CHECK(oh.error == 0);
	CHECK(oh.unique == 0x1234 + 3);
	CHECK(ao.attr_valid == 7);
	CHECK((ao.attr.mode & S_IFMT) == S_IFDIR);
	/* One signal for this push: what earlier pushes left was read before. */
	v = call_count();
	if (v != 1)
		fprintf(stderr, "call eventfd count %llu\n", (unsigned long long)v);
	CHECK(v == 1);

	/* An error is completed too: the out header alone, -errno. */
	trailer_default(w, &t, 4);
	id = send_getattr(w, 0xdead0000beefULL, &t, 0);
	CHECK(wait_logged(2, WH_TIMEOUT_MS) == 0);
	memcpy(&oh, wh_guest(w, HDR_OFF), sizeof(oh));
	CHECK(oh.error < 0 && oh.len == sizeof(oh));
	CHECK(ld32(used + 4 + 8) == 4 && ld32(used + 8 + 8) == sizeof(oh));
	CHECK(ld16(used + 2) == 2);

	/* OPENDIR: the handle and the open flags the frontend chose. */
	{
		struct msg_open		o;
		struct fuse_open_out	oo;

		memset(&o, 0, sizeof(o));
		o.flags = O_RDONLY;
		trailer_default(w, &t, 5);
		t.d.enc = DIRECT_ENC_OPEN;
		t.d.open_flags = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
		t.seg[1] = wh_iov(w, BODY_OFF, sizeof(oo));
		(void)send_req(w, IMSG_FRONTEND_OPENDIR, WH_ROOT, &o, sizeof(o), &t, 0);
		CHECK(wait_logged(3, WH_TIMEOUT_MS) == 0);
		memcpy(&oh, wh_guest(w, HDR_OFF), sizeof(oh));
		memcpy(&oo, wh_guest(w, BODY_OFF), sizeof(oo));
		CHECK(oh.error == 0 && oh.len == sizeof(oh) + sizeof(oo));
		CHECK(oo.open_flags == (FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE));
		CHECK(ld32(used + 4 + 16) == 5 && ld32(used + 8 + 16) == sizeof(oh) + sizeof(oo));
		CHECK(oo.fh != 0);
		test_readdir(w, oo.fh, 3);
		CHECK(wh_releasedir(w, oo.fh) == 0);
	}
}

static void
st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t
worker_sleeps(const struct wh *w)
{
	char		 path[320], line[128];
	uint64_t	 n = 0;
	unsigned long long v;
	FILE		*f;
	DIR		*d;
	struct dirent	*de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)w->pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)w->pid, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
				n += v;
		fclose(f);
	}
	closedir(d);
	return n;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * n GETATTRs one after the other, each made available on the avail ring with ahead more
 * chains than the worker completes (the guest has others out); the worker's sleeps per
 * request. Each comes gap_us after the last completion: up to 200 us as a guest's would
 * after a round trip (we wait awake, so that it does not come much later), past that
 * from a guest that paused (we sleep).
 */
static double
sleeps_per_request(struct wh *w, uint16_t ahead, int n, uint64_t gap_us)
{
	struct trailer	t;
	uint8_t		*avail = wh_guest(w, AVAIL_OFF);
	uint64_t	s0 = 0, end;
	uint32_t	prod;
	int		i;

	for (i = 0; i < n; i++) {
		if (i == n / 4)
			s0 = worker_sleeps(w);		/* the window has grown by now */
		st16(avail + 2, (uint16_t)(q->used_idx + 1 + ahead));
		prod = q->log_prod;
		trailer_default(w, &t, (uint32_t)i % NUM);
		(void)send_getattr(w, WH_ROOT, &t, 0);
		end = now_us() + 5000000;
		while (__atomic_load_n(&q->log_prod, __ATOMIC_ACQUIRE) == prod) {
			if (now_us() > end) {
				CHECK(0);	/* not completed */
				return -1;
			}
		}
		q->log_cons = q->log_prod;	/* the frontend takes the ids back */
		if (gap_us > 200) {
			usleep(gap_us);
			continue;
		}
		end = now_us() + gap_us;
		while (now_us() < end)
			;
	}
	return (double)(worker_sleeps(w) - s0) / (n - n / 4);
}

/*
 * --poll-max-ns: after a request, the leading thread waits awake for the next one while
 * the guest has at most that one out, and sleeps while the guest's avail ring is further
 * ahead of the used ring (those requests are on their way; the frontend may need the CPU
 * more). The frontend's count of records sent is what the waiting thread watches.
 */
static void
test_awake(struct wh *w)
{
	double		awake = -1, next = -1, busy = -1;
	struct wh_reply	rep;
	struct trailer	t;
	uint64_t	id;
	int		try;

	chan_set_sent_counter(w->req, &page->requests_sent);
	ring_reset(w, gen);
	/* The ring reaches the worker on another channel: the first request may miss it. */
	trailer_default(w, &t, 0);
	id = send_getattr(w, WH_ROOT, &t, 0);
	if (wait_logged(1, 2000) == -1 && wh_recv(w, id, &rep, 100) == 0)
		(void)send_getattr(w, WH_ROOT, &t, 0);
	CHECK(wait_logged(1, WH_TIMEOUT_MS) == 0);
	q->log_cons = q->log_prod;
	/*
	 * Up to five tries: on a busy machine this process may lose its CPU for longer
	 * than the window between two requests (with two CPU-bound loops on two CPUs, a
	 * try passes about every other time; with three, none does). A worker that never
	 * waits awake, or never sleeps, fails all five.
	 */
	for (try = 1; try <= 5; try++) {
		awake = sleeps_per_request(w, 0, 400, 100);
		next = sleeps_per_request(w, 1, 400, 100);
		busy = sleeps_per_request(w, 2, 400, 100);
		fprintf(stderr, "worker sleeps per request, try %d: guest idle %.3f, "
		    "the next request out %.3f, two out %.3f\n", try, awake, next, busy);
		if (awake >= 0 && awake < 0.3 && next >= 0 && next < 0.3 && busy > 0.7)
			break;
	}
	CHECK(awake >= 0 && awake < 0.3);
	CHECK(next >= 0 && next < 0.3);
	CHECK(busy > 0.7);
}

/*
 * Lets the crowded-CPU rules (common/crowd.h) run out: while one holds, the leader sleeps
 * without watching kicks, and a noisy machine can trip them in test_awake()'s busy phase.
 * Requests one at a time, the guest idle after each and the next 2 ms later (past the
 * awake window), so that each ends in a sleep that counts one of CROWD_SLEEPS down and no
 * awake wait ends with a record (only those can trip the lent rule), and each is a
 * wait that counts one of CROWD_BELL_WAITS down; again while the worker (a test build
 * says so) found the CPUs crowded meanwhile.
 */
#define DRAIN_REQUESTS	(CROWD_BELL_WAITS + 8)
_Static_assert(CROWD_BELL_WAITS >= CROWD_SLEEPS, "a drain outlasts both rules");
static void
crowd_drain(struct wh *w)
{
	int	round, c0;

	for (round = 0; round < 5; round++) {
		c0 = wh_log_count(w, CROWDED);
		if (sleeps_per_request(w, 0, DRAIN_REQUESTS, 2000) < 0 ||
		    wh_log_count(w, CROWDED) == c0)
			return;
		fprintf(stderr, "the worker found the CPUs crowded; waiting it out\n");
	}
}

/* The ring's kick fd, as the broker relays it right after the ring; fd is sent (and closed). */
static void
kick_send(struct wh *w, uint32_t g, int fd)
{
	struct msg_direct_kick dk;

	memset(&dk, 0, sizeof(dk));
	dk.queue = QUEUE;
	dk.gen = g;
	wh_broker_send(w, IMSG_BROKER_DIRECT_KICK, fd, &dk, sizeof(dk));
}

/*
 * The worker's sleeps over n kicks of fd, each 10 ms apart. The leader's wait after a
 * kick is 100 us of its own time, but it yields between looks, and on a busy machine a
 * yield can last a time slice of whoever else runs: a kick that comes while it still
 * waits does not end in a sleep of its own (the kick fds are edge-triggered).
 */
static uint64_t
sleeps_per_kicks(struct wh *w, int fd, int n)
{
	uint64_t	one = 1, s0;
	int		i;

	usleep(50 * 1000);		/* the --poll-max-ns window after the last reply ends */
	s0 = worker_sleeps(w);
	for (i = 0; i < n; i++) {
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			err(1, "kick");
		usleep(10 * 1000);
	}
	return worker_sleeps(w) - s0;
}

/*
 * The leading thread sleeps in epoll on the requests channel and on the kick fds of the
 * rings it completes on, and a kick wakes it (it then waits awake for the frontend's
 * record, and sleeps again when none comes). Only the kick fd of the ring it holds now
 * counts: one for an older gen is closed, one that is not an eventfd refused. Requests
 * are still answered after all of it.
 */
static void
test_kick(struct wh *w)
{
	struct trailer	t;
	uint64_t	woken = 0, stale;
	uint32_t	n;
	int		kfd, fds[2], try;

	if ((kfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		err(1, "eventfd");
	ring_reset(w, ++gen);
	kick_send(w, gen, fcntl(kfd, F_DUPFD_CLOEXEC, 0));
	usleep(100 * 1000);
	/*
	 * Requests with the guest idle after each: the leader then sleeps watching kicks,
	 * the crowded-CPU rule run out. Up to three tries: a kick that comes while the
	 * leader waits for a CPU joins the next one (one wake-up for two). A worker that
	 * does not watch kicks fails all three.
	 */
	for (try = 1; try <= 3; try++) {
		crowd_drain(w);
		woken = sleeps_per_kicks(w, kfd, 50);
		if (woken >= 40)
			break;
		fprintf(stderr, "worker sleeps over 50 kicks, try %d: %llu\n", try,
		    (unsigned long long)woken);
	}

	/* A kick fd for a gen the worker does not hold: not watched. */
	kick_send(w, gen + 7, fcntl(kfd, F_DUPFD_CLOEXEC, 0));
	ring_reset(w, ++gen);		/* drops the watched one */
	kick_send(w, gen - 1, fcntl(kfd, F_DUPFD_CLOEXEC, 0));
	stale = sleeps_per_kicks(w, kfd, 50);

	/* Not an eventfd: refused. */
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		err(1, "pipe");
	kick_send(w, gen, fds[0]);
	usleep(100 * 1000);
	CHECK(wh_log_has(w, "kick fd for queue 1 refused"));
	close(fds[1]);

	fprintf(stderr, "worker sleeps over 50 kicks: watched %llu, stale gen %llu\n",
	    (unsigned long long)woken, (unsigned long long)stale);
	CHECK(woken >= 40);
	CHECK(stale <= 10);

	/* And the requests still come and are completed. */
	kick_send(w, gen, fcntl(kfd, F_DUPFD_CLOEXEC, 0));
	q->log_cons = n = q->log_prod;
	st16(wh_guest(w, AVAIL_OFF) + 2, (uint16_t)(q->used_idx + 1));
	trailer_default(w, &t, 0);
	(void)send_getattr(w, WH_ROOT, &t, 0);
	CHECK(wait_logged(n + 1, WH_TIMEOUT_MS) == 0);
	close(kfd);
}

/* What must come back on the socket: the ring set up fresh before each. */
static void
test_lies(struct wh *w)
{
	struct trailer	t;
	uint8_t		before[USED_LEN + 2 * GUARD], *around;
	uint32_t	n;
	uint64_t	id;
	int		fds[2];

	/* An old gen: the frontend turned the ring off since. */
	ring_reset(w, gen);
	test_direct(w);
	n = q->log_prod;
	q->gen = gen + 1;
	trailer_default(w, &t, 5);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "old gen");
	q->gen = gen;

	/* A lock the frontend never lets go of. */
	__atomic_store_n(&q->lock, USED_LOCK_FRONTEND, __ATOMIC_RELEASE);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "lock held");
	__atomic_store_n(&q->lock, 0, __ATOMIC_RELEASE);

	/* A log the frontend says is full. */
	q->log_cons = q->log_prod - USED_SHARE_LOG;
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "log full");
	q->log_cons = q->log_prod;

	/* Indices far out of range: masked to the ring, nothing around it written. */
	around = wh_guest(w, USED_OFF - GUARD);
	memset(around, 0xa5, GUARD);
	memset(around + GUARD + USED_LEN, 0xa5, GUARD);
	memcpy(before, around, sizeof(before));
	q->used_idx = 0xfffffff7;
	q->log_prod = 0xfffffffe;
	q->log_cons = 0xfffffffe;
	trailer_default(w, &t, 6);
	id = send_getattr(w, WH_ROOT, &t, 0);
	CHECK(wait_logged(0xffffffff, WH_TIMEOUT_MS) == 0);
	CHECK(memcmp(around, before, GUARD) == 0);
	CHECK(memcmp(around + GUARD + USED_LEN, before + GUARD + USED_LEN, GUARD) == 0);
	CHECK(ld32(wh_guest(w, USED_OFF) + 4 + 8 * (0xfff7 & (NUM - 1))) == 6);
	CHECK(page->log[QUEUE - 1][0xfffffffe % USED_SHARE_LOG] == id);

	/* A head outside the ring: nothing the guest could take back. */
	ring_reset(w, ++gen);
	test_direct(w);
	n = q->log_prod;
	trailer_default(w, &t, NUM);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "head outside");

	/* Reply pieces outside guest memory, and more pieces than a trailer holds. */
	trailer_default(w, &t, 7);
	t.seg[1].offset = (uint64_t)WH_MEM_SIZE + w->mem_offset - 8;
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "piece outside");
	trailer_default(w, &t, 7);
	t.seg[1].len = 8;			/* too small for the reply */
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "pieces too small");
	trailer_default(w, &t, 7);
	t.d.nseg = DIRECT_SEGS_MAX + 1;
	expect_socket(w, send_getattr(w, WH_ROOT, &t,
	    sizeof(t.d) + 2 * sizeof(struct msg_iov)), n, "nseg");
	trailer_default(w, &t, 7);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, sizeof(t.d) - 8), n, "short trailer");
	trailer_default(w, &t, 7);
	t.d.enc = DIRECT_ENC_ENTRY;		/* says a GETATTR answers with an entry */
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "wrong encoding");
	trailer_default(w, &t, 7);
	t.d.queue = USED_SHARE_QUEUES + 1;
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "queue");

	/* Rings the worker refuses: then it has none, and answers by socket. */
	ring_reset(w, ++gen);
	test_direct(w);
	n = q->log_prod;
	q->gen = ++gen;
	ring_send(w, gen, NUM, wh_iov(w, WH_MEM_SIZE - 16, USED_LEN),
	    wh_iov(w, AVAIL_OFF, AVAIL_LEN), fcntl(callfd, F_DUPFD_CLOEXEC, 0));
	usleep(100 * 1000);
	trailer_default(w, &t, 8);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "ring outside memory");
	q->gen = ++gen;
	ring_send(w, gen, 12, wh_iov(w, USED_OFF, 6 + 8 * 12), wh_iov(w, AVAIL_OFF, 6 + 2 * 12),
	    fcntl(callfd, F_DUPFD_CLOEXEC, 0));
	usleep(100 * 1000);
	trailer_default(w, &t, 8);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "size 12");
	if (pipe2(fds, O_CLOEXEC) == -1)
		err(1, "pipe");
	q->gen = ++gen;
	ring_send(w, gen, NUM, wh_iov(w, USED_OFF, USED_LEN), wh_iov(w, AVAIL_OFF, AVAIL_LEN),
	    fds[1]);
	close(fds[0]);
	usleep(100 * 1000);
	trailer_default(w, &t, 8);
	expect_socket(w, send_getattr(w, WH_ROOT, &t, 0), n, "call fd a pipe");
	CHECK(wh_log_has(w, "direct ring for queue 1 refused"));
}

static void
run(uint32_t threads)
{
	struct wh_opts	o;
	struct wh	w;

	wh_opts_default(&o);
	o.threads = threads;
	o.poll_max_ns = 1000000;
	o.used_fd = page_new();
	if ((callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		err(1, "eventfd");
	if (wh_start(&w, &o) == -1) {
		CHECK(0);
		return;
	}
	close(o.used_fd);
	wh_host_file(&w, "d1", "");
	wh_host_file(&w, "d2", "");
	test_direct(&w);
	test_lies(&w);
	if (threads > 0) {
		test_awake(&w);
		test_kick(&w);
	}
	/* After all of it the worker still serves through the socket. */
	{
		struct msg_attr a;

		CHECK(wh_getattr(&w, WH_ROOT, &a) == 0);
	}
	CHECK(wh_finish(&w) == 0);
	munmap(page, USED_SHARE_BYTES);
	close(callfd);
}

int
main(void)
{
	run(0);
	run(2);
	return check_done("ops-direct");
}
