// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bekboot-keyvol: make and inspect key volumes, generate keys, and wrap them
 * under a key encryption key for escrow.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "keygen.h"
#include "keyio.h"
#include "keys.h"
#include "keyvol.h"
#include "log.h"
#include "report.h"
#include "secmem.h"
#include "util.h"
#include "wrap.h"

#define PROGRAM "bekboot-keyvol"

#define EXIT_USAGE    2
#define EXIT_PROBLEMS 3

/* Keys on one command line: --key and --generate of create. */
#define CREATE_KEYS_MAX 32

#define COMMON_OPTIONS                            \
	{ "help", no_argument, NULL, 'h' },       \
	{                                         \
		"verbose", no_argument, NULL, 'v' \
	}

static int usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		log_vmessage(LOG_LEVEL_ERROR, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Try '%s%s%s --help'.\n", PROGRAM, command ? " " : "",
		command ? command : "");
	return EXIT_USAGE;
}

static int common_option(int c, const char *command, const char *help)
{
	if (c == 'h') {
		fputs(help, stdout);
		return EXIT_SUCCESS;
	}
	if (c == 'v') {
		log_set_max_level(LOG_LEVEL_DEBUG);
		return -1;
	}
	return usage_error(command, NULL);
}

static const char generate_help[] =
	"Usage: " PROGRAM " generate [--out FILE] [--force]\n"
	"\n"
	"Generate a key in ADE's format: base64 of 127 random bytes, 172 characters,\n"
	"no newline. It goes to FILE (mode 0400), or to standard output when that\n"
	"is not a terminal.\n"
	"\n"
	"  -o, --out FILE  write the key to FILE\n"
	"  -f, --force     replace FILE if it exists\n"
	"  -v, --verbose   log debugging messages\n"
	"  -h, --help      show this help\n";

static int cmd_generate(int argc, char **argv)
{
	static const struct option options[] = { { "out", required_argument, NULL, 'o' },
						 { "force", no_argument, NULL, 'f' },
						 COMMON_OPTIONS,
						 { NULL, 0, NULL, 0 } };
	_cleanup_secmem_ unsigned char *key = NULL;
	char fingerprint[FINGERPRINT_LEN + 1];
	const char *out = NULL;
	bool force = false;
	size_t len = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "o:fhv", options, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'f')
			force = true;
		else if ((r = common_option(c, "generate", generate_help)) >= 0)
			return r;
	}
	if (optind != argc)
		return usage_error("generate", "Unexpected argument %s.", argv[optind]);

	r = keygen_ade_key(&key, &len);
	if (r < 0) {
		log_error("Failed to generate a key: %s", strerror(-r));
		return EXIT_FAILURE;
	}

	r = output_write(out, key, len, 0400, force, true);
	if (r < 0)
		return EXIT_FAILURE;

	fingerprint_compute(key, len, fingerprint);
	log_info("Generated a key with fingerprint %s.", fingerprint);
	return EXIT_SUCCESS;
}

/* Keys named on the command line, in locked memory until the end. */
struct key_list {
	struct keyvol_key keys[CREATE_KEYS_MAX];
	unsigned char *data[CREATE_KEYS_MAX];
	size_t count;
};

static void key_list_clear(struct key_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		secmem_free(list->data[i]);
	memset(list, 0, sizeof(*list));
}

/* NAME=FILE: the key in FILE ("-" for standard input) under NAME. */
static int key_list_read(struct key_list *list, char *spec)
{
	char *file = strchr(spec, '=');
	size_t n = list->count;
	int r;

	if (!file || file == spec || !file[1]) {
		log_error("Key \"%s\" is not of the form NAME=FILE.", spec);
		return -EINVAL;
	}
	if (n == CREATE_KEYS_MAX) {
		log_error("Too many keys: at most %d at a time.", CREATE_KEYS_MAX);
		return -E2BIG;
	}

	*file++ = '\0';
	r = key_input_read(file, &list->data[n], &list->keys[n].len);
	if (r < 0)
		return r;

	list->keys[n].name = spec;
	list->keys[n].data = list->data[n];
	list->count++;
	return 0;
}

