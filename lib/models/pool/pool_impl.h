/* SPDX-License-Identifier: MIT */
/*
 * pool_impl — the insides of the process pool (lib/models/pool/, a model of
 * multiprocessing.Pool, CPython's Lib/multiprocessing/pool.py): what its
 * files share. Not for bench/ or tests: they use pool.h.
 */
#ifndef PB_POOL_IMPL_H
#define PB_POOL_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"

#define POOL_MAX_FNS 64
#define POOL_MAX_FRAME (256u << 20) /* a chunk message is cut at this size */
#define RESULT_HEADER 5		    /* u32 length + u8 kind */

enum frame_kind { KIND_READY, KIND_OK, KIND_ERROR };

enum pool_state { RUNNING, CLOSED, TERMINATED, JOINED };

/* Besides its pipes, a worker shares one word with the parent: how far it
 * is in its chunk. The parent zeroes it when it hands out a chunk; the
 * worker counts the tasks it started and finished. After a death the
 * parent reads it: a task started but not finished is the one the worker
 * died in. One cache line per worker, mapped shared before any fork. */
struct progress {
	uint32_t started, finished;
	char pad[56];
};

/* A run of consecutive tasks of one job: what a worker is handed. */
struct chunk {
	struct pool_async *job; /* NULL: none */
	size_t start, count;
};

struct retry {
	struct chunk c;
	struct retry *next;
};

struct worker {
	pid_t pid;	   /* 0: the slot is empty */
	int task_fd;	   /* write end of its task pipe */
	int result_fd;	   /* read end of its result pipe (non-blocking) */
	int pidfd;	   /* readable once the worker has exited */
	bool ready;	   /* its initializer is done: it may be given work */
	bool leaving;	   /* told to leave, or at maxtasksperchild: no more work */
	bool eof;	   /* its result pipe is closed: stop polling it */
	struct chunk held; /* the chunk it is working on */
	size_t got;	   /* results of held received so far (they come in order) */
	int chunks;	   /* chunks handed to it, for maxtasksperchild */
	char *in;	   /* bytes received that are not yet a whole frame */
	size_t in_len, in_cap;
};

struct pool {
	enum pool_state state;
	int nworkers;
	struct worker *w;
	struct progress *progress; /* per worker slot, shared with the workers */
	struct pool_opts opts;
	pid_t parent;			     /* the process that created the pool */
	int nfns;			     /* functions registered when the pool was created */
	struct pool_async *jobs, *jobs_tail; /* every job not yet freed, oldest first */
	struct pool_async *cursor;	     /* the oldest job with tasks not handed out */
	struct retry *retries;		     /* a dead worker's tasks to run again, first in line */
	struct pool_stats stats;
	int idle_deaths; /* deaths in a row before taking any work: a broken initializer */
	bool broken;	 /* no worker can be started: every task fails */
	char last_death[64];
	char *out; /* scratch for building a task message */
	size_t out_cap;
	char error[160];
};

/* One apply_async, map or imap: n tasks and their results. */
struct pool_async {
	struct pool *pool; /* NULL once the pool is destroyed */
	int fn;
	size_t n, chunksize;
	char *args;  /* task i's argument: args[off[i] .. off[i + 1]) */
	size_t *off; /* n + 1 */
	struct pool_result *results;
	bool *done;
	size_t *order; /* task indexes in the order their results arrived */
	size_t ndone;
	size_t next;	/* the first task not yet handed to a worker */
	size_t nread;	/* pool_async_next: results handed out so far */
	bool ordered;	/* pool_async_next in task order (imap) or arrival order */
	bool abandoned; /* freed by the caller while its tasks still ran */
	struct pool_async *prev, *later;
};

/* ---- helpers (pool.c) ---- */
/* Record a misuse in p->error (pool_error); returns -1. */
int pool_misuse(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make *buf hold at least need bytes (doubling); false when out of memory. */
bool pool_grow(char **buf, size_t *cap, size_t need);
/* Write all of buf; false when the peer is gone (EPIPE) or on error. */
bool pool_write_full(int fd, const void *buf, size_t len);

/* ---- the task registry and the worker (pool_worker.c) ---- */
/* The registry index of fn, or -1. */
int pool_registry_find(pool_fn fn);
/* How many functions are registered now. */
int pool_registry_count(void);
/* A forked worker's life in slot: it never returns. */
void pool_worker_main(struct pool *p, int slot, int in_fd, int out_fd) __attribute__((noreturn));

/* ---- workers born and dead (pool_spawn.c) ---- */
/* Fork the worker of slot, born on its PU. 0, or -1 with err. */
int pool_spawn(struct pool *p, int slot, char *err, size_t errlen);
void pool_close_worker(struct worker *w);
/* waitpid, retried on EINTR: the status. */
int pool_reap(pid_t pid);
/* Has w exited? By its pidfd (revents) or, without one, by waitid. */
bool pool_worker_exited(const struct worker *w, short revents);
/* The worker in slot has exited: settle its chunk, replace it if needed. */
void pool_on_exit(struct pool *p, int slot);

/* ---- the parent's loop (pool_dispatch.c) ---- */
/* Record task i's result. True when it was the job's last one. */
bool pool_complete(struct pool *p, struct pool_async *job, size_t i, enum pool_status st,
		   const char *data, size_t len);
/* Every task of job without a result gets status st and message why. */
void pool_fail_job(struct pool *p, struct pool_async *job, enum pool_status st, const char *why);
/* No more work can be done: fail whatever is left. */
void pool_fail_all(struct pool *p, enum pool_status st, const char *why);
/* Read what w has sent and deliver every whole frame. */
void pool_read_worker(struct pool *p, struct worker *w);
/* Is there a task not yet handed to any worker? */
bool pool_work_left(struct pool *p);
/* Hand every idle worker a chunk, while there are any. */
void pool_dispatch(struct pool *p);
bool pool_any_job_running(const struct pool *p);
bool pool_any_worker(const struct pool *p);
/* Wait for something to happen (until deadline_ns; 0: for ever), handle
 * it, and hand idle workers new work. */
void pool_pump(struct pool *p, uint64_t deadline_ns);

/* ---- jobs (pool_async.c) ---- */
void pool_job_free(struct pool_async *job);

#endif
