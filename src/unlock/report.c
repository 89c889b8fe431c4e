// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The last step: one line per volume, the exit code of the first volume
 * that the boot needed and did not get, and the text for the rescue shell.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "key_volume.h"
#include "log.h"
#include "unlock.h"
#include "util.h"

const char *cause_describe(enum unlock_cause cause)
{
	switch (cause) {
	case CAUSE_NONE:
		return "opened";
	case CAUSE_NO_KEY_VOLUME:
		return "no key volume was found within the timeout";
	case CAUSE_NO_KEY_FILE:
		return "the key volume holds no key file for it";
	case CAUSE_NO_KEY_OPENS:
		return "no key file opens it";
	case CAUSE_DEVICE_ABSENT:
		return "its device is not present";
	case CAUSE_HEADER:
		return "its LUKS header is absent or unreadable";
	case CAUSE_MODULE:
		return "a kernel module it needs is missing";
	case CAUSE_MEMORY:
		return "its keyslot needs more memory than the machine has";
	case CAUSE_CONFIG:
		return "the configuration is invalid";
	default:
		return "opening it failed";
	}
}

static void report_opened(const struct unlock_context *ctx, const struct volume *vol)
{
	const char *kind = vol->entry->root ? "root volume" : "volume";

	log_info("%s %s %s (%s) with key %s [%s] from %s in %llu ms%s.",
		 ctx->opts.test ? "Key would open" : "Opened", kind, vol->entry->name, vol->device,
		 vol->key->name, vol->key->fingerprint, vol->key->source,
		 (unsigned long long)vol->elapsed_ms,
		 vol->reencrypting ? " (reencryption in progress)" : "");
}

/* Where the keys were looked for, for messages. */
static const char *key_place(const struct unlock_context *ctx)
{
	static char place[DEVICE_PATH_MAX + 32];

	if (ctx->opts.key_dir)
		snprintf(place, sizeof(place), "key directory %s", ctx->opts.key_dir);
	else if (ctx->key_volume_count > 0)
		snprintf(place, sizeof(place), "key volume %s", ctx->key_volumes[0]);
	else
		snprintf(place, sizeof(place), "the key volume");
	return place;
}

static void failure_reason(const struct unlock_context *ctx, const struct volume *vol, char *buf,
			   size_t size)
{
	if (vol->cause == CAUSE_NO_KEY_VOLUME)
		snprintf(buf, size, "no key volume labelled \"%s\" appeared within %u s",
			 ctx->boot.label,
			 ctx->opts.timeout_set ? ctx->opts.timeout : ctx->boot.timeout);
	else if (vol->cause == CAUSE_NO_KEY_FILE && ctx->key_volume_unreadable)
		snprintf(buf, size, "the key volume %s could not be read", ctx->key_volumes[0]);
	else if (vol->cause == CAUSE_NO_KEY_FILE && vol->entry->key_kind == KEY_KIND_BEK)
		snprintf(buf, size, "no usable key file %s (nor any *%s*) in %s", vol->entry->key,
			 KEY_BASE_NAME, key_place(ctx));
	else if (vol->cause == CAUSE_MEMORY && vol->memory_need_kib)
		snprintf(
			buf, size,
			"keyslot %d needs %llu MiB of memory for its key derivation, but only %llu "
			"MiB are available; add a keyslot with a cheaper KDF, for example: "
			"cryptsetup luksAddKey --pbkdf pbkdf2 --pbkdf-force-iterations 1000 %s",
			vol->memory_slot, (unsigned long long)(vol->memory_need_kib / 1024),
			(unsigned long long)(vol->memory_available_kib / 1024), vol->device);
	else if (vol->cause == CAUSE_HEADER && vol->entry->header_uuid && !vol->header[0])
		snprintf(buf, size,
			 "its detached header %s on the filesystem UUID=%s is absent or "
			 "unreadable",
			 vol->entry->header_path, vol->entry->header_uuid);
	else if (vol->cause == CAUSE_NO_KEY_FILE)
		snprintf(buf, size, "no key is configured for it");
	else
		snprintf(buf, size, "%s", cause_describe(vol->cause));
}

static void report_failed(const struct unlock_context *ctx, const struct volume *vol)
{
	const char *device = vol->present ? vol->device : vol->entry->device;
	char reason[1024];

	failure_reason(ctx, vol, reason, sizeof(reason));
	if (volume_required(ctx, vol))
		log_error("Cannot open %s volume %s (%s): %s.", vol->entry->root ? "root" : "data",
			  vol->entry->name, device, reason);
	else
		log_warn("Skipping volume %s (%s): %s.", vol->entry->name, device, reason);
}

static int rescue_text_write(const struct unlock_context *ctx, const struct volume *vol)
{
	const char *device = vol->present ? vol->device : vol->entry->device;
	char reason[1024], text[2048];
	int n, r;

	failure_reason(ctx, vol, reason, sizeof(reason));
	n = snprintf(text, sizeof(text),
		     "bekboot could not unlock the root volume %s (%s):\n"
		     "  %s.\n"
		     "To unlock it by hand, run:\n"
		     "  bekboot-unlock manual                  (asks for the passphrase)\n"
		     "  bekboot-unlock manual --key-file FILE  (a key file, e.g. on a USB stick)\n"
		     "then leave this shell (exit) to continue booting.\n"
		     "'bekboot-unlock status' shows every volume and key volume.\n",
		     vol->entry->name, device, reason);

	r = mkdir_parents(KEY_VOLUME_RUN_DIR, 0700);
	if (r == 0)
		r = write_file_atomic(RESCUE_TEXT_PATH, text, (size_t)n, 0644);
	if (r < 0)
		log_warn("Failed to write %s: %s", RESCUE_TEXT_PATH, strerror(-r));
	return r;
}

static bool context_has_root(const struct unlock_context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->count; i++)
		if (ctx->volumes[i].entry->root)
			return true;
	return false;
}

/*
 * Whether a failure decides the exit status. At boot only the root stops
 * the boot: a data volume that fails is reported and the boot goes on.
 */
static bool volume_fatal(const struct unlock_context *ctx, const struct volume *vol)
{
	if (!volume_required(ctx, vol))
		return false;
	return vol->entry->root || ctx->opts.test || !context_has_root(ctx);
}

int unlock_report(struct unlock_context *ctx)
{
	int exit_code = 0;
	size_t i;

	for (i = 0; i < ctx->count; i++) {
		struct volume *vol = &ctx->volumes[i];

		if (vol->opened)
			report_opened(ctx, vol);
		else if (vol->already_active)
			log_info("Volume %s is already active; leaving it alone.",
				 vol->entry->name);
		else
			report_failed(ctx, vol);

		if (!vol->opened && !vol->already_active && volume_fatal(ctx, vol)) {
			if (exit_code == 0)
				exit_code = (int)vol->cause;
			if (vol->entry->root && !ctx->opts.test)
				rescue_text_write(ctx, vol);
		}
	}

	return exit_code;
}
