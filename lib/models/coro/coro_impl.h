/* SPDX-License-Identifier: MIT */
/*
 * coro_impl — the insides of lib/models/coro, not for bench/: the task and
 * loop structs, the switch (coro.c) and the scheduler (coro_loop.c).
 *
 * CPython versions: see coro_loop.c's opening comment.
 */
#ifndef PB_CORO_IMPL_H
#define PB_CORO_IMPL_H

#include <pthread.h>
#include <ucontext.h>

#include "coro.h"

enum coro_state { CT_READY, CT_RUNNING, CT_WAITING, CT_DONE };

struct coro_task {
	ucontext_t ctx;
	coro_fn fn;
	void *arg;
	enum coro_state state;
	void *map; /* the stack mapping, guard page first */
	size_t map_len;
	struct coro_task *next;		       /* the ready queue */
	struct coro_task *all_next, *all_prev; /* every live task, to free what never finished */
	uint64_t deadline;		       /* CLOCK_MONOTONIC ns while in the timer heap */
	uint64_t seq;	  /* the heap's tie-break: FIFO among equal deadlines */
	int heap_idx;	  /* -1: not in the heap */
	int wait_fd;	  /* -1: not in epoll */
	uint32_t revents; /* what woke it from coro_wait_fd (0: the timer) */
	void *san_fake;	  /* ASan's fake stack while switched out */
	void *san_fiber;  /* TSan's fiber */
};

struct coro_loop {
	struct coro_opts o;
	ucontext_t main;
	struct coro_task *cur;
	struct coro_task *ready_head, *ready_tail;
	struct coro_task *all;
	struct coro_task **heap; /* timers: min-heap by (deadline, seq) */
	int nheap, heap_cap;
	uint64_t seq;
	int epfd, nfd_waiters;
	int live;
	struct coro_stats st;
	/* the switch's sanitizer bookkeeping for the loop's own stack */
	const void *san_main_bottom;
	size_t san_main_size;
	void *san_main_fake;
	void *san_main_fiber;
	/* the watchdog (stuck_exit_ms > 0) */
	pthread_t wd;
	bool wd_running;
	uint64_t step_start; /* atomic: ns when the running step began, 0: none */
	int wd_stop;	     /* atomic */
};

/* coro.c: the switch */
int coro_task_new(struct coro_loop *l, coro_fn fn, void *arg, struct coro_task **out);
void coro_task_free(struct coro_task *t);
/* From the loop: run t until it yields or ends. */
void coro_resume(struct coro_loop *l, struct coro_task *t);
/* From the running task: back to the loop. */
void coro_suspend(struct coro_loop *l);

/* coro_loop.c: the scheduler */
void coro_ready(struct coro_loop *l, struct coro_task *t);
uint64_t coro_now_ns(void);

#endif
