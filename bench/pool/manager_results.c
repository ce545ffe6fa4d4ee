/* SPDX-License-Identifier: MIT */
/*
 * pool-manager-queue — the tutorial's fix: Pool workers cannot be handed a
 * plain Queue as a task's argument (Python: "Queue objects should only be
 * shared between processes through inheritance"), so the tutorial puts the
 * results in a Manager().Queue(), whose proxy travels as an argument and
 * reconnects in the worker. What that costs, per task, with n tasks of
 * no work on W workers (map, chunksize 1: one message per task, as an
 * apply_async per task), each result 64 B:
 *   manager-queue  the queue's proxy in every task's argument: each task
 *                  unpickles it (an incref on an authenticated connection
 *                  of its own), puts its result over the worker's _tls
 *                  connection, and drops it (a decref on another; the
 *                  worker then holds no proxy, so _tls closes too): three
 *                  connections per task, as CPython's BaseProxy makes
 *   queue          a plain Queue made before the pool and inherited (the
 *                  working alternative: Pool(initializer, initargs=(q,)))
 *   pool-return    no queue of our own: the result comes back through the
 *                  pool's result queue (what map returns)
 * The parent takes the n results from the queue (or from map) and checks
 * that each task's arrived exactly once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "manager.h"
#include "pool_common.h"

enum mr_model { MR_MANAGER, MR_QUEUE, MR_RETURN, MR_NMODELS };
static const char *const mr_names[MR_NMODELS] = { "manager-queue", "queue", "pool-return" };

#define MR_BYTES PE_MANAGER_QUEUE_BYTES
#define MR_T_MS 10000

struct mr_arg {
	struct manager_ref ref; /* manager-queue: where to put the result */
	uint32_t index;
};

/* ---- in a worker ---- */

static struct channel *inherited; /* queue: made before the pool, so inherited */

static void mr_result(uint32_t index, unsigned char out[MR_BYTES])
{
	memset(out, 0x5a, MR_BYTES);
	memcpy(out, &index, sizeof(index));
}

/* The task's argument is unpickled: a proxy rebuilt from its reference,
 * used once and dropped with the argument after the task (the worker's
 * loop clears it), as the tutorial's q.put(result) in a pool task does. */
static int mr_manager_task(const void *arg, size_t len, struct pool_out *out)
{
	struct mr_arg a;
	struct channel_opts o = { .manager = &a.ref };
	struct channel *proxy;
	unsigned char msg[MR_BYTES];
	int rc;

	if (len != sizeof(a))
		return pool_raise(out, "bad argument");
	memcpy(&a, arg, sizeof(a));
	proxy = channel_create(CH_MANAGER, &o, NULL, 0);
	if (!proxy || channel_open(proxy, CH_SEND) < 0) {
		channel_close(proxy);
		return pool_raise(out, "cannot attach to the manager's queue");
	}
	mr_result(a.index, msg);
	rc = channel_send(proxy, msg, sizeof(msg), MR_T_MS);
	channel_close(proxy);
	return rc < 0 ? pool_raise(out, "put: %s", strerror(-rc)) : pool_return(out, NULL, 0);
}

static void mr_open_inherited(void *arg)
{
	(void)arg;
	channel_open(inherited, CH_SEND);
}

static int mr_queue_task(const void *arg, size_t len, struct pool_out *out)
{
	unsigned char msg[MR_BYTES];
	uint32_t index;
	int rc;

	if (len != sizeof(struct mr_arg))
		return pool_raise(out, "bad argument");
	memcpy(&index, (const char *)arg + offsetof(struct mr_arg, index), sizeof(index));
	mr_result(index, msg);
	rc = channel_send(inherited, msg, sizeof(msg), MR_T_MS);
	return rc < 0 ? pool_raise(out, "put: %s", strerror(-rc)) : pool_return(out, NULL, 0);
}

static int mr_return_task(const void *arg, size_t len, struct pool_out *out)
{
	unsigned char msg[MR_BYTES];
	uint32_t index;

	if (len != sizeof(struct mr_arg))
		return pool_raise(out, "bad argument");
	memcpy(&index, (const char *)arg + offsetof(struct mr_arg, index), sizeof(index));
	mr_result(index, msg);
	return pool_return(out, msg, sizeof(msg));
}

/* ---- in the case process ---- */

