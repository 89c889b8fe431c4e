// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Escrow of a key under an RSA key encryption key, with RSA-OAEP (SHA-1) or
 * RSA-OAEP-256, as a key vault wraps a disk secret. MBEDTLS_ERR_* codes stop
 * here and become negative errno values.
 */
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <string.h>
#include <unistd.h>

#include "base64url.h"
#include "fingerprint.h"
#include "keygen.h"
#include "log.h"
#include "secmem.h"
#include "util.h"
#include "wrap.h"

/* Large enough for the DER public key of a 16384-bit RSA key. */
#define PUBLIC_DER_MAX 2200

static int kek_random(void *context, unsigned char *buf, size_t len)
{
	return keygen_random(buf, len) < 0 ? MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED : 0;
}

/* The whole file, NUL-terminated as mbedTLS wants PEM, in locked memory. */
static int kek_file_read(const char *path, unsigned char **ret, size_t *ret_len)
{
	_cleanup_secmem_ unsigned char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	buf = secmem_alloc(KEK_FILE_MAX + 2);
	if (!buf)
		return -errno;

	r = read_fd_bounded(fd, buf, KEK_FILE_MAX + 1, &len);
	if (r < 0)
		return r;

	*ret = buf;
	*ret_len = len;
	buf = NULL;
	return 0;
}

static const char *kek_strerror(int r)
{
	switch (r) {
	case -EBADMSG:
		return "it is not a PEM or DER RSA key";
	case -EACCES:
		return "it is protected by a passphrase, which is not supported";
	case -EFBIG:
		return "it is larger than 64 KiB";
	case -ENOTSUP:
		return "it is not an RSA key";
	case -ERANGE:
		return "an RSA key encryption key needs at least 2048 bits";
	default:
		return strerror(-r);
	}
}

static int kek_parse_once(mbedtls_pk_context *pk, const unsigned char *buf, size_t len,
			  bool private)
{
	int r;

	mbedtls_pk_free(pk);
	mbedtls_pk_init(pk);
	r = private ? mbedtls_pk_parse_key(pk, buf, len, NULL, 0)
		    : mbedtls_pk_parse_public_key(pk, buf, len);
	if (r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || r == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
		return -EACCES;
	return r == 0 ? 0 : -EBADMSG;
}

static int kek_parse(mbedtls_pk_context *pk, const unsigned char *buf, size_t len, bool private)
{
	int r;

	/* PEM needs the terminating NUL counted; DER must not have it. */
	r = kek_parse_once(pk, buf, len + 1, private);
	if (r == -EBADMSG)
		r = kek_parse_once(pk, buf, len, private);
	if (r < 0)
		return r;

	if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA)
		return -ENOTSUP;
	if (mbedtls_pk_get_bitlen(pk) < KEK_BITS_MIN)
		return -ERANGE;
	return 0;
}

/* A public key, or the public half of a private key. Logs on failure. */
static int kek_load(mbedtls_pk_context *pk, const char *path, bool private)
{
	_cleanup_secmem_ unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	r = kek_file_read(path, &buf, &len);
	if (r == 0)
		r = kek_parse(pk, buf, len, private);
	/* A private key file holds the public key too. */
	if (r == -EBADMSG && !private)
		r = kek_parse(pk, buf, len, true);
	if (r < 0)
		log_error("Failed to load %s key encryption key %s: %s.",
			  private ? "private" : "public", path, kek_strerror(r));
	return r;
}

static int kek_id(mbedtls_pk_context *pk, char ret[WRAPPED_KID_LEN + 1])
{
	unsigned char der[PUBLIC_DER_MAX];
	int n;

	/* mbedTLS writes DER backwards, at the end of the buffer. */
	n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));
	if (n <= 0)
		return -EINVAL;

	return sha256_hex(der + sizeof(der) - n, (size_t)n, ret);
}

int kek_id_from_file(const char *kek_path, char ret[WRAPPED_KID_LEN + 1])
{
	mbedtls_pk_context pk;
	int r;

	mbedtls_pk_init(&pk);
	r = kek_load(&pk, kek_path, false);
	if (r == 0)
		r = kek_id(&pk, ret);
	mbedtls_pk_free(&pk);
	return r;
}

static size_t oaep_hash_len(enum wrapped_alg alg)
{
	return alg == WRAPPED_ALG_RSA_OAEP ? 20 : 32;
}

static mbedtls_rsa_context *kek_rsa(mbedtls_pk_context *pk, enum wrapped_alg alg)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);

	mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21,
				alg == WRAPPED_ALG_RSA_OAEP ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256);
	return rsa;
}

static int wrap_check_len(mbedtls_rsa_context *rsa, enum wrapped_alg alg, size_t len)
{
	size_t modulus = mbedtls_rsa_get_len(rsa);
	size_t max = modulus - 2 * oaep_hash_len(alg) - 2;

	if (len == 0 || len > max) {
		log_error(
			"Cannot wrap a key of %zu bytes with a %zu-bit key encryption key and %s: it takes 1 to %zu bytes.",
			len, modulus * 8, wrapped_alg_name(alg), max);
		return -EMSGSIZE;
	}

	return 0;
}

