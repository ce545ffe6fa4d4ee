/* SPDX-License-Identifier: MIT */
/*
 * tqueue_twin — the CPython twins of tqueue-prodcons (bench/cpython/tqueue.py),
 * planned beside it.
 */
#include "cpython.h"
#include "tqueue_prodcons.h"
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

		/* default as the C twins' (bench/tqueue/tqueue_prodcons.c) */
		pb_case_set(&c, "n", PB_PICK(cfg, 100000, 200000, 2000000));
		pb_case_set(&c, "send_ms", PB_PICK(cfg, 100, 80, 200));
		c.est_s = CPYTHON_START_EST_S + 1.5 * PB_PICK(cfg, 100, 80, 200) / 1e3;
		pb_case_name(&c, "p", 1);
		pb_case_name(&c, "c", 1);
		c.workers = 2;
		pb_plan_add(plan, &c);
	}
}

/* tqueue-prodcons's pinned twins (tqueue_prodcons.c): one PU and all of
 * them, the thread queue unbounded and bounded, the process queue beside
 * them. */
static void plan_tqueue_pinned(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_NONE };
	int64_t n = tqueue_pinned_items(cfg), send_ms = tqueue_pinned_send_ms(cfg);

	for (int p = 0; p < 2; p++)
		for (int s = 0; s < 3; s++) {
			struct pb_case c =
				cpython_case("tqueue-prodcons",
					     s < 2 ? "cpython-threads" : "cpython-mp-queue", "-",
					     &tqueue_prog, 30);

			pb_case_set(&c, "n", n);
			pb_case_set(&c, "send_ms", send_ms);
			/* Python's start-up, then 90 k items/s (2 PUs); the
			 * process queue starts two processes */
			c.est_s = s < 2 ? 0.1 + (double)n * 11e-6 :
					  0.3 + 1.5 * (double)send_ms / 1e3;
			pb_case_name(&c, "p", 1);
			pb_case_name(&c, "c", 1);
			if (s < 2)
				pb_case_name(&c, "maxsize", s ? 1024 : 0);
			pb_case_name_str(&c, "pin", pin_policy_name(pins[p]));
			c.workers = 2;
			c.pin_fixed = true;
			c.pin = pins[p];
			pb_plan_add(plan, &c);
		}
}

void tqueue_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_tqueue(plan, cfg);
	plan_tqueue_pinned(plan, cfg);
}
