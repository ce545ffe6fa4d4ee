/* SPDX-License-Identifier: MIT */
/*
 * peer — run a reference tool on the case's PUs and capture what it says
 * (peer.h). Moved here from bench/ipc/perf_peer.c so that ipc-latency and
 * price share one way of running a peer.
 */
#include "peer.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool peer_which(const char *cmd, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", env && *env ? env : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", d, cmd);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* In the child: bind to the PUs of the workers in slots (those that have one). */
static void bind_child(const struct placement *pl, unsigned slots)
{
	cpu_set_t set;
	int any = 0;

	CPU_ZERO(&set);
	for (int i = 0; pl && pl->policy != PIN_NONE && i < 8 && i < pl->n; i++)
		if ((slots >> i & 1) && pl->pu[i] >= 0 && pl->pu[i] < CPU_SETSIZE) {
			CPU_SET(pl->pu[i], &set);
			any = 1;
		}
	if (any)
		sched_setaffinity(0, sizeof(set), &set);
}

static pid_t start(char *const argv[], const struct placement *pl, unsigned slots, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		bind_child(pl, slots);
		execvp(argv[0], argv);
		dprintf(out, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static void read_all(int fd, char *text)
{
	size_t used = 0;
	ssize_t r;

	while ((r = read(fd, text + used, PEER_TEXT - 1 - used)) > 0 || (r < 0 && errno == EINTR))
		used += r > 0 ? (size_t)r : 0;
	text[used] = '\0';
}

int peer_run(struct pb_ctx *ctx, char *const argv[], unsigned slots, peer_during_fn during,
	     void *arg, char *text)
{
	char path[512];
	int out[2], st = 0, rc = 0;
	pid_t pid;

	if (!peer_which(argv[0], path, sizeof(path)))
		return pb_skip(ctx, "%s is not installed (scripts/deps.sh bench)", argv[0]) + 1;
	if (pipe(out) < 0)
		return pb_fail(ctx, "pipe: %s", strerror(errno));
	pid = start(argv, slots ? pb_placement(ctx) : NULL, slots, out[1]);
	close(out[1]);
	if (pid < 0)
		rc = pb_fail(ctx, "fork: %s", strerror(errno));
	else if (during)
		rc = during(ctx, pid, arg);
	read_all(out[0], text);
	close(out[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || pid < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char line[160];

		snprintf(line, sizeof(line), "%s", text);
		line[strcspn(line, "\n")] = '\0';
		return pb_skip(ctx, "%s %s did not run here (status %d: %s)", argv[0],
			       argv[1] ? argv[1] : "", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			       line[0] ? line : "no output") +
		       1;
	}
	return 0;
}

double peer_number_before(const char *text, const char *marker)
{
	const char *p = strstr(text, marker);

	while (p && p > text && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	while (p && p > text && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
		p--;
	return p && *p >= '0' && *p <= '9' ? strtod(p, NULL) : NAN;
}

double peer_number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char *end;
	double v;

	if (!p)
		return NAN;
	p += strlen(key);
	while (*p == ' ' || *p == '\t' || *p == ':' || *p == '"')
		p++;
	v = strtod(p, &end);
	return end == p ? NAN : v;
}
