/* SPDX-License-Identifier: MIT */
/*
 * ipc-latency — ping-pong round trips of 64 B through every channel kind,
 * on one PU and across two, set against `perf bench sched pipe` (perf_peer.c)
 * both as separate cases and paired round by round: what one message there
 * and back costs, and whether our pipe agrees with the figure perf gives.
 * duplex-py and queue-py are Pipe() and Queue() with the interpreter's cost
 * per call charged, as CPython measures it on this machine in the same case
 * (the fidelity table sets them against cpython-pipe and cpython-queue).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cpython.h"
#include "ipc_common.h"
#include "perf_peer.h"

/* ---- the run: ping-pong ---- */

/* A two-way link: one duplex channel, or two one-way channels. */
struct link {
	struct channel *ab, *ba;
	struct ipc_shared *sh;
	size_t msg_bytes;
};

static int link_open(struct link *l, int side)
{
	if (l->ab == l->ba)
		return channel_open(l->ab, side ? CH_END_B : CH_END_A);
	if (channel_open(l->ab, side ? CH_RECV : CH_SEND) < 0)
		return -1;
	return channel_open(l->ba, side ? CH_SEND : CH_RECV);
}

static void link_close(struct link *l)
{
	channel_close(l->ab);
	if (l->ba != l->ab)
		channel_close(l->ba);
}

/* The pong side: send back whatever comes, until the pinger leaves. */
static int ponger(void *arg)
{
	struct link *l = arg;
	unsigned char buf[4096];
	ssize_t n;
	int rc = 0;

	if (link_open(l, 1) < 0)
		return ipc_worker_fail(l->sh, "ponger: open failed");
	/* no timeout: a timed wait costs a poll() per message, and the
	 * pinger's leaving reads as end of stream anyway */
	while ((n = channel_recv(l->ab, buf, sizeof(buf), -1)) >= 0 && rc == 0)
		rc = channel_send(l->ba, buf, (size_t)n, -1);
	link_close(l);
	if (rc < 0 || n != -EPIPE)
		return ipc_worker_fail(l->sh, "ponger: %s", strerror(rc < 0 ? -rc : (int)-n));
	return 0;
}

static void latency_metrics(struct pb_ctx *ctx, double *ns, size_t n)
{
	pb_metric_spread(ctx, "latency_ns", ns, n, "ns");
	pb_metric(ctx, "round_trips", (double)n, "count");
}

/* n timed round trips (after n/10 untimed ones), each checked: the reply
 * carries the sequence number that went out. */
