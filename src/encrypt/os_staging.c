// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The staging root: a small tmpfs on /run/initramfs holding the encryptor,
 * the shared objects it has loaded (as the dynamic loader reports them, so
 * nothing is guessed), a shell and mtools (with their DT_NEEDED libraries)
 * and the /shutdown script. systemd-shutdown, finding an executable
 * /run/initramfs/shutdown, kills every process, unmounts what it can,
 * pivots into this directory with the old root on /oldroot and runs
 * /shutdown there as PID 1: the one way under systemd to have nothing left
 * that holds the root filesystem. systemd never unmounts /run/initramfs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crypttab.h"
#include "log.h"
#include "os.h"
#include "util.h"

#define ELF_MAX_SIZE (32U << 20)
#define LIBS_MAX     64
#define NEEDED_MAX   32
#define LIB_DIRS_MAX 16
#define ELF_NAME_MAX 128

struct staging {
	const char *dir;
	char libs[LIBS_MAX][PATH_MAX]; /* absolute paths, as copied */
	size_t n_libs;
	uint64_t bytes;
};

static int path_in(const struct staging *s, const char *path, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s%s", s->dir, path) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Copy @source (following symbolic links) to @target inside the staging root. */
static int file_copy(struct staging *s, const char *source, const char *target, mode_t mode)
{
	_cleanup_close_ int in = -1, out = -1;
	char path[PATH_MAX], parent[PATH_MAX];
	int r;

	r = path_in(s, target, path, sizeof(path));
	if (r < 0)
		return r;
	snprintf(parent, sizeof(parent), "%s", path);
	r = mkdir_parents(dirname(parent), 0755);
	in = r == 0 ? open(source, O_RDONLY | O_CLOEXEC) : -1;
	if (in >= 0)
		out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (r == 0 && (in < 0 || out < 0))
		r = -errno;
	if (r == 0)
		r = copy_fd(in, out, &s->bytes);
	if (r < 0)
		log_error("Failed to copy %s into the staging root: %s", source, strerror(-r));
	return r;
}

static bool lib_copied(const struct staging *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_libs; i++) {
		const char *base = strrchr(s->libs[i], '/');

		if (streq(base ? base + 1 : s->libs[i], name) || streq(s->libs[i], name))
			return true;
	}
	return false;
}

static int lib_add(struct staging *s, const char *path)
{
	int r;

	if (lib_copied(s, path))
		return 0;
	if (s->n_libs == LIBS_MAX)
		return -E2BIG;
	r = file_copy(s, path, path, 0755);
	if (r == 0)
		snprintf(s->libs[s->n_libs++], PATH_MAX, "%s", path);
	return r;
}

static int loaded_object(struct dl_phdr_info *info, size_t size, void *userdata)
{
	struct staging *s = userdata;

	/* The program itself has no name here, and the vDSO no file. */
	if (!info->dlpi_name || info->dlpi_name[0] != '/')
		return 0;
	return lib_add(s, info->dlpi_name) < 0 ? 1 : 0;
}

/* Map virtual address @addr to its offset in the file through the PT_LOAD segments. */
static int64_t elf_offset(const Elf64_Phdr *ph, unsigned n, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr &&
		    addr < ph[i].p_vaddr + ph[i].p_filesz)
			return (int64_t)(addr - ph[i].p_vaddr + ph[i].p_offset);
	return -1;
}

static const Elf64_Phdr *elf_phdrs(const unsigned char *data, size_t len, unsigned *ret_n)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return NULL;
	*ret_n = eh->e_phnum;
	return (const Elf64_Phdr *)(data + eh->e_phoff);
}

