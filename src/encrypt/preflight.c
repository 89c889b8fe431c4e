// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Everything that can make the encryptor refuse is checked here, before
 * anything is written: a refusal leaves the device byte-identical.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <libmount.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "encrypt.h"
#include "log.h"
#include "util.h"

static int device_size(const char *device, const struct stat *st, uint64_t *ret)
{
	_cleanup_close_ int fd = -1;

	if (S_ISREG(st->st_mode)) {
		*ret = (uint64_t)st->st_size;
		return 0;
	}

	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return ioctl(fd, BLKGETSIZE64, ret) < 0 ? -errno : 0;
}

/* The mount point of block device @devno, for the refusal message. */
static char *mount_point_of(dev_t devno)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs;
	char *target = NULL;

	if (tb && mnt_table_parse_mtab(tb, NULL) == 0) {
		fs = mnt_table_find_devno(tb, devno, MNT_ITER_FORWARD);
		if (fs && mnt_fs_get_target(fs))
			target = strdup(mnt_fs_get_target(fs));
	}
	mnt_unref_table(tb);
	return target;
}

/* A block device that is mounted or held (swap, a mapping) cannot be opened O_EXCL. */
static int check_not_busy(const char *device, const struct stat *st)
{
	_cleanup_free_ char *target = NULL;
	int fd;

	if (!S_ISBLK(st->st_mode))
		return 0;

	fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EBUSY) {
		log_error("Failed to open %s: %m", device);
		return -errno;
	}

	target = mount_point_of(st->st_rdev);
	if (target)
		log_error("Device %s is mounted on %s; unmount it first.", device, target);
	else
		log_error(
			"Device %s is in use (swap, a mapping or another program); release it first.",
			device);
	return -EBUSY;
}

int luks_probe(const char *device, const char *header, bool *ret_luks, bool *ret_reencrypting,
	       char ret_uuid[40])
{
	struct crypt_device *cd = NULL;
	int r;

	*ret_luks = *ret_reencrypting = false;
	r = crypt_init_data_device(&cd, header ?: device, device);
	if (r < 0)
		return r;

	if (crypt_load(cd, CRYPT_LUKS, NULL) == 0) {
		*ret_luks = true;
		*ret_reencrypting = crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE;
		if (ret_uuid)
			snprintf(ret_uuid, 40, "%s", crypt_get_uuid(cd) ?: "");
	}

	crypt_free(cd);
	return 0;
}

static void probe_value(blkid_probe pr, const char *name, char *buf, size_t size)
{
	const char *value = NULL;

	buf[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &value, NULL) == 0)
		snprintf(buf, size, "%s", value);
}

static int probe_filesystem(struct volume_plan *plan, unsigned long *ret_block_size)
{
	blkid_probe pr = blkid_new_probe_from_filename(plan->device);
	char block_size[32];
	int r;

	if (!pr)
		return -errno ?: -EIO;

	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		probe_value(pr, "TYPE", plan->fstype, sizeof(plan->fstype));
		probe_value(pr, "UUID", plan->fs_uuid, sizeof(plan->fs_uuid));
		probe_value(pr, "LABEL", plan->fs_label, sizeof(plan->fs_label));
		probe_value(pr, "BLOCK_SIZE", block_size, sizeof(block_size));
		if (parse_uint(block_size, 1 << 16, ret_block_size) < 0)
			*ret_block_size = 512;
	}

	blkid_free_probe(pr);
	/* -2: several signatures disagree, which is no filesystem we can trust. */
	return r < 0 ? -EINVAL : 0;
}

static bool is_ext(const char *fstype)
{
	return streq(fstype, "ext2") || streq(fstype, "ext3") || streq(fstype, "ext4");
}

static int choose_mode(const struct encrypt_options *opts, struct volume_plan *plan)
{
	if (opts->header) {
		plan->mode = MODE_DETACHED;
	} else if (opts->format) {
		plan->mode = MODE_FORMAT;
		if (plan->fstype[0] && !opts->yes) {
			log_error(
				"Device %s holds a %s filesystem and --format would destroy it; add --yes to confirm.",
				plan->device, plan->fstype);
			return -EEXIST;
		}
	} else if (is_ext(plan->fstype)) {
		plan->mode = MODE_SHIFT;
	} else {
		log_error(
			"Device %s holds %s%s, which cannot be shrunk to make room for the header; use --header FILE to keep its data with a detached header, or --format.",
			plan->device, plan->fstype[0] ? "a filesystem of type " : "no filesystem",
			plan->fstype);
		return -EMEDIUMTYPE;
	}

	return 0;
}

