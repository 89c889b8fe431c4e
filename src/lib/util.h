/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_UTIL_H
#define BEKBOOT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

void closep(int *fd);

#define _cleanup_free_	__attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

static inline bool streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}

/* The rest of @s after @prefix, or NULL if @s does not start with it. */
const char *startswith(const char *s, const char *prefix);

/* Parse a whole decimal number in [0, max]; -EINVAL or -ERANGE otherwise. */
int parse_uint(const char *s, unsigned long max, unsigned long *ret);

/* Milliseconds on the monotonic clock. */
uint64_t now_ms(void);

/*
 * Read @fd to its end into @buf, which holds @size bytes: -EFBIG once more
 * than @size - 1 bytes arrive. The caller owns @buf (locked memory for a
 * secret).
 */
int read_fd_bounded(int fd, void *buf, size_t size, size_t *ret_len);

/* Write all @len bytes of @data to @fd, through short writes and EINTR. */
int write_all(int fd, const void *data, size_t len);

/* Copy @in to its end into @out; adds the bytes copied to *@bytes if given. */
int copy_fd(int in, int out, uint64_t *bytes);

/*
 * Read a whole file of at most @max bytes into a NUL-terminated buffer from
 * malloc(). -EFBIG when it is larger. Not for secrets.
 */
int read_text_file(const char *path, size_t max, char **ret, size_t *ret_len);

/*
 * Replace @path with @len bytes of @data atomically: a temporary file in the
 * same directory, fsync, rename, fsync of the directory. Never leaves a half
 * written file behind.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory that holds @path: makes a rename or a new name in it durable. */
int fsync_parent(const char *path);

/* mkdir -p with @mode for the directories it creates. */
int mkdir_parents(const char *path, mode_t mode);

/* Decode crypttab/fstab octal escapes (\040) in place. */
void unescape_octal(char *s);

/* Available memory in KiB (MemAvailable of /proc/meminfo). */
int mem_available_kib(uint64_t *ret);

#endif
