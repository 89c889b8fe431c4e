// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A header that libcryptsetup left unfinished. A run stopped after the last
 * hotzone is committed but before libcryptsetup 2.6.1 clears the
 * reencryption from the header cannot be resumed by libcryptsetup: for a
 * header with one data segment it computes the next hotzone at offset 0 and
 * fails, and its API can drop neither the requirement nor the backup
 * segments. Every byte is encrypted by then and the key still gives the
 * volume key, so a new header takes the old one's place: the same volume
 * key, UUID, label, cipher, sector size, data offset and area sizes, and a
 * keyslot for the key given, stretched as a new one would be. Keyslots for
 * other keys and tokens are not carried over.
 */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "encrypt.h"
#include "log.h"
#include "reencrypt_progress.h"
#include "secmem.h"
#include "util.h"

#define WIPE_BLOCK_SIZE (1 << 20)

/* What the new header copies from the old one. */
struct header_spec {
	struct reencrypt_final final;
	char cipher[32];
	const char *cipher_mode;
	const char *uuid;
	const char *label;
	const char *subsystem;
	uint64_t metadata_size;
	uint64_t keyslots_size;
	int keyslot;
	unsigned char *volume_key; /* locked memory */
	size_t volume_key_len;
	const struct volume_key *key;
	const char *device;
};

static void crypt_freep(struct crypt_device **cd)
{
	crypt_free(*cd);
}

/* "aes-xts-plain64" is cipher "aes" in mode "xts-plain64". */
static int spec_cipher(struct header_spec *spec)
{
	const char *dash = strchr(spec->final.encryption, '-');

	if (!dash || (size_t)(dash - spec->final.encryption) >= sizeof(spec->cipher))
		return -EINVAL;
	snprintf(spec->cipher, sizeof(spec->cipher), "%.*s", (int)(dash - spec->final.encryption),
		 spec->final.encryption);
	spec->cipher_mode = dash + 1;
	return 0;
}

static int spec_volume_key(struct crypt_device *cd, struct header_spec *spec)
{
	size_t len = (size_t)crypt_get_volume_key_size(cd);
	int r;

	spec->volume_key = len ? secmem_alloc(len) : NULL;
	if (!spec->volume_key)
		return len ? -ENOMEM : -EINVAL;

	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *)spec->volume_key, &len,
				 (const char *)spec->key->data, spec->key->len);
	if (r < 0)
		return r;
	spec->keyslot = r;
	spec->volume_key_len = len;
	return 0;
}

static int spec_read(struct crypt_device *cd, const struct volume_plan *plan,
		     struct header_spec *spec)
{
	int r;

	r = spec_cipher(spec);
	if (r == 0)
		r = crypt_get_metadata_size(cd, &spec->metadata_size, &spec->keyslots_size);
	if (r == 0)
		r = spec_volume_key(cd, spec);
	if (r == -EPERM)
		log_error("The key does not open %s.", plan->device);
	else if (r < 0)
		log_error("Failed to read the volume key and parameters of %s: %s", plan->device,
			  strerror(-r));

	spec->uuid = crypt_get_uuid(cd);
	spec->label = crypt_get_label(cd);
	spec->subsystem = crypt_get_subsystem(cd);
	spec->device = plan->device;
	return r;
}

static int format_new(struct crypt_device *cd, const struct header_spec *spec)
{
	struct crypt_params_luks2 luks2 = {
		.sector_size = spec->final.sector_size,
		.label = spec->label && *spec->label ? spec->label : NULL,
		.subsystem = spec->subsystem && *spec->subsystem ? spec->subsystem : NULL,
	};
	int r;

	r = key_set_pbkdf(cd, spec->key);
	if (r == 0)
		r = crypt_set_metadata_size(cd, spec->metadata_size, spec->keyslots_size);
	if (r == 0)
		r = crypt_set_data_offset(cd, spec->final.offset / 512);
	if (r == 0)
		r = crypt_format(cd, CRYPT_LUKS2, spec->cipher, spec->cipher_mode, spec->uuid,
				 (const char *)spec->volume_key, spec->volume_key_len, &luks2);
	if (r == 0)
		r = crypt_keyslot_add_by_volume_key(
			cd, spec->keyslot, (const char *)spec->volume_key, spec->volume_key_len,
			(const char *)spec->key->data, spec->key->len);
	return r < 0 ? r : 0;
}

/* luks_header_build_t: the new header in @path, checked against what it replaces. */
static int header_build(const char *path, void *userdata)
{
	const struct header_spec *spec = userdata;
	struct crypt_device *cd __attribute__((cleanup(crypt_freep))) = NULL;
	int r;

	r = crypt_init_data_device(&cd, path, spec->device);
	if (r == 0)
		r = format_new(cd, spec);
	if (r == 0 && (crypt_get_data_offset(cd) * 512 != spec->final.offset ||
		       (uint32_t)crypt_get_sector_size(cd) != spec->final.sector_size))
		r = -EINVAL;
	if (r < 0)
		log_error("Failed to write a new LUKS2 header for %s into %s: %s", spec->device,
			  path, strerror(-r));
	return r;
}

static void dropped_report(struct crypt_device *cd, const struct header_spec *spec)
{
	unsigned keyslots = 0, tokens = 0;
	int i;

	for (i = 0; i < crypt_keyslot_max(CRYPT_LUKS2); i++) {
		crypt_keyslot_info info = crypt_keyslot_status(cd, i);

		if (i != spec->keyslot &&
		    (info == CRYPT_SLOT_ACTIVE || info == CRYPT_SLOT_ACTIVE_LAST))
			keyslots++;
	}
	for (i = 0; crypt_token_status(cd, i, NULL) != CRYPT_TOKEN_INVALID; i++)
		tokens += crypt_token_status(cd, i, NULL) != CRYPT_TOKEN_INACTIVE;

	if (keyslots || tokens)
		log_warn("The new header of %s drops the old one's %u other keyslot(s) and %u "
			 "token(s); add those keys again with cryptsetup luksAddKey.",
			 spec->device, keyslots, tokens);
}

/*
 * The plaintext copy of the moved first segment, at the end of the device,
 * is wiped as libcryptsetup would have; it is not needed any more, and
 * before the new header is in place a crash only means doing it again.
 */
static int moved_segment_wipe(struct crypt_device *cd, const struct header_spec *spec)
{
	int r;

	if (!spec->final.moved_size)
		return 0;
	r = crypt_wipe(cd, spec->device, CRYPT_WIPE_RANDOM, spec->final.moved_offset,
		       spec->final.moved_size, WIPE_BLOCK_SIZE, 0, NULL, NULL);
	if (r < 0)
		log_error("Failed to wipe the moved segment at the end of %s: %s", spec->device,
			  strerror(-r));
	return r;
}

int luks_finish(struct crypt_device *cd, const struct encrypt_options *opts,
		const struct volume_plan *plan, const struct volume_key *key)
{
	struct header_spec spec = { .key = key };
	int r;

	if (reencrypt_final_segment(cd, &spec.final) < 0)
		return 0;
	log_warn("All of %s is encrypted, but the run stopped before libcryptsetup finished its "
		 "LUKS2 header; writing a new header with the same volume key and the key given "
		 "only.",
		 plan->device);

	r = spec_read(cd, plan, &spec);
	if (r == 0) {
		dropped_report(cd, &spec);
		r = moved_segment_wipe(cd, &spec);
	}
	if (r == 0)
		r = luks_header_install(opts, plan, header_build, &spec);

	secmem_free(spec.volume_key);
	return r < 0 ? r : 1;
}
