/* SPDX-License-Identifier: MIT */
/*
 * tasks — the experiment every model of "N tasks on W workers" shares: its
 * sweep, its measurement and its derived figures (speedup against serial,
 * and the ideal a perfect model would reach).
 */
#include "tasks.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_TASKS 5 /* the seed's five downloads */
#define MAX_MODELS 16

static tasks_model_fn models[MAX_MODELS];
static int nmodels;

uint64_t tasks_seed(int i)
{
	return (uint64_t)i + 1;
}

uint64_t tasks_do_one(const struct tasks_spec *s, int i)
{
	if (i == s->crash_task) {
		/* a real crash: a test framework's inherited handler must not
		 * catch it and carry on in the child */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (i == s->fail_task)
		_exit(3);
	return workload_run(s->workload, s->task_ms, tasks_seed(i));
}

static int cpu_tasks(const struct pb_config *cfg)
{
	return cfg->pus > 2 ? cfg->pus : 2;
}

/* Workers 1, 2, ... 2 x PUs (and the task count, and one past it in the
 * full profile); powers of two when that would be too many. quick keeps
 * 1, PUs and the task count. */
static int worker_sweep(const struct pb_config *cfg, int ntasks, int *w, int max)
{
	int hi = 2 * cfg->pus, n = 0;

	if (cfg->profile == PROFILE_QUICK) {
		int pick[] = { 1, cfg->pus, ntasks };

		for (int i = 0; i < 3; i++) {
			bool dup = false;

			for (int j = 0; j < n; j++)
				dup = dup || w[j] == pick[i];
			if (!dup)
				w[n++] = pick[i];
		}
		for (int i = 1; i < n; i++) /* sort: plots draw lines in order */
			for (int j = i; j > 0 && w[j - 1] > w[j]; j--) {
				int t = w[j];

				w[j] = w[j - 1];
				w[j - 1] = t;
			}
		return n;
	}
	if (ntasks > hi)
		hi = ntasks;
	if (cfg->profile == PROFILE_FULL)
		hi = hi > ntasks + 1 ? hi : ntasks + 1;
	for (int x = 1; x <= hi && n<max; x = hi> 16 ? x * 2 : x + 1)
		w[n++] = x;
	if (w[n - 1] != hi && n < max)
		w[n++] = hi;
	return n;
}

static int tasks_case_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct tasks_spec s = {
		.workload = (enum workload_kind)c->arg[0],
		.ntasks = (int)c->arg[1],
		.workers = c->workers,
		.task_ms = c->param_value,
		.topo = pb_cfg(ctx)->topo,
		.placement = pb_placement(ctx),
		.crash_task = -1,
		.fail_task = -1,
	};
	struct tasks_result r = { 0 };
	int rc, done = 0;

	r.value = calloc((size_t)s.ntasks, sizeof(*r.value));
	r.ran_on = calloc((size_t)s.ntasks, sizeof(*r.ran_on));
	if (!r.value || !r.ran_on)
		return pb_fail(ctx, "calloc: out of memory");
	pb_timer_start(ctx);
	rc = models[c->arg[2]](&s, &r);
	pb_timer_stop(ctx);
	/* --verify, always: every task ran once and returned its own value
	 * (io returns its seed; a cpu chain from a non-zero seed never hits 0). */
	for (int i = 0; i < s.ntasks && rc == 0; i++)
		done += s.workload == WL_IO ? r.value[i] == tasks_seed(i) : r.value[i] != 0;
	if (rc == 0 && done != s.ntasks)
		rc = -1, snprintf(r.error, sizeof(r.error),
				  "only %d of %d tasks returned their result", done, s.ntasks);
	if (rc == 0) {
		pb_metric(ctx, "tasks_done", done, "count");
		pb_report_pus(ctx, r.ran_on, s.ntasks);
		for (int i = 0; i < s.ntasks && i < 64; i++) {
			char name[32];

			snprintf(name, sizeof(name), "task%d_pu", i);
			pb_metric(ctx, name, r.ran_on[i], "pu");
		}
	}
	free(r.value);
	free(r.ran_on);
	return rc == 0 ? 0 : pb_fail(ctx, "%s", r.error);
}

static int model_index(tasks_model_fn fn)
{
	for (int i = 0; i < nmodels; i++)
		if (models[i] == fn)
			return i;
	if (nmodels == MAX_MODELS) {
		fprintf(stderr, "parbench: tasks: more than %d models\n", MAX_MODELS);
		exit(1);
	}
	models[nmodels] = fn;
	return nmodels++;
}

