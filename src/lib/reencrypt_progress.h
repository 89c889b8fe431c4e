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

#endif
