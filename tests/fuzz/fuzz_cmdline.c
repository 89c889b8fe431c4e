// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel command line reader on arbitrary text: every value it accepts
 * stays within its bounds, and every refusal says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_options(const struct boot_options *opts)
{
	if (opts->timeout > BOOT_TIMEOUT_MAX)
		abort();
	if (!memchr(opts->label, '\0', sizeof(opts->label)) || !opts->label[0])
		abort();
	if (!memchr(opts->ade_partuuid, '\0', sizeof(opts->ade_partuuid)) ||
	    !memchr(opts->ade_bootuuid, '\0', sizeof(opts->ade_bootuuid)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_options opts;
	char err[160] = "", *text;

	/* /proc/cmdline is read with a bound twice the kernel's own. */
	if (size > 2 * CMDLINE_MAX_SIZE)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	boot_options_init(&opts);
	if (cmdline_parse(text, &opts, err, sizeof(err)) < 0) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();
	} else
		check_options(&opts);

	free(text);
	return 0;
}
