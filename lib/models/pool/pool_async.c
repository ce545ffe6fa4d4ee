/* SPDX-License-Identifier: MIT */
/*
 * pool_async — submitting work to the process pool and collecting its
 * results. Mirrors Pool.apply_async, map_async, imap, imap_unordered and
 * starmap_async, and the ApplyResult, MapResult and IMapIterator classes of
 * CPython's Lib/multiprocessing/pool.py.
 *
 * CPython versions: see pool.h's opening comment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "pool_impl.h"

/* ----------------------------------------------------------- submitting */

void pool_job_free(struct pool_async *job)
{
	struct pool *p = job->pool;

	if (p) {
		if (p->cursor == job)
			p->cursor = job->later;
		if (job->prev)
			job->prev->later = job->later;
		else
			p->jobs = job->later;
		if (job->later)
			job->later->prev = job->prev;
		else
			p->jobs_tail = job->prev;
	}
	if (job->results)
		for (size_t i = 0; i < job->n; i++)
			free(job->results[i].data);
	free(job->results);
	free(job->done);
	free(job->order);
	free(job->off);
	free(job->args);
	free(job);
}

/* A job of n tasks whose arguments are args_len bytes in all; the caller
 * fills job->args and job->off. */
static struct pool_async *job_new(struct pool *p, pool_fn fn, size_t n, size_t args_len,
				  size_t chunksize)
{
	struct pool_async *job;
	int id = pool_registry_find(fn);

	if (id < 0 || id >= p->nfns) {
		pool_misuse(p, "function not registered before pool_create (pool_register it)");
		return NULL;
	}
	job = calloc(1, sizeof(*job));
	if (!job || !(job->args = malloc(args_len ? args_len : 1)) ||
	    !(job->off = calloc(n + 1, sizeof(*job->off))) ||
	    !(job->results = calloc(n ? n : 1, sizeof(*job->results))) ||
	    !(job->done = calloc(n ? n : 1, sizeof(*job->done))) ||
	    !(job->order = calloc(n ? n : 1, sizeof(*job->order)))) {
		if (job)
			pool_job_free(job);
		pool_misuse(p, "out of memory for %zu tasks", n);
		return NULL;
	}
	job->fn = id;
	job->n = n;
	job->first_error = n;
	job->chunksize = chunksize ? chunksize : 1;
	job->ordered = true;
	return job;
}

/* Put a filled job in the cache and wake the task handler, which streams
 * its chunks into the task queue. */
static struct pool_async *job_submit(struct pool *p, struct pool_async *job,
				     const struct pool_callbacks *cb)
{
	pthread_mutex_lock(&p->mu);
	if (p->state != RUNNING) {
		pool_misuse(p, "pool is %s: no new tasks",
			    p->state == CLOSED ? "closed" : "terminated");
		pthread_mutex_unlock(&p->mu);
		pool_job_free(job);
		return NULL;
	}
	if (cb)
		job->cb = *cb;
	job->id = p->next_id++;
	if (p->next_id == 0)
		p->next_id = 1;
	job->pool = p;
	job->prev = p->jobs_tail;
	if (p->jobs_tail)
		p->jobs_tail->later = job;
	else
		p->jobs = job;
	p->jobs_tail = job;
	if (!p->cursor)
		p->cursor = job;
	if (p->broken)
		pool_fail_job(p, job, POOL_ETERMINATED, "pool broken");
	else if (job->n == 0)
		job->ready = true; /* Python: an empty map is ready at once */
	pthread_mutex_unlock(&p->mu);
	pthread_cond_signal(&p->work); /* outside the lock: the task handler takes it at once */
	return job;
}

struct pool_async *pool_map_async(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				  size_t n, size_t chunksize)
{
	return pool_map_async_cb(p, fn, args, argsize, n, chunksize, NULL);
}

struct pool_async *pool_map_async_cb(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				     size_t n, size_t chunksize, const struct pool_callbacks *cb)
{
	struct pool_async *job;

