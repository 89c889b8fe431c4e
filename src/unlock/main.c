// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bekboot-unlock: opens LUKS volumes at boot with keys from the key volume
 * that the hypervisor attaches; also the tool for unlocking by hand.
 */
#include <stdio.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

static int command_run(const char *command, struct unlock_context *ctx)
{
	if (streq(command, "rescue"))
		return command_rescue(ctx, ctx->opts.disk);
	if (streq(command, "open"))
		return command_open(ctx);
	if (streq(command, "status"))
		return command_status(ctx);
	if (streq(command, "late"))
		return command_late(ctx);
	if (streq(command, "manual"))
		return command_manual(ctx);

	log_error("Unknown command '%s'. See bekboot-unlock --help.", command);
	return CAUSE_USAGE;
}

int main(int argc, char **argv)
{
	static struct unlock_context ctx;
	const char *command;
	int r;

	log_init("bekboot-unlock");
	r = unlock_options_parse(argc, argv, &ctx.opts, &command);
	if (r != 0)
		return r > 0 ? 0 : CAUSE_USAGE;

	if (ctx.opts.kmsg)
		log_open_kmsg();
	if (ctx.opts.verbose)
		log_set_max_level(LOG_LEVEL_DEBUG);
	volume_crypt_init(ctx.opts.verbose);

	r = context_load(&ctx) < 0 ? CAUSE_CONFIG : command_run(command, &ctx);

	context_free(&ctx);
	log_close();
	return r;
}
