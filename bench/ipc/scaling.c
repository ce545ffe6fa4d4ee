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

/* One finding: msgs_per_s of the queue and of the shm ring at p x c. */
static void scaling_finding(struct pb_report *rep, const char *id, int p, const char *what,
			    const struct pb_case *const one[2])
{
	static const char *const names[] = { "queue", "shm ring" };
	static const char *const vs_one[] = { "queue / one to one", "shm ring / one to one" };
	static const int scaled[] = { IPC_QUEUE, IPC_SHM };
	struct pb_finding *f = NULL;

	for (int m = 0; m < 2; m++) {
		struct pb_case_key k = { .experiment = "ipc-scaling",
					 .model = ipc_models[scaled[m]].name,
					 .param = "producers",
					 .param_value = p };
		const struct pb_case *c = NULL;
		struct stats_summary r;

		while ((c = pb_report_next(rep, &k, c)) && pb_case_get(c, "consumers") != p)
			;
		if (!c)
			continue;
		if (!f)
			f = pb_report_finding(rep, id,
					      "ipc-scaling, %s: 64 B messages a second "
					      "through one Queue and one shared-memory ring",
					      what);
		pb_finding_stat(f, rep, c, names[m], "msgs_per_s", "msg/s");
		if (one && one[m] && one[m] != c &&
		    pb_report_ratio(rep, c, one[m], "msgs_per_s", &r))
			pb_finding_figure(f, vs_one[m], r, "x");
	}
}

/* 1 x 1, and the most producers and consumers of the run (p = c), each
 * against 1 x 1: what sharing the channel buys. */
static void scaling_summarize(struct pb_report *rep)
{
	static const int scaled[] = { IPC_QUEUE, IPC_SHM };
	const struct pb_case *one[2] = { NULL, NULL };
	int most = 1;

	for (int m = 0; m < 2; m++) {
		struct pb_case_key k = { .experiment = "ipc-scaling",
					 .model = ipc_models[scaled[m]].name };

		for (const struct pb_case *c = NULL; (c = pb_report_next(rep, &k, c));) {
			int p = (int)c->param_value;

			if (pb_case_get(c, "consumers") != p)
				continue;
			if (p == 1)
				one[m] = c;
			most = p > most ? p : most;
		}
	}
	scaling_finding(rep, "one_to_one", 1, "1 producer, 1 consumer", NULL);
	if (most > 1) {
		char what[64];

		snprintf(what, sizeof(what), "%d producers, %d consumers", most, most);
		scaling_finding(rep, "most", most, what, one);
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
	.summarize = scaling_summarize,
	.params = ipc_scaling_params,
};