static int wrap_encrypt(mbedtls_pk_context *pk, enum wrapped_alg alg, const unsigned char *key,
			size_t len, struct wrapped_key *ret)
{
	mbedtls_rsa_context *rsa = kek_rsa(pk, alg);
	_cleanup_free_ unsigned char *cipher = NULL;
	int r;

	r = wrap_check_len(rsa, alg, len);
	if (r < 0)
		return r;

	cipher = malloc(mbedtls_rsa_get_len(rsa));
	if (!cipher)
		return -ENOMEM;

	r = mbedtls_rsa_rsaes_oaep_encrypt(rsa, kek_random, NULL, MBEDTLS_RSA_PUBLIC, NULL, 0, len,
					   key, cipher);
	if (r != 0) {
		log_error("Failed to wrap the key with RSA: mbedTLS error -0x%04x.", (unsigned)-r);
		return -EIO;
	}

	ret->alg = alg;
	return base64url_encode(cipher, mbedtls_rsa_get_len(rsa), ret->value, sizeof(ret->value));
}

int keyvol_wrap(const char *kek_path, enum wrapped_alg alg, const unsigned char *key, size_t len,
		char **ret_document)
{
	struct wrapped_key wrapped = { 0 };
	mbedtls_pk_context pk;
	int r;

	mbedtls_pk_init(&pk);
	r = kek_load(&pk, kek_path, false);
	if (r == 0 && (r = kek_id(&pk, wrapped.kid)) < 0)
		log_error("Failed to compute the id of key encryption key %s: %s", kek_path,
			  strerror(-r));
	if (r == 0)
		r = wrap_encrypt(&pk, alg, key, len, &wrapped);
	if (r == 0 && (r = wrapped_format(&wrapped, ret_document)) < 0)
		log_error("Failed to write the wrapped key document: %s", strerror(-r));
	mbedtls_pk_free(&pk);
	return r;
}

static int unwrap_check_kek(mbedtls_pk_context *pk, const struct wrapped_key *wrapped,
			    const char *kek_path, const char *source)
{
	char kid[WRAPPED_KID_LEN + 1];
	int r;

	r = kek_id(pk, kid);
	if (r < 0) {
		log_error("Failed to compute the id of key encryption key %s: %s", kek_path,
			  strerror(-r));
		return r;
	}
	if (!streq(kid, wrapped->kid)) {
		log_error(
			"The key in %s was wrapped for key encryption key %.16s, not for %s (%.16s).",
			source, wrapped->kid, kek_path, kid);
		return -EKEYREJECTED;
	}

	return 0;
}

static int unwrap_decrypt(mbedtls_pk_context *pk, const struct wrapped_key *wrapped,
			  const char *source, unsigned char **ret_key, size_t *ret_len)
{
	mbedtls_rsa_context *rsa = kek_rsa(pk, wrapped->alg);
	size_t modulus = mbedtls_rsa_get_len(rsa), cipher_len = 0, len = 0;
	_cleanup_secmem_ unsigned char *key = NULL;
	_cleanup_free_ unsigned char *cipher = NULL;
	int r;

	cipher = malloc(modulus);
	key = secmem_alloc(modulus);
	if (!cipher || !key) {
		log_error("Failed to allocate locked memory for the unwrapped key: %m");
		return -ENOMEM;
	}

	r = base64url_decode(wrapped->value, strlen(wrapped->value), cipher, modulus, &cipher_len);
	if (r < 0 || cipher_len != modulus) {
		log_error(
			"The wrapped key document %s is damaged: its value is not a %zu-byte RSA ciphertext in base64url.",
			source, modulus);
		return -EINVAL;
	}

	r = mbedtls_rsa_rsaes_oaep_decrypt(rsa, kek_random, NULL, MBEDTLS_RSA_PRIVATE, NULL, 0,
					   &len, cipher, key, modulus);
	if (r != 0 || len == 0) {
		log_error(
			"Failed to unwrap the key in %s: the document is damaged, or was not wrapped with %s by this key encryption key.",
			source, wrapped_alg_name(wrapped->alg));
		return -EKEYREJECTED;
	}

	*ret_key = key;
	*ret_len = len;
	key = NULL;
	return 0;
}

int keyvol_unwrap(const char *kek_path, const char *document, size_t len, const char *source,
		  unsigned char **ret_key, size_t *ret_len)
{
	struct wrapped_key wrapped;
	mbedtls_pk_context pk;
	char err[160];
	int r;

	r = wrapped_parse(document, len, &wrapped, err, sizeof(err));
	if (r < 0) {
		log_error("The wrapped key document %s is damaged: %s.", source, err);
		return r;
	}

	mbedtls_pk_init(&pk);
	r = kek_load(&pk, kek_path, true);
	if (r == 0)
		r = unwrap_check_kek(&pk, &wrapped, kek_path, source);
	if (r == 0)
		r = unwrap_decrypt(&pk, &wrapped, source, ret_key, ret_len);
	mbedtls_pk_free(&pk);
	return r;
}
