/* SPDX-License-Identifier: MIT */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_percentile_sorted(const double *v, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (n == 0 || p < 0 || p > 100)
		return NAN;
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	if (lo + 1 >= n)
		return v[n - 1];
	frac = rank - (double)lo;
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

void stats_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double stats_percentile(double *v, size_t n, double p)
{
	if (n == 0 || p < 0 || p > 100)
		return NAN;
	stats_sort(v, n);
	return stats_percentile_sorted(v, n, p);
}

double stats_median(double *v, size_t n)
{
	return stats_percentile(v, n, 50.0);
}

struct stats_summary stats_summarize(const double *v, size_t n)
{
	struct stats_summary s = {
		.n = n, .min = NAN, .median = NAN, .max = NAN, .mean = NAN, .stddev = NAN
	};
	double *copy, sum = 0, sq = 0;

	if (n == 0)
		return s;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return s;
	memcpy(copy, v, n * sizeof(*copy));
	s.median = stats_median(copy, n);
	s.min = copy[0];
	s.max = copy[n - 1];
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s.mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - s.mean) * (v[i] - s.mean);
	s.stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0.0;
	free(copy);
	return s;
}

bool stats_ratio(const struct stats_summary *a, const struct stats_summary *b,
		 struct stats_summary *out)
{
	if (a->n == 0 || b->n == 0 || !(b->min > 0) || !(b->median > 0) || !(b->max > 0))
		return false;
	*out = (struct stats_summary){ .n = a->n < b->n ? a->n : b->n,
				       .min = a->min / b->max,
				       .median = a->median / b->median,
				       .max = a->max / b->min,
				       .mean = NAN,
				       .stddev = NAN };
	return true;
}

struct stats_summary stats_paired_ratio(const double *a, const double *b, size_t n)
{
	struct stats_summary s = stats_summarize(NULL, 0);
	double *q = malloc((n ? n : 1) * sizeof(*q));
	size_t k = 0;

	if (!q)
		return s;
	for (size_t i = 0; i < n; i++)
		if (isfinite(a[i]) && isfinite(b[i]) && b[i] > 0)
			q[k++] = a[i] / b[i];
	s = stats_summarize(q, k);
	free(q);
	return s;
}

double stats_cv(const struct stats_summary *s)
{
	return s->n >= 2 && s->mean > 0 ? s->stddev / s->mean : NAN;
}
