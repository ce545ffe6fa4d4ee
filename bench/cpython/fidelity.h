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

/* a figure: a, a / b, a - b, or a / b described as b's (a speedup, a the baseline) */
enum fidelity_op { ONE, DIV, SUB, SPEEDUP_OF_B };
/* within ±25 %, both < threshold, both > threshold */
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
};

/* Judge cl on this run: a finding cpython.fidelity.<id> (figures C,
 * CPython and CPython/C; verdict agrees, differs or not judged) and the
 * summary rows fidelity_ratio[_<row>] and fidelity_agrees[_<row>]. row: the
 * rows' metric suffix, for a claim whose CPython case another claim already
 * reports on (NULL: none); info: printed, not judged. Nothing when a side
 * has no figure. */
void fidelity_judge(struct pb_report *rep, const struct fidelity_claim *cl, const char *row,
		    bool info);

#endif
