// SPDX-License-Identifier: MIT
/*
 * Tests for lib/models/counter.c and counter_run.c: every locked variant
 * and sharded end exactly at workers x increments, with processes and with
 * threads, with and without a window, sleeps or a gap; the unlocked ones
 * (unlocked, value-unlocked) never end above it (and under TSan it must not be a data race); bad jobs
 * fail with a reason; nothing is left behind. No timing assertions: whether
 * unlocked loses is up to the scheduler, so no test asks that it does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counter.h"
#include "harness.h"
#include "leakcheck.h"

static void assert_nothing_left(int fds_before)
{
	assert_no_children();
	assert_int_equal(count_open_fds(), fds_before);
	assert_int_equal(ipc_count(0), 0);
}

static struct counter_result run_ok(struct counter_job j)
{
	struct counter_result r = { 0 };

	if (counter_run(&j, &r) != 0)
		fail_msg("%s, %d workers: %s", j.ops->name, j.workers, r.error);
	assert_int_equal(r.expected_count, (uint64_t)j.workers * j.increments);
	assert_int_equal(r.lost_updates, r.expected_count - r.final_count);
	return r;
}

/* ------------------------------------------------------------- variants */

static void test_variants_table(void **state)
{
	int n = 0, inexact = 0;

	(void)state;
	for (int i = 0; counter_variants[i]; i++, n++) {
		const struct counter_ops *v = counter_variants[i];

		assert_ptr_equal(counter_find(v->name), v);
		assert_non_null(v->init);
		assert_non_null(v->loop);
		assert_non_null(v->total);
		assert_non_null(v->destroy);
		inexact += !v->exact;
	}
	assert_int_equal(n, 7);
	assert_int_equal(inexact, 2);
	assert_false(counter_find("unlocked")->exact);
	assert_false(counter_find("value-unlocked")->exact);
	assert_null(counter_find("value-unlocked")->loop_gil); /* it takes a lock */
	assert_null(counter_find("nope"));
	assert_null(counter_find(NULL));
}

/* Each exact variant, processes and threads, 1, 2 and 4 workers (more
 * than this machine's PUs: a spin lock's holder gets preempted). */
static void check_exact(enum counter_mode mode, uint64_t window_ns)
{
	static const int workers[] = { 1, 2, 4 };
	int fds = count_open_fds();

	for (int i = 0; counter_variants[i]; i++) {
		if (!counter_variants[i]->exact)
			continue;
		for (int k = 0; k < 3; k++) {
			struct counter_job j = {
				.ops = counter_variants[i],
				.mode = mode,
				.workers = workers[k],
				.increments = workers[k] > 2 ? 3000 : 20000,
				.window_ns = window_ns,
			};
			struct counter_result r = run_ok(j);

			if (r.final_count != r.expected_count)
				fail_msg("%s, %s, %d workers, window %llu ns: %llu of %llu",
					 j.ops->name, mode == COUNTER_PROCS ? "procs" : "threads",
					 j.workers, (unsigned long long)window_ns,
					 (unsigned long long)r.final_count,
					 (unsigned long long)r.expected_count);
			assert_true(r.span_s >= 0);
			assert_true(r.overlap >= 0 && r.overlap <= 1);
		}
	}
	assert_nothing_left(fds);
}

static void test_exact_procs(void **state)
{
	(void)state;
	check_exact(COUNTER_PROCS, 0);
}

static void test_exact_threads(void **state)
{
	(void)state;
	check_exact(COUNTER_THREADS, 0);
}

/* A window inside the critical section: a lock that let two workers in
 * would now lose many updates. */
static void test_exact_with_window(void **state)
{
	(void)state;
	check_exact(COUNTER_PROCS, 300);
	check_exact(COUNTER_THREADS, 300);
}

/* The unlocked counter: never above the expected count, never zero; with
 * threads this is where TSan would see a data race if the load and the
 * store were plain accesses. */
