/* SPDX-License-Identifier: MIT */
/* perf_peer — `perf bench sched pipe` as ipc-latency's peer (perf_peer.c). */
#ifndef PB_PERF_PEER_H
#define PB_PERF_PEER_H

#include "harness.h"

/* One run of `perf bench sched pipe -l loops` on the case's placement
 * (perf on worker 0's PU, its second process moved to worker 1's): perf's
 * total time in us, and how long the move took (0 on one PU). -1 after
 * pb_fail (no perf, or it failed). */
int perf_run(struct pb_ctx *ctx, long loops, double *total_us, double *delay_us);
/* Does `perf --version` run here? A case without it is skipped ("perf not
 * found"), not failed: perf is optional. */
bool perf_usable(void);

#endif
