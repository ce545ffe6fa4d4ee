// SPDX-License-Identifier: MIT
/*
 * Tests for the queue under the GIL (channel_opts.gil): the caller's put
 * and get and the feeder thread are Python threads of one GIL. Counted,
 * never timed: the feeder takes the GIL twice per message (when its wait
 * ends, after its write); the caller takes it back after each of get's two
 * reads and after flush; a caller blocked in get lets the feeder run; a
 * caller that computes gives the GIL up only when the feeder asks (a
 * forced drop); close with the feeder waiting for the GIL does not
 * deadlock and writes everything; the option is refused for other kinds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "gil.h"
#include "leakcheck.h"
#include "workload.h"

#define N 20

struct fixture {
	struct gil gil;
	struct gil_thread me;
	int fds;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	workload_set_calibration((struct wl_calibration){ .ticks_per_ms = 1000, .tick_ns = 1000 });
	f->fds = count_open_fds();
	assert_int_equal(gil_init(&f->gil, 1000, true), 0);
	assert_int_equal(gil_thread_init(&f->me, &f->gil, 1, 0), 0);
	gil_take(&f->me); /* the main thread runs Python */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gil_exit(&f->me);
	gil_thread_free(&f->me);
	assert_int_equal(gil_destroy(&f->gil), 0);
	assert_int_equal(count_open_fds(), f->fds);
	assert_no_children();
	free(f);
	return 0;
}

static struct channel *make_queue(struct gil *g)
{
	struct channel_opts o = { .gil = g, .call_ns = { .send = 5, .feed = 5, .recv = 5 } };
	struct channel *ch = channel_create(CH_QUEUE, &o, NULL, 0);

	assert_non_null(ch);
	return ch;
}

/* put, flush, get, one message at a time: the feeder's takes are exactly
 * two per message, the caller's three (flush, header, payload). */
static void test_takes_per_message(void **state)
{
	struct fixture *f = *state;
	struct channel *ch = make_queue(&f->gil);
	struct channel_charges c;
	uint64_t before = f->me.acquisitions;
	char buf[16];

	for (int i = 0; i < N; i++) {
		assert_int_equal(channel_send(ch, "0123456789", 10, -1), 0);
		assert_int_equal(channel_flush(ch), 0);
		assert_ptr_equal(gil_holder(&f->gil), &f->me);
		assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 10);
		assert_true(f->me.holding);
	}
	channel_charges(ch, &c);
	assert_int_equal(c.feeder_gil_takes, 2 * N);
	/* (a forced drop in a charge would re-take: not one of get's) */
	assert_int_equal(f->me.acquisitions - f->me.forced_drops - before, 3 * N);
	assert_int_equal(c.calls[CH_CALL_FEED], N);
	assert_int_equal(c.calls[CH_CALL_SEND], N);
	assert_int_equal(c.calls[CH_CALL_RECV], N);
	channel_close(ch);
	assert_ptr_equal(gil_holder(&f->gil), &f->me);
}

/* get blocks with the GIL released: the feeder, which needs it to run its
 * per-message work, gets it and writes. Were get to keep it, the feeder
 * could never write and get would time out. */
static void test_get_lets_the_feeder_run(void **state)
{
	struct fixture *f = *state;
	struct channel *ch = make_queue(&f->gil);
	char buf[16];

	for (int i = 0; i < N; i++) {
		assert_int_equal(channel_send(ch, "abc", 3, -1), 0);
		assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 3);
		assert_ptr_equal(gil_holder(&f->gil), &f->me);
	}
	channel_close(ch);
}

/* A caller that computes after put never blocks: the message leaves only
 * when the feeder's drop request makes the caller yield (the convoy). */
static void test_computing_caller_yields_to_feeder(void **state)
{
	struct fixture *f = *state;
	struct channel *ch = make_queue(&f->gil);
	struct channel_charges c;
	uint64_t x = 1, guard = clock_now_ns() + 20000000000ull;
	char buf[16];

	assert_int_equal(channel_send(ch, "xyz", 3, -1), 0);
	while (channel_empty(ch) && clock_now_ns() < guard)
		x = gil_compute(&f->me, x | 1, 1000);
	assert_false(channel_empty(ch));
	assert_true(f->me.forced_drops >= 1);
	channel_charges(ch, &c);
	assert_true(c.feeder_gil_takes >= 1);
	assert_true(c.feeder_gil_wait_ns > 0);
	assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 3);
	assert_true(x != 0);
	channel_close(ch);
}

/* close() while the feeder waits for the GIL the caller holds: close drops
 * it around the join, the feeder writes everything, the caller has the GIL
 * back; a child receiver counts the messages. */
static void test_close_with_feeder_waiting(void **state)
{
	struct fixture *f = *state;
	struct channel *ch = make_queue(&f->gil);
	pid_t pid = fork();
	int st, got = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[16];

		channel_open(ch, CH_RECV);
		while (channel_recv(ch, buf, sizeof(buf), 10000) == 1)
			got++;
		_exit(got);
	}
	assert_int_equal(channel_open(ch, CH_SEND), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(channel_send(ch, "m", 1, -1), 0);
	assert_ptr_equal(gil_holder(&f->gil), &f->me); /* the feeder is waiting */
	channel_close(ch);
	assert_ptr_equal(gil_holder(&f->gil), &f->me);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), N);
}

/* A thread that does not hold the GIL calls as without it; the option is
 * the queue's only. */
static void test_without_holding_and_other_kinds(void **state)
{
	struct fixture *f = *state;
	struct channel *ch = make_queue(&f->gil);
	struct channel_opts o = { .gil = &f->gil };
	char buf[16];

	assert_int_equal(channel_send(ch, "ab", 2, -1), 0);
	gil_drop(&f->me);
	assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 2);
	assert_false(f->me.holding);
	gil_take(&f->me);
	channel_close(ch);
	assert_null(channel_create(CH_PIPE, &o, NULL, 0));
	assert_null(channel_create(CH_DUPLEX, &o, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_takes_per_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_lets_the_feeder_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_computing_caller_yields_to_feeder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_with_feeder_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_holding_and_other_kinds, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
