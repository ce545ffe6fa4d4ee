/* SPDX-License-Identifier: MIT */
/*
 * pool-overhead — what one task costs with no work in it: a pool round trip
 * (apply_async + get) against its floor (a pipe round trip), a process per
 * task and a thread per task; one at a time on one PU or across two, and as
 * a stream on W workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool_common.h"
#include "threads.h"

/* Where the caller and its workers run. A round trip between two PUs
 * includes waking the other PU, which on an idle VM costs far more than
 * the round trip itself; on one PU it is the mechanism's own cost. */
enum overhead_place {
	PL_SAME,  /* the caller and its one worker (or child) on one PU */
	PL_CROSS, /* the caller on one PU, its one worker on another */
	PL_RUN,	  /* W workers where --pin puts them; the caller free */
};

/* A process or a thread per task, with no work in the task. */
static int overhead_per_task(struct pb_ctx *ctx, tasks_model_fn model, const char *name, int n,
			     int workers, const struct placement *where)
{
	double wall;

	if (pe_run_tasks_model(ctx, model, name, n, workers, 0, where, &wall) < 0)
		return -1;
	pb_metric(ctx, "per_task_us", wall * 1e6 / n, "us");
	return 0;
}

#define WARMUP_ROUND_TRIPS 100 /* untimed: page faults, caches, scheduler */

/* apply_async + get, one task at a time: the round trip of one task. */
static int overhead_pool(struct pb_ctx *ctx, struct pool *p, int n)
{
	const struct pool_result *r;
	uint64_t t0 = 0;

	for (int64_t i = -WARMUP_ROUND_TRIPS; i < n; i++) {
		struct pool_async *h = pool_apply_async(p, pe_echo_task, &i, sizeof(i));
		int64_t back = -1;

		if (!h)
			return pb_fail(ctx, "apply_async: %s", pool_error(p));
		if (pool_async_get(h, 10.0, &r) == 0)
			memcpy(&back, r[0].data, sizeof(back));
		pool_async_free(h);
		if (back != i)
			return pb_fail(ctx, "task %lld: wrong or no result", (long long)i);
		if (i == -1)
			t0 = pe_timer_begin(ctx);
	}
	pb_metric(ctx, "per_task_us", pe_timer_end(ctx, t0) * 1e6 / n, "us");
	return 0;
}

/* A stream: map with chunksize 1, the W workers overlapping. */
static int overhead_pool_map(struct pb_ctx *ctx, struct pool *p, int n)
{
	int64_t *xs = calloc((size_t)n, sizeof(*xs));
	struct pool_result *rs = calloc((size_t)n, sizeof(*rs));
	uint64_t t0;
	int rc;

	if (!xs || !rs) {
		free(xs);
		free(rs);
		return pb_fail(ctx, "calloc: out of memory");
	}
	for (int i = 0; i < n; i++)
		xs[i] = i;
	t0 = pe_timer_begin(ctx);
	rc = pool_map(p, pe_echo_task, xs, sizeof(*xs), (size_t)n, 1, rs);
	pb_metric(ctx, "per_task_us", pe_timer_end(ctx, t0) * 1e6 / n, "us");
	pool_results_free(rs, (size_t)n);
	free(xs);
	free(rs);
	return rc == 0 ? 0 : pb_fail(ctx, "map: %s", pool_status_name(rc));
}

static void __attribute__((noreturn)) echo_child(int in, int out)
{
	uint64_t x;

	while (read(in, &x, sizeof(x)) == (ssize_t)sizeof(x))
		if (write(out, &x, sizeof(x)) != (ssize_t)sizeof(x))
			_exit(1);
	_exit(0);
}

/* Round trips of 8 bytes to the echo child; the last value that came back. */
static uint64_t pipe_round_trips(struct pb_ctx *ctx, int to, int from, int n)
{
	uint64_t x = 0, t0 = 0;

	for (int64_t i = -WARMUP_ROUND_TRIPS; i < n; i++) {
		if (write(to, &i, sizeof(i)) != (ssize_t)sizeof(i) ||
		    read(from, &x, sizeof(x)) != (ssize_t)sizeof(x) || x != (uint64_t)i)
			break;
		if (i == -1)
			t0 = pe_timer_begin(ctx);
	}
	pb_metric(ctx, "per_task_us", pe_timer_end(ctx, t0) * 1e6 / n, "us");
	return x;
}

/* The floor: 8 bytes to a child over one pipe and back over another. */
static int overhead_pipe(struct pb_ctx *ctx, int n, const struct placement *where)
{
	struct topo_saved *saved = NULL;
	int to[2], from[2], status;
	uint64_t x;
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		return pb_fail(ctx, "pipe2: %s", strerror(errno));
	topo_spawn_begin(pb_cfg(ctx)->topo, where, 0, &saved);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		echo_child(to[0], from[1]);
	}
	if (saved)
		topo_spawn_end(pb_cfg(ctx)->topo, saved);
	close(to[0]);
	close(from[1]);
	if (pid < 0)
		return pb_fail(ctx, "fork: %s", strerror(errno));
	x = pipe_round_trips(ctx, to[1], from[0], n);
	close(to[1]); /* EOF: the child leaves */
	close(from[0]);
	waitpid(pid, &status, 0);
	if (x != (uint64_t)n - 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pb_fail(ctx, "pipe: the echo child failed");
	return 0;
}

