/* SPDX-License-Identifier: MIT */
/*
 * pool — a process pool: Python's multiprocessing.Pool in C.
 *
 * W forked worker processes wait for tasks; the caller's process hands each
 * idle worker a chunk of tasks over the worker's own task pipe and reads the
 * results back from its result pipe. A task is a registered function plus argument bytes
 * (Python pickles a function by name and its arguments by value; we send a
 * registry index and bytes); its result is bytes or an error.
 *
 *   Python                              here
 *   Pool(4, initializer, initargs,      pool_create(4, &opts, err, errlen)
 *        maxtasksperchild)
 *   pool.apply(f, (x,))                 pool_apply(p, f, &x, sizeof(x), &r)
 *   pool.apply_async(f, (x,))           h = pool_apply_async(p, f, &x, sizeof(x))
 *   res.wait(t), res.ready(), res.get(t) pool_async_wait(h, t), _ready(h), _get(h, t, &r)
 *   pool.map(f, xs, chunksize)          pool_map(p, f, xs, sizeof(*xs), n, chunksize, rs)
 *   pool.map_async(f, xs)               pool_map_async(...), then pool_async_get
 *   pool.imap(f, xs) / imap_unordered   pool_imap(..., ordered), then pool_async_next
 *   pool.starmap(g, [(a, b), ...])      pool_starmap(p, g, iov, 2, n, chunksize, rs)
 *   pool.close(), join(), terminate()   pool_close(p), pool_join(p), pool_terminate(p)
 *   with Pool(...) as pool: (exit)      pool_destroy(p)  (terminates if still running)
 *
 * Better than the seed's pool: a task that fails delivers its error and the
 * pool goes on; a worker that dies (segfault, _exit, SIGKILL) is noticed at
 * once (pidfd), the task it was running gets "worker died (signal N)", a new
 * worker takes its slot and every other task still completes; a get with a
 * timeout always returns. Nothing is left behind: no zombie, no fd, no
 * orphan. (A worker sends its results in batches, at the end of a chunk or
 * every millisecond; tasks of its chunk it had finished but not yet
 * reported when it died are run again: at most ~1 ms of work.)
 *
 * All calls on one pool come from one thread: there is no background
 * thread; results are collected, and tasks handed out, while the caller is
 * inside a pool call (apply_async hands a task to an idle worker at once).
 */
#ifndef PB_POOL_H
#define PB_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "topo.h"

/* What a task's result is: its bytes (POOL_OK) or why there are none. */
enum pool_status {
	POOL_OK = 0,
	POOL_ETASK,	  /* the task reported an error (pool_raise, or a non-zero return) */
	POOL_EDIED,	  /* its worker died while holding it */
	POOL_ETERMINATED, /* the pool was terminated (or broke) before it ran */
	POOL_ETIMEDOUT,	  /* a wait or get ran out of time: the task goes on */
	POOL_END,	  /* pool_async_next: every result has been handed out */
};
const char *pool_status_name(enum pool_status s);

struct pool_result {
	enum pool_status status;
	size_t len; /* bytes in data, not counting the '\0' always put after them */
	char *data; /* POOL_OK: the result bytes; otherwise the error message */
};

/* ---- the task side (runs in a worker) ---- */

struct pool_out; /* where a task puts its result */
/* A task: arg is its argument bytes. Return 0 after pool_return (no call:
 * an empty result), or non-zero for an error (return pool_raise(...)). */
