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
			     .in_process = true };

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
		pb_report_note(
			rep,
			"calibration: one tick of cpu work costs %.2f ns in google-benchmark's loop (%.2f–%.2f); the start-up calibration measured %.2f ns",
			tick.median, tick.min, tick.max, boot.median);
	}
}

/* calibration's parameters (cases.csv's units and types) */
static const struct pb_param_decl calibration_params[] = {
	{ "batch", PB_INT, "count", "ticks per google-benchmark iteration" },
	{ NULL },
};

const struct pb_experiment calibration_experiment = {
	.name = "calibration",
	.summary = "the cost of one tick of cpu work, timed by google-benchmark's own loop",
	.plan = calibration_plan,
	.summarize = calibration_summarize,
	.params = calibration_params,
};
