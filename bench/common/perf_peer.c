/* SPDX-License-Identifier: MIT */
/*
 * perf_peer — `perf bench sched pipe`, the peer of ipc-latency and of
 * price's context switch: run as it is (bench/peer/peer.c) and pinned like
 * our own ping-pong, so that our pipe round trip can be set against the
 * figure everyone quotes.
 */
#include "perf_peer.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "peer.h"

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

/* perf has exited (left for peer_run to reap and judge)? */
static bool perf_exited(pid_t perf)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)perf, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == perf;
}

static int move_perf_child(struct pb_ctx *ctx, pid_t perf, void *arg)
{
	const struct placement *pl = pb_placement(ctx);
	double *delay_us = arg;
	uint64_t t0 = clock_now_ns();
	cpu_set_t set;
	pid_t kid = 0;

	if (pl->n < 2 || pl->pu[1] < 0 || pl->pu[1] == pl->pu[0])
		return 0; /* same PU (or unpinned): it inherits perf's binding */
	while ((kid = child_of(perf)) == 0 && !perf_exited(perf) &&
	       clock_now_ns() - t0 < 2000000000ull)
		usleep(50);
	if (kid <= 0 && perf_exited(perf))
		return 0; /* perf ended before its second process: peer_run says why */
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

int perf_run(struct pb_ctx *ctx, long loops, bool threads, double *total_us, double *delay_us)
{
	char n[32], *text = malloc(PEER_TEXT);
	char *argv[] = { "perf", "bench", "sched", "pipe", "-l", n, threads ? "-T" : NULL, NULL };
	int rc;

	if (!text)
		return pb_fail(ctx, "out of memory");
	snprintf(n, sizeof(n), "%ld", loops);
	/* threads: both on perf's PU (price measures them on one PU only) */
	rc = peer_run(ctx, argv, 1, threads ? NULL : move_perf_child, delay_us, text);
	*total_us = peer_number_before(text, "usecs/op") * (double)loops;
	if (rc == 0 && isnan(*total_us))
		rc = pb_fail(ctx, "perf bench sched pipe: no usecs/op in its output (%.80s)", text);
	free(text);
	return rc;
}
