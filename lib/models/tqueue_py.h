/* SPDX-License-Identifier: MIT */
/*
 * tqueue_py — queue.Queue as CPython runs it under the GIL (CPython 3.11;
 * the same Lib/queue.py and Lib/threading.py through 3.14, whose
 * threading.Lock is a PyMutex from 3.13 — parked, not a semaphore — with
 * the same rule: a non-blocking try under the GIL, else wait without it).
 *
 * tqueue.c is the queue's data structure with pthread's own lock; this is
 * what a Python thread pays around it: the queue's mutex is a
 * threading.Lock (lib/models/pylock.c), not_empty and not_full are
 * threading.Conditions on it (a deque of waiter locks), every blocking
 * acquire drops the GIL for the wait and takes it back after, and the
 * interpreter's work of put and get runs under the GIL (gil_compute), the
 * part inside `with self.not_full:` holding the mutex.
 *
 * Only the thread holding the GIL touches the queue's fields (as in
 * CPython): use it with an enabled GIL only.
 */
#ifndef PB_TQUEUE_PY_H
#define PB_TQUEUE_PY_H

#include <stddef.h>
#include <stdint.h>

#include "gil.h"
#include "pylock.h"

/* A Condition's waiter: the lock `wait` allocates, acquires, appends and
 * acquires again (CPython allocates one per wait; a thread keeps one). */
struct tqpy_waiter {
	struct pylock lock;
	struct tqpy_waiter *next;
};

/* threading.Condition(self.mutex): its deque of waiters. */
struct tqpy_cond {
	struct tqpy_waiter *head, *tail;
};

/* The interpreter's work, in ticks (wl_tick): of one call outside the
 * mutex (the call, the `with` statement) and inside it (the body: the
 * checks, _put/_get, unfinished_tasks, a notify with nobody waiting); of a
 * Condition.wait before it blocks (the waiter made, acquired, appended,
 * the mutex released), and of a notify that releases a waiter. */
struct tqpy_costs {
	uint64_t put_out, put_in, get_out, get_in, wait, notify;
};

struct tqueue_py {
	struct pylock mutex; /* Queue.mutex, a threading.Lock */
	struct tqpy_cond not_empty, not_full;
	size_t maxsize; /* 0: unbounded */
	void **ring;
	size_t cap, head, n;
	struct tqpy_costs costs;
	uint64_t x;	/* the interpreter's work's value, kept */
	uint64_t waits; /* Condition.wait calls (blocked puts and gets) */
	/* takes of the GIL inside put/get, and, of the blocked gets, how many
	 * held the GIL when they took their item (all of them: CPython's
	 * wait returns with the GIL) */
	uint64_t gil_takes, gets_after_wait, gets_with_gil;
};

/* 0 or a negative errno. */
int tqpy_init(struct tqueue_py *q, size_t maxsize, struct tqpy_costs costs);
void tqpy_destroy(struct tqueue_py *q);
/* Queue.put(item) / Queue.get() with block=True, no timeout, called by a
 * thread holding t's GIL; w is the calling thread's waiter (tqpy_waiter_init).
 * 0, or -ENOMEM when the ring cannot grow. */
int tqpy_waiter_init(struct tqpy_waiter *w);
void tqpy_waiter_destroy(struct tqpy_waiter *w);
int tqpy_put(struct tqueue_py *q, struct gil_thread *t, struct tqpy_waiter *w, void *item);
void *tqpy_get(struct tqueue_py *q, struct gil_thread *t, struct tqpy_waiter *w);

#endif