static void test_unlocked_bounds(void **state)
{
	int fds = count_open_fds();

	(void)state;
	for (int mode = COUNTER_PROCS; mode <= COUNTER_THREADS; mode++)
		for (uint64_t win = 0; win <= 500; win += 500) {
			struct counter_job j = { .ops = counter_find("unlocked"),
						 .mode = (enum counter_mode)mode,
						 .workers = 2,
						 .increments = 50000,
						 .window_ns = win };
			struct counter_result r = run_ok(j);

			assert_true(r.final_count <= r.expected_count);
			assert_true(r.final_count >= 1);
			assert_int_equal(r.window_ticks > 0, win > 0);
		}
	assert_nothing_left(fds);
}

/* value-unlocked, CPython's `v.value += 1` on a synchronized Value: the
 * lock is taken and given back twice per increment (the getter's section
 * and the setter's), whatever the window, the hold or the workers. One
 * worker never loses (nobody can store inside its window), with or without
 * a window and a hold; two never end above the expected count. With
 * threads, TSan sees the semaphore and the relaxed atomics: no data race. */
static void test_value_unlocked(void **state)
{
	static const int workers[] = { 1, 2 };
	int fds = count_open_fds();

	(void)state;
	for (int mode = COUNTER_PROCS; mode <= COUNTER_THREADS; mode++)
		for (int i = 0; i < 2; i++)
			for (uint64_t win = 0; win <= 300; win += 300) {
				struct counter_job j = { .ops = counter_find("value-unlocked"),
							 .mode = (enum counter_mode)mode,
							 .workers = workers[i],
							 .increments = 20000,
							 .window_ns = win,
							 .hold_ns = win / 3,
							 .gap_ns = win / 2 };
				struct counter_result r = run_ok(j);

				assert_int_equal(r.lock_takes, 2 * r.expected_count);
				assert_int_equal(r.lock_gives, 2 * r.expected_count);
				assert_true(r.final_count <= r.expected_count);
				assert_true(r.final_count >= 1);
				if (workers[i] == 1)
					assert_int_equal(r.lost_updates, 0);
			}
	assert_nothing_left(fds);
}

/* value-unlocked's take is SemLock.acquire's: sem_trywait with the GIL
 * held, and only when that fails the GIL dropped around sem_wait and taken
 * back. So in processes (each an interpreter with its GIL) every blocked
 * take, and no other, retakes the worker's GIL; free threads have no GIL
 * to retake. A hold of 200 us in each locked section makes two processes
 * find the lock taken (tried up to 5 times: a run where one never did
 * would check nothing). Threads are not required to block: under valgrind
 * they run one at a time. */
static void test_value_unlocked_blocked_retakes_gil(void **state)
{
	(void)state;
	for (int mode = COUNTER_PROCS; mode <= COUNTER_THREADS; mode++) {
		struct counter_job j = { .ops = counter_find("value-unlocked"),
					 .mode = (enum counter_mode)mode,
					 .workers = 2,
					 .increments = 200,
					 .hold_ns = 200000 };
		uint64_t blocked = 0;

		for (int try = 0; try < 5 && (try == 0 || blocked == 0); try++) {
			struct counter_result r = run_ok(j);

			blocked = r.lock_blocked[0] + r.lock_blocked[1];
			assert_true(blocked <= r.lock_takes);
			assert_int_equal(r.gil_retakes, mode == COUNTER_PROCS ? blocked : 0);
		}
		if (mode == COUNTER_PROCS)
			assert_true(blocked > 0);
	}
}

/* A staggered start, as CPython's Processes begin one after the other:
 * the second worker begins no earlier than stagger_ns after the start
 * signal, and the first has counted meanwhile (the second's first load
 * sees its increments). */
static void test_value_unlocked_stagger(void **state)
{
	struct counter_job j = { .ops = counter_find("value-unlocked"),
				 .mode = COUNTER_PROCS,
				 .workers = 2,
				 .increments = 2000,
				 .stagger_ns = 20000000 };
	struct counter_result r = run_ok(j);

	(void)state;
	assert_true(r.start_skew_s >= 0.02);
	assert_true(r.head_start > 0);
	assert_true(r.final_count <= r.expected_count);
}

