// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The wrapped key document reader on arbitrary bytes. A document that parses
 * must format and parse back to the same key, and its value must decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "wrapped.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct wrapped_key *key)
{
	struct wrapped_key back;
	char *text = NULL, err[160];

	if (wrapped_format(key, &text) < 0)
		abort();
	if (wrapped_parse(text, strlen(text), &back, err, sizeof(err)) < 0)
		abort();
	if (memcmp(key, &back, sizeof(back)) != 0)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char cipher[WRAPPED_VALUE_MAX];
	struct wrapped_key key;
	char err[160];
	size_t len;

	/* The parser must stay within @size: no copy with a terminator here. */
	if (wrapped_parse((const char *)data, size, &key, err, sizeof(err)) < 0) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}

	check_round_trip(&key);
	(void)base64url_decode(key.value, strlen(key.value), cipher, sizeof(cipher), &len);
	return 0;
}
