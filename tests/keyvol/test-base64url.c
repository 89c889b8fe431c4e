// SPDX-License-Identifier: LGPL-2.1-or-later
/* base64url without padding, against the vectors of RFC 4648 and bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base64url.h"
#include "util.h"

static const struct {
	const char *plain;
	const char *encoded;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
};

static void test_encode_vectors(void **state)
{
	char out[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		size_t len = strlen(vectors[i].plain);

		assert_int_equal(base64url_encoded_len(len), strlen(vectors[i].encoded));
		assert_int_equal(base64url_encode((const unsigned char *)vectors[i].plain, len, out,
						  sizeof(out)),
				 0);
		assert_string_equal(out, vectors[i].encoded);
	}
}

static void test_decode_vectors(void **state)
{
	unsigned char out[32];
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		const char *in = vectors[i].encoded;

		assert_int_equal(base64url_decode(in, strlen(in), out, sizeof(out), &len), 0);
		assert_int_equal(len, strlen(vectors[i].plain));
		assert_memory_equal(out, vectors[i].plain, len);
	}
}

static void test_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"Zg==", /* padding */
		"Zm9v+", /* standard alphabet */
		"Zm/v", /* standard alphabet */
		"Z", /* no encoding is one character long */
		"Zm9vY", /* nor 4n + 1 */
		"Zh", /* unused bits set: not the canonical spelling of "f" */
		"Zm9", /* unused bits set */
		"Zm 9v", /* whitespace */
	};
	unsigned char out[32];
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &len),
				 -EINVAL);
}

static void test_buffer_sizes(void **state)
{
	unsigned char out[3];
	char text[5];
	size_t len;

	assert_int_equal(base64url_encode((const unsigned char *)"foo", 3, text, 4), -ENOBUFS);
	assert_int_equal(base64url_encode((const unsigned char *)"foo", 3, text, 5), 0);
	assert_int_equal(base64url_decode("Zm9vYg", 6, out, sizeof(out), &len), -ENOBUFS);
}

static void test_round_trip_all_lengths(void **state)
{
	unsigned char in[64], out[64];
	char text[100];
	size_t n, i, len;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		assert_int_equal(base64url_encode(in, n, text, sizeof(text)), 0);
		assert_int_equal(base64url_decode(text, strlen(text), out, sizeof(out), &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(in, out, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_buffer_sizes),
		cmocka_unit_test(test_round_trip_all_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
