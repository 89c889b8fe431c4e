// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "fingerprint.h"

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int sha256_hex(const void *data, size_t len, char ret[65])
{
	unsigned char digest[32];

	if (mbedtls_sha256_ret(data, len, digest, 0) != 0)
		return -EIO;

	hex_encode(digest, sizeof(digest), ret);
	mbedtls_platform_zeroize(digest, sizeof(digest));
	return 0;
}

int fingerprint_compute(const void *data, size_t len, char ret[FINGERPRINT_LEN + 1])
{
	unsigned char digest[32];

	if (mbedtls_sha256_ret(data, len, digest, 0) != 0)
		return -EIO;

	hex_encode(digest, FINGERPRINT_LEN / 2, ret);
	mbedtls_platform_zeroize(digest, sizeof(digest));
	return 0;
}
