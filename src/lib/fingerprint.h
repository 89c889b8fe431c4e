/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_FINGERPRINT_H
#define BEKBOOT_FINGERPRINT_H

#include <stddef.h>

/* 16 hex digits: the first 8 bytes of SHA-256. Says which key, never what. */
#define FINGERPRINT_LEN 16

int fingerprint_compute(const void *data, size_t len, char ret[FINGERPRINT_LEN + 1]);
/* The full SHA-256 as 64 hex digits. */
int sha256_hex(const void *data, size_t len, char ret[65]);

#endif
