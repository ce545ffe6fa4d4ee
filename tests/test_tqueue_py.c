// SPDX-License-Identifier: MIT
/*
 * Tests for lib/models/tqueue_py.c, queue.Queue as CPython runs it under
 * the GIL: a get that waited takes the GIL back before it takes its item
 * (it returns from the Condition's wait holding the GIL and the mutex), a
 * waiting get or put holds neither the GIL nor the mutex (another thread
 * takes both), a bounded put waits for room, every item arrives once and
 * in order. Counts and the order of events only; no timing. A hang is
 * turned into a failure by alarm().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "gil.h"
#include "tqueue_py.h"

#define HANG_GUARD_S 60
#define P(x) ((void *)(uintptr_t)(x))

struct side {
	struct gil *gil;
	struct tqueue_py *q;
	struct gil_thread t;
	struct tqpy_waiter w;
	atomic_int *started;
	int items;
	uintptr_t got[64];
};

static void *getter(void *arg)
{
	struct side *s = arg;

	gil_take(&s->t);
	atomic_fetch_add(s->started, 1);
	for (int i = 0; i < s->items; i++)
		s->got[i] = (uintptr_t)tqpy_get(s->q, &s->t, &s->w);
	gil_exit(&s->t);
	return NULL;
}

static void *putter(void *arg)
{
	struct side *s = arg;

	gil_take(&s->t);
	atomic_fetch_add(s->started, 1);
	for (int i = 0; i < s->items; i++)
		assert_int_equal(tqpy_put(s->q, &s->t, &s->w, P(i + 1)), 0);
	gil_exit(&s->t);
	return NULL;
}

static void side_init(struct side *s, struct gil *g, struct tqueue_py *q, int id, int items,
		      atomic_int *started)
{
	*s = (struct side){ .gil = g, .q = q, .started = started, .items = items };
	assert_int_equal(gil_thread_init(&s->t, g, id, 0), 0);
	assert_int_equal(tqpy_waiter_init(&s->w), 0);
}

static void side_free(struct side *s)
{
	tqpy_waiter_destroy(&s->w);
	gil_thread_free(&s->t);
}

/* A get on an empty queue waits without the GIL and without the queue's
 * mutex: this thread takes the GIL and puts (which needs the mutex); the
 * woken get takes the GIL back before it takes the item. */
static void test_get_waits_then_retakes_gil(void **state)
{
	static struct gil g;
	static struct tqueue_py q;
	struct side get, me;
	atomic_int started = 0;
	pthread_t tid;

	(void)state;
	alarm(HANG_GUARD_S);
	assert_int_equal(gil_init(&g, GIL_DEFAULT_INTERVAL_US, true), 0);
	assert_int_equal(tqpy_init(&q, 0, (struct tqpy_costs){ 0 }), 0);
	side_init(&get, &g, &q, 0, 1, &started);
	side_init(&me, &g, &q, 1, 0, &started);
	assert_int_equal(pthread_create(&tid, NULL, getter, &get), 0);
	while (atomic_load(&started) < 1)
		sched_yield();
	gil_take(&me.t);      /* hangs if the get waits with the GIL */
	while (q.waits < 1) { /* read under the GIL: the get is waiting */
		gil_drop(&me.t);
		sched_yield();
		gil_take(&me.t);
	}
	assert_int_equal(tqpy_put(&q, &me.t, &me.w, P(42)), 0); /* needs the mutex */
	assert_int_equal(get.got[0], 0); /* it cannot take it: we hold the GIL */
	gil_exit(&me.t);
	pthread_join(tid, NULL);
	assert_int_equal(get.got[0], 42);
	assert_int_equal(q.waits, 1);
	assert_int_equal(q.gets_after_wait, 1);
	assert_int_equal(q.gets_with_gil, 1); /* the item taken with the GIL held */
	assert_true(q.gil_takes >= 1);	      /* the wait gave the GIL back, then took it */
	side_free(&get);
	side_free(&me);
	tqpy_destroy(&q);
	assert_int_equal(gil_destroy(&g), 0);
	alarm(0);
}

/* Queue(maxsize=1) between two threads: puts wait for room, gets for
 * items, every item arrives once and in put order, each waited get holding
 * the GIL when it took its item. Without interpreter work nothing polls
 * the drop request, so a thread gives up the GIL only to wait: after the
 * first item, each put finds the queue full and each get finds it empty.
 * With work (50 ticks a part, waits and notifies too) the same items arrive. */
static void bounded_run(struct tqpy_costs costs, bool count_waits);

static void test_bounded_exactly_once(void **state)
{
	(void)state;
	bounded_run((struct tqpy_costs){ 0 }, true);
	bounded_run((struct tqpy_costs){ 50, 50, 50, 50, 50, 50 }, false);
}

static void bounded_run(struct tqpy_costs costs, bool count_waits)
{
	enum { N = 64 };
	static struct gil g;
	static struct tqueue_py q;
	struct side get, put;
	atomic_int started = 0;
	pthread_t tg, tp;

	alarm(HANG_GUARD_S);
	assert_int_equal(gil_init(&g, 200, true), 0);
	assert_int_equal(tqpy_init(&q, 1, costs), 0);
	side_init(&get, &g, &q, 0, N, &started);
	side_init(&put, &g, &q, 1, N, &started);
	assert_int_equal(pthread_create(&tg, NULL, getter, &get), 0);
	assert_int_equal(pthread_create(&tp, NULL, putter, &put), 0);
	pthread_join(tp, NULL);
	pthread_join(tg, NULL);
	for (int i = 0; i < N; i++)
		assert_int_equal(get.got[i], i + 1);
	assert_int_equal(q.n, 0);
	/* one item fits: of N puts and N gets, at least N - 1 waited */
	if (count_waits)
		assert_true(q.waits >= N - 1);
	assert_int_equal(q.gets_with_gil, q.gets_after_wait);
	side_free(&get);
	side_free(&put);
	tqpy_destroy(&q);
	assert_int_equal(gil_destroy(&g), 0);
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_waits_then_retakes_gil),
		cmocka_unit_test(test_bounded_exactly_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
