/* SPDX-License-Identifier: MIT */
/*
 * counter-contention — W workers incrementing as fast as they can, every
 * variant, under the run's --pin and under compact and scatter: what each
 * way of not losing updates costs per increment, against one atomic add.
 */
#include <inttypes.h>
#include <string.h>

#include "counter_common.h"
#include "twins.h"

#define MAX_W 1024

/* W = 1, 2, ... 8, then powers of two, up to 2 x PUs (quick: 2 and 2 x
 * PUs, where workers contend). */
static int contention_workers(const struct pb_config *cfg, int *w, int max)
{
	int hi = 2 * cfg->pus < MAX_W ? 2 * cfg->pus : MAX_W, n = 0;

	for (int x = 1; x <= hi && n < max - 1; x = x < 8 ? x + 1 : x * 2)
		if (cfg->profile != PROFILE_QUICK || x == 2 || x == hi)
			w[n++] = x;
	if (n == 0 || w[n - 1] != hi)
		w[n++] = hi;
	return n;
}

/* A fixed total of increments shared by the W workers (the figure is the
 * cost per increment, so a 64-PU machine's 128 workers do the same work as
 * 2 PUs' 4, not 32 times more): at W = 2 each does what one did before.
 * Quick 200,000, default 400,000, full 1M (2M took 34 s of a 7:16 default run's cases
 * on a 2-vCPU AMD EPYC VM, run 20261207T161308Z, and 12 of full's 60
 * minutes on 64 PUs at the costs measured there; the cost per increment
 * is the same: a contended semaphore's 220 ns makes 88 ms of timed loop). */
static int64_t per_worker(const struct pb_config *cfg, int w)
{
	int64_t total = PB_PICK(cfg, 200000, 400000, 1000000), n = total / w;

	return n < 10000 ? 10000 : n;
}

/* The plan's estimate of one increment by W contending workers, ns, as
 * measured on the slowest machine met, a 2-vCPU AMD EPYC VM (default run
 * 20261207T161308Z, 2M increments), rounded up: at most one worker a PU
 * (W = 2) semaphore 118 ns, spin 38, mutex 45, atomic 17; more workers than
 * PUs (W = 3, 4) semaphore 216, spin 75; unlocked and sharded 7. */
static double increment_ns(const char *variant, bool oversubscribed)
{
	static const struct {
		const char *variant;
		double ns, over_ns;
	} cost[] = { { "semaphore", 120, 220 },
		     { "spin", 40, 80 },
		     { "mutex", 50, 50 },
		     { "atomic", 20, 20 } };

	for (size_t i = 0; i < sizeof(cost) / sizeof(cost[0]); i++)
		if (strcmp(cost[i].variant, variant) == 0)
			return oversubscribed ? cost[i].over_ns : cost[i].ns;
	return 8; /* unlocked, sharded */
}

/* Threads under the GIL (counter-threads-gil), under the run's --pin:
 * unlocked, and atomic for its cost. The same work as the free threads. */
static void gil_plan(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case c,
		     const int *w, int nw)
{
	static const char *const variants[] = { "unlocked", "atomic" };

	c.pin_fixed = false;
	c.pin = PIN_NONE;
	for (int i = 0; i < nw; i++) {
		int64_t n = per_worker(cfg, w[i]);

		pb_case_unname(&c);
		c.workers = w[i];
		c.est_s = 0.003 + 10e-9 * (double)(n * w[i]) + 0.0005 * w[i];
		for (int v = 0; v < 2; v++)
			counter_add(plan, c, variants[v], COUNTER_THREADS_GIL, n);
	}
}

/* value-unlocked as CPython runs `v.value += 1`: 2 processes, the window,
 * the gap and the second worker's late start CPython's, measured in each
 * repetition (counter.py workload=calibrate and calibrate-start), the
 * increments of cpython-value's tight loop: the fidelity table's twin of
 * cpython-value/unlocked/w:2. The estimate: the calibrations (two Python
 * starts, 0.2 s of loops, 5 rounds of two Process starts), then about 0.5 us an
 * increment (two processes, 2-PU VM, run 20261130T212906Z's cpython-value
 * locked at 0.9 us, rounded down: no interpreter here). */
static void cpython_twin_plan(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case c)
{
	int64_t n = PB_PICK(cfg, 50000, 100000, 400000); /* as cpython-value's */

	c.pin_fixed = false;
	c.pin = PIN_NONE;
	pb_case_unname(&c);
	pb_case_name_str(&c, "window", "cpython");
	pb_case_set(&c, "window_cpython", 1);
	c.workers = 2;
	c.est_s = 0.6 + 0.5e-6 * (double)(2 * n);
	counter_add(plan, c, "value-unlocked", COUNTER_PROCS, n);
	counter_twin_unlocked(plan, cfg); /* its CPython twin, side by side */
}

