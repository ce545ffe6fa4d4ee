/* SPDX-License-Identifier: MIT */
/*
 * gil — CPython's global interpreter lock, modelled part for part on
 * Python/ceval_gil.c (3.12; the same algorithm lives in ceval_gil.h from
 * 3.2 to 3.11 and in ceval_gil.c up to 3.14). Read the two side by side:
 *
 *   here                         CPython
 *   ---------------------------  -------------------------------------------
 *   struct gil                   struct _gil_runtime_state (+ the
 *                                interpreter's gil_drop_request)
 *     interval_us                  gil->interval, sys.setswitchinterval()
 *     locked                       gil->locked
 *     last_holder                  gil->last_holder
 *     switch_number                gil->switch_number
 *     mutex, cond                  gil->mutex, gil->cond
 *     switch_mutex, switch_cond    gil->switch_mutex, gil->switch_cond
 *                                  (#ifdef FORCE_SWITCHING, always defined)
 *     drop_request                 ceval->gil_drop_request, folded into
 *                                  eval_breaker (3.13+: a bit of the
 *                                  holder's own eval_breaker)
 *     enabled                      gil->enabled (free-threaded 3.13+)
 *   struct gil_thread            PyThreadState (what the GIL sees of it)
 *   gil_init / gil_destroy       create_gil / destroy_gil
 *   take_gil()                   take_gil()
 *   drop_gil()                   drop_gil() (final == final_release)
 *   gil_yield()                  the "GIL drop request" block of
 *                                _Py_HandlePending (eval_frame_handle_pending)
 *   gil_poll(), gil_compute()    the eval breaker check on every back-edge
 *                                (CHECK_EVAL_BREAKER in bytecodes.c)
 *   gil_take / gil_drop          PyEval_RestoreThread / PyEval_SaveThread,
 *                                i.e. Py_END_ / Py_BEGIN_ALLOW_THREADS
 *   gil_exit                     PyThreadState_DeleteCurrent's last release
 *   gil_read/write/sleep_ns      os.read, os.write, time.sleep: the GIL is
 *                                released around the system call
 *   gil_sendall/gil_recv         socket.sendall, socket.recv (sock_call_ex:
 *                                Py_BEGIN_ALLOW_THREADS around each call)
 *   gil_compute_nopoll           a long C call that never checks the eval
 *                                breaker (only when it returns)
 *   gil_compute_released         C code between Py_BEGIN_/END_ALLOW_THREADS
 *                                (hashlib, zlib on large buffers)
 *
 * What is left out: pending calls, signals, async exceptions and GC share
 * the eval breaker in CPython; they do not change how the GIL switches.
 * Finalisation (daemon threads that must exit) is not modelled: parbench's
 * threads always finish their work. CPython's Py_FatalError on a failed
 * pthread call is fatal() here.
 *
 * Memory order: like CPython, locked, last_holder, drop_request and
 * interval are relaxed atomics; the happens-before edges that make the GIL
 * a lock come from mutex (every take and drop passes through it), so data
 * that only the holder touches needs no further synchronisation.
 *
 * CPython versions: follows 3.11's Python/ceval_gil.h and 3.12's ceval_gil.c
 * (the same take_gil/drop_gil). 3.12: one GIL per interpreter (PEP 684), the
 * algorithm unchanged. 3.13: the drop request is a bit of the holder's own
 * eval_breaker, and the free-threaded build (PEP 703) may run without a GIL
 * (gil->enabled here). 3.14: the free-threaded build is supported (PEP 779);
 * take_gil/drop_gil not re-read line by line for this note.
 */
#include "gil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "workload.h"

#define relaxed memory_order_relaxed

/* _Py_tss_tstate: the thread's current state (gil_current). */
static _Thread_local struct gil_thread *current;

/* Py_FatalError: a pthread call on the GIL's own objects failed, so the
 * process cannot go on with a GIL it can no longer trust. */
