/* SPDX-License-Identifier: MIT */
/*
 * gil-cores — two CPU-bound threads on one PU or on two: without the GIL the
 * second PU halves the time; under it the threads take turns, one slice per
 * switch interval, and the second PU buys nothing. Two more workloads under
 * the GIL: cpu-nopoll, long C calls that never poll the drop request (the
 * interval becomes a minimum: a slice lasts a whole call), and cpu-released,
 * C code that releases the GIL around its work (hashlib, zlib on large
 * buffers: the second PU helps again).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gil.h"
#include "gil_common.h"
#include "gil_threads.h"
#include "harness.h"
#include "workload.h"

/* ---- the plan: both threads on one PU (pin single) or on two (pin
 * scatter), whatever --pin says ---- */

static int cores_run(struct pb_ctx *ctx, const struct pb_case *c);

/* The C-call workloads, under the GIL only (without it they are cpu). */
static const struct {
	const char *workload;
	enum gx_cpu_mode mode;
	int call_us; /* one C call's length */
} ccalls[] = {
	{ "cpu-nopoll", GX_CPU_NOPOLL, 4 * GIL_DEFAULT_INTERVAL_US },
	{ "cpu-released", GX_CPU_RELEASED, 1000 },
};

static void plan_pus(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case *c, bool gil)
{
	for (int pus = 1; pus <= 2 && pus <= cfg->pus; pus++) {
		int64_t mode = GX_CPU_POLL;
		bool serial;

		pb_case_has(c, "cpu_mode", &mode);
		serial = gil && mode != GX_CPU_RELEASED;

		c->pin = pus == 1 ? PIN_SINGLE : PIN_SCATTER;
		c->param_value = pus;
		/* two threads of ms each: one after the other on one PU or under
		 * the GIL, side by side otherwise */
		c->est_s = 0.02 + pb_case_get(c, "ms") / 1e3 * (pus == 1 || serial ? 2 : 1);
		gil_plan_add(plan, c, gil);
	}
}

static void cores_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	/* default: 50 ms (100 made the 10 cases with their CPython twins take
	 * 12 s of a 7:16 default run on a 2-vCPU AMD EPYC VM, run
	 * 20261207T161308Z: a 5-minute budget) */
	static const int ms[] = { 25, 50, 500 };
	int task_ms = ms[PB_PICK(cfg, 0, 1, 2)];
	struct pb_case c = {
		.experiment = "gil-cores",
		.workload = "cpu",
		.workers = 2,
		.param = "pus",
		.run = cores_run,
		.pin_fixed = true,
		.budget_s = 30.0 + 8.0 * task_ms / 1000.0,
	};

	pb_case_name(&c, "ms", task_ms);
	pb_case_set(&c, "cpu_threads", 2);
	pb_case_set(&c, "n", 0);
	pb_case_set(&c, "switch_us", GIL_DEFAULT_INTERVAL_US);
	for (int gil = 1; gil >= 0; gil--)
		plan_pus(plan, cfg, &c, gil);
	for (size_t k = 0; k < sizeof(ccalls) / sizeof(ccalls[0]); k++) {
		c.workload = ccalls[k].workload;
		pb_case_set(&c, "cpu_mode", ccalls[k].mode);
		pb_case_set(&c, "call_us", ccalls[k].call_us);
		plan_pus(plan, cfg, &c, true);
	}
}

/* ---- the run: each of the two threads computes ms worth of ticks ---- */

static int cores_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	return gil_case_run(ctx, c, wl_ticks_for_ms((double)pb_case_get(c, "ms")));
}

/* ---- the summary: the time on two PUs against one ---- */

static const struct pb_case *cores_case(const struct pb_report *rep, const char *model,
					const char *workload, int pus)
{
	struct pb_case_key key = {
		.experiment = "gil-cores",
		.model = model,
		.workload = workload,
		.param = "pus",
		.param_value = pus,
	};

	return pb_report_find(rep, &key);
}

