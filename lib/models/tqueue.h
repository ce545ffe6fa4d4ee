/* SPDX-License-Identifier: MIT */
/*
 * tqueue — a queue between threads of one process: queue.Queue, LifoQueue
 * and PriorityQueue of Lib/queue.py, in C. The same design: one mutex, the
 * conditions not_empty, not_full and all_tasks_done on it, a maxsize that
 * makes put wait (0: unbounded), and unfinished_tasks for task_done/join.
 * Items are pointers (Python's queue holds references, it copies nothing).
 *
 * Python's exceptions are negative errno values here:
 *   put: -EAGAIN  Full (block=False / put_nowait)    -ETIMEDOUT  Full after timeout
 *   get: -EAGAIN  Empty (block=False / get_nowait)   -ETIMEDOUT  Empty after timeout
 *   task_done: -EINVAL  "task_done() called too many times" (ValueError)
 * timeout_ms: -1 waits for ever, 0 does not wait, > 0 milliseconds.
 *
 * CPython versions: see tqueue.c's opening comment.
 */
#ifndef PB_TQUEUE_H
#define PB_TQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tqueue_kind { TQ_FIFO, TQ_LIFO, TQ_PRIORITY };

struct tq_slot {
	int64_t priority; /* PriorityQueue: lowest first; ties in put order */
	uint64_t seq;
	void *item;
};

struct tqueue {
	pthread_mutex_t mutex;
	pthread_cond_t not_empty, not_full, all_tasks_done;
	enum tqueue_kind kind;
	size_t maxsize;
	size_t unfinished; /* put minus task_done */
	struct tq_slot *slots;
	size_t cap, head, n; /* FIFO: a ring from head; LIFO: a stack; PRIORITY: a heap */
	uint64_t seq;
};

int tqueue_init(struct tqueue *q, enum tqueue_kind kind, size_t maxsize);
void tqueue_destroy(struct tqueue *q);
/* priority matters for TQ_PRIORITY only. */
int tqueue_put(struct tqueue *q, void *item, int64_t priority, int timeout_ms);
int tqueue_get(struct tqueue *q, void **item, int timeout_ms);
size_t tqueue_qsize(struct tqueue *q);
bool tqueue_empty(struct tqueue *q);
bool tqueue_full(struct tqueue *q);
int tqueue_task_done(struct tqueue *q);
/* Wait until every item put has had its task_done: 0, or -ETIMEDOUT
 * (Python's join has no timeout; a test must never hang). */
int tqueue_join(struct tqueue *q, int timeout_ms);
const char *tqueue_kind_name(enum tqueue_kind k);

#endif
