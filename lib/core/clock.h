/* SPDX-License-Identifier: MIT */
/* clock — monotonic time and resource usage (self and reaped children). */
#ifndef PB_CLOCK_H
#define PB_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds and in seconds. */
uint64_t clock_now_ns(void);
double clock_now_s(void);
/* Sleep for ns nanoseconds, resuming after signals. */
void clock_sleep_ns(uint64_t ns);

/* CPU time and context switches of this process (all threads) plus every
 * child it has reaped. */
struct usage {
	double user_s, sys_s;
	double ctxsw_voluntary, ctxsw_involuntary;
};
struct usage usage_now(void);
/* b - a, field by field. */
struct usage usage_diff(struct usage a, struct usage b);

#endif
