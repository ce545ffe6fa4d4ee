/* SPDX-License-Identifier: MIT */
/*
 * pool — multiprocessing.Pool (lib/pool.c) measured: a model of the tasks
 * experiment, and the experiments that show when a pool beats a process per
 * task: what one task costs (pool-overhead), how small a task may be
 * (granularity), why map sends chunks (chunksize), why imap_unordered
 * answers first (ordering), the seed's Pool(4) timeline (pool-seed), and a
 * worker SIGKILLed in the middle of a map (pool-sigkill).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "pool.h"
#include "tasks.h"
#include "threads.h"

/* ------------------------------------------------------------ the tasks
 * Workers are forks of the case process: they see its memory as it was at
 * pool_create (Python's "fork" start method), so a task may read what the
 * case set up before, like tasks_spec_for_workers. */

static const struct tasks_spec *tasks_spec_for_workers;

/* No work: the argument comes back (pool-overhead, chunksize). */
static int echo_task(const void *arg, size_t len, struct pool_out *out)
{
	return pool_return(out, arg, len);
}

/* CPU work of arg.us microseconds (granularity). */
struct cpu_arg {
	double us;
	uint64_t seed;
};

static int cpu_task(const void *arg, size_t len, struct pool_out *out)
{
	struct cpu_arg a;
	uint64_t x;

	if (len != sizeof(a))
		return pool_raise(out, "cpu_task: bad argument");
	memcpy(&a, arg, sizeof(a));
	x = wl_cpu_ticks(a.seed, wl_ticks_for_ms(a.us / 1000.0));
	return pool_return(out, &x, sizeof(x));
}

/* Sleep arg seconds and say who slept when (ordering, pool-seed). */
struct span {
	int64_t worker;
	uint64_t start_ns, end_ns;
};

static int timed_sleep_task(const void *arg, size_t len, struct pool_out *out)
{
	struct span s = { .worker = pool_worker_index(), .start_ns = clock_now_ns() };
	double secs;

	if (len != sizeof(secs))
		return pool_raise(out, "timed_sleep_task: bad argument");
	memcpy(&secs, arg, sizeof(secs));
	clock_sleep_ns((uint64_t)(secs * 1e9));
	s.end_ns = clock_now_ns();
	return pool_return(out, &s, sizeof(s));
}

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

/* pool-sigkill: the task whose index is victim SIGKILLs its own worker. */
struct kill_arg {
	int64_t index, victim;
};

static int kill_at_task(const void *arg, size_t len, struct pool_out *out)
{
	struct kill_arg a;

	if (len != sizeof(a))
		return pool_raise(out, "kill_at_task: bad argument");
	memcpy(&a, arg, sizeof(a));
	if (a.index == a.victim)
		kill(getpid(), SIGKILL);
	return pool_return(out, &a.index, sizeof(a.index));
}

static void register_tasks(void)
{
	pool_register("echo", echo_task);
	pool_register("cpu", cpu_task);
	pool_register("timed_sleep", timed_sleep_task);
	pool_register("tasks", tasks_task);
	pool_register("kill_at", kill_at_task);
}

/* ------------------------------------------------------------ helpers */

static struct pool *start_pool_on(struct pb_ctx *ctx, int workers, const struct placement *where)
{
	struct pool_opts o = { .topo = pb_cfg(ctx)->topo, .placement = where };
	char err[256];
	struct pool *p;

	register_tasks();
	p = pool_create(workers, &o, err, sizeof(err));
	if (!p)
		pb_fail(ctx, "%s", err);
	return p;
}

/* Workers where the run's --pin puts them. */
static struct pool *start_pool(struct pb_ctx *ctx, int workers)
{
	return start_pool_on(ctx, workers, pb_placement(ctx));
}

/* close + join: the seed's p.close(); p.join(). */
static void stop_pool(struct pool *p)
{
	pool_close(p);
	pool_join(p);
	pool_destroy(p);
}

/* splitmix64: a seeded sequence, the same on every machine. */
static double random_unit(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

static const struct pb_case *find_case(const struct pb_report *rep, const char *experiment,
				       const char *model, int workers, double param_value)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);

		if (strcmp(c->experiment, experiment) == 0 && strcmp(c->model, model) == 0 &&
		    (workers < 0 || c->workers == workers) &&
		    (isnan(param_value) || c->param_value == param_value))
			return c;
	}
	return NULL;
}

/* pb_timer_start/stop, returning the measured seconds too (for per-task
 * figures derived from the very interval the harness records). */
static uint64_t timer_begin(struct pb_ctx *ctx)
{
	pb_timer_start(ctx);
	return clock_now_ns();
}

static double timer_end(struct pb_ctx *ctx, uint64_t t0)
{
	double s = (double)(clock_now_ns() - t0) / 1e9;

	pb_timer_stop(ctx);
	return s;
}

/* The median of metric in the case that matches, or NAN. */
static double median_of(const struct pb_report *rep, const char *experiment, const char *model,
			int workers, double param_value, const char *metric)
{
	const struct pb_case *c = find_case(rep, experiment, model, workers, param_value);
	struct stats_summary s;

	if (!c || !pb_report_stat(rep, c->name, metric, &s))
		return NAN;
	return s.median;
}

/* ------------------------------------------------- model pool of "tasks" */

/* The seed's Pool(W) with one apply_async per task: here one map with
 * chunksize 1. Creating the pool is part of the time, as it is for a script
 * that makes a pool for one batch. */