static int ping(struct pb_ctx *ctx, struct link *l, double *ns, size_t n)
{
	unsigned char out[4096] = { 0 }, in[4096];
	size_t warm = n / 10;

	for (size_t i = 0; i < warm + n; i++) {
		uint64_t t0 = clock_now_ns(), seq = i;
		ssize_t r;
		int rc;

		memcpy(out, &seq, sizeof(seq));
		rc = channel_send(l->ab, out, l->msg_bytes, -1);
		if (rc < 0)
			return pb_fail(ctx, "ping %zu: send: %s", i, strerror(-rc));
		r = channel_recv(l->ba, in, sizeof(in), -1);
		if (r < 0)
			return pb_fail(ctx, "ping %zu: recv: %s", i, strerror((int)-r));
		if (!ipc_reply_ok(in, r, l->msg_bytes, seq))
			return pb_fail(ctx, "ping %zu: the reply is not the message sent", i);
		if (i >= warm)
			ns[i - warm] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* The calls this process was charged for (opts.call_ns), on both channels. */
static void link_charged(struct pb_ctx *ctx, struct link *l)
{
	struct channel_charges a = { 0 }, b = { 0 };
	unsigned long long calls = 0;

	channel_charges(l->ab, &a);
	if (l->ba != l->ab)
		channel_charges(l->ba, &b);
	for (int i = 0; i < CH_NCALLS; i++)
		calls += a.calls[i] + b.calls[i];
	if (calls)
		pb_metric(ctx, "charged_calls_pinger", (double)calls, "count");
}

/* One ping-pong run of model m: n timed round trips of msg_bytes into ns;
 * cost: the interpreter's cost per call to charge (NULL: none). */
static int pingpong(struct pb_ctx *ctx, int m, size_t msg_bytes, double *ns, size_t n,
		    const struct channel_call_ns *cost)
{
	struct link l = { .msg_bytes = msg_bytes };
	struct channel_opts o = { .senders = 1,
				  .receivers = 1,
				  .call_ns = cost ? *cost : (struct channel_call_ns){ 0 } };
	pid_t pid;
	int rc;

	if (!(l.sh = ipc_shared_new()))
		return pb_fail(ctx, "out of memory");
	l.ab = ipc_make(ctx, m, o);
	l.ba = !l.ab || channel_kind_duplex(ipc_models[m].kind) ? l.ab : ipc_make(ctx, m, o);
	if (!l.ab || !l.ba) {
		if (l.ab)
			channel_close(l.ab);
		ipc_end(ctx);
		ipc_shared_free(l.sh);
		return -1; /* make() said why */
	}
	pid = ipc_spawn(ctx, 1, ponger, &l);
	if (ipc_bind_self(ctx, 0) < 0 || link_open(&l, 0) < 0)
		rc = pb_fail(ctx, "binding or opening the pinger's side failed");
	else
		rc = ping(ctx, &l, ns, n);
	if (rc == 0 && cost)
		link_charged(ctx, &l);
	link_close(&l); /* the ponger reads end of stream and leaves */
	if (ipc_reap(ctx, &pid, 1, l.sh) != 0 && rc == 0)
		rc = -1;
	if (ipc_end(ctx) < 0 && rc == 0)
		rc = -1;
	ipc_shared_free(l.sh);
	return rc;
}

static int latency_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "round_trips");
	double *ns = malloc(n * sizeof(*ns));
	int rc;

	if (!ns)
		return pb_fail(ctx, "out of memory");
	rc = pingpong(ctx, (int)pb_case_get(c, "channel"), (size_t)c->param_value, ns, n, NULL);
	if (rc == 0)
		latency_metrics(ctx, ns, n);
	free(ns);
	return rc;
}

/* The model that charges CPython's cost per call: CPython measures it
 * first (outside the round trips), then the C channel spends it at each
 * call. Pipe(): send_bytes at each send, recv_bytes at each recv; Queue():
 * put, the feeder's work per message, get. */
static int latency_py_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "round_trips");
	int m = (int)pb_case_get(c, "channel");
	struct cpython_call_costs py;
	struct channel_call_ns cost;
	double *ns;
	int rc = cpython_call_costs(ctx, (size_t)c->param_value, &py);

	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
	cost = m == IPC_QUEUE ? (struct channel_call_ns){ .send = py.put_ns,
							  .feed = py.feed_ns,
							  .recv = py.get_ns } :
				(struct channel_call_ns){ .send = py.send_bytes_ns,
							  .recv = py.recv_bytes_ns };
	pb_metric(ctx, "call_send_ns", cost.send, "ns");
	pb_metric(ctx, "call_recv_ns", cost.recv, "ns");
	pb_metric(ctx, "call_feed_ns", cost.feed, "ns");
	if (!(ns = malloc(n * sizeof(*ns))))
		return pb_fail(ctx, "out of memory");
	rc = pingpong(ctx, m, (size_t)c->param_value, ns, n, &cost);
	if (rc == 0)
		latency_metrics(ctx, ns, n);
	free(ns);
	return rc;
}

/* perf's time includes forking its second process and reaping it (about
 * 2 ms here: 5 us per op over 400 loops). A run of one loop measures that
 * fixed cost, and (total(n) - total(1)) / (n - 1) is one round trip alone. */
static int perf_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	long n = (long)pb_case_get(c, "round_trips");
	double t1, tn, d1 = 0, dn = 0;
	int rc;

	if ((rc = perf_run(ctx, 1, false, &t1, &d1)) != 0 ||
	    (rc = perf_run(ctx, n, false, &tn, &dn)) != 0)
		return rc > 0 ? 0 : -1; /* skipped (no perf here), or failed */
	pb_metric(ctx, "latency_ns_mean", (tn - t1) / (double)(n - 1) * 1000.0, "ns");
	pb_metric(ctx, "perf_usecs_per_op", tn / (double)n, "us");
	pb_metric(ctx, "perf_fixed_us", t1, "us");
	pb_metric(ctx, "round_trips", (double)n, "count");
	pb_metric(ctx, "pin_delay_us", dn, "us");
	return 0;
}

