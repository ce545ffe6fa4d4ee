// SPDX-License-Identifier: MIT
/*
 * Tests for lib/models/gil.c and the models built on it
 * (lib/models/tasks/threads.c, bench/gil/gil_threads.c). The GIL's invariants
 * are checked by counts and by the order of events, never by time: one
 * holder at a time (a holder counter, and a plain counter that TSan
 * watches), drop requests honoured and FORCE_SWITCHING's hand-over, no GIL
 * held across a blocking call, and nothing left behind when threads are
 * still waiting at shutdown. A hang (a GIL that is never released) is
 * turned into a failure by alarm().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gil.h"
#include "gil_threads.h"
#include "harness.h"
#include "threads.h"
#include "workload.h"
#include "leakcheck.h"

#define HANG_GUARD_S 120 /* a deadlocked GIL kills the suite instead of hanging it */

static void spin_until(atomic_int *flag, int value)
{
	while (atomic_load(flag) < value)
		sched_yield();
}

/* ------------------------------------------------ one holder at a time */

#define HOLDERS_THREADS 4
#define HOLDERS_ROUNDS 200
#define HOLDERS_TICKS 2000

struct holders {
	struct gil gil;
	atomic_int holders; /* threads between "took it" and "dropping it" */
	atomic_int max_holders;
	uint64_t shared; /* plain: only ever touched with the GIL held */
	atomic_int yields;
};

static void holding(struct holders *h)
{
	int now = atomic_fetch_add(&h->holders, 1) + 1;
	int max = atomic_load(&h->max_holders);

	while (now > max && !atomic_compare_exchange_weak(&h->max_holders, &max, now))
		;
}

/* gil_poll by hand, so the holder counter follows every forced drop. */
static void *holders_thread(void *arg)
{
	struct holders *h = arg;
	struct gil_thread t;
	uint64_t x = 1;

	gil_thread_init(&t, &h->gil, 0, 0);
	for (int r = 0; r < HOLDERS_ROUNDS; r++) {
		gil_take(&t);
		holding(h);
		for (int i = 0; i < HOLDERS_TICKS; i++) {
			x = wl_tick(x);
			h->shared++; /* a data race, and a lost update, if two hold it */
			if (gil_drop_requested(&h->gil)) {
				atomic_fetch_sub(&h->holders, 1);
				gil_yield(&t);
				holding(h);
				atomic_fetch_add(&h->yields, 1);
			}
		}
		atomic_fetch_sub(&h->holders, 1);
		if (r % 2) {
			gil_drop(&t);
		} else {
			gil_sleep_ns(&t, 0); /* a blocking call, then the thread's end */
			gil_exit(&t);
		}
	}
	return (void *)(uintptr_t)x;
}

static void test_never_two_holders(void **state)
{
	static struct holders h;
	pthread_t tid[HOLDERS_THREADS];

	(void)state;
	/* a 1 us interval: drop requests all the time */
	assert_int_equal(gil_init(&h.gil, 1, true), 0);
	for (int i = 0; i < HOLDERS_THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, holders_thread, &h), 0);
	for (int i = 0; i < HOLDERS_THREADS; i++)
		pthread_join(tid[i], NULL);
	assert_int_equal(atomic_load(&h.max_holders), 1);
	assert_int_equal(atomic_load(&h.holders), 0);
	assert_true(h.shared == (uint64_t)HOLDERS_THREADS * HOLDERS_ROUNDS * HOLDERS_TICKS);
	assert_null(gil_holder(&h.gil));
	assert_int_equal(gil_destroy(&h.gil), 0);
}

/* ------------------------------------------ drop requests are honoured */

#define LOG_MAX 64

struct handover {
	struct gil gil;
	struct gil_thread a, b;
	atomic_int a_holds, b_has_it;
	char log[LOG_MAX]; /* who took the GIL, in order: written with it held */
	int nlog;
};

static void log_event(struct handover *s, char who)
{
	if (s->nlog < LOG_MAX)
		s->log[s->nlog++] = who;
}

/* A computes, polling, until B has had the GIL; B can only get it if A
 * honours B's drop request. */
static void *handover_a(void *arg)
{
	struct handover *s = arg;
	uint64_t x = 1;

	gil_take(&s->a);
	log_event(s, 'A');
	atomic_store(&s->a_holds, 1);
	for (uint64_t i = 0; i < (1ull << 34) && !atomic_load(&s->b_has_it); i++) {
		x = wl_tick(x);
		if (gil_drop_requested(&s->gil)) {
			log_event(s, 'd'); /* A drops on request */
			gil_yield(&s->a);
			log_event(s, 'A');
		}
	}
	gil_exit(&s->a);
	return (void *)(uintptr_t)x;
}

