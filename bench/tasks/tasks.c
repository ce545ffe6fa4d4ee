/* SPDX-License-Identifier: MIT */
/*
 * tasks — N independent io or cpu tasks on W workers, for every model
 * (serial, fork, threads, threads-gil, pool, coroutines): what each model's workers buy
 * against doing the tasks one after another, and how far that is from what
 * a perfect model would reach.
 */
#include "tasks.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threads.h"

#define IO_TASKS 5 /* the seed's five downloads */
#define MAX_MODELS 16

/* ------------------------------------------------------------- the plan */

/* The models planned so far; a case names its model by index
 * ("model_index"), as a case carries numbers, not pointers. */
static tasks_model_fn models[MAX_MODELS];
static int nmodels;

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

int tasks_count(const struct pb_config *cfg, enum workload_kind kind)
{
	if (kind == WL_IO)
		return IO_TASKS;
	return cfg->pus > 2 ? cfg->pus : 2;
}

int tasks_sweep_to(int hi, int *w, int max)
{
	int n = 0;

	for (int x = 1; x <= hi && n < max; x = x < 8 ? x + 1 : x * 2)
		w[n++] = x;
	if (n > 0 && w[n - 1] != hi && n < max)
		w[n++] = hi;
	return n;
}

int tasks_workers(const struct pb_config *cfg, int ntasks, int *w, int max)
{
	int hi = 2 * cfg->pus;

	if (cfg->profile == PROFILE_QUICK) {
		w[0] = ntasks; /* every task at once; serial is the baseline */
		return 1;
	}
	if (cfg->profile == PROFILE_DEFAULT) {
		/* from 2: one worker is serial again, and serial/w:1 is the
		 * curve's first point (a 5-minute budget on 2 PUs). On 2 PUs
		 * the cpu curve is then one point, w:2, as in quick: its
		 * speedup is the lesson, and the w:1 points of five models and
		 * their CPython twins took 13 s of a 7:16 default run (2-vCPU
		 * AMD EPYC VM, run 20261207T161308Z) */
		int n = tasks_sweep_to(ntasks, w, max);

		if (n < 2)
			return n;
		for (int i = 1; i < n; i++)
			w[i - 1] = w[i];
		return n - 1;
	}
	/* full: twice the PUs the tasks can use, or one past the task count */
	hi = 2 * (cfg->pus < ntasks ? cfg->pus : ntasks);
	hi = hi > ntasks + 1 ? hi : ntasks + 1;
	return tasks_sweep_to(hi, w, max);
}

double tasks_task_ms(const struct pb_config *cfg, enum workload_kind kind)
{
	double most = PB_PICK(cfg, 800.0, 1600.0, 1000.0) / tasks_count(cfg, WL_CPU);
	double task_ms = kind == WL_IO ? PB_PICK(cfg, 50.0, 50.0, 200.0) :
					 PB_PICK(cfg, 100.0, 100.0, 500.0);

	return kind == WL_IO || task_ms <= most ? task_ms : floor(most);
}

/* W workers run n tasks in ceil(n / W) rounds; cpu work cannot go faster
 * than the PUs allow, and under the GIL not faster than serial. Plus
 * starting W workers. */
double tasks_estimate(const struct pb_config *cfg, bool cpu, bool serial, int n, int w,
		      double task_ms)
{
	double rounds = ceil((double)n / w);

	if (cpu && (double)n / cfg->pus > rounds)
		rounds = (double)n / cfg->pus;
	if (cpu && serial)
		rounds = n;
	return 0.02 + rounds * task_ms / 1000.0 + 0.0005 * w;
}

static int tasks_case_run(struct pb_ctx *ctx, const struct pb_case *c);

/* Add model's cases of kind: n tasks of ms each, at the nw worker counts w. */
static void tasks_add(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
		      tasks_model_fn fn, enum workload_kind kind, double ms, const int *w, int nw)
{
	int ntasks = tasks_count(cfg, kind);
	struct pb_case c = {
		.experiment = "tasks",
		.model = model,
		.workload = workload_name(kind),
		.param = "task_ms",
		.param_value = ms,
		.run = tasks_case_run,
		/* worst case: all tasks one after another, on a busy machine */
		.budget_s = 10.0 + 4.0 * ntasks * ms / 1000.0,
	};

	pb_case_set(&c, "workload_kind", kind);
	pb_case_name(&c, "n", ntasks); /* the number of tasks, "n:5" */
	pb_case_set(&c, "model_index", model_index(fn));
	for (int i = 0; i < nw; i++) {
		c.workers = w[i];
		c.est_s = tasks_estimate(cfg, kind == WL_CPU, strcmp(model, "threads-gil") == 0,
					 ntasks, w[i], ms);
		pb_plan_add(plan, &c);
	}
}

