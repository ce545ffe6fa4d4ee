/* SPDX-License-Identifier: MIT */
/*
 * tqueue-prodcons — the tutorial's producer/consumer between threads
 * through queue.Queue: P producer threads put n items, C consumer threads
 * get them, every item exactly once. Swept over P x C, with plain threads
 * (free-threaded CPython: lib/models/tqueue.c) and under the GIL model
 * (threads-gil: lib/models/tqueue_py.c, the queue's mutex and conditions
 * as Python locks, each wait dropping the GIL and taking it back before
 * the item is taken), against multiprocessing.Queue between processes
 * (lib/models/channel's queue, 64 B messages): what crossing a process
 * boundary costs. threads-py is threads-gil charged the interpreter's work
 * of each put and get, as CPython measured it in the same repetition
 * (tqueue.py model=calibrate), on one PU and on all of them, bounded and
 * unbounded: a second core makes CPython's thread queue slower, its GIL
 * hand-offs crossing cores. mp-queue-py (tqueue_mpq.c) is the process
 * queue charged CPython's work per call the same way (ipc.py
 * model=calibrate): the fidelity table divides threads-py by it, as it
 * divides cpython-threads by cpython-mp-queue. The threads start as
 * tqueue.py's do: consumers first, each Thread.start() waiting for the
 * thread to begin, the main thread holding the GIL between them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython.h"
#include "gil.h"
#include "ipc_common.h"
#include "threads.h"
#include "tqueue.h"
#include "tqueue_prodcons.h"
#include "tqueue_py.h"
#include "workload.h"

#define TQ_MAXSIZE 1024 /* Queue(maxsize=1024): producers wait when consumers lag */
#define TQ_MAXW 8

enum { TQM_THREADS, TQM_THREADS_GIL, TQM_MPQUEUE, TQM_THREADS_PY, TQM_MPQUEUE_PY, TQM_N };
static const char *const tqm_names[TQM_N] = { "threads", "threads-gil", "mp-queue", "threads-py",
					      "mp-queue-py" };

struct tq_job {
	struct tqueue q;    /* threads: pthread's own lock, no GIL */
	struct tqueue_py p; /* threads-gil, threads-py: Python's locks, the GIL */
	struct gil gil;
	bool with_gil;
	const struct topo *topo; /* pin the threads to placement's slots (NULL: no) */
	const struct placement *placement;
	long per_producer;
	int producers, consumers;
	int producers_left; /* atomic: the last producer puts the sentinels */
	uint64_t got[TQ_MAXW], sum[TQ_MAXW];
	pthread_mutex_t lock; /* Thread.start()'s handshake: started, under lock */
	pthread_cond_t started_cond;
	int started;
};

struct tq_worker {
	struct tq_job *job;
	int id;
	struct gil_thread gt;
	struct tqpy_waiter waiter; /* the thread's Condition waiter */
};

/* put and get as a Python thread calls them: under the GIL through
 * Lib/queue.py's locks (tqueue_py), or on the plain C queue. */
static void py_put(struct tq_worker *w, void *item)
{
	if (w->job->with_gil)
		tqpy_put(&w->job->p, &w->gt, &w->waiter, item);
	else
		tqueue_put(&w->job->q, item, 0, -1);
}

static void *py_get(struct tq_worker *w)
{
	void *item = NULL;

	if (w->job->with_gil)
		return tqpy_get(&w->job->p, &w->gt, &w->waiter);
	tqueue_get(&w->job->q, &item, -1);
	return item;
}

/* _bootstrap_inner: a new thread takes the GIL, then sets _started. */
static void set_started(struct tq_job *j)
{
	pthread_mutex_lock(&j->lock);
	j->started++;
	pthread_cond_signal(&j->started_cond);
	pthread_mutex_unlock(&j->lock);
}

/* Thread.start() returns after self._started.wait(): the main thread
 * drops the GIL until thread n has begun, then takes it back (from a
 * thread that runs, that is a wait or a switch interval). */
static void wait_started(struct tq_job *j, struct gil_thread *main_t, int n)
{
	gil_drop(main_t);
	pthread_mutex_lock(&j->lock);
	while (j->started < n)
		pthread_cond_wait(&j->started_cond, &j->lock);
	pthread_mutex_unlock(&j->lock);
	gil_take(main_t);
}

