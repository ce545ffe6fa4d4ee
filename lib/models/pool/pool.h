/* SPDX-License-Identifier: MIT */
/*
 * pool — a process pool: Python's multiprocessing.Pool in C.
 *
 * W forked worker processes read one shared task queue and write one shared
 * result queue, as CPython's do; in the caller's process three handler
 * threads move the work (Lib/multiprocessing/pool.py): the task handler
 * streams every chunk of every job into the task queue as soon as it is
 * submitted, the result handler drains the result queue and runs the
 * callbacks, the worker handler replaces workers that left. A task is a
 * registered function plus argument bytes (Python pickles a function by name
 * and its arguments by value; we send a registry index and bytes); its
 * result is bytes or an error.
 *
 *   Python                              here
 *   Pool(4, initializer, initargs,      pool_create(4, &opts, err, errlen)
 *        maxtasksperchild)
 *   pool.apply(f, (x,))                 pool_apply(p, f, &x, sizeof(x), &r)
 *   pool.apply_async(f, (x,))           h = pool_apply_async(p, f, &x, sizeof(x))
 *   apply_async(f, (x,), callback=c,    pool_apply_async_cb(p, f, &x, sizeof(x), &cb)
 *               error_callback=e)
 *   res.wait(t), res.ready(), res.get(t) pool_async_wait(h, t), _ready(h), _get(h, t, &r)
 *   pool.map(f, xs, chunksize)          pool_map(p, f, xs, sizeof(*xs), n, chunksize, rs)
 *   pool.map_async(f, xs, cs, cb, ecb)  pool_map_async(...), pool_map_async_cb(..., &cb)
 *   pool.imap(f, xs) / imap_unordered   pool_imap(..., ordered), then pool_async_next
 *   pool.starmap(g, [(a, b), ...])      pool_starmap(p, g, iov, 2, n, chunksize, rs)
 *   pool.close(), join(), terminate()   pool_close(p), pool_join(p), pool_terminate(p)
 *   with Pool(...) as pool: (exit)      pool_destroy(p)  (terminates if still running)
 *
 * As in CPython, a chunk is one task message: its tasks run in order and
 * stop at the first error (mapstar), and one result message carries the
 * chunk's results; a map's result is ready once every chunk is done.
 * terminate() sends SIGTERM (then SIGKILL after a second, which CPython
 * does not). What a failure does is opts.on_death:
 * - POOL_HANG, CPython's (the default): a worker that dies while holding
 *   a chunk loses it: its tasks never get a result and a get() or join()
 *   that waits for them waits for ever (a new worker takes the slot and
 *   the other tasks complete); terminate() leaves every pending result
 *   unsettled (a get() without a timeout never returns); a worker whose
 *   initializer crashes is replaced, for ever, and pool_create returns
 *   (Pool() does not wait for its workers) with a pool whose tasks hang.
 *   Lib/multiprocessing/pool.py of 3.11 to 3.14: _handle_workers only
 *   repopulates, _terminate_pool never sets the cache's results.
 * - POOL_RECOVER, parbench's: the task a worker died in gets "worker died
 *   (signal N)", its chunk's other tasks run again and a new worker takes
 *   its slot; terminate() fails every pending task with POOL_ETERMINATED;
 *   a crashing initializer fails pool_create.
 * Nothing is left behind either way: no zombie, no fd, no orphan.
 *
 * With opts.gil the task handler and the result handler are Python threads
 * of that GIL, as CPython's are: each takes it for its Python work per
 * chunk (the task handler: taking the chunk from the cache and put()ting
 * it; the result handler: get() and setting the results, the callback
 * included) and drops it around every blocking call (the queue's read or
 * write, the wait for work). A caller that holds that GIL (gil_current())
 * drops it while it blocks in get, wait, next, join or terminate, as
 * Event.wait and Thread.join do. Neither ever waits for the GIL while
 * holding the pool's mutex. The worker handler is not modelled as Python:
 * a callback it runs for a task failed by a death runs without the GIL.
 *
 * CPython versions: follows 3.11's Lib/multiprocessing/pool.py. 3.14: the
 * default start method on Linux is forkserver (the workers here are forked);
 * 3.12, 3.13: the handlers and worker() not re-read line by line for this
 * note.
 */