/* The DT_NEEDED names of the 64-bit ELF file @data. */
static int elf_needed(const unsigned char *data, size_t len, char names[][ELF_NAME_MAX],
		      size_t *ret_n)
{
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	uint64_t strtab = 0, i, count = 0;
	int64_t off;
	unsigned n, k;

	ph = elf_phdrs(data, len, &n);
	for (k = 0; ph && k < n; k++)
		if (ph[k].p_type == PT_DYNAMIC && ph[k].p_offset + ph[k].p_filesz <= len) {
			dyn = (const Elf64_Dyn *)(data + ph[k].p_offset);
			count = ph[k].p_filesz / sizeof(*dyn);
		}
	if (!dyn)
		return -ENOEXEC;
	for (i = 0; i < count && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
	off = elf_offset(ph, n, strtab);
	for (i = 0, *ret_n = 0; off >= 0 && i < count && dyn[i].d_tag != DT_NULL; i++) {
		uint64_t at = (uint64_t)off + dyn[i].d_un.d_val;

		if (dyn[i].d_tag != DT_NEEDED || at >= len || *ret_n == NEEDED_MAX)
			continue;
		snprintf(names[(*ret_n)++], ELF_NAME_MAX, "%.*s",
			 (int)strnlen((const char *)data + at, len - at), (const char *)data + at);
	}
	return off >= 0 ? 0 : -ENOEXEC;
}

/* Find library @name in the directories of the libraries already copied. */
static int lib_resolve(const struct staging *s, const char *name)
{
	char path[PATH_MAX + ELF_NAME_MAX + 2], dir[PATH_MAX];
	size_t i;

	for (i = 0; i < s->n_libs; i++) {
		snprintf(dir, sizeof(dir), "%s", s->libs[i]);
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), name);
		if (access(path, R_OK) == 0)
			return lib_add((struct staging *)s, path);
	}
	log_error("Failed to find library %s for the staging root.", name);
	return -ENOENT;
}

/* Copy program @source to @target with the libraries it names. */
static int program_add(struct staging *s, const char *source, const char *target)
{
	_cleanup_free_ char *data = NULL;
	char needed[NEEDED_MAX][ELF_NAME_MAX];
	size_t len, n = 0, i;
	int r;

	r = read_text_file(source, ELF_MAX_SIZE, &data, &len);
	if (r == 0)
		r = elf_needed((const unsigned char *)data, len, needed, &n);
	if (r < 0) {
		log_error("Failed to read the ELF program %s: %s", source, strerror(-r));
		return r;
	}
	for (i = 0; r == 0 && i < n; i++)
		if (!lib_copied(s, needed[i]))
			r = lib_resolve(s, needed[i]);
	return r < 0 ? r : file_copy(s, source, target, 0755);
}

static int tool_link(const struct staging *s, const char *name)
{
	char path[PATH_MAX];

	if (path_in(s, name, path, sizeof(path)) < 0 || symlink("mtools", path) < 0) {
		log_error("Failed to link %s in the staging root: %m", name);
		return -errno;
	}
	return 0;
}

static int shutdown_script(const struct staging *s, const struct encrypt_options *opts)
{
	char path[PATH_MAX], text[2048], args[PATH_MAX + 32] = "";
	int r;

	if (opts->key_volume && strchr(opts->key_volume, '\'')) {
		log_error("Key volume path %s holds a quote.", opts->key_volume);
		return -EINVAL;
	}
	if (opts->key_volume)
		snprintf(args, sizeof(args), "--key-volume '%s' ", opts->key_volume);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "# bekboot-encrypt os: systemd-shutdown runs this as PID 1 once it has stopped\n"
		 "# every process and pivoted into the staging root, the old root on /oldroot.\n"
		 "# The encryptor finishes the encryption and reboots. Should it stop instead,\n"
		 "# reboot all the same: the resume unit finishes the encryption after boot.\n"
		 "PATH=/bin\n"
		 "export PATH\n"
		 "/bin/bekboot-encrypt os-staged %s\"${1:-reboot}\"\n"
		 "echo \"bekboot-encrypt: staging: the encryptor stopped with status $?; "
		 "rebooting.\" >/dev/console\n"
		 "echo s >/proc/sysrq-trigger\n"
		 "echo b >/proc/sysrq-trigger\n",
		 args);

	r = path_in(s, "/shutdown", path, sizeof(path));
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0755);
	if (r < 0)
		log_error("Failed to write the staging root's /shutdown: %s", strerror(-r));
	return r;
}

