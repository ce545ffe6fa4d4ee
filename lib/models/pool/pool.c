/* SPDX-License-Identifier: MIT */
/*
 * pool — the pool's life: Python's multiprocessing.Pool in C (see pool.h).
 * This file mirrors Pool.__init__, close, terminate and join of CPython's
 * Lib/multiprocessing/pool.py; the worker's side is pool_worker.c, the
 * parent's loop pool_dispatch.c, starting and losing workers pool_spawn.c,
 * the submitting calls and their results pool_async.c.
 *
 * How it works, next to CPython's multiprocessing/pool.py:
 * - Python's workers share one task queue and one result queue, and three
 *   handler threads move tasks and results. Here every worker has its own
 *   two pipes and the caller's process is the only dispatcher: it hands a
 *   chunk of tasks to an idle worker and reads its results back, in chunk
 *   order, batched (at the chunk's end, or every millisecond).
 * - A worker's death is seen through its pidfd (readable when it exits),
 *   polled with the result pipes: no SIGCHLD handler, no polling loop. The
 *   parent knows which chunk the worker held, and a shared progress word
 *   says how far it got, so it knows exactly which task the worker died in
 *   (Python's pool cannot tell, and waits for ever).
 * - Messages are length-prefixed frames: u32 length, then the payload.
 *     parent -> worker  task chunk: u32 fn, u32 count, count x (u32 len, bytes)
 *                       exit: an empty frame (Python's None sentinel)
 *     worker -> parent  u8 kind (READY, OK, ERROR), then result bytes or message
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool_impl.h"

/* ------------------------------------------------------------ helpers */

const char *pool_status_name(enum pool_status s)
{
	static const char *const names[] = { "ok",	   "task error", "worker died",
					     "terminated", "timed out",	 "end" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int pool_misuse(struct pool *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return -1;
}

const char *pool_error(const struct pool *p)
{
	return p->error;
}

bool pool_grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	char *b;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	b = realloc(*buf, n);
	if (!b)
		return false;
	*buf = b;
	*cap = n;
	return true;
}

/* With SIGPIPE ignored (see pool_create), writing to a dead peer's pipe
 * fails with EPIPE instead of killing the writer. */
bool pool_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* -------------------------------------------------------- the pool's life */

/* Writing to the pipe of a worker that has just died raises SIGPIPE, whose
 * default action would kill the caller. CPython ignores SIGPIPE in every
 * program at start-up; we do the same, unless the caller chose a handler. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

struct pool *pool_create(int workers, const struct pool_opts *opts, char *err, size_t errlen)
{
	struct pool *p;

	if (workers < 1 || workers > 4096) {
		snprintf(err, errlen, "pool: workers must be 1..4096 (got %d)", workers);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->w = calloc((size_t)workers, sizeof(*p->w));
	if (!p || !p->w) {
		free(p);
		snprintf(err, errlen, "pool: calloc: out of memory");
		return NULL;
	}
	p->progress = mmap(NULL, (size_t)workers * sizeof(*p->progress), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->progress == MAP_FAILED) {
		snprintf(err, errlen, "pool: mmap: %s", strerror(errno));
		free(p->w);
		free(p);
		return NULL;
	}
	p->nworkers = workers;
	p->opts = opts ? *opts : (struct pool_opts){ 0 };
	ignore_sigpipe();
	p->parent = getpid();
	p->nfns = pool_registry_count();
	for (int i = 0; i < workers; i++) {
		if (pool_spawn(p, i, err, errlen) < 0) {
			pool_destroy(p);
			return NULL;
		}
	}
	/* Return a warm pool: every worker has run its initializer. */
	for (int i = 0; i < workers; i++) {
		while (p->w[i].pid && !p->w[i].ready && !p->stats.workers_died)
			pool_pump(p, 0);
		if (p->stats.workers_died) {
			snprintf(err, errlen, "pool: a worker died in its initializer: %s",
				 p->last_death);
			pool_destroy(p);
			return NULL;
		}
	}
	return p;
}

void pool_close(struct pool *p)
{
	if (p->state == RUNNING)
		p->state = CLOSED;
}

void pool_terminate(struct pool *p)
{
	if (p->state == TERMINATED || p->state == JOINED)
		return;
	p->state = TERMINATED;
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			kill(p->w[i].pid, SIGKILL);
	for (int i = 0; i < p->nworkers; i++) {
		if (p->w[i].pid) {
			pool_reap(p->w[i].pid);
			pool_close_worker(&p->w[i]);
		}
	}
	pool_fail_all(p, POOL_ETERMINATED, "pool terminated");
}

int pool_join(struct pool *p)
{
	static const uint32_t sentinel = 0;

	if (p->state == RUNNING)
		return pool_misuse(p,
				   "pool_join: the pool is still running (close or terminate it)");
	if (p->state == CLOSED) {
		while (pool_any_job_running(p))
			pool_pump(p, 0);
		for (int i = 0; i < p->nworkers; i++) {
			if (p->w[i].pid && !p->w[i].leaving) {
				p->w[i].leaving = true;
				pool_write_full(p->w[i].task_fd, &sentinel, 4);
			}
		}
		while (pool_any_worker(p))
			pool_pump(p, 0);
	}
	p->state = JOINED;
	return 0;
}

void pool_destroy(struct pool *p)
{
	struct pool_async *job, *later;

	if (!p)
		return;
	if (p->state != JOINED) {
		pool_terminate(p);
		pool_join(p);
	}
	for (job = p->jobs; job; job = later) {
		later = job->later;
		job->pool = NULL;
		job->prev = job->later = NULL;
		if (job->abandoned)
			pool_job_free(job);
	}
	munmap(p->progress, (size_t)p->nworkers * sizeof(*p->progress));
	free(p->out);
	free(p->w);
	free(p);
}

struct pool_stats pool_stats(const struct pool *p)
{
	return p->stats;
}

int pool_workers(const struct pool *p)
{
	return p->nworkers;
}

pid_t pool_worker_pid(const struct pool *p, int i)
{
	return i >= 0 && i < p->nworkers ? p->w[i].pid : 0;
}

size_t pool_default_chunksize(size_t n, int workers)
{
	size_t per = 4 * (size_t)(workers > 0 ? workers : 1);

	return n == 0 ? 1 : (n + per - 1) / per;
}
