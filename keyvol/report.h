/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_KEYVOL_REPORT_H
#define BEKBOOT_KEYVOL_REPORT_H

#include <stdio.h>

#include "keyvol.h"

/* The inspection report as text for people, or as one JSON object. */
void report_print_text(FILE *out, const char *path, const char *expected_label,
		       const struct keyvol_report *report);
void report_print_json(FILE *out, const char *path, const char *expected_label,
		       const struct keyvol_report *report);

#endif
