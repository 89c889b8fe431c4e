// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fstab(5) lines, read with libmount so that escapes and odd spacing are
 * understood exactly as mount(8) understands them. Files are edited line by
 * line by the callers, so that comments and layout of lines they do not
 * touch survive.
 */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>

#include "fstab.h"
#include "util.h"

static void tablep(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
}

static void filep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static bool line_is_blank(const char *line)
{
	line += strspn(line, " \t");
	return *line == '\0' || *line == '\n' || *line == '#';
}

static int entry_copy(struct libmnt_fs *fs, struct fstab_entry *ret)
{
	struct fstab_entry e = {
		.source = strdup(mnt_fs_get_source(fs) ?: "none"),
		.target = strdup(mnt_fs_get_target(fs) ?: "none"),
		.fstype = strdup(mnt_fs_get_fstype(fs) ?: "auto"),
		.options = strdup(mnt_fs_get_options(fs) ?: "defaults"),
		.freq = mnt_fs_get_freq(fs),
		.passno = mnt_fs_get_passno(fs),
	};

	if (!e.source || !e.target || !e.fstype || !e.options) {
		fstab_entry_clear(&e);
		return -ENOMEM;
	}

	*ret = e;
	return 0;
}

int fstab_parse_line(const char *line, struct fstab_entry *ret)
{
	__attribute__((cleanup(tablep))) struct libmnt_table *tb = NULL;
	__attribute__((cleanup(filep))) FILE *f = NULL;
	struct libmnt_fs *fs = NULL;

	if (line_is_blank(line))
		return -ENOENT;

	tb = mnt_new_table();
	f = fmemopen((void *)line, strlen(line), "r");
	if (!tb || !f)
		return -ENOMEM;

	if (mnt_table_parse_stream(tb, f, "fstab") != 0 || mnt_table_get_nents(tb) != 1)
		return -EINVAL;

	if (mnt_table_first_fs(tb, &fs) != 0)
		return -EINVAL;

	return entry_copy(fs, ret);
}

void fstab_entry_clear(struct fstab_entry *entry)
{
	free(entry->source);
	free(entry->target);
	free(entry->fstype);
	free(entry->options);
	*entry = (struct fstab_entry){ 0 };
}

static char *escape_field(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\' || *s == '#')
			p += sprintf(p, "\\%03o", (unsigned char)*s);
		else
			*p++ = *s;
	}
	*p = '\0';
	return out;
}

char *fstab_entry_format(const struct fstab_entry *entry)
{
	_cleanup_free_ char *source = escape_field(entry->source);
	_cleanup_free_ char *target = escape_field(entry->target);
	_cleanup_free_ char *options = escape_field(entry->options);
	char *line = NULL;

	if (!source || !target || !options)
		return NULL;

	if (asprintf(&line, "%s %s %s %s %d %d\n", source, target, entry->fstype, options,
		     entry->freq, entry->passno) < 0)
		return NULL;
	return line;
}

bool fstab_option_has(const char *options, const char *name)
{
	return options && mnt_optstr_get_option(options, name, NULL, NULL) == 0;
}

int fstab_option_add(char **options, const char *name)
{
	if (fstab_option_has(*options, name))
		return 0;

	if (streq(*options, "defaults")) {
		free(*options);
		*options = NULL;
	}

	return mnt_optstr_append_option(options, name, NULL) < 0 ? -ENOMEM : 0;
}

static bool text_has(const char *text, const char *value, bool by_source)
{
	_cleanup_free_ char *copy = strdup(text);
	char *line, *save = NULL;
	bool found = false;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		struct fstab_entry entry;

		if (fstab_parse_line(line, &entry) == 0) {
			found = streq(by_source ? entry.source : entry.target, value);
			fstab_entry_clear(&entry);
		}
	}
	return found;
}

bool fstab_text_has_target(const char *text, const char *target)
{
	return text_has(text, target, false);
}

bool fstab_text_has_source(const char *text, const char *source)
{
	return text_has(text, source, true);
}

static bool target_holds(const char *target, const char *path, bool with_root)
{
	size_t n = strlen(target);

	if (streq(target, "/"))
		return with_root && path[0] == '/';
	return target[0] == '/' && strncmp(path, target, n) == 0 && path[n] == '/';
}

bool fstab_text_find_holder(const char *text, const char *path, bool with_root,
			    struct fstab_entry *ret)
{
	_cleanup_free_ char *copy = strdup(text);
	char *line, *save = NULL;
	struct fstab_entry e;
	bool found = false;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (fstab_parse_line(line, &e) < 0)
			continue;
		if (target_holds(e.target, path, with_root) &&
		    (!found || strlen(e.target) > strlen(ret->target))) {
			if (found)
				fstab_entry_clear(ret);
			*ret = e;
			found = true;
		} else {
			fstab_entry_clear(&e);
		}
	}
	return found;
}
