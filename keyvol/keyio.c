// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyio.h"
#include "keys.h"
#include "log.h"
#include "secmem.h"
#include "util.h"

static bool is_stdio(const char *path)
{
	return !path || streq(path, "-");
}

static const char *display_name(const char *path, const char *stdio_name)
{
	return is_stdio(path) ? stdio_name : path;
}

static int input_open(const char *path)
{
	int fd;

	if (is_stdio(path))
		return STDIN_FILENO;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static const char *input_strerror(int r)
{
	switch (r) {
	case -EFBIG:
		return "it is too large";
	case -ENODATA:
		return "it is empty";
	default:
		return strerror(-r);
	}
}

/* Up to @size - 1 bytes of @path into @buf; -EFBIG beyond. */
static int input_read(const char *path, unsigned char *buf, size_t size, size_t *ret_len)
{
	int fd, r;

	fd = input_open(path);
	if (fd < 0)
		return fd;

	r = read_fd_bounded(fd, buf, size, ret_len);
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}

int key_input_read(const char *path, unsigned char **ret, size_t *ret_len)
{
	_cleanup_secmem_ unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	buf = secmem_alloc(KEY_FILE_MAX + 1);
	r = buf ? input_read(path, buf, KEY_FILE_MAX + 1, &len) : -errno;
	if (r == 0 && len == 0)
		r = -ENODATA;
	if (r < 0) {
		log_error("Failed to read key from %s: %s", display_name(path, "standard input"),
			  r == -EFBIG ? "it is larger than 8 KiB" : input_strerror(r));
		return r;
	}

	*ret = buf;
	*ret_len = len;
	buf = NULL;
	return 0;
}

int text_input_read(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	buf = malloc(max + 2);
	r = buf ? input_read(path, (unsigned char *)buf, max + 1, &len) : -ENOMEM;
	if (r < 0) {
		log_error("Failed to read %s: %s", display_name(path, "standard input"),
			  input_strerror(r));
		return r;
	}

	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	return 0;
}

static int stdout_write(const void *data, size_t len, bool secret)
{
	int r;

	if (secret && isatty(STDOUT_FILENO)) {
		log_error("Refusing to write a key to a terminal: use --out FILE or a pipe.");
		return -EPERM;
	}

	r = write_all(STDOUT_FILENO, data, len);
	if (r < 0)
		log_error("Failed to write to standard output: %s", strerror(-r));
	return r;
}

int output_write(const char *path, const void *data, size_t len, mode_t mode, bool force,
		 bool secret)
{
	struct stat st;
	int r;

	if (is_stdio(path))
		return stdout_write(data, len, secret);

	if (!force && lstat(path, &st) == 0) {
		log_error("Refusing to overwrite %s: it exists (use --force to replace it).", path);
		return -EEXIST;
	}

	r = write_file_atomic(path, data, len, mode);
	if (r < 0)
		log_error("Failed to write %s: %s", path, strerror(-r));
	return r;
}
