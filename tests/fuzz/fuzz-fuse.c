/*
 * libFuzzer target: the frontend's FUSE layer alone (the files of FUSE_UNIT_SOURCES), fed
 * a whole guest session per input. Below the layer stub chains stand in for the rings,
 * above it the worker is a queue of the typed messages the layer sent, answered with
 * fuzzed worker replies (the reply decoding of fuse_reply.c).
 *
 * Input layout (little-endian):
 *   byte 0	configuration: bits 0-1 cache mode, then SECURITY_LABEL, XATTR, POSIX_ACL,
 *		WRITEBACK, KILLPRIV_V2, NO_READDIRPLUS
 *   byte 1	INIT minor
 *   bytes 2-9	INIT flags | flags2 << 32
 * then records until the input ends, each:
 *   u8 ctl	0x01 hiprio queue, 0x02 keep the fuzzed in.len (else it is set to the
 *		request's length), 0x04 writable length * 16, 0x08 answer the worker after
 *		this request, 0x10 device reset (fuse_session_reset) before it
 *   u16 rdlen, u16 wrlen, u8 nseg (low nibble readable, high writable segments - 1)
 *   rdlen bytes: fuse_in_header and arguments
 * and when ctl has 0x08, for each message the worker has not answered yet:
 *   u8 rt	low nibble % 10: reply type; 0x10 forge the id; 0x20 answer it again later;
 *		0xff leaves it unanswered
 *   u8 error (signed), then for the variable-size replies a u16 length, then the payload
 *   (the fixed sizes frontend.c's dispatch table checks; zeros once the input ends).
 * At the end every message left is answered with a status, and every chain must have been
 * completed exactly once, within its writable length, with nothing left in flight.
 */
#include "config.h"

#include <sys/uio.h>
#include <linux/fuse.h>
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "chan.h"
#include "log.h"
#include "virtq.h"
#include "fuse.h"
#include "fuse_priv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#include "unit/vq_stub.h"

static struct vq	hiprio = { 0, 128 }, reqq = { 1, 128 };

/* The chains of one input, freed at its end. */
#define MAXREQ	256
static struct req_slot {
	struct vq_req	*req;
	int		 done;
} reqs[MAXREQ];
static int	nreqs;

/* Messages sent to the worker and not answered yet (their ids). */
#define MAXPEND	1024
static uint64_t	pend[MAXPEND];
static int	npend;

/* The input being read. */
static const uint8_t	*in_p;
static size_t		 in_left;

static int
take(void *dst, size_t len)
{
	size_t n = len < in_left ? len : in_left;

	memset(dst, 0, len);
	memcpy(dst, in_p, n);
	in_p += n;
	in_left -= n;
	return n == len ? 0 : -1;
}

static uint8_t
take8(void)
{
	uint8_t v;

	take(&v, 1);
	return v;
}

