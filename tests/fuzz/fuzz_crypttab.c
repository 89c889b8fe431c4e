// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The crypttab reader on arbitrary bytes. Whatever parses must format to a
 * line that parses back to the same entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypttab.h"
#include "util.h"

/* The reader's longest line; escaping may make a formatted line longer. */
#define LINE_MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		abort();
}

static void check_same(const struct crypttab_entry *a, const struct crypttab_entry *b)
{
	check_string(a->name, b->name);
	check_string(a->device, b->device);
	check_string(a->key, b->key);
	check_string(a->header_uuid, b->header_uuid);
	check_string(a->header_path, b->header_path);
	if (a->key_kind != b->key_kind || a->timeout != b->timeout || a->root != b->root ||
	    a->nofail != b->nofail || a->readonly != b->readonly || a->discard != b->discard)
		abort();
}

static void check_round_trip(const struct crypttab_entry *entry)
{
	struct crypttab back = { 0 };
	struct parse_error err;
	char *line;

	line = crypttab_entry_format(entry);
	if (!line)
		abort();
	if (strlen(line) <= LINE_MAX_LEN) {
		if (crypttab_parse(line, strlen(line), &back, &err) != 0 || back.count != 1)
			abort();
		check_same(entry, &back.entries[0]);
		crypttab_free(&back);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypttab tab = { 0 };
	struct parse_error err;
	size_t i;

	/* The reader must stay within @size: no copy with a terminator here. */
	if (crypttab_parse((const char *)data, size, &tab, &err) < 0) {
		if (err.line == 0 || !memchr(err.message, '\0', sizeof(err.message)) ||
		    !err.message[0])
			abort();
		return 0;
	}

	if (tab.count > CRYPTTAB_MAX_ENTRIES)
		abort();
	for (i = 0; i < tab.count; i++)
		check_round_trip(&tab.entries[i]);
	crypttab_free(&tab);
	return 0;
}
