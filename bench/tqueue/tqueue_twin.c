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

void tqueue_twin_pinned(struct pb_plan *plan, const struct pb_config *cfg, enum pin_policy pin,
			int64_t maxsize)
{
	int64_t n = tqueue_pinned_items(cfg), send_ms = tqueue_pinned_send_ms(cfg);
	struct pb_case c = cpython_case("tqueue-prodcons",
					maxsize >= 0 ? "cpython-threads" : "cpython-mp-queue", "-",
					&tqueue_prog, 30);

	pb_case_set(&c, "n", n);
	pb_case_set(&c, "send_ms", send_ms);
	/* Python's start-up, then 90 k items/s (2 PUs); the process queue
	 * starts two processes */
	c.est_s = maxsize >= 0 ? 0.1 + (double)n * 11e-6 : 0.3 + 1.5 * (double)send_ms / 1e3;
	pb_case_name(&c, "p", 1);
	pb_case_name(&c, "c", 1);
	if (maxsize >= 0)
		pb_case_name(&c, "maxsize", maxsize);
	pb_case_name_str(&c, "pin", pin_policy_name(pin));
	c.workers = 2;
	c.pin_fixed = true;
	c.pin = pin;
	pb_plan_add(plan, &c);
}

void tqueue_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_tqueue(plan, cfg); /* the pinned twins: tqueue-prodcons plans them */
}
