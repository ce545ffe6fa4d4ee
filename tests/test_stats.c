/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "stats.h"

static void median_odd_even_single(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_float_equal(stats_median(odd, 3), 3, 0);
	assert_float_equal(stats_median(even, 4), 2.5, 0);
	assert_float_equal(stats_median(one, 1), 7, 0);
	assert_true(isnan(stats_median(NULL, 0)));
}

static void percentiles_interpolate(void **state)
{
	double v[101];

	(void)state;
	for (int i = 0; i <= 100; i++)
		v[i] = 100 - i; /* reversed: percentile must sort */
	assert_float_equal(stats_percentile(v, 101, 0), 0, 0);
	assert_float_equal(stats_percentile(v, 101, 100), 100, 0);
	assert_float_equal(stats_percentile(v, 101, 99), 99, 1e-9);
	assert_float_equal(stats_percentile(v, 101, 12.5), 12.5, 1e-9);
	double two[] = { 10, 20 };
	assert_float_equal(stats_percentile(two, 2, 90), 19, 1e-9);
	assert_true(isnan(stats_percentile(v, 101, 101)));
	assert_true(isnan(stats_percentile(v, 101, -1)));
}

/* One sort, then every cut from the sorted array: the same figures as
 * stats_percentile on a fresh copy each time. */
static void sorted_percentiles_match(void **state)
{
	double v[257], w[257];
	static const double cuts[] = { 0, 12.5, 50, 90, 99, 100 };

	(void)state;
	for (int i = 0; i < 257; i++)
		v[i] = (double)((i * 7919) % 257) / 3.0; /* a shuffled ramp */
	memcpy(w, v, sizeof(v));
	stats_sort(w, 257);
	for (int i = 1; i < 257; i++)
		assert_true(w[i - 1] <= w[i]);
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		double fresh[257];

		memcpy(fresh, v, sizeof(v));
		assert_float_equal(stats_percentile_sorted(w, 257, cuts[k]),
				   stats_percentile(fresh, 257, cuts[k]), 0);
	}
	assert_true(isnan(stats_percentile_sorted(w, 0, 50)));
	assert_true(isnan(stats_percentile_sorted(w, 257, 100.5)));
}

static void summarize_leaves_input_alone(void **state)
{
	double v[] = { 3, 1, 2, 10 };
	struct stats_summary s = stats_summarize(v, 4);

	(void)state;
	assert_int_equal(s.n, 4);
	assert_float_equal(s.min, 1, 0);
	assert_float_equal(s.max, 10, 0);
	assert_float_equal(s.median, 2.5, 0);
	assert_float_equal(s.mean, 4, 0);
	assert_float_equal(s.stddev, sqrt(((1.0 + 9 + 4 + 36)) / 3), 1e-12);
	assert_float_equal(v[0], 3, 0); /* untouched */
	s = stats_summarize(v, 1);
	assert_float_equal(s.stddev, 0, 0);
	s = stats_summarize(v, 0);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median));
}

/* One convention for a ratio of two summaries: median over median, the
 * range from the extremes, and no ratio against a non-positive value. */
static void ratio_convention(void **state)
{
	struct stats_summary a = { .n = 5, .min = 2, .median = 4, .max = 8 };
	struct stats_summary b = { .n = 3, .min = 1, .median = 2, .max = 4 };
	struct stats_summary r, zero = { .n = 3, .min = 0, .median = 1, .max = 2 };

	(void)state;
	assert_true(stats_ratio(&a, &b, &r));
	assert_int_equal(r.n, 3);
	assert_true(r.median == 2.0 && r.min == 0.5 && r.max == 8.0);
	assert_false(stats_ratio(&a, &zero, &r));
	b.n = 0;
	assert_false(stats_ratio(&a, &b, &r));
}

/* The paired ratio: a[i] / b[i] per pair, summarized over the pairs that
 * count; a NaN on either side, a non-positive or infinite b drops the
 * pair, a zero a is a ratio of 0. */
static void paired_ratio(void **state)
{
	const double a[] = { 4, 6, NAN, 8, 3, 5, 0 };
	const double b[] = { 2, 2, 1, NAN, 0, -1, 4 };
	const double inf[] = { INFINITY, 1 };
	struct stats_summary s;

	(void)state;
	s = stats_paired_ratio(a, b, 2); /* 2 and 3 */
	assert_int_equal(s.n, 2);
	assert_true(s.median == 2.5 && s.min == 2.0 && s.max == 3.0);
	s = stats_paired_ratio(a, b, 7); /* 2, 3 and 0: the rest drop */
	assert_int_equal(s.n, 3);
	assert_true(s.median == 2.0 && s.min == 0.0 && s.max == 3.0);
	s = stats_paired_ratio(a + 2, b + 2, 4); /* NaN, NaN, zero, negative */
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median) && isnan(s.min) && isnan(s.max));
	s = stats_paired_ratio(inf, b, 1);
	assert_int_equal(s.n, 0);
	s = stats_paired_ratio(a, inf, 1);
	assert_int_equal(s.n, 0);
	s = stats_paired_ratio(a, b, 0);
	assert_int_equal(s.n, 0);
}

/* CV = sample stddev / mean: 2, 4, 4, 4, 5, 5, 7, 9 has mean 5 and sample
 * stddev sqrt(32 / 7); none for one value or a mean that is not positive. */
static void coefficient_of_variation(void **state)
{
	const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 }, neg[] = { -1, -3 }, same[] = { 3, 3, 3 };
	struct stats_summary s = stats_summarize(v, 8);

	(void)state;
	assert_true(fabs(stats_cv(&s) - sqrt(32.0 / 7.0) / 5.0) < 1e-12);
	s = stats_summarize(v, 1);
	assert_true(isnan(stats_cv(&s)));
	s = stats_summarize(neg, 2);
	assert_true(isnan(stats_cv(&s)));
	s = stats_summarize(same, 3);
	assert_true(stats_cv(&s) == 0.0);
	s = stats_summarize(NULL, 0);
	assert_true(isnan(stats_cv(&s)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paired_ratio),
		cmocka_unit_test(coefficient_of_variation),
		cmocka_unit_test(ratio_convention),
		cmocka_unit_test(median_odd_even_single),
		cmocka_unit_test(percentiles_interpolate),
		cmocka_unit_test(sorted_percentiles_match),
		cmocka_unit_test(summarize_leaves_input_alone),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
