// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "secmem.h"
#include "util.h"

void key_set_init(struct key_set *set)
{
	memset(set, 0, sizeof(*set));
}

void key_set_clear(struct key_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		secmem_free(set->files[i].data);
	memset(set, 0, sizeof(*set));
}

void key_set_wipe(struct key_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		secmem_free(set->files[i].data);
		set->files[i].data = NULL;
		set->files[i].len = 0;
	}
}

static int read_exact(int fd, unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* shrank while being read */
		done += (size_t)n;
	}

	return 0;
}

static int key_file_open(int dirfd, const char *name, struct stat *st)
{
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	if (fstat(fd, st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}

	return fd;
}

static int key_file_check(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_size == 0)
		return -ENODATA;
	if (st->st_size > KEY_FILE_MAX)
		return -EFBIG;
	return 0;
}

static const char *key_refusal(int r)
{
	switch (r) {
	case -ELOOP:
		return "it is a symbolic link";
	case -EINVAL:
		return "it is not a regular file";
	case -ENODATA:
		return "it is empty";
	case -EFBIG:
		return "it is larger than 8 KiB";
	default:
		return strerror(-r);
	}
}

int key_set_read(struct key_set *set, int dirfd, const char *name, const char *source)
{
	struct key_file *key;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (set->count >= KEY_SET_MAX || strlen(name) >= KEY_NAME_MAX)
		return -E2BIG;

	fd = key_file_open(dirfd, name, &st);
	r = fd < 0 ? fd : key_file_check(&st);
	if (r < 0) {
		log_warn("Refusing key file %s on %s: %s.", name, source, key_refusal(r));
		return r;
	}

	key = &set->files[set->count];
	key->data = secmem_alloc((size_t)st.st_size);
	if (!key->data)
		return -errno;

	r = read_exact(fd, key->data, (size_t)st.st_size);
	if (r < 0) {
		secmem_free(key->data);
		key->data = NULL;
		log_warn("Failed to read key file %s on %s: %s", name, source, strerror(-r));
		return r;
	}

	key->len = (size_t)st.st_size;
	snprintf(key->name, sizeof(key->name), "%s", name);
	snprintf(key->source, sizeof(key->source), "%s", source);
	fingerprint_compute(key->data, key->len, key->fingerprint);
	set->count++;
	log_debug("Read key file %s (%zu bytes, %s) from %s.", name, key->len, key->fingerprint,
		  source);
	return 0;
}

static int key_name_wanted(const char *name, const char *const *wanted)
{
	for (; wanted && *wanted; wanted++)
		if (streq(name, *wanted))
			return 1;
	return strstr(name, KEY_BASE_NAME) != NULL;
}

static int name_compare(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int key_set_read_dir(struct key_set *set, int dirfd, const char *const *wanted, const char *source)
{
	char *names[KEY_SET_MAX];
	size_t count = 0, i;
	struct dirent *entry;
	DIR *dir;
	int fd, read_count = 0;

	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}

	while ((entry = readdir(dir)) && count < KEY_SET_MAX) {
		if (entry->d_name[0] == '.' || !key_name_wanted(entry->d_name, wanted))
			continue;
		names[count] = strdup(entry->d_name);
		if (names[count])
			count++;
	}
	closedir(dir);

	/* Sorted, so that which key is tried first never depends on the directory order. */
	qsort(names, count, sizeof(names[0]), name_compare);
	for (i = 0; i < count; i++) {
		if (key_set_read(set, dirfd, names[i], source) == 0)
			read_count++;
		free(names[i]);
	}

	return read_count;
}

static size_t candidates_add(const struct key_set *set, size_t *ret, size_t n, size_t index)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ret[i] == index)
			return n;
	ret[n] = index;
	return n + 1;
}

size_t key_candidates(const struct key_set *set, const char *name, size_t ret[KEY_SET_MAX])
{
	size_t n = 0, i;

	for (i = 0; i < set->count; i++)
		if (streq(set->files[i].name, name))
			n = candidates_add(set, ret, n, i);
	for (i = 0; i < set->count; i++)
		if (streq(set->files[i].name, KEY_BASE_NAME))
			n = candidates_add(set, ret, n, i);
	/* The set is filled in name order per source, so this tier is in name order too. */
	for (i = 0; i < set->count; i++)
		if (strstr(set->files[i].name, KEY_BASE_NAME))
			n = candidates_add(set, ret, n, i);

	return n;
}
