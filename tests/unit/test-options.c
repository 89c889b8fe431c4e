// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line of bekboot-unlock, driven by a table of argument lists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unlock.h"
#include "util.h"

#define ARGS_MAX 12

/* NULL strings mean the default: /etc/bekboot/crypttab, /proc/cmdline, none. */
struct options_expect {
	const char *command;
	const char *config, *cmdline, *key_dir, *key_file;
	bool timeout_set;
	unsigned timeout;
	bool test, json, kmsg, verbose;
};

struct options_case {
	const char *description;
	const char *args[ARGS_MAX]; /* after the program name */
	int result;
	struct options_expect want;
};

static const struct options_case cases[] = {
	{ "no arguments: open with the defaults", { NULL }, 0, { .command = "open" } },
	{ "open named", { "open" }, 0, { .command = "open" } },
	{ "the host test",
	  { "--test", "--key-dir", "/k", "--config", "/c", "--cmdline", "/l", "--timeout", "1" },
	  0,
	  { .command = "open",
	    .config = "/c",
	    .cmdline = "/l",
	    .key_dir = "/k",
	    .timeout_set = true,
	    .timeout = 1,
	    .test = true } },
	{ "short options",
	  { "-t", "-k", "/k", "-c", "/c", "-v" },
	  0,
	  { .command = "open", .config = "/c", .key_dir = "/k", .test = true, .verbose = true } },
	{ "--opt=value forms",
	  { "--config=/c", "--timeout=0", "--key-dir=/k" },
	  0,
	  { .command = "open",
	    .config = "/c",
	    .key_dir = "/k",
	    .timeout_set = true,
	    .timeout = 0 } },
	{ "a timeout of an hour is the most",
	  { "--timeout", "3600" },
	  0,
	  { .command = "open", .timeout_set = true, .timeout = 3600 } },
	{ "status --json", { "status", "--json" }, 0, { .command = "status", .json = true } },
	{ "options before the command",
	  { "--json", "-c", "/c", "status" },
	  0,
	  { .command = "status", .config = "/c", .json = true } },
	{ "manual with a key file",
	  { "manual", "--key-file", "/run/usb/key" },
	  0,
	  { .command = "manual", .key_file = "/run/usb/key" } },
	{ "late with the kernel log",
	  { "late", "--kmsg" },
	  0,
	  { .command = "late", .kmsg = true } },
	{ "--help stops with success", { "--help" }, 1, { .command = NULL } },
	{ "-h stops with success", { "status", "-h" }, 1, { .command = NULL } },
	{ "--version stops with success", { "--version" }, 1, { .command = NULL } },
	{ "-V stops with success", { "-V" }, 1, { .command = NULL } },
	{ "timeout over an hour", { "--timeout", "3601" }, -EINVAL, { .command = NULL } },
	{ "timeout not a number", { "--timeout", "soon" }, -EINVAL, { .command = NULL } },
	{ "negative timeout", { "--timeout", "-1" }, -EINVAL, { .command = NULL } },
	{ "empty timeout", { "--timeout=" }, -EINVAL, { .command = NULL } },
	{ "unknown long option", { "--bogus" }, -EINVAL, { .command = NULL } },
	{ "unknown short option", { "-x" }, -EINVAL, { .command = NULL } },
	{ "option without its argument", { "--config" }, -EINVAL, { .command = NULL } },
	{ "two commands", { "open", "status" }, -EINVAL, { .command = NULL } },
	{ "--json without status", { "--json" }, -EINVAL, { .command = NULL } },
	{ "--key-file with open", { "--key-file", "/k" }, -EINVAL, { .command = NULL } },
	{ "status with a key file given by hand",
	  { "status", "--key-file", "/k" },
	  0,
	  { .command = "status", .key_file = "/k" } },
	{ "--key-file with late", { "late", "--key-file", "/k" }, -EINVAL, { .command = NULL } },
};

static void expect_field(const char *description, const char *field, const char *want,
			 const char *got)
{
	if (!streq(want, got))
		fail_msg("%s: %s is '%s', expected '%s'", description, field, got ? got : "(null)",
			 want ? want : "(null)");
}

static void expect_options(const struct options_case *c, const struct unlock_options *opts,
			   const char *command)
{
	const struct options_expect *w = &c->want;

	expect_field(c->description, "command", w->command, command);
	expect_field(c->description, "config", w->config ? w->config : CRYPTTAB_PATH, opts->config);
	expect_field(c->description, "cmdline", w->cmdline ? w->cmdline : CMDLINE_PATH,
		     opts->cmdline);
	if (!streq(w->key_dir, opts->key_dir) && (w->key_dir || opts->key_dir))
		fail_msg("%s: key_dir differs", c->description);
	if (!streq(w->key_file, opts->key_file) && (w->key_file || opts->key_file))
		fail_msg("%s: key_file differs", c->description);
	if (w->timeout_set != opts->timeout_set || w->timeout != opts->timeout ||
	    w->test != opts->test || w->json != opts->json || w->kmsg != opts->kmsg ||
	    w->verbose != opts->verbose)
		fail_msg("%s: timeout_set %d, timeout %u, test %d, json %d, kmsg %d, verbose %d "
			 "differ from the expected",
			 c->description, opts->timeout_set, opts->timeout, opts->test, opts->json,
			 opts->kmsg, opts->verbose);
}

static int parse_case(const struct options_case *c, struct unlock_options *opts,
		      const char **command)
{
	char *argv[ARGS_MAX + 2] = { "bekboot-unlock" };
	int argc = 1;

	for (; c->args[argc - 1]; argc++)
		argv[argc] = (char *)c->args[argc - 1];
	memset(opts, 0, sizeof(*opts));
	*command = NULL;
	return unlock_options_parse(argc, argv, opts, command);
}

/* Every case runs in one process, as a second parse must not remember the first. */
static void test_options_table(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct options_case *c = &cases[i];
		struct unlock_options opts;
		const char *command;
		int r;

		r = parse_case(c, &opts, &command);
		if (r != c->result)
			fail_msg("%s: returned %d, expected %d", c->description, r, c->result);
		if (r == 0)
			expect_options(c, &opts, command);
		else if (command)
			fail_msg("%s: a command was returned on %d", c->description, r);
	}
}

static char *help_text(void)
{
	char *argv[] = { "bekboot-unlock", "--help", NULL }, *text = NULL;
	struct unlock_options opts = { 0 };
	const char *command;
	size_t size = 0;
	int saved, r;
	FILE *out;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	out = tmpfile();
	assert_non_null(out);
	assert_int_equal(dup2(fileno(out), STDOUT_FILENO), STDOUT_FILENO);
	r = unlock_options_parse(2, argv, &opts, &command);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(r, 1);

	rewind(out);
	assert_true(getdelim(&text, &size, '\0', out) > 0);
	fclose(out);
	return text;
}

static void test_help_documents_every_option(void **state)
{
	static const char *const documented[] = {
		"-c, --config FILE",
		"--cmdline FILE",
		"-k, --key-dir DIR",
		"--key-file FILE",
		"-t, --test",
		"--timeout SEC",
		"--json",
		"--kmsg",
		"-v, --verbose",
		"-h, --help",
		"-V, --version",
		"status",
		"manual",
		"late",
		"Exit status",
	};
	_cleanup_free_ char *text = help_text();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(documented); i++)
		if (!strstr(text, documented[i]))
			fail_msg("--help does not mention '%s'", documented[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_table),
		cmocka_unit_test(test_help_documents_every_option),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
