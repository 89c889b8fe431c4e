// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reencrypt_progress.h"
#include "util.h"

/* 1 if the segment is a backup, 2 if it is the hot zone in reencryption, 0 otherwise. */
static int segment_role(struct json_object *segment)
{
	struct json_object *flags;
	size_t i, n;

	if (!json_object_object_get_ex(segment, "flags", &flags) ||
	    !json_object_is_type(flags, json_type_array))
		return 0;

	n = json_object_array_length(flags);
	for (i = 0; i < n; i++) {
		const char *flag = json_object_get_string(json_object_array_get_idx(flags, i));

		if (flag && startswith(flag, "backup-"))
			return 1;
		if (flag && streq(flag, "in-reencryption"))
			return 2;
	}
	return 0;
}

static const char *segment_string(struct json_object *segment, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(segment, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/*
 * The segments in use (backups aside) cover the data: the finished part is
 * "crypt", the rest "linear", and the hot zone is being worked on.
 */
static int segments_sum(struct json_object *segments, uint64_t *ret_done, uint64_t *ret_total)
{
	uint64_t done = 0, total = 0;

	json_object_object_foreach(segments, key, segment)
	{
		const char *type = segment_string(segment, "type");
		const char *size_text = segment_string(segment, "size");
		int role = segment_role(segment);
		unsigned long long size;
		char *end;

		(void)key;
		if (role == 1)
			continue;
		if (!type || !size_text)
			return -EINVAL;
		size = strtoull(size_text, &end, 10);
		if (*end != '\0')
			return -ENODATA; /* "dynamic": the size follows the device */
		total += size;
		if (streq(type, "crypt") && role == 0)
			done += size;
	}

	*ret_done = done;
	*ret_total = total;
	return total > 0 ? 0 : -ENODATA;
}

int reencrypt_progress(struct crypt_device *cd, uint64_t *ret_done, uint64_t *ret_total)
{
	struct json_object *root, *segments;
	const char *text = NULL;
	int r;

	if (crypt_reencrypt_status(cd, NULL) == CRYPT_REENCRYPT_NONE)
		return -ENODATA;
	r = crypt_dump_json(cd, &text, 0);
	if (r < 0)
		return r;

	root = json_tokener_parse(text);
	if (!root)
		return -EINVAL;
	r = json_object_object_get_ex(root, "segments", &segments)
		    ? segments_sum(segments, ret_done, ret_total)
		    : -EINVAL;
	json_object_put(root);
	return r;
}
