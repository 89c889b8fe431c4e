/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_FSTAB_H
#define BEKBOOT_FSTAB_H

#include <stdbool.h>

#define FSTAB_PATH	   "/etc/fstab"
#define BEKBOOT_FSTAB_PATH "/etc/bekboot/fstab"
#define FSTAB_MAX_SIZE	   (256 * 1024)

/* One mount entry of fstab(5), fields unescaped. */
struct fstab_entry {
	char *source;
	char *target;
	char *fstype;
	char *options;
	int freq;
	int passno;
};

/*
 * Parse one fstab line with libmount. Returns 0 and fills @ret, -ENOENT for
 * a blank or comment line, -EINVAL for a line libmount rejects.
 */
int fstab_parse_line(const char *line, struct fstab_entry *ret);
void fstab_entry_clear(struct fstab_entry *entry);

/* Format @entry as one fstab line with a newline, fields escaped; malloc'd. */
char *fstab_entry_format(const struct fstab_entry *entry);

bool fstab_option_has(const char *options, const char *name);
/* Append option @name to the malloc'd string *@options unless present. */
int fstab_option_add(char **options, const char *name);

/* Whether fstab @text has an entry that mounts on @target, or that mounts @source. */
bool fstab_text_has_target(const char *text, const char *target);
bool fstab_text_has_source(const char *text, const char *source);

/*
 * The entry of fstab @text whose mount point holds the absolute @path most
 * deeply; "/" counts only when @with_root. True when found: then @ret is
 * filled, to be cleared with fstab_entry_clear().
 */
bool fstab_text_find_holder(const char *text, const char *path, bool with_root,
			    struct fstab_entry *ret);

#endif