static int key_list_generate(struct key_list *list, const char *name)
{
	char fingerprint[FINGERPRINT_LEN + 1];
	size_t n = list->count;
	int r;

	if (n == CREATE_KEYS_MAX) {
		log_error("Too many keys: at most %d at a time.", CREATE_KEYS_MAX);
		return -E2BIG;
	}

	r = keygen_ade_key(&list->data[n], &list->keys[n].len);
	if (r < 0) {
		log_error("Failed to generate key %s: %s", name, strerror(-r));
		return r;
	}

	list->keys[n].name = name;
	list->keys[n].data = list->data[n];
	list->count++;
	fingerprint_compute(list->data[n], list->keys[n].len, fingerprint);
	log_info("Generated key %s with fingerprint %s.", name, fingerprint);
	return 0;
}

static const char create_help[] =
	"Usage: " PROGRAM " create IMAGE|DEVICE [--size MIB] [--label LABEL]\n"
	"                      [--key NAME=FILE]... [--generate NAME]... [--force]\n"
	"\n"
	"Make a vfat key volume on an image file (created) or a block device, with\n"
	"a notice file and the given keys at its root, byte for byte. Nothing is\n"
	"mounted: the volume is made with mkfs.fat and mtools.\n"
	"\n"
	"  -s, --size MIB          size of a new image (default 48, 1 to 1024)\n"
	"  -L, --label LABEL       filesystem label (default \"BEK VOLUME\")\n"
	"  -k, --key NAME=FILE     add the key in FILE (\"-\": standard input) as NAME\n"
	"  -g, --generate NAME     add a new generated key as NAME\n"
	"  -f, --force             replace an image or a filesystem that exists\n"
	"  -v, --verbose           log debugging messages\n"
	"  -h, --help              show this help\n";

struct create_args {
	struct keyvol_create_options options;
	struct key_list keys;
};

/* Returns an exit code, or -1 to go on. */
static int create_option(int c, struct create_args *args)
{
	unsigned long size;

	switch (c) {
	case 's':
		if (parse_uint(optarg, KEYVOL_SIZE_MAX_MIB, &size) < 0 || size == 0)
			return usage_error("create",
					   "Size \"%s\" is not a number of MiB from %d to %d.",
					   optarg, KEYVOL_SIZE_MIN_MIB, KEYVOL_SIZE_MAX_MIB);
		args->options.size_mib = (unsigned)size;
		return -1;
	case 'L':
		args->options.label = optarg;
		return -1;
	case 'k':
		return key_list_read(&args->keys, optarg) < 0 ? EXIT_FAILURE : -1;
	case 'g':
		return key_list_generate(&args->keys, optarg) < 0 ? EXIT_FAILURE : -1;
	case 'f':
		args->options.force = true;
		return -1;
	default:
		return common_option(c, "create", create_help);
	}
}

static int cmd_create(int argc, char **argv)
{
	static const struct option options[] = { { "size", required_argument, NULL, 's' },
						 { "label", required_argument, NULL, 'L' },
						 { "key", required_argument, NULL, 'k' },
						 { "generate", required_argument, NULL, 'g' },
						 { "force", no_argument, NULL, 'f' },
						 COMMON_OPTIONS,
						 { NULL, 0, NULL, 0 } };
	struct create_args args = { 0 };
	int c, r = -1;

	while (r < 0 && (c = getopt_long(argc, argv, "s:L:k:g:fhv", options, NULL)) != -1)
		r = create_option(c, &args);
	if (r < 0 && optind + 1 != argc)
		r = usage_error("create", "Expected one image or device, got %d arguments.",
				argc - optind);
	if (r < 0) {
		args.options.keys = args.keys.keys;
		args.options.n_keys = args.keys.count;
		r = keyvol_create_full(argv[optind], &args.options);
		if (r == 0)
			log_info("Made key volume %s with %zu key files.", argv[optind],
				 args.keys.count);
		r = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}

	key_list_clear(&args.keys);
	return r;
}

