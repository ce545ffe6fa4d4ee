// SPDX-License-Identifier: MIT
/*
 * Tests for the interpreter's cost per call (channel_opts.call_ns) and the
 * CPython calibration it is measured by: each call charges its cost once,
 * in ticks of the workload (counted, never timed), the feeder once per
 * message; nothing is charged by default; bad costs are refused; the
 * calibration's output is parsed strictly; without python the charged
 * cases are skipped, not failed. No timing asserted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "cpython.h"
#include "leakcheck.h"
#include "workload.h"

#define N 25

/* One tick per microsecond: a cost of k us is k ticks, whatever the CPU. */
static int setup(void **state)
{
	workload_set_calibration((struct wl_calibration){ .ticks_per_ms = 1000, .tick_ns = 1000 });
	*state = (void *)(intptr_t)count_open_fds();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(count_open_fds(), (int)(intptr_t)*state);
	assert_no_children();
	return 0;
}

/* N messages there and back through ch in this process (both roles). */
static void send_recv(struct channel *ch)
{
	char buf[64];

	for (int i = 0; i < N; i++) {
		assert_int_equal(channel_send(ch, "0123456789", 10, 1000), 0);
		assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 10);
	}
}

static void test_stream_charges_each_call(void **state)
{
	static const enum channel_kind kinds[] = { CH_PIPE, CH_UNIX, CH_PIPE_BATCHED, CH_SHM };
	struct channel_opts o = { .senders = 1,
				  .receivers = 1,
				  .call_ns = { .send = 3000, .recv = 5000 } };
	char err[200];

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		struct channel *ch = channel_create(kinds[k], &o, err, sizeof(err));
		struct channel_charges c;

		assert_non_null(ch);
		send_recv(ch);
		channel_charges(ch, &c);
		assert_int_equal(c.calls[CH_CALL_SEND], N);
		assert_int_equal(c.calls[CH_CALL_RECV], N);
		assert_int_equal(c.ticks[CH_CALL_SEND], 3 * N);
		assert_int_equal(c.ticks[CH_CALL_RECV], 5 * N);
		assert_int_equal(c.calls[CH_CALL_FEED], 0);
		channel_close(ch);
	}
}

/* put and get in the caller, the feeder once per message it writes. */
static void test_queue_charges_put_feeder_get(void **state)
{
	struct channel_opts o = { .call_ns = { .send = 1000, .feed = 4000, .recv = 2000 } };
	char err[200];
	struct channel *ch = channel_create(CH_QUEUE, &o, err, sizeof(err));
	struct channel_charges c;

	(void)state;
	assert_non_null(ch);
	send_recv(ch);
	assert_int_equal(channel_flush(ch), 0);
	channel_charges(ch, &c);
	assert_int_equal(c.calls[CH_CALL_SEND], N);
	assert_int_equal(c.calls[CH_CALL_FEED], N);
	assert_int_equal(c.calls[CH_CALL_RECV], N);
	assert_int_equal(c.ticks[CH_CALL_SEND], 1 * N);
	assert_int_equal(c.ticks[CH_CALL_FEED], 4 * N);
	assert_int_equal(c.ticks[CH_CALL_RECV], 2 * N);
	channel_close(ch);
}

/* A burst the feeder cannot keep up with (its first message charged
 * 10,000 ticks, some 200 us of real work): the first message after an empty buffer pays feed (the
 * Condition, _feed's outer loop), the ones it finds still draining pay
 * feed_more; every message pays one or the other. Without feed_more every
 * message pays feed (the test above). */
