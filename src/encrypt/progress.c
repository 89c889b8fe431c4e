// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Progress of the reencryption: a bar on a terminal, a plain line every few
 * seconds otherwise. SIGINT and SIGTERM only set a flag; libcryptsetup checks
 * it through the progress callback between two hotzones, which is a safe
 * point: the LUKS2 header then describes exactly what is encrypted.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "encrypt.h"
#include "log.h"
#include "util.h"

#define BAR_WIDTH	 30
#define TTY_INTERVAL_MS	 250
#define LINE_INTERVAL_MS 5000

static volatile sig_atomic_t stop_requested;
static bool lines_only;

static struct {
	const char *name;
	bool tty;
	uint64_t start_ms;
	uint64_t start_offset;
	uint64_t last_ms;
	bool started;
	bool drawn;
} progress;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

/*
 * Plain lines even on a terminal: for a console that is a serial line read
 * from its log (a cloud's boot diagnostics), where a bar redrawn with
 * carriage returns is one endless line until the end.
 */
void progress_use_lines(void)
{
	lines_only = true;
}

void progress_init(const char *name)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&progress, 0, sizeof(progress));
	progress.name = name;
	progress.tty = !lines_only && isatty(STDERR_FILENO);
}

bool progress_interrupted(void)
{
	return stop_requested != 0;
}

static void format_eta(uint64_t seconds, char *buf, size_t size)
{
	if (seconds >= 3600)
		snprintf(buf, size, "%lu:%02lu:%02lu", (unsigned long)(seconds / 3600),
			 (unsigned long)(seconds / 60 % 60), (unsigned long)(seconds % 60));
	else
		snprintf(buf, size, "%lu:%02lu", (unsigned long)(seconds / 60),
			 (unsigned long)(seconds % 60));
}

static void progress_draw(uint64_t size, uint64_t offset, uint64_t now)
{
	double percent = size ? 100.0 * (double)offset / (double)size : 100.0;
	double seconds = (double)(now - progress.start_ms) / 1000.0;
	double rate = seconds > 0 ? (double)(offset - progress.start_offset) / seconds : 0;
	char bar[BAR_WIDTH + 1], eta[32] = "--:--";
	int filled = (int)(percent * BAR_WIDTH / 100.0);

	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
	bar[BAR_WIDTH] = '\0';
	if (rate > 0)
		format_eta((uint64_t)((double)(size - offset) / rate), eta, sizeof(eta));

	if (progress.tty)
		fprintf(stderr, "\r[%s] %5.1f %%  %7.1f MiB/s  %s left ", bar, percent,
			rate / (1 << 20), eta);
	else
		log_info("%s: %d%% encrypted, %.1f MiB/s, %s left.", progress.name, (int)percent,
			 rate / (1 << 20), eta);
	progress.drawn = true;
}

int progress_report(uint64_t size, uint64_t offset, void *userdata)
{
	uint64_t now = now_ms();
	uint64_t interval = progress.tty ? TTY_INTERVAL_MS : LINE_INTERVAL_MS;

	if (!progress.started) {
		progress.started = true;
		progress.start_ms = now;
		progress.start_offset = offset;
		progress.last_ms = now;
	} else if (now - progress.last_ms >= interval || offset >= size) {
		progress.last_ms = now;
		progress_draw(size, offset, now);
	}

	/*
	 * Asking libcryptsetup to stop after the last hotzone makes it look for
	 * a next one and fail; the work is done by then anyway.
	 */
	return stop_requested && offset < size ? 1 : 0;
}

void progress_finish(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	if (progress.tty && progress.drawn)
		fputc('\n', stderr);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
