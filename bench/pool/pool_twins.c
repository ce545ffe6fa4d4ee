/* SPDX-License-Identifier: MIT */
/*
 * pool_twins — the CPython twins of pool-overhead, chunksize, ordering,
 * pool-manager-queue and pool-error (bench/cpython/pool.py), with the C
 * twins' sizes, planned beside them.
 */
#include "cpython.h"
#include "pool_common.h"
#include "twins.h"

static const struct cpython_prog overhead_prog = { "pool.py", "mode=overhead" };
static const struct cpython_prog chunksize_prog = { "pool.py", "mode=chunksize" };
static const struct cpython_prog ordering_prog = { "pool.py", "mode=ordering" };
static const struct cpython_prog busy_prog = { "pool.py", "mode=busy" };
static const struct cpython_prog error_prog = { "pool.py", "mode=error" };
static const struct cpython_prog manager_prog = { "pool.py", "mode=manager" };

/* The manager queue's twin and pool-error's: the default profile only
 * (full's 10 repetitions of them would take the 15 s its hour on 64 PUs
 * has not left). */
static void plan_pool_failures(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c =
		cpython_case("pool-manager-queue", "cpython-manager-queue", "-", &manager_prog, 60);

	pb_case_name(&c, "n", PE_MANAGER_QUEUE_N(cfg)); /* as the C twin's */
	pb_case_set(&c, "msg_bytes", PE_MANAGER_QUEUE_BYTES);
	c.workers = cfg->pus > 1 ? cfg->pus : 2;
	c.est_s = 0.3 + PE_MANAGER_QUEUE_N(cfg) * 0.002; /* Manager()'s start; ms a task */
	pb_plan_add(plan, &c);
	c = cpython_case("pool-error", "cpython-pool", "-", &error_prog, 30);
	pb_case_name(&c, "n", 100); /* as the C twin's (bench/pool/pool_error.c) */
	c.workers = cfg->pus;
	c.est_s = 0.25; /* the interpreter, its imports, Pool(W), two maps */
	pb_plan_add(plan, &c);
}

/* pool-overhead, chunksize (the C sizes, and map's default), the pool's
 * failures and ordering. */
static void plan_pool(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int sizes[] = { 1, 16, 64, 1024 };
	static const char *const orders[] = { "cpython-map", "cpython-imap",
					      "cpython-imap_unordered" };
	struct pb_case c = cpython_case("pool-overhead", "cpython-pool", "-", &overhead_prog, 30);
	int n = chunksize_tasks(cfg), w = cfg->pus;

	pb_case_name(&c, "n", 1000);
	c.workers = 1;
	c.est_s = CPYTHON_START_EST_S + 0.25; /* Pool(1), 1000 round trips (run 20261207T161308Z) */
	pb_plan_add(plan, &c);
	for (int k = 0; k <= 4; k++) {
		c = cpython_case("chunksize", k < 4 ? "cpython-pool" : "cpython-pool-default", "-",
				 &chunksize_prog, 60);
		pb_case_name(&c, "n", n);
		c.workers = w;
		c.param = "chunksize";
		c.param_value = k < 4 ? sizes[k] : (n + 4 * w - 1) / (4 * w);
		/* the pool's start, 40 us a chunk (chunksize 1: 0.77 s for
		 * 20,000, run 20261207T161308Z) */
		c.est_s = CPYTHON_START_EST_S + 0.1 + (double)n / c.param_value * 40e-6;
		pb_plan_add(plan, &c);
	}
	overhead_busy_twins(plan, cfg,
			    cpython_case("pool-overhead", "cpython-pool-busy", "-", &busy_prog,
					 30));
	if (cfg->profile == PROFILE_DEFAULT)
		plan_pool_failures(plan, cfg);
	for (int m = 0; m < 3; m++) {
		c = cpython_case("ordering", orders[m], "-", &ordering_prog, 30);
		pb_case_name(&c, "n", 16);
		pb_case_set(&c, "lo_ms", PB_PICK(cfg, 2, 10, 50));
		pb_case_set(&c, "hi_ms", PB_PICK(cfg, 30, 60, 500)); /* as the C twins */
		c.workers = 16;
		c.est_s = CPYTHON_START_EST_S + 0.3; /* Pool(16)'s start, the sleeps */
		pb_plan_add(plan, &c);
	}
}

void pool_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_pool(plan, cfg);
}
