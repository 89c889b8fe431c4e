// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The devices step: wait for the key volume and for each volume's device,
 * woken by device events, bounded by the timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

/* A volume is there when its device is, and the filesystem holding its header. */
static void volume_look(struct volume *vol)
{
	char spec[96], header_device[DEVICE_PATH_MAX];

	if (vol->present)
		return;
	if (device_resolve(vol->entry->device, vol->device, sizeof(vol->device)) < 0)
		return;

	if (vol->entry->header_uuid) {
		snprintf(spec, sizeof(spec), "UUID=%s", vol->entry->header_uuid);
		if (device_resolve(spec, header_device, sizeof(header_device)) < 0)
			return;
	}

	vol->present = true;
	log_debug("Found %s for volume %s at %s.", vol->entry->device, vol->entry->name,
		  vol->device);
}

static void key_volumes_look(struct unlock_context *ctx)
{
	size_t i;

	if (!ctx->need_key_volume || ctx->key_volume_count > 0)
		return;

	ctx->key_volume_count =
		device_find_by_label(ctx->boot.label, "vfat", ctx->key_volumes, KEY_VOLUME_MAX);
	for (i = 0; i < ctx->key_volume_count; i++)
		log_debug("Found key volume \"%s\" at %s.", ctx->boot.label, ctx->key_volumes[i]);
}

/* Ready when the key volume and every device that the boot needs are there. */
static int volumes_ready(void *userdata)
{
	struct unlock_context *ctx = userdata;
	bool ready = true;
	size_t i;

	key_volumes_look(ctx);
	if (ctx->need_key_volume && ctx->key_volume_count == 0)
		ready = false;

	for (i = 0; i < ctx->count; i++) {
		volume_look(&ctx->volumes[i]);
		if (!ctx->volumes[i].present && volume_required(ctx, &ctx->volumes[i]))
			ready = false;
	}

	return ready;
}

static unsigned wait_seconds(const struct unlock_context *ctx)
{
	unsigned seconds = ctx->opts.timeout_set ? ctx->opts.timeout : ctx->boot.timeout;
	size_t i;

	/* A volume's own timeout= may ask for a longer wait for its device. */
	for (i = 0; i < ctx->count; i++)
		if (volume_required(ctx, &ctx->volumes[i]) &&
		    ctx->volumes[i].entry->timeout > seconds)
			seconds = ctx->volumes[i].entry->timeout;
	return seconds;
}

int volumes_wait(struct unlock_context *ctx)
{
	unsigned seconds = wait_seconds(ctx);
	uint64_t start = now_ms();
	int r;

	if (ctx->need_key_volume)
		log_debug("Waiting up to %u s for key volume \"%s\" and the devices.", seconds,
			  ctx->boot.label);

	r = device_wait(volumes_ready, ctx, start + (uint64_t)seconds * 1000);
	if (r < 0) {
		log_error("Failed to watch /dev for devices: %s", strerror(-r));
		return r;
	}

	log_debug("Device wait ended after %llu ms (%s).", (unsigned long long)(now_ms() - start),
		  r ? "all there" : "timeout");
	return 0;
}
