/* SPDX-License-Identifier: MIT */
/*
 * cpython — the plan: every CPython case is named as its C twin with the
 * model cpython-<model>, and has the twin's parameters, so the summaries,
 * the plots and the fidelity table find both on the same axes.
 */
#include <stdio.h>
#include <string.h>

#include "cpython.h"
#include "gil_common.h"
#include "ipc_common.h"
#include "pool_common.h"
#include "tasks.h"

/* The interpreter's start and imports are outside the measured work but
 * inside the watchdog's budget. */
#define PY_SLACK_S 30.0

static const struct cpython_prog tasks_prog = { "tasks.py", NULL };
static const struct cpython_prog echo_prog = { "gil.py", "mode=convoy io=echo echo_us=100" };
static const struct cpython_prog sleep_prog = { "gil.py", "mode=convoy io=sleep sleep_us=1000" };
static const struct cpython_prog slices_prog = { "gil.py", "mode=slices" };
static const struct cpython_prog ipc_prog = { "ipc.py", NULL };
static const struct cpython_prog counter_prog = { "counter.py", NULL };
static const struct cpython_prog overhead_prog = { "pool.py", "mode=overhead" };
static const struct cpython_prog chunksize_prog = { "pool.py", "mode=chunksize" };
static const struct cpython_prog ordering_prog = { "pool.py", "mode=ordering" };
static const struct cpython_prog busy_prog = { "pool.py", "mode=busy" };
static const struct cpython_prog tqueue_prog = { "tqueue.py", NULL };
static const struct cpython_prog locks_prog = { "locks.py", NULL };

static struct pb_case py_case(const char *experiment, const char *model, const char *workload,
			      const struct cpython_prog *prog, double budget_s)
{
	return (struct pb_case){ .experiment = experiment,
				 .model = model,
				 .workload = workload,
				 .data = prog,
				 .run = cpython_run,
				 .budget_s = PY_SLACK_S + budget_s };
}

/* One tasks case of model: its kind's task count, ms each, on w workers. */
static void py_tasks_add(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
			 enum workload_kind kind, double ms, int w)
{
	int n = tasks_count(cfg, kind);
	struct pb_case c =
		py_case("tasks", model, workload_name(kind), &tasks_prog, 4.0 * n * ms / 1e3);

	c.param = "task_ms";
	c.param_value = ms;
	pb_case_name(&c, "n", n);
	c.workers = w;
	/* Python's start-up, then the C twin's estimate (serial: one task at a
	 * time, as are threads under the GIL for cpu) */
	c.est_s = 0.05 + tasks_estimate(cfg, kind == WL_CPU,
					strcmp(model, "cpython-serial") == 0 ||
						strcmp(model, "cpython-threads") == 0,
					n, w, ms);
	pb_plan_add(plan, &c);
}

/* tasks: the C tasks' plan (bench/tasks/tasks.c): the same task counts,
 * lengths and worker sweeps; serial with 1 worker. */
static void plan_tasks(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-serial", "cpython-fork", "cpython-threads",
					      "cpython-pool", "cpython-coroutines" };

	for (int k = 0; k < 2; k++) {
		enum workload_kind kind = k == 0 ? WL_IO : WL_CPU;
		int n = tasks_count(cfg, kind), w[64], nw = tasks_workers(cfg, n, w, 64);
		double ms = tasks_task_ms(cfg, kind);

		for (int m = 0; m < 5; m++)
			for (int i = 0; i < (m == 0 ? 1 : nw); i++) {
				/* default: the io curve at 1, 2 and every task at
				 * once (a 5-minute budget; the C twins draw it all) */
				if (cfg->profile == PROFILE_DEFAULT && kind == WL_IO && w[i] > 2 &&
				    w[i] != n)
					continue;
				py_tasks_add(plan, cfg, models[m], kind, ms, m == 0 ? 1 : w[i]);
			}
	}
	/* full: the seeds' own 5 io tasks of 1 s, as the C twins */
	for (int m = 0; cfg->profile == PROFILE_FULL && m < 5; m++)
		py_tasks_add(plan, cfg, models[m], WL_IO, TASKS_SEED_MS,
			     m == 0 ? 1 : tasks_count(cfg, WL_IO));
}

