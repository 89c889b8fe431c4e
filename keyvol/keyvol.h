/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_H
#define BEKBOOT_KEYVOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprint.h"

/*
 * Key volumes: a vfat filesystem labelled "BEK VOLUME" with key files at its
 * root, on an image file or a block device (a partition). Volumes are made
 * and changed with mkfs.fat and mtools; nothing is ever mounted.
 *
 * Every function that can fail returns 0 or a negative errno, and logs its
 * own failure once, as a full sentence: callers need not log it again.
 */

#define KEYVOL_LABEL_DEFAULT	"BEK VOLUME"
#define KEYVOL_LABEL_MAX	11
#define KEYVOL_SIZE_DEFAULT_MIB 48
#define KEYVOL_SIZE_MIN_MIB	1
#define KEYVOL_SIZE_MAX_MIB	1024
#define KEYVOL_NAME_MAX		255
#define KEYVOL_ENTRIES_MAX	512
/* The text file that tells whoever finds the volume what it holds. */
#define KEYVOL_NOTICE_NAME "README.TXT"

/* Printable ASCII, 1..255 bytes, none of FAT's or mtools' special characters. */
bool keyvol_name_valid(const char *name);
/* 1..11 characters that a FAT label may hold, no space at either end. */
bool keyvol_label_valid(const char *label);

struct keyvol_key {
	const char *name;
	const unsigned char *data;
	size_t len;
};

struct keyvol_create_options {
	unsigned size_mib; /* image files only; 0 for the default */
	const char *label; /* NULL for KEYVOL_LABEL_DEFAULT */
	bool force; /* replace an image or a filesystem that exists */
	const struct keyvol_key *keys; /* written after the notice */
	size_t n_keys;
};

/*
 * Make a vfat key volume on @path (image file, created if missing, or block
 * device). An image is built under a temporary name and renamed into place
 * when complete. -EEXIST when @path is a non-empty file or a device that
 * holds a filesystem, unless opts->force; -EINVAL for a bad label, size or
 * key name; -ENOPKG when mkfs.fat or mtools is missing.
 */
int keyvol_create_full(const char *path, const struct keyvol_create_options *opts);

/* Make a vfat key volume on @path (image file, created if missing, or block device). */
int keyvol_create(const char *path, unsigned size_mib, const char *label);

/*
 * Write key bytes as file @name at the volume's root; -EEXIST unless @replace.
 * The key goes under a temporary name first and is read back and compared;
 * only then does it take the place of an old key, so a failure never leaves
 * the volume without a readable key. -EINVAL for an empty key, one over
 * 8 KiB or a bad name; -EISDIR when @name is a directory; -EMEDIUMTYPE when
 * @path holds no vfat filesystem.
 */
int keyvol_add_key(const char *path, const char *name, const unsigned char *key, size_t len,
		   bool replace);

/*
 * Read key file @name into locked memory (*ret, to free with secmem_free()),
 * through mtools: nothing is mounted. -ENOENT when there is none, -EINVAL
 * for an empty file, one over 8 KiB or a bad name; -EMEDIUMTYPE when @path
 * holds no vfat filesystem.
 */
int keyvol_read_key(const char *path, const char *name, unsigned char **ret, size_t *ret_len);

/* Remove key file @name; -ENOENT when there is none, -EISDIR for a directory. */
int keyvol_remove_key(const char *path, const char *name);

/* What inspection finds wrong; a volume with none of these is good. */
enum keyvol_problem {
	KEYVOL_PROBLEM_NO_FILESYSTEM = 1 << 0,
	KEYVOL_PROBLEM_NOT_VFAT = 1 << 1,
	KEYVOL_PROBLEM_WRONG_LABEL = 1 << 2,
	KEYVOL_PROBLEM_NO_KEY = 1 << 3,
	KEYVOL_PROBLEM_EMPTY = 1 << 4,
	KEYVOL_PROBLEM_OVERSIZED = 1 << 5,
	KEYVOL_PROBLEM_TRAILING_NEWLINE = 1 << 6,
	KEYVOL_PROBLEM_NOT_REGULAR = 1 << 7,
	KEYVOL_PROBLEM_UNSAFE_NAME = 1 << 8,
	KEYVOL_PROBLEM_TOO_MANY_FILES = 1 << 9,
};

enum keyvol_file_kind {
	KEYVOL_FILE_KEY,
	KEYVOL_FILE_NOTICE,
	KEYVOL_FILE_DIRECTORY,
};

struct keyvol_file {
	char name[KEYVOL_NAME_MAX + 1];
	enum keyvol_file_kind kind;
	uint64_t size; /* 0 for a directory */
	char fingerprint[FINGERPRINT_LEN + 1]; /* "" when not a usable key */
	unsigned problems; /* enum keyvol_problem bits */
};

struct keyvol_report {
	char label[64]; /* "" when the filesystem has none */
	char type[32]; /* as libblkid names it; "" when none is found */
	unsigned problems; /* of the volume; each file has its own */
	struct keyvol_file *files;
	size_t n_files;
};

/*
 * Read @path's label, filesystem type and root directory, and each file's
 * size and fingerprint, and record what is wrong (@expected_label, or NULL
 * for the default). A broken volume is not an error: it is what the report
 * says. Errors are only failures to read at all.
 */
int keyvol_inspect(const char *path, const char *expected_label, struct keyvol_report *ret);
void keyvol_report_free(struct keyvol_report *report);
/* The problems of the volume and of all its files. */
unsigned keyvol_report_problems(const struct keyvol_report *report);

#endif
