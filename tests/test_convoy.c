// SPDX-License-Identifier: MIT
/*
 * Tests for the convoy's round trip (lib/models/gil.c gil_sendall and
 * gil_recv, bench/gil/gil_threads.c): as socket.sendall and socket.recv
 * do, each call releases the GIL around its system call, so a round trip
 * has two chances to lose it. Checked by counts and by the order of
 * events, never by time: a thread waiting for the GIL takes it while the
 * IO thread is inside sendall (a send held by a full socket buffer) and
 * inside recv (no answer yet), and the IO thread, taking it back, counts a
 * switch each time. A hang is turned into a failure by alarm().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gil.h"
#include "gil_threads.h"
#include "leakcheck.h"

#define HANG_GUARD_S 60
#define BIG (256 * 1024) /* more than a socketpair buffers */

struct trip {
	struct gil gil;
	struct gil_thread io, other;
	int sv[2];	    /* sv[0]: the IO thread's end */
	atomic_int phase;   /* 1: the IO thread holds the GIL; 2: in sendall; 3: in recv */
	unsigned char *buf; /* BIG bytes to send */
	ssize_t sent, got;
	unsigned long lost_at_send, lost_at_recv; /* switches_in during each call */
};

static void *io_thread(void *arg)
{
	struct trip *s = arg;
	unsigned long before;
	unsigned char b = 0;

	gil_take(&s->io);
	atomic_store(&s->phase, 1);
	before = s->io.switches_in;
	atomic_store(&s->phase, 2);
	s->sent = gil_sendall(&s->io, s->sv[0], s->buf, BIG);
	s->lost_at_send = s->io.switches_in - before;
	before = s->io.switches_in;
	atomic_store(&s->phase, 3);
	s->got = gil_recv(&s->io, s->sv[0], &b, 1);
	s->lost_at_recv = s->io.switches_in - before;
	gil_exit(&s->io);
	return NULL;
}

/* Take the GIL while the IO thread is blocked in the call of phase p (it
 * cannot return before we act: had it kept the GIL, gil_take would hang). */
static void take_while_in(struct trip *s, int p)
{
	while (atomic_load(&s->phase) < p)
		sched_yield();
	gil_take(&s->other);
	assert_ptr_equal(gil_holder(&s->gil), &s->other);
}

static void drain(int fd, size_t len)
{
	static unsigned char sink[4096];

	while (len > 0) {
		ssize_t n = recv(fd, sink, len < sizeof(sink) ? len : sizeof(sink), 0);

		assert_true(n > 0);
		len -= (size_t)n;
	}
}

static void test_two_chances_per_round_trip(void **state)
{
	static struct trip s;
	pthread_t tid;
	unsigned char b = 7;
	int fds = count_open_fds();

	(void)state;
	alarm(HANG_GUARD_S);
	s.buf = calloc(BIG, 1);
	assert_non_null(s.buf);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s.sv), 0);
	assert_int_equal(gil_init(&s.gil, GIL_DEFAULT_INTERVAL_US, true), 0);
	gil_thread_init(&s.io, &s.gil, 0, 0);
	gil_thread_init(&s.other, &s.gil, 1, 0);
	assert_int_equal(pthread_create(&tid, NULL, io_thread, &s), 0);
	/* the send: the buffer fills, the IO thread blocks in send() */
	take_while_in(&s, 2);
	drain(s.sv[1], BIG); /* with the GIL held: the send completes */
	gil_drop(&s.other);
	/* the recv: nothing to read until we answer, holding the GIL */
	take_while_in(&s, 3);
	assert_int_equal(send(s.sv[1], &b, 1, 0), 1);
	gil_exit(&s.other);
	pthread_join(tid, NULL);
	assert_int_equal(s.sent, BIG);
	assert_int_equal(s.got, 1);
	assert_true(s.lost_at_send >= 1); /* the waiting thread won at the send */
	assert_true(s.lost_at_recv >= 1); /* and at the recv */
	/* one take per send() call and one for the recv, after the first */
	assert_true(s.io.acquisitions >= 3);
	assert_int_equal(gil_destroy(&s.gil), 0);
	close(s.sv[0]);
	close(s.sv[1]);
	free(s.buf);
	assert_int_equal(count_open_fds(), fds);
	alarm(0);
}

/* The engine's round trip is sendall then recv on a socketpair: with no
 * CPU thread, two takes of the GIL per round trip (and one at the start),
 * none of them a switch. */
static void test_round_trip_two_calls(void **state)
{
	struct gil_threads_spec spec = {
		.with_gil = true,
		.switch_us = GIL_DEFAULT_INTERVAL_US,
		.round_trips = 7,
		.warmup = 2,
	};
	struct gil_threads_result r;
	int fds = count_open_fds();

	(void)state;
	assert_int_equal(gil_threads_run(&spec, &r), 0);
	assert_int_equal(r.threads[0].acquisitions, 1 + 2 * (7 + 2));
	assert_int_equal(r.threads[0].switches_in, 1); /* the first take only */
	assert_int_equal(r.threads[0].forced_drops, 0);
	assert_int_equal(r.lost_at_send, 0);
	assert_int_equal(r.lost_at_recv, 0);
	gil_threads_result_free(&r);
	assert_no_children();
	assert_int_equal(count_open_fds(), fds);
}

/* The engine counts where the IO thread lost the GIL. An echo slower than
 * a switch interval leaves the recv blocked long enough for the CPU thread
 * to be scheduled and take the GIL in every round trip: each recorded one
 * is lost at the recv (the send's chance is a race: not asserted), and the
 * warm-up round trips are not counted. */
static void test_losses_counted_per_chance(void **state)
{
	struct gil_threads_spec spec = {
		.with_gil = true,
		.switch_us = GIL_DEFAULT_INTERVAL_US,
		.cpu_threads = 1,
		.round_trips = 4,
		.warmup = 2,
		.echo_ns = 6ull * GIL_DEFAULT_INTERVAL_US * 1000,
	};
	struct gil_threads_result r;

	(void)state;
	alarm(HANG_GUARD_S);
	assert_int_equal(gil_threads_run(&spec, &r), 0);
	assert_int_equal(r.lost_at_recv, 4);
	assert_in_range(r.lost_at_send, 0, 4);
	/* each loss is a switch back to the IO thread, the first take one more */
	assert_true(r.threads[0].switches_in >= 1 + (unsigned long)r.lost_at_recv);
	gil_threads_result_free(&r);
	assert_no_children();
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_chances_per_round_trip),
		cmocka_unit_test(test_round_trip_two_calls),
		cmocka_unit_test(test_losses_counted_per_chance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
