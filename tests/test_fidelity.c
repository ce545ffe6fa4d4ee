/* SPDX-License-Identifier: MIT */
/* The fidelity table's judging (bench/cpython/fidelity_judge.c) on a report
 * built here: a row agrees only within its tolerance and, for a
 * qualitative claim, when the claim holds on both sides; a claim that fails
 * on both sides, the two within the tolerance, is "both fail"; a missing, skipped or failed side gives "no
 * data" and why; a difference by design is marked and not counted. And the
 * reasons of every claim checked against the code: a reason that names a
 * program (gil.py, deadlock.c) and a mechanism (busy-waits, sleeps,
 * pickles) fails here when that program does not contain the mechanism.
 * And the convoy's rows on a plan of its cases: the echo against the echo,
 * at each delay. No case runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython.h"
#include "fidelity.h"
#include "harness_impl.h"

static const struct pb_config cfg = { .profile = PROFILE_QUICK, .reps = 3 };

enum { C_CASE, PY_CASE, NCASES };

/* A report of two cases (x/c and x/cpython-c), metric m in 3 repetitions
 * each at the given values; a value < 0 leaves the side without it (its
 * repetitions failed when -1, skipped when -2, without the metric when
 * -3). */
struct fake {
	struct pb_plan plan;
	struct pb_case cases[NCASES];
	struct rep_result reps[NCASES][3], *rp[NCASES];
	int nreps[NCASES];
	struct pb_report rep;
};

static void fake_side(struct fake *f, int i, const char *model, double v)
{
	struct pb_case *c = &f->cases[i];

	c->experiment = "x";
	c->model = model;
	c->workload = "-";
	c->workers = 1;
	snprintf(c->name, sizeof(c->name), "x/%s/-/w:1", model);
	f->rp[i] = f->reps[i];
	f->nreps[i] = 3;
	for (int r = 0; r < 3; r++) {
		f->reps[i][r].failed = v == -1;
		f->reps[i][r].skipped = v == -2;
		snprintf(f->reps[i][r].reason, sizeof(f->reps[i][r].reason), "%s",
			 v == -1 ? "boom" :
			 v == -2 ? "no interpreter" :
				   "");
		if (v >= 0)
			rep_result_add(&f->reps[i][r], "m", v * (1 + 0.01 * r), "us");
		else if (v == -3)
			rep_result_add(&f->reps[i][r], "other", 1, "us");
	}
}

static void fake_init(struct fake *f, double c, double py)
{
	memset(f, 0, sizeof(*f));
	fake_side(f, C_CASE, "c", c);
	fake_side(f, PY_CASE, "cpython-c", py);
	f->plan.cases = f->cases;
	f->plan.n = f->plan.cap = NCASES;
	f->rep.cfg = &cfg;
	f->rep.plan = &f->plan;
	f->rep.reps = f->rp;
	f->rep.nreps = f->nreps;
	f->rep.experiment = "cpython";
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < NCASES; i++)
		for (int r = 0; r < 3; r++)
			rep_result_free(&f->reps[i][r]);
	findings_free(&f->rep);
	free(f->rep.rows);
}

/* The verdict of a claim of kind k (threshold th, tolerance tol) on C = c,
 * CPython = py; its reason into why. */
static const char *judge(double c, double py, enum fidelity_kind k, double th, double tol,
			 bool design, char *why, size_t len, struct fidelity_tally *t)
{
	static char verdict[64];
	struct fake f;
	struct fidelity_claim cl = {
		"t",
		"a claim",
		ONE,
		{ KEY("x", "c", NULL, NULL, 0, NULL, 0), {}, "m", NULL },
		{ KEY("x", "cpython-c", NULL, NULL, 0, NULL, 0), {}, "m", NULL },
		k,
		th,
		"us",
		"the reason",
		tol,
		design,
		NULL
	};
	struct pb_finding *fd;

	fake_init(&f, c, py);
	fd = fidelity_judge(&f.rep, &cl, NULL, false, t);
	snprintf(verdict, sizeof(verdict), "%s", fd->verdict ? fd->verdict : "");
	snprintf(why, len, "%s", fd->reason ? fd->reason : "");
	fake_free(&f);
	return verdict;
}