/* The comparison with the peer, paired: rounds alternate our pipe
 * ping-pong and perf bench sched pipe, the same number of round trips of
 * the same size on the same PUs, so both meet the same machine (on a shared
 * VM a cross-core wake-up costs 50 to 200 us from one minute to the next).
 * Each round gives one ratio pipe / perf; the case reports their median. */
static int paired_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "round_trips"), rounds = (size_t)pb_case_get(c, "rounds");
	double *ns = malloc(n * sizeof(*ns)), ratio[16], ours[16], theirs[16];
	int rc = 0;

	if (!ns || rounds > 16)
		return pb_fail(ctx, "out of memory");
	for (size_t r = 0; r < rounds && rc == 0; r++) {
		double t1, tn, d1 = 0, dn = 0, sum = 0;

		rc = pingpong(ctx, (int)pb_case_get(c, "channel"), (size_t)c->param_value, ns, n,
			      NULL);
		if (rc == 0 && (rc = perf_run(ctx, 1, false, &t1, &d1)) == 0)
			rc = perf_run(ctx, (long)n, false, &tn, &dn);
		if (rc != 0)
			break;
		for (size_t i = 0; i < n; i++)
			sum += ns[i];
		ours[r] = sum / (double)n;
		theirs[r] = (tn - t1) / (double)(n - 1) * 1000.0;
		ratio[r] = ours[r] / theirs[r];
	}
	free(ns);
	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped (no perf here), or pingpong/perf_run said why */
	pb_metric(ctx, "pipe_latency_ns_mean", stats_median(ours, rounds), "ns");
	pb_metric(ctx, "perf_latency_ns_mean", stats_median(theirs, rounds), "ns");
	pb_metric(ctx, "latency_ratio_min", stats_percentile(ratio, rounds, 0), "x");
	pb_metric(ctx, "latency_ratio_max", stats_percentile(ratio, rounds, 100), "x");
	pb_metric(ctx, "latency_ratio", stats_median(ratio, rounds), "x");
	pb_metric(ctx, "rounds", (double)rounds, "count");
	return 0;
}

/* ---- the plan ---- */

/* Pipe() and Queue() on one PU with CPython's cost per call charged: the
 * fidelity table's twins of cpython-pipe (a Pipe(), duplex) and
 * cpython-queue. */
static void plan_py(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int models[] = { IPC_DUPLEX, IPC_QUEUE };
	static const char *const names[] = { "duplex-py", "queue-py" };

	for (int m = 0; m < 2; m++) {
		struct pb_case c = { .experiment = "ipc-latency",
				     .model = names[m],
				     .param = "msg_bytes",
				     .param_value = 64,
				     .workers = 2,
				     .pin_fixed = true,
				     .pin = PIN_SINGLE,
				     .run = latency_py_case,
				     .budget_s = 90 };

		/* as the channels' own (default 10,000 took 11 s of a 7:16
		 * default run on a 2-vCPU AMD EPYC VM, run 20261207T161308Z:
		 * 84 us a round trip for duplex-py, 130 us for queue-py, the
		 * interpreter's cost charged; full's 20,000 did not fit its
		 * hour on 64 PUs) */
		int64_t trips = latency_trips(cfg);

		pb_case_name_str(&c, "pin", pin_policy_name(PIN_SINGLE));
		pb_case_set(&c, "round_trips", trips);
		c.est_s = IPC_PY_CALIBRATE_EST_S + (double)trips * 150e-6;
		pb_case_set(&c, "channel", models[m]);
		pb_plan_add(plan, &c);
	}
}