void tasks_plan(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
		tasks_model_fn fn, bool sweep_workers)
{
	enum workload_kind kinds[] = { WL_IO, WL_CPU };

	for (int k = 0; k < 2; k++) {
		int w[64] = { 1 }, nw = 1;

		if (sweep_workers)
			nw = tasks_workers(cfg, tasks_count(cfg, kinds[k]), w, 64);
		tasks_add(plan, cfg, model, fn, kinds[k], tasks_task_ms(cfg, kinds[k]), w, nw);
	}
	/* full: the seeds' own programs too, 5 io tasks of 1 s, serial and all
	 * at once (single_process.py, multi_process.py: 5.01 s and 1.04 s) */
	if (cfg->profile == PROFILE_FULL) {
		int w = sweep_workers ? tasks_count(cfg, WL_IO) : 1;

		tasks_add(plan, cfg, model, fn, WL_IO, TASKS_SEED_MS, &w, 1);
	}
}

static void tasks_experiment_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	tasks_plan(plan, cfg, "serial", serial_run_tasks, false);
	tasks_plan(plan, cfg, "fork", fork_run_tasks, true);
	tasks_plan(plan, cfg, "threads", threads_run_tasks, true);
	tasks_plan(plan, cfg, "threads-gil", threads_gil_run_tasks, true);
	tasks_plan(plan, cfg, "pool", pool_run_tasks, true);
	tasks_plan(plan, cfg, "coroutines", coroutines_run_tasks, true);
}

/* -------------------------------------------------------------- the run */

/* The per-task metrics of a successful run: how many tasks returned, and
 * the PU each ran on. */
static void report_tasks(struct pb_ctx *ctx, const struct tasks_result *r, int ntasks)
{
	pb_metric(ctx, "tasks_done", ntasks, "count");
	pb_report_pus(ctx, r->ran_on, ntasks);
	for (int i = 0; i < ntasks && i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "task%d_pu", i);
		pb_metric(ctx, name, r->ran_on[i], "pu");
	}
}

static int tasks_case_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct tasks_spec s = {
		.workload = (enum workload_kind)pb_case_get(c, "workload_kind"),
		.ntasks = (int)pb_case_get(c, "n"),
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
	rc = models[pb_case_get(c, "model_index")](&s, &r);
	pb_timer_stop(ctx);
	/* --verify, always: every task ran once and returned its own value
	 * (io returns its seed; a cpu chain from a non-zero seed never hits 0). */
	for (int i = 0; i < s.ntasks && rc == 0; i++)
		done += s.workload == WL_IO ? r.value[i] == tasks_seed(i) : r.value[i] != 0;
	if (rc == 0 && done != s.ntasks)
		rc = -1, snprintf(r.error, sizeof(r.error),
				  "only %d of %d tasks returned their result", done, s.ntasks);
	if (rc == 0)
		report_tasks(ctx, &r, s.ntasks);
	free(r.value);
	free(r.ran_on);
	return rc == 0 ? 0 : pb_fail(ctx, "%s", r.error);
}

/* ---------------------------------------------------------- the summary */

/* A CPython case (bench/cpython/): its own serial, no "workload_kind" param. */
static bool is_cpython(const struct pb_case *c)
{
	return strncmp(c->model, "cpython-", 8) == 0;
}

/* serial's case (cpython-serial's for a CPython case) for the same
 * workload, task count and task length as c. */
static const struct pb_case *serial_of(const struct pb_report *rep, const struct pb_case *c)
{
	struct pb_case_key key = { .experiment = "tasks",
				   .model = is_cpython(c) ? "cpython-serial" : "serial",
				   .workload = c->workload,
				   .extra = c->extra,
				   .param = c->param,
				   .param_value = c->param_value };

	return pb_report_find(rep, &key);
}

/* What a perfect model reaches with equal tasks: W workers need
 * ceil(n / W) rounds, and cpu work cannot finish before n tasks' worth of
 * work is spread over the PUs: speedup = n / max(ceil(n / W), n / PUs). */
