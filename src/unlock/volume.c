// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Open one volume with libcryptsetup: load its header, keep to the keyslots
 * whose KDF fits in memory, and try the candidate keys in order.
 */
#include <errno.h>
#include <json-c/linkhash.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "reencrypt_progress.h"
#include "unlock.h"
#include "util.h"

/* Room left for the rest of the boot while a keyslot's KDF runs. */
#define MEMORY_HEADROOM_KIB (32 * 1024)

static bool crypt_verbose;

static void crypt_log_bridge(int level, const char *msg, void *usrptr)
{
	/* libcryptsetup's lines are details: bekboot's own say what failed. */
	if (crypt_verbose || level == CRYPT_LOG_DEBUG)
		log_message(LOG_LEVEL_DEBUG, "libcryptsetup: %s", msg);
}

void volume_crypt_init(bool verbose)
{
	/*
	 * libcryptsetup parses LUKS2 headers with json-c, whose default string
	 * hash takes a random seed on first use. Early at boot, before the
	 * kernel's random pool is ready, json-c falls back to reading
	 * /dev/urandom, and the kernel makes that read wait until it has
	 * gathered entropy: about a second under emulation. The Perl-like hash
	 * needs no seed; the documents it hashes are small headers.
	 */
	json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);

	crypt_verbose = verbose;
	crypt_set_log_callback(NULL, crypt_log_bridge, NULL);
	if (verbose && log_get_max_level() >= LOG_LEVEL_DEBUG)
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
}

bool mapping_active(const char *name)
{
	crypt_status_info status = crypt_status(NULL, name);

	return status == CRYPT_ACTIVE || status == CRYPT_BUSY;
}

int mapping_remove(const char *name)
{
	return crypt_deactivate(NULL, name);
}

static int volume_load(struct volume *vol, struct crypt_device **ret)
{
	const char *metadata = vol->header[0] ? vol->header : vol->device;
	struct crypt_device *cd = NULL;
	int r;

	r = crypt_init_data_device(&cd, metadata, vol->device);
	if (r == 0)
		r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		log_error("Failed to load the LUKS header of volume %s from %s: %s",
			  vol->entry->name, metadata,
			  r == -EINVAL ? "not a LUKS header" : strerror(-r));
		vol->cause = vol->header[0] ? CAUSE_HEADER : CAUSE_OTHER;
		crypt_free(cd);
		return r;
	}

	*ret = cd;
	return 0;
}

static uint64_t keyslot_memory_kib(struct crypt_device *cd, int slot)
{
	struct crypt_pbkdf_type pbkdf;

	if (crypt_keyslot_get_pbkdf(cd, slot, &pbkdf) < 0 || !pbkdf.type)
		return 0;
	return streq(pbkdf.type, CRYPT_KDF_PBKDF2) ? 0 : pbkdf.max_memory_kb;
}

static bool keyslot_active(struct crypt_device *cd, int slot)
{
	crypt_keyslot_info info = crypt_keyslot_status(cd, slot);

	return info == CRYPT_SLOT_ACTIVE || info == CRYPT_SLOT_ACTIVE_LAST;
}

/*
 * Mark in @usable the keyslots whose KDF fits in @available KiB; returns how
 * many there are. The cheapest one that does not fit is kept in @ret_min.
 */
static int keyslots_usable(struct crypt_device *cd, uint64_t available, bool *usable,
			   int *ret_slot_min, uint64_t *ret_min, uint64_t *ret_max)
{
	int slot, n = 0, max = crypt_keyslot_max(crypt_get_type(cd));

	*ret_min = UINT64_MAX;
	*ret_max = 0;
	for (slot = 0; slot < max; slot++) {
		uint64_t need;

		usable[slot] = false;
		if (!keyslot_active(cd, slot))
			continue;
		need = keyslot_memory_kib(cd, slot);
		if (need < *ret_min) {
			*ret_min = need;
			*ret_slot_min = slot;
		}
		if (need + MEMORY_HEADROOM_KIB > available && need > 0)
			continue;
		usable[slot] = true;
		if (need > *ret_max)
			*ret_max = need;
		n++;
	}

	return n;
}

static void memory_refusal(struct volume *vol, int slot, uint64_t need, uint64_t available)
{
	vol->memory_slot = slot;
	vol->memory_need_kib = need;
	vol->memory_available_kib = available;
	vol->cause = CAUSE_MEMORY;
	log_debug("Keyslot %d of %s needs %llu KiB for its KDF; %llu KiB are available.", slot,
		  vol->device, (unsigned long long)need, (unsigned long long)available);
}

