/* SPDX-License-Identifier: MIT */
/*
 * progress — what a person reads while a run goes on: the progress line
 * on stderr when it is a terminal, one line per finished case (median with
 * min…max, noisy when max/min > 1.25), and what the cases took beside the
 * plan's estimate.
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

double progress_case_estimate(const struct pb_case *c)
{
	return (c->est_s > 0 ? c->est_s : PB_EST_DEFAULT_S) + (c->in_process ? 0.0 : PB_EST_CASE_S);
}

double progress_plan_estimate(const struct pb_plan *plan, const bool *done, int reps)
{
	double total = 0;

	for (size_t i = 0; i < plan->n; i++)
		if (!(done && done[i]))
			total += progress_case_estimate(&plan->cases[i]) * reps;
	return total;
}

void progress_start(struct progress *p, const struct pb_plan *plan, const bool *done, FILE *human)
{
	p->human = human;
	p->tty = isatty(STDERR_FILENO);
	p->t0_ns = clock_now_ns();
	p->est_total = progress_plan_estimate(plan, done, p->reps);
	p->reps_total = 0; /* the repetitions this run has to do (--resume: fewer) */
	for (size_t i = 0; i < plan->n; i++)
		p->reps_total += done && done[i] ? 0 : (size_t)p->reps;
	p->took_s = calloc(plan->n + 1, sizeof(*p->took_s)); /* NULL: no per-experiment line */
}

/* Time left: what the plan estimates for the repetitions not yet started,
 * scaled by how this machine has kept to the estimate so far. */
void progress_rep(struct progress *p, const struct pb_case *c, int rep)
{
	double elapsed = (double)(clock_now_ns() - p->t0_ns) / 1e9;
	double before = p->est_started, s;
	char left[32] = "?";

	p->est_started += progress_case_estimate(c);
	p->reps_started++;
	if (!p->tty)
		return;
	if (before > 0 && elapsed > 0) {
		s = (p->est_total - before) * (elapsed / before);
		snprintf(left, sizeof(left), "~%d:%02d", (int)s / 60, (int)s % 60);
	}
	fprintf(stderr, "\r\033[K[%zu/%zu reps] %s  rep %d/%d  elapsed %d:%02d  left %s",
		p->reps_started, p->reps_total, c->name, rep + 1, p->reps, (int)elapsed / 60,
		(int)elapsed % 60, left);
	fflush(stderr);
}

void progress_clear(const struct progress *p)
{
	if (p->tty)
		fputs("\r\033[K", stderr);
}

static void print_case_line(const struct progress *p, const struct pb_report *rep, size_t idx,
			    const struct output *o)
{
	const struct pb_case *c = &rep->plan->cases[idx];
	const struct rep_result *reps = rep->reps[idx];
	int n = rep->nreps[idx], failed = 0, skipped = 0, hung = 0;
	const char *metric = NULL, *why = "";
	struct stats_summary s;

	for (int i = 0; i < n; i++) {
		if (reps[i].failed || reps[i].skipped) {
			*(reps[i].failed ? &failed : &skipped) += 1;
			why = reps[i].reason;
		} else if (!metric) {
			metric = rep_key_metric(&reps[i]);
		}
		if (reps[i].hung) {
			hung++;
			why = reps[i].reason;
		}
	}
	progress_clear(p);
	if (failed) {
		fprintf(p->human, "FAIL %s: %d of %d repetitions failed: %s\n", c->name, failed, n,
			why);
	} else if (skipped) {
		fprintf(p->human, "skip %s: %s\n", c->name, why);
	} else if (hung) {
		fprintf(p->human, "hung %s: %d of %d repetitions, as expected: %s\n", c->name, hung,
			n, why);
	} else if (metric && pb_report_stat(rep, c->name, metric, &s)) {
		fprintf(p->human, "ok   %-56s %s %.4g %s (%.4g … %.4g, n=%zu)%s\n", c->name, metric,
			s.median, output_unit_of(o, metric), s.min, s.max, s.n,
			s.min > 0 && s.max / s.min > 1.25 ? "  noisy" : "");
	} else {
		fprintf(p->human, "ok   %s\n", c->name);
	}
	fflush(p->human);
}

void progress_case_done(struct progress *p, const struct pb_report *rep, size_t idx,
			const struct output *o)
{
	p->cases_done++;
	for (int i = 0; i < rep->nreps[idx]; i++)
		if (rep->reps[idx][i].failed) {
			p->failed_cases++;
			break;
		}
	print_case_line(p, rep, idx, o);
}

void progress_rep_took(struct progress *p, size_t idx, double seconds)
{
	if (p->took_s)
		p->took_s[idx] += seconds;
}

void progress_free(struct progress *p)
{
	free(p->took_s);
	p->took_s = NULL;
}

/* One experiment's "name took/estimated" on the per-experiment lines,
 * wrapped at about 100 columns: the repetitions it ran, and the estimate
 * of those only (a cut-short run compares what ran). */
static int report_experiment(const struct progress *p, const struct pb_plan *plan, const char *name,
			     size_t from, size_t n, const int *nreps, int col)
{
	double took = 0, est = 0;
	int w;

	for (size_t i = from; i < from + n; i++) {
		took += p->took_s[i];
		est += progress_case_estimate(&plan->cases[i]) * nreps[i];
	}
	if (took < 0.05 && est < 0.05)
		return col;
	if (col > 90) {
		fputs("\n ", stderr);
		col = 1;
	}
	w = fprintf(stderr, " %s %.1f/%.1f", name, took, est);
	return col + (w > 0 ? w : 0);
}

/* The estimate kept honest: what the cases took beside what the plan said
 * (--list prints the same estimate), so a budget that slipped shows, and
 * where: the same per experiment. */
void progress_report_time(const struct progress *p, const struct pb_plan *plan,
			  const struct pb_experiment *const *suites, const size_t *exp_ncases,
			  const int *nreps)
{
	double took = (double)(clock_now_ns() - p->t0_ns) / 1e9;
	size_t from = 0;
	int col;

	if (pb_interrupted || p->est_total <= 0)
		return;
	fprintf(stderr, "parbench: the cases took %d:%02d, estimated %d:%02d (%+.0f %%)\n",
		(int)took / 60, (int)took % 60, (int)p->est_total / 60, (int)p->est_total % 60,
		100 * (took / p->est_total - 1));
	if (!p->took_s)
		return;
	col = fprintf(stderr, "parbench: per experiment, took/estimated s:");
	for (size_t e = 0; suites[e]; e++) {
		col = report_experiment(p, plan, suites[e]->name, from, exp_ncases[e], nreps, col);
		from += exp_ncases[e];
	}
	fputc('\n', stderr);
}
