/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_DEVICES_H
#define BEKBOOT_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#define DEVICE_PATH_MAX 288

/* What libblkid says of one block device. */
struct device_info {
	char path[DEVICE_PATH_MAX];
	char type[32];
	char label[128];
	char uuid[64];
	char partuuid[64];
};

/*
 * Probe @path with libblkid: filesystem or LUKS type, label, UUID and the
 * partition's UUID.
 */
int device_probe(const char *path, struct device_info *ret);

/*
 * Find the block device that @spec names: UUID=, PARTUUID=, LABEL= or a
 * path. Writes the /dev node to @ret. -ENODEV when it is not present (yet).
 */
int device_resolve(const char *spec, char *ret, size_t size);

/*
 * Every block device holding a filesystem of @type labelled @label. Returns
 * how many were stored in @ret (at most @max).
 */
size_t device_find_by_label(const char *label, const char *type, char ret[][DEVICE_PATH_MAX],
			    size_t max);

/*
 * Wait until @ready returns non-zero or the monotonic clock passes
 * @deadline_ms. Woken by inotify events on /dev (devtmpfs creates every node
 * there, with or without udev), so a device that appears late is seen at
 * once. Returns @ready's last value (0 at the deadline) or -errno.
 */
int device_wait(int (*ready)(void *userdata), void *userdata, uint64_t deadline_ms);

#endif
