/* SPDX-License-Identifier: MIT */
/*
 * findings — what the summaries conclude, kept as data: a finding is a
 * stable id, a claim in words, its figures and an optional verdict.
 * findings.csv is written from them, and summary.md's findings and the end
 * of the run's output are renderings of the same rows, so a tool reads the
 * figures from the CSV and never parses the prose back.
 */
#include "harness_impl.h"
#include "csv.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *must(void *p)
{
	if (!p) {
		perror("parbench: out of memory");
		exit(1);
	}
	return p;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		must(NULL);
	return s;
}

static bool id_taken(const struct pb_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i]->id, id) == 0)
			return true;
	return false;
}

/* "<experiment>.<id>", made unique by "_2", "_3" ... */
static char *full_id(const struct pb_report *rep, const char *exp, const char *id)
{
	char *s = NULL;

	for (int k = 1; !s || id_taken(rep, s); k++) {
		free(s);
		if ((k == 1 ? asprintf(&s, "%s.%s", exp, id) :
			      asprintf(&s, "%s.%s_%d", exp, id, k)) < 0)
			must(NULL);
	}
	return s;
}

static struct pb_finding *add_finding(struct pb_report *rep, const char *id, char *claim)
{
	const char *exp = rep->experiment ? rep->experiment : "-";
	struct pb_finding *f = must(calloc(1, sizeof(*f)));

	f->experiment = must(strdup(exp));
	f->id = full_id(rep, exp, id);
	f->claim = claim;
	rep->findings = must(realloc(rep->findings, (rep->nfindings + 1) * sizeof(*rep->findings)));
	rep->findings[rep->nfindings++] = f;
	return f;
}

struct pb_finding *pb_report_finding(struct pb_report *rep, const char *id, const char *fmt, ...)
{
	va_list ap;
	char *claim;

	va_start(ap, fmt);
	claim = vformat(fmt, ap);
	va_end(ap);
	return add_finding(rep, id, claim);
}

void pb_report_note(struct pb_report *rep, const char *fmt, ...)
{
	const char *exp = rep->experiment ? rep->experiment : "-";
	char id[32];
	size_t n = 1;
	va_list ap;
	char *claim;

	va_start(ap, fmt);
	claim = vformat(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < rep->nfindings; i++)
		n += rep->findings[i]->note && strcmp(rep->findings[i]->experiment, exp) == 0;
	snprintf(id, sizeof(id), "note%zu", n);
	add_finding(rep, id, claim)->note = true;
}

void pb_finding_figure(struct pb_finding *f, const char *name, struct stats_summary s,
		       const char *unit)
{
	struct finding_figure *g;

	f->figs = must(realloc(f->figs, (f->nfigs + 1) * sizeof(*f->figs)));
	g = &f->figs[f->nfigs++];
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->unit, sizeof(g->unit), "%s", unit ? unit : "");
	g->s = s;
}

void pb_finding_value(struct pb_finding *f, const char *name, double v, const char *unit)
{
	pb_finding_figure(f, name,
			  (struct stats_summary){ .n = 1, .min = v, .median = v, .max = v }, unit);
}

bool pb_finding_stat(struct pb_finding *f, const struct pb_report *rep, const struct pb_case *c,
		     const char *name, const char *metric, const char *unit)
{
	struct stats_summary s;

	if (!c || !pb_report_stat(rep, c->name, metric, &s))
		return false;
	pb_finding_figure(f, name, s, unit);
	return true;
}

void pb_finding_verdict(struct pb_finding *f, const char *verdict, const char *why, ...)
{
	va_list ap;

	free(f->verdict);
	free(f->reason);
	f->verdict = must(strdup(verdict ? verdict : ""));
	f->reason = NULL;
	if (why) {
		va_start(ap, why);
		f->reason = vformat(why, ap);
		va_end(ap);
	}
}

