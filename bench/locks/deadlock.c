/* SPDX-License-Identifier: MIT */
/*
 * deadlock — the tutorial's deadlock on purpose: thread A holds lock a and
 * wants b, thread B holds b and wants a. Every wait here has a timeout (the
 * experiment's own watchdog), and a thread whose wait ran out checks the
 * wait-for graph: if the holder of the lock it wants is itself waiting for
 * a lock this thread holds, that is a deadlock, recorded as data
 * (deadlocked = 1, detect_ms), and both back out. Then the two standard
 * cures, measured over many rounds: one global lock order, and try-lock
 * with back-off. And RLock re-entry (works) against Lock re-entry (a
 * self-deadlock, detected by the same timeout, never a hang).
 *
 * The locks are lib/models/pylock.c's threading.Lock/RLock, semaphores as in
 * CPython, so no sanitizer sees a lock-order inversion to report: the
 * inversion is this experiment's finding, not a bug in it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "twins.h"
#include "pylock.h"
#include "stats.h"

enum { DL_ABBA, DL_ORDERED, DL_TRYLOCK, DL_RLOCK, DL_LOCK_REENTRY, DL_N };

static const char *const dl_names[DL_N] = { "abba", "ordered", "trylock-backoff", "rlock-reentry",
					    "lock-reentry" };

struct dl_job {
	struct pylock lock[2];
	pthread_barrier_t both_hold; /* abba: both hold their first lock */
	int model, detect_ms;
	long rounds;
	long counter; /* guarded by both locks */
	int holds[2]; /* atomic: the lock each thread holds (-1: none) */
	int waits[2]; /* atomic: the lock each thread waits for (-1: none) */
	int deadlocked[2];
	uint64_t detect_ns[2];
	uint64_t retries[2];
};

struct dl_thread {
	struct dl_job *j;
	int me;
};

static void set_state(struct dl_job *j, int me, int holds, int waits)
{
	__atomic_store_n(&j->holds[me], holds, __ATOMIC_RELEASE);
	__atomic_store_n(&j->waits[me], waits, __ATOMIC_RELEASE);
}

/* The wait-for graph of two threads: I wait for a lock my peer holds, and
 * my peer waits for the lock I hold. */
static bool in_cycle(struct dl_job *j, int me)
{
	int peer = 1 - me;

	return __atomic_load_n(&j->waits[me], __ATOMIC_ACQUIRE) ==
		       __atomic_load_n(&j->holds[peer], __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&j->waits[peer], __ATOMIC_ACQUIRE) ==
		       __atomic_load_n(&j->holds[me], __ATOMIC_ACQUIRE);
}

/* abba: take my first lock, wait until the peer has its own, then ask for
 * the peer's, with the watchdog's timeout. */
static void abba(struct dl_job *j, int me)
{
	int first = me, second = 1 - me;
	uint64_t t0;

	pylock_acquire(&j->lock[first], -1);
	set_state(j, me, first, -1);
	pthread_barrier_wait(&j->both_hold);
	set_state(j, me, first, second);
	t0 = clock_now_ns();
	if (pylock_acquire(&j->lock[second], j->detect_ms) == 0) {
		j->counter++;
		pylock_release(&j->lock[second]);
	} else {
		j->deadlocked[me] = in_cycle(j, me);
		j->detect_ns[me] = clock_now_ns() - t0;
	}
	/* both must have looked at the graph before anyone backs out */
	pthread_barrier_wait(&j->both_hold);
	set_state(j, me, -1, -1);
	pylock_release(&j->lock[first]);
}

/* Cure 1: every thread takes the locks in one global order (a, then b). */
static void ordered(struct dl_job *j)
{
	for (long i = 0; i < j->rounds; i++) {
		pylock_acquire(&j->lock[0], -1);
		pylock_acquire(&j->lock[1], -1);
		j->counter++;
		pylock_release(&j->lock[1]);
		pylock_release(&j->lock[0]);
	}
}

/* Cure 2: keep the opposite orders, but never wait for the second lock
 * while holding the first: try it, and on failure let go, back off, retry. */
static void trylock_backoff(struct dl_job *j, int me)
{
	int first = me, second = 1 - me;

	for (long i = 0; i < j->rounds; i++) {
		for (int spins = 1;; spins = spins < 64 ? 2 * spins : spins) {
			pylock_acquire(&j->lock[first], -1);
			if (pylock_acquire(&j->lock[second], 0) == 0)
				break;
			pylock_release(&j->lock[first]);
			j->retries[me]++;
			for (int k = 0; k < spins; k++)
				sched_yield();
		}
		j->counter++;
		pylock_release(&j->lock[second]);
		pylock_release(&j->lock[first]);
	}
}

static void *dl_thread_main(void *arg)
{
	struct dl_thread *t = arg;

	if (t->j->model == DL_ABBA) {
		abba(t->j, t->me);
		return NULL;
	}
	pthread_barrier_wait(&t->j->both_hold); /* both start together: contention */
	if (t->j->model == DL_ORDERED)
		ordered(t->j);
	else
		trylock_backoff(t->j, t->me);
	return NULL;
}