/* Every variant, W workers sharing a fixed total of increments as fast as
 * they can, under the run's --pin and again under compact and scatter
 * (quick: those two at W = 2 and processes only; default: at W = 2). The
 * estimate: each variant's increment_ns, and the workers' start. */
static void contention_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const enum pin_policy pins[] = { PIN_COMPACT, PIN_SCATTER };
	int w[64] = { 0 }, nw = contention_workers(cfg, w, 64);
	bool quick = cfg->profile == PROFILE_QUICK;
	struct pb_case c = { .experiment = "counter-contention" };

	for (int m = 0; m < 2; m++)
		for (int p = -1; p < 2; p++)
			for (int i = 0; i < nw; i++) {
				int64_t n = per_worker(cfg, w[i]);

				if (p >= 0 && quick && (m > 0 || w[i] != 2))
					continue;
				/* default: compact against scatter at W = 2, where a
				 * shared cache line or not decides (a 5-minute budget) */
				if (p >= 0 && cfg->profile == PROFILE_DEFAULT && w[i] != 2)
					continue;
				c.pin_fixed = p >= 0;
				c.pin = p >= 0 ? pins[p] : PIN_NONE;
				pb_case_unname(&c);
				if (p >= 0)
					pb_case_name_str(&c, "pin", pin_policy_name(pins[p]));
				c.workers = w[i];
				for (int v = 0; counter_variants[v]; v++) {
					const char *name = counter_variants[v]->name;

					/* value-unlocked: only with CPython's window */
					if (strcmp(name, "value-unlocked") == 0)
						continue;

					/* the start: 3 ms (22 ms a repetition
					 * in all, run 20261207T213102Z) */
					c.est_s = 0.003 +
						  1e-9 * increment_ns(name, w[i] > cfg->pus) *
							  (double)(n * w[i]) +
						  0.0005 * w[i];
					counter_add(plan, c, name, m, n);
				}
			}
	gil_plan(plan, cfg, c, w, nw);
	cpython_twin_plan(plan, cfg, c);
}

/* The case of variant at W = 2 under mode and the pin in extra. */
static const struct pb_case *at_w2(const struct pb_report *rep, enum counter_mode mode,
				   const char *extra, const char *variant)
{
	const struct pb_case_key key = { .experiment = "counter-contention",
					 .model = counter_model[mode],
					 .workload = variant,
					 .extra = extra,
					 .workers = 2 };

	return pb_report_find(rep, &key);
}

/* unlocked at W = 2: losses; every variant: its cost against atomic.
 * fixed: the pin the cases fixed (their "pin" parameter, in their name as
 * extra), NULL for the cases under the run's --pin. */
static void note_w2(struct pb_report *rep, enum counter_mode mode, const char *fixed,
		    const char *extra)
{
	const char *model = counter_model[mode];
	const char *pin = fixed ? fixed : pin_policy_name(pb_report_cfg(rep)->pin);
	const struct pb_case *at = at_w2(rep, mode, extra, "atomic");
	const struct pb_case *un = at_w2(rep, mode, extra, "unlocked");
	const struct pb_case *mu = at_w2(rep, mode, extra, "mutex");
	const struct pb_case *se = at_w2(rep, mode, extra, "semaphore");
	struct stats_summary l, mr, sr;
	struct pb_finding *f;
	char id[96];

	if (un && pb_report_stat(rep, un->name, "lost_pct", &l)) {
		snprintf(id, sizeof(id), "lost_%s_%s", model, pin);
		f = pb_report_finding(rep, id,
				      "counter-contention %s (pin %s), unlocked, 2 workers × %" PRId64
				      ": the increments lost, and how much of the time the workers "
				      "overlapped",
				      model, pin, pb_case_get(un, "increments"));
		pb_finding_figure(f, "lost", l, "%");
		pb_finding_stat(f, rep, un, "overlap", "overlap_pct", "%");
	}
	if (pb_report_ratio(rep, mu, at, "ns_per_increment", &mr) &&
	    pb_report_ratio(rep, se, at, "ns_per_increment", &sr)) {
		snprintf(id, sizeof(id), "cost_%s_%s", model, pin);
		f = pb_report_finding(rep, id,
				      "counter-contention %s (pin %s), 2 workers: the cost of an "
				      "increment, atomic against the locks",
				      model, pin);
		pb_finding_stat(f, rep, at, "atomic", "ns_per_increment", "ns");
		pb_finding_stat(f, rep, mu, "mutex", "ns_per_increment", "ns");
		pb_finding_figure(f, "mutex / atomic", mr, "x");
		pb_finding_stat(f, rep, se, "semaphore", "ns_per_increment", "ns");
		pb_finding_figure(f, "semaphore / atomic", sr, "x");
	}
}

