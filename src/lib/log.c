// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One logger for every program: stderr always, and /dev/kmsg when asked, so
 * that lines reach the kernel log in an initramfs that has no journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024

static const char *log_program = "bekboot";
static enum log_level log_max_level = LOG_LEVEL_INFO;
static int log_kmsg_fd = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *program)
{
	log_program = program;
}

void log_set_max_level(enum log_level level)
{
	log_max_level = level;
}

enum log_level log_get_max_level(void)
{
	return log_max_level;
}

int log_open_kmsg(void)
{
	if (log_kmsg_fd >= 0)
		return 0;

	log_kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (log_kmsg_fd < 0)
		return -errno;

	return 0;
}

void log_close(void)
{
	if (log_kmsg_fd >= 0)
		close(log_kmsg_fd);
	log_kmsg_fd = -1;
}

static const char *log_level_prefix(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error: ";
	case LOG_LEVEL_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

void log_vmessage(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	int n;

	if (level > log_max_level)
		return;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	while (n > 0 && (size_t)n < sizeof(line) && line[n - 1] == '\n')
		line[--n] = '\0';

	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s%s\n", log_program, log_level_prefix(level), line);
	if (log_kmsg_fd >= 0)
		dprintf(log_kmsg_fd, "<%d>%s: %s\n", level, log_program, line);
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}

void log_message(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmessage(level, fmt, ap);
	va_end(ap);
}
