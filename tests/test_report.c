/* SPDX-License-Identifier: MIT */
/* The report's paired ratio (repetition r against repetition r) and its
 * precision note (the CV of each case), on fixed data: no case runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_impl.h"

static const struct pb_config cfg = { .profile = PROFILE_QUICK, .pin = PIN_SCATTER, .reps = 5 };

#define NCASES 4
#define MAXREPS 5

struct fixture {
	struct pb_plan plan;
	struct rep_result reps[NCASES][MAXREPS], *rows[NCASES];
	int nreps[NCASES];
	struct pb_report rep;
};

static void add(struct rep_result *r, long seq, double wall_s)
{
	r->seq = seq;
	rep_result_add(r, "wall_s", wall_s, "s");
}

/* Case 0 (serial): 5 repetitions, 2 4 6 8 10 s, ended at 0 2 4 6 8.
 * Case 1 (fork): 4 repetitions: 1 s at 1, a failed one, 2 s at 9, 0 s.
 * Case 2 (pool): skipped, without the metric, NaN: nothing counts.
 * Case 3 (threads): 5 s twice. */
static void fixture_init(struct fixture *f)
{
	const char *models[NCASES] = { "serial", "fork", "pool", "threads" };
	const int nreps[NCASES] = { 5, 4, 3, 2 };

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < NCASES; i++) {
		struct pb_case c = { .experiment = "e", .model = models[i], .workload = "cpu" };

		c.workers = i + 1;
		pb_plan_add(&f->plan, &c);
		f->rows[i] = f->reps[i];
		f->nreps[i] = nreps[i];
	}
	for (int k = 0; k < 5; k++)
		add(&f->reps[0][k], 2 * k, 2.0 * (k + 1));
	add(&f->reps[1][0], 1, 1.0);
	add(&f->reps[1][1], 3, 1.0);
	f->reps[1][1].failed = true;
	add(&f->reps[1][2], 9, 2.0);
	add(&f->reps[1][3], 10, 0.0);
	f->reps[2][0].skipped = true;
	rep_result_add(&f->reps[2][1], "other", 1.0, "s");
	add(&f->reps[2][2], 11, NAN);
	add(&f->reps[3][0], 12, 5.0);
	add(&f->reps[3][1], 13, 5.0);
	f->rep = (struct pb_report){
		.cfg = &cfg, .plan = &f->plan, .reps = f->rows, .nreps = f->nreps
	};
}

static void fixture_free(struct fixture *f)
{
	for (int i = 0; i < NCASES; i++)
		for (int k = 0; k < MAXREPS; k++)
			rep_result_free(&f->reps[i][k]);
	findings_free(&f->rep);
	plan_free(&f->plan);
}

/* Unequal repetition counts, a failed repetition and a zero: the pairs
 * that count are (2 s, 1 s) and (6 s, 2 s), 0 and 4 repetitions apart. */
static void pairs_count_only_when_both_sides_have_a_value(void **state)
{
	struct fixture f;
	const struct pb_case *c;
	struct pb_paired p;

	(void)state;
	fixture_init(&f);
	c = f.plan.cases;
	assert_true(pb_report_paired(&f.rep, &c[0], &c[1], "wall_s", &p));
	assert_int_equal(p.s.n, 2);
	assert_true(p.s.median == 2.5 && p.s.min == 2.0 && p.s.max == 3.0);
	assert_true(p.gap_median == 2.0);
	assert_false(p.interleaved);
	/* the other way round: a zero on top is a ratio of 0 */
	assert_true(pb_report_paired(&f.rep, &c[1], &c[0], "wall_s", &p));
	assert_int_equal(p.s.n, 3);
	assert_true(p.s.min == 0.0 && p.s.median == 1.0 / 3.0 && p.s.max == 0.5);
	/* a case against itself: ratio 1, no distance */
	f.rep.interleaved = true;
	assert_true(pb_report_paired(&f.rep, &c[0], &c[0], "wall_s", &p));
	assert_true(p.s.n == 5 && p.s.min == 1.0 && p.s.max == 1.0 && p.gap_median == 0.0);
	assert_true(p.interleaved);
	fixture_free(&f);
}

