/* SPDX-License-Identifier: MIT */
/* The harness's case process: a case that crashes, hangs, fails or leaves a
 * worker behind is recorded with its reason, and nothing survives it: no
 * process, no zombie, no named IPC object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_impl.h"
#include "leakcheck.h"

static struct pb_config cfg;

static int setup(void **state)
{
	char err[256];

	(void)state;
	cfg = (struct pb_config){
		.profile = PROFILE_QUICK, .pin = PIN_NONE, .reps = 1, .machine = "test"
	};
	cfg.topo = topo_load(NULL, err, sizeof(err));
	cfg.pus = topo_pus(cfg.topo);
	pb_run_pid = getpid();
	ipc_set_owner(pb_run_pid);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cfg.topo ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	topo_free(cfg.topo);
	return 0;
}

static void assert_nothing_left(void)
{
	usleep(20000); /* orphans need a moment to be reparented to us */
	assert_no_children();
	assert_int_equal(ipc_count(0), 0);
}

static int case_ok(struct pb_ctx *ctx, const struct pb_case *c)
{
	pb_timer_start(ctx);
	pb_metric(ctx, "answer", (double)pb_case_get(c, "answer"), "count");
	pb_metric(ctx, "tab\tin name", 1, "count");
	pb_timer_stop(ctx);
	return 0;
}

static int case_crash(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)ctx, (void)c;
	raise(SIGSEGV);
	return 0;
}

static int case_hang(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)ctx, (void)c;
	if (fork() == 0) /* a worker that hangs too */
		for (;;)
			pause();
	for (;;)
		pause();
	return 0;
}

static int case_fail(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)c;
	return pb_fail(ctx, "no luck with %d", 7);
}

static int case_silent_error(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)ctx, (void)c;
	return 5;
}

static int case_orphan(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)ctx, (void)c;
	if (fork() == 0)
		for (;;)
			pause();
	return 0;
}

static int case_leaks_shm(struct pb_ctx *ctx, const struct pb_case *c)
{
	char name[128];
	int fd;

	(void)c;
	ipc_name(name, sizeof(name), "leak");
	fd = shm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		return pb_fail(ctx, "shm_open: %s", strerror(errno));
	close(fd);
	return 0;
}

static struct rep_result run_case(pb_run_fn fn, double budget)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "t", .model = "m", .workers = 2, .run = fn };
	struct rep_result out;

	pb_case_set(&c, "answer", 42);
	pb_plan_add(&plan, &c);
	caseproc_run(&cfg, &plan.cases[0], budget, &out);
	plan_free(&plan);
	return out;
}

static double metric(const struct rep_result *r, const char *name)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].name, name) == 0)
			return r->metrics[i].value;
	return NAN;
}

static void ok_case_reports_metrics(void **state)
{
	struct rep_result r = run_case(case_ok, 10);

	(void)state;
	assert_false(r.failed);
	assert_float_equal(metric(&r, "answer"), 42, 0);
	assert_float_equal(metric(&r, "tab in name"), 1, 0);
	assert_true(metric(&r, "wall_s") >= 0);
	assert_false(isnan(metric(&r, "cpu_user_s")));
	assert_false(isnan(metric(&r, "ctxsw_voluntary")));
	assert_float_equal(r.time_s, metric(&r, "wall_s"), 0);
	rep_result_free(&r);
	assert_nothing_left();
}

static void crash_is_recorded(void **state)
{
	struct rep_result r = run_case(case_crash, 10);

	(void)state;
	assert_true(r.failed);
	assert_non_null(strstr(r.reason, "killed by signal 11"));
	rep_result_free(&r);
	assert_nothing_left();
}

static void watchdog_ends_a_hang(void **state)
{
	struct rep_result r = run_case(case_hang, 0.3);

	(void)state;
	assert_true(r.failed);
	assert_non_null(strstr(r.reason, "watchdog"));
	rep_result_free(&r);
	assert_nothing_left();
}

/* A case whose lesson is its hang: the watchdog stops it, the repetition is
 * its expected outcome (not failed), and what it reported first is kept. */
static int case_reports_then_hangs(struct pb_ctx *ctx, const struct pb_case *c)
{
	(void)c;
	pb_metric(ctx, "before_hang", 7, "count");
	for (;;)
		pause();
	return 0;
}

