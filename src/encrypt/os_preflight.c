// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Preflight of the OS disk encryption: every check runs, each says what is
 * wrong in one sentence, and nothing is written before all of them pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "crypttab.h"
#include "devices.h"
#include "fstab.h"
#include "keyvol.h"
#include "log.h"
#include "os.h"
#include "util.h"

static const char *const unit_dirs[] = {
	"/etc/systemd/system",
	SYSTEMD_UNIT_DIR,
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
};

/* The /dev node of block device @devno, from its sysfs uevent. */
static int block_node(dev_t devno, const char *sub, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[128];
	const char *name;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(devno), minor(devno), sub);
	if (read_text_file(path, 4096, &text, NULL) < 0)
		return -ENODEV;
	name = strstr(text, "DEVNAME=");
	if (!name)
		return -ENODEV;
	name += strlen("DEVNAME=");
	snprintf(buf, size, "/dev/%.*s", (int)strcspn(name, "\n"), name);
	return 0;
}

/* The disk that block device @devno is a partition of, or the device itself. */
static void disk_name(dev_t devno, char *buf, size_t size)
{
	char link[PATH_MAX], real[PATH_MAX], *slash;

	buf[0] = '\0';
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(devno), minor(devno));
	if (!realpath(link, real))
		return;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/partition", major(devno), minor(devno));
	if (access(link, F_OK) == 0 && (slash = strrchr(real, '/')))
		*slash = '\0';
	slash = strrchr(real, '/');
	slash = slash ? slash + 1 : real;
	if (strlen(slash) < size)
		strcpy(buf, slash);
}

/* Root on the mapping of an earlier run: the partition is the mapping's only slave. */
static int root_through_mapping(dev_t devno, struct os_plan *plan)
{
	_cleanup_free_ char *name = NULL;
	char path[128];
	struct dirent *de = NULL;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name", major(devno), minor(devno));
	if (read_text_file(path, 256, &name, NULL) < 0)
		return 0;
	name[strcspn(name, "\n")] = '\0';
	if (!streq(name, ROOT_MAPPING_DEFAULT)) {
		log_error("The root filesystem is on device-mapper device %s (LVM, RAID or another "
			  "mapping); only a plain partition can be encrypted.",
			  name);
		return -EMEDIUMTYPE;
	}

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", major(devno), minor(devno));
	d = opendir(path);
	while (d && (de = readdir(d)) && de->d_name[0] == '.')
		;
	if (de)
		snprintf(plan->volume.device, sizeof(plan->volume.device), "/dev/%s", de->d_name);
	if (d)
		closedir(d);
	plan->root_mapped = true;
	return plan->volume.device[0] ? 0 : -ENODEV;
}

static int root_fstype(char *buf, size_t size)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs = NULL;

	if (tb && mnt_table_parse_mtab(tb, NULL) == 0)
		fs = mnt_table_find_target(tb, "/", MNT_ITER_BACKWARD);
	snprintf(buf, size, "%s", fs && mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "");
	mnt_unref_table(tb);
	return buf[0] ? 0 : -ENOENT;
}

static bool is_ext(const char *type)
{
	return streq(type, "ext2") || streq(type, "ext3") || streq(type, "ext4");
}

static int check_root_type(struct os_plan *plan)
{
	char type[32];

	if (root_fstype(type, sizeof(type)) < 0) {
		log_error(
			"Failed to find the type of the root filesystem in /proc/self/mountinfo.");
		return -ENOENT;
	}
	snprintf(plan->volume.fstype, sizeof(plan->volume.fstype), "%s", type);
	if (!is_ext(type)) {
		log_error("The root filesystem is %s; only ext2, ext3 and ext4 are supported.",
			  type);
		return -EMEDIUMTYPE;
	}
	log_info("Root filesystem: %s (it could shrink, but the detached header needs no room "
		 "on it: nothing is shrunk).",
		 type);
	return 0;
}