static void __attribute__((noreturn)) fatal(const char *call, int err)
{
	fprintf(stderr, "parbench: gil: %s: %s\n", call, strerror(err));
	abort();
}

#define CHECK(call)                         \
	do {                                \
		int err_ = (call);          \
		if (err_)                   \
			fatal(#call, err_); \
	} while (0)

/* ---- create_gil / destroy_gil ---- */

static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int err = pthread_condattr_init(&a);

	if (err)
		return err;
	/* The timed wait must not jump when someone sets the wall clock. */
	err = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return err;
}

int gil_init(struct gil *g, unsigned long interval_us, bool enabled)
{
	int err;

	memset(g, 0, sizeof(*g));
#ifdef PB_FAULT_HOOKS /* a test build's planted fault, which the fidelity table must catch */
	if (getenv("PB_FAULT_GIL") && strcmp(getenv("PB_FAULT_GIL"), "off") == 0)
		enabled = false; /* threads-gil without the GIL */
	if (getenv("PB_FAULT_GIL") && strcmp(getenv("PB_FAULT_GIL"), "no-interval") == 0)
		interval_us = 0; /* a waiter asks for the GIL at once: the interval ignored */
#endif
	atomic_init(&g->interval_us, interval_us);
	atomic_init(&g->locked, 0);
	atomic_init(&g->last_holder, NULL);
	atomic_init(&g->drop_request, 0);
	g->enabled = enabled;
	if ((err = pthread_mutex_init(&g->mutex, NULL)))
		return err;
	if ((err = cond_init_monotonic(&g->cond)))
		goto no_cond;
	if ((err = pthread_mutex_init(&g->switch_mutex, NULL)))
		goto no_switch_mutex;
	if ((err = cond_init_monotonic(&g->switch_cond)))
		goto no_switch_cond;
	return 0;
no_switch_cond:
	pthread_mutex_destroy(&g->switch_mutex);
no_switch_mutex:
	pthread_cond_destroy(&g->cond);
no_cond:
	pthread_mutex_destroy(&g->mutex);
	return err;
}

int gil_destroy(struct gil *g)
{
	if (atomic_load_explicit(&g->locked, relaxed))
		return EBUSY;
	/* CPython destroys the cond before its mutex: some implementations
	 * tie them together. */
	CHECK(pthread_cond_destroy(&g->cond));
	CHECK(pthread_mutex_destroy(&g->mutex));
	CHECK(pthread_cond_destroy(&g->switch_cond));
	CHECK(pthread_mutex_destroy(&g->switch_mutex));
	return 0;
}

void gil_set_interval(struct gil *g, unsigned long interval_us)
{
	atomic_store_explicit(&g->interval_us, interval_us, relaxed);
}

unsigned long gil_interval(struct gil *g)
{
	return atomic_load_explicit(&g->interval_us, relaxed);
}

unsigned long gil_switches(struct gil *g)
{
	unsigned long n;

	CHECK(pthread_mutex_lock(&g->mutex));
	n = g->switch_number;
	CHECK(pthread_mutex_unlock(&g->mutex));
	return n;
}

struct gil_thread *gil_holder(struct gil *g)
{
	struct gil_thread *h = NULL;

	CHECK(pthread_mutex_lock(&g->mutex));
	if (atomic_load_explicit(&g->locked, relaxed))
		h = atomic_load_explicit(&g->last_holder, relaxed);
	CHECK(pthread_mutex_unlock(&g->mutex));
	return h;
}

int gil_thread_init(struct gil_thread *t, struct gil *g, int id, size_t slice_cap)
{
	memset(t, 0, sizeof(*t));
	t->gil = g;
	t->id = id;
	if (slice_cap > 0) {
		t->slice_ns = calloc(slice_cap, sizeof(*t->slice_ns));
		if (!t->slice_ns)
			return ENOMEM;
		t->slice_cap = slice_cap;
	}
	return 0;
}

