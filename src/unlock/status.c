// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * status: every configured volume at a glance, for a person at a rescue
 * shell or for a script (--json). Nothing is activated and nothing waits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static const char *volume_state(const struct volume *vol, bool active)
{
	if (active)
		return "active";
	if (vol->opened)
		return "openable";
	return cause_describe(vol->cause);
}

static unsigned reencrypt_percent(const struct volume *vol)
{
	return (unsigned)(vol->reencrypt_done * 100 / vol->reencrypt_total);
}

static void status_json_volume(FILE *out, const struct volume *vol, bool active)
{
	fprintf(out, "    {\"name\": ");
	json_string(out, vol->entry->name);
	fprintf(out, ", \"device\": ");
	json_string(out, vol->entry->device);
	fprintf(out, ", \"path\": ");
	if (vol->present)
		json_string(out, vol->device);
	else
		fprintf(out, "null");
	fprintf(out, ", \"root\": %s, \"nofail\": %s, \"present\": %s, \"active\": %s",
		vol->entry->root ? "true" : "false", vol->entry->nofail ? "true" : "false",
		vol->present ? "true" : "false", active ? "true" : "false");
	fprintf(out, ", \"reencrypting\": %s", vol->reencrypting ? "true" : "false");
	if (vol->reencrypting && vol->reencrypt_total)
		fprintf(out, ", \"reencrypt_percent\": %u", reencrypt_percent(vol));
	fprintf(out, ", \"key\": ");
	if (vol->key) {
		json_string(out, vol->key->name);
		fprintf(out, ", \"key_fingerprint\": \"%s\"", vol->key->fingerprint);
	} else
		fprintf(out, "null");
	fprintf(out, ", \"state\": ");
	json_string(out, volume_state(vol, active));
	fprintf(out, "}");
}

/* Active dm-crypt mappings that the configuration does not name. */
static size_t mappings_unconfigured(const struct unlock_context *ctx,
				    char names[][MAPPING_NAME_MAX], size_t max)
{
	size_t n = 0, kept = 0, i, j;

	if (crypt_mappings_list(names, max, &n) < 0)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ctx->count; j++)
			if (streq(names[i], ctx->volumes[j].entry->name))
				break;
		if (j == ctx->count && kept != i)
			memcpy(names[kept], names[i], MAPPING_NAME_MAX);
		if (j == ctx->count)
			kept++;
	}
	return kept;
}

static void status_json_others(const struct unlock_context *ctx)
{
	char names[32][MAPPING_NAME_MAX];
	size_t n = mappings_unconfigured(ctx, names, 32), i;

	for (i = 0; i < n; i++) {
		printf(i ? ", " : "");
		json_string(stdout, names[i]);
	}
}

static void status_text_others(const struct unlock_context *ctx)
{
	char names[32][MAPPING_NAME_MAX];
	size_t n = mappings_unconfigured(ctx, names, 32), i;

	if (n == 0)
		return;
	printf("\nOther dm-crypt mappings:");
	for (i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void status_json(const struct unlock_context *ctx, const bool *active)
{
	size_t i;

	printf("{\n  \"key_volume_label\": ");
	json_string(stdout, ctx->boot.label);
	printf(",\n  \"key_volumes\": [");
	for (i = 0; i < ctx->key_volume_count; i++) {
		printf(i ? ", " : "");
		json_string(stdout, ctx->key_volumes[i]);
	}
	printf("],\n  \"volumes\": [\n");
	for (i = 0; i < ctx->count; i++) {
		status_json_volume(stdout, &ctx->volumes[i], active[i]);
		printf(i + 1 < ctx->count ? ",\n" : "\n");
	}
	printf("  ],\n  \"other_mappings\": [");
	status_json_others(ctx);
	printf("]\n}\n");
}

static void status_text(const struct unlock_context *ctx, const bool *active)
{
	size_t i;

	printf("Key volume \"%s\": ", ctx->boot.label);
	for (i = 0; i < ctx->key_volume_count; i++)
		printf("%s%s", i ? ", " : "", ctx->key_volumes[i]);
	printf("%s\n\n", ctx->key_volume_count			     ? ""
			 : (ctx->opts.key_dir || ctx->opts.key_file) ? "not used"
								     : "not found");

	printf("%-16s %-5s %-44s %-16s %s\n", "VOLUME", "ROLE", "DEVICE", "KEY", "STATE");
	for (i = 0; i < ctx->count; i++) {
		const struct volume *vol = &ctx->volumes[i];
		char device[DEVICE_PATH_MAX * 2];

		snprintf(device, sizeof(device), "%s%s%s", vol->entry->device,
			 vol->present ? " -> " : " (absent)", vol->present ? vol->device : "");
		printf("%-16s %-5s %-44s %-16s %s\n", vol->entry->name,
		       vol->entry->root ? "root" : "data", device,
		       vol->key ? vol->key->fingerprint : "-", volume_state(vol, active[i]));
		if (vol->reencrypting && vol->reencrypt_total)
			printf("%-16s reencryption in progress: %u%% done\n", "",
			       reencrypt_percent(vol));
		else if (vol->reencrypting)
			printf("%-16s reencryption in progress\n", "");
		if (vol->key)
			printf("%-16s key file %s on %s\n", "", vol->key->name, vol->key->source);
	}
	status_text_others(ctx);
}

int command_status(struct unlock_context *ctx)
{
	bool active[CRYPTTAB_MAX_ENTRIES + 1];
	int exit_code = 0;
	size_t i;

	ctx->opts.test = true;
	/* A key file given by hand is tried on every volume: which does it open? */
	ctx->keys_for_all = ctx->opts.key_file != NULL;
	ctx->opts.timeout = 0;
	ctx->opts.timeout_set = true;
	for (i = 0; i < ctx->count; i++)
		active[i] = mapping_active(ctx->volumes[i].entry->name);

	if (!ctx->boot.disabled && ctx->count > 0) {
		if (ctx->need_key_volume)
			modules_load(true, false);
		volumes_wait(ctx);
		keys_load(ctx);
		volumes_open_all(ctx);
	}

	for (i = 0; i < ctx->count; i++)
		if (exit_code == 0 && !active[i] && !ctx->volumes[i].opened &&
		    volume_required(ctx, &ctx->volumes[i]))
			exit_code =
				ctx->volumes[i].cause ? (int)ctx->volumes[i].cause : CAUSE_OTHER;

	if (ctx->opts.json)
		status_json(ctx, active);
	else
		status_text(ctx, active);
	return exit_code;
}
