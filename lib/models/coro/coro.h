/* SPDX-License-Identifier: MIT */
/*
 * coro — coroutines on an event loop in one thread: many tasks, one thread,
 * a switch only where a task would block (a sleep, an fd that is not ready,
 * an explicit yield). It models what the tutorial calls greenlet/gevent and
 * what today's standard library calls asyncio: BaseEventLoop._run_once in
 * Lib/asyncio/base_events.py (the ready queue, the timer heap ordered by
 * deadline, the selector wait bounded by the next timer, the slow-callback
 * check of debug mode) and TimerHandle in Lib/asyncio/events.py.
 *
 * The tasks are stack-switching coroutines (ucontext), not state machines:
 * a task is an ordinary C function that calls coro_sleep_ns() in the middle
 * of its own code and continues there, as a greenlet does (gevent is built
 * on greenlet's stack switching). asyncio's coroutines are generators, that
 * is compiler-made state machines; their switch costs a frame resume, not a
 * stack switch. The switch experiment measures this model's switch, so it
 * says which kind it measured (and that glibc's swapcontext also saves the
 * signal mask with a system call, which greenlet's hand-written switch
 * does not).
 *
 * Nothing preempts a task: one that computes without yielding holds the
 * whole loop (the same lesson as the GIL, for a different reason). The loop
 * counts steps slower than opts.slow_step_ms (asyncio's
 * slow_callback_duration, 0.1 s) and, with opts.stuck_exit_ms, a watchdog
 * thread ends the process with CORO_EXIT_STUCK when one step runs longer
 * (as faulthandler.dump_traceback_later(timeout, exit=True) does).
 *
 * CPython versions: see coro_loop.c's opening comment.
 */
#ifndef PB_CORO_H
#define PB_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORO_EXIT_STUCK 70 /* the watchdog's exit status */

struct coro_loop;
typedef void (*coro_fn)(struct coro_loop *loop, void *arg);

struct coro_opts {
	size_t stack_bytes;   /* per task; 0: 64 KiB (more under sanitizers) */
	double slow_step_ms;  /* count steps longer than this; 0: not timed */
	double stuck_exit_ms; /* > 0: a step longer than this ends the process */
};

struct coro_stats {
	uint64_t switches;   /* loop -> task and task -> loop, each counted */
	uint64_t steps;	     /* times a task was resumed */
	uint64_t slow_steps; /* steps over slow_step_ms */
	double worst_step_ms;
	int peak_tasks; /* most tasks alive at once */
	uint64_t polls; /* selects without a wait (timeout 0): a task was ready or a timer due */
};

/* A loop (opts may be NULL). NULL with errno on failure. */
struct coro_loop *coro_loop_new(const struct coro_opts *opts);
/* A new task that starts at the next step of the loop (from the loop's
 * thread: outside coro_run or from a task). 0 or -errno. */
int coro_spawn(struct coro_loop *loop, coro_fn fn, void *arg);
/* Run until every task has returned: 0, or -EDEADLK when tasks are left
 * that nothing can wake (no timer, no fd). */
int coro_run(struct coro_loop *loop);
/* Free the loop; tasks that never finished are freed with it. */
void coro_loop_free(struct coro_loop *loop);
int coro_live_tasks(const struct coro_loop *loop);
void coro_get_stats(const struct coro_loop *loop, struct coro_stats *out);

/* ---- inside a task ---- */
/* Let the others run; back at the end of the ready queue. */
void coro_yield(struct coro_loop *loop);
/* Wait ns with the loop free for others (asyncio.sleep, gevent.sleep). */
void coro_sleep_ns(struct coro_loop *loop, uint64_t ns);
/* Wait until fd is ready for events (EPOLLIN, EPOLLOUT) or timeout_ns
 * passes (UINT64_MAX: no timeout): the ready events, 0 on timeout, or
 * -errno. */
int coro_wait_fd(struct coro_loop *loop, int fd, uint32_t events, uint64_t timeout_ns);

#endif
