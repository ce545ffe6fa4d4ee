/* SPDX-License-Identifier: MIT */
/*
 * tasks — the first experiment: N independent tasks, each io (sleep
 * task_ms) or cpu (compute task_ms), run by a model with W workers. The
 * seeds' own case: 5 IO tasks of 1 s take 5.01 s one after another and 1.04 s
 * with a process each.
 *
 * A model of this experiment is one function, tasks_model_fn, in a file of
 * its own (lib/models/tasks/: serial, fork, threads, threads-gil,
 * coroutines; the pool's in bench/pool/); tasks.c is the experiment:
 * tasks_plan turns a model into the sweep, and tasks.c measures it and
 * derives the speedups against serial.
 */
#ifndef PB_TASKS_H
#define PB_TASKS_H

#include <stdint.h>

#include "harness.h"
#include "taskmodels.h"
#include "topo.h"
#include "workload.h"

/* Add the experiment's cases for one model: sweep_workers false plans one
 * worker only (serial). */
void tasks_plan(struct pb_plan *plan, const struct pb_config *cfg, const char *model,
		tasks_model_fn fn, bool sweep_workers);

/* The models of this experiment (threads and threads-gil: threads.h). */
/* Workers 1, 2, ... 8, then powers of two up to hi, and hi itself: the
 * sweep's shape on any machine (w has room for max). */
int tasks_sweep_to(int hi, int *w, int max);
/* One task's length in the profile: io 50 ms (quick, default: five sweeps
 * of eleven models must fit the 5-minute budget on 2 PUs),
 * 200 ms (full); cpu 100, 100, 500 ms, shorter when the PUs' tasks
 * together would be more than 0.8 s (quick), 1.6 s (default) or 1 s (full)
 * of work, so that serial and every threads-gil run stay bounded on a big
 * machine (full: 10 repetitions of a dozen worker counts on 64 PUs). The C
 * models and their cpython-* twins share it. */
double tasks_task_ms(const struct pb_config *cfg, enum workload_kind kind);
/* The seeds' io task, 1 s: the full profile also runs serial and every
 * model at once with it (besides its sweep), to reproduce their figures. */
#define TASKS_SEED_MS 1000.0
/* The number of tasks: 5 io tasks (the seed's), max(2, PUs) cpu tasks. */
int tasks_count(const struct pb_config *cfg, enum workload_kind kind);
/* The worker counts of a swept model (into w, room for max): quick, the task
 * count alone; default, 2 .. 8 then powers of two up to the task count
 * (more workers than tasks add nothing but idle workers; one worker is
 * serial again, and serial is the curve's first point), from 1 when fewer
 * than 3 points would remain; full, from 1 up to twice
 * the PUs the tasks can use (or one past the task count, if more), to show
 * the oversubscribed machine too. */
int tasks_workers(const struct pb_config *cfg, int ntasks, int *w, int max);
/* The plan's estimate of one repetition: n tasks of task_ms on w workers
 * (serial: true when the model runs cpu work one task at a time, the GIL). */
double tasks_estimate(const struct pb_config *cfg, bool cpu, bool serial, int n, int w,
		      double task_ms);

/* The pool's model of this experiment (bench/pool/pool_tasks.c: it stands
 * on the pool experiments' helpers); the others are lib/models/tasks/. */
int pool_run_tasks(const struct tasks_spec *s, struct tasks_result *r);

#endif
