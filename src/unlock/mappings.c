// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dm-crypt mappings the kernel has, through libdevmapper: status lists
 * those that the configuration does not name (a rescue mapping, one opened
 * by hand, or another tool's).
 */
#include <errno.h>
#include <libdevmapper.h>
#include <string.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static bool mapping_is_crypt(const char *name)
{
	struct dm_task *task;
	uint64_t start, length;
	char *type = NULL, *params = NULL;
	bool crypt = false;

	/* The status, not the table: the table of a crypt target may hold its key. */
	task = dm_task_create(DM_DEVICE_STATUS);
	if (!task)
		return false;
	if (dm_task_set_name(task, name) && dm_task_run(task)) {
		dm_get_next_target(task, NULL, &start, &length, &type, &params);
		crypt = type && streq(type, "crypt");
	}
	dm_task_destroy(task);
	return crypt;
}

int crypt_mappings_list(char names[][MAPPING_NAME_MAX], size_t max, size_t *ret_count)
{
	struct dm_task *task;
	struct dm_names *entry;
	unsigned next = 0;
	size_t n = 0;

	task = dm_task_create(DM_DEVICE_LIST);
	if (!task)
		return -ENOMEM;
	if (!dm_task_run(task)) {
		dm_task_destroy(task);
		return -ENODEV;
	}

	entry = dm_task_get_names(task);
	while (entry && entry->dev && n < max) {
		if (mapping_is_crypt(entry->name))
			snprintf(names[n++], MAPPING_NAME_MAX, "%s", entry->name);
		next = entry->next;
		entry = next ? (struct dm_names *)((char *)entry + next) : NULL;
	}

	dm_task_destroy(task);
	*ret_count = n;
	return 0;
}