static int volume_keyslots(struct volume *vol, struct crypt_device *cd, bool *usable)
{
	uint64_t available = UINT64_MAX, min, max;
	int slot_min = -1;

	if (mem_available_kib(&available) < 0)
		available = UINT64_MAX;

	if (keyslots_usable(cd, available, usable, &slot_min, &min, &max) > 0) {
		vol->kdf_memory_kib = max;
		return 0;
	}
	if (slot_min < 0) {
		log_error("Volume %s (%s) has no active keyslot.", vol->entry->name, vol->device);
		vol->cause = CAUSE_NO_KEY_OPENS;
		return -ENOKEY;
	}

	memory_refusal(vol, slot_min, min, available);
	return -ENOMEM;
}

int volume_probe_memory(struct volume *vol)
{
	bool usable[64];
	struct crypt_device *cd;
	int r;

	r = volume_load(vol, &cd);
	if (r < 0)
		return r;

	vol->reencrypting = crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE;
	if (vol->reencrypting &&
	    reencrypt_progress(cd, &vol->reencrypt_done, &vol->reencrypt_total) < 0)
		vol->reencrypt_total = 0;
	r = volume_keyslots(vol, cd, usable);
	crypt_free(cd);
	return r;
}

static uint32_t activation_flags(const struct crypttab_entry *e)
{
	uint32_t flags = 0;

	if (e->readonly)
		flags |= CRYPT_ACTIVATE_READONLY;
	if (e->discard)
		flags |= CRYPT_ACTIVATE_ALLOW_DISCARDS;
	return flags;
}

/* Try @key on every usable keyslot: 0 when it opens, -EPERM when it does not. */
static int key_try(struct crypt_device *cd, const struct volume *vol, const bool *usable,
		   const struct key_file *key, const char *name)
{
	int slot, max = crypt_keyslot_max(crypt_get_type(cd)), r = -EPERM;

	for (slot = 0; slot < max; slot++) {
		if (!usable[slot])
			continue;
		r = crypt_activate_by_passphrase(cd, name, slot, (const char *)key->data, key->len,
						 activation_flags(vol->entry));
		if (r >= 0)
			return 0;
		if (r != -EPERM && r != -ENOENT)
			return r;
	}

	return -EPERM;
}

static size_t volume_candidates(const struct unlock_context *ctx, const struct volume *vol,
				size_t ret[KEY_SET_MAX])
{
	size_t i;

	if (!ctx->keys_for_all)
		return key_candidates(&ctx->keys, vol->entry->key ? vol->entry->key : "", ret);

	for (i = 0; i < ctx->keys.count; i++)
		ret[i] = i;
	return ctx->keys.count;
}

static int volume_try_keys(const struct unlock_context *ctx, struct volume *vol,
			   struct crypt_device *cd, const bool *usable)
{
	const char *name = ctx->opts.test ? NULL : vol->entry->name;
	size_t candidates[KEY_SET_MAX], n, i;
	int r;

	n = volume_candidates(ctx, vol, candidates);
	for (i = 0; i < n; i++) {
		const struct key_file *key = &ctx->keys.files[candidates[i]];

		r = key_try(cd, vol, usable, key, name);
		if (r == 0) {
			vol->key = key;
			return 0;
		}
		if (r != -EPERM) {
			log_error("Failed to activate volume %s (%s): %s", vol->entry->name,
				  vol->device, strerror(-r));
			vol->cause = r == -ENOMEM ? CAUSE_MEMORY : CAUSE_OTHER;
			return r;
		}
		log_debug("Key %s (%s) does not open volume %s.", key->name, key->fingerprint,
			  vol->entry->name);
	}

	vol->cause = n == 0 ? CAUSE_NO_KEY_FILE : CAUSE_NO_KEY_OPENS;
	return -ENOKEY;
}

int volume_open(struct unlock_context *ctx, struct volume *vol)
{
	uint64_t start = now_ms();
	struct crypt_device *cd;
	bool usable[64];
	int r;

	r = volume_load(vol, &cd);
	if (r < 0)
		return r;

	vol->reencrypting = crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE;
	r = volume_keyslots(vol, cd, usable);
	if (r == 0)
		r = volume_try_keys(ctx, vol, cd, usable);

	crypt_free(cd);
	vol->elapsed_ms = now_ms() - start;
	vol->opened = r == 0;
	return r;
}
