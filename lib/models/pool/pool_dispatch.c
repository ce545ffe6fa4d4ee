/* SPDX-License-Identifier: MIT */
/*
 * pool_dispatch — the parent's side of the process pool: reading results,
 * handing chunks to idle workers, and waiting for either. Mirrors the
 * three handler threads of CPython's Lib/multiprocessing/pool.py
 * (Pool._handle_tasks, _handle_results, _handle_workers); here the caller's
 * thread does their work while it is inside a pool call.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pool_impl.h"

/* ------------------------------------------------------------ results */

/* Record task i's result. True when it was the job's last one. */
bool pool_complete(struct pool *p, struct pool_async *job, size_t i, enum pool_status st,
		   const char *data, size_t len)
{
	struct pool_result *r = &job->results[i];

	if (job->done[i])
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
	if (p) {
		p->stats.tasks_done++;
		p->stats.tasks_failed += st == POOL_ETASK || st == POOL_EDIED;
	}
	return job->ndone == job->n;
}

/* Every task of job without a result gets status st and message why. */
void pool_fail_job(struct pool *p, struct pool_async *job, enum pool_status st, const char *why)
{
	for (size_t i = 0; i < job->n; i++)
		pool_complete(p, job, i, st, why, strlen(why));
	job->next = job->n;
	if (job->abandoned)
		pool_job_free(job);
}

/* No more work can be done: fail whatever is left. Results that still
 * come from live workers are dropped (they no longer hold a chunk). */
