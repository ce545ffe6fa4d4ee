/* SPDX-License-Identifier: MIT */
/*
 * pool_handlers — two of the pool's three handler threads, as in CPython's
 * Lib/multiprocessing/pool.py: the task handler (Pool._handle_tasks) streams
 * every chunk of every job into the one shared task queue, and the result
 * handler (Pool._handle_results) drains the one shared result queue, fills
 * the jobs' results and runs their callbacks. And the jobs' bookkeeping
 * they share (the cache of CPython's pool). p->mu guards it all.
 *
 * CPython versions: see pool.h's opening comment.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool_impl.h"

/* ------------------------------------------------------------ results */

struct pool_async *pool_job_by_id(struct pool *p, uint32_t id)
{
	for (struct pool_async *j = p->jobs; j; j = j->later)
		if (j->id == id)
			return j;
	return NULL;
}

bool pool_complete(struct pool *p, struct pool_async *job, size_t i, enum pool_status st,
		   const char *data, size_t len)
{
	struct pool_result *r = &job->results[i];

	if (i >= job->n || job->done[i])
		return false;
	r->data = malloc(len + 1);
	if (!r->data) {
		st = POOL_ETASK;
		len = 0;
	} else {
		memcpy(r->data, data, len);
		r->data[len] = '\0';
	}
	r->status = st;
	r->len = len;
	job->done[i] = true;
	job->order[job->ndone++] = i;
	if (st != POOL_OK && job->first_error == job->n)
		job->first_error = i;
	if (p) {
		p->stats.tasks_done++;
		p->stats.tasks_failed += st == POOL_ETASK || st == POOL_EDIED;
	}
	return job->ndone == job->n;
}

/* Python runs callback(result) or error_callback(first exception) in the
 * result handler, then sets the result's event: get returns after it. */
void pool_job_finish(struct pool *p, struct pool_async *job, bool callback)
{
	struct pool_callbacks cb = job->cb;

	if (callback && (cb.callback || cb.error_callback)) {
		pthread_mutex_unlock(&p->mu);
		if (job->first_error == job->n && cb.callback)
			cb.callback(job->results, job->n, cb.arg);
		else if (job->first_error < job->n && cb.error_callback)
			cb.error_callback(&job->results[job->first_error], job->first_error,
					  cb.arg);
		pthread_mutex_lock(&p->mu);
	}
	job->ready = true;
	if (!p->wake_later)
		pthread_cond_broadcast(&p->change);
	if (job->abandoned)
		pool_job_free(job);
}

void pool_fail_range(struct pool *p, struct pool_async *job, size_t start, size_t count,
		     enum pool_status st, const char *why, bool callback)
{
	bool last = false;

	for (size_t i = start; i < start + count && i < job->n; i++)
		last = pool_complete(p, job, i, st, why, strlen(why)) || last;
	if (last)
		pool_job_finish(p, job, callback);
}

void pool_fail_job(struct pool *p, struct pool_async *job, enum pool_status st, const char *why)
{
	job->next = job->n;
	pool_fail_range(p, job, 0, job->n, st, why, false);
}

void pool_fail_all(struct pool *p, enum pool_status st, const char *why)
{
	struct pool_async *job = p->jobs, *later;

	while (p->retries) {
		struct retry *r = p->retries;

		p->retries = r->next;
		free(r);
	}
	for (; job; job = later) {
		later = job->later;
		if (job->ndone < job->n)
			pool_fail_job(p, job, st, why);
	}
	p->cursor = NULL;
}

bool pool_any_job_running(const struct pool *p)
{
	for (const struct pool_async *j = p->jobs; j; j = j->later)
		if (!j->ready)
			return true;
	return false;
}

bool pool_any_worker(const struct pool *p)
{
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			return true;
	return false;
}

void pool_requeue(struct pool *p, struct pool_async *job, size_t start, size_t count)
{
	struct retry *r;

	if (count == 0 || !(r = calloc(1, sizeof(*r))))
		return;
	r->c = (struct chunk){ job, start, count };
	r->next = p->retries;
	p->retries = r;
	pthread_cond_signal(&p->work);
}

/* -------------------------------------------------------- the task handler */

bool pool_work_left(struct pool *p)
{
	while (p->cursor && p->cursor->next == p->cursor->n)
		p->cursor = p->cursor->later;
	return p->retries || p->cursor;
}

/* The next chunk: a dead worker's tasks first, then the oldest job's next
 * chunksize tasks (fewer if their arguments are very large). */
static bool next_chunk(struct pool *p, struct chunk *c)
{
	struct pool_async *job;
	size_t bytes = 0;

	if (!pool_work_left(p))
		return false;
	if (p->retries) {
		struct retry *r = p->retries;

		*c = r->c;
		p->retries = r->next;
		free(r);
		return true;
	}
	job = p->cursor;
	*c = (struct chunk){ .job = job, .start = job->next };
	while (c->count < job->chunksize && job->next < job->n) {
		bytes += job->off[job->next + 1] - job->off[job->next] + 4;
		if (c->count > 0 && bytes > POOL_MAX_FRAME)
			break;
		c->count++;
		job->next++;
	}
	return true;
}

