/* SPDX-License-Identifier: MIT */
/*
 * The run as one whole, for the three files that drive it: run.c (options,
 * plan, the order of things), repetition.c (google-benchmark's side) and
 * interrupt.c. Each part of the state is owned by the file that uses it
 * (output.h, progress.h, resume.h) and reached through its calls. Not for
 * bench/.
 */
#ifndef PB_RUN_IMPL_H
#define PB_RUN_IMPL_H

#include "cli.h"
#include "harness_impl.h"
#include "output.h"
#include "progress.h"
#include "resume.h"
#include "runner.h"

struct run {
	struct pb_options opt;
	struct pb_config cfg; /* cfg.reps: repetitions per case */
	const struct pb_experiment *const *suites;
	struct pb_plan plan;
	size_t *exp_ncases; /* per registry row: how many of its cases the plan kept */
	struct pb_report report;
	struct output out;    /* run directory, metadata, raw.csv */
	struct progress prog; /* progress line, case lines, cases done and failed */
	struct resume resume; /* --resume, --summarize: what raw.csv held */
};

/* repetition.c: the cases registered with google-benchmark (the slots to
 * free after the run; NULL when out of memory) and the reporter's callback. */
struct slot;
struct slot *run_register_cases(struct run *r, size_t *nrun);
struct gb_run;
void run_on_run(const struct gb_run *run, void *arg);
/* Case j of round k in the order the repetitions run (reversed every other
 * round under --interleave). */
size_t run_round_case(const struct run *r, int k, size_t j);
/* After the run: an interrupt that cut no repetition still ends raw.csv with
 * an "interrupted" status row (interrupt.c). */
void run_record_interrupt(struct run *r);

#endif
