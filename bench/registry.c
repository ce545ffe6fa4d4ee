/* SPDX-License-Identifier: MIT */
/*
 * The registry: one row per experiment, in the order the run goes, in one
 * list. An experiment is one file in bench/<group>/ ending in a
 * `const struct pb_experiment <name>_experiment` that says everything about
 * it (what it teaches, its headline metric, its figures, its CPython twin);
 * adding one is that file and one line here. Everything else (options,
 * google-benchmark, CSV, summary, experiments.csv) is lib/harness/.
 */
#include "registry.h"
#include "runner.h"

#define PB_EXPERIMENTS(X)     \
	X(calibration)        \
	X(tasks)              \
	X(pool_overhead)      \
	X(granularity)        \
	X(chunksize)          \
	X(ordering)           \
	X(pool_seed)          \
	X(pool_worklog)       \
	X(pool_sigkill)       \
	X(pool_error)         \
	X(pool_manager_queue) \
	X(gil_convoy)         \
	X(gil_interval)       \
	X(gil_cores)          \
	X(ipc_throughput)     \
	X(ipc_latency)        \
	X(ipc_scaling)        \
	X(ipc_pingpong)       \
	X(ipc_prodcons)       \
	X(counter_seed)       \
	X(counter_contention) \
	X(counter_window)     \
	X(switch)             \
	X(io_fanout)          \
	X(tqueue_prodcons)    \
	X(deadlock)           \
	X(price)              \
	X(cpython)            \
	X(selftest)

#define PB_DECLARE(id) extern const struct pb_experiment id##_experiment;
#define PB_ROW(id) &id##_experiment,

PB_EXPERIMENTS(PB_DECLARE)

const struct pb_experiment *const pb_registry[] = { PB_EXPERIMENTS(PB_ROW) NULL };

/* The seed tutorials' programs (README, "Where each seed program lives"):
 * what each does, what the tutorial printed, and the experiments that
 * re-create it. experiments.csv's seeds column and the report's map of
 * seeds to experiments are written from here; the column joins an
 * experiment's seeds with "; ", so no text here holds one. */
const struct pb_seed pb_seeds[] = {
	{ "single_process.py: 5 IO tasks of 1 s, one after another", "5.01 s", "tasks" },
	{ "multi_process.py: a Process per task", "1.04 s", "tasks" },
	{ "threads for downloads, and \"threads don't speed up CPU work\" (the GIL)", "",
	  "tasks gil-convoy gil-interval gil-cores" },
	{ "Value('i'), 10 processes x 50 increments with sleep(0.01)", "201-269 instead of 500",
	  "counter-seed counter-window" },
	{ "the same with a Lock", "always 500, slower", "counter-seed counter-contention" },
	{ "Pool(4), five apply_async of sleep(random() * 3)", "tasks 1-4 at once, 5 waits",
	  "pool-seed" },
	{ "Pool(2).map(work_log, A 5, B 2, C 1, D 3)", "C and D follow B", "pool-worklog" },
	{ "map, imap, imap_unordered, map_async with a timeout, apply vs apply_async", "",
	  "ordering pool-overhead chunksize granularity" },
	{ "an error in a pool.map task", "the pool died", "pool-error pool-sigkill" },
	{ "Pipe() and Queue() between two processes, Queue(maxsize), empty()", "",
	  "ipc-throughput ipc-latency ipc-scaling" },
	{ "Ping/Pong through one Queue to 50, and a global counter that does not work",
	  "50 prints, then 100 prints", "ipc-pingpong" },
	{ "a task queue, a done queue, 4 workers, get_nowait() and queue.Empty",
	  "every task done once", "ipc-prodcons" },
	{ "coroutines (greenlet, gevent): many IO tasks in one thread, switching on IO", "",
	  "tasks io-fanout" },
	{ "\"a coroutine switch is cheap: a million a second, thread switches are expensive\"", "",
	  "switch" },
	{ "queue.Queue, LifoQueue, PriorityQueue, put(timeout=1) raising Full, get_nowait(), "
	  "producer and consumer threads",
	  "", "tqueue-prodcons" },
	{ "Manager().Queue() instead of Queue() for Pool workers", "",
	  "pool-manager-queue ipc-latency ipc-throughput" },
	{ "deadlock: A holds a and wants b, B holds b and wants a, and Lock vs RLock", "",
	  "deadlock" },
	{ "the same programs in CPython itself", "", "cpython" },
	{ NULL, NULL, NULL }, /* the end */
};
