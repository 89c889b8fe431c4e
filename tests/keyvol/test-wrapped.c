// SPDX-License-Identifier: LGPL-2.1-or-later
/* The wrapped key document reader, driven by a table of documents. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"
#include "wrapped.h"

#define KID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct parse_case {
	const char *description;
	const char *text;
	int result;
	const char *error; /* a part of the message, for a failure */
};

static const struct parse_case parse_cases[] = {
	{ "minimal document", "{\"alg\":\"RSA-OAEP-256\",\"kid\":\"" KID "\",\"value\":\"AQAB\"}",
	  0, NULL },
	{ "whitespace and any member order",
	  " \n{ \"value\" : \"AQAB\" ,\r\n\t\"kid\":\"" KID "\", \"alg\":\"RSA-OAEP\" }\n", 0,
	  NULL },
	{ "an escaped solidus in the value is not base64url",
	  "{\"alg\":\"RSA\\u002dOAEP\",\"kid\":\"" KID "\",\"value\":\"AQ\\/B\"}", -EINVAL,
	  "not base64url" },
	{ "unicode escapes stand for ASCII",
	  "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"A\\u0051AB\"}", 0, NULL },
	{ "empty text", "", -EINVAL, "ends where '{'" },
	{ "not an object", "[]", -EINVAL, "'{' expected" },
	{ "empty object", "{}", -EINVAL, "\"alg\" is missing" },
	{ "missing value", "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\"}", -EINVAL,
	  "\"value\" is missing" },
	{ "duplicate member",
	  "{\"alg\":\"RSA-OAEP\",\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"AQAB\"}",
	  -EINVAL, "appears twice" },
	{ "unknown member", "{\"alg\":\"RSA-OAEP\",\"enc\":\"x\"}", -EINVAL,
	  "unknown member \"enc\"" },
	{ "unknown algorithm", "{\"alg\":\"RSA1_5\"}", -EINVAL, "not RSA-OAEP" },
	{ "number instead of string", "{\"alg\":1}", -EINVAL, "'\"' expected" },
	{ "short kid", "{\"kid\":\"0123\"}", -EINVAL, "64 lowercase hex" },
	{ "upper case kid",
	  "{\"kid\":\""
	  "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
	  "\"}",
	  -EINVAL, "64 lowercase hex" },
	{ "empty value", "{\"value\":\"\"}", -EINVAL, "empty or not base64url" },
	{ "padding in value", "{\"value\":\"AQ==\"}", -EINVAL, "not base64url" },
	{ "trailing comma", "{\"alg\":\"RSA-OAEP\",}", -EINVAL, "'\"' expected" },
	{ "text after the object",
	  "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"AQAB\"} x", -EINVAL,
	  "text follows" },
	{ "two objects", "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"AQAB\"}{}", -EINVAL,
	  "text follows" },
	{ "unterminated string", "{\"alg\":\"RSA-OAEP", -EINVAL, "ends inside" },
	{ "cut after colon", "{\"alg\":", -EINVAL, "ends where" },
	{ "control character in string", "{\"alg\":\"RSA\tOAEP\"}", -EINVAL,
	  "not printable ASCII" },
	{ "non-ASCII byte", "{\"alg\":\"RSA\xc3\xa9\"}", -EINVAL, "not printable ASCII" },
	{ "unknown escape", "{\"alg\":\"\\x41\"}", -EINVAL, "unknown escape" },
	{ "escape of a control character", "{\"alg\":\"\\u0000\"}", -EINVAL,
	  "not printable ASCII" },
	{ "short unicode escape", "{\"alg\":\"\\u00\"}", -EINVAL, "not a hex digit" },
	{ "unicode escape cut by the end", "{\"alg\":\"\\u00", -EINVAL, "cut short" },
	{ "over-long member name", "{\"aaaaaaaaaaaaaaaaaaaa\":\"x\"}", -EINVAL, "longer than" },
};

static void test_parse_table(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct wrapped_key key;
		char err[160] = "";
		int r;

		r = wrapped_parse(c->text, strlen(c->text), &key, err, sizeof(err));
		print_message("%s: %d %s\n", c->description, r, err);
		assert_int_equal(r, c->result);
		if (c->error)
			assert_non_null(strstr(err, c->error));
	}
}

static void test_parse_fields(void **state)
{
	const char *text = "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"A\\u0051AB\"}";
	struct wrapped_key key;
	char err[160];

	assert_int_equal(wrapped_parse(text, strlen(text), &key, err, sizeof(err)), 0);
	assert_int_equal(key.alg, WRAPPED_ALG_RSA_OAEP);
	assert_string_equal(key.kid, KID);
	assert_string_equal(key.value, "AQAB");
}

/* The length given is the bound, even where the text goes on. */
static void test_parse_bounded(void **state)
{
	const char *text = "{\"alg\":\"RSA-OAEP\",\"kid\":\"" KID "\",\"value\":\"AQAB\"}garbage";
	struct wrapped_key key;
	char err[160];

	assert_int_equal(wrapped_parse(text, strlen(text) - 7, &key, err, sizeof(err)), 0);
	assert_int_equal(wrapped_parse(text, strlen(text) - 8, &key, err, sizeof(err)), -EINVAL);
}

static void test_parse_too_large(void **state)
{
	size_t len = WRAPPED_DOCUMENT_MAX + 1;
	char *text = malloc(len);
	struct wrapped_key key;
	char err[160];

	assert_non_null(text);
	memset(text, ' ', len);
	assert_int_equal(wrapped_parse(text, len, &key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "larger than"));
	free(text);
}

static void test_value_too_long(void **state)
{
	static char text[WRAPPED_VALUE_MAX + 32];
	size_t len = WRAPPED_VALUE_MAX + 16, head;
	struct wrapped_key key;
	char err[160];

	head = (size_t)snprintf(text, sizeof(text), "{\"value\":\"");
	memset(text + head, 'A', len - head);
	snprintf(text + len, sizeof(text) - len, "\"}");
	assert_int_equal(wrapped_parse(text, strlen(text), &key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
}

static void test_format_round_trip(void **state)
{
	struct wrapped_key key = { .alg = WRAPPED_ALG_RSA_OAEP_256 }, back;
	char *text = NULL, err[160];

	strcpy(key.kid, KID);
	strcpy(key.value, "abc-_0");
	assert_int_equal(wrapped_format(&key, &text), 0);
	assert_string_equal(text, "{\"alg\":\"RSA-OAEP-256\",\"kid\":\"" KID
				  "\",\"value\":\"abc-_0\"}\n");
	assert_int_equal(wrapped_parse(text, strlen(text), &back, err, sizeof(err)), 0);
	assert_memory_equal(&key, &back, sizeof(key));
	free(text);
}

static void test_format_refuses_bad_fields(void **state)
{
	struct wrapped_key key = { .alg = WRAPPED_ALG_RSA_OAEP };
	char *text = NULL;

	strcpy(key.kid, KID);
	strcpy(key.value, "a\"b");
	assert_int_equal(wrapped_format(&key, &text), -EINVAL);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_bounded),
		cmocka_unit_test(test_parse_too_large),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_refuses_bad_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