/* Every index 0..n-1 exactly once, each result intact. */
static int mr_check(struct pb_ctx *ctx, unsigned char *seen, const unsigned char *msg, ssize_t got,
		    size_t n)
{
	unsigned char want[MR_BYTES];
	uint32_t index;

	if (got != MR_BYTES)
		return pb_fail(ctx, "result: %s", got < 0 ? strerror((int)-got) : "wrong length");
	memcpy(&index, msg, sizeof(index));
	mr_result(index, want);
	if (index >= n || seen[index]++ || memcmp(msg, want, MR_BYTES) != 0)
		return pb_fail(ctx, "result %u: out of range, twice, or damaged", index);
	return 0;
}

/* map(task, args, chunksize 1), then the n results: from the queue, or
 * from what map returns. */
static int mr_collect(struct pb_ctx *ctx, struct pool *p, enum mr_model m, struct channel *q,
		      const struct mr_arg *args, size_t n)
{
	static const pool_fn fns[MR_NMODELS] = { mr_manager_task, mr_queue_task, mr_return_task };
	struct pool_async *h = pool_map_async(p, fns[m], args, sizeof(*args), n, 1);
	unsigned char *seen = calloc(n, 1), msg[MR_BYTES + 8];
	const struct pool_result *r = NULL;
	int rc = h && seen ? 0 : pb_fail(ctx, "map_async: %s", pool_error(p));

	for (size_t i = 0; rc == 0 && q && i < n; i++)
		rc = mr_check(ctx, seen, msg, channel_recv(q, msg, sizeof(msg), MR_T_MS), n);
	if (rc == 0 && pool_async_get(h, MR_T_MS / 1000.0, &r) != 0)
		rc = pb_fail(ctx, "map: a task failed: %s", r ? r[0].data : "timed out");
	for (size_t i = 0; rc == 0 && !q && i < n; i++)
		rc = mr_check(ctx, seen, (const unsigned char *)r[i].data, (ssize_t)r[i].len, n);
	pool_async_free(h);
	free(seen);
	return rc;
}

/* Make the case's queue: a manager's (started first) or a plain one. */
static struct channel *mr_queue(struct pb_ctx *ctx, enum mr_model m, struct manager **mgr)
{
	struct channel_opts o = { 0 };
	struct manager_ref ref;
	char err[256];
	struct channel *q;

	if (m == MR_RETURN)
		return NULL;
	if (m == MR_MANAGER) {
		if (!(*mgr = manager_start(err, sizeof(err)))) {
			pb_fail(ctx, "%s", err);
			return NULL;
		}
		ref = manager_ref(*mgr);
		o.manager = &ref;
	}
	if (!(q = channel_create(m == MR_MANAGER ? CH_MANAGER : CH_QUEUE, &o, err, sizeof(err))))
		pb_fail(ctx, "%s", err);
	return q;
}

static int mr_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	enum mr_model m = (enum mr_model)pb_case_get(c, "model_index");
	size_t n = (size_t)pb_case_get(c, "n");
	struct pool_opts po = { .topo = pb_cfg(ctx)->topo, .placement = pb_placement(ctx) };
	struct mr_arg *args = calloc(n, sizeof(*args));
	struct manager *mgr = NULL;
	struct pool *p = NULL;
	struct channel *q = mr_queue(ctx, m, &mgr);
	char err[256];
	int rc = 0;
	uint64_t t0;

	if (!args || (m != MR_RETURN && !q))
		rc = args ? -1 : pb_fail(ctx, "calloc: out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		args[i].index = (uint32_t)i;
		if (mgr)
			channel_manager_ref(q, &args[i].ref);
	}
	inherited = m == MR_QUEUE ? q : NULL;
	po.initializer = m == MR_QUEUE ? mr_open_inherited : NULL;
	pool_register("mr_manager", mr_manager_task);
	pool_register("mr_queue", mr_queue_task);
	pool_register("mr_return", mr_return_task);
	if (rc == 0 && !(p = pool_create(c->workers, &po, err, sizeof(err))))
		rc = pb_fail(ctx, "%s", err);
	if (rc == 0) {
		t0 = pe_timer_begin(ctx);
		rc = mr_collect(ctx, p, m, q, args, n);
		if (rc == 0)
			pb_metric(ctx, "per_task_us", pe_timer_end(ctx, t0) * 1e6 / (double)n,
				  "us");
	}
	if (p)
		pe_stop_pool(p);
	channel_close(q);
	if (mgr && manager_shutdown(mgr) < 0 && rc == 0)
		rc = pb_fail(ctx, "the manager's server had died");
	free(args);
	return rc;
}

