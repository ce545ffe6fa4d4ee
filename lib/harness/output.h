/* SPDX-License-Identifier: MIT */
/*
 * output — where a run's raw results go (output.c): the run directory, the
 * metadata that makes every file self-describing, and raw.csv, written a
 * repetition at a time. Its state is its own; the other files of the run
 * reach it through these calls.
 */
#ifndef PB_OUTPUT_H
#define PB_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "csv.h"
#include "harness_impl.h"
#include "noise.h"

#define OUTPUT_MAX_UNITS 256

struct output {
	const struct pb_options *opt; /* --csv, --results, and the options the metadata names */
	const struct pb_config *cfg;
	char dir[512];	    /* the run directory, "" with --csv */
	FILE *csv;	    /* raw rows */
	bool write_failed;  /* the first failed write stopped the run */
	bool cut_written;   /* an "interrupted" status row is in the CSV */
	struct noise noise; /* measured before the run, for the metadata */
	char started[32];   /* started_utc, and the command line, for the metadata */
	int argc;
	char **argv;
	int nunits; /* metric name -> unit, for rows whose repetition gave none */
	char units[OUTPUT_MAX_UNITS][2][64];
};

void output_remember_unit(struct output *o, const char *metric, const char *unit);
const char *output_unit_of(const struct output *o, const char *metric);

/* The columns that describe case c in raw.csv and summary.csv, machine to
 * pin (rep, metric, value and unit left for the caller). */
struct csv_row output_case_row(const struct pb_config *cfg, const struct pb_case *c);
void output_write_metadata(const struct output *o, FILE *f);

/* Before any side effect: check that the outputs can be written and choose
 * the run directory's name. 0, or 2 with a message. */
int output_plan(struct output *o, const char *stamp);
/* The run directory (or the --csv file), raw.csv with its metadata and
 * header, topo.xml and topo.png. 0, 1 (a write failed) or 2 with a message. */
int output_open(struct output *o);
/* One repetition's rows, flushed together; -1 once a write has failed. */
int output_write_rep(struct output *o, const struct pb_case *c, int rep,
		     const struct rep_result *res);
int output_flush(struct output *o);
/* raw.csv closed and checked: -1 when a write failed now. */
int output_close(struct output *o);
/* Where the results are, naming only the files that were written. */
void output_list(const struct output *o);

#endif
