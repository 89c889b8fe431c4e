// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secmem.h"

/* Each block starts with a header page: the mapping length, then the data. */
struct secmem_header {
	size_t map_size;
	size_t size;
};

#define SECMEM_HEADER_SIZE 64

void secmem_wipe(void *ptr, size_t size)
{
	if (ptr && size)
		explicit_bzero(ptr, size);
}

void *secmem_alloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct secmem_header *header;
	size_t map_size;
	void *map;

	if (size == 0 || size > SIZE_MAX - SECMEM_HEADER_SIZE - page) {
		errno = EINVAL;
		return NULL;
	}

	map_size = (size + SECMEM_HEADER_SIZE + page - 1) / page * page;
	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;

	if (mlock(map, map_size) < 0) {
		int saved_errno = errno;

		munmap(map, map_size);
		errno = saved_errno;
		return NULL;
	}
	(void)madvise(map, map_size, MADV_DONTDUMP);

	header = map;
	header->map_size = map_size;
	header->size = size;
	return (unsigned char *)map + SECMEM_HEADER_SIZE;
}

void secmem_free(void *ptr)
{
	struct secmem_header *header;
	size_t map_size;

	if (!ptr)
		return;

	header = (void *)((unsigned char *)ptr - SECMEM_HEADER_SIZE);
	map_size = header->map_size;
	explicit_bzero(header, map_size);
	munlock(header, map_size);
	munmap(header, map_size);
}

int secmem_relock(void *ptr)
{
	struct secmem_header *header;

	if (!ptr)
		return 0;
	header = (void *)((unsigned char *)ptr - SECMEM_HEADER_SIZE);
	return mlock(header, header->map_size) < 0 ? -errno : 0;
}
