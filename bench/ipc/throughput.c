/* SPDX-License-Identifier: MIT */
/*
 * ipc-throughput — one producer streams messages of 8 B to 1 MiB to one
 * consumer through each channel kind, and memcpy of the same block is the
 * ceiling: how much of the copy's bandwidth a shared-memory ring keeps, and
 * how far ahead of a pipe it is.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ipc_common.h"

static const double sizes_all[] = { 8, 64, 512, 4096, 32768, 65536, 262144, 1048576 };
static const double sizes_quick[] = { 64, 65536, 1048576 };
static const int stream_models[] = { IPC_PIPE, IPC_UNIX,     IPC_QUEUE,	 IPC_MQUEUE,
				     IPC_SHM,  IPC_SHM_MPMC, IPC_MANAGER };

/* ---- the plan ---- */

static int throughput_case(struct pb_ctx *ctx, const struct pb_case *c);
static int memcpy_case(struct pb_ctx *ctx, const struct pb_case *c);

static void throughput_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	bool quick = cfg->profile == PROFILE_QUICK;
	const double *sizes = quick ? sizes_quick : sizes_all;
	size_t nsizes = quick ? 3 : 8;
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

	pb_case_set(&c, "send_ms", PB_PICK(cfg, 15, 150, 500));
	for (size_t k = 0; k < sizeof(stream_models) / sizeof(stream_models[0]); k++) {
		c.model = ipc_models[stream_models[k]].name;
		pb_case_set(&c, "channel", stream_models[k]);
		for (size_t i = 0; i < nsizes; i++) {
			c.param_value = sizes[i];
			pb_plan_add(plan, &c);
		}
	}
	pb_case_set(&m, "copy_ms", PB_PICK(cfg, 10, 50, 200));
	for (size_t i = 0; i < nsizes; i++) {
		m.param_value = sizes[i];
		pb_plan_add(plan, &m);
	}
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

/* ---- the summary ---- */

/* shm against pipe and against memcpy at every size; the note at 64 KiB. */
static void throughput_summarize(struct pb_report *rep)
{
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
			pb_report_note(rep,
				       "ipc-throughput 64 KiB: shm ring %.2f× the pipe's bytes/s "
				       "(%.2f–%.2f; goal ≥ 3) and %.0f%% of memcpy (%.0f–%.0f%%; "
				       "goal ≥ 30%%)",
				       vp.median, vp.min, vp.max, 100 * vm.median, 100 * vm.min,
				       100 * vm.max);
	}
}

const struct pb_experiment ipc_throughput_experiment = {
	.name = "ipc-throughput",
	.summary = "one producer, one consumer, 8 B to 1 MiB messages through every channel "
		   "kind, against memcpy",
	.plan = throughput_plan,
	.summarize = throughput_summarize,
};
