// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bekboot-encrypt: encrypts a data disk in place, keeping its data, and
 * writes the configuration that the unlocker reads. See bekboot-encrypt(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "encrypt.h"
#include "keygen.h"
#include "log.h"
#include "util.h"

enum {
	OPT_KEY_VOLUME = 0x100,
	OPT_KEY_FILE,
	OPT_KEY_NAME,
	OPT_HEADER,
	OPT_FORMAT,
	OPT_MKFS,
	OPT_ROOT,
	OPT_JSON,
	OPT_HOTZONE,
	OPT_RESILIENCE,
	OPT_DEBUG,
	OPT_DRY_RUN,
};

static const struct option long_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "key-volume", required_argument, NULL, OPT_KEY_VOLUME },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "key-name", required_argument, NULL, OPT_KEY_NAME },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "format", no_argument, NULL, OPT_FORMAT },
	{ "mkfs", required_argument, NULL, OPT_MKFS },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "hotzone-size", required_argument, NULL, OPT_HOTZONE },
	{ "resilience", required_argument, NULL, OPT_RESILIENCE },
	{ "yes", no_argument, NULL, 'y' },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static void usage(FILE *out)
{
	fputs("Usage:\n"
	      "  bekboot-encrypt data DEVICE [--name NAME] [--key-volume DEVICE|IMAGE | --key-file FILE]\n"
	      "                  [--key-name NAME] [--header FILE | --header UUID=<fs>:/path]\n"
	      "                  [--format [--mkfs TYPE]] [--root DIR] [--yes]\n"
	      "  bekboot-encrypt resume [DEVICE|NAME] [--key-volume DEVICE|IMAGE | --key-file FILE]\n"
	      "                  [--root DIR]\n"
	      "  bekboot-encrypt status [--json] [--root DIR]\n"
	      "  bekboot-encrypt import-ade [--root DIR]\n"
	      "  bekboot-encrypt os [--key-volume DEVICE] [--yes] [--dry-run]\n"
	      "\n"
	      "Encrypts a data disk in place with LUKS2, keeping its data, and writes\n"
	      "/etc/bekboot/crypttab and /etc/bekboot/fstab. Interrupted at any moment, the\n"
	      "same command (or resume) continues where it stopped.\n"
	      "\n"
	      "status shows each volume's encryption state and the filesystems of /etc/fstab\n"
	      "that are not encrypted; it exits with 5 unless everything is encrypted.\n"
	      "import-ade writes bekboot's configuration from that of Azure Disk Encryption\n"
	      "(/etc/crypttab, azure_crypt_mount); running it again changes nothing.\n"
	      "\n"
	      "os encrypts the running system's root partition with a header detached on\n"
	      "/boot: it writes the configuration, then reboots through a staging root that\n"
	      "encrypts the disk offline, and reboots again.\n"
	      "\n"
	      "Tuning: --hotzone-size BYTES, --resilience checksum|journal (detached header).\n"
	      "See bekboot-encrypt(8).\n",
	      out);
}

static int parse_size(const char *arg, uint64_t *ret)
{
	unsigned long value;
	char *end;

	errno = 0;
	value = strtoul(arg, &end, 10);
	if (errno || end == arg)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		value <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		value <<= 20, end++;
	if (*end || value % 4096)
		return -EINVAL;

	*ret = value;
	return 0;
}

