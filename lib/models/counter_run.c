/* SPDX-License-Identifier: MIT */
/*
 * counter_run — W workers on one shared counter (see counter.c for the
 * variants and what they model): forked processes, as multiprocessing.Process
 * with the fork start method (Lib/multiprocessing/popen_fork.py), or threads,
 * as threading.Thread, on their own or under one GIL (gil.h). Every worker is born on its PU, waits at a common
 * start line, runs its variant's loop, and is joined or reaped whatever
 * happened; the result says how many increments survived, and how much the
 * workers really overlapped.
 *
 * CPython versions: see counter.c's opening comment.
 */
#include "counter.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "counter_shm.h"
#include "gil.h"
#include "workload.h"

struct run {
	const struct counter_job *j;
	struct counter_result *r;
	struct counter_shm *s;
	pid_t *pid;		/* processes */
	pthread_t *tid;		/* threads */
	struct worker *workers; /* threads: what each one is given */
	struct gil gil;		/* COUNTER_THREADS_GIL */
	int spawned;
};

struct worker {
	struct run *run;
	int id;
};

static void fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	if (run->r->error[0])
		return; /* the first failure is the one to report */
	va_start(ap, fmt);
	vsnprintf(run->r->error, sizeof(run->r->error), fmt, ap);
	va_end(ap);
}

/* The start line. Waiting workers spin (asleep, a worker on an idle vCPU
 * can take hundreds of microseconds to wake) and yield now and then (so
 * that with more workers than PUs the others still get to arrive).
 * Unpinned, the scheduler often queues a new worker behind one already
 * waiting, and a short run can end before the load balancer moves it: the
 * workers would take turns instead of overlapping. So the last worker to
 * arrive gives the start once the workers that are running right now (seen
 * within FRESH_NS) have sat on as many different PUs as they can
 * (s->spread) for STABLE_NS (a worker seen on one PU may just have been
 * moved to the queue of another), or after SPREAD_WAIT_NS whatever the
 * placement. */
#define SPREAD_WAIT_NS 10000000u
#define STABLE_NS 500000u
#define FRESH_NS 30000u
#define YIELD_EVERY 1024u

static void note_cpu(struct counter_slot *me)
{
	atomic_store_explicit(&me->cpu, sched_getcpu(), memory_order_relaxed);
	atomic_store_explicit(&me->seen_ns, clock_now_ns(), memory_order_relaxed);
}

/* How many different PUs the workers seen since `since` run on. */
static int running_spread(struct counter_shm *s, int workers, uint64_t since)
{
	cpu_set_t seen;

	CPU_ZERO(&seen);
	for (int i = 0; i < workers; i++) {
		int cpu = atomic_load_explicit(&s->slot[i].cpu, memory_order_relaxed);

		if (atomic_load_explicit(&s->slot[i].seen_ns, memory_order_relaxed) >= since &&
		    cpu >= 0 && cpu < CPU_SETSIZE)
			CPU_SET(cpu, &seen);
	}
	return CPU_COUNT(&seen);
}

static void spin_a_while(struct counter_slot *me, unsigned i)
{
	cpu_relax();
	if (i % 64 == 0)
		note_cpu(me);
	if (i % YIELD_EVERY == 0)
		sched_yield();
}

/* Wait for everyone; the last to arrive gives the start. false: abort. */
static bool start_line(struct counter_shm *s, int workers, int id)
{
	struct counter_slot *me = &s->slot[id];
	uint64_t until, now;
	unsigned i = 0;
	int go;

	note_cpu(me);
	if (atomic_fetch_add_explicit(&s->ready, 1, memory_order_acq_rel) + 1 < workers) {
		while ((go = atomic_load_explicit(&s->go, memory_order_acquire)) == GO_WAIT)
			spin_a_while(me, ++i);
		return go == GO_RUN;
	}
	until = clock_now_ns() + SPREAD_WAIT_NS;
	for (uint64_t spread_since = 0;;) {
		note_cpu(me);
		now = clock_now_ns();
		if (running_spread(s, workers, now - FRESH_NS) < s->spread)
			spread_since = 0;
		else if (!spread_since)
			spread_since = now;
		if (now > until || (spread_since && now - spread_since >= STABLE_NS))
			break;
		spin_a_while(me, ++i);
	}
	s->go_ns = clock_now_ns();
	atomic_store_explicit(&s->go, GO_RUN, memory_order_release);
	return true;
}

