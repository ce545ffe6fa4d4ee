/* SPDX-License-Identifier: MIT */
/*
 * ipc-throughput — one producer streams messages of 8 B to 1 MiB to one
 * consumer through each channel kind, and memcpy of the same block is the
 * ceiling: how much of the copy's bandwidth a shared-memory ring keeps, and
 * how far ahead of a pipe it is.
 */
#include <stdlib.h>
#include <string.h>

#include "ceiling.h"
#include "clock.h"
#include "ipc_common.h"
#include "ring_pair.h"

static const double sizes_all[] = { 8, 64, 512, 4096, 32768, 65536, 262144, 1048576 };
/* quick and default: three sizes over the range, small, a ring slot and
 * large (default had five, with 512 B and 4 KiB: a 5-minute budget on a
 * 2-vCPU AMD EPYC VM, where 48 cases took 24 s, run 20261207T161308Z) */
static const double sizes_few[] = { 64, 65536, 1048576 };
/* quick: small and a ring slot (1 MiB stays in shm-vs-ceiling's pair) */
static const double sizes_quick[] = { 64, 65536 };
static const int stream_models[] = { IPC_PIPE, IPC_UNIX,     IPC_QUEUE,	       IPC_MQUEUE,
				     IPC_SHM,  IPC_SHM_MPMC, IPC_PIPE_BATCHED, IPC_MANAGER };

/* ---- the plan ---- */

static int throughput_case(struct pb_ctx *ctx, const struct pb_case *c);
static int memcpy_case(struct pb_ctx *ctx, const struct pb_case *c);
static int ceiling_case(struct pb_ctx *ctx, const struct pb_case *c);

/* The cross-core copy ceiling: 64 KiB slots handed from one core to
 * another (ceiling.c), the limit of the shm ring at every size. */
static void ceiling_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case k = { .experiment = "ipc-throughput",
			     .model = "copy-ceiling",
			     .param = "msg_bytes",
			     .param_value = 65536,
			     .workers = 2,
			     .pin_fixed = true,
			     .pin = PIN_SCATTER,
			     .run = ceiling_case,
			     .budget_s = 30,
			     .est_s = 0.02 + PB_PICK(cfg, 15, 40, 250) / 1e3 };

	pb_case_name(&k, "slots", 16); /* 1 MiB in flight, as the shm ring */
	pb_case_set(&k, "run_ms", PB_PICK(cfg, 15, 40, 250));
	pb_plan_add(plan, &k);
}

static void throughput_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	bool few = cfg->profile != PROFILE_FULL;
	bool quick = cfg->profile == PROFILE_QUICK;
	const double *sizes = quick ? sizes_quick : few ? sizes_few : sizes_all;
	size_t nsizes = quick ? 2 : few ? 3 : 8;
	struct pb_case c = { .experiment = "ipc-throughput",
			     .param = "msg_bytes",
			     .workers = 2,
			     .run = throughput_case,
			     .budget_s = 30 };
	struct pb_case m = { .experiment = "ipc-throughput",
			     .model = "memcpy",
			     .param = "msg_bytes",
			     .workers = 1,
			     .run = memcpy_case };

	/* default: 25 ms of sends, a rate settled (40 ms: 240 repetitions
	 * took 24 s of a 7:16 default run on a 2-vCPU AMD EPYC VM, run
	 * 20261207T161308Z); full 120 ms (250 did not fit its hour on 64
	 * PUs) */
	c.est_s = 0.015 + PB_PICK(cfg, 15, 25, 120) / 1e3; /* two workers, then send_ms */
	m.est_s = 0.01 + PB_PICK(cfg, 10, 30, 200) / 1e3;
	pb_case_set(&c, "send_ms", PB_PICK(cfg, 15, 25, 120));
	for (size_t k = 0; k < sizeof(stream_models) / sizeof(stream_models[0]); k++) {
		c.model = ipc_models[stream_models[k]].name;
		pb_case_set(&c, "channel", stream_models[k]);
		for (size_t i = 0; i < nsizes; i++) {
			c.param_value = sizes[i];
			pb_plan_add(plan, &c);
		}
	}
	pb_case_set(&m, "copy_ms", PB_PICK(cfg, 10, 30, 200));
	for (size_t i = 0; i < nsizes; i++) {
		m.param_value = sizes[i];
		pb_plan_add(plan, &m);
	}
	ceiling_plan(plan, cfg);
	ring_pair_plan(plan, cfg);
}