typedef int (*pool_fn)(const void *arg, size_t len, struct pool_out *out);
/* The task's result bytes (a later call replaces an earlier one). 0 or -1. */
int pool_return(struct pool_out *out, const void *data, size_t len);
/* The task failed: its caller gets POOL_ETASK and this message. Returns -1. */
int pool_raise(struct pool_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* In a worker: its slot, 0..W-1 (a replacement keeps the slot of the worker
 * it replaces; like current_process().name). -1 outside workers. */
int pool_worker_index(void);

/* Functions must be registered before pool_create (workers are forks: they
 * know the functions registered before they were born). Registering the
 * same function again returns its index. -1 when the table is full.
 * Not thread-safe: register from the main thread at start-up. */
int pool_register(const char *name, pool_fn fn);

/* ---- the pool ---- */

struct pool_opts {
	const struct topo *topo;	   /* with placement: pin workers; NULL: no pinning */
	const struct placement *placement; /* worker slot i is born on pu[i % n] */
	void (*initializer)(void *arg);	   /* run once in every new worker; NULL: none */
	void *initarg;
	int maxtasksperchild; /* a worker leaves after this many chunks and is replaced; 0: never */
};

struct pool;
/* Start W workers and wait until each has run its initializer. NULL with
 * err filled on failure (nothing left behind). Like CPython at start-up, it
 * sets SIGPIPE to SIG_IGN if it is at its default (so that writing to a
 * worker that just died is an EPIPE, not the caller's death). */
struct pool *pool_create(int workers, const struct pool_opts *opts, char *err, size_t errlen);
/* No more tasks; the queued ones still run. */
void pool_close(struct pool *p);
/* Kill every worker at once (SIGKILL) and reap them; every task not yet
 * finished gets POOL_ETERMINATED. */
void pool_terminate(struct pool *p);
/* After close: wait for every task, then for every worker to leave. After
 * terminate: reap. -1 (pool_error) when the pool is still running. */
int pool_join(struct pool *p);
/* Terminate if needed, join, free. Handles stay valid until pool_async_free. */
void pool_destroy(struct pool *p);
/* The last misuse error ("pool is closed", "function not registered"). */
const char *pool_error(const struct pool *p);

struct pool_stats {
	size_t tasks_done;	/* results delivered, errors included */
	size_t tasks_failed;	/* of which errors (POOL_ETASK or POOL_EDIED) */
	size_t workers_started; /* the first W included */
	size_t workers_died;	/* left without being asked to */
};
struct pool_stats pool_stats(const struct pool *p);
int pool_workers(const struct pool *p);
/* The pid of the worker in slot i now (0 if none): for tests and demos. */
pid_t pool_worker_pid(const struct pool *p, int i);
/* Python's default chunksize for map: ceil(n / (4 W)); 1 for n = 0. */
size_t pool_default_chunksize(size_t n, int workers);

/* ---- submitting work ---- */

/* An asynchronous result: one apply_async, or one map/imap of n tasks. */
struct pool_async;

/* NULL on misuse (see pool_error). The argument bytes are copied. */
struct pool_async *pool_apply_async(struct pool *p, pool_fn fn, const void *arg, size_t len);
/* n tasks; task i gets the argsize bytes at args + i * argsize. chunksize 0:
 * Python's default. */
struct pool_async *pool_map_async(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				  size_t n, size_t chunksize);
/* The same, read one result at a time with pool_async_next: in task order
 * (imap) or in the order they finish (imap_unordered, ordered = false).
 * chunksize 0: 1, as in Python. */
struct pool_async *pool_imap(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
			     size_t chunksize, bool ordered);

/* Wait until every task of h has a result: 0, or POOL_ETIMEDOUT. A timeout
 * < 0 waits for ever (Python's None). */
int pool_async_wait(struct pool_async *h, double timeout_s);
bool pool_async_ready(struct pool_async *h);
/* Wait, then *results points at h's n results (owned by h). Returns 0 when
 * every task succeeded, POOL_ETIMEDOUT (no *results), or the status of the
 * first task that failed (Python raises it; here the others are there too). */
int pool_async_get(struct pool_async *h, double timeout_s, const struct pool_result **results);
/* imap: the next result and its task index. 0, POOL_ETIMEDOUT or POOL_END. */
int pool_async_next(struct pool_async *h, double timeout_s, const struct pool_result **result,
		    size_t *index);
size_t pool_async_count(const struct pool_async *h);
/* Free h; if its tasks still run, the pool drops their results. */
void pool_async_free(struct pool_async *h);

/* Blocking forms. They fill results (n of them; each data is malloc'ed: free
 * them with pool_results_free) and return as pool_async_get does, or -1 on
 * misuse. */
int pool_apply(struct pool *p, pool_fn fn, const void *arg, size_t len, struct pool_result *result);
int pool_map(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
	     size_t chunksize, struct pool_result *results);

/* starmap: task i is called with the nargs arguments args[i * nargs + k],
 * packed into one argument; the task gets them back with pool_unpack. */
struct pool_iov {
	const void *data;
	size_t len;
};
struct pool_async *pool_starmap_async(struct pool *p, pool_fn fn, const struct pool_iov *args,
				      int nargs, size_t n, size_t chunksize);
int pool_starmap(struct pool *p, pool_fn fn, const struct pool_iov *args, int nargs, size_t n,
		 size_t chunksize, struct pool_result *results);
/* In a starmap task: split arg into at most max arguments. Their count, or
 * -1 when arg is not a packed argument list. */
int pool_unpack(const void *arg, size_t len, struct pool_iov *argv, int max);

void pool_results_free(struct pool_result *results, size_t n);

#endif