static int two_threads(struct pb_ctx *ctx, struct dl_job *j)
{
	struct dl_thread t[2] = { { j, 0 }, { j, 1 } };
	pthread_t tid;
	int err;

	pb_timer_start(ctx);
	if ((err = pthread_create(&tid, NULL, dl_thread_main, &t[1])) != 0)
		return pb_fail(ctx, "pthread_create: %s", strerror(err));
	dl_thread_main(&t[0]);
	pthread_join(tid, NULL);
	return 0;
}

/* Re-entry by the owner: an RLock counts up; a Lock waits for itself until
 * the watchdog's timeout says it never will, REENTRY_WAITS times. */
static void reentry(struct pb_ctx *ctx, struct dl_job *j, bool rlock)
{
	struct pyrlock r;
	double waited[REENTRY_WAITS];
	uint64_t t0;
	int rc;

	pb_timer_start(ctx);
	if (rlock) {
		pyrlock_init(&r);
		for (long i = 0; i < j->rounds; i++) {
			pyrlock_acquire(&r, -1);
			rc = pyrlock_acquire(&r, j->detect_ms); /* again, from its owner */
			j->counter += rc == 0;
			pyrlock_release(&r);
			pyrlock_release(&r);
		}
		pyrlock_destroy(&r);
		j->deadlocked[0] = j->counter != j->rounds;
		return;
	}
	/* REENTRY_WAITS waits, their median (locks.py waits as often) */
	pylock_acquire(&j->lock[0], -1);
	j->deadlocked[0] = 1;
	for (int w = 0; w < REENTRY_WAITS; w++) {
		t0 = clock_now_ns();
		rc = pylock_acquire(&j->lock[0], j->detect_ms);
		waited[w] = (double)(clock_now_ns() - t0);
		j->deadlocked[0] &= rc == -ETIMEDOUT;
		if (rc == 0)
			pylock_release(&j->lock[0]);
	}
	pylock_release(&j->lock[0]);
	j->detect_ns[0] = (uint64_t)stats_median(waited, REENTRY_WAITS);
}

/* The first thread's detection, from its second acquire (the fidelity
 * table's twin of locks.py's min over the threads that found the cycle). */
static double first_detect_ns(const struct dl_job *j)
{
	if (j->model != DL_ABBA || !j->deadlocked[1])
		return (double)j->detect_ns[0];
	if (!j->deadlocked[0])
		return (double)j->detect_ns[1];
	return (double)(j->detect_ns[0] < j->detect_ns[1] ? j->detect_ns[0] : j->detect_ns[1]);
}

static void dl_metrics(struct pb_ctx *ctx, struct dl_job *j, double wall)
{
	bool abba = j->model == DL_ABBA;
	int dead = abba ? j->deadlocked[0] && j->deadlocked[1] : j->deadlocked[0];
	uint64_t det = j->detect_ns[0] > j->detect_ns[1] ? j->detect_ns[0] : j->detect_ns[1];

	pb_metric(ctx, "deadlocked", dead, "count");
	if (abba || j->model == DL_LOCK_REENTRY)
		pb_metric(ctx, "detect_ms", (double)det / 1e6, "ms");
	if (dead) /* what can differ from CPython: how late the first detection comes */
		pb_metric(ctx, "detect_late_us", (first_detect_ns(j) - j->detect_ms * 1e6) / 1e3,
			  "us");
	if (j->model == DL_ORDERED || j->model == DL_TRYLOCK || j->model == DL_RLOCK)
		pb_metric(ctx, "per_round_ns", wall * 1e9 / (double)j->rounds, "ns");
	if (j->model == DL_TRYLOCK)
		pb_metric(ctx, "retries", (double)(j->retries[0] + j->retries[1]), "count");
}

static int dl_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct dl_job *j = calloc(1, sizeof(*j));
	int rc = 0;
	long expect;

	if (!j)
		return pb_fail(ctx, "calloc: out of memory");
	j->model = (int)pb_case_get(c, "model_index");
	j->detect_ms = (int)pb_case_get(c, "detect_ms");
	j->rounds = pb_case_has(c, "rounds", NULL) ? (long)pb_case_get(c, "rounds") : 1;
	pylock_init(&j->lock[0]);
	pylock_init(&j->lock[1]);
	pthread_barrier_init(&j->both_hold, NULL, 2);
	if (j->model == DL_RLOCK || j->model == DL_LOCK_REENTRY)
		reentry(ctx, j, j->model == DL_RLOCK);
	else
		rc = two_threads(ctx, j);
	if (rc == 0) {
		dl_metrics(ctx, j, pb_timer_stop(ctx));
		expect = j->model == DL_ORDERED || j->model == DL_TRYLOCK ? 2 * j->rounds : -1;
		if (expect >= 0 && j->counter != expect)
			rc = pb_fail(ctx, "the counter is %ld, not %ld", j->counter, expect);
	}
	pthread_barrier_destroy(&j->both_hold);
	pylock_destroy(&j->lock[0]);
	pylock_destroy(&j->lock[1]);
	free(j);
	return rc;
}

