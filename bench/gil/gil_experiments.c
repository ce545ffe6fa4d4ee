/* SPDX-License-Identifier: MIT */
/*
 * gil — what the GIL does to threads that share it: an IO thread next to
 * CPU threads waits about a switch interval for every blocking call
 * (gil-convoy), the interval trades IO latency for CPU throughput
 * (gil-interval), and CPU-bound threads take turns, one slice per interval,
 * on one PU or two (gil-cores). Each case runs the same threads under
 * lib/gil.c's GIL (threads-gil) and without it (threads).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilexp.h"
#include "harness.h"
#include "workload.h"

#define WARMUP 2 /* round trips not recorded: the threads' start */
/* How long the echo takes to answer, about a LAN round trip. With an
 * instant echo the IO thread is mostly back before the CPU thread, woken
 * when the GIL was dropped, has been scheduled, and re-takes the free GIL
 * (docs/gil.md); this long, the read really blocks, as Beazley's did. */
static const double echo_us = 100;
#define SLICE_CAP 65536 /* time slices recorded per thread */

static const unsigned long interval_sweep[] = { 100, 500, 1000, 5000, 10000, 50000 };

/* ---- measuring one case ---- */

static double pct(double *v, size_t n, double p)
{
	return n ? stats_percentile(v, n, p) : 0;
}

/* Every thread's GIL counters, summed; the CPU threads' slices (holds that
 * ended in a forced drop) as a median. */
static void gil_metrics(struct pb_ctx *ctx, const struct gilexp_spec *s,
			const struct gilexp_result *r)
{
	double acq = 0, forced = 0, req = 0, wait = 0, hold = 0, *slices;
	size_t nslices = 0, cap = 0;
	int first_cpu = s->round_trips > 0;

	for (int i = 0; i < r->nthreads; i++) {
		const struct gil_thread *t = &r->threads[i];

		acq += (double)t->acquisitions;
		forced += (double)t->forced_drops;
		req += (double)t->drop_requests;
		wait += (double)t->wait_ns / 1e9;
		hold += (double)t->hold_ns / 1e9;
		if (i >= first_cpu)
			cap += t->nslices;
	}
	pb_metric(ctx, "gil_acquisitions", acq, "count");
	pb_metric(ctx, "gil_forced_drops", forced, "count");
	pb_metric(ctx, "gil_drop_requests", req, "count");
	pb_metric(ctx, "gil_switches", (double)r->switches, "count");
	pb_metric(ctx, "gil_switches_per_s", (double)r->switches / r->wall_s, "1/s");
	pb_metric(ctx, "gil_wait_s", wait, "s");
	pb_metric(ctx, "gil_hold_s", hold, "s");
	if (first_cpu) /* the IO thread's own wait: the convoy, summed */
		pb_metric(ctx, "io_gil_wait_s", (double)r->threads[0].wait_ns / 1e9, "s");
	slices = malloc((cap + 1) * sizeof(*slices));
	if (!slices)
		return;
	for (int i = first_cpu; i < r->nthreads; i++)
		for (size_t k = 0; k < r->threads[i].nslices; k++)
			slices[nslices++] = (double)r->threads[i].slice_ns[k] / 1e3;
	pb_metric(ctx, "gil_slices", (double)nslices, "count");
	if (nslices > 0)
		pb_metric(ctx, "gil_slice_us_p50", pct(slices, nslices, 50), "us");
	free(slices);
}

