/* SPDX-License-Identifier: MIT */
/*
 * counter — the seed's shared counter: CPython's multiprocessing.Value('i', 0)
 * (Lib/multiprocessing/sharedctypes.py), a ctypes int in shared memory that
 * many multiprocessing.Process or threading.Thread workers increment, with
 * and without its lock (a SemLock, Lib/multiprocessing/synchronize.py).
 * This file holds the seven variants and the one measurement loop they share;
 * counter_run.c starts the workers and collects the result.
 *
 *   here                  CPython
 *   --------------------  ------------------------------------------------
 *   counter_shm.value     the Value's c_int in an mmap'd arena (heap.py)
 *   read_work_write()     `val.value += 1`: Synchronized's getter, then its
 *                         setter; each takes the lock alone, nothing holds
 *                         it across both, and the bytecodes between the
 *                         load and the store are the window
 *   unlocked              the seed: `val.value += 1` without get_lock()
 *   semaphore             `with val.get_lock(): val.value += 1`: a SemLock
 *                         is a POSIX semaphore of value 1 (Lock; Value's
 *                         default RLock is the same semaphore, recursive)
 *   value-unlocked        the seed's `val.value += 1` as CPython runs it:
 *                         the getter takes that semaphore for the load and
 *                         gives it back, the window runs unlocked, the
 *                         setter takes it again for the store (unlocked
 *                         is the same increment without the Value's lock)
 *   mutex, spin, atomic,  what C offers besides: a pthread mutex, a spin
 *   sharded               lock, one atomic add, per-worker counters
 *   generic_loop()        the worker's `for _ in range(n): sleep; += 1`
 *   gil_loop()            the same on threading.Thread workers under the
 *                         GIL: the window's bytecodes poll the eval
 *                         breaker, so does the setter's call between the
 *                         load and the store and the loop's back-edge; only
 *                         a switch between the load and the store loses
 *                         (every increment the other threads made in
 *                         between: the store writes back the stale value)
 *
 * CPython versions: follows 3.11's sharedctypes.py (Value's synchronized
 * getter and setter on one RLock) and synchronize.py (SemLock). 3.14: the
 * default start method on Linux is forkserver (the workers here are forked);
 * 3.12, 3.13: not re-read line by line for this note.
 */
#include "counter.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "counter_shm.h"
#include "gil.h"
#include "workload.h"
/* The window (and the gap): `ticks` of real CPU work (a worker preempted inside it still
 * has the rest to do, as CPython has between its load and store). It starts
 * from the value just read, so the compiler cannot begin it before the load,
 * and the empty asm (reads x, clobbers memory) keeps the caller's store
 * after it. */
static inline uint64_t window(uint64_t x, uint64_t ticks)
{
	for (uint64_t i = 0; i < ticks; i++)
		x = wl_tick(x);
	__asm__ volatile("" : : "r"(x) : "memory");
	return x;
}

/* Read, work, write back: the seed's `val.value += 1`. Relaxed atomics make
 * the load and the store indivisible each (no torn value, no data race in
 * C's sense: TSan and UBSan have nothing to say), but nothing joins them,
 * so a store can overwrite increments made since its load. */
static inline uint64_t read_work_write(_Atomic uint64_t *p, uint64_t ticks, uint64_t x)
{
	uint64_t v = atomic_load_explicit(p, memory_order_relaxed);

	x = window(x ^ v, ticks);
	atomic_store_explicit(p, v + 1, memory_order_relaxed);
	return x;
}

/* ---- the variants: an increment each ---- */

static inline uint64_t unlocked_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	(void)w;
	return read_work_write(&s->value, ticks, x);
}

/* A normal (not robust) mutex used correctly cannot fail to lock. */
static inline uint64_t mutex_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	(void)w;
	pthread_mutex_lock(&s->mutex);
	x = read_work_write(&s->value, ticks, x);
	pthread_mutex_unlock(&s->mutex);
	return x;
}

/* multiprocessing.Lock is a POSIX semaphore of value 1. */
static inline uint64_t semaphore_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	(void)w;
	while (sem_wait(&s->sem) != 0 && errno == EINTR)
		;
	x = read_work_write(&s->value, ticks, x);
	sem_post(&s->sem);
	return x;
}