static int check_size(const struct volume_plan *plan)
{
	uint64_t min = plan->mode == MODE_DETACHED ? (1ULL << 20) : DEVICE_MIN_SIZE;

	if (plan->size < min) {
		log_error("Device %s is too small: %llu KiB, and at least %llu MiB are needed.",
			  plan->device, (unsigned long long)(plan->size >> 10),
			  (unsigned long long)(min >> 20));
		return -ENOSPC;
	}
	if (plan->size % 512) {
		log_error("Device %s has a size that is not a multiple of 512 bytes.",
			  plan->device);
		return -EINVAL;
	}

	return 0;
}

/* 4096-byte sectors need every filesystem I/O to be 4096-byte aligned. */
static uint32_t choose_sector_size(const struct volume_plan *plan, unsigned long block_size)
{
	if (plan->size % 4096)
		return 512;
	if (plan->mode == MODE_FORMAT)
		return 4096;
	return block_size >= 4096 ? 4096 : 512;
}

static bool name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < MAPPING_NAME_MAX && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		       n;
}

static int choose_name(const struct encrypt_options *opts, struct volume_plan *plan)
{
	const char *name = opts->name ?: plan->fs_uuid;

	if (!name[0]) {
		log_error(
			"Device %s has no filesystem UUID to name its mapping after; give one with --name.",
			plan->device);
		return -EINVAL;
	}
	if (!name_valid(name)) {
		log_error(
			"Mapping name '%s' is not valid: use letters, digits, '.', '_' and '-', at most %d characters.",
			name, MAPPING_NAME_MAX - 1);
		return -EINVAL;
	}

	snprintf(plan->name, sizeof(plan->name), "%s", name);
	return 0;
}

/* The mount point of the filesystem with UUID @uuid, through libmount's tag cache. */
static int mount_point_of_uuid(const char *uuid, char *buf, size_t size)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_cache *cache = mnt_new_cache();
	struct libmnt_fs *fs = NULL;
	int r = -ENOENT;

	if (tb && cache && mnt_table_parse_mtab(tb, NULL) == 0) {
		mnt_table_set_cache(tb, cache);
		fs = mnt_table_find_tag(tb, "UUID", uuid, MNT_ITER_FORWARD);
	}
	if (fs && mnt_fs_get_target(fs)) {
		snprintf(buf, size, "%s", mnt_fs_get_target(fs));
		r = 0;
	}

	mnt_unref_table(tb);
	mnt_unref_cache(cache);
	return r;
}

int plan_header(const char *header, struct volume_plan *plan)
{
	const char *spec = startswith(header, "UUID="), *colon;
	char mount_point[PATH_MAX];

	if (!spec) {
		snprintf(plan->header_file, sizeof(plan->header_file), "%s", header);
		snprintf(plan->header_path, sizeof(plan->header_path), "%s", header);
		return 0;
	}

	colon = strchr(spec, ':');
	if (!colon || colon == spec || colon[1] != '/' || (size_t)(colon - spec) >= 64) {
		log_error("Header '%s' is not of the form UUID=<filesystem UUID>:/path.", header);
		return -EINVAL;
	}
	snprintf(plan->header_uuid, sizeof(plan->header_uuid), "%.*s", (int)(colon - spec), spec);
	snprintf(plan->header_path, sizeof(plan->header_path), "%s", colon + 1);

	if (mount_point_of_uuid(plan->header_uuid, mount_point, sizeof(mount_point)) < 0) {
		log_error(
			"The filesystem with UUID %s that is to hold the header is not mounted; mount it first.",
			plan->header_uuid);
		return -ENOENT;
	}
	if (strlen(mount_point) + strlen(plan->header_path) >= sizeof(plan->header_file)) {
		log_error("Header path %s%s is too long.", mount_point, plan->header_path);
		return -ENAMETOOLONG;
	}
	strcpy(plan->header_file, streq(mount_point, "/") ? "" : mount_point);
	strcat(plan->header_file, plan->header_path);
	return 0;
}

