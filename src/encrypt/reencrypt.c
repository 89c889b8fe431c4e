// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LUKS2 side: format, initialise the reencryption, run it. All state of
 * an encryption in progress lives in the LUKS2 header, so that running again
 * after a crash resumes where it stopped.
 *
 * Data shift mode prepares the header in a staging file first, because
 * libcryptsetup moves the first segment of the data to the end of the device
 * (into the room the shrink made) while it initialises; only then may the
 * header overwrite the head of the device. The staging file is kept, with
 * the name of its device beside it, until the header is in place, so that a
 * crash while the header is written is repaired by writing it again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "encrypt.h"
#include "log.h"
#include "util.h"

#define CIPHER	    "aes"
#define CIPHER_MODE "xts-plain64"

static void cryptp(struct crypt_device **cd)
{
	crypt_free(*cd);
}

#define _cleanup_crypt_ __attribute__((cleanup(cryptp)))

static void cryptsetup_log(int level, const char *msg, void *userdata)
{
	switch (level) {
	case CRYPT_LOG_ERROR:
		log_error("%s", msg);
		break;
	case CRYPT_LOG_NORMAL:
		log_info("%s", msg);
		break;
	default:
		log_debug("%s", msg);
		break;
	}
}

void luks_log_setup(void)
{
	crypt_set_log_callback(NULL, cryptsetup_log, NULL);
	if (log_get_max_level() >= LOG_LEVEL_DEBUG)
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
}

static int staging_paths(const struct encrypt_options *opts, const char *uuid, char **ret_header,
			 char **ret_device)
{
	_cleanup_free_ char *dir = root_path(opts, STAGING_DIR);

	if (!dir)
		return -ENOMEM;
	if (asprintf(ret_header, "%s/%s.header", dir, uuid) < 0)
		return -ENOMEM;
	if (asprintf(ret_device, "%s/%s.device", dir, uuid) < 0) {
		free(*ret_header);
		return -ENOMEM;
	}
	return 0;
}

static int sync_device(const char *device)
{
	_cleanup_close_ int fd = open(device, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static int header_place(const char *staging, const char *device)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	int r;

	r = crypt_init(&cd, device);
	if (r == 0)
		r = crypt_header_restore(cd, CRYPT_LUKS2, staging);
	if (r == 0)
		r = sync_device(device);
	if (r < 0)
		log_error("Failed to write the LUKS2 header to the head of %s: %s", device,
			  strerror(-r));
	return r;
}

enum staging_kind {
	STAGING_NONE, /* no usable header: nothing was written to the device from it */
	STAGING_INIT, /* a header initialised for the encryption, from luks_initialize() */
	STAGING_FINAL, /* a finished header, from luks_finish() */
};

/*
 * What staging header @path holds. A header appears under that name only
 * once it is complete (luks_header_install), so it either starts an
 * encryption or is a finished one with a keyslot.
 */
static enum staging_kind staging_kind(const char *path, const char *device)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	int slot;

	if (crypt_init_data_device(&cd, path, device) < 0 || crypt_load(cd, CRYPT_LUKS2, NULL) < 0)
		return STAGING_NONE;
	if (crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE)
		return STAGING_INIT;
	for (slot = 0; slot < crypt_keyslot_max(CRYPT_LUKS2); slot++) {
		crypt_keyslot_info info = crypt_keyslot_status(cd, slot);

		if (info == CRYPT_SLOT_ACTIVE || info == CRYPT_SLOT_ACTIVE_LAST)
			return STAGING_FINAL;
	}
	return STAGING_NONE;
}

/* The moved segment is still intact while the staging file exists. */
static int staging_moved_copy(const struct encrypt_options *opts, const char *uuid,
			      const char *device)
{
	struct volume_plan plan = { 0 };

	snprintf(plan.device, sizeof(plan.device), "%s", device);
	snprintf(plan.luks_uuid, sizeof(plan.luks_uuid), "%s", uuid);
	return moved_copy_save(opts, &plan);
}

/*
 * Until the staging file is removed, no encryption step has run (or, for a
 * finished header, none is left), so a complete staging header is always
 * the truth: write it again, whatever a half-written copy on the device may
 * look like.
 */
