// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The volumes step: open every present volume, each in a child process of
 * its own so that slow keyslots run side by side, no more at once than
 * their key derivations fit in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "secmem.h"
#include "unlock.h"
#include "util.h"

/* What a child reports back about its volume. */
struct volume_result {
	int cause;
	int opened;
	int reencrypting;
	long key_index;
	uint64_t elapsed_ms;
};

struct open_slot {
	pid_t pid;
	int fd;
	size_t index;
};

static void child_run(struct unlock_context *ctx, struct volume *vol, int fd)
{
	struct volume_result result = { 0 };
	size_t i;

	for (i = 0; i < ctx->keys.count; i++)
		if (secmem_relock(ctx->keys.files[i].data) < 0)
			log_debug("Failed to lock keys in memory again: %s", strerror(errno));

	volume_open(ctx, vol);
	result.cause = vol->cause;
	result.opened = vol->opened;
	result.reencrypting = vol->reencrypting;
	result.key_index = vol->key ? vol->key - ctx->keys.files : -1;
	result.elapsed_ms = vol->elapsed_ms;
	if (write(fd, &result, sizeof(result)) != sizeof(result))
		log_debug("Failed to report the result of volume %s.", vol->entry->name);

	key_set_clear(&ctx->keys);
	_exit(0);
}

static int child_spawn(struct unlock_context *ctx, size_t index, struct open_slot *slot)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;

	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[0]);
		child_run(ctx, &ctx->volumes[index], fds[1]);
	}

	close(fds[1]);
	slot->pid = pid;
	slot->fd = fds[0];
	slot->index = index;
	return 0;
}

static void child_collect(struct unlock_context *ctx, struct open_slot *slot)
{
	struct volume *vol = &ctx->volumes[slot->index];
	struct volume_result result;
	int status;

	while (waitpid(slot->pid, &status, 0) < 0 && errno == EINTR)
		;

	if (read(slot->fd, &result, sizeof(result)) != sizeof(result)) {
		log_error("Opening volume %s failed: its worker died (%s).", vol->entry->name,
			  WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no result");
		vol->cause = CAUSE_OTHER;
	} else {
		vol->cause = result.cause;
		vol->opened = result.opened;
		vol->reencrypting = result.reencrypting;
		vol->elapsed_ms = result.elapsed_ms;
		if (result.key_index >= 0 && (size_t)result.key_index < ctx->keys.count)
			vol->key = &ctx->keys.files[result.key_index];
	}
	close(slot->fd);
}

/* Set aside what the open step must not try, and learn what each volume costs. */
static bool volume_prepare(struct unlock_context *ctx, struct volume *vol)
{
	if (!vol->present) {
		/* Its device, or the filesystem with its header, did not appear. */
		vol->cause = vol->device[0] && vol->entry->header_uuid ? CAUSE_HEADER
								       : CAUSE_DEVICE_ABSENT;
		return false;
	}
	if (!ctx->opts.test && mapping_active(vol->entry->name)) {
		vol->already_active = true;
		return false;
	}
	if (vol->entry->key_kind == KEY_KIND_BEK && ctx->need_key_volume &&
	    ctx->key_volume_count == 0) {
		vol->cause = CAUSE_NO_KEY_VOLUME;
		return false;
	}
	if (vol->entry->key_kind == KEY_KIND_BEK && ctx->key_volume_unreadable) {
		vol->cause = ctx->modules_failed ? CAUSE_MODULE : CAUSE_NO_KEY_FILE;
		return false;
	}
	if (vol->entry->key_kind == KEY_KIND_NONE && !ctx->keys_for_all) {
		vol->cause = CAUSE_NO_KEY_FILE;
		return false;
	}

	return header_prepare(vol) == 0 && volume_probe_memory(vol) == 0;
}

static uint64_t memory_budget_kib(void)
{
	uint64_t available;

	if (mem_available_kib(&available) < 0)
		return UINT64_MAX;
	return available;
}

static size_t slots_collect_one(struct unlock_context *ctx, struct open_slot *slots, size_t n,
				uint64_t *in_use)
{
	siginfo_t info = { 0 };
	int status;
	size_t i;

	/* Peek at whichever child ends first, then reap it with its result. */
	while (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return 0;
	for (i = 0; i < n; i++) {
		if (slots[i].pid != info.si_pid)
			continue;
		*in_use -= ctx->volumes[slots[i].index].kdf_memory_kib;
		child_collect(ctx, &slots[i]);
		slots[i] = slots[n - 1];
		return n - 1;
	}
	/* Not one of ours: reap it so that it cannot come back. */
	waitpid(info.si_pid, &status, 0);
	return n;
}

int volumes_open_all(struct unlock_context *ctx)
{
	struct open_slot slots[CRYPTTAB_MAX_ENTRIES + 1];
	uint64_t budget = memory_budget_kib(), in_use = 0;
	size_t running = 0, next = 0;
	bool pending[CRYPTTAB_MAX_ENTRIES + 1];
	size_t i;
	int r;

	for (i = 0; i < ctx->count; i++)
		pending[i] = volume_prepare(ctx, &ctx->volumes[i]);

	for (;;) {
		while (next < ctx->count) {
			struct volume *vol = &ctx->volumes[next];

			if (!pending[next]) {
				next++;
				continue;
			}
			if (running > 0 && in_use + vol->kdf_memory_kib > budget)
				break;
			r = child_spawn(ctx, next, &slots[running]);
			if (r < 0) {
				log_error("Failed to start opening volume %s: %s", vol->entry->name,
					  strerror(-r));
				vol->cause = CAUSE_OTHER;
				next++;
				continue;
			}
			in_use += vol->kdf_memory_kib;
			running++;
			next++;
		}
		if (running == 0)
			return 0;
		running = slots_collect_one(ctx, slots, running, &in_use);
	}
}