static void test_feeder_draining_pays_feed_more(void **state)
{
	struct channel_opts o = { .call_ns = { .feed = 1e7, .feed_more = 1000 } };
	char err[200], buf[64];
	struct channel *ch = channel_create(CH_QUEUE, &o, err, sizeof(err));
	struct channel_charges c;

	(void)state;
	assert_non_null(ch);
	for (int i = 0; i < N; i++)
		assert_int_equal(channel_send(ch, "0123456789", 10, 1000), 0);
	assert_int_equal(channel_flush(ch), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(channel_recv(ch, buf, sizeof(buf), 10000), 10);
	channel_charges(ch, &c);
	assert_int_equal(c.calls[CH_CALL_FEED] + c.calls[CH_CALL_FEED_MORE], N);
	assert_true(c.calls[CH_CALL_FEED] >= 1);
	assert_true(c.calls[CH_CALL_FEED_MORE] >= 1);
	assert_int_equal(c.ticks[CH_CALL_FEED], 10000 * c.calls[CH_CALL_FEED]);
	assert_int_equal(c.ticks[CH_CALL_FEED_MORE], 1 * c.calls[CH_CALL_FEED_MORE]);
	channel_close(ch);
}

/* Today's models: nothing charged unless asked; less than a tick is one. */
static void test_default_charges_nothing(void **state)
{
	struct channel_opts tiny = { .call_ns = { .send = 1 } };
	char err[200];
	struct channel *ch = channel_create(CH_QUEUE, NULL, err, sizeof(err));
	struct channel_charges c;

	(void)state;
	assert_non_null(ch);
	send_recv(ch);
	channel_charges(ch, &c);
	for (int i = 0; i < CH_NCALLS; i++)
		assert_true(c.calls[i] == 0 && c.ticks[i] == 0);
	channel_close(ch);
	ch = channel_create(CH_PIPE, &tiny, err, sizeof(err));
	assert_non_null(ch);
	send_recv(ch);
	channel_charges(ch, &c);
	assert_int_equal(c.ticks[CH_CALL_SEND], N);
	channel_close(ch);
}

static void test_bad_costs_are_refused(void **state)
{
	const struct channel_call_ns bad[] = { { .send = -1 },
					       { .recv = 0.0 / 0.0 },
					       { .recv = 2e9 } };
	struct channel_opts o = { .call_ns = { .feed = 100 } };
	char err[200] = "";

	(void)state;
	/* a feeder's cost where there is no feeder */
	assert_null(channel_create(CH_PIPE, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "feed"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		o.call_ns = bad[i];
		err[0] = '\0';
		assert_null(channel_create(CH_QUEUE, &o, err, sizeof(err)));
		assert_non_null(strstr(err, "call_ns"));
	}
}

#define GOOD                                                              \
	"# start 1\npy_send_bytes_ns 600.5 ns\npy_recv_bytes_ns 700 ns\n" \
	"py_put_ns 400 ns\npy_feed_ns 3500 ns\npy_get_ns 1300 ns\npy_wall_s 0.1 s\n"

static void test_calibration_parser(void **state)
{
	static const char *const garbage[] = {
		"",
		"garbage\n",
		"py_send_bytes_ns 600 ns\npy_recv_bytes_ns 700 ns\npy_put_ns 400 ns\npy_feed_ns 3500 ns\n",
		GOOD "py_get_ns 1300 ns\n", /* twice */
		"py_send_bytes_ns -5 ns\npy_recv_bytes_ns 700 ns\npy_put_ns 400 ns\n"
		"py_feed_ns 3500 ns\npy_get_ns 1300 ns\n", /* negative */
		"py_send_bytes_ns nan ns\npy_recv_bytes_ns 700 ns\npy_put_ns 400 ns\n"
		"py_feed_ns 3500 ns\npy_get_ns 1300 ns\n", /* not a number */
		"py_send_bytes_ns 600 us\npy_recv_bytes_ns 700 ns\npy_put_ns 400 ns\n"
		"py_feed_ns 3500 ns\npy_get_ns 1300 ns\n", /* wrong unit */
		"py_send_bytes_ns 6e9 ns\npy_recv_bytes_ns 700 ns\npy_put_ns 400 ns\n"
		"py_feed_ns 3500 ns\npy_get_ns 1300 ns\n", /* absurd */
	};
	struct cpython_call_costs c = { 0 };
	char why[200];

	(void)state;
	assert_int_equal(cpython_parse_costs(GOOD, &c, why, sizeof(why)), 0);
	assert_true(c.send_bytes_ns == 600.5 && c.recv_bytes_ns == 700 && c.put_ns == 400 &&
		    c.feed_ns == 3500 && c.get_ns == 1300);
	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		why[0] = '\0';
		assert_int_equal(cpython_parse_costs(garbage[i], &c, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "calibration"));
	}
}

/* Through the real binary: no interpreter, the charged cases are skipped
 * (status 0) and the run passes. */
static void test_no_python_skips(void **state)
{
	const char *bin = getenv("PARBENCH_BIN");
	static char out[1 << 16];
	char cmd[512];
	size_t n;
	FILE *p;
	int st;

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "PARBENCH_PYTHON=/nonexistent %s --profile quick --reps 1 --filter "
		 "'^ipc-latency/(duplex|queue)-py/' --csv - 2>/dev/null",
		 bin ? bin : "bench/parbench");
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(out, "ipc-latency/duplex-py/"));
	assert_non_null(strstr(out, "ipc-latency/queue-py/"));
	assert_non_null(strstr(out, ",status,0,skipped: python3 not found"));
	assert_null(strstr(out, ",status,0,ok"));
	assert_null(strstr(out, "latency_ns_p50"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_charges_each_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_charges_put_feeder_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feeder_draining_pays_feed_more, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_default_charges_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_costs_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calibration_parser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_python_skips, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
