// SPDX-License-Identifier: MIT
/*
 * Tests for the pool model (lib/models/pool/): the Python API (apply, map, imap, starmap, async
 * handles), and the failure semantics: a failing task, a worker that dies
 * (segfault, _exit, SIGKILL from inside and from outside), get with a
 * timeout, terminate, close/join misuse, maxtasksperchild, initializers.
 * Every test ends by checking that no zombie, fd or worker is left. No
 * timing assertions anywhere (timeouts are only upper bounds on waiting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pool.h"
#include "tasks.h"
#include "leakcheck.h"

/* bench/pool/pool_tasks.c: the pool model of the tasks experiment (tasks.h
 * declares it once the tasks group has moved it there) */

/* ------------------------------------------------------------ tasks */

static int square(const void *arg, size_t len, struct pool_out *out)
{
	int64_t x;

	if (len != sizeof(x))
		return pool_raise(out, "square: want 8 bytes, got %zu", len);
	memcpy(&x, arg, sizeof(x));
	x *= x;
	return pool_return(out, &x, sizeof(x));
}

/* x ** y for (x, y) packed by starmap */
static int power(const void *arg, size_t len, struct pool_out *out)
{
	struct pool_iov a[2];
	int64_t x, y, r = 1;

	if (pool_unpack(arg, len, a, 2) != 2 || a[0].len != 8 || a[1].len != 8)
		return pool_raise(out, "power: want two int64 arguments");
	memcpy(&x, a[0].data, 8);
	memcpy(&y, a[1].data, 8);
	while (y-- > 0)
		r *= x;
	return pool_return(out, &r, sizeof(r));
}

static int fail_odd(const void *arg, size_t len, struct pool_out *out)
{
	int64_t x;

	(void)len;
	memcpy(&x, arg, sizeof(x));
	if (x % 2)
		return pool_raise(out, "odd input %lld", (long long)x);
	return pool_return(out, &x, sizeof(x));
}

static int nonzero_return(const void *arg, size_t len, struct pool_out *out)
{
	(void)arg, (void)len, (void)out;
	return 42;
}

/* arg: {index, victim, how}: task victim dies, how: 0 SIGSEGV, 1 _exit(7),
 * 2 SIGKILL. */
struct die_arg {
	int64_t index, victim, how;
};

static int die_at(const void *arg, size_t len, struct pool_out *out)
{
	struct die_arg a;

	(void)len;
	memcpy(&a, arg, sizeof(a));
	if (a.index == a.victim) {
		if (a.how == 0)
			raise(SIGSEGV);
		else if (a.how == 1)
			_exit(7);
		else
			kill(getpid(), SIGKILL);
	}
	return pool_return(out, &a.index, sizeof(a.index));
}

static int sleep_ms(const void *arg, size_t len, struct pool_out *out)
{
	int64_t ms;
	struct timespec ts;

	(void)len;
	memcpy(&ms, arg, sizeof(ms));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return pool_return(out, &ms, sizeof(ms));
}

/* arg < 0: fail at once; otherwise sleep arg ms. */
static int fail_or_sleep(const void *arg, size_t len, struct pool_out *out)
{
	int64_t ms;

	memcpy(&ms, arg, sizeof(ms));
	if (ms < 0)
		return pool_raise(out, "negative");
	return sleep_ms(arg, len, out);
}

static int report_pid_fd = -1; /* set before pool_create: workers inherit it */

/* Tell the test our pid, then sleep until killed. */
static int announce_and_sleep(const void *arg, size_t len, struct pool_out *out)
{
	pid_t me = getpid();

	(void)arg, (void)len, (void)out;
	if (write(report_pid_fd, &me, sizeof(me)) != (ssize_t)sizeof(me))
		return pool_raise(out, "write: %s", strerror(errno));
	sleep(60);
	return 0;
}

static int whoami(const void *arg, size_t len, struct pool_out *out)
{
	int64_t v[2] = { getpid(), pool_worker_index() };

	(void)arg, (void)len;
	return pool_return(out, v, sizeof(v));
}

/* Write one byte to report_pid_fd, then return the argument. */
static int report_done(const void *arg, size_t len, struct pool_out *out)
{
	char c = 'x';

	if (write(report_pid_fd, &c, 1) != 1)
		return pool_raise(out, "write: %s", strerror(errno));
	return pool_return(out, arg, len);
}

static void on_sigterm(int sig)
{
	char c = 'T';

	(void)sig;
	if (write(report_pid_fd, &c, 1) < 0)
		_exit(3);
	_exit(0);
}

