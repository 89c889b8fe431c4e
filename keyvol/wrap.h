/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_WRAP_H
#define BEKBOOT_KEYVOL_WRAP_H

#include <stddef.h>

#include "wrapped.h"

/* KEKs are PEM or DER files of at most this size. */
#define KEK_FILE_MAX (64 * 1024)
#define KEK_BITS_MIN 2048

/*
 * Wrap @len key bytes under the RSA public key in @kek_path (a public key, or
 * a private key whose public half is used) and return the wrapped document
 * (wrapped.h), malloc'd. -EMSGSIZE when the key is too long for the KEK and
 * algorithm. Logs its own failure.
 */
int keyvol_wrap(const char *kek_path, enum wrapped_alg alg, const unsigned char *key, size_t len,
		char **ret_document);

/*
 * Unwrap the document @document of @len bytes (@source names it in messages)
 * with the RSA private key in @kek_path. The key is returned in locked memory
 * (secmem_free it). -EINVAL for a damaged document, -EKEYREJECTED when the
 * document was made for another KEK or does not decrypt with this one. Logs
 * its own failure.
 */
int keyvol_unwrap(const char *kek_path, const char *document, size_t len, const char *source,
		  unsigned char **ret_key, size_t *ret_len);

/* The KEK's id: SHA-256 of its DER SubjectPublicKeyInfo, in hex. */
int kek_id_from_file(const char *kek_path, char ret[WRAPPED_KID_LEN + 1]);

#endif
