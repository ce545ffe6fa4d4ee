/* SPDX-License-Identifier: MIT */
/*
 * taskmodels — the models of the tasks experiment, each one function that
 * runs N independent tasks (io: sleep task_ms; cpu: compute task_ms) on at
 * most W workers: serial (single_process.py), fork (a Process per task),
 * coroutines (one event loop, lib/models/coro/), and in threads.h plain
 * threads and threads under the GIL. They know nothing about cases or the
 * harness: bench/tasks/ measures them.
 *
 * CPython versions: see threads.c's and fork.c's opening comments.
 */
#ifndef PB_TASKMODELS_H
#define PB_TASKMODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "topo.h"
#include "workload.h"

struct tasks_spec {
	enum workload_kind workload;
	int ntasks;
	int workers; /* at most this many tasks run at once */
	double task_ms;
	const struct topo *topo;	   /* NULL: no pinning */
	const struct placement *placement; /* worker slot i -> PU; NULL: no pinning */
	int crash_task;			   /* test hook: this task dies of SIGSEGV (-1: none) */
	int fail_task;			   /* test hook: this task exits with status 3 (-1: none) */
};

struct tasks_result {
	uint64_t *value; /* ntasks: what each task returned */
	int *ran_on;	 /* ntasks: the PU each task last ran on (-1: unknown) */
	/* threads models, optional (NULL: not kept): for each task, how many
	 * task threads had begun (taken the GIL, set _started) when its
	 * thread was created */
	int *begun_at_spawn;
	char error[256]; /* why the run failed */
};

/* Run every task of s; fill r. 0, or -1 with r->error. */
typedef int (*tasks_model_fn)(const struct tasks_spec *s, struct tasks_result *r);

/* What task i must return (its seed, for io; a checksum for cpu). */
uint64_t tasks_seed(int i);
/* Do task i of s in the calling thread, honouring the test hooks. */
uint64_t tasks_do_one(const struct tasks_spec *s, int i);

int serial_run_tasks(const struct tasks_spec *s, struct tasks_result *r);
int fork_run_tasks(const struct tasks_spec *s, struct tasks_result *r);
int coroutines_run_tasks(const struct tasks_spec *s, struct tasks_result *r);

#endif
