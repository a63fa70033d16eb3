/*
 * Keyed hashes of host identities (SipHash-2-4 through libcrypto's EVP_MAC, with a random
 * key per run): the node table is keyed with them so a guest that can create files cannot
 * aim at one hash chain, and with --hashed-inodes the guest sees them instead of host inode
 * numbers. Two keys keep the two uses apart.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "worker.h"

#define KEYHASH_KEYLEN	16

/*
 * One keyed context per key, set up once; each thread hashes with its own copies of them
 * (a request thread never waits for another's hash). SipHash's context restarts from its
 * keyed state when initialised without a key, so a hash costs no key schedule either.
 */
enum { KEY_TABLE, KEY_INO, KEY_COUNT };

static EVP_MAC_CTX		*keyed[KEY_COUNT];
static __thread EVP_MAC_CTX	*mine[KEY_COUNT];
static pthread_key_t		 mine_key;	/* frees a thread's copies when it ends */
#ifdef PRIVFSD_TEST_HOOKS
const uint8_t			(*keyhash_test_key)[KEYHASH_KEYLEN];
#endif

static void
keyed_init(int which)
{
	OSSL_PARAM	params[2];
	EVP_MAC		*mac;
	size_t		outsize = 8;
	uint8_t		key[KEYHASH_KEYLEN];

	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		fatal("getrandom");
#ifdef PRIVFSD_TEST_HOOKS
	if (keyhash_test_key != NULL)
		memcpy(key, keyhash_test_key[which], sizeof(key));
#endif
	if ((mac = EVP_MAC_fetch(NULL, "SIPHASH", "provider=default")) == NULL)
		fatalx("libcrypto has no SipHash");
	if ((keyed[which] = EVP_MAC_CTX_new(mac)) == NULL)
		fatalx("EVP_MAC_CTX_new");
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outsize);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(keyed[which], key, sizeof(key), params) != 1)
		fatalx("keyed hash set-up failed");
	explicit_bzero(key, sizeof(key));
}

/* A thread's copies (some threads end: the restart store's rebuild threads). */
static void
mine_free(void *arg)
{
	EVP_MAC_CTX **ctx = arg;
	int i;

	for (i = 0; i < KEY_COUNT; i++) {
		EVP_MAC_CTX_free(ctx[i]);
		ctx[i] = NULL;
	}
}

static EVP_MAC_CTX *
mine_get(int which)
{
	int i;

	if (mine[which] != NULL)
		return mine[which];
	for (i = 0; i < KEY_COUNT; i++)
		if ((mine[i] = EVP_MAC_CTX_dup(keyed[i])) == NULL)
			fatalx("EVP_MAC_CTX_dup");
	if (pthread_setspecific(mine_key, mine) != 0)
		fatalx("pthread_setspecific");
	return mine[which];
}

static uint64_t
keyhash(int which, const uint64_t *words, size_t nwords)
{
	EVP_MAC_CTX	*ctx = mine_get(which);
	size_t		outlen = 0;
	uint8_t		out[8];
	uint64_t	h;

	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(ctx, (const uint8_t *)words, nwords * sizeof(*words)) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, sizeof(out)) != 1 || outlen != sizeof(out))
		fatalx("keyed hash failed");
	memcpy(&h, out, sizeof(h));
	return h;
}

/*
 * Before the sandbox. The host's OpenSSL configuration is not read: it could load
 * providers or engines into this process, and parsing it costs the worker about half a
 * MiB of memory for nothing (SipHash is in the default provider).
 */
void
keyhash_init(void)
{
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		fatalx("OPENSSL_init_crypto");
	if (pthread_key_create(&mine_key, mine_free) != 0)
		fatalx("pthread_key_create");
	keyed_init(KEY_TABLE);
	keyed_init(KEY_INO);
	(void)keyhash_identity(0, 0, 0);	/* loads everything now */
}

uint64_t
keyhash_identity(uint64_t dev, uint64_t ino, uint64_t mnt_id)
{
	uint64_t words[3] = { dev, ino, mnt_id };

	return keyhash(KEY_TABLE, words, 3);
}

uint64_t
keyhash_ino(uint64_t dev, uint64_t ino)
{
	uint64_t words[2] = { dev, ino };

	return keyhash(KEY_INO, words, 2);
}
