/* SPDX-License-Identifier: MIT */
/*
 * registry — the registry's rows as data: experiments.csv, written into
 * every run directory before the first case runs, so that the tools
 * downstream (scripts/pbdata.py, report.py, compare.py) read what each
 * experiment is from the run itself, never from --list or a second list.
 */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#include "harness.h"

/* experiments.csv's own schema, bumped only if a column ever changes
 * (README, "The CSV contract"). */
#define REGISTRY_SCHEMA_VERSION 2 /* 2: the seeds column */
#define REGISTRY_CSV_HEADER                                                                  \
	"name,summary,teaches,headline_metric,headline_unit,direction,figures,cpython_twin," \
	"seeds"

/* One program of the seed tutorials: what it does, what the tutorial
 * printed ("" when it printed no figure) and the experiments that re-create
 * it (names, space-separated). bench/registry.c's pb_seeds ends with a row
 * whose program is NULL; experiments.csv's seeds column is each
 * experiment's, and the report's map of seeds to experiments. */
struct pb_seed {
	const char *program, *printed, *experiments;
};
extern const struct pb_seed pb_seeds[];
/* Whether experiment name is one of s's experiments. */
bool pb_seed_has(const struct pb_seed *s, const char *name);

/* The metadata line, the header and one row per experiment of suites
 * (NULL-terminated) whose ncases[e] is not 0 (ncases NULL: every row).
 * Returns -1 when a write failed. */
int registry_write_csv(FILE *f, const struct pb_experiment *const suites[], const size_t *ncases);
/* The same as dir/experiments.csv: 0, or -1 with a message. */
int registry_write_file(const char *dir, const struct pb_experiment *const suites[],
			const size_t *ncases);

struct pb_plan;
/* --list: each experiment that keeps a case (ncases[e] of plan's cases, in
 * registry order), with its case count, estimated time and what it
 * teaches; then the total, for cfg's profile, repetitions and PUs. */
void registry_list(const struct pb_experiment *const suites[], const size_t *ncases,
		   const struct pb_plan *plan, const struct pb_config *cfg);

#endif
