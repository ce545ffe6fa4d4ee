/* SPDX-License-Identifier: MIT */
/*
 * threads — the thread models of the tasks experiment (threads.c):
 * `threads` (plain pthreads: no GIL, the ideal — not free-threaded CPython,
 * whose own costs it leaves out) and `threads-gil`
 * (every thread runs under lib/models/gil.c's GIL, as in CPython 3.2–3.14),
 * and the helper both they and the gil-* experiments use to start a thread
 * on its PU.
 *
 * CPython versions: see threads.c's and fork.c's opening comments.
 */
#ifndef PB_THREADS_H
#define PB_THREADS_H

#include <pthread.h>

#include "taskmodels.h"
#include "topo.h"

/* pthread_create, born on worker slot's PU: bind the calling thread, create
 * (the new thread inherits the binding), restore. topo or pl NULL: no
 * pinning. 0 or the pthread_create error. */
int threads_spawn(const struct topo *topo, const struct placement *pl, int slot, pthread_t *tid,
		  void *(*fn)(void *), void *arg);

int threads_run_tasks(const struct tasks_spec *s, struct tasks_result *r);
int threads_gil_run_tasks(const struct tasks_spec *s, struct tasks_result *r);

#endif
