// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * status: is everything encrypted? Every volume of /etc/bekboot/crypttab with
 * its LUKS2 state and how far an encryption has come, then every filesystem
 * of /etc/fstab that is not on an encrypted mapping, so that a compliance
 * check can flag the machine by the exit status alone. Only headers are
 * read; nothing is opened, mounted or changed.
 */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "crypttab.h"
#include "encrypt.h"
#include "fstab.h"
#include "log.h"
#include "reencrypt_progress.h"
#include "util.h"

#define FILESYSTEMS_MAX 128
#define DM_DEPTH_MAX	4

struct volume_status {
	const struct crypttab_entry *entry;
	char path[PATH_MAX]; /* the device found, "" if absent */
	char header[PATH_MAX]; /* detached header file, "" if none or not found */
	char luks_uuid[40];
	bool present;
	bool header_missing;
	bool luks;
	crypt_reencrypt_info reencrypt;
	uint64_t done, total; /* bytes; total 0 when unknown */
};

struct filesystem_status {
	struct fstab_entry entry;
	const char *not_counted; /* why it does not count, or NULL */
};

struct status {
	const struct encrypt_options *opts;
	struct crypttab tab;
	struct volume_status volumes[CRYPTTAB_MAX_ENTRIES];
	char **mappings; /* crypt mapping names of both crypttabs, NULL-terminated */
	char *fstab_text;
	struct filesystem_status unencrypted[FILESYSTEMS_MAX];
	size_t unencrypted_count;
	struct filesystem_status exempt[FILESYSTEMS_MAX];
	size_t exempt_count;
};

static bool device_find(const char *spec, char *buf, size_t size)
{
	_cleanup_free_ char *path = blkid_evaluate_spec(spec, NULL);
	struct stat st;

	if (!path || stat(path, &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)))
		return false;
	snprintf(buf, size, "%s", path);
	return true;
}

/* The detached header file of the volume, found as the encryptor finds it. */
static void header_find(struct volume_status *vs)
{
	const struct crypttab_entry *e = vs->entry;
	struct volume_plan plan = { 0 };
	char spec[PATH_MAX + 80];
	struct stat st;

	if (e->header_uuid)
		snprintf(spec, sizeof(spec), "UUID=%s:%s", e->header_uuid, e->header_path);
	else
		snprintf(spec, sizeof(spec), "%s", e->header_path);
	if (plan_header(spec, &plan) == 0 && stat(plan.header_file, &st) == 0 &&
	    S_ISREG(st.st_mode))
		snprintf(vs->header, sizeof(vs->header), "%s", plan.header_file);
	else
		vs->header_missing = true;
}

static void volume_probe(struct volume_status *vs)
{
	struct crypt_device *cd = NULL;

	vs->present = device_find(vs->entry->device, vs->path, sizeof(vs->path));
	if (vs->present && vs->entry->header_path)
		header_find(vs);
	if (!vs->present || vs->header_missing)
		return;
	if (crypt_init_data_device(&cd, vs->header[0] ? vs->header : vs->path, vs->path) < 0)
		return;

	if (crypt_load(cd, CRYPT_LUKS, NULL) == 0) {
		vs->luks = true;
		snprintf(vs->luks_uuid, sizeof(vs->luks_uuid), "%s", crypt_get_uuid(cd) ?: "");
		vs->reencrypt = crypt_reencrypt_status(cd, NULL);
		if (vs->reencrypt != CRYPT_REENCRYPT_NONE &&
		    reencrypt_progress(cd, &vs->done, &vs->total) < 0)
			vs->total = 0;
	}
	crypt_free(cd);
}

/* Whether the volume counts as encrypted; an absent device holds nothing here. */
static bool volume_encrypted(const struct volume_status *vs)
{
	if (!vs->present)
		return true;
	return vs->luks && vs->reencrypt == CRYPT_REENCRYPT_NONE;
}

static const char *volume_state(const struct volume_status *vs)
{
	if (!vs->present)
		return "absent";
	if (vs->header_missing)
		return "header not found";
	if (!vs->luks)
		return "not encrypted";
	switch (vs->reencrypt) {
	case CRYPT_REENCRYPT_NONE:
		return "encrypted";
	case CRYPT_REENCRYPT_CLEAN:
		return "encrypting";
	case CRYPT_REENCRYPT_CRASH:
		return "interrupted";
	default:
		return "reencryption state invalid";
	}
}