static void close_rows_need_the_ratio(void **state)
{
	char why[512];
	struct fidelity_tally t = { 0 };

	(void)state;
	assert_string_equal(judge(100, 110, CLOSE, 0, 0, false, why, sizeof(why), &t), "agrees");
	assert_string_equal(judge(100, 130, CLOSE, 0, 0, false, why, sizeof(why), &t), "differs");
	assert_non_null(strstr(why, "±25 %"));
	assert_string_equal(judge(100, 130, CLOSE, 0, 0.35, false, why, sizeof(why), &t), "agrees");
	assert_string_equal(judge(100, 79, CLOSE, 0, 0, false, why, sizeof(why), &t), "differs");
	assert_int_equal(t.agrees, 2);
	assert_int_equal(t.differs, 2);
}

/* "< 1.25" passes for a 0.2x pathology on one side: not any more. */
static void qualitative_rows_need_both_sides_and_the_ratio(void **state)
{
	char why[512];
	struct fidelity_tally t = { 0 };

	(void)state;
	assert_string_equal(judge(1.0, 0.95, BELOW, 1.25, 0, false, why, sizeof(why), &t),
			    "agrees");
	assert_string_equal(judge(1.0, 0.2, BELOW, 1.25, 0, false, why, sizeof(why), &t),
			    "differs");
	assert_string_equal(judge(2.0, 0.95, BELOW, 1.25, 0, false, why, sizeof(why), &t),
			    "differs");
	assert_non_null(strstr(why, "C is not below"));
	assert_string_equal(judge(2.0, 2.1, BELOW, 1.25, 0, false, why, sizeof(why), &t),
			    "both fail");
	assert_string_equal(judge(71.2, 4.97, ABOVE, 1, 0.35, false, why, sizeof(why), &t),
			    "differs");
	/* failing alike is not failing the same: a CPU speedup of 1.94 in C
	 * (its GIL lost) against CPython's noisy 1.27 */
	assert_string_equal(judge(1.94, 1.27, BELOW, 1.25, 0, false, why, sizeof(why), &t),
			    "differs");
	assert_non_null(strstr(why, "neither side is below 1.25, and CPython/C is outside"));
	assert_int_equal(t.both_fail, 1);
	assert_int_equal(t.differs, 4);
}

static void a_missing_side_is_no_data_with_its_reason(void **state)
{
	char why[512];
	struct fidelity_tally t = { 0 };

	(void)state;
	assert_string_equal(judge(100, -1, CLOSE, 0, 0, false, why, sizeof(why), &t), "no data");
	assert_non_null(strstr(why, "CPython: x/cpython-c/-/w:1 failed: boom"));
	assert_string_equal(judge(100, -2, CLOSE, 0, 0, false, why, sizeof(why), &t), "no data");
	assert_non_null(strstr(why, "skipped: no interpreter"));
	assert_string_equal(judge(-3, 100, CLOSE, 0, 0, false, why, sizeof(why), &t), "no data");
	assert_non_null(strstr(why, "C: x/c/-/w:1 recorded no m"));
	assert_int_equal(t.no_data, 3);
}

static void a_difference_by_design_is_marked_and_not_counted(void **state)
{
	char why[512];
	struct fidelity_tally t = { 0 };

	(void)state;
	assert_string_equal(judge(100, 700, CLOSE, 0, 0, true, why, sizeof(why), &t),
			    "differs by design");
	assert_int_equal(t.by_design, 1);
	assert_int_equal(t.differs + t.agrees, 0);
}

/* ---- the thread queue's rows (fidelity_sync.c) ---- */

