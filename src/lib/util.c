// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long value;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;

	errno = 0;
	value = strtoul(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || value > max)
		return -ERANGE;

	*ret = value;
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}

	return 0;
}

int read_fd_bounded(int fd, void *buf, size_t size, size_t *ret_len)
{
	unsigned char *p = buf;
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, p + len, size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		if (len >= size)
			return -EFBIG;
	}

	*ret_len = len;
	return 0;
}

int copy_fd(int in, int out, uint64_t *bytes)
{
	char buf[64 * 1024];
	ssize_t n;
	int r;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
		if (bytes)
			*bytes += (uint64_t)n;
	}
	return 0;
}

int read_text_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;

	r = read_fd_bounded(fd, buf, max + 1, &len);
	if (r < 0)
		return r;

	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int fsync_parent(const char *path)
{
	char copy[PATH_MAX];
	_cleanup_close_ int dir = -1;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;

	dir = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;

	return fsync(dir) < 0 ? -errno : 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;

	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}

	return fsync_parent(path);
}

int mkdir_parents(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	char *p;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return -errno;

	return 0;
}

void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
			continue;
		}
		*out++ = *s;
	}
	*out = '\0';
}

int mem_available_kib(uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	const char *p;
	unsigned long long kib;
	int r;

	r = read_text_file("/proc/meminfo", 64 * 1024, &text, NULL);
	if (r < 0)
		return r;

	p = strstr(text, "MemAvailable:");
	if (!p || sscanf(p, "MemAvailable: %llu kB", &kib) != 1)
		return -ENODATA;

	*ret = kib;
	return 0;
}
