// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "mtools.h"
#include "secmem.h"
#include "util.h"

/* mdir -b prints "::/NAME" per line, and "::/NAME/" for a directory. */
#define LIST_LINE_MAX (KEYVOL_NAME_MAX + 8)

const char *volume_strerror(int r, const char *err)
{
	if (r == -ENOPKG)
		return "mkfs.fat or mtools is not installed (packages dosfstools and mtools)";
	if (r == -EIO && err && *err)
		return err;
	return strerror(-r);
}

static int mtools_path(const char *name, char out[KEYVOL_NAME_MAX + 4])
{
	if (snprintf(out, KEYVOL_NAME_MAX + 4, "::/%s", name) >= KEYVOL_NAME_MAX + 4)
		return -ENAMETOOLONG;
	return 0;
}

static int mtools_run(const char *const argv[], struct tool_io *io, char *err)
{
	int r = tool_run(argv, io);

	snprintf(err, TOOL_ERROR_MAX, "%s", io->error);
	return r;
}

static void entry_parse(struct volume_entry *entry, const char *line, size_t len)
{
	size_t i;

	memset(entry, 0, sizeof(*entry));
	/* A line of its own only when a crafted name held a newline. */
	if (len > 3 && memcmp(line, "::/", 3) == 0) {
		line += 3;
		len -= 3;
	} else {
		entry->unsafe = true;
	}
	if (len > 0 && line[len - 1] == '/') {
		entry->directory = true;
		len--;
	}
	if (len > KEYVOL_NAME_MAX) {
		len = KEYVOL_NAME_MAX;
		entry->unsafe = true;
	}
	memcpy(entry->name, line, len);
	if (!keyvol_name_valid(entry->name))
		entry->unsafe = true;
	for (i = 0; i < len; i++)
		if ((unsigned char)entry->name[i] < 0x20 || (unsigned char)entry->name[i] >= 0x7f)
			entry->name[i] = '?';
}

static int entries_parse(const char *text, size_t len, struct volume_entry **ret, size_t *ret_count)
{
	struct volume_entry *entries;
	size_t count = 0, start = 0, i;

	entries = calloc(KEYVOL_ENTRIES_MAX, sizeof(*entries));
	if (!entries)
		return -ENOMEM;

	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i > start && count == KEYVOL_ENTRIES_MAX) {
			free(entries);
			return -E2BIG;
		}
		if (i > start)
			entry_parse(&entries[count++], text + start, i - start);
		start = i + 1;
	}

	*ret = entries;
	*ret_count = count;
	return 0;
}

int volume_list(const char *image, struct volume_entry **ret, size_t *ret_count, char *err)
{
	const char *argv[] = { "mdir", "-a", "-b", "-i", image, "::/", NULL };
	size_t size = (size_t)KEYVOL_ENTRIES_MAX * LIST_LINE_MAX;
	_cleanup_free_ char *text = NULL;
	struct tool_io io = { 0 };
	int r;

	text = malloc(size);
	if (!text)
		return -ENOMEM;

	io.output = (unsigned char *)text;
	io.output_size = size;
	r = mtools_run(argv, &io, err);
	if (r < 0)
		return r;
	if (io.output_len > size) {
		snprintf(err, TOOL_ERROR_MAX, "it has more than %d files", KEYVOL_ENTRIES_MAX);
		return -E2BIG;
	}

	r = entries_parse(text, io.output_len, ret, ret_count);
	if (r == -E2BIG)
		snprintf(err, TOOL_ERROR_MAX, "it has more than %d files", KEYVOL_ENTRIES_MAX);
	return r;
}

const struct volume_entry *volume_find(const struct volume_entry *entries, size_t count,
				       const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!entries[i].unsafe && strcasecmp(entries[i].name, name) == 0)
			return &entries[i];
	return NULL;
}

int volume_read(const char *image, const char *name, unsigned char *buf, size_t size,
		uint64_t *ret_len, char *err)
{
	char path[KEYVOL_NAME_MAX + 4];
	const char *argv[] = { "mtype", "-i", image, path, NULL };
	struct tool_io io = { .output = buf, .output_size = size };
	int r;

	r = mtools_path(name, path);
	if (r < 0)
		return r;

	r = mtools_run(argv, &io, err);
	if (r < 0)
		return r;

	*ret_len = io.output_len;
	return 0;
}

int volume_write(const char *image, const char *name, const unsigned char *data, size_t len,
		 char *err)
{
	char path[KEYVOL_NAME_MAX + 4];
	/* -D s: never overwrite, never ask: the callers chose a free name. */
	const char *argv[] = { "mcopy", "-D", "s", "-i", image, "-", path, NULL };
	struct tool_io io = { .input = data, .input_len = len };
	int r;

	r = mtools_path(name, path);
	if (r < 0)
		return r;

	return mtools_run(argv, &io, err);
}

int volume_delete(const char *image, const char *name, char *err)
{
	char path[KEYVOL_NAME_MAX + 4];
	const char *argv[] = { "mdel", "-i", image, path, NULL };
	struct tool_io io = { 0 };
	int r;

	r = mtools_path(name, path);
	if (r < 0)
		return r;

	return mtools_run(argv, &io, err);
}

int volume_rename(const char *image, const char *from, const char *to, char *err)
{
	char from_path[KEYVOL_NAME_MAX + 4], to_path[KEYVOL_NAME_MAX + 4];
	const char *argv[] = { "mren", "-D", "s", "-i", image, from_path, to_path, NULL };
	struct tool_io io = { 0 };
	int r;

	r = mtools_path(from, from_path);
	if (r == 0)
		r = mtools_path(to, to_path);
	if (r < 0)
		return r;

	return mtools_run(argv, &io, err);
}

int volume_format(const char *path, const char *label, bool whole_device, char *err)
{
	const char *argv[] = { "mkfs.fat", "-n", label, path, NULL, NULL };
	struct tool_io io = { 0 };

	/* A whole disk without a partition table is what the caller asked for. */
	if (whole_device) {
		argv[3] = "-I";
		argv[4] = path;
	}

	return mtools_run(argv, &io, err);
}

int volume_sync(const char *path)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	return fsync(fd) < 0 ? -errno : 0;
}
