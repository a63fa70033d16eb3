/*
 * The request ring in the page the frontend and worker share (common/req_ring.h), from
 * the worker's side: requests put there are served, with and without request threads, and
 * with the leader asleep (doorbell) or awake (--poll-max-ns); a READ of a guest's largest
 * request with its pages apart fits the ring, a record too large for it takes the socket.
 * Then a lying frontend: a producer index that is not one, a record longer than what was
 * put or than the ring takes, a wrap past what was put, a doorbell in the ring, a doorbell
 * with a payload on the socket, and a frontend that rewrites a record's length while the
 * worker copies it out. Each lie ends the worker with a message naming it (exit 1, never
 * a signal), as a lie on the socket does (ops-reqchan).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "msg.h"
#include "req_ring.h"
#include "used_ring.h"
#include "check.h"
#include "harness.h"

static struct used_share	*page;
static struct req_ring		*ring;

static int
page_new(void)
{
	int fd = wh_used_page(&page);

	ring = &page->requests;
	return fd;
}
static int
start(struct wh *w, uint32_t threads, uint32_t poll_max_ns)
{
	struct wh_opts o;

	wh_opts_default(&o);
	o.flags = CONFIG_XATTR;
	o.threads = threads;
	o.poll_max_ns = poll_max_ns;
	o.used_fd = page_new();
	if (wh_start(w, &o) == -1) {
		close(o.used_fd);
		munmap(page, USED_SHARE_BYTES);
		return -1;
	}
	close(o.used_fd);
	return 0;
}

static void
stop(struct wh *w)
{
	wh_stop(w);
	munmap(page, USED_SHARE_BYTES);
}

/*
 * A READ of npieces 16-byte pieces 64 bytes apart in guest memory: with 257 pieces (a
 * guest's largest request, its pages apart) it fits the ring, with MSG_MAX_IOV it does not.
 */
static int
read_pieces(struct wh *w, uint64_t fh, uint32_t npieces, uint64_t *got)
{
	static struct msg_iov iov[MSG_MAX_IOV];
	uint32_t i;

	for (i = 0; i < npieces; i++)
		iov[i] = wh_iov(w, 64 * (uint64_t)i, 16);
	return wh_read_iovs(w, fh, 0, iov, npieces, got);
}

/* Requests through the ring, and one too large for it through the socket. */
static void
test_served(uint32_t threads, uint32_t poll_max_ns)
{
	static char	 data[16 * MSG_MAX_IOV + 1];
	struct wh	 w;
	struct msg_attr	 a;
	uint64_t	 f, fh, got = 0;
	uint32_t	 prod;
	int		 i, bad = 0;

	if (start(&w, threads, poll_max_ns) == -1) {
		CHECK(0);
		return;
	}
	chan_set_ring(w.req, ring, 1);
	for (i = 0; i < 300; i++) {
		if (wh_getattr(&w, WH_ROOT, &a) != 0)
			bad++;
		if (i % 50 == 0)
			usleep(2000);	/* now and then the leader is asleep: the doorbell */
	}
	CHECK(bad == 0);
	CHECK(ring->prod > 300 * sizeof(struct chan_hdr) && ring->cons == ring->prod);
	memset(data, 'v', sizeof(data) - 1);
	wh_host_file(&w, "x", data);
	f = wh_node(&w, "x");
	CHECK(wh_open(&w, f, O_RDONLY, &fh) == 0);
	prod = ring->prod;
	CHECK(read_pieces(&w, fh, 257, &got) == 0 && got == 16 * 257);
	CHECK(ring->prod - prod > 257 * sizeof(struct msg_iov));	/* in the ring, */
	prod = ring->prod;
	CHECK(read_pieces(&w, fh, MSG_MAX_IOV, &got) == 0 && got == sizeof(data) - 1);
	CHECK(ring->prod == prod);	/* the larger one on the socket */
	CHECK(memcmp(w.mem + w.mem_offset + 64 * 300, "vvvvvvvvvvvvvvvv", 16) == 0);
	CHECK(wh_finish(&w) == 0);
	munmap(page, USED_SHARE_BYTES);
}

/*
 * The lies: a header written where the worker's next record would be, the producer index
 * moved on by advance (0: nothing put), then a doorbell with bell_len payload bytes.
 */
