/* SPDX-License-Identifier: MIT */
/*
 * pool_common — the tasks, pool start and stop, and timing helpers that the
 * pool experiments share (see pool_common.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "pool_common.h"
#include "workload.h"

/* ------------------------------------------------------------ the tasks */

int pe_echo_task(const void *arg, size_t len, struct pool_out *out)
{
	return pool_return(out, arg, len);
}

int pe_cpu_task(const void *arg, size_t len, struct pool_out *out)
{
	struct pe_cpu_arg a;
	uint64_t x;

	if (len != sizeof(a))
		return pool_raise(out, "cpu_task: bad argument");
	memcpy(&a, arg, sizeof(a));
	x = wl_cpu_ticks(a.seed, wl_ticks_for_ms(a.us / 1000.0));
	return pool_return(out, &x, sizeof(x));
}

int pe_timed_sleep_task(const void *arg, size_t len, struct pool_out *out)
{
	struct pe_span s = { .worker = pool_worker_index(), .start_ns = clock_now_ns() };
	double secs;

	if (len != sizeof(secs))
		return pool_raise(out, "timed_sleep_task: bad argument");
	memcpy(&secs, arg, sizeof(secs));
	clock_sleep_ns((uint64_t)(secs * 1e9));
	s.end_ns = clock_now_ns();
	return pool_return(out, &s, sizeof(s));
}

int pe_kill_at_task(const void *arg, size_t len, struct pool_out *out)
{
	struct pe_kill_arg a;

	if (len != sizeof(a))
		return pool_raise(out, "kill_at_task: bad argument");
	memcpy(&a, arg, sizeof(a));
	if (a.index == a.victim)
		kill(getpid(), SIGKILL);
	return pool_return(out, &a.index, sizeof(a.index));
}

void pe_register_tasks(void)
{
	pool_register("echo", pe_echo_task);
	pool_register("cpu", pe_cpu_task);
	pool_register("timed_sleep", pe_timed_sleep_task);
	pool_register("kill_at", pe_kill_at_task);
	pool_register("raise_at", pe_raise_at_task);
}

int pe_raise_at_task(const void *arg, size_t len, struct pool_out *out)
{
	struct pe_kill_arg a;

	if (len != sizeof(a))
		return pool_raise(out, "raise_at_task: bad argument");
	memcpy(&a, arg, sizeof(a));
	if (a.index == a.victim)
		return pool_raise(out, "task %lld failed", (long long)a.index);
	return pool_return(out, &a.index, sizeof(a.index));
}

/* ------------------------------------------------------ a pool in a case */

struct pool *pe_start_pool_with(struct pb_ctx *ctx, int workers, const struct placement *where,
				enum pool_on_death on_death)
{
	struct pool_opts o = { .topo = pb_cfg(ctx)->topo,
			       .placement = where,
			       .on_death = on_death };
	char err[256];
	struct pool *p;

	pe_register_tasks();
	p = pool_create(workers, &o, err, sizeof(err));
	if (!p)
		pb_fail(ctx, "%s", err);
	return p;
}

struct pool *pe_start_pool_on(struct pb_ctx *ctx, int workers, const struct placement *where)
{
	return pe_start_pool_with(ctx, workers, where, POOL_HANG);
}

struct pool *pe_start_pool(struct pb_ctx *ctx, int workers)
{
	return pe_start_pool_on(ctx, workers, pb_placement(ctx));
}

void pe_stop_pool(struct pool *p)
{
	pool_close(p);
	pool_join(p);
	pool_destroy(p);
}

/* --------------------------------------------------------------- timing */

uint64_t pe_timer_begin(struct pb_ctx *ctx)
{
	pb_timer_start(ctx);
	return clock_now_ns();
}

double pe_timer_end(struct pb_ctx *ctx, uint64_t t0)
{
	(void)t0; /* the same start as pb_timer_start's */
	return pb_timer_stop(ctx);
}

int pe_run_tasks_model(struct pb_ctx *ctx, tasks_model_fn model, const char *name, int n,
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
		uint64_t t0 = pe_timer_begin(ctx);

		rc = model(&s, &r);
		*wall = pe_timer_end(ctx, t0);
	}
	free(r.value);
	free(r.ran_on);
	return rc == 0 ? 0 : pb_fail(ctx, "%s: %s", name, r.error[0] ? r.error : "out of memory");
}

void pe_span_metrics(struct pb_ctx *ctx, size_t i, const struct pe_span *s, uint64_t t0,
		     double sleep_s)
{
	char name[48];

	snprintf(name, sizeof(name), "task%zu_worker", i + 1);
	pb_metric(ctx, name, (double)s->worker, "count");
	snprintf(name, sizeof(name), "task%zu_start_s", i + 1);
	pb_metric(ctx, name, (double)(s->start_ns - t0) / 1e9, "s");
	snprintf(name, sizeof(name), "task%zu_end_s", i + 1);
	pb_metric(ctx, name, (double)(s->end_ns - t0) / 1e9, "s");
	snprintf(name, sizeof(name), "task%zu_sleep_s", i + 1);
	pb_metric(ctx, name, sleep_s, "s");
}

double pe_random_unit(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

const char *pe_verdict(bool ok)
{
	return ok ? "met" : "NOT met";
}
