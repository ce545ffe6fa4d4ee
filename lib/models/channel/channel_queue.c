/* SPDX-License-Identifier: MIT */
/*
 * queue — multiprocessing.Queue (Lib/multiprocessing/queues.py), part for
 * part (3.11; the same in 3.12-3.14): a pipe (_reader/_writer); a writer
 * lock (_wlock) that senders hold while a message goes into the pipe, a
 * reader lock (_rlock) that receivers hold while one comes out (so
 * messages of several processes never interleave); a
 * BoundedSemaphore(maxsize) (_sem, maxsize SEM_VALUE_MAX when unbounded,
 * as Queue(maxsize=0) makes it) that every put takes and every get gives
 * back, which qsize() and full() read; messages framed as Connection's
 * (a 4-byte length, or -1 and 8 bytes past 0x7fffffff); and in each
 * sending process a feeder thread (_feed): put only
 * appends to a local buffer (_buffer), the feeder writes the buffer into
 * the pipe. That is why put does not block on a full pipe, why empty()
 * cannot see what is still buffered in another process, and why a process
 * must flush (close) before it leaves. With opts.call_ns (channel.h) put,
 * get and the feeder's write of each message spend what CPython's Python
 * code there costs. With opts.gil the caller's put/get and the feeder are
 * Python threads of one GIL (channel.h says where each drops it).
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* What all processes share: the locks and the semaphore. */
struct queue_shared {
	pthread_mutex_t rlock, wlock;
	sem_t slots;	  /* maxsize: free places */
	unsigned maxsize; /* SEM_VALUE_MAX when unbounded */
	int broken;	  /* a process died holding a lock mid-message (atomic) */
};

