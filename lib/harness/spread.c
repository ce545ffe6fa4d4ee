/* SPDX-License-Identifier: MIT */
/*
 * spread — a case's samples (latencies, costs per operation) as the metrics
 * every experiment names the same way: <prefix>_mean, _p50, _p90, _p99,
 * _min and _max.
 */
#include "harness.h"

#include <stdio.h>

void pb_metric_spread(struct pb_ctx *ctx, const char *prefix, double *v, size_t n, const char *unit)
{
	static const struct {
		const char *suffix;
		double p; /* percentile; < 0: the mean */
	} cuts[] = { { "mean", -1 }, { "p50", 50 }, { "p90", 90 },
		     { "p99", 99 },  { "min", 0 },  { "max", 100 } };
	char name[96];
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]) && n > 0; k++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, cuts[k].suffix);
		pb_metric(ctx, name,
			  cuts[k].p < 0 ? sum / (double)n : stats_percentile(v, n, cuts[k].p),
			  unit);
	}
}
