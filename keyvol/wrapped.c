// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A strict reader for the wrapped key document. It reads only the JSON this
 * document can hold: one flat object of string members, in ASCII. It is
 * bounded by the length it is given and never reads past it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "wrapped.h"

#define MEMBER_NAME_MAX 16

struct json_cursor {
	const char *start;
	const char *p;
	const char *end;
	char *err;
	size_t err_size;
};

static int json_fail(struct json_cursor *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int json_fail(struct json_cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->err_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void json_skip_space(struct json_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int json_expect(struct json_cursor *c, char want)
{
	json_skip_space(c);
	if (c->p >= c->end)
		return json_fail(c, "the document ends where '%c' was expected", want);
	if (*c->p != want)
		return json_fail(c, "'%c' expected at offset %td", want, c->p - c->start);
	c->p++;
	return 0;
}

static int json_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX: only ASCII, which is all this document may hold. */
static int json_unicode_escape(struct json_cursor *c, char *ret)
{
	int value = 0, i;

	if (c->end - c->p < 4)
		return json_fail(c, "a \\u escape is cut short");
	for (i = 0; i < 4; i++) {
		int d = json_hex_digit(c->p[i]);

		if (d < 0)
			return json_fail(c, "a \\u escape has a character that is not a hex digit");
		value = value << 4 | d;
	}
	if (value < 0x20 || value > 0x7e)
		return json_fail(c,
				 "a \\u escape stands for a character that is not printable ASCII");

	c->p += 4;
	*ret = (char)value;
	return 0;
}

static int json_escape(struct json_cursor *c, char *ret)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (c->p >= c->end)
		return json_fail(c, "the document ends inside an escape");
	if (*c->p == 'u') {
		c->p++;
		return json_unicode_escape(c, ret);
	}
	hit = memchr(from, *c->p, sizeof(from) - 1);
	if (!hit)
		return json_fail(c, "a string has an unknown escape \\%c", *c->p);

	c->p++;
	*ret = to[hit - from];
	return 0;
}

/* Read a string into @out (NUL-terminated); -EINVAL when it does not fit. */
static int json_string(struct json_cursor *c, char *out, size_t out_size, const char *what)
{
	size_t len = 0;
	int r;

	r = json_expect(c, '"');
	if (r < 0)
		return r;

	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p++;
		char decoded = (char)ch;

		if (ch < 0x20 || ch > 0x7e)
			return json_fail(c, "%s holds a byte that is not printable ASCII", what);
		if (ch == '\\' && (r = json_escape(c, &decoded)) < 0)
			return r;
		if (len + 1 >= out_size)
			return json_fail(c, "%s is longer than %zu characters", what, out_size - 1);
		out[len++] = decoded;
	}
	if (c->p >= c->end)
		return json_fail(c, "the document ends inside %s", what);

	c->p++;
	out[len] = '\0';
	return 0;
}

static const char *const wrapped_alg_names[] = {
	[WRAPPED_ALG_RSA_OAEP] = "RSA-OAEP",
	[WRAPPED_ALG_RSA_OAEP_256] = "RSA-OAEP-256",
};

const char *wrapped_alg_name(enum wrapped_alg alg)
{
	return (size_t)alg < ARRAY_SIZE(wrapped_alg_names) ? wrapped_alg_names[alg] : NULL;
}

int wrapped_alg_parse(const char *name, enum wrapped_alg *ret)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(wrapped_alg_names); i++) {
		if (streq(name, wrapped_alg_names[i])) {
			*ret = (enum wrapped_alg)i;
			return 0;
		}
	}

	return -EINVAL;
}

static bool kid_valid(const char *kid)
{
	return strlen(kid) == WRAPPED_KID_LEN && strspn(kid, "0123456789abcdef") == WRAPPED_KID_LEN;
}

static bool value_valid(const char *value)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";

	return *value && strspn(value, alphabet) == strlen(value);
}

