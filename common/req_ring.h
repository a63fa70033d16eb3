/*
 * The request ring: records from the frontend to the worker through memory they share (a
 * part of the used-ring page, common/used_ring.h), so that a request costs neither side a
 * system call while the worker is awake. The requests socket (fd 5) stays: for records too
 * large for the ring or that find it full, and for the doorbell that wakes a worker which
 * said it may sleep. Records on the socket and in the ring have no order among them, as
 * records on the socket alone never had (common/chan.h, chan_set_packet()).
 *
 * A record is a chan_hdr and its payload, as on the socket, starting on an 8-byte boundary
 * and never wrapping: where the next record does not fit before the end, the producer
 * writes a wrap header (or, with less than a header's room left, nothing) and starts again
 * at offset 0.
 *
 * Who trusts what: the worker trusts nothing in the ring. It keeps its own consumer index,
 * copies each header and payload out before it checks them, and treats a producer index
 * more than the ring ahead of it, or a record that is longer than what was published, as
 * a lying frontend (fatal, as a malformed socket record is). The frontend checks the
 * worker's consumer index only against its own producer index; a worker that lies makes
 * the ring look full and the records take the socket.
 */
#ifndef PRIVFSD_REQ_RING_H
#define PRIVFSD_REQ_RING_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"

/*
 * 16 small requests in flight take 2-7 KiB; 7 of the largest fit. Twice as much was slower
 * (2026-12-06, 16 scattered 1 MiB requests in flight, tests/bench BENCH_SCATTER=1, three
 * runs each: reads 9.8e3 against 1.08-1.19e4 MB/s, writes 6.6-7.4e3 against 1.11-1.21e4).
 */
#define REQ_RING_BYTES		(32 * 1024)
/*
 * Larger records take the socket. A READ or WRITE of a Linux guest's largest request
 * (256 pages, max_pages) whose pages lie apart, as a guest's page cache has them, is 256
 * struct msg_iov (4 KiB) after its headers, plus a completion trailer: it fits.
 */
#define REQ_RING_RECORD_MAX	(4096 + 512)
#define REQ_RING_ALIGN		8
#define REQ_RING_WRAP		0xffffffffu	/* chan_hdr.type of a wrap header */

struct req_ring {
	uint32_t	prod __attribute__((aligned(64)));	/* frontend: bytes put */
	uint32_t	cons __attribute__((aligned(64)));	/* worker: bytes taken */
	/*
	 * Worker: 1 from just before it may sleep on the socket until it is awake again.
	 * The frontend rings the doorbell (a record on the socket) when it puts a record
	 * and finds this set.
	 */
	uint32_t	asleep;
	/*
	 * Frontend: when it found asleep set (CLOCK_MONOTONIC ns), so that the worker can
	 * tell how late the doorbell woke it (common/crowd.h). The worker believes it for
	 * nothing but whether to wait awake for its next request.
	 */
	uint64_t	bell_ns;
	uint8_t		data[REQ_RING_BYTES] __attribute__((aligned(64)));
};

/* The producer's side: its own index. */
struct req_ring_prod {
	struct req_ring	*ring;
	uint32_t	 prod;
};

/* The consumer's side: its own index, the only one it believes. */
struct req_ring_cons {
	struct req_ring	*ring;
	uint32_t	 cons;
	int		 bell_woke;	/* a stamped doorbell came since the last look */
	uint64_t	 bell_delay_ns;	/* from its stamp to our wake-up */
};

/*
 * Attach to a ring. A new producer continues from the ring's producer index; a new
 * consumer skips whatever is in the ring (records a dead worker left are answered already,
 * frontend/worker_link.c) and says so in the ring's consumer index.
 */
void	req_ring_prod_init(struct req_ring_prod *, struct req_ring *);
void	req_ring_cons_init(struct req_ring_cons *, struct req_ring *);

/*
 * Put one record (hdr, then iov); 0 when it is in the ring, -1 when it is too large or the
 * ring has no room for it (the caller sends it on the socket). *bell is set to 1 when the
 * worker may be asleep: the caller must then ring the doorbell.
 */
int	req_ring_put(struct req_ring_prod *, const struct chan_hdr *hdr,
	    const struct iovec *iov, int iovcnt, int *bell);

/*
 * Take the next record into buf (CHAN_PACKET_BUF bytes): 1 with *hdr and the payload in
 * buf after the header, 0 when the ring is empty, -1 when the producer lied (*why says how;
 * the ring is not to be read again).
 */
int	req_ring_take(struct req_ring_cons *, uint8_t *buf, struct chan_hdr *hdr,
	    const char **why);
/* 1 when something was put that this consumer has not taken (a hint, read without a lock). */
int	req_ring_pending(const struct req_ring_cons *);
/*
 * Around a sleep on the socket: sleep_begin() returns 1 when records came meanwhile (then
 * do not sleep; the flag is cleared again), 0 when the producer will ring; sleep_end()
 * after the wake-up.
 */
int	req_ring_sleep_begin(struct req_ring_cons *);
void	req_ring_sleep_end(struct req_ring_cons *);
/*
 * 1 with *delay_ns when a sleep since the last call was rung for: the time from the
 * producer's stamp to the wake-up (0 for a stamp in the future). Then 0 until the next.
 */
int	req_ring_bell_delay(struct req_ring_cons *, uint64_t *delay_ns);

#endif