static void *producer(void *arg)
{
	struct tq_worker *w = arg;
	struct tq_job *j = w->job;

	gil_take(&w->gt);
	set_started(j);
	for (long k = 0; k < j->per_producer; k++)
		py_put(w, (void *)(uintptr_t)(w->id * j->per_producer + k + 1));
	if (__atomic_sub_fetch(&j->producers_left, 1, __ATOMIC_ACQ_REL) == 0)
		for (int c = 0; c < j->consumers; c++)
			py_put(w, NULL); /* one sentinel per consumer */
	gil_exit(&w->gt);
	return NULL;
}

static void *consumer(void *arg)
{
	struct tq_worker *w = arg;
	struct tq_job *j = w->job;
	void *item;

	gil_take(&w->gt);
	set_started(j);
	while ((item = py_get(w)) != NULL) {
		j->got[w->id]++;
		j->sum[w->id] += (uintptr_t)item;
	}
	gil_exit(&w->gt);
	return NULL;
}

/* As tqueue.py's run_threads: the main thread, holding the GIL, starts the
 * consumers, then the producers (`for x in ts + ps: x.start()`), each
 * start waiting for the thread to begin; then it waits in join() without
 * the GIL. So the consumer blocks in its first get before any put. */
static int start_all(struct tq_job *j, struct tq_worker *w, pthread_t *tid)
{
	int n = j->producers + j->consumers, err = 0, i;
	struct gil_thread main_t;

	gil_thread_init(&main_t, &j->gil, -1, 0);
	gil_take(&main_t);
	for (i = 0; i < n && err == 0; i++) {
		bool cons = i < j->consumers;

		w[i] = (struct tq_worker){ .job = j, .id = cons ? i : i - j->consumers };
		if ((err = gil_thread_init(&w[i].gt, &j->gil, i, 0)) != 0)
			break;
		if ((err = -tqpy_waiter_init(&w[i].waiter)) == 0 &&
		    (err = threads_spawn(j->topo, j->placement, i, &tid[i],
					 cons ? consumer : producer, &w[i])) != 0)
			tqpy_waiter_destroy(&w[i].waiter);
		if (err)
			gil_thread_free(&w[i].gt);
		else
			wait_started(j, &main_t, i + 1);
	}
	gil_drop(&main_t); /* join(): blocking, the GIL released */
	gil_thread_free(&main_t);
	return err ? -(i - 1) - 1 : n; /* on failure: -(threads started) - 1 */
}

static int threads_run(struct pb_ctx *ctx, struct tq_job *j, size_t maxsize,
		       struct tqpy_costs costs)
{
	struct tq_worker w[2 * TQ_MAXW];
	pthread_t tid[2 * TQ_MAXW];
	uint64_t got = 0, sum = 0, total = (uint64_t)j->producers * (uint64_t)j->per_producer;
	int n;

	if (tqueue_init(&j->q, TQ_FIFO, maxsize) < 0 || tqpy_init(&j->p, maxsize, costs) < 0 ||
	    gil_init(&j->gil, GIL_DEFAULT_INTERVAL_US, j->with_gil) != 0)
		return pb_fail(ctx, "tqueue_init/tqpy_init/gil_init failed");
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->started_cond, NULL);
	j->producers_left = j->producers;
	pb_timer_start(ctx);
	n = start_all(j, w, tid);
	for (int i = 0; i < (n < 0 ? -n - 1 : n); i++) {
		pthread_join(tid[i], NULL);
		tqpy_waiter_destroy(&w[i].waiter);
		gil_thread_free(&w[i].gt);
	}
	double wall = pb_timer_stop(ctx);
	for (int c = 0; c < j->consumers; c++)
		got += j->got[c], sum += j->sum[c];
	if (j->with_gil) {
		pb_metric(ctx, "cond_waits", (double)j->p.waits, "count");
		pb_metric(ctx, "gil_switches", (double)gil_switches(&j->gil), "count");
	}
	tqueue_destroy(&j->q);
	tqpy_destroy(&j->p);
	gil_destroy(&j->gil);
	pthread_cond_destroy(&j->started_cond);
	pthread_mutex_destroy(&j->lock);
	if (n < 0)
		return pb_fail(ctx, "pthread_create failed after %d threads", -n - 1);
	if (got != total || sum != total * (total + 1) / 2)
		return pb_fail(ctx, "%llu of %llu items arrived (or some twice)",
			       (unsigned long long)got, (unsigned long long)total);
	pb_metric(ctx, "msgs_per_s", (double)got / wall, "msg/s");
	return 0;
}

