/*
 * The worker's keyed hashes (worker/keyhash.c): SipHash-2-4 of the identity words under
 * each of the two keys, checked against a plain implementation written from the SipHash
 * paper; and the same answers from threads hashing at the same time, each on its own
 * context (a context shared by mistake would give wrong answers here, or fail under TSan
 * or ASan).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "worker.h"
#include "check.h"

#define THREADS	4
#define IDS	2000

static const uint8_t	keys[2][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
	  0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f },
};

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4, 64-bit output, of whole little-endian words (all the worker hashes). */
static uint64_t
siphash_words(const uint8_t key[16], const uint64_t *w, size_t n)
{
	uint64_t	k0, k1, v[4], last;
	size_t		i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < n; i++) {
		v[3] ^= w[i];
		sipround(v);
		sipround(v);
		v[0] ^= w[i];
	}
	last = (uint64_t)(n * 8) << 56;
	v[3] ^= last;
	sipround(v);
	sipround(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t	want_id[IDS], want_ino[IDS];

static void *
hash_all(void *arg)
{
	uintptr_t	bad = 0;
	uint32_t	i;

	(void)arg;
	for (i = 0; i < IDS; i++) {
		if (keyhash_identity(i, i * 7919ULL, 5) != want_id[i] ||
		    keyhash_ino(i, i * 7919ULL) != want_ino[i])
			bad++;
	}
	return (void *)bad;
}

int
main(void)
{
	pthread_t	tid[THREADS];
	uint64_t	w[3];
	void		*bad;
	uint32_t	i, n;

	keyhash_test_key = keys;
	keyhash_init();
	for (i = 0; i < IDS; i++) {
		w[0] = i;
		w[1] = i * 7919ULL;
		w[2] = 5;
		want_id[i] = siphash_words(keys[0], w, 3);
		want_ino[i] = siphash_words(keys[1], w, 2);
	}
	CHECK(keyhash_identity(1, 7919, 5) == want_id[1]);
	CHECK(keyhash_ino(1, 7919) == want_ino[1]);
	CHECK(keyhash_ino(1, 7919) != siphash_words(keys[0], w, 2));	/* the keys are apart */
	CHECK(hash_all(NULL) == NULL);
	for (n = 0; n < THREADS; n++)
		CHECK(pthread_create(&tid[n], NULL, hash_all, NULL) == 0);
	for (n = 0; n < THREADS; n++) {
		CHECK(pthread_join(tid[n], &bad) == 0);
		CHECK(bad == NULL);
	}
	return check_done("test_keyhash");
}