static uint16_t
take16(void)
{
	uint8_t b[2];

	take(b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

void
vq_complete(struct vq_req *req, uint32_t written)
{
	int i;

	for (i = 0; i < nreqs; i++)
		if (reqs[i].req == req)
			break;
	if (i == nreqs) {
		fprintf(stderr, "vq_complete: unknown chain\n");
		abort();
	}
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: chain %d completed, %u bytes", i, written);
	if (reqs[i].done++) {
		fprintf(stderr, "vq_complete: chain %d completed twice\n", i);
		abort();
	}
	if (written > req->wr_len) {
		fprintf(stderr, "vq_complete: %u bytes written, %u writable\n", written,
		    req->wr_len);
		abort();
	}
}

void
vq_throttle(unsigned int reason, int on)
{
}

/* The chain fuse_request() is working on, for the checks of what it sends. */
static struct vq_req	*cur_req;

/*
 * Where (slot 0, offset) lies in the readable (rd) or writable part of r, counted from
 * the part's start; -1 when no segment of that part holds [offset, offset + len).
 */
static int64_t
stream_pos(const struct vq_req *r, int rd, uint64_t offset, uint32_t len)
{
	uint32_t i, first = rd ? 0 : r->nrd, end = rd ? r->nrd : r->nrd + r->nwr;
	int64_t pos = 0;

	for (i = first; i < end; i++) {
		const struct vq_seg *g = &r->seg[i];

		if (offset >= g->offset && offset - g->offset <= g->len &&
		    len <= g->len - (offset - g->offset))
			return pos + (int64_t)(offset - g->offset);
		pos += g->len;
	}
	return -1;
}

/*
 * READ and WRITE hand the worker guest memory to do I/O on: the pieces must be the
 * data area of this very chain (after the out header, or after the write header), in
 * order, adding up to the size asked.
 */
static void
check_io(uint32_t type, const uint8_t *msg, size_t len)
{
	struct msg_io io;
	struct msg_iov v;
	size_t off = sizeof(struct msg_req) + sizeof(io);
	int rd = type == IMSG_FRONTEND_WRITE;
	int64_t want, pos;
	uint64_t sum = 0;
	uint32_t i;

	if (cur_req == NULL || len < off)
		abort();
	memcpy(&io, msg + sizeof(struct msg_req), sizeof(io));
	if (len != off + (size_t)io.niov * sizeof(v)) {
		fprintf(stderr, "check_io: %u iovs in %zu bytes\n", io.niov, len);
		abort();
	}
	want = rd ? (int64_t)(sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in)) :
	    (int64_t)sizeof(struct fuse_out_header);
	for (i = 0; i < io.niov; i++) {
		memcpy(&v, msg + off + i * sizeof(v), sizeof(v));
		pos = stream_pos(cur_req, rd, v.offset, v.len);
		if (v.slot != 0 || v.len == 0 || pos != want) {
			fprintf(stderr, "check_io: %s iov %u (%u bytes at %llu) lies at %lld, "
			    "want %lld\n", rd ? "WRITE" : "READ", i, v.len,
			    (unsigned long long)v.offset, (long long)pos, (long long)want);
			abort();
		}
		want += v.len;
		sum += v.len;
	}
	if (sum != io.size) {
		fprintf(stderr, "check_io: iovs hold %llu bytes, size %u\n",
		    (unsigned long long)sum, io.size);
		abort();
	}
}

static void
send_worker(uint32_t type, uint32_t trailer, const struct iovec *iov, int iovcnt)
{
	static uint8_t flat[sizeof(struct msg_req) + sizeof(struct msg_io) +
	    MSG_MAX_IOV * sizeof(struct msg_iov)];
	struct msg_req h;
	size_t len = 0;
	int i;

	if (trailer != 0)	/* no page here: nothing the worker could complete */
		abort();
	if (type == IMSG_FRONTEND_READ || type == IMSG_FRONTEND_WRITE) {
		for (i = 0; i < iovcnt; i++) {
			if (iov[i].iov_len > sizeof(flat) - len)
				abort();
			memcpy(flat + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
		}
		check_io(type, flat, len);
	}

	/* Every message starts with msg_req; the id is what a reply must echo. */
	if (iovcnt < 1 || iov[0].iov_len < sizeof(h)) {
		fprintf(stderr, "send_worker: type %u without a msg_req\n", type);
		abort();
	}
	memcpy(&h, iov[0].iov_base, sizeof(h));
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: worker gets type %u id %#llx", type,
		    (unsigned long long)h.id);
	if (npend < MAXPEND)
		pend[npend++] = h.id;
}

static void
drained(void)
{
}

static const struct fuse_sinks sinks = { send_worker, drained };

/*
 * Guest memory of one input: segments are cut from an arena, each followed by a poisoned
 * gap so that ASan sees a write past a segment's end (malloc per segment is as exact but
 * mmaps every large one: ten times slower).
 */
#define ARENA	(8u << 20)
#define GAP	64
static uint8_t	*arena;
static size_t	 arena_used;

static uint8_t *
arena_get(uint32_t len)
{
	uint8_t *p;
	size_t need = ((size_t)len + GAP + 63) & ~(size_t)63;

	if (arena_used + need > ARENA)
		return NULL;
	p = arena + arena_used;
	arena_used += need;
	ASAN_UNPOISON_MEMORY_REGION(p, len);
	ASAN_POISON_MEMORY_REGION(p + len, need - len);
	return p;
}

static void
arena_reset(void)
{
	/* Only what was handed out: poisoning all 8 MiB each time would halve the speed. */
	if (arena != NULL)
		ASAN_POISON_MEMORY_REGION(arena, arena_used);
	arena_used = 0;
}

/* Split len bytes over n segments into seg[]; -1 when guest memory is full. */
static int
segs(struct vq_seg *seg, uint32_t n, uint32_t len)
{
	uint32_t i, piece, off = 0;

	for (i = 0; i < n; i++) {
		piece = i + 1 == n ? len - off : len / n;
		if ((seg[i].host = arena_get(piece)) == NULL)
			return -1;
		seg[i].offset = (uint64_t)(seg[i].host - arena);
		seg[i].slot = 0;
		seg[i].len = piece;
		off += piece;
	}
	return 0;
}

/* Fill the readable segments of r from body. */
static void
fill_rd(struct vq_req *r, const uint8_t *body, uint32_t len)
{
	uint32_t i, n, off = 0;

	for (i = 0; i < r->nrd && off < len; i++) {
		n = r->seg[i].len < len - off ? r->seg[i].len : len - off;
		memcpy(r->seg[i].host, body + off, n);
		off += n;
	}
}

static void
request(const uint8_t *body, uint32_t rdlen, uint32_t wrlen, uint8_t ctl, uint8_t nseg)
{
	struct req_slot *s;
	struct vq_req *r;
	struct fuse_in_header ih;
	uint32_t nrd = (nseg & 0xf) + 1, nwr = (nseg >> 4) + 1;

	if (nreqs == MAXREQ)
		return;
	if (nrd > rdlen)
		nrd = rdlen ? rdlen : 1;
	if (nwr > wrlen)
		nwr = wrlen ? wrlen : 1;
	if (wrlen == 0)
		nwr = 0;
	s = &reqs[nreqs++];
	memset(s, 0, sizeof(*s));
	if ((r = calloc(1, sizeof(*r) + (nrd + nwr) * sizeof(struct vq_seg))) == NULL)
		abort();
	s->req = r;
	r->vq = ctl & 0x01 ? &hiprio : &reqq;
	r->head = (uint32_t)(nreqs - 1);
	r->nrd = nrd;
	r->nwr = nwr;
	r->rd_len = rdlen;
	r->wr_len = wrlen;
	if (segs(r->seg, nrd, rdlen) == -1 || segs(r->seg + nrd, nwr, wrlen) == -1) {
		/* Out of guest memory: the input ends here. */
		free(r);
		nreqs--;
		in_left = 0;
		return;
	}
	/* Copy the body over the readable segments, then fix in.len unless told not to. */
	if (rdlen >= sizeof(ih) && !(ctl & 0x02)) {
		uint8_t tmp[65536];

		memcpy(tmp, body, rdlen);
		memcpy(&ih, tmp, sizeof(ih));
		ih.len = rdlen;
		memcpy(tmp, &ih, sizeof(ih));
		fill_rd(r, tmp, rdlen);
	} else
		fill_rd(r, body, rdlen);
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: chain %d: %u + %u bytes, queue %u", nreqs - 1, rdlen, wrlen,
		    vq_index(r->vq));
	cur_req = r;
	fuse_request(r);
	cur_req = NULL;
}

