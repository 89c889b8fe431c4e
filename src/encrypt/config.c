// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The configuration an encryption leaves behind: the volume in
 * /etc/bekboot/crypttab, and its /etc/fstab entry moved to /etc/bekboot/fstab
 * so that it is mounted from the mapping once the unlocker has opened it.
 * Each step is idempotent, so a run that resumes after a crash writes it
 * again without duplicating anything.
 */
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypttab.h"
#include "encrypt.h"
#include "fstab.h"
#include "log.h"
#include "util.h"

char *root_path(const struct encrypt_options *opts, const char *path)
{
	char *ret = NULL;

	if (asprintf(&ret, "%s%s", opts->root ?: "", path) < 0)
		return NULL;
	return ret;
}

static void crypttabp(struct crypttab *tab)
{
	crypttab_free(tab);
}

#define _cleanup_crypttab_ __attribute__((cleanup(crypttabp)))

/* Read a configuration file; a missing one is empty. */
static int config_read(const char *path, size_t max, char **ret)
{
	int r = read_text_file(path, max, ret, NULL);

	if (r == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (r < 0)
		log_error("Failed to read %s: %s", path, strerror(-r));
	return r;
}

static int crypttab_read(const struct encrypt_options *opts, char **ret_path, char **ret_text,
			 struct crypttab *ret)
{
	struct parse_error err;
	int r;

	*ret_path = root_path(opts, CRYPTTAB_PATH);
	if (!*ret_path)
		return -ENOMEM;

	r = config_read(*ret_path, CRYPTTAB_MAX_SIZE, ret_text);
	if (r < 0)
		return r;

	r = crypttab_parse(*ret_text, strlen(*ret_text), ret, &err);
	if (r < 0)
		log_error("%s:%u: %s.", *ret_path, err.line, err.message);
	return r;
}

static const struct crypttab_entry *crypttab_find(const struct crypttab *tab, const char *name)
{
	size_t i;

	for (i = 0; i < tab->count; i++) {
		if (streq(tab->entries[i].name, name))
			return &tab->entries[i];
	}
	return NULL;
}

int config_find_uuid(const struct encrypt_options *opts, const char *name, char ret[40])
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_crypttab_ struct crypttab tab = { 0 };
	const struct crypttab_entry *e;
	const char *uuid;

	if (crypttab_read(opts, &path, &text, &tab) < 0)
		return -ENOENT;

	e = crypttab_find(&tab, name);
	uuid = e ? startswith(e->device, "UUID=") : NULL;
	if (!uuid || strlen(uuid) >= 40)
		return -ENOENT;

	snprintf(ret, 40, "%s", uuid);
	return 0;
}

static void entry_for_plan(const struct volume_plan *plan, struct crypttab_entry *e, char *device,
			   size_t size)
{
	if (plan->device_spec[0])
		snprintf(device, size, "%s", plan->device_spec);
	else
		snprintf(device, size, "UUID=%s", plan->luks_uuid);
	*e = (struct crypttab_entry){
		.name = (char *)plan->name,
		.device = device,
		.key_kind = plan->key_path[0] ? KEY_KIND_PATH : KEY_KIND_BEK,
		.key = (char *)(plan->key_path[0] ? plan->key_path : plan->key_name),
		.root = plan->root,
		.nofail = !plan->root,
	};
	if (plan->mode == MODE_DETACHED) {
		e->header_uuid = plan->header_uuid[0] ? (char *)plan->header_uuid : NULL;
		e->header_path = (char *)plan->header_path;
	}
}

static int crypttab_add(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *line = NULL, *out = NULL;
	_cleanup_crypttab_ struct crypttab tab = { 0 };
	const struct crypttab_entry *old;
	struct crypttab_entry e;
	char device[PATH_MAX];
	int r;

	r = crypttab_read(opts, &path, &text, &tab);
	if (r < 0)
		return r;

	entry_for_plan(plan, &e, device, sizeof(device));
	old = crypttab_find(&tab, plan->name);
	if (old && streq(old->device, device))
		return 0;
	if (old) {
		log_error(
			"%s already has a volume named %s, on %s; choose another name with --name.",
			path, plan->name, old->device);
		return -EEXIST;
	}

	line = crypttab_entry_format(&e);
	if (!line ||
	    asprintf(&out, "%s%s%s", text,
		     text[0] && !strchr("\n", text[strlen(text) - 1]) ? "\n" : "", line) < 0)
		return -ENOMEM;

	r = write_file_atomic(path, out, strlen(out), 0600);
	if (r < 0)
		log_error("Failed to write %s: %s", path, strerror(-r));
	else
		log_info("Added volume %s to %s.", plan->name, path);
	return r;
}

