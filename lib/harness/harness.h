/* SPDX-License-Identifier: MIT */
/*
 * harness — runs cases and knows nothing about any of them.
 *
 * A model file in bench/ describes its cases (struct pb_case) from a plan
 * function and measures them in a run function; the harness names them,
 * filters them, hands them to google-benchmark, runs each repetition in a
 * case process of its own (its own process group, under a watchdog), and
 * writes every metric as a raw CSV row as soon as the case finishes.
 *
 * Inside a run function a case uses only this API: pb_cfg, pb_placement,
 * pb_timer_start/stop, pb_metric, pb_fail (and pb_keep_running for
 * in-process micro-benchmarks).
 */
#ifndef PB_HARNESS_H
#define PB_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipcname.h"
#include "stats.h"
#include "topo.h"

enum pb_profile { PROFILE_QUICK, PROFILE_DEFAULT, PROFILE_FULL };
const char *pb_profile_name(enum pb_profile p);
bool pb_profile_parse(const char *name, enum pb_profile *out);

/* The run's settings: one per run, read-only for cases. */
struct pb_config {
	enum pb_profile profile; /* how much work: quick, default or full */
	enum pin_policy pin;	 /* where workers are born (--pin) */
	int reps;		 /* repetitions of every case (--reps) */
	const char *machine;	 /* the CSV's machine column (--machine) */
	struct topo *topo;	 /* this machine's topology */
	int pus;		 /* topo_pus(topo), for sweeps */
	const char *
		python; /* --python: the interpreter cases that run Python use; NULL: python3 on PATH */
};

/* Pick a value by profile: PB_PICK(cfg, quick, default, full). */
#define PB_PICK(cfg, q, d, f) \
	((cfg)->profile == PROFILE_QUICK ? (q) : (cfg)->profile == PROFILE_DEFAULT ? (d) : (f))

struct pb_ctx;
struct pb_case;

/* A named, typed parameter of a case. An experiment declares its parameters
 * once, in a table (struct pb_param_decl, as perf's OPT_* tables and
 * google-benchmark's ArgNames do), sets them by name when it plans a case
 * (pb_case_set, or pb_case_name / pb_case_name_str / pb_case_tag to put it
 * in the case name too) and its run function reads them by name
 * (pb_case_get, pb_case_str): a case's numbers never travel as positional
 * arguments explained in a comment, and the case name is generated from
 * them. Setting a name the table does not declare aborts at plan time. */
enum pb_type { PB_INT, PB_REAL, PB_ENUM, PB_STR };
struct pb_param_decl {
	const char *name; /* NULL ends the table */
	enum pb_type type;
	const char *unit;    /* "ms", "ns", "B", "count"; "" for an enum or a string */
	const char *meaning; /* one line, for cases.csv's readers and --list */
};
/* The harness's own columns of a case, which every table may also declare
 * to say what they mean in its experiment (the counter experiments'
 * "workload" is the lock variant). */
#define PB_DECL_MODEL "model"
#define PB_DECL_WORKLOAD "workload"
#define PB_DECL_WORKERS "workers"

#define PB_MAX_PARAMS 12
#define PB_STR_LEN 24
struct pb_param {
	const char *name;      /* NULL: unused slot */
	int64_t value;	       /* a number's value */
	char str[PB_STR_LEN];  /* a string's value; "" for a number */
	unsigned char in_name; /* 0: not in the case name; else its place there, from 1 */
	bool alone;	       /* in the name as the value alone ("cross-pu"), not "name:value" */
};
typedef int (*pb_run_fn)(struct pb_ctx *ctx, const struct pb_case *c);

/* One case: one point of one experiment's sweep for one model. */
struct pb_case {
	const char *experiment; /* "tasks" */
	const char *model;	/* "fork" */
	const char *workload;	/* "io", "cpu", or "-" */
	char extra[64]; /* the parameters in the name, "n:5/pin:scatter": set by pb_plan_add */
	int workers;
	const char *param; /* the swept parameter ("task_ms"), NULL for none */
	double param_value;
	struct pb_param params[PB_MAX_PARAMS]; /* pb_case_set / pb_case_get */
	const struct pb_param_decl *declared;  /* the experiment's table of parameters */
	const void *data;		       /* model-specific static data */
	pb_run_fn run;
	double budget_s; /* watchdog budget of one repetition; 0: the profile's default */
	/* A case whose lesson is a hang (CPython's Pool after a worker's
	 * death): when its budget runs out the watchdog stops it as any other,
	 * but the repetition is the expected outcome, not a failure: its
	 * status row has value 0 and this sentence as its unit, the metrics
	 * it reported before it hung are kept, and hung_s (unit s) says how
	 * long it ran before the watchdog stopped it. NULL: a hang fails. */
	const char *hang_expected;
	double est_s;	 /* the plan's estimate of one repetition, in seconds, for --list and the
		       * run's time budget; 0: PB_EST_DEFAULT_S */
	bool in_process; /* a micro-benchmark timed by google-benchmark's own loop */
	bool pin_fixed;	 /* the case chooses its placement itself ... */
	enum pin_policy pin; /* ... this one, whatever --pin says */
	char name[192]; /* "experiment/model/workload[/extra]/w:N[/param:value]", set by pb_plan_add */
};

