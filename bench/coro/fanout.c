/* SPDX-License-Identifier: MIT */
/*
 * io-fanout — K concurrent sleeps (K = 10 to 10,000), the shape of the
 * tutorial's downloads with many more of them: coroutines on one event loop
 * (lib/models/coro, gevent.spawn / asyncio.create_task), a thread each
 * (threading.Thread) and a process each (multiprocessing.Process). All three
 * take about one sleep when creating them is cheap enough; what differs is
 * what each task costs to create and to keep: creation time per task, and
 * memory (max RSS of the case process and of its children, and the resident
 * memory each task adds). Threads and processes are capped where this
 * machine would refuse them (RLIMIT_NPROC, memory): such a case is skipped,
 * and says why.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "coro.h"
#include "harness.h"

enum { FO_CORO, FO_THREADS, FO_PROCS, FO_N };
static const char *const fo_names[FO_N] = { "coroutines", "threads", "processes" };
#define PROC_KB_GUESS 512 /* a forked sleeper's own memory, kernel side included, to refuse early */

/* Resident memory of a process from /proc/<pid>/smaps_rollup (Pss: shared
 * pages divided among their sharers) or this process's VmRSS; KiB, -1. */
static long mem_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return kb;
}

static void nap(struct coro_loop *loop, void *arg)
{
	coro_sleep_ns(loop, *(const uint64_t *)arg);
}

static void *thread_nap(void *arg)
{
	clock_sleep_ns(*(const uint64_t *)arg);
	return NULL;
}

/* Create k tasks (t_created: when the last one exists), let them end. */
static int fan_coro(struct pb_ctx *ctx, int k, uint64_t ns, uint64_t *t_created, long *rss_kb)
{
	struct coro_loop *loop = coro_loop_new(NULL);
	long before = mem_kb(0, "VmRSS:");
	int rc = loop ? 0 : -ENOMEM;

	for (int i = 0; i < k && rc == 0; i++)
		rc = coro_spawn(loop, nap, &ns);
	*t_created = clock_now_ns();
	if (rc == 0)
		rc = coro_run(loop); /* the stacks are touched once the tasks start */
	*rss_kb = mem_kb(0, "VmHWM:") - before;
	if (loop)
		coro_loop_free(loop);
	return rc < 0 ? pb_fail(ctx, "coroutines: %s", strerror(-rc)) : 0;
}

static int fan_threads(struct pb_ctx *ctx, int k, uint64_t ns, uint64_t *t_created, long *rss_kb)
{
	pthread_t *tid = calloc((size_t)k, sizeof(*tid));
	long before = mem_kb(0, "VmRSS:");
	int n = 0, err = 0;

	if (!tid)
		return pb_fail(ctx, "calloc: out of memory");
	while (n < k && (err = pthread_create(&tid[n], NULL, thread_nap, &ns)) == 0)
		n++;
	*t_created = clock_now_ns();
	*rss_kb = mem_kb(0, "VmRSS:") - before;
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	return err ? pb_fail(ctx, "pthread_create: %s after %d threads", strerror(err), n) : 0;
}

/* Pss of the first n children (they were just born and sleep), times k. */
static long sample_pss(const pid_t *pid, int n, int k)
{
	long pss = 0;
	int sampled = 0;

	for (int i = 0; i < n; i++) {
		long kb = mem_kb(pid[i], "Pss:");

		if (kb >= 0)
			pss += kb, sampled++;
	}
	return sampled ? pss / sampled * k : -1;
}

/* Each child sleeps and leaves; the first 32 are sampled as soon as they
 * exist (later, with a slow fork, the first may have left). */
