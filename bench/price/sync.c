/* SPDX-License-Identifier: MIT */
/*
 * price, synchronisation — a futex wake of a waiting thread on the same PU
 * and on another (peer: perf bench futex wake, one thread, one wake); an
 * uncontended mutex lock + unlock, private and process-shared; a mutex two
 * threads on two PUs take turns at (peer: stress-ng --mutex); an atomic
 * increment alone and by two threads on two PUs. Short operations are
 * timed in batches of 64; with two threads an operation is one of either
 * thread, so the time per operation is the batch's time over both
 * threads' operations (the figure stress-ng's bogo ops per second gives).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "peer.h"
#include "price.h"

#define BATCH 64
#define SETTLE_US 2000 /* the waiter has slept this long before each wake */

static long futex(uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

/* ---- futex wake ---- */

struct fw {
	uint32_t gen, seen;
	pid_t tid;
	size_t n;
};

static void *waiter(void *arg)
{
	struct fw *f = arg;

	__atomic_store_n(&f->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (uint32_t k = 1; k <= f->n; k++) {
		uint32_t g;

		while ((g = __atomic_load_n(&f->gen, __ATOMIC_ACQUIRE)) < k)
			futex(&f->gen, FUTEX_WAIT_PRIVATE, g);
		__atomic_store_n(&f->seen, k, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Whether thread tid of this process is asleep ('S' in its stat). */
static bool asleep(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if ((f = fopen(path, "r")) && fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		s = p[1] == ' ' && p[2] == 'S';
	if (f)
		fclose(f);
	return s;
}

static int wake_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	struct fw f = { .n = n };
	pthread_t t;

	(void)c;
	if (price_thread_on(ctx, 1, &t, waiter, &f) < 0)
		return -1;
	for (uint32_t k = 1; k <= n; k++) {
		uint64_t t0;
		pid_t tid;

		while (!(tid = __atomic_load_n(&f.tid, __ATOMIC_ACQUIRE)) ||
		       __atomic_load_n(&f.seen, __ATOMIC_ACQUIRE) != k - 1 || !asleep(tid))
			usleep(50);
		usleep(SETTLE_US);
		t0 = clock_now_ns();
		__atomic_store_n(&f.gen, k, __ATOMIC_RELEASE);
		while (futex(&f.gen, FUTEX_WAKE_PRIVATE, 1) < 1 &&
		       __atomic_load_n(&f.seen, __ATOMIC_ACQUIRE) < k)
			;
		ns[k - 1] = (double)(clock_now_ns() - t0);
	}
	pthread_join(t, NULL);
	return 0;
}

/* perf bench futex wake -t 1 -w 1: ten times (n times with perf bench's
 * --repeat when n is not 10), one thread blocked on a futex, woken by one
 * FUTEX_WAKE; the mean time of a wake. perf puts its waiter on the first
 * online CPU and the waker where it runs: we run perf on worker 0's PU for
 * one PU, on worker 1's for two. */
int price_perf_wake(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	const struct placement *pl = pb_placement(ctx);
	bool cross = c->pin == PIN_SCATTER;
	char repeat[32], *argv[] = { "perf", "bench", "--repeat", repeat, "futex", "wake",
				     "-t",   "1",     "-w",	  "1",	  "-s",	   NULL };
	char *text;
	int rc;

	snprintf(repeat, sizeof(repeat), "%ld", n > 0 ? n : 10);
	if (n == 10) /* perf's default: the argv of perf's own example */
		memmove(&argv[2], &argv[4], 8 * sizeof(*argv));
	if (pl->n >= 2 && pl->pu[0] >= 0 && (pl->pu[0] != 0 || (cross && pl->pu[1] == 0)))
		return pb_skip(ctx, "perf bench futex wake puts its waiter on CPU 0, and this "
				    "placement has worker 0 elsewhere") +
		       1;
	if (!(text = malloc(PEER_TEXT)))
		return pb_fail(ctx, "out of memory");
	rc = peer_run(ctx, argv, cross ? 2u : 1u, NULL, NULL, text);
	*ns_per_op = peer_number_after(text, "threads in") * 1e6;
	if (rc == 0 && !(*ns_per_op > 0))
		rc = pb_fail(ctx, "perf bench futex wake: no time in its output (%.120s)", text);
	free(text);
	return rc;
}

/* ---- a mutex or an atomic, alone or by two threads ---- */

struct hammer {
	pthread_mutex_t m;
	uint64_t counter __attribute__((aligned(64)));
	uint32_t go;
	bool atomic;
	double *ns;
	size_t n, per_op_div;
};

static void hammer_run(struct hammer *h, double *ns, size_t n)
{
	while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE))
		;
	for (size_t i = 0; i < n; i += BATCH) {
		uint64_t t0 = clock_now_ns();
		size_t k = n - i < BATCH ? n - i : BATCH;

		for (size_t j = 0; j < k; j++) {
			if (h->atomic) {
				__atomic_fetch_add(&h->counter, 1, __ATOMIC_SEQ_CST);
			} else {
				pthread_mutex_lock(&h->m);
				h->counter++;
				pthread_mutex_unlock(&h->m);
			}
		}
		for (size_t j = 0; j < k; j++)
			ns[i + j] = (double)(clock_now_ns() - t0) / (double)(k * h->per_op_div);
	}
}

static void *second(void *arg)
{
	struct hammer *h = arg;

	hammer_run(h, h->ns + h->n / 2, h->n - h->n / 2);
	return NULL;
}

static int hammer(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	struct hammer h = { .atomic = strstr(c->model, "atomic") != NULL, .ns = ns, .n = n };
	pthread_mutexattr_t a;
	pthread_t t;
	int rc = 0;

	pthread_mutexattr_init(&a);
	if (strstr(c->model, "pshared"))
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&h.m, &a);
	pthread_mutexattr_destroy(&a);
	h.per_op_div = c->workers;
	if (c->workers == 2)
		rc = price_thread_on(ctx, 1, &t, second, &h);
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	if (rc == 0)
		hammer_run(&h, ns, c->workers == 2 ? n / 2 : n);
	if (rc == 0 && c->workers == 2)
		pthread_join(t, NULL);
	pthread_mutex_destroy(&h.m);
	if (rc == 0 && h.counter != n)
		return pb_fail(ctx, "%" PRIu64 " increments counted, %zu made", h.counter, n);
	return rc;
}

// clang-format off
const struct price_prim price_sync[] = {
	{ .model = "futex-wake", .what = "FUTEX_WAKE of a sleeping thread",
	  .ours = wake_ops, .pins = PRICE_ONE | PRICE_CROSS, .workers = 2, .ops = { 20, 100, 200 },
	  .op_ns = 2.3e6, .peer = "perf bench futex wake", .pair_model = "futex-wake-vs-perf",
	  .peer_run = price_perf_wake, .pair_ops = { 10, 10, 10 }, .peer_fixed_s = 1.05,
	  .pair_pins = PRICE_CROSS },
	{ .model = "mutex-private", .what = "mutex lock + unlock, uncontended",
	  .ours = hammer, .pins = PRICE_ONE, .workers = 1, .ops = { 200000, 2000000, 5000000 },
	  .op_ns = 20 },
	{ .model = "mutex-pshared", .what = "process-shared mutex lock + unlock, uncontended",
	  .ours = hammer, .pins = PRICE_ONE, .workers = 1, .ops = { 200000, 2000000, 5000000 },
	  .op_ns = 20 },
	{ .model = "mutex-handoff", .what = "mutex lock + increment + unlock, two threads",
	  .ours = hammer, .pins = PRICE_CROSS, .workers = 2, .ops = { 200000, 2000000, 5000000 },
	  .op_ns = 100, .peer = "stress-ng --mutex", .pair_model = "mutex-handoff-vs-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "mutex --mutex-procs 2",
	  .pair_ops = { 10000, 10000, 40000 }, .peer_fixed_s = 0.1, .peer_op_ns = 6e3 },
	{ .model = "atomic-inc", .what = "atomic increment, one thread",
	  .ours = hammer, .pins = PRICE_ONE, .workers = 1, .ops = { 200000, 2000000, 5000000 },
	  .op_ns = 10 },
	{ .model = "atomic-inc-contended", .what = "atomic increment, two threads",
	  .ours = hammer, .pins = PRICE_CROSS, .workers = 2, .ops = { 200000, 2000000, 5000000 },
	  .op_ns = 40 },
	{ .model = NULL },
};
// clang-format on
