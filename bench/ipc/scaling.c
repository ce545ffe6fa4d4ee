/* SPDX-License-Identifier: MIT */
/*
 * ipc-scaling — 1, 2 and 4 producers times 1, 2 and 4 consumers of 64-byte
 * messages on one Queue or one shared-memory ring: what more processes on
 * the same channel buy, when a lock (or the ring's single slot) serialises
 * them.
 */
#include "ipc_common.h"

static int scaling_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return ipc_run_stream(ctx, (int)pb_case_get(c, "channel"),
			      (size_t)pb_case_get(c, "msg_bytes"),
			      (uint64_t)pb_case_get(c, "send_ms"), (int)c->param_value,
			      (int)pb_case_get(c, "consumers"));
}

static void scaling_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int pc[] = { 1, 2, 4 };
	static const int scaled[] = { IPC_QUEUE, IPC_SHM };

	for (int m = 0; m < 2; m++)
		for (int ci = 0; ci < 3; ci++)
			for (int pi = 0; pi < 3; pi++) {
				struct pb_case c = { .experiment = "ipc-scaling",
						     .model = ipc_models[scaled[m]].name,
						     .workload = "64B",
						     .param = "producers",
						     .param_value = pc[pi],
						     .workers = pc[pi] + pc[ci],
						     .run = scaling_case,
						     .budget_s = 30 };

				if (cfg->profile == PROFILE_QUICK && pi != ci)
					continue; /* quick: 1x1, 2x2, 4x4 */
				/* default: those and the lopsided 1x4, 4x1 (a
				 * 5-minute budget on 2 PUs) */
				if (cfg->profile == PROFILE_DEFAULT && pi != ci && pi + ci != 2)
					continue;
				pb_case_name(&c, "c", pc[ci]);
				pb_case_set(&c, "consumers", pc[ci]);
				pb_case_set(&c, "channel", scaled[m]);
				pb_case_set(&c, "msg_bytes", 64); /* the workload "64B" */
				pb_case_set(&c, "send_ms", PB_PICK(cfg, 15, 40, 500));
				c.est_s = 0.05 + PB_PICK(cfg, 15, 40, 500) / 1e3;
				pb_plan_add(plan, &c);
			}
}

/* ipc-scaling's parameters (cases.csv's units and types) */
static const struct pb_param_decl ipc_scaling_params[] = {
	{ "c", PB_INT, "count", "consumers (in the name)" },
	{ "producers", PB_INT, "count", "producers" },
	{ "consumers", PB_INT, "count", "consumers" },
	{ "channel", PB_INT, "", "the channel, as enum ipc_channel" },
	{ "msg_bytes", PB_INT, "B", "the size of one message" },
	{ "send_ms", PB_INT, "ms", "how long the producers send" },
	{ 0 }, /* the end */
};

const struct pb_experiment ipc_scaling_experiment = {
	.name = "ipc-scaling",
	.summary = "producers x consumers (1, 2, 4 each) of 64 B messages on a Queue and a "
		   "shared-memory ring",
	.teaches = "What happens to a channel when several producers share it.",
	.headline = { "msgs_per_s", "msg/s", PB_HIGHER_IS_BETTER },
	.figures = "ipc-scaling",
	.plan = scaling_plan,
	.params = ipc_scaling_params,
};
