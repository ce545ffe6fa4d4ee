/* SPDX-License-Identifier: MIT */
/*
 * selftest — cases that misbehave on purpose, so the tests can watch the
 * harness record them as failures and carry on: a crash, a hang past the
 * watchdog, an error, a worker left running. Planned only when
 * PARBENCH_SELFTEST=1, so a user never sees them.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum misbehaviour { SELF_OK, SELF_CRASH, SELF_HANG, SELF_ERROR, SELF_ORPHAN };

static int selftest_run(struct pb_ctx *ctx, const struct pb_case *c);

static void selftest_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const names[] = { "ok", "crash", "hang", "error", "orphan" };

	(void)cfg;
	if (!getenv("PARBENCH_SELFTEST") || strcmp(getenv("PARBENCH_SELFTEST"), "1") != 0)
		return;
	for (int m = SELF_OK; m <= SELF_ORPHAN; m++) {
		struct pb_case c = { .experiment = "selftest",
				     .model = names[m],
				     .workers = 1,
				     .run = selftest_run,
				     .budget_s = 1.0 };

		pb_case_set(&c, "misbehaviour", m);
		pb_plan_add(plan, &c);
	}
}

static int selftest_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	pb_timer_start(ctx);
	switch (pb_case_get(c, "misbehaviour")) {
	case SELF_CRASH:
		raise(SIGSEGV);
		break;
	case SELF_HANG:
		for (;;)
			pause();
	case SELF_ERROR:
		return pb_fail(ctx, "selftest: failing on purpose");
	case SELF_ORPHAN:
		if (fork() == 0) /* a worker that outlives its case */
			for (;;)
				pause();
		break;
	}
	pb_timer_stop(ctx);
	pb_metric(ctx, "answer", 42, "count");
	return 0;
}

const struct pb_experiment selftest_experiment = {
	.name = "selftest",
	.summary = "misbehaving cases for the harness's own tests (PARBENCH_SELFTEST=1)",
	.plan = selftest_plan,
};