int pool_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	struct pool_opts o = { .topo = s->topo, .placement = s->placement };
	int32_t *idx = calloc((size_t)s->ntasks + 1, sizeof(*idx));
	struct pool_result *res = calloc((size_t)s->ntasks + 1, sizeof(*res));
	struct pool *p = NULL;
	int rc = -1;

	r->error[0] = '\0';
	register_tasks();
	tasks_spec_for_workers = s;
	if (!idx || !res)
		snprintf(r->error, sizeof(r->error), "calloc: out of memory");
	else
		p = pool_create(s->workers, &o, r->error, sizeof(r->error));
	if (p) {
		for (int i = 0; i < s->ntasks; i++)
			idx[i] = i;
		rc = pool_map(p, tasks_task, idx, sizeof(*idx), (size_t)s->ntasks, 1, res);
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
		pool_results_free(res, (size_t)s->ntasks);
		stop_pool(p);
	}
	tasks_spec_for_workers = NULL;
	free(idx);
	free(res);
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------- pool-overhead */

enum overhead_model { OV_FORK, OV_POOL, OV_POOL_MAP, OV_PIPE, OV_THREADS };

/* Where the caller and its workers run. A round trip between two PUs
 * includes waking the other PU, which on an idle VM costs far more than
 * the round trip itself; on one PU it is the mechanism's own cost. */
enum overhead_place {
	PL_SAME,  /* the caller and its one worker (or child) on one PU */
	PL_CROSS, /* the caller on one PU, its one worker on another */
	PL_RUN,	  /* W workers where --pin puts them; the caller free */
};

/* Time one run of a tasks model (fork_run_tasks, threads_run_tasks) over n
 * cpu tasks of task_ms on W workers placed at where: its wall time in
 * *wall. 0, or the case's failure with the model's reason. */
static int run_tasks_model(struct pb_ctx *ctx, tasks_model_fn model, const char *name, int n,
			   int workers, double task_ms, const struct placement *where, double *wall)
{
	struct tasks_spec s = { .workload = WL_CPU,
				.ntasks = n,
				.workers = workers,
				.task_ms = task_ms,
				.topo = pb_cfg(ctx)->topo,
				.placement = where,
				.crash_task = -1,
				.fail_task = -1 };
	struct tasks_result r = { .value = calloc((size_t)n, sizeof(uint64_t)),
				  .ran_on = calloc((size_t)n, sizeof(int)) };
	int rc = -1;

	if (r.value && r.ran_on) {
		uint64_t t0 = timer_begin(ctx);

		rc = model(&s, &r);
		*wall = timer_end(ctx, t0);
	}
	free(r.value);
	free(r.ran_on);
	return rc == 0 ? 0 : pb_fail(ctx, "%s: %s", name, r.error[0] ? r.error : "out of memory");
}

/* A process or a thread per task, with no work in the task. */
static int overhead_per_task(struct pb_ctx *ctx, tasks_model_fn model, const char *name, int n,
			     int workers, const struct placement *where)
{
	double wall;

	if (run_tasks_model(ctx, model, name, n, workers, 0, where, &wall) < 0)
		return -1;
	pb_metric(ctx, "per_task_us", wall * 1e6 / n, "us");
	return 0;
}

#define WARMUP_ROUND_TRIPS 100 /* untimed: page faults, caches, scheduler */

/* apply_async + get, one task at a time: the round trip of one task. */
static int overhead_pool(struct pb_ctx *ctx, struct pool *p, int n)
{
	const struct pool_result *r;
	uint64_t t0 = 0;

	for (int64_t i = -WARMUP_ROUND_TRIPS; i < n; i++) {
		struct pool_async *h = pool_apply_async(p, echo_task, &i, sizeof(i));
		int64_t back = -1;

		if (!h)
			return pb_fail(ctx, "apply_async: %s", pool_error(p));
		if (pool_async_get(h, 10.0, &r) == 0)
			memcpy(&back, r[0].data, sizeof(back));
		pool_async_free(h);
		if (back != i)
			return pb_fail(ctx, "task %lld: wrong or no result", (long long)i);
		if (i == -1)
			t0 = timer_begin(ctx);
	}
	pb_metric(ctx, "per_task_us", timer_end(ctx, t0) * 1e6 / n, "us");
	return 0;
}

/* A stream: map with chunksize 1, the W workers overlapping. */
static int overhead_pool_map(struct pb_ctx *ctx, struct pool *p, int n)
{
	int64_t *xs = calloc((size_t)n, sizeof(*xs));
	struct pool_result *rs = calloc((size_t)n, sizeof(*rs));
	uint64_t t0;
	int rc;

	if (!xs || !rs) {
		free(xs);
		free(rs);
		return pb_fail(ctx, "calloc: out of memory");
	}
	for (int i = 0; i < n; i++)
		xs[i] = i;
	t0 = timer_begin(ctx);
	rc = pool_map(p, echo_task, xs, sizeof(*xs), (size_t)n, 1, rs);
	pb_metric(ctx, "per_task_us", timer_end(ctx, t0) * 1e6 / n, "us");
	pool_results_free(rs, (size_t)n);
	free(xs);
	free(rs);
	return rc == 0 ? 0 : pb_fail(ctx, "map: %s", pool_status_name(rc));
}

static void __attribute__((noreturn)) echo_child(int in, int out)
{
	uint64_t x;

	while (read(in, &x, sizeof(x)) == (ssize_t)sizeof(x))
		if (write(out, &x, sizeof(x)) != (ssize_t)sizeof(x))
			_exit(1);
	_exit(0);
}

