/* SPDX-License-Identifier: MIT */
/*
 * coro_loop — the scheduler: BaseEventLoop._run_once of
 * Lib/asyncio/base_events.py (3.11) in C. Each
 * turn: ask the selector (epoll) for the fds that are ready, with timeout 0
 * when a task is ready (as _run_once's select(0): a task that is always
 * ready never starves one waiting on IO), else up to the next timer; move
 * every timer that is due to the ready queue (the heap is ordered by
 * deadline, then by the order the timers were made; TimerHandle's __lt__
 * compares _when only, and heapq breaks its ties by the heap's shape); then
 * resume the tasks ready at that point, each once, in order.
 * What differs: CPython's selector always holds its self-pipe, so it calls
 * epoll_wait every turn; here a turn with no fd waiter makes no call (a
 * task is ready: nothing to poll; none is: it sleeps to the next timer).
 * CPython versions: follows 3.11's _run_once; 3.12 adds eager task
 * factories (not modelled); 3.13, 3.14: _run_once not re-read line by
 * line for this note.
 */
#include "coro_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

uint64_t coro_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------- ready queue */

void coro_ready(struct coro_loop *l, struct coro_task *t)
{
	t->state = CT_READY;
	t->next = NULL;
	if (l->ready_tail)
		l->ready_tail->next = t;
	else
		l->ready_head = t;
	l->ready_tail = t;
}

static struct coro_task *ready_pop(struct coro_loop *l)
{
	struct coro_task *t = l->ready_head;

	if (t && !(l->ready_head = t->next))
		l->ready_tail = NULL;
	return t;
}

/* ---------------------------------------------------------- timer heap */