static uint64_t ticks_of(double ns)
{
	return wl_ticks_for_ms(ns / 1e6);
}

/* threads-py: CPython's own cost of each call, measured now (outside the
 * timed work), the part outside the mutex a `with` on its Condition. */
static int py_costs(struct pb_ctx *ctx, struct tqpy_costs *out)
{
	struct cpython_tqueue_costs py;
	int rc = cpython_tqueue_costs(ctx, &py);

	if (rc)
		return rc < 0 ? -1 : 1;
	/* outside the mutex: the `with`, and tqueue.py's own loop around the call */
	*out = (struct tqpy_costs){ .put_out = ticks_of(py.with_ns + py.prod_loop_ns),
				    .put_in = ticks_of(py.put_ns - py.with_ns),
				    .get_out = ticks_of(py.with_ns + py.cons_loop_ns),
				    .get_in = ticks_of(py.get_ns - py.with_ns),
				    .wait = ticks_of(py.wait_ns),
				    .notify = ticks_of(py.notify_ns) };
	return 0;
}

static int tq_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	int model = (int)pb_case_get(c, "model_index");
	struct tq_job *j = calloc(1, sizeof(*j));
	struct tqpy_costs costs = { 0 };
	int64_t maxsize = TQ_MAXSIZE;
	int rc = 0;

	if (!j)
		return pb_fail(ctx, "calloc: out of memory");
	j->producers = (int)pb_case_get(c, "p");
	j->consumers = (int)pb_case_get(c, "c");
	j->per_producer = (long)pb_case_get(c, "n") / j->producers;
	j->with_gil = model == TQM_THREADS_GIL || model == TQM_THREADS_PY;
	j->topo = pb_cfg(ctx)->topo;
	j->placement = pb_placement(ctx);
	pb_case_has(c, "maxsize", &maxsize);
	if (model == TQM_THREADS_PY && (rc = py_costs(ctx, &costs)) != 0)
		rc = rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
	else if (model == TQM_MPQUEUE)
		rc = ipc_run_stream(ctx, IPC_QUEUE, 64, (uint64_t)pb_case_get(c, "send_ms"),
				    j->producers, j->consumers);
	else if (model == TQM_MPQUEUE_PY)
		rc = tqueue_mpq_py_run(ctx, j->producers, j->consumers,
				       (uint64_t)pb_case_get(c, "send_ms"));
	else
		rc = threads_run(ctx, j, (size_t)maxsize, costs);
	free(j);
	return rc;
}

/* One repetition's estimate: processes send for send_ms; free threads move
 * n messages at about 0.3 us each (default run 20261130T200841Z), under
 * the GIL model 1 us (0.5 to 1.9 M items/s on a loaded 2-vCPU VM), charged
 * CPython's work 10 us (CPython 3.11 moves 90 k items/s on 2 PUs), after
 * its calibration (a Python start-up, 0.2 s). */
static double tq_estimate(int m, int64_t n, int64_t send_ms)
{
	static const double per_item[TQM_N] = { 0.3e-6, 1e-6, 0, 10e-6, 0 };

	double calibrations = IPC_PY_CALIBRATE_EST_S + TQ_PROCESS_CALIBRATE_EST_S;

	if (m == TQM_MPQUEUE || m == TQM_MPQUEUE_PY) /* -py: its two calibrations */
		return (m == TQM_MPQUEUE_PY ? calibrations : 0) + 0.05 +
		       1.2 * (double)send_ms / 1e3;
	return (m == TQM_THREADS_PY ? 0.2 : 0.01) + (double)n * per_item[m];
}

/* P x C in {1, 2, 4} (quick: 1x1 and 2x2; default: the diagonal)
 * for threads, threads-gil and mp-queue. */
