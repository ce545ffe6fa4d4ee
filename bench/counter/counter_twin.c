/* SPDX-License-Identifier: MIT */
/*
 * counter_twin — the CPython twins of counter-contention and counter-seed
 * (bench/cpython/counter.py), planned beside them.
 */
#include "cpython.h"
#include "twins.h"

static const struct cpython_prog counter_prog = { "counter.py", NULL };

/* One tight 2-process loop of counter.py (counter-contention's n per
 * worker): variant v of unlocked, locked, rawvalue. */
static void plan_tight(struct pb_plan *plan, const struct pb_config *cfg, int v)
{
	static const char *const variants[] = { "unlocked", "locked", "rawvalue" };
	struct pb_case c =
		cpython_case("counter-contention", "cpython-value", variants[v], &counter_prog, 60);
	/* the lost fraction settles long before (default run
	 * 20261130T204845Z: 0.9 us an increment locked, two processes side by
	 * side; at 200,000 the three took 7 s of 5 repetitions with their
	 * starts, run 20261207T161308Z); quick: its minute; full: its hour on
	 * 64 PUs */
	int64_t n = PB_PICK(cfg, 50000, 100000, 400000);

	pb_case_set(&c, "n", n);
	/* an increment: 2.2 us unlocked, 4 us locked, 0.7 us a RawValue (run
	 * 20261207T161308Z) */
	c.est_s = CPYTHON_START_EST_S + (double)n * (v == 1 ? 4e-6 : v == 0 ? 2.2e-6 : 0.7e-6);
	c.workers = 2;
	pb_plan_add(plan, &c);
}

void counter_twin_unlocked(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_tight(plan, cfg, 0);
}

/* counter: locked and rawvalue's tight loops (unlocked's is planned by
 * counter-contention, beside its C twin) and the seed's 10 processes x 50
 * increments with sleep(0.01). */
static void plan_counter(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case seed =
		cpython_case("counter-seed", "cpython-value", "unlocked", &counter_prog, 10);

	/* quick: locked, the lesson's pair with unlocked (the RawValue twin
	 * teaches its own cost, from the default profile on) */
	for (int v = 1; v < (cfg->profile == PROFILE_QUICK ? 2 : 3); v++)
		plan_tight(plan, cfg, v);
	pb_case_name(&seed, "n", PB_PICK(cfg, 10, 25, 50)); /* as the C twins' */
	pb_case_name(&seed, "sleep_ms", 10);
	seed.workers = 10;
	/* ten forked, n sleeps */
	seed.est_s = CPYTHON_START_EST_S + 0.05 + PB_PICK(cfg, 10, 25, 50) * 0.0105;
	pb_plan_add(plan, &seed);
}

void counter_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_counter(plan, cfg);
}