static void mr_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "pool-manager-queue",
			     .workload = "-",
			     .workers = cfg->pus > 1 ? cfg->pus : 2,
			     .run = mr_run,
			     .budget_s = 60 };

	/* a result, on a 2-vCPU AMD EPYC VM (run 20261207T161308Z): 15 us
	 * through a Queue, 8 returned; through the manager three authenticated
	 * connections a task, 1.2 to 2 ms (a loaded VM, branch poolsem's run
	 * 20261207T182049Z) */
	static const double result_s[MR_NMODELS] = { 1.5e-3, 16e-6, 10e-6 };

	pb_case_set(&c, "msg_bytes", MR_BYTES);
	for (int m = 0; m < MR_NMODELS; m++) {
		struct pb_case x = c;

		/* three authenticated connections a task: fewer tasks (CPython's
		 * twin, at the same n, takes ms a task) */
		int64_t n = m == MR_MANAGER ? PE_MANAGER_QUEUE_N(cfg) :
					      PB_PICK(cfg, 2000, 10000, 50000);

		pb_case_name(&x, "n", n);
		x.model = mr_names[m];
		x.est_s = 0.05 + (double)n * result_s[m]; /* the pool's start, the results */
		pb_case_set(&x, "model_index", m);
		pb_plan_add(plan, &x);
	}
}

/* The fix's price: per task, the manager's queue against the plain one
 * and against the pool's own result path. */
static void mr_summarize(struct pb_report *rep)
{
	const struct pb_case *k[MR_NMODELS];
	struct stats_summary vq, vr;
	struct pb_finding *f;

	for (int m = 0; m < MR_NMODELS; m++)
		k[m] = pb_report_find(rep,
				      &(struct pb_case_key){ .experiment = "pool-manager-queue",
							     .model = mr_names[m] });
	if (!pb_report_ratio(rep, k[MR_MANAGER], k[MR_QUEUE], "per_task_us", &vq) ||
	    !pb_report_ratio(rep, k[MR_MANAGER], k[MR_RETURN], "per_task_us", &vr))
		return;
	pb_report_row(rep, k[MR_MANAGER], "manager-vs-queue", "per_task_us_ratio", vq, "x");
	pb_report_row(rep, k[MR_MANAGER], "manager-vs-pool-return", "per_task_us_ratio", vr, "x");
	f = pb_report_finding(rep, "manager_vs_queue",
			      "pool-manager-queue: a result through the manager's queue, per task, "
			      "against a plain inherited Queue and the pool's own result path");
	pb_finding_stat(f, rep, k[MR_MANAGER], "manager queue", "per_task_us", "us");
	pb_finding_stat(f, rep, k[MR_QUEUE], "inherited Queue", "per_task_us", "us");
	pb_finding_stat(f, rep, k[MR_RETURN], "pool's result path", "per_task_us", "us");
	pb_finding_figure(f, "manager / Queue", vq, "x");
	pb_finding_figure(f, "manager / pool's path", vr, "x");
}

/* pool-manager-queue's parameters (cases.csv's units and types) */
static const struct pb_param_decl pool_manager_queue_params[] = {
	{ "n", PB_INT, "count", "the number of results" },
	{ "msg_bytes", PB_INT, "B", "the size of one result" },
	{ "model_index", PB_INT, "", "the channel, an index into the model table" },
	{ 0 }, /* the end */
};

const struct pb_experiment pool_manager_queue_experiment = {
	.name = "pool-manager-queue",
	.summary = "Pool workers putting results in a Manager().Queue() (its reference passed "
		   "as the task's argument) against an inherited Queue and the pool's own "
		   "results",
	.teaches =
		"A plain Queue cannot be handed to Pool workers as an argument, so the tutorial puts "
		"results in a Manager().Queue(): a proxy to a queue in a server process, one request over"
		" a socket per put and get. What that fix costs per task against an inherited Queue and "
		"the pool's own results.",
	.headline = { "per_task_us", "us", PB_LOWER_IS_BETTER },
	.figures = "pool-manager-queue",
	.cpython_twin = "pool.py mode=manager",
	.plan = mr_plan,
	.summarize = mr_summarize,
	.params = pool_manager_queue_params,
};
