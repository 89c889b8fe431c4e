// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader of /etc/bekboot/crypttab: crypttab(5) syntax, four fields, with
 * bekboot's own key and option forms. Every input is untrusted and bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypttab.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define LINE_MAX_LEN 4096
#define NAME_MAX_LEN 127
#define FIELD_MAX    5

static int parse_fail(struct parse_error *err, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(struct parse_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void crypttab_entry_free(struct crypttab_entry *entry)
{
	free(entry->name);
	free(entry->device);
	free(entry->key);
	free(entry->header_uuid);
	free(entry->header_path);
	memset(entry, 0, sizeof(*entry));
}

void crypttab_free(struct crypttab *tab)
{
	size_t i;

	for (i = 0; i < tab->count; i++)
		crypttab_entry_free(&tab->entries[i]);
	free(tab->entries);
	tab->entries = NULL;
	tab->count = 0;
}

static bool mapping_name_valid(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > NAME_MAX_LEN || streq(name, ".") || streq(name, ".."))
		return false;
	for (p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-",
			    *p))
			return false;
	return true;
}

static bool device_spec_valid(const char *device)
{
	const char *value;

	if ((value = startswith(device, "UUID=")) || (value = startswith(device, "PARTUUID=")) ||
	    (value = startswith(device, "LABEL=")))
		return *value != '\0' && strlen(value) < 256;

	return startswith(device, "/dev/") && strlen(device) < 256 && !strstr(device, "/../");
}

static int parse_key(struct crypttab_entry *entry, const char *field, struct parse_error *err)
{
	const char *name;

	if (!field || streq(field, "-") || streq(field, "none")) {
		entry->key_kind = KEY_KIND_NONE;
		return 0;
	}
	if (streq(field, "bek")) {
		entry->key_kind = KEY_KIND_BEK;
		entry->key = strdup(KEY_BASE_NAME);
		return entry->key ? 0 : -ENOMEM;
	}
	if ((name = startswith(field, "bek:"))) {
		if (!*name || strchr(name, '/') || streq(name, ".") || streq(name, "..") ||
		    strlen(name) >= KEY_NAME_MAX)
			return parse_fail(err, entry->line, "invalid key file name '%s'", name);
		entry->key_kind = KEY_KIND_BEK;
		entry->key = strdup(name);
		return entry->key ? 0 : -ENOMEM;
	}
	if (field[0] == '/' && strlen(field) < 4096) {
		entry->key_kind = KEY_KIND_PATH;
		entry->key = strdup(field);
		return entry->key ? 0 : -ENOMEM;
	}

	return parse_fail(err, entry->line,
			  "key must be 'bek', 'bek:FILENAME', an absolute path or 'none', not '%s'",
			  field);
}

static int parse_header(struct crypttab_entry *entry, const char *value, struct parse_error *err)
{
	const char *uuid = startswith(value, "UUID=");
	const char *colon;

	if (!uuid) {
		if (value[0] != '/')
			return parse_fail(err, entry->line,
					  "header= needs UUID=<fs-uuid>:/path or an absolute path");
		entry->header_path = strdup(value);
		return entry->header_path ? 0 : -ENOMEM;
	}

	colon = strchr(uuid, ':');
	if (!colon || colon == uuid || colon[1] != '/' || colon - uuid > 64)
		return parse_fail(err, entry->line, "header= needs UUID=<fs-uuid>:/path");

	entry->header_uuid = strndup(uuid, (size_t)(colon - uuid));
	entry->header_path = strdup(colon + 1);
	return entry->header_uuid && entry->header_path ? 0 : -ENOMEM;
}

