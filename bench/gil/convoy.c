/* SPDX-License-Identifier: MIT */
/*
 * gil-convoy — an IO thread next to K CPU threads: under the GIL every
 * blocking call costs it about a switch interval to take the GIL back (the
 * convoy effect); without the GIL, K changes nothing.
 */
#include <math.h>
#include <stdio.h>

#include "gil.h"
#include "gil_common.h"
#include "harness.h"

/* ---- the plan: K = 0, 1, 2, 4 .. min(PUs, 4) CPU threads next to the IO
 * thread (quick: 0, 1; full: up to 8) ---- */

static int convoy_run(struct pb_ctx *ctx, const struct pb_case *c);

static void convoy_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	int kmax = gil_convoy_kmax(cfg);
	struct pb_case c = {
		.experiment = "gil-convoy",
		.workload = "io",
		.param = "cpu_threads",
		.run = convoy_run,
	};

	pb_case_set(&c, "switch_us", GIL_DEFAULT_INTERVAL_US);
	for (int gil = 0; gil < 2; gil++)
		for (int k = 0; k <= kmax; k = k < 2 ? k + 1 : 2 * k) {
			int n = gil_convoy_trips(cfg, k);

			pb_case_unname(&c);
			pb_case_name(&c, "n", n);
			pb_case_name(&c, "echo_us", GIL_ECHO_US);
			c.budget_s = gil_budget(n, GIL_DEFAULT_INTERVAL_US);
			c.workers = k + 1;
			c.param_value = k;
			pb_case_set(&c, "cpu_threads", k);
			gil_plan_add(plan, &c, gil);
		}
}

int gil_convoy_trips(const struct pb_config *cfg, int k)
{
	/* about a quarter of a second of round trips (quick: 0.05 s), at
	 * least 20, at most 300 (quick: 100; full: 100 .. 1000) */
	double s = PB_PICK(cfg, 0.05, 0.25, 1.0);
	int lo = PB_PICK(cfg, 20, 20, 100), hi = PB_PICK(cfg, 100, 300, 1000);
	double trip = gil_estimate(2, GIL_DEFAULT_INTERVAL_US, k) -
		      gil_estimate(1, GIL_DEFAULT_INTERVAL_US, k);
	int n = (int)(s / trip);

	return n < lo ? lo : n > hi ? hi : n;
}

int gil_convoy_kmax(const struct pb_config *cfg)
{
	int most = PB_PICK(cfg, 1, 4, 4);

	return cfg->pus < most ? cfg->pus : most;
}

/* ---- the run: the CPU threads compute until the IO thread is done ---- */

static int convoy_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	return gil_case_run(ctx, c, 0);
}

/* ---- the summary ---- */

static const struct pb_case *convoy_case(const struct pb_report *rep, const char *model, int k)
{
	struct pb_case_key key = {
		.experiment = "gil-convoy",
		.model = model,
		.param = "cpu_threads",
		.param_value = k,
	};

	return pb_report_find(rep, &key);
}

/* The same ratio per repetition pair (threads-gil's repetition r over
 * threads' repetition r), as a row and a note. */
static void paired_row(struct pb_report *rep, const struct pb_case *g, const struct pb_case *t,
		       int k)
{
	struct pb_paired p;
	char text[256];

	if (!pb_report_paired(rep, g, t, "latency_us_p50", &p))
		return;
	pb_report_row(rep, g, NULL, "latency_p50_vs_threads_paired", p.s, "x");
	pb_paired_describe(&p, text, sizeof(text));
	pb_report_note(
		rep,
		"gil-convoy K=%d: IO round trip p50 threads-gil / threads per repetition pair: %s",
		k, text);
}

/* IO latency under the GIL against without it, at each K. */
static void convoy_summarize(struct pb_report *rep)
{
	const struct pb_case_key gil = { .experiment = "gil-convoy", .model = "threads-gil" };

	for (const struct pb_case *g = pb_report_find(rep, &gil); g;
	     g = pb_report_next(rep, &gil, g)) {
		int k = (int)g->param_value;
		const struct pb_case *t = convoy_case(rep, "threads", k);
		double gp50 = pb_report_median(rep, g, "latency_us_p50");
		double tp50 = pb_report_median(rep, t, "latency_us_p50");
		struct stats_summary x = { .median = NAN };
		char cpu[96] = "";

		if (pb_report_ratio(rep, g, t, "latency_us_p50", &x))
			pb_report_row(rep, g, NULL, "latency_p50_vs_threads", x, "x");
		paired_row(rep, g, t, k);
		if (k > 0)
			snprintf(cpu, sizeof(cpu), "; CPU work %.2f vs %.2f cores",
				 pb_report_median(rep, g, "cpu_work_cores"),
				 pb_report_median(rep, t, "cpu_work_cores"));
		pb_report_note(rep,
			       "gil-convoy K=%d: IO round trip p50 threads-gil %.0f us vs threads %.0f "
			       "us = %.1fx (p99 %.0f vs %.0f us)%s",
			       k, gp50, tp50, x.median, pb_report_median(rep, g, "latency_us_p99"),
			       pb_report_median(rep, t, "latency_us_p99"), cpu);
		if (k >= 2)
			pb_report_note(
				rep,
				"gil-convoy K=%d: the CPU threads' time slices (holds ended by a forced drop) p50 %.0f us, switch interval %d us; %.0f switches/s",
				k, pb_report_median(rep, g, "gil_slice_us_p50"),
				GIL_DEFAULT_INTERVAL_US,
				pb_report_median(rep, g, "gil_switches_per_s"));
	}
	pb_report_cv_note(rep, &(struct pb_case_key){ .experiment = "gil-convoy" },
			  "latency_us_p50");
}

/* gil-convoy's parameters (cases.csv's units and types) */
static const struct pb_param_decl gil_convoy_params[] = {
	{ "n", PB_INT, "count", "IO round trips" },
	{ "echo_us", PB_INT, "us", "the echo peer's reply delay" },
	{ "cpu_threads", PB_INT, "count", "CPU-bound threads beside the IO thread" },
	{ "switch_us", PB_INT, "us", "the GIL's switch interval" },
	{ "gil", PB_INT, "", "1: the threads run under the GIL" },
	{ NULL },
};

const struct pb_experiment gil_convoy_experiment = {
	.name = "gil-convoy",
	.summary = "an IO thread next to K CPU threads: under the GIL each blocking call "
		   "waits about a switch interval",
	.plan = convoy_plan,
	.summarize = convoy_summarize,
	.params = gil_convoy_params,
};
