// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Making key volumes and rotating their keys. An image is built under a
 * temporary name and renamed into place when complete; a key is written
 * under a temporary name and read back before it replaces the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "keyvol.h"
#include "log.h"
#include "mtools.h"
#include "secmem.h"
#include "util.h"

#define MIB	       (1024 * 1024)
#define NEW_KEY_SUFFIX ".new"

static const char keyvol_notice[] =
	"This volume holds the keys that unlock the encrypted disks of a machine.\n"
	"Anyone who can read it can read those disks: do not copy or share it.\n"
	"Deleting or changing its files can leave the disks impossible to unlock.\n";

bool keyvol_name_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > KEYVOL_NAME_MAX || streq(name, ".") || streq(name, ".."))
		return false;
	/* FAT drops a trailing dot or space, so the name on disk would differ. */
	if (name[0] == ' ' || name[len - 1] == ' ' || name[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* [ ] * ? are patterns to mtools; the rest FAT does not allow. */
		if (c < 0x20 || c >= 0x7f || strchr("\"*/:<>?\\|[]", c))
			return false;
	}

	return true;
}

bool keyvol_label_valid(const char *label)
{
	size_t len = strlen(label), i;

	if (len == 0 || len > KEYVOL_LABEL_MAX || label[0] == ' ' || label[len - 1] == ' ')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		if (c < 0x20 || c >= 0x7f || strchr("\"*+,./:;<=>?[\\]|", c))
			return false;
	}

	return true;
}

static int key_check(const char *path, const char *name, size_t len)
{
	if (!keyvol_name_valid(name)) {
		log_error(
			"Key file name \"%s\" is not valid: it must be 1 to %d printable ASCII characters without any of \"*/:<>?\\|[], and not end in a dot or space.",
			name, KEYVOL_NAME_MAX);
		return -EINVAL;
	}
	if (len == 0 || len > KEY_FILE_MAX) {
		log_error("Refusing to write key file %s to %s: it is %s.", name, path,
			  len == 0 ? "empty" : "larger than 8 KiB");
		return -EINVAL;
	}

	return 0;
}

/* Write a file and read it back: the volume must hold exactly these bytes. */
static int key_write_verified(const char *image, const char *name, const unsigned char *data,
			      size_t len, char *err)
{
	_cleanup_secmem_ unsigned char *back = NULL;
	uint64_t back_len = 0;
	int r;

	r = volume_write(image, name, data, len, err);
	if (r < 0)
		return r;

	back = secmem_alloc(len + 1);
	if (!back)
		return -errno;

	r = volume_read(image, name, back, len + 1, &back_len, err);
	if (r < 0)
		return r;

	if (back_len != len || memcmp(back, data, len) != 0) {
		snprintf(err, TOOL_ERROR_MAX, "the file read back differs from the key written");
		return -EIO;
	}
	return 0;
}

static int volume_flush(const char *path)
{
	int r = volume_sync(path);

	if (r < 0)
		log_error("Failed to flush key volume %s to disk: %s", path, strerror(-r));
	return r;
}

static int volume_require_vfat(const char *path)
{
	char label[64], type[32], err[TOOL_ERROR_MAX] = "";
	int r;

	r = volume_probe(path, label, sizeof(label), type, sizeof(type), err);
	if (r < 0) {
		log_error("Failed to read key volume %s: %s", path, volume_strerror(r, err));
		return r;
	}
	if (!streq(type, "vfat")) {
		log_error("Key volume %s holds no vfat filesystem%s%s%s.", path,
			  *type ? " (it is " : "", type, *type ? ")" : "");
		return -EMEDIUMTYPE;
	}

	return 0;
}

static int volume_list_logged(const char *path, struct volume_entry **ret, size_t *ret_count)
{
	char err[TOOL_ERROR_MAX] = "";
	int r;

	r = volume_list(path, ret, ret_count, err);
	if (r < 0)
		log_error("Failed to list the files of key volume %s: %s", path,
			  volume_strerror(r, err));
	return r;
}

