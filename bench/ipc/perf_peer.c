/* SPDX-License-Identifier: MIT */
/*
 * perf_peer — the peer of ipc-latency: `perf bench sched pipe`, run as it
 * is and pinned like our own ping-pong, so that our pipe round trip can be
 * set against the figure everyone quotes.
 */
#include "perf_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

/* perf's loop (tools/perf/bench/sched-pipe.c): one process writes 4 bytes
 * into one pipe and reads 4 bytes from another, the other process reads and
 * writes them back; "usecs/op" is the total time over the loop count, so one
 * op is one round trip, the same as our latency_ns_mean. */

/* perf forks its second process itself; to put it on worker 1's PU we find
 * it among perf's children and move it (the first few round trips run
 * before that, so it is reported). */
static pid_t child_of(pid_t parent)
{
	char path[64];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static int move_perf_child(struct pb_ctx *ctx, pid_t perf, double *delay_us)
{
	const struct placement *pl = pb_placement(ctx);
	uint64_t t0 = clock_now_ns();
	cpu_set_t set;
	pid_t kid = 0;

	if (pl->n < 2 || pl->pu[1] < 0 || pl->pu[1] == pl->pu[0])
		return 0; /* same PU (or unpinned): it inherits perf's binding */
	while ((kid = child_of(perf)) == 0 && clock_now_ns() - t0 < 2000000000ull)
		usleep(50);
	if (kid <= 0)
		return pb_fail(ctx, "perf-sched-pipe: could not find perf's second process "
				    "(/proc/PID/task/PID/children) to pin it");
	CPU_ZERO(&set);
	CPU_SET(pl->pu[1], &set);
	if (sched_setaffinity(kid, sizeof(set), &set) < 0)
		return pb_fail(ctx, "perf-sched-pipe: sched_setaffinity: %s", strerror(errno));
	*delay_us = (double)(clock_now_ns() - t0) / 1e3;
	return 0;
}

static pid_t exec_perf(struct pb_ctx *ctx, int out[2], long loops)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	struct topo_saved *saved = NULL;
	char n[32];
	pid_t pid;

	snprintf(n, sizeof(n), "%ld", loops);
	if (cfg->topo)
		topo_spawn_begin(cfg->topo, pb_placement(ctx), 0, &saved);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execlp("perf", "perf", "bench", "sched", "pipe", "-l", n, (char *)NULL);
		dprintf(out[1], "exec perf: %s\n", strerror(errno));
		_exit(127);
	}
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	return pid;
}

/* "     7.405150 usecs/op" in perf's output. */
static double parse_usecs(const char *text)
{
	const char *p = strstr(text, "usecs/op");

	while (p && p > text && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	while (p && p > text && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
		p--;
	return p ? strtod(p, NULL) : NAN;
}

bool perf_usable(void)
{
	int st, null;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execlp("perf", "perf", "--version", (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* One run of perf bench sched pipe -l loops: its total time in us. */
int perf_run(struct pb_ctx *ctx, long loops, double *total_us, double *delay_us)
{
	char text[4096] = "";
	size_t used = 0;
	int out[2], st, rc;
	ssize_t r;
	pid_t pid;

	if (pipe(out) < 0)
		return pb_fail(ctx, "pipe: %s", strerror(errno));
	pid = exec_perf(ctx, out, loops);
	close(out[1]);
	rc = pid < 0 ? pb_fail(ctx, "fork: %s", strerror(errno)) :
		       move_perf_child(ctx, pid, delay_us);
	while ((r = read(out[0], text + used, sizeof(text) - 1 - used)) > 0 ||
	       (r < 0 && errno == EINTR))
		used += r > 0 ? (size_t)r : 0;
	text[used] = '\0';
	close(out[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || pid < 0)
		return -1;
	*total_us = parse_usecs(text) * (double)loops;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || isnan(*total_us)) {
		text[strcspn(text, "\n")] = '\0';
		return pb_fail(ctx,
			       "perf bench sched pipe failed (%s); install linux-perf "
			       "(scripts/deps.sh bench) or allow it to run",
			       text[0] ? text : "no output");
	}
	return 0;
}