static void latency_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_SCATTER };

	for (int p = 0; p < 2; p++) {
		struct pb_case c = { .experiment = "ipc-latency",
				     .param = "msg_bytes",
				     .param_value = 64,
				     .workers = 2,
				     .pin_fixed = true,
				     .pin = pins[p],
				     .budget_s = 60 };

		pb_case_name_str(&c, "pin", pin_policy_name(pins[p]));
		int64_t trips = latency_trips(cfg);

		pb_case_set(&c, "round_trips", trips);
		for (int m = 0; m < IPC_NMODELS; m++) {
			c.model = ipc_models[m].name;
			/* up to 60 us a round trip across PUs, a manager's 160 (a 2-vCPU
			 * AMD EPYC VM, run 20261207T161308Z) */
			c.est_s = 0.02 + (double)trips * (m == IPC_MANAGER ? 160e-6 : 60e-6);
			pb_case_set(&c, "channel", m);
			c.run = latency_case;
			pb_plan_add(plan, &c);
		}
		c.model = "perf-sched-pipe";
		c.param_value = 4; /* perf sends an int */
		c.run = perf_case;
		c.est_s = 0.05 + (double)trips * 45e-6; /* perf's start-up, its loops */
		pb_plan_add(plan, &c);
		/* 4-byte pings both ways, paired by round. perf reads each
		 * message with one read, so the pipe it is set against is
		 * pipe-batched (one read per ping; pipe's Connection reader
		 * makes two): the comparison checks the ping-pong, not the
		 * framing. */
		c.model = "pipe-vs-perf";
		c.run = paired_case;
		pb_case_set(&c, "channel", IPC_PIPE_BATCHED);
		pb_case_set(&c, "round_trips", PB_PICK(cfg, 500, 1000, 4000));
		/* default: 3 rounds, 15 ratios over 5 repetitions (5 rounds
		 * took 7 s of a 7:16 default run, run 20261207T161308Z) */
		pb_case_set(&c, "rounds", PB_PICK(cfg, 3, 3, 7));
		/* each round: ours, then perf's as many; 45 us a round trip
		 * across PUs (default run 20261130T200841Z), perf's start-up */
		c.est_s = PB_PICK(cfg, 3, 3, 7) *
			  (0.01 + 2.0 * PB_PICK(cfg, 500, 1000, 4000) * 45e-6);
		pb_plan_add(plan, &c);
	}
	plan_py(plan, cfg);
	latency_gil_plan(plan, cfg); /* latency_gil.c: the Queue under the GIL */
}

/* ---- the summary ---- */

/* The acceptance comparison: the paired case's ratio (one per round, their
 * median per repetition) and both sides' round trips; within ±15 %? */
static void paired_finding(struct pb_report *rep, const char *pin, const struct pb_case *pair)
{
	struct stats_summary r, ours, theirs;
	struct pb_finding *f;
	char id[48];

	if (!pair || !pb_report_stat(rep, pair->name, "latency_ratio", &r) ||
	    !pb_report_stat(rep, pair->name, "pipe_latency_ns_mean", &ours) ||
	    !pb_report_stat(rep, pair->name, "perf_latency_ns_mean", &theirs))
		return;
	snprintf(id, sizeof(id), "pipe_vs_perf_%s", pin + 4);
	f = pb_report_finding(rep, id,
			      "ipc-latency %s, paired rounds: the pipe-batched round trip against "
			      "perf bench sched pipe's (4 B)",
			      pin);
	pb_finding_figure(f, "pipe-batched", ours, "ns");
	pb_finding_figure(f, "perf", theirs, "ns");
	pb_finding_figure(f, "ratio", r, "x");
	pb_finding_verdict(f, fabs(r.median - 1) <= 0.15 ? "within ±15%" : "NOT within ±15%", NULL);
}