static void put32(char *at, size_t v)
{
	uint32_t u = (uint32_t)v;

	memcpy(at, &u, 4);
}

/* The task message of chunk c into *buf: its length, or 0 (out of memory). */
static size_t build_task(const struct chunk *c, char **buf, size_t *cap)
{
	const struct pool_async *job = c->job;
	size_t need = 4 + TASK_HEADER, pos = need;
	uint64_t start = c->start;

	for (size_t i = c->start; i < c->start + c->count; i++)
		need += 4 + job->off[i + 1] - job->off[i];
	if (!pool_grow(buf, cap, need))
		return 0;
	put32(*buf, need - 4);
	put32(*buf + 4, job->id);
	put32(*buf + 8, (size_t)job->fn);
	memcpy(*buf + 12, &start, 8);
	put32(*buf + 20, c->count);
	for (size_t i = c->start; i < c->start + c->count; i++) {
		size_t alen = job->off[i + 1] - job->off[i];

		put32(*buf + pos, alen);
		memcpy(*buf + pos + 4, job->args + job->off[i], alen);
		pos += 4 + alen;
	}
	return need;
}

/* Wait until fd has events, or the handlers must stop (false). */
static bool wait_fd(struct pool *p, int fd, short events)
{
	struct pollfd f[2] = { { .fd = fd, .events = events },
			       { .fd = p->stop_fd, .events = POLLIN } };

	for (;;) {
		int n = poll(f, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || f[1].revents)
			return false;
		if (f[0].revents)
			return true;
	}
}

/* Write all of buf to the task queue (a pipe: a full one makes the task
 * handler wait, as Python's does); false when told to stop. */
static bool send_all(struct pool *p, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(p->inq[1], buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (!(n < 0 && errno == EINTR) &&
			   !(n < 0 && errno == EAGAIN && wait_fd(p, p->inq[1], POLLOUT))) {
			return false;
		}
	}
	return true;
}

/* Send one message (p->mu held, released while writing; under opts.gil
 * the GIL too: os.write releases it). */
static bool send_unlocked(struct pool *p, struct gil_thread *t, const char *buf, size_t len)
{
	bool ok;

	pthread_mutex_unlock(&p->mu);
	if (t && t->holding)
		gil_drop(t);
	ok = send_all(p, buf, len);
	pthread_mutex_lock(&p->mu);
	return ok;
}

/* opts.gil: the handler's GIL state, taken with p->mu released (never wait
 * for the GIL holding the pool's mutex). True when it took the GIL: then
 * the state may have changed and the caller looks again. */
static bool tasks_gil(struct pool *p, struct gil_thread *t)
{
	bool work = p->sentinels > 0 || pool_work_left(p);

	if (!t || t->holding == work)
		return false;
	pthread_mutex_unlock(&p->mu);
	if (work) /* the Python loop's next step: taskseq from the queue */
		pool_handler_take(p, t, POOL_GIL_TASKS);
	else /* taskqueue.get() blocks with the GIL released */
		gil_drop(t);
	pthread_mutex_lock(&p->mu);
	return true;
}

static void tasks_loop(struct pool *p, struct gil_thread *t)
{
	static const uint32_t sentinel = 0;
	char *buf = NULL;
	size_t cap = 0, len;
	struct chunk c;
	bool ok = true;

	pthread_mutex_lock(&p->mu);
	while (ok && !p->stopping) {
		if (tasks_gil(p, t)) {
			continue;
		} else if (p->sentinels > 0) {
			p->sentinels--;
			ok = send_unlocked(p, t, (const char *)&sentinel, 4);
		} else if (!next_chunk(p, &c)) {
			pthread_cond_wait(&p->work, &p->mu);
		} else if ((len = build_task(&c, &buf, &cap)) > 0) {
			ok = send_unlocked(p, t, buf, len);
		} else {
			pool_fail_range(p, c.job, c.start, c.count, POOL_ETASK,
					"out of memory for the task message", true);
		}
	}
	pthread_mutex_unlock(&p->mu);
	free(buf);
}

/* Pool._handle_tasks: until the pool tells the handlers to stop. */
void *pool_tasks_thread(void *arg)
{
	struct pool *p = arg;
	struct gil_thread gt, *t = NULL;

	if (p->opts.gil && gil_thread_init(&gt, p->opts.gil, -1, 0) == 0)
		t = &gt;
	tasks_loop(p, t);
	if (t) {
		if (t->holding)
			gil_exit(t);
		gil_thread_free(t);
	}
	return NULL;
}

/* ------------------------------------------------------ the result handler */

