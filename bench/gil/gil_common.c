/* SPDX-License-Identifier: MIT */
/*
 * gil_common — one case of a gil-* experiment: the threads of
 * gil_threads.c, run from the case's named parameters, and their metrics.
 */
#include "gil_common.h"

#include <signal.h>
#include <stdlib.h>

#include "gil_threads.h"
#include "workload.h"

#define WARMUP 2	/* round trips not recorded: the threads' start */
#define SLICE_CAP 65536 /* time slices recorded per thread */

static double pct(double *v, size_t n, double p)
{
	return n ? stats_percentile(v, n, p) : 0;
}

/* The CPU threads' slices (holds that ended in a forced drop), as a median. */
static void slice_metrics(struct pb_ctx *ctx, const struct gil_threads_result *r, int first_cpu)
{
	size_t nslices = 0, cap = 0;
	double *slices;

	for (int i = first_cpu; i < r->nthreads; i++)
		cap += r->threads[i].nslices;
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

/* Every thread's GIL counters, summed, and the CPU threads' slices. */
static void gil_metrics(struct pb_ctx *ctx, const struct gil_threads_spec *s,
			const struct gil_threads_result *r)
{
	double acq = 0, forced = 0, req = 0, wait = 0, hold = 0;
	int first_cpu = s->round_trips > 0;

	for (int i = 0; i < r->nthreads; i++) {
		const struct gil_thread *t = &r->threads[i];

		acq += (double)t->acquisitions;
		forced += (double)t->forced_drops;
		req += (double)t->drop_requests;
		wait += (double)t->wait_ns / 1e9;
		hold += (double)t->hold_ns / 1e9;
	}
	pb_metric(ctx, "gil_acquisitions", acq, "count");
	pb_metric(ctx, "gil_forced_drops", forced, "count");
	pb_metric(ctx, "gil_drop_requests", req, "count");
	pb_metric(ctx, "gil_switches", (double)r->switches, "count");
	pb_metric(ctx, "gil_switches_per_s", (double)r->switches / r->wall_s, "1/s");
	pb_metric(ctx, "gil_wait_s", wait, "s");
	pb_metric(ctx, "gil_hold_s", hold, "s");
	if (first_cpu) { /* the IO thread's own wait: the convoy, summed */
		pb_metric(ctx, "io_gil_wait_s", (double)r->threads[0].wait_ns / 1e9, "s");
		/* and where it lost the GIL: its two chances a round trip */
		pb_metric(ctx, "io_gil_lost_at_send", r->lost_at_send, "count");
		pb_metric(ctx, "io_gil_lost_at_recv", r->lost_at_recv, "count");
	}
	slice_metrics(ctx, r, first_cpu);
}

static void run_metrics(struct pb_ctx *ctx, const struct gil_threads_spec *s,
			struct gil_threads_result *r)
{
	size_t n = (size_t)s->round_trips;

	if (n > 0) {
		double sum = 0;

		for (size_t i = 0; i < n; i++)
			sum += r->latency_us[i];
		pb_metric(ctx, "round_trips", (double)n, "count");
		/* the mean too: a round trip pays one switch interval or two,
		 * and where about half pay two the p50 jumps between them on a
		 * few round trips; the mean moves with the share */
		pb_metric(ctx, "latency_us_mean", sum / (double)n, "us");
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
	/* the slices as gil.py measures them (two CPU threads or more, with
	 * or without a GIL): what the fidelity table sets beside CPython's */
	if (r->nturn_slices > 0) {
		pb_metric(ctx, "turn_slices", (double)r->nturn_slices, "count");
		pb_metric(ctx, "turn_slice_us_p50", pct(r->turn_slice_us, r->nturn_slices, 50),
			  "us");
	}
	pb_report_pus(ctx, r->ran_on, r->nthreads);
	if (s->with_gil)
		gil_metrics(ctx, s, r);
}

int gil_case_run(struct pb_ctx *ctx, const struct pb_case *c, uint64_t cpu_ticks)
{
	int trips = (int)pb_case_get(c, "n");
	struct gil_threads_spec s = {
		.with_gil = pb_case_get(c, "gil") != 0,
		.cpu_threads = (int)pb_case_get(c, "cpu_threads"),
		.round_trips = trips,
		.switch_us = (unsigned long)pb_case_get(c, "switch_us"),
		.cpu_ticks = cpu_ticks,
		.warmup = trips > 0 ? WARMUP : 0,
		.echo_ns = trips > 0 ? (uint64_t)pb_case_get(c, "echo_us") * 1000 : 0,
		.slice_cap = SLICE_CAP,
		.topo = pb_cfg(ctx)->topo,
		.placement = pb_placement(ctx),
	};
	struct gil_threads_result r;
	int64_t mode = GX_CPU_POLL, call_us = 0;
	int rc;

	pb_case_has(c, "cpu_mode", &mode);
	pb_case_has(c, "call_us", &call_us);
	s.cpu_mode = (enum gx_cpu_mode)mode;
	s.call_ticks = call_us > 0 ? wl_ticks_for_ms((double)call_us / 1e3) : 0;
	/* a dead echo process must be an error of the case, not SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	pb_timer_start(ctx);
	rc = gil_threads_run(&s, &r);
	pb_timer_stop(ctx);
	if (rc == 0)
		run_metrics(ctx, &s, &r);
	else
		pb_fail(ctx, "%s", r.error);
	gil_threads_result_free(&r);
	return rc;
}

void gil_plan_add(struct pb_plan *plan, struct pb_case *c, bool with_gil)
{
	c->model = with_gil ? "threads-gil" : "threads";
	pb_case_set(c, "gil", with_gil);
	if (pb_case_get(c, "n") > 0)
		c->est_s = gil_estimate(pb_case_get(c, "n"),
					(unsigned long)pb_case_get(c, "switch_us"),
					with_gil ? (int)pb_case_get(c, "cpu_threads") : 0);
	pb_plan_add(plan, c);
}

/* Measured on a 2-PU VM (default runs 20261130T200841Z, 20261130T204845Z):
 * the echo alone about 0.15 ms a round trip; next to one CPU thread a
 * switch interval more (5.3 ms at 5 ms), next to two about three (12 ms in
 * C, 16 to 21 ms in CPython), as the IO thread queues behind both. */
double gil_estimate(int64_t trips, unsigned long switch_us, int cpu_threads)
{
	double per_trip = 1e-6 * (GIL_ECHO_US + 50);

	if (cpu_threads == 1)
		per_trip += 1.1e-6 * (double)switch_us;
	else if (cpu_threads > 1)
		per_trip += 1.5e-6 * cpu_threads * (double)switch_us;
	return 0.02 + (double)trips * per_trip;
}

double gil_budget(int trips, unsigned long switch_us)
{
	return 30.0 + 8e-6 * (double)trips * ((double)switch_us + GIL_ECHO_US);
}