static int staging_recover_one(const struct encrypt_options *opts, const char *uuid,
			       const char *device)
{
	_cleanup_free_ char *header = NULL, *sidecar = NULL, *owner = NULL;
	enum staging_kind kind;
	int r;

	r = staging_paths(opts, uuid, &header, &sidecar);
	if (r < 0 || read_text_file(sidecar, PATH_MAX, &owner, NULL) < 0 || !streq(owner, device))
		return r;

	kind = staging_kind(header, device);
	if (kind != STAGING_NONE) {
		log_warn("Writing the LUKS2 header that an interrupted run prepared for %s again.",
			 device);
		if (kind == STAGING_INIT)
			r = staging_moved_copy(opts, uuid, device);
		if (r == 0)
			r = header_place(header, device);
		if (r < 0)
			return r;
	}

	unlink(header);
	unlink(sidecar);
	return 0;
}

int luks_staging_recover(const struct encrypt_options *opts, const char *device)
{
	_cleanup_free_ char *dir = root_path(opts, STAGING_DIR);
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = dir ? opendir(dir) : NULL;
	if (!d)
		return 0;

	while (r == 0 && (de = readdir(d))) {
		char uuid[40];
		size_t n = strlen(de->d_name);

		if (n < 8 || n - 7 >= sizeof(uuid) || !streq(de->d_name + n - 7, ".device"))
			continue;
		snprintf(uuid, sizeof(uuid), "%.*s", (int)(n - 7), de->d_name);
		r = staging_recover_one(opts, uuid, device);
	}

	closedir(d);
	return r;
}

static int luks_format(struct crypt_device *cd, const struct volume_plan *plan,
		       const struct volume_key *key, struct crypt_params_luks2 *luks2)
{
	int r;

	r = key_set_pbkdf(cd, key);
	if (r == 0 && plan->mode != MODE_DETACHED)
		r = crypt_set_data_offset(cd, SHIFT_HEADER_SIZE / 512);
	if (r == 0)
		r = crypt_format(cd, CRYPT_LUKS2, CIPHER, CIPHER_MODE, plan->luks_uuid, NULL,
				 KEY_SIZE_BYTES, luks2);
	if (r < 0) {
		log_error("Failed to format the LUKS2 header for %s: %s", plan->device,
			  strerror(-r));
		return r;
	}

	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, KEY_SIZE_BYTES,
					    (const char *)key->data, key->len);
	if (r < 0)
		log_error("Failed to add the key to the LUKS2 header for %s: %s", plan->device,
			  strerror(-r));
	return r;
}

/* Format @header for @plan's device and initialise the reencryption in it. */
static int luks_prepare(const struct encrypt_options *opts, const struct volume_plan *plan,
			const struct volume_key *key, const char *header)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	struct crypt_params_luks2 luks2 = {
		.sector_size = plan->sector_size,
		.label = plan->name,
	};
	struct crypt_params_reencrypt params = {
		.mode = CRYPT_REENCRYPT_ENCRYPT,
		.direction = CRYPT_REENCRYPT_FORWARD,
		.resilience = opts->resilience ?: "checksum",
		.hash = "sha256",
		.max_hotzone_size = opts->hotzone_size / 512,
		.luks2 = &luks2,
		.flags = CRYPT_REENCRYPT_INITIALIZE_ONLY,
	};
	int slot, r;

	if (plan->mode != MODE_DETACHED) {
		params.direction = CRYPT_REENCRYPT_BACKWARD;
		params.resilience = "datashift";
		params.hash = NULL;
		params.data_shift = SHIFT_HEADER_SIZE / 512;
		params.flags |= CRYPT_REENCRYPT_MOVE_FIRST_SEGMENT;
	}

	r = crypt_init_data_device(&cd, header, plan->device);
	if (r < 0) {
		log_error("Failed to open %s for the new header: %s", header, strerror(-r));
		return r;
	}

	slot = luks_format(cd, plan, key, &luks2);
	if (slot < 0)
		return slot;

	r = crypt_reencrypt_init_by_passphrase(cd, NULL, (const char *)key->data, key->len,
					       CRYPT_ANY_SLOT, slot, CIPHER, CIPHER_MODE, &params);
	if (r < 0)
		log_error("Failed to initialise the encryption of %s: %s", plan->device,
			  strerror(-r));
	return r < 0 ? r : 0;
}

