/*
 * libFuzzer target: the request ring's consumer (common/req_ring.c), the worker's side of
 * a ring a lying frontend writes, interleaved with a producer that plays by the rules.
 *
 * Input layout: a list of steps, each a command byte and its operands (little-endian):
 *   'p' u16 len   the honest producer puts a record of len % 4200 payload bytes
 *   't'           the consumer takes one
 *   'w' u16 off, u8 n, n bytes   raw bytes into the ring's data at off
 *   'i' u32 prod  the ring's producer index set to prod
 *   'c' u32 cons  a new consumer attached with the ring's indices both at cons
 * Anything else ends the input. After every take: a record taken has a length within what
 * the ring carries and its header copied to the buffer unchanged; a refusal names its
 * reason and the ring is not read again until a new consumer comes.
 */
#include "config.h"

#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "req_ring.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct req_ring	ring;

static uint32_t
le(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static void
take(struct req_ring_cons *c, uint8_t *buf, int *dead)
{
	struct chan_hdr	 hdr;
	const char	*why = NULL;
	int		 got;

	if (*dead)
		return;
	got = req_ring_take(c, buf, &hdr, &why);
	if (got == -1 && why == NULL)
		abort();
	if (got == 1 && (hdr.len > REQ_RING_RECORD_MAX - sizeof(hdr) ||
	    memcmp(buf, &hdr, sizeof(hdr)) != 0 || hdr.type == REQ_RING_WRAP))
		abort();
	*dead = got == -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 payload[4200];
	struct req_ring_prod	 p;
	struct req_ring_cons	 c;
	struct chan_hdr		 hdr;
	struct iovec		 iov;
	uint8_t			*buf;
	size_t			 i = 0, n;
	uint32_t		 v;
	int			 bell, dead = 0;

	if ((buf = malloc(CHAN_PACKET_BUF)) == NULL)
		abort();
	memset(&ring, 0, sizeof(ring));
	req_ring_prod_init(&p, &ring);
	req_ring_cons_init(&c, &ring);
	while (i < size) {
		switch (data[i++]) {
		case 'p':
			if (size - i < 2)
				goto out;
			memset(&hdr, 0, sizeof(hdr));
			hdr.type = 100;
			hdr.len = le(data + i, 2) % sizeof(payload);
			i += 2;
			iov.iov_base = payload;
			iov.iov_len = hdr.len;
			(void)req_ring_put(&p, &hdr, &iov, 1, &bell);
			break;
		case 't':
			take(&c, buf, &dead);
			break;
		case 'w':
			if (size - i < 3)
				goto out;
			v = le(data + i, 2) % REQ_RING_BYTES;
			n = data[i + 2];
			i += 3;
			if (n > size - i)
				n = size - i;
			if (n > REQ_RING_BYTES - v)
				n = REQ_RING_BYTES - v;
			memcpy(ring.data + v, data + i, n);
			i += n;
			break;
		case 'i':
			if (size - i < 4)
				goto out;
			ring.prod = le(data + i, 4);
			i += 4;
			break;
		case 'c':
			if (size - i < 4)
				goto out;
			ring.prod = ring.cons = le(data + i, 4);
			req_ring_prod_init(&p, &ring);
			req_ring_cons_init(&c, &ring);
			dead = 0;
			i += 4;
			break;
		default:
			goto out;
		}
	}
out:
	/* Whatever is left, taken to the end or to a refusal. */
	for (n = 0; n < REQ_RING_BYTES && !dead && req_ring_pending(&c); n++)
		take(&c, buf, &dead);
	free(buf);
	return 0;
}
