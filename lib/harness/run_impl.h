/* SPDX-License-Identifier: MIT */
/*
 * The run's insides, shared by run.c (options, plan, google-benchmark),
 * output.c (run directory, metadata, raw rows) and summary.c (progress,
 * case lines, summary.csv and summary.md). Not for bench/.
 */
#ifndef PB_RUN_IMPL_H
#define PB_RUN_IMPL_H

#include <stdio.h>

#include "cli.h"
#include "csv.h"
#include "harness_impl.h"
#include "runner.h"

/* Everything one run needs; one instance, passed to the callbacks. */
struct run {
	struct pb_options opt;
	struct pb_config cfg;
	struct pb_plan plan;
	size_t *exp_ncases; /* per registry row: how many of its cases the plan kept */
	struct pb_report report;
	const struct pb_experiment *const *suites;
	char dir[512]; /* run directory, "" with --csv */
	FILE *csv;     /* raw rows */
	size_t cases_done, cases_total;
	int reps; /* repetitions per case */
	int failed_cases;
	bool write_failed; /* the first failed write stopped the run */
	bool cut_written;  /* an "interrupted" status row is in the CSV */
	/* --resume / --summarize: read back from raw.csv (resume.c) */
	char *meta_text;      /* raw.csv's metadata lines, for the summary */
	const char *meta_cpu; /* its cpu_model */
	int meta_pus;	      /* its pus */
	double load_start[3]; /* load average before the run (noise.c) */
	double busy_start;    /* PUs' busy share in the half second before it; -1 unknown */
	bool *got;	      /* [case * reps + rep]: its status row was read */
	bool *done;	      /* per case: complete in raw.csv; NULL in a fresh run */
	char *kept[16];	      /* strings the options point into */
	size_t nkept;
	uint64_t t0_ns; /* for the progress estimate */
	size_t reps_done;
	double est_total;		 /* the plan's estimate of the whole run, s */
	double est_started;		 /* ... of the repetitions started so far */
	double *took_s;			 /* per case: what its repetitions took, s, case
					  * process and workers' start included */
	size_t reps_started, reps_total; /* for the progress line: with
					  * --interleave a case ends only in the
					  * last round, so cases done would
					  * stand still */
	bool tty;
	FILE *human;		/* case lines: stdout, or stderr when the CSV goes to stdout */
	char units[256][2][64]; /* metric name -> unit, for the CSV */
	int nunits;
};

void run_remember_unit(struct run *r, const char *metric, const char *unit);
const char *run_unit_of(const struct run *r, const char *metric);
const char *run_case_pin(const struct run *r, const struct pb_case *c);
void run_write_metadata(const struct run *r, FILE *f, const char *started, int argc, char **argv);
int run_write_rep(struct run *r, const struct pb_case *c, int rep, const struct rep_result *res);
/* repetition.c: the cases registered with google-benchmark (the slots to
 * free after the run; NULL when out of memory) and the reporter's callback. */
struct slot;
struct slot *run_register_cases(struct run *r, size_t *nrun);
struct gb_run;
void run_on_run(const struct gb_run *run, void *arg);
/* A new repetition result of case idx in the report (repetition.c). */
struct rep_result *run_new_rep(struct run *r, size_t idx);
/* Case j of round k in the order the repetitions run (reversed every other
 * round under --interleave). */
size_t run_round_case(const struct run *r, int k, size_t j);
/* After the run: an interrupt that cut no repetition still ends raw.csv with
 * an "interrupted" status row (interrupt.c). */
void run_record_interrupt(struct run *r);
int run_flush_csv(struct run *r);
void run_finish(struct run *r, const char *started, int argc, char **argv);
int run_write_failed(struct run *r);
int run_plan_outputs(struct run *r, const char *stamp);
int run_open_outputs(struct run *r);
void run_list_outputs(const struct run *r);
/* registry.c: --list, and experiments.csv in the run directory */
void run_list_plan(const struct run *r);
int run_write_experiments(const struct run *r);
void run_progress(struct run *r, const struct pb_case *c, int rep);
void run_progress_clear(const struct run *r);
/* At the end: what the cases took beside the plan's estimate, in all and
 * per experiment, so that a budget that slipped shows where. */
void run_report_time(const struct run *r);
void run_print_case_line(struct run *r, size_t idx);
int resume_setup(struct run *r, char *err, size_t errlen);
int resume_load(struct run *r, char *err, size_t errlen);
int resume_open(struct run *r);
void run_noise_meta(FILE *f, const struct run *r);
void run_noise_start(struct run *r);
void run_noise_end(const struct run *r);
int run_summarize(struct run *r, int argc, char **argv);
void run_alloc_report(struct run *r);
int run_write_summary(struct run *r, const char *started, int argc, char **argv);

/* The columns that describe case c in raw.csv and summary.csv, machine to
 * pin (rep, metric, value and unit left for the caller). */
struct csv_row run_case_row(const struct run *r, const struct pb_case *c);
/* One repetition of c as the plan estimates it (PB_EST_DEFAULT_S when the
 * experiment set none), plus the case process the harness forks for it. */
double run_case_estimate(const struct pb_case *c);
/* Every repetition of every case this run will run (not those --resume
 * found complete). */
double run_plan_estimate(const struct run *r);

#endif
