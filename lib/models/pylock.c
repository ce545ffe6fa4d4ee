/* SPDX-License-Identifier: MIT */
/*
 * pylock — threading.Lock (a semaphore, Python/thread_pthread.h's
 * PyThread_acquire_lock_timed) and threading.RLock (_threadmodule.c's
 * rlock_acquire/rlock_release); see pylock.h.
 *
 * CPython versions: follows 3.11-3.12, where threading.Lock is a POSIX
 * semaphore (thread_pthread.h, USE_SEMAPHORES) and RLock an owner and a count
 * (_threadmodule.c). 3.13: Lock holds a PyMutex (Python/lock.c, a parking
 * lot), still without an owner; the model keeps the semaphore. 3.14: not re-
 * read line by line for this note.
 */
#include "pylock.h"

#include <errno.h>
#include <time.h>

int pylock_init(struct pylock *l)
{
	return sem_init(&l->sem, 0, 1) < 0 ? -errno : 0;
}

void pylock_destroy(struct pylock *l)
{
	sem_destroy(&l->sem);
}

int pylock_acquire(struct pylock *l, int timeout_ms)
{
	struct timespec dl;
	int rc;

	if (timeout_ms == 0)
		return sem_trywait(&l->sem) == 0 ? 0 : -EAGAIN;
	if (timeout_ms < 0) {
		while ((rc = sem_wait(&l->sem)) < 0 && errno == EINTR)
			;
		return rc < 0 ? -errno : 0;
	}
	/* CPython uses sem_clockwait(CLOCK_MONOTONIC) where glibc has it, else
	 * sem_timedwait; this takes the second path because sanitizers see
	 * sem_timedwait as the acquire it is, and not sem_clockwait. */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L)
		dl.tv_sec++, dl.tv_nsec -= 1000000000L;
	while ((rc = sem_timedwait(&l->sem, &dl)) < 0 && errno == EINTR)
		;
	return rc < 0 ? -errno : 0;
}

void pylock_release(struct pylock *l)
{
	sem_post(&l->sem);
}

bool pylock_locked(struct pylock *l)
{
	int v = 1;

	sem_getvalue(&l->sem, &v);
	return v == 0;
}

int pyrlock_init(struct pyrlock *r)
{
	r->count = 0;
	return pylock_init(&r->lock);
}

void pyrlock_destroy(struct pyrlock *r)
{
	pylock_destroy(&r->lock);
}

/* Only the owner ever sees count > 0 with owner == itself: another thread's
 * read of owner can be stale, but never equal to the reader. */
int pyrlock_acquire(struct pyrlock *r, int timeout_ms)
{
	int rc;

	if (__atomic_load_n(&r->count, __ATOMIC_ACQUIRE) > 0 &&
	    pthread_equal(__atomic_load_n(&r->owner, __ATOMIC_RELAXED), pthread_self())) {
		__atomic_store_n(&r->count, r->count + 1, __ATOMIC_RELAXED);
		return 0;
	}
	if ((rc = pylock_acquire(&r->lock, timeout_ms)) < 0)
		return rc;
	__atomic_store_n(&r->owner, pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&r->count, 1, __ATOMIC_RELEASE);
	return 0;
}

int pyrlock_release(struct pyrlock *r)
{
	uint64_t n = __atomic_load_n(&r->count, __ATOMIC_ACQUIRE);

	if (n == 0 || !pthread_equal(__atomic_load_n(&r->owner, __ATOMIC_RELAXED), pthread_self()))
		return -EPERM;
	__atomic_store_n(&r->count, n - 1, __ATOMIC_RELEASE);
	if (n == 1)
		pylock_release(&r->lock);
	return 0;
}