static int root_partition(struct os_plan *plan, const struct stat *st)
{
	int r;

	if (block_node(st->st_dev, "uevent", plan->root_device, sizeof(plan->root_device)) < 0) {
		log_error("The root filesystem is on no block device (device %u:%u).",
			  major(st->st_dev), minor(st->st_dev));
		return -ENOTBLK;
	}
	r = root_through_mapping(st->st_dev, plan);
	if (r < 0 || plan->root_mapped)
		return r;

	snprintf(plan->volume.device, sizeof(plan->volume.device), "%s", plan->root_device);
	return 0;
}

/* 4096-byte sectors when the filesystem's blocks and the partition allow them. */
static void root_sector_size(struct os_plan *plan)
{
	_cleanup_close_ int fd = open(plan->volume.device, O_RDONLY | O_CLOEXEC);
	struct statvfs sv;

	plan->volume.sector_size = 512;
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &plan->volume.size) < 0 || statvfs("/", &sv) < 0)
		return;
	if (sv.f_bsize >= 4096 && plan->volume.size % 4096 == 0)
		plan->volume.sector_size = 4096;
}

static int check_root(struct os_plan *plan, const struct stat *root)
{
	struct device_info info;
	char path[PATH_MAX];
	int r;

	r = root_partition(plan, root);
	if (r < 0)
		return r;
	if (device_probe(plan->volume.device, &info) < 0 || !info.partuuid[0]) {
		log_error("Root device %s has no partition UUID (PARTUUID): it must be a "
			  "partition of a disk with an MBR or GPT partition table.",
			  plan->volume.device);
		return -ENODEV;
	}
	snprintf(plan->partuuid, sizeof(plan->partuuid), "%s", info.partuuid);
	snprintf(plan->volume.fs_uuid, sizeof(plan->volume.fs_uuid), "%s", info.uuid);
	snprintf(path, sizeof(path), "PARTUUID=%s", info.partuuid);
	snprintf(plan->volume.device_spec, sizeof(plan->volume.device_spec), "%s", path);
	root_sector_size(plan);
	return 0;
}

static int boot_room(const struct os_plan *plan)
{
	struct statvfs sv;

	if (access(plan->volume.header_file, F_OK) == 0)
		return 0;
	if (statvfs("/boot", &sv) < 0) {
		log_error("Failed to read the free space of /boot: %m");
		return -errno;
	}
	if ((uint64_t)sv.f_bavail * sv.f_frsize < OS_HEADER_SIZE + (1ULL << 20)) {
		log_error("/boot has %llu KiB free; the detached header needs %llu MiB.",
			  (unsigned long long)((uint64_t)sv.f_bavail * sv.f_frsize >> 10),
			  (unsigned long long)(OS_HEADER_SIZE >> 20) + 1);
		return -ENOSPC;
	}
	return 0;
}

static int check_boot(struct os_plan *plan, const struct stat *root)
{
	struct device_info info;
	struct stat st;

	if (stat("/boot", &st) < 0 || st.st_dev == root->st_dev) {
		log_error("/boot is no separate filesystem; the detached header needs one "
			  "(a small ext4 partition mounted on /boot).");
		return -ENOENT;
	}
	if (block_node(st.st_dev, "uevent", plan->boot_device, sizeof(plan->boot_device)) < 0 ||
	    device_probe(plan->boot_device, &info) < 0 || !info.uuid[0]) {
		log_error("/boot is on no block device with a filesystem UUID.");
		return -ENODEV;
	}
	snprintf(plan->boot_fstype, sizeof(plan->boot_fstype), "%s", info.type);
	snprintf(plan->volume.header_uuid, sizeof(plan->volume.header_uuid), "%s", info.uuid);
	snprintf(plan->volume.header_path, sizeof(plan->volume.header_path), "%s", OS_HEADER_PATH);
	snprintf(plan->volume.header_file, sizeof(plan->volume.header_file), "/boot%s",
		 OS_HEADER_PATH);
	return boot_room(plan);
}

static int check_key_volume(const struct encrypt_options *opts, struct os_plan *plan)
{
	int r = key_volume_find(opts, plan->key_volume, sizeof(plan->key_volume));

	if (r < 0)
		return r;
	plan->key_exists = key_volume_has_key(plan->key_volume, OS_KEY_NAME);
	return 0;
}

