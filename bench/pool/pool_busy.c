/* SPDX-License-Identifier: MIT */
/*
 * pool-overhead, the caller computing while the pool works: map_async of
 * N no-work tasks (chunksize 1), then the caller computes busy_us (its own
 * Python work), then get. The pool's task and result handlers move every
 * chunk meanwhile (lib/models/pool/).
 *
 *   pool-busy      the handlers are free threads: the results are ready
 *                  long before the caller stops computing.
 *   pool-gil-busy  pool_opts.gil: the handlers are Python threads of the
 *                  caller's GIL, as CPython's are. Every chunk needs the
 *                  GIL twice (put by the task handler, _set by the result
 *                  handler); the caller gives it up only when it blocks in
 *                  get or when a handler's drop request ends its switch
 *                  interval (5 ms): the results wait for that.
 *
 * ready_us: from map_async to the result handler's callback (the job has
 * every result). get_wait_us: what get still waited after busy_us.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gil.h"
#include "pool_common.h"
#include "workload.h"

#define BUSY_TASKS 8

static volatile uint64_t sink;

static void stamp_ready(const struct pool_result *rs, size_t n, void *arg)
{
	(void)rs, (void)n;
	*(uint64_t *)arg = clock_now_ns();
}

struct busy_run {
	struct pool *pool;
	struct gil gil;
	struct gil_thread me; /* the caller's, holding gil when with_gil */
	bool with_gil;
	uint64_t ticks;
	double *ready_us, *wait_us;
};

/* One round: map_async, busy ticks, get. 0 or the case's failure. */
static int busy_round(struct pb_ctx *ctx, struct busy_run *r, size_t i, uint64_t *x)
{
	static const int64_t xs[BUSY_TASKS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint64_t ready = 0, t0 = clock_now_ns(), t1;
	struct pool_callbacks cb = { .callback = stamp_ready, .arg = &ready };
	struct pool_async *h =
		pool_map_async_cb(r->pool, pe_echo_task, xs, sizeof(xs[0]), BUSY_TASKS, 1, &cb);
	int rc;

	if (!h)
		return pb_fail(ctx, "map_async: %s", pool_error(r->pool));
	*x = r->with_gil ? gil_compute(&r->me, *x | 1, r->ticks) : wl_cpu_ticks(*x, r->ticks);
	t1 = clock_now_ns();
	rc = pool_async_get(h, 10.0, NULL);
	r->wait_us[i] = (double)(clock_now_ns() - t1) / 1e3;
	r->ready_us[i] = (double)(ready - t0) / 1e3;
	pool_async_free(h);
	if (rc != 0 || ready == 0)
		return pb_fail(ctx, "round %zu: get: %s", i, pool_status_name(rc));
	return 0;
}

static int busy_rounds(struct pb_ctx *ctx, struct busy_run *r, size_t n)
{
	size_t warm = n / 5 + 1;
	uint64_t x = 1;

	for (size_t i = 0; i < warm + n; i++)
		if (busy_round(ctx, r, i < warm ? 0 : i - warm, &x) < 0)
			return -1;
	sink = x; /* keeps the work */
	pb_metric_spread(ctx, "ready_us", r->ready_us, n, "us");
	pb_metric_spread(ctx, "get_wait_us", r->wait_us, n, "us");
	return 0;
}

/* The pool, under the caller's GIL or not; then the rounds. */
static int busy_pool(struct pb_ctx *ctx, const struct pb_case *c, struct busy_run *r, size_t n)
{
	struct pool_opts o = { .topo = pb_cfg(ctx)->topo, .placement = pb_placement(ctx) };
	char err[256];
	int rc;

	r->with_gil = strstr(c->model, "gil") != NULL;
	if (gil_init(&r->gil, GIL_DEFAULT_INTERVAL_US, true) != 0 ||
	    gil_thread_init(&r->me, &r->gil, 1, 0) != 0)
		return pb_fail(ctx, "gil_init: out of memory");
	if (r->with_gil) {
		o.gil = &r->gil;
		gil_take(&r->me); /* the main thread runs Python */
	}
	pe_register_tasks();
	if (!(r->pool = pool_create(c->workers, &o, err, sizeof(err)))) {
		rc = pb_fail(ctx, "%s", err);
	} else {
		struct pool_stats s;
		size_t rounds = n + n / 5 + 1;

		rc = busy_rounds(ctx, r, n);
		s = pool_stats(r->pool);
		pe_stop_pool(r->pool); /* join drops the GIL while it waits */
		pb_metric(ctx, "handler_gil_takes_per_round",
			  (double)(s.tasks_gil_takes + s.results_gil_takes) / (double)rounds,
			  "count");
		pb_metric(ctx, "caller_forced_drops_per_round",
			  (double)r->me.forced_drops / (double)rounds, "count");
		pb_metric(ctx, "switch_interval_us",
			  r->with_gil ? (double)gil_interval(&r->gil) : 0, "us");
	}
	if (r->with_gil)
		gil_exit(&r->me);
	gil_thread_free(&r->me);
	gil_destroy(&r->gil);
	return rc;
}

static int busy_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "n");
	struct busy_run r = { .ticks = wl_ticks_for_ms(c->param_value / 1e3) };
	int rc;

	r.ready_us = calloc(n, sizeof(double));
	r.wait_us = calloc(n, sizeof(double));
	rc = r.ready_us && r.wait_us ? busy_pool(ctx, c, &r, n) : pb_fail(ctx, "out of memory");
	if (rc == 0)
		pb_metric(ctx, "busy_us", c->param_value, "us");
	free(r.ready_us);
	free(r.wait_us);
	return rc;
}

