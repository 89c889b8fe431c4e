/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_TOOL_H
#define BEKBOOT_KEYVOL_TOOL_H

#include <stddef.h>

#define TOOL_ERROR_MAX 256

/* What goes into and comes out of one run of an external tool. */
struct tool_io {
	const void *input; /* piped to stdin; NULL for /dev/null */
	size_t input_len;
	unsigned char *output; /* stdout is kept here, up to output_size bytes */
	size_t output_size;
	size_t output_len; /* bytes of stdout in total, even past output_size */
	char error[TOOL_ERROR_MAX]; /* the first line of stderr */
};

/*
 * Run @argv (argv[0] is looked up in PATH, then /usr/sbin and /sbin) without
 * a shell, with MTOOLS_SKIP_CHECK=1 in its environment. Returns 0 when it
 * exits with status 0, -ENOPKG when it is not installed, -EIO when it fails.
 * Logs at debug level only.
 */
int tool_run(const char *const argv[], struct tool_io *io);

#endif