/* Old key out, new key in: a crash between the two leaves NAME.new readable. */
static int key_replace(const char *path, const char *old_name, const char *name,
		       const unsigned char *key, size_t len)
{
	char new_name[KEYVOL_NAME_MAX + 1], err[TOOL_ERROR_MAX] = "";
	int r;

	snprintf(new_name, sizeof(new_name), "%s%s", name, NEW_KEY_SUFFIX);
	r = key_write_verified(path, new_name, key, len, err);
	if (r < 0) {
		log_error("Failed to write key file %s to %s: %s", new_name, path,
			  volume_strerror(r, err));
		volume_delete(path, new_name, err);
		return r;
	}

	r = volume_delete(path, old_name, err);
	if (r == 0)
		r = volume_rename(path, new_name, name, err);
	if (r < 0)
		log_error("Failed to replace key file %s on %s: %s; the new key is in %s.", name,
			  path, volume_strerror(r, err), new_name);
	return r;
}

static int key_add_checked(const char *path, const struct volume_entry *entries, size_t count,
			   const char *name, bool replace)
{
	const struct volume_entry *old = volume_find(entries, count, name);
	char new_name[KEYVOL_NAME_MAX + 2];

	if (old && old->directory) {
		log_error("Cannot write key file %s to %s: a directory has that name.", name, path);
		return -EISDIR;
	}
	if (old && !replace) {
		log_error("Key file %s already exists on %s.", old->name, path);
		return -EEXIST;
	}
	if (!old)
		return 0;

	if (snprintf(new_name, sizeof(new_name), "%s%s", name, NEW_KEY_SUFFIX) > KEYVOL_NAME_MAX) {
		log_error("Cannot replace key file %s on %s: the name is too long to add %s to it.",
			  name, path, NEW_KEY_SUFFIX);
		return -ENAMETOOLONG;
	}
	if (volume_find(entries, count, new_name)) {
		log_error(
			"Cannot replace key file %s on %s: %s, left by an interrupted replacement, is in the way; check it and remove it first.",
			name, path, new_name);
		return -EEXIST;
	}

	return 0;
}

int keyvol_add_key(const char *path, const char *name, const unsigned char *key, size_t len,
		   bool replace)
{
	_cleanup_free_ struct volume_entry *entries = NULL;
	const struct volume_entry *old;
	char err[TOOL_ERROR_MAX] = "";
	size_t count = 0;
	int r;

	r = key_check(path, name, len);
	if (r == 0)
		r = volume_require_vfat(path);
	if (r == 0)
		r = volume_list_logged(path, &entries, &count);
	if (r == 0)
		r = key_add_checked(path, entries, count, name, replace);
	if (r < 0)
		return r;

	old = volume_find(entries, count, name);
	if (old) {
		r = key_replace(path, old->name, name, key, len);
	} else {
		r = key_write_verified(path, name, key, len, err);
		if (r < 0)
			log_error("Failed to write key file %s to %s: %s", name, path,
				  volume_strerror(r, err));
	}
	if (r < 0)
		return r;

	return volume_flush(path);
}

/*
 * The entry of key file @name on the vfat volume @path, with the listing it
 * points into (freed by the caller); logs why there is none.
 */
static int volume_key_entry(const char *path, const char *name, struct volume_entry **ret_entries,
			    const struct volume_entry **ret_entry)
{
	_cleanup_free_ struct volume_entry *entries = NULL;
	const struct volume_entry *entry;
	size_t count = 0;
	int r;

	if (!keyvol_name_valid(name)) {
		log_error("Key file name \"%s\" is not valid.", name);
		return -EINVAL;
	}

	r = volume_require_vfat(path);
	if (r == 0)
		r = volume_list_logged(path, &entries, &count);
	if (r < 0)
		return r;

	entry = volume_find(entries, count, name);
	if (!entry || entry->directory) {
		log_error("There is no key file %s on %s%s.", name, path,
			  entry ? " (a directory has that name)" : "");
		return entry ? -EISDIR : -ENOENT;
	}

	*ret_entry = entry;
	*ret_entries = entries;
	entries = NULL;
	return 0;
}