enum { TQ_NCASES = 9 };
struct tq_fake {
	struct pb_plan plan;
	struct pb_case cases[TQ_NCASES];
	struct rep_result reps[TQ_NCASES][3], *rp[TQ_NCASES];
	int nreps[TQ_NCASES];
	struct pb_report rep;
};

/* tqueue-prodcons/<model>/-/<extra>/w:2 at msgs_per_s v in 3 repetitions */
static void tq_case(struct tq_fake *f, const char *model, const char *extra, double v)
{
	int i = (int)f->plan.n++;
	struct pb_case *c = &f->cases[i];

	c->experiment = "tqueue-prodcons";
	c->model = model;
	c->workload = "-";
	c->workers = 2;
	snprintf(c->extra, sizeof(c->extra), "%s", extra);
	snprintf(c->name, sizeof(c->name), "tqueue-prodcons/%s/-/%s/w:2", model, extra);
	f->rp[i] = f->reps[i];
	f->nreps[i] = 3;
	for (int r = 0; r < 3; r++)
		rep_result_add(&f->reps[i][r], "msgs_per_s", v, "msg/s");
}

/* One PU, unbounded: C threads-py / mp-queue-py against CPython's pair,
 * with the plain process queue (mp-queue, twice mp-queue-py's rate) and
 * the unpinned no-cost models beside them; returns the judged row's
 * verdict (cpy_mpq: cpython-mp-queue's rate) and the no-cost row's. */
static void tq_judge(double cpy_mpq, char *verdict, char *nocost, size_t len)
{
	static struct tq_fake f;
	const char *single = "p:1/c:1/maxsize:0/pin:single", *q = "p:1/c:1/pin:single";

	memset(&f, 0, sizeof(f));
	tq_case(&f, "threads-py", single, 1000);
	tq_case(&f, "mp-queue", q, 100);
	tq_case(&f, "mp-queue-py", q, 50);
	tq_case(&f, "cpython-threads", single, 900);
	tq_case(&f, "cpython-mp-queue", q, cpy_mpq);
	tq_case(&f, "threads-gil", "p:1/c:1", 9e6);
	tq_case(&f, "mp-queue", "p:1/c:1", 1e5);
	tq_case(&f, "cpython-threads", "p:1/c:1", 6e5);
	tq_case(&f, "cpython-mp-queue", "p:1/c:1", 5e4);
	f.plan.cases = f.cases;
	f.plan.cap = f.plan.n;
	f.rep = (struct pb_report){ .cfg = &cfg,
				    .plan = &f.plan,
				    .reps = f.rp,
				    .nreps = f.nreps,
				    .experiment = "cpython" };
	fidelity_judge_sync(&f.rep, NULL);
	for (size_t i = 0; i < f.rep.nfindings; i++) {
		const struct pb_finding *fd = f.rep.findings[i];
		const char *v = fd->verdict ? fd->verdict : "";

		if (strcmp(fd->id,
			   "cpython.fidelity.thread_queue_vs_process_queue_single_unbounded") == 0)
			snprintf(verdict, len, "%s", v);
		if (strcmp(fd->id, "cpython.fidelity.thread_queue_vs_process_queue") == 0)
			snprintf(nocost, len, "%s", v);
	}
	for (size_t i = 0; i < f.plan.n; i++)
		for (int r = 0; r < 3; r++)
			rep_result_free(&f.reps[i][r]);
	findings_free(&f.rep);
	free(f.rep.rows);
}

/* Each side's thread queue over its own process queue, both charged the
 * interpreter's work: 1000/50 against 900/45 agrees; against the plain
 * mp-queue (1000/100) it would differ. CPython's process queue at 20 (45x)
 * differs. The no-cost row is shown, not judged. */
