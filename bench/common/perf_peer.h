/* SPDX-License-Identifier: MIT */
/* perf_peer — `perf bench sched pipe` as the peer of ipc-latency and price. */
#ifndef PB_PERF_PEER_H
#define PB_PERF_PEER_H

#include <stdbool.h>

#include "harness.h"

/* One run of `perf bench sched pipe -l loops` (-T with threads) on the
 * case's placement (perf on worker 0's PU, its second process moved to
 * worker 1's; threads stay on worker 0's): perf's total time in us, and how
 * long the move took (0 on one PU). 0; 1 when perf is missing or does not
 * run here (the case is skipped, pb_skip said why); -1 after pb_fail. */
int perf_run(struct pb_ctx *ctx, long loops, bool threads, double *total_us, double *delay_us);

#endif