void pool_fail_all(struct pool *p, enum pool_status st, const char *why)
{
	struct pool_async *job = p->jobs, *later;

	for (int i = 0; i < p->nworkers; i++)
		p->w[i].held = (struct chunk){ 0 }, p->w[i].got = 0;

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

/* One result frame from w: the next task of the chunk it holds. */
static void deliver(struct pool *p, struct worker *w, const char *frame, uint32_t len)
{
	enum frame_kind kind = (enum frame_kind)frame[0];
	struct pool_async *job = w->held.job;
	size_t i;

	if (kind == KIND_READY) {
		w->ready = true;
		return;
	}
	if (!job)
		return; /* a result nobody asked for: ignore it */
	i = w->held.start + w->got++;
	if (w->got == w->held.count)
		w->held = (struct chunk){ 0 }, w->got = 0;
	p->idle_deaths = 0;
	if (pool_complete(p, job, i, kind == KIND_OK ? POOL_OK : POOL_ETASK, frame + 1, len - 1) &&
	    job->abandoned)
		pool_job_free(job);
}

/* Read what w has sent and deliver every whole frame. */
void pool_read_worker(struct pool *p, struct worker *w)
{
	size_t pos = 0;
	ssize_t n;

	for (;;) {
		if (!pool_grow(&w->in, &w->in_cap, w->in_len + 65536))
			break;
		size_t room = w->in_cap - w->in_len;

		n = read(w->result_fd, w->in + w->in_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			w->eof = true;
		if (n <= 0)
			break;
		w->in_len += (size_t)n;
		if ((size_t)n < room)
			break; /* that was all there was */
	}
	while (w->in_len - pos >= 4) {
		uint32_t len;

		memcpy(&len, w->in + pos, 4);
		if (w->in_len - pos - 4 < len)
			break;
		if (len > 0)
			deliver(p, w, w->in + pos + 4, len);
		pos += 4 + (size_t)len;
	}
	if (pos > 0)
		memmove(w->in, w->in + pos, w->in_len - pos);
	w->in_len -= pos;
}

/* ---------------------------------------------------- handing out work */

/* Is there a task not yet handed to any worker? */
bool pool_work_left(struct pool *p)
{
	while (p->cursor && p->cursor->next == p->cursor->n)
		p->cursor = p->cursor->later;
	return p->retries || p->cursor;
}

/* The next chunk: a dead worker's unstarted tasks first, then the oldest
 * job's next chunksize tasks (fewer if their arguments are very large). */
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

static void give(struct pool *p, struct worker *w, struct chunk c)
{
	struct pool_async *job = c.job;
	size_t need = 12, pos = 12;
	uint32_t u;

	for (size_t i = c.start; i < c.start + c.count; i++)
		need += 4 + job->off[i + 1] - job->off[i];
	w->held = c;
	w->got = 0;
	__atomic_store_n(&p->progress[w - p->w].started, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->progress[w - p->w].finished, 0, __ATOMIC_RELAXED);
	if (p->opts.maxtasksperchild > 0 && ++w->chunks >= p->opts.maxtasksperchild)
		w->leaving = true; /* it leaves after this chunk: give it no more */
	if (!pool_grow(&p->out, &p->out_cap, need)) {
		kill(w->pid, SIGKILL); /* out of memory: let the death path fail it */
		return;
	}
	u = (uint32_t)(need - 4);
	memcpy(p->out, &u, 4);
	u = (uint32_t)job->fn;
	memcpy(p->out + 4, &u, 4);
	u = (uint32_t)c.count;
	memcpy(p->out + 8, &u, 4);
	for (size_t i = c.start; i < c.start + c.count; i++) {
		u = (uint32_t)(job->off[i + 1] - job->off[i]);
		memcpy(p->out + pos, &u, 4);
		memcpy(p->out + pos + 4, job->args + job->off[i], u);
		pos += 4 + u;
	}
	/* A failed write means the worker died: its pidfd will say so and the
	 * death path will settle the chunk. The worker is idle, reading, so
	 * the write never waits for long. */
	pool_write_full(w->task_fd, p->out, need);
}

void pool_dispatch(struct pool *p)
{
	struct chunk c;

	for (int i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->w[i];

		if (!w->pid || !w->ready || w->leaving || w->held.job)
			continue;
		if (!next_chunk(p, &c))
			return;
		give(p, w, c);
	}
}

/* ------------------------------------------------------------ waiting */

bool pool_any_job_running(const struct pool *p)
{
	for (const struct pool_async *j = p->jobs; j; j = j->later)
		if (j->ndone < j->n)
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

/* Wait for something to happen (until deadline_ns; 0: for ever), handle
 * it, and hand idle workers new work. */
void pool_pump(struct pool *p, uint64_t deadline_ns)
{
	struct pollfd fds[2 * p->nworkers + 1];
	int slot[2 * p->nworkers + 1], n = 0;
	struct timespec ts, *tsp = NULL;
	bool no_pidfd = false;
	int ready;

	pool_dispatch(p);
	for (int i = 0; i < p->nworkers; i++) {
		if (!p->w[i].pid)
			continue;
		if (!p->w[i].eof) {
			fds[n] = (struct pollfd){ .fd = p->w[i].result_fd, .events = POLLIN };
			slot[n++] = i;
		}
		fds[n] = (struct pollfd){ .fd = p->w[i].pidfd, .events = POLLIN };
		slot[n++] = i;
		no_pidfd = no_pidfd || p->w[i].pidfd < 0;
	}
	if (n == 0) {
		/* No worker, none can be started, and yet work is waiting:
		 * fail it rather than wait for ever. */
		if (pool_any_job_running(p)) {
			p->broken = true;
			pool_fail_all(p, POOL_ETERMINATED, "pool broken: no worker left");
		}
		return;
	}
	if (deadline_ns) {
		uint64_t now = clock_now_ns(), left = deadline_ns > now ? deadline_ns - now : 0;

		ts = (struct timespec){ .tv_sec = (time_t)(left / 1000000000u),
					.tv_nsec = (long)(left % 1000000000u) };
		tsp = &ts;
	}
	/* without a pidfd a death wakes no poll: look every 10 ms */
	if (no_pidfd && (!tsp || ts.tv_sec > 0 || ts.tv_nsec > 10000000)) {
		ts = (struct timespec){ .tv_nsec = 10000000 };
		tsp = &ts;
	}
	ready = ppoll(fds, (nfds_t)n, tsp, NULL);
	if (ready < 0 || (ready == 0 && !no_pidfd))
		return;
	/* Results first: a worker's last results are delivered before its
	 * death settles the chunk. */
	for (int k = 0; k < n; k++)
		if (fds[k].revents && fds[k].fd == p->w[slot[k]].result_fd)
			pool_read_worker(p, &p->w[slot[k]]);
	for (int k = 0; k < n; k++)
		if (p->w[slot[k]].pid && fds[k].fd == p->w[slot[k]].pidfd &&
		    pool_worker_exited(&p->w[slot[k]], fds[k].revents))
			pool_on_exit(p, slot[k]);
	pool_dispatch(p);
}
