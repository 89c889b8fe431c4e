// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The keys step: read the candidate keys, from the key volume (mounted only
 * for the read), a directory, or files named in the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "key_volume.h"
#include "log.h"
#include "unlock.h"
#include "util.h"

/* The file names that the configuration asks for, NULL-terminated. */
static void wanted_names(const struct unlock_context *ctx, const char **ret)
{
	size_t i, n = 0;

	for (i = 0; i < ctx->count; i++)
		if (ctx->volumes[i].entry->key_kind == KEY_KIND_BEK)
			ret[n++] = ctx->volumes[i].entry->key;
	ret[n] = NULL;
}

static int keys_from_dir(struct unlock_context *ctx, const char **wanted)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = open(ctx->opts.key_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error("Failed to open key directory %s: %s", ctx->opts.key_dir, strerror(-r));
		return r;
	}

	r = key_set_read_dir(&ctx->keys, fd, wanted, ctx->opts.key_dir);
	return r < 0 ? r : 0;
}

static void keys_from_key_volumes(struct unlock_context *ctx, const char **wanted)
{
	size_t i, readable = 0;
	int r;

	for (i = 0; i < ctx->key_volume_count; i++) {
		r = key_volume_read(ctx->key_volumes[i], wanted, &ctx->keys);
		if (r < 0)
			continue;
		readable++;
		log_debug("Read %d key file(s) from key volume %s.", r, ctx->key_volumes[i]);
	}
	ctx->key_volume_unreadable = ctx->key_volume_count > 0 && readable == 0;
}

static void keys_from_paths(struct unlock_context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->count; i++) {
		const struct crypttab_entry *e = ctx->volumes[i].entry;

		if (e->key_kind == KEY_KIND_PATH && ctx->volumes[i].present)
			key_set_read(&ctx->keys, AT_FDCWD, e->key, "the configuration");
	}
}

int keys_load(struct unlock_context *ctx)
{
	const char *wanted[CRYPTTAB_MAX_ENTRIES + 2];
	int r = 0;

	wanted_names(ctx, wanted);

	if (ctx->opts.key_file) {
		r = key_set_read(&ctx->keys, AT_FDCWD, ctx->opts.key_file, "the command line");
		ctx->keys_for_all = true;
	} else if (ctx->opts.key_dir)
		r = keys_from_dir(ctx, wanted);
	else
		keys_from_key_volumes(ctx, wanted);

	keys_from_paths(ctx);
	return r < 0 ? r : 0;
}