/* ---- the run ---- */

static int throughput_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return ipc_run_stream(ctx, (int)pb_case_get(c, "channel"), (size_t)c->param_value,
			      (uint64_t)pb_case_get(c, "send_ms"), 1, 1);
}

/* memcpy: the ceiling. One message-sized block copied from a hot source to
 * a hot destination, again and again for the same time the channels get
 * (in batches, so that reading the clock stays out of the figure). */
static int memcpy_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t len = (size_t)c->param_value, batch = len >= 65536 ? 1 : 65536 / len;
	unsigned char *src = aligned_alloc(64, len + 64), *dst = aligned_alloc(64, len + 64);
	uint64_t t0, end, copies = 0, now;
	double s;

	if (!src || !dst)
		return pb_fail(ctx, "aligned_alloc: out of memory");
	ipc_bind_self(ctx, 0);
	memset(src, 0x5a, len);
	memset(dst, 0, len);
	pb_timer_start(ctx);
	t0 = clock_now_ns();
	end = t0 + (uint64_t)pb_case_get(c, "copy_ms") * 1000000ull;
	do {
		for (size_t b = 0; b < batch; b++) {
			memcpy(dst, src, len);
			__asm__ volatile(""
					 :
					 : "r"(dst), "r"(src)
					 : "memory"); /* keep every copy */
		}
		copies += batch;
	} while ((now = clock_now_ns()) < end);
	pb_timer_stop(ctx);
	s = (double)(now - t0) / 1e9;
	pb_metric(ctx, "msgs_per_s", (double)copies / s, "msg/s");
	pb_metric(ctx, "bytes_per_s", (double)(copies * len) / s, "B/s");
	free(src);
	free(dst);
	return 0;
}

static int ceiling_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	double bps, wall;
	uint64_t slots;
	struct usage u0 = usage_now(), u;

	pb_timer_start(ctx);
	if (ipc_copy_ceiling(ctx, (size_t)c->param_value, (int)pb_case_get(c, "slots"),
			     (uint64_t)pb_case_get(c, "run_ms"), &bps, &slots) < 0)
		return -1;
	wall = pb_timer_stop(ctx);
	u = usage_diff(u0, usage_now());
	/* how much of its two PUs the pair had: below 1, other processes ran */
	pb_metric(ctx, "cpu_share", (u.user_s + u.sys_s) / (2 * wall), "x");
	pb_metric(ctx, "bytes_per_s", bps, "B/s");
	pb_metric(ctx, "msgs_per_s", bps / c->param_value, "msg/s");
	pb_metric(ctx, "messages", (double)slots, "count");
	return 0;
}

/* ---- the summary ---- */

/* shm against pipe and against memcpy at every size; the note at 64 KiB. */
/* The shm ring's goals at 64 KiB: ≥ 3× the pipe's bytes/s, ≥ 30 % of
 * memcpy's. */
static void goal_finding(struct pb_report *rep, const struct stats_summary *vp,
			 const struct stats_summary *vm)
{
	struct stats_summary pct = *vm;
	struct pb_finding *f;
	bool met = vp->median >= 3 && vm->median >= 0.3;

	pct.min *= 100;
	pct.median *= 100;
	pct.max *= 100;
	f = pb_report_finding(rep, "shm_goals_64k",
			      "ipc-throughput 64 KiB: the shm ring's bytes/s against the pipe's "
			      "(goal ≥ 3×) and memcpy's (goal ≥ 30 %%)");
	pb_finding_figure(f, "shm / pipe", *vp, "x");
	pb_finding_figure(f, "shm / memcpy", pct, "%");
	pb_finding_verdict(f, met ? "met" : "NOT met", NULL);
}

static void gb_value(struct pb_finding *f, const char *name, double bytes_per_s)
{
	pb_finding_value(f, name, bytes_per_s / 1e9, "GB/s");
}

