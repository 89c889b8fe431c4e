/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEY_VOLUME_H
#define BEKBOOT_KEY_VOLUME_H

#include <stddef.h>

#include "devices.h"
#include "keys.h"

#define KEY_VOLUME_RUN_DIR "/run/bekboot"
#define KEY_VOLUME_MAX	   8

/*
 * Mount the vfat key volume @device read-only, nodev, nosuid, noexec, with
 * owner-only permissions, on a fresh private directory under
 * KEY_VOLUME_RUN_DIR, read the key files that @wanted names (see
 * key_set_read_dir) into @set, and unmount it at once. Returns the number of
 * keys read or -errno; logs the failure.
 */
int key_volume_read(const char *device, const char *const *wanted, struct key_set *set);

#endif
