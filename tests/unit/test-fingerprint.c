// SPDX-License-Identifier: LGPL-2.1-or-later
/* SHA-256 and the short key fingerprint, against the FIPS 180-2 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fingerprint.h"
#include "util.h"

struct vector {
	const char *description;
	const char *input;
	size_t repeat; /* the input this many times */
	const char *sha256;
};

static const struct vector vectors[] = {
	{ "empty input", "", 1,
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "two blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "a million a", "a", 1000000,
	  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

static char *vector_input(const struct vector *v, size_t *ret_len)
{
	size_t len = strlen(v->input), i;
	char *buf = malloc(len * v->repeat + 1);

	assert_non_null(buf);
	for (i = 0; i < v->repeat; i++)
		memcpy(buf + i * len, v->input, len);
	*ret_len = len * v->repeat;
	return buf;
}

static void test_sha256_known_vectors(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		size_t len;
		_cleanup_free_ char *input = vector_input(&vectors[i], &len);
		char hex[65];

		assert_int_equal(sha256_hex(input, len, hex), 0);
		if (strcmp(hex, vectors[i].sha256) != 0)
			fail_msg("%s: %s, expected %s", vectors[i].description, hex,
				 vectors[i].sha256);
	}
}

static void test_fingerprint_is_first_16_hex_digits(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		size_t len;
		_cleanup_free_ char *input = vector_input(&vectors[i], &len);
		char fingerprint[FINGERPRINT_LEN + 1];

		memset(fingerprint, 'x', sizeof(fingerprint));
		assert_int_equal(fingerprint_compute(input, len, fingerprint), 0);
		assert_int_equal(strlen(fingerprint), 16);
		if (strncmp(fingerprint, vectors[i].sha256, 16) != 0)
			fail_msg("%s: %s is not the start of %s", vectors[i].description,
				 fingerprint, vectors[i].sha256);
	}
}

/* A trailing newline makes another key, and the fingerprint shows it. */
static void test_fingerprint_tells_newline_apart(void **state)
{
	char a[FINGERPRINT_LEN + 1], b[FINGERPRINT_LEN + 1];

	assert_int_equal(fingerprint_compute("secret", 6, a), 0);
	assert_int_equal(fingerprint_compute("secret\n", 7, b), 0);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_vectors),
		cmocka_unit_test(test_fingerprint_is_first_16_hex_digits),
		cmocka_unit_test(test_fingerprint_tells_newline_apart),
	};

	return cmocka_run_group_tests_name("fingerprint", tests, NULL, NULL);
}