void tasks_plan(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
		tasks_model_fn fn, bool sweep_workers)
{
	double task_ms = PB_PICK(cfg, 100.0, 200.0, 1000.0);
	enum workload_kind kinds[] = { WL_IO, WL_CPU };

	for (int k = 0; k < 2; k++) {
		int ntasks = kinds[k] == WL_IO ? IO_TASKS : cpu_tasks(cfg), w[64], nw = 1;
		struct pb_case c = {
			.experiment = "tasks",
			.model = model,
			.workload = workload_name(kinds[k]),
			.param = "task_ms",
			.param_value = task_ms,
			.run = tasks_case_run,
			.arg = { kinds[k], ntasks, model_index(fn) },
			/* worst case: all tasks one after another, on a busy machine */
			.budget_s = 10.0 + 4.0 * ntasks * task_ms / 1000.0,
		};

		snprintf(c.extra, sizeof(c.extra), "n:%d", ntasks);
		w[0] = 1;
		if (sweep_workers)
			nw = worker_sweep(cfg, ntasks, w, 64);
		for (int i = 0; i < nw; i++) {
			c.workers = w[i];
			pb_plan_add(plan, &c);
		}
	}
}

static const struct pb_case *serial_of(const struct pb_report *rep, const struct pb_case *c)
{
	for (size_t j = 0; j < pb_report_ncases(rep); j++) {
		const struct pb_case *s = pb_report_case(rep, j);

		if (strcmp(s->experiment, "tasks") == 0 && strcmp(s->model, "serial") == 0 &&
		    strcmp(s->workload, c->workload) == 0 && strcmp(s->extra, c->extra) == 0 &&
		    s->param_value == c->param_value)
			return s;
	}
	return NULL;
}

/* What a perfect model reaches with equal tasks: W workers need
 * ceil(n / W) rounds, and cpu work cannot finish before n tasks' worth of
 * work is spread over the PUs: speedup = n / max(ceil(n / W), n / PUs). */
static double ideal_speedup(const struct pb_config *cfg, const struct pb_case *c)
{
	double n = (double)c->arg[1], rounds = ceil(n / c->workers);

	if (c->arg[0] == WL_CPU && n / cfg->pus > rounds)
		rounds = n / cfg->pus;
	return n / rounds;
}

static void add_ideal(struct pb_report *rep, const struct pb_case *c, double serial_median)
{
	double x = ideal_speedup(pb_report_cfg(rep), c);
	struct stats_summary s = { .n = 1, .min = x, .median = x, .max = x };
	struct stats_summary w = { .n = 1 };

	w.min = w.median = w.max = serial_median / x;
	pb_report_row(rep, c, "ideal", "speedup", s, "x");
	pb_report_row(rep, c, "ideal", "wall_s", w, "s");
}

/* Speedup against serial for every case: median over median, and the
 * range from the slowest to the fastest repetition. */
static void tasks_summarize(struct pb_report *rep)
{
	int ideal_done[2][1025] = { { 0 } };

	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i), *base;
		struct stats_summary b, m, sp;

		if (strcmp(c->experiment, "tasks") != 0 || !(base = serial_of(rep, c)))
			continue;
		if (!pb_report_stat(rep, base->name, "wall_s", &b) ||
		    !pb_report_stat(rep, c->name, "wall_s", &m))
			continue;
		sp = (struct stats_summary){ .n = m.n < b.n ? m.n : b.n,
					     .min = b.median / m.max,
					     .median = b.median / m.median,
					     .max = b.median / m.min };
		pb_report_row(rep, c, NULL, "speedup", sp, "x");
		if (c->workers <= 1024 && !ideal_done[c->arg[0] == WL_CPU][c->workers]++)
			add_ideal(rep, c, b.median);
		if (c != base && c->workers == c->arg[1])
			pb_report_note(
				rep,
				"tasks %s, %s: %d tasks of %g ms with %d workers take %.3f s (%.3f–%.3f), serial %.3f s: speedup %.2f× (ideal %.2f×)",
				c->model, c->workload, (int)c->arg[1], c->param_value, c->workers,
				m.median, m.min, m.max, b.median, sp.median,
				ideal_speedup(pb_report_cfg(rep), c));
	}
}

const struct pb_experiment tasks_suite = {
	.name = "tasks",
	.summary = "N independent io or cpu tasks on W workers: speedup against serial",
	.summarize = tasks_summarize,
};