static unsigned volume_percent(const struct volume_status *vs)
{
	return (unsigned)(vs->done * 100 / vs->total);
}

/* Append the first field of every line of the root's /etc/crypttab to @names. */
static int system_crypttab_names(const struct status *st, char **names, size_t *n)
{
	_cleanup_free_ char *path = root_path(st->opts, "/etc/crypttab"), *text = NULL;
	char *line, *save = NULL, *name;
	int r;

	r = path ? read_text_file(path, CRYPTTAB_MAX_SIZE, &text, NULL) : -ENOMEM;
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_error("Failed to read %s: %s", path, strerror(-r));
		return r;
	}

	for (line = strtok_r(text, "\n", &save); line && *n < CRYPTTAB_MAX_ENTRIES * 2;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (*line == '#' || *line == '\0')
			continue;
		name = strndup(line, strcspn(line, " \t"));
		if (!name)
			return -ENOMEM;
		names[(*n)++] = name;
	}
	return 0;
}

static int mappings_collect(struct status *st)
{
	size_t n = 0, i;

	st->mappings = calloc(CRYPTTAB_MAX_ENTRIES * 3 + 1, sizeof(*st->mappings));
	if (!st->mappings)
		return -ENOMEM;
	for (i = 0; i < st->tab.count; i++) {
		st->mappings[n] = strdup(st->tab.entries[i].name);
		if (!st->mappings[n++])
			return -ENOMEM;
	}
	return system_crypttab_names(st, st->mappings, &n);
}

/* Whether device-mapper device @dm (dm-N) is a crypt mapping or lies on one. */
static bool dm_on_crypt(const char *dm, unsigned depth)
{
	_cleanup_free_ char *uuid = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/block/%s/dm/uuid", dm);
	if (read_text_file(path, 4096, &uuid, NULL) == 0 && startswith(uuid, "CRYPT-"))
		return true;
	if (depth >= DM_DEPTH_MAX)
		return false;

	snprintf(path, sizeof(path), "/sys/block/%s/slaves", dm);
	d = opendir(path);
	while (d && !found && (de = readdir(d)))
		found = startswith(de->d_name, "dm-") && dm_on_crypt(de->d_name, depth + 1);
	if (d)
		closedir(d);
	return found;
}

static bool mapping_named(const struct status *st, const char *source)
{
	const char *name = startswith(source, "/dev/mapper/")
				   ?: startswith(source, "/dev/disk/by-id/dm-name-");
	char **m;

	for (m = st->mappings; name && m && *m; m++)
		if (streq(*m, name))
			return true;
	return false;
}

/*
 * Whether @source lies on an encrypted mapping: a mapping that a crypttab
 * names, a device that resolves to a dm-crypt mapping (or to LVM or RAID
 * on one), or, for a file such as a swap file, the filesystem holding it.
 */
static bool source_encrypted(const struct status *st, const char *source, unsigned depth)
{
	struct fstab_entry holder = { 0 };
	char path[PATH_MAX], real[PATH_MAX];
	const char *dm;
	bool ret;

	if (mapping_named(st, source))
		return true;
	if (source[0] == '/' && !startswith(source, "/dev/") && depth < DM_DEPTH_MAX &&
	    fstab_text_find_holder(st->fstab_text, source, true, &holder)) {
		ret = source_encrypted(st, holder.source, depth + 1);
		fstab_entry_clear(&holder);
		return ret;
	}
	if (!device_find(source, path, sizeof(path)) || !realpath(path, real))
		return false;
	dm = startswith(real, "/dev/");
	return dm && startswith(dm, "dm-") && dm_on_crypt(dm, 0);
}

/* Why @e does not count, or NULL: pseudo and network filesystems are skipped. */
static const char *filesystem_exempt(const struct fstab_entry *e)
{
	_cleanup_free_ char *label = NULL;

	if (streq(e->target, "/boot") || startswith(e->target, "/boot/"))
		return "boot loader";
	if (asprintf(&label, "LABEL=%s", KEY_VOLUME_LABEL) < 0 || streq(e->source, label) ||
	    streq(e->target, "/mnt/azure_bek_disk"))
		return "key volume";
	return NULL;
}