void gil_thread_free(struct gil_thread *t)
{
	if (current == t)
		current = NULL;
	free(t->slice_ns);
	t->slice_ns = NULL;
	t->slice_cap = t->nslices = 0;
}

/* ---- take_gil ---- */

/* COND_TIMED_WAIT: true when the wait timed out. The timeout is relative
 * and fresh on every call, as in CPython (PyCOND_TIMEDWAIT). */
static bool cond_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, unsigned long us)
{
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(us / 1000000);
	ts.tv_nsec += (long)(us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	err = pthread_cond_timedwait(c, m, &ts);
	if (err && err != ETIMEDOUT)
		fatal("pthread_cond_timedwait", err);
	return err == ETIMEDOUT;
}

/* Wait, an interval at a time, while another thread holds the GIL. After
 * an interval in which nobody took it (switch_number unchanged), ask the
 * holder to drop it: that is what makes the switch interval a period. */
static void wait_while_locked(struct gil *g, struct gil_thread *t)
{
	while (atomic_load_explicit(&g->locked, relaxed)) {
		unsigned long saved_switchnum = g->switch_number;
		unsigned long interval = gil_interval(g);
		bool timed_out = cond_timed_wait(&g->cond, &g->mutex, interval >= 1 ? interval : 1);

		if (timed_out && atomic_load_explicit(&g->locked, relaxed) &&
		    g->switch_number == saved_switchnum) {
			atomic_store_explicit(&g->drop_request, 1,
					      relaxed); /* SET_GIL_DROP_REQUEST */
			t->drop_requests++;
		}
	}
}

static void take_gil(struct gil_thread *t)
{
	struct gil *g = t->gil;
	int saved_errno = errno; /* take_gil saves errno: callers report the IO call's */
	uint64_t t0 = clock_now_ns(), now;

	CHECK(pthread_mutex_lock(&g->mutex));
	if (atomic_load_explicit(&g->locked, relaxed)) /* else the fast path: free, take it */
		wait_while_locked(g, t);
	/* "This mutex must be taken before modifying gil->last_holder: see
	 * drop_gil()" — a releaser checks last_holder under switch_mutex. */
	CHECK(pthread_mutex_lock(&g->switch_mutex));
	atomic_store_explicit(&g->locked, 1, relaxed); /* we now hold the GIL */
	if (atomic_load_explicit(&g->last_holder, relaxed) != t) {
		atomic_store_explicit(&g->last_holder, t, relaxed);
		++g->switch_number;
		t->switches_in++;
	}
	CHECK(pthread_cond_signal(&g->switch_cond)); /* wake a forced releaser */
	CHECK(pthread_mutex_unlock(&g->switch_mutex));
	if (atomic_load_explicit(&g->drop_request, relaxed)) /* RESET_GIL_DROP_REQUEST */
		atomic_store_explicit(&g->drop_request, 0, relaxed);
	CHECK(pthread_mutex_unlock(&g->mutex));
	now = clock_now_ns();
	t->acquisitions++;
	t->wait_ns += now - t0;
	t->taken_ns = now;
	errno = saved_errno;
}

/* ---- drop_gil ---- */

static void drop_gil(struct gil_thread *t, bool final)
{
	struct gil *g = t->gil;

	if (!atomic_load_explicit(&g->locked, relaxed))
		fatal("drop_gil", EPERM); /* "drop_gil: GIL is not locked" */
	t->hold_ns += clock_now_ns() - t->taken_ns;
	if (!final)
		atomic_store_explicit(&g->last_holder, t, relaxed);
	/* Release it and wake ONE waiter: no broadcast, no queue. Whoever
	 * the OS runs first among the waiters (or a thread arriving now on
	 * the fast path) gets it. */
	CHECK(pthread_mutex_lock(&g->mutex));
	atomic_store_explicit(&g->locked, 0, relaxed);
	CHECK(pthread_cond_signal(&g->cond));
	CHECK(pthread_mutex_unlock(&g->mutex));
	/* FORCE_SWITCHING: if a waiter asked for the GIL, do not come back
	 * for it before the waiter has had it. On a multicore machine the
	 * releaser is still running and would otherwise win the race to
	 * re-take it, and the waiter's "time slice" would never come. */
	if (final || !atomic_load_explicit(&g->drop_request, relaxed))
		return;
	CHECK(pthread_mutex_lock(&g->switch_mutex));
	if (atomic_load_explicit(&g->last_holder, relaxed) == t) { /* not switched yet */
		atomic_store_explicit(&g->drop_request, 0, relaxed);
		/* One wait, as in CPython: take_gil signals switch_cond after
		 * changing last_holder, and pthread_cond_wait releases
		 * switch_mutex atomically, so the signal cannot be missed. */
		CHECK(pthread_cond_wait(&g->switch_cond, &g->switch_mutex));
	}
	CHECK(pthread_mutex_unlock(&g->switch_mutex));
}

/* ---- what threads call ---- */

struct gil_thread *gil_current(void)
{
	return current;
}

void gil_take(struct gil_thread *t)
{
	if (t->gil->enabled)
		take_gil(t);
	t->holding = true;
	current = t;
}

void gil_drop(struct gil_thread *t)
{
	t->holding = false;
	if (t->gil->enabled)
		drop_gil(t, false);
}

void gil_exit(struct gil_thread *t)
{
	t->holding = false;
	if (current == t)
		current = NULL;
	if (t->gil->enabled)
		drop_gil(t, true);
}

/* _Py_HandlePending: "Give another thread a chance". The slice that ends
 * here is the holder's time slice, recorded for the experiments. */
void gil_yield(struct gil_thread *t)
{
	if (!t->gil->enabled)
		return;
	if (t->nslices < t->slice_cap)
		t->slice_ns[t->nslices++] = clock_now_ns() - t->taken_ns;
	t->forced_drops++;
	drop_gil(t, false);
	/* Other threads may run now */
	take_gil(t);
}

/* noinline: one real loop, the same for both models, whose only addition
 * to wl_cpu_ticks is the relaxed load of drop_request after every tick. */
__attribute__((noinline)) uint64_t gil_compute(struct gil_thread *t, uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		x = wl_tick(x);
		gil_poll(t);
	}
	return x;
}

