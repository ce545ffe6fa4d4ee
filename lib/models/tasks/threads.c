/* SPDX-License-Identifier: MIT */
/*
 * threads — one thread per task, at most W at once, like the seeds'
 * Thread(target=task).start() and join(). Two models from one code path:
 * `threads` runs them as plain pthreads with no GIL (the ideal: no
 * interpreter, none of free-threaded CPython's own costs), and
 * `threads-gil` under lib/models/gil.c's GIL (CPython 3.2–3.14). It teaches
 * why IO tasks overlap either way (the GIL is released while a thread
 * waits) and why CPU tasks do not speed up under the GIL.
 *
 * CPython versions: threads-gil runs on lib/models/gil.c (see its note); a
 * thread's start follows 3.11's threading.Thread.start (waiting on _started).
 * 3.13 reworked thread start and join (a thread handle in _threadmodule.c),
 * not modelled; 3.12, 3.14: not re-read line by line for this note.
 */
#include "threads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gil.h"

struct thr_run;

/* A worker slot: at most W exist, each runs one task at a time. */
struct thr_slot {
	struct thr_run *run;
	pthread_t tid;
	bool busy;
	bool started; /* Thread._started is set; under run->lock */
	int task;
	struct gil_thread gt; /* the task thread's side of the GIL */
};

struct thr_run {
	const struct tasks_spec *s;
	struct tasks_result *r;
	struct gil gil;
	uint64_t cpu_ticks; /* one cpu task, computed once: calibration is not thread-safe */
	struct thr_slot *slots;
	int alive;
	pthread_mutex_t lock; /* protects done/ndone */
	pthread_cond_t done_cond;
	pthread_cond_t started_cond; /* a slot's started became true */
	int *done;		     /* slots whose thread has finished and waits to be joined */
	int nbegun; /* threads that have taken the GIL and set _started; under lock */
	int ndone;
};

int threads_spawn(const struct topo *topo, const struct placement *pl, int slot, pthread_t *tid,
		  void *(*fn)(void *), void *arg)
{
	struct topo_saved *saved = NULL;
	int err;

	/* Could not pin: the thread is born where we are, and pin_misses
	 * says so. */
	if (topo && pl && topo_spawn_begin(topo, pl, slot, &saved) < 0)
		saved = NULL;
	err = pthread_create(tid, NULL, fn, arg);
	if (saved)
		topo_spawn_end(topo, saved);
	return err;
}

/* A task as a Python thread runs it: computing in ticks that poll the
 * GIL's drop request, or sleeping with the GIL released. */
static uint64_t run_task(struct thr_run *run, struct gil_thread *t, int i)
{
	const struct tasks_spec *s = run->s;

	if (i == s->crash_task || i == s->fail_task)
		return tasks_do_one(s, i); /* test hooks: the whole process dies */
	if (s->workload == WL_CPU)
		return gil_compute(t, tasks_seed(i) | 1, run->cpu_ticks);
	gil_sleep_ns(t, (uint64_t)(s->task_ms * 1e6));
	return tasks_seed(i);
}

