/* SPDX-License-Identifier: MIT */
/*
 * counter-window — unlocked, 2 workers pinned apart, the gap between load
 * and store swept from 0 to 10 us: losses grow with the window, in a tight
 * loop and in a loop that does other work between increments.
 */
#include <math.h>
#include <string.h>

#include "counter_common.h"

#define WINDOW_RUN_NS 30000000.0 /* about this long per run */
#define GAP_NS 10000		 /* the other work per increment */

/* Increments per worker for a run of about WINDOW_RUN_NS (2000 to 10^6). */
static int64_t window_increments(double window_ns, int64_t gap_ns)
{
	double n = WINDOW_RUN_NS / (window_ns + (double)gap_ns + 5);

	return n < 2000 ? 2000 : n > 1000000 ? 1000000 : (int64_t)n;
}

/* unlocked, 2 workers, window 0 to 10 us, in a tight loop and in a loop
 * that does 10 us of other work per increment. The workers are pinned apart
 * (scatter) and each run lasts about WINDOW_RUN_NS, so that they overlap
 * whatever the window and the scheduler does: this experiment is about the
 * window, counter-contention about placement. Losses are compared as
 * lost_pct. */
static void window_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const double full[] = { 0, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000 };
	static const double quick[] = { 0, 100, 1000, 10000 };
	/* default: six windows over the range (a 5-minute budget on 2 PUs) */
	static const double some[] = { 0, 50, 200, 1000, 5000, 10000 };
	static const int64_t gaps[] = { 0, GAP_NS };
	bool q = cfg->profile == PROFILE_QUICK;
	bool d = cfg->profile == PROFILE_DEFAULT;
	const double *win = q ? quick : d ? some : full;
	int nwin = q ? 4 : d ? 6 : 10, modes = q ? 1 : 2;
	struct pb_case c = { .experiment = "counter-window",
			     .param = "window_ns",
			     .workers = 2,
			     .pin_fixed = true,
			     .pin = PIN_SCATTER };

	for (int m = 0; m < modes; m++)
		for (int g = 0; g < 2; g++)
			for (int i = 0; i < nwin; i++) {
				pb_case_unname(&c);
				if (gaps[g])
					pb_case_name(&c, "gap_ns", gaps[g]);
				else
					pb_case_set(&c, "gap_ns", 0);
				pb_case_name_str(&c, "pin", "scatter");
				c.param_value = win[i];
				/* 30 to 130 ms a repetition at every window (default
				 * runs 20261130T200841Z, 20261130T204845Z, loaded): the
				 * increments shrink as it grows */
				c.est_s =
					0.04; /* 37 ms a repetition (runs 20261207T213008Z, 213102Z) */
				counter_add(plan, c, "unlocked", m,
					    window_increments(win[i], gaps[g]));
			}
}

static void note_window(struct pb_report *rep, enum counter_mode mode, const char *extra)
{
	static const char *const names[] = { "no window", "1 us", "10 us" };
	const double at[] = { 0, 1000, 10000 };
	struct stats_summary lost[3];
	struct pb_finding *f;
	char id[64];

	for (int i = 0; i < 3; i++) {
		const struct pb_case_key key = { .experiment = "counter-window",
						 .model = counter_model[mode],
						 .workload = "unlocked",
						 .extra = extra,
						 .workers = 2,
						 .param = "window_ns",
						 .param_value = at[i] };
		const struct pb_case *c = pb_report_find(rep, &key);

		if (!c || !pb_report_stat(rep, c->name, "lost_pct", &lost[i]))
			return; /* no such case, or no result */
	}
	snprintf(id, sizeof(id), "lost_%s_%s", counter_model[mode],
		 strstr(extra, "gap") ? "gap" : "tight");
	f = pb_report_finding(rep, id,
			      "counter-window %s, unlocked, 2 workers, %s: the increments lost "
			      "against the window between load and store",
			      counter_model[mode],
			      strstr(extra, "gap") ? "10 us of other work per increment" :
						     "a tight loop");
	for (int i = 0; i < 3; i++)
		pb_finding_figure(f, names[i], lost[i], "%");
}

static void window_summarize(struct pb_report *rep)
{
	for (int m = 0; m < 2; m++) {
		note_window(rep, m, "pin:scatter");
		note_window(rep, m, "gap_ns:10000/pin:scatter");
	}
}

/* counter-window's parameters (cases.csv's units and types) */
static const struct pb_param_decl counter_window_params[] = {
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ "workload", PB_ENUM, "", "the lock variant" },
	{ "window_ns", PB_REAL, "ns", "the gap between load and store" },
	{ "gap_ns", PB_INT, "ns", "the pause between increments" },
	{ "mode", PB_INT, "", "processes or threads, as enum counter_mode" },
	{ "increments", PB_INT, "count", "increments per worker" },
	{ 0 }, /* the end */
};

const struct pb_experiment counter_window_experiment = {
	.name = "counter-window",
	.summary =
		"unlocked, 2 workers pinned apart: losses against the window between load and store",
	.teaches =
		"How many increments are lost against the window between the read and the write of the "
		"counter.",
	.headline = { "lost_pct", "%", PB_LOWER_IS_BETTER },
	.figures = "counter-window",
	.plan = window_plan,
	.summarize = window_summarize,
	.params = counter_window_params,
};