	if (!args && n && argsize) {
		pool_misuse(p, "map: NULL arguments");
		return NULL;
	}
	if (argsize > POOL_MAX_FRAME / 2 || (n && argsize && n > SIZE_MAX / argsize)) {
		pool_misuse(p, "arguments too large (%zu x %zu bytes)", n, argsize);
		return NULL;
	}
	if (!chunksize)
		chunksize = pool_default_chunksize(n, p->nworkers);
	job = job_new(p, fn, n, n * argsize, chunksize);
	if (!job)
		return NULL;
	if (n > 0 && argsize > 0)
		memcpy(job->args, args, n * argsize);
	for (size_t i = 0; i <= n; i++)
		job->off[i] = i * argsize;
	return job_submit(p, job, cb);
}

struct pool_async *pool_apply_async(struct pool *p, pool_fn fn, const void *arg, size_t len)
{
	return pool_map_async_cb(p, fn, arg, len, 1, 1, NULL);
}

struct pool_async *pool_apply_async_cb(struct pool *p, pool_fn fn, const void *arg, size_t len,
				       const struct pool_callbacks *cb)
{
	return pool_map_async_cb(p, fn, arg, len, 1, 1, cb);
}

struct pool_async *pool_imap(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
			     size_t chunksize, bool ordered)
{
	struct pool_async *job;

	/* ordered is read by pool_async_next only: setting it after submitting is safe */
	job = pool_map_async(p, fn, args, argsize, n, chunksize ? chunksize : 1);
	if (job)
		job->ordered = ordered;
	return job;
}

/* starmap packs task i's arguments as u32 count, count x (u32 len, bytes). */
struct pool_async *pool_starmap_async(struct pool *p, pool_fn fn, const struct pool_iov *args,
				      int nargs, size_t n, size_t chunksize)
{
	struct pool_async *job;
	size_t total = 0, pos = 0;
	uint32_t u;

	if (nargs < 0 || (n && !args)) {
		pool_misuse(p, "starmap: bad argument list");
		return NULL;
	}
	for (size_t i = 0; i < n * (size_t)nargs; i++) {
		if (args[i].len > POOL_MAX_FRAME / 2) {
			pool_misuse(p, "starmap: argument of %zu bytes: too large", args[i].len);
			return NULL;
		}
		total += 4 + args[i].len;
	}
	total += 4 * n;
	job = job_new(p, fn, n, total,
		      chunksize ? chunksize : pool_default_chunksize(n, p->nworkers));
	if (!job)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		job->off[i] = pos;
		u = (uint32_t)nargs;
		memcpy(job->args + pos, &u, 4);
		pos += 4;
		for (int k = 0; k < nargs; k++) {
			const struct pool_iov *a = &args[i * (size_t)nargs + (size_t)k];

			u = (uint32_t)a->len;
			memcpy(job->args + pos, &u, 4);
			if (a->len)
				memcpy(job->args + pos + 4, a->data, a->len);
			pos += 4 + a->len;
		}
	}
	job->off[n] = pos;
	return job_submit(p, job, NULL);
}

int pool_unpack(const void *arg, size_t len, struct pool_iov *argv, int max)
{
	const char *a = arg;
	uint32_t count, alen;
	size_t pos = 4;

	if (len < 4)
		return -1;
	memcpy(&count, a, 4);
	for (uint32_t k = 0; k < count; k++) {
		if (len - pos < 4)
			return -1;
		memcpy(&alen, a + pos, 4);
		if (len - pos - 4 < alen)
			return -1;
		if ((int)k < max)
			argv[k] = (struct pool_iov){ a + pos + 4, alen };
		pos += 4 + alen;
	}
	return pos == len && count <= (uint32_t)max ? (int)count : -1;
}

/* --------------------------------------------------------- results */

typedef bool (*job_cond)(const struct pool_async *h);

static bool all_done(const struct pool_async *h)
{
	return h->ready;
}

static bool next_ready(const struct pool_async *h)
{
	if (h->nread >= h->n)
		return true; /* POOL_END */
	return h->ordered ? h->done[h->nread] : h->ndone > h->nread;
}