#ifndef PB_POOL_H
#define PB_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "topo.h"

struct gil;

/* What a task's result is: its bytes (POOL_OK) or why there are none. */
enum pool_status {
	POOL_OK = 0,
	POOL_ETASK,	  /* the task reported an error (pool_raise, or a non-zero return) */
	POOL_EDIED,	  /* its worker died while holding it */
	POOL_ETERMINATED, /* the pool was terminated (or broke) before it ran */
	POOL_ETIMEDOUT,	  /* a wait or get ran out of time: the task goes on */
	POOL_END,	  /* pool_async_next: every result has been handed out */
	POOL_ESKIPPED,	  /* not run: an earlier task of its chunk failed (mapstar stops) */
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
	enum pool_on_death {
		POOL_HANG, /* CPython (0, the default): lost tasks wait, terminate settles none */
		POOL_RECOVER, /* parbench: the task fails, the rest of its chunk runs again */
	} on_death;
	/* POOL_HANG: > 0 bounds "for ever" (the lost tasks then fail with
	 * POOL_EDIED: a test's escape hatch); <= 0 (the default): for ever */
	double hang_timeout_s;
	/* The caller's GIL (lib/models/gil.h): the task and result handlers
	 * run under it. NULL (the default): they are free threads. It must
	 * outlive the pool. */
	struct gil *gil;
};

struct pool;
/* Start W workers and the three handler threads, and wait until each
 * worker has run its initializer. NULL with
 * err filled on failure (nothing left behind). Like CPython at start-up, it
 * sets SIGPIPE to SIG_IGN if it is at its default (so that writing to a
 * worker that just died is an EPIPE, not the caller's death). */
struct pool *pool_create(int workers, const struct pool_opts *opts, char *err, size_t errlen);
/* No more tasks; the queued ones still run. */
void pool_close(struct pool *p);
/* Stop the handler threads, SIGTERM every worker (SIGKILL for one still
 * there after a second) and reap them. POOL_RECOVER: every task not yet
 * finished gets POOL_ETERMINATED (no callback runs for it); POOL_HANG, as
 * CPython: none does, and a wait for one waits for ever (a handle whose
 * pool was destroyed then says POOL_ETERMINATED: nothing is left to wait on). */
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
	/* opts.gil: the GIL takes of the task handler and of the result
	 * handler, and their time spent waiting for it */
	unsigned long long tasks_gil_takes, results_gil_takes, handler_gil_wait_ns;
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

/* Python's callback and error_callback. They run in the result handler
 * thread (in the worker handler's for a task failed by a death) once the
 * job has every result, before a get returns it; they may submit work but
 * must not wait for it. callback: every task succeeded (for apply, n = 1).
 * error_callback: the first task to fail (its index), even when others
 * succeeded (Python: the first exception). */
struct pool_callbacks {
	void (*callback)(const struct pool_result *results, size_t n, void *arg);
	void (*error_callback)(const struct pool_result *failed, size_t index, void *arg);
	void *arg;
};
struct pool_async *pool_apply_async_cb(struct pool *p, pool_fn fn, const void *arg, size_t len,
				       const struct pool_callbacks *cb);
/* n tasks; task i gets the argsize bytes at args + i * argsize. chunksize 0:
 * Python's default. */
struct pool_async *pool_map_async(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				  size_t n, size_t chunksize);
struct pool_async *pool_map_async_cb(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				     size_t n, size_t chunksize, const struct pool_callbacks *cb);
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
 * first task to fail (Python raises it; here the others are there too:
 * POOL_ESKIPPED for the tasks of its chunk after it). */
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
