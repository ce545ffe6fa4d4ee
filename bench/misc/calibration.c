/* SPDX-License-Identifier: MIT */
/*
 * calibration — the unit of CPU work, measured the way google-benchmark
 * measures anything: one tick (about one CPython loop iteration) in its own
 * timing loop. Every cpu task is so many ticks; this case shows what one
 * costs on this machine, next to the start-up calibration in the metadata.
 */
#include "harness.h"
#include "workload.h"

static int tick_run(struct pb_ctx *ctx, const struct pb_case *c);

static void calibration_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "calibration",
			     .model = "tick",
			     .workload = "cpu",
			     .workers = 1,
			     .run = tick_run,
			     .in_process = true,
			     /* google-benchmark's loop runs its min_time (0.1 s,
			      * parbench's) a repetition, after finding an
			      * iteration count */
			     .est_s = 0.2 };

	(void)cfg;
	pb_case_name(&c, "batch", 1000); /* ticks per google-benchmark iteration */
	pb_plan_add(plan, &c);
}

/* The chain's end lands here, so the timed loop cannot be optimised away. */
static volatile uint64_t tick_sink;

static int tick_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	uint64_t x = 1, batch = (uint64_t)pb_case_get(c, "batch");

	while (pb_keep_running(ctx))
		x = wl_cpu_ticks(x, batch);
	tick_sink = x;
	pb_metric(ctx, "batch_ticks", (double)batch, "count");
	pb_metric(ctx, "startup_tick_ns", workload_calibration().tick_ns, "ns");
	return 0;
}

/* ns per tick = google-benchmark's time per iteration / ticks per iteration. */
static void calibration_summarize(struct pb_report *rep)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);
		struct stats_summary it, boot, tick;
		struct pb_finding *f;
		double batch;

		if (c->run != tick_run || !pb_report_stat(rep, c->name, "iteration_ns", &it) ||
		    !pb_report_stat(rep, c->name, "startup_tick_ns", &boot))
			continue;
		batch = (double)pb_case_get(c, "batch");
		tick = it;
		tick.min = it.min / batch;
		tick.median = it.median / batch;
		tick.max = it.max / batch;
		pb_report_row(rep, c, NULL, "tick_ns", tick, "ns");
		f = pb_report_finding(rep, "tick_ns",
				      "calibration: one tick of cpu work in google-benchmark's loop, "
				      "and as the start-up calibration measured it");
		pb_finding_figure(f, "tick", tick, "ns");
		pb_finding_figure(f, "start-up calibration", boot, "ns");
	}
}

/* calibration's parameters (cases.csv's units and types) */
static const struct pb_param_decl calibration_params[] = {
	{ "batch", PB_INT, "count", "ticks per google-benchmark iteration" },
	{ 0 }, /* the end */
};

const struct pb_experiment calibration_experiment = {
	.name = "calibration",
	.summary = "the cost of one tick of cpu work, timed by google-benchmark's own loop",
	.teaches =
		"What one tick of cpu work costs on this machine, timed by google-benchmark's own loop. A"
		" task of T ms is a calibrated number of ticks, so cpu tasks do the same work on every "
		"machine.",
	.headline = { "iteration_ns", "ns", PB_LOWER_IS_BETTER },
	/* table only: two numbers (a tick's cost in google-benchmark's loop
	 * and at start-up) that the methods section states. */
	.figures = PB_TABLE_ONLY,
	.plan = calibration_plan,
	.summarize = calibration_summarize,
	.params = calibration_params,
};
