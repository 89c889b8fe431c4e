/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYGEN_H
#define BEKBOOT_KEYGEN_H

#include <stddef.h>

/* ADE's key format: base64 of 127 random bytes, 172 characters, no newline. */
#define KEYGEN_RANDOM_BYTES 127
#define KEYGEN_KEY_LEN	    172

/*
 * Generate a key in ADE's format into locked memory (secmem_alloc) from
 * mbedTLS CTR_DRBG seeded by the kernel. The caller frees with secmem_free.
 */
int keygen_ade_key(unsigned char **ret, size_t *ret_len);

/* Fill @buf with @len random bytes from CTR_DRBG seeded by the kernel. */
int keygen_random(unsigned char *buf, size_t len);

#endif
