/* SPDX-License-Identifier: MIT */
/*
 * counter — the seed's Value('i', 0) incremented by many workers, with and
 * without a lock: how many updates an unlocked read-then-write loses (and
 * why that depends on how many workers really overlap), and what every way
 * of not losing them costs per increment. The variants are in lib/counter.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "harness.h"

#define SEED_WORKERS 10		  /* the seed: 10 processes ... */
#define SEED_SLEEP_NS 10000000ull /* ... each sleeping 10 ms before each increment */
#define PY_WINDOW_NS 1000	  /* CPython's val.value += 1 here: 0.7-0.8 us hot */
#define SEED_TOTAL_LOW 201	  /* the seed's five results: 201 ... */
#define SEED_TOTAL_HIGH 269	  /* ... to 269 of 500 */
#define WINDOW_RUN_NS 30000000.0  /* counter-window: about this long per run */
#define MAX_W 1024

static const char *const mode_model[] = { "counter-procs", "counter-threads" };

/* What a worker does besides incrementing (a case's data). */
struct loop_shape {
	uint64_t sleep_ns; /* sleep before each increment */
	bool aligned;	   /* ... until the next multiple of sleep_ns */
	uint64_t gap_ns;   /* work before each increment, outside the window */
};

static const struct loop_shape tight = { 0 };
static const struct loop_shape seed_sleep = { .sleep_ns = SEED_SLEEP_NS };
static const struct loop_shape seed_tick = { .sleep_ns = SEED_SLEEP_NS, .aligned = true };
static const struct loop_shape gap_10us = { .gap_ns = 10000 };

/* ---- one repetition ---- */

static void timer_start(void *ctx)
{
	pb_timer_start(ctx);
}

static void timer_stop(void *ctx)
{
	pb_timer_stop(ctx);
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
	if (j->window_ns)
		pb_metric(ctx, "window_ticks", (double)r->window_ticks, "count");
	pb_report_pus(ctx, r->ran_on, j->workers);
}

/* arg: variant index, mode, increments per worker; data: the loop_shape. */
static int counter_case_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct loop_shape *shape = c->data;
	struct counter_job j = {
		.ops = counter_variants[c->arg[0]],
		.mode = (enum counter_mode)c->arg[1],
		.workers = c->workers,
		.increments = (uint64_t)c->arg[2],
		.window_ns = c->param ? (uint64_t)c->param_value : 0,
		.gap_ns = shape->gap_ns,
		.sleep_ns = shape->sleep_ns,
		.sleep_aligned = shape->aligned,
		.topo = pb_cfg(ctx)->topo,
		.placement = pb_placement(ctx),
		.started = timer_start,
		.stopped = timer_stop,
		.arg = ctx,
	};
	struct counter_result r = { 0 };
	int rc;

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

static int variant_index(const char *name)
{
	for (int i = 0; counter_variants[i]; i++)
		if (strcmp(counter_variants[i]->name, name) == 0)
			return i;
	return -1;
}

static void add(struct pb_plan *plan, struct pb_case c, int variant, int mode, int64_t increments,
		const struct loop_shape *shape)
{
	c.model = mode_model[mode];
	c.workload = counter_variants[variant]->name;
	c.run = counter_case_run;
	c.arg[0] = variant;
	c.arg[1] = mode;
	c.arg[2] = increments;
	c.data = shape;
	pb_plan_add(plan, &c);
}

/* The seed: 10 workers x 50 increments, 10 ms of sleep before each, every
 * variant with CPython's window. Then unlocked with more overlap: wake-ups
 * on a common 10 ms tick (as with a coarse timer: everyone wakes at once)
 * and a window longer than a time slice (so that workers sharing a PU are
 * preempted inside it), with 10 and 20 workers; and longer windows alone.
 * quick: 10 increments each, processes only, the first two extras. */