/* The floor: 8 bytes to a child over one pipe and back over another. */
static int overhead_pipe(struct pb_ctx *ctx, int n, const struct placement *where)
{
	struct topo_saved *saved = NULL;
	int to[2], from[2], status;
	uint64_t x = 0, t0 = 0;
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		return pb_fail(ctx, "pipe2: %s", strerror(errno));
	topo_spawn_begin(pb_cfg(ctx)->topo, where, 0, &saved);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		echo_child(to[0], from[1]);
	}
	if (saved)
		topo_spawn_end(pb_cfg(ctx)->topo, saved);
	close(to[0]);
	close(from[1]);
	if (pid < 0)
		return pb_fail(ctx, "fork: %s", strerror(errno));
	for (int64_t i = -WARMUP_ROUND_TRIPS; i < n; i++) {
		if (write(to[1], &i, sizeof(i)) != (ssize_t)sizeof(i) ||
		    read(from[0], &x, sizeof(x)) != (ssize_t)sizeof(x) || x != (uint64_t)i)
			break;
		if (i == -1)
			t0 = timer_begin(ctx);
	}
	pb_metric(ctx, "per_task_us", timer_end(ctx, t0) * 1e6 / n, "us");
	close(to[1]); /* EOF: the child leaves */
	close(from[0]);
	waitpid(pid, &status, 0);
	if (x != (uint64_t)n - 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pb_fail(ctx, "pipe: the echo child failed");
	return 0;
}

static int overhead_model(struct pb_ctx *ctx, const struct pb_case *c,
			  const struct placement *where)
{
	int n = (int)c->arg[1], rc;
	struct pool *p;

	if (c->arg[0] == OV_FORK)
		return overhead_per_task(ctx, fork_run_tasks, "fork", n, c->workers, where);
	if (c->arg[0] == OV_THREADS)
		return overhead_per_task(ctx, threads_run_tasks, "threads", n, c->workers, where);
	if (c->arg[0] == OV_PIPE)
		return overhead_pipe(ctx, n, where);
	if (!(p = start_pool_on(ctx, c->workers, where)))
		return -1;
	rc = c->arg[0] == OV_POOL ? overhead_pool(ctx, p, n) : overhead_pool_map(ctx, p, n);
	stop_pool(p);
	return rc;
}

static int overhead_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	struct placement two = { 0 }, where = *pb_placement(ctx);
	struct topo_saved *saved = NULL;
	char err[256];
	int rc;

	if (c->arg[2] == PL_CROSS) { /* the caller on two.pu[0], the worker on two.pu[1] */
		if (topo_place(cfg->topo, PIN_SCATTER, 2, &two, err, sizeof(err)) < 0)
			return pb_fail(ctx, "placement: %s", err);
		where = (struct placement){ .policy = two.policy, .n = 1, .pu = two.pu + 1 };
	}
	/* The caller binds itself like a worker: to where's PU, or two's first. */
	if (c->arg[2] != PL_RUN)
		topo_spawn_begin(cfg->topo, c->arg[2] == PL_CROSS ? &two : &where, 0, &saved);
	rc = overhead_model(ctx, c, &where);
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	placement_free(&two);
	return rc;
}

/* ---------------------------------------------------------- granularity */

enum granularity_model { GR_FORK, GR_POOL };

/* How long one task really takes here, now: the best of a few timed runs
 * in the case process (the calibration is from start-up, and a busy
 * machine skews it). Batches of at least 1 ms keep the clock's cost out. */
static double granularity_task_s(double us)
{
	int batch = (int)fmax(1.0, 1000.0 / us);
	uint64_t ticks = wl_ticks_for_ms(us / 1000.0);
	volatile uint64_t sink = 0; /* the work must be done */
	double best = INFINITY;

	for (int trial = 0; trial < 3; trial++) {
		uint64_t t0 = clock_now_ns();

		for (int i = 0; i < batch; i++)
			sink = wl_cpu_ticks(sink + (uint64_t)i + 1, ticks);
		best = fmin(best, (double)(clock_now_ns() - t0) / 1e9 / batch);
	}
	return best;
}

/* What a perfect model needs: ceil(n / W) rounds of tasks, and no less
 * than the work spread over the PUs. */
static double granularity_ideal_s(const struct pb_config *cfg, const struct pb_case *c,
				  double task_s)
{
	double n = (double)c->arg[1], rounds = ceil(n / c->workers);

	if (n / cfg->pus > rounds)
		rounds = n / cfg->pus;
	return rounds * task_s;
}

static int granularity_fork(struct pb_ctx *ctx, const struct pb_case *c, double *wall)
{
	return run_tasks_model(ctx, fork_run_tasks, "fork", (int)c->arg[1], c->workers,
			       c->param_value / 1000.0, pb_placement(ctx), wall);
}

/* A warm pool (started before the clock, as a pool serving many batches)
 * maps the tasks with Python's default chunksize. */
static int granularity_pool(struct pb_ctx *ctx, const struct pb_case *c, double *wall)
{
	size_t n = (size_t)c->arg[1];
	struct cpu_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	uint64_t t0 = clock_now_ns();
	struct pool *p = a && rs ? start_pool(ctx, c->workers) : NULL;
	int rc = -1;

	if (p) {
		pb_metric(ctx, "pool_start_s", (double)(clock_now_ns() - t0) / 1e9, "s");
		for (size_t i = 0; i < n; i++)
			a[i] = (struct cpu_arg){ c->param_value, i + 1 };
		t0 = timer_begin(ctx);
		rc = pool_map(p, cpu_task, a, sizeof(*a), n, 0, rs);
		*wall = timer_end(ctx, t0);
		pool_results_free(rs, n);
		stop_pool(p);
		if (rc != 0)
			pb_fail(ctx, "map: %s", pool_status_name(rc));
	} else if (!a || !rs) {
		pb_fail(ctx, "calloc: out of memory");
	}
	free(a);
	free(rs);
	return rc == 0 ? 0 : -1;
}

