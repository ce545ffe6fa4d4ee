/* SPDX-License-Identifier: MIT */
/*
 * The registry: one row per experiment, in the order the run goes, in one
 * list. An experiment is one file in bench/<group>/ ending in a
 * `const struct pb_experiment <name>_experiment` that says everything about
 * it (what it teaches, its headline metric, its figures, its CPython twin);
 * adding one is that file and one line here. Everything else (options,
 * google-benchmark, CSV, summary, experiments.csv) is lib/harness/.
 */
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
