// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel modules, through libkmod: vfat and the nls tables that the kernel's
 * FAT defaults need for the key volume; dm_crypt and the cipher for the
 * volumes. A module that is built in or already loaded is fine.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "unlock.h"
#include "util.h"

struct module_want {
	const char *name;
	bool required;
};

/* Debian's kernels default to iocharset ascii, Ubuntu's to iso8859-1. */
static const struct module_want key_volume_modules[] = {
	{ "vfat", true },	    { "nls_cp437", false }, { "nls_ascii", false },
	{ "nls_iso8859-1", false }, { "nls_utf8", false },
};

static const struct module_want crypt_modules[] = {
	{ "dm_crypt", true },
	{ "xts", false },
};

static void kmod_log_bridge(void *data, int priority, const char *file, int line, const char *fn,
			    const char *format, va_list args)
{
	/* libkmod's own messages are details: ours say what failed. */
	if (log_get_max_level() >= LOG_LEVEL_DEBUG)
		log_vmessage(LOG_LEVEL_DEBUG, format, args);
}

static int module_load(struct kmod_ctx *kmod, const struct module_want *want)
{
	struct kmod_list *list = NULL, *item;
	int r, loaded = 0;

	r = kmod_module_new_from_lookup(kmod, want->name, &list);
	if (r < 0 || !list)
		return r < 0 ? r : -ENOENT;

	kmod_list_foreach(item, list)
	{
		struct kmod_module *mod = kmod_module_get_module(item);
		int state = kmod_module_get_initstate(mod);

		if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE)
			r = 0;
		else
			r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r >= 0)
			loaded++;
	}
	kmod_module_unref_list(list);

	return loaded > 0 ? 0 : r;
}

/* The kernel's AES: the AES-NI module where the CPU has it; the generic one is the fallback. */
static const char *aes_module(void)
{
	char *cpuinfo = NULL;
	bool aesni;

	if (read_text_file("/proc/cpuinfo", 1024 * 1024, &cpuinfo, NULL) < 0)
		return "aes_generic";
	aesni = strstr(cpuinfo, " aes ") != NULL || strstr(cpuinfo, " aes\n") != NULL;
	free(cpuinfo);
	return aesni ? "aesni_intel" : "aes_generic";
}

static int modules_load_list(struct kmod_ctx *kmod, const struct module_want *wants, size_t n)
{
	int r, result = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		r = module_load(kmod, &wants[i]);
		if (r >= 0) {
			log_debug("Kernel module %s is available.", wants[i].name);
			continue;
		}
		if (!wants[i].required) {
			log_debug("Kernel module %s not loaded (%s), ignoring.", wants[i].name,
				  strerror(-r));
			continue;
		}
		log_error("Failed to load kernel module %s: %s", wants[i].name,
			  r == -ENOENT ? "not found in this kernel's modules" : strerror(-r));
		result = -ENOENT;
	}

	return result;
}

int modules_load(bool key_volume, bool device_mapper)
{
	struct module_want aes = { aes_module(), false };
	struct kmod_ctx *kmod;
	int r = 0, k;

	kmod = kmod_new(NULL, NULL);
	if (!kmod) {
		log_error("Failed to initialise libkmod: no module directory for this kernel.");
		return -ENOENT;
	}
	kmod_set_log_fn(kmod, kmod_log_bridge, NULL);
	kmod_load_resources(kmod);

	if (key_volume)
		r = modules_load_list(kmod, key_volume_modules, ARRAY_SIZE(key_volume_modules));
	if (device_mapper) {
		k = modules_load_list(kmod, crypt_modules, ARRAY_SIZE(crypt_modules));
		modules_load_list(kmod, &aes, 1);
		if (k < 0)
			r = k;
	}

	kmod_unref(kmod);
	return r;
}