/* gil-convoy: the IO thread next to K CPU threads at the default 5 ms
 * interval: the echo round trip (the C twin's) and time.sleep(1 ms). */
static void plan_convoy(struct pb_plan *plan, const struct pb_config *cfg)
{
	int kmax = gil_convoy_kmax(cfg);

	for (int v = 0; v < 2; v++)
		for (int k = 0; k <= kmax; k = k < 2 ? k + 1 : 2 * k) {
			int n = gil_convoy_trips(cfg, k); /* as the C twin's */
			struct pb_case c = py_case("gil-convoy", "cpython-threads",
						   v ? "sleep" : "io", v ? &sleep_prog : &echo_prog,
						   0.02 * n);

			pb_case_name(&c, "n", n);
			if (v)
				pb_case_name(&c, "sleep_us", 1000);
			else
				pb_case_name(&c, "echo_us", 100);
			pb_case_set(&c, "switch_us", 5000);
			c.workers = k + 1;
			c.param = "cpu_threads";
			c.param_value = k;
			/* Python's start-up, then the C twin's; a sleep is 1 ms */
			c.est_s = 0.05 + gil_estimate(n, 5000, k) + (v ? 1e-3 * n : 0);
			pb_plan_add(plan, &c);
		}
}

/* gil-cores: two CPU threads' time slices, on one PU and on two. */
static void plan_cores(struct pb_plan *plan, const struct pb_config *cfg)
{
	int ms = PB_PICK(cfg, 25, 100, 500); /* as the C twins' (bench/gil/cores.c) */

	for (int pus = 1; pus <= 2 && pus <= cfg->pus; pus++) {
		struct pb_case c = py_case("gil-cores", "cpython-threads", "cpu", &slices_prog,
					   8.0 * ms / 1e3);

		pb_case_name(&c, "ms", ms);
		pb_case_set(&c, "switch_us", 5000);
		c.workers = 2;
		c.pin_fixed = true;
		c.pin = pus == 1 ? PIN_SINGLE : PIN_SCATTER;
		c.param = "pus";
		c.param_value = pus;
		c.est_s = 0.05 + 2.0 * ms / 1e3; /* under the GIL, one after the other */
		pb_plan_add(plan, &c);
	}
}

/* ipc-latency's queue-py-gil-busy twin: put, busy_us of Python work, get
 * (bench/ipc/latency_gil.c has the same sweep). */
static void plan_queue_busy(struct pb_plan *plan, const struct pb_config *cfg)
{
	const double *busy;
	int nbusy = queue_busy_sweep(cfg, &busy);

	for (int b = 0; b < nbusy; b++) {
		struct pb_case c = py_case("ipc-latency", "cpython-queue-busy", "-", &ipc_prog, 60);

		pb_case_name_str(&c, "pin", pin_policy_name(PIN_SCATTER));
		pb_case_set(&c, "n", queue_busy_trips(cfg));
		pb_case_set(&c, "msg_bytes", 64);
		c.workers = 2;
		c.pin_fixed = true;
		c.pin = PIN_SCATTER;
		c.param = "busy_us";
		c.param_value = busy[b];
		c.est_s = queue_busy_estimate(cfg, busy[b]);
		pb_plan_add(plan, &c);
	}
}

