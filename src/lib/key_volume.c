// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key_volume.h"
#include "log.h"
#include "util.h"

#define KEY_VOLUME_MOUNT_FLAGS (MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC)
/* Files readable by root alone; the codepage is the kernel's own default. */
#define KEY_VOLUME_MOUNT_DATA "uid=0,gid=0,fmask=0277,dmask=0277,codepage=437"

static int run_dir_prepare(void)
{
	struct stat st;

	if (mkdir(KEY_VOLUME_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(KEY_VOLUME_RUN_DIR, &st) < 0)
		return -errno;
	/* Someone else's directory, or a link, is no place to mount keys. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077))
		return -EPERM;

	return 0;
}

static const char *mount_error_hint(int r)
{
	switch (r) {
	case -EINVAL:
		return " (is the kernel's FAT codepage or iocharset module, nls_cp437 or nls_ascii, "
		       "missing?)";
	case -ENODEV:
		return " (the vfat module is not loaded)";
	default:
		return "";
	}
}

static int key_volume_mount(const char *device, char *dir, size_t size)
{
	int r;

	r = run_dir_prepare();
	if (r < 0) {
		log_error("Failed to prepare %s for the key volume: %s", KEY_VOLUME_RUN_DIR,
			  strerror(-r));
		return r;
	}

	snprintf(dir, size, "%s/keyvol.XXXXXX", KEY_VOLUME_RUN_DIR);
	if (!mkdtemp(dir)) {
		r = -errno;
		log_error("Failed to create a mount point under %s: %s", KEY_VOLUME_RUN_DIR,
			  strerror(-r));
		return r;
	}

	if (mount(device, dir, "vfat", KEY_VOLUME_MOUNT_FLAGS, KEY_VOLUME_MOUNT_DATA) < 0) {
		r = -errno;
		log_error("Failed to mount key volume %s: %s%s", device, strerror(-r),
			  mount_error_hint(r));
		rmdir(dir);
		return r;
	}

	return 0;
}

static void key_volume_unmount(const char *device, const char *dir)
{
	if (umount2(dir, UMOUNT_NOFOLLOW) < 0) {
		log_warn("Failed to unmount key volume %s from %s: %s; detaching it.", device, dir,
			 strerror(errno));
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	}
	rmdir(dir);
}

int key_volume_read(const char *device, const char *const *wanted, struct key_set *set)
{
	char dir[sizeof(KEY_VOLUME_RUN_DIR) + 32];
	int fd, r;

	r = key_volume_mount(device, dir, sizeof(dir));
	if (r < 0)
		return r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error("Failed to open key volume %s mounted on %s: %s", device, dir,
			  strerror(-r));
	} else {
		r = key_set_read_dir(set, fd, wanted, device);
		close(fd);
	}

	key_volume_unmount(device, dir);
	return r;
}
