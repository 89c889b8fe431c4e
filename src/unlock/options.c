// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The command line of bekboot-unlock: options, then at most one command.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static void usage(FILE *out)
{
	fputs("Usage: bekboot-unlock [open] [OPTIONS]\n"
	      "       bekboot-unlock status [--json] [--key-file FILE] [OPTIONS]\n"
	      "       bekboot-unlock manual [--key-file FILE] [OPTIONS]\n"
	      "       bekboot-unlock late [OPTIONS]\n"
	      "       bekboot-unlock rescue DISK [--key-volume DEV | --key-file FILE] [OPTIONS]\n"
	      "\n"
	      "Open the LUKS volumes of /etc/bekboot/crypttab with keys from the key volume.\n"
	      "\n"
	      "Commands:\n"
	      "  open            find the key volume and the devices, open every volume (default)\n"
	      "  status          show each volume: device, mapping, which key opens it\n"
	      "  manual          open the volumes with a passphrase typed on the console\n"
	      "  late            after boot: open the data volumes still closed, mount\n"
	      "                  the entries of /etc/bekboot/fstab\n"
	      "  rescue DISK     open the encrypted volumes of another machine's disk\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE     configuration (default /etc/bekboot/crypttab)\n"
	      "      --cmdline FILE    kernel command line (default /proc/cmdline)\n"
	      "  -k, --key-dir DIR     read key files from DIR, not from the key volume\n"
	      "      --key-file FILE   manual, rescue: use the key in FILE instead of asking;\n"
	      "                        status: show which volumes the key in FILE opens\n"
	      "      --key-volume DEV  rescue: the key volume (default: found by its label)\n"
	      "      --name-prefix P   rescue: prefix of the mapping names (default rescue-)\n"
	      "      --read-write      rescue: open read-write (default read-only)\n"
	      "  -t, --test            check which key opens each volume; activate nothing\n"
	      "      --timeout SEC     wait at most SEC seconds for the key volume and devices\n"
	      "      --json            status: print JSON\n"
	      "      --kmsg            also log to the kernel log (/dev/kmsg)\n"
	      "  -v, --verbose         log details, including libcryptsetup's\n"
	      "  -h, --help            show this help\n"
	      "  -V, --version         show the version\n"
	      "\n"
	      "Exit status: 0 success; 2 usage; 3 configuration; 4 no key volume; 5 no key file;\n"
	      "6 no key opens the volume; 7 device absent; 8 header absent or unreadable;\n"
	      "9 kernel module missing; 10 keyslot needs more memory than available; 1 other.\n"
	      "See bekboot-unlock(8).\n",
	      out);
}

enum {
	OPT_CMDLINE = 0x100,
	OPT_KEY_FILE,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_KMSG,
	OPT_KEY_VOLUME,
	OPT_NAME_PREFIX,
	OPT_READ_WRITE,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "key-dir", required_argument, NULL, 'k' },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "test", no_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kmsg", no_argument, NULL, OPT_KMSG },
	{ "key-volume", required_argument, NULL, OPT_KEY_VOLUME },
	{ "name-prefix", required_argument, NULL, OPT_NAME_PREFIX },
	{ "read-write", no_argument, NULL, OPT_READ_WRITE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{}
};

static int parse_timeout_option(const char *arg, struct unlock_options *opts)
{
	unsigned long seconds;

	if (parse_uint(arg, BOOT_TIMEOUT_MAX, &seconds) < 0) {
		log_error("Invalid --timeout '%s': expected seconds from 0 to %d.", arg,
			  BOOT_TIMEOUT_MAX);
		return -EINVAL;
	}
	opts->timeout = (unsigned)seconds;
	opts->timeout_set = true;
	return 0;
}

/* Returns 1 when the program should stop at once with success (--help). */
static int parse_option(int c, const char *arg, struct unlock_options *opts)
{
	switch (c) {
	case 'c':
		opts->config = arg;
		break;
	case OPT_CMDLINE:
		opts->cmdline = arg;
		break;
	case 'k':
		opts->key_dir = arg;
		break;
	case OPT_KEY_FILE:
		opts->key_file = arg;
		break;
	case 't':
		opts->test = true;
		break;
	case OPT_TIMEOUT:
		return parse_timeout_option(arg, opts);
	case OPT_JSON:
		opts->json = true;
		break;
	case OPT_KMSG:
		opts->kmsg = true;
		break;
	case OPT_KEY_VOLUME:
		opts->key_volume = arg;
		break;
	case OPT_NAME_PREFIX:
		opts->name_prefix = arg;
		break;
	case OPT_READ_WRITE:
		opts->read_write = true;
		break;
	case 'v':
		opts->verbose = true;
		break;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		puts("bekboot-unlock " BEKBOOT_VERSION);
		return 1;
	default:
		return -EINVAL;
	}
	return 0;
}

static int options_check(const char *command, const struct unlock_options *opts)
{
	bool rescue = streq(command, "rescue");

	if (opts->key_file && !streq(command, "manual") && !streq(command, "status") && !rescue) {
		log_error(
			"--key-file goes with manual, status and rescue; use --key-dir otherwise.");
		return -EINVAL;
	}
	if ((opts->key_volume || opts->name_prefix || opts->read_write) && !rescue) {
		log_error("--key-volume, --name-prefix and --read-write go with rescue.");
		return -EINVAL;
	}
	if (rescue && !opts->disk) {
		log_error("rescue needs the disk to look at, e.g. bekboot-unlock rescue /dev/sdc.");
		return -EINVAL;
	}
	if (opts->json && !streq(command, "status")) {
		log_error("--json goes with the status command.");
		return -EINVAL;
	}
	return 0;
}

int unlock_options_parse(int argc, char **argv, struct unlock_options *opts,
			 const char **ret_command)
{
	const char *command = "open";
	int c, r;

	opts->config = CRYPTTAB_PATH;
	opts->cmdline = CMDLINE_PATH;
	/* 0, not 1: start afresh even if getopt_long ran before in this process. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:k:tvhV", long_options, NULL)) != -1) {
		r = parse_option(c, optarg, opts);
		if (r != 0)
			return r > 0 ? 1 : -EINVAL;
	}
	if (optind < argc)
		command = argv[optind++];
	if (optind < argc && streq(command, "rescue"))
		opts->disk = argv[optind++];
	if (optind < argc) {
		log_error("Unexpected argument '%s'. See bekboot-unlock --help.", argv[optind]);
		return -EINVAL;
	}
	if (options_check(command, opts) < 0)
		return -EINVAL;

	*ret_command = command;
	return 0;
}
