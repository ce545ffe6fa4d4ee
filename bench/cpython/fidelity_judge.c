/* SPDX-License-Identifier: MIT */
/*
 * fidelity — judging one claim: each side's figure from the run's cases,
 * the verdict, and the finding and summary rows that carry it. A row
 * agrees only when CPython/C lies within the row's tolerance and, for a
 * qualitative claim (below or above a threshold), when the claim holds on
 * both sides: a pathology on one side that keeps to the threshold still
 * differs, and a claim that fails on both sides is "both fail", never an
 * agreement. A side without a figure gives "no data" and why. Nothing here
 * is a constant figure: every number comes from the report.
 */
#include <math.h>
#include <stdio.h>

#include "fidelity.h"

/* Why side s has no figure (buf), or false when it has one in *out. */
static bool figure(const struct pb_report *rep, const struct fidelity_claim *cl,
		   const struct fidelity_side *s, struct stats_summary *out,
		   const struct pb_case **like, char *buf, size_t len)
{
	const struct pb_case *a = pb_report_find(rep, &s->a), *b = NULL;
	struct stats_summary sa, sb;

	*like = a;
	if (pb_report_why_none(rep, a, s->ma, buf, len))
		return false;
	if (cl->op == ONE)
		return pb_report_stat(rep, a->name, s->ma, out);
	b = pb_report_find(rep, &s->b);
	if (pb_report_why_none(rep, b, s->mb, buf, len))
		return false;
	if (cl->op == SPEEDUP_OF_B)
		*like = b; /* a is the serial baseline: the figure is b's */
	if (cl->op == DIV || cl->op == SPEEDUP_OF_B) {
		if (pb_report_ratio2(rep, a, s->ma, b, s->mb, out))
			return true;
		snprintf(buf, len, "%s: %s is not positive", b->name, s->mb);
		return false;
	}
	pb_report_stat(rep, a->name, s->ma, &sa);
	pb_report_stat(rep, b->name, s->mb, &sb);
	*out = (struct stats_summary){ .n = sa.n < sb.n ? sa.n : sb.n,
				       .min = sa.min - sb.max,
				       .median = sa.median - sb.median,
				       .max = sa.max - sb.min };
	return true;
}

static double tolerance(const struct fidelity_claim *cl)
{
	return cl->tol > 0 ? cl->tol : FIDELITY_TOL;
}

/* CPython/C within the row's tolerance (both figures positive). */
static bool within(const struct fidelity_claim *cl, double c, double py)
{
	double r = py / c, tol = tolerance(cl);

	return c > 0 && py > 0 && r >= 1 / (1 + tol) && r <= 1 + tol;
}

static bool holds(const struct fidelity_claim *cl, double v)
{
	return cl->kind == CLOSE || (cl->kind == BELOW ? v < cl->threshold : v > cl->threshold);
}

/* A one-value summary row of the CPython case: metric[_row]. */
static void one_row(struct pb_report *rep, const struct pb_case *pc, const char *metric,
		    const char *row, double v, const char *unit)
{
	struct stats_summary r = { .n = 1, .min = v, .median = v, .max = v };
	char name[64];

	if (!pc)
		return;
	snprintf(name, sizeof(name), "%s%s%s", metric, row ? "_" : "", row ? row : "");
	pb_report_row(rep, pc, NULL, name, r, unit);
}

/* The verdict of a row with both figures; counts it in t. */
static void verdict(struct pb_finding *f, const struct fidelity_claim *cl, double c, double py,
		    struct fidelity_tally *t)
{
	bool hc = holds(cl, c), hp = holds(cl, py), in = within(cl, c, py);
	const char *rel = cl->kind == BELOW ? "below" : "above";
	double pct = 100 * tolerance(cl);

	if (hc && hp && in) {
		t->agrees++;
		pb_finding_verdict(f, "agrees", NULL);
	} else if (!hc && !hp && in) {
		t->both_fail++;
		pb_finding_verdict(f, "both fail", "neither side is %s %.4g", rel, cl->threshold);
	} else if (cl->by_design) {
		t->by_design++;
		pb_finding_verdict(f, "differs by design", "%s", cl->why);
	} else if (!hc && !hp) { /* and apart: failing alike is not failing the same */
		t->differs++;
		pb_finding_verdict(f, "differs",
				   "neither side is %s %.4g, and CPython/C is outside ±%.0f %%: %s",
				   rel, cl->threshold, pct, cl->why);
	} else if (!hc || !hp) {
		t->differs++;
		pb_finding_verdict(f, "differs", "%s is not %s %.4g: %s", hc ? "CPython" : "C", rel,
				   cl->threshold, cl->why);
	} else {
		t->differs++;
		pb_finding_verdict(f, "differs", "CPython/C outside ±%.0f %%: %s", pct, cl->why);
	}
}

struct pb_finding *fidelity_judge(struct pb_report *rep, const struct fidelity_claim *cl,
				  const char *row, bool info, struct fidelity_tally *t)
{
	struct stats_summary c, py;
	const struct pb_case *cc, *pc;
	struct fidelity_tally none = { 0 };
	struct pb_finding *f;
	char id[96], why_c[320], why_py[320];
	bool has_c = figure(rep, cl, &cl->c, &c, &cc, why_c, sizeof(why_c));
	bool has_py = figure(rep, cl, &cl->py, &py, &pc, why_py, sizeof(why_py));

	t = t ? t : &none;
	row = row ? row : cl->row;
	snprintf(id, sizeof(id), "fidelity.%s", cl->id);
	f = pb_report_finding(rep, id, "%s", cl->text);
	if (has_c)
		pb_finding_figure(f, "C", c, cl->unit);
	if (has_py)
		pb_finding_figure(f, "CPython", py, cl->unit);
	if (!has_c || !has_py) {
		t->no_data++;
		pb_finding_verdict(f, "no data", "%s%s%s%s%s",
				   has_c ? "" : "C: ", has_c ? "" : why_c,
				   !has_c && !has_py ? "; " : "",
				   has_py ? "" : "CPython: ", has_py ? "" : why_py);
		return f;
	}
	if (isfinite(py.median / c.median)) { /* a C figure of 0 has no ratio */
		pb_finding_value(f, "CPython/C", py.median / c.median, "x");
		one_row(rep, pc, "fidelity_ratio", info && !row ? "info" : row,
			py.median / c.median, "x");
	}
	if (info) {
		t->not_judged++;
		pb_finding_verdict(f, "not judged", "%s", cl->why);
		return f;
	}
	pb_finding_value(f, "tolerance", 100 * tolerance(cl), "%");
	verdict(f, cl, c.median, py.median, t);
	if (!cl->by_design)
		one_row(rep, pc, "fidelity_agrees", row,
			holds(cl, c.median) && holds(cl, py.median) &&
				within(cl, c.median, py.median),
			"flag");
	return f;
}
