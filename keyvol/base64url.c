// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdint.h>

#include "base64url.h"

static const char base64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

int base64url_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t i, o = 0;

	if (out_size < base64url_encoded_len(len) + 1)
		return -ENOBUFS;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3;

		if (chunk > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		out[o++] = base64url_alphabet[v >> 18 & 63];
		out[o++] = base64url_alphabet[v >> 12 & 63];
		if (chunk > 1)
			out[o++] = base64url_alphabet[v >> 6 & 63];
		if (chunk > 2)
			out[o++] = base64url_alphabet[v & 63];
	}
	out[o] = '\0';
	return 0;
}

static int base64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size,
		     size_t *ret_len)
{
	size_t i, o = 0, need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len % 4 == 1)
		return -EINVAL;
	if (out_size < need)
		return -ENOBUFS;

	for (i = 0; i < len; i++) {
		int v = base64url_value(in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* The bits left over must be zero, or two texts would decode alike. */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;

	*ret_len = o;
	return 0;
}
