/* SPDX-License-Identifier: MIT */
/*
 * pool_impl — the insides of the process pool (lib/models/pool/, a model of
 * multiprocessing.Pool, CPython's Lib/multiprocessing/pool.py): what its
 * files share. Not for bench/ or tests: they use pool.h.
 *
 * CPython versions: see pool.h's opening comment.
 */
#ifndef PB_POOL_IMPL_H
#define PB_POOL_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gil.h"
#include "pool.h"

#define POOL_MAX_FNS 64
#define POOL_MAX_FRAME (256u << 20) /* a chunk message is cut at this size */
#define TASK_HEADER 20		    /* u32 job, u32 fn, u64 start, u32 count */
#define RESULT_HEADER 28	    /* u32 slot, u32 kind, u32 job, u64 start, u32 count, u32 nok */

enum result_kind { KIND_READY, KIND_OK, KIND_ERROR };

enum pool_state { RUNNING, CLOSED, TERMINATED, JOINED };

/* What a worker slot shares with the parent (mapped shared before any
 * fork). The worker records the task message it took from the shared
 * queue and how far it got in it; after a death the parent reads it.
 * Python's pool has no such record: it cannot tell what a dead worker
 * held. */
struct slot_state {
	uint32_t job;		    /* the job of the chunk it holds; 0: none */
	uint32_t count;		    /* the chunk's tasks */
	uint64_t start;		    /* its first task */
	uint32_t started, finished; /* tasks of it started, finished */
	uint32_t in_queue;	    /* 1 reading the task queue, 2 writing the result queue */
	uint32_t sent;		    /* result messages written whole */
	char pad[24];
};

/* The two queues' locks (SimpleQueue._rlock of the task queue and _wlock
 * of the result queue), process-shared and robust: a worker killed while
 * holding one does not deadlock the others (Python's would). */
struct pool_shared {
	pthread_mutex_t rlock, wlock;
	struct slot_state slot[];
};

/* A run of consecutive tasks of one job: one task message. */
struct chunk {
	struct pool_async *job;
	size_t start, count;
};

struct retry {
	struct chunk c;
	struct retry *next;
};

/* POOL_HANG: a chunk lost with its worker, failed at its deadline. */
struct lost {
	uint32_t job;
	size_t start, count;
	uint64_t deadline_ns;
	char why[112];
	struct lost *next;
};

struct worker {
	pid_t pid; /* 0: the slot is empty */
	int pidfd; /* readable once the worker has exited */
	bool ready;
	uint32_t got; /* result messages of this worker the result handler read */
};

struct pool {
	pthread_mutex_t mu;    /* guards the pool's state, jobs, workers and stats */
	pthread_cond_t change; /* a result came, a worker came or went, a job is ready */
	pthread_cond_t work;   /* the task handler: there is something to send */
	enum pool_state state;
	int nworkers;
	struct worker *w;
	struct pool_shared *sh; /* shared with the workers */
	size_t sh_len;
	int inq[2];  /* the task queue: the task handler writes, workers read */
	int outq[2]; /* the result queue: workers write, the result handler reads */
	int stop_fd; /* an eventfd, written once: the handler threads stop */
	pthread_t tasks_thread, results_thread, workers_thread;
	int threads;	 /* handler threads started: tasks, workers, results */
	bool stopping;	 /* the handler threads must leave */
	bool wake_later; /* the result handler wakes waiters after unlocking */
	struct pool_opts opts;
	pid_t parent;			     /* the process that created the pool */
	int nfns;			     /* functions registered when the pool was created */
	uint32_t next_id;		     /* the next job's id (0 is never one) */
	struct pool_async *jobs, *jobs_tail; /* the cache: every job not yet freed */
	struct pool_async *cursor;	     /* the oldest job with tasks not yet sent */
	struct retry *retries;		     /* a dead worker's tasks to send again first */
	struct lost *lost;		     /* POOL_HANG: chunks lost with their workers */
	int sentinels;			     /* join: exit messages the task handler owes */
	int ready_count;		     /* workers that ran their initializer */
	struct pool_stats stats;
	/* opts.gil: the handlers' takes (tasks, results) and waits; atomics */
	unsigned long long gil_takes[2], gil_wait_ns;
	int idle_deaths; /* deaths in a row before taking any work: a broken initializer */
	bool broken;	 /* no worker can be started: every task fails */
	char last_death[64];
	char error[160];
};

