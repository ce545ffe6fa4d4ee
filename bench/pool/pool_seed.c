/* SPDX-License-Identifier: MIT */
/*
 * pool-seed — the seed's multi_pool.py as a timeline: Pool(4) and five
 * apply_async sleeps; tasks 1–4 run at once and task 5 waits for the first
 * free worker. Each task's worker, start and end feed a Gantt chart.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pool_common.h"

#define SEED_TASKS 5
#define SEED_WORKERS 4
#define SEED_SEED 3232u /* the seed's parent pid, for a seed */

/* Pool(4), five apply_async(task) sleeping random() * 3 s (times the
 * profile's scale), close, join. Each task's worker, start and end (from
 * the first apply_async) become metrics: task1_worker, task1_start_s,
 * task1_end_s, ... for the Gantt chart. */
static int seed_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct pool_async *h[SEED_TASKS] = { 0 };
	struct pool *p = pe_start_pool(ctx, SEED_WORKERS);
	uint64_t state = SEED_SEED, t0;
	double secs[SEED_TASKS];
	int rc = 0;

	if (!p)
		return -1;
	for (int i = 0; i < SEED_TASKS; i++)
		secs[i] = pe_random_unit(&state) * 3.0 * c->param_value;
	t0 = pe_timer_begin(ctx);
	for (int i = 0; i < SEED_TASKS; i++)
		h[i] = pool_apply_async(p, pe_timed_sleep_task, &secs[i], sizeof(secs[i]));
	pool_close(p);
	pool_join(p);
	pe_timer_end(ctx, t0);
	for (int i = 0; i < SEED_TASKS; i++) {
		const struct pool_result *r;
		struct pe_span s;

		if (!h[i] || pool_async_get(h[i], 0, &r) != 0) {
			rc = pb_fail(ctx, "task %d failed", i + 1);
			break;
		}
		memcpy(&s, r[0].data, sizeof(s));
		pe_span_metrics(ctx, (size_t)i, &s, t0, secs[i]);
	}
	pb_metric(ctx, "seed", SEED_SEED, "count");
	for (int i = 0; i < SEED_TASKS; i++)
		pool_async_free(h[i]);
	pool_destroy(p);
	return rc;
}

static void seed_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-seed",
			     .model = "pool",
			     .workers = SEED_WORKERS,
			     .param = "scale",
			     .param_value = PB_PICK(cfg, 0.02, 0.1, 1.0),
			     .run = seed_run,
			     .budget_s = 30 };

	pb_case_name(&c, "n", SEED_TASKS);
	/* the seed's sleeps (0 .. 3 s, scaled), about 4 s of wall at scale 1
	 * (default run 20261130T204845Z: 0.8 s at 0.2) */
	c.est_s = 0.05 + 4.0 * c.param_value;
	pb_plan_add(plan, &c);
}

static void seed_summarize(struct pb_report *rep)
{
	const struct pb_case *c =
		pb_report_find(rep, &(struct pb_case_key){ .experiment = "pool-seed" });
	double wall = pb_report_median(rep, c, "wall_s");
	double first_free = INFINITY;
	struct pb_finding *f;

	if (isnan(wall))
		return;
	for (int i = 1; i <= 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "task%d_end_s", i);
		first_free = fmin(first_free, pb_report_median(rep, c, name));
	}
	f = pb_report_finding(rep, "timeline",
			      "pool-seed: Pool(4) runs tasks 1–4 at once; task 5 waits for the "
			      "first free worker and starts then");
	pb_finding_value(f, "first free worker", first_free, "s");
	pb_finding_stat(f, rep, c, "task 5 starts", "task5_start_s", "s");
	pb_finding_stat(f, rep, c, "all done", "wall_s", "s");
}

/* pool-seed's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_seed_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "scale", PB_REAL, "x", "the seed's sleeps, scaled" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_seed_experiment = {
	.name = "pool-seed",
	.summary = "the seed's Pool(4) with five apply_async sleeps, as a timeline",
	.teaches =
		"The seed's Pool(4) with five apply_async calls of random sleeps: four tasks start at "
		"once and the fifth waits for a free worker.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	.figures = "pool-seed",
	.plan = seed_plan,
	.summarize = seed_summarize,
	.params = pool_seed_params,
};
