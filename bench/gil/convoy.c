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
 * thread (quick: 0, 1; full: up to 8), the echo answering after 100 us;
 * then K = 1 with an instant echo (echo_us 0), after the others so that a
 * key without echo_us finds the 100 us cases first ---- */

static int convoy_run(struct pb_ctx *ctx, const struct pb_case *c);

/* pin: the placement the case fixes, in its name (NULL: the run's) */
static void convoy_add(struct pb_plan *plan, struct pb_case *c, int n, int echo_us, int k, bool gil,
		       const char *pin)
{
	pb_case_unname(c);
	pb_case_name(c, "n", n);
	pb_case_name(c, "echo_us", echo_us);
	if (pin)
		pb_case_name_str(c, "pin", pin);
	c->budget_s = gil_budget(n, GIL_DEFAULT_INTERVAL_US);
	c->workers = k + 1;
	c->param_value = k;
	pb_case_set(c, "cpu_threads", k);
	gil_plan_add(plan, c, gil);
}

/* K = 1 under the GIL with the placement fixed, each followed by its
 * CPython twin: the IO and CPU threads on one PU (single), and on two
 * (scatter, on a machine that has two), for each echo the run has. On one
 * PU a round trip loses the GIL once (at the recv); on two it may lose it
 * at the send too, when the CPU thread's PU wakes before the send returns,
 * and how often is the machine's: on a 2-vCPU VM whole stretches of a run
 * pay one interval, others two, on both sides alike (docs/gil.md: the
 * convoy and the placement). The fidelity table judges these pairs. */
static void convoy_plan_placed(struct pb_plan *plan, const struct pb_config *cfg, struct pb_case *c)
{
	for (int p = 0; p < 2 && p < cfg->pus; p++)
		for (int e = 0; e < 2 - (cfg->profile == PROFILE_QUICK); e++) {
			int echo_us = e ? 0 : GIL_ECHO_US;

			c->pin_fixed = true;
			c->pin = p ? PIN_SCATTER : PIN_SINGLE;
			convoy_add(plan, c,
				   e ? gil_convoy_instant_trips(cfg) : gil_convoy_trips(cfg, 1),
				   echo_us, 1, true, pin_policy_name(c->pin));
			gil_convoy_twin_placed(plan, cfg, echo_us, c->pin);
		}
	c->pin_fixed = false;
}

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
		for (int k = 0; k <= kmax; k = k < 2 ? k + 1 : 2 * k)
			convoy_add(plan, &c, gil_convoy_trips(cfg, k), GIL_ECHO_US, k, gil, NULL);
	/* the instant echo: default and full, where its CPython twin runs
	 * and its fidelity row is judged (quick's minute has no room for the
	 * twin, and the C cases alone took 1 s of a 1:06 quick make bench on
	 * a 2-vCPU AMD EPYC VM, run 20261207T211732Z) */
	for (int gil = 0; gil < 2 && cfg->profile != PROFILE_QUICK; gil++)
		convoy_add(plan, &c, gil_convoy_instant_trips(cfg), 0, 1, gil, NULL);
	convoy_plan_placed(plan, cfg, &c);
}

int gil_convoy_trips(const struct pb_config *cfg, int k)
{
	/* about an eighth of a second of round trips (quick: 0.05 s, full:
	 * 0.5 s), at least 10, at most 150 (quick: 20 .. 100; full: 50 ..
	 * 500; 1 s, 100 .. 1000 did not fit its hour on 64 PUs). Default's quarter of a second, at least 20, made 12 cases
	 * with their CPython twins take 29 s of a 7:16 default run on a
	 * 2-vCPU AMD EPYC VM (run 20261207T161308Z); a median of 10 round
	 * trips still shows the interval each one waits. */
	double s = PB_PICK(cfg, 0.05, 0.125, 0.5);
	int lo = PB_PICK(cfg, 20, 10, 50), hi = PB_PICK(cfg, 100, 150, 500);
	double trip = gil_estimate(2, GIL_DEFAULT_INTERVAL_US, k) -
		      gil_estimate(1, GIL_DEFAULT_INTERVAL_US, k);
	int n = (int)(s / trip);

	return n < lo ? lo : n > hi ? hi : n;
}

