/* SPDX-License-Identifier: MIT */
/*
 * ipc_twins — the CPython twins of ipc-latency (bench/cpython/ipc.py): Pipe,
 * Queue, SimpleQueue and a manager's Queue, and the queue under a busy
 * receiver, with the C twins' sweeps, planned beside them.
 */
#include "cpython.h"
#include "ipc_common.h"
#include "twins.h"

static const struct cpython_prog ipc_prog = { "ipc.py", NULL };

/* ipc-latency's queue-py-gil-busy twin: put, busy_us of Python work, get
 * (bench/ipc/latency_gil.c has the same sweep). */
static void plan_queue_busy(struct pb_plan *plan, const struct pb_config *cfg)
{
	const double *busy;
	int nbusy = queue_busy_sweep(cfg, &busy);

	for (int b = 0; b < nbusy; b++) {
		struct pb_case c =
			cpython_case("ipc-latency", "cpython-queue-busy", "-", &ipc_prog, 60);

		pb_case_name_str(&c, "pin", pin_policy_name(PIN_SCATTER));
		pb_case_set(&c, "n", queue_busy_trips(cfg));
		pb_case_set(&c, "msg_bytes", 64);
		c.workers = 2;
		c.pin_fixed = true;
		c.pin = PIN_SCATTER;
		c.param = "busy_us";
		c.param_value = busy[b];
		c.est_s = queue_busy_estimate(cfg, busy[b]);
		pb_plan_add(plan, &c);
	}
}

/* ipc-latency: round trips of 64 B, both ends on one PU and on two. */
static void plan_latency(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const models[] = { "cpython-pipe", "cpython-pipe-obj", "cpython-queue",
					      "cpython-simplequeue", "cpython-manager-queue" };
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_SCATTER };

	for (int p = 0; p < 2; p++)
		for (int m = 0; m < 5; m++) {
			struct pb_case c =
				cpython_case("ipc-latency", models[m], "-", &ipc_prog, 60);

			/* quick: Pipe() and Queue(), the lesson's pair, and
			 * pipe-obj, which measures CPython's own costs (the
			 * other two took 3 s of quick's minute on a 2-vCPU
			 * AMD EPYC VM, run 20261207T161142Z) */
			if (cfg->profile == PROFILE_QUICK && m > 2)
				continue;
			/* quick: one PU only, where the fidelity row sets Queue
			 * against Pipe (the three across PUs took 4 s of a
			 * 1:38 quick run on a loaded 2-vCPU AMD EPYC VM, run
			 * 20261207T184506Z) */
			if (cfg->profile == PROFILE_QUICK && p > 0)
				continue;
			/* default: the manager's queue on one PU only, where its
			 * fidelity row compares it (across PUs, 4.9 s with the
			 * one-PU case of a 5:17 default make bench on a 2-vCPU
			 * AMD EPYC VM, run 20261207T193300Z); full has both */
			if (cfg->profile == PROFILE_DEFAULT && p > 0 && m == 4)
				continue;
			pb_case_name_str(&c, "pin", pin_policy_name(pins[p]));
			int64_t trips = latency_trips(cfg); /* as the C twins' */

			pb_case_set(&c, "n", trips);
			/* about 25 to 60 us a round trip (default run
			 * 20261130T204845Z), the manager's 230 and its server's
			 * start 0.1 s (run 20261207T161308Z) */
			c.est_s = CPYTHON_START_EST_S +
				  (m == 4 ? 0.1 + (double)trips * 230e-6 : (double)trips * 60e-6);
			c.workers = 2;
			c.pin_fixed = true;
			c.pin = pins[p];
			c.param = "msg_bytes";
			c.param_value = 64;
			pb_plan_add(plan, &c);
		}
	plan_queue_busy(plan, cfg);
}

void ipc_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_latency(plan, cfg);
}
