// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rescue: open the encrypted volumes of a disk that belongs to another
 * machine, attached to this one, without knowing its layout. LUKS
 * partitions are found by their signature; an ADE root (no signature, its
 * header detached on /boot as /luks/osluksheader) by the header on one of
 * the disk's filesystems. Names get a prefix so that they cannot clash with
 * this machine's own mappings, and volumes open read-only unless asked.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

#define RESCUE_PARTS_MAX 32
/* Smaller partitions (BIOS boot, firmware) never hold an encrypted root. */
#define RESCUE_ROOT_MIN_SECTORS (64ULL * 2048)

struct rescue_part {
	char path[DEVICE_PATH_MAX];
	char name[64];
	unsigned long long sectors;
	struct device_info info;
};

static unsigned long long sysfs_sectors(const char *name)
{
	char path[PATH_MAX], *text = NULL;
	unsigned long long sectors = 0;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	if (read_text_file(path, 64, &text, NULL) == 0)
		sectors = strtoull(text, NULL, 10);
	free(text);
	return sectors;
}

static void part_add(struct rescue_part *parts, size_t *n, const char *name)
{
	struct rescue_part *p = &parts[*n];

	if (*n >= RESCUE_PARTS_MAX)
		return;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->path, sizeof(p->path), "/dev/%s", name);
	p->sectors = sysfs_sectors(name);
	if (device_probe(p->path, &p->info) == 0)
		(*n)++;
}

/* The partitions of @disk, or @disk alone if it has none or is one. */
static int rescue_partitions(const char *disk, struct rescue_part *parts, size_t *ret_n)
{
	char real[PATH_MAX], dir[PATH_MAX];
	const char *name;
	struct dirent *entry;
	DIR *d;

	if (!realpath(disk, real))
		return -errno;
	name = strrchr(real, '/') + 1;

	*ret_n = 0;
	snprintf(dir, sizeof(dir), "/sys/class/block/%s", name);
	d = opendir(dir);
	if (!d)
		return -ENOTBLK;
	while ((entry = readdir(d)))
		if (startswith(entry->d_name, name) && !streq(entry->d_name, name))
			part_add(parts, ret_n, entry->d_name);
	closedir(d);

	if (*ret_n == 0)
		part_add(parts, ret_n, name);
	return *ret_n > 0 ? 0 : -ENODEV;
}

static void name_sanitize(char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-",
			    *s))
			*s = '_';
}

static int rescue_entry_add(struct unlock_context *ctx, const char *suffix, const char *device,
			    const char *header_uuid)
{
	struct crypttab_entry *e = &ctx->tab.entries[ctx->tab.count];
	char name[128];

	if (ctx->tab.count >= CRYPTTAB_MAX_ENTRIES)
		return -E2BIG;

	snprintf(name, sizeof(name), "%s%s", ctx->opts.name_prefix, suffix);
	name_sanitize(name);
	e->name = strdup(name);
	e->device = strdup(device);
	e->key = strdup(KEY_BASE_NAME);
	e->key_kind = KEY_KIND_BEK;
	e->readonly = !ctx->opts.read_write;
	e->nofail = true;
	if (header_uuid) {
		e->root = true;
		e->nofail = false;
		e->header_uuid = strdup(header_uuid);
		e->header_path = strdup(ADE_HEADER_PATH);
	}
	if (!e->name || !e->device || !e->key || (header_uuid && !e->header_path))
		return -ENOMEM;

	ctx->volumes[ctx->count++].entry = e;
	ctx->tab.count++;
	return 0;
}

static bool fs_may_hold_header(const char *type)
{
	return streq(type, "ext2") || streq(type, "ext3") || streq(type, "ext4") ||
	       streq(type, "xfs") || streq(type, "btrfs") || streq(type, "vfat");
}

/* The filesystem with ADE's detached header, usually the disk's /boot. */
static const struct rescue_part *rescue_find_header(const struct rescue_part *parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!fs_may_hold_header(parts[i].info.type) || !parts[i].info.uuid[0])
			continue;
		if (filesystem_has_file(parts[i].path, parts[i].info.type, ADE_HEADER_PATH) > 0) {
			log_info("Found detached header %s on %s.", ADE_HEADER_PATH, parts[i].path);
			return &parts[i];
		}
	}
	return NULL;
}

static int part_compare_size(const void *a, const void *b)
{
	const struct rescue_part *x = a, *y = b;

	return x->sectors < y->sectors ? 1 : x->sectors > y->sectors ? -1 : 0;
}

static int rescue_layout(struct unlock_context *ctx, struct rescue_part *parts, size_t n,
			 struct rescue_part *roots, size_t *ret_roots)
{
	const struct rescue_part *header;
	size_t i;
	int r;

	*ret_roots = 0;
	for (i = 0; i < n; i++) {
		if (!streq(parts[i].info.type, "crypto_LUKS"))
			continue;
		r = rescue_entry_add(ctx,
				     parts[i].info.label[0] ? parts[i].info.label : parts[i].name,
				     parts[i].path, NULL);
		if (r < 0)
			return r;
	}

