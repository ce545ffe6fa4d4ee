/* SPDX-License-Identifier: MIT */
/*
 * counter — one shared counter, W workers (processes or threads), and seven
 * ways to (not) protect an increment: the seed's Value('i') with and without
 * its Lock (and without get_lock(), as CPython runs it: value-unlocked), and
 * what C offers besides (counter.c: the variants, as CPython's
 * Lib/multiprocessing/sharedctypes.py and synchronize.py; counter_run.c:
 * starting and joining the workers).
 *
 * Every variant is a small ops table; one generic worker loop (a template
 * instantiated per variant, as concurrencykit's regressions do) measures
 * them all, so two variants differ only in their increment. The counter and
 * its locks live in memory mapped MAP_SHARED|MAP_ANONYMOUS before any
 * worker exists, so the same code serves forked children and threads.
 *
 * CPython versions: see counter.c's opening comment.
 */
#ifndef PB_COUNTER_H
#define PB_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "topo.h"

/* COUNTER_THREADS_GIL: threads that run "Python" under one GIL (gil.h):
 * each holds it while it counts, polls it between the load and the store
 * (the setter's call) and on every loop back-edge, and drops it when
 * another thread asks (the switch interval), as CPython's eval loop does.
 * Only the variants that take no lock (unlocked, atomic, sharded): a lock
 * held across a GIL switch would need CPython's acquire that drops the
 * GIL while it blocks. */
enum counter_mode { COUNTER_PROCS, COUNTER_THREADS, COUNTER_THREADS_GIL };

struct counter_shm; /* the shared page(s): counter, locks, start flag, shards */
struct counter_job;
struct gil_thread;

/* A variant. Only counter.c and counter_run.c call the functions. */
struct counter_ops {
	const char *name; /* "unlocked", "mutex", ... (the CSV's workload column) */
	const char *what; /* one line for docs and --list */
	bool exact;	  /* guaranteed to end at workers x increments */
	/* 0, or an errno value; pshared: the workers are processes */
	int (*init)(struct counter_shm *s, bool pshared);
	/* one worker's whole loop: the generic template with this variant's
	 * increment inlined; returns the window's work so it is not dropped */
	uint64_t (*loop)(struct counter_shm *s, int worker, const struct counter_job *j);
	/* the same loop under the GIL (COUNTER_THREADS_GIL), t the worker's
	 * side of it, held on entry and on return; NULL: takes a lock */
	uint64_t (*loop_gil)(struct counter_shm *s, int worker, const struct counter_job *j,
			     struct gil_thread *t);
	/* the count once every worker has finished */
	uint64_t (*total)(struct counter_shm *s, int workers);
	void (*destroy)(struct counter_shm *s);
};

/* All variants, NULL-terminated, in the order plots and notes use. */
extern const struct counter_ops *const counter_variants[];
/* The variant called name, or NULL. */
const struct counter_ops *counter_find(const char *name);

/* One run: workers x increments, every worker started at the same moment. */
struct counter_job {
	const struct counter_ops *ops;
	enum counter_mode mode;
	int workers;
	uint64_t increments; /* per worker */
	/* work done between reading the counter and writing it back (unlocked,
	 * mutex, semaphore, spin, sharded; value-unlocked: with the lock
	 * released) or before the increment (atomic,
	 * which has no gap): the gap between CPython's load and store */
	uint64_t window_ns;
	/* work done before every increment, outside any lock: the rest of a
	 * loop that does more than count */
	uint64_t gap_ns;
	/* value-unlocked: work done under the lock in each of its two locked
	 * sections, half before the access and half after: what CPython's
	 * accessor runs between its acquire and its release */
	uint64_t hold_ns;
	/* worker i begins counting i x stagger_ns after the start signal (0:
	 * all at once): CPython's Processes, started one after the other,
	 * each begin once their fork and start-up are done, and the ones
	 * already counting count alone meanwhile */
	uint64_t stagger_ns;
	uint64_t sleep_ns; /* sleep before every increment: the seed's sleep(0.01) */
	/* sleep until the next multiple of sleep_ns instead (CLOCK_MONOTONIC):
	 * every worker wakes on the same tick, as with a coarse timer */
	bool sleep_aligned;
	/* COUNTER_THREADS_GIL: the switch interval (0: CPython's 5 ms) */
	unsigned long gil_interval_us;
	/* where workers are born; both NULL (or policy none): not bound */
	const struct topo *topo;
	const struct placement *placement;
	/* called just before the start signal and after the last worker was
	 * joined or reaped (may be NULL): the harness's timer */
	void (*started)(void *arg);
	void (*stopped)(void *arg);
	void *arg;
};

struct counter_result {
	uint64_t final_count;
	uint64_t expected_count; /* workers x increments */
	uint64_t lost_updates;	 /* expected - final */
	uint64_t window_ticks;	 /* the window as wl_tick()s */
	double span_s;		 /* start signal -> the last worker's last increment */
	double start_skew_s;	 /* start signal -> the last worker to see it */
	double overlap;		 /* share of the span in which all workers were counting */
	uint64_t gil_switches;	 /* COUNTER_THREADS_GIL: takes by a new holder */
	uint64_t lock_takes;	 /* value-unlocked: the Value's lock taken, all workers */
	uint64_t lock_gives;	 /* ... and given back */
	/* value-unlocked: takes that found the lock taken (sem_trywait
	 * failed: the worker dropped its GIL and waited), [0] in the getter,
	 * [1] in the setter */
	uint64_t lock_blocked[2];
	/* value-unlocked: the workers' GIL taken again after a blocked take
	 * (processes; free threads have no GIL: 0) */
	uint64_t gil_retakes;
	/* value-unlocked: the largest first load of any worker: what the
	 * others had counted when the last one began */
	uint64_t head_start;
	/* value-unlocked: the values loaded after the first worker to finish
	 * made its last load (largest last load minus smallest) */
	uint64_t tail;
	int *ran_on; /* caller's array of `workers` PUs, or NULL */
	char error[256];
};

/* Run the job; 0, or -1 with r->error saying what failed. No worker is
 * left behind in either case. */
int counter_run(const struct counter_job *job, struct counter_result *r);

#endif
