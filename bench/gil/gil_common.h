/* SPDX-License-Identifier: MIT */
/*
 * gil_common — what the gil-* experiments share: one case runs the threads
 * of gil_threads.c under the GIL (model threads-gil) or without it
 * (threads) and records their metrics.
 *
 * A case's named parameters (set by the experiment's plan):
 *	gil		1: under the GIL, 0: free-threaded (set by gil_plan_add)
 *	cpu_threads	K, the CPU threads
 *	n		the IO thread's round trips (0: no IO thread)
 *	echo_us		how long the echo takes to answer (only when n > 0)
 *	switch_us	the GIL's switch interval
 */
#ifndef PB_GIL_COMMON_H
#define PB_GIL_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "twins.h" /* GIL_ECHO_US */

/* Run case c; each CPU thread computes cpu_ticks ticks (0: until the IO
 * thread is done). */
int gil_case_run(struct pb_ctx *ctx, const struct pb_case *c, uint64_t cpu_ticks);
/* Add c to the plan as model threads-gil (with_gil) or threads. */
void gil_plan_add(struct pb_plan *plan, struct pb_case *c, bool with_gil);
/* A watchdog budget for trips round trips at a switch interval of switch_us. */
double gil_budget(int trips, unsigned long switch_us);
/* The plan's estimate of one repetition of trips echo round trips next to
 * cpu_threads CPU threads under the GIL (0: none, or no GIL). */
double gil_estimate(int64_t trips, unsigned long switch_us, int cpu_threads);
/* gil-convoy's round trips per repetition next to k CPU threads (the C
 * cases and their cpython-threads twins): as many as fit about 0.25 s
 * (quick 0.05, full 1), between 20 and 300 (quick: 20 and 100; full: 100
 * and 1000). Next to two
 * CPU threads a round trip waits about three intervals, so 20; with none it
 * is 0.15 ms, so 300 for a steady p50. */
int gil_convoy_trips(const struct pb_config *cfg, int k);
/* gil-convoy's CPython twin at K = 1, the echo after echo_us, placed by pin
 * (gil_twins.c): planned by gil-convoy right after its C case, so that in
 * each round of --interleave the two run a second apart and see the same
 * machine (the race at the send is the machine's: docs/gil.md). */
void gil_convoy_twin_placed(struct pb_plan *plan, const struct pb_config *cfg, int echo_us,
			    enum pin_policy pin);
/* Round trips of gil-convoy's instant echo (echo_us 0, K = 1, and its
 * cpython twin): 20 in every profile, as K = 1 in quick (each costs 5 to
 * 10 ms when the convoy forms; the full hour has no room for more). */
int gil_convoy_instant_trips(const struct pb_config *cfg);
/* The most CPU threads gil-convoy puts next to the IO thread: PUs, but at
 * most 1 (quick) or 4: each one more adds intervals to every round trip,
 * and the lesson is in the first two. */
int gil_convoy_kmax(const struct pb_config *cfg);

#endif
