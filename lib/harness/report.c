/* SPDX-License-Identifier: MIT */
/*
 * report — what an experiment's summary sees after the run: its cases, the
 * statistics of their repetitions, one way to find a case and one way to
 * divide two of them, and the derived rows it writes into summary.csv
 * (its findings: findings.c).
 */
#include "harness_impl.h"
#include "grow.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct pb_config *pb_report_cfg(const struct pb_report *rep)
{
	return rep->cfg;
}

size_t pb_report_ncases(const struct pb_report *rep)
{
	return rep->plan->n;
}

const struct pb_case *pb_report_case(const struct pb_report *rep, size_t i)
{
	return &rep->plan->cases[i];
}

bool pb_report_stat(const struct pb_report *rep, const char *case_name, const char *metric,
		    struct stats_summary *out)
{
	for (size_t i = 0; i < rep->plan->n; i++) {
		double v[1024];
		size_t n = 0;

		if (strcmp(rep->plan->cases[i].name, case_name) != 0)
			continue;
		for (int r = 0; r < rep->nreps[i] && n < 1024; r++) {
			const struct rep_result *rr = &rep->reps[i][r];

			if (rr->failed)
				continue;
			for (size_t m = 0; m < rr->nmetrics; m++)
				if (strcmp(rr->metrics[m].name, metric) == 0)
					v[n++] = rr->metrics[m].value;
		}
		*out = stats_summarize(v, n);
		return n > 0;
	}
	return false;
}

void pb_report_row(struct pb_report *rep, const struct pb_case *like, const char *model,
		   const char *metric, struct stats_summary s, const char *unit)
{
	struct pb_plan one = { 0 };
	struct derived_row *row;
	struct pb_case c = *like;

	if (model)
		c.model = model;
	pb_plan_add(&one, &c); /* rebuilds the name with the new model */
	rep->rows = grow(rep->rows, &rep->caprows, rep->nrows + 1, sizeof(*rep->rows), 64);
	row = &rep->rows[rep->nrows++];
	row->c = one.cases[0];
	snprintf(row->metric, sizeof(row->metric), "%s", metric);
	snprintf(row->unit, sizeof(row->unit), "%s", unit);
	row->s = s;
	plan_free(&one);
}

static bool str_match(const char *want, const char *have)
{
	return !want || (have && strcmp(want, have) == 0);
}

static bool key_match(const struct pb_case_key *k, const struct pb_case *c)
{
	if (!str_match(k->experiment, c->experiment) || !str_match(k->model, c->model) ||
	    !str_match(k->workload, c->workload) || !str_match(k->extra, c->extra))
		return false;
	if (k->workers && k->workers != c->workers)
		return false;
	return !k->param ||
	       (c->param && strcmp(k->param, c->param) == 0 && c->param_value == k->param_value);
}

const struct pb_case *pb_report_next(const struct pb_report *rep, const struct pb_case_key *key,
				     const struct pb_case *after)
{
	size_t i = after ? (size_t)(after - rep->plan->cases) + 1 : 0;

	for (; i < rep->plan->n; i++)
		if (key_match(key, &rep->plan->cases[i]))
			return &rep->plan->cases[i];
	return NULL;
}

const struct pb_case *pb_report_find(const struct pb_report *rep, const struct pb_case_key *key)
{
	return pb_report_next(rep, key, NULL);
}

double pb_report_median(const struct pb_report *rep, const struct pb_case *c, const char *metric)
{
	struct stats_summary s;

	return c && pb_report_stat(rep, c->name, metric, &s) ? s.median : NAN;
}

bool pb_report_ratio2(const struct pb_report *rep, const struct pb_case *a, const char *metric_a,
		      const struct pb_case *b, const char *metric_b, struct stats_summary *out)
{
	struct stats_summary x, y;

	return a && b && pb_report_stat(rep, a->name, metric_a, &x) &&
	       pb_report_stat(rep, b->name, metric_b, &y) && stats_ratio(&x, &y, out);
}

