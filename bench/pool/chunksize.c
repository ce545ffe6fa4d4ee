/* SPDX-License-Identifier: MIT */
/*
 * chunksize — why map sends chunks: many no-work tasks mapped with chunksize
 * 1 to 1024, and with Python's default ceil(n / (4 W)). One message per task
 * costs a wake-up per task; a chunk shares it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_common.h"

/* One repetition: map n no-work tasks with the case's chunksize, timed. */
static int chunksize_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n"), chunksize = (size_t)c->param_value, bad = 0;
	int64_t *xs = calloc(n, sizeof(*xs));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p = xs && rs ? pe_start_pool(ctx, c->workers) : NULL;
	int rc;

	if (!p) {
		free(xs);
		free(rs);
		return xs && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		xs[i] = (int64_t)i;
	pb_timer_start(ctx);
	rc = pool_map(p, pe_echo_task, xs, sizeof(*xs), n, chunksize, rs);
	pb_metric(ctx, "per_task_us", pb_timer_stop(ctx) * 1e6 / (double)n, "us");
	for (size_t i = 0; i < n; i++)
		bad += rs[i].status != POOL_OK || memcmp(rs[i].data, &xs[i], sizeof(xs[i])) != 0;
	pool_results_free(rs, n);
	pe_stop_pool(p);
	free(xs);
	free(rs);
	if (rc != 0 || bad)
		return pb_fail(ctx, "map: %zu of %zu results wrong (%s)", bad, n,
			       pool_status_name(rc));
	return 0;
}

int chunksize_tasks(const struct pb_config *cfg)
{
	/* default as quick: CPython's chunksize-1 twin at 20,000 took 3.5 s of
	 * a 5:11 default make bench on a 2-vCPU AMD EPYC VM, run 20261207T190057Z */
	return PB_PICK(cfg, 10000, 10000, 100000);
}

/* The cases: chunksize 1 to 1024 (quick: four of them), and Python's default. */
static void chunksize_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int sizes[] = { 1, 4, 16, 64, 256, 1024 };
	int n = chunksize_tasks(cfg);
	struct pb_case c = { .experiment = "chunksize",
			     .model = "pool",
			     .workers = cfg->pus,
			     .param = "chunksize",
			     .run = chunksize_run,
			     .budget_s = 60 };

	pb_case_name(&c, "n", n);
	for (int k = 0; k < 6; k++) {
		if (cfg->profile == PROFILE_QUICK && (sizes[k] == 4 || sizes[k] == 256))
			continue; /* quick: 1, 16, 64, 1024 */
		c.param_value = sizes[k];
		pb_plan_add(plan, &c);
	}
	/* Python's choice: ceil(n / (4 W)) */
	c.model = "pool-default";
	c.param_value = (double)pool_default_chunksize((size_t)n, cfg->pus);
	pb_plan_add(plan, &c);
}

/* The finding: how much faster chunks of 64 are than one task a message. */
static void chunksize_summarize(struct pb_report *rep)
{
	struct pb_case_key key = { .experiment = "chunksize",
				   .model = "pool",
				   .param = "chunksize" };
	const struct pb_case *one, *c64, *def;
	struct stats_summary r;
	struct pb_finding *f;

	key.param_value = 1;
	one = pb_report_find(rep, &key);
	key.param_value = 64;
	c64 = pb_report_find(rep, &key);
	def = pb_report_find(rep, &(struct pb_case_key){ .experiment = "chunksize",
							 .model = "pool-default" });
	if (!pb_report_ratio(rep, one, c64, "wall_s", &r))
		return;
	f = pb_report_finding(rep, "chunks_of_64",
			      "chunksize: %lld tiny tasks with chunksize 1 against chunksize 64 "
			      "(acceptance ≥ 10× faster), and Python's default chunksize",
			      def ? (long long)pb_case_get(def, "n") : 0LL);
	pb_finding_stat(f, rep, one, "chunksize 1", "wall_s", "s");
	pb_finding_stat(f, rep, c64, "chunksize 64", "wall_s", "s");
	pb_finding_figure(f, "1 / 64", r, "x");
	if (def) {
		pb_finding_value(f, "default chunksize", def->param_value, "");
		pb_finding_stat(f, rep, def, "default", "wall_s", "s");
	}
	pb_finding_verdict(f, pe_verdict(r.median >= 10), NULL);
}

/* chunksize's parameters (cases.csv's units and types) */
static const struct pb_param_decl chunksize_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "chunksize", PB_REAL, "count",
	  "tasks a worker takes at once (the pool's default: chosen by the pool)" },
	{ 0 }, /* the end */
};

const struct pb_experiment chunksize_experiment = {
	.name = "chunksize",
	.summary = "why map sends chunks: tiny tasks with chunksize 1 to 1024 and Python's default",
	.teaches =
		"Why Pool.map sends tasks in chunks: fewer messages per task, at the price of coarser "
		"load balancing.",
	.headline = { "per_task_us", "us", PB_LOWER_IS_BETTER },
	.figures = "chunksize",
	.cpython_twin = "pool.py mode=chunksize",
	.plan = chunksize_plan,
	.summarize = chunksize_summarize,
	.params = chunksize_params,
};
