// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import-ade: bekboot's configuration from that of Azure Disk Encryption on a
 * system that ADE encrypted. The /etc/crypttab lines whose key is a file on
 * ADE's key volume mount (or, on Ubuntu, comes from ADE's key script) and the
 * lines of the legacy azure_crypt_mount file become volumes of
 * /etc/bekboot/crypttab; their mounts, from /etc/fstab or azure_crypt_mount,
 * go to /etc/bekboot/fstab. ADE's files are only read. What bekboot's files
 * already hold is kept and never added twice, so a second run changes
 * nothing.
 */
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypttab.h"
#include "encrypt.h"
#include "fstab.h"
#include "log.h"
#include "util.h"

#define ADE_CRYPTTAB_PATH	 "/etc/crypttab"
#define ADE_CRYPT_MOUNT_PATH	 "/var/lib/azure_disk_encryption_config/azure_crypt_mount"
#define ADE_KEY_DIR		 "/mnt/azure_bek_disk/"
#define ADE_KEY_SCRIPT		 "/azure_crypt_key.sh"
#define ADE_CLEARTEXT_KEY_PREFIX "/var/lib/azure_disk_encryption_config/cleartext_key"
#define ORIGIN_MAX		 (PATH_MAX + 16)
#define FIELDS_MAX		 8

struct ade_volume {
	struct crypttab_entry entry;
	struct fstab_entry mount; /* source NULL: nothing to mount */
	char origin[ORIGIN_MAX]; /* file:line, for messages */
	bool skipped; /* bekboot's crypttab has another volume of that name */
};

struct ade_import {
	const struct encrypt_options *opts;
	char *fstab_text; /* the root's /etc/fstab; "" when it has none */
	struct ade_volume volumes[CRYPTTAB_MAX_ENTRIES];
	size_t count;
};

/* A configuration file under the root; a missing one reads as NULL. */
static int root_file_read(const struct ade_import *imp, const char *path, size_t max,
			  char **ret_path, char **ret_text)
{
	int r;

	*ret_text = NULL;
	*ret_path = root_path(imp->opts, path);
	if (!*ret_path)
		return -ENOMEM;

	r = read_text_file(*ret_path, max, ret_text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		log_error("Failed to read %s: %s", *ret_path, strerror(-r));
	return r;
}

/* Split @line at blanks into at most FIELDS_MAX fields; FIELDS_MAX + 1 if there are more. */
static size_t split_words(char *line, char *fields[FIELDS_MAX])
{
	size_t n = 0;
	char *word, *save = NULL;

	for (word = strtok_r(line, " \t\r", &save); word; word = strtok_r(NULL, " \t\r", &save)) {
		if (n == FIELDS_MAX)
			return FIELDS_MAX + 1;
		fields[n++] = word;
	}
	return n;
}

/* The entry of the root's /etc/fstab that mounts /dev/mapper/@name, if any. */
static bool fstab_find_mapping(const struct ade_import *imp, const char *name,
			       struct fstab_entry *ret)
{
	_cleanup_free_ char *copy = strdup(imp->fstab_text), *mapper = NULL;
	char *line, *save = NULL;

	if (!copy || asprintf(&mapper, "/dev/mapper/%s", name) < 0)
		return false;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (fstab_parse_line(line, ret) < 0)
			continue;
		if (streq(ret->source, mapper))
			return true;
		fstab_entry_clear(ret);
	}
	return false;
}

/* The filesystem UUID of an fstab source: written in it, or asked of libblkid. */
static bool source_uuid(const char *source, char *buf, size_t size)
{
	const char *uuid = startswith(source, "UUID=") ?: startswith(source, "/dev/disk/by-uuid/");
	_cleanup_free_ char *device = NULL, *value = NULL;

	if (uuid) {
		snprintf(buf, size, "%s", uuid);
		return *uuid != '\0';
	}

	device = blkid_evaluate_spec(source, NULL);
	value = device ? blkid_get_tag_value(NULL, "UUID", device) : NULL;
	if (!value)
		return false;
	snprintf(buf, size, "%s", value);
	return true;
}

