/* SPDX-License-Identifier: MIT */
/*
 * tasks_twin — the CPython twin of the tasks experiment (bench/cpython/tasks.py):
 * model cpython-<model>, the C models' task counts, lengths and worker
 * sweeps, planned beside them so that a change to one is seen next to the
 * other. bench/cpython/'s experiment runs it (twins.h).
 */
#include <string.h>

#include "cpython.h"
#include "tasks.h"
#include "twins.h"

static const struct cpython_prog tasks_prog = { "tasks.py", NULL };

/* One tasks case of model: its kind's task count, ms each, on w workers. */
static void py_tasks_add(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
			 enum workload_kind kind, double ms, int w)
{
	int n = tasks_count(cfg, kind);
	struct pb_case c =
		cpython_case("tasks", model, workload_name(kind), &tasks_prog, 4.0 * n * ms / 1e3);

	c.param = "task_ms";
	c.param_value = ms;
	pb_case_name(&c, "n", n);
	c.workers = w;
	/* Python's start-up, then the C twin's estimate (serial: one task at a
	 * time, as are threads under the GIL for cpu) */
	c.est_s =
		CPYTHON_START_EST_S + tasks_estimate(cfg, kind == WL_CPU,
						     strcmp(model, "cpython-serial") == 0 ||
							     strcmp(model, "cpython-threads") == 0,
						     n, w, ms);
	pb_plan_add(plan, &c);
}

/* tasks: the C tasks' plan (bench/tasks/tasks.c): the same task counts,
 * lengths and worker sweeps; serial with 1 worker. */
static void plan_tasks(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-serial", "cpython-fork", "cpython-threads",
					      "cpython-pool", "cpython-coroutines" };

	for (int k = 0; k < 2; k++) {
		enum workload_kind kind = k == 0 ? WL_IO : WL_CPU;
		int n = tasks_count(cfg, kind), w[64], nw = tasks_workers(cfg, n, w, 64);
		double ms = tasks_task_ms(cfg, kind);

		for (int m = 0; m < 5; m++)
			for (int i = 0; i < (m == 0 ? 1 : nw); i++) {
				/* quick: serial, a process each and threads, the
				 * lesson's models (the pool and coroutine twins took
				 * 3 s of quick's minute, run 20261207T161142Z) */
				if (cfg->profile == PROFILE_QUICK && m >= 3)
					continue;
				/* default: the io tasks all at once, as quick (a
				 * 5-minute budget: w:2 too made the 14 twins take
				 * 20 s on a 2-vCPU AMD EPYC VM, run
				 * 20261207T161308Z; the C twins draw the curve).
				 * Serial (m = 0) is every speedup's baseline. */
				if (cfg->profile == PROFILE_DEFAULT && kind == WL_IO && m > 0 &&
				    w[i] != n)
					continue;
				py_tasks_add(plan, cfg, models[m], kind, ms, m == 0 ? 1 : w[i]);
			}
	}
	/* full: the seeds' own 5 io tasks of 1 s, as the C twins */
	for (int m = 0; cfg->profile == PROFILE_FULL && m < 5; m++)
		py_tasks_add(plan, cfg, models[m], WL_IO, TASKS_SEED_MS,
			     m == 0 ? 1 : tasks_count(cfg, WL_IO));
}

void tasks_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_tasks(plan, cfg);
}
