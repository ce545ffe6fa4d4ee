/* SPDX-License-Identifier: MIT */
/*
 * grow — room for one more element in a growing array. parbench's arrays
 * (the plan, a repetition's metrics, a report's rows) hold what the run
 * found; running out of memory there is not something a run can go on
 * from, so it ends the process with a message instead of a NULL to check.
 */
#ifndef PB_GROW_H
#define PB_GROW_H

#include <stddef.h>

/* p (NULL at first) with room for at least need elements of size bytes;
 * *cap is the room it has, doubled when it must grow (first: first). */
void *grow(void *p, size_t *cap, size_t need, size_t size, size_t first);

#endif
