// SPDX-License-Identifier: LGPL-2.1-or-later
/* The crypttab reader, driven by tables of good and malformed text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypttab.h"
#include "keys.h"
#include "util.h"

/* What the first entry of a good text must hold; NULL strings must be NULL. */
struct entry_expect {
	const char *name;
	const char *device;
	enum key_kind key_kind;
	const char *key;
	const char *header_uuid;
	const char *header_path;
	unsigned timeout;
	bool root, nofail, readonly, discard;
	unsigned line;
};

struct good_case {
	const char *description;
	const char *text;
	size_t count;
	struct entry_expect first;
};

#define BASE KEY_BASE_NAME

static const struct good_case good_cases[] = {
	{ "name and device only: no key, no options",
	  "data UUID=1234\n",
	  1,
	  { "data", "UUID=1234", KEY_KIND_NONE, .line = 1 } },
	{ "bek is the base key name",
	  "osencrypt UUID=1234 bek root\n",
	  1,
	  { "osencrypt", "UUID=1234", KEY_KIND_BEK, BASE, .root = true, .line = 1 } },
	{ "bek:NAME names a key file",
	  "d1 PARTUUID=ab-01 bek:" BASE "_0_1 nofail\n",
	  1,
	  { "d1", "PARTUUID=ab-01", KEY_KIND_BEK, BASE "_0_1", .nofail = true, .line = 1 } },
	{ "an absolute key path",
	  "d LABEL=disk /etc/keys/d.key luks,discard\n",
	  1,
	  { "d", "LABEL=disk", KEY_KIND_PATH, "/etc/keys/d.key", .discard = true, .line = 1 } },
	{ "a /dev/disk path as device",
	  "d /dev/disk/by-id/scsi-1 none -\n",
	  1,
	  { "d", "/dev/disk/by-id/scsi-1", KEY_KIND_NONE, .line = 1 } },
	{ "- as key means none",
	  "d UUID=1 - nofail\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_NONE, .nofail = true, .line = 1 } },
	{ "every option at once",
	  "all UUID=1 bek luks,initramfs,nofail,readonly,discard,timeout=30,header=/boot/h\n",
	  1,
	  { "all", "UUID=1", KEY_KIND_BEK, BASE, NULL, "/boot/h", 30, false, true, true, true,
	    1 } },
	{ "read-only is a synonym of readonly",
	  "d UUID=1 bek read-only\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_BEK, BASE, .readonly = true, .line = 1 } },
	{ "header on a filesystem named by UUID",
	  "osencrypt PARTUUID=p bek root,header=UUID=1A2B-3C4D:/luks/osluksheader\n",
	  1,
	  { "osencrypt", "PARTUUID=p", KEY_KIND_BEK, BASE, "1A2B-3C4D", "/luks/osluksheader",
	    .root = true, .line = 1 } },
	{ "timeout=0",
	  "d UUID=1 bek timeout=0\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_BEK, BASE, .timeout = 0, .line = 1 } },
	{ "timeout of an hour is the most",
	  "d UUID=1 bek timeout=3600\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_BEK, BASE, .timeout = 3600, .line = 1 } },
	{ "\\040 in the device is a space",
	  "d LABEL=my\\040disk bek\n",
	  1,
	  { "d", "LABEL=my disk", KEY_KIND_BEK, BASE, .line = 1 } },
	{ "\\040 in the key path is a space",
	  "d UUID=1 /keys/my\\040key\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_PATH, "/keys/my key", .line = 1 } },
	{ "\\134 is a backslash",
	  "d LABEL=a\\134b bek\n",
	  1,
	  { "d", "LABEL=a\\b", KEY_KIND_BEK, BASE, .line = 1 } },
	{ "tabs and runs of blanks separate fields",
	  "\td\t\tUUID=1  bek \t nofail  \n",
	  1,
	  { "d", "UUID=1", KEY_KIND_BEK, BASE, .nofail = true, .line = 1 } },
	{ "comments and blank lines are skipped, lines still counted",
	  "# volumes\n\n   \n\t# indented comment\nd UUID=1 bek\n#d2 UUID=2 bek\n",
	  1,
	  { "d", "UUID=1", KEY_KIND_BEK, BASE, .line = 5 } },
	{ "last line without a newline",
	  "a UUID=1 bek\nb UUID=2 bek",
	  2,
	  { "a", "UUID=1", KEY_KIND_BEK, BASE, .line = 1 } },
	{ "every character a mapping name may hold",
	  "a.B+c-d_9 UUID=1\n",
	  1,
	  { "a.B+c-d_9", "UUID=1", KEY_KIND_NONE, .line = 1 } },
	{ "root and data volumes together",
	  "osencrypt UUID=1 bek root\ndata1 UUID=2 bek:" BASE "_0_1 nofail\n",
	  2,
	  { "osencrypt", "UUID=1", KEY_KIND_BEK, BASE, .root = true, .line = 1 } },
};

struct bad_case {
	const char *description;
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned line;
	const char *message; /* a part of the error message */
};

#define NUL_TEXT "a UUID=1 bek\nb UUID=2\0 bek\n"

static const struct bad_case bad_cases[] = {
	{ "a name alone", "data\n", 0, 1, "expected at least a name and a device" },
	{ "five fields", "d UUID=1 bek luks extra\n", 0, 1, "too many fields" },
	{ "slash in the name", "da/ta UUID=1\n", 0, 1, "invalid mapping name 'da/ta'" },
	{ "name .", ". UUID=1\n", 0, 1, "invalid mapping name '.'" },
	{ "name ..", ".. UUID=1\n", 0, 1, "invalid mapping name '..'" },
	{ "space in the name", "my\\040disk UUID=1\n", 0, 1, "invalid mapping name" },
	{ "relative device", "d sda1\n", 0, 1, "device must be UUID=, PARTUUID=, LABEL=" },
	{ "empty UUID=", "d UUID=\n", 0, 1, "device must be" },
	{ "device climbing out of /dev", "d /dev/../etc/shadow\n", 0, 1, "device must be" },
	{ "unknown tag", "d ID=1\n", 0, 1, "device must be" },
	{ "relative key path", "d UUID=1 keys/d.key\n", 0, 1, "key must be 'bek'" },
	{ "empty bek: name", "d UUID=1 bek:\n", 0, 1, "invalid key file name ''" },
	{ "bek: name with a slash", "d UUID=1 bek:../x\n", 0, 1, "invalid key file name '../x'" },
	{ "bek: name ..", "d UUID=1 bek:..\n", 0, 1, "invalid key file name" },
	{ "unknown option", "d UUID=1 bek luks,foo\n", 0, 1, "unknown option 'foo'" },
	{ "option in the wrong case", "d UUID=1 bek NOFAIL\n", 0, 1, "unknown option 'NOFAIL'" },
	{ "timeout not a number", "d UUID=1 bek timeout=abc\n", 0, 1,
	  "timeout= needs a number of seconds up to 3600, not 'abc'" },
	{ "timeout over an hour", "d UUID=1 bek timeout=3601\n", 0, 1, "not '3601'" },
	{ "negative timeout", "d UUID=1 bek timeout=-1\n", 0, 1, "not '-1'" },
	{ "empty timeout", "d UUID=1 bek timeout=\n", 0, 1, "timeout= needs" },
	{ "timeout with a unit", "d UUID=1 bek timeout=30s\n", 0, 1, "not '30s'" },
	{ "relative header path", "d UUID=1 bek header=boot/h\n", 0, 1, "header= needs" },
	{ "header UUID without a path", "d UUID=1 bek header=UUID=ab\n", 0, 1,
	  "header= needs UUID=<fs-uuid>:/path" },
	{ "header UUID with a relative path", "d UUID=1 bek header=UUID=ab:h\n", 0, 1,
	  "header= needs UUID=<fs-uuid>:/path" },
	{ "header with an empty UUID", "d UUID=1 bek header=UUID=:/h\n", 0, 1,
	  "header= needs UUID=<fs-uuid>:/path" },
	{ "header given twice", "d UUID=1 bek header=/a,header=/b\n", 0, 1, "header= given twice" },
	{ "duplicate name, on the line that repeats it",
	  "a UUID=1 bek\n# comment\nb UUID=2 bek\na UUID=3 bek\n", 0, 4,
	  "mapping name 'a' used twice" },
	{ "two roots", "r1 UUID=1 bek root\nr2 UUID=2 bek root\n", 0, 2,
	  "more than one volume has 'root'" },
	{ "root and nofail", "r UUID=1 bek root,nofail\n", 0, 1,
	  "the root volume cannot be 'nofail'" },
	{ "NUL in a line", NUL_TEXT, sizeof(NUL_TEXT) - 1, 2, "NUL character" },
	{ "error after good lines names its line", "a UUID=1 bek\n\nb UUID=2 bek nofial\n", 0, 3,
	  "unknown option 'nofial'" },
};

static void expect_field(const char *description, const char *field, const char *want,
			 const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got) != 0)
		fail_msg("%s: %s is '%s', expected '%s'", description, field, got ? got : "(null)",
			 want ? want : "(null)");
}

static void expect_entry(const char *description, const struct entry_expect *want,
			 const struct crypttab_entry *got)
{
	expect_field(description, "name", want->name, got->name);
	expect_field(description, "device", want->device, got->device);
	expect_field(description, "key", want->key, got->key);
	expect_field(description, "header_uuid", want->header_uuid, got->header_uuid);
	expect_field(description, "header_path", want->header_path, got->header_path);
	if (want->key_kind != got->key_kind || want->timeout != got->timeout ||
	    want->root != got->root || want->nofail != got->nofail ||
	    want->readonly != got->readonly || want->discard != got->discard ||
	    want->line != got->line)
		fail_msg(
			"%s: key kind %d, timeout %u, root %d, nofail %d, readonly %d, discard %d, "
			"line %u differ from the expected",
			description, got->key_kind, got->timeout, got->root, got->nofail,
			got->readonly, got->discard, got->line);
}

static void test_good_lines_parse_to_entries(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct crypttab tab = { 0 };
		struct parse_error err;
		int r;

		r = crypttab_parse(c->text, strlen(c->text), &tab, &err);
		if (r != 0)
			fail_msg("%s: failed with %d, line %u: %s", c->description, r, err.line,
				 err.message);
		if (tab.count != c->count)
			fail_msg("%s: %zu entries, expected %zu", c->description, tab.count,
				 c->count);
		if (c->count > 0)
			expect_entry(c->description, &c->first, &tab.entries[0]);
		crypttab_free(&tab);
	}
}

static void test_malformed_lines_name_line_and_problem(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct crypttab tab = { .count = 42 };
		size_t len = c->len ? c->len : strlen(c->text);
		struct parse_error err;
		int r;

		r = crypttab_parse(c->text, len, &tab, &err);
		if (r != -EINVAL)
			fail_msg("%s: returned %d, expected -EINVAL", c->description, r);
		if (err.line != c->line)
			fail_msg("%s: error on line %u, expected %u (%s)", c->description, err.line,
				 c->line, err.message);
		if (!strstr(err.message, c->message))
			fail_msg("%s: message '%s' lacks '%s'", c->description, err.message,
				 c->message);
		if (tab.count != 42 || tab.entries)
			fail_msg("%s: the result was touched on failure", c->description);
	}
}

static void test_empty_text_has_no_entries(void **state)
{
	struct crypttab tab = { 0 };
	struct parse_error err;

	assert_int_equal(crypttab_parse("", 0, &tab, &err), 0);
	assert_int_equal(tab.count, 0);
	crypttab_free(&tab);
	assert_int_equal(crypttab_parse("\n\n# nothing\n", 12, &tab, &err), 0);
	assert_int_equal(tab.count, 0);
	crypttab_free(&tab);
}

/* Only @len bytes are read: what follows them must not count. */
static void test_text_is_read_within_its_length(void **state)
{
	const char text[] = "a UUID=1 bek\nb UUID=2 bek bogus\n";
	struct crypttab tab = { 0 };
	struct parse_error err;

	assert_int_equal(crypttab_parse(text, 13, &tab, &err), 0);
	assert_int_equal(tab.count, 1);
	assert_string_equal(tab.entries[0].name, "a");
	crypttab_free(&tab);
}

static void test_long_line_limit_is_4096(void **state)
{
	char text[4200];
	struct crypttab tab = { 0 };
	struct parse_error err;

	/* A comment of exactly 4096 characters is still a line. */
	memset(text, '#', 4096);
	text[4096] = '\n';
	assert_int_equal(crypttab_parse(text, 4097, &tab, &err), 0);
	assert_int_equal(tab.count, 0);
	crypttab_free(&tab);

	memcpy(text, "a UUID=1\n", 9);
	memset(text + 9, '#', 4097);
	text[9 + 4097] = '\n';
	assert_int_equal(crypttab_parse(text, 9 + 4098, &tab, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "line longer than 4096 characters"));
}

static void test_at_most_64_volumes(void **state)
{
	char text[64 * 32], *p = text;
	struct crypttab tab = { 0 };
	struct parse_error err;
	int i;

	for (i = 0; i < 64; i++)
		p += sprintf(p, "v%d UUID=%d bek\n", i, i);
	assert_int_equal(crypttab_parse(text, (size_t)(p - text), &tab, &err), 0);
	assert_int_equal(tab.count, 64);
	assert_string_equal(tab.entries[63].name, "v63");
	crypttab_free(&tab);

	p += sprintf(p, "v64 UUID=64 bek\n");
	assert_int_equal(crypttab_parse(text, (size_t)(p - text), &tab, &err), -EINVAL);
	assert_int_equal(err.line, 65);
	assert_non_null(strstr(err.message, "too many volumes (at most 64)"));
}

/* Lines that the encryptor writes must read back as the same entry. */
static const char *const round_trip_lines[] = {
	"osencrypt UUID=1234 bek root\n",
	"data1 PARTUUID=ab-01 bek:" BASE "_0_1 nofail,timeout=90\n",
	"d LABEL=my\\040disk /keys/my\\040key readonly,discard\n",
	"d LABEL=tab\\011and\\043hash\\134 bek\n",
	"d /dev/disk/by-id/x none header=UUID=1A2B-3C4D:/luks/osluksheader\n",
	"d UUID=1 bek:key\\040with\\040spaces header=/boot/d.hdr\n",
};

static void entry_compare(const char *line, const struct crypttab_entry *a,
			  const struct crypttab_entry *b)
{
	struct entry_expect want = {
		a->name,    a->device, a->key_kind, a->key,	 a->header_uuid, a->header_path,
		a->timeout, a->root,   a->nofail,   a->readonly, a->discard,	 b->line,
	};

	expect_entry(line, &want, b);
}

static void round_trip(const char *line, const struct crypttab_entry *entry)
{
	_cleanup_free_ char *formatted = crypttab_entry_format(entry);
	struct crypttab back = { 0 };
	struct parse_error err;

	if (!formatted)
		fail_msg("%s: formatting failed", line);
	if (crypttab_parse(formatted, strlen(formatted), &back, &err) != 0)
		fail_msg("%s: formatted as '%s', which does not parse: %s", line, formatted,
			 err.message);
	if (back.count != 1)
		fail_msg("%s: formatted as '%s', which has %zu entries", line, formatted,
			 back.count);
	entry_compare(line, entry, &back.entries[0]);
	crypttab_free(&back);
}

static void test_format_round_trips_through_parser(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(round_trip_lines); i++) {
		const char *line = round_trip_lines[i];
		struct crypttab tab = { 0 };
		struct parse_error err;

		if (crypttab_parse(line, strlen(line), &tab, &err) != 0 || tab.count != 1)
			fail_msg("%s: does not parse: %s", line, err.message);
		round_trip(line, &tab.entries[0]);
		crypttab_free(&tab);
	}
}