int gil_convoy_instant_trips(const struct pb_config *cfg)
{
	(void)cfg;
	return 20;
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

static const struct pb_case *convoy_case(const struct pb_report *rep, const char *model,
					 const char *extra, int k)
{
	struct pb_case_key key = {
		.experiment = "gil-convoy",
		.model = model,
		.extra = extra,
		.param = "cpu_threads",
		.param_value = k,
	};

	return pb_report_find(rep, &key);
}

/* IO latency under the GIL (g) against without it (t) at K CPU threads:
 * both p50s, their ratio (median over median, and per repetition pair:
 * threads-gil's repetition r over threads' repetition r), both p99s, and
 * the CPU threads' work beside it. */
static void convoy_finding(struct pb_report *rep, const struct pb_case *g, const struct pb_case *t,
			   int k)
{
	struct stats_summary x;
	struct pb_paired p;
	struct pb_finding *f;
	char id[32];

	bool paired = pb_report_paired(rep, g, t, "latency_us_p50", &p);
	int echo_us = (int)pb_case_get(g, "echo_us");

	/* the 100 us echo keeps the ids it always had */
	if (echo_us == GIL_ECHO_US)
		snprintf(id, sizeof(id), "convoy_k%d", k);
	else
		snprintf(id, sizeof(id), "convoy_k%d_echo%d", k, echo_us);
	f = pb_report_finding(rep, id,
			      "gil-convoy K=%d, echo after %d us: IO round trip p50 next to K CPU "
			      "threads, under the GIL (threads-gil) against free threads%s",
			      k, echo_us,
			      paired && !p.interleaved ? " (repetitions not interleaved)" : "");
	pb_finding_stat(f, rep, g, "threads-gil p50", "latency_us_p50", "us");
	pb_finding_stat(f, rep, t, "threads p50", "latency_us_p50", "us");
	if (pb_report_ratio(rep, g, t, "latency_us_p50", &x)) {
		pb_report_row(rep, g, NULL, "latency_p50_vs_threads", x, "x");
		pb_finding_figure(f, "threads-gil / threads", x, "x");
	}
	if (paired) {
		pb_report_row(rep, g, NULL, "latency_p50_vs_threads_paired", p.s, "x");
		pb_finding_figure(f, "per pair", p.s, "x");
	}
	pb_finding_stat(f, rep, g, "threads-gil p99", "latency_us_p99", "us");
	pb_finding_stat(f, rep, t, "threads p99", "latency_us_p99", "us");
	if (k > 0) {
		pb_finding_stat(f, rep, g, "CPU work threads-gil", "cpu_work_cores", "cores");
		pb_finding_stat(f, rep, t, "CPU work threads", "cpu_work_cores", "cores");
	}
}

/* With two CPU threads or more, they take the GIL from each other: their
 * slices against the switch interval. */
static void slices_finding(struct pb_report *rep, const struct pb_case *g, int k)
{
	struct pb_finding *f;
	char id[32];

	snprintf(id, sizeof(id), "slices_k%d", k);
	f = pb_report_finding(rep, id,
			      "gil-convoy K=%d: the CPU threads' time slices (holds ended by a "
			      "forced drop) against the switch interval",
			      k);
	pb_finding_stat(f, rep, g, "slice p50", "gil_slice_us_p50", "us");
	pb_finding_value(f, "switch interval", GIL_DEFAULT_INTERVAL_US, "us");
	pb_finding_stat(f, rep, g, "switches", "gil_switches_per_s", "1/s");
}

/* A case with its placement fixed (convoy_plan_placed): its round trip's
 * mean and p50, and where the IO thread lost the GIL (at the send, at the
 * recv) in how many round trips. */
static void placement_finding(struct pb_report *rep, const struct pb_case *g)
{
	const char *pin = pin_policy_name(g->pin);
	int echo_us = (int)pb_case_get(g, "echo_us");
	struct pb_finding *f;
	char id[48];

	snprintf(id, sizeof(id), "convoy_k1_%s%s", echo_us ? "" : "echo0_",
		 g->pin == PIN_SINGLE ? "1pu" : "2pus");
	f = pb_report_finding(rep, id,
			      "gil-convoy K=1, echo after %d us, pin %s (%s): IO round trip (mean, p50) "
			      "under the GIL, and where the IO thread lost the GIL to the CPU thread",
			      echo_us, pin,
			      g->pin == PIN_SINGLE ? "both threads on one PU" :
						     "each on its own PU");
	pb_finding_stat(f, rep, g, "threads-gil mean", "latency_us_mean", "us");
	pb_finding_stat(f, rep, g, "threads-gil p50", "latency_us_p50", "us");
	pb_finding_stat(f, rep, g, "lost at send", "io_gil_lost_at_send", "count");
	pb_finding_stat(f, rep, g, "lost at recv", "io_gil_lost_at_recv", "count");
	pb_finding_stat(f, rep, g, "round trips", "round_trips", "count");
	pb_finding_value(f, "switch interval", GIL_DEFAULT_INTERVAL_US, "us");
}

/* IO latency under the GIL against without it, at each K. */
static void convoy_summarize(struct pb_report *rep)
{
	const struct pb_case_key gil = { .experiment = "gil-convoy", .model = "threads-gil" };

	for (const struct pb_case *g = pb_report_find(rep, &gil); g;
	     g = pb_report_next(rep, &gil, g)) {
		int k = (int)g->param_value;

		if (g->pin_fixed) {
			placement_finding(rep, g);
			continue;
		}
		convoy_finding(rep, g, convoy_case(rep, "threads", g->extra, k), k);
		if (k >= 2)
			slices_finding(rep, g, k);
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
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ 0 }, /* the end */
};

const struct pb_experiment gil_convoy_experiment = {
	.name = "gil-convoy",
	.summary = "an IO thread next to K CPU threads: under the GIL each blocking call "
		   "waits about a switch interval",
	.teaches =
		"An IO thread next to a CPU thread under the GIL: each time the IO thread wakes it must "
		"wait for the CPU thread to drop the lock, up to one switch interval per round trip (the "
		"convoy effect).",
	.headline = { "latency_us_p50", "us", PB_LOWER_IS_BETTER },
	.figures = "gil-convoy",
	.cpython_twin = "gil.py mode=convoy",
	.plan = convoy_plan,
	.summarize = convoy_summarize,
	.params = gil_convoy_params,
};
