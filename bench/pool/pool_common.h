/* SPDX-License-Identifier: MIT */
/*
 * pool_common — what the pool experiments (bench/pool/) share: the task
 * functions they register with the pool (lib/models/pool/), starting and
 * stopping a pool inside a case, and timing helpers.
 *
 * Workers are forks of the case process: they see its memory as it was at
 * pool_create (Python's "fork" start method), so a task may read what the
 * case set up before it started the pool.
 */
#ifndef PB_POOL_COMMON_H
#define PB_POOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "pool.h"
#include "taskmodels.h"

/* ---- the tasks (they run in a worker) ---- */

/* No work: the argument comes back (pool-overhead, chunksize). */
int pe_echo_task(const void *arg, size_t len, struct pool_out *out);

/* CPU work of us microseconds (granularity); the answer is its checksum. */
struct pe_cpu_arg {
	double us;
	uint64_t seed;
};
int pe_cpu_task(const void *arg, size_t len, struct pool_out *out);

/* Sleep arg (a double) seconds and say who slept when (ordering, pool-seed,
 * pool-worklog). */
struct pe_span {
	int64_t worker;
	uint64_t start_ns, end_ns;
};
int pe_timed_sleep_task(const void *arg, size_t len, struct pool_out *out);

/* pool-sigkill: the task whose index is victim SIGKILLs its own worker. */
struct pe_kill_arg {
	int64_t index, victim;
};
int pe_kill_at_task(const void *arg, size_t len, struct pool_out *out);
/* pool-error: the task whose index is victim raises "task <i> failed"
 * (Python: raise ValueError); the others return their index. */
int pe_raise_at_task(const void *arg, size_t len, struct pool_out *out);

/* pool-manager-queue's manager-queue and its CPython twin: n, for three
 * authenticated connections a task in C and milliseconds a task in CPython. */
#define PE_MANAGER_QUEUE_N(cfg) PB_PICK(cfg, 200, 200, 200)
#define PE_MANAGER_QUEUE_BYTES 64

/* Register the tasks above (before pool_create; again is harmless). */
void pe_register_tasks(void);

/* ---- a pool inside a case ---- */

/* Start W workers at where (registering the tasks first), with CPython's
 * failure semantics (POOL_HANG) or parbench's recovery; NULL after pb_fail
 * with the reason. */
struct pool *pe_start_pool_with(struct pb_ctx *ctx, int workers, const struct placement *where,
				enum pool_on_death on_death);
/* The same, CPython's semantics. */
struct pool *pe_start_pool_on(struct pb_ctx *ctx, int workers, const struct placement *where);
/* Workers where the run's --pin puts them. */
struct pool *pe_start_pool(struct pb_ctx *ctx, int workers);
/* close + join + destroy: the seed's p.close(); p.join(). */
void pe_stop_pool(struct pool *p);

/* ---- timing ---- */

/* pb_timer_start/stop, returning the measured seconds too (for per-task
 * figures derived from the very interval the harness records). */
uint64_t pe_timer_begin(struct pb_ctx *ctx);
double pe_timer_end(struct pb_ctx *ctx, uint64_t t0);

/* Time one run of a tasks model (fork_run_tasks, threads_run_tasks) over n
 * cpu tasks of task_ms on W workers placed at where: its wall time in
 * *wall. 0, or the case's failure with the model's reason. */
int pe_run_tasks_model(struct pb_ctx *ctx, tasks_model_fn model, const char *name, int n,
		       int workers, double task_ms, const struct placement *where, double *wall);

/* The metrics of task i's span (task<i+1>_worker, _start_s, _end_s and
 * _sleep_s), its times from t0: a Gantt chart's row. */
void pe_span_metrics(struct pb_ctx *ctx, size_t i, const struct pe_span *s, uint64_t t0,
		     double sleep_s);

/* splitmix64: a seeded sequence in [0, 1), the same on every machine. */
double pe_random_unit(uint64_t *state);

/* "met" or "NOT met", for an acceptance check in a note. */
const char *pe_verdict(bool ok);

/* chunksize's task count, for the C pool and its cpython-pool twin: 10,000
 * (quick), 20,000 (default: CPython's chunksize 1 costs about 16 us a task,
 * so 100,000 took 1.6 s a repetition, past the 5-minute budget), 100,000. */
int chunksize_tasks(const struct pb_config *cfg);

/* pool-overhead's caller-computing pair, pool-busy and pool-gil-busy
 * (pool_busy.c): its cases (none in quick), its CPython twin's cases (py:
 * the cpython-pool-busy case to sweep), and its note. */
void overhead_busy_plan(struct pb_plan *plan, const struct pb_config *cfg);
void overhead_busy_twins(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case py);
void overhead_busy_notes(struct pb_report *rep);

#endif
