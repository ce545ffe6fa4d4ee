/* SPDX-License-Identifier: MIT */
/*
 * pool-sigkill — a worker SIGKILLed in the middle of a map, two lessons:
 *   pool          CPython's Pool (parbench's default, POOL_HANG): the dead
 *                 worker's chunk is lost, a new worker takes its slot, the
 *                 other chunks complete, and map() never returns; the
 *                 watchdog ends the case after its short budget, as it
 *                 expects ("hung as CPython's Pool does").
 *   pool-recover  parbench's recovery (POOL_RECOVER, not CPython's): the
 *                 task the worker died in fails with "worker died (signal
 *                 9)", the rest of its chunk runs again, nothing hangs and
 *                 no child is left behind.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "clock.h"
#include "pool_common.h"

#define SIGKILL_N 1000
/* The hang case's budget: its pool and its 1,000 tiny tasks take a few ms
 * (the hang began 17-55 ms after map_async at a load of 17 on a 2-vCPU
 * VM); the hang is the rest. Short, so that the lesson costs little. */
#define HANG_BUDGET_S 0.2
#define HANG_REASON "hung as CPython's Pool does"

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

static struct pe_kill_arg *kill_args(size_t n)
{
	struct pe_kill_arg *a = calloc(n, sizeof(*a));

	for (size_t i = 0; a && i < n; i++)
		a[i] = (struct pe_kill_arg){ (int64_t)i, (int64_t)(n / 2) };
	return a;
}

/* pool-recover: n - 1 results, one "worker died (signal 9)", a
 * replacement worker, no hang, and no child left after join. */
static int recover_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n"), ok, died;
	struct pe_kill_arg *a = kill_args(n);
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p =
		a && rs ? pe_start_pool_with(ctx, c->workers, pb_placement(ctx), POOL_RECOVER) :
			  NULL;
	struct pool_stats st;
	bool children_left;
	uint64_t t0;

	if (!p) {
		free(a);
		free(rs);
		return a && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
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

/* pool (CPython's semantics): wait until the death is seen and every chunk
 * but the lost one has its results, report what arrived, then get() as
 * map() does: for ever. The watchdog ends the case (hang_expected). */
static int hang_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n"), cs = pool_default_chunksize(n, c->workers);
	struct pe_kill_arg *a = kill_args(n);
	struct pool *p = a ? pe_start_pool(ctx, c->workers) : NULL;
	struct pool_async *h = p ? pool_map_async(p, pe_kill_at_task, a, sizeof(*a), n, 0) : NULL;
	struct pool_stats st = { 0 };
	uint64_t t0 = clock_now_ns();
	int rc;

	if (!h) {
		free(a);
		return p ? pb_fail(ctx, "map_async: %s", pool_error(p)) :
		       a ? -1 :
			   pb_fail(ctx, "calloc: out of memory");
	}
	while ((rc = pool_async_wait(h, 0.005)) == POOL_ETIMEDOUT) {
		st = pool_stats(p);
		if (st.workers_died && st.tasks_done + cs >= n)
			break;
	}
	if (rc == 0)
		return pb_fail(ctx,
			       "the map finished: the pool did not lose the dead worker's chunk");
	pb_metric(ctx, "results_count", (double)st.tasks_done, "count");
	pb_metric(ctx, "lost_count", (double)(n - st.tasks_done), "count");
	pb_metric(ctx, "workers_died_count", (double)st.workers_died, "count");
	pb_metric(ctx, "workers_started_count", (double)st.workers_started, "count");
	pb_metric(ctx, "hang_from_s", (double)(clock_now_ns() - t0) / 1e9, "s");
	rc = pool_async_get(h, -1, NULL); /* CPython's map(): never returns */
	return pb_fail(ctx, "get returned %d: the pool did not hang", rc);
}

static void sigkill_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-sigkill",
			     .model = "pool",
			     .workers = cfg->pus,
			     .run = hang_run,
			     .budget_s = HANG_BUDGET_S,
			     .est_s = HANG_BUDGET_S,
			     .hang_expected = HANG_REASON };

	pb_case_name(&c, "n", SIGKILL_N);
	pb_plan_add(plan, &c);
	c = (struct pb_case){ .experiment = "pool-sigkill",
			      .model = "pool-recover",
			      .workers = cfg->pus,
			      .run = recover_run,
			      .budget_s = 30 };
	pb_case_name(&c, "n", SIGKILL_N);
	pb_plan_add(plan, &c);
}

