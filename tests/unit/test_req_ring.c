/*
 * The request ring (common/req_ring.c) on its own: records of every size through many
 * wraps, full and oversized records left to the socket, the doorbell handshake, a new
 * consumer that skips what a dead one left, and the producer's lies the consumer must
 * refuse (indices out of range, records longer than what was put, a wrap past it), plus a
 * producer that rewrites the header while the consumer copies it out, and the doorbell's
 * stamp (how late it woke the consumer), lies about it included.
 */
#include <sys/uio.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "req_ring.h"
#include "check.h"

static struct req_ring	ring;
static uint8_t		*buf;		/* CHAN_PACKET_BUF, as the worker's */

static void
reset(struct req_ring_prod *p, struct req_ring_cons *c)
{
	memset(&ring, 0, sizeof(ring));
	req_ring_prod_init(p, &ring);
	req_ring_cons_init(c, &ring);
}

static int
put(struct req_ring_prod *p, uint32_t type, uint32_t len, uint8_t fill, int *bell)
{
	static uint8_t	payload[REQ_RING_RECORD_MAX];
	struct chan_hdr	hdr;
	struct iovec	iov[2];

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	memset(payload, fill, len < sizeof(payload) ? len : sizeof(payload));
	/* In two pieces, as a request and its name come. */
	iov[0].iov_base = payload;
	iov[0].iov_len = len / 3;
	iov[1].iov_base = payload + len / 3;
	iov[1].iov_len = len - len / 3;
	return req_ring_put(p, &hdr, iov, 2, bell);
}

/* 1 when the next record is type/len/fill. */
static int
take_is(struct req_ring_cons *c, uint32_t type, uint32_t len, uint8_t fill)
{
	struct chan_hdr	 hdr;
	const char	*why = NULL;
	uint32_t	 i;

	if (req_ring_take(c, buf, &hdr, &why) != 1)
		return 0;
	if (hdr.type != type || hdr.len != len || memcmp(buf, &hdr, sizeof(hdr)) != 0)
		return 0;
	for (i = 0; i < len; i++)
		if (buf[sizeof(hdr) + i] != fill)
			return 0;
	return 1;
}

/* Records of every length up to 600 bytes, several in the ring at once, around it often. */
static void
test_roundtrip(void)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	uint32_t		i, taken = 0, bad = 0;
	int			bell;

	reset(&p, &c);
	for (i = 0; i < 20000; i++) {
		if (put(&p, 100 + i % 7, i % 601, (uint8_t)i, &bell) != 0)
			bad++;
		if (bell)
			bad++;			/* nobody said it sleeps */
		/* Keep three behind, so that wraps find records on both sides. */
		if (i >= 3 && !take_is(&c, 100 + (i - 3) % 7, (i - 3) % 601, (uint8_t)(i - 3)))
			bad++;
		taken += i >= 3;
	}
	for (; taken < i; taken++)
		if (!take_is(&c, 100 + taken % 7, taken % 601, (uint8_t)taken))
			bad++;
	CHECK(bad == 0);
	CHECK(!req_ring_pending(&c));
	CHECK(ring.prod == ring.cons && ring.prod > 10 * REQ_RING_BYTES);
}

/* A full ring and a record too large for it: -1, for the socket; room again once taken. */
static void
test_full(void)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	int			n = 0, bell;

	reset(&p, &c);
	CHECK(put(&p, 1, REQ_RING_RECORD_MAX - sizeof(struct chan_hdr) + 1, 0, &bell) == -1);
	CHECK(put(&p, 1, REQ_RING_RECORD_MAX - sizeof(struct chan_hdr), 0, &bell) == 0);
	CHECK(take_is(&c, 1, REQ_RING_RECORD_MAX - sizeof(struct chan_hdr), 0));
	while (put(&p, 2, 1000, 5, &bell) == 0)
		n++;
	CHECK(n == REQ_RING_BYTES / 1024 - 1 || n == REQ_RING_BYTES / 1024);
	CHECK(take_is(&c, 2, 1000, 5));
	CHECK(put(&p, 2, 1000, 5, &bell) == 0);
	/* A consumer index ahead of the producer's (a lying worker): full, not a crash. */
	ring.cons = p.prod + 64;
	CHECK(put(&p, 2, 8, 5, &bell) == -1);
}

