// SPDX-License-Identifier: MIT
/*
 * Tests for the pool under the GIL (pool_opts.gil): the task handler and
 * the result handler are Python threads of the caller's GIL. Counted,
 * never timed: each handler takes the GIL once per chunk; a caller holding
 * the GIL that blocks in get, wait, next or join lets them run (were it to
 * keep the GIL, get would time out); a caller that computes gives it up
 * only when a handler asks (a forced drop); callbacks run under it;
 * terminate and close + join with the handlers waiting for the GIL do not
 * deadlock; with no gil nothing takes or drops it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gil.h"
#include "leakcheck.h"
#include "pool.h"
#include "workload.h"

#define N 20
#define W 2

static int square(const void *arg, size_t len, struct pool_out *out)
{
	int64_t x;

	if (len != sizeof(x))
		return pool_raise(out, "square: want 8 bytes, got %zu", len);
	memcpy(&x, arg, sizeof(x));
	x *= x;
	return pool_return(out, &x, sizeof(x));
}

struct fixture {
	struct gil gil;
	struct gil_thread me;
	struct pool *pool;
	int64_t xs[N];
	int fds;
};

static struct pool *start(struct gil *g)
{
	/* POOL_RECOVER: terminate settles every task (test_terminate_...) */
	struct pool_opts o = { .gil = g, .on_death = POOL_RECOVER };
	char err[256];
	struct pool *p = pool_create(W, &o, err, sizeof(err));

	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	workload_set_calibration((struct wl_calibration){ .ticks_per_ms = 1000, .tick_ns = 1000 });
	assert_true(pool_register("square", square) >= 0);
	f->fds = count_open_fds();
	for (int i = 0; i < N; i++)
		f->xs[i] = i;
	assert_int_equal(gil_init(&f->gil, 1000, true), 0);
	assert_int_equal(gil_thread_init(&f->me, &f->gil, 1, 0), 0);
	gil_take(&f->me); /* the main thread runs Python */
	f->pool = start(&f->gil);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pool_destroy(f->pool);
	assert_ptr_equal(gil_holder(&f->gil), &f->me);
	gil_exit(&f->me);
	gil_thread_free(&f->me);
	assert_int_equal(gil_destroy(&f->gil), 0); /* no handler left waiting */
	assert_int_equal(count_open_fds(), f->fds);
	assert_no_children();
	free(f);
	return 0;
}

static void check_squares(const struct pool_result *rs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t y;

		assert_int_equal(rs[i].status, POOL_OK);
		assert_int_equal(rs[i].len, sizeof(y));
		memcpy(&y, rs[i].data, sizeof(y));
		assert_int_equal(y, (int64_t)(i * i));
	}
}

/* map_async's get and map block with the GIL released; each handler takes it exactly
 * once per chunk (chunksize 1, then 5), and the caller has it back after. */
static void test_takes_per_chunk(void **state)
{
	struct fixture *f = *state;
	struct pool_result rs[N];
	const struct pool_result *r;
	struct pool_async *h = pool_map_async(f->pool, square, f->xs, sizeof(f->xs[0]), N, 1);
	struct pool_stats s;

	assert_non_null(h); /* with a timeout: a caller keeping the GIL fails, not hangs */
	assert_int_equal(pool_async_get(h, 10.0, &r), 0);
	check_squares(r, N);
	pool_async_free(h);
	s = pool_stats(f->pool);
	assert_int_equal(s.tasks_gil_takes, N);
	assert_int_equal(s.results_gil_takes, N);
	assert_ptr_equal(gil_holder(&f->gil), &f->me);
	assert_int_equal(pool_map(f->pool, square, f->xs, sizeof(f->xs[0]), N, 5, rs), 0);
	check_squares(rs, N);
	pool_results_free(rs, N);
	s = pool_stats(f->pool);
	assert_int_equal(s.tasks_gil_takes, N + N / 5);
	assert_int_equal(s.results_gil_takes, N + N / 5);
	assert_true(f->me.holding);
}

/* apply_async + get, wait and imap's next, one at a time: each would time
 * out were the caller to keep the GIL while it blocks. */
static void test_blocking_calls_release(void **state)
{
	struct fixture *f = *state;
	const struct pool_result *r;
	struct pool_async *h;
	size_t idx;

	for (int64_t i = 0; i < N; i++) {
		h = pool_apply_async(f->pool, square, &i, sizeof(i));
		assert_non_null(h);
		assert_int_equal(pool_async_wait(h, 10.0), 0);
		assert_int_equal(pool_async_get(h, 10.0, &r), 0);
		assert_int_equal(r[0].status, POOL_OK);
		assert_int_equal(*(const int64_t *)(const void *)r[0].data, i * i);
		pool_async_free(h);
		assert_true(f->me.holding);
	}
	h = pool_imap(f->pool, square, f->xs, sizeof(f->xs[0]), N, 1, true);
	assert_non_null(h);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(pool_async_next(h, 10.0, &r, &idx), 0);
		assert_int_equal(idx, i);
		assert_true(f->me.holding);
	}
	assert_int_equal(pool_async_next(h, 10.0, &r, &idx), POOL_END);
	pool_async_free(h);
}

