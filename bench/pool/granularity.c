/* SPDX-License-Identifier: MIT */
/*
 * granularity — how small a task may be: the efficiency (ideal time / wall
 * time) of a process per task and of a warm pool over task sizes from 1 µs
 * to 10 ms, and where each reaches 50%.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pool_common.h"
#include "workload.h"

/* How long one task really takes here, now: the best of a few timed runs
 * in the case process (the calibration is from start-up, and a busy
 * machine skews it). Batches of at least 1 ms keep the clock's cost out. */
static double granularity_task_s(double us)
{
	int batch = (int)fmax(1.0, 1000.0 / us);
	uint64_t ticks = wl_ticks_for_ms(us / 1000.0);
	volatile uint64_t sink = 0; /* the work must be done */
	double best = INFINITY;

	for (int trial = 0; trial < 3; trial++) {
		uint64_t t0 = clock_now_ns();

		for (int i = 0; i < batch; i++)
			sink = wl_cpu_ticks(sink + (uint64_t)i + 1, ticks);
		best = fmin(best, (double)(clock_now_ns() - t0) / 1e9 / batch);
	}
	return best;
}

/* What a perfect model needs: ceil(n / W) rounds of tasks, and no less
 * than the work spread over the PUs. */
static double granularity_ideal_s(const struct pb_config *cfg, const struct pb_case *c,
				  double task_s)
{
	double n = (double)pb_case_get(c, "n"), rounds = ceil(n / c->workers);

	if (n / cfg->pus > rounds)
		rounds = n / cfg->pus;
	return rounds * task_s;
}

static int granularity_fork(struct pb_ctx *ctx, const struct pb_case *c, double *wall)
{
	return pe_run_tasks_model(ctx, fork_run_tasks, "fork", (int)pb_case_get(c, "n"), c->workers,
				  c->param_value / 1000.0, pb_placement(ctx), wall);
}

/* A warm pool (started before the clock, as a pool serving many batches)
 * maps the tasks with Python's default chunksize. */
static int granularity_pool(struct pb_ctx *ctx, const struct pb_case *c, double *wall)
{
	size_t n = (size_t)pb_case_get(c, "n");
	struct pe_cpu_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	uint64_t t0 = clock_now_ns();
	struct pool *p = a && rs ? pe_start_pool(ctx, c->workers) : NULL;
	int rc = -1;

	if (p) {
		pb_metric(ctx, "pool_start_s", (double)(clock_now_ns() - t0) / 1e9, "s");
		for (size_t i = 0; i < n; i++)
			a[i] = (struct pe_cpu_arg){ c->param_value, i + 1 };
		t0 = pe_timer_begin(ctx);
		rc = pool_map(p, pe_cpu_task, a, sizeof(*a), n, 0, rs);
		*wall = pe_timer_end(ctx, t0);
		pool_results_free(rs, n);
		pe_stop_pool(p);
		if (rc != 0)
			pb_fail(ctx, "map: %s", pool_status_name(rc));
	} else if (!a || !rs) {
		pb_fail(ctx, "calloc: out of memory");
	}
	free(a);
	free(rs);
	return rc == 0 ? 0 : -1;
}

static int granularity_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	double task_s = granularity_task_s(c->param_value), wall = 0;
	double ideal = granularity_ideal_s(pb_cfg(ctx), c, task_s);
	int rc = strcmp(c->model, "fork") == 0 ? granularity_fork(ctx, c, &wall) :
						 granularity_pool(ctx, c, &wall);

	if (rc == 0 && wall > 0) {
		pb_metric(ctx, "task_s", task_s, "s");
		pb_metric(ctx, "ideal_s", ideal, "s");
		pb_metric(ctx, "efficiency", ideal / wall, "ratio");
	}
	return rc;
}

/* Enough tasks for about total_us of work, at least 4 per worker. */
static int granularity_tasks(const struct pb_config *cfg, double us)
{
	/* default: 100 tasks at most (a process per task costs 1.3 ms on a
	 * 2-vCPU AMD EPYC VM, run 20261207T151356Z: 500 took 1 s a repetition,
	 * past the 5-minute budget) */
	double total_us = PB_PICK(cfg, 10e3, 100e3, 1000e3), most = PB_PICK(cfg, 100, 100, 10000);
	double n = fmin(fmax(total_us / us, 4.0 * cfg->pus), most);

	return (int)n;
}

