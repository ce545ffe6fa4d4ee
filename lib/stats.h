/* SPDX-License-Identifier: MIT */
/* stats — order statistics over repetitions and samples. */
#ifndef PB_STATS_H
#define PB_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double min, median, max;
	double mean, stddev; /* sample standard deviation (n - 1) */
};

/* p-th percentile, 0 <= p <= 100, by linear interpolation between the two
 * closest ranks (numpy's default). Sorts v in place. NaN when n == 0. */
double stats_percentile(double *v, size_t n, double p);
/* Median of v (sorts v in place); the mean of the two middle values when n
 * is even. NaN when n == 0. */
double stats_median(double *v, size_t n);
/* Summary of v; v is left untouched. All fields NaN (n = 0) when n == 0. */
struct stats_summary stats_summarize(const double *v, size_t n);

#endif