/* The estimate of one repetition of a case whose plan set no est_s: the
 * experiments that set none measured 2 to 120 ms of timed work per
 * repetition on a 2-PU VM (quick profile), 50 ms in the middle. --list
 * adds PB_EST_CASE_S to every repetition of an isolated case: the case
 * process, google-benchmark and the raw rows (quick run 20261130T192952Z
 * on 2 PUs: 60 s in all for 44 s of timed work, 5 s of Python start-ups and
 * 5 s of plots over 855 repetitions, about 7 ms each; quick run
 * 20261207T213008Z on the same kind of VM: 45 s of cases for 35 s of timed
 * work and 4 s of Python start-ups over 663 repetitions, 9 ms each; 10 ms
 * leaves room: 15 ms made quick's estimate 36 % longer than its cases). */
#define PB_EST_DEFAULT_S 0.05
/* A plan's estimate of one process started, exited and reaped: the
 * slowest machine parbench has met (a 2-vCPU AMD EPYC VM, price/fork p50
 * 1.3 ms, run 20261207T151356Z), so that estimates err long. */
#define PB_EST_FORK_S 0.0015
#define PB_EST_CASE_S 0.010

/* Set the case's integer parameter name to value (adding it, or replacing
 * its value: a parameter in the name stays there, at its place). */
void pb_case_set(struct pb_case *c, const char *name, int64_t value);
/* The same, and put "name:value" in the case name, after the parameters
 * already there. */
void pb_case_name(struct pb_case *c, const char *name, int64_t value);
/* A string parameter ("pin" = "scatter") in the name as "name:value". */
void pb_case_name_str(struct pb_case *c, const char *name, const char *value);
/* A string parameter in the name as its value alone ("cross-pu"). */
void pb_case_tag(struct pb_case *c, const char *name, const char *value);
/* Drop every parameter in the case name (a plan that reuses one case for
 * the next point of its sweep); the others stay. */
void pb_case_unname(struct pb_case *c);
/* The value of an integer parameter the plan set. A name the plan never
 * set is a bug in the experiment: it aborts, naming the case and the
 * parameter. */
int64_t pb_case_get(const struct pb_case *c, const char *name);
/* The value of a string parameter the plan set; aborts likewise. */
const char *pb_case_str(const struct pb_case *c, const char *name);
/* Whether the case has parameter name (and its value in *value, may be NULL). */
bool pb_case_has(const struct pb_case *c, const char *name, int64_t *value);
/* The declaration of name in c's table, or NULL. */
const struct pb_param_decl *pb_case_decl(const struct pb_case *c, const char *name);
/* Type names as cases.csv spells them: integer, real, enum, string. */
const char *pb_type_name(enum pb_type t);

/* A plan is the list of cases a run may execute. */
struct pb_plan;
void pb_plan_add(struct pb_plan *plan, const struct pb_case *c);

struct pb_report;

/* Which way a headline metric gets better. UNSET is a missing field: the
 * registry test (tests/test_registry.c) refuses it. */
enum pb_direction { PB_DIRECTION_UNSET, PB_LOWER_IS_BETTER, PB_HIGHER_IS_BETTER };
/* "lower", "higher", or NULL for UNSET: the direction column of experiments.csv. */
const char *pb_direction_name(enum pb_direction d);

/* The one metric that says how an experiment's cases did: a metric its
 * cases record in raw.csv, the unit raw.csv gives it, and which way is
 * better. Tools that need "the" number of a case take this one. */
struct pb_headline {
	const char *metric; /* "wall_s", "latency_ns_p50" */
	const char *unit;   /* "s", "ns" */
	enum pb_direction better;
};

/* figures of an experiment that draws none: its numbers are a table. A
 * comment beside it says why a figure would not teach more than the table. */
#define PB_TABLE_ONLY "-"

/* The registry (bench/registry.c) has one row per experiment: everything a
 * person or a tool needs to know about it, declared once next to its code
 * and exported with every run as experiments.csv (README, "The CSV
 * contract"); --list prints it. Its table of parameters: a case of its plan
 * that sets a parameter the table lacks aborts the plan, naming both. */