/* Skipped, without the metric, NaN, a missing case or metric: no pair. */
static void no_pair_no_ratio(void **state)
{
	struct fixture f;
	const struct pb_case *c;
	struct pb_paired p;

	(void)state;
	fixture_init(&f);
	c = f.plan.cases;
	assert_false(pb_report_paired(&f.rep, &c[0], &c[2], "wall_s", &p));
	assert_int_equal(p.s.n, 0);
	assert_false(pb_report_paired(&f.rep, &c[2], &c[0], "wall_s", &p));
	assert_false(pb_report_paired(&f.rep, &c[0], NULL, "wall_s", &p));
	assert_false(pb_report_paired(&f.rep, NULL, &c[0], "wall_s", &p));
	assert_false(pb_report_paired(&f.rep, &c[0], &c[1], "nothing", &p));
	fixture_free(&f);
}

/* The sentence says when the run did not interleave. */
static void describe_says_whether_interleaved(void **state)
{
	struct pb_paired p = { .s = { .n = 2, .min = 2, .median = 2.5, .max = 3 },
			       .gap_median = 2 };
	char text[256];

	(void)state;
	pb_paired_describe(&p, text, sizeof(text));
	assert_non_null(strstr(text, "not interleaved"));
	assert_non_null(strstr(text, "2.50x (2.00–3.00 over 2 pairs, median 2 repetitions apart)"));
	p.interleaved = true;
	pb_paired_describe(&p, text, sizeof(text));
	assert_null(strstr(text, "not interleaved"));
	assert_int_equal(strncmp(text, "2.50x", 5), 0);
}

/* CVs: serial 2..10 (mean 6, stddev sqrt(10): 52.7 %), fork 1 2 0 (mean 1,
 * stddev 1: 100 %), threads 5 5 (0 %); pool has no two values. Median
 * 52.7 %, two above 3 %, highest first. */
static void precision_note_from_the_repetitions(void **state)
{
	struct fixture f;
	const struct pb_finding *x;
	char want[1024];

	(void)state;
	fixture_init(&f);
	f.rep.experiment = "e";
	pb_report_cv_note(&f.rep, &(struct pb_case_key){ .experiment = "e" }, "wall_s");
	assert_int_equal(f.rep.nfindings, 1);
	x = f.rep.findings[0];
	assert_string_equal(x->id, "e.precision_wall_s");
	assert_non_null(strstr(x->claim, "precision of e (wall_s, pin scatter)"));
	assert_int_equal(x->nfigs, 3);
	assert_string_equal(x->figs[0].name, "median CV");
	assert_float_equal(x->figs[0].s.median, 52.7, 0.05);
	assert_float_equal(x->figs[1].s.median, 3, 0);
	assert_float_equal(x->figs[2].s.median, 2, 0);
	assert_string_equal(x->verdict, "above target");
	snprintf(want, sizeof(want), "highest: %s 100.0 %%, %s 52.7 %%, %s 0.0 %%",
		 f.plan.cases[1].name, f.plan.cases[0].name, f.plan.cases[3].name);
	assert_string_equal(x->reason, want);
	/* no case with two values: no note */
	pb_report_cv_note(&f.rep, &(struct pb_case_key){ .model = "pool" }, "wall_s");
	pb_report_cv_note(&f.rep, &(struct pb_case_key){ .experiment = "e" }, "nothing");
	assert_int_equal(f.rep.nfindings, 1);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pairs_count_only_when_both_sides_have_a_value),
		cmocka_unit_test(no_pair_no_ratio),
		cmocka_unit_test(describe_says_whether_interleaved),
		cmocka_unit_test(precision_note_from_the_repetitions),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