static void *handover_b(void *arg)
{
	struct handover *s = arg;

	spin_until(&s->a_holds, 1);
	gil_take(&s->b);
	log_event(s, 'B');
	atomic_store(&s->b_has_it, 1);
	gil_exit(&s->b);
	return NULL;
}

static void test_drop_request_honoured(void **state)
{
	static struct handover s;
	pthread_t a, b;
	char *d;

	(void)state;
	assert_int_equal(gil_init(&s.gil, 100, true), 0);
	gil_thread_init(&s.a, &s.gil, 1, 8);
	gil_thread_init(&s.b, &s.gil, 2, 8);
	assert_int_equal(pthread_create(&a, NULL, handover_a, &s), 0);
	assert_int_equal(pthread_create(&b, NULL, handover_b, &s), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(atomic_load(&s.b_has_it), 1);
	assert_true(s.b.drop_requests >= 1); /* B asked ... */
	assert_true(s.a.forced_drops >= 1);  /* ... A gave it up ... */
	assert_true(s.a.nslices >= 1);	     /* ... and its slice was recorded */
	assert_true(s.b.acquisitions == 1);
	assert_true(gil_switches(&s.gil) >= 2); /* A, then B */
	/* FORCE_SWITCHING: after A's first forced drop, B took it before A
	 * could take it back. */
	s.log[s.nlog < LOG_MAX ? s.nlog : LOG_MAX - 1] = '\0';
	d = strchr(s.log, 'd');
	assert_non_null(d);
	assert_int_equal(d[1], 'B');
	assert_int_equal(gil_destroy(&s.gil), 0);
	gil_thread_free(&s.a);
	gil_thread_free(&s.b);
}

/* ------------------------------- a thread blocked in IO does not hold it */

struct blocked {
	struct gil gil;
	struct gil_thread t;
	int fd[2];
	atomic_int ready, returned;
	unsigned char got;
	ssize_t n;
};

static void *blocked_reader(void *arg)
{
	struct blocked *s = arg;

	gil_take(&s->t);
	atomic_store(&s->ready, 1);
	s->n = gil_read(&s->t, s->fd[0], &s->got, 1); /* the pipe is empty: blocks */
	atomic_store(&s->returned, 1);
	gil_exit(&s->t);
	return NULL;
}

static void test_blocked_in_io_does_not_hold(void **state)
{
	static struct blocked s;
	struct gil_thread me;
	unsigned char b = 42;
	pthread_t tid;
	int fds = count_open_fds();

	(void)state;
	assert_int_equal(pipe(s.fd), 0);
	assert_int_equal(gil_init(&s.gil, GIL_DEFAULT_INTERVAL_US, true), 0);
	gil_thread_init(&s.t, &s.gil, 1, 0);
	gil_thread_init(&me, &s.gil, 2, 0);
	assert_int_equal(pthread_create(&tid, NULL, blocked_reader, &s), 0);
	spin_until(&s.ready, 1);
	/* The reader cannot return before we write: if it kept the GIL in
	 * read(), this take would never return (the hang guard fails us). */
	gil_take(&me);
	assert_ptr_equal(gil_holder(&s.gil), &me);
	assert_int_equal(atomic_load(&s.returned), 0);
	assert_int_equal(write(s.fd[1], &b, 1), 1);
	gil_exit(&me);
	pthread_join(tid, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.got, 42);
	assert_true(s.t.acquisitions == 2); /* before the read, and after it */
	assert_null(gil_holder(&s.gil));
	assert_int_equal(gil_destroy(&s.gil), 0);
	close(s.fd[0]);
	close(s.fd[1]);
	assert_int_equal(count_open_fds(), fds);
}

/* --------------------------- shutdown with threads waiting leaves nothing */

#define WAITERS 4

struct waiters {
	struct gil gil;
	atomic_int started, stop;
	uint64_t done_ticks; /* under the GIL */
};

static void *waiter(void *arg)
{
	struct waiters *s = arg;
	struct gil_thread t;
	uint64_t x = 3;

	gil_thread_init(&t, &s->gil, 0, 0);
	atomic_fetch_add(&s->started, 1);
	gil_take(&t); /* all but one wait here */
	while (!atomic_load(&s->stop)) {
		x = gil_compute(&t, x, 256);
		s->done_ticks += 256;
	}
	gil_exit(&t);
	return (void *)(uintptr_t)x;
}

static void test_shutdown_with_waiters(void **state)
{
	static struct waiters s;
	pthread_t tid[WAITERS];
	int fds = count_open_fds();

	(void)state;
	assert_int_equal(gil_init(&s.gil, GIL_DEFAULT_INTERVAL_US, true), 0);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, waiter, &s), 0);
	spin_until(&s.started, WAITERS);
	atomic_store(&s.stop, 1);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	assert_null(gil_holder(&s.gil));
	assert_int_equal(gil_destroy(&s.gil), 0);
	assert_int_equal(count_open_fds(), fds);
}