static void tq_sweep(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case c)
{
	static const int counts[] = { 1, 2, 4 };
	int nc = cfg->profile == PROFILE_QUICK ? 2 : 3;
	/* default: a rate settles in 0.1 s (a 5-minute budget on 2 PUs: 150
	 * ms of sends and 300,000 messages made the 15 cases take 17 s of a
	 * 7:16 default run on a 2-vCPU AMD EPYC VM, run 20261207T161308Z;
	 * full 200 ms: 500 did not fit its hour on 64 PUs); under the GIL
	 * model 0.1 s */
	int64_t n = PB_PICK(cfg, 200000, 200000, 2000000), send_ms = PB_PICK(cfg, 50, 80, 200);
	int64_t n_gil = PB_PICK(cfg, 50000, 100000, 100000);

	pb_case_set(&c, "send_ms", send_ms);
	for (int m = 0; m < TQM_THREADS_PY; m++)
		for (int p = 0; p < nc; p++)
			for (int k = 0; k < nc; k++) {
				struct pb_case x = c;

				/* default: the diagonal 1x1, 2x2, 4x4 (the
				 * lopsided 1x4 and 4x1 took 7 s of a 5:17
				 * default make bench on a 2-vCPU AMD EPYC VM, run
				 * 20261207T193300Z); quick: 1x1, 2x2 (1x2 and
				 * 2x1, 1.5 s of a 1:06 quick one, run
				 * 20261207T211732Z); full has every pair */
				if (cfg->profile != PROFILE_FULL && p != k)
					continue;
				x.model = tqm_names[m];
				x.workers = counts[p] + counts[k];
				pb_case_set(&x, "model_index", m);
				pb_case_set(&x, "n", m == TQM_THREADS_GIL ? n_gil : n);
				x.est_s = tq_estimate(m, pb_case_get(&x, "n"), send_ms);
				pb_case_name(&x, "p", counts[p]);
				pb_case_name(&x, "c", counts[k]);
				pb_plan_add(plan, &x);
			}
}

/* One producer and one consumer on one PU (pin:single) and wherever the OS
 * puts them (pin:none): threads-py with an unbounded and a bounded queue,
 * and the process queue beside them, plain (mp-queue) and charged CPython's
 * work per call (mp-queue-py: the fidelity table's divisor), each charged
 * model followed by its CPython twin. Default and full (a Python start-up
 * per repetition). */
static void tq_pinned(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case c)
{
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_NONE };
	static const int64_t sizes[] = { 0, TQ_MAXSIZE };
	int64_t n = tqueue_pinned_items(cfg), send_ms = tqueue_pinned_send_ms(cfg);

	pb_case_set(&c, "n", n);
	pb_case_set(&c, "send_ms", send_ms);
	c.workers = 2;
	c.pin_fixed = true;
	for (int p = 0; p < 2; p++)
		for (int s = 0; s < 4; s++) {
			int m = s < 2 ? TQM_THREADS_PY : s == 2 ? TQM_MPQUEUE : TQM_MPQUEUE_PY;
			struct pb_case x = c;

			x.model = tqm_names[m];
			x.pin = pins[p];
			pb_case_set(&x, "model_index", m);
			x.est_s = tq_estimate(m, n, send_ms);
			pb_case_name(&x, "p", 1);
			pb_case_name(&x, "c", 1);
			if (m == TQM_THREADS_PY)
				pb_case_name(&x, "maxsize", sizes[s]);
			pb_case_name_str(&x, "pin", pin_policy_name(pins[p]));
			pb_plan_add(plan, &x);
			/* the CPython twin, side by side (mp-queue has none: the
			 * twin's divisor is mp-queue-py) */
			if (m != TQM_MPQUEUE)
				tqueue_twin_pinned(plan, cfg, pins[p],
						   m == TQM_THREADS_PY ? sizes[s] : -1);
		}
}

int64_t tqueue_pinned_items(const struct pb_config *cfg)
{
	return PB_PICK(cfg, 10000, 10000, 20000);
}

int64_t tqueue_pinned_send_ms(const struct pb_config *cfg)
{
	return PB_PICK(cfg, 100, 100, 100);
}

static void tq_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = {
		.experiment = "tqueue-prodcons", .workload = "-", .run = tq_run, .budget_s = 60
	};

	tq_sweep(plan, cfg, c);
	if (cfg->profile != PROFILE_QUICK)
		tq_pinned(plan, cfg, c);
}

static const struct pb_case *tq_find(const struct pb_report *rep, const char *model,
				     const char *extra)
{
	return pb_report_find(rep, &(struct pb_case_key){ .experiment = "tqueue-prodcons",
							  .model = model,
							  .extra = extra });
}

/* The pinned cases: on one PU and on all of them, the thread queue
 * (threads-py, unbounded and bounded) against the process queue. */
