// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
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

/* The header's "segments" object; put @ret_root when done. */
static int header_segments(struct crypt_device *cd, struct json_object **ret_root,
			   struct json_object **ret_segments)
{
	const char *text = NULL;
	int r;

	r = crypt_dump_json(cd, &text, 0);
	if (r < 0)
		return r;

	*ret_root = json_tokener_parse(text);
	if (!*ret_root)
		return -EINVAL;
	if (!json_object_object_get_ex(*ret_root, "segments", ret_segments)) {
		json_object_put(*ret_root);
		return -EINVAL;
	}
	return 0;
}

int reencrypt_progress(struct crypt_device *cd, uint64_t *ret_done, uint64_t *ret_total)
{
	struct json_object *root, *segments;
	int r;

	if (crypt_reencrypt_status(cd, NULL) == CRYPT_REENCRYPT_NONE)
		return -ENODATA;
	r = header_segments(cd, &root, &segments);
	if (r < 0)
		return r;

	r = segments_sum(segments, ret_done, ret_total);
	json_object_put(root);
	return r;
}

static bool segment_has_flag(struct json_object *segment, const char *flag)
{
	struct json_object *flags;
	size_t i, n;

	if (!json_object_object_get_ex(segment, "flags", &flags) ||
	    !json_object_is_type(flags, json_type_array))
		return false;

	n = json_object_array_length(flags);
	for (i = 0; i < n; i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(flags, i));

		if (f && streq(f, flag))
			return true;
	}
	return false;
}

static int segment_number(struct json_object *segment, const char *key, uint64_t *ret)
{
	const char *text = segment_string(segment, key);
	char *end;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	*ret = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int segment_sector_size(struct json_object *segment)
{
	struct json_object *value;

	if (!json_object_object_get_ex(segment, "sector_size", &value) ||
	    !json_object_is_type(value, json_type_int))
		return -EINVAL;
	return json_object_get_int(value);
}

/* The data segment ends where the device does, and the backup of the final one agrees. */
static int final_check(struct json_object *data, struct json_object *final,
		       struct reencrypt_final *ret)
{
	const char *type = segment_string(data, "type"), *size = segment_string(data, "size");
	const char *encryption = segment_string(data, "encryption");
	const char *final_encryption = segment_string(final, "encryption");
	uint64_t final_offset;
	int sector_size = segment_sector_size(data);

	if (!type || !streq(type, "crypt") || !size || !streq(size, "dynamic") || !encryption ||
	    sector_size <= 0 || segment_number(data, "offset", &ret->offset) < 0)
		return -ENODATA;
	if (segment_number(final, "offset", &final_offset) < 0 || final_offset != ret->offset ||
	    !final_encryption || !streq(final_encryption, encryption) ||
	    segment_sector_size(final) != sector_size)
		return -ENODATA;
	if (strlen(encryption) >= sizeof(ret->encryption))
		return -ENODATA;

	snprintf(ret->encryption, sizeof(ret->encryption), "%s", encryption);
	ret->sector_size = (uint32_t)sector_size;
	return 0;
}

static int final_scan(struct json_object *segments, struct reencrypt_final *ret)
{
	struct json_object *data = NULL, *final = NULL, *moved = NULL;
	size_t in_use = 0;

	json_object_object_foreach(segments, key, segment)
	{
		(void)key;
		if (segment_role(segment) != 1) {
			in_use++;
			data = segment;
		} else if (segment_has_flag(segment, "backup-final")) {
			final = segment;
		} else if (segment_has_flag(segment, "backup-moved-segment")) {
			moved = segment;
		}
	}
	if (in_use != 1 || segment_role(data) != 0 || !final)
		return -ENODATA;

	ret->moved_offset = ret->moved_size = 0;
	if (moved && (segment_number(moved, "offset", &ret->moved_offset) < 0 ||
		      segment_number(moved, "size", &ret->moved_size) < 0))
		return -ENODATA;
	return final_check(data, final, ret);
}

int reencrypt_final_segment(struct crypt_device *cd, struct reencrypt_final *ret)
{
	struct crypt_params_reencrypt params = { 0 };
	struct json_object *root, *segments;
	int r;

	if (crypt_reencrypt_status(cd, &params) != CRYPT_REENCRYPT_CLEAN ||
	    params.mode != CRYPT_REENCRYPT_ENCRYPT)
		return -ENODATA;
	r = header_segments(cd, &root, &segments);
	if (r < 0)
		return r;

	r = final_scan(segments, ret);
	json_object_put(root);
	return r;
}
