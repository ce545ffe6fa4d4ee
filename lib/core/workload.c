/* SPDX-License-Identifier: MIT */
#include "workload.h"

#include <string.h>

#include "clock.h"
#include "stats.h"

#define CALIBRATION_RUNS 7
#define CALIBRATION_RUN_MS 20.0

static struct wl_calibration calibration;
/* Calibration results land here so the timed calls cannot be dropped. */
static volatile uint64_t calibration_sink;

const char *workload_name(enum workload_kind k)
{
	return k == WL_CPU ? "cpu" : "io";
}

bool workload_parse(const char *name, enum workload_kind *out)
{
	if (strcmp(name, "cpu") == 0)
		*out = WL_CPU;
	else if (strcmp(name, "io") == 0)
		*out = WL_IO;
	else
		return false;
	return true;
}

/* noinline keeps the loop a real call whose result is used, so the work is
 * done even where the caller ignores it. */
__attribute__((noinline)) uint64_t wl_cpu_ticks(uint64_t seed, uint64_t n)
{
	uint64_t x = seed | 1;

	for (uint64_t i = 0; i < n; i++)
		x = wl_tick(x);
	return x;
}

/* Grow a batch until it takes about CALIBRATION_RUN_MS, then time several
 * such batches and keep the median rate: the first runs pay for page faults
 * and frequency ramp-up, the median ignores them. */
struct wl_calibration workload_calibrate(void)
{
	double rates[CALIBRATION_RUNS];
	uint64_t n = 1024;
	double ms = 0;

	while (ms < CALIBRATION_RUN_MS / 4) {
		uint64_t t0 = clock_now_ns();

		calibration_sink = wl_cpu_ticks(n, n);
		ms = (double)(clock_now_ns() - t0) / 1e6;
		if (ms < CALIBRATION_RUN_MS / 4)
			n *= 2;
	}
	n = (uint64_t)((double)n * CALIBRATION_RUN_MS / ms);
	for (int r = 0; r < CALIBRATION_RUNS; r++) {
		uint64_t t0 = clock_now_ns();

		calibration_sink = wl_cpu_ticks(n + (uint64_t)r, n);
		rates[r] = (double)n / ((double)(clock_now_ns() - t0) / 1e6);
	}
	calibration.ticks_per_ms = stats_median(rates, CALIBRATION_RUNS);
	calibration.tick_ns = 1e6 / calibration.ticks_per_ms;
	calibration.runs = CALIBRATION_RUNS;
	calibration.run_ms = CALIBRATION_RUN_MS;
	return calibration;
}

void workload_set_calibration(struct wl_calibration c)
{
	calibration = c;
}

struct wl_calibration workload_calibration(void)
{
	return calibration;
}

uint64_t wl_ticks_for_ms(double ms)
{
	if (calibration.ticks_per_ms <= 0)
		workload_calibrate();
	return (uint64_t)(ms * calibration.ticks_per_ms + 0.5);
}

uint64_t wl_rounds_for_ns(double ns)
{
	if (calibration.ticks_per_ms <= 0)
		workload_calibrate();
	return (uint64_t)(ns / 1e6 * calibration.ticks_per_ms * WL_ROUNDS_PER_TICK + 0.5);
}

uint64_t workload_run(enum workload_kind k, double task_ms, uint64_t seed)
{
	if (k == WL_CPU)
		return wl_cpu_ticks(seed, wl_ticks_for_ms(task_ms));
	clock_sleep_ns((uint64_t)(task_ms * 1e6));
	return seed;
}