void findings_free(struct pb_report *rep)
{
	for (size_t i = 0; i < rep->nfindings; i++) {
		struct pb_finding *f = rep->findings[i];

		free(f->experiment);
		free(f->id);
		free(f->claim);
		free(f->verdict);
		free(f->reason);
		free(f->figs);
		free(f);
	}
	free(rep->findings);
	rep->findings = NULL;
	rep->nfindings = 0;
}

/* ---- renderings ---- */

/* %.4g, whole numbers from 10^4 up (59683 ns, not 5.968e+04), NaN and
 * the infinities spelled as Python spells them (glibc may write "-nan"):
 * scripts/findings.py renders the CSV the same way. */
static void number(FILE *out, double v)
{
	if (isnan(v))
		fputs("nan", out);
	else if (isinf(v))
		fputs(v > 0 ? "inf" : "-inf", out);
	else if (fabs(v) >= 1e4 && fabs(v) < 1e15)
		fprintf(out, "%.0f", v);
	else
		fprintf(out, "%.4g", v);
}

/* "x" is written against the number (1.93x), any other unit after a space. */
static void figure_render(const struct finding_figure *g, FILE *out)
{
	const char *sep = strcmp(g->unit, "x") == 0 || !g->unit[0] ? "" : " ";

	fprintf(out, "%s ", g->name);
	number(out, g->s.median);
	fprintf(out, "%s%s", sep, g->unit);
	if (g->s.n > 1) {
		fputs(" (", out);
		number(out, g->s.min);
		fputs("–", out);
		number(out, g->s.max);
		fprintf(out, ", n=%zu)", g->s.n);
	}
}

void finding_render(const struct pb_finding *f, FILE *out)
{
	bool verdict = f->verdict && f->verdict[0], reason = f->reason && f->reason[0];

	fputs(f->claim, out);
	for (size_t i = 0; i < f->nfigs; i++) {
		fputs(i ? "; " : ": ", out);
		figure_render(&f->figs[i], out);
	}
	if (verdict || reason)
		fputs(" — ", out);
	if (verdict)
		fputs(f->verdict, out);
	if (verdict && reason)
		fputs(": ", out);
	if (reason)
		fputs(f->reason, out);
}

void findings_write_md(const struct pb_report *rep, FILE *f)
{
	if (rep->nfindings)
		fprintf(f, "\n## Findings\n\n");
	for (size_t i = 0; i < rep->nfindings; i++) {
		fputs("- ", f);
		finding_render(rep->findings[i], f);
		fputc('\n', f);
	}
}

/* One row: the finding's columns, then the figure's (empty when g is NULL). */
static void csv_finding_row(FILE *f, const struct pb_finding *x, const struct finding_figure *g)
{
	csv_field(f, x->experiment);
	fputc(',', f);
	csv_field(f, x->id);
	fputc(',', f);
	csv_field(f, x->claim);
	fputc(',', f);
	if (g) {
		csv_field(f, g->name);
		fputc(',', f);
		csv_number(f, g->s.median);
		fputc(',', f);
		csv_number(f, g->s.min);
		fputc(',', f);
		csv_number(f, g->s.max);
		fprintf(f, ",%zu,", g->s.n);
		csv_field(f, g->unit);
	} else {
		fputs(",,,,,", f);
	}
	fputc(',', f);
	csv_field(f, x->verdict);
	fputc(',', f);
	csv_field(f, x->reason);
	fputc('\n', f);
}

void findings_write_csv(const struct pb_report *rep, FILE *f)
{
	csv_meta(f, "schema_version", "%d", CSV_FINDINGS_SCHEMA_VERSION);
	fprintf(f, "%s\n", CSV_FINDINGS_HEADER);
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct pb_finding *x = rep->findings[i];

		if (!x->nfigs)
			csv_finding_row(f, x, NULL);
		for (size_t k = 0; k < x->nfigs; k++)
			csv_finding_row(f, x, &x->figs[k]);
	}
}
