/* SPDX-License-Identifier: MIT */
/*
 * coroutines — the tasks on one event loop in one thread
 * (lib/models/coro): W coroutines take the tasks in turn, as W asyncio
 * workers draining one list would (or gevent.pool.Pool(W)). An io task
 * sleeps on the loop's timer, so the others run meanwhile: N io tasks take
 * about one task's time. A cpu task never yields, so the loop does them one
 * after another whatever W is: N cpu tasks take serial's time. No
 * parallelism, only overlap of waits: the GIL's lesson, for another reason.
 *
 * CPython versions: see lib/models/coro/coro_loop.c's opening comment.
 */
#include <stdio.h>
#include <string.h>

#include "coro.h"
#include "taskmodels.h"

struct coro_tasks {
	const struct tasks_spec *s;
	struct tasks_result *r;
	int next; /* the next task to take: one thread, so no lock */
};

static void worker(struct coro_loop *loop, void *arg)
{
	struct coro_tasks *ct = arg;
	const struct tasks_spec *s = ct->s;

	while (ct->next < s->ntasks) {
		int i = ct->next++;

		if (s->workload == WL_IO && i != s->crash_task && i != s->fail_task) {
			coro_sleep_ns(loop, (uint64_t)(s->task_ms * 1e6));
			ct->r->value[i] = tasks_seed(i);
		} else {
			ct->r->value[i] = tasks_do_one(s, i); /* computes: holds the loop */
		}
		ct->r->ran_on[i] = s->topo ? topo_last_pu(s->topo) : -1;
	}
}

int coroutines_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	struct coro_tasks ct = { .s = s, .r = r };
	struct topo_saved *saved = NULL;
	struct coro_loop *loop = coro_loop_new(NULL);
	int rc = 0;

	if (!loop) {
		snprintf(r->error, sizeof(r->error), "coro_loop_new: out of memory");
		return -1;
	}
	/* one thread, so one PU: the first worker's */
	if (s->placement && s->topo && topo_spawn_begin(s->topo, s->placement, 0, &saved) < 0)
		saved = NULL;
	for (int w = 0; w < s->workers && w < s->ntasks && rc == 0; w++)
		rc = coro_spawn(loop, worker, &ct);
	if (rc == 0)
		rc = coro_run(loop);
	if (rc < 0)
		snprintf(r->error, sizeof(r->error), "coroutines: %s", strerror(-rc));
	coro_loop_free(loop);
	if (saved)
		topo_spawn_end(s->topo, saved);
	return rc < 0 ? -1 : 0;
}