/* A caller that computes never blocks: the results come only when a
 * handler's drop request makes the caller yield. */
static void test_computing_caller_yields(void **state)
{
	struct fixture *f = *state;
	struct pool_async *h = pool_map_async(f->pool, square, f->xs, sizeof(f->xs[0]), N, 1);
	uint64_t x = 1, guard = clock_now_ns() + 20000000000ull;
	struct pool_stats s;

	assert_non_null(h);
	while (!pool_async_ready(h) && clock_now_ns() < guard)
		x = gil_compute(&f->me, x | 1, 1000);
	assert_true(pool_async_ready(h));
	assert_true(f->me.forced_drops >= 1);
	s = pool_stats(f->pool);
	assert_int_equal(s.results_gil_takes, N);
	assert_true(s.handler_gil_wait_ns > 0);
	assert_true(x != 0);
	pool_async_free(h);
}

struct seen {
	struct gil *gil;
	int calls, under_gil;
};

static void on_done(const struct pool_result *rs, size_t n, void *arg)
{
	struct seen *s = arg;
	struct gil_thread *t = gil_current();

	s->calls++;
	s->under_gil += t && t->gil == s->gil && t->holding && gil_holder(s->gil) == t;
	check_squares(rs, n);
}

/* callback runs in the result handler, holding the GIL. */
static void test_callback_under_gil(void **state)
{
	struct fixture *f = *state;
	struct seen seen = { .gil = &f->gil };
	struct pool_callbacks cb = { .callback = on_done, .arg = &seen };
	struct pool_async *h =
		pool_map_async_cb(f->pool, square, f->xs, sizeof(f->xs[0]), N, 3, &cb);

	assert_non_null(h);
	assert_int_equal(pool_async_get(h, 10.0, NULL), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.under_gil, 1);
	pool_async_free(h);
}

/* The caller keeps the GIL and never polls (no compute): the handlers wait
 * for it. terminate drops it while it stops them: no deadlock, every task
 * has a result or POOL_ETERMINATED, and the caller has the GIL back. */
static void test_terminate_with_handlers_waiting(void **state)
{
	struct fixture *f = *state;
	struct pool_async *h = pool_map_async(f->pool, square, f->xs, sizeof(f->xs[0]), N, 1);
	const struct pool_result *r;
	int rc;

	assert_non_null(h);
	pool_terminate(f->pool);
	assert_true(f->me.holding);
	rc = pool_async_get(h, 10.0, &r);
	assert_true(rc == 0 || rc == POOL_ETERMINATED);
	for (size_t i = 0; i < N; i++)
		assert_true(r[i].status == POOL_OK || r[i].status == POOL_ETERMINATED);
	assert_int_equal(pool_join(f->pool), 0);
	assert_true(f->me.holding);
	pool_async_free(h);
}

/* close + join with the handlers waiting for the GIL: join drops it, every
 * task runs, the sentinels go out, the workers leave. */
static void test_close_join_with_handlers_waiting(void **state)
{
	struct fixture *f = *state;
	struct pool_async *h = pool_map_async(f->pool, square, f->xs, sizeof(f->xs[0]), N, 1);
	const struct pool_result *r;

	assert_non_null(h);
	pool_close(f->pool);
	assert_int_equal(pool_join(f->pool), 0);
	assert_true(f->me.holding);
	assert_int_equal(pool_async_get(h, 0, &r), 0);
	check_squares(r, N);
	/* each sentinel is one more put of the task handler */
	assert_int_equal(pool_stats(f->pool).tasks_gil_takes, N + W);
	pool_async_free(h);
}

/* No gil (the default), even with the caller holding one: the handlers
 * never take it and the caller never drops it. */
static void test_no_gil_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct pool *p = start(NULL);
	uint64_t takes = f->me.acquisitions;
	struct pool_result rs[N];
	struct pool_stats s;

	assert_int_equal(pool_map(p, square, f->xs, sizeof(f->xs[0]), N, 1, rs), 0);
	check_squares(rs, N);
	pool_results_free(rs, N);
	s = pool_stats(p);
	assert_int_equal(s.tasks_gil_takes + s.results_gil_takes + s.handler_gil_wait_ns, 0);
	pool_close(p);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
	assert_int_equal(f->me.acquisitions, takes);
	assert_true(f->me.holding);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_takes_per_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocking_calls_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_computing_caller_yields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_under_gil, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminate_with_handlers_waiting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_join_with_handlers_waiting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_gil_changes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