/* ipc-latency: round trips of 64 B, both ends on one PU and on two. */
static void plan_latency(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-pipe", "cpython-pipe-obj", "cpython-queue",
					      "cpython-simplequeue", "cpython-manager-queue" };
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_SCATTER };

	for (int p = 0; p < 2; p++)
		for (int m = 0; m < 5; m++) {
			struct pb_case c = py_case("ipc-latency", models[m], "-", &ipc_prog, 60);

			pb_case_name_str(&c, "pin", pin_policy_name(pins[p]));
			int64_t trips = PB_PICK(cfg, 400, 2000, 10000); /* as the C twins' */

			pb_case_set(&c, "n", trips);
			/* about 25 to 40 us a round trip, the manager's 130 to
			 * 170 (default run 20261130T204845Z), after Python's
			 * start-up */
			c.est_s = 0.05 + (double)trips * (m == 4 ? 170e-6 : 40e-6);
			c.workers = 2;
			c.pin_fixed = true;
			c.pin = pins[p];
			c.param = "msg_bytes";
			c.param_value = 64;
			pb_plan_add(plan, &c);
		}
	plan_queue_busy(plan, cfg);
}

/* counter: the tight 2-process loop (counter-contention's n per worker)
 * and the seed's 10 processes x 50 increments with sleep(0.01). */
