/* SPDX-License-Identifier: MIT */
/*
 * queue, the feeder: the sending side of multiprocessing.Queue that runs
 * in a thread of its own (queues.py's _start_thread, _feed, _buffer and
 * join_thread). put appends a copy of the message to a process-local
 * buffer and returns; the feeder thread takes messages from the buffer and
 * writes each into the pipe under the writer lock. Kept apart from put and
 * get (channel_queue.c) because it is a second actor with its own state
 * (the buffer, its mutex and conditions, the thread, its GIL state) and
 * its own lifetime: started by the first put, drained by flush, stopped
 * by close, and started afresh in a forked child.
 */
#include "channel_queue_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

struct qnode {
	struct qnode *next;
	size_t len;
	unsigned char data[];
};

static int write_message(struct queue *q, struct qnode *n)
{
	unsigned char hdr[CHANNEL_HDR_MAX];
	struct iovec iov[2] = { { hdr, channel_conn_header(n->len, hdr) }, { n->data, n->len } };
	struct iovec *v = iov;
	int cnt = n->len ? 2 : 1, rc = ch_mutex_lock(&q->sh->wlock, CH_FOREVER);

	if (rc < 0)
		return rc == -ECONNRESET ? queue_mark_broken(q) : rc;
	while (cnt > 0) {
		ssize_t w = writev(q->wr, v, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = errno == EPIPE ? -EPIPE : -errno;
			break;
		}
		while (cnt > 0 && (size_t)w >= v->iov_len)
			w -= (ssize_t)v->iov_len, v++, cnt--;
		if (cnt > 0)
			v->iov_base = (char *)v->iov_base + w, v->iov_len -= (size_t)w;
	}
	pthread_mutex_unlock(&q->sh->wlock);
	return rc;
}

/* opts.gil: the feeder's take, counted. It never waits for the GIL while it
 * holds q->mu (a caller holding the GIL may be waiting for q->mu in put). */
static void feeder_take(struct queue *q)
{
	uint64_t waited = q->ft.wait_ns;

	gil_take(&q->ft);
	__atomic_add_fetch(&q->charge->gil_takes, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&q->charge->gil_wait_ns, q->ft.wait_ns - waited, __ATOMIC_RELAXED);
}

/* Under the GIL (t), queues.py's _feed: the thread starts holding it,
 * nwait() drops it while the buffer is empty, popleft/dumps run under it,
 * send_bytes' os.write drops it and takes it back. */
static void *feeder(void *arg)
{
	struct queue *q = arg;
	struct gil_thread *t = q->charge->gil ? &q->ft : NULL;
	struct qnode *n;
	bool more = false; /* still draining: _feed's inner loop */
	int rc;

	if (t && gil_thread_init(t, q->charge->gil, -1, 0) == 0)
		feeder_take(q);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (!q->head && t && t->holding) { /* Condition.wait releases it */
			pthread_mutex_unlock(&q->mu);
			gil_drop(t);
			pthread_mutex_lock(&q->mu);
		}
		if (!q->head)
			more = false; /* IndexError: back to the Condition */
		while (!q->head && !q->closing)
			pthread_cond_wait(&q->more, &q->mu);
		if (!q->head)
			break;
		n = q->head;
		q->head = n->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		if (t && !t->holding)
			feeder_take(q);
		/* the feeder's Python per message: popleft, dumps, the lock;
		 * the first after an empty buffer also the Condition's */
		ch_charge_call_gil(q->charge,
				   more && q->charge->per_call[CH_CALL_FEED_MORE] ?
					   CH_CALL_FEED_MORE :
					   CH_CALL_FEED,
				   t);
		more = true;
		if (t)
			gil_drop(t); /* the writer lock and os.write */
		/* after an error the rest is dropped, as Python's feeder does */
		rc = q->error ? 0 : write_message(q, n);
		free(n);
		if (t)
			feeder_take(q);
		pthread_mutex_lock(&q->mu);
		if (rc < 0 && !q->error)
			q->error = rc;
		if (--q->pending == 0)
			pthread_cond_broadcast(&q->drained);
	}
	pthread_mutex_unlock(&q->mu);
	if (t) { /* the thread's end runs under the GIL, then releases it */
		feeder_take(q);
		gil_exit(t);
		gil_thread_free(t);
	}
	return NULL;
}

/* A forked child inherits a copy of the parent's buffer and no feeder
 * thread: start from nothing (the parent sends what it buffered). */
void queue_after_fork(struct queue *q)
{
	while (q->head) {
		struct qnode *n = q->head;

		q->head = n->next;
		free(n);
	}
	q->tail = NULL;
	q->pending = 0;
	q->running = q->closing = false;
	q->error = 0;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->drained, NULL);
	q->owner = getpid();
}

int queue_buffer(struct queue *q, const void *buf, size_t len)
{
	struct qnode *n = malloc(sizeof(*n) + len);
	int rc;

	if (!n)
		return -ENOMEM;
	n->next = NULL;
	n->len = len;
	if (len)
		memcpy(n->data, buf, len);
	pthread_mutex_lock(&q->mu);
	rc = q->error;
	if (rc == 0 && !q->running) {
		rc = -pthread_create(&q->thread, NULL, feeder, q);
		q->running = rc == 0;
	}
	if (rc == 0) {
		*(q->tail ? &q->tail->next : &q->head) = n;
		q->tail = n;
		q->pending++;
		pthread_cond_signal(&q->more);
	}
	pthread_mutex_unlock(&q->mu);
	if (rc < 0)
		free(n);
	return rc;
}

/* join_thread's wait, without ending the thread: a case flushes, then goes on. */
int queue_flush(struct channel *ch)
{
	struct queue *q = ch->priv;
	int rc;

	struct gil_thread *t = ch_gil_self(q->charge);

	if (q->owner != getpid())
		return 0;
	if (t)
		gil_drop(t); /* join_thread: the GIL is released while it waits */
	pthread_mutex_lock(&q->mu);
	while (q->pending > 0)
		pthread_cond_wait(&q->drained, &q->mu);
	rc = q->error;
	pthread_mutex_unlock(&q->mu);
	if (t)
		gil_take(t);
	return rc;
}

void queue_feed_close(struct queue *q)
{
	struct gil_thread *t = ch_gil_self(q->charge);

	if (q->owner == getpid() && q->running) {
		pthread_mutex_lock(&q->mu);
		q->closing = true;
		pthread_cond_signal(&q->more);
		pthread_mutex_unlock(&q->mu);
		if (t)
			gil_drop(t);	       /* Thread.join releases the GIL */
		pthread_join(q->thread, NULL); /* writes out what is buffered */
		if (t)
			gil_take(t);
	}
	if (q->owner != getpid())
		queue_after_fork(q); /* frees an inherited buffer */
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->drained);
}
