/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_SECMEM_H
#define BEKBOOT_SECMEM_H

#include <stddef.h>

/*
 * Memory for secrets: locked (never swapped), excluded from core dumps,
 * zero-filled, and wiped when freed. Returns NULL with errno set on failure.
 */
void *secmem_alloc(size_t size);
void secmem_free(void *ptr);
/* Lock a block again in a child: fork(2) does not pass memory locks on. */
int secmem_relock(void *ptr);
/* Wipe memory so that the compiler cannot drop the stores. */
void secmem_wipe(void *ptr, size_t size);

static inline void secmem_freep(void *p)
{
	secmem_free(*(void **)p);
}

#define _cleanup_secmem_ __attribute__((cleanup(secmem_freep)))

#endif