/* Entries built in memory, as the encryptor builds them, with long or odd fields. */
static void test_format_keeps_long_and_odd_fields(void **state)
{
	char long_key[1024], long_header[2048];
	struct crypttab_entry entry = {
		.name = "data",
		.device = "UUID=1",
		.key_kind = KEY_KIND_PATH,
		.key = long_key,
		.header_path = long_header,
		.nofail = true,
		.line = 1,
	};

	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[0] = '/';
	long_key[sizeof(long_key) - 1] = '\0';
	memset(long_header, 'h', sizeof(long_header) - 1);
	long_header[0] = '/';
	long_header[sizeof(long_header) - 1] = '\0';
	round_trip("a 1 KiB key path and a 2 KiB header path", &entry);

	entry.key = "/keys/a key";
	entry.header_path = "/boot/a header,with a comma";
	round_trip("a space in the key path, a comma in the header path", &entry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines_parse_to_entries),
		cmocka_unit_test(test_malformed_lines_name_line_and_problem),
		cmocka_unit_test(test_empty_text_has_no_entries),
		cmocka_unit_test(test_text_is_read_within_its_length),
		cmocka_unit_test(test_long_line_limit_is_4096),
		cmocka_unit_test(test_at_most_64_volumes),
		cmocka_unit_test(test_format_round_trips_through_parser),
		cmocka_unit_test(test_format_keeps_long_and_odd_fields),
	};

	return cmocka_run_group_tests_name("crypttab", tests, NULL, NULL);
}
