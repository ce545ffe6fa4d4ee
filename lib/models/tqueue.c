/* SPDX-License-Identifier: MIT */
/*
 * tqueue — Lib/queue.py's Queue in C (see tqueue.h). put and get follow
 * Queue.put / Queue.get line by line: wait on not_full (not_empty) in a
 * loop until there is room (an item) or the deadline passes, _put (_get),
 * then notify the other condition once. _put/_get are the kind's: a deque
 * for Queue, a list for LifoQueue, heapq for PriorityQueue (with a sequence
 * number so that equal priorities come out in put order).
 *
 * CPython versions: follows 3.11's Lib/queue.py. 3.13 adds Queue.shutdown()
 * and ShutDown, not modelled; PriorityQueue is a heapq in every version (equal
 * priorities in no promised order; here in put order). 3.12 and 3.14: put and
 * get not re-read line by line for this note.
 */
#include "tqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static const char *const kind_names[] = { "fifo", "lifo", "priority" };

const char *tqueue_kind_name(enum tqueue_kind k)
{
	return kind_names[k];
}

int tqueue_init(struct tqueue *q, enum tqueue_kind kind, size_t maxsize)
{
	pthread_condattr_t ca;
	int err;

	*q = (struct tqueue){ .kind = kind, .maxsize = maxsize };
	if ((err = pthread_mutex_init(&q->mutex, NULL)) != 0)
		return -err;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines immune to clock changes */
	pthread_cond_init(&q->not_empty, &ca);
	pthread_cond_init(&q->not_full, &ca);
	pthread_cond_init(&q->all_tasks_done, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void tqueue_destroy(struct tqueue *q)
{
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->all_tasks_done);
	pthread_mutex_destroy(&q->mutex);
	free(q->slots);
	q->slots = NULL;
}

/* ---- the kinds' storage (called with the mutex held) ---- */

static bool slot_less(const struct tq_slot *a, const struct tq_slot *b)
{
	return a->priority < b->priority || (a->priority == b->priority && a->seq < b->seq);
}

static void swap_slots(struct tq_slot *a, struct tq_slot *b)
{
	struct tq_slot t = *a;

	*a = *b;
	*b = t;
}

static int grow(struct tqueue *q)
{
	size_t cap = q->cap ? 2 * q->cap : 64;
	struct tq_slot *s = malloc(cap * sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < q->n; i++) /* unroll the ring: head becomes 0 */
		s[i] = q->slots[q->kind == TQ_FIFO ? (q->head + i) % q->cap : i];
	free(q->slots);
	q->slots = s, q->cap = cap, q->head = 0;
	return 0;
}

static int store(struct tqueue *q, void *item, int64_t priority)
{
	struct tq_slot s = { .priority = priority, .seq = q->seq++, .item = item };
	size_t i;

	if (q->n == q->cap && grow(q) < 0)
		return -ENOMEM;
	if (q->kind == TQ_FIFO) {
		q->slots[(q->head + q->n++) % q->cap] = s;
		return 0;
	}
	q->slots[i = q->n++] = s;
	while (q->kind == TQ_PRIORITY && i > 0 && slot_less(&q->slots[i], &q->slots[(i - 1) / 2])) {
		swap_slots(&q->slots[i], &q->slots[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

static void sift_down(struct tqueue *q)
{
	for (size_t i = 0;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			return;
		if (c + 1 < q->n && slot_less(&q->slots[c + 1], &q->slots[c]))
			c++;
		if (!slot_less(&q->slots[c], &q->slots[i]))
			return;
		swap_slots(&q->slots[c], &q->slots[i]);
		i = c;
	}
}

static void *take(struct tqueue *q)
{
	void *item;

	if (q->kind == TQ_FIFO) {
		item = q->slots[q->head].item;
		q->head = (q->head + 1) % q->cap;
		q->n--;
		return item;
	}
	if (q->kind == TQ_LIFO)
		return q->slots[--q->n].item;
	item = q->slots[0].item;
	q->slots[0] = q->slots[--q->n];
	sift_down(q);
	return item;
}

/* ---- Queue.put / Queue.get ---- */

static void deadline_of(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L)
		ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

/* Wait on cond until done(q) or the timeout: 0, -EAGAIN or -ETIMEDOUT. */
static int wait_until(struct tqueue *q, pthread_cond_t *cond, bool (*done)(struct tqueue *),
		      int timeout_ms)
{
	struct timespec dl;

	if (timeout_ms == 0)
		return done(q) ? 0 : -EAGAIN;
	if (timeout_ms > 0)
		deadline_of(&dl, timeout_ms);
	while (!done(q)) {
		int err = timeout_ms < 0 ? pthread_cond_wait(cond, &q->mutex) :
					   pthread_cond_timedwait(cond, &q->mutex, &dl);

		if (err == ETIMEDOUT && !done(q))
			return -ETIMEDOUT;
	}
	return 0;
}

static bool has_room(struct tqueue *q)
{
	return q->maxsize == 0 || q->n < q->maxsize;
}

static bool has_item(struct tqueue *q)
{
	return q->n > 0;
}

static bool all_done(struct tqueue *q)
{
	return q->unfinished == 0;
}

int tqueue_put(struct tqueue *q, void *item, int64_t priority, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mutex);
	rc = wait_until(q, &q->not_full, has_room, timeout_ms);
	if (rc == 0 && (rc = store(q, item, priority)) == 0) {
		q->unfinished++;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mutex);
	return rc;
}

int tqueue_get(struct tqueue *q, void **item, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mutex);
	rc = wait_until(q, &q->not_empty, has_item, timeout_ms);
	if (rc == 0) {
		*item = take(q);
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mutex);
	return rc;
}

size_t tqueue_qsize(struct tqueue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mutex);
	n = q->n;
	pthread_mutex_unlock(&q->mutex);
	return n;
}

bool tqueue_empty(struct tqueue *q)
{
	return tqueue_qsize(q) == 0;
}

bool tqueue_full(struct tqueue *q)
{
	return q->maxsize > 0 && tqueue_qsize(q) >= q->maxsize;
}

int tqueue_task_done(struct tqueue *q)
{
	int rc = 0;

	pthread_mutex_lock(&q->mutex);
	if (q->unfinished == 0)
		rc = -EINVAL;
	else if (--q->unfinished == 0)
		pthread_cond_broadcast(&q->all_tasks_done);
	pthread_mutex_unlock(&q->mutex);
	return rc;
}

int tqueue_join(struct tqueue *q, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mutex);
	rc = wait_until(q, &q->all_tasks_done, all_done, timeout_ms < 0 ? -1 : timeout_ms);
	pthread_mutex_unlock(&q->mutex);
	return rc == -EAGAIN ? -ETIMEDOUT : rc;
}