static int parse_option(struct crypttab_entry *entry, const char *option, struct parse_error *err)
{
	unsigned long seconds;
	const char *value;

	if (streq(option, "luks") || streq(option, "initramfs"))
		return 0;
	if (streq(option, "root"))
		entry->root = true;
	else if (streq(option, "nofail"))
		entry->nofail = true;
	else if (streq(option, "readonly") || streq(option, "read-only"))
		entry->readonly = true;
	else if (streq(option, "discard"))
		entry->discard = true;
	else if ((value = startswith(option, "timeout="))) {
		if (parse_uint(value, CRYPTTAB_TIMEOUT_MAX, &seconds) < 0)
			return parse_fail(err, entry->line,
					  "timeout= needs a number of seconds up to %d, not '%s'",
					  CRYPTTAB_TIMEOUT_MAX, value);
		entry->timeout = (unsigned)seconds;
	} else if ((value = startswith(option, "header="))) {
		if (entry->header_path)
			return parse_fail(err, entry->line, "header= given twice");
		return parse_header(entry, value, err);
	} else
		return parse_fail(err, entry->line, "unknown option '%s'", option);

	return 0;
}

static int parse_options(struct crypttab_entry *entry, char *field, struct parse_error *err)
{
	char *option, *save = NULL;
	int r;

	if (!field || streq(field, "-") || streq(field, "none"))
		return 0;

	for (option = strtok_r(field, ",", &save); option; option = strtok_r(NULL, ",", &save)) {
		/* After the split, so that \054 can stand for a comma in a header path. */
		unescape_octal(option);
		r = parse_option(entry, option, err);
		if (r < 0)
			return r;
	}

	return 0;
}

static size_t split_fields(char *line, char *fields[FIELD_MAX])
{
	size_t n = 0;
	char *p = line;

	while (*p && n < FIELD_MAX) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}

	return n;
}

static int parse_fields(struct crypttab_entry *entry, char **fields, struct parse_error *err)
{
	int r;

	if (!mapping_name_valid(fields[0]))
		return parse_fail(err, entry->line, "invalid mapping name '%.64s'", fields[0]);
	entry->name = strdup(fields[0]);

	unescape_octal(fields[1]);
	if (!device_spec_valid(fields[1]))
		return parse_fail(
			err, entry->line,
			"device must be UUID=, PARTUUID=, LABEL= or a /dev/ path, not '%.64s'",
			fields[1]);
	entry->device = strdup(fields[1]);
	if (!entry->name || !entry->device)
		return -ENOMEM;

	if (fields[2])
		unescape_octal(fields[2]);
	r = parse_key(entry, fields[2], err);
	if (r < 0)
		return r;

	return parse_options(entry, fields[3], err);
}

static int parse_line(char *line, unsigned number, struct crypttab_entry *entry,
		      struct parse_error *err)
{
	char *fields[FIELD_MAX] = { NULL };
	size_t n;

	entry->line = number;
	n = split_fields(line, fields);
	if (n == 0 || fields[0][0] == '#')
		return 0;
	if (n < 2)
		return parse_fail(err, number, "expected at least a name and a device");
	if (n > 4)
		return parse_fail(err, number, "too many fields (at most 4)");

	return parse_fields(entry, fields, err) < 0 ? -EINVAL : 1;
}

static int check_entry(const struct crypttab *tab, const struct crypttab_entry *entry,
		       struct parse_error *err)
{
	size_t i;

	if (tab->count >= CRYPTTAB_MAX_ENTRIES)
		return parse_fail(err, entry->line, "too many volumes (at most %d)",
				  CRYPTTAB_MAX_ENTRIES);

	for (i = 0; i < tab->count; i++) {
		if (streq(tab->entries[i].name, entry->name))
			return parse_fail(err, entry->line, "mapping name '%s' used twice",
					  entry->name);
		if (entry->root && tab->entries[i].root)
			return parse_fail(err, entry->line, "more than one volume has 'root'");
	}
	if (entry->root && entry->nofail)
		return parse_fail(err, entry->line, "the root volume cannot be 'nofail'");

	return 0;
}

static int add_line(struct crypttab *tab, char *line, unsigned number, struct parse_error *err)
{
	struct crypttab_entry entry = { 0 };
	int r;

	r = parse_line(line, number, &entry, err);
	if (r > 0)
		r = check_entry(tab, &entry, err);
	if (r < 0 || (r == 0 && !entry.name)) {
		if (r == -EINVAL && !err->message[0])
			parse_fail(err, number, "out of memory");
		crypttab_entry_free(&entry);
		return r;
	}

	tab->entries[tab->count++] = entry;
	return 0;
}

