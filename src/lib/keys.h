/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYS_H
#define BEKBOOT_KEYS_H

#include <stddef.h>

#include "fingerprint.h"

/* ADE's name for the OS disk key; data disk keys add _<controller>_<lun>. */
#define KEY_BASE_NAME "LinuxPassPhraseFileName"
#define KEY_FILE_MAX  (8 * 1024)
#define KEY_SET_MAX   64
#define KEY_NAME_MAX  256

struct key_file {
	char name[KEY_NAME_MAX];
	char source[128]; /* where it was read: key volume device or directory */
	unsigned char *data; /* locked memory */
	size_t len;
	char fingerprint[FINGERPRINT_LEN + 1];
};

struct key_set {
	struct key_file files[KEY_SET_MAX];
	size_t count;
};

void key_set_init(struct key_set *set);
/* Wipe and free every key. */
void key_set_clear(struct key_set *set);
/* Wipe and free the key bytes, keeping names and fingerprints for the report. */
void key_set_wipe(struct key_set *set);

/*
 * Read one key file @name relative to @dirfd (AT_FDCWD for a path) into
 * locked memory. Refuses symlinks (-ELOOP), non-regular files (-EINVAL),
 * empty files (-ENODATA) and files over KEY_FILE_MAX (-EFBIG).
 */
int key_set_read(struct key_set *set, int dirfd, const char *name, const char *source);

/*
 * Read the key files at the top of directory @dirfd whose name is one of
 * @wanted (NULL-terminated) or contains KEY_BASE_NAME. A refused file is
 * reported (warning) and skipped. Returns the number of keys read.
 */
int key_set_read_dir(struct key_set *set, int dirfd, const char *const *wanted, const char *source);

/*
 * The order in which keys are tried for a volume configured with key file
 * @name: that name exactly, then KEY_BASE_NAME exactly, then every file whose
 * name contains KEY_BASE_NAME, by name. Stores indexes into @set in @ret
 * (room for KEY_SET_MAX) and returns how many.
 */
size_t key_candidates(const struct key_set *set, const char *name, size_t ret[KEY_SET_MAX]);

#endif
