/* SPDX-License-Identifier: MIT */
/*
 * tqueue_py — queue.Queue under the GIL (see tqueue_py.h), read beside
 * CPython 3.11:
 *
 *   here                 CPython
 *   -------------------  ------------------------------------------------
 *   py_acquire           lock.acquire(): acquire_timed (_threadmodule.c),
 *                        a try without releasing the GIL, then the wait
 *                        between Py_BEGIN_ and Py_END_ALLOW_THREADS
 *   cond_wait            Condition.wait: waiter = _allocate_lock();
 *                        waiter.acquire(); _waiters.append(waiter);
 *                        _release_save(); waiter.acquire() (blocks);
 *                        _acquire_restore() — each acquire as above
 *   cond_notify          Condition.notify(): release the first waiter
 *   tqpy_put, tqpy_get   Queue.put, Queue.get (block=True, timeout=None)
 *
 * A get that waited returns from waiter.acquire() only with the GIL taken
 * back, then takes the mutex again, and only then runs _get(): the item
 * is taken by a thread that holds the GIL, as any Python code is.
 */
#include "tqueue_py.h"

#include <errno.h>
#include <stdlib.h>

/* acquire_timed: no GIL release when the lock is free. */
static void py_acquire(struct tqueue_py *q, struct gil_thread *t, struct pylock *l)
{
	if (pylock_acquire(l, 0) == 0)
		return;
	gil_drop(t);
	pylock_acquire(l, -1);
	gil_take(t);
	q->gil_takes++; /* the GIL is ours again: q's fields with it */
}

int tqpy_waiter_init(struct tqpy_waiter *w)
{
	w->next = NULL;
	return pylock_init(&w->lock);
}

void tqpy_waiter_destroy(struct tqpy_waiter *w)
{
	pylock_destroy(&w->lock);
}

/* Condition.wait() on q->mutex, held by the caller with the GIL; returns
 * with both held again. */
static void cond_wait(struct tqueue_py *q, struct tqpy_cond *c, struct gil_thread *t,
		      struct tqpy_waiter *w)
{
	q->x = gil_compute(t, q->x, q->costs.wait); /* wait's own bytecode */
	pylock_acquire(&w->lock, 0);		    /* a fresh waiter is acquired */
	w->next = NULL;
	if (c->tail)
		c->tail->next = w;
	else
		c->head = w;
	c->tail = w;
	q->waits++;
	pylock_release(&q->mutex);   /* _release_save */
	py_acquire(q, t, &w->lock);  /* until notify releases it */
	py_acquire(q, t, &q->mutex); /* _acquire_restore */
}

/* Condition.notify(): wakes the first waiter (its lock released), no GIL
 * release here; the woken thread must take the GIL itself. */
static void cond_notify(struct tqueue_py *q, struct tqpy_cond *c, struct gil_thread *t)
{
	struct tqpy_waiter *w = c->head;

	if (!w)
		return;
	q->x = gil_compute(t, q->x, q->costs.notify); /* the loop over _waiters */
	c->head = w->next;
	if (!c->head)
		c->tail = NULL;
	w->next = NULL;
	pylock_release(&w->lock);
}

int tqpy_init(struct tqueue_py *q, size_t maxsize, struct tqpy_costs costs)
{
	*q = (struct tqueue_py){ .maxsize = maxsize, .costs = costs, .x = 1 };
	return pylock_init(&q->mutex);
}

void tqpy_destroy(struct tqueue_py *q)
{
	pylock_destroy(&q->mutex);
	free(q->ring);
	q->ring = NULL;
}

/* collections.deque's append: a ring that grows. */
static int ring_put(struct tqueue_py *q, void *item)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		void **r = malloc(cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		for (size_t i = 0; i < q->n; i++)
			r[i] = q->ring[(q->head + i) % q->cap];
		free(q->ring);
		q->ring = r, q->cap = cap, q->head = 0;
	}
	q->ring[(q->head + q->n++) % q->cap] = item;
	return 0;
}

static void *ring_get(struct tqueue_py *q)
{
	void *item = q->ring[q->head];

	q->head = (q->head + 1) % q->cap;
	q->n--;
	return item;
}

int tqpy_put(struct tqueue_py *q, struct gil_thread *t, struct tqpy_waiter *w, void *item)
{
	int rc;

	q->x = gil_compute(t, q->x, q->costs.put_out); /* the call, `with` */
	py_acquire(q, t, &q->mutex);
	while (q->maxsize > 0 && q->n >= q->maxsize)
		cond_wait(q, &q->not_full, t, w);
	if ((rc = ring_put(q, item)) == 0)
		cond_notify(q, &q->not_empty, t);
	q->x = gil_compute(t, q->x, q->costs.put_in); /* the body, mutex held */
	pylock_release(&q->mutex);
	return rc;
}

void *tqpy_get(struct tqueue_py *q, struct gil_thread *t, struct tqpy_waiter *w)
{
	bool waited = false;
	void *item;

	q->x = gil_compute(t, q->x, q->costs.get_out);
	py_acquire(q, t, &q->mutex);
	while (q->n == 0) {
		cond_wait(q, &q->not_empty, t, w);
		waited = true;
	}
	if (waited) {
		q->gets_after_wait++;
		q->gets_with_gil += t->holding && gil_holder(t->gil) == t;
	}
	item = ring_get(q);
	cond_notify(q, &q->not_full, t);
	q->x = gil_compute(t, q->x, q->costs.get_in);
	pylock_release(&q->mutex);
	return item;
}