static void dl_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = {
		.experiment = "deadlock", .workload = "-", .run = dl_run, .budget_s = 30
	};

	pb_case_name(&c, "detect_ms", PB_PICK(cfg, 50, 100, 100));
	for (int m = 0; m < DL_N; m++) {
		struct pb_case x = c;

		x.model = dl_names[m];
		x.workers = m >= DL_RLOCK ? 1 : 2;
		pb_case_set(&x, "model_index", m);
		if (m == DL_ORDERED || m == DL_TRYLOCK || m == DL_RLOCK)
			pb_case_name(&x, "rounds", PB_PICK(cfg, 100000, 500000, 2000000));
		if (m == DL_LOCK_REENTRY) /* its waits, each the whole timeout */
			x.est_s = REENTRY_WAITS * pb_case_get(&x, "detect_ms") / 1e3 + 0.005;
		pb_plan_add(plan, &x);
	}
}

static const struct pb_case *dl_find(const struct pb_report *rep, int m)
{
	return pb_report_find(rep, &(struct pb_case_key){ .experiment = "deadlock",
							  .model = dl_names[m] });
}

static void dl_summarize(struct pb_report *rep)
{
	const struct pb_case *c[DL_N];
	struct stats_summary det, dead, self, rl, ord, try, ret;
	struct pb_finding *f;

	for (int m = 0; m < DL_N; m++)
		if (!(c[m] = dl_find(rep, m)))
			return;
	if (!pb_report_stat(rep, c[DL_ABBA]->name, "detect_ms", &det) ||
	    !pb_report_stat(rep, c[DL_ABBA]->name, "deadlocked", &dead) ||
	    !pb_report_stat(rep, c[DL_LOCK_REENTRY]->name, "deadlocked", &self) ||
	    !pb_report_stat(rep, c[DL_RLOCK]->name, "deadlocked", &rl) ||
	    !pb_report_stat(rep, c[DL_ORDERED]->name, "per_round_ns", &ord) ||
	    !pb_report_stat(rep, c[DL_TRYLOCK]->name, "per_round_ns", &try) ||
	    !pb_report_stat(rep, c[DL_TRYLOCK]->name, "retries", &ret))
		return;
	f = pb_report_finding(rep, "detected",
			      "deadlock: AB/BA on purpose, detected by the timeout; Lock re-entry "
			      "by its owner and RLock re-entry (repetitions that deadlocked)");
	pb_finding_value(f, "AB/BA deadlocked", dead.mean * (double)dead.n, "");
	pb_finding_value(f, "repetitions", (double)dead.n, "");
	pb_finding_figure(f, "detected after", det, "ms");
	pb_finding_value(f, "timeout", (double)pb_case_get(c[DL_ABBA], "detect_ms"), "ms");
	pb_finding_value(f, "Lock re-entry deadlocked", self.mean * (double)self.n, "");
	pb_finding_value(f, "RLock re-entry failed", rl.mean * (double)rl.n, "");
	f = pb_report_finding(rep, "cures",
			      "deadlock cures, both locks per round on 2 threads: a global lock "
			      "order against try-lock with back-off");
	pb_finding_figure(f, "lock order", ord, "ns");
	pb_finding_figure(f, "try-lock with back-off", try, "ns");
	pb_finding_figure(f, "retries", ret, "");
	pb_finding_value(f, "back-off / lock order", try.median / ord.median, "x");
}

/* deadlock's parameters (cases.csv's units and types) */
static const struct pb_param_decl deadlock_params[] = {
	{ "detect_ms", PB_INT, "ms", "how long the watchdog waits before it calls a deadlock" },
	{ "rounds", PB_INT, "count", "lock rounds" },
	{ "model_index", PB_INT, "", "the model, an index into the model table" },
	{ 0 }, /* the end */
};

const struct pb_experiment deadlock_experiment = {
	.name = "deadlock",
	.summary = "AB/BA deadlock on purpose, detected by timeout and wait-for graph; lock order "
		   "and try-lock back-off; RLock vs Lock re-entry",
	.teaches =
		"Thread A holds lock a and wants b while thread B holds b and wants a: a deadlock, "
		"provoked on purpose and detected by a timeout and the wait-for graph instead of hanging."
		" Then the two standard cures, one global lock order and try-lock with back-off, "
		"measured; and RLock re-entry, which works, against Lock re-entry, a self-deadlock.",
	.headline = { "per_round_ns", "ns", PB_LOWER_IS_BETTER },
	.figures = "deadlock",
	.cpython_twin = "locks.py",
	.plan = dl_plan,
	.summarize = dl_summarize,
	.params = deadlock_params,
};