/* The experiment's engine: CPU threads still waiting for the GIL when the
 * IO thread finishes; every thread joined, the echo reaped, no fd left. */
static void test_gil_threads_leaves_nothing(void **state)
{
	struct gil_threads_spec spec = {
		.with_gil = true,
		.switch_us = 200,
		.cpu_threads = 3,
		.round_trips = 5,
		.warmup = 1,
		.slice_cap = 16,
	};
	struct gil_threads_result r;
	int fds = count_open_fds();

	(void)state;
	for (int gil = 0; gil < 2; gil++) {
		spec.with_gil = gil;
		assert_int_equal(gil_threads_run(&spec, &r), 0);
		assert_int_equal(r.nthreads, 4);
		for (int i = 0; i < spec.round_trips; i++)
			assert_true(r.latency_us[i] > 0);
		assert_true(r.threads[0].acquisitions == (gil ? 1 + 2 * 6 : 0));
		gil_threads_result_free(&r);
		assert_no_children();
		assert_int_equal(count_open_fds(), fds);
	}
	assert_int_equal(ipc_count(0), 0);
}

/* Two CPU threads under a 200 us interval, 10 ms of work each. A C call
 * that never polls is dropped at most once, when it returns (polling every
 * tick it would be dropped about every interval); C code that releases the
 * GIL is never forced to drop it, and takes it once per call. */
static void test_c_calls(void **state)
{
	struct gil_threads_spec spec = {
		.with_gil = true,
		.switch_us = 200,
		.cpu_threads = 2,
		.cpu_ticks = wl_ticks_for_ms(10),
		.slice_cap = 16,
	};
	struct gil_threads_result r;

	(void)state;
	spec.cpu_mode = GX_CPU_NOPOLL; /* one call */
	assert_int_equal(gil_threads_run(&spec, &r), 0);
	assert_true(r.cpu_ticks == 2 * spec.cpu_ticks);
	for (int i = 0; i < 2; i++)
		assert_true(r.threads[i].forced_drops <= 1);
	gil_threads_result_free(&r);
	spec.cpu_mode = GX_CPU_RELEASED;
	spec.call_ticks = (spec.cpu_ticks + 9) / 10; /* ten calls */
	assert_int_equal(gil_threads_run(&spec, &r), 0);
	for (int i = 0; i < 2; i++) {
		assert_true(r.threads[i].forced_drops == 0);
		assert_true(r.threads[i].acquisitions == 1 + 10);
	}
	gil_threads_result_free(&r);
	assert_no_children();
}

/* The slices as gil.py counts them (a run until the other thread has run):
 * under the GIL, with no IO thread, the turn changes only where the GIL
 * changed hands by a forced drop, so there are no more turn slices than
 * forced drops. With 6 forced drops or more, each thread saw at least three
 * turns, so some slices remain after the first and last of each are cut:
 * natively 20 ms of work a thread at a 0.5 ms interval has dozens; under
 * valgrind, which runs one thread at a time, a run may have fewer, and
 * then only the bound is checked. */
static void test_turn_slices(void **state)
{
	struct gil_threads_spec spec = {
		.with_gil = true,
		.switch_us = 500,
		.cpu_threads = 2,
		.slice_cap = 4096,
	};
	struct gil_threads_result r;
	uint64_t forced = 0;
	struct wl_calibration saved = workload_calibration();

	(void)state;
	workload_calibrate(); /* 20 ms of this machine's ticks, then as before */
	spec.cpu_ticks = wl_ticks_for_ms(20);
	workload_set_calibration(saved);
	assert_int_equal(gil_threads_run(&spec, &r), 0);
	for (int i = 0; i < 2; i++)
		forced += r.threads[i].forced_drops;
	if (forced >= 6)
		assert_true(r.nturn_slices > 0);
	assert_true(r.nturn_slices <= forced);
	for (size_t k = 0; k < r.nturn_slices; k++)
		assert_true(r.turn_slice_us[k] >= 0);
	gil_threads_result_free(&r);
	assert_null(r.turn_slice_us);
	assert_no_children();
}