/* CPython's lesson: the results that arrived, the chunk lost, the new
 * worker, and the hang (hung_s: the watchdog's record of each hung
 * repetition). */
static void hang_finding(struct pb_report *rep)
{
	const struct pb_case *c =
		pb_report_find(rep, &(struct pb_case_key){ .experiment = "pool-sigkill",
							   .model = "pool" });
	double ok = pb_report_median(rep, c, "results_count");
	double lost = pb_report_median(rep, c, "lost_count");
	double hung = pb_report_median(rep, c, "hung_s");
	size_t cs = c ? pool_default_chunksize(SIGKILL_N, c->workers) : 0;
	struct pb_finding *f;

	if (isnan(ok))
		return;
	f = pb_report_finding(rep, "hung",
			      "pool-sigkill, CPython's Pool (parbench's default): a worker SIGKILLed "
			      "in the middle of a 1,000-task map loses its chunk of %zu tasks (map's "
			      "default chunksize); the other chunks' results arrive, a new worker "
			      "takes its slot, and map() never returns: the watchdog stopped each "
			      "repetition after its budget, \"" HANG_REASON "\"; acceptance: %zu "
			      "results, %zu lost, every repetition hung",
			      cs, SIGKILL_N - cs, cs);
	pb_finding_stat(f, rep, c, "results", "results_count", "");
	pb_finding_stat(f, rep, c, "lost", "lost_count", "");
	pb_finding_stat(f, rep, c, "workers started", "workers_started_count", "");
	pb_finding_stat(f, rep, c, "hung after", "hung_s", "s");
	pb_finding_verdict(f,
			   pe_verdict(ok == (double)(SIGKILL_N - cs) && lost == (double)cs &&
				      !isnan(hung)),
			   NULL);
}

static void recover_finding(struct pb_report *rep)
{
	const struct pb_case *c =
		pb_report_find(rep, &(struct pb_case_key){ .experiment = "pool-sigkill",
							   .model = "pool-recover" });
	double ok = pb_report_median(rep, c, "results_count");
	double bad = pb_report_median(rep, c, "errors_count");
	double left = pb_report_median(rep, c, "children_left_count");
	struct pb_finding *f;

	if (isnan(ok))
		return;
	f = pb_report_finding(rep, "recovered",
			      "pool-sigkill, parbench's recovery (pool-recover, not CPython's): a "
			      "worker SIGKILLed in the middle of a 1,000-task map: results, \"worker "
			      "died (signal 9)\" errors, children left, and the time to the end (no "
			      "hang); acceptance: 999 results, 1 error, no child left");
	pb_finding_stat(f, rep, c, "results", "results_count", "");
	pb_finding_stat(f, rep, c, "errors", "errors_count", "");
	pb_finding_stat(f, rep, c, "children left", "children_left_count", "");
	pb_finding_stat(f, rep, c, "done in", "wall_s", "s");
	pb_finding_verdict(f, pe_verdict(ok == 999 && bad == 1 && left == 0), NULL);
}

static void sigkill_summarize(struct pb_report *rep)
{
	hang_finding(rep);
	recover_finding(rep);
}

/* pool-sigkill's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_sigkill_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_sigkill_experiment = {
	.name = "pool-sigkill",
	.summary = "a worker SIGKILLed in the middle of a map: CPython's pool hangs, parbench's "
		   "pool-recover reports one error",
	.teaches =
		"A pool worker killed in the middle of a map. CPython's Pool loses the chunk the worker "
		"held and its map() waits for ever (the case hangs, as planned, until the watchdog ends "
		"it); parbench's pool-recover blames the task the worker died in, runs the rest again "
		"and does not hang.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	/* table only: a correctness check (results, errors, a replacement
	 * worker, no child left): counts that must be exact, not a trend. */
	.figures = PB_TABLE_ONLY,
	.plan = sigkill_plan,
	.summarize = sigkill_summarize,
	.params = pool_sigkill_params,
};