	header = rescue_find_header(parts, n);
	if (!header)
		return 0;
	for (i = 0; i < n; i++)
		if (!parts[i].info.type[0] && parts[i].sectors >= RESCUE_ROOT_MIN_SECTORS)
			roots[(*ret_roots)++] = parts[i];
	if (*ret_roots == 0) {
		log_warn("Found %s on %s, but no partition of at least %llu MiB without a "
			 "signature for it to open; not opening a root with it.",
			 ADE_HEADER_PATH, header->path, RESCUE_ROOT_MIN_SECTORS / 2048);
		return 0;
	}
	qsort(roots, *ret_roots, sizeof(*roots), part_compare_size);
	return rescue_entry_add(ctx, ROOT_MAPPING_DEFAULT, roots[0].path, header->info.uuid);
}

static bool mapping_holds_filesystem(const char *name)
{
	char path[DEVICE_PATH_MAX];
	struct device_info info;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	return device_probe(path, &info) == 0 && info.type[0];
}

/*
 * A detached header opens any partition with the right key: the root is the
 * one that then shows a filesystem. Try the candidates, largest first.
 */
static void rescue_root_verify(struct unlock_context *ctx, struct volume *vol,
			       const struct rescue_part *roots, size_t n)
{
	struct crypttab_entry *e = (struct crypttab_entry *)vol->entry;
	size_t i = 0;

	while (vol->opened && !mapping_holds_filesystem(e->name)) {
		log_info("%s opened on %s shows no filesystem; trying the next partition.", e->name,
			 e->device);
		mapping_remove(e->name);
		if (++i >= n) {
			vol->opened = false;
			vol->cause = CAUSE_NO_KEY_OPENS;
			return;
		}
		free(e->device);
		e->device = strdup(roots[i].path);
		memset(vol, 0, sizeof(*vol));
		vol->entry = e;
		vol->present = e->device &&
			       device_resolve(e->device, vol->device, sizeof(vol->device)) == 0;
		volumes_open_all(ctx);
	}
}

static void rescue_print(const struct unlock_context *ctx)
{
	const char *ro = ctx->opts.read_write ? "" : " -o ro";
	size_t i;

	for (i = 0; i < ctx->count; i++) {
		const struct volume *vol = &ctx->volumes[i];

		if (!vol->opened && !vol->already_active)
			continue;
		printf("%s: /dev/mapper/%s (%s)%s\n  mount%s /dev/mapper/%s /mnt\n",
		       vol->entry->root ? "root" : "volume", vol->entry->name, vol->device,
		       ctx->opts.read_write ? "" : ", read-only", ro, vol->entry->name);
	}
}

static void rescue_keys_setup(struct unlock_context *ctx)
{
	ctx->keys_for_all = true;
	ctx->need_key_volume = !ctx->opts.key_file && !ctx->opts.key_dir;
	if (ctx->need_key_volume && ctx->opts.key_volume) {
		snprintf(ctx->key_volumes[0], sizeof(ctx->key_volumes[0]), "%s",
			 ctx->opts.key_volume);
		ctx->key_volume_count = 1;
	}
	ctx->opts.timeout = 0;
	ctx->opts.timeout_set = true;
}

int command_rescue(struct unlock_context *ctx, const char *disk)
{
	struct rescue_part parts[RESCUE_PARTS_MAX], roots[RESCUE_PARTS_MAX];
	size_t n = 0, n_roots = 0, i;
	int r;

	/* The disk is not this machine's: its own configuration does not apply. */
	crypttab_free(&ctx->tab);
	ctx->count = 0;
	ctx->tab.entries = calloc(CRYPTTAB_MAX_ENTRIES, sizeof(*ctx->tab.entries));
	if (!ctx->tab.entries)
		return CAUSE_OTHER;
	if (!ctx->opts.name_prefix)
		ctx->opts.name_prefix = "rescue-";

	r = rescue_partitions(disk, parts, &n);
	if (r < 0) {
		log_error("Failed to list the partitions of %s: %s", disk, strerror(-r));
		return CAUSE_DEVICE_ABSENT;
	}
	r = rescue_layout(ctx, parts, n, roots, &n_roots);
	if (r < 0)
		return CAUSE_OTHER;
	if (ctx->count == 0) {
		log_error("Found nothing to open on %s: no LUKS partition, and no root for a "
			  "detached header %s.",
			  disk, ADE_HEADER_PATH);
		return CAUSE_HEADER;
	}

	rescue_keys_setup(ctx);
	if (modules_load(ctx->need_key_volume, true) < 0)
		ctx->modules_failed = true;
	volumes_wait(ctx);
	keys_load(ctx);
	volumes_open_all(ctx);
	for (i = 0; i < ctx->count; i++)
		if (ctx->volumes[i].entry->root)
			rescue_root_verify(ctx, &ctx->volumes[i], roots, n_roots);
	key_set_wipe(&ctx->keys);

	r = unlock_report(ctx);
	rescue_print(ctx);
	return r;
}
