/* SPDX-License-Identifier: MIT */
/*
 * ipc-latency, the Queue under the GIL: queue-py with channel_opts.gil, so
 * that put, get and the feeder thread are Python threads of one GIL in
 * each process, as CPython's are (lib/models/channel/channel.h).
 *
 *   queue-py-gil       the plain round trip (pin:single, 64 B): the GIL's
 *                      hand-offs between the caller and its feeder.
 *   queue-py-busy,     the caller computes busy_us between put and get (the
 *   queue-py-gil-busy  caller's own Python work). delivery_ns is when the
 *                      ponger has the message, from put. Without the GIL the
 *                      feeder writes at once (the OS shares the PU); under
 *                      it the feeder waits for the caller to block or for
 *                      its switch interval to end: delivery grows with
 *                      busy_us up to the interval (5 ms), then stays there.
 *                      cpython-queue-busy (bench/cpython/ipc.py) runs the
 *                      same pattern.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cpython.h"
#include "gil.h"
#include "ipc_common.h"
#include "workload.h"

#define MSG 64

static volatile uint64_t sink;

struct glink {
	struct channel *ab, *ba;
	struct ipc_shared *sh;
	struct gil gil; /* each process's own (re-made in the ponger) */
	bool with_gil;
};

static void glink_close(struct glink *l)
{
	channel_close(l->ab);
	channel_close(l->ba);
}

/* The ponger, one Python thread: it stamps when the message came (bytes
 * 8..15, CLOCK_MONOTONIC, system-wide) and sends it back. */
static int gponger(void *arg)
{
	struct glink *l = arg;
	struct gil_thread t;
	unsigned char buf[MSG];
	ssize_t n;
	int rc = 0;

	if (l->with_gil && gil_init(&l->gil, GIL_DEFAULT_INTERVAL_US, true) != 0)
		return ipc_worker_fail(l->sh, "ponger: gil_init failed");
	gil_thread_init(&t, &l->gil, 2, 0);
	if (l->with_gil)
		gil_take(&t);
	if (channel_open(l->ab, CH_RECV) < 0 || channel_open(l->ba, CH_SEND) < 0)
		return ipc_worker_fail(l->sh, "ponger: open failed");
	while ((n = channel_recv(l->ab, buf, sizeof(buf), -1)) == MSG && rc == 0) {
		uint64_t now = clock_now_ns();

		memcpy(buf + 8, &now, sizeof(now));
		rc = channel_send(l->ba, buf, (size_t)n, -1);
	}
	glink_close(l);
	if (l->with_gil)
		gil_exit(&t);
	if (rc < 0 || n != -EPIPE)
		return ipc_worker_fail(l->sh, "ponger: %s", strerror(rc < 0 ? -rc : (int)-n));
	return 0;
}

/* n timed round trips: put, busy ticks of the caller's work (under the GIL
 * when there is one), get; rtt and delivery per round trip. */
static int gping(struct pb_ctx *ctx, struct glink *l, struct gil_thread *t, uint64_t busy,
		 double *rtt, double *delivery, size_t n)
{
	unsigned char out[MSG] = { 0 }, in[MSG];
	size_t warm = n / 10;
	uint64_t x = 1;

	for (size_t i = 0; i < warm + n; i++) {
		uint64_t t0 = clock_now_ns(), seq = i, got;
		ssize_t r;
		int rc;

		memcpy(out, &seq, sizeof(seq));
		if ((rc = channel_send(l->ab, out, MSG, -1)) < 0)
			return pb_fail(ctx, "ping %zu: send: %s", i, strerror(-rc));
		x = l->with_gil ? gil_compute(t, x | 1, busy) : wl_cpu_ticks(x, busy);
		r = channel_recv(l->ba, in, sizeof(in), -1);
		if (r != MSG || memcmp(in, &seq, sizeof(seq)) != 0)
			return pb_fail(ctx, "ping %zu: recv %zd: not the message sent", i, r);
		memcpy(&got, in + 8, sizeof(got));
		if (i >= warm) {
			rtt[i - warm] = (double)(clock_now_ns() - t0);
			delivery[i - warm] = (double)(got - t0);
		}
	}
	sink = x; /* keeps the work */
	return 0;
}

