/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_ENCRYPT_OS_H
#define BEKBOOT_ENCRYPT_OS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "encrypt.h"

/* ADE's layout: the OS disk's detached header on the /boot filesystem. */
#define OS_HEADER_PATH	   "/luks/osluksheader"
#define OS_HEADER_SIZE	   (16ULL << 20)
#define OS_KEY_NAME	   "LinuxPassPhraseFileName"
#define OS_GRUB_DROPIN	   "/etc/default/grub.d/bekboot.cfg"
#define OS_RESUME_UNIT	   "bekboot-encrypt-resume.service"
#define OS_STAGING_DIR	   "/run/initramfs"
#define OS_STAGING_MAX_MIB 64
/* Hotzone of the OS encryption: bounds the encryptor's buffer in a small VM. */
#define OS_HOTZONE_SIZE (16ULL << 20)
/* What the staging root and the encryptor need, with a margin for the system. */
#define OS_MEMORY_MIN_KIB ((OS_STAGING_MAX_MIB + 64) * 1024ULL)

enum os_generator {
	GENERATOR_NONE,
	GENERATOR_INITRAMFS_TOOLS,
	GENERATOR_DRACUT,
};

struct os_plan {
	struct volume_plan volume; /* the root partition, mapping osencrypt */
	char root_device[PATH_MAX]; /* what / is mounted from */
	bool root_mapped; /* / already runs on the mapping: resume online */
	char partuuid[64];
	char boot_device[PATH_MAX];
	char boot_fstype[32];
	char key_volume[PATH_MAX];
	bool key_exists; /* the key volume already holds the key file */
	enum os_generator generator;
};

/* os_preflight.c */
int os_preflight(const struct encrypt_options *opts, struct os_plan *plan);

/* os_boot.c */
int os_grub_dropin_text(char *buf, size_t size);
int os_grub_update(void);
int os_initramfs_update(enum os_generator generator);
int os_resume_unit_enable(void);
const char *os_generator_command(enum os_generator generator);

/* os_staging.c */
int os_staging_build(const char *dir, const struct encrypt_options *opts);
int os_staging_mount(void);

/* os_staged.c */
int os_staged_run(const struct encrypt_options *opts, const char *verb);

#endif