static void seed_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const struct {
		int workers;
		double window_ns;
		bool aligned;
	} more[] = { { 10, 1000000, true },
		     { 20, 1000000, true },
		     { 10, 100000, false },
		     { 10, 1000000, false } };
	int n = PB_PICK(cfg, 10, 50, 50), modes = PB_PICK(cfg, 1, 2, 2);
	int nmore = PB_PICK(cfg, 2, 4, 4), unlocked = variant_index("unlocked");
	struct pb_case c = { .experiment = "counter-seed", .param = "window_ns" };

	for (int m = 0; m < modes; m++) {
		snprintf(c.extra, sizeof(c.extra), "n:%d", n);
		c.workers = SEED_WORKERS;
		c.param_value = PY_WINDOW_NS;
		for (int v = 0; counter_variants[v]; v++)
			add(plan, c, v, m, n, &seed_sleep);
		for (int i = 0; m == 0 && i < nmore; i++) {
			snprintf(c.extra, sizeof(c.extra), "n:%d%s", n,
				 more[i].aligned ? "/sleep:tick" : "");
			c.workers = more[i].workers;
			c.param_value = more[i].window_ns;
			add(plan, c, unlocked, m, n, more[i].aligned ? &seed_tick : &seed_sleep);
		}
	}
}

/* W = 1, 2, ... 2 x PUs (powers of two past 16; quick: 1, 2 and 2 x PUs). */
static int contention_workers(const struct pb_config *cfg, int *w, int max)
{
	int hi = 2 * cfg->pus < MAX_W ? 2 * cfg->pus : MAX_W, n = 0;

	for (int x = 1; x <= hi && n<max - 1; x = hi> 16 ? x * 2 : x + 1)
		if (cfg->profile != PROFILE_QUICK || x <= 2 || x == hi)
			w[n++] = x;
	if (n == 0 || w[n - 1] != hi)
		w[n++] = hi;
	return n;
}

/* Every variant, W workers x 1,000,000 increments as fast as they can,
 * under the run's --pin and again under compact and scatter (quick: those
 * two at W = 2 and processes only). */
static void contention_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const enum pin_policy pins[] = { PIN_COMPACT, PIN_SCATTER };
	int64_t n = PB_PICK(cfg, 200000, 1000000, 1000000);
	int w[64] = { 0 }, nw = contention_workers(cfg, w, 64);
	struct pb_case c = { .experiment = "counter-contention" };

	for (int m = 0; m < 2; m++)
		for (int p = -1; p < 2; p++)
			for (int i = 0; i < nw; i++) {
				bool quick = cfg->profile == PROFILE_QUICK;

				if (p >= 0 && quick && (m > 0 || w[i] != 2))
					continue;
				c.pin_fixed = p >= 0;
				c.pin = p >= 0 ? pins[p] : PIN_NONE;
				snprintf(c.extra, sizeof(c.extra), "%s%s", p >= 0 ? "pin:" : "",
					 p >= 0 ? pin_policy_name(pins[p]) : "");
				c.workers = w[i];
				for (int v = 0; counter_variants[v]; v++)
					add(plan, c, v, m, n, &tight);
			}
}

/* unlocked, 2 workers, window 0 to 10 us, in a tight loop and in a loop
 * that does 10 us of other work per increment. The workers are pinned apart
 * (scatter) and each run lasts about WINDOW_RUN_NS, so that they overlap
 * whatever the window and the scheduler does: this experiment is about the
 * window, counter-contention about placement. Losses are compared as
 * lost_pct. */
