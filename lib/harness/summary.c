/* SPDX-License-Identifier: MIT */
/*
 * summary — what a person reads: the progress line, one line per finished
 * case (median with min…max, noisy when max/min > 1.25), and at the end
 * summary.csv, summary.md and findings.csv with every experiment's derived
 * rows and findings.
 */
#include "run_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"

/* ---- progress, on stderr when it is a terminal ---- */

double run_case_estimate(const struct pb_case *c)
{
	return (c->est_s > 0 ? c->est_s : PB_EST_DEFAULT_S) + (c->in_process ? 0.0 : PB_EST_CASE_S);
}

double run_plan_estimate(const struct run *r)
{
	double total = 0;

	for (size_t i = 0; i < r->plan.n; i++)
		if (!(r->done && r->done[i]))
			total += run_case_estimate(&r->plan.cases[i]) * r->reps;
	return total;
}

/* Time left: what the plan estimates for the repetitions not yet started,
 * scaled by how this machine has kept to the estimate so far. */
void run_progress(struct run *r, const struct pb_case *c, int rep)
{
	double elapsed = (double)(clock_now_ns() - r->t0_ns) / 1e9;
	double before = r->est_started, s;
	char left[32] = "?";

	r->est_started += run_case_estimate(c);
	r->reps_started++;
	if (!r->tty)
		return;
	if (!r->reps_total) /* the repetitions this run has to do (--resume: fewer) */
		for (size_t i = 0; i < r->plan.n; i++)
			r->reps_total += r->done && r->done[i] ? 0 : (size_t)r->reps;
	if (before > 0 && elapsed > 0) {
		s = (r->est_total - before) * (elapsed / before);
		snprintf(left, sizeof(left), "~%d:%02d", (int)s / 60, (int)s % 60);
	}
	fprintf(stderr, "\r\033[K[%zu/%zu reps] %s  rep %d/%d  elapsed %d:%02d  left %s",
		r->reps_started, r->reps_total, c->name, rep + 1, r->reps, (int)elapsed / 60,
		(int)elapsed % 60, left);
	fflush(stderr);
}

void run_progress_clear(const struct run *r)
{
	if (r->tty)
		fputs("\r\033[K", stderr);
}

static const char *key_metric(const struct rep_result *res)
{
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "wall_s") == 0)
			return "wall_s";
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "iteration_ns") == 0)
			return "iteration_ns";
	return res->nmetrics ? res->metrics[0].name : NULL;
}

void run_print_case_line(struct run *r, size_t idx)
{
	const struct pb_case *c = &r->plan.cases[idx];
	const struct rep_result *reps = r->report.reps[idx];
	int n = r->report.nreps[idx], failed = 0, skipped = 0, hung = 0;
	const char *metric = NULL, *why = "";
	struct stats_summary s;

	for (int i = 0; i < n; i++) {
		if (reps[i].failed || reps[i].skipped) {
			*(reps[i].failed ? &failed : &skipped) += 1;
			why = reps[i].reason;
		} else if (!metric) {
			metric = key_metric(&reps[i]);
		}
		if (reps[i].hung) {
			hung++;
			why = reps[i].reason;
		}
	}
	run_progress_clear(r);
	if (failed) {
		fprintf(r->human, "FAIL %s: %d of %d repetitions failed: %s\n", c->name, failed, n,
			why);
	} else if (skipped) {
		fprintf(r->human, "skip %s: %s\n", c->name, why);
	} else if (hung) {
		fprintf(r->human, "hung %s: %d of %d repetitions, as expected: %s\n", c->name, hung,
			n, why);
	} else if (metric && pb_report_stat(&r->report, c->name, metric, &s)) {
		fprintf(r->human, "ok   %-56s %s %.4g %s (%.4g … %.4g, n=%zu)%s\n", c->name, metric,
			s.median, run_unit_of(r, metric), s.min, s.max, s.n,
			s.min > 0 && s.max / s.min > 1.25 ? "  noisy" : "");
	} else {
		fprintf(r->human, "ok   %s\n", c->name);
	}
	fflush(r->human);
}

/* ---- the summary ---- */