static double ideal_speedup(const struct pb_config *cfg, const struct pb_case *c)
{
	double n = (double)pb_case_get(c, "n"), rounds = ceil(n / c->workers);

	if (strcmp(c->workload, "cpu") == 0 && n / cfg->pus > rounds)
		rounds = n / cfg->pus;
	return n / rounds;
}

/* The ideal model's speedup, and the wall time it would take (one value
 * each, n = 1). */
static void add_ideal(struct pb_report *rep, const struct pb_case *c, double serial_median)
{
	double x = ideal_speedup(pb_report_cfg(rep), c);
	struct stats_summary s = { .n = 1, .min = x, .median = x, .max = x };
	struct stats_summary w = { .n = 1 };

	w.min = w.median = w.max = serial_median / x;
	pb_report_row(rep, c, "ideal", "speedup", s, "x");
	pb_report_row(rep, c, "ideal", "wall_s", w, "s");
}

/* "<workload>_<model>_speedup", '-' as '_': tasks.cpu_threads_gil_speedup */
static void speedup_id(const struct pb_case *c, char *id, size_t len)
{
	snprintf(id, len, "%s_%s_speedup", c->workload, c->model);
	for (char *p = id; *p; p++)
		*p = *p == '-' ? '_' : *p;
}

/* What the lesson says of a speedup: a model scales when it reaches 3/4 of
 * the ideal, does not when it stays under 1.25x (the fidelity table's
 * threshold for "no speed-up"). */
static const char *scaling_verdict(double speedup, double ideal)
{
	if (speedup >= 0.75 * ideal)
		return "scales";
	return speedup < 1.25 ? "does not scale" : "scales partly";
}

/* A model with a worker per task against serial: both wall times, the
 * speedup (median over median) and per repetition pair (serial's
 * repetition r over the model's repetition r; with --interleave they ran
 * in the same stretch of the run), the ideal, and whether it scales. */
static void speedup_finding(struct pb_report *rep, const struct pb_case *base,
			    const struct pb_case *c, const struct stats_summary *m,
			    const struct stats_summary *sp)
{
	double ideal = ideal_speedup(pb_report_cfg(rep), c);
	struct stats_summary bs;
	struct pb_paired p;
	struct pb_finding *f;
	char id[96];

	bool paired = pb_report_paired(rep, base, c, "wall_s", &p);

	speedup_id(c, id, sizeof(id));
	f = pb_report_finding(rep, id,
			      "tasks %s, %s: %d tasks of %g ms on %d workers against serial%s",
			      c->model, c->workload, (int)pb_case_get(c, "n"), c->param_value,
			      c->workers,
			      paired && !p.interleaved ? " (repetitions not interleaved)" : "");
	pb_finding_figure(f, "wall_s", *m, "s");
	if (pb_report_stat(rep, base->name, "wall_s", &bs))
		pb_finding_figure(f, "serial wall_s", bs, "s");
	pb_finding_figure(f, "speedup", *sp, "x");
	if (paired) {
		pb_finding_figure(f, "speedup per pair", p.s, "x");
		pb_finding_value(f, "pair gap", p.gap_median, "repetitions");
	}
	pb_finding_value(f, "ideal speedup", ideal, "x");
	pb_finding_verdict(f, scaling_verdict(sp->median, ideal), NULL);
}

/* Speedup against serial for every case (serial's wall time over the
 * model's, by pb_report_ratio's convention: median over median, the range
 * from the extremes) and per repetition pair, one ideal line per workload
 * and worker count, and a finding for each model with a worker per task. */
static void speedup_rows(struct pb_report *rep)
{
	const struct pb_case_key all = { .experiment = "tasks" };
	bool ideal_done[2][1025] = { { false } };
	const struct pb_case *c = NULL, *base;

	while ((c = pb_report_next(rep, &all, c))) {
		struct stats_summary m, sp;
		struct pb_paired p;
		bool cpu = strcmp(c->workload, "cpu") == 0;

		if (!(base = serial_of(rep, c)) || !pb_report_ratio(rep, base, c, "wall_s", &sp) ||
		    !pb_report_stat(rep, c->name, "wall_s", &m))
			continue;
		pb_report_row(rep, c, NULL, "speedup", sp, "x");
		if (!is_cpython(c) && c->workers <= 1024 && !ideal_done[cpu][c->workers]) {
			ideal_done[cpu][c->workers] = true;
			add_ideal(rep, c, pb_report_median(rep, base, "wall_s"));
		}
		if (pb_report_paired(rep, base, c, "wall_s", &p))
			pb_report_row(rep, c, NULL, "speedup_paired", p.s, "x");
		if (c != base && c->workers == pb_case_get(c, "n"))
			speedup_finding(rep, base, c, &m, &sp);
	}
}