static int overhead_model(struct pb_ctx *ctx, const struct pb_case *c,
			  const struct placement *where)
{
	int n = (int)pb_case_get(c, "n"), rc;
	struct pool *p;

	if (strcmp(c->model, "fork") == 0)
		return overhead_per_task(ctx, fork_run_tasks, "fork", n, c->workers, where);
	if (strcmp(c->model, "threads") == 0)
		return overhead_per_task(ctx, threads_run_tasks, "threads", n, c->workers, where);
	if (strcmp(c->model, "pipe") == 0)
		return overhead_pipe(ctx, n, where);
	if (!(p = pe_start_pool_on(ctx, c->workers, where)))
		return -1;
	rc = strcmp(c->model, "pool") == 0 ? overhead_pool(ctx, p, n) :
					     overhead_pool_map(ctx, p, n);
	pe_stop_pool(p);
	return rc;
}

static int overhead_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	struct placement two = { 0 }, where = *pb_placement(ctx);
	enum overhead_place place = (enum overhead_place)pb_case_get(c, "place");
	struct topo_saved *saved = NULL;
	char err[256];
	int rc;

	if (place == PL_CROSS) { /* the caller on two.pu[0], the worker on two.pu[1] */
		if (topo_place(cfg->topo, PIN_SCATTER, 2, &two, err, sizeof(err)) < 0)
			return pb_fail(ctx, "placement: %s", err);
		where = (struct placement){ .policy = two.policy, .n = 1, .pu = two.pu + 1 };
	}
	/* The caller binds itself like a worker: to where's PU, or two's first. */
	if (place != PL_RUN)
		topo_spawn_begin(cfg->topo, place == PL_CROSS ? &two : &where, 0, &saved);
	rc = overhead_model(ctx, c, &where);
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	placement_free(&two);
	return rc;
}

static void overhead_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const struct {
		const char *model;
		enum overhead_place place;
	} cases[] = {
		/* round trips, one task at a time */
		{ "pipe", PL_SAME },
		{ "pool", PL_SAME },
		{ "fork", PL_SAME },
		{ "threads", PL_SAME },
		{ "pipe", PL_CROSS },
		{ "pool", PL_CROSS },
		/* streams: W workers at once */
		{ "pool-map", PL_RUN },
		{ "threads", PL_RUN },
		{ "fork", PL_RUN },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		enum overhead_place place = cases[k].place;
		/* quick forks fewer processes, and makes fewer slow cross-PU
		 * round trips; the per-task figure is the same. default forks
		 * 200: a fork costs 1.3 ms on a 2-vCPU AMD EPYC VM (price/fork,
		 * run 20261207T151356Z), and 1,000 took 2 s a repetition;
		 * quick 50 (100 took 1.4 s of a 1:00 quick run on a 2-vCPU AMD EPYC VM, run 20261207T185032Z) */
		int n = strcmp(cases[k].model, "fork") == 0 ? PB_PICK(cfg, 50, 200, 1000) :
			place == PL_CROSS		    ? PB_PICK(cfg, 200, 1000, 1000) :
							      1000;
		struct pb_case c = { .experiment = "pool-overhead",
				     .model = cases[k].model,
				     .workers = place == PL_RUN ? cfg->pus : 1,
				     .run = overhead_run,
				     .budget_s = 60,
				     .pin_fixed = place != PL_RUN,
				     .pin = place == PL_CROSS ? PIN_SCATTER : PIN_SINGLE };

		if (place == PL_CROSS && cfg->pus < 2)
			continue;
		pb_case_name(&c, "n", n);
		if (strcmp(cases[k].model, "fork") == 0)
			c.est_s = 0.02 + n * PB_EST_FORK_S / c.workers;
		pb_case_set(&c, "place", place);
		if (place == PL_CROSS)
			pb_case_tag(&c, "cross", "cross-pu");
		pb_plan_add(plan, &c);
	}
	overhead_busy_plan(plan, cfg);
}

/* The pool-overhead case of model at place (one worker on the caller's PU
 * or another, or the stream of W workers), or NULL. */
static const struct pb_case *overhead_case(const struct pb_report *rep, const char *model,
					   enum overhead_place place)
{
	struct pb_case_key key = { .experiment = "pool-overhead", .model = model };
	const struct pb_case *c;

	for (c = pb_report_find(rep, &key); c; c = pb_report_next(rep, &key, c))
		if (pb_case_get(c, "place") == place)
			return c;
	return NULL;
}

