/* SPDX-License-Identifier: MIT */
/*
 * pool — the pool's life: Python's multiprocessing.Pool in C (see pool.h).
 * This file mirrors Pool.__init__, close, terminate and join of CPython's
 * Lib/multiprocessing/pool.py; the worker's side is pool_worker.c, the task
 * and result handler threads pool_handlers.c, the worker handler thread
 * (workers born and dead) pool_spawn.c, the submitting calls and their
 * results pool_async.c.
 *
 * How it works, as in CPython's pool.py:
 * - One shared task queue (a pipe; Python's _inqueue, a SimpleQueue) that
 *   every worker reads, under a shared reader lock, and one shared result
 *   queue (_outqueue) that every worker writes, under a shared writer lock.
 * - Three handler threads in the caller's process: the task handler streams
 *   every chunk of every job into the task queue as soon as it is submitted
 *   (a worker finds its next task already waiting); the result handler
 *   drains the result queue, fills the jobs' results and runs their
 *   callbacks; the worker handler replaces workers that left.
 * - Messages are a u32 length, then the payload, read as Connection.recv
 *   does: the header, then the payload (two reads).
 *     task queue    u32 job, u32 fn, u64 start, u32 count, count x (u32 len,
 *                   bytes): one chunk, one message (mapstar); an empty
 *                   message is the exit sentinel (Python's None)
 *     result queue  u32 slot, u32 kind, u32 job, u64 start, u32 nok, then nok
 *                   x (u32 len, bytes) and, for an error, (u32 len, message):
 *                   one message per chunk, which stops at its first error
 * What CPython does not do (a parbench feature, POOL_RECOVER; the default
 * POOL_HANG is CPython's): each worker records in shared memory which chunk
 * it took and how far it got, so a death is blamed on the task it happened
 * in (see pool_spawn.c).
 *
 * CPython versions: see pool.h's opening comment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "pool_impl.h"

/* ------------------------------------------------------------ helpers */

const char *pool_status_name(enum pool_status s)
{
	static const char *const names[] = { "ok",	  "task error", "worker died", "terminated",
					     "timed out", "end",	"skipped" };

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

bool pool_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

void pool_shared_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m); /* its owner died: the pool sees to the rest */
}

/* -------------------------------------------------------- the pool's life */

/* Writing to the pipe of a worker that has just died raises SIGPIPE, whose
 * default action would kill the caller. CPython ignores SIGPIPE in every
 * program at start-up; we do the same, unless the caller chose a handler. */
/* ---- opts.gil ---- */

void pool_handler_take(struct pool *p, struct gil_thread *t, int which)
{
	uint64_t waited = t->wait_ns;

	gil_take(t);
	__atomic_add_fetch(&p->gil_takes[which], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->gil_wait_ns, t->wait_ns - waited, __ATOMIC_RELAXED);
}

struct gil_thread *pool_gil_begin(struct pool *p)
{
	struct gil_thread *t = p->opts.gil ? gil_current() : NULL;

	if (!t || t->gil != p->opts.gil || !t->holding)
		return NULL;
	gil_drop(t);
	return t;
}

void pool_gil_end(struct gil_thread *t)
{
	if (t)
		gil_take(t);
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

static int init_shared(struct pool *p, char *err, size_t errlen)
{
	pthread_mutexattr_t a;

	p->sh_len = sizeof(*p->sh) + (size_t)p->nworkers * sizeof(p->sh->slot[0]);
	p->sh = mmap(NULL, p->sh_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->sh == MAP_FAILED) {
		p->sh = NULL;
		snprintf(err, errlen, "pool: mmap: %s", strerror(errno));
		return -1;
	}
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&p->sh->rlock, &a);
	pthread_mutex_init(&p->sh->wlock, &a);
	pthread_mutexattr_destroy(&a);
	return 0;
}

/* The two queues and the handlers' stop signal. The parent's ends of the
 * queues are non-blocking: its handlers poll them with the stop signal
 * when they would wait. */
