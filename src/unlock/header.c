// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Detached headers on a filesystem named by UUID (ADE keeps the OS disk's in
 * /luks/osluksheader on /boot): mount it read-only just long enough to copy
 * the header to /run, where it stays for the life of the mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key_volume.h"
#include "log.h"
#include "unlock.h"
#include "util.h"

#define HEADER_MAX_SIZE (64ULL * 1024 * 1024)

static int header_copy(const char *source, const char *target)
{
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int r;

	in = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > HEADER_MAX_SIZE)
		return -EINVAL;

	out = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;

	r = copy_fd(in, out, NULL);
	if (r < 0)
		unlink(target);
	return r;
}

static int header_mount(const char *device, const char *type, char *dir, size_t size)
{
	int r;

	r = mkdir_parents(HEADER_COPY_DIR, 0700);
	if (r < 0)
		return r;

	snprintf(dir, size, "%s/boot.XXXXXX", KEY_VOLUME_RUN_DIR);
	if (!mkdtemp(dir))
		return -errno;

	if (mount(device, dir, type, MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) < 0) {
		r = -errno;
		rmdir(dir);
		return r;
	}
	return 0;
}

static int header_fetch(struct volume *vol, const char *device, const char *type)
{
	char dir[sizeof(KEY_VOLUME_RUN_DIR) + 32], source[DEVICE_PATH_MAX * 2];
	int r;

	r = header_mount(device, type, dir, sizeof(dir));
	if (r < 0) {
		log_error("Failed to mount %s (%s), which holds the header of volume %s: %s",
			  device, type, vol->entry->name, strerror(-r));
		return r;
	}

	snprintf(source, sizeof(source), "%s%s", dir, vol->entry->header_path);
	snprintf(vol->header, sizeof(vol->header), "%s/%s", HEADER_COPY_DIR, vol->entry->name);
	r = header_copy(source, vol->header);
	if (r < 0)
		log_error("Failed to read header %s of volume %s from %s: %s",
			  vol->entry->header_path, vol->entry->name, device,
			  r == -EINVAL ? "not a regular file of at most 64 MiB" : strerror(-r));

	umount2(dir, UMOUNT_NOFOLLOW);
	rmdir(dir);
	return r;
}

/* A header given by path: libcryptsetup would call a missing file "Block device required". */
static int header_path_check(struct volume *vol)
{
	int r;

	snprintf(vol->header, sizeof(vol->header), "%s", vol->entry->header_path);
	if (access(vol->header, R_OK) == 0)
		return 0;

	r = -errno;
	log_error("Failed to read header %s of volume %s: %s", vol->header, vol->entry->name,
		  strerror(-r));
	vol->cause = CAUSE_HEADER;
	return r;
}

int header_prepare(struct volume *vol)
{
	char spec[96], device[DEVICE_PATH_MAX];
	struct device_info info;
	int r;

	if (!vol->entry->header_path)
		return 0;
	if (!vol->entry->header_uuid)
		return header_path_check(vol);

	snprintf(spec, sizeof(spec), "UUID=%s", vol->entry->header_uuid);
	r = device_resolve(spec, device, sizeof(device));
	if (r == 0)
		r = device_probe(device, &info);
	if (r < 0) {
		log_error("The filesystem %s that holds the header of volume %s is not present.",
			  spec, vol->entry->name);
		vol->cause = CAUSE_HEADER;
		return r;
	}

	r = header_fetch(vol, device, info.type);
	if (r < 0) {
		vol->header[0] = '\0';
		vol->cause = CAUSE_HEADER;
	}
	return r;
}

int filesystem_has_file(const char *device, const char *type, const char *path)
{
	char dir[sizeof(KEY_VOLUME_RUN_DIR) + 32], file[DEVICE_PATH_MAX * 2];
	struct stat st;
	int r;

	r = header_mount(device, type, dir, sizeof(dir));
	if (r < 0)
		return r;

	snprintf(file, sizeof(file), "%s%s", dir, path);
	r = lstat(file, &st) == 0 && S_ISREG(st.st_mode);

	umount2(dir, UMOUNT_NOFOLLOW);
	rmdir(dir);
	return r;
}