/* The round trips of pool, pipe and fork, one at a time. */
static void overhead_notes_round_trip(struct pb_report *rep)
{
	const struct pb_case *pipe = overhead_case(rep, "pipe", PL_SAME);
	const struct pb_case *pool = overhead_case(rep, "pool", PL_SAME);
	const struct pb_case *fork = overhead_case(rep, "fork", PL_SAME);
	const struct pb_case *xpipe = overhead_case(rep, "pipe", PL_CROSS);
	const struct pb_case *xpool = overhead_case(rep, "pool", PL_CROSS);
	const char *m = "per_task_us";
	struct stats_summary r;
	struct pb_finding *f;

	if (pb_report_ratio(rep, pool, pipe, m, &r)) {
		f = pb_report_finding(rep, "pool_vs_pipe",
				      "pool-overhead: a pool round trip (apply_async + get, no work, "
				      "caller and worker on one PU) against a pipe round trip: as in "
				      "CPython, a task goes caller → task handler → worker → result "
				      "handler → caller, four hand-offs where a pipe has two");
		pb_finding_stat(f, rep, pool, "pool", m, "us");
		pb_finding_stat(f, rep, pipe, "pipe", m, "us");
		pb_finding_figure(f, "pool / pipe", r, "x");
	}
	if (pb_report_ratio(rep, fork, pool, m, &r)) {
		f = pb_report_finding(rep, "fork_vs_pool",
				      "pool-overhead: a process per task, one at a time on the same "
				      "PU, against the pool round trip (acceptance ≥ 10×)");
		pb_finding_stat(f, rep, fork, "fork", m, "us");
		pb_finding_figure(f, "fork / pool", r, "x");
		pb_finding_verdict(f, pe_verdict(r.median >= 10), NULL);
	}
	if (pb_report_ratio(rep, xpool, xpipe, m, &r)) {
		f = pb_report_finding(rep, "cross_pu",
				      "pool-overhead: a round trip across two PUs, pipe and pool: "
				      "waking the other PU is most of it");
		pb_finding_stat(f, rep, xpipe, "pipe", m, "us");
		pb_finding_stat(f, rep, xpool, "pool", m, "us");
		pb_finding_figure(f, "pool / pipe", r, "x");
	}
}

/* Streams on W workers, and a thread per task against the other two. */
static void overhead_notes_stream(struct pb_report *rep)
{
	const struct pb_case *map = overhead_case(rep, "pool-map", PL_RUN);
	const struct pb_case *forks = overhead_case(rep, "fork", PL_RUN);
	const struct pb_case *fork = overhead_case(rep, "fork", PL_SAME);
	const struct pb_case *pool = overhead_case(rep, "pool", PL_SAME);
	const struct pb_case *thread = overhead_case(rep, "threads", PL_SAME);
	const struct pb_case *threads = overhead_case(rep, "threads", PL_RUN);
	int pus = pb_report_cfg(rep)->pus;
	const char *m = "per_task_us";
	struct stats_summary r, fork_thread;
	struct pb_finding *f;

	if (pb_report_ratio(rep, forks, map, m, &r)) {
		f = pb_report_finding(rep, "stream",
				      "pool-overhead: a stream of no-work tasks on %d workers, per "
				      "task: pool map (chunksize 1) against a process per task",
				      pus);
		pb_finding_stat(f, rep, map, "pool map", m, "us");
		pb_finding_stat(f, rep, forks, "fork", m, "us");
		pb_finding_figure(f, "fork / pool map", r, "x");
	}
	if (pb_report_ratio(rep, fork, thread, m, &fork_thread) &&
	    pb_report_ratio(rep, thread, pool, m, &r)) {
		f = pb_report_finding(rep, "thread_per_task",
				      "pool-overhead: a thread per task (create + join, one at a "
				      "time on one PU) against a process per task and the pool round "
				      "trip, and as a stream on %d workers",
				      pus);
		pb_finding_stat(f, rep, thread, "thread", m, "us");
		pb_finding_figure(f, "fork / thread", fork_thread, "x");
		pb_finding_figure(f, "thread / pool", r, "x");
		pb_finding_stat(f, rep, threads, "thread stream", m, "us");
	}
}

static void overhead_summarize(struct pb_report *rep)
{
	overhead_notes_round_trip(rep);
	overhead_notes_stream(rep);
	overhead_busy_notes(rep);
}

/* pool-overhead's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_overhead_params[] = {
	{ "n", PB_INT, "count", "the number of tasks (round trips)" },
	{ "place", PB_INT, "",
	  "where the worker runs: the caller's PU, another PU, or the run's stream of W workers" },
	{ "cross", PB_STR, "", "\"cross-pu\": the worker is on another PU than the caller" },
	{ "tasks", PB_INT, "count", "tasks of one map_async" },
	{ "busy_us", PB_REAL, "us", "how long the caller computes while its tasks run" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_overhead_experiment = {
	.name = "pool-overhead",
	.summary = "what one no-work task costs: pool round trip, pipe, a process or a thread "
		   "per task",
	.teaches =
		"What a task costs when it does no work: a pool (apply, apply_async, map) against a "
		"process or a thread per task.",
	.headline = { "per_task_us", "us", PB_LOWER_IS_BETTER },
	.figures = "pool-overhead",
	.cpython_twin = "pool.py mode=overhead and mode=busy",
	.plan = overhead_plan,
	.summarize = overhead_summarize,
	.params = pool_overhead_params,
};
