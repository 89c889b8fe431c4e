/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BEKBOOT_LOG_H
#define BEKBOOT_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Syslog priorities, so that /dev/kmsg lines carry the right prefix. */
enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_init(const char *program);
void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);
/* Also write every line to /dev/kmsg (an initramfs without systemd). */
int log_open_kmsg(void);
void log_close(void);

void log_vmessage(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void log_message(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_message(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)  log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
