/* SPDX-License-Identifier: MIT */
/*
 * twins — the CPython twins' plans. Each experiment group plans the cases
 * of its CPython twin beside its own (a file bench/<group>/<group>_twin.c or _twins.c: model
 * cpython-<model>, the C twin's parameters and sweeps), so that a change to
 * one is made next to the other; bench/cpython/'s experiment runs them in
 * registry order, under its table of parameters.
 */
#ifndef PB_TWINS_H
#define PB_TWINS_H

#include "harness.h"

/* How long the convoy's echo takes to answer (gil-convoy, gil-interval and
 * their twins; the fidelity table finds the cases by it), about a LAN
 * round trip. With an instant echo the IO thread is mostly back before the
 * CPU thread, woken when the GIL was dropped, has been scheduled, and
 * re-takes the free GIL (docs/gil.md); this long, the read really blocks,
 * as Beazley's did. */
#define GIL_ECHO_US 100

/* lock-reentry's timed waits in a repetition (locks.py's REENTRY_WAITS;
 * deadlock.c, its twin and the fidelity table's claim): the timeout's
 * lateness is their median. One wait's lateness is mostly
 * the VM's timer jitter: CPython's were 188-341 us over 5 repetitions of
 * one wait each in run 20261207T232954Z, the model's 127-178 us, and the
 * fidelity row flipped on it. */
#define REENTRY_WAITS 5
#define REENTRY_WAITS_TEXT "5" /* for claims; test_tqueue checks it is REENTRY_WAITS */

void tasks_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void gil_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg); /* convoy, cores */
void ipc_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg); /* ipc-latency */
void counter_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
/* cpython-value/unlocked/w:2, planned by counter-contention right after
 * value-unlocked: with --interleave the two run seconds apart and see the
 * same machine (on a 2-vCPU VM the PUs' cache-line round trip went from
 * 180 to 480 ns and back within minutes, and CPython's loss with it) */
void counter_twin_unlocked(struct pb_plan *plan, const struct pb_config *cfg);
/* pool-overhead, chunksize, ordering */
void pool_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void tqueue_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void deadlock_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);

#endif
