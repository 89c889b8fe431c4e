// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * manual: unlock by hand at the rescue shell, with a passphrase typed on the
 * console (never echoed) or a key file, and let the boot continue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "secmem.h"
#include "unlock.h"
#include "util.h"

#define PASSPHRASE_MAX	512
#define MANUAL_ATTEMPTS 3

static int tty_open(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static ssize_t tty_read_line(int fd, unsigned char *buf, size_t size)
{
	size_t n = 0;
	char c;

	while (n < size) {
		ssize_t k = read(fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -ENODATA;
		if (c == '\n' || c == '\r')
			return (ssize_t)n;
		buf[n++] = (unsigned char)c;
	}
	secmem_wipe(&c, sizeof(c));
	return -E2BIG;
}

/* Ask for a passphrase without echo; stored as a key in @set. */
static int passphrase_ask(struct key_set *set, const char *prompt)
{
	struct key_file *key = &set->files[0];
	struct termios old, quiet;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = tty_open();
	if (fd < 0)
		return fd;

	key->data = secmem_alloc(PASSPHRASE_MAX);
	if (!key->data)
		return -errno;

	/* Echo off first: what is typed once the prompt shows is neither echoed nor flushed. */
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	dprintf(fd, "%s", prompt);
	n = tty_read_line(fd, key->data, PASSPHRASE_MAX);
	tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");

	if (n <= 0) {
		secmem_free(key->data);
		key->data = NULL;
		return n == 0 ? -ENODATA : (int)n;
	}
	key->len = (size_t)n;
	snprintf(key->name, sizeof(key->name), "passphrase");
	snprintf(key->source, sizeof(key->source), "the console");
	fingerprint_compute(key->data, key->len, key->fingerprint);
	set->count = 1;
	return 0;
}

static bool manual_done(const struct unlock_context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->count; i++) {
		const struct volume *vol = &ctx->volumes[i];

		if (vol->present && !vol->opened && !vol->already_active &&
		    volume_required(ctx, vol))
			return false;
	}
	return true;
}

static void volumes_reset(struct unlock_context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->count; i++) {
		ctx->volumes[i].cause = CAUSE_NONE;
		ctx->volumes[i].key = NULL;
	}
}

static int manual_with_passphrase(struct unlock_context *ctx)
{
	int attempt, r;

	for (attempt = 1; attempt <= MANUAL_ATTEMPTS; attempt++) {
		volumes_reset(ctx);
		r = passphrase_ask(&ctx->keys, "Passphrase for the encrypted volumes: ");
		if (r < 0) {
			log_error("Failed to read a passphrase from the console: %s", strerror(-r));
			return CAUSE_OTHER;
		}
		volumes_open_all(ctx);
		key_set_wipe(&ctx->keys);
		if (manual_done(ctx))
			return 0;
		log_error(
			"That passphrase opens none of the volumes still closed (attempt %d of %d).",
			attempt, MANUAL_ATTEMPTS);
		ctx->keys.count = 0;
	}

	log_error("Giving up after %d wrong passphrases; nothing was changed.", MANUAL_ATTEMPTS);
	return CAUSE_NO_KEY_OPENS;
}

int command_manual(struct unlock_context *ctx)
{
	int r;

	if (ctx->count == 0) {
		log_error("No volume is configured in %s.", ctx->opts.config);
		return CAUSE_CONFIG;
	}
	ctx->need_key_volume = false;
	ctx->keys_for_all = true;
	if (!ctx->opts.test && modules_load(false, true) < 0)
		ctx->modules_failed = true;
	if (!ctx->opts.timeout_set) {
		ctx->opts.timeout = 0;
		ctx->opts.timeout_set = true;
	}
	volumes_wait(ctx);

	if (ctx->opts.key_file) {
		keys_load(ctx);
		volumes_open_all(ctx);
		key_set_wipe(&ctx->keys);
	} else if (manual_with_passphrase(ctx) != 0) {
		return CAUSE_NO_KEY_OPENS;
	}

	r = unlock_report(ctx);
	if (r == 0 && !ctx->opts.test) {
		unlink(RESCUE_TEXT_PATH);
		printf("Unlocked. Leave this shell (exit) to continue booting.\n");
	}
	return r;
}