static void summary_row(FILE *f, const struct run *r, const struct pb_case *c, const char *metric,
			struct stats_summary s, const char *unit)
{
	struct csv_row row = run_case_row(r, c);

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
static void noisy_row(FILE *f, struct run *r, size_t idx)
{
	const struct pb_case *c = &r->plan.cases[idx];
	const char *metric = NULL;
	struct stats_summary s, said;
	double flag;

	for (int k = 0; k < r->report.nreps[idx] && !metric; k++)
		if (!r->report.reps[idx][k].failed)
			metric = key_metric(&r->report.reps[idx][k]);
	if (!metric || !pb_report_stat(&r->report, c->name, metric, &s))
		return;
	flag = s.n >= 2 && s.min > 0 && s.max / s.min > 1.25;
	if (pb_report_stat(&r->report, c->name, "noisy", &said) && said.max > 0)
		flag = 1;
	else if (s.n < 2)
		return;
	summary_row(f, r, c, "noisy",
		    (struct stats_summary){ .n = s.n, .min = flag, .median = flag, .max = flag },
		    "flag");
}

/* Every metric of a case, in the order its repetitions first reported them. */
static void summarize_case(FILE *f, struct run *r, size_t idx)
{
	const struct pb_case *c = &r->plan.cases[idx];
	double status[1024];
	int n = r->report.nreps[idx];

	for (int i = 0; i < n; i++) {
		const struct rep_result *res = &r->report.reps[idx][i];

		for (size_t m = 0; m < res->nmetrics && !res->failed; m++) {
			const char *name = res->metrics[m].name;
			struct stats_summary s;
			bool seen = false;

			for (int j = 0; j < i && !seen; j++)
				for (size_t k = 0; k < r->report.reps[idx][j].nmetrics; k++)
					seen = seen ||
					       (!r->report.reps[idx][j].failed &&
						strcmp(r->report.reps[idx][j].metrics[k].name,
						       name) == 0);
			if (!seen && strcmp(name, "noisy") != 0 &&
			    pb_report_stat(&r->report, c->name, name, &s))
				summary_row(f, r, c, name, s, res->metrics[m].unit);
		}
	}
	for (int i = 0; i < n && i < 1024; i++)
		status[i] = r->report.reps[idx][i].failed;
	/* the share of its repetitions that failed: 0 on a clean case */
	summary_row(f, r, c, "status", stats_summarize(status, (size_t)(n < 1024 ? n : 1024)),
		    "fraction_failed");
	noisy_row(f, r, idx);
}

static void write_summary_md(struct run *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# parbench run on %s\n\n", r->cfg.machine);
	fprintf(f, "CPU: %s; %d PUs; profile %s; pin %s; %d repetitions per case.\n\n",
		r->meta_cpu ? r->meta_cpu : topo_cpu_model(r->cfg.topo),
		r->meta_pus ? r->meta_pus : r->cfg.pus, pb_profile_name(r->cfg.profile),
		pin_policy_name(r->cfg.pin), r->reps);
	fprintf(f, "| case | metric | median | min | max | n |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->plan.n; i++) {
		const char *metric = NULL;
		struct stats_summary s;

		for (int k = 0; k < r->report.nreps[i] && !metric; k++)
			if (!r->report.reps[i][k].failed)
				metric = key_metric(&r->report.reps[i][k]);
		if (metric && pb_report_stat(&r->report, r->plan.cases[i].name, metric, &s))
			fprintf(f, "| %s | %s | %.4g | %.4g | %.4g | %zu |\n",
				r->plan.cases[i].name, metric, s.median, s.min, s.max, s.n);
		for (int k = 0; k < r->report.nreps[i]; k++)
			if (r->report.reps[i][k].failed)
				fprintf(f, "| %s | FAILED rep %d | %s | | | |\n",
					r->plan.cases[i].name, k, r->report.reps[i][k].reason);
	}
	findings_write_md(&r->report, f);
	fclose(f);
}

/* Returns -1 when findings.csv could not be written whole. */
static int write_findings_csv(struct run *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	findings_write_csv(&r->report, f);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "parbench: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

/* Returns -1 when summary.csv or findings.csv could not be written whole. */
int run_write_summary(struct run *r, const char *started, int argc, char **argv)
{
	char path[600];
	FILE *f = NULL;
	int rc = 0;

	lifeline_test_stall("summary");
	for (const struct pb_experiment *const *s = r->suites; *s; s++) {
		r->report.experiment = (*s)->name;
		if ((*s)->summarize)
			(*s)->summarize(&r->report);
	}
	r->report.experiment = NULL;
	if (r->dir[0]) {
		snprintf(path, sizeof(path), "%s/summary.csv", r->dir);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
			rc = -1;
		}
	}
	if (f) {
		if (r->meta_text) /* read back from raw.csv: the run's own */
			fputs(r->meta_text, f);
		else
			run_write_metadata(r, f, started, argc, argv);
		fprintf(f, "%s\n", CSV_SUMMARY_HEADER);
		for (size_t i = 0; i < r->plan.n; i++)
			if (r->report.nreps[i] > 0)
				summarize_case(f, r, i);
		for (size_t i = 0; i < r->report.nrows; i++)
			summary_row(f, r, &r->report.rows[i].c, r->report.rows[i].metric,
				    r->report.rows[i].s, r->report.rows[i].unit);
		if (ferror(f) | fclose(f)) {
			fprintf(stderr, "parbench: writing %s failed\n", path);
			rc = -1;
		}
		snprintf(path, sizeof(path), "%s/summary.md", r->dir);
		write_summary_md(r, path);
		snprintf(path, sizeof(path), "%s/findings.csv", r->dir);
		rc |= write_findings_csv(r, path);
		/* again, now with the derived rows' cases */
		snprintf(path, sizeof(path), "%s/cases.csv", r->dir);
		if (cases_csv_write(path, &r->plan, &r->report, &r->cfg) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < r->report.nfindings; i++) {
		fputs("* ", r->human);
		finding_render(r->report.findings[i], r->human);
		fputc('\n', r->human);
	}
	return rc;
}