static const char inspect_help[] =
	"Usage: " PROGRAM " inspect IMAGE|DEVICE [--json] [--label LABEL]\n"
	"\n"
	"Show a key volume's filesystem, label and files, each file with its size\n"
	"and a short SHA-256 fingerprint (never the key), and what would keep the\n"
	"unlocker from using it. Exits with 3 when there is any warning.\n"
	"\n"
	"  -j, --json          one JSON object instead of text\n"
	"  -L, --label LABEL   the label to expect (default \"BEK VOLUME\")\n"
	"  -v, --verbose       log debugging messages\n"
	"  -h, --help          show this help\n";

static int cmd_inspect(int argc, char **argv)
{
	static const struct option options[] = { { "json", no_argument, NULL, 'j' },
						 { "label", required_argument, NULL, 'L' },
						 COMMON_OPTIONS,
						 { NULL, 0, NULL, 0 } };
	const char *label = KEYVOL_LABEL_DEFAULT;
	struct keyvol_report report;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "jL:hv", options, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'L')
			label = optarg;
		else if ((r = common_option(c, "inspect", inspect_help)) >= 0)
			return r;
	}
	if (optind + 1 != argc)
		return usage_error("inspect", "Expected one image or device, got %d arguments.",
				   argc - optind);

	if (keyvol_inspect(argv[optind], label, &report) < 0)
		return EXIT_FAILURE;

	if (json)
		report_print_json(stdout, argv[optind], label, &report);
	else
		report_print_text(stdout, argv[optind], label, &report);
	r = keyvol_report_problems(&report) ? EXIT_PROBLEMS : EXIT_SUCCESS;
	keyvol_report_free(&report);
	return r;
}

static const char add_help[] =
	"Usage: " PROGRAM " add IMAGE|DEVICE NAME=FILE [--replace]\n"
	"\n"
	"Put the key in FILE (\"-\": standard input) on the key volume as NAME. The\n"
	"key is written under a temporary name and read back before it replaces\n"
	"an old key of that name, so that the volume always holds a usable key.\n"
	"\n"
	"  -r, --replace   replace the key file NAME if it exists\n"
	"  -v, --verbose   log debugging messages\n"
	"  -h, --help      show this help\n";

static int cmd_add(int argc, char **argv)
{
	static const struct option options[] = { { "replace", no_argument, NULL, 'r' },
						 COMMON_OPTIONS,
						 { NULL, 0, NULL, 0 } };
	struct key_list keys = { 0 };
	bool replace = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "rhv", options, NULL)) != -1) {
		if (c == 'r')
			replace = true;
		else if ((r = common_option(c, "add", add_help)) >= 0)
			return r;
	}
	if (optind + 2 != argc)
		return usage_error("add", "Expected IMAGE and NAME=FILE, got %d arguments.",
				   argc - optind);

	r = key_list_read(&keys, argv[optind + 1]);
	if (r == 0)
		r = keyvol_add_key(argv[optind], keys.keys[0].name, keys.keys[0].data,
				   keys.keys[0].len, replace);
	if (r == 0)
		log_info("%s key file %s on %s.", replace ? "Wrote" : "Added", keys.keys[0].name,
			 argv[optind]);
	key_list_clear(&keys);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const char remove_help[] = "Usage: " PROGRAM " remove IMAGE|DEVICE NAME\n"
				  "\n"
				  "Remove key file NAME from the key volume.\n"
				  "\n"
				  "  -v, --verbose   log debugging messages\n"
				  "  -h, --help      show this help\n";

