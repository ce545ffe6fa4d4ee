/* SPDX-License-Identifier: MIT */
/*
 * summary — the end of a run: every experiment's summarize (derived rows
 * and findings from this run's numbers), then summary.csv (n / min /
 * median / max per case and metric, a status and a noisy row per case),
 * summary.md and findings.csv rendered from the same rows, and cases.csv
 * again with the derived rows' cases.
 */
#include "summary.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"

static void summary_row(FILE *f, const struct pb_report *rep, const struct pb_case *c,
			const char *metric, struct stats_summary s, const char *unit)
{
	struct csv_row row = output_case_row(rep->cfg, c);

	csv_case_columns(f, &row);
	csv_field(f, metric);
	fprintf(f, ",%zu,", s.n);
	csv_number(f, s.min);
	fputc(',', f);
	csv_number(f, s.median);
	fputc(',', f);
	csv_number(f, s.max);
	fputc(',', f);
	csv_field(f, unit);
	fputc('\n', f);
}

/* Noise is data: "noisy" (1 or 0) when the case's key metric spans more
 * than 25 % (max/min > 1.25) over its repetitions, as the case line says,
 * or when a repetition said so itself (a metric "noisy" of 1: a
 * calibration the machine's load swamped, counter.py). */
static void noisy_row(FILE *f, const struct pb_report *rep, size_t idx)
{
	const struct pb_case *c = &rep->plan->cases[idx];
	const char *metric = NULL;
	struct stats_summary s, said;
	double flag;

	for (int k = 0; k < rep->nreps[idx] && !metric; k++)
		if (!rep->reps[idx][k].failed)
			metric = rep_key_metric(&rep->reps[idx][k]);
	if (!metric || !pb_report_stat(rep, c->name, metric, &s))
		return;
	flag = s.n >= 2 && s.min > 0 && s.max / s.min > 1.25;
	if (pb_report_stat(rep, c->name, "noisy", &said) && said.max > 0)
		flag = 1;
	else if (s.n < 2)
		return;
	summary_row(f, rep, c, "noisy",
		    (struct stats_summary){ .n = s.n, .min = flag, .median = flag, .max = flag },
		    "flag");
}

/* Every metric of a case, in the order its repetitions first reported them. */
static void summarize_case(FILE *f, const struct pb_report *rep, size_t idx)
{
	const struct pb_case *c = &rep->plan->cases[idx];
	double status[1024];
	int n = rep->nreps[idx];

	for (int i = 0; i < n; i++) {
		const struct rep_result *res = &rep->reps[idx][i];

		for (size_t m = 0; m < res->nmetrics && !res->failed; m++) {
			const char *name = res->metrics[m].name;
			struct stats_summary s;
			bool seen = false;

			for (int j = 0; j < i && !seen; j++)
				for (size_t k = 0; k < rep->reps[idx][j].nmetrics; k++)
					seen = seen || (!rep->reps[idx][j].failed &&
							strcmp(rep->reps[idx][j].metrics[k].name,
							       name) == 0);
			if (!seen && strcmp(name, "noisy") != 0 &&
			    pb_report_stat(rep, c->name, name, &s))
				summary_row(f, rep, c, name, s, res->metrics[m].unit);
		}
	}
	for (int i = 0; i < n && i < 1024; i++)
		status[i] = rep->reps[idx][i].failed;
	/* the share of its repetitions that failed: 0 on a clean case */
	summary_row(f, rep, c, "status", stats_summarize(status, (size_t)(n < 1024 ? n : 1024)),
		    "fraction_failed");
	noisy_row(f, rep, idx);
}

static void write_summary_md(const struct pb_report *rep, const struct summary_meta *meta,
			     const char *path)
{
	const struct pb_config *cfg = rep->cfg;
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# parbench run on %s\n\n", cfg->machine);
	fprintf(f, "CPU: %s; %d PUs; profile %s; pin %s; %d repetitions per case.\n\n",
		meta->cpu ? meta->cpu : topo_cpu_model(cfg->topo), meta->pus ? meta->pus : cfg->pus,
		pb_profile_name(cfg->profile), pin_policy_name(cfg->pin), cfg->reps);
	fprintf(f, "| case | metric | median | min | max | n |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < rep->plan->n; i++) {
		const char *metric = NULL;
		struct stats_summary s;

		for (int k = 0; k < rep->nreps[i] && !metric; k++)
			if (!rep->reps[i][k].failed)
				metric = rep_key_metric(&rep->reps[i][k]);
		if (metric && pb_report_stat(rep, rep->plan->cases[i].name, metric, &s))
			fprintf(f, "| %s | %s | %.4g | %.4g | %.4g | %zu |\n",
				rep->plan->cases[i].name, metric, s.median, s.min, s.max, s.n);
		for (int k = 0; k < rep->nreps[i]; k++)
			if (rep->reps[i][k].failed)
				fprintf(f, "| %s | FAILED rep %d | %s | | | |\n",
					rep->plan->cases[i].name, k, rep->reps[i][k].reason);
	}
	findings_write_md(rep, f);
	fclose(f);
}

/* Returns -1 when findings.csv could not be written whole. */
static int write_findings_csv(const struct pb_report *rep, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	findings_write_csv(rep, f);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "parbench: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

/* summary.csv: the metadata, then every case's rows, then the derived rows. */
static int write_summary_csv(const struct pb_report *rep, const struct output *out,
			     const struct summary_meta *meta, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (meta->text) /* read back from raw.csv: the run's own */
		fputs(meta->text, f);
	else
		output_write_metadata(out, f);
	fprintf(f, "%s\n", CSV_SUMMARY_HEADER);
	for (size_t i = 0; i < rep->plan->n; i++)
		if (rep->nreps[i] > 0)
			summarize_case(f, rep, i);
	for (size_t i = 0; i < rep->nrows; i++)
		summary_row(f, rep, &rep->rows[i].c, rep->rows[i].metric, rep->rows[i].s,
			    rep->rows[i].unit);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "parbench: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

int summary_write(struct pb_report *rep, const struct pb_experiment *const *suites,
		  const struct output *out, const struct summary_meta *meta, FILE *human)
{
	char path[600];
	int rc = 0;

	lifeline_test_stall("summary");
	for (const struct pb_experiment *const *s = suites; *s; s++) {
		rep->experiment = (*s)->name;
		if ((*s)->summarize)
			(*s)->summarize(rep);
	}
	rep->experiment = NULL;
	if (out->dir[0]) {
		snprintf(path, sizeof(path), "%s/summary.csv", out->dir);
		rc = write_summary_csv(rep, out, meta, path);
		snprintf(path, sizeof(path), "%s/summary.md", out->dir);
		write_summary_md(rep, meta, path);
		snprintf(path, sizeof(path), "%s/findings.csv", out->dir);
		rc |= write_findings_csv(rep, path);
		/* again, now with the derived rows' cases */
		snprintf(path, sizeof(path), "%s/cases.csv", out->dir);
		if (cases_csv_write(path, rep->plan, rep, rep->cfg) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < rep->nfindings; i++) {
		fputs("* ", human);
		finding_render(rep->findings[i], human);
		fputc('\n', human);
	}
	return rc;
}
