/* SPDX-License-Identifier: MIT */
/*
 * pool-worklog — the seed's other pool (004): Pool(2).map(work_log,
 * [A 5, B 2, C 1, D 3]) as a timeline. Which worker takes which item, and
 * when, shows how map hands out work: C and D follow B on B's worker while
 * A keeps the other one busy.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pool_common.h"

/* With Python's default chunksize (1 here), sleeps scaled by the profile.
 * A and B start at once; C takes B's worker when B ends, D takes it after
 * C, and A ends last but one: the map returns when D does, at 6 s × scale. */
static const double worklog_secs[] = { 5, 2, 1, 3 };
#define WORKLOG_TASKS (sizeof(worklog_secs) / sizeof(worklog_secs[0]))

static int worklog_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct pool_result rs[WORKLOG_TASKS];
	struct pool *p = pe_start_pool(ctx, c->workers);
	double secs[WORKLOG_TASKS];
	uint64_t t0;
	int rc = 0;

	if (!p)
		return -1;
	for (size_t i = 0; i < WORKLOG_TASKS; i++)
		secs[i] = worklog_secs[i] * c->param_value;
	t0 = pe_timer_begin(ctx);
	if (pool_map(p, pe_timed_sleep_task, secs, sizeof(secs[0]), WORKLOG_TASKS, 0, rs) != 0)
		rc = pb_fail(ctx, "pool_map(work_log) failed: %s",
			     rs[0].status != POOL_OK && rs[0].data ? rs[0].data : "no result");
	pe_timer_end(ctx, t0);
	for (size_t i = 0; i < WORKLOG_TASKS && rc == 0; i++) {
		struct pe_span sp;

		memcpy(&sp, rs[i].data, sizeof(sp));
		pe_span_metrics(ctx, i, &sp, t0, secs[i]);
	}
	pool_results_free(rs, WORKLOG_TASKS);
	pool_destroy(p);
	return rc;
}

static void worklog_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-worklog",
			     .model = "pool",
			     .workers = 2,
			     .param = "scale",
			     .param_value = PB_PICK(cfg, 0.01, 0.05, 1.0),
			     .run = worklog_run,
			     .budget_s = 30 };

	pb_case_name(&c, "n", WORKLOG_TASKS);
	/* the seed's work_log sleeps, about 6 s of wall at scale 1 (default run
	 * 20261130T204845Z: 0.3 s at 0.05) */
	c.est_s = 0.02 + 6.0 * c.param_value;
	pb_plan_add(plan, &c);
}

/* Which worker took each work_log item, and when: C and D must follow B on
 * B's worker while A keeps the other one busy. */
static void worklog_summarize(struct pb_report *rep)
{
	static const char *const task = "ABCD";
	const struct pb_case *c =
		pb_report_find(rep, &(struct pb_case_key){ .experiment = "pool-worklog" });
	struct pb_finding *f;
	char name[32], metric[32];

	if (!c || isnan(pb_report_median(rep, c, "wall_s")))
		return;
	f = pb_report_finding(rep, "timeline",
			      "pool-worklog: Pool(2).map(work_log, A 5, B 2, C 1, D 3 × scale): "
			      "when each item starts and on which worker, and when the map "
			      "returns");
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%c starts", task[i]);
		snprintf(metric, sizeof(metric), "task%d_start_s", i + 1);
		pb_finding_stat(f, rep, c, name, metric, "s");
		snprintf(name, sizeof(name), "%c on worker", task[i]);
		snprintf(metric, sizeof(metric), "task%d_worker", i + 1);
		pb_finding_stat(f, rep, c, name, metric, "");
	}
	pb_finding_stat(f, rep, c, "map returns", "wall_s", "s");
}

/* pool-worklog's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_worklog_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "scale", PB_REAL, "x", "the seed's sleeps, scaled" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_worklog_experiment = {
	.name = "pool-worklog",
	.summary = "the seed's Pool(2).map(work_log, ...) as a timeline: who takes which item, "
		   "when",
	.teaches =
		"The seed's Pool(2).map over tasks of 5, 2, 1 and 3 units: C and D follow B on the worker"
		" that finished first.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	.figures = "pool-worklog",
	.plan = worklog_plan,
	.summarize = worklog_summarize,
	.params = pool_worklog_params,
};