struct qnode {
	struct qnode *next;
	size_t len;
	unsigned char data[];
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

static bool is_broken(const struct queue *q)
{
	return __atomic_load_n(&q->sh->broken, __ATOMIC_ACQUIRE);
}

static int mark_broken(struct queue *q)
{
	__atomic_store_n(&q->sh->broken, 1, __ATOMIC_RELEASE);
	return -ECONNRESET;
}

/* ---- the feeder ---- */

static int write_message(struct queue *q, struct qnode *n)
{
	unsigned char hdr[CHANNEL_HDR_MAX];
	struct iovec iov[2] = { { hdr, channel_conn_header(n->len, hdr) }, { n->data, n->len } };
	struct iovec *v = iov;
	int cnt = n->len ? 2 : 1, rc = ch_mutex_lock(&q->sh->wlock, CH_FOREVER);

	if (rc < 0)
		return rc == -ECONNRESET ? mark_broken(q) : rc;
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
		/* the feeder's Python per message: popleft, dumps, the lock */
		ch_charge_call_gil(q->charge, CH_CALL_FEED, t);
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
static void after_fork(struct queue *q)
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

static int queue_open(struct channel *ch, int role)
{
	struct queue *q = ch->priv;

	if (role < CH_SEND || role > (CH_SEND | CH_RECV))
		return -EINVAL;
	if (q->owner != getpid())
		after_fork(q);
	if (!(role & CH_SEND))
		ch_close_fd(&q->wr);
	if (!(role & CH_RECV))
		ch_close_fd(&q->rd);
	return 0;
}

/* ---- put ---- */

static int queue_send(struct channel *ch, const void *buf, size_t len, uint64_t deadline)
{
	struct queue *q = ch->priv;
	struct qnode *n;
	int rc;

	if (q->wr < 0)
		return -EINVAL;
	if (q->owner != getpid())
		after_fork(q);
	if (is_broken(q))
		return -ECONNRESET;
	if ((rc = ch_sem_take(&q->sh->slots, q->wr, q->charge, deadline)) < 0)
		return rc;
	n = malloc(sizeof(*n) + len);
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

/* ---- get ---- */

/* Read exactly n bytes of a message already started (dst NULL: discard).
 * A sender that dies half-way holds the writer lock: see it as broken. */
static int read_rest(struct queue *q, unsigned char *dst, size_t n)
{
	unsigned char sink[4096];

	while (n > 0) {
		size_t k = dst ? n : (n < sizeof(sink) ? n : sizeof(sink));
		int ev = ch_poll(q->rd, POLLIN, ch_now() + CH_SLICE_NS);
		ssize_t r;

		if (ev == 0) {
			if (ch_mutex_owner_died(&q->sh->wlock))
				return mark_broken(q);
			continue;
		}
		// cppcheck-suppress legacyUninitvar ; sink is written, never read
		r = read(q->rd, dst ? dst : sink, k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return mark_broken(q);
		if (dst)
			dst += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The length (Connection._recv(4), and _recv(8) after a -1): 0, or a
 * negative errno. */
static int get_header(struct queue *q, uint64_t *lenp, uint64_t deadline)
{
	unsigned char len[8];
	ssize_t r;
	int ev;

	int rc;

	if (is_broken(q))
		return -ECONNRESET;
	/* get() without a timeout just reads (as Python's does) */
	ev = deadline == CH_FOREVER ? POLLIN : ch_poll(q->rd, POLLIN, deadline);
	if (ev == 0)
		return -ETIMEDOUT;
	if (ev < 0)
		return ev;
	do
		r = read(q->rd, len, 4);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -EPIPE; /* every sender has gone and the pipe is empty */
	if (r < 0)
		return -errno;
	if (r < 4 && (rc = read_rest(q, len + r, 4 - (size_t)r)) < 0)
		return rc;
	if (channel_conn_short(len) >= 0) {
		*lenp = (uint64_t)channel_conn_short(len);
		return 0;
	}
	rc = read_rest(q, len, 8);
	*lenp = channel_conn_long(len);
	return rc;
}

/* The payload (Connection._recv(size)) and the semaphore's release. */
static ssize_t get_payload(struct queue *q, void *buf, size_t cap, uint64_t len)
{
	int rc = read_rest(q, buf, len < cap ? len : cap);

	if (rc == 0 && len > cap)
		rc = read_rest(q, NULL, len - cap);
	if (rc < 0)
		return rc;
	sem_post(&q->sh->slots);
	return len > cap ? -EMSGSIZE : (ssize_t)len;
}

/* The reader lock: as SemLock.acquire, under the GIL try, then block without. */
static int lock_reader(struct queue *q, struct gil_thread *t, uint64_t deadline)
{
	int rc = t ? ch_mutex_lock(&q->sh->rlock, CH_NOWAIT) : -ETIMEDOUT;

	if (rc == -ETIMEDOUT && !(t && deadline == CH_NOWAIT)) {
		if (t)
			gil_drop(t);
		rc = ch_mutex_lock(&q->sh->rlock, deadline);
		if (t)
			gil_take(t);
	}
	return rc == -ECONNRESET ? mark_broken(q) : rc;
}

/* get(block, timeout): the reader lock first (with timeout 0 a busy lock is
 * "Empty", as in Python's get_nowait), then wait for the pipe. Under the
 * GIL each of recv_bytes' two reads runs with it released. */
static ssize_t queue_recv(struct channel *ch, void *buf, size_t cap, uint64_t deadline)
{
	struct queue *q = ch->priv;
	struct gil_thread *t = ch_gil_self(q->charge);
	uint64_t len = 0;
	ssize_t r;
	int rc;

	if (q->rd < 0)
		return -EINVAL;
	if ((rc = lock_reader(q, t, deadline)) < 0)
		return rc;
	if (t)
		gil_drop(t);
	r = get_header(q, &len, deadline);
	if (t)
		gil_take(t);
	if (r == 0 && t && len)
		gil_drop(t); /* the payload's os.read */
	r = r == 0 ? get_payload(q, buf, cap, len) : r;
	if (t && !t->holding)
		gil_take(t);
	pthread_mutex_unlock(&q->sh->rlock);
	return r;
}

static bool queue_empty(struct channel *ch)
{
	struct queue *q = ch->priv;

	return !(ch_poll(q->rd, POLLIN, CH_NOWAIT) > 0);
}

/* maxsize - the semaphore's value (_sem._semlock._get_value()) */
static long queue_qsize(struct channel *ch)
{
	struct queue *q = ch->priv;
	int v = 0;

	sem_getvalue(&q->sh->slots, &v);
	return (long)q->sh->maxsize - v;
}

static bool queue_full(struct channel *ch)
{
	return queue_qsize(ch) >= (long)((struct queue *)ch->priv)->sh->maxsize;
}

static int queue_flush(struct channel *ch)
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

static void queue_close(struct channel *ch)
{
	struct queue *q = ch->priv;
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
		after_fork(q);
	ch_close_fd(&q->rd);
	ch_close_fd(&q->wr);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->drained);
	munmap(q->sh, sizeof(*q->sh));
	free(q);
}

static const struct channel_ops queue_ops = {
	.open = queue_open,
	.send = queue_send,
	.recv = queue_recv,
	.empty = queue_empty,
	.qsize = queue_qsize,
	.full = queue_full,
	.flush = queue_flush,
	.close = queue_close,
};

static int queue_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	struct queue *q = calloc(1, sizeof(*q));
	int fd[2];

	if (!q || !(q->sh = ch_shared_alloc(sizeof(*q->sh)))) {
		ch_err(err, errlen, "queue: out of memory");
		free(q);
		return -ENOMEM;
	}
	if (o->maxsize > (size_t)SEM_VALUE_MAX) {
		ch_err(err, errlen, "queue: maxsize %zu is above SEM_VALUE_MAX (%d)", o->maxsize,
		       SEM_VALUE_MAX);
	} else if (pipe2(fd, O_CLOEXEC) < 0) {
		ch_err(err, errlen, "queue: pipe2: %s", strerror(errno));
	} else {
		q->rd = fd[0];
		q->wr = fd[1];
		q->sh->maxsize = o->maxsize > 0 ? (unsigned)o->maxsize : (unsigned)SEM_VALUE_MAX;
		ch_mutex_init(&q->sh->rlock);
		ch_mutex_init(&q->sh->wlock);
		sem_init(&q->sh->slots, 1, q->sh->maxsize);
		q->owner = -1;
		q->charge = &ch->charge;
		after_fork(q); /* initialises the feeder state for this process */
		ch->priv = q;
		ch->ops = &queue_ops;
		return 0;
	}
	munmap(q->sh, sizeof(*q->sh));
	free(q);
	return -EINVAL;
}

const struct ch_kind ch_kind_queue = { .name = "queue",
				       .conn_framed = true,
				       .create = queue_create };
