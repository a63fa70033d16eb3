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

static EVP_MAC_CTX	*mac_ctx;
static pthread_mutex_t	 mac_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t		 key_table[KEYHASH_KEYLEN];
static uint8_t		 key_ino[KEYHASH_KEYLEN];

static void
random_key(uint8_t *key)
{
	if (getrandom(key, KEYHASH_KEYLEN, 0) != KEYHASH_KEYLEN)
		fatal("getrandom");
}

static uint64_t
keyhash(const uint8_t *key, const uint64_t *words, size_t nwords)
{
	OSSL_PARAM	params[2];
	size_t		outsize = 8, outlen = 0;
	uint8_t		out[8];
	uint64_t	h;

	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outsize);
	params[1] = OSSL_PARAM_construct_end();
	pthread_mutex_lock(&mac_lock);
	if (EVP_MAC_init(mac_ctx, key, KEYHASH_KEYLEN, params) != 1 ||
	    EVP_MAC_update(mac_ctx, (const uint8_t *)words, nwords * sizeof(*words)) != 1 ||
	    EVP_MAC_final(mac_ctx, out, &outlen, sizeof(out)) != 1 || outlen != sizeof(out))
		fatalx("keyed hash failed");
	pthread_mutex_unlock(&mac_lock);
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
	EVP_MAC *mac;

	random_key(key_table);
	random_key(key_ino);
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		fatalx("OPENSSL_init_crypto");
	if ((mac = EVP_MAC_fetch(NULL, "SIPHASH", "provider=default")) == NULL)
		fatalx("libcrypto has no SipHash");
	if ((mac_ctx = EVP_MAC_CTX_new(mac)) == NULL)
		fatalx("EVP_MAC_CTX_new");
	EVP_MAC_free(mac);
	(void)keyhash_identity(0, 0, 0);	/* loads everything now */
}

uint64_t
keyhash_identity(uint64_t dev, uint64_t ino, uint64_t mnt_id)
{
	uint64_t words[3] = { dev, ino, mnt_id };

	return keyhash(key_table, words, 3);
}

uint64_t
keyhash_ino(uint64_t dev, uint64_t ino)
{
	uint64_t words[2] = { dev, ino };

	return keyhash(key_ino, words, 2);
}
