// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runs mkfs.fat and mtools. Key bytes only ever travel through pipes from and
 * to locked memory: never through argv, the environment or a temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "secmem.h"
#include "tool.h"
#include "util.h"

#define TOOL_ENV_MAX 256

extern char **environ;

static int tool_find(const char *name, char ret[PATH_MAX])
{
	const char *path = getenv("PATH");
	char dirs[PATH_MAX * 2];
	char *dir, *save = NULL;

	if (strchr(name, '/'))
		return snprintf(ret, PATH_MAX, "%s", name) < PATH_MAX ? 0 : -ENAMETOOLONG;

	/* mkfs.fat lives in sbin, which is not in every user's PATH. */
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(ret, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
			continue;
		if (access(ret, X_OK) == 0)
			return 0;
	}

	return -ENOPKG;
}

static void tool_environment(char *env[TOOL_ENV_MAX])
{
	size_t n = 0, i;

	for (i = 0; environ[i] && n < TOOL_ENV_MAX - 2; i++)
		if (!startswith(environ[i], "MTOOLS_SKIP_CHECK="))
			env[n++] = environ[i];
	/* Images and partitions have no partition table for mtools to check. */
	env[n++] = (char *)"MTOOLS_SKIP_CHECK=1";
	env[n] = NULL;
}

struct tool_pipes {
	int in[2];
	int out[2];
	int err[2];
};

static void tool_pipes_close(struct tool_pipes *p)
{
	int *fds[] = { &p->in[0], &p->in[1], &p->out[0], &p->out[1], &p->err[0], &p->err[1] };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int tool_pipes_open(struct tool_pipes *p, bool with_input)
{
	if (with_input && pipe2(p->in, O_CLOEXEC) < 0)
		return -errno;
	if (!with_input) {
		p->in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (p->in[0] < 0)
			return -errno;
	}
	if (pipe2(p->out, O_CLOEXEC) < 0 || pipe2(p->err, O_CLOEXEC) < 0)
		return -errno;

	return 0;
}

static int tool_spawn(const char *path, const char *const argv[], struct tool_pipes *p,
		      pid_t *ret_pid)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	char *env[TOOL_ENV_MAX];
	sigset_t defaults;
	int r;

	tool_environment(env);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, p->in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&actions, p->out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, p->err[1], STDERR_FILENO);

	r = posix_spawn(ret_pid, path, &actions, &attr, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	return -r;
}

static void tool_keep_error(struct tool_io *io, const char *buf, size_t n)
{
	size_t have = strlen(io->error);
	size_t room = sizeof(io->error) - 1 - have;

	if (n > room)
		n = room;
	memcpy(io->error + have, buf, n);
	io->error[have + n] = '\0';
}

static void tool_keep_output(struct tool_io *io, const unsigned char *buf, size_t n)
{
	size_t room = io->output_len < io->output_size ? io->output_size - io->output_len : 0;

	if (io->output)
		memcpy(io->output + io->output_len, buf, n < room ? n : room);
	io->output_len += n;
}

/* One read from stdout or stderr; returns 0 at end of file. */
static ssize_t tool_read(int fd, struct tool_io *io, bool is_output)
{
	unsigned char buf[4096];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n > 0 && is_output)
		tool_keep_output(io, buf, (size_t)n);
	else if (n > 0)
		tool_keep_error(io, (const char *)buf, (size_t)n);
	secmem_wipe(buf, sizeof(buf));
	return n < 0 ? -errno : n;
}

static int tool_write(struct tool_pipes *p, struct tool_io *io, size_t *done)
{
	ssize_t n =
		write(p->in[1], (const unsigned char *)io->input + *done, io->input_len - *done);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n > 0)
		*done += (size_t)n;
	/* EPIPE: the tool stopped reading; its exit status tells why. */
	if (n < 0 || *done == io->input_len) {
		close(p->in[1]);
		p->in[1] = -1;
	}
	return 0;
}

static int tool_exchange(struct tool_pipes *p, struct tool_io *io)
{
	size_t done = 0;

	if (p->in[1] >= 0 && io->input_len == 0) {
		close(p->in[1]);
		p->in[1] = -1;
	}
	while (p->out[0] >= 0 || p->err[0] >= 0) {
		struct pollfd fds[3] = { { p->out[0], POLLIN, 0 },
					 { p->err[0], POLLIN, 0 },
					 { p->in[1], POLLOUT, 0 } };
		int i;

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &p->out[0] : &p->err[0];

			if (*fd >= 0 && fds[i].revents && tool_read(*fd, io, i == 0) <= 0) {
				close(*fd);
				*fd = -1;
			}
		}
		if (p->in[1] >= 0 && fds[2].revents)
			tool_write(p, io, &done);
	}

	return 0;
}

static int tool_wait(pid_t pid, const char *name)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_debug("%s failed with status %d.", name, status);
	return -EIO;
}

int tool_run(const char *const argv[], struct tool_io *io)
{
	struct tool_pipes p = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	struct sigaction ignore = { .sa_handler = SIG_IGN }, saved;
	char path[PATH_MAX];
	pid_t pid;
	int r;

	io->output_len = 0;
	io->error[0] = '\0';
	r = tool_find(argv[0], path);
	if (r < 0)
		return r;

	r = tool_pipes_open(&p, io->input != NULL);
	if (r == 0)
		r = tool_spawn(path, argv, &p, &pid);
	if (r < 0) {
		tool_pipes_close(&p);
		return r;
	}

	/* Our ends only: the child holds its own copies. */
	close(p.in[0]);
	close(p.out[1]);
	close(p.err[1]);
	p.in[0] = p.out[1] = p.err[1] = -1;

	/* A tool that exits early must not kill us with SIGPIPE. */
	sigaction(SIGPIPE, &ignore, &saved);
	r = tool_exchange(&p, io);
	sigaction(SIGPIPE, &saved, NULL);
	tool_pipes_close(&p);

	io->error[strcspn(io->error, "\n")] = '\0';
	return tool_wait(pid, argv[0]) ?: r;
}
