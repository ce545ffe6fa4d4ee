/* SPDX-License-Identifier: MIT */
/*
 * fidelity — judging one claim: each side's figure from the run's cases,
 * the verdict (the same side of a threshold, or within ±25 % of each other),
 * and the finding and summary rows that carry it. Nothing here is a constant
 * figure: every number comes from the report.
 */
#include <stdio.h>

#include "fidelity.h"

static bool figure(const struct pb_report *rep, const struct fidelity_claim *cl,
		   const struct fidelity_side *s, struct stats_summary *out,
		   const struct pb_case **like)
{
	const struct pb_case *a = pb_report_find(rep, &s->a), *b = NULL;
	struct stats_summary sa, sb;

	*like = a;
	if (!a)
		return false;
	if (cl->op == ONE)
		return pb_report_stat(rep, a->name, s->ma, out);
	b = pb_report_find(rep, &s->b);
	if (cl->op == SPEEDUP_OF_B && b)
		*like = b; /* a is the serial baseline: the figure is b's */
	if (cl->op == DIV || cl->op == SPEEDUP_OF_B)
		return pb_report_ratio2(rep, a, s->ma, b, s->mb, out);
	if (!b || !pb_report_stat(rep, a->name, s->ma, &sa) ||
	    !pb_report_stat(rep, b->name, s->mb, &sb))
		return false;
	*out = (struct stats_summary){ .n = sa.n < sb.n ? sa.n : sb.n,
				       .min = sa.min - sb.max,
				       .median = sa.median - sb.median,
				       .max = sa.max - sb.min };
	return true;
}

static bool agrees(const struct fidelity_claim *cl, double c, double py)
{
	double r = py / c;

	switch (cl->kind) { /* a qualitative claim: the same side of it */
	case BELOW:
		return (c < cl->threshold) == (py < cl->threshold);
	case ABOVE:
		return (c > cl->threshold) == (py > cl->threshold);
	default:
		return c > 0 && py > 0 && r >= 0.8 && r <= 1.25;
	}
}

/* A one-value summary row of the CPython case: metric[_row]. */
static void one_row(struct pb_report *rep, const struct pb_case *pc, const char *metric,
		    const char *row, double v, const char *unit)
{
	struct stats_summary r = { .n = 1, .min = v, .median = v, .max = v };
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", metric, row ? "_" : "", row ? row : "");
	pb_report_row(rep, pc, NULL, name, r, unit);
}

void fidelity_judge(struct pb_report *rep, const struct fidelity_claim *cl, const char *row,
		    bool info)
{
	struct stats_summary c, py;
	const struct pb_case *cc, *pc;
	struct pb_finding *f;
	char id[96];
	bool ok, holds;

	if (!figure(rep, cl, &cl->c, &c, &cc) || !figure(rep, cl, &cl->py, &py, &pc))
		return;
	ok = agrees(cl, c.median, py.median);
	holds = cl->kind == CLOSE ||
		(cl->kind == BELOW ? c.median < cl->threshold : c.median > cl->threshold);
	snprintf(id, sizeof(id), "fidelity.%s", cl->id);
	f = pb_report_finding(rep, id, "%s", cl->text);
	pb_finding_figure(f, "C", c, cl->unit);
	pb_finding_figure(f, "CPython", py, cl->unit);
	pb_finding_value(f, "CPython/C", py.median / c.median, "x");
	if (info) {
		one_row(rep, pc, "fidelity_ratio", row ? row : "info", py.median / c.median, "x");
		pb_finding_verdict(f, "not judged", "%s", cl->why);
		return;
	}
	one_row(rep, pc, "fidelity_ratio", row, py.median / c.median, "x");
	one_row(rep, pc, "fidelity_agrees", row, ok, "flag");
	if (ok && holds)
		pb_finding_verdict(f, "agrees", NULL);
	else if (ok)
		pb_finding_verdict(f, "agrees",
				   "the claim does not hold on this run, on either side");
	else
		pb_finding_verdict(f, "differs", "%s%s", cl->why,
				   holds ? "" :
					   " (the claim does not hold on this run, on either side)");
}