static int directories_make(const struct staging *s)
{
	static const char *const dirs[] = { "/bin",	"/dev",	 "/proc", "/sys",	 "/run",
					    "/oldroot", "/boot", "/tmp",  "/etc/bekboot" };
	char path[PATH_MAX];
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < ARRAY_SIZE(dirs); i++) {
		r = path_in(s, dirs[i], path, sizeof(path));
		if (r == 0)
			r = mkdir_parents(path, 0755);
	}
	if (r < 0)
		log_error("Failed to make the directories of the staging root %s: %s", s->dir,
			  strerror(-r));
	return r;
}

/*
 * mtools converts FAT names through iconv, which loads glibc's gconv modules
 * for the FAT code pages; without them it fails with "Error converting to
 * codepage 850". They live beside libc, at its real path.
 */
static int gconv_add(struct staging *s)
{
	static const char *const files[] = { "gconv-modules", "gconv-modules.cache", "IBM850.so",
					     "IBM437.so" };
	char dir[PATH_MAX], real[PATH_MAX], path[PATH_MAX * 2];
	size_t i;
	int r = 0;

	for (i = 0; i < s->n_libs && !strstr(s->libs[i], "/libc.so"); i++)
		;
	if (i == s->n_libs)
		return 0; /* a libc without gconv: mtools will say so */
	snprintf(dir, sizeof(dir), "%s", s->libs[i]);
	if (!realpath(dirname(dir), real))
		return 0;
	for (i = 0; r == 0 && i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/gconv/%s", real, files[i]);
		if (access(path, R_OK) == 0)
			r = file_copy(s, path, path, 0644);
	}
	return r;
}

static int tools_add(struct staging *s)
{
	char mtools[PATH_MAX], shell[PATH_MAX];
	int r;

	if (!realpath("/usr/bin/mdir", mtools) || !realpath("/bin/sh", shell)) {
		log_error("Failed to find mtools or /bin/sh for the staging root: %m");
		return -ENOENT;
	}
	r = program_add(s, shell, "/bin/sh");
	if (r == 0)
		r = program_add(s, mtools, "/bin/mtools");
	if (r == 0)
		r = tool_link(s, "/bin/mdir");
	if (r == 0)
		r = tool_link(s, "/bin/mtype");
	if (r == 0)
		r = gconv_add(s);
	return r;
}

int os_staging_build(const char *dir, const struct encrypt_options *opts)
{
	struct staging *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *crypttab = root_path(opts, CRYPTTAB_PATH);
	int r;

	if (!s || !crypttab) {
		free(s);
		return -ENOMEM;
	}
	s->dir = dir;
	r = directories_make(s);
	if (r == 0)
		r = dl_iterate_phdr(loaded_object, s) ? -EIO : 0;
	if (r == 0)
		r = file_copy(s, "/proc/self/exe", "/bin/bekboot-encrypt", 0755);
	if (r == 0)
		r = tools_add(s);
	if (r == 0)
		r = file_copy(s, crypttab, CRYPTTAB_PATH, 0600);
	if (r == 0)
		r = shutdown_script(s, opts);
	if (r == 0)
		log_info("Staging root %s: %zu libraries, %llu KiB.", dir, s->n_libs,
			 (unsigned long long)(s->bytes >> 10));
	free(s);
	return r;
}

/* A fresh tmpfs, bounded, so that the staging root can never take the memory of the system. */
int os_staging_mount(void)
{
	char options[64];
	int r;

	r = mkdir_parents(OS_STAGING_DIR, 0700);
	if (r < 0) {
		log_error("Failed to create %s: %s", OS_STAGING_DIR, strerror(-r));
		return r;
	}
	umount2(OS_STAGING_DIR, MNT_DETACH); /* one that an earlier run left */
	snprintf(options, sizeof(options), "size=%um,mode=0700", OS_STAGING_MAX_MIB);
	if (mount("bekboot-staging", OS_STAGING_DIR, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
		log_error("Failed to mount a tmpfs on %s: %m", OS_STAGING_DIR);
		return -errno;
	}
	return 0;
}

/* The host test's entry point: build the tree in @dir, nothing mounted, nothing else touched. */
int os_staging_tree(const struct encrypt_options *opts, const char *dir)
{
	return os_staging_build(dir, opts) < 0 ? EXIT_FAILED : EXIT_OK;
}
