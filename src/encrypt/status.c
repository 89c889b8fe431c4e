// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "encrypt.h"
#include "log.h"

int status_run(const struct encrypt_options *opts)
{
	log_error("status is not implemented yet.");
	return EXIT_FAILED;
}