static void run_metrics(struct pb_ctx *ctx, const struct gilexp_spec *s, struct gilexp_result *r)
{
	size_t n = (size_t)s->round_trips;

	if (n > 0) {
		pb_metric(ctx, "round_trips", (double)n, "count");
		pb_metric(ctx, "latency_us_p50", pct(r->latency_us, n, 50), "us");
		pb_metric(ctx, "latency_us_p99", pct(r->latency_us, n, 99), "us");
		pb_metric(ctx, "latency_us_max", pct(r->latency_us, n, 100), "us");
	}
	if (s->cpu_threads > 0) {
		pb_metric(ctx, "cpu_work_per_s", r->cpu_rate, "ticks/s");
		/* against one core's calibrated rate: 1.0 = one core's worth */
		pb_metric(ctx, "cpu_work_cores",
			  r->cpu_rate / (workload_calibration().ticks_per_ms * 1e3), "cores");
	}
	pb_metric(ctx, "tick_ns", workload_calibration().tick_ns, "ns");
	pb_report_pus(ctx, r->ran_on, r->nthreads);
	if (s->with_gil)
		gil_metrics(ctx, s, r);
}

/* A case: arg[0] with the GIL, arg[1] CPU threads, arg[2] round trips,
 * arg[3] switch interval (us); cpu_ticks per CPU thread (0: until the IO
 * thread is done). */
static int run_case(struct pb_ctx *ctx, const struct pb_case *c, uint64_t cpu_ticks)
{
	struct gilexp_spec s = {
		.with_gil = c->arg[0] != 0,
		.cpu_threads = (int)c->arg[1],
		.round_trips = (int)c->arg[2],
		.switch_us = (unsigned long)c->arg[3],
		.cpu_ticks = cpu_ticks,
		.warmup = c->arg[2] > 0 ? WARMUP : 0,
		.echo_ns = c->arg[2] > 0 ? (uint64_t)(*(const double *)c->data * 1e3) : 0,
		.slice_cap = SLICE_CAP,
		.topo = pb_cfg(ctx)->topo,
		.placement = pb_placement(ctx),
	};
	struct gilexp_result r;
	int rc;

	/* a dead echo process must be an error of the case, not SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	pb_timer_start(ctx);
	rc = gilexp_run(&s, &r);
	pb_timer_stop(ctx);
	if (rc == 0)
		run_metrics(ctx, &s, &r);
	else
		pb_fail(ctx, "%s", r.error);
	gilexp_result_free(&r);
	return rc;
}

static int convoy_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return run_case(ctx, c, 0);
}

/* gil-cores: each of the two threads computes *c->data ms worth of ticks. */
static int cores_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return run_case(ctx, c, wl_ticks_for_ms(*(const double *)c->data));
}

/* ---- the plan ---- */

static void add(struct pb_plan *plan, struct pb_case *c, bool with_gil)
{
	c->model = with_gil ? "threads-gil" : "threads";
	c->arg[0] = with_gil;
	pb_plan_add(plan, c);
}

/* Round trips for a run of about run_s when each costs the echo's delay
 * and a switch interval (the read's re-take waits for it), within [lo, hi]. */
static int trips_for(double run_s, unsigned long switch_us, int lo, int hi)
{
	double n = run_s / (1e-6 * ((double)switch_us + echo_us + 50));

	return n < lo ? lo : n > hi ? hi : (int)n;
}

static double budget(int trips, unsigned long switch_us)
{
	return 30.0 + 8e-6 * (double)trips * ((double)switch_us + echo_us);
}

/* gil-convoy: K = 0 .. PUs CPU threads next to the IO thread. */
static void plan_convoy(struct pb_plan *plan, const struct pb_config *cfg)
{
	int n = PB_PICK(cfg, 20, 300, 1000), kmax = PB_PICK(cfg, 1, cfg->pus, cfg->pus);
	struct pb_case c = {
		.experiment = "gil-convoy",
		.workload = "io",
		.param = "cpu_threads",
		.data = &echo_us,
		.run = convoy_case,
		.budget_s = budget(n, GIL_DEFAULT_INTERVAL_US),
	};

	snprintf(c.extra, sizeof(c.extra), "n:%d/echo_us:%g", n, echo_us);
	for (int gil = 0; gil < 2; gil++)
		for (int k = 0; k <= kmax; k++) {
			c.workers = k + 1;
			c.param_value = k;
			c.arg[1] = k;
			c.arg[2] = n;
			c.arg[3] = GIL_DEFAULT_INTERVAL_US;
			add(plan, &c, gil);
		}
}

