/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_ENCRYPT_H
#define BEKBOOT_ENCRYPT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypt_device;

/* Exit codes, documented in bekboot-encrypt(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* nothing was changed */
	EXIT_INTERRUPTED = 4, /* stopped at a safe point; resume continues */
	EXIT_UNENCRYPTED = 5, /* status: something is not (fully) encrypted */
};

/*
 * The space that data shift mode takes from the end of a filesystem: half of
 * it becomes the LUKS2 header area at the head, the other half holds the
 * first segment while it is moved.
 */
#define SHIFT_REDUCE_SIZE (32ULL << 20)
#define SHIFT_HEADER_SIZE (SHIFT_REDUCE_SIZE / 2)
#define DEVICE_MIN_SIZE	  (64ULL << 20)
#define KEY_SIZE_BYTES	  64 /* aes-xts-plain64 with a 512-bit key */
#define MAPPING_NAME_MAX  64
#define STAGING_DIR	  "/var/lib/bekboot"

enum encrypt_mode {
	MODE_SHIFT, /* keep the data, header at the head of the device */
	MODE_DETACHED, /* keep the data, header in a separate file */
	MODE_FORMAT, /* a new empty filesystem */
};

struct encrypt_options {
	const char *device;
	const char *name;
	const char *key_volume;
	const char *key_file;
	const char *key_name;
	const char *header;
	const char *mkfs_type;
	const char *root;
	const char *resilience;
	uint64_t hotzone_size;
	bool format;
	bool yes;
	bool json;
	bool dry_run;
};

/* What preflight learnt about the device, and what will be done to it. */
struct volume_plan {
	enum encrypt_mode mode;
	char device[PATH_MAX];
	char device_spec[PATH_MAX]; /* how crypttab names the device */
	char name[MAPPING_NAME_MAX];
	uint64_t size;
	char fstype[32];
	char fs_uuid[64];
	char fs_label[64];
	uint32_t sector_size;
	char luks_uuid[40];
	char header_file[PATH_MAX]; /* detached header on this host */
	char header_uuid[64]; /* header=UUID=<fs>:<path> in crypttab */
	char header_path[PATH_MAX];
	char key_name[256]; /* on the key volume */
	char key_path[PATH_MAX]; /* or a key file */
	bool root; /* the root filesystem: needed at boot, its fstab entry stays */
	bool luks; /* already LUKS (resume) */
	bool reencrypting;
};

/* A key in locked memory. */
struct volume_key {
	unsigned char *data;
	size_t len;
	bool generated; /* random, >= 128 bits: PBKDF2 at the minimum */
};

/* main.c */
char *root_path(const struct encrypt_options *opts, const char *path);
int uuid_make(char ret[40]);

/* preflight.c */
int preflight_data(const struct encrypt_options *opts, struct volume_plan *plan);
int plan_header(const char *header, struct volume_plan *plan);
int luks_probe(const char *device, const char *header, bool *ret_luks, bool *ret_reencrypting,
	       char ret_uuid[40]);

/* shrink.c */
int run_command(const char *const argv[]);
int filesystem_shrink(const struct volume_plan *plan);
int filesystem_make(const struct volume_plan *plan, const char *type);

/* keysource.c */
int key_obtain(const struct encrypt_options *opts, struct volume_plan *plan, struct volume_key *key,
	       bool resume);
void key_release(struct volume_key *key);
/* The key volume: --key-volume, else the first one found by its label. Logs a failure. */
int key_volume_find(const struct encrypt_options *opts, char *buf, size_t size);
bool key_volume_has_key(const char *volume, const char *name);
int key_set_pbkdf(struct crypt_device *cd, const struct volume_key *key);

/* reencrypt.c */
void luks_log_setup(void);
int luks_staging_recover(const struct encrypt_options *opts, const char *device);
/* Writes a complete LUKS2 header into the file @path; logs a failure. */
typedef int (*luks_header_build_t)(const char *path, void *userdata);
/*
 * Install the header that @build writes, crash-safely: a detached header by a
 * rename, a header at the head through a staging file that
 * luks_staging_recover() writes again after a crash.
 */
int luks_header_install(const struct encrypt_options *opts, const struct volume_plan *plan,
			luks_header_build_t build, void *userdata);
int luks_initialize(const struct encrypt_options *opts, const struct volume_plan *plan,
		    const struct volume_key *key);
int luks_resume(const struct encrypt_options *opts, const struct volume_plan *plan,
		const struct volume_key *key);

/* finish.c: 1 when it finished the header, 0 when the header is not in that state. */
int luks_finish(struct crypt_device *cd, const struct encrypt_options *opts,
		const struct volume_plan *plan, const struct volume_key *key);

/* config.c */
int moved_copy_save(const struct encrypt_options *opts, const struct volume_plan *plan);
int moved_copy_restore(const struct encrypt_options *opts, const struct volume_plan *plan);
void moved_copy_remove(const struct encrypt_options *opts, const struct volume_plan *plan);

int config_write(const struct encrypt_options *opts, const struct volume_plan *plan);
int config_find_uuid(const struct encrypt_options *opts, const char *name, char ret[40]);
int config_volume_names(const struct encrypt_options *opts, char ***ret, size_t *ret_count);
void config_volume_names_free(char **names);
int config_find_volume(const struct encrypt_options *opts, const char *name, const char *luks_uuid,
		       struct volume_plan *plan);

/* progress.c */
void progress_init(const char *name);
void progress_use_lines(void);
int progress_report(uint64_t size, uint64_t offset, void *userdata);
void progress_finish(void);
bool progress_interrupted(void);

/* status.c, import.c */
int status_run(const struct encrypt_options *opts);
int import_ade_run(const struct encrypt_options *opts);

/* os.c: the OS disk, through a staging root; and the staging root's own entry points. */
int os_run(const struct encrypt_options *opts);
int os_staged(const struct encrypt_options *opts, const char *verb);
int os_staging_tree(const struct encrypt_options *opts, const char *dir);

#endif