/* The case of model and workload with a worker per task (the first one). */
static const struct pb_case *one_worker_per_task(const struct pb_report *rep, const char *model,
						 const char *workload)
{
	const struct pb_case_key key = { .experiment = "tasks",
					 .model = model,
					 .workload = workload };
	const struct pb_case *c = NULL;

	while ((c = pb_report_next(rep, &key, c)))
		if (c->workers == pb_case_get(c, "n"))
			return c;
	return NULL;
}

/* The acceptance figures for the thread models, from this run: cpu
 * speedups against serial with a worker per task, and the io wall time,
 * under the GIL and without it. */
static void threads_findings(struct pb_report *rep)
{
	const char *names[] = { "threads-gil", "threads" };
	struct stats_summary sp[2], io[2];
	const struct pb_case *cpu[2], *ioc[2];
	struct pb_finding *f;

	for (int m = 0; m < 2; m++) {
		cpu[m] = one_worker_per_task(rep, names[m], "cpu");
		ioc[m] = one_worker_per_task(rep, names[m], "io");
		if (!pb_report_ratio(rep, cpu[m] ? serial_of(rep, cpu[m]) : NULL, cpu[m], "wall_s",
				     &sp[m]))
			cpu[m] = NULL;
		if (!ioc[m] || !pb_report_stat(rep, ioc[m]->name, "wall_s", &io[m]))
			ioc[m] = NULL;
	}
	if (cpu[0] && cpu[1]) {
		f = pb_report_finding(rep, "cpu_gil_vs_free_threads",
				      "tasks cpu, %d tasks of %g ms on %d workers: speedup over "
				      "serial under the GIL and without it",
				      (int)pb_case_get(cpu[0], "n"), cpu[0]->param_value,
				      cpu[0]->workers);
		pb_finding_figure(f, "threads-gil", sp[0], "x");
		pb_finding_figure(f, "threads", sp[1], "x");
	}
	if (ioc[0] && ioc[1]) {
		f = pb_report_finding(rep, "io_gil_vs_free_threads",
				      "tasks io, %d tasks of %g ms on %d workers: wall time under "
				      "the GIL and without it",
				      (int)pb_case_get(ioc[0], "n"), ioc[0]->param_value,
				      ioc[0]->workers);
		pb_finding_figure(f, "threads-gil", io[0], "s");
		pb_finding_figure(f, "threads", io[1], "s");
	}
}

static void tasks_summarize(struct pb_report *rep)
{
	speedup_rows(rep);
	threads_findings(rep);
	pb_report_cv_note(rep, &(struct pb_case_key){ .experiment = "tasks" }, "wall_s");
}

/* tasks's parameters (cases.csv's units and types) */
static const struct pb_param_decl tasks_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "task_ms", PB_REAL, "ms", "how long one task sleeps (io) or computes (cpu)" },
	{ "workload_kind", PB_INT, "",
	  "the workload as enum workload_kind (the workload column in words)" },
	{ "model_index", PB_INT, "", "the task runner, an index into the model table" },
	{ 0 }, /* the end */
};

const struct pb_experiment tasks_experiment = {
	.name = "tasks",
	.summary = "N independent io or cpu tasks on W workers: serial, fork, threads (no GIL, "
		   "the ideal), threads-gil, pool, coroutines",
	.teaches =
		"N independent tasks, each either io (it sleeps, like a download) or cpu (it computes on "
		"one core), run on W workers by six models from the tutorials: serial "
		"(single_process.py), fork (a Process per task), threads without a GIL, threads under a "
		"model of CPython's GIL, a process pool, and coroutines (W of them on an event loop in "
		"one thread). IO tasks overlap under every model, the GIL included, because a thread that"
		" waits has dropped the lock; CPU tasks gain only where workers really run in parallel, "
		"and never beyond the number of processing units (PUs).",
	.headline = { "speedup", "x", PB_HIGHER_IS_BETTER },
	.figures = "tasks tasks-sweep",
	.cpython_twin = "tasks.py",
	.plan = tasks_experiment_plan,
	.summarize = tasks_summarize,
	.params = tasks_params,
};
