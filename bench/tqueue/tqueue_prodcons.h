/* SPDX-License-Identifier: MIT */
/*
 * tqueue_prodcons — what tqueue-prodcons's pinned cases share with their
 * CPython twins (bench/cpython/cpython_plan.c): one producer, one consumer,
 * on one PU and on all of them.
 */
#ifndef PB_TQUEUE_PRODCONS_H
#define PB_TQUEUE_PRODCONS_H

#include <stdint.h>

#include "harness.h"

/* Items the threads move (quick: none of these cases; default 10 000,
 * full 20 000): under the GIL on 2 PUs CPython 3.11 moves about 90 k a
 * second, so a tenth of a second in default (the full hour on 64 PUs has
 * no more room). */
int64_t tqueue_pinned_items(const struct pb_config *cfg);
/* How long the process queue's producer sends: 100 ms (CPython starts two
 * processes first; the full hour on 64 PUs has no room for more). */
int64_t tqueue_pinned_send_ms(const struct pb_config *cfg);
/* The CPython twin (tqueue.py) of a pinned case, placed by pin: the thread
 * queue of that maxsize (0: unbounded), or the process queue (maxsize < 0).
 * tq_pinned plans each right after its C case, so that with --interleave
 * the two run seconds apart and see the same machine: the GIL's hand-offs
 * across PUs wait on their wake-ups, which drift over minutes on a shared
 * VM (tqueue_twin.c). */
void tqueue_twin_pinned(struct pb_plan *plan, const struct pb_config *cfg, enum pin_policy pin,
			int64_t maxsize);

/* tqueue.py's multiprocessing.Queue(maxsize=1024) */
#define TQ_MP_MAXSIZE 1024
/* mp-queue-py (tqueue_mpq.c): the process queue charged CPython's work per
 * call and its Processes' start and join, measured first in this case;
 * producers send for send_ms. 0 (also after pb_skip: no interpreter), or
 * -1 after pb_fail. */
/* What its two calibrations take (ipc.py's, then tqueue.py's five rounds of
 * two Processes; 0.3 s on a loaded 2-vCPU AMD EPYC VM), for the estimates */
#define TQ_PROCESS_CALIBRATE_EST_S 0.3
int tqueue_mpq_py_run(struct pb_ctx *ctx, int producers, int consumers, uint64_t send_ms);

#endif