/* The separate cases, measured minutes apart, are reported beside it. */
static void separate_finding(struct pb_report *rep, const char *pin, const struct pb_case *pipe,
			     const struct pb_case *perf)
{
	struct stats_summary r, a, b;
	struct pb_finding *f;
	char id[48];

	if (!pb_report_ratio(rep, pipe, perf, "latency_ns_mean", &r) ||
	    !pb_report_stat(rep, pipe->name, "latency_ns_mean", &a) ||
	    !pb_report_stat(rep, perf->name, "latency_ns_mean", &b))
		return;
	pb_report_row(rep, pipe, "pipe-vs-perf-separate", "latency_ratio", r, "x");
	snprintf(id, sizeof(id), "pipe_vs_perf_separate_%s", pin + 4);
	f = pb_report_finding(rep, id,
			      "ipc-latency %s, separate cases: the pipe (64 B) round trip against "
			      "perf bench sched pipe's",
			      pin);
	pb_finding_figure(f, "pipe", a, "ns");
	pb_finding_figure(f, "perf", b, "ns");
	pb_finding_figure(f, "ratio", r, "x");
}

/* The tutorials' lesson: a Queue's round trip against a Pipe()'s (duplex,
 * a socketpair, as CPython's Pipe() is), 64 B, the C models alone. */
static void queue_finding(struct pb_report *rep, const char *pin)
{
	struct pb_case_key k = { .experiment = "ipc-latency",
				 .model = "queue",
				 .extra = pin,
				 .param = "msg_bytes",
				 .param_value = 64 };
	const struct pb_case *q = pb_report_find(rep, &k), *p;
	struct stats_summary a, b, r;
	struct pb_finding *f;
	char id[48];

	k.model = "duplex";
	p = pb_report_find(rep, &k);
	if (!pb_report_ratio(rep, q, p, "latency_ns_p50", &r) ||
	    !pb_report_stat(rep, q->name, "latency_ns_p50", &a) ||
	    !pb_report_stat(rep, p->name, "latency_ns_p50", &b))
		return;
	snprintf(id, sizeof(id), "queue_vs_pipe_%s", pin + 4);
	f = pb_report_finding(rep, id,
			      "ipc-latency %s, 64 B: a Queue's round trip (p50) against a Pipe()'s "
			      "(duplex, a socketpair)",
			      pin);
	pb_finding_figure(f, "Queue", a, "ns");
	pb_finding_figure(f, "Pipe()", b, "ns");
	pb_finding_figure(f, "Queue / Pipe()", r, "x");
}

static void latency_summarize(struct pb_report *rep)
{
	static const char *const pins[] = { "pin:single", "pin:scatter" };

	for (int p = 0; p < 2; p++) {
		struct pb_case_key k = { .experiment = "ipc-latency",
					 .extra = pins[p],
					 .param = "msg_bytes",
					 .param_value = 4 };
		const struct pb_case *pipe, *perf, *pair;

		k.model = "perf-sched-pipe";
		perf = pb_report_find(rep, &k);
		k.model = "pipe-vs-perf";
		pair = pb_report_find(rep, &k);
		k.model = "pipe";
		k.param_value = 64;
		pipe = pb_report_find(rep, &k);
		queue_finding(rep, pins[p]);
		paired_finding(rep, pins[p], pair);
		separate_finding(rep, pins[p], pipe, perf);
	}
}

/* ipc-latency's parameters (cases.csv's units and types) */
static const struct pb_param_decl ipc_latency_params[] = {
	{ "pin", PB_ENUM, "", "the placement the case fixes" },
	{ "msg_bytes", PB_REAL, "B", "the size of one message" },
	{ "busy_us", PB_REAL, "us", "how long the receiver computes between messages" },
	{ "round_trips", PB_INT, "count", "round trips timed" },
	{ "channel", PB_INT, "", "the channel, as enum ipc_channel" },
	{ "rounds", PB_INT, "count", "alternating rounds against perf's" },
	{ 0 }, /* the end */
};

const struct pb_experiment ipc_latency_experiment = {
	.name = "ipc-latency",
	.summary = "ping-pong round trips through every channel kind on one PU and across two, "
		   "against perf bench sched pipe",
	.teaches =
		"The round-trip latency of each channel, against perf bench sched pipe; where the two "
		"processes sit (same core or not) matters as much as the channel.",
	.headline = { "latency_ns_p50", "ns", PB_LOWER_IS_BETTER },
	.figures = "ipc-latency",
	.cpython_twin = "ipc.py",
	.plan = latency_plan,
	.summarize = latency_summarize,
	.params = ipc_latency_params,
};