static int granularity_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	double task_s = granularity_task_s(c->param_value), wall = 0;
	double ideal = granularity_ideal_s(pb_cfg(ctx), c, task_s);
	int rc = c->arg[0] == GR_FORK ? granularity_fork(ctx, c, &wall) :
					granularity_pool(ctx, c, &wall);

	if (rc == 0 && wall > 0) {
		pb_metric(ctx, "task_s", task_s, "s");
		pb_metric(ctx, "ideal_s", ideal, "s");
		pb_metric(ctx, "efficiency", ideal / wall, "ratio");
	}
	return rc;
}

/* ------------------------------------------------------------ chunksize */

static int chunksize_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)c->arg[1], chunksize = (size_t)c->param_value, bad = 0;
	int64_t *xs = calloc(n, sizeof(*xs));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p = xs && rs ? start_pool(ctx, c->workers) : NULL;
	uint64_t t0;
	int rc;

	if (!p) {
		free(xs);
		free(rs);
		return xs && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		xs[i] = (int64_t)i;
	t0 = timer_begin(ctx);
	rc = pool_map(p, echo_task, xs, sizeof(*xs), n, chunksize, rs);
	pb_metric(ctx, "per_task_us", timer_end(ctx, t0) * 1e6 / (double)n, "us");
	for (size_t i = 0; i < n; i++)
		bad += rs[i].status != POOL_OK || memcmp(rs[i].data, &xs[i], sizeof(xs[i])) != 0;
	pool_results_free(rs, n);
	stop_pool(p);
	free(xs);
	free(rs);
	if (rc != 0 || bad)
		return pb_fail(ctx, "map: %zu of %zu results wrong (%s)", bad, n,
			       pool_status_name(rc));
	return 0;
}

/* ------------------------------------------------------------- ordering */

enum ordering_model { ORD_MAP, ORD_IMAP, ORD_IMAP_UNORDERED };

#define ORDERING_TASKS 16
#define ORDERING_SEED 20250101u

/* map hands back all results at once; imap in task order, as soon as the
 * next one in order is there; imap_unordered each as soon as it is done. */
static int ordering_collect(struct pool *p, const struct pb_case *c, const double *secs,
			    uint64_t *first_ns)
{
	struct pool_result rs[ORDERING_TASKS];
	const struct pool_result *r;
	struct pool_async *h;
	int ok = 0;

	if (c->arg[0] == ORD_MAP) {
		pool_map(p, timed_sleep_task, secs, sizeof(*secs), ORDERING_TASKS, 0, rs);
		*first_ns = clock_now_ns();
		for (int i = 0; i < ORDERING_TASKS; i++)
			ok += rs[i].status == POOL_OK;
		pool_results_free(rs, ORDERING_TASKS);
		return ok;
	}
	h = pool_imap(p, timed_sleep_task, secs, sizeof(*secs), ORDERING_TASKS, 1,
		      c->arg[0] == ORD_IMAP);
	if (!h)
		return 0;
	while (pool_async_next(h, 60.0, &r, NULL) == 0) {
		if (ok++ == 0)
			*first_ns = clock_now_ns();
		ok -= r->status != POOL_OK;
	}
	pool_async_free(h);
	return ok;
}

static int ordering_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	double secs[ORDERING_TASKS], lo = (double)c->arg[1] / 1e3, hi = (double)c->arg[2] / 1e3;
	double shortest = hi, longest = 0;
	uint64_t state = ORDERING_SEED, t0, first = 0;
	struct pool *p = start_pool(ctx, c->workers);
	int ok;

	if (!p)
		return -1;
	for (int i = 0; i < ORDERING_TASKS; i++) {
		secs[i] = lo + (hi - lo) * random_unit(&state);
		shortest = fmin(shortest, secs[i]);
		longest = fmax(longest, secs[i]);
	}
	t0 = timer_begin(ctx);
	ok = ordering_collect(p, c, secs, &first);
	timer_end(ctx, t0);
	stop_pool(p);
	if (ok != ORDERING_TASKS)
		return pb_fail(ctx, "only %d of %d tasks succeeded", ok, ORDERING_TASKS);
	pb_metric(ctx, "first_result_s", (double)(first - t0) / 1e9, "s");
	pb_metric(ctx, "shortest_task_s", shortest, "s");
	pb_metric(ctx, "longest_task_s", longest, "s");
	pb_metric(ctx, "task0_s", secs[0], "s");
	pb_metric(ctx, "seed", ORDERING_SEED, "count");
	return 0;
}

/* ------------------------------------------------------------- pool-seed */

#define SEED_TASKS 5
#define SEED_WORKERS 4
#define SEED_SEED 3232u /* the seed's parent pid, for a seed */

/* The seed's multi_pool.py: Pool(4), five apply_async(task) sleeping
 * random() * 3 s (times the profile's scale), close, join. Each task's
 * worker, start and end (from the first apply_async) become metrics:
 * task1_worker, task1_start_s, task1_end_s, ... for the Gantt chart. */
