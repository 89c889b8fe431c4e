// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Inside the staging root, run by its /shutdown after systemd-shutdown has
 * pivoted there: give up the old root, mount the /boot filesystem for the
 * header, read the key from the key volume, encrypt offline, reboot.
 *
 * The key is read from the key volume again here rather than handed over by
 * the os command: it never leaves locked memory or the key volume, and the
 * staging root holds nothing secret. Whatever fails, the machine reboots:
 * every boot from now on goes through the mapping, and the resume unit
 * finishes the encryption online.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crypttab.h"
#include "devices.h"
#include "log.h"
#include "os.h"
#include "util.h"

#define OLDROOT	    "/oldroot"
#define HOLDERS_MAX 20
#define MOUNTS_MAX  256

static int target_compare(const void *a, const void *b)
{
	return (int)strlen(*(char *const *)b) - (int)strlen(*(char *const *)a);
}

/* Every mount point at or below /oldroot, deepest first. */
static size_t oldroot_mounts(char *ret[MOUNTS_MAX])
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	size_t n = 0;

	if (tb && it && mnt_table_parse_file(tb, "/proc/self/mountinfo") == 0)
		while (n < MOUNTS_MAX && mnt_table_next_fs(tb, it, &fs) == 0) {
			const char *t = mnt_fs_get_target(fs);
			const char *rest = t ? startswith(t, OLDROOT) : NULL;

			if (rest && (!*rest || *rest == '/'))
				ret[n++] = strdup(t);
		}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	qsort(ret, n, sizeof(*ret), target_compare);
	return n;
}

static void holder_report(const char *pid, const char *what, unsigned *count)
{
	char link[PATH_MAX + 64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%s/%s", pid, what);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || *count >= HOLDERS_MAX)
		return;
	target[n] = '\0';
	if (startswith(target, OLDROOT)) {
		log_error("staging: process %s holds %s (%s).", pid, target, what);
		(*count)++;
	}
}

static void holder_maps(const char *pid, unsigned *count)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	const char *at;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if (read_text_file(path, 4 << 20, &text, NULL) < 0 || !(at = strstr(text, " " OLDROOT)))
		return;
	if ((*count)++ < HOLDERS_MAX)
		log_error("staging: process %s maps %.*s.", pid, (int)strcspn(at + 1, "\n"),
			  at + 1);
}

