// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The filesystem side: check and shrink ext2/3/4 so that the LUKS2 data shift
 * has room at the end, or make a new filesystem for --format. The e2fsprogs
 * and xfsprogs tools do this; they run with an argument vector, no shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "encrypt.h"
#include "log.h"
#include "util.h"

#define EXT_SUPERBLOCK_OFFSET 1024
#define EXT_MAGIC	      0xEF53
#define EXT_INCOMPAT_64BIT    0x80

/* Runs @argv; returns its exit status, or -errno if it could not run. */
int run_command(const char *const argv[])
{
	int status;
	pid_t pid;

	log_debug("Running %s.", argv[0]);
	pid = fork();
	if (pid < 0)
		return -errno;

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		log_error("Failed to run %s: %m", argv[0]);
		_exit(127);
	}

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}

	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The size in bytes of the ext2/3/4 filesystem on @device. */
static int ext_size(const char *device, uint64_t *ret_size, uint32_t *ret_block)
{
	_cleanup_close_ int fd = -1;
	unsigned char sb[1024];
	uint64_t blocks;
	uint32_t block_size;

	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, sb, sizeof(sb), EXT_SUPERBLOCK_OFFSET) != (ssize_t)sizeof(sb))
		return -EIO;
	if ((sb[0x38] | sb[0x39] << 8) != EXT_MAGIC || le32(sb + 0x18) > 6)
		return -EINVAL;

	block_size = 1024U << le32(sb + 0x18);
	blocks = le32(sb + 0x4);
	if (le32(sb + 0x60) & EXT_INCOMPAT_64BIT)
		blocks |= (uint64_t)le32(sb + 0x150) << 32;

	*ret_size = blocks * block_size;
	*ret_block = block_size;
	return 0;
}

static int ext_check(const char *device)
{
	const char *argv[] = { "e2fsck", "-f", "-p", device, NULL };
	int r;

	log_info("Checking the filesystem on %s.", device);
	r = run_command(argv);
	if (r < 0) {
		log_error("Failed to run e2fsck on %s: %s", device, strerror(-r));
		return r;
	}
	/* 1: errors were corrected; the filesystem is consistent now. */
	if (r > 1) {
		log_error(
			"The filesystem on %s has errors that e2fsck -p could not fix (exit status %d); repair it with e2fsck first.",
			device, r);
		return -EUCLEAN;
	}

	return 0;
}

static int ext_resize(const char *device, uint64_t size)
{
	char size_arg[32];
	const char *argv[] = { "resize2fs", device, size_arg, NULL };
	int r;

	snprintf(size_arg, sizeof(size_arg), "%" PRIu64 "K", size / 1024);
	log_info("Shrinking the filesystem on %s to %" PRIu64 " MiB.", device, size >> 20);
	r = run_command(argv);
	if (r != 0) {
		log_error(
			"Failed to shrink the filesystem on %s: resize2fs exited with status %d; is it too full?",
			device, r);
		return -ENOSPC;
	}

	return 0;
}

int filesystem_shrink(const struct volume_plan *plan)
{
	uint64_t fs_size, target;
	uint32_t block_size;
	int r;

	r = ext_check(plan->device);
	if (r < 0)
		return r;

	r = ext_size(plan->device, &fs_size, &block_size);
	if (r < 0) {
		log_error("Failed to read the ext superblock of %s: %s", plan->device,
			  strerror(-r));
		return r;
	}

	target = (plan->size - SHIFT_REDUCE_SIZE) / block_size * block_size;
	if (fs_size <= target) {
		log_debug("The filesystem on %s already leaves room for the header.", plan->device);
		return 0;
	}

	return ext_resize(plan->device, target);
}

int filesystem_make(const struct volume_plan *plan, const char *type)
{
	char size_arg[64], mkfs[64];
	uint64_t size = plan->size - SHIFT_REDUCE_SIZE;
	int r;

	snprintf(mkfs, sizeof(mkfs), "mkfs.%s", type);
	if (streq(type, "xfs")) {
		const char *argv[] = { mkfs, "-f", "-q", "-d", size_arg, plan->device, NULL };

		snprintf(size_arg, sizeof(size_arg), "size=%" PRIu64 "k", size / 1024);
		r = run_command(argv);
	} else {
		const char *argv[] = { mkfs, "-F", "-q", plan->device, size_arg, NULL };

		snprintf(size_arg, sizeof(size_arg), "%" PRIu64 "k", size / 1024);
		r = run_command(argv);
	}

	if (r != 0) {
		log_error("Failed to make a %s filesystem on %s: %s exited with status %d.", type,
			  plan->device, mkfs, r);
		return -EIO;
	}

	return 0;
}