/* The other variants do not count their lock: lock_takes is value-unlocked's. */
static void test_lock_takes_only_value(void **state)
{
	(void)state;
	for (int v = 0; counter_variants[v]; v++) {
		struct counter_job j = { .ops = counter_variants[v],
					 .mode = COUNTER_THREADS,
					 .workers = 1,
					 .increments = 1000 };
		struct counter_result r = run_ok(j);
		bool value = strcmp(j.ops->name, "value-unlocked") == 0;

		assert_int_equal(r.lock_takes, value ? 2000 : 0);
		assert_int_equal(r.final_count, 1000);
	}
}

/* Threads under the GIL. With a switch interval longer than the run no
 * holder is ever asked to drop it: each thread counts alone, the GIL
 * changes hands once per thread (its first take) and the unlocked counter
 * loses nothing, window or not. With a short interval, a loss needs a
 * forced switch between a load and its store: more switches than threads.
 * The variants that take a lock are refused (a lock held across a switch
 * would deadlock without CPython's acquire that drops the GIL). */
static void test_threads_gil(void **state)
{
	static const int workers[] = { 1, 2, 3 };
	int fds = count_open_fds();

	(void)state;
	for (int i = 0; i < 3; i++)
		for (uint64_t win = 0; win <= 500; win += 500) {
			struct counter_job j = { .ops = counter_find("unlocked"),
						 .mode = COUNTER_THREADS_GIL,
						 .workers = workers[i],
						 .increments = 20000,
						 .window_ns = win,
						 .gil_interval_us = 60000000 };
			struct counter_result r = run_ok(j);

			assert_int_equal(r.lost_updates, 0);
			assert_int_equal(r.gil_switches, (uint64_t)workers[i]);
			j.gil_interval_us = 50;
			r = run_ok(j);
			assert_true(r.final_count <= r.expected_count);
			if (r.lost_updates)
				assert_true(r.gil_switches > (uint64_t)workers[i]);
		}
	for (int v = 0; counter_variants[v]; v++) {
		struct counter_job j = { .ops = counter_variants[v],
					 .mode = COUNTER_THREADS_GIL,
					 .workers = 2,
					 .increments = 5000,
					 .window_ns = 200,
					 .sleep_ns = v % 2 ? 0 : 1000,
					 .gil_interval_us = 50 };
		struct counter_result r = { 0 };

		if (!j.ops->loop_gil) {
			assert_int_equal(counter_run(&j, &r), -1);
			assert_non_null(strstr(r.error, "takes a lock"));
			continue;
		}
		r = run_ok(j);
		if (j.ops->exact)
			assert_int_equal(r.final_count, 10000);
	}
	assert_nothing_left(fds);
}

/* The seed's shape, shrunk: sleeps (relative and on a common tick) and a
 * gap of work before each increment. */
static void test_sleep_and_gap(void **state)
{
	int fds = count_open_fds();

	(void)state;
	for (int mode = COUNTER_PROCS; mode <= COUNTER_THREADS; mode++) {
		struct counter_job j = { .ops = counter_find("mutex"),
					 .mode = (enum counter_mode)mode,
					 .workers = 5,
					 .increments = 4,
					 .window_ns = 1000,
					 .sleep_ns = 2000000 };
		struct counter_result r = run_ok(j);

		assert_int_equal(r.final_count, 20);
		assert_true(r.span_s >= 0.004); /* four sleeps of 2 ms at least */
		j.sleep_aligned = true;
		j.ops = counter_find("semaphore");
		r = run_ok(j);
		assert_int_equal(r.final_count, 20);
		j = (struct counter_job){ .ops = counter_find("sharded"),
					  .mode = (enum counter_mode)mode,
					  .workers = 3,
					  .increments = 500,
					  .gap_ns = 2000 };
		r = run_ok(j);
		assert_int_equal(r.final_count, 1500);
	}
	assert_nothing_left(fds);
}

