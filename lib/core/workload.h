/* SPDX-License-Identifier: MIT */
/*
 * workload — the work a task does.
 *
 * cpu: a compute loop of "ticks". One tick is about one CPython loop
 *      iteration (tens of ns), so that models that must check something
 *      between units of work (the GIL's drop request) can do so as often as
 *      CPython does. The tick rate is calibrated at start-up so that a task
 *      of task_ms takes that long on one core.
 * io:  a blocking wait that uses no CPU (nanosleep).
 */
#ifndef PB_WORKLOAD_H
#define PB_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

enum workload_kind { WL_IO, WL_CPU };

const char *workload_name(enum workload_kind k);
bool workload_parse(const char *name, enum workload_kind *out);

/* One round of the tick's chain (xorshift-multiply): a few ns, for a model
 * that charges times of tens of ns, where a whole tick (~25 ns on a 2-vCPU
 * AMD EPYC VM) would round them by half their size. */
static inline uint64_t wl_round(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x * 0x9e3779b97f4a7c15ull;
}

#define WL_ROUNDS_PER_TICK 8

/* One tick: a short dependent chain the compiler cannot fold or skip.
 * Inline so a model can interleave its own check. */
static inline uint64_t wl_tick(uint64_t x)
{
	for (int i = 0; i < WL_ROUNDS_PER_TICK; i++)
		x = wl_round(x);
	return x;
}

/* Run n ticks from seed; the result depends on every tick. */
uint64_t wl_cpu_ticks(uint64_t seed, uint64_t n);

/* Calibration: ticks per millisecond on one core. Measured once per process
 * tree by workload_calibrate() (children inherit it), or set explicitly. */
struct wl_calibration {
	double ticks_per_ms; /* median over the calibration runs */
	double tick_ns;	     /* 1e6 / ticks_per_ms */
	int runs;	     /* how many timed runs the median is over */
	double run_ms;	     /* the length of each run */
};
struct wl_calibration workload_calibrate(void);
void workload_set_calibration(struct wl_calibration c);
struct wl_calibration workload_calibration(void);
uint64_t wl_ticks_for_ms(double ms);
/* The rounds (wl_round) that take about ns, from the same calibration. */
uint64_t wl_rounds_for_ns(double ns);

/* Do one task of the given kind and length; returns the task's result
 * (for cpu the tick chain's value, for io the seed) so callers can check
 * that every task ran. */
uint64_t workload_run(enum workload_kind k, double task_ms, uint64_t seed);

#endif