/* The feeder's GIL as the pinger saw it, per message (the untimed warm-up
 * round trips' messages included: n + n / 10 in all). */
static void gil_metrics(struct pb_ctx *ctx, struct glink *l, struct gil_thread *t, size_t n)
{
	struct channel_charges c = { 0 };

	n += n / 10;
	channel_charges(l->ab, &c);
	pb_metric(ctx, "feeder_gil_takes_per_msg", (double)c.feeder_gil_takes / (double)n, "count");
	pb_metric(ctx, "feeder_gil_wait_ns_per_msg", (double)c.feeder_gil_wait_ns / (double)n,
		  "ns");
	pb_metric(ctx, "caller_forced_drops", (double)t->forced_drops, "count");
}

static int gpingpong(struct pb_ctx *ctx, struct glink *l, struct channel_opts o, uint64_t busy,
		     double *rtt, double *delivery, size_t n)
{
	struct gil_thread t;
	pid_t pid;
	int rc;

	if (gil_init(&l->gil, GIL_DEFAULT_INTERVAL_US, true) != 0 || !(l->sh = ipc_shared_new()))
		return pb_fail(ctx, "out of memory");
	o.gil = l->with_gil ? &l->gil : NULL;
	l->ab = ipc_make(ctx, IPC_QUEUE, o);
	l->ba = l->ab ? ipc_make(ctx, IPC_QUEUE, o) : NULL;
	if (!l->ab || !l->ba) {
		if (l->ab)
			channel_close(l->ab);
		ipc_end(ctx);
		ipc_shared_free(l->sh);
		return -1; /* make() said why */
	}
	pid = ipc_spawn(ctx, 1, gponger, l);
	gil_thread_init(&t, &l->gil, 1, 0);
	if (l->with_gil)
		gil_take(&t); /* the main thread runs Python */
	if (ipc_bind_self(ctx, 0) < 0 || channel_open(l->ab, CH_SEND) < 0 ||
	    channel_open(l->ba, CH_RECV) < 0)
		rc = pb_fail(ctx, "binding or opening the pinger's side failed");
	else
		rc = gping(ctx, l, &t, busy, rtt, delivery, n);
	if (rc == 0 && l->with_gil)
		gil_metrics(ctx, l, &t, n);
	glink_close(l); /* under the GIL: close drops it around the join */
	if (l->with_gil)
		gil_exit(&t);
	if (ipc_reap(ctx, &pid, 1, l->sh) != 0 && rc == 0)
		rc = -1;
	if (ipc_end(ctx) < 0 && rc == 0)
		rc = -1;
	ipc_shared_free(l->sh);
	gil_destroy(&l->gil);
	return rc;
}

/* CPython's costs per call first (ipc.py model=calibrate), then the round
 * trips with them charged. */
static int gil_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "round_trips");
	double busy_us = strstr(c->model, "busy") ? c->param_value : 0;
	struct glink l = { .with_gil = strstr(c->model, "gil") != NULL };
	struct cpython_call_costs py;
	struct channel_opts o = { .senders = 1, .receivers = 1 };
	double *rtt, *delivery;
	int rc = cpython_call_costs(ctx, MSG, &py);

	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
	o.call_ns = (struct channel_call_ns){ .send = py.put_ns,
					      .feed = py.feed_ns,
					      .recv = py.get_ns };
	rtt = malloc(n * sizeof(*rtt));
	delivery = malloc(n * sizeof(*delivery));
	if (rtt && delivery)
		rc = gpingpong(ctx, &l, o, wl_ticks_for_ms(busy_us / 1e3), rtt, delivery, n);
	else
		rc = pb_fail(ctx, "out of memory");
	if (rc == 0) {
		pb_metric_spread(ctx, "latency_ns", rtt, n, "ns");
		pb_metric_spread(ctx, "delivery_ns", delivery, n, "ns");
		pb_metric(ctx, "round_trips", (double)n, "count");
		pb_metric(ctx, "busy_us", busy_us, "us");
	}
	free(rtt);
	free(delivery);
	return rc;
}

