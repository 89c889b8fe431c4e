/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_WRAPPED_H
#define BEKBOOT_KEYVOL_WRAPPED_H

#include <stddef.h>

/*
 * A key wrapped under an RSA key encryption key, as a JSON document:
 *   {"alg":"RSA-OAEP-256","kid":"<64 hex digits>","value":"<base64url>"}
 * alg is RSA-OAEP (SHA-1) or RSA-OAEP-256, as in JSON Web Algorithms; kid is
 * the SHA-256 of the KEK's public key (DER SubjectPublicKeyInfo); value is
 * the RSA ciphertext in unpadded base64url.
 */
#define WRAPPED_DOCUMENT_MAX (16 * 1024)
#define WRAPPED_ALG_MAX	     16
#define WRAPPED_KID_LEN	     64
/* Room for the ciphertext of a 16384-bit RSA key. */
#define WRAPPED_VALUE_MAX 2731

enum wrapped_alg {
	WRAPPED_ALG_RSA_OAEP,
	WRAPPED_ALG_RSA_OAEP_256,
};

struct wrapped_key {
	enum wrapped_alg alg;
	char kid[WRAPPED_KID_LEN + 1];
	char value[WRAPPED_VALUE_MAX + 1];
};

/* "RSA-OAEP" or "RSA-OAEP-256"; the parse is exact. */
const char *wrapped_alg_name(enum wrapped_alg alg);
int wrapped_alg_parse(const char *name, enum wrapped_alg *ret);

/*
 * Parse the document in @text of @len bytes (need not be NUL-terminated).
 * Exactly one object with the three members, each a string, each once; only
 * whitespace around it. On error returns -EINVAL and says why in @err;
 * @ret may then hold part of the document.
 */
int wrapped_parse(const char *text, size_t len, struct wrapped_key *ret, char *err,
		  size_t err_size);

/* The document for @key, one line with a newline, malloc'd. */
int wrapped_format(const struct wrapped_key *key, char **ret);

#endif