static int seed_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct pool_async *h[SEED_TASKS] = { 0 };
	struct pool *p = start_pool(ctx, SEED_WORKERS);
	uint64_t state = SEED_SEED, t0;
	double secs[SEED_TASKS];
	int rc = 0;

	if (!p)
		return -1;
	for (int i = 0; i < SEED_TASKS; i++)
		secs[i] = random_unit(&state) * 3.0 * c->param_value;
	t0 = timer_begin(ctx);
	for (int i = 0; i < SEED_TASKS; i++)
		h[i] = pool_apply_async(p, timed_sleep_task, &secs[i], sizeof(secs[i]));
	pool_close(p);
	pool_join(p);
	timer_end(ctx, t0);
	for (int i = 0; i < SEED_TASKS; i++) {
		const struct pool_result *r;
		struct span s;
		char name[48];

		if (!h[i] || pool_async_get(h[i], 0, &r) != 0) {
			rc = pb_fail(ctx, "task %d failed", i + 1);
			break;
		}
		memcpy(&s, r[0].data, sizeof(s));
		snprintf(name, sizeof(name), "task%d_worker", i + 1);
		pb_metric(ctx, name, (double)s.worker, "count");
		snprintf(name, sizeof(name), "task%d_start_s", i + 1);
		pb_metric(ctx, name, (double)(s.start_ns - t0) / 1e9, "s");
		snprintf(name, sizeof(name), "task%d_end_s", i + 1);
		pb_metric(ctx, name, (double)(s.end_ns - t0) / 1e9, "s");
		snprintf(name, sizeof(name), "task%d_sleep_s", i + 1);
		pb_metric(ctx, name, secs[i], "s");
	}
	pb_metric(ctx, "seed", SEED_SEED, "count");
	for (int i = 0; i < SEED_TASKS; i++)
		pool_async_free(h[i]);
	pool_destroy(p);
	return rc;
}

/* ---------------------------------------------------------- pool-worklog */

/* The seed's other pool (004): Pool(2).map(work_log, [A 5, B 2, C 1, D 3])
 * with Python's default chunksize (1 here), sleeps scaled by the profile.
 * A and B start at once; C takes B's worker when B ends, D takes it after C,
 * and A ends last but one: the map returns when D does, at 6 s × scale. */
static const double worklog_secs[] = { 5, 2, 1, 3 };

static int worklog_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	const size_t n = sizeof(worklog_secs) / sizeof(worklog_secs[0]);
	struct pool_result rs[sizeof(worklog_secs) / sizeof(worklog_secs[0])];
	struct pool *p = start_pool(ctx, c->workers);
	double secs[sizeof(worklog_secs) / sizeof(worklog_secs[0])];
	uint64_t t0;
	int rc = 0;

	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		secs[i] = worklog_secs[i] * c->param_value;
	t0 = timer_begin(ctx);
	if (pool_map(p, timed_sleep_task, secs, sizeof(secs[0]), n, 0, rs) != 0)
		rc = pb_fail(ctx, "pool_map(work_log) failed: %s",
			     rs[0].status != POOL_OK && rs[0].data ? rs[0].data : "no result");
	timer_end(ctx, t0);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct span sp;
		char name[48];

		memcpy(&sp, rs[i].data, sizeof(sp));
		snprintf(name, sizeof(name), "task%zu_worker", i + 1);
		pb_metric(ctx, name, (double)sp.worker, "count");
		snprintf(name, sizeof(name), "task%zu_start_s", i + 1);
		pb_metric(ctx, name, (double)(sp.start_ns - t0) / 1e9, "s");
		snprintf(name, sizeof(name), "task%zu_end_s", i + 1);
		pb_metric(ctx, name, (double)(sp.end_ns - t0) / 1e9, "s");
		snprintf(name, sizeof(name), "task%zu_sleep_s", i + 1);
		pb_metric(ctx, name, secs[i], "s");
	}
	pool_results_free(rs, n);
	pool_destroy(p);
	return rc;
}

/* ----------------------------------------------------------- pool-sigkill */

/* A map of n tasks with Python's default chunksize; task n / 2 SIGKILLs
 * its worker. Expected: n - 1 results, one "worker died (signal 9)", a
 * replacement worker, no hang, and no child left after join. */
