/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_UNLOCK_H
#define BEKBOOT_UNLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "crypttab.h"
#include "devices.h"
#include "key_volume.h"
#include "keys.h"

/* Why a volume did not open. Each is also the exit code when root fails. */
enum unlock_cause {
	CAUSE_NONE = 0,
	CAUSE_OTHER = 1,
	CAUSE_USAGE = 2,
	CAUSE_CONFIG = 3,
	CAUSE_NO_KEY_VOLUME = 4,
	CAUSE_NO_KEY_FILE = 5,
	CAUSE_NO_KEY_OPENS = 6,
	CAUSE_DEVICE_ABSENT = 7,
	CAUSE_HEADER = 8,
	CAUSE_MODULE = 9,
	CAUSE_MEMORY = 10,
};

#define RESCUE_TEXT_PATH "/run/bekboot/rescue.txt"
#define HEADER_COPY_DIR	 "/run/bekboot/headers"
#define LATE_FSTAB_PATH	 "/etc/bekboot/fstab"

struct unlock_options {
	const char *config;
	const char *cmdline;
	const char *key_dir;
	const char *key_file; /* manual, rescue: a key file given by hand */
	const char *key_volume; /* rescue: the key volume's device */
	const char *name_prefix; /* rescue: prefix of the mapping names */
	const char *disk; /* rescue: the disk to look at */
	bool read_write; /* rescue: open read-write */
	unsigned timeout;
	bool timeout_set;
	bool test;
	bool json;
	bool kmsg;
	bool verbose;
	bool late; /* after boot: every volume counts as nofail */
};

/* One configured volume and what happened to it. */
struct volume {
	const struct crypttab_entry *entry;
	char device[DEVICE_PATH_MAX];
	char header[DEVICE_PATH_MAX]; /* detached header file, if any */
	bool present;
	bool already_active;
	bool opened;
	bool reencrypting;
	uint64_t reencrypt_done; /* bytes encrypted so far, of ... */
	uint64_t reencrypt_total; /* ... all data bytes; 0 when unknown */
	uint64_t kdf_memory_kib; /* the most that a usable keyslot needs */
	int memory_slot; /* when the KDF does not fit: which keyslot ... */
	uint64_t memory_need_kib; /* ... needs how much ... */
	uint64_t memory_available_kib; /* ... of how much there is */
	enum unlock_cause cause;
	const struct key_file *key; /* the key that opened it */
	uint64_t elapsed_ms;
};

/* Everything one run works on: configuration, devices, keys, volumes. */
struct unlock_context {
	struct unlock_options opts;
	struct boot_options boot;
	struct crypttab tab;
	struct crypttab_entry ade_entry; /* the root that ADE's parameters describe */
	struct volume volumes[CRYPTTAB_MAX_ENTRIES + 1];
	size_t count;
	char key_volumes[KEY_VOLUME_MAX][DEVICE_PATH_MAX];
	size_t key_volume_count;
	struct key_set keys;
	bool keys_for_all; /* keys given by hand: every key is tried on every volume */
	bool need_key_volume;
	bool modules_failed;
	bool key_volume_unreadable; /* found, but no key volume could be read */
};

/* options.c */
/*
 * Parse the command line into @opts (defaults filled in first) and
 * @ret_command ("open" when none is given). Returns 0 to go on, 1 when the
 * program should stop at once with success (--help, --version), -EINVAL on a
 * usage error, which has been logged.
 */
int unlock_options_parse(int argc, char **argv, struct unlock_options *opts,
			 const char **ret_command);

/* config.c */
int context_load(struct unlock_context *ctx);
void context_free(struct unlock_context *ctx);
bool volume_required(const struct unlock_context *ctx, const struct volume *vol);

/* modules.c */
int modules_load(bool key_volume, bool device_mapper);

/* devices step (wait.c) */
int volumes_wait(struct unlock_context *ctx);

/* keys step (keyload.c) */
int keys_load(struct unlock_context *ctx);

/* entropy.c */
void entropy_start(void);

/* volume.c */
void volume_crypt_init(bool verbose);
int volume_open(struct unlock_context *ctx, struct volume *vol);
int volume_probe_memory(struct volume *vol);
bool mapping_active(const char *name);
int mapping_remove(const char *name);

/* mappings.c */
#define MAPPING_NAME_MAX 128
/* The names of the active dm-crypt mappings. */
int crypt_mappings_list(char names[][MAPPING_NAME_MAX], size_t max, size_t *ret_count);

/* header.c */
int header_prepare(struct volume *vol);
/* 1 if the filesystem on @device holds a regular file @path, 0 if not, -errno. */
int filesystem_has_file(const char *device, const char *type, const char *path);

/* open.c */
int volumes_open_all(struct unlock_context *ctx);
int unlock_report(struct unlock_context *ctx);

/* late.c */
int fstab_mount_all(const char *path);

/* commands */
int command_open(struct unlock_context *ctx);
int command_status(struct unlock_context *ctx);
int command_late(struct unlock_context *ctx);
int command_manual(struct unlock_context *ctx);
int command_rescue(struct unlock_context *ctx, const char *disk);

const char *cause_describe(enum unlock_cause cause);

#endif