static void thread_queue_rows_compare_the_charged_models(void **state)
{
	char verdict[64] = "", nocost[64] = "";

	(void)state;
	tq_judge(45, verdict, nocost, sizeof(verdict));
	assert_string_equal(verdict, "agrees");
	assert_string_equal(nocost, "not judged");
	tq_judge(20, verdict, nocost, sizeof(verdict));
	assert_string_equal(verdict, "differs");
	tq_judge(90, verdict, nocost, sizeof(verdict)); /* 10x: what mp-queue would give */
	assert_string_equal(verdict, "differs");
}

/* ---- reasons against the code ---- */

/* A mechanism a reason may name, and what its program must then contain
 * (any of the tokens, a regular expression each). */
static const struct mechanism {
	const char *word, *evidence;
} mechanisms[] = {
	{ "busy-wait|busy wait|spins",
	  "while .*(perf_counter|monotonic|clock_now)|sched_yield|spin" },
	{ "sleeps|sleep\\(", "time\\.sleep|clock_sleep_ns|nanosleep|usleep|gil_sleep_ns" },
	{ "pickles|pickling", "pickle|ForkingPickler|dumps" },
	{ "polls|select\\(", "poll|select" },
};

/* The file a reason names: bench/cpython/<name> or a C file under bench/ or
 * lib/; NULL when none is found (a test failure: the reason names a
 * program that is not there). */
static char *read_program(const char *name)
{
	char cmd[512], path[512] = "";
	FILE *p;
	char *buf = NULL;
	size_t len = 0;

	snprintf(cmd, sizeof(cmd), "find bench lib -name '%s' | head -1", name);
	p = popen(cmd, "r");
	if (p && fgets(path, sizeof(path), p))
		path[strcspn(path, "\n")] = '\0';
	if (p)
		pclose(p);
	FILE *f = path[0] ? fopen(path, "r") : NULL;
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	for (int ch; (ch = fgetc(f)) != EOF;)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return buf;
}

static bool matches(const char *re, const char *text)
{
	regex_t r;
	bool hit;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
	hit = regexec(&r, text, 0, NULL, 0) == 0;
	regfree(&r);
	return hit;
}

/* Every program named in why, against every mechanism named in why. */
static void check_reason(const char *id, const char *why, void *arg)
{
	regex_t prog;
	regmatch_t m;
	int *bad = arg;

	assert_int_equal(regcomp(&prog, "[A-Za-z_]+\\.(py|c)\\b", REG_EXTENDED), 0);
	for (const char *s = why; regexec(&prog, s, 1, &m, 0) == 0; s += m.rm_eo) {
		char name[64];
		char *code;

		snprintf(name, sizeof(name), "%.*s", (int)(m.rm_eo - m.rm_so), s + m.rm_so);
		code = read_program(name);
		if (!code) {
			print_error("%s: its reason names %s, which is not in bench/ or lib/\n", id,
				    name);
			(*bad)++;
			continue;
		}
		for (size_t i = 0; i < sizeof(mechanisms) / sizeof(*mechanisms); i++)
			if (matches(mechanisms[i].word, why) &&
			    !matches(mechanisms[i].evidence, code)) {
				print_error("%s: its reason says /%s/ of %s, which has no /%s/\n",
					    id, mechanisms[i].word, name, mechanisms[i].evidence);
				(*bad)++;
			}
		free(code);
	}
	regfree(&prog);
}

static void reasons_name_what_their_programs_do(void **state)
{
	int bad = 0;

	(void)state;
	fidelity_each_reason(check_reason, &bad);
	assert_int_equal(bad, 0);
	/* the check can fail: today's gil.py sleeps, it does not busy-wait */
	check_reason("stale", "CPython's echo (gil.py) busy-waits and keeps a PU", &bad);
	assert_int_equal(bad, 1);
}

/* The convoy's cases, each with its own p50: the rows must take each side's
 * echo round trip at the same delay and placement (whatever n the profile
 * gave it), and the GIL wait of the echo on both sides on two PUs, never
 * CPython's sleep. pin: the placement the case fixes (NULL: the run's). */
