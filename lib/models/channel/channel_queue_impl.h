/* SPDX-License-Identifier: MIT */
/*
 * channel_queue_impl — what the queue kind's two files share: the state
 * all processes share, a process's handle, and the calls that put, flush
 * and close (channel_queue.c) make into the feeder (channel_queue_feed.c).
 * Not for any other file; channel_queue.c's opening comment says what the
 * kind models.
 */
#ifndef PB_CHANNEL_QUEUE_IMPL_H
#define PB_CHANNEL_QUEUE_IMPL_H

#include "channel_impl.h"

#include <errno.h>

/* What all processes share: the locks and the semaphore. */
struct queue_shared {
	pthread_mutex_t rlock, wlock;
	sem_t slots;	  /* maxsize: free places */
	unsigned maxsize; /* SEM_VALUE_MAX when unbounded */
	int broken;	  /* a process died holding a lock mid-message (atomic) */
};

struct queue {
	struct queue_shared *sh;
	int rd, wr;  /* the pipe's ends this process holds */
	pid_t owner; /* the process the feeder state below belongs to */
	pthread_mutex_t mu;
	pthread_cond_t more, drained;
	struct qnode *head, *tail;
	size_t pending; /* buffered or being written */
	bool running, closing;
	int error; /* the feeder's first write error (-EPIPE, -ECONNRESET) */
	pthread_t thread;
	struct ch_charge *charge; /* the channel's: opts.call_ns.feed, opts.gil */
	struct gil_thread ft;	  /* the feeder's GIL state (opts.gil) */
};

static inline bool queue_is_broken(const struct queue *q)
{
	return __atomic_load_n(&q->sh->broken, __ATOMIC_ACQUIRE);
}

static inline int queue_mark_broken(struct queue *q)
{
	__atomic_store_n(&q->sh->broken, 1, __ATOMIC_RELEASE);
	return -ECONNRESET;
}

/* ---- the feeder (channel_queue_feed.c) ---- */

/* Start this process's feeder state afresh (at create, and in a forked
 * child, which inherits a copy of the parent's buffer and no thread). */
void queue_after_fork(struct queue *q);
/* put's part after the semaphore: append a copy of buf to the buffer,
 * starting the feeder if it is not running; 0 or a negative errno. */
int queue_buffer(struct queue *q, const void *buf, size_t len);
/* Wait until the feeder has written out what this process buffered: its
 * first write error, or 0. */
int queue_flush(struct channel *ch);
/* Stop the feeder (it writes out what is buffered first) and free its state. */
void queue_feed_close(struct queue *q);

#endif
