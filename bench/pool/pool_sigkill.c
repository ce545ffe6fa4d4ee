/* SPDX-License-Identifier: MIT */
/*
 * pool-sigkill — a worker SIGKILLed in the middle of a map: the task it
 * held fails with "worker died (signal 9)", a new worker takes its slot,
 * every other task completes, nothing hangs and no child is left behind
 * (Python's own pool waits for ever).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pool_common.h"

/* Count the results of the map, and the one "worker died" of the victim. */
static size_t sigkill_count(const struct pool_result *rs, size_t n, size_t *died)
{
	size_t ok = 0;

	*died = 0;
	for (size_t i = 0; i < n; i++) {
		ok += rs[i].status == POOL_OK;
		*died += rs[i].status == POOL_EDIED && i == n / 2 &&
			 strcmp(rs[i].data, "worker died (signal 9)") == 0;
	}
	return ok;
}

/* A map of n tasks with Python's default chunksize; task n / 2 SIGKILLs
 * its worker. Expected: n - 1 results, one "worker died (signal 9)", a
 * replacement worker, no hang, and no child left after join. */
static int sigkill_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n"), ok, died;
	struct pe_kill_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p = a && rs ? pe_start_pool(ctx, c->workers) : NULL;
	struct pool_stats st;
	bool children_left;
	uint64_t t0;

	if (!p) {
		free(a);
		free(rs);
		return a && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct pe_kill_arg){ (int64_t)i, (int64_t)(n / 2) };
	t0 = pe_timer_begin(ctx);
	pool_map(p, pe_kill_at_task, a, sizeof(*a), n, 0, rs);
	pe_timer_end(ctx, t0);
	ok = sigkill_count(rs, n, &died);
	st = pool_stats(p);
	pool_results_free(rs, n);
	pe_stop_pool(p);
	children_left = waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD;
	pb_metric(ctx, "results_count", (double)ok, "count");
	pb_metric(ctx, "errors_count", (double)(n - ok), "count");
	pb_metric(ctx, "workers_died_count", (double)st.workers_died, "count");
	pb_metric(ctx, "workers_started_count", (double)st.workers_started, "count");
	pb_metric(ctx, "children_left_count", children_left, "count");
	free(a);
	free(rs);
	if (ok != n - 1 || died != 1 || children_left)
		return pb_fail(ctx, "%zu results, %zu worker-died errors, children left: %s", ok,
			       n - ok, children_left ? "yes" : "no");
	return 0;
}

static void sigkill_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-sigkill",
			     .model = "pool",
			     .workers = cfg->pus,
			     .run = sigkill_run,
			     .budget_s = 30 };

	pb_case_name(&c, "n", 1000);
	pb_plan_add(plan, &c);
}

static void sigkill_summarize(struct pb_report *rep)
{
	const struct pb_case *c =
		pb_report_find(rep, &(struct pb_case_key){ .experiment = "pool-sigkill" });
	double ok = pb_report_median(rep, c, "results_count");
	double bad = pb_report_median(rep, c, "errors_count");
	double left = pb_report_median(rep, c, "children_left_count");
	struct pb_finding *f;

	if (isnan(ok))
		return;
	f = pb_report_finding(rep, "recovered",
			      "pool-sigkill: a worker SIGKILLed in the middle of a 1,000-task map: "
			      "results, \"worker died (signal 9)\" errors, a replacement worker, "
			      "children left, and the time to the end (no hang); acceptance: 999 "
			      "results, 1 error, no child left");
	pb_finding_stat(f, rep, c, "results", "results_count", "");
	pb_finding_stat(f, rep, c, "errors", "errors_count", "");
	pb_finding_stat(f, rep, c, "children left", "children_left_count", "");
	pb_finding_stat(f, rep, c, "done in", "wall_s", "s");
	pb_finding_verdict(f, pe_verdict(ok == 999 && bad == 1 && left == 0), NULL);
}

/* pool-sigkill's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_sigkill_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_sigkill_experiment = {
	.name = "pool-sigkill",
	.summary = "a worker SIGKILLed in the middle of a map: one error, a new worker, no hang",
	.teaches =
		"A pool worker killed in the middle of a map: what the pool reports and that it does not "
		"hang.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	/* table only: a correctness check (results, errors, a replacement
	 * worker, no child left): counts that must be exact, not a trend. */
	.figures = PB_TABLE_ONLY,
	.plan = sigkill_plan,
	.summarize = sigkill_summarize,
	.params = pool_sigkill_params,
};