/* ADE names a data disk's key after its Azure SCSI controller and LUN. */
static int ade_key_name(const char *device, char *buf, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	unsigned lun;

	for (lun = 0; lun < 64; lun++) {
		snprintf(link, sizeof(link), "/dev/disk/azure/scsi1/lun%u", lun);
		if (realpath(link, target) && streq(target, device)) {
			snprintf(buf, size, "LinuxPassPhraseFileName_1_%u", lun);
			return 0;
		}
	}

	return -ENOENT;
}

/* crypttab names the key file as the system will see it: absolute, inside --root. */
static int plan_key_path(const struct encrypt_options *opts, struct volume_plan *plan)
{
	char real[PATH_MAX];
	const char *inside;

	if (!realpath(opts->key_file, real)) {
		log_error("Failed to find key file %s: %m", opts->key_file);
		return -ENOENT;
	}
	inside = opts->root[0] ? startswith(real, opts->root) : NULL;
	snprintf(plan->key_path, sizeof(plan->key_path), "%s",
		 inside && inside[0] == '/' ? inside : real);
	return 0;
}

static int plan_key(const struct encrypt_options *opts, struct volume_plan *plan)
{
	if (opts->key_file)
		return plan_key_path(opts, plan);
	if (opts->key_name) {
		snprintf(plan->key_name, sizeof(plan->key_name), "%s", opts->key_name);
		return 0;
	}
	if (ade_key_name(plan->device, plan->key_name, sizeof(plan->key_name)) == 0)
		return 0;

	log_error(
		"Device %s is no Azure data disk, so its key file name cannot be derived; give one with --key-name.",
		plan->device);
	return -EINVAL;
}

static int plan_device(const char *device, struct volume_plan *plan, struct stat *st)
{
	int r;

	if (!realpath(device, plan->device) || stat(plan->device, st) < 0) {
		log_error("Failed to find device %s: %m", device);
		return -ENODEV;
	}
	if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode)) {
		log_error("%s is neither a block device nor an image file.", device);
		return -ENOTBLK;
	}

	r = device_size(plan->device, st, &plan->size);
	if (r < 0)
		log_error("Failed to read the size of %s: %s", plan->device, strerror(-r));
	return r;
}

/* A detached header leaves no UUID on the device, so crypttab names it by path. */
static void plan_device_spec(const struct encrypt_options *opts, struct volume_plan *plan)
{
	if (plan->mode != MODE_DETACHED)
		return;
	if (startswith(opts->device, "/dev/disk/")) {
		snprintf(plan->device_spec, sizeof(plan->device_spec), "%s", opts->device);
		return;
	}
	snprintf(plan->device_spec, sizeof(plan->device_spec), "%s", plan->device);
	log_warn(
		"%s is no persistent device name; better name the device by a /dev/disk/by-id/ path.",
		plan->device);
}

static bool header_exists(const struct volume_plan *plan)
{
	return plan->header_file[0] && access(plan->header_file, F_OK) == 0;
}

int preflight_data(const struct encrypt_options *opts, struct volume_plan *plan)
{
	unsigned long block_size = 512;
	struct stat st;
	int r;

	r = plan_device(opts->device, plan, &st);
	if (r == 0)
		r = check_not_busy(plan->device, &st);
	if (r == 0 && opts->header)
		r = plan_header(opts->header, plan);
	if (r < 0)
		return r;

	r = luks_probe(plan->device, header_exists(plan) ? plan->header_file : NULL, &plan->luks,
		       &plan->reencrypting, plan->luks_uuid);
	if (r < 0 || plan->luks)
		return r;
	if (header_exists(plan)) {
		log_error(
			"Header file %s exists and holds no LUKS header; remove it or choose another.",
			plan->header_file);
		return -EEXIST;
	}

	r = probe_filesystem(plan, &block_size);
	if (r < 0)
		log_error(
			"Failed to probe %s: libblkid finds signatures that contradict each other.",
			plan->device);
	if (r == 0)
		r = choose_mode(opts, plan);
	if (r == 0)
		r = check_size(plan);
	if (r == 0)
		r = choose_name(opts, plan);
	if (r == 0)
		r = plan_key(opts, plan);
	plan_device_spec(opts, plan);
	plan->sector_size = choose_sector_size(plan, block_size);
	return r;
}
