// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a support engineer wants to know about a key volume: its label and
 * type, its files, and what would stop the unlocker from using them. Keys
 * are read into locked memory for their fingerprints and never shown.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "keyvol.h"
#include "log.h"
#include "mtools.h"
#include "secmem.h"
#include "util.h"

void keyvol_report_free(struct keyvol_report *report)
{
	free(report->files);
	memset(report, 0, sizeof(*report));
}

unsigned keyvol_report_problems(const struct keyvol_report *report)
{
	unsigned problems = report->problems;
	size_t i;

	for (i = 0; i < report->n_files; i++)
		problems |= report->files[i].problems;
	return problems;
}

static void key_contents_check(struct keyvol_file *file, const unsigned char *data)
{
	if (file->size == 0) {
		file->problems |= KEYVOL_PROBLEM_EMPTY;
		return;
	}
	if (file->size > KEY_FILE_MAX) {
		file->problems |= KEYVOL_PROBLEM_OVERSIZED;
		return;
	}

	fingerprint_compute(data, (size_t)file->size, file->fingerprint);
	if (data[file->size - 1] == '\n')
		file->problems |= KEYVOL_PROBLEM_TRAILING_NEWLINE;
}

static int inspect_entry(const char *path, const struct volume_entry *entry,
			 struct keyvol_file *file)
{
	_cleanup_secmem_ unsigned char *data = NULL;
	char err[TOOL_ERROR_MAX] = "";
	int r;

	snprintf(file->name, sizeof(file->name), "%s", entry->name);
	file->kind = strcasecmp(entry->name, KEYVOL_NOTICE_NAME) == 0 ? KEYVOL_FILE_NOTICE
								      : KEYVOL_FILE_KEY;
	if (entry->directory) {
		file->kind = KEYVOL_FILE_DIRECTORY;
		file->problems |= KEYVOL_PROBLEM_NOT_REGULAR;
		return 0;
	}
	if (entry->unsafe) {
		file->problems |= KEYVOL_PROBLEM_UNSAFE_NAME;
		return 0;
	}

	data = secmem_alloc(KEY_FILE_MAX + 1);
	if (!data)
		return -errno;

	r = volume_read(path, entry->name, data, KEY_FILE_MAX + 1, &file->size, err);
	if (r < 0) {
		log_error("Failed to read file %s on key volume %s: %s", entry->name, path,
			  volume_strerror(r, err));
		return r;
	}

	if (file->kind == KEYVOL_FILE_KEY)
		key_contents_check(file, data);
	return 0;
}

static int inspect_files(const char *path, struct keyvol_report *report)
{
	_cleanup_free_ struct volume_entry *entries = NULL;
	char err[TOOL_ERROR_MAX] = "";
	size_t count = 0, i;
	int r;

	r = volume_list(path, &entries, &count, err);
	if (r == -E2BIG) {
		report->problems |= KEYVOL_PROBLEM_TOO_MANY_FILES;
		return 0;
	}
	if (r < 0) {
		log_error("Failed to list the files of key volume %s: %s", path,
			  volume_strerror(r, err));
		return r;
	}

	report->files = calloc(count ? count : 1, sizeof(*report->files));
	if (!report->files)
		return -ENOMEM;

	for (i = 0; i < count; i++) {
		r = inspect_entry(path, &entries[i], &report->files[i]);
		if (r < 0)
			return r;
		report->n_files++;
	}

	return 0;
}

static bool report_has_key(const struct keyvol_report *report)
{
	size_t i;

	for (i = 0; i < report->n_files; i++)
		if (report->files[i].kind == KEYVOL_FILE_KEY)
			return true;
	return false;
}

int keyvol_inspect(const char *path, const char *expected_label, struct keyvol_report *ret)
{
	char err[TOOL_ERROR_MAX] = "";
	int r;

	memset(ret, 0, sizeof(*ret));
	r = volume_probe(path, ret->label, sizeof(ret->label), ret->type, sizeof(ret->type), err);
	if (r < 0) {
		log_error("Failed to read %s: %s", path, volume_strerror(r, err));
		return r;
	}

	if (!*ret->type)
		ret->problems |= KEYVOL_PROBLEM_NO_FILESYSTEM;
	else if (!streq(ret->type, "vfat"))
		ret->problems |= KEYVOL_PROBLEM_NOT_VFAT;
	if (ret->problems)
		return 0;

	if (!streq(ret->label, expected_label ? expected_label : KEYVOL_LABEL_DEFAULT))
		ret->problems |= KEYVOL_PROBLEM_WRONG_LABEL;

	r = inspect_files(path, ret);
	if (r < 0) {
		keyvol_report_free(ret);
		return r;
	}

	if (!report_has_key(ret) && !(ret->problems & KEYVOL_PROBLEM_TOO_MANY_FILES))
		ret->problems |= KEYVOL_PROBLEM_NO_KEY;
	return 0;
}