static void granularity_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const double sizes_us[] = { 1, 10, 100, 1000, 10000 };
	static const char *const models[] = { "fork", "pool" };

	for (int k = 0; k < 5; k++) {
		if (cfg->profile == PROFILE_QUICK && k % 2)
			continue; /* quick: 1 us, 100 us, 10 ms */
		for (int m = 0; m < 2; m++) {
			struct pb_case c = { .experiment = "granularity",
					     .model = models[m],
					     .workers = cfg->pus,
					     .param = "task_us",
					     .param_value = sizes_us[k],
					     .run = granularity_run,
					     .budget_s = 60 };

			int n = granularity_tasks(cfg, sizes_us[k]);

			pb_case_name(&c, "n", n);
			/* n tasks over the PUs; a process each for fork */
			c.est_s =
				0.02 + n * ((m == 0 ? PB_EST_FORK_S : 20e-6) + sizes_us[k] / 1e6) /
					       cfg->pus;
			pb_plan_add(plan, &c);
		}
	}
}

/* The task size (µs) at which model's efficiency first reaches level,
 * interpolated on the log scale; -1: already at the smallest size; NAN:
 * not within the sweep (the plan's sizes grow from case to case). */
static double granularity_crossing(const struct pb_report *rep, const char *model, double level)
{
	struct pb_case_key key = { .experiment = "granularity", .model = model };
	double prev_us = NAN, prev_eff = NAN;

	for (const struct pb_case *c = pb_report_find(rep, &key); c;
	     c = pb_report_next(rep, &key, c)) {
		double us = c->param_value, eff = pb_report_median(rep, c, "efficiency");

		if (isnan(eff))
			continue;
		if (eff >= level) {
			if (isnan(prev_us))
				return -1;
			return pow(10, log10(prev_us) + (level - prev_eff) / (eff - prev_eff) *
								(log10(us) - log10(prev_us)));
		}
		prev_us = us;
		prev_eff = eff;
	}
	return NAN;
}

static void describe_crossing(char *buf, size_t len, double us)
{
	if (isnan(us))
		snprintf(buf, len, "not within 1 µs–10 ms");
	else if (us < 0)
		snprintf(buf, len, "already at the smallest task");
	else
		snprintf(buf, len, "at about %.0f µs of work per task", us);
}

static void granularity_summarize(struct pb_report *rep)
{
	struct pb_case_key fork1 = {
		.experiment = "granularity", .model = "fork", .param = "task_us", .param_value = 1
	};
	struct pb_case_key pool1 = fork1;
	const struct pb_case *f1, *p1;
	struct stats_summary r = { .median = NAN };
	struct pb_finding *f;
	char fs[64], ps[64];
	double fx, px;

	if (!pb_report_find(rep,
			    &(struct pb_case_key){ .experiment = "granularity", .model = "fork" }))
		return;
	pool1.model = "pool";
	f1 = pb_report_find(rep, &fork1);
	p1 = pb_report_find(rep, &pool1);
	pb_report_ratio(rep, p1, f1, "efficiency", &r);
	fx = granularity_crossing(rep, "fork", 0.5);
	px = granularity_crossing(rep, "pool", 0.5);
	describe_crossing(fs, sizeof(fs), fx);
	describe_crossing(ps, sizeof(ps), px);
	f = pb_report_finding(rep, "crossing",
			      "granularity: the work per task at which a process per task and a "
			      "warm pool reach 50 %% efficiency, and their efficiency with 1 µs "
			      "tasks");
	if (fx > 0)
		pb_finding_value(f, "fork at 50 %", fx, "us");
	if (px > 0)
		pb_finding_value(f, "pool at 50 %", px, "us");
	pb_finding_stat(f, rep, f1, "fork at 1 µs", "efficiency", "");
	pb_finding_stat(f, rep, p1, "pool at 1 µs", "efficiency", "");
	if (!isnan(r.median))
		pb_finding_figure(f, "pool / fork", r, "x");
	if (!(fx > 0) || !(px > 0)) /* a crossing that is not a number: say why */
		pb_finding_verdict(f, NULL, "50 %% efficiency for fork %s, for the pool %s", fs,
				   ps);
}

/* granularity's parameters (cases.csv's units and types) */
static const struct pb_param_decl granularity_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "task_us", PB_REAL, "us", "the work of one task" },
	{ 0 }, /* the end */
};

const struct pb_experiment granularity_experiment = {
	.name = "granularity",
	.summary = "how small a task may be: efficiency of a process per task and a warm pool "
		   "from 1 µs to 10 ms",
	.teaches =
		"When a process per task stops paying: small tasks are dominated by the cost of starting "
		"a process, large ones by the work.",
	.headline = { "efficiency", "ratio", PB_HIGHER_IS_BETTER },
	.figures = "granularity",
	.plan = granularity_plan,
	.summarize = granularity_summarize,
	.params = granularity_params,
};
