/* SPDX-License-Identifier: MIT */
/*
 * counter_twin — the CPython twins of counter-contention and counter-seed
 * (bench/cpython/counter.py), planned beside them.
 */
#include "cpython.h"
#include "twins.h"

static const struct cpython_prog counter_prog = { "counter.py", NULL };

/* counter: the tight 2-process loop (counter-contention's n per worker)
 * and the seed's 10 processes x 50 increments with sleep(0.01). */
static void plan_counter(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const variants[] = { "unlocked", "locked", "rawvalue" };
	struct pb_case seed =
		cpython_case("counter-seed", "cpython-value", "unlocked", &counter_prog, 10);

	for (int v = 0; v < 3; v++) {
		struct pb_case c = cpython_case("counter-contention", "cpython-value", variants[v],
						&counter_prog, 60);

		/* default as quick: the lost fraction settles long before
		 * (default run 20261130T204845Z: 0.9 us an increment locked,
		 * two processes side by side) */
		int64_t n = PB_PICK(cfg, 100000, 200000, 1000000);

		pb_case_set(&c, "n", n);
		c.est_s = 0.05 + (double)n * 1e-6;
		c.workers = 2;
		pb_plan_add(plan, &c);
	}
	pb_case_name(&seed, "n", PB_PICK(cfg, 10, 50, 50)); /* as the C twins' */
	pb_case_name(&seed, "sleep_ms", 10);
	seed.workers = 10;
	seed.est_s = 0.15 + PB_PICK(cfg, 10, 50, 50) * 0.0105; /* ten forked, n sleeps */
	pb_plan_add(plan, &seed);
}

void counter_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_counter(plan, cfg);
}
