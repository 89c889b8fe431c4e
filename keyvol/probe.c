// SPDX-License-Identifier: LGPL-2.1-or-later
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mtools.h"

static void probe_value(blkid_probe probe, const char *name, char *out, size_t out_size)
{
	const char *value = NULL;
	size_t i;

	out[0] = '\0';
	if (blkid_probe_lookup_value(probe, name, &value, NULL) < 0 || !value)
		return;

	snprintf(out, out_size, "%s", value);
	/* The label comes from the volume: keep it from reaching a terminal raw. */
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

int volume_probe(const char *path, char *label, size_t label_size, char *type, size_t type_size,
		 char *err)
{
	blkid_probe probe;
	int r;

	label[0] = type[0] = '\0';
	errno = 0;
	probe = blkid_new_probe_from_filename(path);
	if (!probe) {
		r = errno ? -errno : -EIO;
		snprintf(err, TOOL_ERROR_MAX, "%s", strerror(-r));
		return r;
	}

	blkid_probe_enable_superblocks(probe, 1);
	blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
	r = blkid_do_safeprobe(probe);
	if (r == 0) {
		probe_value(probe, "TYPE", type, type_size);
		probe_value(probe, "LABEL", label, label_size);
	} else if (r == -2) {
		/* Signatures of several filesystems: none of them can be trusted. */
		snprintf(type, type_size, "ambivalent");
	}
	log_debug("Probed %s: type \"%s\", label \"%s\".", path, type, label);
	blkid_free_probe(probe);
	if (r == -1) {
		snprintf(err, TOOL_ERROR_MAX, "libblkid cannot probe it");
		return -EIO;
	}
	return 0;
}
