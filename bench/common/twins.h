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

void tasks_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void gil_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg); /* convoy, cores */
void ipc_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg); /* ipc-latency */
void counter_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
/* pool-overhead, chunksize, ordering */
void pool_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void tqueue_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);
void deadlock_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg);

#endif
