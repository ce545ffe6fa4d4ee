/* SPDX-License-Identifier: MIT */
/* The event loop (lib/models/coro): timers fire in deadline order, ties in
 * the order they were made; fds wake their task or time out, even beside
 * a task that is always ready (select(0) every turn); a task that
 * never yields is stopped by the watchdog instead of hanging; 10,000 tasks
 * leave no fd and no mapping behind; the coroutines model of tasks returns
 * every result. No timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "leakcheck.h"
#include "tasks.h"

struct sleeper {
	int id, ms;
	int *order, *n;
};

static void sleep_then_log(struct coro_loop *loop, void *arg)
{
	struct sleeper *s = arg;

	coro_sleep_ns(loop, (uint64_t)s->ms * 1000000ull);
	s->order[(*s->n)++] = s->id;
}

static void timers_fire_in_order(void **state)
{
	static const int ms[] = { 8, 2, 6, 4, 2, 10 };
	static const int want[] = { 1, 4, 3, 2, 0, 5 }; /* by deadline; 1 before 4 */
	struct sleeper s[6];
	int order[6] = { 0 }, n = 0;
	struct coro_loop *loop = coro_loop_new(NULL);

	(void)state;
	assert_non_null(loop);
	for (int i = 0; i < 6; i++) {
		s[i] = (struct sleeper){ i, ms[i], order, &n };
		assert_int_equal(coro_spawn(loop, sleep_then_log, &s[i]), 0);
	}
	assert_int_equal(coro_run(loop), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(order, want, sizeof(want));
	coro_loop_free(loop);
}

struct fdwait {
	int fd[2];
	int got, timed_out;
};

static void reader(struct coro_loop *loop, void *arg)
{
	struct fdwait *w = arg;

	w->timed_out = coro_wait_fd(loop, w->fd[0], EPOLLIN, 1000000ull) == 0; /* nothing yet */
	w->got = coro_wait_fd(loop, w->fd[0], EPOLLIN, UINT64_MAX);
}

static void writer(struct coro_loop *loop, void *arg)
{
	struct fdwait *w = arg;

	coro_sleep_ns(loop, 5000000ull);
	assert_int_equal(write(w->fd[1], "x", 1), 1);
}

static void fd_wakes_its_task(void **state)
{
	struct fdwait w = { 0 };
	int fds = count_open_fds();
	struct coro_loop *loop = coro_loop_new(NULL);

	(void)state;
	assert_int_equal(pipe(w.fd), 0);
	assert_int_equal(coro_spawn(loop, reader, &w), 0);
	assert_int_equal(coro_spawn(loop, writer, &w), 0);
	assert_int_equal(coro_run(loop), 0);
	assert_true(w.timed_out);
	assert_true(w.got & EPOLLIN);
	coro_loop_free(loop);
	close(w.fd[0]);
	close(w.fd[1]);
	assert_int_equal(count_open_fds(), fds);
}

struct starve {
	int fd[2];
	int io_ran; /* set by the IO waiter once its fd woke it */
	int yields; /* the busy task's yields before it saw io_ran */
};

static void io_waiter(struct coro_loop *loop, void *arg)
{
	struct starve *s = arg;

	s->io_ran = coro_wait_fd(loop, s->fd[0], EPOLLIN, UINT64_MAX) & EPOLLIN;
}

/* Always ready: it yields until the IO waiter has run (100 at most). */
static void always_ready(struct coro_loop *loop, void *arg)
{
	struct starve *s = arg;

	while (!s->io_ran && s->yields < 100) {
		coro_yield(loop);
		s->yields++;
	}
}

/* _run_once selects with timeout 0 when a task is ready: a task waiting on
 * a readable fd runs at the next turn even though another is always ready
 * (a loop that polls only when nothing is ready starves it). */
static void ready_tasks_do_not_starve_io(void **state)
{
	struct starve s = { 0 };
	struct coro_loop *loop = coro_loop_new(NULL);
	struct coro_stats st;

	(void)state;
	assert_int_equal(pipe(s.fd), 0);
	assert_int_equal(write(s.fd[1], "x", 1), 1); /* readable before the loop starts */
	assert_int_equal(coro_spawn(loop, io_waiter, &s), 0);
	assert_int_equal(coro_spawn(loop, always_ready, &s), 0);
	assert_int_equal(coro_run(loop), 0);
	assert_true(s.io_ran);
	assert_true(s.yields <= 2); /* turn 1 registers the fd, turn 2's poll sees it */
	coro_get_stats(loop, &st);
	assert_true(st.polls >= 1);
	coro_loop_free(loop);
	close(s.fd[0]);
	close(s.fd[1]);
}