bool pb_report_ratio(const struct pb_report *rep, const struct pb_case *a, const struct pb_case *b,
		     const char *metric, struct stats_summary *out)
{
	return pb_report_ratio2(rep, a, metric, b, metric, out);
}

/* The first reason among c's repetitions with the status st (1 failed, 2
 * skipped), or NULL when not every repetition has it. */
static const char *all_reps(const struct pb_report *rep, size_t i, int st)
{
	const char *why = NULL;

	for (int r = 0; r < rep->nreps[i]; r++) {
		const struct rep_result *rr = &rep->reps[i][r];

		if ((st == 1 && !rr->failed) || (st == 2 && !rr->skipped))
			return NULL;
		why = why ? why : rr->reason;
	}
	return why;
}

bool pb_report_why_none(const struct pb_report *rep, const struct pb_case *c, const char *metric,
			char *buf, size_t len)
{
	struct stats_summary s;
	size_t i;
	const char *why;

	if (c && pb_report_stat(rep, c->name, metric, &s)) {
		snprintf(buf, len, "%s", "");
		return false;
	}
	if (!c) {
		snprintf(buf, len, "not in this run's plan (profile or --filter)");
		return true;
	}
	i = (size_t)(c - rep->plan->cases);
	if (rep->nreps[i] == 0)
		snprintf(buf, len, "%s did not run", c->name);
	else if ((why = all_reps(rep, i, 2)))
		snprintf(buf, len, "%s skipped: %s", c->name, why);
	else if ((why = all_reps(rep, i, 1)))
		snprintf(buf, len, "%s failed: %s", c->name, why);
	else
		snprintf(buf, len, "%s recorded no %s", c->name, metric);
	return true;
}

/* ---- paired ratios and the precision of a sweep ---- */

/* metric of one repetition; NaN when it failed, was skipped or lacks it. */
static double rep_value(const struct rep_result *rr, const char *metric)
{
	if (rr->failed || rr->skipped)
		return NAN;
	for (size_t m = 0; m < rr->nmetrics; m++)
		if (strcmp(rr->metrics[m].name, metric) == 0)
			return rr->metrics[m].value;
	return NAN;
}

bool pb_report_paired(const struct pb_report *rep, const struct pb_case *a, const struct pb_case *b,
		      const char *metric, struct pb_paired *out)
{
	size_t ia, ib, n, ng = 0;
	double *v, *gap;

	if (!a || !b)
		return false;
	ia = (size_t)(a - rep->plan->cases);
	ib = (size_t)(b - rep->plan->cases);
	n = (size_t)(rep->nreps[ia] < rep->nreps[ib] ? rep->nreps[ia] : rep->nreps[ib]);
	v = calloc(3 * n + 1, sizeof(*v)); /* a's values, b's values, the gaps */
	if (!v)
		return false;
	gap = v + 2 * n;
	for (size_t r = 0; r < n; r++) {
		const struct rep_result *ra = &rep->reps[ia][r], *rb = &rep->reps[ib][r];
		long d = labs(ra->seq - rb->seq) - 1;

		v[r] = rep_value(ra, metric);
		v[n + r] = rep_value(rb, metric);
		if (isfinite(v[r]) && isfinite(v[n + r]) && v[n + r] > 0)
			gap[ng++] = d > 0 ? (double)d : 0.0;
	}
	*out = (struct pb_paired){ .s = stats_paired_ratio(v, v + n, n),
				   .interleaved = rep->interleaved,
				   .gap_median = ng ? stats_median(gap, ng) : NAN };
	free(v);
	return out->s.n > 0;
}

void pb_paired_describe(const struct pb_paired *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%.2fx (%.2f–%.2f over %zu pair%s, median %.0f repetitions apart)",
		 p->interleaved ? "" : "not interleaved (each case's repetitions back to back): ",
		 p->s.median, p->s.min, p->s.max, p->s.n, p->s.n == 1 ? "" : "s", p->gap_median);
}

struct cv_worst {
	const char *name;
	double cv;
};