/* libcryptsetup wants the header file to exist before it formats it. */
static int header_file_create(const char *path)
{
	_cleanup_close_ int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		log_error("Failed to create header file %s: %m", path);
		return -errno;
	}
	return 0;
}

/* Build a header in @path.new with @build, and give it the name @path once complete. */
static int header_file_build(const char *path, luks_header_build_t build, void *userdata)
{
	char tmp[PATH_MAX + 8];
	int r;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	r = header_file_create(tmp);
	if (r == 0)
		r = build(tmp, userdata);
	if (r == 0)
		r = sync_device(tmp);
	if (r == 0 && rename(tmp, path) < 0) {
		r = -errno;
		log_error("Failed to move header file %s into place: %m", tmp);
	}
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/*
	 * The rename must reach the disk before the next step names the header:
	 * on another filesystem (crypttab on /, the header on /boot) nothing else
	 * commits it.
	 */
	r = fsync_parent(path);
	if (r < 0)
		log_error("Failed to sync the directory of header file %s: %s", path, strerror(-r));
	return r;
}

/* The staging file, with the device's name beside it, then the header at the head. */
static int install_staged(const struct encrypt_options *opts, const struct volume_plan *plan,
			  luks_header_build_t build, void *userdata)
{
	_cleanup_free_ char *header = NULL, *sidecar = NULL, *dir = root_path(opts, STAGING_DIR);
	int r;

	r = dir ? staging_paths(opts, plan->luks_uuid, &header, &sidecar) : -ENOMEM;
	if (r == 0)
		r = mkdir_parents(dir, 0700);
	if (r == 0)
		r = write_file_atomic(sidecar, plan->device, strlen(plan->device), 0600);
	if (r < 0) {
		log_error("Failed to prepare staging directory %s: %s", dir, strerror(-r));
		return r;
	}

	r = header_file_build(header, build, userdata);
	if (r == 0)
		r = header_place(header, plan->device);
	if (r == 0) {
		unlink(header);
		unlink(sidecar);
	}
	return r;
}

int luks_header_install(const struct encrypt_options *opts, const struct volume_plan *plan,
			luks_header_build_t build, void *userdata)
{
	if (plan->mode == MODE_DETACHED || plan->header_file[0])
		return header_file_build(plan->header_file, build, userdata);
	return install_staged(opts, plan, build, userdata);
}

struct prepare_context {
	const struct encrypt_options *opts;
	const struct volume_plan *plan;
	const struct volume_key *key;
};

/*
 * Initialising moves the first segment to the end of the device (data shift
 * mode); the copy of it is kept before the header can overwrite the head.
 */
static int header_prepare(const char *path, void *userdata)
{
	const struct prepare_context *ctx = userdata;
	int r;

	r = luks_prepare(ctx->opts, ctx->plan, ctx->key, path);
	if (r < 0 || ctx->plan->mode == MODE_DETACHED)
		return r;

	r = sync_device(ctx->plan->device);
	if (r == 0)
		r = moved_copy_save(ctx->opts, ctx->plan);
	return r;
}

int luks_initialize(const struct encrypt_options *opts, const struct volume_plan *plan,
		    const struct volume_key *key)
{
	struct prepare_context ctx = { .opts = opts, .plan = plan, .key = key };

	log_info("Writing the LUKS2 header for %s (%s, %u-byte sectors).", plan->device,
		 plan->mode == MODE_DETACHED ? "detached header" : "header at the head",
		 plan->sector_size);
	return luks_header_install(opts, plan, header_prepare, &ctx);
}

/*
 * After a crash, replay or roll back the hotzone that was being written.
 * For the last hotzone of data shift mode, libcryptsetup replays from the
 * moved segment, which moved_copy_restore() has made whole again first.
 */
