// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bekboot-encrypt os: encrypt the disk the system runs from, in place, with
 * a LUKS2 header detached on /boot (ADE's layout), through a staging root.
 *
 * The order of the steps is what makes a power cut at any instant boot:
 *
 *  1. The key: read from the key volume, or generated and stored there. Boot
 *     does not look at it yet.
 *  2. The header: /boot/luks/osluksheader, written under a temporary name and
 *     renamed when the reencryption is initialised. No data is touched, and
 *     boot (GRUB, initramfs) does not know of it yet.
 *  3. /etc/bekboot/crypttab names the root volume: only a new initramfs reads
 *     it, and the header it names exists by now.
 *  4. The resume unit is enabled. It runs only when the mapping is active, so
 *     a boot from the bare partition never starts it.
 *  5. The initramfs is regenerated with bekboot's configuration. A boot with
 *     the old GRUB command line (root=UUID=) now opens the mapping first.
 *     Since nothing is encrypted yet, the mapping shows the same filesystem
 *     as the partition it holds, and bekboot's udev rule points the
 *     /dev/disk/by-uuid link at the mapping, so that root=UUID= mounts it
 *     under dracut and initramfs-tools alike.
 *  6. The GRUB drop-in and update-grub (which replaces grub.cfg by renaming):
 *     from now on root=/dev/mapper/osencrypt, which the new initramfs opens.
 *  7. The staging root, in a tmpfs that a power cut simply loses.
 *  8. Reboot into the staging root, which encrypts offline. Data is
 *     encrypted only from here on, when every boot path goes through the
 *     mapping; a power cut during it boots through the unlocker, which opens
 *     the partly encrypted root, and the resume unit continues online.
 *
 * Each step is idempotent: running the command again after an interruption
 * at any point continues the work. Every file is synced before the next step.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypttab.h"
#include "log.h"
#include "os.h"
#include "util.h"

static void plan_print(const struct os_plan *plan)
{
	const struct volume_plan *v = &plan->volume;
	char dropin[512];

	os_grub_dropin_text(dropin, sizeof(dropin));
	printf("Plan for the OS disk:\n"
	       "  root partition:   %s (%s, %s), / mounted from %s\n"
	       "  detached header:  %s (filesystem UUID %s)%s\n"
	       "  key:              %s on key volume %s%s\n"
	       "  crypttab:         %s %s %s bek:%s header=UUID=%s:%s,root\n"
	       "  resume unit:      %s, enabled\n"
	       "  initramfs:        %s\n"
	       "  GRUB drop-in:     %s, then update-grub:\n%s",
	       v->device, v->fstype, plan->partuuid[0] ? "PARTUUID" : "no PARTUUID",
	       plan->root_device, v->header_file, v->header_uuid,
	       v->luks ? ", initialised by an earlier run" : "", OS_KEY_NAME, plan->key_volume,
	       plan->key_exists ? "" : " (generated)", CRYPTTAB_PATH, v->name, v->device_spec,
	       v->key_name, v->header_uuid, v->header_path, OS_RESUME_UNIT,
	       os_generator_command(plan->generator), OS_GRUB_DROPIN, dropin);
	if (plan->root_mapped)
		printf("  then:             the root already runs on /dev/mapper/%s: %s "
		       "encrypts it online\n",
		       v->name, OS_RESUME_UNIT);
	else
		printf("  then:             staging root on a tmpfs at %s (at most %u MiB), reboot,\n"
		       "                    encrypt offline in the staging root, reboot\n",
		       OS_STAGING_DIR, OS_STAGING_MAX_MIB);
	fflush(stdout);
}

/* Steps 1 and 2: the key, and the header with the reencryption initialised. */
static int header_write(const struct encrypt_options *opts, struct os_plan *plan)
{
	struct volume_key key = { 0 };
	int r;

	r = key_obtain(opts, &plan->volume, &key, plan->volume.luks);
	if (r == 0 && !plan->volume.luks)
		r = uuid_make(plan->volume.luks_uuid);
	if (r == 0 && !plan->volume.luks)
		r = mkdir_parents("/boot/luks", 0700);
	if (r == 0 && !plan->volume.luks)
		r = luks_initialize(opts, &plan->volume, &key);
	key_release(&key);
	if (r == 0)
		log_info("%s: header initialised in %s; nothing is encrypted yet.",
			 plan->volume.name, plan->volume.header_file);
	return r;
}

static int resume_start(void)
{
	static const char *const start[] = { "systemctl", "start", "--no-block", OS_RESUME_UNIT,
					     NULL };

	log_info("The root filesystem already runs on the mapping; %s encrypts it online.",
		 OS_RESUME_UNIT);
	return run_command(start) == 0 ? 0 : -EIO;
}

static int staging_reboot(const struct encrypt_options *opts)
{
	static const char *const reboot[] = { "systemctl", "reboot", NULL };
	int r;

	r = os_staging_mount();
	if (r == 0)
		r = os_staging_build(OS_STAGING_DIR, opts);
	if (r < 0)
		return r;

	log_info("Rebooting through the staging root, which encrypts %s and reboots again.",
		 ROOT_MAPPING_DEFAULT);
	return run_command(reboot) == 0 ? 0 : -EIO;
}

static int os_steps(const struct encrypt_options *opts, struct os_plan *plan)
{
	int r;

	r = header_write(opts, plan);
	if (r == 0)
		r = config_write(opts, &plan->volume);
	if (r == 0)
		r = os_resume_unit_enable();
	if (r == 0)
		r = os_initramfs_update(plan->generator);
	if (r == 0)
		r = os_grub_update();
	if (r < 0)
		return r;
	sync();

	return plan->root_mapped ? resume_start() : staging_reboot(opts);
}

int os_run(const struct encrypt_options *opts)
{
	struct encrypt_options os_opts = *opts;
	struct os_plan plan = { 0 };
	int r;

	if (opts->root[0] || opts->key_file || opts->header || opts->format) {
		log_error("The os command takes only --key-volume, --yes and --dry-run.");
		return EXIT_USAGE;
	}
	if (os_preflight(opts, &plan) < 0)
		return EXIT_REFUSED;
	plan_print(&plan);
	if (opts->dry_run)
		return EXIT_OK;
	if (!opts->yes) {
		log_error("Nothing was changed: this encrypts the running system and reboots it; "
			  "add --yes to go ahead.");
		return EXIT_REFUSED;
	}

	os_opts.key_volume = plan.key_volume;
	os_opts.hotzone_size = opts->hotzone_size ?: OS_HOTZONE_SIZE;
	r = os_steps(&os_opts, &plan);
	if (r < 0) {
		log_error(
			"The OS disk encryption stopped; run the same command again to continue.");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}
