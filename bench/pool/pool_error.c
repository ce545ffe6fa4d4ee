/* SPDX-License-Identifier: MIT */
/*
 * pool-error — the seed's "an error in a pool.map task": one task of a map
 * raises. CPython's Pool survives it: map() raises the task's exception in
 * the caller (here: POOL_ETASK with its message), no worker dies or is
 * replaced, and the next map on the same pool completes. The CPython twin
 * is pool.py mode=error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool_common.h"

#define ERROR_N 100

/* Did the map raise the victim's error, and only it (mapstar stops its
 * chunk at the error: the chunk's later tasks are skipped)? */
static bool raised_victims(const struct pool_result *rs, size_t n, int rc)
{
	return rc == POOL_ETASK && rs[n / 2].status == POOL_ETASK &&
	       strstr(rs[n / 2].data, "failed") != NULL;
}

static size_t count_echoes(const struct pool_result *rs, size_t n)
{
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t v;

		if (rs[i].status == POOL_OK && rs[i].len == sizeof(v)) {
			memcpy(&v, rs[i].data, sizeof(v));
			ok += v == (int64_t)i;
		}
	}
	return ok;
}

/* map() of n tasks whose task n / 2 raises, then map() of n echoes on the
 * same pool. */
static int error_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n"), after;
	struct pe_kill_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p = a && rs ? pe_start_pool(ctx, c->workers) : NULL;
	struct pool_stats st;
	bool raised;
	uint64_t t0;

	if (!p) {
		free(a);
		free(rs);
		return a && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct pe_kill_arg){ (int64_t)i, (int64_t)(n / 2) };
	t0 = pe_timer_begin(ctx);
	raised = raised_victims(rs, n, pool_map(p, pe_raise_at_task, a, sizeof(*a), n, 0, rs));
	pool_results_free(rs, n);
	for (size_t i = 0; i < n; i++)
		a[i].victim = -1; /* no victim: every task returns its index */
	pool_map(p, pe_raise_at_task, a, sizeof(*a), n, 0, rs);
	pe_timer_end(ctx, t0);
	after = count_echoes(rs, n);
	pool_results_free(rs, n);
	st = pool_stats(p);
	pe_stop_pool(p);
	free(a);
	free(rs);
	pb_metric(ctx, "raised_count", raised, "count");
	pb_metric(ctx, "results_after_count", (double)after, "count");
	pb_metric(ctx, "workers_replaced_count", (double)(st.workers_started - (size_t)c->workers),
		  "count");
	if (!raised || after != n || st.workers_died)
		return pb_fail(ctx,
			       "map raised: %s; %zu of %zu results after it; %zu worker(s) died",
			       raised ? "yes" : "no", after, n, st.workers_died);
	return 0;
}

static void error_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-error",
			     .model = "pool",
			     .workers = cfg->pus,
			     .run = error_run,
			     .budget_s = 30,
			     .est_s = 0.02 }; /* 1.4-11 ms a repetition on a loaded 2-vCPU VM */

	pb_case_name(&c, "n", ERROR_N);
	pb_plan_add(plan, &c);
}

/* One finding per side that ran: the C model's and CPython's. */
static void error_finding(struct pb_report *rep, const char *model, const char *id)
{
	const struct pb_case *c =
		pb_report_find(rep,
			       &(struct pb_case_key){ .experiment = "pool-error", .model = model });
	double raised = pb_report_median(rep, c, "raised_count");
	double after = pb_report_median(rep, c, "results_after_count");
	double replaced = pb_report_median(rep, c, "workers_replaced_count");
	struct pb_finding *f;

	if (isnan(raised))
		return;
	f = pb_report_finding(rep, id,
			      "pool-error (%s): one task of a %d-task map raises: map() raises it in "
			      "the caller, no worker is replaced, and the next map on the same pool "
			      "returns every result (the pool survives; it is a dead worker, not an "
			      "exception, that hangs it: pool-sigkill); acceptance: raised 1, %d "
			      "results after, 0 workers replaced",
			      model, ERROR_N, ERROR_N);
	pb_finding_stat(f, rep, c, "raised", "raised_count", "");
	pb_finding_stat(f, rep, c, "results after", "results_after_count", "");
	pb_finding_stat(f, rep, c, "workers replaced", "workers_replaced_count", "");
	pb_finding_verdict(f, pe_verdict(raised == 1 && after == ERROR_N && replaced == 0), NULL);
}

static void error_summarize(struct pb_report *rep)
{
	error_finding(rep, "pool", "survives");
	error_finding(rep, "cpython-pool", "survives_cpython");
}

/* pool-error's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_error_params[] = {
	{ "n", PB_INT, "count", "the number of tasks of each map" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_error_experiment = {
	.name = "pool-error",
	.summary = "an exception in one task of a map: map() raises it, the pool survives",
	.teaches =
		"An exception in a pool.map task does not kill the pool: map() raises it in the "
		"caller, no worker dies, and the same pool runs the next map; on both sides (the "
		"C pool and CPython's).",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	.figures = PB_TABLE_ONLY,
	.cpython_twin = "pool.py mode=error",
	.plan = error_plan,
	.summarize = error_summarize,
	.params = pool_error_params,
};