static bool fstab_source_matches(const char *source, const struct volume_plan *plan)
{
	char real[PATH_MAX];
	const char *value;

	if ((value = startswith(source, "UUID=")))
		return plan->fs_uuid[0] && streq(value, plan->fs_uuid);
	if ((value = startswith(source, "LABEL=")))
		return plan->fs_label[0] && streq(value, plan->fs_label);
	if ((value = startswith(source, "/dev/disk/by-uuid/")) && plan->fs_uuid[0] &&
	    streq(value, plan->fs_uuid))
		return true;
	return source[0] == '/' && realpath(source, real) && streq(real, plan->device);
}

static bool source_persistent(const char *source)
{
	return startswith(source, "UUID=") || startswith(source, "LABEL=") ||
	       startswith(source, "PARTUUID=") || startswith(source, "PARTLABEL=") ||
	       startswith(source, "/dev/disk/by-") || startswith(source, "/dev/mapper/");
}

/* Rewrite @entry for the mapping and say what changed, as ADE's checks would. */
static int fstab_entry_convert(struct fstab_entry *entry, const struct volume_plan *plan)
{
	char *mapper = NULL;
	bool had_nofail = fstab_option_has(entry->options, "nofail");

	if (asprintf(&mapper, "/dev/mapper/%s", plan->name) < 0)
		return -ENOMEM;

	log_info("The %s entry now mounts %s instead of %s%s.", entry->target, mapper,
		 entry->source,
		 source_persistent(entry->source) ? "" : ", which is no persistent device name");
	if (!had_nofail)
		log_info("Added nofail to the %s entry, so that boot goes on without this disk.",
			 entry->target);

	free(entry->source);
	entry->source = mapper;
	return fstab_option_add(&entry->options, "nofail");
}

static int backup_fstab(const char *path, const char *text)
{
	char backup[PATH_MAX + 32], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
	snprintf(backup, sizeof(backup), "%s.bekboot-%s", path, stamp);
	r = write_file_atomic(backup, text, strlen(text), 0644);
	if (r < 0)
		log_error("Failed to write backup %s: %s", backup, strerror(-r));
	else
		log_info("Kept the previous %s as %s.", path, backup);
	return r;
}

struct fstab_edit {
	char *kept; /* /etc/fstab without the device's entries */
	char *moved; /* those entries, converted */
	char *target;
};

/* Append the strings @a, @b and @c (each may be NULL) to the malloc'd *@text. */
static int text_append(char **text, const char *a, const char *b, const char *c)
{
	char *out = NULL;

	if (asprintf(&out, "%s%s%s%s", *text ?: "", a ?: "", b ?: "", c ?: "") < 0)
		return -ENOMEM;
	free(*text);
	*text = out;
	return 0;
}

static int fstab_edit_line(struct fstab_edit *edit, const char *line,
			   const struct volume_plan *plan)
{
	struct fstab_entry entry;
	_cleanup_free_ char *formatted = NULL;
	int r;

	if (fstab_parse_line(line, &entry) < 0 || !fstab_source_matches(entry.source, plan))
		return text_append(&edit->kept, line, "\n", NULL);

	r = fstab_entry_convert(&entry, plan);
	formatted = r == 0 ? fstab_entry_format(&entry) : NULL;
	if (formatted && !edit->target)
		edit->target = strdup(entry.target);
	fstab_entry_clear(&entry);
	if (!formatted)
		return -ENOMEM;

	r = text_append(&edit->kept, "# ", edit->target, ": moved to " BEKBOOT_FSTAB_PATH "\n");
	return r < 0 ? r : text_append(&edit->moved, formatted, NULL, NULL);
}

static int fstab_edit_text(struct fstab_edit *edit, char *text, const struct volume_plan *plan)
{
	char *line, *rest = text;
	int r = 0;

	/* strsep keeps empty lines, so the layout of the file survives. */
	while (r == 0 && rest && *rest) {
		line = strsep(&rest, "\n");
		r = fstab_edit_line(edit, line, plan);
	}
	return r;
}

static int fstab_write_moved(const struct encrypt_options *opts, const struct fstab_edit *edit)
{
	_cleanup_free_ char *path = root_path(opts, BEKBOOT_FSTAB_PATH), *text = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = config_read(path, FSTAB_MAX_SIZE, &text);
	if (r < 0)
		return r;
	if (fstab_text_has_target(text, edit->target))
		return 0;

	r = text_append(&text, edit->moved, NULL, NULL);
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		log_error("Failed to write %s: %s", path, strerror(-r));
	return r;
}