/*
 * header=PATH as ADE wrote it (the OS disk's is /boot/luks/osluksheader)
 * becomes header=UUID=<fs>:/path on the filesystem that fstab mounts there,
 * which the unlocker mounts by itself. If nothing tells which filesystem
 * that is, a data volume keeps the path, which exists once the system is
 * up; the root volume is not imported (returns 1), since the initramfs
 * cannot read a header by path and a configured root would take precedence
 * over ADE's rd.luks.ade.* parameters, which do open it.
 */
static int header_option(const struct ade_import *imp, const char *header, bool root,
			 const char *origin, char **ret)
{
	struct fstab_entry holder = { 0 };
	bool held = fstab_text_find_holder(imp->fstab_text, header, false, &holder);
	char uuid[128];
	int r = 0;

	*ret = NULL;
	if (held && source_uuid(holder.source, uuid, sizeof(uuid)))
		r = asprintf(ret, "header=UUID=%s:%s", uuid, header + strlen(holder.target));
	else if (root) {
		log_warn(
			"%s: not importing the root volume: cannot tell the UUID of the filesystem%s%s holding its header %s.",
			origin, held ? " " : "", held ? holder.source : "", header);
		r = 1;
	} else {
		log_warn(
			"%s: cannot tell the UUID of the filesystem%s%s holding header %s; keeping the path as ADE wrote it.",
			origin, held ? " " : "", held ? holder.source : "", header);
		r = asprintf(ret, "header=%s", header);
	}

	fstab_entry_clear(&holder);
	if (r == 1)
		return 1;
	return r < 0 ? -ENOMEM : 0;
}

/* Whether @option of an ADE crypttab line is one that bekboot does not need. */
static bool option_dropped(const char *option)
{
	return streq(option, "luks") || streq(option, "nofail") || streq(option, "initramfs") ||
	       startswith(option, "keyscript=") || startswith(option, "x-");
}

/* Append ",@option" to the malloc'd *@options. */
static int option_append(char **options, const char *option)
{
	char *out = NULL;

	if (asprintf(&out, "%s,%s", *options, option) < 0)
		return -ENOMEM;
	free(*options);
	*options = out;
	return 0;
}

/*
 * bekboot's options for ADE's @field; *@ret starts with "root" or "nofail".
 * Returns 1 if the volume is not to be imported.
 */
static int options_convert(const struct ade_import *imp, char *field, bool root, const char *origin,
			   char **ret)
{
	char *option, *save = NULL, *header;
	int r = 0;

	*ret = strdup(root ? "root" : "nofail");
	for (option = field ? strtok_r(field, ",", &save) : NULL; option && *ret && r == 0;
	     option = strtok_r(NULL, ",", &save)) {
		if (startswith(option, "header=")) {
			r = header_option(imp, option + strlen("header="), root, origin, &header);
			if (r == 0)
				r = option_append(ret, header);
			free(header);
		} else if (streq(option, "discard") || streq(option, "readonly") ||
			   streq(option, "read-only"))
			r = option_append(ret, option);
		else if (!option_dropped(option))
			log_warn("%s: ignoring option '%s', which bekboot does not use.", origin,
				 option);
	}
	return *ret ? r : -ENOMEM;
}

/* Parse @line, in bekboot's crypttab syntax, into @vol->entry. */
static int entry_parse(struct ade_volume *vol, const char *line)
{
	struct crypttab one = { 0 };
	struct parse_error err;
	int r;

	r = crypttab_parse(line, strlen(line), &one, &err);
	if (r == -EINVAL)
		log_error("%s: %s.", vol->origin, err.message);
	if (r < 0)
		return r;

	vol->entry = one.entries[0];
	one.count = 0;
	crypttab_free(&one);
	return 0;
}

