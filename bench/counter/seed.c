/* SPDX-License-Identifier: MIT */
/*
 * counter-seed — the seed's program, 10 workers sleeping 10 ms before each
 * `val.value += 1`: how many updates the unlocked counter loses, and why
 * that depends on how many workers really overlap (a common wake-up tick, a
 * window longer than a time slice).
 */
#include <inttypes.h>
#include <string.h>

#include "counter_common.h"

#define SEED_WORKERS 10		 /* the seed: 10 processes ... */
#define SEED_SLEEP_NS 10000000ll /* ... each sleeping 10 ms before each increment */
#define PY_WINDOW_NS 1000	 /* CPython's val.value += 1 here: 0.7-0.8 us hot */
#define SEED_TOTAL_LOW 201	 /* the seed's five results: 201 ... */
#define SEED_TOTAL_HIGH 269	 /* ... to 269 of 500 */

/* A seed case's name and loop: n increments per worker, 10 ms of sleep
 * before each, on a common tick or not. */
static void seed_case(struct pb_case *c, int n, bool tick)
{
	pb_case_unname(c);
	pb_case_name(c, "n", n);
	pb_case_set(c, "sleep_ns", SEED_SLEEP_NS);
	pb_case_set(c, "sleep_tick", tick);
	if (tick)
		pb_case_name_str(c, "sleep", "tick");
}

/* Every variant costs the seed's half a second a repetition: the default
 * and quick profiles (5 minutes, one) keep the lessons, unlocked against
 * the lock CPython's Value uses (a semaphore, multiprocessing.synchronize.
 * Lock) and a mutex, and the threads unlocked; full keeps all. */
static bool seed_keeps(const struct pb_config *cfg, int mode, const char *variant)
{
	if (cfg->profile == PROFILE_FULL || strcmp(variant, "unlocked") == 0)
		return true;
	return mode == 0 && (strcmp(variant, "semaphore") == 0 || strcmp(variant, "mutex") == 0);
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
	/* default: 25 increments each (the seed's 50, full's, made the five
	 * cases with their CPython twin take 17 s of a 7:16 default run on a
	 * 2-vCPU AMD EPYC VM, run 20261207T161308Z); updates are lost alike */
	int n = PB_PICK(cfg, 10, 25, 50), modes = PB_PICK(cfg, 1, 2, 2);
	int nmore = PB_PICK(cfg, 2, 0, 4);
	struct pb_case c = { .experiment = "counter-seed", .param = "window_ns" };

	for (int m = 0; m < modes; m++) {
		seed_case(&c, n, false);
		c.workers = SEED_WORKERS;
		c.param_value = PY_WINDOW_NS;
		c.est_s = 0.05 + n * 0.0105; /* n sleeps of 10 ms, side by side */
		for (int v = 0; counter_variants[v]; v++)
			if (seed_keeps(cfg, m, counter_variants[v]->name))
				counter_add(plan, c, counter_variants[v]->name, m, n);
		for (int i = 0; m == 0 && i < nmore; i++) {
			seed_case(&c, n, more[i].aligned);
			c.workers = more[i].workers;
			c.param_value = more[i].window_ns;
			counter_add(plan, c, "unlocked", m, n);
		}
	}
}

/* Every unlocked seed case: where it ended against the seed's own runs. */
static void seed_summarize(struct pb_report *rep)
{
	const struct pb_case_key key = { .experiment = "counter-seed", .workload = "unlocked" };
	struct stats_summary f, l, e, w;
	struct pb_finding *x;
	char id[64];

	/* counter-seed runs first of the group: the group's one exactness note */
	counter_note_exact(rep);
	for (const struct pb_case *c = pb_report_find(rep, &key); c;
	     c = pb_report_next(rep, &key, c)) {
		if (!pb_case_has(c, "sleep_tick", NULL)) /* cpython-value: the fidelity table's */
			continue;
		if (!pb_report_stat(rep, c->name, "final_count", &f) ||
		    !pb_report_stat(rep, c->name, "lost_pct", &l) ||
		    !pb_report_stat(rep, c->name, "expected_count", &e) ||
		    !pb_report_stat(rep, c->name, "wall_s", &w))
			continue;
		snprintf(id, sizeof(id), "lost_%s_w%d_window%.0fns", c->model, c->workers,
			 c->param_value);
		x = pb_report_finding(rep, id,
				      "counter-seed %s, unlocked, %d workers × %" PRId64
				      ", window %.0f ns%s: where the count ends, what it lost, against "
				      "the seed's own runs",
				      c->model, c->workers, pb_case_get(c, "increments"),
				      c->param_value,
				      pb_case_get(c, "sleep_tick") ?
					      ", waking on a common 10 ms tick" :
					      "");
		pb_finding_figure(x, "final count", f, "");
		pb_finding_figure(x, "expected", e, "");
		pb_finding_figure(x, "lost", l, "%");
		pb_finding_figure(x, "wall_s", w, "s");
		pb_finding_value(x, "seed lost from", 100.0 * (500 - SEED_TOTAL_HIGH) / 500, "%");
		pb_finding_value(x, "seed lost to", 100.0 * (500 - SEED_TOTAL_LOW) / 500, "%");
	}
}

/* counter-seed's parameters (cases.csv's units and types) */
static const struct pb_param_decl counter_seed_params[] = {
	{ "workload", PB_ENUM, "", "the lock variant" },
	{ "n", PB_INT, "count", "increments per worker" },
	{ "window_ns", PB_REAL, "ns", "the gap between load and store" },
	{ "sleep_ns", PB_INT, "ns", "the sleep before each increment" },
	{ "sleep_tick", PB_INT, "", "1: the sleeps end on a common tick" },
	{ "sleep", PB_STR, "", "\"tick\": the sleeps end on a common tick" },
	{ "mode", PB_INT, "", "processes or threads, as enum counter_mode" },
	{ "increments", PB_INT, "count", "increments per worker" },
	{ 0 }, /* the end */
};

const struct pb_experiment counter_seed_experiment = {
	.name = "counter-seed",
	.summary =
		"the seed's Value('i') += 1 by 10 sleeping workers: how many updates unlocked loses",
	.teaches =
		"The seed's Value('i'): processes that increment a shared counter without a lock lose "
		"updates; with a Lock the count is right and slower.",
	.headline = { "lost_pct", "%", PB_LOWER_IS_BETTER },
	.figures = "counter-seed",
	.cpython_twin = "counter.py",
	.plan = seed_plan,
	.summarize = seed_summarize,
	.params = counter_seed_params,
};