static int cmd_remove(int argc, char **argv)
{
	static const struct option options[] = { COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	int c, r;

	while ((c = getopt_long(argc, argv, "hv", options, NULL)) != -1)
		if ((r = common_option(c, "remove", remove_help)) >= 0)
			return r;
	if (optind + 2 != argc)
		return usage_error("remove", "Expected IMAGE and NAME, got %d arguments.",
				   argc - optind);

	if (keyvol_remove_key(argv[optind], argv[optind + 1]) < 0)
		return EXIT_FAILURE;

	log_info("Removed key file %s from %s.", argv[optind + 1], argv[optind]);
	return EXIT_SUCCESS;
}

static const char wrap_help[] =
	"Usage: " PROGRAM " wrap --kek PUB.pem [--alg RSA-OAEP-256|RSA-OAEP] [--in FILE]\n"
	"                    [--out FILE] [--force]\n"
	"\n"
	"Wrap a key under an RSA key encryption key (KEK) for escrow. The result is\n"
	"a JSON document: {\"alg\", \"kid\" (the SHA-256 of the KEK's DER public key),\n"
	"\"value\" (the RSA-OAEP ciphertext in base64url)}.\n"
	"\n"
	"  -k, --kek FILE   the KEK: an RSA public key (or private key), PEM or DER\n"
	"  -a, --alg ALG    RSA-OAEP-256 (default) or RSA-OAEP (SHA-1)\n"
	"  -i, --in FILE    the key to wrap (default: standard input)\n"
	"  -o, --out FILE   the wrapped document (default: standard output)\n"
	"  -f, --force      replace FILE if it exists\n"
	"  -v, --verbose    log debugging messages\n"
	"  -h, --help       show this help\n";

struct wrap_args {
	const char *kek;
	const char *in;
	const char *out;
	enum wrapped_alg alg;
	bool force;
};

/* Returns an exit code, or -1 to go on. */
static int wrap_option(int c, const char *command, const char *help, struct wrap_args *args)
{
	switch (c) {
	case 'k':
		args->kek = optarg;
		return -1;
	case 'a':
		if (wrapped_alg_parse(optarg, &args->alg) < 0)
			return usage_error(command,
					   "Algorithm \"%s\" is not RSA-OAEP-256 or RSA-OAEP.",
					   optarg);
		return -1;
	case 'i':
		args->in = optarg;
		return -1;
	case 'o':
		args->out = optarg;
		return -1;
	case 'f':
		args->force = true;
		return -1;
	default:
		return common_option(c, command, help);
	}
}

static int wrap_parse(int argc, char **argv, const char *command, const char *help,
		      struct wrap_args *args)
{
	static const struct option options[] = { { "kek", required_argument, NULL, 'k' },
						 { "alg", required_argument, NULL, 'a' },
						 { "in", required_argument, NULL, 'i' },
						 { "out", required_argument, NULL, 'o' },
						 { "force", no_argument, NULL, 'f' },
						 COMMON_OPTIONS,
						 { NULL, 0, NULL, 0 } };
	const char *short_options = streq(command, "wrap") ? "k:a:i:o:fhv" : "k:i:o:fhv";
	int c, r;

	args->alg = WRAPPED_ALG_RSA_OAEP_256;
	while ((c = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
		if (c == 'a' && !streq(command, "wrap"))
			return usage_error(command, "The algorithm is read from the document.");
		r = wrap_option(c, command, help, args);
		if (r >= 0)
			return r;
	}
	if (optind != argc)
		return usage_error(command, "Unexpected argument %s.", argv[optind]);
	if (!args->kek)
		return usage_error(command, "No key encryption key: --kek FILE is needed.");
	return -1;
}

static int cmd_wrap(int argc, char **argv)
{
	_cleanup_secmem_ unsigned char *key = NULL;
	_cleanup_free_ char *document = NULL;
	struct wrap_args args = { 0 };
	size_t len = 0;
	int r;

	r = wrap_parse(argc, argv, "wrap", wrap_help, &args);
	if (r >= 0)
		return r;

	r = key_input_read(args.in, &key, &len);
	if (r == 0)
		r = keyvol_wrap(args.kek, args.alg, key, len, &document);
	if (r == 0)
		r = output_write(args.out, document, strlen(document), 0600, args.force, false);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const char unwrap_help[] =
	"Usage: " PROGRAM " unwrap --kek PRIV.pem [--in FILE] [--out FILE] [--force]\n"
	"\n"
	"Unwrap a key wrapped by '" PROGRAM " wrap' (or by any tool that writes the\n"
	"same document) with the RSA private key encryption key. With the wrong\n"
	"KEK or a damaged document it fails and writes nothing.\n"
	"\n"
	"  -k, --kek FILE   the KEK: an RSA private key, PEM or DER, not encrypted\n"
	"  -i, --in FILE    the wrapped document (default: standard input)\n"
	"  -o, --out FILE   the key, mode 0400 (default: standard output, not a terminal)\n"
	"  -f, --force      replace FILE if it exists\n"
	"  -v, --verbose    log debugging messages\n"
	"  -h, --help       show this help\n";

static int cmd_unwrap(int argc, char **argv)
{
	_cleanup_secmem_ unsigned char *key = NULL;
	_cleanup_free_ char *document = NULL;
	struct wrap_args args = { 0 };
	size_t document_len = 0, len = 0;
	int r;

	r = wrap_parse(argc, argv, "unwrap", unwrap_help, &args);
	if (r >= 0)
		return r;

	r = text_input_read(args.in, WRAPPED_DOCUMENT_MAX, &document, &document_len);
	if (r == 0)
		r = keyvol_unwrap(args.kek, document, document_len,
				  args.in && !streq(args.in, "-") ? args.in : "standard input",
				  &key, &len);
	if (r == 0)
		r = output_write(args.out, key, len, 0400, args.force, true);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const char main_help[] =
	"Usage: " PROGRAM " [--verbose] COMMAND [OPTIONS]\n"
	"\n"
	"Make, inspect and change key volumes, generate keys, and wrap them under a\n"
	"key encryption key for escrow.\n"
	"\n"
	"Commands:\n"
	"  generate   generate a key in ADE's format\n"
	"  create     make a key volume on an image or a device\n"
	"  inspect    show a key volume's label, files and problems\n"
	"  add        put a key file on a key volume\n"
	"  remove     remove a key file from a key volume\n"
	"  wrap       wrap a key under an RSA key encryption key\n"
	"  unwrap     unwrap a wrapped key\n"
	"\n"
	"'" PROGRAM " COMMAND --help' tells more. See " PROGRAM "(8).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "generate", cmd_generate }, { "create", cmd_create }, { "inspect", cmd_inspect },
	{ "add", cmd_add },	      { "remove", cmd_remove }, { "wrap", cmd_wrap },
	{ "unwrap", cmd_unwrap },
};

int main(int argc, char **argv)
{
	int i = 1;
	size_t j;

	log_init(PROGRAM);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			fputs(main_help, stdout);
			return EXIT_SUCCESS;
		}
		if (streq(argv[i], "--version")) {
			printf("%s %s\n", PROGRAM, BEKBOOT_VERSION);
			return EXIT_SUCCESS;
		}
		if (!streq(argv[i], "-v") && !streq(argv[i], "--verbose"))
			return usage_error(NULL, "Unknown option %s.", argv[i]);
		log_set_max_level(LOG_LEVEL_DEBUG);
	}
	if (i == argc)
		return usage_error(NULL, "No command given.");

	for (j = 0; j < ARRAY_SIZE(commands); j++)
		if (streq(argv[i], commands[j].name))
			return commands[j].run(argc - i, argv + i);

	return usage_error(NULL, "Unknown command %s.", argv[i]);
}
