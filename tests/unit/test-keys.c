// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key files: read verbatim into locked memory, refused when they are not
 * plain small files, and tried in the documented order.
 */
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

#include "fingerprint.h"
#include "keys.h"
#include "util.h"

#define BASE KEY_BASE_NAME

struct fixture {
	char dir[64];
	int dirfd;
	struct key_set set;
};

static void file_write(const struct fixture *f, const char *name, const void *data, size_t len)
{
	int fd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void file_write_text(const struct fixture *f, const char *name)
{
	/* Each key holds its own name, so that a test can tell which one it got. */
	file_write(f, name, name, strlen(name));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/bekboot-test-keys.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	key_set_init(&f->set);
	*state = f;
	return f->dirfd < 0 ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r;

	key_set_clear(&f->set);
	close(f->dirfd);
	r = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

static void test_bytes_are_read_verbatim(void **state)
{
	struct fixture *f = *state;
	const unsigned char binary[] = { 0x00, 0xff, '\n', 0x80, 0x00 };
	char fingerprint[FINGERPRINT_LEN + 1];

	file_write(f, "newline", "secret\n", 7);
	file_write(f, "binary", binary, sizeof(binary));

	assert_int_equal(key_set_read(&f->set, f->dirfd, "newline", "test"), 0);
	assert_int_equal(key_set_read(&f->set, f->dirfd, "binary", "test"), 0);
	assert_int_equal(f->set.count, 2);

	/* The trailing newline is part of the key. */
	assert_int_equal(f->set.files[0].len, 7);
	assert_memory_equal(f->set.files[0].data, "secret\n", 7);
	assert_string_equal(f->set.files[0].name, "newline");
	assert_string_equal(f->set.files[0].source, "test");
	fingerprint_compute("secret\n", 7, fingerprint);
	assert_string_equal(f->set.files[0].fingerprint, fingerprint);

	assert_int_equal(f->set.files[1].len, sizeof(binary));
	assert_memory_equal(f->set.files[1].data, binary, sizeof(binary));
}

static void test_8_kib_is_accepted_and_one_more_byte_refused(void **state)
{
	struct fixture *f = *state;
	static unsigned char big[KEY_FILE_MAX + 1];

	memset(big, 'k', sizeof(big));
	big[0] = 'A';
	big[KEY_FILE_MAX - 1] = 'Z';
	file_write(f, "8192", big, 8192);
	file_write(f, "8193", big, 8193);

	assert_int_equal(key_set_read(&f->set, f->dirfd, "8192", "test"), 0);
	assert_int_equal(f->set.files[0].len, 8192);
	assert_memory_equal(f->set.files[0].data, big, 8192);

	assert_int_equal(key_set_read(&f->set, f->dirfd, "8193", "test"), -EFBIG);
	assert_int_equal(f->set.count, 1);
}

static void test_refuses_what_is_not_a_plain_file(void **state)
{
	struct fixture *f = *state;

	file_write_text(f, "real");
	file_write(f, "empty", "", 0);
	assert_int_equal(symlinkat("real", f->dirfd, "link"), 0);
	assert_int_equal(mkdirat(f->dirfd, "directory", 0700), 0);
	assert_int_equal(mkfifoat(f->dirfd, "fifo", 0600), 0);

	assert_int_equal(key_set_read(&f->set, f->dirfd, "link", "test"), -ELOOP);
	assert_int_equal(key_set_read(&f->set, f->dirfd, "directory", "test"), -EINVAL);
	/* A FIFO without a writer must not hang the boot. */
	assert_int_equal(key_set_read(&f->set, f->dirfd, "fifo", "test"), -EINVAL);
	assert_int_equal(key_set_read(&f->set, f->dirfd, "empty", "test"), -ENODATA);
	assert_int_equal(key_set_read(&f->set, f->dirfd, "absent", "test"), -ENOENT);
	assert_int_equal(f->set.count, 0);

	assert_int_equal(key_set_read(&f->set, f->dirfd, "real", "test"), 0);
	assert_int_equal(f->set.count, 1);
}

static void test_directory_read_takes_wanted_and_base_names(void **state)
{
	struct fixture *f = *state;
	const char *const wanted[] = { "custom.key", NULL };
	const char *const expect[] = { BASE, BASE "_0_1", BASE "_1_0", "custom.key", "old_" BASE };
	size_t i;

	/* Created out of order: the set is sorted by name whatever readdir says. */
	file_write_text(f, "old_" BASE);
	file_write_text(f, BASE "_1_0");
	file_write_text(f, "custom.key");
	file_write_text(f, BASE);
	file_write_text(f, BASE "_0_1");
	file_write_text(f, "unrelated.txt");
	file_write_text(f, "." BASE);
	assert_int_equal(symlinkat(BASE, f->dirfd, BASE "_link"), 0);

	/* The symlink is refused and skipped; the others are read. */
	assert_int_equal(key_set_read_dir(&f->set, f->dirfd, wanted, "dir"), 5);
	assert_int_equal(f->set.count, 5);
	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		assert_string_equal(f->set.files[i].name, expect[i]);
		assert_memory_equal(f->set.files[i].data, expect[i], strlen(expect[i]));
	}
}

static void candidates_expect(const struct key_set *set, const char *name,
			      const char *const *expect, size_t count)
{
	size_t order[KEY_SET_MAX], n, i;

	n = key_candidates(set, name, order);
	if (n != count)
		fail_msg("for %s: %zu candidates, expected %zu", name, n, count);
	for (i = 0; i < n; i++)
		if (!streq(set->files[order[i]].name, expect[i]))
			fail_msg("for %s: candidate %zu is %s, expected %s", name, i,
				 set->files[order[i]].name, expect[i]);
}

static void test_lookup_order_exact_then_base_then_substring(void **state)
{
	struct fixture *f = *state;
	const char *const names[] = { "old_" BASE, BASE "_1_0", "custom.key", BASE, BASE "_0_1" };
	const char *const custom[] = { "custom.key", BASE, BASE "_0_1", BASE "_1_0", "old_" BASE };
	const char *const data[] = { BASE "_1_0", BASE, BASE "_0_1", "old_" BASE };
	const char *const other[] = { BASE, BASE "_0_1", BASE "_1_0", "old_" BASE };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		file_write_text(f, names[i]);
	assert_int_equal(
		key_set_read_dir(&f->set, f->dirfd, (const char *[]){ "custom.key", NULL }, "dir"),
		5);

	candidates_expect(&f->set, "custom.key", custom, ARRAY_SIZE(custom));
	candidates_expect(&f->set, BASE "_1_0", data, ARRAY_SIZE(data));
	candidates_expect(&f->set, "absent", other, ARRAY_SIZE(other));
	candidates_expect(&f->set, BASE, other, ARRAY_SIZE(other));
}

static void test_lookup_without_base_key(void **state)
{
	struct fixture *f = *state;
	const char *const expect[] = { BASE "_0_2", BASE "_0_1", BASE "_0_3" };
	const char *const sorted[] = { BASE "_0_1", BASE "_0_2", BASE "_0_3" };

	file_write_text(f, BASE "_0_3");
	file_write_text(f, BASE "_0_1");
	file_write_text(f, BASE "_0_2");
	file_write_text(f, "unrelated");
	assert_int_equal(key_set_read_dir(&f->set, f->dirfd, NULL, "dir"), 3);

	candidates_expect(&f->set, BASE "_0_2", expect, ARRAY_SIZE(expect));
	/* A name that no file has: ADE's keys, by name. */
	candidates_expect(&f->set, BASE "_9_9", sorted, ARRAY_SIZE(sorted));
}

static void test_empty_set_has_no_candidates(void **state)
{
	struct fixture *f = *state;
	size_t order[KEY_SET_MAX];

	assert_int_equal(key_set_read_dir(&f->set, f->dirfd, NULL, "dir"), 0);
	assert_int_equal(key_candidates(&f->set, BASE, order), 0);
}

static void test_wipe_keeps_names_and_fingerprints(void **state)
{
	struct fixture *f = *state;
	char fingerprint[FINGERPRINT_LEN + 1];

	file_write_text(f, BASE);
	assert_int_equal(key_set_read(&f->set, f->dirfd, BASE, "test"), 0);
	strcpy(fingerprint, f->set.files[0].fingerprint);

	key_set_wipe(&f->set);
	assert_int_equal(f->set.count, 1);
	assert_null(f->set.files[0].data);
	assert_int_equal(f->set.files[0].len, 0);
	assert_string_equal(f->set.files[0].name, BASE);
	assert_string_equal(f->set.files[0].fingerprint, fingerprint);

	key_set_clear(&f->set);
	assert_int_equal(f->set.count, 0);
}

#define keys_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		keys_test(test_bytes_are_read_verbatim),
		keys_test(test_8_kib_is_accepted_and_one_more_byte_refused),
		keys_test(test_refuses_what_is_not_a_plain_file),
		keys_test(test_directory_read_takes_wanted_and_base_names),
		keys_test(test_lookup_order_exact_then_base_then_substring),
		keys_test(test_lookup_without_base_key),
		keys_test(test_empty_set_has_no_candidates),
		keys_test(test_wipe_keeps_names_and_fingerprints),
	};

	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