/* gil-interval: one CPU thread next to the IO thread, switch interval
 * swept; quick keeps 1 ms and 5 ms. */
static void plan_interval(struct pb_plan *plan, const struct pb_config *cfg)
{
	double run_s = PB_PICK(cfg, 0.05, 0.8, 3.0);
	struct pb_case c = {
		.experiment = "gil-interval",
		.workload = "io",
		.workers = 2,
		.param = "switch_us",
		.data = &echo_us,
		.run = convoy_case,
	};

	for (size_t i = 0; i < sizeof(interval_sweep) / sizeof(*interval_sweep); i++) {
		unsigned long us = interval_sweep[i];
		int n = trips_for(run_s, us, PB_PICK(cfg, 10, 20, 50),
				  PB_PICK(cfg, 50, 1000, 3000));

		if (cfg->profile == PROFILE_QUICK && us != 1000 && us != 5000)
			continue;
		snprintf(c.extra, sizeof(c.extra), "n:%d/echo_us:%g", n, echo_us);
		c.param_value = (double)us;
		c.arg[1] = 1;
		c.arg[2] = n;
		c.arg[3] = (int64_t)us;
		c.budget_s = budget(n, us);
		add(plan, &c, true);
	}
}

/* gil-cores: two CPU threads, both on one PU (pin single) or on two
 * (pin scatter), whatever --pin says. */
static void plan_cores(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const double ms[] = { 25.0, 250.0, 1000.0 };
	const double *task_ms = &ms[PB_PICK(cfg, 0, 1, 2)];
	struct pb_case c = {
		.experiment = "gil-cores",
		.workload = "cpu",
		.workers = 2,
		.param = "pus",
		.run = cores_case,
		.data = task_ms,
		.pin_fixed = true,
		.budget_s = 30.0 + 8.0 * *task_ms / 1000.0,
	};

	snprintf(c.extra, sizeof(c.extra), "ms:%g", *task_ms);
	for (int gil = 1; gil >= 0; gil--)
		for (int pus = 1; pus <= 2 && pus <= cfg->pus; pus++) {
			c.pin = pus == 1 ? PIN_SINGLE : PIN_SCATTER;
			c.param_value = pus;
			c.arg[1] = 2;
			c.arg[2] = 0;
			c.arg[3] = GIL_DEFAULT_INTERVAL_US;
			add(plan, &c, gil);
		}
}

static void gil_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_convoy(plan, cfg);
	plan_interval(plan, cfg);
	plan_cores(plan, cfg);
}

/* ---- the summary: the acceptance figures, from this run ---- */

static const struct pb_case *find(const struct pb_report *rep, const char *experiment,
				  const char *model, double param_value)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);

		if (strcmp(c->experiment, experiment) == 0 && strcmp(c->model, model) == 0 &&
		    c->param_value == param_value)
			return c;
	}
	return NULL;
}

/* The median of a metric of a case; NaN when there is none. */
static double med(const struct pb_report *rep, const struct pb_case *c, const char *metric)
{
	struct stats_summary s;

	return c && pb_report_stat(rep, c->name, metric, &s) ? s.median : NAN;
}

static void ratio_row(struct pb_report *rep, const struct pb_case *c, const char *metric,
		      double num, double den)
{
	struct stats_summary s = { .n = 1, .min = num / den, .median = num / den, .max = num / den };

	if (num > 0 && den > 0)
		pb_report_row(rep, c, NULL, metric, s, "x");
}

