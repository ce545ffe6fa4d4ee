/* SPDX-License-Identifier: MIT */
/*
 * ring_pair — ipc-throughput's shm-vs-ceiling: the shm ring and the
 * cross-core copy ceiling measured in alternating short rounds on the same
 * two PUs, so that their ratio is taken on one machine state.
 */
#ifndef PB_RING_PAIR_H
#define PB_RING_PAIR_H

#include "harness.h"

/* The paired cases (64 KiB and 1 MiB messages). */
void ring_pair_plan(struct pb_plan *plan, const struct pb_config *cfg);
/* Their notes and derived rows. */
void ring_pair_summarize(struct pb_report *rep);

#endif