static void expected_hang_is_an_outcome(void **state)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "t",
			     .model = "m",
			     .workers = 1,
			     .run = case_reports_then_hangs,
			     .hang_expected = "hung as planned" };
	struct rep_result r;

	(void)state;
	pb_plan_add(&plan, &c);
	caseproc_run(&cfg, &plan.cases[0], 0.3, &r);
	plan_free(&plan);
	assert_false(r.failed);
	assert_true(r.hung);
	assert_string_equal(r.reason, "hung as planned");
	assert_float_equal(metric(&r, "before_hang"), 7, 0);
	assert_float_equal(metric(&r, "hung_s"), 0.3, 0);
	rep_result_free(&r);
	/* the same hang without the expectation is a failure */
	r = run_case(case_reports_then_hangs, 0.3);
	assert_true(r.failed);
	assert_false(r.hung);
	assert_non_null(strstr(r.reason, "watchdog: stopped after its budget of 0.3 s"));
	rep_result_free(&r);
	assert_nothing_left();
}

static void failure_reason_travels(void **state)
{
	struct rep_result r = run_case(case_fail, 10);

	(void)state;
	assert_true(r.failed);
	assert_string_equal(r.reason, "no luck with 7");
	rep_result_free(&r);
	r = run_case(case_silent_error, 10);
	assert_true(r.failed);
	assert_non_null(strstr(r.reason, "returned 5"));
	rep_result_free(&r);
	assert_nothing_left();
}

static void leftover_worker_is_killed_and_reported(void **state)
{
	struct rep_result r = run_case(case_orphan, 10);

	(void)state;
	assert_true(r.failed);
	assert_non_null(strstr(r.reason, "left 1 process"));
	rep_result_free(&r);
	assert_nothing_left();
}

static void leaked_named_ipc_is_removed(void **state)
{
	struct rep_result r = run_case(case_leaks_shm, 10);

	(void)state;
	assert_false(r.failed);
	assert_float_equal(metric(&r, "ipc_objects_left"), 1, 0);
	rep_result_free(&r);
	assert_nothing_left();
}

static void interrupt_stops_the_case(void **state)
{
	struct rep_result r;

	(void)state;
	pb_interrupted = 1;
	r = run_case(case_hang, 10);
	pb_interrupted = 0;
	assert_true(r.failed);
	assert_string_equal(r.reason, "interrupted");
	rep_result_free(&r);
	assert_nothing_left();
}

static void case_names_hold_every_argument(void **state)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "tasks",
			     .model = "fork",
			     .workload = "io",
			     .workers = 3,
			     .param = "task_ms",
			     .param_value = 0.5 };

	(void)state;
	pb_case_name(&c, "n", 5);
	pb_plan_add(&plan, &c);
	c.param = NULL;
	pb_case_unname(&c);
	c.workload = NULL;
	pb_plan_add(&plan, &c);
	assert_string_equal(plan.cases[0].name, "tasks/fork/io/n:5/w:3/task_ms:0.5");
	assert_string_equal(plan.cases[1].name, "tasks/fork/-/w:3");
	plan_free(&plan);
}

/* Named parameters: the ones put in the name come out as "name:value" in
 * the order given (a string as given, a tag as its value alone), a new
 * value keeps its place in the name, and every one reads back by name. */
static void named_parameters(void **state)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "e",
			     .model = "m",
			     .workload = "io",
			     .workers = 3,
			     .param = "task_ms",
			     .param_value = 200 };
	int64_t v = 0;

	(void)state;
	c.pin_fixed = true;
	c.pin = PIN_SCATTER;
	pb_case_name(&c, "n", 5);
	pb_case_name_str(&c, "pin", "scatter");
	pb_case_set(&c, "hidden", -7);
	pb_case_tag(&c, "cross", "cross-pu");
	pb_case_set(&c, "n", 6); /* replaces, does not add */
	pb_plan_add(&plan, &c);
	assert_string_equal(plan.cases[0].name, "e/m/io/n:6/pin:scatter/cross-pu/w:3/task_ms:200");
	assert_string_equal(pb_case_str(&plan.cases[0], "pin"), "scatter");
	assert_int_equal(pb_case_get(&plan.cases[0], "n"), 6);
	assert_int_equal(pb_case_get(&plan.cases[0], "hidden"), -7);
	assert_true(pb_case_has(&plan.cases[0], "hidden", &v));
	assert_int_equal(v, -7);
	assert_false(pb_case_has(&plan.cases[0], "absent", NULL));
	plan_free(&plan);
}

/* The report API: find by key (NULL and 0 match anything), loop a sweep,
 * medians over successful repetitions only, and the ratio of two cases. */