/* value-unlocked: `v.value += 1` on a synchronized Value without
 * get_lock(). Synchronized's getter and setter (make_property's template
 * in sharedctypes.py) each do acquire; access; release on the Value's
 * RLock (a SemLock: the same semaphore as above), so the increment is two
 * short locked sections with the window between them: load under the lock,
 * release, the bytecodes between the load and the store (the window),
 * re-acquire, store, release. An update is lost only when another worker's
 * store lands in that window; the lock makes the load and the store
 * indivisible, not the increment. Each take and give-back is counted on the
 * worker's own line (the unit test's check that there are two of each per
 * increment). Named for what CPython calls it: a Value, incremented
 * without its lock.
 *
 * The take is SemLock.acquire's (Modules/_multiprocessing/semaphore.c):
 * sem_trywait with the GIL held; only if that fails, Py_BEGIN_ALLOW_THREADS,
 * sem_wait, Py_END_ALLOW_THREADS (the GIL taken back with the semaphore
 * held). Each worker is an interpreter with its own GIL (processes:
 * s->slot[w].gil; free threads: disabled, no-op take and drop). `where`:
 * 0 the getter, 1 the setter, counted when blocked (who waits). */
static inline void value_lock(struct counter_shm *s, int w, int where)
{
	struct gil_thread *t;
	int rc;

	while ((rc = sem_trywait(&s->sem)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		t = gil_current();
		s->slot[w].blocked[where]++;
		gil_drop(t);
		while (sem_wait(&s->sem) != 0 && errno == EINTR)
			;
		gil_take(t);
	}
	s->slot[w].takes++;
}

static inline void value_unlock(struct counter_shm *s, int w)
{
	s->slot[w].gives++;
	sem_post(&s->sem);
}

static inline uint64_t value_unlocked_increment(struct counter_shm *s, int w, uint64_t ticks,
						uint64_t x)
{
	uint64_t v, hold = s->hold_rounds;

	(void)ticks; /* its times are in rounds: s->window_rounds, s->gap_rounds */
	x = counter_rounds(x, s->gap_rounds); /* the setter's return, the loop, the getter's call */
	value_lock(s, w, 0);		      /* the getter: acquire, self._obj.value, release */
	x = counter_rounds(x, hold);
	v = atomic_load_explicit(&s->value, memory_order_relaxed);
	if (__builtin_expect(!s->slot[w].loaded, 0)) { /* what the others counted first */
		s->slot[w].first_read = v;
		s->slot[w].loaded = true;
	}
	s->slot[w].last_read = v;
	x = counter_rounds(x ^ v, hold);
	value_unlock(s, w);
	x = counter_rounds(x, s->window_rounds); /* its return, the add, the setter's call */
	value_lock(s, w, 1); /* the setter: acquire, self._obj.value = v, release */
	x = counter_rounds(x, hold);
	atomic_store_explicit(&s->value, v + 1, memory_order_relaxed);
	x = counter_rounds(x, hold);
	value_unlock(s, w);
	return x;
}

/* Test-and-test-and-set: spin on a plain load (the line stays shared in
 * every waiter's cache) and try the exchange only when the lock looks
 * free. A waiter never sleeps: if the holder is preempted, every waiter
 * burns its whole time slice. */
static inline void spin_lock(atomic_int *l)
{
	for (;;) {
		while (atomic_load_explicit(l, memory_order_relaxed))
			cpu_relax();
		if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
			return;
	}
}

static inline uint64_t spin_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	(void)w;
	spin_lock(&s->spin);
	x = read_work_write(&s->value, ticks, x);
	atomic_store_explicit(&s->spin, 0, memory_order_release);
	return x;
}

/* One indivisible read-modify-write (lock xadd): no gap to lose an update
 * in, so the window's work is done before it. */
static inline uint64_t atomic_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	(void)w;
	x = window(x, ticks);
	atomic_fetch_add_explicit(&s->value, 1, memory_order_relaxed);
	return x;
}

/* Each worker counts on its own line and the shards are summed once
 * everyone is done: nothing is shared while counting. */
static inline uint64_t sharded_increment(struct counter_shm *s, int w, uint64_t ticks, uint64_t x)
{
	return read_work_write(&s->slot[w].shard, ticks, x);
}

/* ---- the generic loop, instantiated per variant ---- */

/* The seed's time.sleep(0.01): a relative sleep, so each worker's phase
 * drifts with its own delays. Aligned, every worker wakes on the same
 * multiple of sleep_ns. */