/* Born on their PUs: under scatter each worker ends on its placement's PU. */
static void test_pinned(void **state)
{
	char err[256] = "";
	struct topo *t = topo_load(NULL, err, sizeof(err));
	struct placement pl;
	int ran_on[2] = { -1, -1 }, fds = count_open_fds();

	(void)state;
	if (!t)
		fail_msg("topo_load: %s", err);
	if (topo_place(t, PIN_SCATTER, 2, &pl, err, sizeof(err)) != 0)
		fail_msg("topo_place: %s", err);
	for (int mode = COUNTER_PROCS; mode <= COUNTER_THREADS; mode++) {
		struct counter_job j = { .ops = counter_find("atomic"),
					 .mode = (enum counter_mode)mode,
					 .workers = 2,
					 .increments = 10000,
					 .topo = t,
					 .placement = &pl };
		struct counter_result r = { .ran_on = ran_on };

		if (counter_run(&j, &r) != 0)
			fail_msg("%s", r.error);
		assert_int_equal(r.final_count, 20000);
		assert_int_equal(ran_on[0], pl.pu[0]);
		assert_int_equal(ran_on[1], pl.pu[1]);
	}
	placement_free(&pl);
	topo_free(t);
	assert_nothing_left(fds + 0);
}

/* ------------------------------------------------------------- callbacks */

static int calls[2];

static void on_start(void *arg)
{
	assert_ptr_equal(arg, calls);
	calls[0]++;
}

static void on_stop(void *arg)
{
	assert_ptr_equal(arg, calls);
	assert_int_equal(calls[0], 1);
	calls[1]++;
}

static void test_callbacks(void **state)
{
	struct counter_job j = { .ops = counter_find("spin"),
				 .mode = COUNTER_PROCS,
				 .workers = 2,
				 .increments = 100,
				 .started = on_start,
				 .stopped = on_stop,
				 .arg = calls };

	(void)state;
	calls[0] = calls[1] = 0;
	run_ok(j);
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 1);
}

/* ------------------------------------------------------------- bad jobs */

static void expect_error(struct counter_job j, const char *words)
{
	struct counter_result r = { 0 };

	assert_int_equal(counter_run(&j, &r), -1);
	if (!strstr(r.error, words))
		fail_msg("error '%s' does not say '%s'", r.error, words);
}

static void test_bad_jobs(void **state)
{
	const struct counter_ops *m = counter_find("mutex");
	struct placement one = { .policy = PIN_SCATTER, .n = 1, .pu = (int[]){ 0 } };
	int fds = count_open_fds();

	(void)state;
	expect_error((struct counter_job){ .workers = 1, .increments = 1 }, "no variant");
	expect_error((struct counter_job){ .ops = m, .workers = 0 }, "workers must be");
	expect_error((struct counter_job){ .ops = m, .workers = 5000 }, "workers must be");
	expect_error((struct counter_job){ .ops = m, .workers = 1, .mode = (enum counter_mode)7 },
		     "mode");
	expect_error((struct counter_job){ .ops = m, .workers = 2, .increments = UINT64_MAX },
		     "64 bits");
	expect_error((struct counter_job){ .ops = m, .workers = 2, .placement = &one },
		     "fewer PUs");
	assert_nothing_left(fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variants_table),
		cmocka_unit_test(test_exact_procs),
		cmocka_unit_test(test_exact_threads),
		cmocka_unit_test(test_exact_with_window),
		cmocka_unit_test(test_unlocked_bounds),
		cmocka_unit_test(test_sleep_and_gap),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_bad_jobs),
		cmocka_unit_test(test_threads_gil),
		cmocka_unit_test(test_value_unlocked),
		cmocka_unit_test(test_lock_takes_only_value),
		cmocka_unit_test(test_value_unlocked_blocked_retakes_gil),
		cmocka_unit_test(test_value_unlocked_stagger),
	};

	return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
