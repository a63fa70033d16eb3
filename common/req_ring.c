/*
 * The request ring's producer (the frontend) and consumer (the worker's leading request
 * thread, or its loop without request threads). See req_ring.h for the layout and for who
 * trusts what.
 */
#include "config.h"

#include <string.h>

#include "clock.h"
#include "msg.h"
#include "req_ring.h"

/*
 * A guest's largest READ or WRITE (256 pages, each apart from the others, one of them
 * split where two regions meet) with a completion trailer fits a record.
 */
#define IO_PIECES_MAX	(256 + 1)
_Static_assert(sizeof(struct chan_hdr) + sizeof(struct msg_req) + sizeof(struct msg_io) +
    IO_PIECES_MAX * sizeof(struct msg_iov) + sizeof(struct msg_direct) +
    DIRECT_SEGS_MAX * sizeof(struct msg_iov) <= REQ_RING_RECORD_MAX,
    "a scattered 1 MiB READ or WRITE fits the request ring");

/* Ring bytes a record of len payload bytes takes. */
static uint32_t
record_size(uint32_t len)
{
	return (uint32_t)((sizeof(struct chan_hdr) + len + REQ_RING_ALIGN - 1) &
	    ~(size_t)(REQ_RING_ALIGN - 1));
}

void
req_ring_prod_init(struct req_ring_prod *p, struct req_ring *r)
{
	p->ring = r;
	p->prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
}

void
req_ring_cons_init(struct req_ring_cons *c, struct req_ring *r)
{
	c->ring = r;
	c->cons = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
	c->bell_woke = 0;
	__atomic_store_n(&r->asleep, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->cons, c->cons, __ATOMIC_RELEASE);
}

int
req_ring_put(struct req_ring_prod *p, const struct chan_hdr *hdr, const struct iovec *iov,
    int iovcnt, int *bell)
{
	struct req_ring	*r = p->ring;
	struct chan_hdr	 wrap;
	uint32_t	 cons, used, off, to_end, need, rec;
	uint8_t		*dst;
	int		 i;

	*bell = 0;
	if (hdr->len > REQ_RING_RECORD_MAX - sizeof(*hdr))
		return -1;
	rec = record_size(hdr->len);
	cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	used = p->prod - cons;
	if (used > REQ_RING_BYTES)
		return -1;	/* not an index the worker can have: the socket then */
	off = p->prod % REQ_RING_BYTES;
	to_end = REQ_RING_BYTES - off;
	need = rec <= to_end ? rec : to_end + rec;
	if (need > REQ_RING_BYTES - used)
		return -1;
	if (rec > to_end) {
		/* With less than a header's room left, the consumer skips it unasked. */
		if (to_end >= sizeof(wrap)) {
			memset(&wrap, 0, sizeof(wrap));
			wrap.type = REQ_RING_WRAP;
			memcpy(r->data + off, &wrap, sizeof(wrap));
		}
		p->prod += to_end;
		off = 0;
	}
	dst = r->data + off;
	memcpy(dst, hdr, sizeof(*hdr));
	dst += sizeof(*hdr);
	for (i = 0; i < iovcnt; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
	p->prod += rec;
	__atomic_store_n(&r->prod, p->prod, __ATOMIC_RELEASE);
	/* Our store before its flag, its flag before its look at prod: one of us sees it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*bell = __atomic_load_n(&r->asleep, __ATOMIC_RELAXED) != 0;
	if (*bell)
		__atomic_store_n(&r->bell_ns, now_ns(), __ATOMIC_RELAXED);
	return 0;
}

/* The consumer moves on; the producer may use what it left. */
static void
consumed(struct req_ring_cons *c, uint32_t n)
{
	c->cons += n;
	__atomic_store_n(&c->ring->cons, c->cons, __ATOMIC_RELEASE);
}

int
req_ring_take(struct req_ring_cons *c, uint8_t *buf, struct chan_hdr *hdr, const char **why)
{
	struct req_ring	*r = c->ring;
	uint32_t	 prod, avail, off, to_end, rec;

	/*
	 * At most two skips: one to offset 0, and a wrap header there only when the whole
	 * ring was put, which leaves nothing after it.
	 */
	for (;;) {
		prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
		avail = prod - c->cons;
		if (avail == 0)
			return 0;
		if (avail > REQ_RING_BYTES || avail % REQ_RING_ALIGN != 0) {
			*why = "a producer index that is not one";
			return -1;
		}
		off = c->cons % REQ_RING_BYTES;
		to_end = REQ_RING_BYTES - off;
		if (to_end >= sizeof(*hdr)) {
			if (avail < sizeof(*hdr)) {
				*why = "a record shorter than its header";
				return -1;
			}
			/* Our copy of the header is the one we check and pass on. */
			memcpy(hdr, r->data + off, sizeof(*hdr));
			if (hdr->type != REQ_RING_WRAP)
				break;
		}
		if (avail < to_end) {
			*why = "a wrap past what was put";
			return -1;
		}
		consumed(c, to_end);
	}
	if (hdr->len > REQ_RING_RECORD_MAX - sizeof(*hdr)) {
		*why = "a record longer than the ring takes";
		return -1;
	}
	rec = record_size(hdr->len);
	if (rec > to_end || rec > avail) {
		*why = "a record longer than what was put";
		return -1;
	}
	memcpy(buf, hdr, sizeof(*hdr));
	memcpy(buf + sizeof(*hdr), r->data + off + sizeof(*hdr), hdr->len);
	consumed(c, rec);
	return 1;
}

int
req_ring_pending(const struct req_ring_cons *c)
{
	return __atomic_load_n(&c->ring->prod, __ATOMIC_ACQUIRE) != c->cons;
}

int
req_ring_sleep_begin(struct req_ring_cons *c)
{
	/* A stamp from before this sleep (one whose doorbell found us awake) is none of it. */
	__atomic_store_n(&c->ring->bell_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ring->asleep, 1, __ATOMIC_RELAXED);
	/* Our flag before our look at prod, its store before its look at the flag. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!req_ring_pending(c))
		return 0;
	__atomic_store_n(&c->ring->asleep, 0, __ATOMIC_RELAXED);
	return 1;
}

void
req_ring_sleep_end(struct req_ring_cons *c)
{
	uint64_t stamp, now;

	__atomic_store_n(&c->ring->asleep, 0, __ATOMIC_RELAXED);
	if ((stamp = __atomic_exchange_n(&c->ring->bell_ns, 0, __ATOMIC_RELAXED)) == 0)
		return;
	now = now_ns();
	c->bell_woke = 1;
	c->bell_delay_ns = now > stamp ? now - stamp : 0;
}

int
req_ring_bell_delay(struct req_ring_cons *c, uint64_t *delay_ns)
{
	if (!c->bell_woke)
		return 0;
	c->bell_woke = 0;
	*delay_ns = c->bell_delay_ns;
	return 1;
}