struct pb_experiment {
	const char *name;
	const char *summary; /* one line, for --list */
	const char *teaches; /* what it teaches, a paragraph on one line, for the report */
	struct pb_headline headline;
	const char *figures;	  /* the plots/<name>.gp it draws, space-separated,
				   * each <name> or <name>-<what>; or PB_TABLE_ONLY */
	const char *cpython_twin; /* the bench/cpython/ program (and mode) whose
				   * cpython-* cases mirror it; NULL: none */
	void (*plan)(struct pb_plan *plan, const struct pb_config *cfg); /* may be NULL */
	void (*summarize)(struct pb_report *rep);			 /* may be NULL */
	const struct pb_param_decl *params; /* its parameters, ended by { NULL } */
};
/* Whether row e is complete: a name, a summary, a non-empty teaches, a
 * headline metric with its unit and direction, figures (or PB_TABLE_ONLY).
 * false with what is missing in why. */
bool pb_experiment_complete(const struct pb_experiment *e, char *why, size_t len);

/* ---- inside a case ---- */
const struct pb_config *pb_cfg(struct pb_ctx *ctx);
/* Where the case's c->workers workers go under the case's pin policy. */
const struct placement *pb_placement(struct pb_ctx *ctx);
/* Bracket the measured work: stop records wall_s (also the case's time for
 * google-benchmark), cpu_user_s, cpu_sys_s, ctxsw_voluntary and
 * ctxsw_involuntary (this process and every child it reaped). A case that
 * never calls them is timed around its whole run function. pb_timer_stop
 * returns the wall time it recorded, in seconds. */
void pb_timer_start(struct pb_ctx *ctx);
double pb_timer_stop(struct pb_ctx *ctx);
/* pb_timer_start as of t0_ns (CLOCK_MONOTONIC, clock_now_ns), for work that
 * another process began and reported its start of: the time it took the
 * report to arrive is not counted. */
void pb_timer_start_at(struct pb_ctx *ctx, uint64_t t0_ns);
/* A metric of this repetition; its name carries its unit (wall_s,
 * latency_ns_p50) and unit says it again for the CSV ("s", "ns", "count").
 * Safe to call from any thread or process of the case. */
void pb_metric(struct pb_ctx *ctx, const char *name, double value, const char *unit);
/* The spread of n samples (sorted in place) as metrics <prefix>_mean, _p50,
 * _p90, _p99, _min and _max, all in unit ("latency_ns" and "ns"). */
void pb_metric_spread(struct pb_ctx *ctx, const char *prefix, double *v, size_t n,
		      const char *unit);