static const struct convoy_case {
	const char *model, *workload;
	int n, delay_us, k;
	const char *pin;
	double p50;
} convoy_cases[] = {
	{ "threads-gil", "io", 22, 100, 1, NULL, 5300 },
	{ "threads-gil", "io", 150, 100, 0, NULL, 200 },
	{ "threads-gil", "io", 20, 0, 1, NULL, 30 },
	{ "threads-gil", "io", 22, 100, 1, "single", 5400 },
	{ "threads-gil", "io", 20, 0, 1, "single", 5250 },
	{ "threads-gil", "io", 22, 100, 1, "scatter", 10500 },
	{ "threads-gil", "io", 20, 0, 1, "scatter", 10450 },
	{ "cpython-threads", "io", 22, 100, 1, NULL, 10400 },
	{ "cpython-threads", "io", 150, 100, 0, NULL, 300 },
	{ "cpython-threads", "io", 20, 0, 1, NULL, 10300 },
	{ "cpython-threads", "io", 22, 100, 1, "single", 5500 },
	{ "cpython-threads", "io", 20, 0, 1, "single", 5280 },
	{ "cpython-threads", "io", 22, 100, 1, "scatter", 10600 },
	{ "cpython-threads", "io", 20, 0, 1, "scatter", 10550 },
	{ "cpython-threads", "sleep", 22, 1000, 1, NULL, 7000 },
	{ "cpython-threads", "sleep", 150, 1000, 0, NULL, 1100 },
};

static void convoy_plan(struct pb_plan *plan)
{
	for (size_t i = 0; i < sizeof(convoy_cases) / sizeof(*convoy_cases); i++) {
		const struct convoy_case *cc = &convoy_cases[i];
		struct pb_case c = { .experiment = "gil-convoy",
				     .model = cc->model,
				     .workload = cc->workload,
				     .workers = cc->k + 1,
				     .param = "cpu_threads",
				     .param_value = cc->k };

		pb_case_name(&c, "n", cc->n);
		pb_case_name(&c, strcmp(cc->workload, "io") ? "sleep_us" : "echo_us", cc->delay_us);
		if (cc->pin) {
			c.pin_fixed = true;
			c.pin = strcmp(cc->pin, "single") == 0 ? PIN_SINGLE : PIN_SCATTER;
			pb_case_name_str(&c, "pin", cc->pin);
		}
		pb_plan_add(plan, &c);
	}
}

/* The finding cpython.fidelity.<id> (NULL: none). */
static const struct pb_finding *finding(const struct pb_report *rep, const char *id)
{
	char full[96];

	snprintf(full, sizeof(full), "cpython.fidelity.%s", id);
	for (size_t i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i]->id, full) == 0)
			return rep->findings[i];
	return NULL;
}

/* The figure name of finding cpython.fidelity.<id> (NaN: none). */
static double figure(const struct pb_report *rep, const char *id, const char *name)
{
	const struct pb_finding *f = finding(rep, id);

	for (size_t k = 0; f && k < f->nfigs; k++)
		if (strcmp(f->figs[k].name, name) == 0)
			return f->figs[k].s.median;
	return NAN;
}

static const char *verdict_of(const struct pb_report *rep, const char *id)
{
	const struct pb_finding *f = finding(rep, id);

	return f && f->verdict ? f->verdict : "";
}

/* The convoy's rows on a run of placement pin: the fidelity findings. */
static void convoy_report(struct pb_report *rep, struct pb_plan *plan, const struct pb_config *c)
{
	convoy_plan(plan);
	report_init(rep, c, plan, false);
	rep->experiment = "cpython";
	for (size_t i = 0; i < plan->n; i++)
		for (int r = 0; r < 3; r++) {
			struct rep_result *res = report_new_rep(rep, i);

			memset(res, 0, sizeof(*res));
			/* the run's own placement: one interval, then two */
			double v = convoy_cases[i].pin || convoy_cases[i].k == 0 ?
					   convoy_cases[i].p50 :
					   convoy_cases[i].p50 * (r ? 1.0 : 0.5);

			rep_result_add(res, "latency_us_p50", v, "us");
			/* the placed rows' figure; 1 us above the p50 here, so
			 * that a row taking the wrong one shows */
			rep_result_add(res, "latency_us_mean", v + 1, "us");
		}
	cpython_fidelity(rep);
}

