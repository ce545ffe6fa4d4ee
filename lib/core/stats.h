/* SPDX-License-Identifier: MIT */
/* stats — order statistics over repetitions and samples. */
#ifndef PB_STATS_H
#define PB_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct stats_summary {
	size_t n;
	double min, median, max;
	double mean, stddev; /* sample standard deviation (n - 1) */
};

/* p-th percentile, 0 <= p <= 100, by linear interpolation between the two
 * closest ranks (numpy's default). Sorts v in place. NaN when n == 0. */
double stats_percentile(double *v, size_t n, double p);
/* The same percentile of v already in ascending order (stats_sort): for
 * several percentiles of one large sample, sort once. */
double stats_percentile_sorted(const double *v, size_t n, double p);
/* Sorts v in place, ascending. */
void stats_sort(double *v, size_t n);
/* Median of v (sorts v in place); the mean of the two middle values when n
 * is even. NaN when n == 0. */
double stats_median(double *v, size_t n);
/* Summary of v; v is left untouched. All fields NaN (n = 0) when n == 0. */
struct stats_summary stats_summarize(const double *v, size_t n);

/* The ratio of two summaries, a / b, by parbench's one convention for "a
 * ratio of two medians with a range": median = a.median / b.median, and the
 * range from the least to the most favourable pairing of repetitions,
 * min = a.min / b.max and max = a.max / b.min; n = the smaller n. mean and
 * stddev are NaN. false (and *out untouched) when b has a value <= 0 or
 * either side has no values. */
bool stats_ratio(const struct stats_summary *a, const struct stats_summary *b,
		 struct stats_summary *out);

/* The paired ratio: a[i] / b[i] for each pair i < n (a repetition of one
 * case and the repetition of another that ran next to it), summarized as
 * median, min and max over the pairs, with their mean and stddev. A pair
 * counts when a[i] and b[i] are finite and b[i] > 0 (NaN marks a missing or
 * failed repetition); n = the pairs that count, all fields NaN when none. */
struct stats_summary stats_paired_ratio(const double *a, const double *b, size_t n);

/* The coefficient of variation of a summary: stddev / mean, with the sample
 * standard deviation (n - 1). NaN when n < 2 or the mean is not positive. */
double stats_cv(const struct stats_summary *s);

#endif
