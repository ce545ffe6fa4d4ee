/* SPDX-License-Identifier: MIT */
/*
 * gil — a model of CPython's global interpreter lock, the "new GIL" of
 * CPython 3.2 to 3.14 (Python/ceval_gil.h up to 3.11, Python/ceval_gil.c
 * since). gil.c opens with the map from each of its parts to CPython.
 *
 * A thread that "runs Python" holds the GIL. It computes in ticks (one tick
 * is about one Python loop iteration) and checks drop_request after each,
 * as CPython checks its eval breaker on every loop back-edge; it drops the
 * GIL around every blocking call. A thread that wants the GIL waits one
 * switch interval, then asks the holder to drop it.
 *
 * Usage, per thread:
 *	struct gil_thread t;  gil_thread_init(&t, &gil, id, 0);
 *	gil_take(&t);                        a new Python thread starts
 *	x = gil_compute(&t, x, n);           CPU work, polling drop_request
 *	gil_read(&t, fd, buf, len);          IO: drop, read, take
 *	gil_exit(&t);                        the thread ends
 *
 * CPython versions: see gil.c's opening comment.
 */
#ifndef PB_GIL_H
#define PB_GIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GIL_DEFAULT_INTERVAL_US 5000 /* sys.getswitchinterval() == 0.005 */

struct gil_thread;

/* CPython: struct _gil_runtime_state, plus the interpreter's
 * gil_drop_request. Initialise with gil_init; never copy. */
struct gil {
	atomic_ulong interval_us; /* the switch interval (sys.setswitchinterval) */
	atomic_int locked;	  /* the GIL itself: 1 while a thread holds it */
	/* the last thread that held it; read together with locked */
	_Atomic(struct gil_thread *) last_holder;
	unsigned long switch_number;  /* takes by a different thread; under mutex */
	pthread_mutex_t mutex;	      /* protects locked's changes and cond */
	pthread_cond_t cond;	      /* signalled on every drop (CLOCK_MONOTONIC) */
	pthread_mutex_t switch_mutex; /* FORCE_SWITCHING: protects last_holder's ... */
	pthread_cond_t switch_cond;   /* ... changes, signalled on every take */
	atomic_int drop_request;      /* a waiter asks the holder to drop the GIL */
	bool enabled;		      /* false: free-threaded, take/drop do nothing */
};

/* One thread's side of the GIL (CPython: its PyThreadState) and its
 * counters. Counters are written by the owning thread only: read them after
 * joining it. */
struct gil_thread {
	struct gil *gil;
	int id;
	uint64_t acquisitions;	/* gil_take calls (fast path or after waiting) */
	uint64_t switches_in;	/* takes that made this thread the new last holder */
	uint64_t forced_drops;	/* drops because another thread asked */
	uint64_t drop_requests; /* times this thread asked the holder to drop it */
	uint64_t wait_ns;	/* time spent inside gil_take */
	uint64_t hold_ns;	/* time spent holding the GIL */
	uint64_t taken_ns;	/* when the current hold began */
	bool holding;		/* between gil_take and gil_drop/gil_exit */
	/* hold time of each slice that ended in a forced drop (first slice_cap) */
	uint64_t *slice_ns;
	size_t slice_cap, nslices;
};

/* 0, or an errno value (pthread or ENOMEM). enabled == false models a
 * free-threaded build: take and drop return at once, drop_request is never
 * set (the eval breaker is still polled, as free-threaded CPython does). */
int gil_init(struct gil *g, unsigned long interval_us, bool enabled);
/* 0, or EBUSY when a thread still holds it or waits on it. */
int gil_destroy(struct gil *g);
void gil_set_interval(struct gil *g, unsigned long interval_us);
unsigned long gil_interval(struct gil *g);
/* switch_number: how often a different thread has taken the GIL. */
unsigned long gil_switches(struct gil *g);
/* The thread holding the GIL now, or NULL (a snapshot, taken under mutex). */
struct gil_thread *gil_holder(struct gil *g);

/* slice_cap: how many forced-drop slices to record (0: none). 0 or ENOMEM. */
int gil_thread_init(struct gil_thread *t, struct gil *g, int id, size_t slice_cap);
void gil_thread_free(struct gil_thread *t);

/* The calling thread's state, as CPython's _PyThreadState_GET(): the
 * gil_thread it last passed to gil_take (set there, cleared by gil_exit
 * and gil_thread_free), or NULL. Lets code that a Python thread calls
 * (lib/models/channel's queue) drop and take that thread's GIL. */
struct gil_thread *gil_current(void);

/* take_gil: block until this thread holds the GIL. */
void gil_take(struct gil_thread *t);
/* drop_gil: release it; if a drop was requested and nobody has taken it
 * yet, wait until someone has (FORCE_SWITCHING). */
void gil_drop(struct gil_thread *t);
/* The last release of a thread that ends: no forced-switch wait. */
void gil_exit(struct gil_thread *t);
/* The eval breaker's GIL part: drop (forced), then take again. */
void gil_yield(struct gil_thread *t);

/* One relaxed load: what CPython's eval loop does on every back-edge. */
static inline bool gil_drop_requested(struct gil *g)
{
	return atomic_load_explicit(&g->drop_request, memory_order_relaxed) != 0;
}

static inline void gil_poll(struct gil_thread *t)
{
	if (__builtin_expect(gil_drop_requested(t->gil), 0))
		gil_yield(t);
}

/* CPU work under the GIL: n ticks (wl_tick) from x, polling after each.
 * gil_compute(t, seed | 1, n) == wl_cpu_ticks(seed, n). */
uint64_t gil_compute(struct gil_thread *t, uint64_t x, uint64_t n);

/* A long C call that holds the GIL and never polls (an extension's loop,
 * a regex over a huge string): n ticks, then the one eval-breaker check
 * when the call returns. A waiter's drop request waits for that return:
 * the switch interval becomes a minimum. Same value as gil_compute. */
uint64_t gil_compute_nopoll(struct gil_thread *t, uint64_t x, uint64_t n);
/* C code that releases the GIL around its work (hashlib or zlib on a large
 * buffer: Py_BEGIN_ALLOW_THREADS): drop, n ticks, take. Threads doing
 * this scale with the PUs. Same value as gil_compute. */
uint64_t gil_compute_released(struct gil_thread *t, uint64_t x, uint64_t n);

/* Blocking calls with the GIL released around them (Py_BEGIN_ALLOW_THREADS
 * ... Py_END_ALLOW_THREADS). errno is that of the call. */
void gil_sleep_ns(struct gil_thread *t, uint64_t ns);
ssize_t gil_read(struct gil_thread *t, int fd, void *buf, size_t len);
ssize_t gil_write(struct gil_thread *t, int fd, const void *buf, size_t len);
/* socket.sendall and socket.recv on a blocking socket (socketmodule.c
 * sock_call_ex: the GIL released around each send() and recv()): sendall
 * loops until len bytes are sent, one drop and take per send(). */
ssize_t gil_sendall(struct gil_thread *t, int fd, const void *buf, size_t len);
ssize_t gil_recv(struct gil_thread *t, int fd, void *buf, size_t len);

#endif
