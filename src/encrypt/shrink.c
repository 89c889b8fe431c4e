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

struct ext_info {
	uint64_t size; /* bytes */
	uint64_t free; /* bytes */
	uint32_t block_size;
};

/* Size and free space of the ext2/3/4 filesystem on @device, from its superblock. */
static int ext_read(const char *device, struct ext_info *ret)
{
	_cleanup_close_ int fd = -1;
	unsigned char sb[1024];
	uint64_t blocks, free_blocks;
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
	free_blocks = le32(sb + 0xC);
	if (le32(sb + 0x60) & EXT_INCOMPAT_64BIT) {
		blocks |= (uint64_t)le32(sb + 0x150) << 32;
		free_blocks |= (uint64_t)le32(sb + 0x158) << 32;
	}

	ret->size = blocks * block_size;
	ret->free = free_blocks * block_size;
	ret->block_size = block_size;
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

/*
 * resize2fs's own minimum size estimate is so cautious that it refuses to
 * shrink a 1 GiB ext4 by 32 MiB once it is about half full. The free space
 * check here is what decides instead, with a margin of 5 % of the
 * filesystem, and resize2fs runs with -f.
 */
static int ext_resize(const char *device, const struct ext_info *fs, uint64_t size)
{
	char size_arg[32];
	const char *argv[] = { "resize2fs", "-f", device, size_arg, NULL };
	uint64_t needed = fs->size - size + fs->size / 20;
	int r;

	if (fs->free < needed) {
		log_error("The filesystem on %s is too full to make room for the header: %" PRIu64
			  " MiB free, %" PRIu64 " MiB needed.",
			  device, fs->free >> 20, needed >> 20);
		return -ENOSPC;
	}

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
	struct ext_info fs;
	uint64_t target;
	int r;

	r = ext_check(plan->device);
	if (r < 0)
		return r;

	r = ext_read(plan->device, &fs);
	if (r < 0) {
		log_error("Failed to read the ext superblock of %s: %s", plan->device,
			  strerror(-r));
		return r;
	}

	target = (plan->size - SHIFT_REDUCE_SIZE) / fs.block_size * fs.block_size;
	if (fs.size <= target) {
		log_debug("The filesystem on %s already leaves room for the header.", plan->device);
		return 0;
	}

	return ext_resize(plan->device, &fs, target);
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