static void test_gil_threads_bad_input(void **state)
{
	struct gil_threads_spec none = { .with_gil = true, .switch_us = 100 };
	struct gil_threads_spec neg = { .cpu_threads = -1 };
	struct gil_threads_spec forever = { .cpu_threads = 2 }; /* no IO thread, no tick count */
	struct gil_threads_result r;

	(void)state;
	assert_int_equal(gil_threads_run(&none, &r), -1);
	assert_non_null(strstr(r.error, "no thread"));
	assert_int_equal(gil_threads_run(&neg, &r), -1);
	assert_non_null(strstr(r.error, ">= 0"));
	assert_int_equal(gil_threads_run(&forever, &r), -1);
	assert_non_null(strstr(r.error, "cpu_ticks"));
	assert_no_children();
}

/* ------------------------------------------------ the models' results */

static void test_compute_is_the_workload(void **state)
{
	struct gil g;
	struct gil_thread t;

	(void)state;
	for (int enabled = 0; enabled < 2; enabled++) {
		assert_int_equal(gil_init(&g, 100, enabled), 0);
		gil_thread_init(&t, &g, 0, 0);
		gil_take(&t);
		assert_ptr_equal(gil_holder(&g), enabled ? &t : NULL);
		assert_true(gil_compute(&t, 7 | 1, 5000) == wl_cpu_ticks(7, 5000));
		assert_true(gil_compute_nopoll(&t, 7 | 1, 5000) == wl_cpu_ticks(7, 5000));
		assert_true(gil_compute_released(&t, 7 | 1, 5000) == wl_cpu_ticks(7, 5000));
		gil_exit(&t);
		assert_int_equal(gil_destroy(&g), 0);
		assert_true(t.acquisitions == (uint64_t)enabled * 2); /* released: a re-take */
	}
}

static void run_model(tasks_model_fn fn, enum workload_kind wl, int ntasks, int workers)
{
	uint64_t value[8] = { 0 };
	int ran_on[8];
	struct tasks_spec s = {
		.workload = wl,
		.ntasks = ntasks,
		.workers = workers,
		.task_ms = 1,
		.crash_task = -1,
		.fail_task = -1,
	};
	struct tasks_result r = { .value = value, .ran_on = ran_on };
	int fds = count_open_fds();

	assert_int_equal(fn(&s, &r), 0);
	for (int i = 0; i < ntasks; i++)
		assert_true(value[i] == (wl == WL_CPU ?
						 wl_cpu_ticks(tasks_seed(i), wl_ticks_for_ms(1)) :
						 tasks_seed(i)));
	assert_int_equal(count_open_fds(), fds);
}

static void test_thread_models(void **state)
{
	(void)state;
	for (int w = 1; w <= 4; w++) {
		run_model(threads_run_tasks, WL_CPU, 5, w);
		run_model(threads_gil_run_tasks, WL_CPU, 5, w);
		run_model(threads_run_tasks, WL_IO, 5, w);
		run_model(threads_gil_run_tasks, WL_IO, 5, w);
	}
}

static void test_thread_models_bad_input(void **state)
{
	struct tasks_spec s = {
		.workload = WL_IO, .ntasks = 1, .workers = 0, .crash_task = -1, .fail_task = -1
	};
	uint64_t value[1];
	int ran_on[1];
	struct tasks_result r = { .value = value, .ran_on = ran_on };

	(void)state;
	assert_int_equal(threads_gil_run_tasks(&s, &r), -1);
	assert_non_null(strstr(r.error, "workers must be >= 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_two_holders),
		cmocka_unit_test(test_drop_request_honoured),
		cmocka_unit_test(test_blocked_in_io_does_not_hold),
		cmocka_unit_test(test_shutdown_with_waiters),
		cmocka_unit_test(test_gil_threads_leaves_nothing),
		cmocka_unit_test(test_gil_threads_bad_input),
		cmocka_unit_test(test_c_calls),
		cmocka_unit_test(test_turn_slices),
		cmocka_unit_test(test_compute_is_the_workload),
		cmocka_unit_test(test_thread_models),
		cmocka_unit_test(test_thread_models_bad_input),
	};
	/* ticks per ms fixed, not measured: no timing anywhere */
	struct wl_calibration cal = { .ticks_per_ms = 2000, .tick_ns = 500, .runs = 1 };

	workload_set_calibration(cal);
	alarm(HANG_GUARD_S);
	return cmocka_run_group_tests_name("gil", tests, NULL, NULL);
}