/* Read exactly len bytes of the result queue: a header, then a payload,
 * as Connection.recv_bytes does. False when told to stop. */
static bool recv_all(struct pool *p, void *buf, size_t len)
{
	char *at = buf;

	while (len > 0) {
		ssize_t n = read(p->outq[0], at, len);

		if (n > 0) {
			at += n;
			len -= (size_t)n;
		} else if (!(n < 0 && errno == EINTR) &&
			   !(n < 0 && errno == EAGAIN && wait_fd(p, p->outq[0], POLLIN))) {
			return false;
		}
	}
	return true;
}

static uint32_t get32(const char *at)
{
	uint32_t u;

	memcpy(&u, at, 4);
	return u;
}

/* Walk a result message's (u32 len, bytes) items; false if it is torn. */
static bool item(const char *msg, size_t len, size_t *pos, const char **data, uint32_t *dlen)
{
	if (len - *pos < 4)
		return false;
	*dlen = get32(msg + *pos);
	if (len - *pos - 4 < *dlen)
		return false;
	*data = msg + *pos + 4;
	*pos += 4 + (size_t)*dlen;
	return true;
}

/* One chunk's results (p->mu held): the tasks before its first error, the
 * error, and the tasks after it, which mapstar never ran. */
static bool deliver_chunk(struct pool *p, struct pool_async *job, const char *msg, size_t len)
{
	uint32_t kind = get32(msg + 4), count = get32(msg + 20), nok = get32(msg + 24), dlen;
	size_t start, pos = RESULT_HEADER;
	const char *data;
	bool last = false;
	char why[96];

	memcpy(&start, msg + 12, 8);
	for (uint32_t k = 0; k < nok; k++) {
		if (!item(msg, len, &pos, &data, &dlen))
			return false;
		last = pool_complete(p, job, start + k, POOL_OK, data, dlen) || last;
	}
	if (kind == KIND_ERROR && nok < count) {
		if (!item(msg, len, &pos, &data, &dlen))
			return false;
		last = pool_complete(p, job, start + nok, POOL_ETASK, data, dlen) || last;
		snprintf(why, sizeof(why), "not run: task %zu of its chunk failed first",
			 start + nok);
		for (size_t i = start + nok + 1; i < start + count; i++)
			last = pool_complete(p, job, i, POOL_ESKIPPED, why, strlen(why)) || last;
	}
	if (last)
		pool_job_finish(p, job, true);
	return true;
}

/* One message from the result queue. False when it is not one (the queue is torn). */
static bool handle_result(struct pool *p, const char *msg, size_t len)
{
	uint32_t slot = get32(msg), kind = get32(msg + 4);
	struct pool_async *job;
	bool ok = true;

	if (len < RESULT_HEADER || slot >= (uint32_t)p->nworkers)
		return false;
	p->w[slot].got++;
	if (kind == KIND_READY) {
		p->w[slot].ready = true;
		p->ready_count++;
	} else if ((job = pool_job_by_id(p, get32(msg + 8)))) {
		p->idle_deaths = 0;
		ok = deliver_chunk(p, job, msg, len);
	}
	return ok;
}

/* Read result messages and deliver them, until told to stop. */
static void results_loop(struct pool *p, struct gil_thread *t, char **buf)
{
	size_t cap = 0;
	uint32_t len;
	bool torn = false;

	while (recv_all(p, &len, 4)) {
		if (torn)
			continue; /* nothing read from a torn queue can be trusted */
		torn = len < RESULT_HEADER || len > POOL_MAX_FRAME + 4096 ||
		       !pool_grow(buf, &cap, len);
		if (!torn && !recv_all(p, *buf, len))
			break;
		/* unpickling and _set run in Python (the workers' readiness,
		 * parbench's own message, does not) */
		if (t && !torn && get32(*buf + 4) != KIND_READY)
			pool_handler_take(p, t, POOL_GIL_RESULTS);
		pthread_mutex_lock(&p->mu);
		p->wake_later = true; /* waiters are woken once the lock is free */
		if (torn || !handle_result(p, *buf, len)) {
			torn = true;
			p->broken = true;
			pool_fail_all(p, POOL_ETERMINATED, "pool broken: the result queue is torn");
		}
		p->wake_later = false;
		pthread_mutex_unlock(&p->mu);
		pthread_cond_broadcast(&p->change);
		if (t && t->holding)
			gil_drop(t); /* the next get() blocks with it released */
	}
}

/* Pool._handle_results: until the pool tells the handlers to stop. */
void *pool_results_thread(void *arg)
{
	struct pool *p = arg;
	struct gil_thread gt, *t = NULL;
	char *buf = NULL;

	if (p->opts.gil && gil_thread_init(&gt, p->opts.gil, -2, 0) == 0)
		t = &gt;
	results_loop(p, t, &buf);
	free(buf);
	if (t)
		gil_thread_free(t);
	return NULL;
}