/* The doorbell: asked for exactly while the consumer says it may sleep. */
static void
test_bell(void)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	int			bell;

	reset(&p, &c);
	CHECK(req_ring_sleep_begin(&c) == 0);		/* empty: asleep */
	CHECK(put(&p, 3, 10, 1, &bell) == 0 && bell == 1);
	req_ring_sleep_end(&c);
	CHECK(put(&p, 3, 10, 1, &bell) == 0 && bell == 0);
	CHECK(req_ring_sleep_begin(&c) == 1);		/* records: stays awake */
	CHECK(ring.asleep == 0);
	CHECK(take_is(&c, 3, 10, 1) && take_is(&c, 3, 10, 1));
	/* A new consumer (a restarted worker) skips what its predecessor left. */
	CHECK(put(&p, 3, 10, 1, &bell) == 0);
	req_ring_cons_init(&c, &ring);
	CHECK(!req_ring_pending(&c) && ring.cons == ring.prod);
	CHECK(put(&p, 4, 20, 2, &bell) == 0 && take_is(&c, 4, 20, 2));
}

/*
 * The doorbell's stamp: set by a put that rings, read once by the wake-up after it; none
 * for a sleep nobody rang for, or for a put that found the consumer awake. A stamp left
 * from before a sleep is not that sleep's; one in the future (a lying producer) is no
 * delay at all.
 */
static void
test_bell_stamp(void)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	uint64_t		d, before;
	int			bell;

	reset(&p, &c);
	CHECK(req_ring_bell_delay(&c, &d) == 0);
	CHECK(req_ring_sleep_begin(&c) == 0);
	before = now_ns();
	CHECK(put(&p, 3, 10, 1, &bell) == 0 && bell == 1 && ring.bell_ns >= before);
	usleep(2000);
	req_ring_sleep_end(&c);
	CHECK(ring.bell_ns == 0);
	CHECK(req_ring_bell_delay(&c, &d) == 1 && d >= 2000000 && d < 10000000000ull);
	CHECK(req_ring_bell_delay(&c, &d) == 0);		/* read once */
	CHECK(take_is(&c, 3, 10, 1));
	/* Awake: no stamp. A sleep without a put: none either. */
	CHECK(put(&p, 3, 10, 1, &bell) == 0 && bell == 0 && ring.bell_ns == 0);
	CHECK(take_is(&c, 3, 10, 1));
	CHECK(req_ring_sleep_begin(&c) == 0);
	req_ring_sleep_end(&c);
	CHECK(req_ring_bell_delay(&c, &d) == 0);
	/* A stamp from before the sleep began (its put found us still asleep) is dropped. */
	ring.bell_ns = 1;
	CHECK(req_ring_sleep_begin(&c) == 0);
	req_ring_sleep_end(&c);
	CHECK(req_ring_bell_delay(&c, &d) == 0);
	/* Lies: a stamp in the future is no delay; one long past is a long one, no more. */
	CHECK(req_ring_sleep_begin(&c) == 0);
	ring.bell_ns = UINT64_MAX;
	req_ring_sleep_end(&c);
	CHECK(req_ring_bell_delay(&c, &d) == 1 && d == 0);
	CHECK(req_ring_sleep_begin(&c) == 0);
	ring.bell_ns = 1;
	req_ring_sleep_end(&c);
	CHECK(req_ring_bell_delay(&c, &d) == 1 && d >= before - 1);
	/* Two sleeps rung for before a look: the last one's delay. */
	CHECK(req_ring_sleep_begin(&c) == 0);
	ring.bell_ns = UINT64_MAX;
	req_ring_sleep_end(&c);
	CHECK(req_ring_sleep_begin(&c) == 0);
	ring.bell_ns = now_ns() - 5000000;
	req_ring_sleep_end(&c);
	CHECK(req_ring_bell_delay(&c, &d) == 1 && d >= 5000000);
}

