/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_BASE64URL_H
#define BEKBOOT_KEYVOL_BASE64URL_H

#include <stddef.h>

/* Characters that base64url without padding needs for @len bytes. */
size_t base64url_encoded_len(size_t len);

/*
 * Encode @len bytes as base64url without padding (RFC 4648, section 5) into
 * @out, NUL-terminated. -ENOBUFS when @out_size is too small.
 */
int base64url_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

/*
 * Decode exactly @len characters of unpadded base64url. Anything else (padding,
 * whitespace, the standard alphabet's + and /, a length that no encoding has,
 * or unused bits that are not zero) is -EINVAL, so that each value has one
 * spelling. -ENOBUFS when @out_size is too small.
 */
int base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size,
		     size_t *ret_len);

#endif