static void spin_forever(struct coro_loop *loop, void *arg)
{
	volatile int *stop = arg;

	(void)loop;
	while (!*stop)
		;
}

/* The child runs a loop whose only task never yields; its watchdog must
 * end it with CORO_EXIT_STUCK (the parent gives up after 20 s, a failure). */
static void never_yielding_task_is_stopped(void **state)
{
	pid_t pid = fork();
	int st = 0, waited = 0;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		static volatile int stop;
		struct coro_opts o = { .stuck_exit_ms = 100 };
		struct coro_loop *loop = coro_loop_new(&o);

		if (!loop || coro_spawn(loop, spin_forever, (void *)&stop) < 0)
			_exit(1);
		coro_run(loop);
		_exit(0);
	}
	while (waitpid(pid, &st, WNOHANG) == 0 && waited++ < 2000) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	if (waited > 2000) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("the stuck task was not detected");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), CORO_EXIT_STUCK);
	assert_no_children();
}

static void hog(struct coro_loop *loop, void *arg)
{
	struct timespec a, b;

	(void)loop, (void)arg;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 30000000L);
}

static void slow_step_is_counted(void **state)
{
	struct coro_opts o = { .slow_step_ms = 10 };
	struct coro_loop *loop = coro_loop_new(&o);
	struct coro_stats st;

	(void)state;
	assert_int_equal(coro_spawn(loop, hog, NULL), 0);
	assert_int_equal(coro_run(loop), 0);
	coro_get_stats(loop, &st);
	assert_int_equal(st.slow_steps, 1);
	assert_true(st.worst_step_ms >= 30);
	coro_loop_free(loop);
}

static void nap(struct coro_loop *loop, void *arg)
{
	(void)arg;
	coro_sleep_ns(loop, 1000000ull);
	coro_yield(loop);
}

/* TSan makes each coroutine a fiber with its own trace memory and runs out
 * of address space long before 10,000 of them: it checks 1,000. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif
#if defined(__SANITIZE_THREAD__)
#define MANY 1000
#else
#define MANY 10000
#endif

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, ch;

	assert_non_null(f);
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void many_tasks(void)
{
	struct coro_loop *loop = coro_loop_new(NULL);
	struct coro_stats st;

	assert_non_null(loop);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(coro_spawn(loop, nap, NULL), 0);
	assert_int_equal(coro_run(loop), 0);
	assert_int_equal(coro_live_tasks(loop), 0);
	coro_get_stats(loop, &st);
	assert_int_equal(st.peak_tasks, MANY);
	coro_loop_free(loop);
}

/* Every task's stack is unmapped and no fd stays open: after a first run
 * has grown the allocator, a second leaves the mappings where they were. */
static void ten_thousand_tasks_leave_nothing(void **state)
{
	int fds = count_open_fds(), maps;

	(void)state;
	many_tasks();
	maps = count_maps();
	many_tasks();
	/* the sanitizers map memory of their own per fiber (fake stacks, traces):
	 * only a plain build can count ours */
	if (!SANITIZED)
		assert_true(count_maps() <= maps);
	assert_int_equal(count_open_fds(), fds);
}

static void coroutines_model_returns_every_result(void **state)
{
	enum workload_kind kinds[] = { WL_IO, WL_CPU };

	(void)state;
	for (int k = 0; k < 2; k++) {
		uint64_t v[6] = { 0 }, w[6] = { 0 };
		int on[6];
		struct tasks_spec s = { .workload = kinds[k],
					.ntasks = 6,
					.workers = 3,
					.task_ms = 2,
					.crash_task = -1,
					.fail_task = -1 };
		struct tasks_result r = { .value = v, .ran_on = on },
				    rs = { .value = w, .ran_on = on };

		assert_int_equal(coroutines_run_tasks(&s, &r), 0);
		assert_int_equal(serial_run_tasks(&s, &rs), 0);
		assert_memory_equal(v, w, sizeof(v));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_order),
		cmocka_unit_test(fd_wakes_its_task),
		cmocka_unit_test(ready_tasks_do_not_starve_io),
		cmocka_unit_test(never_yielding_task_is_stopped),
		cmocka_unit_test(slow_step_is_counted),
		cmocka_unit_test(ten_thousand_tasks_leave_nothing),
		cmocka_unit_test(coroutines_model_returns_every_result),
	};

	workload_calibrate();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
