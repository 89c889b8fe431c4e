// SPDX-License-Identifier: LGPL-2.1-or-later
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "util.h"

/* A missed event must not stall the boot: look again this often regardless. */
#define DEVICE_RESCAN_MS 5000

static void probe_copy(blkid_probe probe, const char *name, char *dst, size_t size)
{
	const char *value = NULL;

	if (blkid_probe_lookup_value(probe, name, &value, NULL) == 0 && value)
		snprintf(dst, size, "%s", value);
}

int device_probe(const char *path, struct device_info *ret)
{
	struct device_info info = { 0 };
	blkid_probe probe;
	int r;

	probe = blkid_new_probe_from_filename(path);
	if (!probe)
		return errno > 0 ? -errno : -EIO;

	blkid_probe_enable_superblocks(probe, 1);
	blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
							 BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(probe, 1);
	blkid_probe_set_partitions_flags(probe, BLKID_PARTS_ENTRY_DETAILS);

	r = blkid_do_safeprobe(probe);
	if (r >= 0) {
		snprintf(info.path, sizeof(info.path), "%s", path);
		probe_copy(probe, "TYPE", info.type, sizeof(info.type));
		probe_copy(probe, "LABEL", info.label, sizeof(info.label));
		probe_copy(probe, "UUID", info.uuid, sizeof(info.uuid));
		probe_copy(probe, "PART_ENTRY_UUID", info.partuuid, sizeof(info.partuuid));
	}
	blkid_free_probe(probe);
	if (r < 0)
		return -EIO;

	*ret = info;
	return 0;
}

/* Block devices with a size: skips empty loop devices and drives without media. */
static bool block_device_has_media(const char *name)
{
	char path[PATH_MAX], *text = NULL;
	bool has = false;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	if (read_text_file(path, 64, &text, NULL) == 0)
		has = strtoull(text, NULL, 10) > 0;
	free(text);
	return has;
}

typedef bool (*device_match_fn)(const struct device_info *info, const void *userdata);

/* Probe every block device, calling @match; stores matching paths in @ret. */
static size_t device_scan(device_match_fn match, const void *userdata, char ret[][DEVICE_PATH_MAX],
			  size_t max)
{
	struct device_info info;
	struct dirent *entry;
	char path[DEVICE_PATH_MAX];
	size_t n = 0;
	DIR *dir;

	dir = opendir("/sys/class/block");
	if (!dir)
		return 0;

	while (n < max && (entry = readdir(dir))) {
		if (entry->d_name[0] == '.' || !block_device_has_media(entry->d_name))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", entry->d_name);
		if (device_probe(path, &info) < 0 || !match(&info, userdata))
			continue;
		snprintf(ret[n++], DEVICE_PATH_MAX, "%s", path);
	}
	closedir(dir);
	return n;
}

struct tag_match {
	const char *tag;
	const char *value;
};

static bool match_tag(const struct device_info *info, const void *userdata)
{
	const struct tag_match *m = userdata;

	if (streq(m->tag, "UUID"))
		return strcasecmp(info->uuid, m->value) == 0;
	if (streq(m->tag, "PARTUUID"))
		return strcasecmp(info->partuuid, m->value) == 0;
	return streq(info->label, m->value);
}

static int resolve_path(const char *spec, char *ret, size_t size)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(spec, real))
		return errno == ENOENT ? -ENODEV : -errno;
	if (stat(real, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTBLK;

	snprintf(ret, size, "%s", real);
	return 0;
}

int device_resolve(const char *spec, char *ret, size_t size)
{
	char found[1][DEVICE_PATH_MAX];
	struct tag_match m = { 0 };

	if ((m.value = startswith(spec, "UUID=")))
		m.tag = "UUID";
	else if ((m.value = startswith(spec, "PARTUUID=")))
		m.tag = "PARTUUID";
	else if ((m.value = startswith(spec, "LABEL=")))
		m.tag = "LABEL";
	else
		return resolve_path(spec, ret, size);

	if (device_scan(match_tag, &m, found, 1) == 0)
		return -ENODEV;

	snprintf(ret, size, "%s", found[0]);
	return 0;
}

struct label_match {
	const char *label;
	const char *type;
};

static bool match_label(const struct device_info *info, const void *userdata)
{
	const struct label_match *m = userdata;

	return streq(info->label, m->label) && streq(info->type, m->type);
}

size_t device_find_by_label(const char *label, const char *type, char ret[][DEVICE_PATH_MAX],
			    size_t max)
{
	struct label_match m = { .label = label, .type = type };

	return device_scan(match_label, &m, ret, max);
}

static void inotify_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int device_wait(int (*ready)(void *userdata), void *userdata, uint64_t deadline_ms)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Watch before the first look, so that nothing can appear unseen in between. */
	if (inotify_add_watch(fd, "/dev", IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0)
		return -errno;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now;
		int wait_ms;

		r = ready(userdata);
		now = now_ms();
		if (r != 0 || now >= deadline_ms)
			return r;

		wait_ms = (int)(deadline_ms - now < DEVICE_RESCAN_MS ? deadline_ms - now
								     : DEVICE_RESCAN_MS);
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
			return -errno;
		inotify_drain(fd);
	}
}