static int init_queues(struct pool *p, char *err, size_t errlen)
{
	if (pipe2(p->inq, O_CLOEXEC) < 0 || pipe2(p->outq, O_CLOEXEC) < 0 ||
	    (p->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "pool: pipe2/eventfd: %s", strerror(errno));
		return -1;
	}
	fcntl(p->inq[1], F_SETFL, O_NONBLOCK);
	fcntl(p->outq[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static struct pool *pool_alloc(int workers, const struct pool_opts *opts, char *err, size_t errlen)
{
	struct pool *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	if (p)
		p->w = calloc((size_t)workers, sizeof(*p->w));
	if (!p || !p->w) {
		free(p);
		snprintf(err, errlen, "pool: calloc: out of memory");
		return NULL;
	}
	p->nworkers = workers;
	p->opts = opts ? *opts : (struct pool_opts){ 0 };
	p->parent = getpid();
	p->nfns = pool_registry_count();
	p->next_id = 1;
	p->inq[0] = p->inq[1] = p->outq[0] = p->outq[1] = p->stop_fd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->change, &ca);
	pthread_cond_init(&p->work, &ca);
	pthread_condattr_destroy(&ca);
	if (init_shared(p, err, errlen) < 0 || init_queues(p, err, errlen) < 0) {
		pool_destroy(p);
		return NULL;
	}
	return p;
}

static int start_threads(struct pool *p, char *err, size_t errlen)
{
	int rc = pthread_create(&p->tasks_thread, NULL, pool_tasks_thread, p);

	p->threads = rc == 0 ? 1 : 0;
	if (rc == 0 && (rc = pthread_create(&p->workers_thread, NULL, pool_workers_thread, p)) == 0)
		p->threads = 2;
	if (rc == 0 && (rc = pthread_create(&p->results_thread, NULL, pool_results_thread, p)) == 0)
		p->threads = 3;
	if (rc) {
		snprintf(err, errlen, "pool: pthread_create: %s", strerror(rc));
		return -1;
	}
	return 0;
}

struct pool *pool_create(int workers, const struct pool_opts *opts, char *err, size_t errlen)
{
	struct pool *p;
	int rc = 0;

	if (workers < 1 || workers > 4096) {
		snprintf(err, errlen, "pool: workers must be 1..4096 (got %d)", workers);
		return NULL;
	}
	ignore_sigpipe();
	if (!(p = pool_alloc(workers, opts, err, errlen)))
		return NULL;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < workers && rc == 0; i++)
		rc = pool_spawn(p, i, err, errlen);
	pthread_mutex_unlock(&p->mu);
	if (rc < 0 || start_threads(p, err, errlen) < 0) {
		pool_destroy(p);
		return NULL;
	}
	/* Return a warm pool: every worker has run its initializer. One that
	 * died in it: POOL_RECOVER fails; POOL_HANG returns the pool, as
	 * Pool() does, and its worker handler replaces the dead for ever. */
	pthread_mutex_lock(&p->mu);
	while (p->ready_count < workers && !p->stats.workers_died)
		pthread_cond_wait(&p->change, &p->mu);
	rc = p->stats.workers_died && p->opts.on_death == POOL_RECOVER ? -1 : 0;
	if (rc < 0)
		snprintf(err, errlen, "pool: a worker died in its initializer: %s", p->last_death);
	pthread_mutex_unlock(&p->mu);
	if (rc < 0) {
		pool_destroy(p);
		return NULL;
	}
	return p;
}

void pool_close(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	if (p->state == RUNNING)
		p->state = CLOSED;
	pthread_cond_broadcast(&p->change);
	pthread_mutex_unlock(&p->mu);
}

/* The handler threads leave: the stop signal, then join them. */
static void stop_threads(struct pool *p)
{
	uint64_t one = 1;

	if (!p->threads)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_mutex_unlock(&p->mu);
	if (write(p->stop_fd, &one, sizeof(one)) < 0)
		abort(); /* an eventfd write of 1 cannot fail */
	pthread_mutex_lock(&p->mu);
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->change);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tasks_thread, NULL);
	if (p->threads > 1)
		pthread_join(p->workers_thread, NULL);
	if (p->threads > 2)
		pthread_join(p->results_thread, NULL);
	p->threads = 0;
}

