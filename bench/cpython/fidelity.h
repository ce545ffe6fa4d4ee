/* SPDX-License-Identifier: MIT */
/*
 * fidelity — one claim of the fidelity table: how to compute its figure on
 * each side (the C model's cases and CPython's), how to judge the two, and
 * why they differ when they do. fidelity.c holds the claims,
 * fidelity_judge.c judges one and writes its finding and summary rows.
 */
#ifndef PB_FIDELITY_H
#define PB_FIDELITY_H

#include <stdbool.h>

#include "harness.h"

/* The default tolerance on CPython/C: within ±25 %, i.e. 0.8 to 1.25 (the
 * run-to-run spread of a ratio of two medians on a shared 2-vCPU VM, with
 * room; docs/cpython.md "How a row is judged"). */
#define FIDELITY_TOL 0.25

/* a figure: a, a / b, a - b, or a / b described as b's (a speedup, a the baseline) */
enum fidelity_op { ONE, DIV, SUB, SPEEDUP_OF_B };
/* the ratio within tolerance; also both < threshold; also both > threshold */
enum fidelity_kind { CLOSE, BELOW, ABOVE };

struct fidelity_side {
	struct pb_case_key a, b;
	const char *ma, *mb;
};

struct fidelity_claim {
	const char *id; /* the finding's id: cpython.fidelity.<id> */
	const char *text;
	enum fidelity_op op;
	struct fidelity_side c, py;
	enum fidelity_kind kind;
	double threshold;
	const char *unit;
	const char *why; /* what makes them differ, when they do */
	double tol;	 /* CPython/C must lie in [1 / (1 + tol), 1 + tol]; 0: FIDELITY_TOL */
	bool by_design;	 /* a difference the C model makes on purpose (it leaves out
			  * CPython's pickling or interpreter): judged, shown as "differs
			  * by design", not counted */
	const char *row; /* its summary rows' suffix, when another claim reports on the same
			  * CPython case (NULL: none) */
};

/* A case key (harness.h), by its fields in order */
#define KEY(e, m, wl, x, w, p, v)                                                                  \
	{                                                                                          \
		.experiment = e, .model = m, .workload = wl, .extra = x, .workers = w, .param = p, \
		.param_value = v                                                                   \
	}
/* ipc-latency's round trips on one PU */
#define LAT(m) KEY("ipc-latency", m, NULL, "pin:single", 2, NULL, 0)

/* A claim's last fields: the default tolerance, counted; a tolerance of
 * its own; that and a rows' suffix; a difference by design */
#define JUDGED 0, false, NULL
#define TOL(x) x, false, NULL
#define TOL_ROW(x, r) x, false, r
#define BY_DESIGN 0, true, NULL

/* The verdicts of one table, counted (fidelity_judge adds each row's). */
struct fidelity_tally {
	int agrees, differs, both_fail, no_data, by_design, not_judged;
};

/* Judge cl on this run: a finding cpython.fidelity.<id> (figures C,
 * CPython, CPython/C and tolerance; verdict agrees, differs, both fail,
 * differs by design, no data or not judged) and the summary rows
 * fidelity_ratio[_<row>] and, for a counted row, fidelity_agrees[_<row>].
 * row: the rows' metric suffix, for a claim whose CPython case another
 * claim already reports on (NULL: cl->row); info: printed, not judged. A side
 * without a figure gives "no data" and why (a case not planned, skipped,
 * failed, or without the metric). Returns the finding; t (may be NULL)
 * counts its verdict. */
struct pb_finding *fidelity_judge(struct pb_report *rep, const struct fidelity_claim *cl,
				  const char *row, bool info, struct fidelity_tally *t);

/* Every claim with a fixed reason, for the test that checks the
 * mechanisms a reason names against the program it names: fn is called
 * with each claim's id and why. */
void fidelity_each_reason(void (*fn)(const char *id, const char *why, void *arg), void *arg);

/* The claims on sharing (fidelity_sync.c): the manager's and the thread
 * queue, the counter, the Pool, the locks. */
void fidelity_judge_sync(struct pb_report *rep, struct fidelity_tally *t);
/* The rows for the Queue's feeder and the Pool's handlers under the GIL
 * (fidelity_gil.c). */
void cpython_fidelity_gil(struct pb_report *rep, struct fidelity_tally *t);
/* fidelity_each_reason's part for those claims, and for fidelity_gil.c's */
void fidelity_sync_reasons(void (*fn)(const char *id, const char *why, void *arg), void *arg);
void fidelity_gil_reasons(void (*fn)(const char *id, const char *why, void *arg), void *arg);

#endif
