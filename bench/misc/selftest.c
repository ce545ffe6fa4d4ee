/* SPDX-License-Identifier: MIT */
/*
 * selftest — cases that misbehave on purpose, so the tests can watch the
 * harness record them as failures and carry on: a crash, a hang past the
 * watchdog, an error, a worker left running. Planned only when
 * PARBENCH_SELFTEST=1, so a user never sees them. PARBENCH_SELFTEST=faults
 * plans the fault-injection suite's cases instead: a case process that
 * crashes while its worker lives on (and holds the pipe), and a worker that
 * leaves the case's process group (setsid) and runs on.
 * PARBENCH_SELFTEST=flaky plans one case, selftest/flaky, that fails only on
 * the repetitions PARBENCH_SELFTEST_FAIL lists (0-based, comma-separated, or
 * "all"), counted in the file PARBENCH_SELFTEST_COUNT (one byte appended per
 * repetition): a failure on the first, a middle or the last repetition.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum misbehaviour {
	SELF_OK,
	SELF_CRASH,
	SELF_HANG,
	SELF_ERROR,
	SELF_ORPHAN,
	SELF_CRASH_WORKER,
	SELF_ESCAPE,
	SELF_FLAKY
};

static int selftest_run(struct pb_ctx *ctx, const struct pb_case *c);

static void selftest_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const char *const names[] = { "ok",     "crash",	 "hang",
					     "error",  "orphan", "crash-with-worker",
					     "escape", "flaky" };
	const char *mode = getenv("PARBENCH_SELFTEST");
	bool faults = mode && strcmp(mode, "faults") == 0;
	bool flaky = mode && strcmp(mode, "flaky") == 0;
	int first = faults ? SELF_CRASH_WORKER : flaky ? SELF_FLAKY : SELF_OK;
	int last = faults ? SELF_ESCAPE : flaky ? SELF_FLAKY : SELF_ORPHAN;

	(void)cfg;
	if (!mode || (strcmp(mode, "1") != 0 && !faults && !flaky))
		return;
	for (int m = first; m <= last; m++) {
		struct pb_case c = { .experiment = "selftest",
				     .model = names[m],
				     .workers = 1,
				     .run = selftest_run,
				     /* long enough that a watchdog stop would show */
				     .budget_s = faults ? 30.0 : 1.0 };

		pb_case_set(&c, "misbehaviour", m);
		pb_plan_add(plan, &c);
	}
}

/* A worker out of the case's group (kill(-pgid) misses it), once it is out. */
static void escape_group(void)
{
	int fd[2];
	char c = 0;

	if (pipe(fd) < 0)
		return;
	if (fork() == 0) {
		setsid();
		if (write(fd[1], &c, 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	if (read(fd[0], &c, 1) < 0)
		c = 0;
	close(fd[0]);
}

/* selftest/flaky: this repetition's index (the count file's size before
 * its byte was appended), or -1 without a count file. */
static long flaky_rep(void)
{
	const char *path = getenv("PARBENCH_SELFTEST_COUNT");
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	off_t end;

	if (fd < 0)
		return -1;
	end = write(fd, "r", 1) == 1 ? lseek(fd, 0, SEEK_END) : 0;
	close(fd);
	return (long)end - 1;
}

/* Does PARBENCH_SELFTEST_FAIL list repetition rep? */
static bool flaky_fails(long rep)
{
	const char *list = getenv("PARBENCH_SELFTEST_FAIL");
	char *end;

	if (!list || rep < 0)
		return false;
	if (strcmp(list, "all") == 0)
		return true;
	for (const char *p = list; *p; p = *end ? end + 1 : end) {
		if (strtol(p, &end, 10) == rep && end != p)
			return true;
		if (end == p)
			return false;
	}
	return false;
}

static int selftest_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	long rep;

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
	case SELF_CRASH_WORKER:
		if (fork() == 0) /* holds the pipe to parbench open */
			for (;;)
				pause();
		raise(SIGSEGV);
		break;
	case SELF_ESCAPE:
		escape_group();
		break;
	case SELF_FLAKY:
		rep = flaky_rep();
		if (flaky_fails(rep))
			return pb_fail(ctx, "selftest: failing repetition %ld on purpose", rep);
		break;
	}
	pb_timer_stop(ctx);
	pb_metric(ctx, "answer", 42, "count");
	return 0;
}

/* selftest's parameters (cases.csv's units and types) */
static const struct pb_param_decl selftest_params[] = {
	{ "misbehaviour", PB_INT, "", "what the case does wrong, as enum misbehaviour" },
	{ 0 }, /* the end */
};

const struct pb_experiment selftest_experiment = {
	.name = "selftest",
	.summary = "misbehaving cases for the harness's own tests (PARBENCH_SELFTEST=1)",
	.teaches =
		"Nothing about concurrency: cases that misbehave on purpose (a crash, a hang past the "
		"watchdog, an error, a worker left running), planned only with PARBENCH_SELFTEST set, so "
		"that the harness's own tests can watch each one recorded as a failure with its reason "
		"while the run carries on.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	/* table only: the harness testing itself, not a lesson. */
	.figures = PB_TABLE_ONLY,
	.plan = selftest_plan,
	.params = selftest_params,
};