static void *task_thread(void *arg)
{
	struct thr_slot *sl = arg;
	struct thr_run *run = sl->run;
	int slot = (int)(sl - run->slots);

	gil_take(&sl->gt); /* a new Python thread first takes the GIL */
	/* _bootstrap_inner: self._started.set(), under the GIL, then the target */
	pthread_mutex_lock(&run->lock);
	sl->started = true;
	run->nbegun++;
	pthread_cond_signal(&run->started_cond);
	pthread_mutex_unlock(&run->lock);
	run->r->value[sl->task] = run_task(run, &sl->gt, sl->task);
	run->r->ran_on[sl->task] = run->s->topo ? topo_last_pu(run->s->topo) : -1;
	gil_exit(&sl->gt);
	pthread_mutex_lock(&run->lock);
	run->done[run->ndone++] = slot;
	pthread_cond_signal(&run->done_cond);
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* Thread.start(): _start_new_thread, then self._started.wait() — a
 * blocking wait, so the main thread releases the GIL until the new thread
 * has taken it and set _started; then it must take the GIL back (from a
 * CPU task, that is a switch interval). */
static void wait_started(struct thr_run *run, struct thr_slot *sl, struct gil_thread *main_t)
{
	gil_drop(main_t);
	pthread_mutex_lock(&run->lock);
	while (!sl->started)
		pthread_cond_wait(&run->started_cond, &run->lock);
	pthread_mutex_unlock(&run->lock);
	gil_take(main_t);
}

static int spawn(struct thr_run *run, int task, struct gil_thread *main_t)
{
	struct thr_slot *sl = run->slots;
	int err;

	while (sl->busy)
		sl++;
	gil_thread_init(&sl->gt, &run->gil, task, 0);
	sl->task = task;
	sl->started = false;
	if (run->r->begun_at_spawn) {
		pthread_mutex_lock(&run->lock);
		run->r->begun_at_spawn[task] = run->nbegun;
		pthread_mutex_unlock(&run->lock);
	}
	err = threads_spawn(run->s->topo, run->s->placement, (int)(sl - run->slots), &sl->tid,
			    task_thread, sl);
	if (err) {
		snprintf(run->r->error, sizeof(run->r->error), "pthread_create: %s", strerror(err));
		return -1;
	}
	sl->busy = true;
	run->alive++;
	wait_started(run, sl, main_t);
	return 0;
}

/* join() of whichever thread ends first. It is a blocking call, so the
 * main thread releases the GIL while it waits. */
static void join_one(struct thr_run *run, struct gil_thread *main_t)
{
	int slot;

	gil_drop(main_t);
	pthread_mutex_lock(&run->lock);
	while (run->ndone == 0)
		pthread_cond_wait(&run->done_cond, &run->lock);
	slot = run->done[--run->ndone];
	pthread_mutex_unlock(&run->lock);
	pthread_join(run->slots[slot].tid, NULL);
	gil_take(main_t);
	run->slots[slot].busy = false;
	run->alive--;
}

/* The main thread holds the GIL, as CPython's does, between its blocking
 * calls: it releases it in every Thread.start (waiting for _started) and
 * every join. */
static int run_all(struct thr_run *run)
{
	struct gil_thread main_t;
	int next = 0;
	bool ok = true;

	gil_thread_init(&main_t, &run->gil, -1, 0);
	gil_take(&main_t);
	while (ok && (next < run->s->ntasks || run->alive > 0)) {
		while (ok && run->alive < run->s->workers && next < run->s->ntasks)
			ok = spawn(run, next++, &main_t) == 0;
		if (run->alive > 0)
			join_one(run, &main_t);
	}
	while (run->alive > 0) /* after a failed spawn: every thread still joined */
		join_one(run, &main_t);
	gil_exit(&main_t);
	return ok ? 0 : -1;
}

static int run_tasks(const struct tasks_spec *s, struct tasks_result *r, bool with_gil)
{
	struct thr_run run = { .s = s, .r = r };
	int err, rc = -1;

	r->error[0] = '\0';
	if (s->workers < 1 || s->ntasks < 0) {
		snprintf(r->error, sizeof(r->error), "threads: workers must be >= 1 (got %d)",
			 s->workers);
		return -1;
	}
	if (s->workload == WL_CPU)
		run.cpu_ticks = wl_ticks_for_ms(s->task_ms);
	if ((err = gil_init(&run.gil, GIL_DEFAULT_INTERVAL_US, with_gil))) {
		snprintf(r->error, sizeof(r->error), "gil_init: %s", strerror(err));
		return -1;
	}
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.done_cond, NULL);
	pthread_cond_init(&run.started_cond, NULL);
	run.slots = calloc((size_t)s->workers, sizeof(*run.slots));
	run.done = calloc((size_t)s->workers, sizeof(*run.done));
	for (int i = 0; run.slots && i < s->workers; i++)
		run.slots[i].run = &run;
	if (run.slots && run.done)
		rc = run_all(&run);
	else
		snprintf(r->error, sizeof(r->error), "calloc: out of memory");
	free(run.slots);
	free(run.done);
	pthread_cond_destroy(&run.done_cond);
	pthread_cond_destroy(&run.started_cond);
	pthread_mutex_destroy(&run.lock);
	if ((err = gil_destroy(&run.gil)) && rc == 0) {
		snprintf(r->error, sizeof(r->error), "gil_destroy: %s", strerror(err));
		rc = -1;
	}
	return rc;
}

int threads_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	return run_tasks(s, r, false);
}

int threads_gil_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	return run_tasks(s, r, true);
}
