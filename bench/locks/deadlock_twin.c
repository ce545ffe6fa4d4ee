/* SPDX-License-Identifier: MIT */
/*
 * deadlock_twin — the CPython twins of deadlock (bench/cpython/locks.py),
 * planned beside it.
 */
#include "cpython.h"
#include "twins.h"

static const struct cpython_prog locks_prog = { "locks.py", NULL };

/* deadlock: AB/BA detected by acquire(timeout=...), RLock and Lock re-entry. */
static void plan_deadlock(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-abba", "cpython-rlock-reentry",
					      "cpython-lock-reentry" };

	for (int m = 0; m < 3; m++) {
		struct pb_case c = cpython_case("deadlock", models[m], "-", &locks_prog, 10);

		pb_case_name(&c, "detect_ms", PB_PICK(cfg, 50, 100, 100));
		if (m == 1)
			pb_case_name(&c, "rounds", PB_PICK(cfg, 100000, 500000, 2000000));
		c.workers = m == 0 ? 2 : 1;
		if (m == 2) /* locks.py's REENTRY_WAITS waits, each the whole timeout */
			c.est_s += REENTRY_WAITS * pb_case_get(&c, "detect_ms") / 1e3;
		pb_plan_add(plan, &c);
	}
}

void deadlock_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_deadlock(plan, cfg);
}
