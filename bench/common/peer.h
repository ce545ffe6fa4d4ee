/* SPDX-License-Identifier: MIT */
/*
 * peer — running an established tool (perf bench, stress-ng, hyperfine) on
 * a case's PUs and reading its figure, for the experiments that set their
 * own measurement beside the field's reference tools (ipc-latency, price).
 */
#ifndef PB_PEER_H
#define PB_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

#define PEER_TEXT 8192

/* Runs while the peer runs (the peer's pid); 0, or -1 after pb_fail. */
typedef int (*peer_during_fn)(struct pb_ctx *ctx, pid_t pid, void *arg);

/* Run argv (argv[0] looked up on PATH), stdout and stderr captured into
 * text (PEER_TEXT bytes), bound to the PUs of the case placement's workers
 * whose bits are set in slots (1: worker 0, 2: worker 1, 3: both; 0: left
 * as the case process is). during (may be NULL) runs
 * while the peer does. Returns 0 when the peer ran and exited 0; 1 when it
 * is missing, could not start or exited non-zero: the case is then skipped
 * (pb_skip, with the peer's first line of output as the reason), since a
 * peer this machine lacks or does not support is not parbench's failure;
 * -1 after pb_fail (parbench's own failure: pipe, fork). */
int peer_run(struct pb_ctx *ctx, char *const argv[], unsigned slots, peer_during_fn during,
	     void *arg, char *text);

/* The number just before marker in text ("7.405 usecs/op": 7.405); NaN
 * when there is none. */
double peer_number_before(const char *text, const char *marker);

/* The number just after key in text ("\"mean\": 0.00057": 0.00057); NaN
 * when there is none. */
double peer_number_after(const char *text, const char *key);

/* The peer's path on PATH into path (len bytes); false when it is not there. */
bool peer_which(const char *cmd, char *path, size_t len);

#endif
