/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_CMDLINE_H
#define BEKBOOT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_PATH	     "/proc/cmdline"
#define CMDLINE_MAX_SIZE     4096
#define BOOT_TIMEOUT_DEFAULT 60
#define BOOT_TIMEOUT_MAX     3600
#define KEY_VOLUME_LABEL     "BEK VOLUME"
#define ADE_HEADER_PATH	     "/luks/osluksheader"

/* What the kernel command line asks of bekboot. */
struct boot_options {
	bool disabled; /* rd.bekboot=0 */
	bool ade_disabled; /* rd.ade=0 */
	bool debug; /* rd.bekboot.debug */
	bool timeout_set;
	unsigned timeout; /* rd.bekboot.timeout=, seconds */
	char label[64]; /* rd.bekboot.label= */
	char ade_partuuid[64]; /* rd.luks.ade.partuuid= */
	char ade_bootuuid[64]; /* rd.luks.ade.bootuuid= */
};

void boot_options_init(struct boot_options *opts);

/*
 * Parse kernel command line text with the kernel's quoting rules
 * (param="a b" and "param=a b"). Parameters that are not bekboot's are
 * ignored. A bad value of one of ours is -EINVAL with @err set.
 */
int cmdline_parse(const char *text, struct boot_options *opts, char *err, size_t err_size);
/* Read and parse @path; logs one message on failure. */
int cmdline_load(const char *path, struct boot_options *opts);

#endif
