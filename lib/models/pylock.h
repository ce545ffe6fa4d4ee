/* SPDX-License-Identifier: MIT */
/*
 * pylock — threading.Lock and threading.RLock as CPython builds them.
 *
 * Lock (Python/thread_pthread.h, USE_SEMAPHORES): a POSIX semaphore of 1,
 * acquire(timeout) is sem_timedwait (or sem_clockwait). It has no owner:
 * the holder acquiring it again simply waits, which is a self-deadlock
 * (with a timeout: acquire returns False after it). Any thread may release.
 *
 * RLock (Modules/_threadmodule.c, rlock_acquire/rlock_release): an owner
 * thread id, a count and a Lock underneath; the owner acquiring again only
 * counts up, release by a thread that is not the owner is an error.
 *
 * Because a Lock is a semaphore and not a pthread mutex, a thread sanitizer
 * tracks no lock order through it: the deadlock experiment's inversion is
 * seen by the experiment's own wait-for check, not reported by TSan.
 *
 * CPython versions: see pylock.c's opening comment.
 */
#ifndef PB_PYLOCK_H
#define PB_PYLOCK_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

struct pylock {
	sem_t sem;
};

struct pyrlock {
	struct pylock lock;
	pthread_t owner; /* valid while count > 0 */
	uint64_t count;	 /* atomic reads by non-owners */
};

int pylock_init(struct pylock *l);
void pylock_destroy(struct pylock *l);
/* timeout_ms: -1 for ever, 0 non-blocking, > 0 ms. 0 (acquired), -EAGAIN
 * (timeout 0, not acquired) or -ETIMEDOUT. */
int pylock_acquire(struct pylock *l, int timeout_ms);
void pylock_release(struct pylock *l);
bool pylock_locked(struct pylock *l);

int pyrlock_init(struct pyrlock *r);
void pyrlock_destroy(struct pyrlock *r);
int pyrlock_acquire(struct pyrlock *r, int timeout_ms);
/* 0, or -EPERM when the caller does not own it ("cannot release un-acquired lock"). */
int pyrlock_release(struct pyrlock *r);

#endif
