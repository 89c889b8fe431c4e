// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel command line reader, driven by a table of command lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"
#include "util.h"

/* What the options must be; a NULL label means the default, "BEK VOLUME". */
struct options_expect {
	bool disabled, ade_disabled, debug, timeout_set;
	unsigned timeout;
	const char *label;
	const char *partuuid;
	const char *bootuuid;
};

struct good_case {
	const char *description;
	const char *text;
	struct options_expect want;
};

#define DEFAULT_TIMEOUT .timeout = BOOT_TIMEOUT_DEFAULT

static const struct good_case good_cases[] = {
	{ "empty command line: defaults", "", { DEFAULT_TIMEOUT } },
	{ "a usual command line: defaults",
	  "BOOT_IMAGE=/vmlinuz-6.1.0 root=/dev/mapper/osencrypt ro quiet console=ttyS0\n",
	  { DEFAULT_TIMEOUT } },
	{ "rd.bekboot=0 disables", "quiet rd.bekboot=0", { .disabled = true, DEFAULT_TIMEOUT } },
	{ "rd.bekboot=no disables", "rd.bekboot=no", { .disabled = true, DEFAULT_TIMEOUT } },
	{ "rd.bekboot=1 enables", "rd.bekboot=1", { DEFAULT_TIMEOUT } },
	{ "bare rd.bekboot enables", "rd.bekboot", { DEFAULT_TIMEOUT } },
	{ "the last rd.bekboot wins", "rd.bekboot=0 rd.bekboot=1", { DEFAULT_TIMEOUT } },
	{ "rd.bekboot.timeout", "rd.bekboot.timeout=30", { .timeout_set = true, .timeout = 30 } },
	{ "rd.bekboot.timeout=0", "rd.bekboot.timeout=0", { .timeout_set = true, .timeout = 0 } },
	{ "rd.bekboot.timeout of an hour",
	  "rd.bekboot.timeout=3600",
	  { .timeout_set = true, .timeout = 3600 } },
	{ "the last rd.bekboot.timeout wins",
	  "rd.bekboot.timeout=5 rd.bekboot.timeout=7",
	  { .timeout_set = true, .timeout = 7 } },
	{ "quoted value keeps its space",
	  "rd.bekboot.label=\"MY KEYS\" quiet",
	  { DEFAULT_TIMEOUT, .label = "MY KEYS" } },
	{ "quoted parameter keeps its space",
	  "quiet \"rd.bekboot.label=MY KEYS\" ro",
	  { DEFAULT_TIMEOUT, .label = "MY KEYS" } },
	{ "parameters after a quoted one still count",
	  "\"rd.bekboot.label=MY KEYS\" rd.bekboot.timeout=5 rd.bekboot.debug",
	  { .debug = true, .timeout_set = true, .timeout = 5, .label = "MY KEYS" } },
	{ "a quote left open runs to the end",
	  "rd.bekboot.label=\"MY KEYS",
	  { DEFAULT_TIMEOUT, .label = "MY KEYS" } },
	{ "unquoted label", "rd.bekboot.label=KEYS", { DEFAULT_TIMEOUT, .label = "KEYS" } },
	{ "a label of 63 characters",
	  "rd.bekboot.label=123456789012345678901234567890123456789012345678901234567890123",
	  { DEFAULT_TIMEOUT,
	    .label = "123456789012345678901234567890123456789012345678901234567890123" } },
	{ "rd.bekboot.debug", "rd.bekboot.debug", { .debug = true, DEFAULT_TIMEOUT } },
	{ "rd.bekboot.debug=1", "rd.bekboot.debug=1", { .debug = true, DEFAULT_TIMEOUT } },
	{ "rd.bekboot.debug=0", "rd.bekboot.debug=0", { DEFAULT_TIMEOUT } },
	{ "ADE's root partition and /boot",
	  "root=/dev/mapper/osencrypt rd.luks.ade.partuuid=9c3a6f3e-01 "
	  "rd.luks.ade.bootuuid=4b2d1e62-9f3a-4c1b-8e2a-0a1b2c3d4e5f",
	  { DEFAULT_TIMEOUT, .partuuid = "9c3a6f3e-01",
	    .bootuuid = "4b2d1e62-9f3a-4c1b-8e2a-0a1b2c3d4e5f" } },
	{ "rd.ade=0 disables ADE's parameters",
	  "rd.ade=0 rd.luks.ade.partuuid=p",
	  { .ade_disabled = true, DEFAULT_TIMEOUT, .partuuid = "p" } },
	{ "tabs and newlines separate",
	  "rd.bekboot.debug\trd.bekboot.timeout=9\n",
	  { .debug = true, .timeout_set = true, .timeout = 9 } },
	{ "parameters of others are ignored",
	  "rd.luks.uuid=1234 rd.luks.ade=0 rd.bekbootx=0 rd.adex=0 xrd.bekboot=0 "
	  "bekboot=0 rd.bekboot.unknown=1 rd.lvm=0",
	  { DEFAULT_TIMEOUT } },
	{ "bad values of others' parameters are ignored",
	  "rd.luks.timeout=forever panic=x",
	  { DEFAULT_TIMEOUT } },
};

struct bad_case {
	const char *description;
	const char *text;
	const char *message; /* a part of the error message */
};

