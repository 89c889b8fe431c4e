/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_MTOOLS_H
#define BEKBOOT_KEYVOL_MTOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyvol.h"
#include "tool.h"

/*
 * The root directory of a FAT volume through mtools, and its label and type
 * through libblkid. These helpers log at debug level only; on failure @err
 * (TOOL_ERROR_MAX bytes) holds the reason, for the caller's one message.
 */

struct volume_entry {
	char name[KEYVOL_NAME_MAX + 1]; /* unprintable bytes shown as '?' */
	bool directory;
	bool unsafe; /* a name that mtools would take as a pattern, or unprintable */
};

/* Label and TYPE as libblkid sees them; both "" when there is no filesystem. */
int volume_probe(const char *path, char *label, size_t label_size, char *type, size_t type_size,
		 char *err);

/* The root directory, malloc'd. -E2BIG past KEYVOL_ENTRIES_MAX entries. */
int volume_list(const char *image, struct volume_entry **ret, size_t *ret_count, char *err);
/* The entry named @name, ignoring case as FAT does, or NULL. */
const struct volume_entry *volume_find(const struct volume_entry *entries, size_t count,
				       const char *name);

/*
 * Read file @name into @buf (@size bytes, the caller's locked memory). The
 * whole file is read: @ret_len is its full length, even when only the first
 * @size bytes were kept.
 */
int volume_read(const char *image, const char *name, unsigned char *buf, size_t size,
		uint64_t *ret_len, char *err);
int volume_write(const char *image, const char *name, const unsigned char *data, size_t len,
		 char *err);
int volume_delete(const char *image, const char *name, char *err);
int volume_rename(const char *image, const char *from, const char *to, char *err);
int volume_format(const char *path, const char *label, bool whole_device, char *err);
/* Flush what the tools wrote to the image or device. */
int volume_sync(const char *path);

/* The reason for a failure @r of one of these helpers, for a message. */
const char *volume_strerror(int r, const char *err);

#endif
