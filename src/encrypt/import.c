// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "encrypt.h"
#include "log.h"

int import_ade_run(const struct encrypt_options *opts)
{
	log_error("import-ade is not implemented yet.");
	return -ENOSYS;
}