static int fan_procs(struct pb_ctx *ctx, int k, uint64_t ns, uint64_t *t_created, long *rss_kb)
{
	pid_t *pid = calloc((size_t)k, sizeof(*pid));
	int n = 0, err = 0, bad = 0, nsample = k < 32 ? k : 32;

	if (!pid)
		return pb_fail(ctx, "calloc: out of memory");
	for (; n < k; n++) {
		if ((pid[n] = fork()) == 0) {
			clock_sleep_ns(ns);
			_exit(0);
		}
		if (pid[n] < 0) {
			err = errno;
			break;
		}
		if (n + 1 == nsample)
			*rss_kb = sample_pss(pid, nsample, k);
	}
	*t_created = clock_now_ns();
	for (int i = 0; i < n; i++) {
		int st;

		bad += waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) || WEXITSTATUS(st);
	}
	free(pid);
	if (err)
		return pb_fail(ctx, "fork: %s after %d processes", strerror(err), n);
	return bad ? pb_fail(ctx, "%d children did not exit cleanly", bad) : 0;
}

/* Would this machine refuse k threads or processes? A reason, or NULL. */
static const char *refused(int model, int k, char *why, size_t len)
{
	struct rlimit rl;
	long avail_kb = -1;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "MemAvailable:", 13) == 0)
			avail_kb = strtol(line + 13, NULL, 10);
	if (f)
		fclose(f);
	if (model == FO_CORO)
		return NULL;
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)k + 256 > rl.rlim_cur) {
		snprintf(why, len, "RLIMIT_NPROC is %llu: %d %s would be refused",
			 (unsigned long long)rl.rlim_cur, k, fo_names[model]);
		return why;
	}
	if (model == FO_PROCS && avail_kb >= 0 && (long)k * PROC_KB_GUESS > avail_kb / 2) {
		snprintf(why, len,
			 "%d processes of ~%d KiB need more than half of MemAvailable (%ld MiB)", k,
			 PROC_KB_GUESS, avail_kb / 1024);
		return why;
	}
	return NULL;
}

static int fo_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	int model = (int)pb_case_get(c, "model_index"), k = (int)pb_case_get(c, "k"), rc;
	uint64_t ns = (uint64_t)pb_case_get(c, "sleep_ms") * 1000000ull, t0, t_created = 0;
	struct rusage self, kids;
	long rss_kb = -1;
	char why[160];

	if (refused(model, k, why, sizeof(why)))
		return pb_skip(ctx, "%s", why);
	pb_timer_start(ctx);
	t0 = clock_now_ns();
	rc = model == FO_CORO	 ? fan_coro(ctx, k, ns, &t_created, &rss_kb) :
	     model == FO_THREADS ? fan_threads(ctx, k, ns, &t_created, &rss_kb) :
				   fan_procs(ctx, k, ns, &t_created, &rss_kb);
	pb_timer_stop(ctx);
	if (rc < 0)
		return rc;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	pb_metric(ctx, "create_us_per_task", (double)(t_created - t0) / 1e3 / k, "us");
	pb_metric(ctx, "maxrss_kb", (double)self.ru_maxrss, "KiB");
	pb_metric(ctx, "maxrss_children_kb", (double)kids.ru_maxrss, "KiB");
	if (rss_kb >= 0)
		pb_metric(ctx, "mem_kb_per_task", (double)rss_kb / k, "KiB");
	return 0;
}

/* K = 10, 100, 1000, 10000 (quick: up to 100; default: up to 1000, with
 * sleeps of 100 ms: 10,000 processes take 4 s a repetition, past the
 * 5-minute budget on 2 PUs) for each model. */