static int check_memory(const struct os_plan *plan)
{
	uint64_t available = 0;

	if (plan->root_mapped)
		return 0;
	if (mem_available_kib(&available) < 0 || available < OS_MEMORY_MIN_KIB) {
		log_error("%llu MiB of memory are available; the staging root and the encryptor "
			  "need %llu MiB.",
			  (unsigned long long)(available >> 10),
			  (unsigned long long)(OS_MEMORY_MIN_KIB >> 10));
		return -ENOMEM;
	}
	return 0;
}

static int swap_check_line(const char *line, const struct stat *root, const char *root_disk)
{
	char name[PATH_MAX], type[32], disk[64];
	struct stat st;

	if (sscanf(line, "%4095s %31s", name, type) != 2 || name[0] != '/' || stat(name, &st) < 0)
		return 0;
	unescape_octal(name);
	if (S_ISREG(st.st_mode) && st.st_dev == root->st_dev) {
		log_error("Swap file %s is on the root filesystem; swapoff it and remove it from "
			  "/etc/fstab first.",
			  name);
		return -EBUSY;
	}
	disk_name(st.st_rdev, disk, sizeof(disk));
	if (S_ISBLK(st.st_mode) && streq(disk, root_disk)) {
		log_error("Swap %s is on the OS disk %s; swapoff it and remove it from /etc/fstab "
			  "first.",
			  name, disk);
		return -EBUSY;
	}
	return 0;
}

static int check_swap(const struct os_plan *plan, const struct stat *root)
{
	_cleanup_free_ char *text = NULL;
	char root_disk[64], *line, *save = NULL;
	struct stat st;
	int r = 0;

	if (stat(plan->volume.device, &st) < 0 ||
	    read_text_file("/proc/swaps", 65536, &text, NULL) < 0)
		return 0;
	disk_name(st.st_rdev, root_disk, sizeof(root_disk));
	line = strtok_r(text, "\n", &save); /* the heading */
	while ((line = strtok_r(NULL, "\n", &save)))
		if (swap_check_line(line, root, root_disk) < 0)
			r = -EBUSY;
	return r;
}

static bool source_persistent(const char *source)
{
	return !startswith(source, "/dev/") || startswith(source, "/dev/disk/") ||
	       startswith(source, "/dev/mapper/");
}

static int check_fstab(void)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r = 0;

	if (read_text_file(FSTAB_PATH, FSTAB_MAX_SIZE, &text, NULL) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct fstab_entry e;

		if (fstab_parse_line(line, &e) < 0)
			continue;
		if (!source_persistent(e.source)) {
			log_error("/etc/fstab mounts %s on %s by a name that may change at boot; "
				  "use UUID= or PARTUUID= instead.",
				  e.source, e.target);
			r = -EINVAL;
		}
		fstab_entry_clear(&e);
	}
	return r;
}

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

static int check_generator(struct os_plan *plan)
{
	if (executable("/usr/sbin/update-initramfs") && access(INITRAMFS_TOOLS_HOOK, F_OK) == 0) {
		plan->generator = GENERATOR_INITRAMFS_TOOLS;
		return 0;
	}
	if (executable("/usr/bin/dracut") && access(DRACUT_MODULE_DIR, F_OK) == 0) {
		plan->generator = GENERATOR_DRACUT;
		return 0;
	}
	log_error("No initramfs generator with bekboot installed: neither update-initramfs with "
		  "%s nor dracut with %s.",
		  INITRAMFS_TOOLS_HOOK, DRACUT_MODULE_DIR);
	return -ENOPKG;
}

static int check_boot_loader(void)
{
	if (executable("/usr/sbin/update-grub") && access("/etc/default/grub", F_OK) == 0)
		return 0;
	log_error("GRUB is not installed (no /usr/sbin/update-grub or /etc/default/grub); the "
		  "kernel command line cannot be pointed at /dev/mapper/%s.",
		  ROOT_MAPPING_DEFAULT);
	return -ENOPKG;
}