static void tq_pinned_summarize(struct pb_report *rep)
{
	static const char *const pins[] = { "single", "none" };

	for (int p = 0; p < 2; p++)
		for (int m = 0; m < 2; m++) {
			int maxsize = m ? TQ_MAXSIZE : 0;
			char tx[64], qx[64], id[64];
			const struct pb_case *t, *q;
			struct stats_summary r;
			struct pb_finding *f;

			snprintf(tx, sizeof(tx), "p:1/c:1/maxsize:%d/pin:%s", maxsize, pins[p]);
			snprintf(qx, sizeof(qx), "p:1/c:1/pin:%s", pins[p]);
			t = tq_find(rep, "threads-py", tx);
			q = tq_find(rep, "mp-queue", qx);
			if (!pb_report_ratio(rep, t, q, "msgs_per_s", &r))
				continue;
			snprintf(id, sizeof(id), "thread_queue_vs_process_queue_%s_%s", pins[p],
				 m ? "bounded" : "unbounded");
			f = pb_report_finding(
				rep, id,
				"tqueue-prodcons, 1 producer 1 consumer, %s: queue.Queue(maxsize=%d) "
				"under the GIL with CPython's work per call (threads-py) against "
				"multiprocessing.Queue between processes",
				p ? "all PUs (not pinned)" : "one PU", maxsize);
			pb_finding_stat(f, rep, t, "threads-py", "msgs_per_s", "items/s");
			pb_finding_stat(f, rep, q, "mp-queue", "msgs_per_s", "items/s");
			pb_finding_figure(f, "threads-py / mp-queue", r, "x");
			q = tq_find(rep, "mp-queue-py", qx);
			if (!pb_report_ratio(rep, t, q, "msgs_per_s", &r))
				continue;
			pb_finding_stat(f, rep, q, "mp-queue-py", "msgs_per_s", "items/s");
			pb_finding_figure(f, "threads-py / mp-queue-py", r, "x");
		}
}

/* One producer, one consumer: each model's rate, and what the process
 * boundary costs against the thread queue. */
static void tq_summarize(struct pb_report *rep)
{
	const struct pb_case *t = tq_find(rep, "threads", "p:1/c:1"),
			     *g = tq_find(rep, "threads-gil", "p:1/c:1"),
			     *q = tq_find(rep, "mp-queue", "p:1/c:1");
	struct stats_summary rt, rg;
	struct pb_finding *f;

	tq_pinned_summarize(rep);
	if (!pb_report_ratio(rep, t, q, "msgs_per_s", &rt) ||
	    !pb_report_ratio(rep, g, q, "msgs_per_s", &rg))
		return;
	f = pb_report_finding(rep, "thread_queue_vs_process_queue",
			      "tqueue-prodcons, 1 producer 1 consumer: queue.Queue between threads "
			      "(free and under the GIL) against multiprocessing.Queue between "
			      "processes (64 B)");
	pb_finding_stat(f, rep, t, "threads", "msgs_per_s", "items/s");
	pb_finding_stat(f, rep, g, "threads-gil", "msgs_per_s", "items/s");
	pb_finding_stat(f, rep, q, "mp-queue", "msgs_per_s", "items/s");
	pb_finding_figure(f, "threads / mp-queue", rt, "x");
	pb_finding_figure(f, "threads-gil / mp-queue", rg, "x");
}

/* tqueue-prodcons's parameters (cases.csv's units and types) */
static const struct pb_param_decl tqueue_prodcons_params[] = {
	{ "p", PB_INT, "count", "producers" },
	{ "c", PB_INT, "count", "consumers" },
	{ "n", PB_INT, "count", "messages" },
	{ "send_ms", PB_INT, "ms", "how long the producers send" },
	{ "maxsize", PB_INT, "count", "the thread queue's maxsize (0: unbounded)" },
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ "model_index", PB_INT, "", "the queue, an index into the model table" },
	{ 0 }, /* the end */
};

const struct pb_experiment tqueue_prodcons_experiment = {
	.name = "tqueue-prodcons",
	.summary = "queue.Queue between P producer and C consumer threads, with and without the "
		   "GIL, against multiprocessing.Queue between processes",
	.teaches =
		"The tutorial's producer/consumer between threads through queue.Queue: P producer and C "
		"consumer threads, with plain threads and under a model of CPython's GIL, against "
		"multiprocessing.Queue between processes. What crossing a process boundary costs per "
		"item.",
	.headline = { "msgs_per_s", "msg/s", PB_HIGHER_IS_BETTER },
	.figures = "tqueue-prodcons",
	.cpython_twin = "tqueue.py",
	.plan = tq_plan,
	.summarize = tq_summarize,
	.params = tqueue_prodcons_params,
};