static void window_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const double full[] = { 0, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000 };
	static const double quick[] = { 0, 100, 1000, 10000 };
	static const struct loop_shape *const shapes[] = { &tight, &gap_10us };
	bool q = cfg->profile == PROFILE_QUICK;
	const double *win = q ? quick : full;
	int nwin = q ? 4 : 10, modes = q ? 1 : 2;
	struct pb_case c = { .experiment = "counter-window",
			     .param = "window_ns",
			     .workers = 2,
			     .pin_fixed = true,
			     .pin = PIN_SCATTER };

	for (int m = 0; m < modes; m++)
		for (int g = 0; g < 2; g++)
			for (int i = 0; i < nwin; i++) {
				double n = WINDOW_RUN_NS / (win[i] + (double)shapes[g]->gap_ns + 5);

				snprintf(c.extra, sizeof(c.extra), "%spin:scatter",
					 shapes[g]->gap_ns ? "gap_ns:10000/" : "");
				c.param_value = win[i];
				add(plan, c, variant_index("unlocked"), m,
				    n < 2000	? 2000 :
				    n > 1000000 ? 1000000 :
						  (int64_t)n,
				    shapes[g]);
			}
}

static void counter_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	seed_plan(plan, cfg);
	contention_plan(plan, cfg);
	window_plan(plan, cfg);
}

/* ---- after the run: acceptance figures ---- */

static const struct pb_case *find(const struct pb_report *rep, const char *experiment,
				  const char *model, const char *workload, int workers,
				  const char *extra, double param_value)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);

		if (strcmp(c->experiment, experiment) == 0 && strcmp(c->model, model) == 0 &&
		    strcmp(c->workload, workload) == 0 && c->workers == workers &&
		    strcmp(c->extra, extra) == 0 && (!c->param || c->param_value == param_value))
			return c;
	}
	return NULL;
}

static bool stat_of(const struct pb_report *rep, const struct pb_case *c, const char *metric,
		    struct stats_summary *s)
{
	return c && pb_report_stat(rep, c->name, metric, s);
}

static bool is_counter(const struct pb_case *c)
{
	return c->run == counter_case_run;
}

/* Every locked variant and sharded, in every case and every repetition. */
static void note_exact(struct pb_report *rep)
{
	int cases = 0, reps = 0, bad = 0, want = pb_report_cfg(rep)->reps;
	const char *first_bad = NULL;

	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);
		struct stats_summary s;
		bool ok;

		if (!is_counter(c) || !counter_variants[c->arg[0]]->exact)
			continue;
		ok = stat_of(rep, c, "lost_updates", &s) && s.n == (size_t)want && s.max == 0;
		cases++;
		reps += ok ? (int)s.n : 0;
		if (!ok && !bad++)
			first_bad = c->name;
	}
	if (!cases)
		return;
	if (!bad)
		pb_report_note(
			rep,
			"counter: every locked variant and sharded ended exactly at workers × increments in all %d repetitions of its %d cases",
			reps, cases);
	else
		pb_report_note(
			rep,
			"counter: %d of %d locked/sharded cases did NOT end exactly at workers × increments in every repetition (first: %s; see its failures)",
			bad, cases, first_bad);
}

/* unlocked at W = 2: losses; every variant: its cost against atomic. */
static void note_w2(struct pb_report *rep, int mode, const char *extra)
{
	const char *model = mode_model[mode];
	const char *pin = extra[0] ? extra + 4 : pin_policy_name(pb_report_cfg(rep)->pin);
	const struct pb_case *at = find(rep, "counter-contention", model, "atomic", 2, extra, 0);
	const struct pb_case *un = find(rep, "counter-contention", model, "unlocked", 2, extra, 0);
	const struct pb_case *mu = find(rep, "counter-contention", model, "mutex", 2, extra, 0);
	const struct pb_case *se = find(rep, "counter-contention", model, "semaphore", 2, extra, 0);
	struct stats_summary l, o, a, m, s;

	if (stat_of(rep, un, "lost_pct", &l) && stat_of(rep, un, "overlap_pct", &o))
		pb_report_note(
			rep,
			"counter-contention %s (pin %s), unlocked, 2 workers × %" PRId64
			": lost %.1f %% of the increments (median; %.1f–%.1f %% over %zu reps), the workers overlapped %.0f %% of the time (CPython 3.11 here: 42–47 %%)",
			model, pin, un->arg[2], l.median, l.min, l.max, l.n, o.median);
	if (stat_of(rep, at, "ns_per_increment", &a) && stat_of(rep, mu, "ns_per_increment", &m) &&
	    stat_of(rep, se, "ns_per_increment", &s))
		pb_report_note(
			rep,
			"counter-contention %s (pin %s), 2 workers: atomic %.1f ns per increment, mutex %.1f ns (%.1f× atomic), semaphore %.1f ns (%.1f× atomic)",
			model, pin, a.median, m.median, m.median / a.median, s.median,
			s.median / a.median);
}