/* The mount of the volume from /etc/fstab: a data disk's gets nofail. */
static int mount_from_fstab(const struct ade_import *imp, struct ade_volume *vol, const char *name)
{
	if (!fstab_find_mapping(imp, name, &vol->mount))
		return 0;
	if (streq(vol->mount.target, "/"))
		return 0;
	return fstab_option_add(&vol->mount.options, "nofail");
}

/*
 * Make @vol from ADE's fields; @key is the key field in bekboot's syntax.
 * Returns 1 if the volume is not to be imported.
 */
static int volume_make(const struct ade_import *imp, struct ade_volume *vol, char **fields,
		       const char *key, char *options, bool root)
{
	_cleanup_free_ char *converted = NULL, *line = NULL;
	int r;

	r = mount_from_fstab(imp, vol, fields[0]);
	root = root || streq(fields[0], ROOT_MAPPING_DEFAULT) || streq(vol->mount.target, "/");
	if (r == 0)
		r = options_convert(imp, options, root, vol->origin, &converted);
	if (r != 0)
		return r;

	if (asprintf(&line, "%s %s %s %s\n", fields[0], fields[1], key, converted) < 0)
		return -ENOMEM;
	r = entry_parse(vol, line);
	if (r == 0 && startswith(vol->entry.device, "/dev/") &&
	    !startswith(vol->entry.device, "/dev/disk/") &&
	    !startswith(vol->entry.device, "/dev/mapper/"))
		log_warn(
			"%s: %s is no persistent device name; after a reboot it may name another disk.",
			vol->origin, vol->entry.device);
	return r;
}

/*
 * The key field of an ADE crypttab line in bekboot's syntax, or NULL when the
 * line is not ADE's: a key file on ADE's key volume mount, ADE's key script
 * (which reads LinuxPassPhraseFileName from the key volume), or one of ADE's
 * cleartext key files.
 */
static char *crypttab_key(const char *key, const char *options)
{
	const char *name = startswith(key, ADE_KEY_DIR), *script;
	char *ret = NULL;

	if (name)
		return asprintf(&ret, "bek:%s", name) < 0 ? NULL : ret;
	if (startswith(key, ADE_CLEARTEXT_KEY_PREFIX))
		return strdup(key);

	script = options ? strstr(options, "keyscript=") : NULL;
	script = script ? strstr(script, ADE_KEY_SCRIPT) : NULL;
	if ((streq(key, "none") || streq(key, "-")) && script &&
	    strchr(",", script[strlen(ADE_KEY_SCRIPT)]))
		return strdup("bek");
	return NULL;
}

static struct ade_volume *volume_find(struct ade_import *imp, const char *name)
{
	size_t i;

	for (i = 0; i < imp->count; i++)
		if (streq(imp->volumes[i].entry.name, name))
			return &imp->volumes[i];
	return NULL;
}

static void volume_clear(struct ade_volume *vol)
{
	crypttab_entry_free(&vol->entry);
	fstab_entry_clear(&vol->mount);
	memset(vol, 0, sizeof(*vol));
}

/*
 * Keep @vol unless a volume of that name is already imported: then take its
 * mount if the first one has none, and warn if the two differ.
 */
static int volume_add(struct ade_import *imp, struct ade_volume *vol)
{
	struct ade_volume *old = volume_find(imp, vol->entry.name);

	if (old && !streq(old->entry.device, vol->entry.device))
		log_warn("%s: volume %s on %s is already imported from %s, on %s; ignoring it.",
			 vol->origin, vol->entry.name, vol->entry.device, old->origin,
			 old->entry.device);
	if (old && !old->mount.source && vol->mount.source) {
		old->mount = vol->mount;
		vol->mount = (struct fstab_entry){ 0 };
	}
	if (old) {
		volume_clear(vol);
		return 0;
	}

	if (imp->count == CRYPTTAB_MAX_ENTRIES) {
		log_error("%s: more than %d volumes to import.", vol->origin, CRYPTTAB_MAX_ENTRIES);
		volume_clear(vol);
		return -E2BIG;
	}
	imp->volumes[imp->count++] = *vol;
	return 0;
}