static bool filesystem_skipped(const struct fstab_entry *e)
{
	return mnt_fstype_is_pseudofs(e->fstype) || mnt_fstype_is_netfs(e->fstype) ||
	       fstab_option_has(e->options, "bind") || fstab_option_has(e->options, "rbind") ||
	       streq(e->source, "none");
}

static void filesystem_check(struct status *st, struct fstab_entry *e)
{
	const char *why = NULL;
	struct filesystem_status *fs = NULL;

	if (filesystem_skipped(e) || source_encrypted(st, e->source, 0)) {
		fstab_entry_clear(e);
		return;
	}
	why = filesystem_exempt(e);
	if (why && st->exempt_count < FILESYSTEMS_MAX)
		fs = &st->exempt[st->exempt_count++];
	else if (!why && st->unencrypted_count < FILESYSTEMS_MAX)
		fs = &st->unencrypted[st->unencrypted_count++];
	if (!fs) {
		fstab_entry_clear(e);
		return;
	}
	fs->entry = *e;
	fs->not_counted = why;
}

static int filesystems_check(struct status *st)
{
	_cleanup_free_ char *path = root_path(st->opts, FSTAB_PATH), *copy = NULL;
	char *line, *save = NULL;
	int r;

	r = path ? read_text_file(path, FSTAB_MAX_SIZE, &st->fstab_text, NULL) : -ENOMEM;
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_error("Failed to read %s: %s", path, strerror(-r));
		return r;
	}

	copy = strdup(st->fstab_text);
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct fstab_entry e;

		if (fstab_parse_line(line, &e) == 0)
			filesystem_check(st, &e);
	}
	return copy ? 0 : -ENOMEM;
}

static int config_load(struct status *st)
{
	_cleanup_free_ char *path = root_path(st->opts, CRYPTTAB_PATH);
	size_t i;
	int r;

	r = path ? crypttab_load(path, &st->tab) : -ENOMEM;
	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return r;

	for (i = 0; i < st->tab.count; i++) {
		st->volumes[i].entry = &st->tab.entries[i];
		volume_probe(&st->volumes[i]);
	}
	return 0;
}

static bool all_encrypted(const struct status *st)
{
	size_t i;

	for (i = 0; i < st->tab.count; i++)
		if (!volume_encrypted(&st->volumes[i]))
			return false;
	return st->unencrypted_count == 0;
}

static void print_volume(const struct volume_status *vs)
{
	char device[PATH_MAX * 2 + 8], state[128];
	bool same = streq(vs->entry->device, vs->path);

	snprintf(device, sizeof(device), "%s%s%s", vs->entry->device,
		 vs->present && !same ? " -> " : "", vs->present && !same ? vs->path : "");
	snprintf(state, sizeof(state), "%s", volume_state(vs));
	if (vs->luks && vs->reencrypt != CRYPT_REENCRYPT_NONE && vs->total)
		snprintf(state + strlen(state), sizeof(state) - strlen(state), ", %u%% done",
			 volume_percent(vs));
	printf("%-16s %-48s %s\n", vs->entry->name, device, state);
	if (vs->luks && vs->reencrypt != CRYPT_REENCRYPT_NONE)
		printf("%-16s run 'bekboot-encrypt resume %s' to finish\n", "", vs->entry->name);
}

static void print_filesystems(const struct filesystem_status *list, size_t n)
{
	size_t i;

	printf("%-24s %-40s %s\n", "MOUNT POINT", "SOURCE", "TYPE");
	for (i = 0; i < n; i++)
		printf("%-24s %-40s %s%s%s\n", list[i].entry.target, list[i].entry.source,
		       list[i].entry.fstype, list[i].not_counted ? ", not counted: " : "",
		       list[i].not_counted ?: "");
}

static void status_text(const struct status *st)
{
	size_t i;

	if (st->tab.count == 0)
		printf("No volume in %s.\n", CRYPTTAB_PATH);
	else
		printf("%-16s %-48s %s\n", "VOLUME", "DEVICE", "STATE");
	for (i = 0; i < st->tab.count; i++)
		print_volume(&st->volumes[i]);

	if (st->unencrypted_count) {
		printf("\nFilesystems of %s that are not encrypted:\n", FSTAB_PATH);
		print_filesystems(st->unencrypted, st->unencrypted_count);
	}
	if (st->exempt_count) {
		printf("\nNot encrypted, by design:\n");
		print_filesystems(st->exempt, st->exempt_count);
	}
	printf("\n%s\n",
	       all_encrypted(st) ? "Everything is encrypted." : "Not everything is encrypted.");
}