static void convoy_rows_compare_the_echo_with_the_echo(void **state)
{
	const struct pb_config two = { .profile = PROFILE_DEFAULT, .reps = 3, .pus = 2 };
	struct pb_plan plan = { 0 };
	struct pb_report rep = { 0 };

	(void)state;
	convoy_report(&rep, &plan, &two);
	assert_true(figure(&rep, "convoy_round_trip_k1", "C") == 5300);
	assert_true(figure(&rep, "convoy_round_trip_k1", "CPython") == 10400);
	assert_true(figure(&rep, "convoy_round_trip_k1_echo0", "C") == 30);
	assert_true(figure(&rep, "convoy_round_trip_k1_echo0", "CPython") == 10300);
	/* the placed rows: the mean */
	assert_true(figure(&rep, "convoy_round_trip_k1_1pu", "C") == 5401);
	assert_true(figure(&rep, "convoy_round_trip_k1_1pu", "CPython") == 5501);
	assert_true(figure(&rep, "convoy_round_trip_k1_echo0_1pu", "CPython") == 5281);
	assert_true(figure(&rep, "convoy_round_trip_k1_2pus", "C") == 10501);
	assert_true(figure(&rep, "convoy_round_trip_k1_echo0_2pus", "C") == 10451);
	assert_true(figure(&rep, "convoy_round_trip_k1_echo0_2pus", "CPython") == 10551);
	/* the wait a CPU thread on its own PU adds, in means */
	assert_true(figure(&rep, "convoy_gil_wait_k1", "C") == 10501 - 201);
	assert_true(figure(&rep, "convoy_gil_wait_k1", "CPython") == 10601 - 301);
	assert_string_equal(verdict_of(&rep, "convoy_round_trip_k1_2pus"), "agrees");
	assert_string_equal(verdict_of(&rep, "convoy_round_trip_k1_echo0_1pu"), "agrees");
	/* the scheduler's placement (--pin none): shown with each side's
	 * intervals, not judged */
	assert_string_equal(verdict_of(&rep, "convoy_round_trip_k1"), "not judged");
	assert_non_null(
		strstr(finding(&rep, "convoy_round_trip_k1")->reason,
		       "p50 by repetition 0.53 to 1.06 intervals in C, 1.04 to 2.08 in CPython"));
	report_free(&rep); /* and its findings */
	plan_free(&plan);
}

/* A run that fixed its placement judges its own rows too. */
static void a_placed_run_judges_its_own_convoy(void **state)
{
	const struct pb_config placed = {
		.profile = PROFILE_DEFAULT, .reps = 3, .pus = 2, .pin = PIN_SCATTER
	};
	struct pb_plan plan = { 0 };
	struct pb_report rep = { 0 };

	(void)state;
	convoy_report(&rep, &plan, &placed);
	assert_string_equal(verdict_of(&rep, "convoy_round_trip_k1"), "differs");
	assert_string_equal(verdict_of(&rep, "convoy_round_trip_k1_2pus"), "agrees");
	report_free(&rep);
	plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(close_rows_need_the_ratio),
		cmocka_unit_test(qualitative_rows_need_both_sides_and_the_ratio),
		cmocka_unit_test(a_missing_side_is_no_data_with_its_reason),
		cmocka_unit_test(a_difference_by_design_is_marked_and_not_counted),
		cmocka_unit_test(thread_queue_rows_compare_the_charged_models),
		cmocka_unit_test(reasons_name_what_their_programs_do),
		cmocka_unit_test(convoy_rows_compare_the_echo_with_the_echo),
		cmocka_unit_test(a_placed_run_judges_its_own_convoy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