static struct pb_case gil_case_of(const char *model, enum pin_policy pin)
{
	struct pb_case c = { .experiment = "ipc-latency",
			     .model = model,
			     .param = "msg_bytes",
			     .param_value = MSG,
			     .workers = 2,
			     .pin_fixed = true,
			     .pin = pin,
			     .run = gil_case,
			     .budget_s = 90 };

	pb_case_name_str(&c, "pin", pin_policy_name(pin));
	return c;
}

int queue_busy_sweep(const struct pb_config *cfg, const double **busy)
{
	static const double quick[] = { 8000 }, some[] = { 8000 },
			    full[] = { 500, 2000, 4000, 8000 };

	/* quick: none (each case runs CPython's calibration: a second in all
	 * of the quick profile's minute); default: one point past the switch
	 * interval, where the GIL's lesson and its fidelity row are (500, below
	 * the interval, echoes its parameter on both sides by construction and
	 * its row is not judged; with CPython's twin it took 5 s of a 5:17
	 * default make bench on a 2-vCPU AMD EPYC VM, run 20261207T193300Z);
	 * full sweeps below and past it */
	*busy = PB_PICK(cfg, quick, some, full);
	return PB_PICK(cfg, 0, 1, 4);
}

int64_t latency_trips(const struct pb_config *cfg)
{
	/* default: 1,000 give a p50 and a p99 (2,000 made ipc-latency, 44
	 * cases with its CPython twins, take 73 s of a 7:16 default run on a
	 * 2-vCPU AMD EPYC VM, run 20261207T161308Z) */
	return PB_PICK(cfg, 400, 1000, 4000); /* full: 10,000 did not fit its hour on 64 PUs */
}

int64_t queue_busy_trips(const struct pb_config *cfg)
{
	/* each round trip computes busy_us first: 8 ms x 300 took 2.4 s a
	 * repetition, past the default profile's 5-minute budget; 25 took
	 * 19 s in all (six cases and the CPython twin's three, 5 repetitions,
	 * run 20261207T161308Z): default 15, a median of 15 delays each;
	 * full 30 (100 did not fit its hour on 64 PUs) */
	return PB_PICK(cfg, 15, 10, 30); /* default 10: the four 8 ms cases took 10 s of
					   * a 5:11 default make bench on a 2-vCPU AMD EPYC VM, run 20261207T190057Z */
}

double queue_busy_estimate(const struct pb_config *cfg, double busy_us)
{
	/* the start (the twin's Python, 0.15 s), then busy_us and a round
	 * trip each */
	return 0.15 + (double)queue_busy_trips(cfg) * (busy_us + 100) / 1e6;
}

void latency_gil_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const busy_models[] = { "queue-py-busy", "queue-py-gil-busy" };
	struct pb_case c = gil_case_of("queue-py-gil", PIN_SINGLE);
	const double *busy;
	int nbusy = queue_busy_sweep(cfg, &busy);
	int64_t trips = latency_trips(cfg);

	pb_case_set(&c, "round_trips", trips);
	/* CPython's calibration, then up to 60 us a round trip; quick: not
	 * (its calibration and start took 2.4 s of a 1:38 quick run on a
	 * loaded 2-vCPU AMD EPYC VM, run 20261207T184506Z; queue-py, without
	 * the GIL, carries the Queue-against-Pipe lesson) */
	c.est_s = IPC_PY_CALIBRATE_EST_S + (double)trips * 60e-6;
	if (cfg->profile != PROFILE_QUICK)
		pb_plan_add(plan, &c);
	for (int m = 0; m < 2; m++)
		for (int b = 0; b < nbusy; b++) {
			c = gil_case_of(busy_models[m], PIN_SCATTER);
			c.param = "busy_us";
			c.param_value = busy[b];
			pb_case_set(&c, "round_trips", queue_busy_trips(cfg));
			/* CPython's calibration, where its twin starts Python */
			c.est_s = queue_busy_estimate(cfg, busy[b]) - 0.15 + IPC_PY_CALIBRATE_EST_S;
			pb_plan_add(plan, &c);
		}
}
