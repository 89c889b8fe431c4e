/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_REENCRYPT_PROGRESS_H
#define BEKBOOT_REENCRYPT_PROGRESS_H

#include <libcryptsetup.h>
#include <stdint.h>

/*
 * How far a LUKS2 reencryption has come, from the segments of the header:
 * bytes already in their final, encrypted segment, out of all data bytes.
 * -ENODATA when the header holds no reencryption or its sizes are not fixed.
 */
int reencrypt_progress(struct crypt_device *cd, uint64_t *ret_done, uint64_t *ret_total);

/* The one data segment of an encryption whose every byte is already encrypted. */
struct reencrypt_final {
	uint64_t offset; /* bytes; the segment runs to the end of the device */
	uint32_t sector_size;
	char encryption[64];
	uint64_t moved_offset; /* the copy of a moved first segment, in bytes; */
	uint64_t moved_size; /* 0 when none was moved */
};

/*
 * Whether the header records an encryption (not a reencryption or a
 * decryption) whose data is all in its final segment, yet still carries the
 * reencryption requirement and backup segments: a run stopped after its last
 * hotzone and before the header was finished. -ENODATA when it does not.
 */
int reencrypt_final_segment(struct crypt_device *cd, struct reencrypt_final *ret);

#endif