/* Python's _terminate_pool: the handlers stop, every worker gets SIGTERM
 * (and, here, SIGKILL if it is still there after a grace period). Python
 * never sets the results still in its cache (POOL_HANG); POOL_RECOVER
 * gives every task not finished POOL_ETERMINATED. */
void pool_terminate(struct pool *p)
{
	struct gil_thread *t;

	pthread_mutex_lock(&p->mu);
	if (p->state == TERMINATED || p->state == JOINED) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->state = TERMINATED;
	pthread_mutex_unlock(&p->mu);
	t = pool_gil_begin(p); /* the handlers may be waiting for the GIL */
	stop_threads(p);
	pool_kill_workers(p);
	pool_gil_end(t);
	if (p->opts.on_death == POOL_HANG)
		return;
	pthread_mutex_lock(&p->mu);
	pool_fail_all(p, POOL_ETERMINATED, "pool terminated");
	pthread_mutex_unlock(&p->mu);
}

/* After close: every job done, then one exit sentinel per worker (sent by
 * the task handler, as in Python), then every worker gone. */
int pool_join(struct pool *p)
{
	struct gil_thread *t;

	pthread_mutex_lock(&p->mu);
	if (p->state == RUNNING) {
		pthread_mutex_unlock(&p->mu);
		return pool_misuse(p,
				   "pool_join: the pool is still running (close or terminate it)");
	}
	pthread_mutex_unlock(&p->mu);
	t = pool_gil_begin(p); /* Thread.join releases the GIL */
	pthread_mutex_lock(&p->mu);
	if (p->state == CLOSED) {
		while (pool_any_job_running(p))
			pthread_cond_wait(&p->change, &p->mu);
		p->sentinels = p->nworkers;
		pthread_cond_signal(&p->work);
		while (pool_any_worker(p))
			pthread_cond_wait(&p->change, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	stop_threads(p);
	pool_gil_end(t);
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
	while (p->lost) {
		struct lost *l = p->lost;

		p->lost = l->next;
		free(l);
	}
	for (int i = 0; i < 2; i++) {
		if (p->inq[i] >= 0)
			close(p->inq[i]);
		if (p->outq[i] >= 0)
			close(p->outq[i]);
	}
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	if (p->sh)
		munmap(p->sh, p->sh_len);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->change);
	pthread_mutex_destroy(&p->mu);
	free(p->w);
	free(p);
}

struct pool_stats pool_stats(const struct pool *p)
{
	struct pool *q = (struct pool *)p;
	struct pool_stats s;

	pthread_mutex_lock(&q->mu);
	s = p->stats;
	pthread_mutex_unlock(&q->mu);
	s.tasks_gil_takes = __atomic_load_n(&q->gil_takes[POOL_GIL_TASKS], __ATOMIC_RELAXED);
	s.results_gil_takes = __atomic_load_n(&q->gil_takes[POOL_GIL_RESULTS], __ATOMIC_RELAXED);
	s.handler_gil_wait_ns = __atomic_load_n(&q->gil_wait_ns, __ATOMIC_RELAXED);
	return s;
}

int pool_workers(const struct pool *p)
{
	return p->nworkers;
}

pid_t pool_worker_pid(const struct pool *p, int i)
{
	struct pool *q = (struct pool *)p;
	pid_t pid = 0;

	pthread_mutex_lock(&q->mu);
	if (i >= 0 && i < p->nworkers)
		pid = p->w[i].pid;
	pthread_mutex_unlock(&q->mu);
	return pid;
}

size_t pool_default_chunksize(size_t n, int workers)
{
	size_t per = 4 * (size_t)(workers > 0 ? workers : 1);

	return n == 0 ? 1 : (n + per - 1) / per;
}
