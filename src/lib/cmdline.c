// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"
#include "util.h"

void boot_options_init(struct boot_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->timeout = BOOT_TIMEOUT_DEFAULT;
	snprintf(opts->label, sizeof(opts->label), "%s", KEY_VOLUME_LABEL);
}

/*
 * Cut the next parameter out of @p as the kernel does: spaces separate,
 * double quotes protect spaces and are removed. Returns the position after
 * it, or NULL at the end.
 */
static const char *next_param(const char *p, char *out, size_t size, bool *truncated)
{
	bool quoted = false;
	size_t n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return NULL;

	*truncated = false;
	for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < size)
			out[n++] = *p;
		else
			*truncated = true;
	}
	out[n] = '\0';
	return p;
}

static bool flag_value(const char *value, bool *ret)
{
	if (!value || streq(value, "1") || streq(value, "yes") || streq(value, "true")) {
		*ret = true;
		return true;
	}
	if (streq(value, "0") || streq(value, "no") || streq(value, "false")) {
		*ret = false;
		return true;
	}
	return false;
}

static int copy_value(char *dst, size_t size, const char *key, const char *value, char *err,
		      size_t err_size)
{
	if (!value || !*value || strlen(value) >= size) {
		snprintf(err, err_size, "%s needs a value of 1 to %zu characters", key, size - 1);
		return -EINVAL;
	}
	snprintf(dst, size, "%s", value);
	return 0;
}

static int parse_timeout(struct boot_options *opts, const char *value, char *err, size_t size)
{
	unsigned long seconds;

	if (!value || parse_uint(value, BOOT_TIMEOUT_MAX, &seconds) < 0) {
		snprintf(err, size, "rd.bekboot.timeout needs a number of seconds up to %d",
			 BOOT_TIMEOUT_MAX);
		return -EINVAL;
	}
	opts->timeout = (unsigned)seconds;
	opts->timeout_set = true;
	return 0;
}

static int parse_param(struct boot_options *opts, const char *key, const char *value, char *err,
		       size_t size)
{
	bool flag;

	if (streq(key, "rd.bekboot") || streq(key, "rd.ade")) {
		if (!flag_value(value, &flag)) {
			snprintf(err, size, "%s takes 0 or 1, not '%s'", key, value);
			return -EINVAL;
		}
		if (streq(key, "rd.bekboot"))
			opts->disabled = !flag;
		else
			opts->ade_disabled = !flag;
	} else if (streq(key, "rd.bekboot.debug")) {
		if (!flag_value(value, &opts->debug)) {
			snprintf(err, size, "rd.bekboot.debug takes 0 or 1, not '%s'", value);
			return -EINVAL;
		}
	} else if (streq(key, "rd.bekboot.timeout"))
		return parse_timeout(opts, value, err, size);
	else if (streq(key, "rd.bekboot.label"))
		return copy_value(opts->label, sizeof(opts->label), key, value, err, size);
	else if (streq(key, "rd.luks.ade.partuuid"))
		return copy_value(opts->ade_partuuid, sizeof(opts->ade_partuuid), key, value, err,
				  size);
	else if (streq(key, "rd.luks.ade.bootuuid"))
		return copy_value(opts->ade_bootuuid, sizeof(opts->ade_bootuuid), key, value, err,
				  size);

	return 0;
}

int cmdline_parse(const char *text, struct boot_options *opts, char *err, size_t err_size)
{
	char param[CMDLINE_MAX_SIZE];
	bool truncated;
	char *value;
	int r;

	while ((text = next_param(text, param, sizeof(param), &truncated))) {
		if (!startswith(param, "rd.bekboot") && !startswith(param, "rd.ade") &&
		    !startswith(param, "rd.luks.ade."))
			continue;
		if (truncated) {
			snprintf(err, err_size, "parameter longer than %zu characters",
				 sizeof(param) - 1);
			return -EINVAL;
		}
		value = strchr(param, '=');
		if (value)
			*value++ = '\0';
		r = parse_param(opts, param, value, err, err_size);
		if (r < 0)
			return r;
	}

	return 0;
}

int cmdline_load(const char *path, struct boot_options *opts)
{
	_cleanup_free_ char *text = NULL;
	char err[160];
	int r;

	r = read_text_file(path, CMDLINE_MAX_SIZE, &text, NULL);
	if (r < 0) {
		log_error("Failed to read kernel command line %s: %s", path, strerror(-r));
		return r;
	}

	r = cmdline_parse(text, opts, err, sizeof(err));
	if (r < 0)
		log_error("Invalid kernel command line in %s: %s.", path, err);

	return r;
}