/* The shm ring against the cross-core copy ceiling of the same run. */
static void note_ceiling(struct pb_report *rep)
{
	struct pb_case_key k = { .experiment = "ipc-throughput", .model = "copy-ceiling" };
	const struct pb_case *ceil = pb_report_find(rep, &k);
	static const double at[] = { 65536, 1048576 };

	for (int i = 0; i < 2 && ceil; i++) {
		struct stats_summary v;
		const struct pb_case *shm;
		struct pb_finding *f;

		k = (struct pb_case_key){ .experiment = "ipc-throughput",
					  .model = "shm",
					  .extra = "",
					  .param = "msg_bytes",
					  .param_value = at[i] };
		shm = pb_report_find(rep, &k);
		if (!pb_report_ratio(rep, shm, ceil, "bytes_per_s", &v))
			continue;
		pb_report_row(rep, shm, "shm-vs-ceiling", "bytes_per_s_ratio", v, "x");
		f = pb_report_finding(rep,
				      at[i] == 65536 ? "shm_vs_ceiling_separate_64k" :
						       "shm_vs_ceiling_separate_1m",
				      "ipc-throughput %s, separate cases: the shm ring against the "
				      "cross-core copy ceiling (a ring of %d × 64 KiB slots, two "
				      "copies); the paired finding, its ceiling at the message's "
				      "size, is the one to trust",
				      at[i] == 65536 ? "64 KiB" : "1 MiB",
				      (int)pb_case_get(ceil, "slots"));
		gb_value(f, "shm ring", pb_report_median(rep, shm, "bytes_per_s"));
		gb_value(f, "ceiling", pb_report_median(rep, ceil, "bytes_per_s"));
		v.min *= 100;
		v.median *= 100;
		v.max *= 100;
		pb_finding_figure(f, "ring / ceiling", v, "%");
		pb_finding_value(f, "ceiling's CPU share",
				 100 * pb_report_median(rep, ceil, "cpu_share"), "%");
	}
}

static void throughput_summarize(struct pb_report *rep)
{
	note_ceiling(rep);
	ring_pair_summarize(rep);
	for (size_t i = 0; i < sizeof(sizes_all) / sizeof(sizes_all[0]); i++) {
		struct pb_case_key k = { .experiment = "ipc-throughput",
					 .extra = "",
					 .param = "msg_bytes",
					 .param_value = sizes_all[i] };
		const struct pb_case *shm, *pipe, *mc;
		struct stats_summary vp, vm;
		bool has_p, has_m;

		k.model = "shm";
		shm = pb_report_find(rep, &k);
		k.model = "pipe";
		pipe = pb_report_find(rep, &k);
		k.model = "memcpy";
		mc = pb_report_find(rep, &k);
		has_p = pb_report_ratio(rep, shm, pipe, "bytes_per_s", &vp);
		has_m = pb_report_ratio(rep, shm, mc, "bytes_per_s", &vm);
		if (has_p)
			pb_report_row(rep, shm, "shm-vs-pipe", "bytes_per_s_ratio", vp, "x");
		if (has_m)
			pb_report_row(rep, shm, "shm-vs-memcpy", "bytes_per_s_ratio", vm, "x");
		if (sizes_all[i] == 65536 && has_p && has_m)
			goal_finding(rep, &vp, &vm);
	}
}

/* ipc-throughput's parameters (cases.csv's units and types) */
static const struct pb_param_decl ipc_throughput_params[] = {
	{ "msg_bytes", PB_REAL, "B", "the size of one message" },
	{ "send_ms", PB_INT, "ms", "how long the sender sends" },
	{ "channel", PB_INT, "", "the channel, as enum ipc_channel" },
	{ "copy_ms", PB_INT, "ms", "how long the copy ceiling copies" },
	{ "slots", PB_INT, "count", "slots of the shm ring" },
	{ "run_ms", PB_INT, "ms", "how long the ring runs" },
	{ "rounds", PB_INT, "count", "alternating rounds of the paired cases" },
	{ "round_ms", PB_INT, "ms", "the length of one round" },
	{ 0 }, /* the end */
};

const struct pb_experiment ipc_throughput_experiment = {
	.name = "ipc-throughput",
	.summary = "one producer, one consumer, 8 B to 1 MiB messages through every channel "
		   "kind, against memcpy",
	.teaches =
		"How many bytes per second a channel moves between two processes: pipe, Python-style "
		"queue, unix socket, POSIX message queue, shared-memory ring, against memcpy.",
	.headline = { "bytes_per_s", "B/s", PB_HIGHER_IS_BETTER },
	.figures = "ipc-throughput",
	.plan = throughput_plan,
	.summarize = throughput_summarize,
	.params = ipc_throughput_params,
};
