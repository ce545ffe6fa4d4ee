/* SPDX-License-Identifier: MIT */
/*
 * counter_common — one repetition of any counter case, and the exactness
 * note over all of them (see counter_common.h).
 */
#include "counter_common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpython.h"

const char *const counter_model[] = { "counter-procs", "counter-threads", "counter-threads-gil" };

/* ---- one repetition ---- */

static void timer_start(void *ctx)
{
	pb_timer_start(ctx);
}

static void timer_stop(void *ctx)
{
	pb_timer_stop(ctx);
}

/* An optional parameter: its value, or 0 when the plan did not set it (the
 * harness has pb_case_get, which aborts, and pb_case_has). */
static int64_t param_or_0(const struct pb_case *c, const char *name)
{
	int64_t v = 0;

	return pb_case_has(c, name, &v) ? v : 0;
}

static void report(struct pb_ctx *ctx, const struct counter_job *j, const struct counter_result *r)
{
	double expected = (double)r->expected_count;

	pb_metric(ctx, "final_count", (double)r->final_count, "count");
	pb_metric(ctx, "expected_count", expected, "count");
	pb_metric(ctx, "lost_updates", (double)r->lost_updates, "count");
	pb_metric(ctx, "lost_pct", 100.0 * (double)r->lost_updates / expected, "%");
	/* with sleeps in the loop a cost per increment means nothing */
	if (!j->sleep_ns)
		pb_metric(ctx, "ns_per_increment", r->span_s * 1e9 / expected, "ns");
	pb_metric(ctx, "start_skew_us", r->start_skew_s * 1e6, "us");
	pb_metric(ctx, "overlap_pct", 100.0 * r->overlap, "%");
	if (j->mode == COUNTER_THREADS_GIL)
		pb_metric(ctx, "gil_switches", (double)r->gil_switches, "count");
	if (j->window_ns)
		pb_metric(ctx, "window_ticks", (double)r->window_ticks, "count");
	if (r->lock_takes) { /* value-unlocked: the getter's and the setter's */
		pb_metric(ctx, "lock_takes_per_increment", (double)r->lock_takes / expected,
			  "count");
		/* who waited: the share of getters and of setters that found
		 * the lock taken */
		pb_metric(ctx, "blocked_getter_pct", 100.0 * (double)r->lock_blocked[0] / expected,
			  "%");
		pb_metric(ctx, "blocked_setter_pct", 100.0 * (double)r->lock_blocked[1] / expected,
			  "%");
		/* the increments made before the last worker's first load and
		 * after the first one's last (as counter.py workload=trace's
		 * head_start_count and tail_count) */
		pb_metric(ctx, "head_start_count", (double)r->head_start, "count");
		pb_metric(ctx, "tail_count", (double)r->tail, "count");
	}
	pb_report_pus(ctx, r->ran_on, j->workers);
}

static int counter_case_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct counter_job j = {
		.ops = counter_find(c->workload),
		.mode = (enum counter_mode)pb_case_get(c, "mode"),
		.workers = c->workers,
		.increments = (uint64_t)pb_case_get(c, "increments"),
		.window_ns = c->param ? (uint64_t)c->param_value : 0,
		.gap_ns = (uint64_t)param_or_0(c, "gap_ns"),
		.sleep_ns = (uint64_t)param_or_0(c, "sleep_ns"),
		.sleep_aligned = param_or_0(c, "sleep_tick") != 0,
		.topo = pb_cfg(ctx)->topo,
		.placement = pb_placement(ctx),
		.started = timer_start,
		.stopped = timer_stop,
		.arg = ctx,
	};
	struct counter_result r = { 0 };
	struct cpython_counter_costs py;
	int rc;

	/* window:cpython: CPython's times, measured now: the lock held in each
	 * accessor, and the window and the gap outside it */
	if (param_or_0(c, "window_cpython")) {
		if ((rc = cpython_counter_costs(ctx, &py)) != 0)
			return rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
		j.hold_ns = (uint64_t)(py.hold_ns + 0.5);
		j.window_ns = (uint64_t)(py.window_ns - py.hold_ns + 0.5);
		j.gap_ns = (uint64_t)(py.gap_ns - py.hold_ns + 0.5);
		j.stagger_ns = (uint64_t)(py.start_lag_ns + 0.5);
	}
	r.ran_on = calloc((size_t)c->workers, sizeof(*r.ran_on));
	if (!r.ran_on)
		return pb_fail(ctx, "calloc: out of memory");
	rc = counter_run(&j, &r);
	if (rc == 0)
		report(ctx, &j, &r);
	free(r.ran_on);
	if (rc != 0)
		return pb_fail(ctx, "%s", r.error);
	/* --verify, always: a lock that lets an update through is a bug */
	if (j.ops->exact && r.final_count != r.expected_count)
		return pb_fail(ctx, "%s ended at %" PRIu64 " instead of %" PRIu64, j.ops->name,
			       r.final_count, r.expected_count);
	return 0;
}

/* ---- the plan ---- */

void counter_add(struct pb_plan *plan, struct pb_case c, const char *variant,
		 enum counter_mode mode, int64_t increments)
{
	c.model = counter_model[mode];
	c.workload = variant;
	c.run = counter_case_run;
	pb_case_set(&c, "mode", mode);
	pb_case_set(&c, "increments", increments);
	pb_plan_add(plan, &c);
}

bool counter_is_case(const struct pb_case *c)
{
	return c->run == counter_case_run;
}

/* ---- after the run ---- */

/* Every locked variant and sharded, in every case and every repetition. */
void counter_note_exact(struct pb_report *rep)
{
	int cases = 0, reps = 0, bad = 0, want = pb_report_cfg(rep)->reps;
	const char *first_bad = NULL;
	struct pb_finding *f;

	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);
		struct stats_summary s;
		bool ok;

		if (!counter_is_case(c) || !counter_find(c->workload)->exact)
			continue;
		ok = pb_report_stat(rep, c->name, "lost_updates", &s) && s.n == (size_t)want &&
		     s.max == 0;
		cases++;
		reps += ok ? (int)s.n : 0;
		if (!ok && !bad++)
			first_bad = c->name;
	}
	if (!cases)
		return;
	f = pb_report_finding(rep, "locked_exact",
			      "counter: every locked variant and sharded ends exactly at workers × "
			      "increments in every repetition");
	pb_finding_value(f, "cases", cases, "");
	pb_finding_value(f, "cases not exact", bad, "");
	pb_finding_value(f, "exact repetitions", reps, "");
	if (bad)
		pb_finding_verdict(f, "NOT exact", "first: %s (see its failures)", first_bad);
	else
		pb_finding_verdict(f, "exact", NULL);
}
