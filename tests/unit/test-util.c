// SPDX-License-Identifier: LGPL-2.1-or-later
/* The file helpers of the shared library: bounded reads, copies, atomic writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"

struct scratch {
	char dir[64];
};

static int scratch_setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/bekboot-test-util.XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int scratch_teardown(void **state)
{
	struct scratch *s = *state;
	int r = nftw(s->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);

	free(s);
	return r;
}

/* A pipe whose read end yields @len bytes of @c, then end of file. */
static int pipe_with(char c, size_t len)
{
	char buf[1024];
	int fds[2];

	assert_true(len <= sizeof(buf));
	assert_int_equal(pipe(fds), 0);
	memset(buf, c, len);
	assert_int_equal(write_all(fds[1], buf, len), 0);
	close(fds[1]);
	return fds[0];
}

static void test_read_fd_bounded_limit(void **state)
{
	char buf[16];
	size_t len = 0;
	int fd;

	/* size - 1 bytes fit. */
	fd = pipe_with('a', sizeof(buf) - 1);
	assert_int_equal(read_fd_bounded(fd, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(buf) - 1);
	assert_memory_equal(buf, "aaaaaaaaaaaaaaa", sizeof(buf) - 1);
	close(fd);

	/* size bytes do not. */
	fd = pipe_with('b', sizeof(buf));
	assert_int_equal(read_fd_bounded(fd, buf, sizeof(buf), &len), -EFBIG);
	close(fd);

	fd = pipe_with('c', 0);
	assert_int_equal(read_fd_bounded(fd, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	close(fd);
}

static void test_copy_fd_counts(void **state)
{
	struct scratch *s = *state;
	char path[128], back[1024];
	uint64_t bytes = 5;
	size_t len;
	int in, out;

	snprintf(path, sizeof(path), "%s/copy", s->dir);
	in = pipe_with('x', 1000);
	out = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(out >= 0);
	assert_int_equal(copy_fd(in, out, &bytes), 0);
	assert_int_equal(bytes, 1005);
	close(in);

	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	assert_int_equal(read_fd_bounded(out, back, sizeof(back), &len), 0);
	assert_int_equal(len, 1000);
	assert_int_equal(back[0], 'x');
	assert_int_equal(back[999], 'x');
	close(out);

	/* Without a counter, and from a descriptor that cannot be read. */
	assert_int_equal(copy_fd(-1, STDOUT_FILENO, NULL), -EBADF);
}

static void test_read_text_file(void **state)
{
	struct scratch *s = *state;
	char path[128], *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/text", s->dir);
	assert_int_equal(write_file_atomic(path, "12345678", 8, 0644), 0);

	assert_int_equal(read_text_file(path, 8, &text, &len), 0);
	assert_int_equal(len, 8);
	assert_string_equal(text, "12345678");
	free(text);

	assert_int_equal(read_text_file(path, 7, &text, &len), -EFBIG);
	snprintf(path, sizeof(path), "%s/missing", s->dir);
	assert_int_equal(read_text_file(path, 8, &text, &len), -ENOENT);
}

/* Nothing but the named files in @dir: no temporary file left behind. */
static int entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_file_atomic_replaces(void **state)
{
	struct scratch *s = *state;
	char path[128], *text = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/conf", s->dir);
	assert_int_equal(write_file_atomic(path, "old\n", 4, 0600), 0);
	assert_int_equal(write_file_atomic(path, "new contents\n", 13, 0640), 0);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(read_text_file(path, 64, &text, NULL), 0);
	assert_string_equal(text, "new contents\n");
	free(text);
	assert_int_equal(entries(s->dir), 1);

	/* A directory that does not exist: an error, and nothing written. */
	snprintf(path, sizeof(path), "%s/no/conf", s->dir);
	assert_int_equal(write_file_atomic(path, "x", 1, 0600), -ENOENT);
	assert_int_equal(entries(s->dir), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_fd_bounded_limit),
		cmocka_unit_test_setup_teardown(test_copy_fd_counts, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_read_text_file, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_write_file_atomic_replaces, scratch_setup,
						scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
