/* SPDX-License-Identifier: MIT */
/*
 * price, threads and switches — pthread_create + join (peer: stress-ng
 * --pthread, one thread at a time), and a context switch between two
 * processes and between two threads on one PU: a 4-byte pipe ping-pong,
 * one operation a round trip (two switches), the loop of perf bench sched
 * pipe, its peer (-T for threads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "perf_peer.h"
#include "price.h"

static void *nothing(void *arg)
{
	return arg;
}

static int create_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		pthread_t t;
		int rc = pthread_create(&t, NULL, nothing, NULL);

		if (rc != 0)
			return pb_fail(ctx, "pthread_create: %s", strerror(rc));
		pthread_join(t, NULL);
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* ---- the ping-pong ---- */

struct pp {
	int ab[2], ba[2]; /* pinger -> ponger, ponger -> pinger */
};

static void *ponger(void *arg)
{
	struct pp *p = arg;
	int v;

	while (read(p->ab[0], &v, sizeof(v)) == sizeof(v))
		if (write(p->ba[1], &v, sizeof(v)) != sizeof(v))
			break;
	return NULL;
}

static int ping(struct pb_ctx *ctx, struct pp *p, double *ns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		int v = (int)i, back = -1;

		if (write(p->ab[1], &v, sizeof(v)) != sizeof(v) ||
		    read(p->ba[0], &back, sizeof(back)) != sizeof(back))
			return pb_fail(ctx, "ping-pong %zu: %s", i, strerror(errno));
		if (back != v)
			return pb_fail(ctx, "ping-pong %zu: the reply is not the ping", i);
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

static void pp_close(struct pp *p)
{
	for (int i = 0; i < 2; i++) {
		if (p->ab[i] >= 0)
			close(p->ab[i]);
		if (p->ba[i] >= 0)
			close(p->ba[i]);
	}
}

/* The partner, a thread or a process on worker 1's PU (pin:single: the same
 * PU), answers until the pinger closes its end. */
static int pingpong(struct pb_ctx *ctx, double *ns, size_t n, bool threads)
{
	struct pp p = { { -1, -1 }, { -1, -1 } };
	pthread_t t;
	pid_t pid = -1;
	bool started = false;
	int rc;

	if (pipe(p.ab) < 0 || pipe(p.ba) < 0) {
		pp_close(&p);
		return pb_fail(ctx, "pipe: %s", strerror(errno));
	}
	if (threads) {
		rc = price_thread_on(ctx, 1, &t, ponger, &p);
		started = rc == 0;
	} else if ((pid = fork()) == 0) {
		close(p.ab[1]);
		close(p.ba[0]);
		_exit(price_bind(ctx, 1) < 0 || ponger(&p) != NULL);
	} else {
		rc = pid < 0 ? pb_fail(ctx, "fork: %s", strerror(errno)) : 0;
	}
	if (rc == 0)
		rc = ping(ctx, &p, ns, n);
	close(p.ab[1]);
	p.ab[1] = -1; /* the partner reads end of stream and leaves */
	if (started)
		pthread_join(t, NULL);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	pp_close(&p);
	return rc;
}

static int switch_proc_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	return pingpong(ctx, ns, n, false);
}

static int switch_thread_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	return pingpong(ctx, ns, n, true);
}

/* perf's time includes starting its partner: a run of one loop measures
 * that, and (total(n) - total(1)) / (n - 1) is one round trip (as
 * ipc-latency's perf case does). */
static int perf_pipe(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	bool threads = strstr(c->model, "thread") != NULL;
	double t1, tn, d = 0;
	int rc = perf_run(ctx, 1, threads, &t1, &d);

	if (rc == 0)
		rc = perf_run(ctx, n, threads, &tn, &d);
	if (rc == 0)
		*ns_per_op = (tn - t1) / (double)(n - 1) * 1e3;
	return rc;
}

// clang-format off
const struct price_prim price_thread[] = {
	{ .model = "pthread-create", .what = "pthread_create + pthread_join",
	  .ours = create_ops, .pins = PRICE_ONE, .workers = 1, .ops = { 500, 3000, 10000 },
	  .op_ns = 35e3, .peer = "stress-ng --pthread", .pair_model = "pthread-create-vs-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "pthread --pthread-max 1",
	  .pair_ops = { 200, 300, 600 }, .peer_fixed_s = 0.02, .peer_op_ns = 260e3 },
	{ .model = "switch-process", .what = "context switch, two processes (pipe round trip)",
	  .ours = switch_proc_ops, .pins = PRICE_ONE, .workers = 2, .ops = { 1000, 10000, 30000 },
	  .op_ns = 17e3, .peer = "perf bench sched pipe", .pair_model = "switch-process-vs-perf",
	  .peer_run = perf_pipe, .pair_ops = { 1000, 5000, 5000 }, .peer_fixed_s = 0.05 },
	{ .model = "switch-thread", .what = "context switch, two threads (pipe round trip)",
	  .ours = switch_thread_ops, .pins = PRICE_ONE, .workers = 2, .ops = { 1000, 10000, 30000 },
	  .op_ns = 10e3, .peer = "perf bench sched pipe -T", .pair_model = "switch-thread-vs-perf",
	  .peer_run = perf_pipe, .pair_ops = { 1000, 5000, 5000 }, .peer_fixed_s = 0.05 },
	{ .model = NULL },
};
// clang-format on