int keyvol_remove_key(const char *path, const char *name)
{
	_cleanup_free_ struct volume_entry *entries = NULL;
	const struct volume_entry *entry;
	char err[TOOL_ERROR_MAX] = "";
	int r;

	r = volume_key_entry(path, name, &entries, &entry);
	if (r < 0)
		return r;

	r = volume_delete(path, entry->name, err);
	if (r < 0) {
		log_error("Failed to remove key file %s from %s: %s", name, path,
			  volume_strerror(r, err));
		return r;
	}

	return volume_flush(path);
}

static int create_keys_check(const char *path, const struct keyvol_create_options *opts)
{
	size_t i, j;
	int r;

	for (i = 0; i < opts->n_keys; i++) {
		const char *name = opts->keys[i].name;

		r = key_check(path, name, opts->keys[i].len);
		if (r < 0)
			return r;
		if (strcasecmp(name, KEYVOL_NOTICE_NAME) == 0) {
			log_error("Key file name %s is taken by the volume's notice.", name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcasecmp(name, opts->keys[j].name) == 0) {
				log_error("Key file %s is given twice (FAT ignores case).", name);
				return -EINVAL;
			}
		}
	}

	return 0;
}

static int create_options_check(const char *path, const char *label, unsigned size_mib,
				const struct keyvol_create_options *opts)
{
	if (!keyvol_label_valid(label)) {
		log_error(
			"Label \"%s\" is not a valid FAT label: it must be 1 to %d printable ASCII characters without any of \"*+,./:;<=>?[\\]|, and not start or end with a space.",
			label, KEYVOL_LABEL_MAX);
		return -EINVAL;
	}
	if (size_mib < KEYVOL_SIZE_MIN_MIB || size_mib > KEYVOL_SIZE_MAX_MIB) {
		log_error("Key volume size %u MiB is out of range: it must be %d to %d MiB.",
			  size_mib, KEYVOL_SIZE_MIN_MIB, KEYVOL_SIZE_MAX_MIB);
		return -EINVAL;
	}

	return create_keys_check(path, opts);
}

/* Format @target and write the notice and keys; @path names it in messages. */
static int volume_fill(const char *target, const char *path, const char *label,
		       const struct keyvol_create_options *opts, bool device)
{
	char err[TOOL_ERROR_MAX] = "";
	size_t i;
	int r;

	r = volume_format(target, label, device, err);
	if (r < 0) {
		log_error("Failed to make a vfat filesystem on %s: %s", path,
			  volume_strerror(r, err));
		return r;
	}

	r = volume_write(target, KEYVOL_NOTICE_NAME, (const unsigned char *)keyvol_notice,
			 sizeof(keyvol_notice) - 1, err);
	if (r < 0) {
		log_error("Failed to write %s to key volume %s: %s", KEYVOL_NOTICE_NAME, path,
			  volume_strerror(r, err));
		return r;
	}

	for (i = 0; i < opts->n_keys; i++) {
		const struct keyvol_key *key = &opts->keys[i];

		r = key_write_verified(target, key->name, key->data, key->len, err);
		if (r < 0) {
			log_error("Failed to write key file %s to %s: %s", key->name, path,
				  volume_strerror(r, err));
			return r;
		}
	}

	return 0;
}

static int directory_sync(const char *path)
{
	char copy[PATH_MAX];
	_cleanup_close_ int fd = -1;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static int image_build(int fd, const char *tmp, const char *path, const char *label,
		       unsigned size_mib, const struct keyvol_create_options *opts)
{
	int r;

	if (ftruncate(fd, (off_t)size_mib * MIB) < 0) {
		r = -errno;
		log_error("Failed to size key volume image %s to %u MiB: %s", path, size_mib,
			  strerror(-r));
		return r;
	}

	r = volume_fill(tmp, path, label, opts, false);
	if (r < 0)
		return r;

	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		log_error("Failed to put key volume image %s in place: %s", path, strerror(-r));
		return r;
	}

	return 0;
}

