/* SPDX-License-Identifier: MIT */
/* The harness's insides: the plan, a repetition's result, the case
 * process, the report a summary reads and its findings; shared by the
 * harness's files, not for bench/. */
#ifndef PB_HARNESS_IMPL_H
#define PB_HARNESS_IMPL_H

#include <signal.h>
#include <stdio.h>

#include "clock.h"
#include "gbshim.h"
#include "harness.h"

struct pb_plan {
	struct pb_case *cases;
	size_t n, cap;
};
void plan_free(struct pb_plan *plan);
/* The table of the experiment whose plan function runs now (NULL after
 * it): pb_case_set and its kin check every name against it. */
void plan_declare(const struct pb_param_decl *table);
/* Add e's cases to plan, checked against e's table (which it must have). */
void plan_experiment(struct pb_plan *plan, const struct pb_experiment *e,
		     const struct pb_config *cfg);

struct metric_value {
	char name[64];
	char unit[48];
	double value;
};

/* What one repetition of a case produced. */
struct rep_result {
	bool failed;
	bool skipped; /* pb_skip: reason says why; no metrics count */
	bool hung;    /* stopped by the watchdog as its case expected (hang_expected): reason */
	char reason[256];
	double time_s; /* the case's measured time (wall_s), or NAN */
	long seq;      /* when it ended: its place among the run's repetitions (raw.csv's
			* order of status rows), from 0; for pb_report_paired's distances */
	struct metric_value *metrics;
	size_t nmetrics, cap;
};
void rep_result_add(struct rep_result *r, const char *name, double value, const char *unit);
/* The repetition failed: the first reason given is kept. */
void rep_result_fail(struct rep_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rep_result_free(struct rep_result *r);

/* caseproc.c: run one repetition of an isolated case in a case process of its own,
 * stopping it after budget_s. Never leaves a process, zombie or named IPC
 * object behind. */
void caseproc_run(const struct pb_config *cfg, const struct pb_case *c, double budget_s,
		  struct rep_result *out);
/* The case process's side (harness.c): run c, send its lines on fd, and
 * leave with _exit. */
void case_child_main(const struct pb_config *cfg, const struct pb_case *c, int fd, pid_t parent)
	__attribute__((noreturn));
/* Run one in-process case under google-benchmark's state st. */
void inproc_run(const struct pb_config *cfg, const struct pb_case *c, gb_state *st,
		struct rep_result *out);

/* Set by SIGINT/SIGTERM: stop the case in flight and skip the rest. */
extern volatile sig_atomic_t pb_interrupted;
/* lifeline.c: every process of the run dies with parbench. */
int lifeline_start(void);	    /* the guard; -1 when it could not start */
void lifeline_stop(void);	    /* end the guard at a normal exit */
void lifeline_set_case(pid_t pgid); /* the case group in flight (0: none) */
void lifeline_child(pid_t parent);  /* first thing in a case process */
void lifeline_kill_case(void);	    /* async-signal-safe: kill the case in flight */
int lifeline_sweep(void);
void lifeline_signals(void);
/* PARBENCH_TEST_STALL=POINT[:N]: at the Nth (default 1st) pass through
 * POINT, say so on stderr and wait (5 s at most) for a signal, so that a
 * test sends a real one at a moment it chose (tests/test_signals.c). */
void lifeline_test_stall(const char *point);
/* SIGINT, SIGTERM, SIGQUIT, SIGHUP: stop; twice: exit */ /* kill and reap stray children; how many */

/* cases.c: cases.csv at path, every parameter of every case of plan and of
 * rep's derived rows (rep may be NULL; the pin of a case that fixes none is
 * cfg's). 0, or -1 with a message. */
#define CASES_SCHEMA_VERSION 1
int cases_csv_write(const char *path, const struct pb_plan *plan, const struct pb_report *rep,
		    const struct pb_config *cfg);

/* The pid of the parbench process that owns the run (for IPC names). */
extern pid_t pb_run_pid;

struct pb_report {
	const struct pb_config *cfg;
	const struct pb_plan *plan;
	/* per case, per repetition results (NULL where a case did not run) */
	struct rep_result **reps;
	int *nreps;
	/* derived rows and notes, written by the runner */
	struct derived_row {
		struct pb_case c;
		char metric[64], unit[48];
		struct stats_summary s;
	} * rows;
	size_t nrows, caprows;
	struct pb_finding **findings; /* in the order the summaries made them */
	size_t nfindings;
	const char *experiment; /* the registry row whose summary is running */
	bool interleaved;	/* the run's repetitions were interleaved (metadata interleave=1) */
	long nseq;		/* repetitions ended so far: the next rep_result's seq */
};

/* report.c, the run's side: the per-case results of plan (once; a second
 * call keeps the first), a new repetition result of case idx, and the end. */
void report_init(struct pb_report *rep, const struct pb_config *cfg, const struct pb_plan *plan,
		 bool interleaved);
struct rep_result *report_new_rep(struct pb_report *rep, size_t idx);
void report_free(struct pb_report *rep);
/* The metric a case line and summary.md show for a repetition (wall_s,
 * else iteration_ns, else its first); NULL when it has none. */
const char *rep_key_metric(const struct rep_result *res);

/* findings.c: one figure of a finding, and the finding. */
struct finding_figure {
	char name[48], unit[48];
	struct stats_summary s;
};
struct pb_finding {
	char *experiment, *id;		/* id: "<experiment>.<id>" */
	char *claim, *verdict, *reason; /* verdict, reason: NULL for none */
	struct finding_figure *figs;
	size_t nfigs;
	bool note; /* pb_report_note: the claim is the whole sentence */
};
/* The finding as one line of prose: the claim, then each figure ("name
 * median unit (min–max, n=N)"), then " — verdict: reason". */
void finding_render(const struct pb_finding *f, FILE *out);
/* findings.csv: the schema line, the header, one row per (finding, figure)
 * (one row with empty figure columns for a finding without figures). */
void findings_write_csv(const struct pb_report *rep, FILE *f);
/* summary.md's findings section: "## Findings" and one bullet per finding
 * (nothing when there is none). */
void findings_write_md(const struct pb_report *rep, FILE *f);
/* Free every finding of rep. */
void findings_free(struct pb_report *rep);

#endif
