/* SPDX-License-Identifier: MIT */
/*
 * summary — the end of a run (summary.c): each experiment's summarize,
 * then summary.csv, summary.md, findings.csv and cases.csv (again, with
 * the derived rows' cases) in the run directory, and the findings on human.
 */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

#include <stdio.h>

#include "harness_impl.h"
#include "output.h"

/* What the summary's metadata says: the run's own, read back from raw.csv
 * (--resume, --summarize), or NULL text for out's metadata of this run. */
struct summary_meta {
	const char *text; /* raw.csv's metadata lines */
	const char *cpu;  /* its cpu_model, pus: for summary.md's first lines */
	int pus;
};

/* Returns -1 when summary.csv, findings.csv or cases.csv could not be
 * written whole. */
int summary_write(struct pb_report *rep, const struct pb_experiment *const *suites,
		  const struct output *out, const struct summary_meta *meta, FILE *human);

#endif