/* Record why the case failed; returns -1 so that `return pb_fail(...)`. */
int pb_fail(struct pb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The case cannot run on this machine (an optional tool is missing): the
 * repetition records no metrics, its status row says "skipped: <reason>"
 * with value 0, and the run does not fail. Returns 0, so that
 * `return pb_skip(...)`. */
int pb_skip(struct pb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* In-process cases only: google-benchmark's KeepRunning. */
bool pb_keep_running(struct pb_ctx *ctx);
/* Report which PU each worker last ran on: adds pus_used (distinct PUs) and
 * pin_misses (workers not on their placement's PU). */
void pb_report_pus(struct pb_ctx *ctx, const int *ran_on, int n);

/* ---- after the run: derived figures ---- */
const struct pb_config *pb_report_cfg(const struct pb_report *rep);
size_t pb_report_ncases(const struct pb_report *rep);
const struct pb_case *pb_report_case(const struct pb_report *rep, size_t i);
/* Summary of metric over the successful repetitions of case_name; false
 * when there is none. */
bool pb_report_stat(const struct pb_report *rep, const char *case_name, const char *metric,
		    struct stats_summary *out);
/* A derived row in summary.csv, described like case `like` but for model
 * (NULL: like's model), e.g. speedup against serial, or an ideal line. */
void pb_report_row(struct pb_report *rep, const struct pb_case *like, const char *model,
		   const char *metric, struct stats_summary s, const char *unit);
/* What a summary looks for: a NULL string or a 0 workers matches anything;
 * param NULL matches any parameter (param_value is then ignored). */
struct pb_case_key {
	const char *experiment, *model, *workload, *extra;
	int workers;
	const char *param;
	double param_value;
};
/* The first case that matches key after `after` (NULL: from the start), or
 * NULL; loop over a sweep with c = pb_report_next(rep, &key, c). */
const struct pb_case *pb_report_next(const struct pb_report *rep, const struct pb_case_key *key,
				     const struct pb_case *after);
/* The first case that matches key, or NULL. */
const struct pb_case *pb_report_find(const struct pb_report *rep, const struct pb_case_key *key);
/* The median of metric over c's successful repetitions; NaN when c is NULL
 * or has none. */
double pb_report_median(const struct pb_report *rep, const struct pb_case *c, const char *metric);
/* metric of a divided by metric of b, by stats_ratio's convention (median
 * over median, range from the extremes); false when either case is NULL,
 * has no successful repetition, or b's values are not positive. */
bool pb_report_ratio(const struct pb_report *rep, const struct pb_case *a, const struct pb_case *b,
		     const char *metric, struct stats_summary *out);
/* The same with a different metric on each side. */
bool pb_report_ratio2(const struct pb_report *rep, const struct pb_case *a, const char *metric_a,
		      const struct pb_case *b, const char *metric_b, struct stats_summary *out);
/* Why c has no figure for metric, into buf: "not in this run's plan"
 * (c NULL), "<case> skipped: <reason>", "<case> failed: <reason>" (every
 * repetition), "<case> recorded no <metric>"; false, buf empty, when it
 * has one. */
bool pb_report_why_none(const struct pb_report *rep, const struct pb_case *c, const char *metric,
			char *buf, size_t len);

/* The paired ratio of metric, a over b: repetition r of a against
 * repetition r of b (with --interleave both ran in the same stretch of the
 * run, so both saw the same machine), median with min-max over the pairs
 * (stats_paired_ratio). A pair counts when both repetitions succeeded and
 * have the metric; a repetition the other case lacks has no pair. */
struct pb_paired {
	struct stats_summary s; /* the per-pair ratios; s.n = the pairs */
	bool interleaved;	/* the run interleaved its repetitions (--interleave) */
	double gap_median;	/* median over the pairs of the repetitions of the run that
				 * ended between a pair's two (0: back to back) */
};
/* a and b are cases of this report (pb_report_find, pb_report_next); false
 * when either is NULL or no pair counts. */
bool pb_report_paired(const struct pb_report *rep, const struct pb_case *a, const struct pb_case *b,
		      const char *metric, struct pb_paired *out);
/* "1.93x (1.88–2.01 over 5 pairs, median 2 repetitions apart)", after
 * "not interleaved (each case's repetitions back to back): " when the run
 * did not interleave. How far apart a pair's two repetitions ran is the
 * gap, from the data: google-benchmark's random interleaving shuffles every
 * repetition of the run, so repetition r of two cases is not in one round. */
void pb_paired_describe(const struct pb_paired *p, char *buf, size_t len);

/* A finding "<experiment>.precision_<metric>" on the precision of the
 * cases that match key: the coefficient of variation (sample stddev / mean,
 * stats_cv) of metric over each case's successful repetitions, its median
 * over the cases (figure "median CV", %), the cases and how many are above
 * PB_CV_TARGET, verdict "within target" or "above target", the worst three
 * in its reason. Nothing when no case has 2 repetitions. */
#define PB_CV_TARGET 0.03 /* issue 14: median CV <= 3 % for the tasks and GIL cases */
void pb_report_cv_note(struct pb_report *rep, const struct pb_case_key *key, const char *metric);

/* ---- findings: what a summary concludes, as data ----
 * A finding is one claim of the experiment whose summary is running: a
 * stable id, the claim in words, its figures (each a median with min, max,
 * n and a unit) and, where the claim is judged, a verdict and its reason.
 * findings.csv holds one row per (finding, figure); summary.md's findings
 * and the end of the run's output are renderings of those rows. */
struct pb_finding;
/* A new finding; its id in findings.csv is "<experiment>.<id>" (id: lower
 * case, digits, '_' and '.', the same from run to run; a second finding
 * with the same id gets "_2", "_3" ...). The claim (printf format) says in
 * words what its figures show, without the figures: they follow it. */
struct pb_finding *pb_report_finding(struct pb_report *rep, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A figure of f: name says what it is ("speedup", "C", "CPython"), s its
 * median, min, max and n, unit its unit ("x", "s", "us", "%"). */
void pb_finding_figure(struct pb_finding *f, const char *name, struct stats_summary s,
		       const char *unit);
/* A figure that is one value (n = 1: a derived number, a setting). */
void pb_finding_value(struct pb_finding *f, const char *name, double v, const char *unit);
/* The figure of metric over case c's successful repetitions
 * (pb_report_stat); false, and no figure, when c is NULL or has none. */
bool pb_finding_stat(struct pb_finding *f, const struct pb_report *rep, const struct pb_case *c,
		     const char *name, const char *metric, const char *unit);
/* The verdict ("agrees", "differs", "within ±15 %") and why (printf
 * format, NULL for none). */
void pb_finding_verdict(struct pb_finding *f, const char *verdict, const char *why, ...)
	__attribute__((format(printf, 3, 4)));

/* A sentence not yet structured: a finding "<experiment>.note<N>" whose
 * claim is the sentence, with no figures, so that nothing is lost. */
void pb_report_note(struct pb_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