static int crypttab_line_import(struct ade_import *imp, char *line, const char *origin)
{
	struct ade_volume vol = { 0 };
	_cleanup_free_ char *key = NULL;
	char *fields[FIELDS_MAX];
	size_t n = split_words(line, fields);
	int r;

	if (n < 3 || fields[0][0] == '#')
		return 0;
	key = crypttab_key(fields[2], n > 3 ? fields[3] : NULL);
	if (!key)
		return 0;
	if (n > 4) {
		log_error("%s: too many fields (at most 4).", origin);
		return -EINVAL;
	}

	snprintf(vol.origin, sizeof(vol.origin), "%s", origin);
	r = volume_make(imp, &vol, fields, key, n > 3 ? fields[3] : NULL, false);
	if (r != 0) {
		volume_clear(&vol);
		return r < 0 ? r : 0;
	}
	return volume_add(imp, &vol);
}

/* The mount of an azure_crypt_mount line, unless /etc/fstab has one. */
static int mount_from_crypt_mount(struct ade_volume *vol, char **fields)
{
	if (vol->mount.source || streq(fields[3], "None") || streq(fields[3], "/"))
		return 0;
	if (fields[3][0] != '/') {
		log_error("%s: mount point '%s' is not an absolute path.", vol->origin, fields[3]);
		return -EINVAL;
	}

	vol->mount = (struct fstab_entry){
		.target = strdup(fields[3]),
		.fstype = strdup(streq(fields[4], "None") ? "auto" : fields[4]),
		.options = strdup("defaults,nofail"),
	};
	if (asprintf(&vol->mount.source, "/dev/mapper/%s", vol->entry.name) < 0)
		vol->mount.source = NULL;
	if (!vol->mount.source || !vol->mount.target || !vol->mount.fstype || !vol->mount.options)
		return -ENOMEM;
	return 0;
}

/* mapper dev_path header|None mountpoint fs uses_cleartext_key [luks_slot] */
static int crypt_mount_check(char **fields, size_t n, const char *origin)
{
	long slot;
	char *end;

	if (n < 6 || n > 7) {
		log_error(
			"%s: expected 6 or 7 fields (mapper device header mount-point filesystem uses-cleartext-key [luks-slot]), found %zu.",
			origin, n);
		return -EINVAL;
	}
	if (!streq(fields[5], "True") && !streq(fields[5], "False")) {
		log_error("%s: uses-cleartext-key must be True or False, not '%s'.", origin,
			  fields[5]);
		return -EINVAL;
	}
	if (n == 7) {
		slot = strtol(fields[6], &end, 10);
		if (*end || end == fields[6] || slot < -1 || slot > 31) {
			log_error("%s: luks-slot must be a keyslot number or -1, not '%s'.", origin,
				  fields[6]);
			return -EINVAL;
		}
	}
	return 0;
}

static int crypt_mount_line_import(struct ade_import *imp, char *line, const char *origin)
{
	struct ade_volume vol = { 0 };
	_cleanup_free_ char *key = NULL, *options = NULL;
	char *fields[FIELDS_MAX];
	size_t n = split_words(line, fields);
	bool header;
	int r = 0;

	if (n == 0 || fields[0][0] == '#')
		return 0;
	r = crypt_mount_check(fields, n, origin);
	if (r < 0)
		return r;

	/* ADE writes the device itself as the header when it has no detached one. */
	header = !streq(fields[2], "None") && !streq(fields[2], fields[1]);
	if (streq(fields[5], "True") &&
	    asprintf(&key, "%s%s", ADE_CLEARTEXT_KEY_PREFIX, fields[0]) < 0)
		key = NULL;
	else if (streq(fields[5], "False"))
		key = strdup("bek");
	if (!key || (header && asprintf(&options, "header=%s", fields[2]) < 0))
		return -ENOMEM;

	snprintf(vol.origin, sizeof(vol.origin), "%s", origin);
	r = volume_make(imp, &vol, fields, key, options, streq(fields[3], "/"));
	if (r == 0)
		r = mount_from_crypt_mount(&vol, fields);
	if (r != 0) {
		volume_clear(&vol);
		return r < 0 ? r : 0;
	}
	return volume_add(imp, &vol);
}

