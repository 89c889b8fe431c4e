// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * After boot: mount the entries of /etc/bekboot/fstab, the mounts of the
 * encrypted data disks that the encryptor moved out of /etc/fstab.
 */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static void mount_failure_report(struct libmnt_context *cxt, struct libmnt_fs *fs, int r)
{
	/* r > 0 is mount(2)'s errno, not a helper's failure: let libmount say. */
	char why[256] = "";

	mnt_context_get_excode(cxt, r, why, sizeof(why));
	if (!why[0])
		snprintf(why, sizeof(why), "%s", r < 0 ? strerror(-r) : "the mount helper failed");

	if (mnt_fs_match_options(fs, "+nofail"))
		log_warn("Failed to mount %s on %s: %s; ignoring (nofail).", mnt_fs_get_source(fs),
			 mnt_fs_get_target(fs), why);
	else
		log_error("Failed to mount %s on %s: %s", mnt_fs_get_source(fs),
			  mnt_fs_get_target(fs), why);
}

static int fstab_mount_one(struct libmnt_fs *fs)
{
	const char *source = mnt_fs_get_source(fs), *target = mnt_fs_get_target(fs);
	struct libmnt_context *cxt;
	int mounted = 0, r;
	bool failed;
	struct stat st;

	if (!source || !target || mnt_fs_match_options(fs, "+noauto"))
		return 0;
	if (startswith(source, "/dev/") && stat(source, &st) < 0) {
		log_warn("Not mounting %s: its device %s is not present.", target, source);
		return 0;
	}

	cxt = mnt_new_context();
	if (!cxt)
		return -ENOMEM;
	mnt_context_set_fs(cxt, fs);
	r = mnt_context_is_fs_mounted(cxt, fs, &mounted);
	if (r == 0 && mounted) {
		mnt_free_context(cxt);
		return 0;
	}

	mkdir_parents(target, 0755);
	r = mnt_context_mount(cxt);
	failed = r != 0 || mnt_context_get_status(cxt) != 1;
	if (failed)
		mount_failure_report(cxt, fs, r);
	else
		log_info("Mounted %s on %s.", source, target);
	mnt_free_context(cxt);
	/* Like fstab's own nofail: a mount that fails is reported, and the boot goes on. */
	return failed && !mnt_fs_match_options(fs, "+nofail") ? -EIO : 0;
}

int fstab_mount_all(const char *path)
{
	struct libmnt_table *table;
	struct libmnt_iter *iter;
	struct libmnt_fs *fs;
	int r, result = 0;

	if (access(path, F_OK) < 0)
		return 0;

	table = mnt_new_table();
	iter = mnt_new_iter(MNT_ITER_FORWARD);
	if (!table || !iter) {
		result = -ENOMEM;
		goto out;
	}

	r = mnt_table_parse_fstab(table, path);
	if (r < 0) {
		log_error("Failed to parse %s: %s", path, strerror(-r));
		result = CAUSE_CONFIG;
		goto out;
	}

	while (mnt_table_next_fs(table, iter, &fs) == 0)
		if (fstab_mount_one(fs) < 0)
			result = CAUSE_OTHER;
out:
	mnt_free_iter(iter);
	mnt_unref_table(table);
	return result < 0 ? CAUSE_OTHER : result;
}