/* What the consumer says of a ring written by hand; NULL when it took a record or none. */
static const char *
lie(uint32_t cons, uint32_t prod, const struct chan_hdr *at)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	struct chan_hdr		hdr;
	const char		*why = NULL;

	reset(&p, &c);
	ring.prod = ring.cons = cons;
	req_ring_cons_init(&c, &ring);
	if (at != NULL)
		memcpy(ring.data + cons % REQ_RING_BYTES, at, sizeof(*at));
	ring.prod = prod;
	return req_ring_take(&c, buf, &hdr, &why) == -1 ? why : NULL;
}

static void
test_lies(void)
{
	struct chan_hdr	h;
	const char	*w;
	uint32_t	end = REQ_RING_BYTES - 64;	/* a cons 64 bytes before the end */

	memset(&h, 0, sizeof(h));
	h.type = 7;
	h.len = 40;
	CHECK(lie(0, 64, &h) == NULL);				/* a good record */
	CHECK((w = lie(0, REQ_RING_BYTES + 8, &h)) && strstr(w, "not one"));
	CHECK((w = lie(0, 4, &h)) && strstr(w, "not one"));	/* unaligned */
	CHECK((w = lie(0xffffffc0u, 0, &h)) == NULL);	/* the indices wrap */
	CHECK((w = lie(0, 16, &h)) && strstr(w, "shorter than its header"));
	CHECK((w = lie(0, 32, &h)) && strstr(w, "longer than what was put"));
	h.len = 3000;
	CHECK((w = lie(end, end + 3024, &h)) && strstr(w, "longer than what was put"));
	h.len = REQ_RING_RECORD_MAX;
	CHECK((w = lie(0, REQ_RING_BYTES, &h)) && strstr(w, "longer than the ring takes"));
	h.len = 0xffffffffu;
	CHECK((w = lie(0, REQ_RING_BYTES, &h)) && strstr(w, "longer than the ring takes"));
	h.type = REQ_RING_WRAP;
	h.len = 0;
	CHECK((w = lie(end, end + 32, &h)) && strstr(w, "wrap past"));
	CHECK((w = lie(REQ_RING_BYTES - 8, REQ_RING_BYTES, NULL)) == NULL);	/* skip, empty */
	CHECK((w = lie(REQ_RING_BYTES - 16, REQ_RING_BYTES - 8, NULL)) &&
	    strstr(w, "wrap past"));
	/* A wrap header at offset 0 that claims the whole ring: skipped, then empty. */
	CHECK((w = lie(0, REQ_RING_BYTES, &h)) == NULL);
}

/*
 * A producer that rewrites the header the consumer is reading: its length flips between
 * the real one and one far past the ring. The consumer acts on its own copy: it takes the
 * record whole, or refuses it; it never copies past the ring or the buffer (ASan, or a
 * fault past the mapping, would say).
 */
static volatile int	flipping;

static void *
flipper(void *arg)
{
	struct chan_hdr	*h = arg;
	uint32_t	 i = 0;

	while (flipping)
		__atomic_store_n(&h->len, ++i % 2 ? 100000u : 40u, __ATOMIC_RELAXED);
	return NULL;
}

static void
test_torn(void)
{
	struct req_ring_prod	p;
	struct req_ring_cons	c;
	struct chan_hdr		hdr, *at;
	const char		*why;
	pthread_t		 t;
	int			 i, got, took = 0, refused = 0, other = 0;

	for (i = 0; i < 2000; i++) {
		reset(&p, &c);
		at = (struct chan_hdr *)(void *)ring.data;
		memset(at, 0, sizeof(*at));
		at->type = 9;
		at->len = 40;
		flipping = 1;
		if (pthread_create(&t, NULL, flipper, at) != 0)
			abort();
		ring.prod = 64;
		why = NULL;
		got = req_ring_take(&c, buf, &hdr, &why);
		flipping = 0;
		pthread_join(t, NULL);
		if (got == 1 && hdr.len == 40 && memcmp(buf, &hdr, sizeof(hdr)) == 0)
			took++;
		else if (got == -1 && why != NULL)
			refused++;
		else
			other++;
	}
	CHECK(other == 0);
	CHECK(took + refused == 2000);
}

int
main(void)
{
	if ((buf = malloc(CHAN_PACKET_BUF)) == NULL)
		abort();
	test_roundtrip();
	test_full();
	test_bell();
	test_bell_stamp();
	test_lies();
	test_torn();
	free(buf);
	return check_done("test_req_ring");
}
