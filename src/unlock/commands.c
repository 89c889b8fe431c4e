// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * open and late: the steps in order. Configuration, then devices, then keys,
 * then volumes; no step reaches back.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static bool nothing_to_do(const struct unlock_context *ctx)
{
	if (ctx->boot.disabled) {
		log_info("Disabled by rd.bekboot=0 on the kernel command line.");
		return true;
	}
	if (ctx->count == 0) {
		log_debug("No volume is configured in %s; nothing to do.", ctx->opts.config);
		return true;
	}
	return false;
}

static void modules_step(struct unlock_context *ctx)
{
	bool device_mapper = !ctx->opts.test;

	if (!ctx->need_key_volume && !device_mapper)
		return;
	if (modules_load(ctx->need_key_volume, device_mapper) < 0)
		ctx->modules_failed = true;
}

static bool root_open(const struct unlock_context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->count; i++)
		if (ctx->volumes[i].entry->root)
			return ctx->volumes[i].opened || ctx->volumes[i].already_active;
	return false;
}

static int unlock_run(struct unlock_context *ctx)
{
	int r;

	/* Only mappings need the random pool (see entropy.c). */
	if (!ctx->opts.test)
		entropy_start();
	modules_step(ctx);

	r = volumes_wait(ctx);
	if (r < 0)
		return CAUSE_OTHER;

	keys_load(ctx);
	volumes_open_all(ctx);
	key_set_wipe(&ctx->keys);

	r = unlock_report(ctx);
	if (root_open(ctx) && !ctx->opts.test)
		unlink(RESCUE_TEXT_PATH);
	return r;
}

int command_open(struct unlock_context *ctx)
{
	if (nothing_to_do(ctx))
		return 0;
	return unlock_run(ctx);
}

int command_late(struct unlock_context *ctx)
{
	int r = 0;

	ctx->opts.late = true;
	if (!ctx->opts.timeout_set) {
		ctx->opts.timeout = 0;
		ctx->opts.timeout_set = true;
	}

	if (!nothing_to_do(ctx))
		r = unlock_run(ctx);
	if (r == 0)
		r = fstab_mount_all(LATE_FSTAB_PATH);
	return r;
}
