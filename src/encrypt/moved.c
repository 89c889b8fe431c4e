// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A checksummed copy of the moved segment, kept while a data shift
 * encryption runs.
 *
 * In data shift mode libcryptsetup copies the first SHIFT_HEADER_SIZE bytes
 * of the data to the end of the device and encrypts that copy last. When
 * that last step is cut short, libcryptsetup 2.6.1 replays it from the copy
 * at the end; but its recovery wipes the copy with random bytes before it
 * records that the step is done, so a second interruption in that window
 * makes the next recovery encrypt random bytes in place of the first
 * SHIFT_HEADER_SIZE bytes of the data. The copy kept here, with a SHA-256
 * sum, puts those bytes back before each resume, and goes away once the
 * encryption is complete. It holds plaintext of the device, so it lives
 * under STAGING_DIR (mode 0700) and only as long as it is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encrypt.h"
#include "fingerprint.h"
#include "log.h"
#include "util.h"

#define MOVED_SIZE ((size_t)SHIFT_HEADER_SIZE)
#define SUM_SIZE   64

static char *moved_copy_path(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *dir = root_path(opts, STAGING_DIR);
	char *path;

	if (!dir || asprintf(&path, "%s/%s.moved", dir, plan->luks_uuid) < 0)
		return NULL;
	return path;
}

/* Read or write the moved segment: the last MOVED_SIZE bytes of @device. */
static int moved_segment_io(const char *device, void *buf, bool write)
{
	_cleanup_close_ int fd = open(device, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	off_t end;
	ssize_t n;

	if (fd < 0)
		return -errno;
	end = lseek(fd, 0, SEEK_END);
	if (end < (off_t)MOVED_SIZE)
		return end < 0 ? -errno : -ENOSPC;

	n = write ? pwrite(fd, buf, MOVED_SIZE, end - (off_t)MOVED_SIZE)
		  : pread(fd, buf, MOVED_SIZE, end - (off_t)MOVED_SIZE);
	if (n < 0)
		return -errno;
	if ((size_t)n != MOVED_SIZE)
		return -EIO;
	if (write && fsync(fd) < 0)
		return -errno;
	return 0;
}

int moved_copy_save(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *path = moved_copy_path(opts, plan);
	_cleanup_free_ char *buf = malloc(MOVED_SIZE + SUM_SIZE + 1);
	int r;

	if (!path || !buf)
		return -ENOMEM;

	r = moved_segment_io(plan->device, buf, false);
	if (r == 0)
		r = sha256_hex(buf, MOVED_SIZE, buf + MOVED_SIZE);
	if (r == 0)
		r = write_file_atomic(path, buf, MOVED_SIZE + SUM_SIZE, 0600);
	if (r < 0)
		log_error("Failed to keep a copy of the moved segment of %s in %s: %s",
			  plan->device, path, strerror(-r));
	return r;
}

/* Load the copy at @path and check its sum. */
static int moved_copy_load(const char *path, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	char sum[SUM_SIZE + 1];
	size_t len;
	int r;

	r = read_text_file(path, MOVED_SIZE + SUM_SIZE + 1, &buf, &len);
	if (r < 0)
		return r;
	if (len != MOVED_SIZE + SUM_SIZE || sha256_hex(buf, MOVED_SIZE, sum) < 0 ||
	    memcmp(sum, buf + MOVED_SIZE, SUM_SIZE) != 0)
		return -EBADMSG;

	*ret = buf;
	buf = NULL;
	return 0;
}

static int moved_copy_compare_and_write(const struct volume_plan *plan, const char *copy,
					const char *path)
{
	_cleanup_free_ char *current = malloc(MOVED_SIZE);
	int r;

	if (!current)
		return -ENOMEM;
	r = moved_segment_io(plan->device, current, false);
	if (r < 0 || memcmp(current, copy, MOVED_SIZE) == 0)
		return r;

	log_warn(
		"The moved segment at the end of %s was damaged by a recovery; restoring it from %s.",
		plan->device, path);
	return moved_segment_io(plan->device, (void *)copy, true);
}

int moved_copy_restore(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *path = moved_copy_path(opts, plan);
	_cleanup_free_ char *buf = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return 0;

	r = moved_copy_load(path, &buf);
	if (r == 0)
		r = moved_copy_compare_and_write(plan, buf, path);
	if (r < 0)
		log_error("Failed to restore the moved segment of %s from %s: %s", plan->device,
			  path, strerror(-r));
	return r;
}

void moved_copy_remove(const struct encrypt_options *opts, const struct volume_plan *plan)
{
	_cleanup_free_ char *path = moved_copy_path(opts, plan);

	if (path && unlink(path) < 0 && errno != ENOENT)
		log_warn("Failed to remove %s: %m, ignoring.", path);
}
