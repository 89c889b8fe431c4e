// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the volume key comes from, and how it is stretched. A key that
 * bekboot or ADE generated (base64 of 127 random bytes) gets PBKDF2 at the
 * minimum: stretching a random key buys nothing, and argon2's memory cost
 * makes small VMs fail at boot. Anything else was chosen by a person and gets
 * argon2id.
 */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "devices.h"
#include "encrypt.h"
#include "fingerprint.h"
#include "keygen.h"
#include "keys.h"
#include "keyvol.h"
#include "log.h"
#include "secmem.h"
#include "util.h"

#define PBKDF2_ITERATIONS     1000
#define ARGON2_TIME_MS	      2000
#define ARGON2_MAX_MEMORY_KIB (256 * 1024) /* still opens on a 1 GiB VM */
#define ARGON2_THREADS	      4

static bool key_is_ade_format(const unsigned char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	/* 127 bytes encode to 170 characters and two '=' of padding. */
	if (len != KEYGEN_KEY_LEN || data[len - 1] != '=' || data[len - 2] != '=')
		return false;
	for (i = 0; i < len - 2; i++) {
		if (!memchr(alphabet, data[i], sizeof(alphabet) - 1))
			return false;
	}
	return true;
}

static int key_from_file(const char *path, struct volume_key *key)
{
	struct key_set set;
	int r;

	key_set_init(&set);
	r = key_set_read(&set, AT_FDCWD, path, "key file");
	if (r < 0) {
		log_error("Failed to read key file %s: %s", path,
			  r == -ELOOP ? "it is a symbolic link" : strerror(-r));
		return r;
	}

	key->data = set.files[0].data;
	key->len = set.files[0].len;
	key->generated = key_is_ade_format(key->data, key->len);
	set.count = 0; /* the key now belongs to @key */
	log_info("Using key file %s (fingerprint %s).", path, set.files[0].fingerprint);
	return 0;
}

static void key_announce(const char *what, const char *name, const char *volume,
			 const struct volume_key *key)
{
	char fingerprint[FINGERPRINT_LEN + 1] = "";

	fingerprint_compute(key->data, key->len, fingerprint);
	log_info("%s key %s on key volume %s (fingerprint %s).", what, name, volume, fingerprint);
}

static bool key_on_volume(const char *volume, const char *name)
{
	struct keyvol_report report = { 0 };
	bool found = false;
	size_t i;

	if (keyvol_inspect(volume, NULL, &report) < 0)
		return false;
	for (i = 0; i < report.n_files; i++)
		found = found || strcasecmp(report.files[i].name, name) == 0;
	keyvol_report_free(&report);
	return found;
}

/*
 * A key that a run stored before it was interrupted is used again, so that
 * running the same command twice never leaves two keys for one volume.
 */
static int key_from_volume(const char *volume, const char *name, struct volume_key *key,
			   bool resume)
{
	int r;

	if (resume || key_on_volume(volume, name)) {
		r = keyvol_read_key(volume, name, &key->data, &key->len);
		if (r < 0)
			return r;
		key->generated = key_is_ade_format(key->data, key->len);
		key_announce("Using", name, volume, key);
		return 0;
	}

	r = keygen_ade_key(&key->data, &key->len);
	if (r < 0) {
		log_error("Failed to generate a key for key file %s: %s", name, strerror(-r));
		return r;
	}
	key->generated = true;

	r = keyvol_add_key(volume, name, key->data, key->len, false);
	if (r < 0) {
		key_release(key);
		return r;
	}
	key_announce("Stored new", name, volume, key);
	return 0;
}

bool key_volume_has_key(const char *volume, const char *name)
{
	return key_on_volume(volume, name);
}

/* The first vfat filesystem labelled as a key volume, as the unlocker would find it. */
static int key_volume_by_label(char *buf, size_t size)
{
	char found[1][DEVICE_PATH_MAX];

	if (device_find_by_label(KEYVOL_LABEL_DEFAULT, "vfat", found, 1) == 0)
		return -ENODEV;
	snprintf(buf, size, "%s", found[0]);
	return 0;
}

int key_volume_find(const struct encrypt_options *opts, char *buf, size_t size)
{
	if (!opts->key_volume) {
		if (key_volume_by_label(buf, size) == 0)
			return 0;
		log_error("No key volume is attached: no vfat filesystem is labelled '%s'; attach "
			  "one or give --key-volume DEVICE.",
			  KEYVOL_LABEL_DEFAULT);
		return -ENODEV;
	}
	if (access(opts->key_volume, R_OK | W_OK) < 0) {
		log_error("Failed to open key volume %s: %m", opts->key_volume);
		return -errno;
	}
	snprintf(buf, size, "%s", opts->key_volume);
	return 0;
}

int key_obtain(const struct encrypt_options *opts, struct volume_plan *plan, struct volume_key *key,
	       bool resume)
{
	_cleanup_free_ char *path = NULL;
	char volume[DEVICE_PATH_MAX];

	if (opts->key_file)
		return key_from_file(opts->key_file, key);
	if (plan->key_path[0]) {
		path = root_path(opts, plan->key_path);
		return path ? key_from_file(path, key) : -ENOMEM;
	}
	if (opts->key_volume)
		return key_from_volume(opts->key_volume, plan->key_name, key, resume);
	if (plan->key_name[0] && key_volume_by_label(volume, sizeof(volume)) == 0)
		return key_from_volume(volume, plan->key_name, key, resume);

	log_error("Volume %s needs a key: give --key-volume DEVICE|IMAGE or --key-file FILE.",
		  plan->name);
	return -ENOKEY;
}

void key_release(struct volume_key *key)
{
	secmem_free(key->data);
	key->data = NULL;
	key->len = 0;
}

int key_set_pbkdf(struct crypt_device *cd, const struct volume_key *key)
{
	struct crypt_pbkdf_type pbkdf2 = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = "sha256",
		.iterations = PBKDF2_ITERATIONS,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct crypt_pbkdf_type argon2id = {
		.type = CRYPT_KDF_ARGON2ID,
		.time_ms = ARGON2_TIME_MS,
		.max_memory_kb = ARGON2_MAX_MEMORY_KIB,
		.parallel_threads = ARGON2_THREADS,
	};

	return crypt_set_pbkdf_type(cd, key->generated ? &pbkdf2 : &argon2id);
}
