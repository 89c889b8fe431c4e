// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <stdio.h>

#include "keys.h"
#include "report.h"
#include "util.h"

#define WARNING_MAX 512

typedef void (*warning_fn)(FILE *out, const char *text, bool first);

static void volume_warnings(FILE *out, const char *expected_label,
			    const struct keyvol_report *report, warning_fn emit, bool *first)
{
	char text[WARNING_MAX];

	if (report->problems & KEYVOL_PROBLEM_NO_FILESYSTEM) {
		emit(out, "No filesystem was found: this is not a key volume.", *first);
		*first = false;
	}
	if (report->problems & KEYVOL_PROBLEM_NOT_VFAT) {
		snprintf(text, sizeof(text),
			 "The filesystem is %s, not vfat: the unlocker cannot read it.",
			 report->type);
		emit(out, text, *first);
		*first = false;
	}
	if (report->problems & KEYVOL_PROBLEM_WRONG_LABEL) {
		snprintf(text, sizeof(text),
			 "The label is \"%s\", not \"%s\": the unlocker does not look for it.",
			 report->label, expected_label);
		emit(out, text, *first);
		*first = false;
	}
	if (report->problems & KEYVOL_PROBLEM_TOO_MANY_FILES) {
		snprintf(text, sizeof(text),
			 "The volume has more than %d files: they were not inspected.",
			 KEYVOL_ENTRIES_MAX);
		emit(out, text, *first);
		*first = false;
	}
	if (report->problems & KEYVOL_PROBLEM_NO_KEY) {
		emit(out, "There is no key file: no disk can be unlocked with this volume.",
		     *first);
		*first = false;
	}
}

/* Each warning is BEFORE + file name + AFTER. */
static const struct {
	enum keyvol_problem problem;
	const char *before;
	const char *after;
} file_warning_texts[] = {
	{ KEYVOL_PROBLEM_NOT_REGULAR, "", " is not a regular file: the unlocker refuses it." },
	{ KEYVOL_PROBLEM_UNSAFE_NAME, "File ",
	  " has a name that FAT or mtools cannot take literally: it was not read." },
	{ KEYVOL_PROBLEM_EMPTY, "Key file ", " is empty: the unlocker refuses it." },
	{ KEYVOL_PROBLEM_OVERSIZED, "Key file ",
	  " is larger than 8 KiB: the unlocker refuses it." },
	{ KEYVOL_PROBLEM_TRAILING_NEWLINE, "Key file ",
	  " ends with a newline, which the unlocker keeps as part of the key." },
};

static void file_warnings(FILE *out, const struct keyvol_report *report, warning_fn emit,
			  bool *first)
{
	char text[WARNING_MAX];
	size_t i, j;

	for (i = 0; i < report->n_files; i++) {
		for (j = 0; j < ARRAY_SIZE(file_warning_texts); j++) {
			if (!(report->files[i].problems & file_warning_texts[j].problem))
				continue;
			snprintf(text, sizeof(text), "%s%s%s", file_warning_texts[j].before,
				 report->files[i].name, file_warning_texts[j].after);
			emit(out, text, *first);
			*first = false;
		}
	}
}

static void report_warnings(FILE *out, const char *expected_label,
			    const struct keyvol_report *report, warning_fn emit)
{
	bool first = true;

	volume_warnings(out, expected_label, report, emit, &first);
	file_warnings(out, report, emit, &first);
}

static const char *file_kind_name(enum keyvol_file_kind kind)
{
	switch (kind) {
	case KEYVOL_FILE_KEY:
		return "key";
	case KEYVOL_FILE_NOTICE:
		return "notice";
	default:
		return "directory";
	}
}

static void text_warning(FILE *out, const char *text, bool first)
{
	fprintf(out, "%s  %s\n", first ? "Warnings:\n" : "", text);
}

static void text_file(FILE *out, const struct keyvol_file *file)
{
	char size[32] = "-";

	if (file->kind != KEYVOL_FILE_DIRECTORY && !(file->problems & KEYVOL_PROBLEM_UNSAFE_NAME))
		snprintf(size, sizeof(size), "%" PRIu64, file->size);
	fprintf(out, "  %-9s %6s  %-16s  %s\n", file_kind_name(file->kind), size,
		*file->fingerprint ? file->fingerprint : "-", file->name);
}

void report_print_text(FILE *out, const char *path, const char *expected_label,
		       const struct keyvol_report *report)
{
	unsigned problems = keyvol_report_problems(report);
	size_t i;

	fprintf(out, "Volume:      %s\n", path);
	fprintf(out, "Filesystem:  %s\n", *report->type ? report->type : "none");
	if (*report->type)
		fprintf(out, "Label:       %s\n", *report->label ? report->label : "(none)");
	if (report->n_files > 0) {
		fprintf(out, "Files:\n  %-9s %6s  %-16s  %s\n", "KIND", "SIZE", "FINGERPRINT",
			"NAME");
		for (i = 0; i < report->n_files; i++)
			text_file(out, &report->files[i]);
	}
	report_warnings(out, expected_label, report, text_warning);
	fprintf(out, "Result:      %s\n", problems ? "problems found" : "good");
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_warning(FILE *out, const char *text, bool first)
{
	fputs(first ? "\n    " : ",\n    ", out);
	json_string(out, text);
}

static void json_file(FILE *out, const struct keyvol_file *file, bool last)
{
	fputs("    { \"name\": ", out);
	json_string(out, file->name);
	fprintf(out, ", \"kind\": \"%s\", \"size\": ", file_kind_name(file->kind));
	if (file->kind != KEYVOL_FILE_DIRECTORY && !(file->problems & KEYVOL_PROBLEM_UNSAFE_NAME))
		fprintf(out, "%" PRIu64, file->size);
	else
		fputs("null", out);
	fputs(", \"fingerprint\": ", out);
	if (*file->fingerprint)
		json_string(out, file->fingerprint);
	else
		fputs("null", out);
	fprintf(out, " }%s\n", last ? "" : ",");
}

void report_print_json(FILE *out, const char *path, const char *expected_label,
		       const struct keyvol_report *report)
{
	size_t i;

	fputs("{\n  \"volume\": ", out);
	json_string(out, path);
	fputs(",\n  \"filesystem\": ", out);
	if (*report->type)
		json_string(out, report->type);
	else
		fputs("null", out);
	fputs(",\n  \"label\": ", out);
	json_string(out, report->label);
	fputs(",\n  \"files\": [\n", out);
	for (i = 0; i < report->n_files; i++)
		json_file(out, &report->files[i], i + 1 == report->n_files);
	fputs("  ],\n  \"warnings\": [", out);
	report_warnings(out, expected_label, report, json_warning);
	fprintf(out, "%s],\n  \"good\": %s\n}\n", keyvol_report_problems(report) ? "\n  " : "",
		keyvol_report_problems(report) ? "false" : "true");
}
