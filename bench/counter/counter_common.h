/* SPDX-License-Identifier: MIT */
/*
 * counter_common — what counter-seed, counter-contention and counter-window
 * share: one run function for every counter case, the plan's way to add
 * one, and the note on exactness they all feed. The variants themselves are
 * in lib/models/counter.c.
 *
 * A counter case's named parameters (pb_case_set / pb_case_name):
 *   mode        COUNTER_PROCS, COUNTER_THREADS or COUNTER_THREADS_GIL (also
 *               its model's name)
 *   increments  per worker
 *   sleep_ns    sleep before each increment (optional; 0: none)
 *   sleep_tick  1: ... until the next multiple of sleep_ns (optional)
 *   gap_ns      work before each increment, outside the window (optional)
 * The variant is the case's workload ("unlocked", "mutex", ...) and the
 * window between load and store its swept parameter window_ns (0 without).
 */
#ifndef PB_COUNTER_COMMON_H
#define PB_COUNTER_COMMON_H

#include <stdint.h>

#include "counter.h"
#include "harness.h"

/* The model column of each mode: counter_model[COUNTER_PROCS], ... */
extern const char *const counter_model[];

/* Add c (experiment, extra, workers, pins, window and loop parameters set)
 * for variant under mode with increments per worker. */
void counter_add(struct pb_plan *plan, struct pb_case c, const char *variant,
		 enum counter_mode mode, int64_t increments);

/* Whether c is a counter case (of any counter experiment). */
bool counter_is_case(const struct pb_case *c);

/* The one note on every locked variant and sharded ending exactly at
 * workers x increments, over the counter cases of all three experiments. */
void counter_note_exact(struct pb_report *rep);

#endif
