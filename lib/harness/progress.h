/* SPDX-License-Identifier: MIT */
/*
 * progress — what a person sees while a run goes on (progress.c): the
 * estimate of the time left, a progress line on a terminal, one line per
 * finished case, and at the end what the cases took beside the estimate.
 */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness_impl.h"
#include "output.h"

struct progress {
	FILE *human; /* case lines: stdout, or stderr when the CSV goes to stdout */
	bool tty;    /* stderr is a terminal: draw the progress line */
	int reps;    /* repetitions per case */
	uint64_t t0_ns;
	double est_total;		 /* the plan's estimate of the whole run, s */
	double est_started;		 /* ... of the repetitions started so far */
	size_t reps_started, reps_total; /* with --interleave a case ends only in
					  * the last round, so cases done would
					  * stand still */
	size_t cases_done;		 /* every repetition reported */
	int failed_cases;		 /* a repetition failed, or a write did */
	double *took_s;			 /* per case: what its repetitions took, s, from its
			 * case process's start to its last row */
};

/* One repetition of c as the plan estimates it (PB_EST_DEFAULT_S when the
 * experiment set none), plus the case process the harness forks for it. */
double progress_case_estimate(const struct pb_case *c);
/* Every repetition of every case of plan but those done[i] (done may be
 * NULL: --resume found none complete). */
double progress_plan_estimate(const struct pb_plan *plan, const bool *done, int reps);

/* From now on: the clock, the estimate, where case lines go. */
void progress_start(struct progress *p, const struct pb_plan *plan, const bool *done, FILE *human);
/* Repetition rep of c starts: the progress line with the time left. */
void progress_rep(struct progress *p, const struct pb_case *c, int rep);
void progress_clear(const struct progress *p);
/* Case idx has every repetition: count it, and print its line (median with
 * min…max of its key metric, noisy when max/min > 1.25, or why it failed). */
void progress_case_done(struct progress *p, const struct pb_report *rep, size_t idx,
			const struct output *o);
/* Repetition of case idx took seconds, case process included. */
void progress_rep_took(struct progress *p, size_t idx, double seconds);
/* What the cases took beside what the plan said, in all and per
 * experiment (suites[e] has exp_ncases[e] of the plan's cases, in order;
 * nreps[i]: the repetitions case i ran). */
void progress_report_time(const struct progress *p, const struct pb_plan *plan,
			  const struct pb_experiment *const *suites, const size_t *exp_ncases,
			  const int *nreps);
void progress_free(struct progress *p);

#endif
