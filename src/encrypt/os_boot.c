// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot side of the OS disk encryption: the GRUB drop-in that points the
 * kernel command line at the mapping, the initramfs, and the unit that
 * finishes an interrupted encryption after boot. Only drop-in files are
 * written; every other file is left to the tools that own it.
 *
 * grub-mkconfig probes GRUB_DEVICE (the device of /) and its UUIDs first and
 * reads /etc/default/grub.d/ *.cfg afterwards, so a drop-in may override
 * them. 10_linux writes root=${GRUB_DEVICE} when both GRUB_DISABLE_LINUX_UUID
 * and GRUB_DISABLE_LINUX_PARTUUID are true. That gives one root= naming the
 * mapping, where appending root= to GRUB_CMDLINE_LINUX would give two and
 * leave the choice to whoever reads the command line last. The root's
 * filesystem UUID must not be used: until the first block is encrypted, the
 * bare partition carries the same UUID as the mapping.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypttab.h"
#include "log.h"
#include "os.h"
#include "util.h"

int os_grub_dropin_text(char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "# Written by bekboot-encrypt os: the root filesystem is on the LUKS2\n"
			 "# mapping that bekboot's initramfs opens. Remove this file (and run\n"
			 "# update-grub) only after the disk has been decrypted.\n"
			 "GRUB_DEVICE=/dev/mapper/%s\n"
			 "GRUB_DISABLE_LINUX_UUID=true\n"
			 "GRUB_DISABLE_LINUX_PARTUUID=true\n",
			 ROOT_MAPPING_DEFAULT);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

static int command_run(const char *what, const char *const argv[])
{
	int r = run_command(argv);

	if (r == 0)
		return 0;
	if (r < 0)
		log_error("Failed to run %s for %s: %s", argv[0], what, strerror(-r));
	else
		log_error("%s failed with status %d while it %s.", argv[0], r, what);
	sync();
	return r < 0 ? r : -EIO;
}

int os_grub_update(void)
{
	static const char *const update[] = { "/usr/sbin/update-grub", NULL };
	char text[512];
	int r;

	r = os_grub_dropin_text(text, sizeof(text));
	if (r == 0)
		r = mkdir_parents("/etc/default/grub.d", 0755);
	if (r == 0)
		r = write_file_atomic(OS_GRUB_DROPIN, text, strlen(text), 0644);
	if (r < 0) {
		log_error("Failed to write %s: %s", OS_GRUB_DROPIN, strerror(-r));
		return r;
	}

	log_info("Wrote %s; running update-grub.", OS_GRUB_DROPIN);
	r = command_run("wrote the GRUB configuration", update);
	sync();
	return r;
}

const char *os_generator_command(enum os_generator generator)
{
	switch (generator) {
	case GENERATOR_INITRAMFS_TOOLS:
		return "update-initramfs -u -k all";
	case GENERATOR_DRACUT:
		return "dracut --regenerate-all --force";
	default:
		return "(none)";
	}
}

int os_initramfs_update(enum os_generator generator)
{
	static const char *const update_initramfs[] = { "/usr/sbin/update-initramfs", "-u", "-k",
							"all", NULL };
	static const char *const dracut[] = { "/usr/bin/dracut", "--regenerate-all", "--force",
					      NULL };
	int r;

	log_info("Regenerating the initramfs: %s.", os_generator_command(generator));
	r = command_run("built the initramfs",
			generator == GENERATOR_DRACUT ? dracut : update_initramfs);
	sync();
	return r;
}

int os_resume_unit_enable(void)
{
	static const char *const enable[] = { "systemctl", "enable", "--quiet", OS_RESUME_UNIT,
					      NULL };

	return command_run("enabled " OS_RESUME_UNIT, enable);
}