static const struct {
	const char	*name;
	uint32_t	 type;
	uint32_t	 len;
	uint32_t	 advance;
	uint32_t	 bell_len;
	const char	*logged;
} lies[] = {
	{ "index", 0, 0, REQ_RING_BYTES + 64, 0, "a producer index that is not one" },
	{ "unaligned", IMSG_FRONTEND_GETATTR, 40, 68, 0, "a producer index that is not one" },
	{ "past put", IMSG_FRONTEND_GETATTR, 400, 64, 0, "a record longer than what was put" },
	{ "too long", IMSG_FRONTEND_GETATTR, 0x7fffffff, 64, 0,
	    "a record longer than the ring takes" },
	{ "wrap", REQ_RING_WRAP, 0, 32, 0, "a wrap past what was put" },
	{ "bell in ring", CHAN_TYPE_BELL, 0, 24, 0, "put type 0 flags 0 in the request ring" },
	{ "bell payload", 0, 0, 0, 4, "sent a doorbell of 4 bytes" },
};

/* The doorbell, by hand on the worker's fd 5, with plen payload bytes. */
static void
ring_bell(struct wh *w, uint32_t plen)
{
	uint8_t		rec[sizeof(struct chan_hdr) + 4];
	struct chan_hdr	hdr;
	struct iovec	iov;

	memset(rec, 0, sizeof(rec));
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = CHAN_TYPE_BELL;
	hdr.len = plen;
	memcpy(rec, &hdr, sizeof(hdr));
	iov.iov_base = rec;
	iov.iov_len = sizeof(hdr) + plen;
	if (check_rawsend(chan_fd(w->req), &iov, 1, -1) == -1)
		warn("bell");
}

/* Writes lie i where the worker's next record would be, then rings. */
static void
tell(struct wh *w, size_t i)
{
	struct chan_hdr	h;
	uint32_t	at = ring->cons;

	memset(&h, 0, sizeof(h));
	h.type = lies[i].type;
	h.len = lies[i].len;
	memcpy(ring->data + at % REQ_RING_BYTES, &h, sizeof(h));
	ring->prod = at + lies[i].advance;
	ring_bell(w, lies[i].bell_len);
}

static void
test_lies(uint32_t threads)
{
	struct wh	 w;
	struct msg_attr	 a;
	size_t		 i;
	char		 what[64];

	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		if (start(&w, threads, 0) == -1) {
			CHECK(0);
			continue;
		}
		chan_set_ring(w.req, ring, 1);
		CHECK(wh_getattr(&w, WH_ROOT, &a) == 0);	/* the ring works before */
		tell(&w, i);
		snprintf(what, sizeof(what), "%u threads, %s", threads, lies[i].name);
		CHECK(wh_expect_fatal(&w, what, lies[i].logged));
		stop(&w);
	}
}

/*
 * A frontend that rewrites the length of the record the worker is about to copy, between
 * the true one and one past the ring. The worker serves the record or ends naming the
 * lie; it never reads past the ring (that would be a fault, a signal).
 */
static volatile int	flipping;
static volatile uint32_t flip_at;

static void *
flipper(void *arg)
{
	uint32_t i = 0;

	(void)arg;
	while (flipping) {
		struct chan_hdr *h = (struct chan_hdr *)(void *)(ring->data +
		    __atomic_load_n(&flip_at, __ATOMIC_RELAXED) % REQ_RING_BYTES);

		if (__atomic_load_n(&h->type, __ATOMIC_RELAXED) == IMSG_FRONTEND_GETATTR)
			__atomic_store_n(&h->len, ++i % 2 ? 60000u :
			    (uint32_t)(sizeof(struct msg_req) + sizeof(struct msg_getattr)),
			    __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
test_rewrite(uint32_t threads)
{
	struct wh	 w;
	struct wh_reply	 rep;
	struct msg_getattr g;
	pthread_t	 t;
	int		 i, st, served = 0;

	if (start(&w, threads, 0) == -1) {
		CHECK(0);
		return;
	}
	chan_set_ring(w.req, ring, 1);
	memset(&g, 0, sizeof(g));
	flipping = 1;
	if (pthread_create(&t, NULL, flipper, NULL) != 0)
		errx(1, "pthread_create");
	for (i = 0; i < 200 && wh_alive(&w); i++) {
		flip_at = ring->prod;
		if (wh_recv(&w, wh_send(&w, IMSG_FRONTEND_GETATTR, WH_ROOT, &g, sizeof(g)),
		    &rep, 2000) == 0)
			served++;
	}
	flipping = 0;
	pthread_join(t, NULL);
	st = wh_wait_end(&w);
	if (st != -1) {
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		CHECK(wh_log_has(&w, "a record longer than"));
	} else {
		kill(w.pid, SIGKILL);
		CHECK(served == 200);
	}
	fprintf(stderr, "%u threads: %d served before the worker %s\n", threads, served,
	    st == -1 ? "lived on" : "refused a length");
	stop(&w);
}

int
main(void)
{
	test_served(0, 0);
	test_served(2, 0);
	test_served(2, 1000000);
	test_lies(0);
	test_lies(2);
	test_rewrite(0);
	test_rewrite(2);
	return check_done("ops-reqring");
}