/* One apply_async, map or imap: n tasks and their results. */
struct pool_async {
	struct pool *pool; /* NULL once the pool is destroyed */
	uint32_t id;
	int fn;
	size_t n, chunksize;
	char *args;  /* task i's argument: args[off[i] .. off[i + 1]) */
	size_t *off; /* n + 1 */
	struct pool_result *results;
	bool *done;
	size_t *order; /* task indexes in the order their results arrived */
	size_t ndone;
	size_t first_error; /* the first failed task to arrive; n: none */
	size_t next;	    /* the first task not yet sent */
	size_t nread;	    /* pool_async_next: results handed out so far */
	bool ordered;	    /* pool_async_next in task order (imap) or arrival order */
	bool ready;	    /* done and its callback has run: get returns */
	bool abandoned;	    /* freed by the caller while its tasks still ran */
	struct pool_callbacks cb;
	struct pool_async *prev, *later;
};

/* ---- helpers (pool.c) ---- */
int pool_misuse(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool pool_grow(char **buf, size_t *cap, size_t need);
/* Write all of buf (blocking fd); false when the peer is gone or on error. */
bool pool_write_full(int fd, const void *buf, size_t len);
/* Read exactly len bytes (blocking fd); false at EOF or on error. */
bool pool_read_full(int fd, void *buf, size_t len);
/* A robust process-shared mutex: lock it, taking over one whose owner died. */
void pool_shared_lock(pthread_mutex_t *m);

/* ---- opts.gil (pool.c); p->mu never held ---- */
enum { POOL_GIL_TASKS, POOL_GIL_RESULTS };
/* A handler takes the GIL for its Python work (t: its own; which: which
 * handler, for the counts). */
void pool_handler_take(struct pool *p, struct gil_thread *t, int which);
/* The caller is about to block: if it holds the pool's GIL, drop it and
 * return its state (for pool_gil_end), else NULL. */
struct gil_thread *pool_gil_begin(struct pool *p);
/* After the blocking call: take the GIL back (t NULL: nothing). */
void pool_gil_end(struct gil_thread *t);

/* ---- the task registry and the worker (pool_worker.c) ---- */
int pool_registry_find(pool_fn fn);
int pool_registry_count(void);
void pool_worker_main(struct pool *p, int slot) __attribute__((noreturn));

/* ---- workers born and dead (pool_spawn.c); p->mu held unless said ---- */
int pool_spawn(struct pool *p, int slot, char *err, size_t errlen);
/* The worker handler (Pool._handle_workers): a thread. */
void *pool_workers_thread(void *arg);
/* SIGTERM every worker, SIGKILL those still there after a grace period,
 * reap them all. p->mu not held; the handler threads have stopped. */
void pool_kill_workers(struct pool *p);

/* ---- the task and result handlers (pool_handlers.c) ---- */
void *pool_tasks_thread(void *arg);
void *pool_results_thread(void *arg);
struct pool_async *pool_job_by_id(struct pool *p, uint32_t id);
/* Record task i's result. True when it was the job's last one. */
bool pool_complete(struct pool *p, struct pool_async *job, size_t i, enum pool_status st,
		   const char *data, size_t len);
/* The job has every result: run its callback (p->mu held on entry and on
 * return, released around the callback), then wake its waiters. */
void pool_job_finish(struct pool *p, struct pool_async *job, bool callback);
/* Every task of job without a result gets status st and message why. */
void pool_fail_job(struct pool *p, struct pool_async *job, enum pool_status st, const char *why);
/* Tasks start .. start + count - 1 of job without a result get st and why;
 * finishes the job (its callback run when callback) if that was its last. */
void pool_fail_range(struct pool *p, struct pool_async *job, size_t start, size_t count,
		     enum pool_status st, const char *why, bool callback);
/* No more work can be done: fail whatever is left. */
void pool_fail_all(struct pool *p, enum pool_status st, const char *why);
bool pool_work_left(struct pool *p);
bool pool_any_job_running(const struct pool *p);
bool pool_any_worker(const struct pool *p);
/* Put tasks start .. start + count - 1 of job at the front of the queue. */
void pool_requeue(struct pool *p, struct pool_async *job, size_t start, size_t count);

/* ---- jobs (pool_async.c) ---- */
void pool_job_free(struct pool_async *job);

#endif