static void fo_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	/* creating one task and ending it on the slowest machine met, a
	 * 2-vCPU AMD EPYC VM (run 20261207T161308Z, K = 1000): about 50 us a
	 * coroutine, 150 a thread, a fork's 1.5 ms a process */
	static const double create_s[FO_N] = { 50e-6, 150e-6, PB_EST_FORK_S };
	static const int ks[] = { 10, 100, 1000, 10000 };
	/* full: sleeps of 200 ms (1 s made 12 cases sleep 2 of full's 60
	 * minutes: K sleeps overlap as well in 200 ms) */
	int nk = PB_PICK(cfg, 2, 3, 4), sleep_ms = PB_PICK(cfg, 50, 100, 200);
	struct pb_case c = {
		.experiment = "io-fanout", .workload = "io", .run = fo_run, .budget_s = 120
	};

	pb_case_name(&c, "sleep_ms", sleep_ms);
	for (int m = 0; m < FO_N; m++)
		for (int i = 0; i < nk; i++) {
			struct pb_case x = c;

			x.model = fo_names[m];
			x.workers = ks[i];
			pb_case_set(&x, "model_index", m);
			pb_case_set(&x, "k", ks[i]);
			x.est_s = 0.02 + sleep_ms / 1e3 + ks[i] * create_s[m];
			pb_plan_add(plan, &x);
		}
}

/* The largest K every model ran: wall, creation and memory side by side. */
static void fo_summarize(struct pb_report *rep)
{
	static const char *const fig[] = { "coroutines", "threads", "processes" };
	struct pb_finding *f;
	char name[48];
	const struct pb_case *c[FO_N] = { NULL };
	int k = 0;

	for (const struct pb_case *x = NULL;
	     (x = pb_report_next(rep, &(struct pb_case_key){ .experiment = "io-fanout" }, x));) {
		bool all = true;

		for (int m = 0; m < FO_N; m++) {
			const struct pb_case *y =
				pb_report_find(rep,
					       &(struct pb_case_key){ .experiment = "io-fanout",
								      .model = fo_names[m],
								      .workers = x->workers });

			all = all && y && !isnan(pb_report_median(rep, y, "wall_s"));
		}
		if (all && x->workers > k)
			k = x->workers;
	}
	if (k == 0)
		return;
	for (int m = 0; m < FO_N; m++)
		c[m] = pb_report_find(rep, &(struct pb_case_key){ .experiment = "io-fanout",
								  .model = fo_names[m],
								  .workers = k });
	f = pb_report_finding(rep, "largest_k",
			      "io-fanout, %d sleeps of %lld ms: wall time, creation per task and "
			      "memory per task of coroutines, threads and processes",
			      k, (long long)pb_case_get(c[0], "sleep_ms"));
	for (int m = 0; m < 3; m++) {
		snprintf(name, sizeof(name), "%s wall", fig[m]);
		pb_finding_stat(f, rep, c[m], name, "wall_s", "s");
	}
	for (int m = 0; m < 3; m++) {
		snprintf(name, sizeof(name), "%s creation", fig[m]);
		pb_finding_stat(f, rep, c[m], name, "create_us_per_task", "us");
	}
	for (int m = 0; m < 3; m++) {
		snprintf(name, sizeof(name), "%s memory", fig[m]);
		pb_finding_stat(f, rep, c[m], name, "mem_kb_per_task", "KiB");
	}
}

/* io-fanout's parameters (cases.csv's units and types) */
static const struct pb_param_decl io_fanout_params[] = {
	{ "sleep_ms", PB_INT, "ms", "how long each of the K waits sleeps" },
	{ "model_index", PB_INT, "", "the model, an index into the model table" },
	{ "k", PB_INT, "count", "concurrent waits" },
	{ 0 }, /* the end */
};

const struct pb_experiment io_fanout_experiment = {
	.name = "io-fanout",
	.summary = "K concurrent sleeps (10 to 10,000): coroutines vs a thread each vs a process "
		   "each: wall, creation per task, memory",
	.teaches =
		"K concurrent sleeps, from 10 to 10,000: coroutines on one event loop, a thread each, and"
		" a process each. All take about one sleep while creating the tasks is cheap; what "
		"differs is what each task costs to create and to keep in memory. Cases the machine would"
		" refuse (process limit, memory) are skipped and say why.",
	.headline = { "create_us_per_task", "us", PB_LOWER_IS_BETTER },
	.figures = "io-fanout",
	.plan = fo_plan,
	.summarize = fo_summarize,
	.params = io_fanout_params,
};