/* The payload size frontend.c's dispatch table lets through for a reply type. */
static size_t
reply_size(uint32_t type, int *variable)
{
	*variable = 0;
	switch (type) {
	case IMSG_WORKER_REPLY_ENTRY:
		return sizeof(struct msg_entry);
	case IMSG_WORKER_REPLY_ATTR:
		return sizeof(struct msg_attr);
	case IMSG_WORKER_REPLY_OPEN:
		return sizeof(struct msg_opened);
	case IMSG_WORKER_REPLY_CREATE:
		return sizeof(struct msg_entry) + sizeof(struct msg_opened);
	case IMSG_WORKER_REPLY_COUNT:
		return sizeof(struct msg_count);
	case IMSG_WORKER_REPLY_DATA:
		*variable = 1;
		return 0;
	case IMSG_WORKER_REPLY_STATFS:
		return sizeof(struct msg_statfs);
	case IMSG_WORKER_REPLY_DIRENTS:
		*variable = 1;
		return sizeof(struct msg_dirents);
	case IMSG_WORKER_REPLY_LOCK:
		return sizeof(struct msg_lock_reply);
	default:
		return 0;
	}
}

static void
reply(uint32_t type, uint64_t id, int error, size_t len)
{
	struct chan_msg m;
	struct msg_rep rep;
	uint8_t *buf;

	/* Allocated to the byte: ASan sees a decoder that reads past the reply. */
	if ((buf = malloc(sizeof(rep) + len)) == NULL)
		abort();
	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	rep.error = error;
	memcpy(buf, &rep, sizeof(rep));
	take(buf + sizeof(rep), len);
	if (log_getlevel() == LOG_LEVEL_DEBUG)
		log_debug("fuzz: reply type %u id %#llx error %d, %zu bytes", type,
		    (unsigned long long)id, error, len);
	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.len = (uint32_t)(sizeof(rep) + len);
	m.data = buf;
	m.fd = -1;
	fuse_worker_reply(&m);
	free(buf);
}