/* cost_vs_atomic: each contention case's ns_per_increment over atomic's
 * at the same W, model and pin (median over median, min over max ...). */
static void rows_vs_atomic(struct pb_report *rep)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i), *at;
		struct stats_summary x, a, r;

		if (!is_counter(c) || strcmp(c->experiment, "counter-contention") != 0)
			continue;
		at = find(rep, c->experiment, c->model, "atomic", c->workers, c->extra, 0);
		if (!stat_of(rep, c, "ns_per_increment", &x) ||
		    !stat_of(rep, at, "ns_per_increment", &a))
			continue;
		r = (struct stats_summary){ .n = x.n < a.n ? x.n : a.n,
					    .min = x.min / a.median,
					    .median = x.median / a.median,
					    .max = x.max / a.median };
		pb_report_row(rep, c, NULL, "cost_vs_atomic", r, "x");
	}
}

static void note_seed(struct pb_report *rep)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);
		struct stats_summary f, l, e, w;

		if (!is_counter(c) || strcmp(c->experiment, "counter-seed") != 0 ||
		    strcmp(c->workload, "unlocked") != 0)
			continue;
		if (!stat_of(rep, c, "final_count", &f) || !stat_of(rep, c, "lost_pct", &l) ||
		    !stat_of(rep, c, "expected_count", &e) || !stat_of(rep, c, "wall_s", &w))
			continue;
		pb_report_note(
			rep,
			"counter-seed %s, unlocked, %d workers × %" PRId64
			", window %.0f ns%s: ends at %.0f of %.0f (%.0f–%.0f), lost %.1f %% (%.1f–%.1f %%) in %.2f s; the seed lost %.0f–%.0f %% (201–269 of 500)",
			c->model, c->workers, c->arg[2], c->param_value,
			((const struct loop_shape *)c->data)->aligned ?
				", waking on a common 10 ms tick" :
				"",
			f.median, e.median, f.min, f.max, l.median, l.min, l.max, w.median,
			100.0 * (500 - SEED_TOTAL_HIGH) / 500,
			100.0 * (500 - SEED_TOTAL_LOW) / 500);
	}
}

static void note_window(struct pb_report *rep, int mode, const char *extra)
{
	const double at[] = { 0, 1000, 10000 };
	struct stats_summary s[3];

	for (int i = 0; i < 3; i++)
		if (!stat_of(rep,
			     find(rep, "counter-window", mode_model[mode], "unlocked", 2, extra,
				  at[i]),
			     "lost_pct", &s[i]))
			return;
	pb_report_note(
		rep,
		"counter-window %s, unlocked, 2 workers, %s: lost %.1f %% with no window, %.1f %% with 1 us, %.1f %% with 10 us between load and store",
		mode_model[mode],
		strstr(extra, "gap") ? "10 us of other work per increment" : "a tight loop",
		s[0].median, s[1].median, s[2].median);
}

static void counter_summarize(struct pb_report *rep)
{
	note_exact(rep);
	note_seed(rep);
	for (int m = 0; m < 2; m++) {
		note_w2(rep, m, "");
		note_w2(rep, m, "pin:compact");
		note_w2(rep, m, "pin:scatter");
		note_window(rep, m, "pin:scatter");
		note_window(rep, m, "gap_ns:10000/pin:scatter");
	}
	rows_vs_atomic(rep);
}

const struct pb_experiment counter_suite = {
	.name = "counter",
	.summary = "shared counter: unlocked loses updates, six variants' cost per increment",
	.plan = counter_plan,
	.summarize = counter_summarize,
};