static void summarize_convoy(struct pb_report *rep)
{
	for (int k = 0; k <= 1024; k++) {
		const struct pb_case *g = find(rep, "gil-convoy", "threads-gil", k);
		const struct pb_case *t = find(rep, "gil-convoy", "threads", k);
		double gp50 = med(rep, g, "latency_us_p50"), tp50 = med(rep, t, "latency_us_p50");
		char cpu[96] = "";

		if (!g)
			break;
		ratio_row(rep, g, "latency_p50_vs_threads", gp50, tp50);
		if (k > 0)
			snprintf(cpu, sizeof(cpu), "; CPU work %.2f vs %.2f cores",
				 med(rep, g, "cpu_work_cores"), med(rep, t, "cpu_work_cores"));
		pb_report_note(rep,
			       "gil-convoy K=%d: IO round trip p50 threads-gil %.0f us vs threads %.0f "
			       "us = %.1fx (p99 %.0f vs %.0f us)%s",
			       k, gp50, tp50, gp50 / tp50, med(rep, g, "latency_us_p99"),
			       med(rep, t, "latency_us_p99"), cpu);
		if (k >= 2)
			pb_report_note(
				rep,
				"gil-convoy K=%d: the CPU threads' time slices (holds ended by a forced drop) p50 %.0f us, switch interval %d us; %.0f switches/s",
				k, med(rep, g, "gil_slice_us_p50"), GIL_DEFAULT_INTERVAL_US,
				med(rep, g, "gil_switches_per_s"));
	}
}

static void summarize_interval(struct pb_report *rep)
{
	char lat[512] = "", cpu[512] = "";
	size_t nl = 0, nc = 0;

	for (size_t i = 0; i < sizeof(interval_sweep) / sizeof(*interval_sweep); i++) {
		double us = (double)interval_sweep[i];
		const struct pb_case *g = find(rep, "gil-interval", "threads-gil", us);
		double p50 = med(rep, g, "latency_us_p50");

		if (!g || p50 != p50)
			continue;
		nl += (size_t)snprintf(lat + nl, sizeof(lat) - nl, "%s%g us: %.0f us (%.2fx)",
				       nl ? ", " : "", us, p50, p50 / us);
		nc += (size_t)snprintf(cpu + nc, sizeof(cpu) - nc, "%s%.3g", nc ? ", " : "",
				       med(rep, g, "cpu_work_cores"));
		if (nl >= sizeof(lat) || nc >= sizeof(cpu))
			break;
	}
	if (nl)
		pb_report_note(rep,
			       "gil-interval, 1 CPU thread: IO round trip p50 at each switch interval "
			       "(and as a multiple of it): %s; the CPU thread's work in cores: %s",
			       lat, cpu);
}

static void summarize_cores(struct pb_report *rep)
{
	const char *models[] = { "threads-gil", "threads" };

	for (int m = 0; m < 2; m++) {
		const struct pb_case *one = find(rep, "gil-cores", models[m], 1);
		const struct pb_case *two = find(rep, "gil-cores", models[m], 2);
		double w1 = med(rep, one, "wall_s"), w2 = med(rep, two, "wall_s");

		if (!one || !two)
			continue;
		ratio_row(rep, two, "wall_vs_one_pu", w2, w1);
		if (m == 1) {
			pb_report_note(rep,
				       "gil-cores threads: 2 CPU threads take %.3f s on 1 PU, %.3f s "
				       "on 2 PUs (%.2fx)",
				       w1, w2, w2 / w1);
			continue;
		}
		pb_report_note(
			rep,
			"gil-cores threads-gil: 2 CPU threads take %.3f s on 1 PU, %.3f s on 2 PUs (%.2fx); forced drops %.0f vs %.0f; time slices p50 %.0f vs %.0f us at a %d us switch interval",
			w1, w2, w2 / w1, med(rep, one, "gil_forced_drops"),
			med(rep, two, "gil_forced_drops"), med(rep, one, "gil_slice_us_p50"),
			med(rep, two, "gil_slice_us_p50"), GIL_DEFAULT_INTERVAL_US);
	}
}

static void gil_summarize(struct pb_report *rep)
{
	summarize_convoy(rep);
	summarize_interval(rep);
	summarize_cores(rep);
}

const struct pb_experiment gil_suite = {
	.name = "gil",
	.summary = "gil-convoy, gil-interval, gil-cores: IO and CPU threads sharing a GIL",
	.plan = gil_plan,
	.summarize = gil_summarize,
};