/* p->mu held: wait until cond holds or the deadline passes. 0 or POOL_ETIMEDOUT. */
static int wait_for(struct pool *p, struct pool_async *h, job_cond cond, double timeout_s)
{
	uint64_t deadline = timeout_s < 0 ? 0 : clock_now_ns() + (uint64_t)(timeout_s * 1e9) + 1;
	struct gil_thread *t = NULL;
	int rc = 0;

	if (!cond(h) && timeout_s != 0 && p->opts.gil) { /* Event.wait releases the GIL */
		pthread_mutex_unlock(&p->mu);
		t = pool_gil_begin(p);
		pthread_mutex_lock(&p->mu);
	}
	while (!cond(h) && rc == 0) {
		struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000u),
				       .tv_nsec = (long)(deadline % 1000000000u) };

		if (!deadline)
			pthread_cond_wait(&p->change, &p->mu);
		else if (clock_now_ns() >= deadline)
			rc = POOL_ETIMEDOUT;
		else
			pthread_cond_timedwait(&p->change, &p->mu, &ts);
	}
	if (t) { /* never wait for the GIL holding the pool's mutex */
		pthread_mutex_unlock(&p->mu);
		pool_gil_end(t);
		pthread_mutex_lock(&p->mu);
	}
	return rc;
}

/* Lock h's pool, if it still has one (a handle outlives its pool: then
 * every task has its result). */
static struct pool *lock_of(struct pool_async *h)
{
	if (h->pool)
		pthread_mutex_lock(&h->pool->mu);
	return h->pool;
}

static void unlock(struct pool *p)
{
	if (p)
		pthread_mutex_unlock(&p->mu);
}

static int wait_locked(struct pool_async *h, job_cond cond, double timeout_s)
{
	struct pool *p = lock_of(h);
	int rc = p ? wait_for(p, h, cond, timeout_s) : cond(h) ? 0 : POOL_ETERMINATED;

	unlock(p);
	return rc;
}

int pool_async_wait(struct pool_async *h, double timeout_s)
{
	return wait_locked(h, all_done, timeout_s);
}

bool pool_async_ready(struct pool_async *h)
{
	return wait_locked(h, all_done, 0) == 0;
}

int pool_async_get(struct pool_async *h, double timeout_s, const struct pool_result **results)
{
	int rc = wait_locked(h, all_done, timeout_s);

	if (rc != 0)
		return rc;
	if (results)
		*results = h->results;
	return h->first_error < h->n ? (int)h->results[h->first_error].status : 0;
}

int pool_async_next(struct pool_async *h, double timeout_s, const struct pool_result **result,
		    size_t *index)
{
	struct pool *p = lock_of(h);
	int rc = p ? wait_for(p, h, next_ready, timeout_s) : next_ready(h) ? 0 : POOL_ETERMINATED;
	size_t i = 0;

	if (rc == 0 && h->nread >= h->n)
		rc = POOL_END;
	if (rc == 0) {
		i = h->ordered ? h->nread : h->order[h->nread];
		h->nread++;
	}
	unlock(p);
	if (rc != 0)
		return rc;
	if (result)
		*result = &h->results[i];
	if (index)
		*index = i;
	return 0;
}

size_t pool_async_count(const struct pool_async *h)
{
	return h->n;
}

void pool_async_free(struct pool_async *h)
{
	struct pool *p;

	if (!h)
		return;
	p = lock_of(h);
	if (p && !h->ready)
		h->abandoned = true; /* the pool frees it when its last result arrives */
	else
		pool_job_free(h);
	unlock(p);
}

/* Wait for h for ever, move its results to the caller's array, free h. */
static int take_all(struct pool_async *h, struct pool_result *results)
{
	int rc;

	if (!h)
		return -1;
	rc = pool_async_get(h, -1, NULL);
	for (size_t i = 0; i < h->n; i++) {
		results[i] = h->results[i];
		h->results[i].data = NULL;
	}
	pool_async_free(h);
	return rc;
}

int pool_apply(struct pool *p, pool_fn fn, const void *arg, size_t len, struct pool_result *result)
{
	return take_all(pool_apply_async(p, fn, arg, len), result);
}

int pool_map(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
	     size_t chunksize, struct pool_result *results)
{
	return take_all(pool_map_async(p, fn, args, argsize, n, chunksize), results);
}

int pool_starmap(struct pool *p, pool_fn fn, const struct pool_iov *args, int nargs, size_t n,
		 size_t chunksize, struct pool_result *results)
{
	return take_all(pool_starmap_async(p, fn, args, nargs, n, chunksize), results);
}

void pool_results_free(struct pool_result *results, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(results[i].data);
		results[i].data = NULL;
	}
}