typedef int (*line_import_fn)(struct ade_import *imp, char *line, const char *origin);

/* Import every line of the ADE file @path under the root with @import. */
static int ade_file_import(struct ade_import *imp, const char *path, line_import_fn import)
{
	_cleanup_free_ char *full = NULL, *text = NULL;
	char origin[ORIGIN_MAX], *line, *rest;
	unsigned number = 0;
	int r;

	r = root_file_read(imp, path, CRYPTTAB_MAX_SIZE, &full, &text);
	if (r < 0 || !text)
		return r;

	for (rest = text; r == 0 && rest;) {
		line = strsep(&rest, "\n");
		snprintf(origin, sizeof(origin), "%s:%u", full, ++number);
		r = import(imp, line, origin);
	}
	return r;
}

/* Whether bekboot's crypttab @tab can take @vol, and says why not. */
static bool crypttab_takes(const struct crypttab *tab, const struct ade_volume *vol,
			   const char *path)
{
	size_t i;

	for (i = 0; i < tab->count; i++) {
		const struct crypttab_entry *e = &tab->entries[i];

		if (streq(e->name, vol->entry.name) && streq(e->device, vol->entry.device))
			return false;
		if (streq(e->name, vol->entry.name) || streq(e->device, vol->entry.device)) {
			log_warn("%s already has volume %s on %s; not importing %s on %s from %s.",
				 path, e->name, e->device, vol->entry.name, vol->entry.device,
				 vol->origin);
			return false;
		}
	}
	return true;
}

/* Append @line to the malloc'd *@text, after a newline if it lacks one. */
static int text_append_line(char **text, const char *line)
{
	size_t len = strlen(*text);
	char *out = NULL;

	if (asprintf(&out, "%s%s%s", *text, len && (*text)[len - 1] != '\n' ? "\n" : "", line) < 0)
		return -ENOMEM;
	free(*text);
	*text = out;
	return 0;
}

/* Write @text to @path, after checking that it is a valid bekboot crypttab. */
static int crypttab_write(const char *path, const char *text)
{
	struct crypttab tab = { 0 };
	struct parse_error err;
	int r;

	r = crypttab_parse(text, strlen(text), &tab, &err);
	crypttab_free(&tab);
	if (r == -EINVAL) {
		log_error("The imported volumes would make %s invalid: line %u: %s.", path,
			  err.line, err.message);
		return r;
	}
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		log_error("Failed to write %s: %s", path, strerror(-r));
	return r;
}

static int crypttab_merge(struct ade_import *imp, bool *ret_changed)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct crypttab tab = { 0 };
	struct parse_error err;
	size_t i;
	int r;

	r = root_file_read(imp, CRYPTTAB_PATH, CRYPTTAB_MAX_SIZE, &path, &text);
	if (r == 0 && !text)
		text = strdup("");
	if (r < 0 || !text)
		return r < 0 ? r : -ENOMEM;
	r = crypttab_parse(text, strlen(text), &tab, &err);
	if (r == -EINVAL)
		log_error("%s:%u: %s.", path, err.line, err.message);

	for (i = 0; r == 0 && i < imp->count; i++) {
		struct ade_volume *vol = &imp->volumes[i];
		_cleanup_free_ char *line = NULL;

		vol->skipped = !crypttab_takes(&tab, vol, path);
		if (vol->skipped)
			continue;
		line = crypttab_entry_format(&vol->entry);
		r = line ? text_append_line(&text, line) : -ENOMEM;
		*ret_changed = true;
		log_info("Importing volume %s on %s from %s.", vol->entry.name, vol->entry.device,
			 vol->origin);
	}
	crypttab_free(&tab);

	if (r == 0 && *ret_changed)
		r = crypttab_write(path, text);
	return r;
}