static int image_create(const char *path, const char *label, unsigned size_mib,
			const struct keyvol_create_options *opts)
{
	_cleanup_close_ int fd = -1;
	char tmp[PATH_MAX];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		log_error("Failed to create key volume image %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}

	/* mkostemp makes it 0600: the image will hold keys. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error("Failed to create key volume image %s: %s", path, strerror(-r));
		return r;
	}

	r = image_build(fd, tmp, path, label, size_mib, opts);
	if (r < 0) {
		unlink(tmp);
		return r;
	}

	r = directory_sync(path);
	if (r < 0)
		log_warn("Failed to flush the directory of %s: %s, ignoring.", path, strerror(-r));
	return 0;
}

static int device_create(const char *path, const char *label,
			 const struct keyvol_create_options *opts)
{
	char found_label[64], type[32], err[TOOL_ERROR_MAX] = "";
	int r;

	r = volume_probe(path, found_label, sizeof(found_label), type, sizeof(type), err);
	if (r < 0) {
		log_error("Failed to read device %s: %s", path, volume_strerror(r, err));
		return r;
	}
	if (*type && !opts->force) {
		log_error("Refusing to format %s: it holds a %s filesystem.", path, type);
		return -EEXIST;
	}

	r = volume_fill(path, path, label, opts, true);
	if (r < 0)
		return r;

	return volume_flush(path);
}

int keyvol_create_full(const char *path, const struct keyvol_create_options *opts)
{
	const char *label = opts->label ? opts->label : KEYVOL_LABEL_DEFAULT;
	unsigned size_mib = opts->size_mib ? opts->size_mib : KEYVOL_SIZE_DEFAULT_MIB;
	struct stat st;
	int r;

	r = create_options_check(path, label, size_mib, opts);
	if (r < 0)
		return r;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return image_create(path, label, size_mib, opts);
		r = -errno;
		log_error("Failed to look at %s: %s", path, strerror(-r));
		return r;
	}

	if (S_ISBLK(st.st_mode))
		return device_create(path, label, opts);
	if (!S_ISREG(st.st_mode)) {
		log_error(
			"Cannot make a key volume on %s: it is neither a file nor a block device.",
			path);
		return -EINVAL;
	}
	if (st.st_size > 0 && !opts->force) {
		log_error("Refusing to replace %s: the file exists and is not empty.", path);
		return -EEXIST;
	}

	return image_create(path, label, size_mib, opts);
}

int keyvol_create(const char *path, unsigned size_mib, const char *label)
{
	struct keyvol_create_options opts = { .size_mib = size_mib, .label = label };

	return keyvol_create_full(path, &opts);
}

static int key_read_checked(const char *path, const char *name, unsigned char *buf, size_t *ret_len)
{
	char err[TOOL_ERROR_MAX] = "";
	uint64_t len = 0;
	int r;

	r = volume_read(path, name, buf, KEY_FILE_MAX, &len, err);
	if (r < 0) {
		log_error("Failed to read key file %s from %s: %s", name, path,
			  volume_strerror(r, err));
		return r;
	}
	if (len == 0 || len > KEY_FILE_MAX) {
		log_error("Refusing key file %s on %s: it is %s.", name, path,
			  len == 0 ? "empty" : "larger than 8 KiB");
		return -EINVAL;
	}

	*ret_len = len;
	return 0;
}

int keyvol_read_key(const char *path, const char *name, unsigned char **ret, size_t *ret_len)
{
	_cleanup_secmem_ unsigned char *buf = NULL;
	_cleanup_free_ struct volume_entry *entries = NULL;
	const struct volume_entry *entry;
	int r;

	r = volume_key_entry(path, name, &entries, &entry);
	if (r < 0)
		return r;

	buf = secmem_alloc(KEY_FILE_MAX);
	if (!buf) {
		log_error("Failed to allocate locked memory for key file %s.", name);
		return -ENOMEM;
	}
	r = key_read_checked(path, entry->name, buf, ret_len);
	if (r < 0)
		return r;

	*ret = buf;
	buf = NULL;
	return 0;
}