/* Say which processes keep the old root busy: open files, maps, cwd, root. */
static void holders_report(void)
{
	DIR *proc = opendir("/proc"), *fds;
	struct dirent *de, *fd;
	unsigned count = 0;
	char path[PATH_MAX];

	while (proc && (de = readdir(proc))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		holder_report(de->d_name, "cwd", &count);
		holder_report(de->d_name, "root", &count);
		holder_maps(de->d_name, &count);
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		while (fds && (fd = readdir(fds))) {
			snprintf(path, sizeof(path), "fd/%s", fd->d_name);
			if (fd->d_name[0] != '.')
				holder_report(de->d_name, path, &count);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	if (count == 0)
		log_error("staging: no process holds a file of the old root; a mount inside it, a "
			  "loop device or a swap file may.");
}

/* Unmount the old root and what is mounted below it; the root itself must go for real. */
static int oldroot_release(void)
{
	char *mounts[MOUNTS_MAX];
	size_t n = oldroot_mounts(mounts), i;
	int r = 0;

	for (i = 0; i < n; i++) {
		bool is_root = streq(mounts[i], OLDROOT);

		if (mounts[i] && umount2(mounts[i], 0) < 0) {
			if (!is_root)
				umount2(mounts[i], MNT_DETACH);
			else if (r == 0)
				r = -errno;
		}
		free(mounts[i]);
	}
	if (r == 0)
		log_info("staging: the old root is unmounted.");
	return r;
}

static const struct crypttab_entry *root_entry(const struct crypttab *tab)
{
	size_t i;

	for (i = 0; i < tab->count; i++)
		if (streq(tab->entries[i].name, ROOT_MAPPING_DEFAULT))
			return &tab->entries[i];
	return NULL;
}

/* Mount the filesystem that holds the detached header where crypttab's UUID finds it. */
static int boot_mount(void)
{
	struct crypttab tab = { 0 };
	const struct crypttab_entry *e;
	struct device_info info;
	char spec[96], device[DEVICE_PATH_MAX];
	int r;

	r = crypttab_load(CRYPTTAB_PATH, &tab);
	if (r < 0)
		return r;
	e = root_entry(&tab);
	r = e && e->header_uuid ? 0 : -ENOENT;
	if (r == 0)
		snprintf(spec, sizeof(spec), "UUID=%s", e->header_uuid);
	crypttab_free(&tab);
	if (r < 0) {
		log_error("staging: %s has no volume %s with a header=UUID= option.", CRYPTTAB_PATH,
			  ROOT_MAPPING_DEFAULT);
		return r;
	}

	r = device_resolve(spec, device, sizeof(device));
	if (r == 0)
		r = device_probe(device, &info);
	if (r == 0 && mount(device, "/boot", info.type, MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) < 0)
		r = -errno;
	if (r < 0)
		log_error("staging: failed to mount the filesystem %s that holds the header: %s",
			  spec, strerror(-r));
	return r;
}

static uint64_t status_kib(const char *field)
{
	_cleanup_free_ char *text = NULL;
	const char *at;

	if (read_text_file("/proc/self/status", 65536, &text, NULL) < 0 ||
	    !(at = strstr(text, field)))
		return 0;
	return strtoull(at + strlen(field), NULL, 10);
}

static void memory_report(void)
{
	uint64_t hwm = status_kib("VmHWM:"), tmpfs = 0;
	struct statvfs sv;

	if (statvfs("/", &sv) == 0)
		tmpfs = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize >> 10;
	log_info("staging: peak memory %llu KiB (encryptor VmHWM %llu KiB, staging tmpfs %llu "
		 "KiB used).",
		 (unsigned long long)(hwm + tmpfs), (unsigned long long)hwm,
		 (unsigned long long)tmpfs);
}

static int encrypt_offline(const struct encrypt_options *opts)
{
	struct encrypt_options staged = *opts;
	struct volume_plan plan = { 0 };
	struct volume_key key = { 0 };
	int r;

	staged.hotzone_size = opts->hotzone_size ?: OS_HOTZONE_SIZE;
	r = config_find_volume(&staged, ROOT_MAPPING_DEFAULT, NULL, &plan);
	if (r == 0)
		r = key_obtain(&staged, &plan, &key, true);
	if (r == 0)
		r = luks_resume(&staged, &plan, &key);
	key_release(&key);
	return r;
}

static void staged_reboot(const char *verb)
{
	int how = RB_AUTOBOOT;

	if (streq(verb, "poweroff"))
		how = RB_POWER_OFF;
	else if (streq(verb, "halt"))
		how = RB_HALT_SYSTEM;
	log_info("staging: %s.", how == RB_AUTOBOOT ? "rebooting" : "stopping the machine");
	sync();
	reboot(how);
	log_error("staging: failed to reboot: %m");
}

int os_staged(const struct encrypt_options *opts, const char *verb)
{
	int r;

	log_info("staging: running in the staging root; giving up the old root.");
	r = oldroot_release();
	if (r < 0) {
		log_error("staging: the old root will not unmount (%s); rebooting without "
			  "encrypting. After boot, %s finishes the encryption online.",
			  strerror(-r), OS_RESUME_UNIT);
		holders_report();
		staged_reboot(verb);
		return EXIT_FAILED;
	}

	/* The staging root has only the console, often a logged serial line. */
	progress_use_lines();
	r = boot_mount();
	if (r == 0) {
		r = encrypt_offline(opts);
		memory_report();
		umount2("/boot", 0);
	}
	if (r < 0)
		log_error("staging: the encryption stopped; after boot, %s finishes it online.",
			  OS_RESUME_UNIT);
	staged_reboot(verb);
	return EXIT_FAILED;
}