/* c at every busy_us of the profile's sweep: n timed rounds of
 * map_async(tasks:8), busy_us of work and get on w:2 workers. slack_s: a
 * repetition's cost besides the rounds. None in quick (its minute is
 * spent). */
static void busy_cases(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case c,
		       double slack_s)
{
	/* full: the 64-PU hour (tests/test_budget.c) has about 45 s left */
	static const double some[] = { 8000 }, full[] = { 2000, 8000 };
	const double *busy = PB_PICK(cfg, some, some, full);
	int nbusy = PB_PICK(cfg, 1, 1, 2);
	int64_t rounds = PB_PICK(cfg, 12, 12, 20);

	if (cfg->profile == PROFILE_QUICK)
		return;
	c.workers = 2; /* 8 tasks: more is pool start-up */
	c.param = "busy_us";
	pb_case_set(&c, "n", rounds);
	pb_case_name(&c, "tasks", BUSY_TASKS);
	for (int b = 0; b < nbusy; b++) {
		c.param_value = busy[b];
		/* the rounds (a fifth more, untimed) of busy_us and the handling */
		c.est_s = slack_s + (double)(rounds + rounds / 5 + 1) * (busy[b] + 300) / 1e6;
		pb_plan_add(plan, &c);
	}
}

void overhead_busy_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "pool-busy", "pool-gil-busy" };

	for (int m = 0; m < 2; m++) {
		struct pb_case c = { .experiment = "pool-overhead",
				     .model = models[m],
				     .run = busy_run,
				     .budget_s = 60 };

		busy_cases(plan, cfg, c, 0.02); /* the pool's start */
	}
}

void overhead_busy_twins(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case py)
{
	busy_cases(plan, cfg, py, 0.25); /* the interpreter, its imports, Pool(2) */
}

/* The results' readiness with free handlers and under the GIL. */
void overhead_busy_notes(struct pb_report *rep)
{
	struct pb_case_key free_key = { .experiment = "pool-overhead", .model = "pool-busy" };
	struct pb_case_key gil_key = { .experiment = "pool-overhead", .model = "pool-gil-busy" };
	const struct pb_case *fc, *gc;
	struct stats_summary r;
	struct pb_finding *f;
	char id[48];

	for (fc = pb_report_find(rep, &free_key); fc; fc = pb_report_next(rep, &free_key, fc)) {
		gil_key.param = "busy_us";
		gil_key.param_value = fc->param_value;
		gc = pb_report_find(rep, &gil_key);
		if (!pb_report_ratio(rep, gc, fc, "ready_us_p50", &r))
			continue;
		snprintf(id, sizeof(id), "busy_%.0fus", fc->param_value);
		f = pb_report_finding(rep, id,
				      "pool-overhead: map_async of %d no-work tasks, then the caller "
				      "computes %.0f µs: when the results are ready with free handler "
				      "threads and with handlers that are Python threads of the "
				      "caller's GIL (they wait for the caller's forced drops or for "
				      "its get)",
				      BUSY_TASKS, fc->param_value);
		pb_finding_stat(f, rep, fc, "free handlers", "ready_us_p50", "us");
		pb_finding_stat(f, rep, gc, "handlers under the GIL", "ready_us_p50", "us");
		pb_finding_figure(f, "GIL / free", r, "x");
		pb_finding_stat(f, rep, gc, "switch interval", "switch_interval_us", "us");
		pb_finding_stat(f, rep, gc, "forced drops per round",
				"caller_forced_drops_per_round", "");
		pb_finding_stat(f, rep, gc, "get wait p50", "get_wait_us_p50", "us");
	}
}