static void pause_between(const struct counter_job *j)
{
	uint64_t t;
	struct timespec ts;

	if (!j->sleep_aligned) {
		clock_sleep_ns(j->sleep_ns);
		return;
	}
	t = (clock_now_ns() / j->sleep_ns + 1) * j->sleep_ns;
	ts = (struct timespec){ .tv_sec = (time_t)(t / 1000000000u),
				.tv_nsec = (long)(t % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

typedef uint64_t (*increment_fn)(struct counter_shm *s, int w, uint64_t ticks, uint64_t x);

/* Always inlined with a constant `inc`, so each variant's loop has its
 * increment inlined: the loop costs the same for all of them. gap: the
 * ticks before each increment (value-unlocked charges its own, in rounds). */
static inline __attribute__((always_inline)) uint64_t generic_loop(increment_fn inc,
								   struct counter_shm *s, int w,
								   const struct counter_job *j,
								   uint64_t gap)
{
	uint64_t x = (uint64_t)w + 1, ticks = s->window_ticks;

	for (uint64_t i = 0; i < j->increments; i++) {
		if (j->sleep_ns)
			pause_between(j);
		if (gap)
			x = window(x, gap);
		x = inc(s, w, ticks, x);
	}
	return x;
}

#define COUNTER_LOOP(v)                                                                     \
	static uint64_t v##_loop(struct counter_shm *s, int w, const struct counter_job *j) \
	{                                                                                   \
		return generic_loop(v##_increment, s, w, j, s->gap_ticks);                  \
	}

COUNTER_LOOP(unlocked)
COUNTER_LOOP(mutex)
COUNTER_LOOP(semaphore)

/* A worker of value-unlocked is a Python interpreter: it holds its own GIL
 * while it runs (value_lock gives it back around a blocking wait). With no
 * slices to record, gil_thread_init cannot fail. */
static uint64_t value_unlocked_loop(struct counter_shm *s, int w, const struct counter_job *j)
{
	struct gil_thread t;
	uint64_t x;

	gil_thread_init(&t, &s->slot[w].gil, w, 0);
	gil_take(&t);
	/* the gap is the increment's own, in rounds: none in ticks */
	x = generic_loop(value_unlocked_increment, s, w, j, 0);
	s->slot[w].gil_retakes = t.acquisitions ? t.acquisitions - 1 : 0; /* none without a GIL */
	gil_exit(&t);
	gil_thread_free(&t);
	return x;
}
COUNTER_LOOP(spin)
COUNTER_LOOP(atomic)
COUNTER_LOOP(sharded)

/* ---- the same under the GIL (COUNTER_THREADS_GIL) ---- */

/* Load, the window's ticks (polling after each), the setter's call (one
 * more poll), store: a GIL switch anywhere between the load and the store
 * lets the other thread's increments be overwritten, nowhere else. */
static inline uint64_t gil_read_work_write(_Atomic uint64_t *p, struct gil_thread *t,
					   uint64_t ticks, uint64_t x)
{
	uint64_t v = atomic_load_explicit(p, memory_order_relaxed);

	x ^= v;
	if (ticks)
		x = gil_compute(t, x, ticks);
	__asm__ volatile("" : : "r"(x) : "memory");
	gil_poll(t);
	atomic_store_explicit(p, v + 1, memory_order_relaxed);
	return x;
}

typedef uint64_t (*gil_increment_fn)(struct counter_shm *s, int w, struct gil_thread *t,
				     uint64_t ticks, uint64_t x);

static inline uint64_t unlocked_gil_increment(struct counter_shm *s, int w, struct gil_thread *t,
					      uint64_t ticks, uint64_t x)
{
	(void)w;
	return gil_read_work_write(&s->value, t, ticks, x);
}

static inline uint64_t atomic_gil_increment(struct counter_shm *s, int w, struct gil_thread *t,
					    uint64_t ticks, uint64_t x)
{
	(void)w;
	if (ticks)
		x = gil_compute(t, x, ticks);
	gil_poll(t);
	atomic_fetch_add_explicit(&s->value, 1, memory_order_relaxed);
	return x;
}

static inline uint64_t sharded_gil_increment(struct counter_shm *s, int w, struct gil_thread *t,
					     uint64_t ticks, uint64_t x)
{
	return gil_read_work_write(&s->slot[w].shard, t, ticks, x);
}

/* generic_loop with the GIL held: sleeps drop it (time.sleep releases the
 * GIL), the gap polls as any Python work does, and every iteration ends on
 * the back-edge's poll. */
static inline __attribute__((always_inline)) uint64_t gil_loop(gil_increment_fn inc,
							       struct counter_shm *s, int w,
							       const struct counter_job *j,
							       struct gil_thread *t)
{
	uint64_t x = (uint64_t)w + 1, ticks = s->window_ticks, gap = s->gap_ticks;

	for (uint64_t i = 0; i < j->increments; i++) {
		if (j->sleep_ns) {
			gil_drop(t);
			pause_between(j);
			gil_take(t);
		}
		if (gap)
			x = gil_compute(t, x, gap);
		x = inc(s, w, t, ticks, x);
		gil_poll(t);
	}
	return x;
}

#define COUNTER_GIL_LOOP(v)                                                                     \
	static uint64_t v##_gil_loop(struct counter_shm *s, int w, const struct counter_job *j, \
				     struct gil_thread *t)                                      \
	{                                                                                       \
		return gil_loop(v##_gil_increment, s, w, j, t);                                 \
	}

COUNTER_GIL_LOOP(unlocked)
COUNTER_GIL_LOOP(atomic)
COUNTER_GIL_LOOP(sharded)

/* ---- set-up, result, tear-down ---- */

static int plain_init(struct counter_shm *s, bool pshared)
{
	(void)pshared;
	atomic_init(&s->value, 0);
	atomic_init(&s->spin, 0);
	return 0;
}

static int mutex_init(struct counter_shm *s, bool pshared)
{
	pthread_mutexattr_t a;
	int rc;

	plain_init(s, pshared);
	if ((rc = pthread_mutexattr_init(&a)))
		return rc;
	rc = pthread_mutexattr_setpshared(&a, pshared ? PTHREAD_PROCESS_SHARED :
							PTHREAD_PROCESS_PRIVATE);
	if (!rc)
		rc = pthread_mutex_init(&s->mutex, &a);
	pthread_mutexattr_destroy(&a);
	return rc;
}

static void mutex_destroy(struct counter_shm *s)
{
	pthread_mutex_destroy(&s->mutex);
}

static int semaphore_init(struct counter_shm *s, bool pshared)
{
	plain_init(s, pshared);
	return sem_init(&s->sem, pshared, 1) == 0 ? 0 : errno;
}

static void semaphore_destroy(struct counter_shm *s)
{
	sem_destroy(&s->sem);
}

/* The semaphore, and each worker's GIL: enabled in processes (each one an
 * interpreter), disabled in threads (free threads: no GIL). */
static int value_unlocked_init(struct counter_shm *s, bool pshared)
{
	int rc = semaphore_init(s, pshared);

	for (int i = 0; !rc && i < s->workers; i++)
		if ((rc = gil_init(&s->slot[i].gil, GIL_DEFAULT_INTERVAL_US, pshared))) {
			while (i-- > 0)
				gil_destroy(&s->slot[i].gil);
			sem_destroy(&s->sem);
		}
	return rc;
}

static void value_unlocked_destroy(struct counter_shm *s)
{
	for (int i = 0; i < s->workers; i++)
		gil_destroy(&s->slot[i].gil);
	semaphore_destroy(s);
}

static void plain_destroy(struct counter_shm *s)
{
	(void)s;
}

static uint64_t value_total(struct counter_shm *s, int workers)
{
	(void)workers;
	return atomic_load_explicit(&s->value, memory_order_relaxed);
}

static uint64_t sharded_total(struct counter_shm *s, int workers)
{
	uint64_t sum = 0;

	for (int i = 0; i < workers; i++)
		sum += atomic_load_explicit(&s->slot[i].shard, memory_order_relaxed);
	return sum;
}

#define VARIANT_AS(v, vname, text, is_exact, gil_fn, init_fn, total_fn, destroy_fn) \
	static const struct counter_ops v##_ops = {                                 \
		.name = vname,                                                      \
		.what = text,                                                       \
		.exact = is_exact,                                                  \
		.init = init_fn,                                                    \
		.loop = v##_loop,                                                   \
		.loop_gil = gil_fn,                                                 \
		.total = total_fn,                                                  \
		.destroy = destroy_fn,                                              \
	}
#define VARIANT(v, text, is_exact, gil_fn, init_fn, total_fn, destroy_fn) \
	VARIANT_AS(v, #v, text, is_exact, gil_fn, init_fn, total_fn, destroy_fn)

VARIANT(unlocked, "relaxed load, window, relaxed store: loses updates", false, unlocked_gil_loop,
	plain_init, value_total, plain_destroy);
VARIANT(mutex, "pthread mutex (process-shared for processes) around load/window/store", true, NULL,
	mutex_init, value_total, mutex_destroy);
VARIANT(semaphore, "POSIX semaphore of value 1 around it, like multiprocessing.Lock", true, NULL,
	semaphore_init, value_total, semaphore_destroy);
VARIANT_AS(value_unlocked, "value-unlocked",
	   "Value's getter and setter each under its semaphore, the window between: loses updates",
	   false, NULL, value_unlocked_init, value_total, value_unlocked_destroy);
VARIANT(spin, "test-and-test-and-set spin lock with pause around it", true, NULL, plain_init,
	value_total, plain_destroy);
VARIANT(atomic, "window, then atomic_fetch_add", true, atomic_gil_loop, plain_init, value_total,
	plain_destroy);
VARIANT(sharded, "per-worker padded counters, summed at the end", true, sharded_gil_loop,
	plain_init, sharded_total, plain_destroy);

const struct counter_ops *const counter_variants[] = {
	&unlocked_ops, &mutex_ops,   &semaphore_ops,	  &spin_ops,
	&atomic_ops,   &sharded_ops, &value_unlocked_ops, NULL,
};

const struct counter_ops *counter_find(const char *name)
{
	for (int i = 0; name && counter_variants[i]; i++)
		if (strcmp(counter_variants[i]->name, name) == 0)
			return counter_variants[i];
	return NULL;
}