static json_object *json_string_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static const char *reencrypt_name(crypt_reencrypt_info info)
{
	switch (info) {
	case CRYPT_REENCRYPT_NONE:
		return "none";
	case CRYPT_REENCRYPT_CLEAN:
		return "in-progress";
	case CRYPT_REENCRYPT_CRASH:
		return "interrupted";
	default:
		return "invalid";
	}
}

static json_object *json_volume(const struct volume_status *vs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(vs->entry->name));
	json_object_object_add(o, "device", json_object_new_string(vs->entry->device));
	json_object_object_add(o, "path", json_string_or_null(vs->path));
	json_object_object_add(o, "present", json_object_new_boolean(vs->present));
	json_object_object_add(o, "header", json_string_or_null(vs->header));
	json_object_object_add(o, "luks", json_object_new_boolean(vs->luks));
	json_object_object_add(o, "luks_uuid", json_string_or_null(vs->luks_uuid));
	json_object_object_add(o, "reencryption",
			       vs->luks ? json_object_new_string(reencrypt_name(vs->reencrypt))
					: NULL);
	if (vs->luks && vs->reencrypt != CRYPT_REENCRYPT_NONE && vs->total) {
		json_object_object_add(o, "encrypted_bytes", json_object_new_uint64(vs->done));
		json_object_object_add(o, "total_bytes", json_object_new_uint64(vs->total));
		json_object_object_add(o, "percent", json_object_new_int((int)volume_percent(vs)));
	}
	json_object_object_add(o, "state", json_object_new_string(volume_state(vs)));
	json_object_object_add(o, "encrypted",
			       json_object_new_boolean(vs->present && volume_encrypted(vs)));
	return o;
}

static json_object *json_filesystems(const struct filesystem_status *list, size_t n)
{
	json_object *array = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "target", json_object_new_string(list[i].entry.target));
		json_object_object_add(o, "source", json_object_new_string(list[i].entry.source));
		json_object_object_add(o, "type", json_object_new_string(list[i].entry.fstype));
		if (list[i].not_counted)
			json_object_object_add(o, "reason",
					       json_object_new_string(list[i].not_counted));
		json_object_array_add(array, o);
	}
	return array;
}

static void status_json(const struct status *st)
{
	json_object *root = json_object_new_object(), *volumes = json_object_new_array();
	size_t i;

	for (i = 0; i < st->tab.count; i++)
		json_object_array_add(volumes, json_volume(&st->volumes[i]));
	json_object_object_add(root, "volumes", volumes);
	json_object_object_add(root, "unencrypted_filesystems",
			       json_filesystems(st->unencrypted, st->unencrypted_count));
	json_object_object_add(root, "not_counted_filesystems",
			       json_filesystems(st->exempt, st->exempt_count));
	json_object_object_add(root, "all_encrypted", json_object_new_boolean(all_encrypted(st)));
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void status_free(struct status *st)
{
	char **m;
	size_t i;

	for (i = 0; i < st->unencrypted_count; i++)
		fstab_entry_clear(&st->unencrypted[i].entry);
	for (i = 0; i < st->exempt_count; i++)
		fstab_entry_clear(&st->exempt[i].entry);
	for (m = st->mappings; m && *m; m++)
		free(*m);
	free(st->mappings);
	free(st->fstab_text);
	crypttab_free(&st->tab);
	free(st);
}

int status_run(const struct encrypt_options *opts)
{
	struct status *st = calloc(1, sizeof(*st));
	int r, ret;

	if (!st)
		return EXIT_FAILED;
	st->opts = opts;

	r = config_load(st);
	if (r == 0)
		r = mappings_collect(st);
	if (r == 0)
		r = filesystems_check(st);
	if (r == 0 && opts->json)
		status_json(st);
	else if (r == 0)
		status_text(st);

	ret = r < 0 ? EXIT_FAILED : all_encrypted(st) ? EXIT_OK : EXIT_UNENCRYPTED;
	status_free(st);
	return ret;
}
