/* SPDX-License-Identifier: MIT */
/*
 * gil-interval — one CPU thread next to the IO thread under the GIL, the
 * switch interval swept: a shorter interval gives the IO thread the GIL back
 * sooner, a longer one leaves the CPU thread longer slices.
 */
#include <stdio.h>

#include "gil_common.h"
#include "harness.h"

static const unsigned long interval_sweep[] = { 100, 500, 1000, 5000, 10000, 50000 };

/* ---- the plan: the interval swept; quick keeps 1 ms and 5 ms ---- */

static int interval_run(struct pb_ctx *ctx, const struct pb_case *c);

/* Round trips for a run of about run_s when each costs the echo's delay
 * and a switch interval (the read's re-take waits for it), within [lo, hi]. */
static int trips_for(double run_s, unsigned long switch_us, int lo, int hi)
{
	double n = run_s / (1e-6 * ((double)switch_us + GIL_ECHO_US + 50));

	return n < lo ? lo : n > hi ? hi : (int)n;
}

static void interval_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	double run_s = PB_PICK(cfg, 0.05, 0.15, 1.0); /* default: 5-minute budget */
	struct pb_case c = {
		.experiment = "gil-interval",
		.workload = "io",
		.workers = 2,
		.param = "switch_us",
		.run = interval_run,
	};

	pb_case_set(&c, "cpu_threads", 1);
	for (size_t i = 0; i < sizeof(interval_sweep) / sizeof(*interval_sweep); i++) {
		unsigned long us = interval_sweep[i];
		/* default: at least 4 round trips (6 at a 50 ms interval took 3.9 s of
		 * a 5:11 default make bench on a 2-vCPU AMD EPYC VM, run 20261207T190057Z) */
		int n = trips_for(run_s, us, PB_PICK(cfg, 10, 4, 50), PB_PICK(cfg, 50, 1000, 3000));

		if (cfg->profile == PROFILE_QUICK && us != 1000 && us != 5000)
			continue;
		/* default: up to 10 ms (50 ms, 4 round trips of two intervals,
		 * took 2.5 s of a 5:17 default make bench on a 2-vCPU AMD EPYC
		 * VM, run 20261207T193300Z; the trend is plain by 10 ms) */
		if (cfg->profile == PROFILE_DEFAULT && us > 10000)
			continue;
		pb_case_unname(&c);
		pb_case_name(&c, "n", n);
		pb_case_name(&c, "echo_us", GIL_ECHO_US);
		pb_case_set(&c, "switch_us", (int64_t)us);
		c.param_value = (double)us;
		c.budget_s = gil_budget(n, us);
		gil_plan_add(plan, &c, true);
	}
}

/* ---- the run: the CPU thread computes until the IO thread is done ---- */

static int interval_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	return gil_case_run(ctx, c, 0);
}

/* ---- the summary: IO latency and CPU work at each interval ---- */

/* One finding per interval: the IO round trip, as a multiple of the
 * interval (the cost it predicts), and the CPU thread's work. */
static void interval_finding(struct pb_report *rep, const struct pb_case *g)
{
	struct stats_summary lat, cpu;
	struct pb_finding *f;
	char id[64];

	if (!pb_report_stat(rep, g->name, "latency_us_p50", &lat))
		return;
	snprintf(id, sizeof(id), "interval_%gus", g->param_value);
	f = pb_report_finding(rep, id,
			      "gil-interval, 1 CPU thread, switch interval %g us: the IO round "
			      "trip p50 and the CPU thread's work",
			      g->param_value);
	pb_finding_figure(f, "round trip p50", lat, "us");
	pb_finding_value(f, "round trip / interval", lat.median / g->param_value, "x");
	if (pb_report_stat(rep, g->name, "cpu_work_cores", &cpu))
		pb_finding_figure(f, "CPU work", cpu, "cores");
}

static void interval_summarize(struct pb_report *rep)
{
	const struct pb_case_key key = { .experiment = "gil-interval", .model = "threads-gil" };

	for (const struct pb_case *g = pb_report_find(rep, &key); g;
	     g = pb_report_next(rep, &key, g))
		interval_finding(rep, g);
	pb_report_cv_note(rep, &(struct pb_case_key){ .experiment = "gil-interval" },
			  "latency_us_p50");
}

/* gil-interval's parameters (cases.csv's units and types) */
static const struct pb_param_decl gil_interval_params[] = {
	{ "n", PB_INT, "count", "IO round trips" },
	{ "echo_us", PB_INT, "us", "the echo peer's reply delay" },
	{ "switch_us", PB_INT, "us", "the GIL's switch interval" },
	{ "cpu_threads", PB_INT, "count", "CPU-bound threads beside the IO thread" },
	{ "gil", PB_INT, "", "1: the threads run under the GIL" },
	{ 0 }, /* the end */
};

const struct pb_experiment gil_interval_experiment = {
	.name = "gil-interval",
	.summary = "the GIL's switch interval swept: IO latency traded for CPU throughput",
	.teaches =
		"The switch interval's trade-off (sys.setswitchinterval): a shorter interval answers IO "
		"sooner and costs more switches.",
	.headline = { "latency_us_p50", "us", PB_LOWER_IS_BETTER },
	.figures = "gil-interval",
	.plan = interval_plan,
	.summarize = interval_summarize,
	.params = gil_interval_params,
};
