// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's random pool, started early.
 *
 * libdevmapper reads /dev/urandom for the cookie of each udev notification,
 * once per mapping. Until the kernel's random pool is initialised, Linux
 * (since 5.18) makes such a read first gather entropy from timer jitter,
 * which takes about a second on a machine without a hardware random source
 * (an emulated CPU, an old hypervisor). A thread that makes that read as
 * soon as the unlocker starts lets the gathering run while the modules load
 * and the devices appear, instead of after.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "unlock.h"

/* No logging here: the log lock must never be held across a fork. */
static void *pool_start(void *arg)
{
	unsigned char byte;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (read(fd, &byte, sizeof(byte)) == (ssize_t)sizeof(byte))
		explicit_bzero(&byte, sizeof(byte));
	close(fd);
	return NULL;
}

void entropy_start(void)
{
	unsigned char byte;
	pthread_attr_t attr;
	pthread_t thread;
	int r;

	/* A pool that is ready answers at once: nothing to start. */
	if (getrandom(&byte, sizeof(byte), GRND_NONBLOCK) == (ssize_t)sizeof(byte)) {
		explicit_bzero(&byte, sizeof(byte));
		return;
	}

	r = pthread_attr_init(&attr);
	if (r == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		r = pthread_create(&thread, &attr, pool_start, NULL);
		pthread_attr_destroy(&attr);
	}
	if (r != 0)
		log_debug("Cannot start gathering entropy early: %s", strerror(r));
	else
		log_debug(
			"The kernel's random pool is not ready yet; gathering entropy meanwhile.");
}