static int sigkill_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)c->arg[1], ok = 0, died = 0;
	struct kill_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool *p = a && rs ? start_pool(ctx, c->workers) : NULL;
	struct pool_stats st;
	bool children_left;
	uint64_t t0;

	if (!p) {
		free(a);
		free(rs);
		return a && rs ? -1 : pb_fail(ctx, "calloc: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct kill_arg){ (int64_t)i, (int64_t)(n / 2) };
	t0 = timer_begin(ctx);
	pool_map(p, kill_at_task, a, sizeof(*a), n, 0, rs);
	timer_end(ctx, t0);
	for (size_t i = 0; i < n; i++) {
		ok += rs[i].status == POOL_OK;
		died += rs[i].status == POOL_EDIED && i == n / 2 &&
			strcmp(rs[i].data, "worker died (signal 9)") == 0;
	}
	st = pool_stats(p);
	pool_results_free(rs, n);
	stop_pool(p);
	children_left = waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD;
	pb_metric(ctx, "results_count", (double)ok, "count");
	pb_metric(ctx, "errors_count", (double)(n - ok), "count");
	pb_metric(ctx, "workers_died_count", (double)st.workers_died, "count");
	pb_metric(ctx, "workers_started_count", (double)st.workers_started, "count");
	pb_metric(ctx, "children_left_count", children_left, "count");
	free(a);
	free(rs);
	if (ok != n - 1 || died != 1 || children_left)
		return pb_fail(ctx, "%zu results, %zu worker-died errors, children left: %s", ok,
			       n - ok, children_left ? "yes" : "no");
	return 0;
}

/* --------------------------------------------------------------- plans */

static void plan_overhead(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const struct {
		enum overhead_model model;
		enum overhead_place place;
	} cases[] = {
		/* round trips, one task at a time */
		{ OV_PIPE, PL_SAME },
		{ OV_POOL, PL_SAME },
		{ OV_FORK, PL_SAME },
		{ OV_THREADS, PL_SAME },
		{ OV_PIPE, PL_CROSS },
		{ OV_POOL, PL_CROSS },
		/* streams: W workers at once */
		{ OV_POOL_MAP, PL_RUN },
		{ OV_THREADS, PL_RUN },
		{ OV_FORK, PL_RUN },
	};
	static const char *const names[] = {
		[OV_FORK] = "fork", [OV_POOL] = "pool",	      [OV_POOL_MAP] = "pool-map",
		[OV_PIPE] = "pipe", [OV_THREADS] = "threads",
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		enum overhead_place place = cases[k].place;
		/* quick forks fewer processes, and makes fewer slow cross-PU
		 * round trips; the per-task figure is the same */
		int n = cases[k].model == OV_FORK ? PB_PICK(cfg, 100, 1000, 1000) :
			place == PL_CROSS	  ? PB_PICK(cfg, 200, 1000, 1000) :
						    1000;
		struct pb_case c = { .experiment = "pool-overhead",
				     .model = names[cases[k].model],
				     .workers = place == PL_RUN ? cfg->pus : 1,
				     .run = overhead_run,
				     .arg = { cases[k].model, n, place },
				     .budget_s = 60,
				     .pin_fixed = place != PL_RUN,
				     .pin = place == PL_CROSS ? PIN_SCATTER : PIN_SINGLE };

		if (place == PL_CROSS && cfg->pus < 2)
			continue;
		snprintf(c.extra, sizeof(c.extra), "n:%d%s", n,
			 place == PL_CROSS ? "/cross-pu" : "");
		pb_plan_add(plan, &c);
	}
}

/* Enough tasks for about total_us of work, at least 4 per worker. */
static int granularity_tasks(const struct pb_config *cfg, double us)
{
	double total_us = PB_PICK(cfg, 10e3, 200e3, 1000e3), most = PB_PICK(cfg, 100, 2000, 10000);
	double n = fmin(fmax(total_us / us, 4.0 * cfg->pus), most);

	return (int)n;
}

static void plan_granularity(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const double sizes_us[] = { 1, 10, 100, 1000, 10000 };
	static const char *const models[] = { [GR_FORK] = "fork", [GR_POOL] = "pool" };

	for (int k = 0; k < 5; k++) {
		if (cfg->profile == PROFILE_QUICK && k % 2)
			continue; /* quick: 1 us, 100 us, 10 ms */
		for (int m = GR_FORK; m <= GR_POOL; m++) {
			struct pb_case c = { .experiment = "granularity",
					     .model = models[m],
					     .workers = cfg->pus,
					     .param = "task_us",
					     .param_value = sizes_us[k],
					     .run = granularity_run,
					     .arg = { m, granularity_tasks(cfg, sizes_us[k]) },
					     .budget_s = 60 };

			snprintf(c.extra, sizeof(c.extra), "n:%d", (int)c.arg[1]);
			pb_plan_add(plan, &c);
		}
	}
}

static void plan_chunksize(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int sizes[] = { 1, 4, 16, 64, 256, 1024 };
	int n = PB_PICK(cfg, 10000, 100000, 100000);
	struct pb_case c = { .experiment = "chunksize",
			     .model = "pool",
			     .workers = cfg->pus,
			     .param = "chunksize",
			     .run = chunksize_run,
			     .arg = { 0, n },
			     .budget_s = 60 };

	snprintf(c.extra, sizeof(c.extra), "n:%d", n);
	for (int k = 0; k < 6; k++) {
		if (cfg->profile == PROFILE_QUICK && (sizes[k] == 4 || sizes[k] == 256))
			continue; /* quick: 1, 16, 64, 1024 */
		c.param_value = sizes[k];
		pb_plan_add(plan, &c);
	}
	/* Python's choice: ceil(n / (4 W)) */
	c.model = "pool-default";
	c.param_value = (double)pool_default_chunksize((size_t)n, cfg->pus);
	pb_plan_add(plan, &c);
}

static void plan_ordering(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = {
		[ORD_MAP] = "map", [ORD_IMAP] = "imap", [ORD_IMAP_UNORDERED] = "imap_unordered"
	};
	/* the seed's Pool(4), and one worker per task */
	int workers[] = { 4, ORDERING_TASKS }, lo = PB_PICK(cfg, 2, 10, 50);
	int hi = PB_PICK(cfg, 30, 200, 1000);

	for (int w = cfg->profile == PROFILE_QUICK; w < 2; w++) {
		for (int m = ORD_MAP; m <= ORD_IMAP_UNORDERED; m++) {
			struct pb_case c = { .experiment = "ordering",
					     .model = models[m],
					     .workers = workers[w],
					     .run = ordering_run,
					     .arg = { m, lo, hi },
					     .budget_s = 30 + ORDERING_TASKS * hi / 1000.0 };

			snprintf(c.extra, sizeof(c.extra), "n:%d", ORDERING_TASKS);
			pb_plan_add(plan, &c);
		}
	}
}

static void pool_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case seed = { .experiment = "pool-seed",
				.model = "pool",
				.extra = "n:5",
				.workers = SEED_WORKERS,
				.param = "scale",
				.param_value = PB_PICK(cfg, 0.02, 0.2, 1.0),
				.run = seed_run,
				.budget_s = 30 };
	struct pb_case kill = { .experiment = "pool-sigkill",
				.model = "pool",
				.extra = "n:1000",
				.workers = cfg->pus,
				.run = sigkill_run,
				.arg = { 0, 1000 },
				.budget_s = 30 };
	struct pb_case worklog = { .experiment = "pool-worklog",
				   .model = "pool",
				   .extra = "n:4",
				   .workers = 2,
				   .param = "scale",
				   .param_value = PB_PICK(cfg, 0.01, 0.05, 1.0),
				   .run = worklog_run,
				   .budget_s = 30 };

	tasks_plan(plan, cfg, "pool", pool_run_tasks, true);
	plan_overhead(plan, cfg);
	plan_granularity(plan, cfg);
	plan_chunksize(plan, cfg);
	plan_ordering(plan, cfg);
	pb_plan_add(plan, &seed);
	pb_plan_add(plan, &worklog);
	pb_plan_add(plan, &kill);
}

