/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_CRYPTTAB_H
#define BEKBOOT_CRYPTTAB_H

#include <stdbool.h>
#include <stddef.h>

#define CRYPTTAB_PATH	     "/etc/bekboot/crypttab"
#define CRYPTTAB_MAX_SIZE    (64 * 1024)
#define CRYPTTAB_MAX_ENTRIES 64
#define CRYPTTAB_TIMEOUT_MAX 3600
#define ROOT_MAPPING_DEFAULT "osencrypt"

enum key_kind {
	KEY_KIND_BEK, /* a file on the key volume */
	KEY_KIND_PATH, /* a file at a path */
	KEY_KIND_NONE, /* no key: only manual unlock */
};

struct crypttab_entry {
	char *name;
	char *device; /* UUID=, PARTUUID=, LABEL= or a path under /dev */
	enum key_kind key_kind;
	char *key; /* file name on the key volume, or path */
	char *header_uuid; /* header=UUID=<fs>:/path: filesystem ... */
	char *header_path; /* ... and path on it; or a plain path */
	unsigned timeout; /* seconds; 0 means the global timeout */
	bool root;
	bool nofail;
	bool readonly;
	bool discard;
	unsigned line;
};

struct crypttab {
	struct crypttab_entry *entries;
	size_t count;
};

/* Where a parse failed: the 1-based line and what is wrong with it. */
struct parse_error {
	unsigned line;
	char message[160];
};

/*
 * Parse crypttab text of @len bytes (need not be NUL-terminated). On error
 * returns -EINVAL and fills @err; @ret is untouched.
 */
int crypttab_parse(const char *text, size_t len, struct crypttab *ret, struct parse_error *err);
/* Read and parse @path; logs one message naming file, line and problem. */
int crypttab_load(const char *path, struct crypttab *ret);
void crypttab_free(struct crypttab *tab);
/* Free the strings of one entry and zero it. */
void crypttab_entry_free(struct crypttab_entry *entry);

/* Format one entry as a crypttab line (escaping spaces), malloc'd. */
char *crypttab_entry_format(const struct crypttab_entry *entry);

#endif