static void plan_counter(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const variants[] = { "unlocked", "locked", "rawvalue" };
	struct pb_case seed =
		py_case("counter-seed", "cpython-value", "unlocked", &counter_prog, 10);

	for (int v = 0; v < 3; v++) {
		struct pb_case c = py_case("counter-contention", "cpython-value", variants[v],
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

/* pool-overhead, chunksize (the C sizes, and map's default) and ordering. */
static void plan_pool(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int sizes[] = { 1, 16, 64, 1024 };
	static const char *const orders[] = { "cpython-map", "cpython-imap",
					      "cpython-imap_unordered" };
	struct pb_case c = py_case("pool-overhead", "cpython-pool", "-", &overhead_prog, 30);
	int n = chunksize_tasks(cfg), w = cfg->pus;

	pb_case_name(&c, "n", 1000);
	c.workers = 1;
	pb_plan_add(plan, &c);
	for (int k = 0; k <= 4; k++) {
		c = py_case("chunksize", k < 4 ? "cpython-pool" : "cpython-pool-default", "-",
			    &chunksize_prog, 60);
		pb_case_name(&c, "n", n);
		c.workers = w;
		c.param = "chunksize";
		c.param_value = k < 4 ? sizes[k] : (n + 4 * w - 1) / (4 * w);
		pb_plan_add(plan, &c);
	}
	overhead_busy_twins(plan, cfg,
			    py_case("pool-overhead", "cpython-pool-busy", "-", &busy_prog, 30));
	for (int m = 0; m < 3; m++) {
		c = py_case("ordering", orders[m], "-", &ordering_prog, 30);
		pb_case_name(&c, "n", 16);
		pb_case_set(&c, "lo_ms", PB_PICK(cfg, 2, 10, 50));
		pb_case_set(&c, "hi_ms", PB_PICK(cfg, 30, 60, 1000)); /* as the C twins */
		c.workers = 16;
		pb_plan_add(plan, &c);
	}
}

/* tqueue-prodcons: queue.Queue between threads and multiprocessing.Queue
 * between processes, one producer and one consumer (the C sweep's p:1/c:1). */
static void plan_tqueue(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-threads", "cpython-mp-queue" };

	for (int m = 0; m < 2; m++) {
		struct pb_case c = py_case("tqueue-prodcons", models[m], "-", &tqueue_prog, 30);

		pb_case_set(&c, "n", PB_PICK(cfg, 100000, 200000, 2000000));
		pb_case_set(&c, "send_ms", PB_PICK(cfg, 100, 200, 500));
		c.est_s = 0.1 + 1.5 * PB_PICK(cfg, 100, 200, 500) / 1e3;
		pb_case_name(&c, "p", 1);
		pb_case_name(&c, "c", 1);
		c.workers = 2;
		pb_plan_add(plan, &c);
	}
}

/* deadlock: AB/BA detected by acquire(timeout=...), RLock and Lock re-entry. */
static void plan_deadlock(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-abba", "cpython-rlock-reentry",
					      "cpython-lock-reentry" };

	for (int m = 0; m < 3; m++) {
		struct pb_case c = py_case("deadlock", models[m], "-", &locks_prog, 10);

		pb_case_name(&c, "detect_ms", PB_PICK(cfg, 50, 100, 100));
		if (m == 1)
			pb_case_name(&c, "rounds", PB_PICK(cfg, 100000, 500000, 2000000));
		c.workers = m == 0 ? 2 : 1;
		pb_plan_add(plan, &c);
	}
}

/* Quick keeps the twins of the five lessons a report opens with (IO and
 * CPU tasks, the GIL's convoy, Queue against Pipe, the unlocked counter);
 * the pool, gil-cores, thread-queue and deadlock twins, a third of quick's
 * time on a 2-PU VM (run 20261207T150143Z), run from the default profile. */
static void cpython_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	bool quick = cfg->profile == PROFILE_QUICK;

	plan_tasks(plan, cfg);
	plan_convoy(plan, cfg);
	if (!quick)
		plan_cores(plan, cfg);
	plan_latency(plan, cfg);
	plan_counter(plan, cfg);
	if (quick)
		return;
	plan_pool(plan, cfg);
	plan_tqueue(plan, cfg);
	plan_deadlock(plan, cfg);
}

/* cpython's parameters (cases.csv's units and types) */
static const struct pb_param_decl cpython_params[] = {
	{ "n", PB_INT, "count", "tasks, round trips or messages, as the C twin's n" },
	{ "task_ms", PB_REAL, "ms", "the work of one task" },
	{ "echo_us", PB_INT, "us", "the echo peer's reply delay" },
	{ "cpu_threads", PB_INT, "count", "CPU-bound threads beside the IO thread" },
	{ "switch_us", PB_INT, "us", "the GIL's switch interval" },
	{ "sleep_us", PB_INT, "us", "the IO thread's sleep" },
	{ "ms", PB_INT, "ms", "the work of each CPU thread" },
	{ "pus", PB_INT, "count", "the PUs the threads may use" },
	{ "msg_bytes", PB_REAL, "B", "the size of one message" },
	{ "busy_us", PB_REAL, "us", "how long the receiver computes between messages" },
	{ "sleep_ms", PB_INT, "ms", "how long each wait sleeps" },
	{ "chunksize", PB_REAL, "count", "tasks a worker takes at once" },
	{ "tasks", PB_INT, "count", "tasks of one map_async" },
	{ "lo_ms", PB_INT, "ms", "the shortest task" },
	{ "hi_ms", PB_INT, "ms", "the longest task" },
	{ "p", PB_INT, "count", "producers" },
	{ "c", PB_INT, "count", "consumers" },
	{ "send_ms", PB_INT, "ms", "how long the producers send" },
	{ "detect_ms", PB_INT, "ms", "how long the watchdog waits before it calls a deadlock" },
	{ "rounds", PB_INT, "count", "lock rounds" },
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ 0 }, /* the end */
};

const struct pb_experiment cpython_experiment = {
	.name = "cpython",
	.summary = "CPython itself (bench/cpython/*.py) as model cpython-* of each experiment, "
		   "and the fidelity table",
	.teaches =
		"CPython itself: the programs in bench/cpython/ run the same work as the C models with "
		"the same parameters, as model cpython-* of the experiment each mirrors (tasks, "
		"gil-convoy, gil-cores, ipc-latency, counter-seed, counter-contention, pool-overhead, "
		"chunksize, ordering, tqueue-prodcons, deadlock). The fidelity table then says, claim by "
		"claim, whether the C model and the interpreter agree, and what CPython adds of its own "
		"(pickling, bytecode, the interpreter's start).",
	.headline = { "py_wall_s", "s", PB_LOWER_IS_BETTER },
	/* table only: its findings are the fidelity table (claim, C,
	 * CPython, ratio, verdict); each CPython case is drawn in its twin's figure. */
	.figures = PB_TABLE_ONLY,
	.plan = cpython_plan,
	.summarize = cpython_fidelity,
	.params = cpython_params,
};