/* Answer what the worker holds, as the input says. */
static void
answer(void)
{
	uint64_t ids[MAXPEND], keep[MAXPEND];
	int i, n = npend, nkeep = 0, variable;
	uint8_t rt;
	int8_t err;
	size_t len;
	uint32_t type;

	memcpy(ids, pend, n * sizeof(ids[0]));
	npend = 0;
	for (i = 0; i < n; i++) {
		rt = take8();
		if (rt == 0xff) {
			keep[nkeep++] = ids[i];
			continue;
		}
		err = (int8_t)take8();
		type = IMSG_WORKER_REPLY_STATUS + (rt & 0xf) % 10;
		len = reply_size(type, &variable);
		if (variable)
			len += take16();
		reply(type, rt & 0x10 ? ids[i] ^ (1ULL << 32) : ids[i], err, len);
		/* A forged id answered nothing: the real answer is still owed. */
		if (rt & 0x30)
			keep[nkeep++] = ids[i];
	}
	/* New messages (a SESSION_INIT after SESSION_DESTROY) queue behind the kept ones. */
	for (i = 0; i < nkeep && npend < MAXPEND; i++)
		pend[npend++] = keep[i];
}

/* Whatever the input left unanswered gets a plain status, until nothing is left. */
static void
answer_all(void)
{
	int rounds;

	for (rounds = 0; npend > 0 && rounds < 16; rounds++) {
		uint64_t ids[MAXPEND];
		int i, n = npend;

		memcpy(ids, pend, n * sizeof(ids[0]));
		npend = 0;
		for (i = 0; i < n; i++) {
			struct chan_msg m;
			struct msg_rep rep;

			memset(&rep, 0, sizeof(rep));
			rep.id = ids[i];
			memset(&m, 0, sizeof(m));
			m.hdr.type = IMSG_WORKER_REPLY_STATUS;
			m.hdr.len = sizeof(rep);
			m.data = (const uint8_t *)&rep;
			m.fd = -1;
			fuse_worker_reply(&m);
		}
	}
}

static void
session_start(void)
{
	static const uint32_t cfgbits[] = { CONFIG_SECURITY_LABEL, CONFIG_XATTR,
	    CONFIG_POSIX_ACL, CONFIG_WRITEBACK, CONFIG_KILLPRIV_V2, CONFIG_NO_READDIRPLUS };
	struct msg_config cfg;
	struct fuse_init_in ii;
	uint8_t buf[sizeof(struct fuse_in_header) + sizeof(ii)];
	struct fuse_in_header ih;
	uint64_t flags;
	uint8_t c;
	size_t i;

	c = take8();
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache = c & 3;
	for (i = 0; i < sizeof(cfgbits) / sizeof(cfgbits[0]); i++)
		if (c & (4 << i))
			cfg.flags |= cfgbits[i];
	fuse_layer_init(&cfg, &sinks);
	memset(&ii, 0, sizeof(ii));
	ii.major = FUSE_KERNEL_VERSION;
	ii.minor = take8();
	take(&flags, sizeof(flags));
	ii.flags = (uint32_t)flags;
	ii.flags2 = (uint32_t)(flags >> 32);
	ii.max_readahead = 65536;
	memset(&ih, 0, sizeof(ih));
	ih.len = sizeof(buf);
	ih.opcode = FUSE_INIT;
	ih.unique = 1;
	memcpy(buf, &ih, sizeof(ih));
	memcpy(buf + sizeof(ih), &ii, sizeof(ii));
	request(buf, sizeof(buf), sizeof(struct fuse_out_header) +
	    sizeof(struct fuse_init_out), 0, 0);
	/* The worker accepts the session (SESSION_DESTROY, then SESSION_INIT). */
	answer_all();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	static uint8_t body[65536];
	uint32_t rdlen, wrlen;
	uint8_t ctl, nseg;
	int i;

	if (!once) {
		/* FUZZ_DEBUG=1: the layer's own debug lines, to follow a crashing input. */
		log_init(0, getenv("FUZZ_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
		if ((arena = malloc(ARENA)) == NULL)
			abort();
		ASAN_POISON_MEMORY_REGION(arena, ARENA);
		once = 1;
	}
	in_p = data;
	in_left = size;
	nreqs = 0;
	npend = 0;
	session_start();
	while (in_left > 0) {
		ctl = take8();
		rdlen = take16();
		wrlen = take16();
		nseg = take8();
		if (ctl & 0x04)
			wrlen *= 16;
		if (rdlen > in_left)
			rdlen = (uint32_t)in_left;
		take(body, rdlen);
		if (ctl & 0x10)
			fuse_session_reset();
		request(body, rdlen, wrlen, ctl, nseg);
		if (ctl & 0x08)
			answer();
	}
	answer_all();
	for (i = 0; i < nreqs; i++)
		if (reqs[i].done != 1) {
			fprintf(stderr, "chain %d of %d never completed\n", i, nreqs);
			abort();
		}
	if (fuse_inflight() != 0) {
		fprintf(stderr, "%u requests still in flight\n", fuse_inflight());
		abort();
	}
	for (i = 0; i < nreqs; i++)
		free(reqs[i].req);
	nreqs = 0;
	arena_reset();
	return 0;
}
