/* SPDX-License-Identifier: MIT */
/* The serial, fork and threads models of the tasks experiment, and the
 * calibration they rely on: results come back, every child is reaped, no fd
 * leaks, a crashed child is an error rather than a hang; Thread.start()
 * releases the GIL until the new thread runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tasks.h"
#include "threads.h"
#include "leakcheck.h"

struct run {
	struct tasks_spec s;
	struct tasks_result r;
};

static void run_init(struct run *x, enum workload_kind k, int ntasks, int workers, double ms)
{
	x->s = (struct tasks_spec){ .workload = k,
				    .ntasks = ntasks,
				    .workers = workers,
				    .task_ms = ms,
				    .crash_task = -1,
				    .fail_task = -1 };
	x->r = (struct tasks_result){ .value = calloc((size_t)ntasks, sizeof(uint64_t)),
				      .ran_on = calloc((size_t)ntasks, sizeof(int)) };
	assert_non_null(x->r.value);
	assert_non_null(x->r.ran_on);
}

static void run_free(struct run *x)
{
	free(x->r.value);
	free(x->r.ran_on);
}

static void calibration_is_positive(void **state)
{
	struct wl_calibration c = workload_calibrate();

	(void)state;
	assert_true(c.ticks_per_ms > 0);
	assert_true(c.tick_ns > 0);
	assert_int_equal(c.runs, 7);
	assert_true(wl_ticks_for_ms(1.0) >= 1);
}

static void fork_returns_every_result(void **state)
{
	int fds = count_open_fds();
	struct run x;

	(void)state;
	run_init(&x, WL_IO, 7, 3, 1.0);
	assert_int_equal(fork_run_tasks(&x.s, &x.r), 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(x.r.value[i], tasks_seed(i));
	run_free(&x);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void fork_cpu_results_match_serial(void **state)
{
	struct run f, s;

	(void)state;
	run_init(&f, WL_CPU, 4, 2, 0.5);
	run_init(&s, WL_CPU, 4, 1, 0.5);
	assert_int_equal(fork_run_tasks(&f.s, &f.r), 0);
	assert_int_equal(serial_run_tasks(&s.s, &s.r), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(f.r.value[i], s.r.value[i]);
		assert_int_equal(f.r.value[i], wl_cpu_ticks(tasks_seed(i), wl_ticks_for_ms(0.5)));
	}
	run_free(&f);
	run_free(&s);
	assert_no_children();
}

static void fork_reports_a_crashed_child(void **state)
{
	int fds = count_open_fds();
	struct run x;

	(void)state;
	run_init(&x, WL_IO, 6, 2, 1.0);
	x.s.crash_task = 2;
	assert_int_equal(fork_run_tasks(&x.s, &x.r), -1);
	assert_non_null(strstr(x.r.error, "task 2"));
	assert_non_null(strstr(x.r.error, "signal 11"));
	run_free(&x);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

static void fork_reports_a_failed_exit(void **state)
{
	struct run x;

	(void)state;
	run_init(&x, WL_IO, 3, 3, 1.0);
	x.s.fail_task = 0;
	assert_int_equal(fork_run_tasks(&x.s, &x.r), -1);
	assert_non_null(strstr(x.r.error, "exited with status 3"));
	run_free(&x);
	assert_no_children();
}

static void fork_rejects_zero_workers(void **state)
{
	struct run x;

	(void)state;
	run_init(&x, WL_IO, 1, 1, 1.0);
	x.s.workers = 0;
	assert_int_equal(fork_run_tasks(&x.s, &x.r), -1);
	assert_non_null(strstr(x.r.error, "workers must be >= 1"));
	run_free(&x);
}

/* Each child is born on its placement's PU and says where it ran. */
static void fork_children_run_where_placed(void **state)
{
	char err[256];
	struct topo *t = topo_load(NULL, err, sizeof(err));
	struct placement pl;
	struct run x;

	(void)state;
	assert_non_null(t);
	assert_int_equal(topo_place(t, PIN_COMPACT, 2, &pl, err, sizeof(err)), 0);
	run_init(&x, WL_CPU, 2, 2, 0.5);
	x.s.topo = t;
	x.s.placement = &pl;
	assert_int_equal(fork_run_tasks(&x.s, &x.r), 0);
	/* two workers, two tasks: task i ran in slot i */
	for (int i = 0; i < 2; i++)
		assert_int_equal(x.r.ran_on[i], pl.pu[i]);
	run_free(&x);
	placement_free(&pl);
	topo_free(t);
	assert_no_children();
}

/* Thread.start() waits on _started with the GIL released, so each task
 * thread has taken the GIL and begun before the next one is created — even
 * CPU tasks under the GIL (a main thread that kept the GIL would create
 * them all before any could begin). */
static void thread_start_releases_the_gil(void **state)
{
	static const tasks_model_fn models[] = { threads_gil_run_tasks, threads_run_tasks };

	(void)state;
	for (int m = 0; m < 2; m++) {
		struct run x;
		int begun[4] = { -1, -1, -1, -1 };

		run_init(&x, WL_CPU, 4, 4, 0.5);
		x.r.begun_at_spawn = begun;
		assert_int_equal(models[m](&x.s, &x.r), 0);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(begun[i], i);
			assert_int_equal(x.r.value[i],
					 wl_cpu_ticks(tasks_seed(i), wl_ticks_for_ms(0.5)));
		}
		run_free(&x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calibration_is_positive),
		cmocka_unit_test(fork_returns_every_result),
		cmocka_unit_test(fork_cpu_results_match_serial),
		cmocka_unit_test(fork_reports_a_crashed_child),
		cmocka_unit_test(fork_reports_a_failed_exit),
		cmocka_unit_test(fork_rejects_zero_workers),
		cmocka_unit_test(fork_children_run_where_placed),
		cmocka_unit_test(thread_start_releases_the_gil),
	};

	return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