int crypttab_parse(const char *text, size_t len, struct crypttab *ret, struct parse_error *err)
{
	struct crypttab tab = { 0 };
	char line[LINE_MAX_LEN + 1];
	unsigned number = 0;
	size_t pos = 0;
	int r = 0;

	memset(err, 0, sizeof(*err));
	tab.entries = calloc(CRYPTTAB_MAX_ENTRIES, sizeof(*tab.entries));
	if (!tab.entries)
		return -ENOMEM;

	while (pos < len && r == 0) {
		const char *start = text + pos, *end = memchr(start, '\n', len - pos);
		size_t n = end ? (size_t)(end - start) : len - pos;

		number++;
		pos += n + 1;
		if (n > LINE_MAX_LEN)
			r = parse_fail(err, number, "line longer than %d characters", LINE_MAX_LEN);
		else if (memchr(start, '\0', n))
			r = parse_fail(err, number, "NUL character");
		else {
			memcpy(line, start, n);
			line[n] = '\0';
			r = add_line(&tab, line, number, err);
		}
	}

	if (r < 0) {
		crypttab_free(&tab);
		return r;
	}
	*ret = tab;
	return 0;
}

int crypttab_load(const char *path, struct crypttab *ret)
{
	_cleanup_free_ char *text = NULL;
	struct parse_error err;
	size_t len;
	int r;

	r = read_text_file(path, CRYPTTAB_MAX_SIZE, &text, &len);
	if (r == -ENOENT)
		return r; /* no configuration: the caller decides whether that is fine */
	if (r < 0) {
		log_error("Failed to read configuration %s: %s", path,
			  r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
		return r;
	}

	r = crypttab_parse(text, len, ret, &err);
	if (r == -EINVAL)
		log_error("%s:%u: %s.", path, err.line, err.message);
	else if (r < 0)
		log_error("Failed to parse %s: %s", path, strerror(-r));

	return r;
}

/* Octal escapes for what would end a field, an option or a line, or start an escape. */
static char *escape_field(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (strchr(" \t\n\\#,", *s))
			p += sprintf(p, "\\%03o", (unsigned char)*s);
		else
			*p++ = *s;
	}
	*p = '\0';
	return out;
}

static char *format_key(const struct crypttab_entry *e)
{
	_cleanup_free_ char *key = NULL;
	char *out = NULL;

	if (e->key_kind == KEY_KIND_NONE)
		return strdup("none");
	if (e->key_kind == KEY_KIND_BEK && streq(e->key, KEY_BASE_NAME))
		return strdup("bek");

	key = escape_field(e->key);
	if (!key)
		return NULL;
	if (e->key_kind == KEY_KIND_PATH)
		return strdup(key);
	return asprintf(&out, "bek:%s", key) < 0 ? NULL : out;
}

static char *format_options(const struct crypttab_entry *e)
{
	_cleanup_free_ char *uuid = NULL, *path = NULL;
	char flags[96], *out = NULL;

	snprintf(flags, sizeof(flags), "luks%s%s%s%s", e->root ? ",root" : "",
		 e->nofail ? ",nofail" : "", e->readonly ? ",readonly" : "",
		 e->discard ? ",discard" : "");
	if (e->timeout)
		snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), ",timeout=%u",
			 e->timeout);
	if (!e->header_path)
		return strdup(flags);

	path = escape_field(e->header_path);
	uuid = e->header_uuid ? escape_field(e->header_uuid) : strdup("");
	if (!path || !uuid)
		return NULL;
	if (asprintf(&out, "%s,header=%s%s%s%s", flags, *uuid ? "UUID=" : "", uuid,
		     *uuid ? ":" : "", path) < 0)
		return NULL;
	return out;
}

char *crypttab_entry_format(const struct crypttab_entry *entry)
{
	_cleanup_free_ char *device = escape_field(entry->device);
	_cleanup_free_ char *key = format_key(entry);
	_cleanup_free_ char *options = format_options(entry);
	char *line = NULL;

	if (!device || !key || !options)
		return NULL;

	if (asprintf(&line, "%s %s %s %s\n", entry->name, device, key, options) < 0)
		return NULL;
	return line;
}