/* ------------------------------------------------------------ summaries */

static const char *verdict(bool ok)
{
	return ok ? "met" : "NOT met";
}

/* The median per_task_us of a pool-overhead case: one worker, on the
 * caller's PU or another (cross), or the stream of W workers (w > 1). */
static double overhead_us(const struct pb_report *rep, const char *model, bool stream, bool cross)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);
		struct stats_summary s;

		if (strcmp(c->experiment, "pool-overhead") != 0 || strcmp(c->model, model) != 0 ||
		    (c->arg[2] == PL_RUN) != stream || (c->arg[2] == PL_CROSS) != cross)
			continue;
		return pb_report_stat(rep, c->name, "per_task_us", &s) ? s.median : NAN;
	}
	return NAN;
}

static void overhead_summary(struct pb_report *rep)
{
	double pipe = overhead_us(rep, "pipe", false, false);
	double pool = overhead_us(rep, "pool", false, false);
	double fork = overhead_us(rep, "fork", false, false);
	double xpipe = overhead_us(rep, "pipe", false, true);
	double xpool = overhead_us(rep, "pool", false, true);
	double map = overhead_us(rep, "pool-map", true, false);
	double forks = overhead_us(rep, "fork", true, false);
	double thread = overhead_us(rep, "threads", false, false);
	double threads = overhead_us(rep, "threads", true, false);

	if (!isnan(pool) && !isnan(pipe))
		pb_report_note(rep,
			       "pool-overhead: a pool round trip (apply_async + get, no work, caller "
			       "and worker on one PU) takes %.1f µs = %.2f× a pipe round trip "
			       "(%.1f µs); acceptance ≤ 3×: %s",
			       pool, pool / pipe, pipe, verdict(pool <= 3 * pipe));
	if (!isnan(pool) && !isnan(fork))
		pb_report_note(rep,
			       "pool-overhead: a process per task, one at a time on the same PU, "
			       "costs %.1f µs = %.1f× the pool round trip; acceptance ≥ 10×: %s",
			       fork, fork / pool, verdict(fork >= 10 * pool));
	if (!isnan(xpool) && !isnan(xpipe))
		pb_report_note(rep,
			       "pool-overhead: across two PUs a round trip costs %.1f µs (pipe) and "
			       "%.1f µs (pool, %.2f×): waking the other PU is most of it",
			       xpipe, xpool, xpool / xpipe);
	if (!isnan(map) && !isnan(forks))
		pb_report_note(rep,
			       "pool-overhead: a stream of no-work tasks on %d workers costs %.1f µs "
			       "per task with pool map (chunksize 1) and %.1f µs with a process per "
			       "task: %.0f×",
			       pb_report_cfg(rep)->pus, map, forks, forks / map);
	if (!isnan(thread) && !isnan(fork) && !isnan(pool))
		pb_report_note(rep,
			       "pool-overhead: a thread per task (create + join, one at a time on "
			       "one PU) costs %.1f µs: %.1f× cheaper than a process per task, "
			       "%.2f× the pool round trip; as a stream on %d workers %.1f µs per "
			       "task",
			       thread, fork / thread, thread / pool, pb_report_cfg(rep)->pus,
			       threads);
}

/* The task size (µs) at which model's efficiency first reaches level,
 * interpolated on the log scale; -1: already at the smallest size; NAN:
 * not within the sweep. */
static double granularity_crossing(const struct pb_report *rep, const char *model, double level)
{
	double prev_us = NAN, prev_eff = NAN;

	for (double us = 1; us <= 10000; us *= 10) {
		double eff = median_of(rep, "granularity", model, -1, us, "efficiency");

		if (isnan(eff))
			continue;
		if (eff >= level) {
			if (isnan(prev_us))
				return -1;
			return pow(10, log10(prev_us) + (level - prev_eff) / (eff - prev_eff) *
								(log10(us) - log10(prev_us)));
		}
		prev_us = us;
		prev_eff = eff;
	}
	return NAN;
}

static void describe_crossing(char *buf, size_t len, double us)
{
	if (isnan(us))
		snprintf(buf, len, "not within 1 µs–10 ms");
	else if (us < 0)
		snprintf(buf, len, "already at the smallest task");
	else
		snprintf(buf, len, "at about %.0f µs of work per task", us);
}

static void granularity_summary(struct pb_report *rep)
{
	double fork_x = granularity_crossing(rep, "fork", 0.5);
	double pool_x = granularity_crossing(rep, "pool", 0.5);
	double f1 = median_of(rep, "granularity", "fork", -1, 1, "efficiency");
	double p1 = median_of(rep, "granularity", "pool", -1, 1, "efficiency");
	char fs[64], ps[64];

	if (!find_case(rep, "granularity", "fork", -1, NAN))
		return;
	describe_crossing(fs, sizeof(fs), fork_x);
	describe_crossing(ps, sizeof(ps), pool_x);
	pb_report_note(rep,
		       "granularity: a process per task reaches 50%% efficiency %s, a warm pool "
		       "%s; with 1 µs tasks fork is %.4f efficient, the pool %.3f (%.0f× better)",
		       fs, ps, f1, p1, p1 / f1);
}

