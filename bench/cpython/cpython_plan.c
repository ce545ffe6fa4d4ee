/* SPDX-License-Identifier: MIT */
/*
 * cpython — the plan: every CPython case is named as its C twin with the
 * model cpython-<model>, and has the twin's parameters, so the summaries,
 * the plots and the fidelity table find both on the same axes. Each group
 * plans its own twins beside its experiments (twins.h); this experiment
 * runs them, in registry order, under one table of parameters.
 */
#include "cpython.h"
#include "twins.h"

/* Quick keeps the twins of the five lessons a report opens with (IO and
 * CPU tasks, the GIL's convoy and time slice, Queue against Pipe, the
 * unlocked counter; gil-cores' slices, 0.2 s, are the fidelity row a GIL
 * that ignores its interval fails: tests/fidelity); the pool, thread-queue
 * and deadlock twins, a third of quick's time on a 2-PU VM (run
 * 20261207T150143Z), run from the default profile. */
static void cpython_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	tasks_cpython_twins(plan, cfg);
	gil_cpython_twins(plan, cfg);
	ipc_cpython_twins(plan, cfg);
	counter_cpython_twins(plan, cfg);
	if (cfg->profile == PROFILE_QUICK)
		return;
	pool_cpython_twins(plan, cfg);
	tqueue_cpython_twins(plan, cfg);
	deadlock_cpython_twins(plan, cfg);
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
	{ "maxsize", PB_INT, "count", "the thread queue's maxsize (0: unbounded)" },
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
		"chunksize, pool-manager-queue, pool-error, ordering, tqueue-prodcons, deadlock). The fidelity table then says, claim by "
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