/* cost_vs_atomic: each case's ns_per_increment over atomic's at the same
 * W, model and pin (pb_report_ratio: median over median, min over max ...). */
static void rows_vs_atomic(struct pb_report *rep)
{
	const struct pb_case_key key = { .experiment = "counter-contention" };
	struct stats_summary r;

	for (const struct pb_case *c = pb_report_find(rep, &key); c;
	     c = pb_report_next(rep, &key, c)) {
		const struct pb_case_key atomic = { .experiment = c->experiment,
						    .model = c->model,
						    .workload = "atomic",
						    .extra = c->extra,
						    .workers = c->workers };

		if (pb_report_ratio(rep, c, pb_report_find(rep, &atomic), "ns_per_increment", &r))
			pb_report_row(rep, c, NULL, "cost_vs_atomic", r, "x");
	}
}

/* Threads under the GIL against free threads, unlocked at W = 2: how many
 * increments each lost, and how many GIL switches could have lost one. */
static void note_gil(struct pb_report *rep)
{
	const struct pb_case *g = at_w2(rep, COUNTER_THREADS_GIL, "", "unlocked");
	const struct pb_case *fr = at_w2(rep, COUNTER_THREADS, "", "unlocked");
	struct stats_summary gl, fl, sw;
	struct pb_finding *f;

	if (!g || !fr || !pb_report_stat(rep, g->name, "lost_pct", &gl) ||
	    !pb_report_stat(rep, g->name, "gil_switches", &sw) ||
	    !pb_report_stat(rep, fr->name, "lost_pct", &fl))
		return;
	f = pb_report_finding(rep, "lost_gil_vs_free_threads",
			      "counter-contention, unlocked, 2 threads × %" PRId64
			      ": the increments lost under the GIL and by free threads",
			      pb_case_get(g, "increments"));
	pb_finding_figure(f, "lost under the GIL", gl, "%");
	pb_finding_figure(f, "GIL switches", sw, "");
	pb_finding_figure(f, "lost by free threads", fl, "%");
	if (gl.median < fl.median)
		pb_finding_verdict(f, "the GIL loses fewer",
				   "the GIL serialises the increments; only a switch between a "
				   "load and its store loses (what the other thread counted "
				   "meanwhile)");
	else
		pb_finding_verdict(f, "the GIL did not lose fewer here", NULL);
}

static void contention_summarize(struct pb_report *rep)
{
	note_gil(rep);
	for (int m = 0; m < 2; m++) {
		note_w2(rep, m, NULL, "");
		note_w2(rep, m, "compact", "pin:compact");
		note_w2(rep, m, "scatter", "pin:scatter");
	}
	rows_vs_atomic(rep);
}

/* counter-contention's parameters (cases.csv's units and types) */
static const struct pb_param_decl counter_contention_params[] = {
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ "workload", PB_ENUM, "", "the lock variant" },
	{ "mode", PB_INT, "", "processes, threads or threads under the GIL, as enum counter_mode" },
	{ "increments", PB_INT, "count", "increments per worker" },
	{ "window", PB_STR, "",
	  "\"cpython\": CPython's window, gap, lock hold and second worker's start lag, "
	  "measured each repetition" },
	{ "window_cpython", PB_INT, "", "1: CPython's window" },
	{ "n", PB_INT, "count",
	  "increments per worker of the CPython twin (cpython-value/unlocked)" },
	{ 0 }, /* the end */
};

const struct pb_experiment counter_contention_experiment = {
	.name = "counter-contention",
	.summary =
		"W workers on one counter, six variants (and CPython's value-unlocked at W = 2): the cost per increment, against atomic",
	.teaches =
		"The price of every way to make the counter right: mutex, semaphore, spin lock, atomic, "
		"per-worker shards.",
	.headline = { "ns_per_increment", "ns", PB_LOWER_IS_BETTER },
	.figures = "counter-contention",
	.cpython_twin = "counter.py",
	.plan = contention_plan,
	.summarize = contention_summarize,
	.params = counter_contention_params,
};