static int check_systemd(void)
{
	char path[PATH_MAX];
	size_t i;

	if (access("/run/systemd/system", F_OK) < 0) {
		log_error("The system does not run systemd, which the staging root needs to stop "
			  "every service and give up the root filesystem.");
		return -ENOTSUP;
	}
	for (i = 0; i < ARRAY_SIZE(unit_dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", unit_dirs[i], OS_RESUME_UNIT);
		if (access(path, F_OK) == 0)
			return 0;
	}
	log_error("Unit %s is not installed; it finishes the encryption after a reboot.",
		  OS_RESUME_UNIT);
	return -ENOENT;
}

static int check_staging_tools(void)
{
	static const char *const tools[] = { "/bin/sh", "/usr/bin/mdir", "/usr/bin/mtype" };
	int r = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tools); i++) {
		if (executable(tools[i]))
			continue;
		log_error("%s is missing; the staging root needs it (packages dash and mtools).",
			  tools[i]);
		r = -ENOPKG;
	}
	return r;
}

/* An earlier run may have written the header: resume it, or say it is done. */
static int check_header(struct os_plan *plan)
{
	struct volume_plan *v = &plan->volume;

	if (!v->header_file[0] || access(v->header_file, F_OK) < 0) {
		if (!plan->root_mapped)
			return 0;
		log_error("The root filesystem runs on /dev/mapper/%s, but its header %s is "
			  "missing.",
			  v->name, v->header_file);
		return -ENOENT;
	}
	luks_probe(v->device, v->header_file, &v->luks, &v->reencrypting, v->luks_uuid);
	if (!v->luks) {
		log_error("%s exists and holds no LUKS header; move it away first.",
			  v->header_file);
		return -EEXIST;
	}
	if (!v->reencrypting) {
		log_error("The OS disk %s is already encrypted (header %s).", v->device,
			  v->header_file);
		return -EALREADY;
	}
	log_info("An earlier run initialised the encryption of %s; continuing it.", v->device);
	return 0;
}

/* crypttab may already name the root volume: only for this partition. */
static int check_crypttab(const struct os_plan *plan)
{
	struct crypttab tab = { 0 };
	size_t i;
	int r = 0;

	if (access(CRYPTTAB_PATH, F_OK) < 0)
		return 0;
	if (crypttab_load(CRYPTTAB_PATH, &tab) < 0)
		return -EINVAL;
	for (i = 0; i < tab.count; i++) {
		const struct crypttab_entry *e = &tab.entries[i];

		if (streq(e->name, plan->volume.name) &&
		    !streq(e->device, plan->volume.device_spec)) {
			log_error("%s already has a volume %s, on %s.", CRYPTTAB_PATH, e->name,
				  e->device);
			r = -EEXIST;
		}
	}
	crypttab_free(&tab);
	return r;
}

static void plan_defaults(struct os_plan *plan)
{
	struct volume_plan *v = &plan->volume;

	v->mode = MODE_DETACHED;
	v->root = true;
	v->sector_size = 4096;
	snprintf(v->name, sizeof(v->name), "%s", ROOT_MAPPING_DEFAULT);
	snprintf(v->key_name, sizeof(v->key_name), "%s", OS_KEY_NAME);
}

int os_preflight(const struct encrypt_options *opts, struct os_plan *plan)
{
	unsigned problems = 0;
	struct stat root;

	plan_defaults(plan);
	if (stat("/", &root) < 0)
		return -errno;

	problems += check_root_type(plan) < 0;
	if (check_root(plan, &root) < 0)
		problems++;
	else
		problems += (check_swap(plan, &root) < 0) + (check_crypttab(plan) < 0);
	if (check_boot(plan, &root) < 0)
		problems++;
	else if (plan->volume.device[0])
		problems += check_header(plan) < 0;
	problems += check_key_volume(opts, plan) < 0;
	problems += check_memory(plan) < 0;
	problems += check_fstab() < 0;
	problems += check_generator(plan) < 0;
	problems += check_boot_loader() < 0;
	problems += check_systemd() < 0;
	problems += check_staging_tools() < 0;

	if (problems) {
		log_error(
			"Refusing to encrypt the OS disk: %u problem%s above; nothing was changed.",
			problems, problems > 1 ? "s" : "");
		return -EINVAL;
	}
	return 0;
}