static bool heap_less(const struct coro_task *a, const struct coro_task *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct coro_loop *l, int i, struct coro_task *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct coro_loop *l, int i)
{
	struct coro_task *t = l->heap[i];

	while (i > 0 && heap_less(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void heap_down(struct coro_loop *l, int i)
{
	struct coro_task *t = l->heap[i];

	for (;;) {
		int c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && heap_less(l->heap[c + 1], l->heap[c]))
			c++;
		if (!heap_less(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static int heap_push(struct coro_loop *l, struct coro_task *t, uint64_t deadline)
{
	if (l->nheap == l->heap_cap) {
		int cap = l->heap_cap ? 2 * l->heap_cap : 64;
		struct coro_task **h = realloc(l->heap, (size_t)cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h, l->heap_cap = cap;
	}
	t->deadline = deadline;
	t->seq = l->seq++;
	heap_set(l, l->nheap++, t);
	heap_up(l, l->nheap - 1);
	return 0;
}

static void heap_remove(struct coro_loop *l, struct coro_task *t)
{
	int i = t->heap_idx;

	t->heap_idx = -1;
	if (--l->nheap == i)
		return;
	heap_set(l, i, l->heap[l->nheap]);
	heap_up(l, i);
	heap_down(l, l->heap[i]->heap_idx);
}

/* ---------------------------------------------------------- the waits */

static void fd_forget(struct coro_loop *l, struct coro_task *t)
{
	if (t->wait_fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, t->wait_fd, NULL);
	t->wait_fd = -1;
	l->nfd_waiters--;
}

/* Wake t (from a timer or an fd): out of the other wait, into the queue. */
static void wake(struct coro_loop *l, struct coro_task *t, uint32_t revents)
{
	if (t->heap_idx >= 0)
		heap_remove(l, t);
	fd_forget(l, t);
	t->revents = revents;
	coro_ready(l, t);
}

void coro_yield(struct coro_loop *l)
{
	coro_ready(l, l->cur);
	coro_suspend(l);
}

void coro_sleep_ns(struct coro_loop *l, uint64_t ns)
{
	struct coro_task *t = l->cur;

	if (heap_push(l, t, coro_now_ns() + ns) < 0) {
		/* no memory for the timer: sleep the thread, as a blocking call would */
		struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

		nanosleep(&ts, NULL);
		return;
	}
	t->state = CT_WAITING;
	coro_suspend(l);
}

int coro_wait_fd(struct coro_loop *l, int fd, uint32_t events, uint64_t timeout_ns)
{
	struct coro_task *t = l->cur;
	struct epoll_event ev = { .events = events, .data.ptr = t };

	if (l->epfd < 0 && (l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	t->wait_fd = fd;
	l->nfd_waiters++;
	if (timeout_ns != UINT64_MAX && heap_push(l, t, coro_now_ns() + timeout_ns) < 0) {
		fd_forget(l, t);
		return -ENOMEM;
	}
	t->state = CT_WAITING;
	coro_suspend(l);
	return (int)t->revents;
}

/* ---------------------------------------------------------- the loop */

static void fire_timers(struct coro_loop *l, uint64_t now)
{
	while (l->nheap > 0 && l->heap[0]->deadline <= now)
		wake(l, l->heap[0], 0);
}

/* The turn's select: with a task ready, poll the fds without waiting
 * (select(0)); with none, wait for the next timer or an fd. -EDEADLK when
 * nothing could ever wake a task. */
static int wait_events(struct coro_loop *l)
{
	uint64_t now = coro_now_ns(), next = l->nheap ? l->heap[0]->deadline : UINT64_MAX;
	struct epoll_event ev[64];
	int n, ms;

	if (l->ready_head && l->nfd_waiters == 0)
		return 0;
	if (next == UINT64_MAX && l->nfd_waiters == 0)
		return -EDEADLK;
	if (l->nfd_waiters == 0) {
		struct timespec ts = { (time_t)(next / 1000000000ull),
				       (long)(next % 1000000000ull) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		return 0;
	}
	ms = l->ready_head	? 0 :
	     next == UINT64_MAX ? -1 :
	     next <= now	? 0 :
				  (int)((next - now + 999999) / 1000000);
	n = epoll_wait(l->epfd, ev, 64, ms);
	l->st.polls += ms == 0;
	for (int i = 0; i < n; i++)
		wake(l, ev[i].data.ptr, ev[i].events);
	return n < 0 && errno != EINTR ? -errno : 0;
}

static void step(struct coro_loop *l, struct coro_task *t)
{
	bool timed = l->o.slow_step_ms > 0 || l->wd_running;
	uint64_t t0 = timed ? coro_now_ns() : 0;

	if (l->wd_running)
		__atomic_store_n(&l->step_start, t0, __ATOMIC_RELEASE);
	coro_resume(l, t);
	if (timed) {
		double ms = (double)(coro_now_ns() - t0) / 1e6;

		__atomic_store_n(&l->step_start, 0, __ATOMIC_RELEASE);
		if (ms > l->st.worst_step_ms)
			l->st.worst_step_ms = ms;
		l->st.slow_steps += l->o.slow_step_ms > 0 && ms > l->o.slow_step_ms;
	}
	if (t->state == CT_DONE) {
		if (t->all_prev)
			t->all_prev->all_next = t->all_next;
		else
			l->all = t->all_next;
		if (t->all_next)
			t->all_next->all_prev = t->all_prev;
		l->live--;
		coro_task_free(t);
	}
}

/* The watchdog: a step that has run for stuck_exit_ms ends the process,
 * with a message, instead of hanging it (a task that never yields cannot
 * be stopped from inside its own thread). */
static void *watchdog(void *arg)
{
	struct coro_loop *l = arg;
	uint64_t limit = (uint64_t)(l->o.stuck_exit_ms * 1e6);
	struct timespec tick = { 0, (long)(limit / 4 < 10000000 ? limit / 4 : 10000000) };

	while (!__atomic_load_n(&l->wd_stop, __ATOMIC_ACQUIRE)) {
		uint64_t s = __atomic_load_n(&l->step_start, __ATOMIC_ACQUIRE);

		if (s && coro_now_ns() - s > limit) {
			char msg[160];
			int n = snprintf(msg, sizeof(msg),
					 "coro: a task has run %.0f ms without yielding: stopping "
					 "the process (exit %d)\n",
					 (double)(coro_now_ns() - s) / 1e6, CORO_EXIT_STUCK);

			if (write(2, msg, (size_t)n) < 0) {
				/* nothing more to say */
			}
			_exit(CORO_EXIT_STUCK);
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct coro_loop *coro_loop_new(const struct coro_opts *opts)
{
	struct coro_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (opts)
		l->o = *opts;
	l->epfd = -1;
	return l;
}

int coro_spawn(struct coro_loop *l, coro_fn fn, void *arg)
{
	struct coro_task *t;
	int rc = coro_task_new(l, fn, arg, &t);

	if (rc < 0)
		return rc;
	t->all_next = l->all;
	if (l->all)
		l->all->all_prev = t;
	l->all = t;
	if (++l->live > l->st.peak_tasks)
		l->st.peak_tasks = l->live;
	coro_ready(l, t);
	return 0;
}

/* One turn: due timers, the select (a poll when a task is ready), due
 * timers again, then each task ready at that point, once. */
static int run_once(struct coro_loop *l)
{
	struct coro_task *last;
	int rc = 0;

	fire_timers(l, l->nheap ? coro_now_ns() : 0);
	if ((rc = wait_events(l)) < 0)
		return rc;
	fire_timers(l, l->nheap ? coro_now_ns() : 0);
	last = l->ready_tail;
	for (struct coro_task *t; last && (t = ready_pop(l));) {
		bool end = t == last;

		step(l, t);
		if (end)
			break;
	}
	return 0;
}

int coro_run(struct coro_loop *l)
{
	int rc = 0;

	if (l->o.stuck_exit_ms > 0 && !l->wd_running) {
		__atomic_store_n(&l->wd_stop, 0, __ATOMIC_RELEASE);
		l->wd_running = pthread_create(&l->wd, NULL, watchdog, l) == 0;
	}
	while (l->live > 0 && rc == 0)
		rc = run_once(l);
	if (l->wd_running) {
		__atomic_store_n(&l->wd_stop, 1, __ATOMIC_RELEASE);
		pthread_join(l->wd, NULL);
		l->wd_running = false;
	}
	return rc;
}

void coro_loop_free(struct coro_loop *l)
{
	while (l->all) {
		struct coro_task *t = l->all;

		l->all = t->all_next;
		if (t->wait_fd >= 0)
			fd_forget(l, t);
		coro_task_free(t);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	free(l);
}

int coro_live_tasks(const struct coro_loop *l)
{
	return l->live;
}

void coro_get_stats(const struct coro_loop *l, struct coro_stats *out)
{
	*out = l->st;
}