__attribute__((noinline)) uint64_t gil_compute_nopoll(struct gil_thread *t, uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		x = wl_tick(x);
	gil_poll(t); /* the call returns to the eval loop */
	return x;
}

uint64_t gil_compute_released(struct gil_thread *t, uint64_t x, uint64_t n)
{
	gil_drop(t);
	for (uint64_t i = 0; i < n; i++)
		x = wl_tick(x);
	gil_take(t);
	return x;
}

void gil_sleep_ns(struct gil_thread *t, uint64_t ns)
{
	gil_drop(t);
	clock_sleep_ns(ns);
	gil_take(t);
}

ssize_t gil_read(struct gil_thread *t, int fd, void *buf, size_t len)
{
	ssize_t n;

	gil_drop(t);
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	gil_take(t);
	return n;
}

ssize_t gil_write(struct gil_thread *t, int fd, const void *buf, size_t len)
{
	ssize_t n;

	gil_drop(t);
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	gil_take(t);
	return n;
}

/* sock_sendall: each send() in its own drop and take, as sock_call_ex
 * does, and the signals checked between them (nothing to model here). */
ssize_t gil_sendall(struct gil_thread *t, int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n;

		gil_drop(t);
		do
			n = send(fd, p, left, 0);
		while (n < 0 && errno == EINTR);
		gil_take(t);
		if (n < 0)
			return n;
		p += n;
		left -= (size_t)n;
	}
	return (ssize_t)len;
}

ssize_t gil_recv(struct gil_thread *t, int fd, void *buf, size_t len)
{
	ssize_t n;

	gil_drop(t);
	do
		n = recv(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	gil_take(t);
	return n;
}