static int fstab_move(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *path = root_path(opts, FSTAB_PATH), *text = NULL, *work = NULL;
	struct fstab_edit edit = { 0 };
	int r;

	if (!path)
		return -ENOMEM;
	r = read_text_file(path, FSTAB_MAX_SIZE, &text, NULL);
	if (r == -ENOENT)
		return 0;
	work = r == 0 ? strdup(text) : NULL;
	if (r < 0 || !work) {
		log_error("Failed to read %s: %s", path, strerror(r < 0 ? -r : ENOMEM));
		return r < 0 ? r : -ENOMEM;
	}

	r = fstab_edit_text(&edit, work, plan);
	if (r == 0 && !edit.moved)
		log_info("%s has no entry for %s; nothing to move.", path, plan->device);
	if (r == 0 && edit.moved)
		r = fstab_write_moved(opts, &edit);
	if (r == 0 && edit.moved)
		r = backup_fstab(path, text);
	if (r == 0 && edit.moved) {
		r = write_file_atomic(path, edit.kept, strlen(edit.kept), 0644);
		if (r < 0)
			log_error("Failed to write %s: %s", path, strerror(-r));
	}

	free(edit.kept);
	free(edit.moved);
	free(edit.target);
	return r;
}

int config_write(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *dir = root_path(opts, "/etc/bekboot");
	int r;

	r = dir ? mkdir_parents(dir, 0755) : -ENOMEM;
	if (r < 0) {
		log_error("Failed to create %s: %s", dir ?: "/etc/bekboot", strerror(-r));
		return r;
	}

	/* The root's fstab entry stays: the kernel command line names the mapping. */
	r = crypttab_add(opts, plan);
	if (r == 0 && !plan->root)
		r = fstab_move(opts, plan);
	return r;
}

static const struct crypttab_entry *crypttab_find_uuid(const struct crypttab *tab, const char *uuid)
{
	size_t i;

	for (i = 0; i < tab->count; i++) {
		const char *value = startswith(tab->entries[i].device, "UUID=");

		if (value && streq(value, uuid))
			return &tab->entries[i];
	}
	return NULL;
}

static bool device_resolve(const char *spec, char *buf, size_t size)
{
	_cleanup_free_ char *path = NULL;

	if (spec[0] != '/')
		path = blkid_evaluate_spec(spec, NULL); /* UUID=, PARTUUID=, LABEL= */
	else
		path = realpath(spec, NULL);
	if (!path)
		return false;

	snprintf(buf, size, "%s", path);
	return true;
}

static int plan_from_entry(const struct crypttab_entry *e, struct volume_plan *plan)
{
	char header[PATH_MAX + 80];

	snprintf(plan->name, sizeof(plan->name), "%s", e->name);
	if (e->key_kind == KEY_KIND_PATH)
		snprintf(plan->key_path, sizeof(plan->key_path), "%s", e->key);
	else if (e->key_kind == KEY_KIND_BEK)
		snprintf(plan->key_name, sizeof(plan->key_name), "%s", e->key);
	if (!plan->device[0] && !device_resolve(e->device, plan->device, sizeof(plan->device))) {
		log_error("Device %s of volume %s is not present.", e->device, e->name);
		return -ENODEV;
	}

	if (!e->header_path)
		return 0;
	if (e->header_uuid)
		snprintf(header, sizeof(header), "UUID=%s:%s", e->header_uuid, e->header_path);
	else
		snprintf(header, sizeof(header), "%s", e->header_path);
	plan->mode = MODE_DETACHED;
	return plan_header(header, plan);
}

int config_find_volume(const struct encrypt_options *opts, const char *name, const char *luks_uuid,
		       struct volume_plan *plan)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_crypttab_ struct crypttab tab = { 0 };
	const struct crypttab_entry *e;
	int r;

	r = crypttab_read(opts, &path, &text, &tab);
	if (r < 0)
		return r;

	e = name ? crypttab_find(&tab, name) : crypttab_find_uuid(&tab, luks_uuid);
	if (!e) {
		log_error("%s has no volume %s.", path, name ?: luks_uuid);
		return -ENOENT;
	}
	return plan_from_entry(e, plan);
}

/* The names of every volume of crypttab, malloc'd, in file order. */
int config_volume_names(const struct encrypt_options *opts, char ***ret, size_t *ret_count)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_crypttab_ struct crypttab tab = { 0 };
	char **names;
	size_t i;
	int r;

	r = crypttab_read(opts, &path, &text, &tab);
	if (r < 0)
		return r;

	names = calloc(tab.count + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < tab.count; i++) {
		names[i] = strdup(tab.entries[i].name);
		if (!names[i]) {
			config_volume_names_free(names);
			return -ENOMEM;
		}
	}

	*ret = names;
	*ret_count = tab.count;
	return 0;
}

void config_volume_names_free(char **names)
{
	char **n;

	for (n = names; n && *n; n++)
		free(*n);
	free(names);
}