static int parse_option(int c, const char *arg, struct encrypt_options *opts)
{
	switch (c) {
	case 'n':
		opts->name = arg;
		return 0;
	case OPT_KEY_VOLUME:
		opts->key_volume = arg;
		return 0;
	case OPT_KEY_FILE:
		opts->key_file = arg;
		return 0;
	case OPT_KEY_NAME:
		opts->key_name = arg;
		return 0;
	case OPT_HEADER:
		opts->header = arg;
		return 0;
	case OPT_FORMAT:
		opts->format = true;
		return 0;
	case OPT_MKFS:
		opts->mkfs_type = arg;
		return 0;
	case OPT_ROOT:
		opts->root = arg;
		return 0;
	case OPT_JSON:
		opts->json = true;
		return 0;
	case OPT_RESILIENCE:
		/* "none" would lose the hotzone in a crash: not offered. */
		if (streq(arg, "checksum") || streq(arg, "journal")) {
			opts->resilience = arg;
			return 0;
		}
		log_error("Resilience mode '%s' is not one of checksum and journal.", arg);
		return -EINVAL;
	case 'y':
		opts->yes = true;
		return 0;
	case OPT_DRY_RUN:
		opts->dry_run = true;
		return 0;
	case OPT_DEBUG:
		log_set_max_level(LOG_LEVEL_DEBUG);
		return 0;
	case OPT_HOTZONE:
		if (parse_size(arg, &opts->hotzone_size) == 0)
			return 0;
		log_error(
			"Hotzone size '%s' is not a multiple of 4096 bytes (K and M suffixes allowed).",
			arg);
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

static int parse_options(int argc, char **argv, struct encrypt_options *opts)
{
	int c;

	while ((c = getopt_long(argc, argv, "n:yh", long_options, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (parse_option(c, optarg, opts) < 0)
			return -EINVAL;
	}

	if (opts->key_file && opts->key_volume) {
		log_error("Give either --key-file or --key-volume, not both.");
		return -EINVAL;
	}
	if (opts->format && opts->header) {
		log_error(
			"--format makes a new volume with its header at the head; it does not take --header.");
		return -EINVAL;
	}
	if (opts->root[0] && opts->root[0] != '/') {
		log_error("--root needs an absolute path, not '%s'.", opts->root);
		return -EINVAL;
	}
	return 0;
}

/*
 * Serialise runs on one device. The descriptor is inherited by e2fsck and
 * resize2fs, so a run that is killed while they work keeps the device
 * locked until they finish, and the next run waits for them.
 */
static int device_lock(const char *device)
{
	int fd = open(device, O_RDONLY);

	if (fd < 0) {
		log_error("Failed to open %s: %m", device);
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;

	log_info("Waiting for another run on %s to finish.", device);
	if (flock(fd, LOCK_EX) < 0) {
		log_error("Failed to lock %s: %m", device);
		close(fd);
		return -errno;
	}
	return fd;
}

int uuid_make(char ret[40])
{
	unsigned char b[16];
	int r = keygen_random(b, sizeof(b));

	if (r < 0)
		return r;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(ret, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

static int exit_code(int r)
{
	if (r >= 0)
		return EXIT_OK;
	return r == -EINTR ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/* Encrypt from the beginning: the device holds no LUKS header yet. */
static int data_start(const struct encrypt_options *opts, struct volume_plan *plan,
		      struct volume_key *key)
{
	int r;

	r = key_obtain(opts, plan, key, false);
	if (r == 0 && plan->mode == MODE_SHIFT)
		r = filesystem_shrink(plan);
	if (r == 0 && plan->mode == MODE_FORMAT)
		r = filesystem_make(plan, opts->mkfs_type ?: "ext4");
	if (r < 0)
		return r;

	/* A run that stopped before the header was written reuses its UUID. */
	if (config_find_uuid(opts, plan->name, plan->luks_uuid) < 0)
		r = uuid_make(plan->luks_uuid);
	if (r == 0)
		r = config_write(opts, plan);
	if (r == 0)
		r = luks_initialize(opts, plan, key);
	return r;
}

static int resume_key(const struct encrypt_options *opts, struct volume_plan *plan,
		      struct volume_key *key)
{
	if (key->data)
		return 0;
	return key_obtain(opts, plan, key, true);
}

static int cmd_data(const struct encrypt_options *opts)
{
	struct volume_plan plan = { 0 };
	struct volume_key key = { 0 };
	_cleanup_close_ int lock = device_lock(opts->device);
	int r;

	if (lock < 0 || !realpath(opts->device, plan.device))
		return EXIT_FAILED;
	r = luks_staging_recover(opts, plan.device);
	if (r < 0)
		return EXIT_FAILED;

	r = preflight_data(opts, &plan);
	if (r < 0)
		return EXIT_REFUSED;
	if (plan.luks && !plan.reencrypting) {
		moved_copy_remove(opts, &plan);
		log_error("Device %s is already encrypted (LUKS UUID %s); nothing to do.",
			  plan.device, plan.luks_uuid);
		return EXIT_REFUSED;
	}

	if (plan.luks)
		r = config_find_volume(opts, opts->name, plan.luks_uuid, &plan);
	else
		r = data_start(opts, &plan, &key);
	if (r == 0)
		r = resume_key(opts, &plan, &key);
	if (r == 0)
		r = luks_resume(opts, &plan, &key);

	key_release(&key);
	return exit_code(r);
}

/* Find what `resume` names: a device path, or a volume of crypttab. */
static int resume_plan(const struct encrypt_options *opts, const char *arg,
		       struct volume_plan *plan)
{
	bool luks;

	if (!strchr(arg, '/'))
		return config_find_volume(opts, arg, NULL, plan);

	if (!realpath(arg, plan->device)) {
		log_error("Failed to find device %s: %m", arg);
		return -ENODEV;
	}
	luks_probe(plan->device, NULL, &luks, &plan->reencrypting, plan->luks_uuid);
	if (!luks) {
		log_error(
			"Device %s holds no LUKS header; to resume with a detached header, name the volume instead.",
			plan->device);
		return -ENOENT;
	}
	return config_find_volume(opts, opts->name, plan->luks_uuid, plan);
}

static int cmd_resume(const struct encrypt_options *opts, const char *arg)
{
	struct volume_plan plan = { 0 };
	struct volume_key key = { 0 };
	_cleanup_close_ int lock = -1;
	bool luks;
	int r;

	r = resume_plan(opts, arg, &plan);
	if (r < 0)
		return EXIT_FAILED;
	lock = device_lock(plan.device);
	if (lock < 0 || luks_staging_recover(opts, plan.device) < 0)
		return EXIT_FAILED;

	luks_probe(plan.device, plan.header_file[0] ? plan.header_file : NULL, &luks,
		   &plan.reencrypting, plan.luks_uuid);
	if (!plan.reencrypting) {
		if (luks)
			moved_copy_remove(opts, &plan);
		log_info("Volume %s on %s has no encryption in progress; nothing to resume.",
			 plan.name, plan.device);
		return luks ? EXIT_OK : EXIT_FAILED;
	}

	r = resume_key(opts, &plan, &key);
	if (r == 0)
		r = luks_resume(opts, &plan, &key);
	key_release(&key);
	return exit_code(r);
}

/* Resume every volume of crypttab that has an encryption in progress. */
static int cmd_resume_all(const struct encrypt_options *opts)
{
	char **names = NULL;
	size_t count = 0, i;
	int ret = EXIT_OK;

	if (config_volume_names(opts, &names, &count) < 0)
		return EXIT_FAILED;
	if (count == 0)
		log_info("No volume is configured; nothing to resume.");

	for (i = 0; i < count; i++) {
		int r = cmd_resume(opts, names[i]);

		if (r != EXIT_OK && ret != EXIT_FAILED)
			ret = r;
	}

	config_volume_names_free(names);
	return ret;
}

static const char *const commands[] = { "data", "resume", "status", "os", "import-ade" };

/* A usage error: the cause in one line, and where the usage is. */
static int usage_error(const char *command)
{
	size_t i;

	if (!command) {
		log_error("No command given. See bekboot-encrypt --help.");
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(command, commands[i])) {
			log_error("Wrong arguments for %s. See bekboot-encrypt --help.", command);
			return EXIT_USAGE;
		}
	log_error("Unknown command '%s'. See bekboot-encrypt --help.", command);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct encrypt_options opts = { .root = "" };
	const char *command;

	log_init("bekboot-encrypt");
	if (parse_options(argc, argv, &opts) < 0) {
		/* The option's own message named the problem. */
		fputs("See bekboot-encrypt --help.\n", stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc)
		return usage_error(NULL);
	luks_log_setup();

	command = argv[optind++];
	if (streq(command, "data") && optind == argc - 1) {
		opts.device = argv[optind];
		return cmd_data(&opts);
	}
	if (streq(command, "resume") && optind == argc - 1)
		return cmd_resume(&opts, argv[optind]);
	if (streq(command, "resume") && optind == argc)
		return cmd_resume_all(&opts);
	if (streq(command, "status") && optind == argc)
		return status_run(&opts);
	if (streq(command, "os") && optind == argc)
		return os_run(&opts);
	/* The staging root's entry point, and a hook for the host test of its contents. */
	if (streq(command, "os-staged") && optind == argc - 1)
		return os_staged(&opts, argv[optind]);
	if (streq(command, "os-staging") && optind == argc - 1)
		return os_staging_tree(&opts, argv[optind]);
	if (streq(command, "import-ade") && optind == argc)
		return import_ade_run(&opts) < 0 ? EXIT_FAILED : EXIT_OK;

	return usage_error(command);
}