static void chunksize_summary(struct pb_report *rep)
{
	const struct pb_case *def = find_case(rep, "chunksize", "pool-default", -1, NAN);
	double one = median_of(rep, "chunksize", "pool", -1, 1, "wall_s");
	double c64 = median_of(rep, "chunksize", "pool", -1, 64, "wall_s");
	double d = def ? median_of(rep, "chunksize", "pool-default", -1, NAN, "wall_s") : NAN;

	if (isnan(one) || isnan(c64))
		return;
	pb_report_note(rep,
		       "chunksize: %lld tiny tasks take %.3f s with chunksize 1 and %.3f s with "
		       "chunksize 64: %.1f× faster; acceptance ≥ 10×: %s. Python's default "
		       "(chunksize %g): %.3f s",
		       def ? (long long)def->arg[1] : 0LL, one, c64, one / c64,
		       verdict(one >= 10 * c64), def ? def->param_value : NAN, d);
}

static void ordering_summary(struct pb_report *rep)
{
	int workers[] = { 4, ORDERING_TASKS };

	for (int k = 0; k < 2; k++) {
		int w = workers[k];
		double m = median_of(rep, "ordering", "map", w, NAN, "first_result_s");
		double i = median_of(rep, "ordering", "imap", w, NAN, "first_result_s");
		double u = median_of(rep, "ordering", "imap_unordered", w, NAN, "first_result_s");
		double t0 = median_of(rep, "ordering", "imap", w, NAN, "task0_s");
		double lo = median_of(rep, "ordering", "imap_unordered", w, NAN, "shortest_task_s");
		char check[96] = "";

		if (isnan(m) || isnan(i) || isnan(u))
			continue;
		if (w == ORDERING_TASKS) /* every task starts at once */
			snprintf(check, sizeof(check),
				 "; acceptance imap_unordered ≤ shortest + 1 ms: %s",
				 verdict(u <= lo + 1e-3));
		pb_report_note(rep,
			       "ordering, %d tasks on %d workers (seed %u): first result after "
			       "%.1f ms with map (all at once), %.1f ms with imap (task 0 takes "
			       "%.1f ms), %.1f ms with imap_unordered (shortest task %.1f ms)%s",
			       ORDERING_TASKS, w, ORDERING_SEED, m * 1e3, i * 1e3, t0 * 1e3,
			       u * 1e3, lo * 1e3, check);
	}
}

static void seed_summary(struct pb_report *rep)
{
	double wall = median_of(rep, "pool-seed", "pool", -1, NAN, "wall_s");
	double start5 = median_of(rep, "pool-seed", "pool", -1, NAN, "task5_start_s");
	double first_free = INFINITY;

	if (isnan(wall))
		return;
	for (int i = 1; i <= 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "task%d_end_s", i);
		first_free = fmin(first_free, median_of(rep, "pool-seed", "pool", -1, NAN, name));
	}
	pb_report_note(rep,
		       "pool-seed: Pool(4) runs tasks 1–4 at once; task 5 waits for the first "
		       "free worker (%.3f s) and starts at %.3f s; all done in %.3f s",
		       first_free, start5, wall);
}

/* Which worker took each work_log item, and when: C and D must follow B on
 * B's worker while A keeps the other one busy. */
static void worklog_summary(struct pb_report *rep)
{
	const char *e = "pool-worklog";
	double wall = median_of(rep, e, "pool", -1, NAN, "wall_s"), at[4], on[4];

	if (isnan(wall))
		return;
	for (int i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "task%d_start_s", i + 1);
		at[i] = median_of(rep, e, "pool", -1, NAN, name);
		snprintf(name, sizeof(name), "task%d_worker", i + 1);
		on[i] = median_of(rep, e, "pool", -1, NAN, name);
	}
	pb_report_note(rep,
		       "pool-worklog: Pool(2).map(work_log, A 5, B 2, C 1, D 3 × scale): A and B "
		       "start at %.3f and %.3f s on workers %.0f and %.0f, C at %.3f s and D at "
		       "%.3f s on worker %.0f and %.0f; the map returns after %.3f s",
		       at[0], at[1], on[0], on[1], at[2], at[3], on[2], on[3], wall);
}

static void sigkill_summary(struct pb_report *rep)
{
	const char *e = "pool-sigkill";
	double ok = median_of(rep, e, "pool", -1, NAN, "results_count");
	double bad = median_of(rep, e, "pool", -1, NAN, "errors_count");
	double left = median_of(rep, e, "pool", -1, NAN, "children_left_count");
	double wall = median_of(rep, e, "pool", -1, NAN, "wall_s");

	if (isnan(ok))
		return;
	pb_report_note(rep,
		       "pool-sigkill: a worker SIGKILLed in the middle of a 1,000-task map: %.0f "
		       "results, %.0f \"worker died (signal 9)\" error, a replacement worker, "
		       "%.0f children left, done in %.3f s (no hang); acceptance: %s",
		       ok, bad, left, wall, verdict(ok == 999 && bad == 1 && left == 0));
}

static void pool_summarize(struct pb_report *rep)
{
	overhead_summary(rep);
	granularity_summary(rep);
	chunksize_summary(rep);
	ordering_summary(rep);
	seed_summary(rep);
	worklog_summary(rep);
	sigkill_summary(rep);
}

const struct pb_experiment pool_suite = {
	.name = "pool",
	.summary = "process pool (multiprocessing.Pool): tasks model, pool-overhead, granularity, "
		   "chunksize, ordering, pool-seed, pool-worklog, pool-sigkill",
	.plan = pool_plan,
	.summarize = pool_summarize,
};
