/* SPDX-License-Identifier: MIT */
/*
 * csv — the raw results file: `# key=value` metadata lines, the header, then
 * one row per repetition per metric, flushed as each case finishes so that a
 * crash loses at most the case in flight.
 */
#ifndef PB_CSV_H
#define PB_CSV_H

#include <stdio.h>

#define CSV_SCHEMA_VERSION 1
#define CSV_RAW_HEADER \
	"machine,case,experiment,model,workload,workers,param,param_value,pin,rep,metric,value,unit"
#define CSV_SUMMARY_HEADER \
	"machine,case,experiment,model,workload,workers,param,param_value,pin,metric,n,min,median,max,unit"
/* findings.csv: one row per (finding, figure); its own schema_version. */
#define CSV_FINDINGS_SCHEMA_VERSION 1
#define CSV_FINDINGS_HEADER "experiment,finding,claim,figure,median,min,max,n,unit,verdict,reason"

/* One raw row. Strings may hold anything; they are quoted when needed. */
struct csv_row {
	const char *machine, *case_name, *experiment, *model, *workload;
	int workers;
	const char *param;
	double param_value;
	const char *pin;
	int rep;
	const char *metric;
	double value;
	const char *unit;
};

/* Write s as one CSV field (RFC 4180: quoted when it holds a comma, a
 * quote, CR or LF; quotes doubled). NULL is written as an empty field. */
void csv_field(FILE *f, const char *s);
/* Write a number in the shortest form that reads back exactly ("nan" and
 * "inf" spelled so). */
void csv_number(FILE *f, double v);
/* `# key=value` (the value's newlines are replaced by spaces). */
void csv_meta(FILE *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void csv_row(FILE *f, const struct csv_row *r);
/* The columns raw and summary rows share, machine to pin, and the comma
 * after them (r's rep, metric, value and unit are not used). */
void csv_case_columns(FILE *f, const struct csv_row *r);

#endif