static void report_find_and_ratio(void **state)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "e", .model = "serial", .workload = "io", .workers = 1 };
	struct rep_result reps[2][3] = { { { 0 } } }, *rows[2] = { reps[0], reps[1] };
	int nreps[2] = { 3, 3 };
	struct pb_report rep = { .cfg = &cfg, .plan = &plan, .reps = rows, .nreps = nreps };
	struct pb_case_key any_io = { .experiment = "e", .workload = "io" };
	struct stats_summary s;

	(void)state;
	pb_plan_add(&plan, &c);
	c.model = "fork";
	c.workers = 4;
	pb_plan_add(&plan, &c);
	for (int k = 0; k < 3; k++) {
		rep_result_add(&reps[0][k], "wall_s", 1.0 + k, "s"); /* 1 2 3 */
		rep_result_add(&reps[1][k], "wall_s", 0.5, "s");
	}
	reps[1][2].failed = true; /* not counted */
	assert_ptr_equal(pb_report_find(&rep, &any_io), &plan.cases[0]);
	assert_ptr_equal(pb_report_next(&rep, &any_io, &plan.cases[0]), &plan.cases[1]);
	assert_null(pb_report_next(&rep, &any_io, &plan.cases[1]));
	assert_ptr_equal(pb_report_find(&rep, &(struct pb_case_key){ .workers = 4 }),
			 &plan.cases[1]);
	assert_null(pb_report_find(&rep, &(struct pb_case_key){ .model = "pool" }));
	assert_true(pb_report_median(&rep, &plan.cases[0], "wall_s") == 2.0);
	assert_true(isnan(pb_report_median(&rep, NULL, "wall_s")));
	assert_true(pb_report_ratio(&rep, &plan.cases[0], &plan.cases[1], "wall_s", &s));
	assert_true(s.median == 4.0 && s.min == 2.0 && s.max == 6.0);
	assert_int_equal(s.n, 2);
	assert_false(pb_report_ratio(&rep, &plan.cases[0], &plan.cases[1], "nothing", &s));
	for (int k = 0; k < 3; k++) {
		rep_result_free(&reps[0][k]);
		rep_result_free(&reps[1][k]);
	}
	plan_free(&plan);
}

/* A parameter the experiment's table lacks aborts at plan time (while its
 * plan function runs, plan_declare), naming it; a declared one does not. */
static const struct pb_param_decl declared[] = {
	{ "n", PB_INT, "count", "tasks" },
	{ "task_ms", PB_REAL, "ms", "one task" },
	{ "pin", PB_ENUM, "", "the fixed placement" },
	{ 0 }, /* the end */
};

enum misuse {
	USE_DECLARED,
	SET_UNDECLARED,
	NAME_UNDECLARED,
	STR_UNDECLARED,
	SWEEP_UNDECLARED,
	SET_A_FIELD,
	PIN_NOT_FIXED
};

static void plan_one(enum misuse m)
{
	struct pb_plan plan = { 0 };
	struct pb_case c = { .experiment = "e", .model = "m", .workers = 1, .param = "task_ms" };

	plan_declare(declared);
	pb_case_name(&c, "n", 5);
	if (m == SET_UNDECLARED)
		pb_case_set(&c, "tasks", 5);
	if (m == NAME_UNDECLARED)
		pb_case_name(&c, "nn", 5);
	if (m == STR_UNDECLARED)
		pb_case_name_str(&c, "place", "cross");
	if (m == SWEEP_UNDECLARED)
		c.param = "task_us";
	if (m == SET_A_FIELD)
		pb_case_set(&c, "workers", 2);
	if (m == PIN_NOT_FIXED)
		pb_case_name_str(&c, "pin", "scatter");
	pb_plan_add(&plan, &c);
	plan_declare(NULL);
	assert_ptr_equal(plan.cases[0].declared, declared);
	assert_ptr_equal(pb_case_decl(&plan.cases[0], "task_ms"), &declared[1]);
	plan_free(&plan);
}

static void undeclared_parameters_abort_the_plan(void **state)
{
	(void)state;
	plan_one(USE_DECLARED);
	for (int m = SET_UNDECLARED; m <= PIN_NOT_FIXED; m++) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDERR_FILENO);
			plan_one((enum misuse)m);
			_exit(0);
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
			fail_msg("misuse %d did not abort the plan", m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(named_parameters),
		cmocka_unit_test(undeclared_parameters_abort_the_plan),
		cmocka_unit_test(report_find_and_ratio),
		cmocka_unit_test(case_names_hold_every_argument),
		cmocka_unit_test(ok_case_reports_metrics),
		cmocka_unit_test(crash_is_recorded),
		cmocka_unit_test(watchdog_ends_a_hang),
		cmocka_unit_test(expected_hang_is_an_outcome),
		cmocka_unit_test(failure_reason_travels),
		cmocka_unit_test(leftover_worker_is_killed_and_reported),
		cmocka_unit_test(leaked_named_ipc_is_removed),
		cmocka_unit_test(interrupt_stops_the_case),
	};

	return cmocka_run_group_tests_name("harness", tests, setup, teardown);
}
