/* SPDX-License-Identifier: MIT */
/*
 * tqueue-prodcons — the tutorial's producer/consumer between threads
 * through queue.Queue (lib/models/tqueue.c): P producer threads put n items,
 * C consumer threads get them, every item exactly once. Swept over P x C,
 * with plain threads (free-threaded CPython) and under the GIL model
 * (lib/models/gil.c: CPython's threads hold the GIL around every put and
 * get and drop it only to wait), against multiprocessing.Queue between
 * processes (lib/models/channel's queue, 64 B messages): what crossing a
 * process boundary costs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gil.h"
#include "ipc_common.h"
#include "tqueue.h"

#define TQ_MAXSIZE 1024 /* Queue(maxsize=1024): producers wait when consumers lag */
#define TQ_MAXW 8

enum { TQM_THREADS, TQM_THREADS_GIL, TQM_MPQUEUE, TQM_N };
static const char *const tqm_names[TQM_N] = { "threads", "threads-gil", "mp-queue" };

struct tq_job {
	struct tqueue q;
	struct gil gil;
	long per_producer;
	int producers, consumers;
	int producers_left; /* atomic: the last producer puts the sentinels */
	uint64_t got[TQ_MAXW], sum[TQ_MAXW];
};

struct tq_worker {
	struct tq_job *job;
	int id;
	struct gil_thread gt;
};

/* put as a Python thread does it: under the GIL; if it would block, the
 * wait happens with the GIL released (Condition.wait drops it). */
static void py_put(struct tq_worker *w, void *item)
{
	if (tqueue_put(&w->job->q, item, 0, 0) == -EAGAIN) {
		gil_drop(&w->gt);
		tqueue_put(&w->job->q, item, 0, -1);
		gil_take(&w->gt);
	}
	gil_poll(&w->gt);
}

static void *py_get(struct tq_worker *w)
{
	void *item;

	if (tqueue_get(&w->job->q, &item, 0) == -EAGAIN) {
		gil_drop(&w->gt);
		tqueue_get(&w->job->q, &item, -1);
		gil_take(&w->gt);
	}
	gil_poll(&w->gt);
	return item;
}

static void *producer(void *arg)
{
	struct tq_worker *w = arg;
	struct tq_job *j = w->job;

	gil_take(&w->gt);
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
	while ((item = py_get(w)) != NULL) {
		j->got[w->id]++;
		j->sum[w->id] += (uintptr_t)item;
	}
	gil_exit(&w->gt);
	return NULL;
}

static int start_all(struct tq_job *j, struct tq_worker *w, pthread_t *tid)
{
	int n = j->producers + j->consumers, err = 0, i;

	for (i = 0; i < n && err == 0; i++) {
		w[i] = (struct tq_worker){ .job = j,
					   .id = i < j->producers ? i : i - j->producers };
		if ((err = gil_thread_init(&w[i].gt, &j->gil, i, 0)) == 0 &&
		    (err = pthread_create(&tid[i], NULL, i < j->producers ? producer : consumer,
					  &w[i])) != 0)
			gil_thread_free(&w[i].gt);
	}
	return err ? -(i - 1) - 1 : n; /* on failure: -(threads started) - 1 */
}

static int threads_run(struct pb_ctx *ctx, struct tq_job *j, bool gil)
{
	struct tq_worker w[2 * TQ_MAXW];
	pthread_t tid[2 * TQ_MAXW];
	uint64_t got = 0, sum = 0, total = (uint64_t)j->producers * (uint64_t)j->per_producer;
	int n;

	if (tqueue_init(&j->q, TQ_FIFO, TQ_MAXSIZE) < 0 ||
	    gil_init(&j->gil, GIL_DEFAULT_INTERVAL_US, gil) != 0)
		return pb_fail(ctx, "tqueue_init/gil_init failed");
	j->producers_left = j->producers;
	pb_timer_start(ctx);
	n = start_all(j, w, tid);
	for (int i = 0; i < (n < 0 ? -n - 1 : n); i++) {
		pthread_join(tid[i], NULL);
		gil_thread_free(&w[i].gt);
	}
	double wall = pb_timer_stop(ctx);
	for (int c = 0; c < j->consumers; c++)
		got += j->got[c], sum += j->sum[c];
	tqueue_destroy(&j->q);
	gil_destroy(&j->gil);
	if (n < 0)
		return pb_fail(ctx, "pthread_create failed after %d threads", -n - 1);
	if (got != total || sum != total * (total + 1) / 2)
		return pb_fail(ctx, "%llu of %llu items arrived (or some twice)",
			       (unsigned long long)got, (unsigned long long)total);
	pb_metric(ctx, "msgs_per_s", (double)got / wall, "msg/s");
	return 0;
}

static int tq_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	int model = (int)pb_case_get(c, "model_index");
	struct tq_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return pb_fail(ctx, "calloc: out of memory");
	j->producers = (int)pb_case_get(c, "p");
	j->consumers = (int)pb_case_get(c, "c");
	j->per_producer = (long)pb_case_get(c, "n") / j->producers;
	if (model == TQM_MPQUEUE)
		rc = ipc_run_stream(ctx, IPC_QUEUE, 64, (uint64_t)pb_case_get(c, "send_ms"),
				    j->producers, j->consumers);
	else
		rc = threads_run(ctx, j, model == TQM_THREADS_GIL);
	free(j);
	return rc;
}

/* P x C in {1, 2, 4} (quick: {1, 2}; default: the diagonal, 1x4 and 4x1)
 * for each model. */
static void tq_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int counts[] = { 1, 2, 4 };
	int nc = cfg->profile == PROFILE_QUICK ? 2 : 3;
	struct pb_case c = {
		.experiment = "tqueue-prodcons", .workload = "-", .run = tq_run, .budget_s = 60
	};

	/* default: a rate settles in 0.1 s (a 5-minute budget on 2 PUs: 150
	 * ms of sends and 300,000 messages made the 15 cases take 17 s of a
	 * 7:16 default run on a 2-vCPU AMD EPYC VM, run 20261207T161308Z;
	 * full 200 ms: 500 did not fit its hour on 64 PUs) */
	int64_t n = PB_PICK(cfg, 200000, 200000, 2000000), send_ms = PB_PICK(cfg, 50, 80, 200);

	pb_case_set(&c, "n", n);
	pb_case_set(&c, "send_ms", send_ms);
	for (int m = 0; m < TQM_N; m++)
		for (int p = 0; p < nc; p++)
			for (int k = 0; k < nc; k++) {
				struct pb_case x = c;

				/* default: 1x1, 2x2, 4x4 and the lopsided 1x4,
				 * 4x1 (a 5-minute budget on 2 PUs) */
				if (cfg->profile == PROFILE_DEFAULT && p != k && p + k != 2)
					continue;
				x.model = tqm_names[m];
				x.workers = counts[p] + counts[k];
				pb_case_set(&x, "model_index", m);
				/* processes send for send_ms; threads move n messages
				 * at about 0.2 us each (default run 20261130T200841Z) */
				x.est_s = m == TQM_MPQUEUE ? 0.05 + 1.2 * (double)send_ms / 1e3 :
							     0.01 + (double)n * 0.3e-6;
				pb_case_name(&x, "p", counts[p]);
				pb_case_name(&x, "c", counts[k]);
				pb_plan_add(plan, &x);
			}
}

static const struct pb_case *tq_find(const struct pb_report *rep, const char *model,
				     const char *extra)
{
	return pb_report_find(rep, &(struct pb_case_key){ .experiment = "tqueue-prodcons",
							  .model = model,
							  .extra = extra });
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