/* Catch SIGTERM (it reports 'T'), say so ('R'), then sleep until killed. */
static int catch_sigterm(const void *arg, size_t len, struct pool_out *out)
{
	char c = 'R';

	(void)arg, (void)len, (void)out;
	signal(SIGTERM, on_sigterm);
	if (write(report_pid_fd, &c, 1) != 1)
		return pool_raise(out, "write: %s", strerror(errno));
	sleep(60);
	return 0;
}

static int64_t init_value;

static void set_init_value(void *arg)
{
	init_value = *(int64_t *)arg;
}

static void crash_in_init(void *arg)
{
	(void)arg;
	raise(SIGSEGV);
}

static int read_init_value(const void *arg, size_t len, struct pool_out *out)
{
	(void)arg, (void)len;
	return pool_return(out, &init_value, sizeof(init_value));
}

static int not_registered(const void *arg, size_t len, struct pool_out *out)
{
	(void)arg, (void)len, (void)out;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int fds_before;

static int setup(void **state)
{
	(void)state;
	pool_register("square", square);
	pool_register("power", power);
	pool_register("fail_odd", fail_odd);
	pool_register("nonzero_return", nonzero_return);
	pool_register("die_at", die_at);
	pool_register("sleep_ms", sleep_ms);
	pool_register("announce_and_sleep", announce_and_sleep);
	pool_register("whoami", whoami);
	pool_register("read_init_value", read_init_value);
	pool_register("report_done", report_done);
	pool_register("fail_or_sleep", fail_or_sleep);
	pool_register("catch_sigterm", catch_sigterm);
	fds_before = count_open_fds();
	return 0;
}

/* After every test: nothing left behind. */
static int teardown(void **state)
{
	(void)state;
	assert_no_children();
	assert_int_equal(count_open_fds(), fds_before);
	assert_int_equal(ipc_count(0), 0);
	return 0;
}

/* parbench's recovery (the default is CPython's POOL_HANG) */
static const struct pool_opts recover = { .on_death = POOL_RECOVER };

static struct pool *make_pool(int w, const struct pool_opts *o)
{
	char err[256] = "";
	struct pool *p = pool_create(w, o, err, sizeof(err));

	if (!p)
		fail_msg("pool_create: %s", err);
	return p;
}

static int64_t as_i64(const struct pool_result *r)
{
	int64_t v;

	assert_int_equal(r->status, POOL_OK);
	assert_int_equal(r->len, sizeof(v));
	memcpy(&v, r->data, sizeof(v));
	return v;
}

static void close_join_destroy(struct pool *p)
{
	pool_close(p);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
}

/* ------------------------------------------------------------ the API */

static void test_apply(void **state)
{
	struct pool *p = make_pool(2, NULL);
	struct pool_result r;
	int64_t x = 7;

	(void)state;
	assert_int_equal(pool_apply(p, square, &x, sizeof(x), &r), 0);
	assert_int_equal(as_i64(&r), 49);
	assert_int_equal(r.data[r.len], '\0');
	pool_results_free(&r, 1);
	close_join_destroy(p);
}

static void test_apply_async_get(void **state)
{
	struct pool *p = make_pool(2, NULL);
	struct pool_async *h[10];
	const struct pool_result *r;

	(void)state;
	for (int64_t i = 0; i < 10; i++) {
		h[i] = pool_apply_async(p, square, &i, sizeof(i));
		assert_non_null(h[i]);
	}
	for (int64_t i = 0; i < 10; i++) {
		assert_int_equal(pool_async_get(h[i], 30.0, &r), 0);
		assert_true(pool_async_ready(h[i]));
		assert_int_equal(pool_async_wait(h[i], 0), 0);
		assert_int_equal(as_i64(&r[0]), i * i);
		pool_async_free(h[i]);
	}
	close_join_destroy(p);
}

static void check_map(struct pool *p, size_t n, size_t chunksize)
{
	int64_t *xs = calloc(n, sizeof(*xs));
	struct pool_result *rs = calloc(n ? n : 1, sizeof(*rs));

	assert_non_null(xs);
	assert_non_null(rs);
	for (size_t i = 0; i < n; i++)
		xs[i] = (int64_t)i - 3;
	assert_int_equal(pool_map(p, square, xs, sizeof(*xs), n, chunksize, rs), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(as_i64(&rs[i]), xs[i] * xs[i]);
	pool_results_free(rs, n);
	free(rs);
	free(xs);
}

static void test_map_chunksizes(void **state)
{
	struct pool *p = make_pool(3, NULL);

	(void)state;
	check_map(p, 0, 0);
	check_map(p, 1, 0);
	check_map(p, 100, 0);
	check_map(p, 100, 1);
	check_map(p, 100, 7);
	check_map(p, 100, 1000);
	close_join_destroy(p);
}

static void test_default_chunksize(void **state)
{
	(void)state;
	/* Python: chunksize, extra = divmod(n, 4 * W); chunksize += bool(extra) */
	assert_int_equal(pool_default_chunksize(100000, 2), 12500);
	assert_int_equal(pool_default_chunksize(1000, 2), 125);
	assert_int_equal(pool_default_chunksize(1001, 2), 126);
	assert_int_equal(pool_default_chunksize(5, 4), 1);
	assert_int_equal(pool_default_chunksize(0, 4), 1);
}

static void test_map_async(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t xs[5] = { 1, 2, 3, 4, 5 };
	const struct pool_result *r;
	struct pool_async *h = pool_map_async(p, square, xs, sizeof(xs[0]), 5, 0);

	(void)state;
	assert_non_null(h);
	assert_int_equal(pool_async_count(h), 5);
	assert_int_equal(pool_async_get(h, 30.0, &r), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(as_i64(&r[i]), xs[i] * xs[i]);
	pool_async_free(h);
	close_join_destroy(p);
}

static void test_starmap(void **state)
{
	/* the seed: starmap(g, [(1, 3), (2, 4), (3, 5), (4, 6), (5, 7)]) */
	static const int64_t v[5][2] = { { 1, 3 }, { 2, 4 }, { 3, 5 }, { 4, 6 }, { 5, 7 } };
	static const int64_t want[5] = { 1, 16, 243, 4096, 78125 };
	struct pool *p = make_pool(4, NULL);
	struct pool_iov args[10];
	struct pool_result rs[5];

	(void)state;
	for (int i = 0; i < 5; i++) {
		args[2 * i] = (struct pool_iov){ &v[i][0], 8 };
		args[2 * i + 1] = (struct pool_iov){ &v[i][1], 8 };
	}
	assert_int_equal(pool_starmap(p, power, args, 2, 5, 0, rs), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(as_i64(&rs[i]), want[i]);
	pool_results_free(rs, 5);
	close_join_destroy(p);
}

static void test_unpack_rejects_garbage(void **state)
{
	struct pool_iov a[2];
	char junk[12] = { 5, 0, 0, 0, 200, 0, 0, 0 };

	(void)state;
	assert_int_equal(pool_unpack(junk, 3, a, 2), -1);
	assert_int_equal(pool_unpack(junk, sizeof(junk), a, 2), -1);
}

static void test_imap_ordered(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t xs[20];
	const struct pool_result *r;
	size_t idx;
	struct pool_async *h;

	(void)state;
	for (int i = 0; i < 20; i++)
		xs[i] = i;
	h = pool_imap(p, square, xs, sizeof(xs[0]), 20, 3, true);
	assert_non_null(h);
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(pool_async_next(h, 30.0, &r, &idx), 0);
		assert_int_equal(idx, i);
		assert_int_equal(as_i64(r), xs[i] * xs[i]);
	}
	assert_int_equal(pool_async_next(h, 30.0, &r, &idx), POOL_END);
	pool_async_free(h);
	close_join_destroy(p);
}

/* Task 0 sleeps longest: imap_unordered hands it out last, and every task
 * exactly once. */
static void test_imap_unordered(void **state)
{
	struct pool *p = make_pool(4, NULL);
	int64_t ms[4] = { 300, 1, 1, 1 };
	bool seen[4] = { false };
	const struct pool_result *r;
	size_t idx, last = 99;
	struct pool_async *h = pool_imap(p, sleep_ms, ms, sizeof(ms[0]), 4, 1, false);

	(void)state;
	assert_non_null(h);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pool_async_next(h, 30.0, &r, &idx), 0);
		assert_true(idx < 4);
		assert_false(seen[idx]);
		seen[idx] = true;
		assert_int_equal(as_i64(r), ms[idx]);
		last = idx;
	}
	assert_int_equal(last, 0);
	assert_int_equal(pool_async_next(h, 30.0, &r, &idx), POOL_END);
	pool_async_free(h);
	close_join_destroy(p);
}

static void test_worker_index(void **state)
{
	struct pool *p = make_pool(3, NULL);
	int64_t xs[30] = { 0 };
	struct pool_result rs[30];

	(void)state;
	assert_int_equal(pool_worker_index(), -1);
	assert_int_equal(pool_map(p, whoami, xs, sizeof(xs[0]), 30, 1, rs), 0);
	for (int i = 0; i < 30; i++) {
		int64_t v[2];

		assert_int_equal(rs[i].len, sizeof(v));
		memcpy(v, rs[i].data, sizeof(v));
		assert_true(v[1] >= 0 && v[1] < 3);
		assert_int_equal(pool_worker_pid(p, (int)v[1]), (pid_t)v[0]);
	}
	pool_results_free(rs, 30);
	close_join_destroy(p);
}

/* ------------------------------------------------------------ failures */

/* CPython's mapstar: a chunk (one task message) runs its tasks in order
 * and stops at its first error; the tasks after it are never run. With
 * chunksize 3, chunk {0, 1, 2}: 0 ok, 1 fails, 2 skipped; {3, 4, 5}: 3
 * fails, 4 and 5 skipped; ... {9}: 9 fails. */
static void test_task_error_delivered(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t xs[10];
	struct pool_result rs[10], r;
	int64_t x = 1;

	(void)state;
	for (int i = 0; i < 10; i++)
		xs[i] = i;
	assert_int_equal(pool_map(p, fail_odd, xs, sizeof(xs[0]), 10, 3, rs), POOL_ETASK);
	for (int i = 0; i < 10; i++) {
		int first_odd = i / 3 * 3 + (i / 3 * 3 % 2 == 0);
		char want[64];

		if (i < first_odd) {
			assert_int_equal(as_i64(&rs[i]), i);
		} else if (i == first_odd) {
			snprintf(want, sizeof(want), "odd input %d", i);
			assert_int_equal(rs[i].status, POOL_ETASK);
			assert_string_equal(rs[i].data, want);
		} else {
			snprintf(want, sizeof(want), "not run: task %d of its chunk failed first",
				 first_odd);
			assert_int_equal(rs[i].status, POOL_ESKIPPED);
			assert_string_equal(rs[i].data, want);
		}
	}
	pool_results_free(rs, 10);
	/* chunksize 1: every task runs, each error on its own */
	assert_int_equal(pool_map(p, fail_odd, xs, sizeof(xs[0]), 10, 1, rs), POOL_ETASK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rs[i].status, i % 2 ? POOL_ETASK : POOL_OK);
	pool_results_free(rs, 10);
	/* a non-zero return without pool_raise */
	assert_int_equal(pool_apply(p, nonzero_return, &x, sizeof(x), &r), POOL_ETASK);
	assert_string_equal(r.data, "nonzero_return returned 42");
	pool_results_free(&r, 1);
	/* the pool goes on */
	check_map(p, 50, 0);
	assert_int_equal(pool_stats(p).workers_died, 0);
	close_join_destroy(p);
}

/* A map of n tasks where task victim kills its worker with how; returns the
 * pool's stats. Every other task must have its result. */
static struct pool_stats map_with_death(int w, size_t n, int64_t victim, int64_t how,
					size_t chunksize, const char *want)
{
	struct pool *p = make_pool(w, &recover);
	struct die_arg *a = calloc(n, sizeof(*a));
	struct pool_result *rs = calloc(n, sizeof(*rs));
	struct pool_stats st;
	pid_t pids[8];
	size_t ok = 0;

	assert_non_null(a);
	assert_non_null(rs);
	for (int i = 0; i < w; i++)
		pids[i] = pool_worker_pid(p, i);
	for (size_t i = 0; i < n; i++)
		a[i] = (struct die_arg){ (int64_t)i, victim, how };
	assert_int_equal(pool_map(p, die_at, a, sizeof(*a), n, chunksize, rs), POOL_EDIED);
	for (size_t i = 0; i < n; i++) {
		if ((int64_t)i == victim) {
			assert_int_equal(rs[i].status, POOL_EDIED);
			assert_string_equal(rs[i].data, want);
		} else {
			ok += as_i64(&rs[i]) == (int64_t)i;
		}
	}
	assert_int_equal(ok, n - 1);
	pool_results_free(rs, n);
	/* the pool goes on with a replacement worker */
	check_map(p, 20, 1);
	st = pool_stats(p);
	close_join_destroy(p);
	for (int i = 0; i < w; i++) /* reaped: no orphan or zombie left */
		assert_true(kill(pids[i], 0) < 0 && errno == ESRCH);
	free(rs);
	free(a);
	return st;
}

static void test_segfault_detected(void **state)
{
	struct pool_stats st = map_with_death(2, 40, 13, 0, 4, "worker died (signal 11)");

	(void)state;
	assert_int_equal(st.workers_died, 1);
	assert_int_equal(st.workers_started, 3);
}

static void test_exit_detected(void **state)
{
	struct pool_stats st = map_with_death(3, 40, 0, 1, 1, "worker died (exit status 7)");

	(void)state;
	assert_int_equal(st.workers_died, 1);
	assert_int_equal(st.workers_started, 4);
}

/* The acceptance case: SIGKILL in the middle of a 1,000-task map, with
 * Python's default chunksize (125 for 2 workers): 999 results, one error. */
static void test_sigkill_mid_map(void **state)
{
	struct pool_stats st = map_with_death(2, 1000, 500, 2, 0, "worker died (signal 9)");

	(void)state;
	assert_int_equal(st.workers_died, 1);
	assert_int_equal(st.tasks_failed, 1);
}

/* SIGKILL from outside, while the worker runs a task. */
static void test_external_sigkill(void **state)
{
	struct pool *p;
	struct pool_async *h;
	const struct pool_result *r;
	struct pool_result one;
	int pfd[2];
	pid_t victim;
	int64_t x = 4;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	report_pid_fd = pfd[1];
	p = make_pool(2, &recover);
	h = pool_apply_async(p, announce_and_sleep, NULL, 0);
	assert_non_null(h);
	/* a bounded wait: a test must not hang either */
	assert_int_equal(poll(&(struct pollfd){ .fd = pfd[0], .events = POLLIN }, 1, 30000), 1);
	assert_int_equal(read(pfd[0], &victim, sizeof(victim)), (ssize_t)sizeof(victim));
	assert_int_equal(kill(victim, SIGKILL), 0);
	assert_int_equal(pool_async_get(h, 30.0, &r), POOL_EDIED);
	assert_string_equal(r[0].data, "worker died (signal 9)");
	pool_async_free(h);
	check_map(p, 10, 1);
	assert_int_equal(pool_stats(p).workers_died, 1);
	assert_int_equal(pool_apply(p, square, &x, sizeof(x), &one), 0);
	assert_int_equal(as_i64(&one), 16);
	pool_results_free(&one, 1);
	close(pfd[0]);
	close(pfd[1]);
	report_pid_fd = -1;
	pool_destroy(p); /* without close/join: terminates */
}

/* get(timeout) returns a timeout and never hangs; the task goes on. */
static void test_get_timeout(void **state)
{
	struct pool *p = make_pool(1, &recover);
	int64_t ms = 60000;
	const struct pool_result *r = NULL;
	struct pool_async *h = pool_apply_async(p, sleep_ms, &ms, sizeof(ms));

	(void)state;
	assert_non_null(h);
	assert_int_equal(pool_async_get(h, 0.05, &r), POOL_ETIMEDOUT);
	assert_null(r);
	assert_int_equal(pool_async_wait(h, 0), POOL_ETIMEDOUT);
	assert_false(pool_async_ready(h));
	pool_terminate(p);
	assert_int_equal(pool_async_get(h, 0.05, &r), POOL_ETERMINATED);
	assert_string_equal(r[0].data, "pool terminated");
	pool_async_free(h);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
}

static void test_terminate_stops_all(void **state)
{
	struct pool *p = make_pool(3, &recover);
	int64_t ms[9] = { 60000, 60000, 60000, 60000, 60000, 60000, 60000, 60000, 60000 };
	struct pool_async *h = pool_map_async(p, sleep_ms, ms, sizeof(ms[0]), 9, 1);
	const struct pool_result *r;
	pid_t pids[3];

	(void)state;
	assert_non_null(h);
	for (int i = 0; i < 3; i++)
		pids[i] = pool_worker_pid(p, i);
	assert_int_equal(pool_async_wait(h, 0.02), POOL_ETIMEDOUT);
	pool_terminate(p);
	for (int i = 0; i < 3; i++)
		assert_true(kill(pids[i], 0) < 0 && errno == ESRCH);
	assert_int_equal(pool_async_get(h, 0, &r), POOL_ETERMINATED);
	for (int i = 0; i < 9; i++)
		assert_int_equal(r[i].status, POOL_ETERMINATED);
	assert_null(pool_apply_async(p, square, ms, 8));
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
	pool_async_free(h); /* a handle outlives its pool */
}

static void test_close_and_join_rules(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t ms[6] = { 20, 20, 20, 20, 20, 20 };
	struct pool_async *h = pool_map_async(p, sleep_ms, ms, sizeof(ms[0]), 6, 1);
	const struct pool_result *r;
	int64_t x = 2;

	(void)state;
	assert_non_null(h);
	assert_int_equal(pool_join(p), -1); /* Python: "Pool is still running" */
	assert_non_null(strstr(pool_error(p), "still running"));
	pool_close(p);
	assert_null(pool_apply_async(p, square, &x, sizeof(x)));
	assert_non_null(strstr(pool_error(p), "closed"));
	assert_int_equal(pool_join(p), 0); /* the queued tasks still run */
	assert_int_equal(pool_async_get(h, 0, &r), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(as_i64(&r[i]), 20);
	pool_async_free(h);
	pool_destroy(p);
}

/* A handle freed while its tasks still run: the pool drops the results. */
static void test_abandoned_handle(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t ms[4] = { 30, 30, 30, 30 };

	(void)state;
	pool_async_free(pool_map_async(p, sleep_ms, ms, sizeof(ms[0]), 4, 1));
	check_map(p, 10, 0);
	close_join_destroy(p);
}

static void test_unregistered_function(void **state)
{
	struct pool *p = make_pool(1, NULL);
	int64_t x = 1;

	(void)state;
	assert_null(pool_apply_async(p, not_registered, &x, sizeof(x)));
	assert_non_null(strstr(pool_error(p), "not registered"));
	close_join_destroy(p);
}

static void test_bad_arguments(void **state)
{
	char err[128] = "";

	(void)state;
	assert_null(pool_create(0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "workers must be"));
}

static void test_maxtasksperchild(void **state)
{
	struct pool_opts o = { .maxtasksperchild = 2 };
	struct pool *p = make_pool(2, &o);
	int64_t xs[10] = { 0 };
	struct pool_result rs[10];
	struct pool_stats st;
	int distinct = 0;

	(void)state;
	assert_int_equal(pool_map(p, whoami, xs, sizeof(xs[0]), 10, 1, rs), 0);
	for (int i = 0; i < 10; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen = seen || memcmp(rs[i].data, rs[j].data, 8) == 0;
		distinct += !seen;
	}
	assert_true(distinct >= 5); /* 10 chunks, at most 2 per worker */
	pool_results_free(rs, 10);
	st = pool_stats(p);
	assert_int_equal(st.workers_died, 0);
	assert_true(st.workers_started >= 5);
	close_join_destroy(p);
}

static void test_initializer(void **state)
{
	int64_t v = 1234;
	struct pool_opts o = { .initializer = set_init_value, .initarg = &v };
	struct pool *p = make_pool(2, &o);
	struct pool_result r;

	(void)state;
	assert_int_equal(pool_apply(p, read_init_value, NULL, 0, &r), 0);
	assert_int_equal(as_i64(&r), 1234);
	assert_int_equal(init_value, 0); /* it ran in the worker, not here */
	pool_results_free(&r, 1);
	close_join_destroy(p);
}

static void test_initializer_crash(void **state)
{
	struct pool_opts o = { .initializer = crash_in_init, .on_death = POOL_RECOVER };
	char err[256] = "";

	(void)state;
	assert_null(pool_create(2, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "initializer"));
	assert_non_null(strstr(err, "signal 11"));
}

/* ------------------------------------------------ the tasks model */

static void test_tasks_model(void **state)
{
	struct tasks_spec s = { .workload = WL_IO,
				.ntasks = 5,
				.workers = 2,
				.task_ms = 1,
				.crash_task = -1,
				.fail_task = -1 };
	uint64_t value[5] = { 0 };
	int ran_on[5];
	struct tasks_result r = { .value = value, .ran_on = ran_on };

	(void)state;
	assert_int_equal(pool_run_tasks(&s, &r), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(value[i], tasks_seed(i));
	/* a task that crashes is an error of the run, not a hang */
	s.crash_task = 3;
	assert_int_equal(pool_run_tasks(&s, &r), -1);
	assert_non_null(strstr(r.error, "task 3: worker died (signal 11)"));
}

/* ------------------------------------------------ CPython's pipeline */

/* Read n bytes from fd, each within 30 s; false on a timeout. */
static bool read_bytes(int fd, char *buf, int n)
{
	for (int i = 0; i < n; i++)
		if (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 30000) != 1 ||
		    read(fd, buf + i, 1) != 1)
			return false;
	return true;
}

/* The task handler streams every task into the shared queue: one worker
 * runs four apply_async tasks while the caller makes no pool call. */
static void test_tasks_stream_without_caller(void **state)
{
	struct pool *p;
	struct pool_async *h[4];
	char got[4];
	int pfd[2];

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	report_pid_fd = pfd[1];
	p = make_pool(1, NULL);
	for (int64_t i = 0; i < 4; i++)
		assert_non_null(h[i] = pool_apply_async(p, report_done, &i, sizeof(i)));
	assert_true(read_bytes(pfd[0], got, 4)); /* no pool call in between */
	for (int64_t i = 0; i < 4; i++) {
		const struct pool_result *r;

		assert_int_equal(pool_async_get(h[i], 30.0, &r), 0);
		assert_int_equal(as_i64(r), i);
		pool_async_free(h[i]);
	}
	close_join_destroy(p);
	close(pfd[0]);
	close(pfd[1]);
	report_pid_fd = -1;
}

/* Python's MapResult is ready once every chunk is done, even after an
 * error: task 0 fails at once, task 1 (its own chunk) sleeps 150 ms, and
 * get returns with task 1's result there. */
static void test_map_ready_after_every_chunk(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t xs[2] = { -1, 150 };
	const struct pool_result *r;
	struct pool_async *h = pool_map_async(p, fail_or_sleep, xs, sizeof(xs[0]), 2, 1);

	(void)state;
	assert_non_null(h);
	assert_int_equal(pool_async_get(h, 30.0, &r), POOL_ETASK);
	assert_int_equal(r[0].status, POOL_ETASK);
	assert_int_equal(as_i64(&r[1]), 150);
	pool_async_free(h);
	close_join_destroy(p);
}

struct seen {
	int calls, errors;
	size_t n, index;
	int64_t first;
	char msg[64];
};

static void on_result(const struct pool_result *rs, size_t n, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->n = n;
	memcpy(&s->first, rs[0].data, sizeof(s->first));
}

static void on_error(const struct pool_result *failed, size_t index, void *arg)
{
	struct seen *s = arg;

	s->errors++;
	s->index = index;
	snprintf(s->msg, sizeof(s->msg), "%s", failed->data);
}

/* callback and error_callback run once, before get returns. */
static void test_callbacks(void **state)
{
	struct pool *p = make_pool(2, NULL);
	struct seen a = { 0 }, m = { 0 }, e = { 0 };
	struct pool_callbacks ca = { on_result, on_error, &a }, cm = { on_result, on_error, &m },
			      ce = { on_result, on_error, &e };
	int64_t x = 6, xs[10];
	const struct pool_result *r;
	struct pool_async *h;

	(void)state;
	for (int i = 0; i < 10; i++)
		xs[i] = 2 * i + (i == 4);
	h = pool_apply_async_cb(p, square, &x, sizeof(x), &ca);
	assert_int_equal(pool_async_get(h, 30.0, &r), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.errors, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.first, 36);
	pool_async_free(h);
	h = pool_map_async_cb(p, square, xs, sizeof(xs[0]), 10, 3, &cm);
	assert_int_equal(pool_async_get(h, 30.0, &r), 0);
	assert_int_equal(m.calls, 1);
	assert_int_equal(m.n, 10);
	pool_async_free(h);
	/* one chunk of 10: task 4 (odd) fails, 5..9 are skipped */
	h = pool_map_async_cb(p, fail_odd, xs, sizeof(xs[0]), 10, 10, &ce);
	assert_int_equal(pool_async_get(h, 30.0, &r), POOL_ETASK);
	assert_int_equal(e.calls, 0);
	assert_int_equal(e.errors, 1);
	assert_int_equal(e.index, 4);
	assert_string_equal(e.msg, "odd input 9");
	assert_int_equal(r[9].status, POOL_ESKIPPED);
	pool_async_free(h);
	close_join_destroy(p);
}

/* terminate() sends SIGTERM, as Process.terminate does. */
static void test_terminate_sends_sigterm(void **state)
{
	struct pool *p;
	struct pool_async *h;
	const struct pool_result *r;
	char c;
	int pfd[2];

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	report_pid_fd = pfd[1];
	p = make_pool(1, &recover);
	h = pool_apply_async(p, catch_sigterm, NULL, 0);
	assert_non_null(h);
	assert_true(read_bytes(pfd[0], &c, 1));
	assert_int_equal(c, 'R');
	pool_terminate(p);
	assert_true(read_bytes(pfd[0], &c, 1));
	assert_int_equal(c, 'T');
	assert_int_equal(pool_async_get(h, 0, &r), POOL_ETERMINATED);
	pool_async_free(h);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
	close(pfd[0]);
	close(pfd[1]);
	report_pid_fd = -1;
}

/* POOL_HANG, as CPython: the chunk a dead worker held never gets a result
 * (a new worker replaces it and the other tasks complete) ... */
static void test_hang_mode_waits(void **state)
{
	struct pool *p = make_pool(2, NULL); /* the default: CPython's */
	struct die_arg a[6];
	const struct pool_result *r;
	struct pool_async *h;
	size_t idx;

	(void)state;
	for (int i = 0; i < 6; i++)
		a[i] = (struct die_arg){ i, 2, 2 };
	h = pool_imap(p, die_at, a, sizeof(a[0]), 6, 1, false);
	assert_non_null(h);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(pool_async_next(h, 30.0, &r, &idx), 0);
		assert_true(idx != 2);
		assert_int_equal(as_i64(r), (int64_t)idx);
	}
	assert_int_equal(pool_async_next(h, 0.2, &r, &idx), POOL_ETIMEDOUT);
	assert_int_equal(pool_async_get(h, 0, &r), POOL_ETIMEDOUT);
	assert_int_equal(pool_stats(p).workers_died, 1);
	assert_int_equal(pool_stats(p).workers_started, 3);
	pool_terminate(p);
	/* terminate settles nothing either: CPython's get() would wait for ever */
	assert_int_equal(pool_async_get(h, 0.05, &r), POOL_ETIMEDOUT);
	pool_async_free(h);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
}

/* CPython's terminate() (the default): the workers are gone, but a pending
 * result is never set; the handle still times out, and join reaps. */
static void test_terminate_settles_nothing(void **state)
{
	struct pool *p = make_pool(2, NULL);
	int64_t ms[4] = { 60000, 60000, 60000, 60000 };
	struct pool_async *h = pool_map_async(p, sleep_ms, ms, sizeof(ms[0]), 4, 1);
	const struct pool_result *r = NULL;
	pid_t pids[2] = { pool_worker_pid(p, 0), pool_worker_pid(p, 1) };

	(void)state;
	assert_non_null(h);
	assert_int_equal(pool_async_wait(h, 0.02), POOL_ETIMEDOUT);
	pool_terminate(p);
	for (int i = 0; i < 2; i++)
		assert_true(kill(pids[i], 0) < 0 && errno == ESRCH);
	assert_int_equal(pool_async_get(h, 0.05, &r), POOL_ETIMEDOUT);
	assert_null(r);
	assert_false(pool_async_ready(h));
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
	/* a handle that outlives its pool has nothing left to wait on */
	assert_int_equal(pool_async_get(h, 0, &r), POOL_ETERMINATED);
	pool_async_free(h);
}

/* CPython's crashing initializer (the default): Pool() returns, and the
 * worker handler replaces the dead workers again and again; a task waits. */
static void test_initializer_crash_respawns(void **state)
{
	struct pool_opts o = { .initializer = crash_in_init };
	struct pool *p = make_pool(1, &o);
	struct pool_async *h;
	int64_t x = 3;

	(void)state;
	h = pool_apply_async(p, square, &x, sizeof(x));
	assert_non_null(h);
	/* more deaths than POOL_RECOVER tolerates before it breaks the pool */
	while (pool_stats(p).workers_died <= 4)
		assert_int_equal(pool_async_wait(h, 0.01), POOL_ETIMEDOUT);
	assert_true(pool_stats(p).workers_started > 4);
	assert_int_equal(pool_async_get(h, 0, NULL), POOL_ETIMEDOUT);
	pool_async_free(h);
	pool_destroy(p);
}

/* ... bounded: after hang_timeout_s the lost tasks fail with POOL_EDIED. */
static void test_hang_mode_bounded(void **state)
{
	struct pool_opts o = { .on_death = POOL_HANG, .hang_timeout_s = 0.2 };
	struct pool *p = make_pool(2, &o);
	struct die_arg a[6];
	struct pool_result rs[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		a[i] = (struct die_arg){ i, 3, 0 };
	/* chunksize 2: chunk {2, 3} is lost whole (task 2's result died with it) */
	assert_int_equal(pool_map(p, die_at, a, sizeof(a[0]), 6, 2, rs), POOL_EDIED);
	for (int i = 0; i < 6; i++) {
		if (i == 2 || i == 3) {
			assert_int_equal(rs[i].status, POOL_EDIED);
			assert_non_null(strstr(rs[i].data, "worker died (signal 11)"));
			assert_non_null(strstr(rs[i].data, "would wait for ever"));
		} else {
			assert_int_equal(as_i64(&rs[i]), i);
		}
	}
	pool_results_free(rs, 6);
	assert_int_equal(pool_stats(p).workers_died, 1);
	check_map(p, 10, 1); /* the replacement works */
	close_join_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_async_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_chunksizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_chunksize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_async, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpack_rejects_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_ordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_unordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_error_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segfault_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_mid_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminate_stops_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_join_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandoned_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregistered_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maxtasksperchild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initializer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initializer_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tasks_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tasks_stream_without_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_ready_after_every_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminate_sends_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang_mode_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang_mode_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminate_settles_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initializer_crash_respawns, setup, teardown),
	};

	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
