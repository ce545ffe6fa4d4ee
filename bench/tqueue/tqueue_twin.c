/* SPDX-License-Identifier: MIT */
/*
 * tqueue_twin — the CPython twins of tqueue-prodcons (bench/cpython/tqueue.py),
 * planned beside it.
 */
#include "cpython.h"
#include "twins.h"

static const struct cpython_prog tqueue_prog = { "tqueue.py", NULL };

/* tqueue-prodcons: queue.Queue between threads and multiprocessing.Queue
 * between processes, one producer and one consumer (the C sweep's p:1/c:1). */
static void plan_tqueue(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-threads", "cpython-mp-queue" };

	for (int m = 0; m < 2; m++) {
		struct pb_case c =
			cpython_case("tqueue-prodcons", models[m], "-", &tqueue_prog, 30);

		pb_case_set(&c, "n", PB_PICK(cfg, 100000, 200000, 2000000));
		pb_case_set(&c, "send_ms", PB_PICK(cfg, 100, 200, 500));
		c.est_s = 0.1 + 1.5 * PB_PICK(cfg, 100, 200, 500) / 1e3;
		pb_case_name(&c, "p", 1);
		pb_case_name(&c, "c", 1);
		c.workers = 2;
		pb_plan_add(plan, &c);
	}
}

void tqueue_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_tqueue(plan, cfg);
}
