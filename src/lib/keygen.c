// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>

#include "keygen.h"
#include "secmem.h"

static const unsigned char keygen_personalization[] = "bekboot key generator";

int keygen_random(unsigned char *buf, size_t len)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int r;

	/* The default entropy sources of mbedTLS read getrandom(2) on Linux. */
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, keygen_personalization,
				  sizeof(keygen_personalization) - 1);
	if (r == 0)
		r = mbedtls_ctr_drbg_random(&drbg, buf, len);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);

	return r == 0 ? 0 : -EIO;
}

int keygen_ade_key(unsigned char **ret, size_t *ret_len)
{
	unsigned char *random = NULL, *key = NULL;
	size_t len = 0;
	int r;

	random = secmem_alloc(KEYGEN_RANDOM_BYTES);
	key = secmem_alloc(KEYGEN_KEY_LEN + 1);
	if (!random || !key) {
		r = -errno;
		goto out;
	}

	r = keygen_random(random, KEYGEN_RANDOM_BYTES);
	if (r < 0)
		goto out;

	if (mbedtls_base64_encode(key, KEYGEN_KEY_LEN + 1, &len, random, KEYGEN_RANDOM_BYTES) ||
	    len != KEYGEN_KEY_LEN) {
		r = -EIO;
		goto out;
	}

	*ret = key;
	*ret_len = len;
	key = NULL;
out:
	secmem_free(random);
	secmem_free(key);
	return r;
}
