/* SPDX-License-Identifier: MIT */
/*
 * pool_tasks — the "pool" model of the tasks experiment (bench/tasks/): the
 * seed's Pool(W) with one apply_async per task, here one map with
 * chunksize 1. The tasks experiment plans its cases (pool_run_tasks is
 * declared in tasks.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_common.h"

/* Workers are forks: they read the spec the case set before pool_create. */
static const struct tasks_spec *tasks_spec_for_workers;

/* One task of the tasks experiment: arg is its index. */
struct task_answer {
	uint64_t value;
	int64_t pu;
};

static int tasks_task(const void *arg, size_t len, struct pool_out *out)
{
	const struct tasks_spec *s = tasks_spec_for_workers;
	struct task_answer a;
	int32_t i;

	if (len != sizeof(i) || !s)
		return pool_raise(out, "tasks_task: bad argument");
	memcpy(&i, arg, sizeof(i));
	a.value = tasks_do_one(s, i);
	a.pu = s->topo ? topo_last_pu(s->topo) : -1;
	return pool_return(out, &a, sizeof(a));
}

/* Copy the answers into r, or the first task's error into r->error. */
static void take_answers(const struct tasks_spec *s, struct tasks_result *r,
			 const struct pool_result *res, int rc)
{
	for (int i = 0; i < s->ntasks && rc == 0; i++) {
		struct task_answer a;

		memcpy(&a, res[i].data, sizeof(a));
		r->value[i] = a.value;
		r->ran_on[i] = (int)a.pu;
	}
	for (int i = 0; i < s->ntasks && rc != 0; i++)
		if (res[i].status != POOL_OK) {
			snprintf(r->error, sizeof(r->error), "task %d: %s", i, res[i].data);
			break;
		}
}

/* Creating the pool is part of the time, as it is for a script that makes
 * a pool for one batch. POOL_RECOVER: a crashed task (a fault a test
 * plants) is an error of the run, not a hang; pool-sigkill teaches the
 * hang. */
int pool_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	struct pool_opts o = { .topo = s->topo,
			       .placement = s->placement,
			       .on_death = POOL_RECOVER };
	int32_t *idx = calloc((size_t)s->ntasks + 1, sizeof(*idx));
	struct pool_result *res = calloc((size_t)s->ntasks + 1, sizeof(*res));
	struct pool *p = NULL;
	int rc = -1;

	r->error[0] = '\0';
	pe_register_tasks();
	pool_register("tasks", tasks_task);
	tasks_spec_for_workers = s;
	if (!idx || !res)
		snprintf(r->error, sizeof(r->error), "calloc: out of memory");
	else
		p = pool_create(s->workers, &o, r->error, sizeof(r->error));
	if (p) {
		for (int i = 0; i < s->ntasks; i++)
			idx[i] = i;
		rc = pool_map(p, tasks_task, idx, sizeof(*idx), (size_t)s->ntasks, 1, res);
		take_answers(s, r, res, rc);
		pool_results_free(res, (size_t)s->ntasks);
		pe_stop_pool(p);
	}
	tasks_spec_for_workers = NULL;
	free(idx);
	free(res);
	return rc == 0 ? 0 : -1;
}