static const struct bad_case bad_cases[] = {
	{ "rd.bekboot=maybe", "rd.bekboot=maybe", "rd.bekboot takes 0 or 1, not 'maybe'" },
	{ "empty rd.bekboot=", "rd.bekboot=", "rd.bekboot takes 0 or 1, not ''" },
	{ "rd.ade=2", "rd.ade=2", "rd.ade takes 0 or 1, not '2'" },
	{ "rd.bekboot.debug=x", "rd.bekboot.debug=x", "rd.bekboot.debug takes 0 or 1, not 'x'" },
	{ "rd.bekboot.timeout without a value", "rd.bekboot.timeout",
	  "rd.bekboot.timeout needs a number of seconds up to 3600" },
	{ "rd.bekboot.timeout not a number", "rd.bekboot.timeout=abc",
	  "rd.bekboot.timeout needs a number" },
	{ "rd.bekboot.timeout over an hour", "rd.bekboot.timeout=3601",
	  "rd.bekboot.timeout needs a number" },
	{ "negative rd.bekboot.timeout", "rd.bekboot.timeout=-1",
	  "rd.bekboot.timeout needs a number" },
	{ "rd.bekboot.timeout with a unit", "rd.bekboot.timeout=30s",
	  "rd.bekboot.timeout needs a number" },
	{ "empty label",
	  "rd.bekboot.label=", "rd.bekboot.label needs a value of 1 to 63 characters" },
	{ "empty quoted label", "rd.bekboot.label=\"\"", "rd.bekboot.label needs a value" },
	{ "label of 64 characters",
	  "rd.bekboot.label=1234567890123456789012345678901234567890123456789012345678901234",
	  "rd.bekboot.label needs a value of 1 to 63 characters" },
	{ "empty rd.luks.ade.partuuid",
	  "rd.luks.ade.partuuid=", "rd.luks.ade.partuuid needs a value" },
	{ "rd.luks.ade.bootuuid without a value", "rd.luks.ade.bootuuid",
	  "rd.luks.ade.bootuuid needs a value" },
	{ "a bad value after good ones", "quiet rd.bekboot.timeout=5 rd.bekboot=2",
	  "rd.bekboot takes 0 or 1, not '2'" },
};

static void expect_options(const char *description, const struct options_expect *want,
			   const struct boot_options *got)
{
	const char *label = want->label ? want->label : KEY_VOLUME_LABEL;

	if (got->disabled != want->disabled || got->ade_disabled != want->ade_disabled ||
	    got->debug != want->debug || got->timeout_set != want->timeout_set ||
	    got->timeout != want->timeout)
		fail_msg("%s: disabled %d, ade_disabled %d, debug %d, timeout_set %d, timeout %u "
			 "differ from the expected",
			 description, got->disabled, got->ade_disabled, got->debug,
			 got->timeout_set, got->timeout);
	if (strcmp(got->label, label) != 0)
		fail_msg("%s: label '%s', expected '%s'", description, got->label, label);
	if (strcmp(got->ade_partuuid, want->partuuid ? want->partuuid : "") != 0)
		fail_msg("%s: partuuid '%s'", description, got->ade_partuuid);
	if (strcmp(got->ade_bootuuid, want->bootuuid ? want->bootuuid : "") != 0)
		fail_msg("%s: bootuuid '%s'", description, got->ade_bootuuid);
}

static void test_good_command_lines(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct boot_options opts;
		char err[160] = "";

		boot_options_init(&opts);
		if (cmdline_parse(c->text, &opts, err, sizeof(err)) != 0)
			fail_msg("%s: rejected: %s", c->description, err);
		expect_options(c->description, &c->want, &opts);
	}
}

static void test_bad_values_are_rejected_with_message(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct boot_options opts;
		char err[160] = "";
		int r;

		boot_options_init(&opts);
		r = cmdline_parse(c->text, &opts, err, sizeof(err));
		if (r != -EINVAL)
			fail_msg("%s: returned %d, expected -EINVAL", c->description, r);
		if (!strstr(err, c->message))
			fail_msg("%s: message '%s' lacks '%s'", c->description, err, c->message);
	}
}

static void test_defaults(void **state)
{
	struct boot_options opts;

	boot_options_init(&opts);
	assert_false(opts.disabled);
	assert_false(opts.ade_disabled);
	assert_false(opts.debug);
	assert_false(opts.timeout_set);
	assert_int_equal(opts.timeout, 60);
	assert_string_equal(opts.label, "BEK VOLUME");
}

/* The kernel allows 4 KiB; one of ours longer than the buffer is an error, not cut. */
static void test_over_long_parameter_is_rejected(void **state)
{
	char text[6000], err[160] = "";
	struct boot_options opts;

	boot_options_init(&opts);
	snprintf(text, sizeof(text), "rd.bekboot.label=%05000d", 0);
	assert_int_equal(cmdline_parse(text, &opts, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "parameter longer than 4095 characters"));

	/* Someone else's long parameter is no business of ours. */
	boot_options_init(&opts);
	snprintf(text, sizeof(text), "other=%05000d rd.bekboot.timeout=3", 0);
	assert_int_equal(cmdline_parse(text, &opts, err, sizeof(err)), 0);
	assert_int_equal(opts.timeout, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_command_lines),
		cmocka_unit_test(test_bad_values_are_rejected_with_message),
		cmocka_unit_test(test_over_long_parameter_is_rejected),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
