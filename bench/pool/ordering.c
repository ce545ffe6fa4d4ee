/* SPDX-License-Identifier: MIT */
/*
 * ordering — why imap_unordered answers first: 16 sleeping tasks of random
 * length; map hands back all results at once, imap in task order, and
 * imap_unordered each as soon as it is done.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "pool_common.h"

#define ORDERING_TASKS 16
#define ORDERING_SEED 20250101u

/* map hands back all results at once; imap in task order, as soon as the
 * next one in order is there; imap_unordered each as soon as it is done. */
static int ordering_collect(struct pool *p, const struct pb_case *c, const double *secs,
			    uint64_t *first_ns)
{
	struct pool_result rs[ORDERING_TASKS];
	const struct pool_result *r;
	struct pool_async *h;
	int ok = 0;

	if (strcmp(c->model, "map") == 0) {
		pool_map(p, pe_timed_sleep_task, secs, sizeof(*secs), ORDERING_TASKS, 0, rs);
		*first_ns = clock_now_ns();
		for (int i = 0; i < ORDERING_TASKS; i++)
			ok += rs[i].status == POOL_OK;
		pool_results_free(rs, ORDERING_TASKS);
		return ok;
	}
	h = pool_imap(p, pe_timed_sleep_task, secs, sizeof(*secs), ORDERING_TASKS, 1,
		      strcmp(c->model, "imap") == 0);
	if (!h)
		return 0;
	while (pool_async_next(h, 60.0, &r, NULL) == 0) {
		if (ok++ == 0)
			*first_ns = clock_now_ns();
		ok -= r->status != POOL_OK;
	}
	pool_async_free(h);
	return ok;
}

static int ordering_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	double secs[ORDERING_TASKS], lo = (double)pb_case_get(c, "lo_ms") / 1e3;
	double hi = (double)pb_case_get(c, "hi_ms") / 1e3, shortest = hi, longest = 0;
	uint64_t state = ORDERING_SEED, t0, first = 0;
	struct pool *p = pe_start_pool(ctx, c->workers);
	int ok;

	if (!p)
		return -1;
	for (int i = 0; i < ORDERING_TASKS; i++) {
		secs[i] = lo + (hi - lo) * pe_random_unit(&state);
		shortest = fmin(shortest, secs[i]);
		longest = fmax(longest, secs[i]);
	}
	t0 = pe_timer_begin(ctx);
	ok = ordering_collect(p, c, secs, &first);
	pe_timer_end(ctx, t0);
	pe_stop_pool(p);
	if (ok != ORDERING_TASKS)
		return pb_fail(ctx, "only %d of %d tasks succeeded", ok, ORDERING_TASKS);
	pb_metric(ctx, "first_result_s", (double)(first - t0) / 1e9, "s");
	pb_metric(ctx, "shortest_task_s", shortest, "s");
	pb_metric(ctx, "longest_task_s", longest, "s");
	pb_metric(ctx, "task0_s", secs[0], "s");
	pb_metric(ctx, "seed", ORDERING_SEED, "count");
	return 0;
}

static const char *const ordering_models[] = { "map", "imap", "imap_unordered" };

static void ordering_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	/* the seed's Pool(4), and one worker per task */
	int workers[] = { 4, ORDERING_TASKS }, lo = PB_PICK(cfg, 2, 10, 50);
	/* default: a 5-minute budget; full: 500 ms (1 s did not fit its hour
	 * on 64 PUs once the estimates were honest) */
	int hi = PB_PICK(cfg, 30, 60, 500);

	for (int w = cfg->profile == PROFILE_QUICK; w < 2; w++) {
		for (int m = 0; m < 3; m++) {
			struct pb_case c = { .experiment = "ordering",
					     .model = ordering_models[m],
					     .workers = workers[w],
					     .run = ordering_run,
					     .budget_s = 30 + ORDERING_TASKS * hi / 1000.0 };

			pb_case_name(&c, "n", ORDERING_TASKS);
			pb_case_set(&c, "lo_ms", lo);
			pb_case_set(&c, "hi_ms", hi);
			/* ceil(n / W) rounds of sleeps averaging (lo + hi) / 2 */
			c.est_s = 0.03 +
				  (ORDERING_TASKS + workers[w] - 1) / workers[w] * (lo + hi) / 2e3;
			pb_plan_add(plan, &c);
		}
	}
}

/* The ordering case of model on w workers, or NULL. */
static const struct pb_case *ordering_case(const struct pb_report *rep, const char *model, int w)
{
	return pb_report_find(rep, &(struct pb_case_key){ .experiment = "ordering",
							  .model = model,
							  .workers = w });
}

static void ordering_summarize(struct pb_report *rep)
{
	int workers[] = { 4, ORDERING_TASKS };

	for (int k = 0; k < 2; k++) {
		int w = workers[k];
		const struct pb_case *map = ordering_case(rep, "map", w);
		const struct pb_case *imap = ordering_case(rep, "imap", w);
		const struct pb_case *unord = ordering_case(rep, "imap_unordered", w);
		double u = pb_report_median(rep, unord, "first_result_s");
		double lo = pb_report_median(rep, unord, "shortest_task_s");
		struct pb_finding *f;
		char id[32];

		if (isnan(pb_report_median(rep, map, "first_result_s")) ||
		    isnan(pb_report_median(rep, imap, "first_result_s")) || isnan(u))
			continue;
		snprintf(id, sizeof(id), "first_result_w%d", w);
		f = pb_report_finding(rep, id,
				      "ordering, %d tasks on %d workers (seed %u): the first result "
				      "with map (all at once), imap (after task 0) and "
				      "imap_unordered (after the shortest task)%s",
				      ORDERING_TASKS, w, ORDERING_SEED,
				      w == ORDERING_TASKS ?
					      "; acceptance imap_unordered ≤ shortest "
					      "+ 1 ms" :
					      "");
		pb_finding_stat(f, rep, map, "map", "first_result_s", "s");
		pb_finding_stat(f, rep, imap, "imap", "first_result_s", "s");
		pb_finding_stat(f, rep, imap, "task 0", "task0_s", "s");
		pb_finding_stat(f, rep, unord, "imap_unordered", "first_result_s", "s");
		pb_finding_stat(f, rep, unord, "shortest task", "shortest_task_s", "s");
		if (w == ORDERING_TASKS) /* every task starts at once */
			pb_finding_verdict(f, pe_verdict(u <= lo + 1e-3), NULL);
	}
}

/* ordering's parameters (cases.csv's units and types) */
static const struct pb_param_decl ordering_params[] = {
	{ "n", PB_INT, "count", "the number of tasks" },
	{ "lo_ms", PB_INT, "ms", "the shortest task" },
	{ "hi_ms", PB_INT, "ms", "the longest task" },
	{ 0 }, /* the end */
};

const struct pb_experiment ordering_experiment = {
	.name = "ordering",
	.summary = "why imap_unordered answers first: map, imap and imap_unordered over 16 "
		   "sleeps of random length",
	.teaches =
		"Which result comes first: map waits for order, imap_unordered answers as soon as any "
		"task is done.",
	.headline = { "first_result_s", "s", PB_LOWER_IS_BETTER },
	.figures = "ordering",
	.cpython_twin = "pool.py mode=ordering",
	.plan = ordering_plan,
	.summarize = ordering_summarize,
	.params = ordering_params,
};