static int wrapped_alg_member(struct json_cursor *c, struct wrapped_key *key)
{
	char alg[WRAPPED_ALG_MAX + 1];
	int r;

	r = json_string(c, alg, sizeof(alg), "\"alg\"");
	if (r < 0)
		return r;

	if (wrapped_alg_parse(alg, &key->alg) < 0)
		return json_fail(c, "\"alg\" is \"%s\", not RSA-OAEP or RSA-OAEP-256", alg);
	return 0;
}

static int wrapped_kid_member(struct json_cursor *c, struct wrapped_key *key)
{
	int r;

	r = json_string(c, key->kid, sizeof(key->kid), "\"kid\"");
	if (r == 0 && !kid_valid(key->kid))
		r = json_fail(c, "\"kid\" is not 64 lowercase hex digits");
	return r;
}

static int wrapped_value_member(struct json_cursor *c, struct wrapped_key *key)
{
	int r;

	r = json_string(c, key->value, sizeof(key->value), "\"value\"");
	if (r == 0 && !value_valid(key->value))
		r = json_fail(c, "\"value\" is empty or not base64url");
	return r;
}

static int wrapped_member(struct json_cursor *c, struct wrapped_key *key, unsigned *seen)
{
	static const char *const names[] = { "alg", "kid", "value" };
	char name[MEMBER_NAME_MAX + 1];
	unsigned bit;
	int r;

	r = json_string(c, name, sizeof(name), "a member name");
	if (r < 0)
		return r;

	for (bit = 0; bit < ARRAY_SIZE(names) && !streq(name, names[bit]); bit++)
		;
	if (bit == ARRAY_SIZE(names))
		return json_fail(c, "unknown member \"%s\"", name);
	if (*seen & 1u << bit)
		return json_fail(c, "member \"%s\" appears twice", name);
	*seen |= 1u << bit;

	r = json_expect(c, ':');
	if (r < 0)
		return r;

	if (bit == 0)
		return wrapped_alg_member(c, key);
	if (bit == 1)
		return wrapped_kid_member(c, key);
	return wrapped_value_member(c, key);
}

static int wrapped_members(struct json_cursor *c, struct wrapped_key *key, unsigned *seen)
{
	int r;

	json_skip_space(c);
	if (c->p < c->end && *c->p == '}')
		return 0;

	for (;;) {
		r = wrapped_member(c, key, seen);
		if (r < 0)
			return r;

		json_skip_space(c);
		if (c->p >= c->end || *c->p != ',')
			return 0;
		c->p++;
	}
}

int wrapped_parse(const char *text, size_t len, struct wrapped_key *ret, char *err, size_t err_size)
{
	struct json_cursor c = { text, text, text + len, err, err_size };
	unsigned seen = 0;
	int r;

	if (len > WRAPPED_DOCUMENT_MAX)
		return json_fail(&c, "the document is larger than %d bytes", WRAPPED_DOCUMENT_MAX);

	memset(ret, 0, sizeof(*ret));
	r = json_expect(&c, '{');
	if (r == 0)
		r = wrapped_members(&c, ret, &seen);
	if (r == 0)
		r = json_expect(&c, '}');
	if (r < 0)
		return r;

	json_skip_space(&c);
	if (c.p != c.end)
		return json_fail(&c, "text follows the document at offset %td", c.p - c.start);
	if (seen != 7)
		return json_fail(&c, "member \"%s\" is missing",
				 !(seen & 1)   ? "alg"
				 : !(seen & 2) ? "kid"
					       : "value");
	return 0;
}

int wrapped_format(const struct wrapped_key *key, char **ret)
{
	const char *alg = wrapped_alg_name(key->alg);

	if (!alg || !kid_valid(key->kid) || !value_valid(key->value))
		return -EINVAL;

	if (asprintf(ret, "{\"alg\":\"%s\",\"kid\":\"%s\",\"value\":\"%s\"}\n", alg, key->kid,
		     key->value) < 0)
		return -ENOMEM;
	return 0;
}