/* A staggered start (job->stagger_ns): worker id sleeps until id x
 * stagger_ns past the start signal; the workers before it count alone
 * meanwhile, as CPython's first Process does while the next one is forked
 * and starts up. */
static void stagger(const struct counter_job *j, const struct counter_shm *s, int id)
{
	uint64_t t = s->go_ns + (uint64_t)id * j->stagger_ns;
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000u),
			       .tv_nsec = (long)(t % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A worker: wait at the start line, count, note when and where it ended. */
static void worker_body(struct run *run, int id)
{
	struct counter_shm *s = run->s;
	struct counter_slot *me = &s->slot[id];
	const struct counter_job *j = run->j;

	if (!start_line(s, j->workers, id))
		return;
	if (j->stagger_ns && id > 0)
		stagger(j, s, id);
	me->start_ns = clock_now_ns();
	me->sink = j->ops->loop(s, id, j);
	me->end_ns = clock_now_ns();
	me->pu = j->topo ? topo_last_pu(j->topo) : -1;
}

/* The same under the GIL: a Python thread takes it when it starts and
 * gives it up when it ends. */
static void worker_body_gil(struct run *run, int id)
{
	struct counter_shm *s = run->s;
	struct counter_slot *me = &s->slot[id];
	const struct counter_job *j = run->j;
	struct gil_thread t;

	/* with no slices to record, gil_thread_init cannot fail */
	if (!start_line(s, j->workers, id) || gil_thread_init(&t, &run->gil, id, 0) != 0)
		return;
	gil_take(&t);
	me->start_ns = clock_now_ns();
	me->sink = j->ops->loop_gil(s, id, j, &t);
	me->end_ns = clock_now_ns();
	gil_exit(&t);
	gil_thread_free(&t);
	me->pu = j->topo ? topo_last_pu(j->topo) : -1;
}

static void *worker_thread(void *p)
{
	struct worker *w = p;

	if (w->run->j->mode == COUNTER_THREADS_GIL)
		worker_body_gil(w->run, w->id);
	else
		worker_body(w->run, w->id);
	return NULL;
}

static bool bound(const struct counter_job *j)
{
	return j->topo && j->placement && j->placement->policy != PIN_NONE;
}

/* Born on its PU: bind ourselves, create the worker (it inherits the
 * binding), restore. The child leaves with _exit: exit() would run the
 * parent's atexit handlers and flush its stdio buffers a second time. */
static int spawn_one(struct run *run, int i)
{
	const struct counter_job *j = run->j;
	struct topo_saved *saved = NULL;
	int rc = 0;

	if (bound(j) && topo_spawn_begin(j->topo, j->placement, i, &saved) < 0) {
		fail(run, "bind worker %d to PU %d: %s", i, j->placement->pu[i], strerror(errno));
		return -1;
	}
	if (j->mode == COUNTER_PROCS) {
		pid_t pid = fork();

		if (pid == 0) {
			worker_body(run, i);
			_exit(0);
		}
		if (pid < 0)
			rc = errno;
		else
			run->pid[i] = pid;
	} else {
		run->workers[i] = (struct worker){ .run = run, .id = i };
		rc = pthread_create(&run->tid[i], NULL, worker_thread, &run->workers[i]);
	}
	if (saved)
		topo_spawn_end(j->topo, saved);
	if (rc) {
		fail(run, "%s worker %d: %s", j->mode == COUNTER_PROCS ? "fork" : "pthread_create",
		     i, strerror(rc));
		return -1;
	}
	return 0;
}

static void join_one(struct run *run, int i)
{
	int status;

	if (run->j->mode != COUNTER_PROCS) {
		pthread_join(run->tid[i], NULL);
		return;
	}
	while (waitpid(run->pid[i], &status, 0) < 0) {
		if (errno != EINTR) {
			fail(run, "waitpid worker %d: %s", i, strerror(errno));
			return;
		}
	}
	if (WIFSIGNALED(status))
		fail(run, "worker %d (pid %d) was killed by signal %d (%s)", i, (int)run->pid[i],
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		fail(run, "worker %d (pid %d) exited with status %d", i, (int)run->pid[i],
		     WEXITSTATUS(status));
}

/* How many different PUs the workers can be on at once. */
static int spread_of(const struct counter_job *j)
{
	cpu_set_t set;
	int n = 1;

	CPU_ZERO(&set);
	if (bound(j)) {
		for (int i = 0; i < j->workers; i++)
			if (j->placement->pu[i] >= 0 && j->placement->pu[i] < CPU_SETSIZE)
				CPU_SET(j->placement->pu[i], &set);
		n = CPU_COUNT(&set);
	} else if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		n = CPU_COUNT(&set);
	}
	return n < j->workers ? n : j->workers;
}

/* Spawn everyone (the last one starts them all), join or reap every one
 * that was spawned whatever happened. The timer brackets all of it, as the
 * seed's wall time does. */
static void run_workers(struct run *run)
{
	const struct counter_job *j = run->j;

	run->s->spread = spread_of(j);
	if (j->started)
		j->started(j->arg);
	while (run->spawned < j->workers && spawn_one(run, run->spawned) == 0)
		run->spawned++;
	if (run->spawned < j->workers) /* no worker will give the start now */
		atomic_store_explicit(&run->s->go, GO_ABORT, memory_order_release);
	for (int i = 0; i < run->spawned; i++)
		join_one(run, i);
	if (j->stopped)
		j->stopped(j->arg);
}

static void collect(struct run *run)
{
	const struct counter_job *j = run->j;
	struct counter_result *r = run->r;
	struct counter_slot *slot = run->s->slot;
	uint64_t go = run->s->go_ns, first_end = UINT64_MAX, last_end = go, last_start = go;
	uint64_t last_lo = UINT64_MAX, last_hi = 0;

	r->final_count = j->ops->total(run->s, j->workers);
	r->lock_takes = r->lock_gives = r->lock_blocked[0] = r->lock_blocked[1] = 0;
	r->gil_retakes = r->head_start = 0;
	r->lost_updates = r->expected_count > r->final_count ? r->expected_count - r->final_count :
							       0;
	for (int i = 0; i < j->workers; i++) {
		first_end = slot[i].end_ns < first_end ? slot[i].end_ns : first_end;
		last_end = slot[i].end_ns > last_end ? slot[i].end_ns : last_end;
		last_start = slot[i].start_ns > last_start ? slot[i].start_ns : last_start;
		r->lock_takes += slot[i].takes;
		r->lock_gives += slot[i].gives;
		r->lock_blocked[0] += slot[i].blocked[0];
		r->lock_blocked[1] += slot[i].blocked[1];
		r->gil_retakes += slot[i].gil_retakes;
		if (slot[i].first_read > r->head_start)
			r->head_start = slot[i].first_read;
		last_lo = slot[i].last_read < last_lo ? slot[i].last_read : last_lo;
		last_hi = slot[i].last_read > last_hi ? slot[i].last_read : last_hi;
		if (r->ran_on)
			r->ran_on[i] = slot[i].pu;
	}
	r->tail = last_hi >= last_lo ? last_hi - last_lo : 0;
	r->span_s = (double)(last_end - go) / 1e9;
	r->start_skew_s = (double)(last_start - go) / 1e9;
	r->overlap = last_end > go && first_end > last_start ?
			     (double)(first_end - last_start) / (double)(last_end - go) :
			     0;
}

static bool job_valid(const struct counter_job *j, struct counter_result *r)
{
	const char *why = NULL;

	if (!j->ops)
		why = "no variant";
	else if (j->workers < 1 || j->workers > MAX_WORKERS)
		why = "workers must be 1 to 4096";
	else if (j->mode != COUNTER_PROCS && j->mode != COUNTER_THREADS &&
		 j->mode != COUNTER_THREADS_GIL)
		why = "mode must be processes, threads or threads under the GIL";
	else if (j->mode == COUNTER_THREADS_GIL && !j->ops->loop_gil)
		why = "this variant takes a lock: it does not run under the GIL";
	else if (j->increments > UINT64_MAX / (uint64_t)j->workers)
		why = "workers x increments does not fit in 64 bits";
	else if (j->placement && j->placement->n < j->workers)
		why = "the placement has fewer PUs than workers";
	if (why)
		snprintf(r->error, sizeof(r->error), "counter: %s", why);
	return !why;
}

static uint64_t ticks_for(uint64_t ns)
{
	return ns ? wl_ticks_for_ms((double)ns / 1e6) : 0;
}

/* run_workers, under a GIL of its own when the mode asks for one. */
static void run_under_gil(struct run *run)
{
	const struct counter_job *j = run->j;
	int rc;

	if (j->mode != COUNTER_THREADS_GIL) {
		run_workers(run);
		return;
	}
	rc = gil_init(&run->gil, j->gil_interval_us ? j->gil_interval_us : GIL_DEFAULT_INTERVAL_US,
		      true);
	if (rc) {
		fail(run, "gil_init: %s", strerror(rc));
		return;
	}
	run_workers(run);
	run->r->gil_switches = gil_switches(&run->gil);
	if ((rc = gil_destroy(&run->gil)))
		fail(run, "gil_destroy: %s", strerror(rc));
}

int counter_run(const struct counter_job *j, struct counter_result *r)
{
	size_t size = sizeof(struct counter_shm) + (size_t)j->workers * sizeof(struct counter_slot);
	struct run run = { .j = j, .r = r };
	int rc;

	r->error[0] = '\0';
	if (!job_valid(j, r))
		return -1;
	r->expected_count = (uint64_t)j->workers * j->increments;
	r->window_ticks = ticks_for(j->window_ns);
	/* Anonymous and shared, mapped before the first fork: every child
	 * sees the same page, and no named object can be left behind. */
	run.s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run.s == MAP_FAILED) {
		snprintf(r->error, sizeof(r->error), "mmap %zu bytes: %s", size, strerror(errno));
		return -1;
	}
	run.s->workers = j->workers;
	run.s->window_ticks = r->window_ticks;
	run.s->gap_ticks = ticks_for(j->gap_ns);
	run.s->hold_ticks = ticks_for(j->hold_ns / 2);
	run.s->hold_rounds = wl_rounds_for_ns((double)j->hold_ns / 2);
	run.s->window_rounds = wl_rounds_for_ns((double)j->window_ns);
	run.s->gap_rounds = wl_rounds_for_ns((double)j->gap_ns);
	run.pid = calloc((size_t)j->workers, sizeof(*run.pid));
	run.tid = calloc((size_t)j->workers, sizeof(*run.tid));
	run.workers = calloc((size_t)j->workers, sizeof(*run.workers));
	if (!run.pid || !run.tid || !run.workers)
		fail(&run, "calloc: out of memory");
	else if ((rc = j->ops->init(run.s, j->mode == COUNTER_PROCS)))
		fail(&run, "%s: init: %s", j->ops->name, strerror(rc));
	else {
		run_under_gil(&run);
		if (!r->error[0])
			collect(&run);
		j->ops->destroy(run.s);
	}
	free(run.pid);
	free(run.tid);
	free(run.workers);
	munmap(run.s, size);
	return r->error[0] ? -1 : 0;
}