/* Two PUs against one for model and workload (call_us: its C calls, 0 for
 * plain bytecode): both times, their ratio (median over median, and per
 * repetition pair: two PUs' repetition r over one PU's) as rows and a
 * finding, and under the GIL its forced drops and slices. */
static void two_pus(struct pb_report *rep, const char *model, const char *workload, int call_us)
{
	const struct pb_case *one = cores_case(rep, model, workload, 1);
	const struct pb_case *two = cores_case(rep, model, workload, 2);
	bool gil = strcmp(model, "threads-gil") == 0;
	struct stats_summary x;
	struct pb_paired p;
	struct pb_finding *f;
	char id[64], calls[48] = "";

	if (!one || !two || !pb_report_ratio(rep, two, one, "wall_s", &x))
		return;
	pb_report_row(rep, two, NULL, "wall_vs_one_pu", x, "x");
	snprintf(id, sizeof(id), "two_pus_%s_%s", model, workload);
	for (char *c = id; *c; c++)
		*c = *c == '-' ? '_' : *c;
	if (call_us)
		snprintf(calls, sizeof(calls), " (C calls of %d us)", call_us);
	f = pb_report_finding(rep, id, "gil-cores %s %s%s: 2 CPU threads on 1 PU and on 2 PUs",
			      model, workload, calls);
	pb_finding_stat(f, rep, one, "1 PU", "wall_s", "s");
	pb_finding_stat(f, rep, two, "2 PUs", "wall_s", "s");
	pb_finding_figure(f, "2 PUs / 1 PU", x, "x");
	if (pb_report_paired(rep, two, one, "wall_s", &p)) {
		pb_report_row(rep, two, NULL, "wall_vs_one_pu_paired", p.s, "x");
		pb_finding_figure(f, "per pair", p.s, "x");
	}
	if (!gil)
		return;
	pb_finding_stat(f, rep, one, "forced drops 1 PU", "gil_forced_drops", "");
	pb_finding_stat(f, rep, two, "forced drops 2 PUs", "gil_forced_drops", "");
	pb_finding_stat(f, rep, one, "slice p50 1 PU", "gil_slice_us_p50", "us");
	pb_finding_stat(f, rep, two, "slice p50 2 PUs", "gil_slice_us_p50", "us");
	pb_finding_value(f, "switch interval", GIL_DEFAULT_INTERVAL_US, "us");
}

static void cores_summarize(struct pb_report *rep)
{
	two_pus(rep, "threads-gil", "cpu", 0);
	two_pus(rep, "threads", "cpu", 0);
	for (size_t k = 0; k < sizeof(ccalls) / sizeof(ccalls[0]); k++)
		two_pus(rep, "threads-gil", ccalls[k].workload, ccalls[k].call_us);
	pb_report_cv_note(rep, &(struct pb_case_key){ .experiment = "gil-cores" }, "wall_s");
}

/* gil-cores's parameters (cases.csv's units and types) */
static const struct pb_param_decl gil_cores_params[] = {
	{ "ms", PB_INT, "ms", "the work of each CPU thread" },
	{ "pus", PB_INT, "count", "the PUs the threads may use" },
	{ "cpu_threads", PB_INT, "count", "CPU-bound threads" },
	{ "n", PB_INT, "count", "IO round trips (none here)" },
	{ "switch_us", PB_INT, "us", "the GIL's switch interval" },
	{ "gil", PB_INT, "", "1: the threads run under the GIL" },
	{ "cpu_mode", PB_INT, "",
	  "how the CPU work holds the GIL (bytecode, or a C call that holds or releases it)" },
	{ "call_us", PB_INT, "us", "the length of one C call" },
	{ 0 }, /* the end */
};

const struct pb_experiment gil_cores_experiment = {
	.name = "gil-cores",
	.summary = "two CPU threads on one PU or two: under the GIL a second PU buys nothing",
	.teaches =
		"What a second core costs CPU threads under the GIL: the lock moves between cores, so two"
		" threads can be slower than one.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	.figures = "gil-cores",
	.cpython_twin = "gil.py mode=slices",
	.plan = cores_plan,
	.summarize = cores_summarize,
	.params = gil_cores_params,
};