static int reencrypt_recover(struct crypt_device *cd, const struct volume_plan *plan,
			     const struct volume_key *key)
{
	struct crypt_params_reencrypt params = { .flags = CRYPT_REENCRYPT_RECOVERY };
	int r;

	if (crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_CRASH)
		return 0;

	log_info("Recovering the interrupted encryption step of %s.", plan->device);
	r = crypt_reencrypt_init_by_passphrase(cd, NULL, (const char *)key->data, key->len,
					       CRYPT_ANY_SLOT, CRYPT_ANY_SLOT, NULL, NULL, &params);
	if (r < 0)
		log_error("Failed to recover the interrupted encryption of %s: %s", plan->device,
			  strerror(-r));
	return r < 0 ? r : 0;
}

/*
 * A volume whose mapping is active (the root, opened by the unlocker) is
 * encrypted online, through the mapping; libcryptsetup refuses to touch a
 * device in use offline.
 */
static const char *mapping_active(const struct volume_plan *plan)
{
	char node[MAPPING_NAME_MAX + 16];
	crypt_status_info status;

	/* Without the node there is no mapping: device-mapper need not even be there. */
	snprintf(node, sizeof(node), "/dev/mapper/%s", plan->name);
	if (access(node, F_OK) < 0)
		return NULL;
	status = crypt_status(NULL, plan->name);

	return status == CRYPT_ACTIVE || status == CRYPT_BUSY ? plan->name : NULL;
}

static int reencrypt_load(struct crypt_device *cd, const struct encrypt_options *opts,
			  const struct volume_plan *plan, const struct volume_key *key)
{
	struct crypt_params_reencrypt params = {
		.max_hotzone_size = opts->hotzone_size / 512,
		.flags = CRYPT_REENCRYPT_RESUME_ONLY,
	};
	int r;

	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (r < 0) {
		log_error("Failed to load the LUKS2 header of %s: %s", plan->device, strerror(-r));
		return r;
	}

	r = luks_finish(cd, opts, plan, key);
	if (r != 0)
		return r;

	if (!plan->header_file[0] && crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE)
		r = moved_copy_restore(opts, plan);
	if (r == 0)
		r = reencrypt_recover(cd, plan, key);
	if (r < 0)
		return r;
	/* Recovering the last hotzone finishes the encryption, or leaves it to luks_finish(). */
	if (crypt_reencrypt_status(cd, NULL) == CRYPT_REENCRYPT_NONE)
		return 1;
	r = luks_finish(cd, opts, plan, key);
	if (r != 0)
		return r;

	r = crypt_reencrypt_init_by_passphrase(cd, mapping_active(plan), (const char *)key->data,
					       key->len, CRYPT_ANY_SLOT, CRYPT_ANY_SLOT, NULL, NULL,
					       &params);
	if (r == -EPERM)
		log_error("The key does not open %s.", plan->device);
	else if (r < 0)
		log_error("Failed to resume the encryption of %s: %s", plan->device, strerror(-r));
	return r < 0 ? r : 0;
}

int luks_resume(const struct encrypt_options *opts, const struct volume_plan *plan,
		const struct volume_key *key)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	const char *header = plan->header_file[0] ? plan->header_file : plan->device;
	int r;

	r = crypt_init_data_device(&cd, header, plan->device);
	if (r < 0) {
		log_error("Failed to open %s: %s", header, strerror(-r));
		return r;
	}

	r = reencrypt_load(cd, opts, plan, key);
	if (r < 0)
		return r;
	if (r > 0)
		goto done;

	if (mapping_active(plan))
		log_info("Encrypting %s online, through /dev/mapper/%s.", plan->device, plan->name);
	progress_init(plan->name);
	r = crypt_reencrypt_run(cd, progress_report, NULL);
	progress_finish();
	if (r < 0) {
		log_error("Failed to encrypt %s: %s", plan->device, strerror(-r));
		return r;
	}
	if (progress_interrupted()) {
		log_warn(
			"Stopped encrypting %s at a safe point; run bekboot-encrypt resume %s to continue.",
			plan->device, plan->name);
		return -EINTR;
	}

done:
	moved_copy_remove(opts, plan);
	log_info("%s: encryption complete; %s opens as /dev/mapper/%s.", plan->name, plan->device,
		 plan->name);
	return 0;
}