static int fstab_merge(struct ade_import *imp, bool *ret_changed)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t i;
	int r;

	r = root_file_read(imp, BEKBOOT_FSTAB_PATH, FSTAB_MAX_SIZE, &path, &text);
	if (r == 0 && !text)
		text = strdup("");
	if (r < 0 || !text)
		return r < 0 ? r : -ENOMEM;

	for (i = 0; r == 0 && i < imp->count; i++) {
		const struct fstab_entry *mount = &imp->volumes[i].mount;
		_cleanup_free_ char *line = NULL;

		if (imp->volumes[i].skipped || !mount->source || streq(mount->target, "/") ||
		    fstab_text_has_target(text, mount->target) ||
		    fstab_text_has_source(text, mount->source))
			continue;
		line = fstab_entry_format(mount);
		r = line ? text_append_line(&text, line) : -ENOMEM;
		*ret_changed = true;
		log_info("Importing the mount of %s on %s.", mount->source, mount->target);
	}

	if (r == 0 && *ret_changed) {
		r = write_file_atomic(path, text, strlen(text), 0644);
		if (r < 0)
			log_error("Failed to write %s: %s", path, strerror(-r));
	}
	return r;
}

static int import_write(struct ade_import *imp)
{
	_cleanup_free_ char *dir = root_path(imp->opts, "/etc/bekboot");
	bool crypttab_changed = false, fstab_changed = false;
	int r;

	r = dir ? mkdir_parents(dir, 0755) : -ENOMEM;
	if (r < 0) {
		log_error("Failed to create %s: %s", dir ?: "/etc/bekboot", strerror(-r));
		return r;
	}

	r = crypttab_merge(imp, &crypttab_changed);
	if (r == 0)
		r = fstab_merge(imp, &fstab_changed);
	if (r == 0 && !crypttab_changed && !fstab_changed)
		log_info(
			"Nothing to import: %s/crypttab and %s/fstab already hold ADE's configuration.",
			dir, dir);
	return r;
}

static int import_read(struct ade_import *imp)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = root_file_read(imp, FSTAB_PATH, FSTAB_MAX_SIZE, &path, &imp->fstab_text);
	if (r == 0 && !imp->fstab_text)
		imp->fstab_text = strdup("");
	if (r < 0 || !imp->fstab_text)
		return r < 0 ? r : -ENOMEM;

	r = ade_file_import(imp, ADE_CRYPTTAB_PATH, crypttab_line_import);
	if (r == 0)
		r = ade_file_import(imp, ADE_CRYPT_MOUNT_PATH, crypt_mount_line_import);
	return r;
}

int import_ade_run(const struct encrypt_options *opts)
{
	struct ade_import *imp = calloc(1, sizeof(*imp));
	size_t i;
	int r;

	if (!imp)
		return -ENOMEM;
	imp->opts = opts;

	r = import_read(imp);
	if (r == 0 && imp->count == 0)
		log_info(
			"Neither %s nor %s names a volume of Azure Disk Encryption; nothing to import.",
			ADE_CRYPTTAB_PATH, ADE_CRYPT_MOUNT_PATH);
	else if (r == 0)
		r = import_write(imp);

	for (i = 0; i < imp->count; i++)
		volume_clear(&imp->volumes[i]);
	free(imp->fstab_text);
	free(imp);
	return r;
}
