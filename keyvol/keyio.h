/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_KEYIO_H
#define BEKBOOT_KEYVOL_KEYIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Files the program reads and writes for the user. "-" or NULL is standard
 * input or output. Each function logs its own failure.
 */

/* A key of 1 to 8 KiB into locked memory (secmem_free it). */
int key_input_read(const char *path, unsigned char **ret, size_t *ret_len);

/*
 * Write @len bytes atomically with @mode; -EEXIST if @path exists unless
 * @force. A @secret is never written to a terminal.
 */
int output_write(const char *path, const void *data, size_t len, mode_t mode, bool force,
		 bool secret);

/* A text document of at most @max bytes, malloc'd and NUL-terminated. */
int text_input_read(const char *path, size_t max, char **ret, size_t *ret_len);

#endif
