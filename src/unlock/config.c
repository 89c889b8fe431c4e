// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The first step: kernel command line and configuration, turned into the
 * list of volumes to open, root first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "unlock.h"
#include "util.h"

static int ade_entry_build(struct unlock_context *ctx)
{
	struct crypttab_entry *e = &ctx->ade_entry;
	char device[96];

	snprintf(device, sizeof(device), "PARTUUID=%s", ctx->boot.ade_partuuid);
	e->name = strdup(ROOT_MAPPING_DEFAULT);
	e->device = strdup(device);
	e->key = strdup(KEY_BASE_NAME);
	e->key_kind = KEY_KIND_BEK;
	e->root = true;
	if (ctx->boot.ade_bootuuid[0]) {
		e->header_uuid = strdup(ctx->boot.ade_bootuuid);
		e->header_path = strdup(ADE_HEADER_PATH);
		if (!e->header_uuid || !e->header_path)
			return -ENOMEM;
	}

	return e->name && e->device && e->key ? 0 : -ENOMEM;
}

/* ADE's own parameters describe the root when bekboot's file does not. */
static bool ade_entry_wanted(const struct unlock_context *ctx)
{
	size_t i;

	if (!ctx->boot.ade_partuuid[0] || ctx->boot.ade_disabled)
		return false;

	for (i = 0; i < ctx->tab.count; i++) {
		if (ctx->tab.entries[i].root ||
		    streq(ctx->tab.entries[i].name, ROOT_MAPPING_DEFAULT)) {
			log_debug("Configured root %s takes precedence over rd.luks.ade.partuuid.",
				  ctx->tab.entries[i].name);
			return false;
		}
	}
	return true;
}

static void volumes_add(struct unlock_context *ctx, bool root)
{
	size_t i;

	for (i = 0; i < ctx->tab.count; i++)
		if (ctx->tab.entries[i].root == root)
			ctx->volumes[ctx->count++].entry = &ctx->tab.entries[i];
}

static int config_read(struct unlock_context *ctx)
{
	int r;

	r = crypttab_load(ctx->opts.config, &ctx->tab);
	if (r == -ENOENT) {
		log_debug("No configuration at %s.", ctx->opts.config);
		return 0;
	}
	return r;
}

static int cmdline_read(struct unlock_context *ctx)
{
	int r;

	r = cmdline_load(ctx->opts.cmdline, &ctx->boot);
	if (r == -ENOENT) {
		log_debug("No kernel command line at %s.", ctx->opts.cmdline);
		return 0;
	}
	return r;
}

int context_load(struct unlock_context *ctx)
{
	size_t i;
	int r;

	boot_options_init(&ctx->boot);
	key_set_init(&ctx->keys);

	r = cmdline_read(ctx);
	if (r < 0)
		return r;
	if (ctx->boot.debug)
		log_set_max_level(LOG_LEVEL_DEBUG);
	if (ctx->boot.disabled)
		return 0;

	r = config_read(ctx);
	if (r < 0)
		return r;

	if (ade_entry_wanted(ctx)) {
		r = ade_entry_build(ctx);
		if (r < 0)
			return r;
		ctx->volumes[ctx->count++].entry = &ctx->ade_entry;
	}
	volumes_add(ctx, true);
	volumes_add(ctx, false);

	for (i = 0; i < ctx->count; i++)
		if (ctx->volumes[i].entry->key_kind == KEY_KIND_BEK)
			ctx->need_key_volume = !ctx->opts.key_dir && !ctx->opts.key_file;
	return 0;
}

void context_free(struct unlock_context *ctx)
{
	struct crypttab_entry *e = &ctx->ade_entry;

	key_set_clear(&ctx->keys);
	crypttab_free(&ctx->tab);
	free(e->name);
	free(e->device);
	free(e->key);
	free(e->header_uuid);
	free(e->header_path);
	memset(e, 0, sizeof(*e));
}

bool volume_required(const struct unlock_context *ctx, const struct volume *vol)
{
	if (ctx->opts.late)
		return false;
	return vol->entry->root || !vol->entry->nofail;
}