/* Keep the three highest CVs, highest first. */
static void cv_keep(struct cv_worst w[3], const char *name, double cv)
{
	for (int i = 0; i < 3; i++) {
		if (w[i].name && w[i].cv >= cv)
			continue;
		for (int j = 2; j > i; j--)
			w[j] = w[j - 1];
		w[i] = (struct cv_worst){ name, cv };
		return;
	}
}

void pb_report_cv_note(struct pb_report *rep, const struct pb_case_key *key, const char *metric)
{
	struct cv_worst w[3] = { { 0 } };
	double *cv = malloc((rep->plan->n + 1) * sizeof(*cv)), med;
	size_t n = 0, above = 0, len = 0;
	char worst[640] = "", id[96];
	struct pb_finding *f;

	if (!cv)
		return;
	for (const struct pb_case *c = pb_report_find(rep, key); c;
	     c = pb_report_next(rep, key, c)) {
		struct stats_summary s;
		double x;

		if (!pb_report_stat(rep, c->name, metric, &s) || isnan(x = stats_cv(&s)))
			continue;
		cv[n++] = x;
		above += x > PB_CV_TARGET;
		cv_keep(w, c->name, x);
	}
	for (int i = 0; i < 3 && w[i].name && len < sizeof(worst); i++)
		len += (size_t)snprintf(worst + len, sizeof(worst) - len, "%s%s %.1f %%",
					i ? ", " : "", w[i].name, 100 * w[i].cv);
	if (n) {
		med = stats_median(cv, n);
		snprintf(id, sizeof(id), "precision_%s", metric);
		f = pb_report_finding(rep, id,
				      "precision of %s (%s, pin %s): the cases' coefficient of "
				      "variation (CV), target median CV <= %.0f %%",
				      key->experiment ? key->experiment : "every case", metric,
				      pin_policy_name(rep->cfg->pin), 100 * PB_CV_TARGET);
		pb_finding_value(f, "median CV", 100 * med, "%");
		pb_finding_value(f, "cases", (double)n, "");
		pb_finding_value(f, "cases above target", (double)above, "");
		pb_finding_verdict(f, med <= PB_CV_TARGET ? "within target" : "above target",
				   "highest: %s", worst);
	}
	free(cv);
}

/* ---- the run's side: the results a report holds ---- */

void report_init(struct pb_report *rep, const struct pb_config *cfg, const struct pb_plan *plan,
		 bool interleaved)
{
	if (rep->reps)
		return;
	*rep = (struct pb_report){ .cfg = cfg, .plan = plan, .interleaved = interleaved };
	rep->reps = calloc(plan->n + 1, sizeof(*rep->reps));
	rep->nreps = calloc(plan->n + 1, sizeof(*rep->nreps));
	if (!rep->reps || !rep->nreps) {
		perror("parbench: calloc");
		exit(1);
	}
}

struct rep_result *report_new_rep(struct pb_report *rep, size_t idx)
{
	int n = rep->nreps[idx]++;

	rep->reps[idx] = realloc(rep->reps[idx], (size_t)(n + 1) * sizeof(struct rep_result));
	if (!rep->reps[idx]) {
		perror("parbench: realloc");
		exit(1);
	}
	return &rep->reps[idx][n];
}

void report_free(struct pb_report *rep)
{
	for (size_t i = 0; rep->nreps && i < rep->plan->n; i++) {
		for (int k = 0; k < rep->nreps[i]; k++)
			rep_result_free(&rep->reps[i][k]);
		free(rep->reps[i]);
	}
	findings_free(rep);
	free(rep->rows);
	free(rep->reps);
	free(rep->nreps);
}

/* The metric a case line and summary.md show: wall_s, else an in-process
 * case's iteration_ns, else the first the repetition reported. */
const char *rep_key_metric(const struct rep_result *res)
{
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "wall_s") == 0)
			return "wall_s";
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "iteration_ns") == 0)
			return "iteration_ns";
	return res->nmetrics ? res->metrics[0].name : NULL;
}
